//! `CANCEL_BOOKING`, `RESCHEDULE_BOOKING` and `CONFIRM_BOOKING`: only the client's own
//! upcoming visits (found in YClients by the client's id, known from their phone) can be
//! cancelled, moved or confirmed; a client with several and no number given is asked
//! which. A cancellation — and, for a client with several visits, a move to another
//! day — is asked about first and runs on the client's yes.

use super::booking::{alternatives, unavailable};
use super::lookup::{CommandResult, Salon, find_day, when_text, within_horizon};
use crate::acts::sync::convert;
use crate::assistant::dates::day_text;
use crate::clients::yclients::{Appointment, Record, YClientsError};
use crate::db::{bookings, clients};
use chrono::Days;
use chrono_tz::Tz;
use serde_json::json;

/// How far ahead a client's visits are looked for.
const HORIZON_DAYS: u64 = 90;

/// «Стрижка мужская 25.12 (пятница) в 15:00 (№ 123)».
fn describe(record: &Record, zone: Tz) -> String {
    let service = record
        .services
        .first()
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| "визит".to_owned());
    let when = when_text(&record.datetime, zone);
    format!("«{service}» {when} (№ {})", record.id)
}

/// The one own upcoming visit the client means, or the answer to give instead.
async fn own_visit(
    salon: Salon<'_>,
    zone: Tz,
    command: &str,
    phone: &str,
    booking: Option<&str>,
) -> anyhow::Result<Result<Record, CommandResult>> {
    Ok(own_visits(salon, zone, command, phone, booking)
        .await?
        .map(|(record, _)| record))
}

/// [`own_visit`] and how many upcoming visits the client has.
async fn own_visits(
    salon: Salon<'_>,
    zone: Tz,
    command: &str,
    phone: &str,
    booking: Option<&str>,
) -> anyhow::Result<Result<(Record, usize), CommandResult>> {
    let Some(client) = clients::yclients_id_by_phone(salon.db, salon.company_id, phone).await?
    else {
        return Ok(Err(CommandResult::ask(
            command,
            "У вас нет предстоящих записей в салоне.".to_owned(),
        )));
    };
    let visits = match salon
        .yclients
        .client_records(
            salon.salon_id,
            client,
            salon.today,
            salon.today + Days::new(HORIZON_DAYS),
        )
        .await
    {
        Ok(visits) => visits,
        Err(error) => return unavailable(error, command).map(Err),
    };
    let now = chrono::Utc::now();
    let upcoming: Vec<Record> = visits
        .into_iter()
        .filter(|r| !r.deleted && convert::instant(&r.datetime, zone).is_some_and(|at| at > now))
        .collect();
    let wanted: Option<i64> = booking.and_then(|b| {
        b.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()
    });
    match (wanted, upcoming.as_slice()) {
        (_, []) => Ok(Err(CommandResult::ask(
            command,
            "У вас нет предстоящих записей в салоне.".to_owned(),
        ))),
        (Some(id), visits) => match visits.iter().find(|r| r.id == id) {
            Some(record) => Ok(Ok((record.clone(), visits.len()))),
            None => Ok(Err(CommandResult::ask(
                command,
                format!(
                    "Записи № {id} среди ваших нет. Ваши записи: {}.",
                    list(visits, zone)
                ),
            ))),
        },
        (None, [only]) => Ok(Ok((only.clone(), 1))),
        (None, visits) => Ok(Err(CommandResult::ask(
            command,
            format!(
                "У вас несколько записей: {}. Какую именно?",
                list(visits, zone)
            ),
        ))),
    }
}

