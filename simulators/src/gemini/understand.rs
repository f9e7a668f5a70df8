//! The simulator's "understanding" of Russian: a rule-based intent and slot extractor
//! that turns a client's message into stage 1 commands. It is the offline stand-in for
//! the model, good enough to drive the test scenarios; it copies values as the client
//! wrote them («стрижку», «к Анне», «завтра»), so the product's own fuzzy matching and
//! date resolution are what the tests exercise.

use serde_json::{Value, json};

const DATE_WORDS: [&str; 3] = ["сегодня", "послезавтра", "завтра"];
const WEEKDAYS: [(&str, &str); 7] = [
    ("понедельник", "в понедельник"),
    ("вторник", "во вторник"),
    ("сред", "в среду"),
    ("четверг", "в четверг"),
    ("пятниц", "в пятницу"),
    ("суббот", "в субботу"),
    ("воскресень", "в воскресенье"),
];
/// Words after «на» that are not a service.
const NOT_SERVICES: [&str; 12] = [
    "сегодня",
    "завтра",
    "послезавтра",
    "утро",
    "вечер",
    "день",
    "неделе",
    "этой",
    "следующей",
    "время",
    "приём",
    "прием",
];

/// Stage 1's answer for the client's latest words.
pub fn commands(message: &str) -> Value {
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let mut commands = Vec::new();
    if let Some(name) = introduced_name(message) {
        commands.push(json!({ "command": "SAVE_CLIENT_NAME", "params": { "name": name } }));
    }
    let date = date(&lower);
    let time = time(&lower);
    let staff = staff(message);
    let service = service(&lower);
    if has(&[
        "администратор",
        "живого",
        "человек",
        "оператор",
        "менеджер",
        "жалоб",
    ]) {
        commands
            .push(json!({ "command": "HANDOFF_TO_HUMAN", "params": { "reason": message.trim() } }));
    } else if has(&["подтвержда"]) {
        commands.push(json!({ "command": "CONFIRM_BOOKING", "params": {} }));
    } else if has(&["отмен"]) {
        commands.push(json!({ "command": "CANCEL_BOOKING", "params": booking(&lower) }));
    } else if has(&["перенес", "перенест", "перезапис", "передвин"])
    {
        let mut params = booking(&lower);
        put(&mut params, "date", date);
        put(&mut params, "time", time);
        commands.push(json!({ "command": "RESCHEDULE_BOOKING", "params": params }));
    } else if has(&[
        "цен",
        "сколько стоит",
        "прайс",
        "стоимост",
        "почём",
        "почем",
    ]) {
        let mut params = json!({});
        put(&mut params, "category", service);
        commands.push(json!({ "command": "SHOW_PRICES", "params": params }));
    } else if has(&["когда работает", "график", "расписание", "работает ли"])
    {
        let mut params = json!({});
        put(&mut params, "staff", staff);
        put(&mut params, "date", date);
        commands.push(json!({ "command": "CHECK_STAFF_SCHEDULE", "params": params }));
    } else if has(&["запиш", "записат", "запись", "хочу на", "можно на"])
    {
        let mut params = json!({});
        let complete = service.is_some() && date.is_some() && time.is_some();
        put(&mut params, "service", service);
        put(&mut params, "date", date);
        put(&mut params, "staff", staff);
        if complete {
            put(&mut params, "time", time);
            commands.push(json!({ "command": "CREATE_BOOKING", "params": params }));
        } else {
            put(&mut params, "time_preference", time_preference(&lower));
            commands.push(json!({ "command": "SEARCH_SLOTS", "params": params }));
        }
    } else if has(&["свобод", "окошк", "окно", "есть время", "когда можно"])
    {
        let mut params = json!({});
        put(&mut params, "service", service);
        put(&mut params, "date", date);
        put(&mut params, "staff", staff);
        put(&mut params, "time_preference", time_preference(&lower));
        commands.push(json!({ "command": "SEARCH_SLOTS", "params": params }));
    }
    json!({ "commands": commands })
}

