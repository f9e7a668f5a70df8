//! PostgreSQL: the pool, the embedded migrations, and one module per table that owns
//! its SQL (the `*_views` modules read across tables for one reader: the assistant, the
//! console).

pub mod assistant_views;
pub mod bookings;
pub mod catalog;
pub mod clients;
pub mod companies;
pub mod console_sessions;
pub mod console_views;
pub mod conversations;
pub mod erasure;
pub mod events;
pub mod inbound;
pub mod leases;
pub mod live_events;
pub mod outbound;
pub mod overview;
pub mod payments;
pub mod schedules;
pub mod session_stores;
pub mod settings;
pub mod staff;
pub mod synonyms;
pub mod turns;
pub mod unseen;
pub mod webhook_inbox;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// The SQL migrations in `migrations/`, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens a pool. Connections are made lazily, so start-up does not fail while the
/// database is still starting; a query waits at most `acquire_timeout` for one.
pub fn connect_lazy(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    use anyhow::Context as _;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    use anyhow::Context as _;
    MIGRATOR
        .run(pool)
        .await
        .context("Failed to apply database migrations")
}

/// Rows deleted by one statement of a prune, so a big backlog never holds long locks.
const PRUNE_BATCH: i64 = 5_000;

/// Runs a prune statement until it deletes fewer than a batch; returns the rows deleted.
/// `sql` takes the age in seconds as `$1` and the batch size as `$2`.
pub(crate) async fn delete_in_batches(
    db: &PgPool,
    sql: &'static str,
    older_than: Duration,
) -> anyhow::Result<u64> {
    let mut deleted = 0;
    loop {
        let done = sqlx::query(sql)
            .bind(older_than.as_secs_f64())
            .bind(PRUNE_BATCH)
            .execute(db)
            .await?
            .rows_affected();
        deleted += done;
        if done < PRUNE_BATCH as u64 {
            return Ok(deleted);
        }
    }
}
