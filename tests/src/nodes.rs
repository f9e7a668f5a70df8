//! More `ai-admin serve` processes beside a separate-process test app, sharing its
//! database, Temporal and data directory but with their own `NODE_ID` and roles: the
//! scale-out deployment in miniature (e.g. API + worker in one process, two gateway
//! nodes in others).

use crate::{TestApp, free_port, output_dir, spawn_process};
use std::time::Duration;

/// One extra process; killed when dropped.
pub struct NodeProcess {
    /// Its `NODE_ID`.
    pub node_id: String,
    /// Where its health endpoint answers.
    pub address: String,
    child: Option<std::process::Child>,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl NodeProcess {
    /// SIGKILL, as a crash or an OOM kill would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the node");
            child.wait().expect("reap the node");
        }
    }

    /// SIGTERM, as an orchestrator scaling down does; waits for the exit.
    pub async fn terminate(&mut self, patience: Duration) -> std::process::ExitStatus {
        let process = self.child.take().expect("the node is running");
        crate::terminate_child(process, patience).await
    }
}

impl TestApp {
    /// Starts another process of this deployment as `node_id` with `roles` (e.g.
    /// `"gateway"`) and waits until it is healthy. The app must run as a separate process.
    pub async fn spawn_node(&self, node_id: &str, roles: &str) -> NodeProcess {
        let mut env = self.process_env();
        let port = free_port();
        for (name, value) in &mut env {
            match name.as_str() {
                "NODE_ID" => *value = node_id.to_owned(),
                "PORT" => *value = port.to_string(),
                _ => {}
            }
        }
        env.retain(|(name, _)| name != "AI_ADMIN_ROLES");
        env.push(("AI_ADMIN_ROLES".to_owned(), roles.to_owned()));
        let log = output_dir("processes").join(format!("{}-{node_id}.log", self.db_name()));
        let child = spawn_process(&env, &log);
        let node = NodeProcess {
            node_id: node_id.to_owned(),
            address: format!("http://127.0.0.1:{port}"),
            child: Some(child),
        };
        let what = format!("node {node_id} (log: {})", log.display());
        self.wait_for_health(&node.address, &what).await;
        node
    }
}