fn put(params: &mut Value, key: &str, value: Option<String>) {
    if let Some(value) = value {
        params[key] = Value::String(value);
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn date(lower: &str) -> Option<String> {
    for word in DATE_WORDS {
        if words(lower).contains(&word) {
            return Some(word.to_owned());
        }
    }
    for (stem, phrase) in WEEKDAYS {
        if lower.contains(stem) {
            return Some(phrase.to_owned());
        }
    }
    // 25.12 or 25.12.2026
    words(lower).into_iter().find_map(|w| {
        let parts: Vec<&str> = w.trim_end_matches('.').split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        (numeric && (2..=3).contains(&parts.len())).then(|| w.trim_end_matches('.').to_owned())
    })
}

fn time(lower: &str) -> Option<String> {
    let tokens = words(lower);
    // 15:00, 9:30
    if let Some(t) = tokens.iter().find_map(|w| {
        let (h, m) = w.split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
    }) {
        return Some(t);
    }
    // «в 15», «в 3 часа дня»
    tokens.windows(2).find_map(|pair| {
        if pair[0] != "в" && pair[0] != "на" {
            return None;
        }
        let hour = pair[1].parse::<u32>().ok()?;
        let pm = lower.contains("дня") || lower.contains("вечера");
        let hour = if pm && hour < 12 { hour + 12 } else { hour };
        (8..=22).contains(&hour).then(|| format!("{hour:02}:00"))
    })
}

fn time_preference(lower: &str) -> Option<String> {
    ["утром", "днём", "днем", "вечером", "после обеда"]
        .into_iter()
        .find(|w| lower.contains(w))
        .map(str::to_owned)
}

/// «к Анне», «у Марии», «мастер Ольга»: a capitalised word after those.
fn staff(message: &str) -> Option<String> {
    let tokens = words(message);
    tokens.windows(2).find_map(|pair| {
        let lead = pair[0].to_lowercase();
        let name = pair[1];
        let capital = name.chars().next().is_some_and(char::is_uppercase);
        (capital && ["к", "у", "мастер", "мастеру", "мастера"].contains(&lead.as_str()))
            .then(|| format!("{} {name}", pair[0]))
    })
}

/// The words after «на» that name a service: «на стрижку», «на маникюр с покрытием».
fn service(lower: &str) -> Option<String> {
    let tokens = words(lower);
    let start = tokens
        .iter()
        .enumerate()
        .find(|(i, w)| {
            (**w == "на" || **w == "цены" || **w == "стоит")
                && tokens
                    .get(i + 1)
                    .is_some_and(|next| !is_stop(next) && !NOT_SERVICES.contains(next))
        })?
        .0;
    let phrase: Vec<&str> = tokens[start + 1..]
        .iter()
        .take_while(|w| !is_stop(w) && !NOT_SERVICES.contains(w))
        .take(3)
        .copied()
        .collect();
    (!phrase.is_empty()).then(|| phrase.join(" "))
}

fn is_stop(word: &str) -> bool {
    DATE_WORDS.contains(&word)
        || [
            "в",
            "во",
            "к",
            "у",
            "на",
            "и",
            "а",
            "мастеру",
            "мастер",
            "пожалуйста",
            "можно",
        ]
        .contains(&word)
        || word.chars().next().is_some_and(|c| c.is_ascii_digit())
        || WEEKDAYS.iter().any(|(stem, _)| word.starts_with(stem))
}

/// «меня зовут Ольга», «я — Ольга» at the start.
fn introduced_name(message: &str) -> Option<String> {
    let tokens = words(message);
    let lower: Vec<String> = tokens.iter().map(|w| w.to_lowercase()).collect();
    let at = lower
        .windows(2)
        .position(|p| p[0] == "меня" && p[1] == "зовут")?;
    tokens.get(at + 2).map(|name| {
        let mut chars = name.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    })
}

/// «запись 123», «#123»: which booking.
fn booking(lower: &str) -> Value {
    let number = lower
        .split(|c: char| !c.is_ascii_digit())
        .find(|digits| digits.len() >= 3);
    match number {
        Some(id) if !lower.contains(':') => json!({ "booking": id }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(message: &str) -> Value {
        commands(message)["commands"][0].clone()
    }

    #[test]
    fn booking_requests_with_everything_book_and_others_search() {
        assert_eq!(
            first("Запишите меня на стрижку завтра в 15:00 к Анне"),
            json!({ "command": "CREATE_BOOKING", "params": {
                "service": "стрижку", "date": "завтра", "time": "15:00", "staff": "к Анне" } })
        );
        assert_eq!(
            first("Хочу записаться на маникюр с покрытием в пятницу"),
            json!({ "command": "SEARCH_SLOTS", "params": {
                "service": "маникюр с покрытием", "date": "в пятницу" } })
        );
        assert_eq!(
            first("Есть свободное время завтра у Марии вечером?"),
            json!({ "command": "SEARCH_SLOTS", "params": {
                "date": "завтра", "staff": "у Марии", "time_preference": "вечером" } })
        );
    }

    #[test]
    fn the_other_intents_are_recognised() {
        assert_eq!(first("Сколько стоит маникюр?")["command"], "SHOW_PRICES");
        assert_eq!(
            first("Какие цены на стрижки?")["params"]["category"],
            "стрижки"
        );
        assert_eq!(first("Отмените мою запись")["command"], "CANCEL_BOOKING");
        assert_eq!(
            first("Перенесите запись на послезавтра в 3 часа дня"),
            json!({ "command": "RESCHEDULE_BOOKING", "params": {
                "date": "послезавтра", "time": "15:00" } })
        );
        assert_eq!(first("Подтверждаю")["command"], "CONFIRM_BOOKING");
        assert_eq!(
            first("Позовите администратора")["command"],
            "HANDOFF_TO_HUMAN"
        );
        assert_eq!(
            first("Когда работает мастер Ольга?")["params"]["staff"],
            "мастер Ольга"
        );
        assert_eq!(
            first("Меня зовут ольга"),
            json!({ "command": "SAVE_CLIENT_NAME", "params": { "name": "Ольга" } })
        );
        assert_eq!(commands("Здравствуйте!"), json!({ "commands": [] }));
    }
}
