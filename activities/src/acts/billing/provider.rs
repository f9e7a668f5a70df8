//! How a salon pays us: the seam between AI Admin and a payment provider. YClients only
//! hears about a payment after it is taken (`POST /marketplace/partner/payment`); taking
//! it is the provider's job.
//!
//! [`ManualProvider`] is the one built in: the money arrives outside AI Admin (a bank
//! transfer, an invoice) and ops record it with `POST /ops/salons/{id}/payments`. A real
//! provider (a card acquirer, say) implements [`PaymentProvider`]: `charge` asks it to
//! take the money and returns its reference, `refund` gives it back. Its confirmations
//! (a provider webhook) then go through the same path as the ops endpoint — record the
//! payment under the provider's own id as the idempotency key, then start
//! `payment-<salon_id>-<id>` — so YClients hears of each payment once whichever way it came.

use async_trait::async_trait;

/// A payment to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The salon paying.
    pub salon_id: i64,
    /// Minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// Ours: a provider that supports one gets it, so a repeated charge is one charge.
    pub idempotency_key: String,
}

/// What the provider says about a payment it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's name, stored with the payment (`manual`, …).
    pub provider: String,
    /// The provider's id of the payment, when it has one.
    pub reference: Option<String>,
}

/// A provider's refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused (card declined, refund not allowed).
    #[error("the payment provider refused: {0}")]
    Refused(String),
    /// The provider could not be reached or failed; the same call may work later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

/// Takes and refunds salons' payments.
#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// Takes the payment (or confirms it was taken).
    async fn charge(&self, charge: &Charge) -> Result<Receipt, ProviderError>;

    /// Gives the payment back.
    async fn refund(&self, receipt: &Receipt, amount_minor: i64) -> Result<(), ProviderError>;
}

/// Payments taken outside AI Admin and recorded by ops: nothing to call.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualProvider;

#[async_trait]
impl PaymentProvider for ManualProvider {
    async fn charge(&self, _charge: &Charge) -> Result<Receipt, ProviderError> {
        Ok(Receipt {
            provider: "manual".to_owned(),
            reference: None,
        })
    }

    async fn refund(&self, _receipt: &Receipt, _amount_minor: i64) -> Result<(), ProviderError> {
        // The money goes back the way it came, by ops; only YClients is told here.
        Ok(())
    }
}
