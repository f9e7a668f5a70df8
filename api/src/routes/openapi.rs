//! `GET /openapi.json`: the OpenAPI 3.1 document of the HTTP API (`api/openapi/openapi.json`,
//! written by hand). Two tests keep it true: here, every `.route(…)` in the sources is
//! documented with its method and nothing else is; in `tests/`, every documented
//! operation reaches a real route of a running app.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

/// The document, embedded at build time.
pub const DOCUMENT: &str = include_str!("../../openapi/openapi.json");

/// `GET /openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/openapi.json", get(document))
}

async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// `(METHOD, path)` of every `.route("path", get(…))` in the files under `dir`.
    fn routes_in(dir: &Path, found: &mut BTreeSet<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                routes_in(&path, found);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            // Code only: not comments, not tests (this very scan would count itself).
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            let source: String = code
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for (_, rest) in source
                .match_indices(".route(")
                .map(|(i, _)| source.split_at(i + 7))
            {
                let rest = rest.trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                let (route, after) = rest.split_once('"').unwrap();
                let after = after.trim_start().trim_start_matches(',').trim_start();
                let method = after.split('(').next().unwrap().trim();
                found.insert((method.to_uppercase(), route.to_owned()));
            }
        }
    }

    #[test]
    fn every_route_in_the_sources_is_documented_and_nothing_else() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut in_code = BTreeSet::new();
        for part in ["routes", "ws"] {
            routes_in(&src.join(part), &mut in_code);
        }
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, operations)| {
                operations
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|method| (method.to_uppercase(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(in_code.len() > 15, "the scan found the routes: {in_code:?}");
        assert_eq!(
            in_code.difference(&documented).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "routes missing from openapi.json"
        );
        assert_eq!(
            documented.difference(&in_code).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "documented operations no route serves"
        );
    }

    #[test]
    fn every_operation_says_what_it_answers() {
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                assert!(operation["summary"].is_string(), "{method} {path}");
                assert!(
                    !operation["responses"].as_object().unwrap().is_empty(),
                    "{method} {path}"
                );
                assert!(operation["tags"].is_array(), "{method} {path}");
            }
        }
    }
}
