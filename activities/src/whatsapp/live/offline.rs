//! WhatsApp with the network down: the crate's transport and HTTP client replaced by
//! ones that always fail, so a bot opens its store and then sits in reconnect backoff.
//! For tests of everything around the protocol (stores, their hand-over, events).

use super::{LINK_WAIT, LiveGateway, network};
use std::path::PathBuf;
use std::sync::Arc;
use whatsapp_rust::async_channel;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse};
use whatsapp_rust::transport::{Transport, TransportEvent, TransportFactory};

/// The WhatsApp Web version announced instead of fetching the current one.
pub(super) const VERSION: (u32, u32, u32) = (2, 3000, 1_026_131_876);

/// The crate's network pieces with the network down.
#[derive(Debug, Clone, Copy)]
pub struct NetworkDown;

#[async_trait::async_trait]
impl TransportFactory for NetworkDown {
    async fn create_transport(
        &self,
    ) -> anyhow::Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        anyhow::bail!("network is down")
    }
}

#[async_trait::async_trait]
impl HttpClient for NetworkDown {
    async fn execute(&self, _request: HttpRequest) -> anyhow::Result<HttpResponse> {
        anyhow::bail!("network is down")
    }
}

impl LiveGateway {
    /// A gateway keeping its stores in `dir` whose bots never reach WhatsApp.
    pub fn offline(dir: impl Into<PathBuf>) -> Self {
        Self::build(
            dir.into(),
            Some(network(NetworkDown, NetworkDown, VERSION)),
            LINK_WAIT,
        )
    }
}