fn list(visits: &[Record], zone: Tz) -> String {
    visits
        .iter()
        .map(|r| describe(r, zone))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `CANCEL_BOOKING {booking}`: asks the client to confirm, and cancels only the visit
/// they have just said yes to (`confirmed`).
pub async fn cancel_booking(
    salon: Salon<'_>,
    zone: Tz,
    phone: &str,
    booking: Option<&str>,
    confirmed: Option<i64>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "CANCEL_BOOKING";
    // «Да» answers the question about one visit, whichever the model named.
    let confirmed_number = confirmed.map(|id| id.to_string());
    let booking = booking.or(confirmed_number.as_deref());
    let record = match own_visit(salon, zone, NAME, phone, booking).await? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    if confirmed != Some(record.id) {
        let visit = describe(&record, zone);
        return Ok(CommandResult {
            command: NAME.to_owned(),
            ok: false,
            summary: format!("Отменить вашу запись {visit}? Напишите «да», и я отменю."),
            data: crate::acts::conversation::discussed::confirm_cancel_data(record.id, &visit),
        });
    }
    match salon
        .yclients
        .cancel_record(salon.salon_id, record.id)
        .await
    {
        // Already gone (a retry after the first attempt cancelled it) is what was wanted.
        Ok(()) | Err(YClientsError::NotFound) => {}
        Err(error) => return unavailable(error, NAME),
    }
    bookings::mark_deleted(salon.db, salon.company_id, record.id).await?;
    Ok(CommandResult {
        command: NAME.to_owned(),
        ok: true,
        summary: format!("Отменила вашу запись {}.", describe(&record, zone)),
        data: json!({ "record_id": record.id }),
    })
}

/// `RESCHEDULE_BOOKING {booking, date, time}`. A client with several visits who moves
/// one to another day is asked first which visit goes where, and it moves on their yes
/// (`confirmed`).
pub async fn reschedule_booking(
    salon: Salon<'_>,
    zone: Tz,
    phone: &str,
    booking: Option<&str>,
    date: &str,
    time: &str,
    confirmed: Option<i64>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "RESCHEDULE_BOOKING";
    let confirmed_number = confirmed.map(|id| id.to_string());
    let booking = booking.or(confirmed_number.as_deref());
    let (record, visits) = match own_visits(salon, zone, NAME, phone, booking).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let day = match find_day(Some(date), salon.today, NAME) {
        Ok(day) => day,
        Err(answer) => return Ok(answer),
    };
    if let Err(answer) = within_horizon(&salon, day, NAME) {
        return Ok(answer);
    }
    let Some(new_time) = crate::assistant::dates::resolve_time(time) else {
        return Ok(CommandResult::ask(
            NAME,
            format!("Не поняла время «{time}» — напишите, например, 15:00."),
        ));
    };
    let Some(datetime) = day
        .and_time(new_time)
        .and_local_timezone(zone)
        .earliest()
        .map(|at| at.to_rfc3339())
    else {
        return Ok(CommandResult::ask(
            NAME,
            "Такого времени в этот день нет — выберите другое.".to_owned(),
        ));
    };
    let other_day = convert::instant(&record.datetime, zone)
        .is_none_or(|at| at.with_timezone(&zone).date_naive() != day);
    if visits > 1 && other_day && confirmed != Some(record.id) {
        let visit = describe(&record, zone);
        let to = format!("{} в {}", day_text(day), new_time.format("%H:%M"));
        return Ok(CommandResult {
            command: NAME.to_owned(),
            ok: false,
            summary: format!("Перенести вашу запись {visit} на {to}? Напишите «да», и я перенесу."),
            data: crate::acts::conversation::discussed::confirm_move_data(
                record.id,
                &visit,
                &day.format("%d.%m").to_string(),
                &new_time.format("%H:%M").to_string(),
            ),
        });
    }
    let service_id = record.services.first().map(|s| s.id).unwrap_or_default();
    let staff_id = record.staff_id.unwrap_or_default();
    let to = Appointment {
        id: 1,
        services: vec![service_id],
        staff_id,
        datetime,
    };
    match salon
        .yclients
        .move_record(salon.salon_id, record.id, &to)
        .await
    {
        Ok(moved) => {
            if let Some(row) = convert::booking(&moved, zone) {
                bookings::upsert(salon.db, salon.company_id, &[row], chrono::Utc::now()).await?;
            }
            Ok(CommandResult {
                command: NAME.to_owned(),
                ok: true,
                summary: format!("Перенесла вашу запись: теперь {}.", describe(&moved, zone)),
                data: json!({ "record_id": moved.id, "datetime": moved.datetime }),
            })
        }
        Err(YClientsError::SlotTaken) => {
            let service = record
                .services
                .first()
                .and_then(|s| s.title.clone())
                .unwrap_or_default();
            alternatives(salon, NAME, staff_id, service_id, &service, day, new_time).await
        }
        Err(error) => unavailable(error, NAME),
    }
}

/// `CONFIRM_BOOKING {booking}`: the client confirms their upcoming visit (YClients
/// attendance 2), e.g. answering a reminder with «подтверждаю».
pub async fn confirm_booking(
    salon: Salon<'_>,
    zone: Tz,
    phone: &str,
    booking: Option<&str>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "CONFIRM_BOOKING";
    let record = match own_visit(salon, zone, NAME, phone, booking).await? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    let at = Appointment {
        id: 1,
        services: record.services.iter().map(|s| s.id).collect(),
        staff_id: record.staff_id.unwrap_or_default(),
        datetime: record.datetime.clone(),
    };
    let confirmed = match salon
        .yclients
        .confirm_record(salon.salon_id, record.id, &at)
        .await
    {
        Ok(confirmed) => confirmed,
        Err(error) => return unavailable(error, NAME),
    };
    if let Some(row) = convert::booking(&confirmed, zone) {
        bookings::upsert(salon.db, salon.company_id, &[row], chrono::Utc::now()).await?;
    }
    Ok(CommandResult {
        command: NAME.to_owned(),
        ok: true,
        summary: format!(
            "Спасибо! Подтвердила вашу запись {}. Ждём вас!",
            describe(&confirmed, zone)
        ),
        data: json!({ "record_id": confirmed.id }),
    })
}
