//! `CREATE_BOOKING`: check, then book, with an `api_id` that makes a retry harmless.
//! YClients does not deduplicate by `api_id`, so before booking the salon's records of
//! that day are searched for it: a retried activity whose first attempt did book finds
//! its record and reports it instead of booking again. A taken time offers the nearest
//! free times instead of failing.

use super::lookup::{
    CommandResult, Salon, day_off, find_day, find_service, find_staff_for, refused_by_yclients,
    when_text, within_horizon,
};
use crate::acts::sync::convert;
use crate::assistant::catalog::ServiceInfo;
use crate::assistant::dates::day_text;
use crate::clients::yclients::types::RecordService;
use crate::clients::yclients::{Appointment, BookingRequest, Record, YClientsError};
use crate::db::{bookings, clients};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde_json::json;

const NAME: &str = "CREATE_BOOKING";
/// Alternatives offered for a taken time.
const ALTERNATIVES: usize = 4;

/// Who is booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booker {
    /// Digits.
    pub phone: String,
    /// As known (WhatsApp name or what they told us).
    pub name: String,
    /// Upcoming visits the bot may have booked for this client at once.
    pub max_upcoming: u32,
}

/// What the client asked for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// Service as named.
    pub service: &'a str,
    /// Day as named.
    pub date: &'a str,
    /// Time as named.
    pub time: &'a str,
    /// Master as named; any when absent.
    pub staff: Option<&'a str>,
}

fn local_rfc3339(day: NaiveDate, time: NaiveTime, zone: Tz) -> Option<String> {
    day.and_time(time)
        .and_local_timezone(zone)
        .earliest()
        .map(|at| at.to_rfc3339())
}

/// YClients refused (or is away): what to tell the client, in the words of the command.
pub(super) fn unavailable(error: YClientsError, command: &str) -> anyhow::Result<CommandResult> {
    let apology = match command {
        "CANCEL_BOOKING" => "Не получилось отменить запись",
        "RESCHEDULE_BOOKING" => "Не получилось перенести запись",
        "CONFIRM_BOOKING" => "Не получилось подтвердить запись",
        _ => "Не получилось записать",
    };
    refused_by_yclients(error, command, apology)
}

/// Books the visit `wanted` for `booker`; `api_id` must be the same on every retry of
/// the same step.
pub async fn create_booking(
    salon: Salon<'_>,
    zone: Tz,
    booker: &Booker,
    wanted: Wanted<'_>,
    api_id: &str,
) -> anyhow::Result<CommandResult> {
    // A booking takes a generic word as the client's own usual service only: the salon's
    // most booked one is a guess to offer times for, not to book.
    let service = match find_service(
        salon.catalog,
        Some(wanted.service),
        NAME,
        &salon.preferred(false),
    ) {
        Ok(service) => service,
        Err(ask) => return Ok(ask),
    };
    let master = match find_staff_for(salon.catalog, wanted.staff, service, NAME) {
        Ok(master) => master,
        Err(ask) => return Ok(ask),
    };
    let day = match find_day(Some(wanted.date), salon.today, NAME) {
        Ok(day) => day,
        Err(ask) => return Ok(ask),
    };
    let Some(time) = crate::assistant::dates::resolve_time(wanted.time) else {
        return Ok(ask(format!(
            "Не поняла время «{}» — напишите, например, 15:00.",
            wanted.time
        )));
    };
    if let Err(answer) = within_horizon(&salon, day, NAME) {
        return Ok(answer);
    }
    let Some(datetime) = local_rfc3339(day, time, zone) else {
        return Ok(ask(
            "Такого времени в этот день нет — выберите другое.".to_owned()
        ));
    };

    // A retry after a booking that went through finds its record.
    if let Some(record) = booked_before(salon, day, api_id).await? {
        return confirmed(salon, zone, service, record).await;
    }
    let booked =
        bookings::upcoming_booked_by_bot(salon.db, salon.company_id, &booker.phone).await?;
    if booked >= i64::from(booker.max_upcoming) {
        return Ok(ask(format!(
            "У вас уже {booked} предстоящих записи через бота — это наибольшее число. Чтобы записаться ещё, напишите администратору или перенесите одну из записей."
        )));
    }

    let appointment = Appointment {
        id: 1,
        services: vec![service.yclients_id],
        staff_id: master.map_or(0, |m| m.yclients_id),
        datetime,
    };
    let taken = match salon
        .yclients
        .check_booking(salon.salon_id, std::slice::from_ref(&appointment))
        .await
    {
        Ok(()) => false,
        Err(YClientsError::SlotTaken) => true,
        Err(error) => return unavailable(error, NAME),
    };
    if !taken {
        let request = BookingRequest {
            phone: booker.phone.clone(),
            fullname: booker.name.clone(),
            email: String::new(),
            appointments: vec![appointment.clone()],
            comment: "Записано через WhatsApp-администратора AI Admin".to_owned(),
            api_id: api_id.to_owned(),
        };
        match salon.yclients.book(salon.salon_id, &request).await {
            Ok(booked) => {
                let Some(first) = booked.first() else {
                    return unavailable(
                        YClientsError::InvalidResponse("no record in the answer".into()),
                        NAME,
                    );
                };
                let record = match salon.yclients.record(salon.salon_id, first.record_id).await {
                    Ok(record) => record,
                    // The visit exists: the client is told so from what was booked, and
                    // the record itself arrives with its webhook or the next sync.
                    Err(error) => {
                        tracing::warn!(%error, record_id = first.record_id, "booked, but the new record could not be read back");
                        as_requested(first.record_id, &request, service)
                    }
                };
                return confirmed(salon, zone, service, record).await;
            }
            // Taken between the check and the booking.
            Err(YClientsError::SlotTaken) => {}
            Err(error) => return unavailable(error, NAME),
        }
    }
    alternatives(
        salon,
        NAME,
        appointment.staff_id,
        service.yclients_id,
        &service.title,
        day,
        time,
    )
    .await
}

