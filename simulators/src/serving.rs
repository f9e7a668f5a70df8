//! Serving a simulator on a local port: each simulator is a router over its state, and
//! [`Running`] keeps it serving until it is dropped.

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A simulator serving on a local port; stops when dropped.
#[derive(Debug)]
pub struct Running<S> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, to seed it, inject faults and read what it was asked.
    pub state: S,
    task: JoinHandle<()>,
}

impl<S> Running<S> {
    /// Base URL to point the real client at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl<S> Drop for Running<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `app` (built over `state`) on `listener` until the handle is dropped; `name`
/// says which simulator stopped, should it stop.
pub fn serve<S>(
    listener: TcpListener,
    state: S,
    app: axum::Router,
    name: &'static str,
) -> anyhow::Result<Running<S>> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, simulator = name, "simulator stopped");
        }
    });
    Ok(Running { addr, state, task })
}
