//! The `service_synonyms` table: each salon's words for its services as its clients say
//! them ([`crate::assistant::synonyms`]). The services sync seeds the common ones; the
//! owner's rows and removals are never overwritten by it. The owner's console writes
//! `origin = 'owner'` rows ([`replace_all`]).

use crate::assistant::synonyms::{COMMON, Synonyms};
use sqlx::PgPool;

/// Adds the common synonyms the salon `company_id` does not have yet and brings the
/// untouched common ones up to date; a row the owner added, changed (`origin = 'owner'`)
/// or removed stays as the owner left it. Returns how many rows were written.
pub async fn seed_common(db: impl sqlx::PgExecutor<'_>, company_id: i64) -> anyhow::Result<u64> {
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

/// One synonym as the owner's console shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SynonymRow {
    /// The client's word (lower case, `ё` as `е`).
    pub said: String,
    /// What the salon's titles say.
    pub stands_for: String,
    /// `common` (seeded) or `owner`.
    pub origin: String,
}

/// The salon's synonyms in use, alphabetically: what [`load`] gives matching (the
/// common ones for a salon never seeded).
pub async fn in_use(db: &PgPool, company_id: i64) -> anyhow::Result<Vec<SynonymRow>> {
    let stored: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT said, stands_for, origin, removed FROM service_synonyms
         WHERE company_id = $1 ORDER BY said",
    )
    .bind(company_id)
    .fetch_all(db)
    .await?;
    if stored.is_empty() {
        let mut common: Vec<SynonymRow> = Synonyms::common()
            .rows()
            .iter()
            .map(|s| SynonymRow {
                said: s.said.clone(),
                stands_for: s.stands_for.clone(),
                origin: "common".to_owned(),
            })
            .collect();
        common.sort_by(|a, b| a.said.cmp(&b.said));
        return Ok(common);
    }
    Ok(stored
        .into_iter()
        .filter(|(_, _, _, removed)| !removed)
        .map(|(said, stands_for, origin, _)| SynonymRow {
            said,
            stands_for,
            origin,
        })
        .collect())
}

/// Makes `wanted` (said → stands for, already checked) the salon's whole list: a pair
/// that differs from what is stored becomes the owner's; a stored row not wanted is
/// removed (kept as removed, so seeding does not bring it back). Run it in the
/// caller's transaction.
pub async fn replace_all(
    db: &mut sqlx::PgConnection,
    company_id: i64,
    wanted: &[(String, String)],
) -> anyhow::Result<()> {
    let (said, stands_for): (Vec<&str>, Vec<&str>) = wanted
        .iter()
        .map(|(said, stands_for)| (said.as_str(), stands_for.as_str()))
        .unzip();
    // A salon never seeded gets the common rows first, so removing one sticks.
    seed_common(&mut *db, company_id).await?;
    sqlx::query(
        "UPDATE service_synonyms SET removed = true, updated_at = NOW()
         WHERE company_id = $1 AND NOT removed AND NOT (said = ANY($2::text[]))",
    )
    .bind(company_id)
    .bind(&said)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "INSERT INTO service_synonyms (company_id, said, stands_for, origin)
         SELECT $1, r.said, r.stands_for, 'owner'
         FROM UNNEST($2::text[], $3::text[]) AS r(said, stands_for)
         ON CONFLICT (company_id, said) DO UPDATE SET
             stands_for = EXCLUDED.stands_for, origin = 'owner', removed = false,
             updated_at = NOW()
         WHERE service_synonyms.removed
            OR service_synonyms.stands_for <> EXCLUDED.stands_for",
    )
    .bind(company_id)
    .bind(&said)
    .bind(&stands_for)
    .execute(&mut *db)
    .await?;
    Ok(())
}
