//! Whether a turn went right, on four counts: the commands stage 1 produced, what their
//! parameters mean, what changed in YClients, and the reply. Parameters are compared by
//! what the product makes of them (the service, master, day and time they resolve to),
//! so «маникюр с покрытием» and «Маникюр с покрытием гель-лак» are the same service and
//! «завтра» and «02.12» the same day.

use super::corpus::{Booked, ExpectedCommand, TurnSpec, Visit, dated};
use ai_admin_activities::acts::conversation::lookup::show_prices;
use ai_admin_activities::assistant::catalog::Catalog;
use ai_admin_activities::assistant::dates::{resolve_date, resolve_time};
use ai_admin_activities::assistant::matching::{Match, best};
use ai_admin_activities::assistant::synonyms::Synonyms;
use ai_admin_simulators::yclients::seed::Record;
use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A command as stage 1 produced it: its name and the parameters it was given (a
/// command named without what it needs has none we know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    /// Its name.
    pub command: String,
    /// Its non-empty parameters.
    pub params: BTreeMap<String, String>,
    /// Named without these.
    pub missing: Vec<String>,
}

/// The commands and problems of a turn record as [`Produced`].
pub fn produced(commands: Option<&Value>, problems: Option<&Value>) -> Vec<Produced> {
    let mut all = Vec::new();
    for command in commands.and_then(Value::as_array).into_iter().flatten() {
        let Some(object) = command.as_object() else {
            continue;
        };
        let params = object
            .iter()
            .filter(|(key, _)| *key != "command")
            .filter_map(|(key, value)| {
                value
                    .as_str()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (key.clone(), v.to_owned()))
            })
            .collect();
        all.push(Produced {
            command: object
                .get("command")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            params,
            missing: Vec::new(),
        });
    }
    for problem in problems.and_then(Value::as_array).into_iter().flatten() {
        all.push(Produced {
            command: problem["command"].as_str().unwrap_or_default().to_owned(),
            params: BTreeMap::new(),
            missing: problem["missing"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect(),
        });
    }
    all
}

/// What changed in the salon's book during a turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// New live records.
    pub booked: Vec<Record>,
    /// Records whose day, time, master or service changed: (before, after).
    pub moved: Vec<(Record, Record)>,
    /// Records cancelled.
    pub cancelled: Vec<Record>,
    /// Records whose attendance was set.
    pub confirmed: Vec<Record>,
}

impl Changes {
    /// The difference between two states of the book.
    pub fn between(before: &[Record], after: &[Record]) -> Changes {
        let old: HashMap<i64, &Record> = before.iter().map(|r| (r.id, r)).collect();
        let mut changes = Changes::default();
        for record in after {
            match old.get(&record.id) {
                None if !record.deleted => changes.booked.push(record.clone()),
                None => {}
                Some(was) if !was.deleted && record.deleted => {
                    changes.cancelled.push(record.clone());
                }
                Some(was) if !record.deleted => {
                    let moved = was.date != record.date
                        || was.time != record.time
                        || was.staff_id != record.staff_id
                        || was.service_id != record.service_id;
                    if moved {
                        changes.moved.push(((*was).clone(), record.clone()));
                    }
                    if was.attendance != record.attendance && record.attendance != 0 {
                        changes.confirmed.push(record.clone());
                    }
                }
                Some(_) => {}
            }
        }
        changes
    }

    fn is_empty(&self) -> bool {
        self.booked.is_empty()
            && self.moved.is_empty()
            && self.cancelled.is_empty()
            && self.confirmed.is_empty()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for r in &self.booked {
            parts.push(format!(
                "booked #{} {} {}",
                r.id,
                r.date,
                r.time.format("%H:%M")
            ));
        }
        for (was, now) in &self.moved {
            parts.push(format!(
                "moved #{} {} {} → {} {}",
                now.id,
                was.date,
                was.time.format("%H:%M"),
                now.date,
                now.time.format("%H:%M")
            ));
        }
        for r in &self.cancelled {
            parts.push(format!("cancelled #{}", r.id));
        }
        for r in &self.confirmed {
            parts.push(format!("confirmed #{}", r.id));
        }
        parts.join(", ")
    }
}

/// What a turn is judged against besides its spec.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The salon's services and masters as the product synced them.
    pub catalog: &'a Catalog,
    /// The day of the run, in the salon's zone.
    pub today: NaiveDate,
    /// Service key → YClients id.
    pub services: &'a HashMap<String, i64>,
    /// Master key → YClients id.
    pub staff: &'a HashMap<String, i64>,
    /// The conversation client's visits (record ids, in `salon.toml` order).
    pub visits: &'a [i64],
    /// The visit booked earlier in the conversation.
    pub booked_earlier: Option<i64>,
    /// Every price the salon charges.
    pub prices: &'a [u32],
}

