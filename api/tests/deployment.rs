//! docker-compose.yml and the Dockerfile stay valid without a Docker engine: the files
//! are parsed and checked against what the binary reads (its configuration variables,
//! its roles, its port, its data directory, its health route).

use ai_admin_api::config::{Config, Roles};
use serde_yaml::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn repository_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn compose() -> Value {
    serde_yaml::from_str(&repository_file("docker-compose.yml"))
        .expect("docker-compose.yml is YAML")
}

/// The ops override that publishes the Temporal UI for an SSH tunnel.
fn ops_override() -> Value {
    serde_yaml::from_str(&repository_file("docker-compose.ops.yml"))
        .expect("docker-compose.ops.yml is YAML")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    let service = &compose["services"][name];
    assert!(service.is_mapping(), "service {name} is defined");
    service
}

/// `${NAME:?message}`, `${NAME:-default}` and `${NAME}` as a value a user might give.
fn interpolated(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${…}") + start;
        let inner = &rest[start + 2..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner.split(":?").next().unwrap_or(inner), None),
        };
        out.push_str(&match (name, default) {
            ("BASE_URL", _) => "https://ai-admin.example.ru".to_owned(),
            ("TRUSTED_PROXIES", _) => "10.0.0.0/8".to_owned(),
            (_, Some(default)) if !default.is_empty() => default.to_owned(),
            (name, _) => format!("a-value-the-operator-chose-for-{name}"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The ai-admin service's environment, interpolated as compose would.
fn app_environment(compose: &Value) -> BTreeMap<String, String> {
    environment_of(compose, "ai-admin")
}

/// A service's environment, interpolated as compose would.
fn environment_of(compose: &Value, name: &str) -> BTreeMap<String, String> {
    service(compose, name)["environment"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{name} has an environment mapping"))
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => panic!("unexpected value {other:?}"),
            };
            (k.as_str().unwrap().to_owned(), interpolated(&value))
        })
        .collect()
}

/// Every variable the binary reads, found by reading a configuration and recording
/// the names looked up.
fn variables_the_binary_reads(environment: &BTreeMap<String, String>) -> BTreeSet<String> {
    let read = RefCell::new(BTreeSet::new());
    let config = Config::from_lookup(|name| {
        read.borrow_mut().insert(name.to_owned());
        environment.get(name).cloned()
    });
    config.expect("the compose environment is a valid configuration");
    read.into_inner()
}

/// A service's `ports` entries (`"host:container"`).
fn published_ports(compose: &Value, name: &str) -> Vec<String> {
    service(compose, name)["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

fn host_and_port(url: &str) -> (String, u16) {
    let after_scheme = url.split("://").nth(1).expect("a URL");
    let authority = after_scheme.split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    let (host, port) = host_port.split_once(':').expect("an explicit port");
    (host.to_owned(), port.parse().unwrap())
}

#[test]
fn the_stack_has_its_services_with_the_right_images_and_dependencies() {
    let compose = compose();
    for name in [
        "postgres",
        "temporal",
        "temporal-ui",
        "ai-admin",
        "whatsapp-gateway",
    ] {
        service(&compose, name);
    }
    assert!(
        service(&compose, "temporal")["image"]
            .as_str()
            .unwrap()
            .starts_with("temporalio/auto-setup:")
    );
    assert_eq!(
        service(&compose, "temporal")["environment"]["DB"],
        "postgres12"
    );
    assert_eq!(
        service(&compose, "temporal")["environment"]["POSTGRES_SEEDS"],
        "postgres"
    );
    assert_eq!(
        service(&compose, "temporal-ui")["environment"]["TEMPORAL_ADDRESS"],
        "temporal:7233"
    );
    let app = service(&compose, "ai-admin");
    assert_eq!(app["build"], ".");
    assert_eq!(
        app["depends_on"]["postgres"]["condition"], "service_healthy",
        "migrations need PostgreSQL up"
    );
    assert!(app["depends_on"]["temporal"].is_mapping());
    assert!(
        service(&compose, "postgres")["healthcheck"]["test"].is_sequence(),
        "postgres reports its health"
    );
}

#[test]
fn the_apps_environment_is_what_the_binary_reads_and_points_at_the_stack() {
    let compose = compose();
    let environment = app_environment(&compose);
    let read = variables_the_binary_reads(&environment);
    let unknown: Vec<&String> = environment.keys().filter(|k| !read.contains(*k)).collect();
    assert!(
        unknown.is_empty(),
        "variables the binary never reads: {unknown:?}"
    );

    // Production refuses to start without each secret: compose must pass each one.
    assert_eq!(environment["APP_ENV"], "production");
    for required in [
        "JWT_SECRET",
        "YCLIENTS_PARTNER_TOKEN",
        "YCLIENTS_APP_ID",
        "DATABASE_URL",
    ] {
        let mut without = environment.clone();
        without.remove(required);
        assert!(
            Config::from_lookup(|name| without.get(name).cloned()).is_err(),
            "{required} is required in production"
        );
    }

    let (db_host, db_port) = host_and_port(&environment["DATABASE_URL"]);
    assert_eq!((db_host.as_str(), db_port), ("postgres", 5432));
    assert_eq!(
        service(&compose, "postgres")["environment"]["POSTGRES_DB"],
        environment["DATABASE_URL"].rsplit('/').next().unwrap()
    );
    let (temporal_host, temporal_port) = host_and_port(&environment["TEMPORAL_ADDRESS"]);
    assert_eq!((temporal_host.as_str(), temporal_port), ("temporal", 7233));

    // Temporal publishes nothing by default; the ops override publishes the UI on the
    // host's loopback only, at the port of the link shown to ops (through a tunnel).
    for name in ["temporal", "temporal-ui", "postgres"] {
        assert!(
            service(&compose, name)["ports"].is_null(),
            "{name} publishes no port"
        );
    }
    let (_, ui_port) = host_and_port(&environment["TEMPORAL_UI_URL"]);
    let ops = ops_override();
    let ui_ports = published_ports(&ops, "temporal-ui");
    assert_eq!(ui_ports, [format!("127.0.0.1:{ui_port}:8080")]);
    assert_eq!(
        ops["services"].as_mapping().unwrap().len(),
        1,
        "the override publishes the UI and nothing else"
    );

    // The app listens where compose publishes it.
    let port = &environment["PORT"];
    let app_ports = published_ports(&compose, "ai-admin");
    assert!(
        app_ports.iter().any(|p| p.ends_with(&format!(":{port}"))),
        "{app_ports:?}"
    );
}

/// The roles a service's command runs (`serve --roles …`; all without the flag).
fn roles_of(compose: &Value, name: &str) -> Roles {
    let command: Vec<String> = service(compose, name)["command"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{name} has a command"))
        .iter()
        .map(|part| part.as_str().unwrap().to_owned())
        .collect();
    let line = command.join(" ");
    assert!(
        line.contains("ai-admin serve"),
        "{name} runs the server: {line}"
    );
    match line.split_once("--roles") {
        Some((_, rest)) => {
            let roles = rest
                .split_whitespace()
                .next()
                .expect("a value after --roles");
            Roles::parse(roles).unwrap_or_else(|e| panic!("{name}: {e}"))
        }
        None => Roles::ALL,
    }
}

#[test]
fn the_roles_are_split_with_two_gateway_replicas_configured_like_the_app() {
    let compose = compose();
    let api = roles_of(&compose, "ai-admin");
    let gateway = roles_of(&compose, "whatsapp-gateway");
    assert!(api.api && api.worker && !api.gateway, "{:?}", api.names());
    assert_eq!(gateway.names(), ["gateway"]);
    assert_eq!(
        service(&compose, "whatsapp-gateway")["deploy"]["replicas"],
        2
    );
    // Migrations run once, in the API service; gateways start after it is healthy.
    assert!(
        service(&compose, "ai-admin")["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|part| part.as_str().unwrap().contains("ai-admin migrate"))
    );
    assert_eq!(
        service(&compose, "whatsapp-gateway")["depends_on"]["ai-admin"]["condition"],
        "service_healthy"
    );
    // The same image and the same configuration; replicas must not publish a fixed port
    // (two containers cannot bind one host port) and get distinct NODE_IDs from their
    // host names, so none is set.
    assert_eq!(
        service(&compose, "whatsapp-gateway")["image"],
        service(&compose, "ai-admin")["image"]
    );
    let environment = environment_of(&compose, "whatsapp-gateway");
    assert_eq!(environment, app_environment(&compose));
    assert!(!environment.contains_key("NODE_ID"));
    assert!(service(&compose, "whatsapp-gateway")["ports"].is_null());
    let config = Config::from_lookup(|name| environment.get(name).cloned())
        .expect("the gateway's environment is a valid configuration");
    assert!(
        config.whatsapp_lease.as_secs() >= 5,
        "a lease long enough to ride out a short database hiccup"
    );
}

#[test]
fn state_lives_in_declared_volumes_mounted_where_it_is_written() {
    let compose = compose();
    let declared: BTreeSet<String> = compose["volumes"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let mounts = |name: &str| -> Vec<(String, String)> {
        service(&compose, name)["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| {
                let (volume, path) = v.as_str().unwrap().split_once(':').unwrap();
                (volume.to_owned(), path.to_owned())
            })
            .collect()
    };
    for (volume, _) in mounts("postgres").iter().chain(&mounts("whatsapp-gateway")) {
        assert!(declared.contains(volume), "{volume} is declared");
    }
    assert!(
        mounts("postgres")
            .iter()
            .any(|(_, path)| path == "/var/lib/postgresql/data")
    );
    // WhatsApp session stores are under DATA_DIR: they must survive a new container,
    // and every gateway replica mounts the same volume, so a node taking a session over
    // finds its keys.
    let data_dir = environment_of(&compose, "whatsapp-gateway")["DATA_DIR"].clone();
    assert!(
        mounts("whatsapp-gateway")
            .iter()
            .any(|(_, path)| *path == data_dir),
        "DATA_DIR {data_dir} is a volume"
    );
}

#[test]
fn the_image_is_multi_stage_runs_as_a_user_and_checks_a_real_health_route() {
    let dockerfile = repository_file("Dockerfile");
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "build and runtime stages");
    let user = dockerfile
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert_ne!(user.trim(), "root");
    assert!(dockerfile.contains("HEALTHCHECK"));
    let document: serde_json::Value =
        serde_json::from_str(ai_admin_api::routes::openapi::DOCUMENT).unwrap();
    let health_path = dockerfile
        .split("${PORT}")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the health check calls the app on ${PORT}");
    assert!(
        document["paths"][health_path]["get"].is_object(),
        "{health_path} is a route"
    );
    let exposed = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .unwrap()
        .trim();
    assert_eq!(app_environment(&compose())["PORT"], exposed);
}
