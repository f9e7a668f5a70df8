//! What each sync part fetches and writes. Lists that come in one answer are written in
//! batches of [`BATCH`]; paged lists are written a page at a time, several pages in
//! flight, and the first page not yet stored is heartbeated so a retry resumes there.

use super::convert::{self, dedup_by_key};
use super::{PartInput, PartReport, SyncActivities, SyncPart};
use crate::acts::failure;
use crate::clients::yclients::retry::{RetryPolicy, with_retries};
use crate::clients::yclients::{Page, YClientsError};
use crate::db::unseen::{self, SyncedTable};
use crate::db::{bookings, catalog, clients, companies, schedules, staff};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use futures::StreamExt as _;
use std::future::Future;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Rows per upsert statement for lists that arrive whole.
const BATCH: usize = 1000;
/// Clients and records per page (YClients allows at most 200 clients a page).
const PAGE_SIZE: u32 = 200;
/// Days of working hours and bookings ahead, and of visits back.
const WINDOW_DAYS: u64 = 30;

pub(super) async fn run(
    acts: &SyncActivities,
    ctx: &ActivityContext,
    input: &PartInput,
    part: SyncPart,
) -> Result<PartReport, ActivityError> {
    let salon_id = input.salon_id;
    let company = companies::find_by_salon(&acts.db, salon_id)
        .await?
        .ok_or_else(|| {
            failure::permanent(
                "SalonNotRegistered",
                format!("salon {salon_id} is not registered"),
            )
        })?;
    let zone = company.zone();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let company_id = company.id;
    let synced_at = input.synced_at;
    let yc = &acts.yclients;
    let db = &acts.db;
    let mut report = PartReport {
        part,
        rows: 0,
        deactivated: 0,
        requests: 0,
    };
    match part {
        SyncPart::Company => {
            let fresh = yc.company(salon_id).await.map_err(failure::yclients)?;
            report.requests = 1;
            report.rows = u64::from(
                companies::update_from_yclients(db, salon_id, &fresh)
                    .await?
                    .is_some(),
            );
        }
        SyncPart::Services => {
            report = services(acts, salon_id, company_id, synced_at).await?;
        }
        SyncPart::Staff => {
            report = staff(acts, salon_id, company_id, synced_at).await?;
        }
        SyncPart::Clients => {
            let (rows, requests) = paged(
                ctx,
                |page| yc.clients_page(salon_id, page, PAGE_SIZE),
                |items| async move {
                    let rows = dedup_by_key(
                        items
                            .iter()
                            .filter_map(|c| convert::client(c, zone))
                            .collect(),
                        |row| row.yclients_id,
                    );
                    clients::upsert(db, company_id, &rows, synced_at).await
                },
            )
            .await?;
            report.rows = rows;
            report.requests = requests;
            report.deactivated =
                unseen::deactivate(db, SyncedTable::Clients, company_id, synced_at).await?;
        }
        SyncPart::Schedules | SyncPart::SchedulesToday => {
            let days = if part == SyncPart::Schedules {
                WINDOW_DAYS
            } else {
                2
            };
            let last = today + Days::new(days - 1);
            let staff_days = yc
                .staff_schedule(salon_id, today, last)
                .await
                .map_err(failure::yclients)?;
            report.requests = 1;
            let rows = dedup_by_key(
                staff_days.iter().flat_map(convert::intervals).collect(),
                |row| (row.staff_yclients_id, row.date, row.time_start),
            );
            for batch in rows.chunks(BATCH) {
                report.rows += schedules::upsert(db, company_id, batch, synced_at).await?;
            }
            report.deactivated =
                schedules::close_unseen(db, company_id, today, last, synced_at).await?;
        }
        SyncPart::Visits | SyncPart::Bookings => {
            let (first, last) = if part == SyncPart::Visits {
                (today - Days::new(WINDOW_DAYS), today - Days::new(1))
            } else {
                (today, today + Days::new(WINDOW_DAYS))
            };
            let (rows, requests) = paged(
                ctx,
                |page| yc.records_page(salon_id, page, PAGE_SIZE, first, last),
                |items| async move {
                    let rows = dedup_by_key(
                        items
                            .iter()
                            .filter_map(|r| convert::booking(r, zone))
                            .collect(),
                        |row| row.yclients_id,
                    );
                    bookings::upsert(db, company_id, &rows, synced_at).await
                },
            )
            .await?;
            report.rows = rows;
            report.requests = requests;
            let from = start_of(first, zone);
            let to = start_of(last + Days::new(1), zone);
            report.deactivated =
                bookings::delete_unseen(db, company_id, from, to, synced_at).await?;
        }
    }
    Ok(report)
}