/// What happened in a turn.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Stage 1's commands (none when stage 1 did not run).
    pub produced: Vec<Produced>,
    /// The book's changes.
    pub changes: Changes,
    /// The replies sent, joined.
    pub reply: Option<String>,
    /// The reaction put on the client's message, when the bot reacted.
    pub reacted: Option<String>,
}

/// A turn's verdict on each count; a reason for each that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Command names right.
    pub commands: bool,
    /// Parameters right (false when the commands are wrong).
    pub entities: bool,
    /// YClients changed as expected.
    pub effects: bool,
    /// The reply passed its checks.
    pub reply: bool,
    /// Why not, one line each.
    pub reasons: Vec<String>,
}

impl Verdict {
    /// All four hold.
    pub fn right(&self) -> bool {
        self.commands && self.entities && self.effects && self.reply
    }
}

/// Texts no client may read: the model's instructions, field and command names, markup.
const NEVER_SAID: [&str; 16] = [
    "не хватает",
    "у клиента",
    "клиенту",
    "missing",
    "summary",
    "```",
    "{\"",
    "**",
    "__",
    "SEARCH_SLOTS",
    "CREATE_BOOKING",
    "RESCHEDULE_BOOKING",
    "CANCEL_BOOKING",
    "SHOW_PRICES",
    "HANDOFF_TO_HUMAN",
    "CHECK_STAFF_SCHEDULE",
];

/// The assistant's apology (it means something failed).
const APOLOGY_START: &str = "Извините, я сейчас не могу ответить";

/// Judges one turn.
pub fn judge(spec: &TurnSpec, seen: &Observed, at: Context<'_>) -> Verdict {
    let mut verdict = Verdict {
        reasons: Vec::new(),
        ..Verdict::default()
    };
    let produced_names = names(seen.produced.iter().map(|p| p.command.as_str()));
    let lists: Vec<&Vec<ExpectedCommand>> = std::iter::once(&spec.expect)
        .chain(spec.also.iter())
        .collect();
    // Every list with the produced commands' names is tried: the entities may fit an
    // alternative («маникюр с покрытием») where they do not fit the first («маникюр»).
    let matching: Vec<&&Vec<ExpectedCommand>> = lists
        .iter()
        .filter(|list| names(list.iter().map(|c| c.command.as_str())) == produced_names)
        .collect();
    match matching.first() {
        None => {
            verdict.reasons.push(format!(
                "commands: expected {}, got {}",
                shown(&spec.expect),
                produced_text(&seen.produced)
            ));
        }
        Some(_) => {
            verdict.commands = true;
            // Each list judged once, lazily; the first one's errors are the reasons.
            let mut errors = matching
                .iter()
                .map(|list| entity_errors(list, &seen.produced, at));
            let first = errors.next().unwrap_or_default();
            let wrong = if first.is_empty() {
                first
            } else {
                errors.find(Vec::is_empty).unwrap_or(first)
            };
            verdict.entities = wrong.is_empty();
            verdict
                .reasons
                .extend(wrong.into_iter().map(|w| format!("entities: {w}")));
        }
    }
    match effect_error(spec, &seen.changes, at) {
        None => verdict.effects = true,
        Some(reason) => verdict.reasons.push(format!("effects: {reason}")),
    }
    let reply_errors = reply_errors(spec, seen, at);
    verdict.reply = reply_errors.is_empty();
    verdict
        .reasons
        .extend(reply_errors.into_iter().map(|w| format!("reply: {w}")));
    verdict
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = names.map(|n| n.trim().to_ascii_uppercase()).collect();
    names.sort();
    names.dedup();
    names
}

