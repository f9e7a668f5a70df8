//! The read-only commands — prices, free times, a master's working days — answered from
//! the synced catalog and YClients' free times. Each gives a [`CommandResult`] whose
//! `summary` states the facts in Russian for stage 2 (and for the simulator, which
//! repeats it); a name that fits several services or masters asks the client which.

use crate::assistant::catalog::{Catalog, ServiceInfo, StaffInfo};
use crate::assistant::dates::{day_text, resolve_date};
use crate::assistant::matching::{Match, best};
use crate::assistant::synonyms::Synonyms;
use crate::assistant::usual::Usual;
use crate::clients::yclients::{YClients, YClientsError};
use crate::db::assistant_views as catalog;
use crate::domain::SalonId;
use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;

/// Free times listed in one answer at most.
const TIMES_SHOWN: usize = 8;
/// Days looked ahead for the nearest free time.
const DAYS_AHEAD: u64 = 7;
/// Services listed in one price answer at most.
const PRICES_SHOWN: usize = 15;

/// What running a command gave, for stage 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    /// The command's name.
    pub command: String,
    /// Whether it did what was asked.
    pub ok: bool,
    /// The facts in Russian, one or two sentences.
    pub summary: String,
    /// The same facts as data.
    pub data: serde_json::Value,
}

impl CommandResult {
    fn ok(command: &str, summary: String, data: serde_json::Value) -> Self {
        Self {
            command: command.to_owned(),
            ok: true,
            summary,
            data,
        }
    }

    /// Not done: `summary` says why, or what to ask the client.
    pub fn ask(command: &str, summary: String) -> Self {
        Self {
            command: command.to_owned(),
            ok: false,
            summary,
            data: serde_json::Value::Null,
        }
    }
}

/// Where a command runs.
#[derive(Debug, Clone, Copy)]
pub struct Salon<'a> {
    /// The database.
    pub db: &'a PgPool,
    /// YClients.
    pub yclients: &'a dyn YClients,
    /// The salon in YClients.
    pub salon_id: SalonId,
    /// Our company row.
    pub company_id: i64,
    /// Today in the salon's time zone.
    pub today: NaiveDate,
    /// The time there now: today's times before it (and the next half hour) are not
    /// offered.
    pub now: NaiveTime,
    /// Its services and masters.
    pub catalog: &'a Catalog,
    /// How far ahead, in days, the bot books or moves visits.
    pub horizon_days: u32,
    /// What the client usually books, most visited first.
    pub usual: &'a [Usual],
    /// The salon's services, most booked first (YClients ids).
    pub most_booked: &'a [i64],
}

impl Salon<'_> {
    /// The services a generic word is read as, most likely first: the client's usual
    /// ones, then — when `popular` — the salon's most booked.
    pub fn preferred(&self, popular: bool) -> Vec<i64> {
        let mut ids: Vec<i64> = self.usual.iter().map(|u| u.service_id).collect();
        if popular {
            let usual = ids.clone();
            ids.extend(self.most_booked.iter().filter(|id| !usual.contains(id)));
        }
        ids
    }
}

/// `Ok` when `day` is within the bot's booking horizon, else what to tell the client.
pub fn within_horizon(
    salon: &Salon<'_>,
    day: NaiveDate,
    command: &str,
) -> Result<(), CommandResult> {
    let last = salon.today + chrono::Days::new(u64::from(salon.horizon_days));
    if day <= last {
        Ok(())
    } else {
        Err(CommandResult::ask(
            command,
            format!(
                "Записываю не дальше чем на {} дней вперёд (до {}) — выберите день пораньше или позвоните в салон.",
                salon.horizon_days,
                day_text(last)
            ),
        ))
    }
}

/// A record's start as «25.12 (пятница) в 15:00» in the salon's zone (the raw text when
/// it does not parse).
pub fn when_text(datetime: &str, zone: chrono_tz::Tz) -> String {
    crate::acts::sync::convert::instant(datetime, zone)
        .map(|at| at.with_timezone(&zone))
        .map(|at| {
            format!(
                "{} в {:02}:{:02}",
                day_text(at.date_naive()),
                at.hour(),
                at.minute()
            )
        })
        .unwrap_or_else(|| datetime.to_owned())
}

