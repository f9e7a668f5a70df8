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
    target: String,
    tasks: Arc<Mutex<JoinSet<()>>>,
    accept: Mutex<AbortHandle>,
}

impl TcpProxy {
    /// Forwards `127.0.0.1:<port>` to `target` (`host:port`).
    pub async fn start(target: &str) -> std::io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let accept = Self::accept_loop(listener, target.to_owned(), tasks.clone());
        Ok(TcpProxy {
            port,
            target: target.to_owned(),
            tasks,
            accept: Mutex::new(accept),
        })
    }

    /// Listens again on the same port after [`Self::stop`]: the dependency is back.
    pub async fn resume(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let accept = Self::accept_loop(listener, self.target.clone(), self.tasks.clone());
        *self.accept.lock().unwrap_or_else(|p| p.into_inner()) = accept;
        Ok(())
    }

    fn accept_loop(
        listener: TcpListener,
        target: String,
        connections: Arc<Mutex<JoinSet<()>>>,
    ) -> AbortHandle {
        tokio::spawn(async move {
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
        .abort_handle()
    }

    /// The local port to connect to instead of the target.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening and cuts every forwarded connection.
    pub fn stop(&self) {
        self.accept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort();
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
