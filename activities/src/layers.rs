//! The crate's rooms depend only on the rooms below them (the order in the crate's
//! `# Layout`), checked on the sources, so a new `use` that points up fails here rather
//! than slowly turning the layout into a web.

use std::path::{Path, PathBuf};

/// What each room may name with `crate::…` besides itself. `db` stores the gateway's
/// vocabulary (`whatsapp::types`, the `whatsapp::vault` trait it implements), not the
/// gateway.
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "acts",
        &[
            "whatsapp",
            "db",
            "clients",
            "assistant",
            "domain",
            "workflow_ids",
            "metrics",
            "secret",
            "supervisor",
        ],
    ),
    (
        "whatsapp",
        &[
            "db",
            "clients",
            "domain",
            "workflow_ids",
            "metrics",
            "secret",
            "supervisor",
        ],
    ),
    (
        "db",
        &[
            "whatsapp::types",
            "whatsapp::vault",
            "clients",
            "assistant",
            "domain",
            "secret",
        ],
    ),
    ("clients", &["domain", "metrics", "secret"]),
    ("assistant", &["domain"]),
    ("supervisor", &["metrics"]),
    ("workflow_ids", &["domain"]),
    ("domain", &[]),
    ("metrics", &[]),
    ("secret", &[]),
];

fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The room a source file is in: its first path part under `src/`, without `.rs`.
fn room(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// Every `crate::a::b` path named outside comments, as `a::b` (or `a`).
fn named(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut parts = path.split("::").filter(|p| !p.is_empty());
            let Some(first) = parts.next() else { continue };
            found.push(match parts.next() {
                Some(second) => format!("{first}::{second}"),
                None => first.to_owned(),
            });
        }
    }
    found
}

#[test]
fn every_room_names_only_the_rooms_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let room = room(&src, file);
        if room == "lib" || room == "layers" {
            continue;
        }
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == room) else {
            wrong.push(format!(
                "{}: room `{room}` is not in ALLOWED",
                file.display()
            ));
            continue;
        };
        let code = std::fs::read_to_string(file).unwrap();
        for path in named(&code) {
            let top = path.split("::").next().unwrap_or_default();
            let fine = top == room
                || allowed
                    .iter()
                    .any(|a| *a == top || *a == path || path.starts_with(&format!("{a}::")));
            if !fine {
                wrong.push(format!("{}: `{room}` names crate::{path}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn paths_are_read_past_comments() {
    let code = "use crate::db::leases; // crate::acts\n/// [`crate::acts::sync`]\nx(crate::domain)";
    assert_eq!(named(code), ["db::leases", "domain"]);
}
