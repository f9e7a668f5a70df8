//! Servers a fault scenario owns, so it can stop and restart them without touching the
//! ones every other test shares: a Temporal dev server persisting to a SQLite file (its
//! state survives the restart) and a PostgreSQL cluster. `scripts/test` says where their
//! binaries are (`TEST_TEMPORAL_CLI`, `TEST_PG_BIN`) and where they may live
//! (`TEST_SERVICES_DIR`).

use crate::{eventually, required_env};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(required_env("TEST_SERVICES_DIR"))
        .join(format!("{name}-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("create the service directory");
    dir
}

/// A free port below Linux's ephemeral range (32768–60999), where the `bind(0)` ports
/// other tests take never land: the server can stop and start on it again without
/// another test grabbing it in between.
fn stable_port() -> u16 {
    loop {
        let port = rand::random_range(20_000..30_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

async fn wait_for_port(port: u16, what: &str) {
    eventually(Duration::from_secs(60), what, || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
            .map(drop)
    })
    .await;
}

/// A Temporal dev server of one scenario, with its state in a file.
pub struct OwnTemporal {
    port: u16,
    http_port: u16,
    metrics_port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnTemporal {
    /// Starts the server on a free port and waits until it answers.
    pub async fn start() -> Self {
        let mut server = Self {
            port: stable_port(),
            http_port: stable_port(),
            metrics_port: stable_port(),
            dir: scratch_dir("temporal"),
            child: None,
        };
        server.start_again().await;
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM, then waits); its state stays in the file.
    pub async fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            crate::terminate_child(child, Duration::from_secs(30)).await;
        }
    }

    /// Starts the server again on the same port and file.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("temporal.log"))
            .expect("open the Temporal log");
        let child = Command::new(required_env("TEST_TEMPORAL_CLI"))
            .args(["server", "start-dev", "--ip", "127.0.0.1", "--headless"])
            .args(["--port", &self.port.to_string()])
            .args(["--http-port", &self.http_port.to_string()])
            .args(["--metrics-port", &self.metrics_port.to_string()])
            .args(["--log-level", "warn", "--db-filename"])
            .arg(self.dir.join("temporal.db"))
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .expect("start the Temporal dev server");
        self.child = Some(child);
        wait_for_port(self.port, "the scenario's Temporal server to listen").await;
        let config = ai_admin_temporal::TemporalConfig {
            address: self.address(),
            namespace: "default".into(),
            task_queue: "unused".into(),
            ui_url: "http://127.0.0.1:8233".into(),
        };
        eventually(
            Duration::from_secs(60),
            "the scenario's Temporal server to answer",
            || async { ai_admin_temporal::connection::connect(&config).await.ok() },
        )
        .await;
    }
}

impl Drop for OwnTemporal {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A PostgreSQL cluster of one scenario (trust auth, user postgres).
pub struct OwnPostgres {
    port: u16,
    dir: PathBuf,
    running: bool,
}

/// `pg_ctl`/`initdb` as the postgres user when we are root (they refuse root).
fn pg_command(tool: &str) -> Command {
    let binary = Path::new(&required_env("TEST_PG_BIN")).join(tool);
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"));
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl OwnPostgres {
    /// Creates and starts a cluster on a free port.
    pub async fn start() -> Self {
        let dir = scratch_dir("postgres");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).expect("create the data directory");
        let _ = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&dir)
            .status();
        let mut initdb = pg_command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        run(initdb, "initdb");
        let mut server = Self {
            port: stable_port(),
            dir,
            running: false,
        };
        server.start_again().await;
        server
    }

    /// A server URL (database `postgres`) on which databases can be created.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut command = pg_command("pg_ctl");
        command.arg("-D").arg(self.dir.join("data")).args(args);
        command
    }

    /// Stops the server (fast: open connections are cut), as a restart does.
    pub fn stop(&mut self) {
        run(self.pg_ctl(&["-m", "fast", "-w", "stop"]), "pg_ctl stop");
        self.running = false;
    }

    /// Starts the server again on the same port.
    pub async fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let mut start = self.pg_ctl(&["-w", "-t", "60", "-o", &options, "-l"]);
        start.arg(&log).arg("start");
        run(start, "pg_ctl start");
        self.running = true;
        wait_for_port(self.port, "the scenario's PostgreSQL to listen").await;
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.running {
            let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]).output();
        }
    }
}
