//! How activity errors reach Temporal: transient YClients failures are retryable, the
//! rest are non-retryable application failures named `YClients:<kind>`, so a workflow's
//! retry policy never repeats a request that cannot succeed.

use crate::clients::yclients::YClientsError;
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

/// The activity error for a failed YClients call.
pub fn yclients(error: YClientsError) -> ActivityError {
    if error.is_retryable() {
        let delay = match &error {
            YClientsError::RateLimited { retry_after } => *retry_after,
            _ => None,
        };
        return ActivityError::application(
            ApplicationFailure::builder(error)
                .type_name("YClients:transient".to_owned())
                .maybe_next_retry_delay(delay)
                .build(),
        );
    }
    let kind = format!("YClients:{}", error.kind());
    ActivityError::application(
        ApplicationFailure::builder(error)
            .type_name(kind)
            .non_retryable(true)
            .build(),
    )
}

/// A permanent failure with a message for the owner and ops.
pub fn permanent(type_name: &str, message: impl Into<String>) -> ActivityError {
    let message: String = message.into();
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(type_name.to_owned())
            .non_retryable(true)
            .build(),
    )
}

/// A failure the same call may get past later (the workflow's retry policy retries it).
pub fn retryable(type_name: &str, message: impl Into<String>) -> ActivityError {
    let message: String = message.into();
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(type_name.to_owned())
            .build(),
    )
}

/// The activity error for a failed language-model call: 429, 5xx and timeouts are
/// retried (after `Retry-After` when the provider sent one); a rejected request, a
/// refused region, a blocked answer and a broken answer (already asked for again at once
/// by the caller, [`crate::clients::llm::LlmError::asks_again_at_once`]) are not.
pub fn llm(error: crate::clients::llm::LlmError) -> ActivityError {
    use crate::clients::llm::LlmError;
    let retryable = error.is_retryable();
    let delay = match &error {
        LlmError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    };
    let kind = format!("LLM:{}", error.kind());
    ActivityError::application(
        ApplicationFailure::builder(error)
            .type_name(kind)
            .non_retryable(!retryable)
            .maybe_next_retry_delay(delay)
            .build(),
    )
}

/// The activity error for a failed WhatsApp call: an unlinked number and a refusal are
/// final (asking again gets the same answer), and so is anything else the gateway does
/// not call retryable (named `failed`); the rest is retried.
pub fn whatsapp(error: crate::whatsapp::GatewayError, failed: &str) -> ActivityError {
    use crate::whatsapp::GatewayError;
    match error {
        GatewayError::NotLinked(_) | GatewayError::NoSession(_) => {
            permanent("NotLinked", error.to_string())
        }
        GatewayError::Refused(_) => permanent("Refused", error.to_string()),
        other if !other.is_retryable() => permanent(failed, other.to_string()),
        other => anyhow::Error::new(other).into(),
    }
}