/// Options a client is asked to choose from at most.
const OPTIONS_ASKED: usize = 3;

/// The service a phrase names, or the question to ask. A phrase that fits several
/// («стрижка» in a salon of five haircuts) is the first of `preferred` among them (the
/// client's usual service, the salon's most booked); else the client is asked, with
/// [`OPTIONS_ASKED`] options at most.
pub fn find_service<'c>(
    catalog: &'c Catalog,
    phrase: Option<&str>,
    command: &str,
    preferred: &[i64],
) -> Result<&'c ServiceInfo, CommandResult> {
    let Some(phrase) = phrase else {
        return Err(CommandResult::ask(
            command,
            "Уточните, пожалуйста, на какую услугу.".to_owned(),
        ));
    };
    match best(phrase, &catalog.services, |s| &s.title, &catalog.words) {
        Match::One(service) => catalog
            .services
            .iter()
            .find(|s| s.yclients_id == service.yclients_id)
            .ok_or_else(|| CommandResult::ask(command, "Уточните, пожалуйста, услугу.".to_owned())),
        Match::Several(options) => {
            let likely = preferred.iter().find_map(|id| {
                options
                    .iter()
                    .any(|o| o.yclients_id == *id)
                    .then(|| catalog.services.iter().find(|s| s.yclients_id == *id))
                    .flatten()
            });
            likely.ok_or_else(|| {
                CommandResult::ask(
                    command,
                    format!(
                        "Уточните, пожалуйста, какую услугу: {}?",
                        options
                            .iter()
                            .take(OPTIONS_ASKED)
                            .map(|s| s.title.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
        }
        Match::None => Err(CommandResult::ask(
            command,
            format!("Услуги «{phrase}» в салоне нет. Могу рассказать о ценах на наши услуги."),
        )),
    }
}

/// How to name a master among `options` so the client can pick: namesakes are told
/// apart by what they do.
fn telling_apart(master: &StaffInfo, options: &[StaffInfo]) -> String {
    let namesakes = options.iter().filter(|o| o.name == master.name).count();
    match &master.specialization {
        Some(what) if namesakes > 1 && !what.is_empty() => {
            format!("{} ({})", master.name, what.to_lowercase())
        }
        _ => master.name.clone(),
    }
}

/// The master a phrase names (`None` = any master), or the question to ask.
pub fn find_staff<'c>(
    catalog: &'c Catalog,
    phrase: Option<&str>,
    command: &str,
) -> Result<Option<&'c StaffInfo>, CommandResult> {
    let Some(phrase) = phrase else {
        return Ok(None);
    };
    match best(phrase, &catalog.staff, |s| &s.name, &Synonyms::default()) {
        Match::One(master) => Ok(catalog
            .staff
            .iter()
            .find(|s| s.yclients_id == master.yclients_id)),
        Match::Several(options) => Err(CommandResult::ask(
            command,
            format!(
                "Уточните, пожалуйста, к какому мастеру: {}?",
                options
                    .iter()
                    .map(|s| telling_apart(s, &options))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        Match::None => Err(CommandResult::ask(
            command,
            format!(
                "Мастера «{phrase}» в салоне нет. Наши мастера: {}.",
                catalog
                    .staff
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Whether the master `staff_id` has `day` off: no working hours that day while their
/// schedule is known for the days around it (an unsynced schedule says nothing).
pub(super) async fn day_off(
    salon: &Salon<'_>,
    staff_id: i64,
    day: NaiveDate,
) -> anyhow::Result<bool> {
    if staff_id == 0 {
        return Ok(false);
    }
    let around = catalog::working_hours(
        salon.db,
        salon.company_id,
        staff_id,
        day,
        day + chrono::Days::new(DAYS_AHEAD * 2),
    )
    .await?;
    Ok(!around.is_empty() && around.iter().all(|h| h.date != day))
}

/// Masters named in one answer at most.
const MASTERS_NAMED: usize = 5;

/// The master a phrase names for `service` (`None` = any master): among namesakes, the
/// one who does it («к Анне на маникюр»); a master who does not do it gets the client
/// the names of those who do.
pub fn find_staff_for<'c>(
    catalog: &'c Catalog,
    phrase: Option<&str>,
    service: &ServiceInfo,
    command: &str,
) -> Result<Option<&'c StaffInfo>, CommandResult> {
    let doing = catalog.masters_for(service.yclients_id);
    let who_does = || {
        doing
            .iter()
            .take(MASTERS_NAMED)
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match find_staff(catalog, phrase, command) {
        Ok(Some(master)) if catalog.does(master, service.yclients_id) => Ok(Some(master)),
        Ok(Some(master)) if doing.is_empty() => Err(CommandResult::ask(
            command,
            format!(
                "{} не делает «{}», и записаться на эту услугу онлайн сейчас нельзя — уточните у администратора.",
                master.name, service.title
            ),
        )),
        Ok(Some(master)) => Err(CommandResult::ask(
            command,
            format!(
                "{} не делает «{}». Эту услугу делают: {}. К кому вас записать?",
                master.name,
                service.title,
                who_does()
            ),
        )),
        Ok(None) => Ok(None),
        Err(ask) => {
            // Namesakes («к Анне»): the one who does this service is meant.
            let Some(phrase) = phrase else {
                return Err(ask);
            };
            let candidates: Vec<StaffInfo> = doing.iter().map(|m| (*m).clone()).collect();
            match best(phrase, &candidates, |m| &m.name, &Synonyms::default()) {
                Match::One(master) => Ok(catalog
                    .staff
                    .iter()
                    .find(|m| m.yclients_id == master.yclients_id)),
                _ => Err(ask),
            }
        }
    }
}

/// The day a phrase names (today when absent), or the question to ask.
pub fn find_day(
    phrase: Option<&str>,
    today: NaiveDate,
    command: &str,
) -> Result<NaiveDate, CommandResult> {
    let Some(phrase) = phrase else {
        return Ok(today);
    };
    match resolve_date(phrase, today) {
        Some(day) if day >= today => Ok(day),
        Some(_) => Err(CommandResult::ask(
            command,
            "Эта дата уже прошла — подскажите другой день.".to_owned(),
        )),
        None => Err(CommandResult::ask(
            command,
            format!("Не поняла дату «{phrase}» — подскажите день, например «завтра» или «25.12»."),
        )),
    }
}

/// `SHOW_PRICES {category}`.
pub fn show_prices(catalog: &Catalog, category: Option<&str>) -> CommandResult {
    const NAME: &str = "SHOW_PRICES";
    let named =
        category.map(|phrase| best(phrase, &catalog.services, |s| &s.title, &catalog.words));
    let chosen: Vec<&ServiceInfo> = match (category, named) {
        (None, _) => catalog.services.iter().collect(),
        // The services the phrase names, when it names some («детский маникюр»).
        (Some(_), Some(Match::One(service))) => catalog
            .services
            .iter()
            .filter(|s| s.yclients_id == service.yclients_id)
            .collect(),
        (Some(_), Some(Match::Several(services))) => catalog
            .services
            .iter()
            .filter(|s| services.iter().any(|o| o.yclients_id == s.yclients_id))
            .collect(),
        // Else a category («косметология»), else titles like it.
        (Some(phrase), _) => {
            let by_category: Vec<&ServiceInfo> = catalog
                .services
                .iter()
                .filter(|s| {
                    s.category.as_deref().is_some_and(|c| {
                        crate::assistant::matching::score(phrase, c, &catalog.words)
                            > crate::assistant::matching::MIN_SCORE
                    })
                })
                .collect();
            if by_category.is_empty() {
                catalog
                    .services
                    .iter()
                    .filter(|s| {
                        crate::assistant::matching::score(phrase, &s.title, &catalog.words)
                            > crate::assistant::matching::MIN_SCORE
                    })
                    .collect()
            } else {
                by_category
            }
        }
    };
    if chosen.is_empty() {
        return CommandResult::ask(
            NAME,
            format!("Услуг «{}» в салоне нет.", category.unwrap_or_default()),
        );
    }
    let lines: Vec<String> = chosen
        .iter()
        .take(PRICES_SHOWN)
        .map(|s| format!("{} — {}", s.title, s.price_text()))
        .collect();
    let more = chosen.len().saturating_sub(PRICES_SHOWN);
    let mut summary = format!("Цены: {}.", lines.join("; "));
    if more > 0 {
        summary.push_str(&format!(" И ещё {more} услуг — уточните, что интересует."));
    }
    let data = json!(chosen.iter().map(|s| json!({ "service": s.title, "price_min": s.price_min, "price_max": s.price_max })).collect::<Vec<_>>());
    CommandResult::ok(NAME, summary, data)
}

/// A YClients failure as a command's outcome: a transient one is an error (the activity
/// retries), a refusal is an apology to the client (the salon takes it from there).
pub(super) fn refused_by_yclients(
    error: YClientsError,
    command: &str,
    apology: &str,
) -> anyhow::Result<CommandResult> {
    if error.is_retryable() {
        return Err(anyhow::Error::new(error).context("YClients is unavailable"));
    }
    tracing::warn!(command, error = %error, "YClients refused a command");
    Ok(CommandResult::ask(
        command,
        format!("{apology} — администратор салона свяжется с вами."),
    ))
}

/// An hour as people say it in a salon: 1–7 means afternoon.
fn said_hour(hour: u32) -> u32 {
    if (1..=7).contains(&hour) {
        hour + 12
    } else {
        hour
    }
}

/// The number after `word` in `preference` («после 18», «до 12»), as an hour.
fn hour_after(preference: &str, word: &str) -> Option<u32> {
    let at = preference.find(word)? + word.len();
    let digits: String = preference[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(said_hour)
}

fn fits(time: NaiveTime, preference: Option<&str>) -> bool {
    let hour = time.hour();
    let Some(p) = preference.map(str::to_lowercase) else {
        return true;
    };
    if let Some(from) = hour_after(&p, "после") {
        return hour >= from;
    }
    if let Some(until) = hour_after(&p, "до ") {
        return hour < until;
    }
    if p.contains("после работы") || p.contains("после учебы") || p.contains("после учёбы")
    {
        return hour >= 18;
    }
    // Whole words' starts: «позднее» has «дн» inside and is not «днём».
    let says = |start: &str| {
        p.split(|c: char| !c.is_alphanumeric())
            .any(|w| w.starts_with(start))
    };
    if says("утр") {
        hour < 12
    } else if says("вечер") {
        hour >= 17
    } else if says("дн") || says("обед") {
        (12..17).contains(&hour)
    } else {
        true
    }
}

/// «10:00, 11:30» within one part of the day; «утром 10:00, 11:30; днём 13:00; вечером
/// 18:00» across several, as an administrator reads them out.
fn by_part_of_day(times: &[String]) -> String {
    let part = |t: &String| match t.split(':').next().and_then(|h| h.parse::<u32>().ok()) {
        Some(h) if h < 12 => "утром",
        Some(h) if h < 17 => "днём",
        _ => "вечером",
    };
    let mut parts: Vec<(&str, Vec<&str>)> = Vec::new();
    for time in times {
        match parts.last_mut() {
            Some((name, list)) if *name == part(time) => list.push(time),
            _ => parts.push((part(time), vec![time.as_str()])),
        }
    }
    match parts.as_slice() {
        [(_, only)] => only.join(", "),
        _ => parts
            .iter()
            .map(|(name, list)| format!("{name} {}", list.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The times of `free` on `day` the client can be offered: those fitting their
/// preference, and today none already gone (nor the next half hour).
fn offerable(
    salon: &Salon<'_>,
    free: &[crate::clients::yclients::FreeTime],
    day: NaiveDate,
    preference: Option<&str>,
) -> Vec<String> {
    let earliest = (day == salon.today).then(|| salon.now + chrono::Duration::minutes(30));
    free.iter()
        .filter(|t| {
            NaiveTime::parse_from_str(&t.time, "%H:%M").is_ok_and(|time| {
                fits(time, preference) && earliest.is_none_or(|e| time >= e && salon.now < e)
            })
        })
        .map(|t| t.time.clone())
        .collect()
}

/// Masters asked for their own free times when the client takes any master.
const MASTERS_ASKED: usize = 3;
/// Times named per master.
const TIMES_PER_MASTER: usize = 4;

/// Who of the masters `doing` the service works on `day` and their free times then:
/// [`MASTERS_ASKED`] at most (one YClients call each), those with time only. Nothing
/// when the schedules are not synced or fewer than two have time: the times found for
/// any master stand on their own.
async fn who_is_free(
    salon: &Salon<'_>,
    doing: &[&StaffInfo],
    service: &ServiceInfo,
    day: NaiveDate,
    preference: Option<&str>,
    shown: impl Fn(Vec<String>) -> Vec<String>,
) -> FreeMasters {
    let mut free_masters = FreeMasters::default();
    if doing.len() < 2 {
        return free_masters;
    }
    let working = match catalog::working_on(salon.db, salon.company_id, day).await {
        Ok(working) => working,
        Err(error) => {
            tracing::warn!(error = %error, "masters' schedules not read");
            return free_masters;
        }
    };
    let at_work: Vec<&&StaffInfo> = doing
        .iter()
        .filter(|m| working.contains(&m.yclients_id))
        .collect();
    for master in at_work.iter().take(MASTERS_ASKED) {
        match salon
            .yclients
            .free_times(salon.salon_id, master.yclients_id, day, service.yclients_id)
            .await
        {
            Ok(free) => {
                let times = shown(offerable(salon, &free, day, preference));
                if !times.is_empty() {
                    free_masters.each.push((master.name.clone(), times));
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, staff = master.yclients_id, "a master's free times not read");
                free_masters.partial = true;
            }
        }
    }
    free_masters.partial |= at_work.len() > MASTERS_ASKED;
    // One master free is the same as naming them; two or more let the client choose.
    if free_masters.each.len() < 2 {
        return FreeMasters::default();
    }
    free_masters
}

/// Who is free when, for a client who takes any master.
#[derive(Debug, Default)]
struct FreeMasters {
    /// Masters with their times, two or more (else none).
    each: Vec<(String, Vec<String>)>,
    /// Other masters work that day too: the list is examples, not everyone.
    partial: bool,
}

/// The times to offer, in order: the latest `count` when the client wants them, else the
/// `count` around the hour they usually come, else all.
fn ordered(
    mut times: Vec<String>,
    preference: Option<&str>,
    usual_hour: Option<NaiveTime>,
    count: usize,
) -> Vec<String> {
    if latest_wanted(preference) {
        let skip = times.len().saturating_sub(count);
        times.drain(..skip);
    } else if let Some(usual) = usual_hour {
        times = around(times, usual, count);
    }
    times
}

/// The `count` of `times` (`HH:MM`) nearest to `hour`, in order.
fn around(times: Vec<String>, hour: NaiveTime, count: usize) -> Vec<String> {
    let mut near: Vec<(i64, String)> = times
        .into_iter()
        .filter_map(|t| {
            let at = NaiveTime::parse_from_str(&t, "%H:%M").ok()?;
            Some(((at - hour).num_minutes().abs(), t))
        })
        .collect();
    near.sort();
    let mut kept: Vec<String> = near.into_iter().take(count).map(|(_, t)| t).collect();
    kept.sort();
    kept
}

/// The client wants the latest times of the day rather than the first.
fn latest_wanted(preference: Option<&str>) -> bool {
    preference.is_some_and(|p| {
        let p = p.to_lowercase();
        p.contains("поздн") || p.contains("попозже")
    })
}

/// «На 02.12 (среда): уточните, …» when the day is known.
fn about_day(day: Option<NaiveDate>, question: &str) -> String {
    match day {
        Some(day) => {
            let mut chars = question.chars();
            let lowered: String = chars
                .next()
                .map(|first| first.to_lowercase().chain(chars).collect())
                .unwrap_or_default();
            format!("На {}: {lowered}", day_text(day))
        }
        None => question.to_owned(),
    }
}

/// `SEARCH_SLOTS {service, date, time_preference, staff}`: free times on the day asked,
/// or on the nearest day that has some.
pub async fn search_slots(
    salon: Salon<'_>,
    service: Option<&str>,
    date: Option<&str>,
    time_preference: Option<&str>,
    staff: Option<&str>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "SEARCH_SLOTS";
    let phrase = service;
    let service = find_service(salon.catalog, phrase, NAME, &salon.preferred(true));
    if let Err(question) = &service {
        let options = several_services(salon.catalog, phrase);
        if !options.is_empty() {
            return slots_for_each(
                salon,
                &options,
                question.clone(),
                date,
                time_preference,
                staff,
            )
            .await;
        }
    }
    let master = match &service {
        Ok(service) => find_staff_for(salon.catalog, staff, service, NAME),
        Err(_) => find_staff(salon.catalog, staff, NAME),
    };
    let (service, master) = match (service, master) {
        (Ok(service), Ok(master)) => (service, master),
        // Every question at once, and the day they are about.
        (service, master) => {
            let questions: Vec<String> = [service.err(), master.err()]
                .into_iter()
                .flatten()
                .map(|ask| ask.summary)
                .collect();
            let day = date
                .and_then(|d| resolve_date(d, salon.today))
                .filter(|d| *d >= salon.today);
            return Ok(CommandResult::ask(
                NAME,
                about_day(day, &questions.join(" ")),
            ));
        }
    };
    let asked = match find_day(date, salon.today, NAME) {
        Ok(day) => day,
        Err(ask) => return Ok(ask),
    };
    slots_for(salon, service, master, asked, time_preference, ONE_SERVICE).await
}

/// A search for a word naming a few services («на брови»): the question which, with
/// each one's free times on the day asked, so the client answers both at once («18:30
/// коррекция»).
async fn slots_for_each(
    salon: Salon<'_>,
    options: &[&ServiceInfo],
    question: CommandResult,
    date: Option<&str>,
    time_preference: Option<&str>,
    staff: Option<&str>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "SEARCH_SLOTS";
    let asked = match find_day(date, salon.today, NAME) {
        Ok(day) => day,
        Err(ask) => return Ok(ask),
    };
    let mut found = Vec::new();
    let mut master_question = None;
    for service in options.iter().take(OPTIONS_ASKED) {
        let master = match find_staff_for(salon.catalog, staff, service, NAME) {
            Ok(master) => master,
            Err(ask) => {
                master_question.get_or_insert(ask);
                continue;
            }
        };
        let slots = slots_for(salon, service, master, asked, time_preference, EACH_SERVICE).await?;
        if slots.ok {
            found.push(slots.summary);
        }
    }
    if found.is_empty() {
        // The master named does none of them, or is not here: both questions.
        return Ok(match master_question {
            Some(ask) => CommandResult::ask(NAME, format!("{} {}", question.summary, ask.summary)),
            None => question,
        });
    }
    Ok(CommandResult::ask(
        NAME,
        format!("{} {}", question.summary, found.join(" ")),
    ))
}

/// The services a phrase names about equally, when it names several.
fn several_services<'c>(catalog: &'c Catalog, phrase: Option<&str>) -> Vec<&'c ServiceInfo> {
    match phrase.map(|p| best(p, &catalog.services, |s| &s.title, &catalog.words)) {
        Some(Match::Several(options)) => options
            .iter()
            .filter_map(|o| {
                catalog
                    .services
                    .iter()
                    .find(|s| s.yclients_id == o.yclients_id)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// How far one search goes.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// Days after the one asked, when it has no time.
    days_ahead: u64,
    /// Whether «any master» is answered with each one's times.
    per_master: bool,
}

/// A search of one service: the nearest week, with who is free.
const ONE_SERVICE: Scope = Scope {
    days_ahead: DAYS_AHEAD,
    per_master: true,
};
/// A search of each of a few services: the day asked only, one YClients call each.
const EACH_SERVICE: Scope = Scope {
    days_ahead: 0,
    per_master: false,
};

/// The free times of `service` from the day `asked` on (the nearest day with some).
async fn slots_for(
    salon: Salon<'_>,
    service: &ServiceInfo,
    master: Option<&StaffInfo>,
    asked: NaiveDate,
    time_preference: Option<&str>,
    scope: Scope,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "SEARCH_SLOTS";
    let staff_id = master.map_or(0, |m| m.yclients_id);
    let usual_hour = salon
        .usual
        .iter()
        .find(|u| u.service_id == service.yclients_id)
        .filter(|_| time_preference.is_none())
        .map(|u| u.time);
    for offset in 0..=scope.days_ahead {
        let Some(day) = asked.checked_add_days(chrono::Days::new(offset)) else {
            break;
        };
        let free = match salon
            .yclients
            .free_times(salon.salon_id, staff_id, day, service.yclients_id)
            .await
        {
            Ok(free) => free,
            Err(error) => {
                return refused_by_yclients(error, NAME, "Не получилось проверить расписание");
            }
        };
        let mut times = offerable(&salon, &free, day, time_preference);
        times = ordered(times, time_preference, usual_hour, TIMES_SHOWN);
        if times.is_empty() {
            continue;
        }
        let doing = salon.catalog.masters_for(service.yclients_id);
        let only = match doing.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        let who = master
            .or(only)
            .map(|m| format!(" у мастера {}", m.name))
            .unwrap_or_default();
        // «Any master» is answered with who is free when, so the client can choose.
        let free_masters = match master.or(only) {
            Some(_) => FreeMasters::default(),
            None if !scope.per_master => FreeMasters::default(),
            None => {
                let per_master = |times| {
                    let mut times = ordered(times, time_preference, usual_hour, TIMES_PER_MASTER);
                    times.truncate(TIMES_PER_MASTER);
                    times
                };
                who_is_free(&salon, &doing, service, day, time_preference, per_master).await
            }
        };
        let lead = match master {
            _ if offset == 0 => String::new(),
            Some(m) if day_off(&salon, m.yclients_id, asked).await? => {
                format!("{} {} не работает. ", m.name, day_text(asked))
            }
            _ => format!("На {} свободного времени нет. ", day_text(asked)),
        };
        let shown: Vec<String> = times.iter().take(TIMES_SHOWN).cloned().collect();
        let mut summary = format!(
            "{lead}Свободное время на «{}»{who} {}: {}.",
            service.title,
            day_text(day),
            by_part_of_day(&shown)
        );
        if !free_masters.each.is_empty() {
            let each: Vec<String> = free_masters
                .each
                .iter()
                .map(|(name, times)| format!("{name} — {}", times.join(", ")))
                .collect();
            summary.push_str(&if free_masters.partial {
                format!(" Например: {}; работают и другие мастера.", each.join("; "))
            } else {
                format!(" Кто свободен: {}.", each.join("; "))
            });
        }
        let by_master: Vec<serde_json::Value> = free_masters
            .each
            .iter()
            .map(|(name, times)| json!({ "staff": name, "times": times }))
            .collect();
        let data = json!({
            "service": service.title,
            "staff": master.or(only).map(|m| &m.name),
            "date": day,
            "times": times,
            "by_master": by_master,
            "by_master_partial": free_masters.partial,
        });
        return Ok(CommandResult::ok(NAME, summary, data));
    }
    Ok(CommandResult::ask(
        NAME,
        format!(
            "На «{}» в ближайшую неделю с {} свободного времени нет.",
            service.title,
            day_text(asked)
        ),
    ))
}

/// `CHECK_STAFF_SCHEDULE {staff, date}`: the master's hours that day, or the next week.
pub async fn staff_schedule(
    salon: Salon<'_>,
    staff: &str,
    date: Option<&str>,
) -> anyhow::Result<CommandResult> {
    const NAME: &str = "CHECK_STAFF_SCHEDULE";
    let master = match find_staff(salon.catalog, Some(staff), NAME) {
        Ok(Some(master)) => master,
        Ok(None) => {
            return Ok(CommandResult::ask(
                NAME,
                "Уточните, пожалуйста, мастера.".to_owned(),
            ));
        }
        Err(ask) => return Ok(ask),
    };
    let from = match find_day(date, salon.today, NAME) {
        Ok(day) => day,
        Err(ask) => return Ok(ask),
    };
    let to = if date.is_some() {
        from
    } else {
        from + chrono::Days::new(DAYS_AHEAD - 1)
    };
    let hours =
        catalog::working_hours(salon.db, salon.company_id, master.yclients_id, from, to).await?;
    if hours.is_empty() {
        let when = if date.is_some() {
            day_text(from)
        } else {
            "в ближайшую неделю".to_owned()
        };
        return Ok(CommandResult::ok(
            NAME,
            format!("{} не работает {when}.", master.name),
            json!([]),
        ));
    }
    let days: Vec<String> = hours
        .iter()
        .map(crate::assistant::catalog::WorkingHours::text)
        .collect();
    let data = json!(hours.iter().map(|h| json!({ "date": h.date, "from": h.from.format("%H:%M").to_string(), "to": h.to.format("%H:%M").to_string() })).collect::<Vec<_>>());
    Ok(CommandResult::ok(
        NAME,
        format!("{} работает: {}.", master.name, days.join("; ")),
        data,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_times_are_read_out_by_part_of_the_day() {
        let times = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        assert_eq!(by_part_of_day(&times(&["10:00", "11:30"])), "10:00, 11:30");
        assert_eq!(
            by_part_of_day(&times(&["10:00", "11:30", "13:00", "18:00", "19:30"])),
            "утром 10:00, 11:30; днём 13:00; вечером 18:00, 19:30"
        );
    }

    #[test]
    fn free_times_are_offered_around_the_usual_hour() {
        let times: Vec<String> = (10..21)
            .flat_map(|h| [format!("{h}:00"), format!("{h}:30")])
            .collect();
        let near = around(
            times,
            NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            TIMES_SHOWN,
        );
        assert_eq!(near.len(), TIMES_SHOWN);
        assert!(near.contains(&"18:00".to_owned()), "{near:?}");
        assert_eq!(near.first().map(String::as_str), Some("16:00"));
        assert_eq!(near.last().map(String::as_str), Some("19:30"));
    }

    #[test]
    fn time_preferences_keep_the_times_they_mean() {
        let at = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let keeps = |p: &str| -> Vec<u32> { (9..21).filter(|&h| fits(at(h), Some(p))).collect() };
        assert_eq!(keeps("утром"), (9..12).collect::<Vec<_>>());
        assert_eq!(keeps("днём"), (12..17).collect::<Vec<_>>());
        assert_eq!(keeps("вечером"), (17..21).collect::<Vec<_>>());
        assert_eq!(keeps("после 18"), (18..21).collect::<Vec<_>>());
        assert_eq!(keeps("после 5"), (17..21).collect::<Vec<_>>());
        assert_eq!(keeps("до 12"), (9..12).collect::<Vec<_>>());
        assert_eq!(keeps("после работы"), (18..21).collect::<Vec<_>>());
        assert_eq!(keeps("в любое время"), (9..21).collect::<Vec<_>>());
        // «позднее» holds «дн» and is not «днём».
        assert_eq!(keeps("самое позднее"), (9..21).collect::<Vec<_>>());
        assert_eq!(keeps("днем"), (12..17).collect::<Vec<_>>());
        assert_eq!(keeps("в обед"), (12..17).collect::<Vec<_>>());
        assert_eq!(keeps("с утра"), (9..12).collect::<Vec<_>>());
    }

    fn master(id: i64, name: &str, what: &str) -> StaffInfo {
        StaffInfo {
            yclients_id: id,
            name: name.to_owned(),
            specialization: Some(what.to_owned()),
            services: vec![],
        }
    }

    #[test]
    fn namesakes_are_told_apart_by_what_they_do() {
        let catalog = Catalog {
            services: Vec::new(),
            staff: vec![
                master(1, "Ирина Волкова", "Парикмахер-стилист"),
                master(2, "Ирина Волкова", "Мастер маникюра"),
                master(3, "Анна Смирнова", "Косметолог"),
            ],
            words: Synonyms::common(),
        };

        let asked = find_staff(&catalog, Some("к Ирине Волковой"), "SEARCH_SLOTS").unwrap_err();

        assert!(!asked.ok);
        assert!(
            asked.summary.contains("Ирина Волкова (парикмахер-стилист)")
                && asked.summary.contains("Ирина Волкова (мастер маникюра)"),
            "{}",
            asked.summary
        );
        let anna = find_staff(&catalog, Some("к Анне"), "SEARCH_SLOTS").unwrap();
        assert_eq!(anna.map(|m| m.yclients_id), Some(3));
    }
}
