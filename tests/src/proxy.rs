//! A TCP forwarder between the app and one of its dependencies. Stopping it refuses new
//! connections and cuts the open ones, which is what the app sees when that dependency
//! goes down.

use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};

/// A running forwarder.
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    tasks: Arc<Mutex<JoinSet<()>>>,
    accept: AbortHandle,
}

impl TcpProxy {
    /// Forwards `127.0.0.1:<port>` to `target` (`host:port`).
    pub async fn start(target: &str) -> std::io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let target = target.to_owned();
        let connections = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let mut set = connections.lock().unwrap_or_else(|p| p.into_inner());
                set.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        })
        .abort_handle();
        Ok(TcpProxy {
            port,
            tasks,
            accept,
        })
    }

    /// The local port to connect to instead of the target.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening and cuts every forwarded connection.
    pub fn stop(&self) {
        self.accept.abort();
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop();
    }
}
