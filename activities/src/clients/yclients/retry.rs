//! Bounded retries for YClients calls made outside Temporal (the registration redirect,
//! where an owner's browser is waiting) and for single page reads inside a paged sync.
//! Otherwise, inside workflows, activity retry policies do this job.

use super::YClientsError;
use std::future::Future;
use std::time::Duration;

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time.
    pub initial_backoff: Duration,
    /// Upper bound on one wait, also applied to a server's `Retry-After`.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// For a request a person is waiting on: four attempts within about two seconds.
    pub const INTERACTIVE: RetryPolicy = RetryPolicy {
        attempts: 4,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
    };

    /// For one page of a paged sync (a read): four attempts within about four seconds;
    /// past that the activity's own retry policy takes over.
    pub const PAGE: RetryPolicy = RetryPolicy {
        attempts: 4,
        initial_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(2),
    };
}

/// Runs `call` until it succeeds, fails with a non-retryable error, or the attempts run
/// out; the last error is returned.
pub async fn with_retries<T, F, Fut>(policy: RetryPolicy, mut call: F) -> Result<T, YClientsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, YClientsError>>,
{
    let mut backoff = policy.initial_backoff;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) if error.is_retryable() && attempt < policy.attempts => {
                let wait = match &error {
                    YClientsError::RateLimited {
                        retry_after: Some(after),
                    } => *after,
                    _ => backoff,
                }
                .min(policy.max_backoff);
                tracing::warn!(attempt, error = %error, ?wait, "YClients call failed, retrying");
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(policy.max_backoff);
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_then_succeeds() {
        let calls = AtomicU32::new(0);
        let result = with_retries(RetryPolicy::INTERACTIVE, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(YClientsError::Server {
                    status: 500,
                    message: String::new(),
                }),
                _ => Ok("done"),
            }
        })
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_permanent_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(RetryPolicy::INTERACTIVE, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(YClientsError::NotFound)
        })
        .await;
        assert_eq!(result, Err(YClientsError::NotFound));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_last_attempt() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(RetryPolicy::INTERACTIVE, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(YClientsError::Transport("refused".into()))
        })
        .await;
        assert!(matches!(result, Err(YClientsError::Transport(_))));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            RetryPolicy::INTERACTIVE.attempts
        );
    }
}
