//! The `service_synonyms` table: each salon's words for its services as its clients say
//! them ([`crate::assistant::synonyms`]). The services sync seeds the common ones; the
//! owner's rows and removals are never overwritten by it. The owner's console (its own
//! issue) writes `origin = 'owner'` rows; until then they are written by hand.

use crate::assistant::synonyms::{COMMON, Synonyms};
use sqlx::PgPool;

/// Adds the common synonyms the salon `company_id` does not have yet and brings the
/// untouched common ones up to date; a row the owner added, changed (`origin = 'owner'`)
/// or removed stays as the owner left it. Returns how many rows were written.
pub async fn seed_common(db: &PgPool, company_id: i64) -> anyhow::Result<u64> {
    let common = Synonyms::common();
    let (said, stands_for): (Vec<&str>, Vec<&str>) = common
        .rows()
        .iter()
        .map(|s| (s.said.as_str(), s.stands_for.as_str()))
        .unzip();
    debug_assert_eq!(said.len(), COMMON.len());
    let written = sqlx::query(
        "INSERT INTO service_synonyms (company_id, said, stands_for, origin)
         SELECT $1, r.said, r.stands_for, 'common'
         FROM UNNEST($2::text[], $3::text[]) AS r(said, stands_for)
         ON CONFLICT (company_id, said) DO UPDATE SET
             stands_for = EXCLUDED.stands_for, updated_at = NOW()
         WHERE service_synonyms.origin = 'common' AND NOT service_synonyms.removed
           AND service_synonyms.stands_for <> EXCLUDED.stands_for",
    )
    .bind(company_id)
    .bind(&said)
    .bind(&stands_for)
    .execute(db)
    .await?
    .rows_affected();
    Ok(written)
}

/// The salon's synonyms in use (not removed). A salon never synced has none in the table
/// yet and gets the common ones.
pub async fn load(db: &PgPool, company_id: i64) -> anyhow::Result<Synonyms> {
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT said, stands_for, removed FROM service_synonyms WHERE company_id = $1",
    )
    .bind(company_id)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Ok(Synonyms::common());
    }
    Ok(Synonyms::new(
        rows.into_iter()
            .filter(|(_, _, removed)| !removed)
            .map(|(said, stands_for, _)| (said, stands_for)),
    ))
}
