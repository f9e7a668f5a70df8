//! What can go wrong calling a language model, split by whether trying again can help
//! and whether a second provider should be asked instead.

use std::time::Duration;

/// A failed language-model call (any provider).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No answer within the client's timeout.
    #[error("the language model did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed (DNS, refused, reset, the proxy down).
    #[error("could not reach the language model: {0}")]
    Transport(String),
    /// 429: over the quota for now.
    #[error("language model quota exceeded (429): {message}")]
    RateLimited {
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The provider's message.
        message: String,
    },
    /// 5xx: the provider failed on its side (500, 503 overloaded, 504).
    #[error("language model server error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The provider's message or the start of the body.
        message: String,
    },
    /// The provider refuses requests from where we call it (Gemini's `400
    /// FAILED_PRECONDITION` «User location is not supported»): permanent for this
    /// route, fixed only by a proxy or another provider.
    #[error("the provider refuses this region ({0}): set LLM_PROXY or another provider")]
    RegionRefused(String),
    /// 400, 401, 403, 404 and other 4xx: the request, the key or the model is wrong.
    #[error("the language model rejected the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// An answer without text: blocked by safety filters, or cut before any output.
    #[error("the language model gave no text (finish reason {0})")]
    NoText(String),
    /// A 2xx whose body is not what we expect (not JSON, or stage 1's JSON broken).
    #[error("the language model answered something unexpected: {0}")]
    InvalidResponse(String),
}

impl LlmError {
    /// A failed HTTP answer (not a refused region, which each provider says its own
    /// way): 429 a quota, 5xx the provider's failure, any other status a rejection.
    pub fn from_status(status: u16, retry_after: Option<Duration>, message: String) -> Self {
        match status {
            429 => Self::RateLimited {
                retry_after,
                message,
            },
            500..=599 => Self::Server { status, message },
            _ => Self::Rejected { status, message },
        }
    }

    /// Whether the same call may succeed later, on the workflow's retry schedule: the
    /// provider being away (but for a refused region, which stays refused). A broken
    /// answer is not: see [`LlmError::asks_again_at_once`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RegionRefused(_) => false,
            other => other.is_unavailable(),
        }
    }

    /// Whether the call is asked once more at once: a 2xx whose body is broken (a
    /// model's output varies from call to call). A second broken answer is final — a
    /// client waiting on the reply is not made to wait out a retry schedule for a model
    /// that keeps answering nonsense.
    pub fn asks_again_at_once(&self) -> bool {
        matches!(self, Self::InvalidResponse(_))
    }

    /// Whether the provider is away rather than our request wrong: what a fallback
    /// provider is for (a broken answer is the model's, not the route's).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_)
                | Self::Transport(_)
                | Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::RegionRefused(_)
        )
    }

    /// A short stable name for logs, metrics and Temporal failure types.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Transport(_) => "transport",
            Self::RateLimited { .. } => "rate_limited",
            Self::Server { .. } => "server_error",
            Self::RegionRefused(_) => "region_refused",
            Self::Rejected { .. } => "rejected",
            Self::NoText(_) => "no_text",
            Self::InvalidResponse(_) => "invalid_response",
        }
    }
}

/// `call`, and once more at once when its answer is broken
/// ([`LlmError::asks_again_at_once`]); the second answer is final, whatever it is.
/// `what` names the call in the warning (the span says whose salon).
pub async fn once_more_if_broken<T, F, Fut>(what: &str, mut call: F) -> Result<T, LlmError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, LlmError>>,
{
    match call().await {
        Err(error) if error.asks_again_at_once() => {
            tracing::warn!(%error, "{what} answer broken; asked again");
            call().await
        }
        answered => answered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_broken_answer_is_asked_once_more_and_the_second_is_final() {
        let broken = || LlmError::InvalidResponse("{".into());
        let calls = std::cell::Cell::new(0);
        let asked = once_more_if_broken("test", || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(broken()) }
        })
        .await;
        assert_eq!((asked, calls.get()), (Err(broken()), 2));

        let calls = std::cell::Cell::new(0);
        let asked = once_more_if_broken("test", || {
            calls.set(calls.get() + 1);
            let answer = if calls.get() == 1 {
                Err(broken())
            } else {
                Ok(7)
            };
            async move { answer }
        })
        .await;
        assert_eq!((asked, calls.get()), (Ok(7), 2));

        let calls = std::cell::Cell::new(0);
        let away = LlmError::Transport("refused".into());
        let asked = once_more_if_broken("test", || {
            calls.set(calls.get() + 1);
            let away = away.clone();
            async move { Err::<(), _>(away) }
        })
        .await;
        assert_eq!(
            (asked, calls.get()),
            (Err(away), 1),
            "a provider away waits for the retry schedule"
        );
    }

    #[test]
    fn only_transient_failures_are_retryable_and_a_refused_region_asks_for_a_fallback() {
        let transient = [
            LlmError::Timeout(Duration::from_secs(1)),
            LlmError::Transport("refused".into()),
            LlmError::RateLimited {
                retry_after: None,
                message: String::new(),
            },
            LlmError::Server {
                status: 503,
                message: String::new(),
            },
        ];
        let permanent = [
            LlmError::Rejected {
                status: 400,
                message: String::new(),
            },
            LlmError::NoText("SAFETY".into()),
            LlmError::RegionRefused("User location is not supported".into()),
            LlmError::InvalidResponse("<html>".into()),
        ];
        assert!(transient.iter().all(LlmError::is_retryable));
        assert!(!permanent.iter().any(LlmError::is_retryable));
        let asked_again: Vec<_> = transient
            .iter()
            .chain(&permanent)
            .filter(|e| e.asks_again_at_once())
            .collect();
        assert_eq!(
            asked_again,
            [&LlmError::InvalidResponse("<html>".into())],
            "only a broken answer is asked for again at once"
        );
        assert!(LlmError::RegionRefused(String::new()).is_unavailable());
        assert!(!LlmError::InvalidResponse(String::new()).is_unavailable());
        assert!(
            !LlmError::Rejected {
                status: 401,
                message: String::new()
            }
            .is_unavailable()
        );
    }
}