fn shown(list: &[ExpectedCommand]) -> String {
    if list.is_empty() {
        return "none".to_owned();
    }
    list.iter()
        .map(|c| {
            let params: Vec<String> = c.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{}({})", c.command, params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The produced commands, for a failure line.
pub fn produced_text(produced: &[Produced]) -> String {
    if produced.is_empty() {
        return "none".to_owned();
    }
    produced
        .iter()
        .map(|p| {
            let mut params: Vec<String> =
                p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !p.missing.is_empty() {
                params.push(format!("missing {}", p.missing.join("/")));
            }
            format!("{}({})", p.command, params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What a service or master phrase resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    One(i64),
    Several(Vec<i64>),
    Nothing,
}

fn resolve<T: Clone>(
    phrase: &str,
    items: &[T],
    name: impl Fn(&T) -> &str,
    id: impl Fn(&T) -> i64,
    words: &Synonyms,
) -> Resolved {
    match best(phrase, items, name, words) {
        Match::One(item) => Resolved::One(id(&item)),
        Match::Several(items) => {
            let mut ids: Vec<i64> = items.iter().map(&id).collect();
            ids.sort_unstable();
            Resolved::Several(ids)
        }
        Match::None => Resolved::Nothing,
    }
}

/// Whether two values of parameter `key` mean the same.
fn same(key: &str, expected: &str, actual: &str, at: Context<'_>) -> bool {
    let plain = |s: &str| s.trim().to_lowercase().replace('ё', "е");
    match key {
        "service" => {
            let services = &at.catalog.services;
            resolve(
                expected,
                services,
                |s| &s.title,
                |s| s.yclients_id,
                &at.catalog.words,
            ) == resolve(
                actual,
                services,
                |s| &s.title,
                |s| s.yclients_id,
                &at.catalog.words,
            )
        }
        "staff" => {
            let staff = &at.catalog.staff;
            resolve(
                expected,
                staff,
                |s| &s.name,
                |s| s.yclients_id,
                &Synonyms::default(),
            ) == resolve(
                actual,
                staff,
                |s| &s.name,
                |s| s.yclients_id,
                &Synonyms::default(),
            )
        }
        "date" => match (
            resolve_date(expected, at.today),
            resolve_date(actual, at.today),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => plain(expected) == plain(actual),
        },
        "time" => match (resolve_time(expected), resolve_time(actual)) {
            (Some(a), Some(b)) => a == b,
            _ => plain(expected) == plain(actual),
        },
        "time_preference" => part_of_day(expected) == part_of_day(actual),
        "category" => listed(expected, at) == listed(actual, at),
        "booking" => {
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            digits(expected) == digits(actual)
        }
        // A reason is free text.
        "reason" => true,
        _ => plain(expected) == plain(actual),
    }
}

fn part_of_day(phrase: &str) -> String {
    let lower = phrase.to_lowercase();
    if lower.contains("утр") {
        "morning".to_owned()
    } else if lower.contains("вечер") {
        "evening".to_owned()
    } else if lower.contains("дн") || lower.contains("обед") {
        "day".to_owned()
    } else {
        // «после 6» and «после 18» are the same evening.
        let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
        match digits.parse::<u32>() {
            Ok(hour @ 1..=7) => (hour + 12).to_string(),
            _ => digits,
        }
    }
}

fn listed(category: &str, at: Context<'_>) -> Vec<String> {
    let shown = show_prices(at.catalog, Some(category));
    let mut titles: Vec<String> = shown
        .data
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["service"].as_str().map(str::to_owned))
        .collect();
    titles.sort();
    titles
}

/// Parameters whose absence or invention is wrong.
const FACTS: [&str; 4] = ["service", "staff", "date", "time"];

fn entity_errors(
    expected: &[ExpectedCommand],
    produced: &[Produced],
    at: Context<'_>,
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut used = vec![false; produced.len()];
    for want in expected {
        let found = produced
            .iter()
            .enumerate()
            .find(|(i, p)| !used[*i] && p.command.eq_ignore_ascii_case(&want.command));
        let Some((i, got)) = found else {
            continue;
        };
        used[i] = true;
        if !got.missing.is_empty() {
            // Named without what it needs: right only when the expectation lacks it too.
            for field in &got.missing {
                if want.params.contains_key(field) {
                    errors.push(format!("{} lacks {field}", want.command));
                }
            }
            continue;
        }
        for (key, value) in &want.params {
            match got.params.get(key) {
                None if key == "reason" || key == "time_preference" => {}
                None => errors.push(format!("{} lacks {key} ({value})", want.command)),
                Some(actual) if !same(key, value, actual, at) => errors.push(format!(
                    "{} {key}: expected {value:?}, got {actual:?}",
                    want.command
                )),
                Some(_) => {}
            }
        }
        for (key, value) in &got.params {
            if FACTS.contains(&key.as_str()) && !want.params.contains_key(key) {
                errors.push(format!("{} invented {key} = {value:?}", want.command));
            }
        }
    }
    errors
}

fn visit_id(visit: &Visit, at: Context<'_>) -> Option<i64> {
    match visit {
        Visit::Index(i) => at.visits.get(*i).copied(),
        Visit::Named(_) => at.booked_earlier,
    }
}

fn booked_error(want: &Booked, record: &Record, at: Context<'_>) -> Option<String> {
    let services: Vec<i64> = want
        .service
        .all()
        .iter()
        .filter_map(|k| at.services.get(*k).copied())
        .collect();
    let day = super::salon::day(at.today, &want.day).ok()?;
    let time = NaiveTime::parse_from_str(&want.time, "%H:%M").ok()?;
    let staff_ok = want
        .staff
        .as_ref()
        .is_none_or(|key| at.staff.get(key) == Some(&record.staff_id));
    let right = services.contains(&record.service_id)
        && record.date == day
        && record.time == time
        && staff_ok;
    (!right).then(|| {
        format!(
            "booked {} {} {} with {}, expected {} {} {}{}",
            at.catalog
                .services
                .iter()
                .find(|s| s.yclients_id == record.service_id)
                .map_or("?", |s| s.title.as_str()),
            record.date,
            record.time.format("%H:%M"),
            record.staff_id,
            want.service.all().join("|"),
            day,
            want.time,
            want.staff
                .as_ref()
                .map(|s| format!(" with {s}"))
                .unwrap_or_default()
        )
    })
}

fn effect_error(spec: &TurnSpec, changes: &Changes, at: Context<'_>) -> Option<String> {
    if let Some(want) = &spec.booked {
        return match changes.booked.as_slice() {
            [record] if changes.moved.is_empty() && changes.cancelled.is_empty() => {
                booked_error(want, record, at)
            }
            _ => Some(format!("expected one booking, got {}", or_nothing(changes))),
        };
    }
    if let Some(want) = &spec.moved {
        let id = visit_id(&want.visit, at);
        let day = super::salon::day(at.today, &want.day).ok();
        let time = NaiveTime::parse_from_str(&want.time, "%H:%M").ok();
        return match changes.moved.as_slice() {
            [(_, now)]
                if changes.booked.is_empty()
                    && changes.cancelled.is_empty()
                    && Some(now.id) == id
                    && Some(now.date) == day
                    && Some(now.time) == time =>
            {
                None
            }
            _ => Some(format!(
                "expected visit #{} moved to {} {}, got {}",
                id.unwrap_or_default(),
                want.day,
                want.time,
                or_nothing(changes)
            )),
        };
    }
    if let Some(want) = &spec.cancelled {
        let id = visit_id(&want.visit, at);
        return match changes.cancelled.as_slice() {
            [record] if Some(record.id) == id && changes.booked.is_empty() => None,
            _ => Some(format!(
                "expected visit #{} cancelled, got {}",
                id.unwrap_or_default(),
                or_nothing(changes)
            )),
        };
    }
    if let Some(want) = &spec.confirmed {
        let id = visit_id(&want.visit, at);
        return match changes.confirmed.as_slice() {
            [record]
                if Some(record.id) == id
                    && changes.booked.is_empty()
                    && changes.cancelled.is_empty() =>
            {
                None
            }
            _ => Some(format!(
                "expected visit #{} confirmed, got {}",
                id.unwrap_or_default(),
                or_nothing(changes)
            )),
        };
    }
    (!changes.is_empty()).then(|| format!("expected no change, got {}", changes.describe()))
}

fn or_nothing(changes: &Changes) -> String {
    if changes.is_empty() {
        "nothing".to_owned()
    } else {
        changes.describe()
    }
}

/// Lower case, `ё` as `е`, spaces inside numbers dropped («1 800» → «1800»).
fn normalised(text: &str) -> String {
    let chars: Vec<char> = text.to_lowercase().replace('ё', "е").chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if matches!(c, ' ' | '\u{a0}' | '\u{202f}') && between_digits {
            continue;
        }
        out.push(*c);
    }
    out
}

/// Prices in a reply: numbers of 3+ digits followed by ₽ or «руб».
fn prices_in(text: &str) -> Vec<u32> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let rest: String = chars[i..].iter().take(5).collect();
            let rest = rest.trim_start();
            if number.len() >= 3
                && (rest.starts_with('₽') || rest.starts_with("руб"))
                && let Ok(n) = number.parse()
            {
                found.push(n);
            }
        } else {
            i += 1;
        }
    }
    found
}

fn reply_errors(spec: &TurnSpec, seen: &Observed, at: Context<'_>) -> Vec<String> {
    let mut errors = Vec::new();
    if spec.reaction {
        if seen.reacted.is_none() {
            errors.push("no reaction".to_owned());
        }
        if let Some(reply) = &seen.reply {
            errors.push(format!("wrote {reply:?} where a reaction does"));
        }
        return errors;
    }
    let Some(reply) = seen.reply.as_deref() else {
        match (&seen.reacted, spec.silent) {
            (Some(reaction), true) => errors.push(format!("expected silence, reacted {reaction}")),
            (Some(reaction), false) => {
                errors.push(format!("reacted {reaction} instead of answering"));
            }
            (None, false) => errors.push("no reply".to_owned()),
            (None, true) => {}
        }
        return errors;
    };
    if spec.silent {
        errors.push(format!("expected silence, sent {reply:?}"));
        return errors;
    }
    let text = normalised(reply);
    for want in &spec.reply.has {
        let options: Vec<String> = want
            .split('|')
            .map(|o| normalised(&dated(o, at.today)))
            .collect();
        if !options.iter().any(|o| text.contains(o.as_str())) {
            errors.push(format!("lacks {want:?}"));
        }
    }
    for unwanted in &spec.reply.lacks {
        if text.contains(normalised(&dated(unwanted, at.today)).as_str()) {
            errors.push(format!("says {unwanted:?}"));
        }
    }
    for never in NEVER_SAID {
        if reply.contains(never) || text.contains(&never.to_lowercase()) {
            errors.push(format!("says {never:?}, meant for the model"));
        }
    }
    if reply.starts_with(APOLOGY_START) {
        errors.push("the apology".to_owned());
    }
    for price in prices_in(&normalised(reply)) {
        if !at.prices.contains(&price) {
            errors.push(format!("a price the salon does not charge: {price}"));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_clients_read_them() {
        assert_eq!(normalised("Цена 1 800 ₽, Ёлка"), "цена 1800 ₽, елка");
        assert_eq!(
            dated(
                "на {+1} в 15:00",
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
            ),
            "на 01.01 в 15:00"
        );
        assert_eq!(prices_in("от 1800 до 2300 ₽; 500 руб; 15:00"), [2300, 500]);
    }

    #[test]
    fn an_alternative_whose_entities_fit_makes_the_turn_right() {
        use ai_admin_activities::assistant::catalog::ServiceInfo;
        let service = |id, title: &str| ServiceInfo {
            yclients_id: id,
            title: title.to_owned(),
            category: None,
            price_min: None,
            price_max: None,
            duration: None,
            description: None,
        };
        let catalog = Catalog {
            services: vec![
                service(1, "Маникюр с покрытием гель-лак"),
                service(2, "Маникюр без покрытия"),
            ],
            staff: Vec::new(),
            words: Synonyms::common(),
        };
        let spec: TurnSpec = toml::from_str(
            r#"
            say = ["а вечером есть?"]
            expect = [{ command = "SEARCH_SLOTS", service = "маникюр" }]
            also = [[{ command = "SEARCH_SLOTS", service = "маникюр с покрытием" }]]
            "#,
        )
        .unwrap();
        let seen = |said: &str| Observed {
            produced: vec![Produced {
                command: "SEARCH_SLOTS".to_owned(),
                params: BTreeMap::from([("service".to_owned(), said.to_owned())]),
                missing: Vec::new(),
            }],
            changes: Changes::default(),
            reply: Some("Свободное время".to_owned()),
            reacted: None,
        };
        let none = HashMap::new();
        let at = Context {
            catalog: &catalog,
            today: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            services: &none,
            staff: &none,
            visits: &[],
            booked_earlier: None,
            prices: &[],
        };
        let right = judge(&spec, &seen("Маникюр с покрытием гель-лак"), at);
        assert!(right.entities, "{:?}", right.reasons);
        let wrong = judge(&spec, &seen("Маникюр без покрытия"), at);
        assert!(!wrong.entities);
        // The reason names the first expectation.
        assert!(
            wrong.reasons[0].contains("\"маникюр\""),
            "{:?}",
            wrong.reasons
        );
    }

    #[test]
    fn the_changes_of_a_book_are_found() {
        let record = |id, day: u32, attendance, deleted| Record {
            id,
            staff_id: 1,
            service_id: 1,
            client_id: 1,
            date: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            time: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
            api_id: None,
            attendance,
            deleted,
        };
        let before = [
            record(1, 2, 0, false),
            record(2, 3, 0, false),
            record(3, 4, 0, false),
        ];
        let after = [
            record(1, 5, 0, false),
            record(2, 3, 0, true),
            record(3, 4, 2, false),
            record(4, 6, 0, false),
        ];
        let changes = Changes::between(&before, &after);
        assert_eq!(changes.moved.len(), 1);
        assert_eq!(changes.cancelled[0].id, 2);
        assert_eq!(changes.confirmed[0].id, 3);
        assert_eq!(changes.booked[0].id, 4);
        assert!(Changes::between(&before, &before).is_empty());
    }
}