/// Categories and services, whole (one answer each).
pub(crate) async fn services(
    acts: &SyncActivities,
    salon_id: crate::domain::SalonId,
    company_id: i64,
    synced_at: chrono::DateTime<Utc>,
) -> Result<PartReport, ActivityError> {
    let (db, yc) = (&acts.db, &acts.yclients);
    let categories = yc
        .service_categories(salon_id)
        .await
        .map_err(failure::yclients)?;
    let services = yc.services(salon_id).await.map_err(failure::yclients)?;
    let mut report = PartReport {
        part: SyncPart::Services,
        rows: 0,
        deactivated: 0,
        requests: 2,
    };
    let categories = dedup_by_key(
        categories.iter().filter_map(convert::category).collect(),
        |row| row.yclients_id,
    );
    let who_does: Vec<(i64, Vec<i64>)> = services
        .iter()
        .map(|s| (s.id, s.staff.iter().map(|m| m.id).collect()))
        .collect();
    let services = dedup_by_key(
        services.iter().filter_map(convert::service).collect(),
        |row| row.yclients_id,
    );
    for batch in categories.chunks(BATCH) {
        report.rows += catalog::upsert_categories(db, company_id, batch, synced_at).await?;
    }
    for batch in services.chunks(BATCH) {
        report.rows += catalog::upsert_services(db, company_id, batch, synced_at).await?;
    }
    for batch in who_does.chunks(BATCH) {
        catalog::replace_staff_services(db, company_id, batch).await?;
    }
    for table in [SyncedTable::ServiceCategories, SyncedTable::Services] {
        report.deactivated += unseen::deactivate(db, table, company_id, synced_at).await?;
    }
    // The salon's words for its services; the services themselves are synced already,
    // so a failure here is logged, not a failed sync.
    if let Err(error) = crate::db::synonyms::seed_common(db, company_id).await {
        tracing::warn!(company_id, error = %error, "common synonyms not seeded");
    }
    Ok(report)
}

/// Masters, whole (one answer).
pub(crate) async fn staff(
    acts: &SyncActivities,
    salon_id: crate::domain::SalonId,
    company_id: i64,
    synced_at: chrono::DateTime<Utc>,
) -> Result<PartReport, ActivityError> {
    let masters = acts
        .yclients
        .staff(salon_id)
        .await
        .map_err(failure::yclients)?;
    let rows = dedup_by_key(masters.iter().filter_map(convert::staff).collect(), |row| {
        row.yclients_id
    });
    let mut report = PartReport {
        part: SyncPart::Staff,
        rows: 0,
        deactivated: 0,
        requests: 1,
    };
    for batch in rows.chunks(BATCH) {
        report.rows += staff::upsert(&acts.db, company_id, batch, synced_at).await?;
    }
    report.deactivated =
        unseen::deactivate(&acts.db, SyncedTable::Staff, company_id, synced_at).await?;
    Ok(report)
}

fn start_of(day: NaiveDate, zone: Tz) -> chrono::DateTime<Utc> {
    zone.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |at| at.with_timezone(&Utc),
        )
}

/// Pages fetched and written at once when the total is known. The shared rate limiter
/// still spaces the requests, so this only helps when YClients is fast.
const PAGES_IN_FLIGHT: usize = 4;

/// Fetches pages from the one after the last heartbeated (1 on a first attempt) and writes
/// each. Once the first page tells the total, the rest are fetched and written
/// [`PAGES_IN_FLIGHT`] at a time, completed in order, so the heartbeat always names the
/// first page not yet stored and a retry resumes there. Returns rows written and
/// requests made.
async fn paged<T, F, FFut, W, WFut>(
    ctx: &ActivityContext,
    fetch: F,
    write: W,
) -> Result<(u64, u32), ActivityError>
where
    F: Fn(u32) -> FFut,
    FFut: Future<Output = Result<Page<T>, YClientsError>>,
    W: Fn(Vec<T>) -> WFut,
    WFut: Future<Output = anyhow::Result<u64>>,
{
    // A page is a read: a failed one is tried again in place (briefly) rather than
    // failing the attempt, so a flapping YClients cannot stall a long paged sync on the
    // activity's growing backoff.
    let read = &fetch;
    let fetch = move |page: u32| with_retries(RetryPolicy::PAGE, move || read(page));
    let first_page = ctx
        .heartbeat_details()
        .deserialize::<u32>()
        .ok()
        .flatten()
        .unwrap_or(1)
        .max(1);
    if first_page > 1 {
        tracing::info!(page = first_page, "resuming a paged sync");
    }
    let first = fetch(first_page).await.map_err(failure::yclients)?;
    let mut requests = 1;
    let total = first.total;
    let first_full = first.items.len() == PAGE_SIZE as usize;
    let mut rows = write(first.items).await?;
    ctx.record_heartbeat(first_page + 1)
        .await
        .map_err(anyhow::Error::from)?;
    if !first_full {
        return Ok((rows, requests));
    }
    let Some(total) = total else {
        // No total: one page after another until a short one.
        let mut page = first_page + 1;
        loop {
            let current = fetch(page).await.map_err(failure::yclients)?;
            requests += 1;
            let full = current.items.len() == PAGE_SIZE as usize;
            rows += write(current.items).await?;
            ctx.record_heartbeat(page + 1)
                .await
                .map_err(anyhow::Error::from)?;
            if !full {
                return Ok((rows, requests));
            }
            page += 1;
        }
    };
    let last_page = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE))).unwrap_or(u32::MAX);
    let fetch = &fetch;
    let write = &write;
    let mut pages = futures::stream::iter((first_page + 1)..=last_page)
        .map(|page| async move {
            let current = fetch(page).await.map_err(failure::yclients)?;
            let written = write(current.items).await?;
            Ok::<_, ActivityError>((page, written))
        })
        .buffered(PAGES_IN_FLIGHT);
    while let Some(done) = pages.next().await {
        let (page, written) = done?;
        requests += 1;
        rows += written;
        ctx.record_heartbeat(page + 1)
            .await
            .map_err(anyhow::Error::from)?;
    }
    Ok((rows, requests))
}