/// The record YClients made for `request`, as we asked for it.
fn as_requested(record_id: i64, request: &BookingRequest, service: &ServiceInfo) -> Record {
    let appointment = request.appointments.first();
    Record {
        id: record_id,
        company_id: None,
        staff_id: appointment.map(|a| a.staff_id).filter(|&id| id != 0),
        services: vec![RecordService {
            id: service.yclients_id,
            title: Some(service.title.clone()),
            cost: service.price_min,
        }],
        client: None,
        datetime: appointment.map(|a| a.datetime.clone()).unwrap_or_default(),
        seance_length: service.duration.map(|minutes| i64::from(minutes) * 60),
        attendance: Some(0),
        deleted: false,
        comment: Some(request.comment.clone()),
        api_id: Some(request.api_id.clone()),
    }
}

fn ask(summary: String) -> CommandResult {
    CommandResult::ask(NAME, summary)
}

/// The record an earlier attempt of this step booked, if any.
async fn booked_before(
    salon: Salon<'_>,
    day: NaiveDate,
    api_id: &str,
) -> anyhow::Result<Option<Record>> {
    let mut page = 1;
    loop {
        let records = salon
            .yclients
            .records_page(salon.salon_id, page, 200, day, day)
            .await
            .map_err(|e| anyhow::Error::new(e).context("Failed to look for an earlier booking"))?;
        if let Some(record) = records
            .items
            .iter()
            .find(|r| r.api_id.as_deref() == Some(api_id))
        {
            return Ok(Some(record.clone()));
        }
        if records.items.len() < 200 {
            return Ok(None);
        }
        page += 1;
    }
}

/// Saves the record and says what was booked.
async fn confirmed(
    salon: Salon<'_>,
    zone: Tz,
    service: &ServiceInfo,
    record: Record,
) -> anyhow::Result<CommandResult> {
    let (price, service) = (service.price_text(), service.title.as_str());
    // The client is known at once (a new one is created by the booking), so their own
    // bookings can be found for a cancel or a move before the next client sync.
    if let Some(client) = &record.client
        && let Ok(yclients_id) = i32::try_from(client.id)
    {
        let row = clients::ClientRow {
            yclients_id,
            name: client.name.clone(),
            phone: client.phone.as_deref().map(convert::phone),
            email: None,
            visit_count: 0,
            last_visit_date: None,
        };
        clients::ensure_exists(salon.db, salon.company_id, &row).await?;
    }
    if let Some(row) = convert::booking(&record, zone) {
        bookings::upsert(salon.db, salon.company_id, &[row], chrono::Utc::now()).await?;
    }
    let master = salon
        .catalog
        .staff
        .iter()
        .find(|s| Some(s.yclients_id) == record.staff_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let when = when_text(&record.datetime, zone);
    let to_master = if master.is_empty() {
        String::new()
    } else {
        format!(" к мастеру {master}")
    };
    let summary = format!(
        "Записала вас на «{service}»{to_master} на {when}. Стоимость: {price}. Номер записи {}.",
        record.id
    );
    let data = json!({ "record_id": record.id, "service": service, "staff": master, "datetime": record.datetime, "price": price });
    Ok(CommandResult {
        command: NAME.to_owned(),
        ok: true,
        summary,
        data,
    })
}

/// The nearest free times to the one asked for, that day or the next days.
pub(super) async fn alternatives(
    salon: Salon<'_>,
    command: &str,
    staff_id: i64,
    service_id: i64,
    service: &str,
    day: NaiveDate,
    time: NaiveTime,
) -> anyhow::Result<CommandResult> {
    for offset in 0..7 {
        let Some(date) = day.checked_add_days(chrono::Days::new(offset)) else {
            break;
        };
        let free = match salon
            .yclients
            .free_times(salon.salon_id, staff_id, date, service_id)
            .await
        {
            Ok(free) => free,
            Err(error) => return unavailable(error, command),
        };
        let mut times: Vec<NaiveTime> = free
            .iter()
            .filter_map(|t| NaiveTime::parse_from_str(&t.time, "%H:%M").ok())
            .collect();
        if times.is_empty() {
            continue;
        }
        times.sort_by_key(|t| (t.signed_duration_since(time).num_minutes().abs(), *t));
        let mut nearest: Vec<NaiveTime> = times.into_iter().take(ALTERNATIVES).collect();
        nearest.sort();
        let list: Vec<String> = nearest
            .iter()
            .map(|t| t.format("%H:%M").to_string())
            .collect();
        let master = salon
            .catalog
            .staff
            .iter()
            .find(|m| m.yclients_id == staff_id)
            .filter(|_| offset > 0);
        let not_free = match master {
            Some(m) if day_off(&salon, staff_id, day).await? => {
                format!("{} {} не работает.", m.name, day_text(day))
            }
            _ => format!(
                "{} в {} на «{service}» уже занято.",
                day_text(day),
                time.format("%H:%M")
            ),
        };
        let summary = format!(
            "{not_free} Свободно {}: {}. Какое время удобно?",
            day_text(date),
            list.join(", ")
        );
        return Ok(CommandResult {
            command: command.to_owned(),
            ok: false,
            summary,
            data: json!({ "taken": true, "date": date, "alternatives": list }),
        });
    }
    Ok(CommandResult::ask(
        command,
        format!(
            "{} в {} на «{service}» занято, и в ближайшую неделю свободного времени нет.",
            day_text(day),
            time.format("%H:%M")
        ),
    ))
}
