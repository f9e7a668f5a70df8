//! Where a gateway puts what clients write before WhatsApp is told it arrived.
//!
//! WhatsApp delivers a message until the receiving device acknowledges it, and the
//! acknowledgement is final: a message acknowledged and then lost is lost for good.
//! So a gateway hands each batch of incoming messages to the [`InboundLedger`] and
//! acknowledges it only once [`InboundLedger::record`] returned `Ok` (the rows are
//! committed); on an error it does not acknowledge, and WhatsApp delivers the batch
//! again later. The live gateway does this in whatsapp-rust's inbound durability
//! hook; the simulator plays the same contract (a message is not delivered until
//! recorded, and is delivered again until it is).

use super::IncomingMessage;

/// The durable record of incoming messages (the `inbound_messages` ledger).
#[async_trait::async_trait]
pub trait InboundLedger: Send + Sync + std::fmt::Debug {
    /// Records the batch, in order, all or nothing: each message once per (session,
    /// WhatsApp id), an edit applied to the text it edits, a deletion to the message it
    /// deletes. Returns once committed.
    async fn record(&self, messages: &[IncomingMessage]) -> anyhow::Result<()>;
}
