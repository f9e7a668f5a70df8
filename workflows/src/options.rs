//! Activity options shared by several workflows.

use std::time::Duration;
use temporalio_common::{ActivityCloseTimeouts, RetryPolicy};
use temporalio_sdk::ActivityOptions;

/// A short write to PostgreSQL: retried patiently, since the database coming back is only
/// a matter of time.
pub fn database_write() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(30))
                .build(),
        )
        .build()
}

/// A message the bot starts (a reminder, the word after an unanswered handoff): it waits
/// its turn at the salon number's pace for the bot's own messages, and WhatsApp may be
/// away a while, so it is tried for up to `patience`, each try bounded by 30 s.
pub fn patient_send(patience: Duration) -> ActivityOptions {
    ActivityOptions::with_close_timeouts(ActivityCloseTimeouts::ScheduleAndStartToClose {
        schedule_to_close: patience,
        start_to_close: Duration::from_secs(30),
    })
    .retry_policy(
        RetryPolicy::builder()
            .initial_interval(Duration::from_secs(1))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(30))
            .build(),
    )
    .build()
}
