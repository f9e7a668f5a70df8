//! The demo brain's stage 2: the reply from the command results the product put in the
//! prompt. The product gives each result a factual `summary` in the client's words; the
//! brain tells them, adds what an administrator would ask next (which time suits, a
//! goodbye), greets only at the start of a conversation, and answers small talk itself.
//! It never says more than the results hold: what it does not know it says so and
//! offers a person.

use super::words::normalised;
use serde_json::Value;

/// The reply to stage 2's last user turn (the message and its results), after `history`
/// ((role, text), oldest first).
pub fn reply(input: &str, history: &[(String, String)]) -> String {
    let results = results(input);
    let message = normalised(message(input));
    let first_reply = !history.iter().any(|(role, _)| role == "model");
    let greeting = if first_reply && greets(&message) {
        "Здравствуйте! "
    } else {
        ""
    };
    let told: Vec<String> = results.iter().filter_map(|r| told(r, &message)).collect();
    if !told.is_empty() {
        return format!("{greeting}{}", told.join(" "));
    }
    let last_said = history
        .iter()
        .rev()
        .find(|(role, _)| role == "model")
        .map(|(_, text)| text.as_str())
        .unwrap_or_default();
    format!(
        "{greeting}{}",
        small_talk(&message, last_said, !greeting.is_empty())
    )
}

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// `message` has one of these as a whole word.
fn says(message: &str, options: &[&str]) -> bool {
    super::words::words(message)
        .iter()
        .any(|w| options.contains(w))
}

fn greets(message: &str) -> bool {
    has(
        message,
        &[
            "здравств",
            "привет",
            "добрый",
            "доброе",
            "добрый вечер",
            "хай",
        ],
    )
}

/// The one time to offer when the client asked for the earliest or the latest.
fn one_time(result: &Value, message: &str) -> Option<String> {
    let times: Vec<&str> = result["data"]["times"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let time = if has(
        message,
        &["самое раннее", "ближайш", "как можно раньше", "пораньше"],
    ) {
        times.first()?
    } else if has(
        message,
        &["самое позднее", "попозже", "последн", "как можно позже"],
    ) {
        times.last()?
    } else {
        return None;
    };
    let date = result["data"]["date"].as_str()?;
    let (_, month_day) = date.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let service = result["data"]["service"].as_str().unwrap_or("визит");
    let who = result["data"]["staff"]
        .as_str()
        .map(|s| format!(" у мастера {s}"))
        .unwrap_or_default();
    Some(format!(
        "Свободное время на «{service}»{who} {day}.{month}: {time}. Записать вас?"
    ))
}

/// One result as the client hears it.
fn told(result: &Value, message: &str) -> Option<String> {
    let summary = result.get("summary").and_then(Value::as_str)?.trim();
    if summary.is_empty() {
        return None;
    }
    let ok = result["ok"].as_bool().unwrap_or(false);
    if ok
        && result["command"] == "SEARCH_SLOTS"
        && let Some(offer) = one_time(result, message)
    {
        return Some(offer);
    }
    let next = match (result["command"].as_str().unwrap_or_default(), ok) {
        ("SEARCH_SLOTS", true) => " На какое время вас записать?",
        ("CREATE_BOOKING", true) => " Ждём вас!",
        ("RESCHEDULE_BOOKING", true) => " Ждём вас в новое время!",
        ("CANCEL_BOOKING", true) => " Если захотите записаться снова — напишите.",
        ("CONFIRM_BOOKING", true) => " Ждём вас!",
        _ => "",
    };
    // The product's summaries keep record numbers for the model; a client needs none.
    let summary = without_record_number(summary);
    Some(format!("{summary}{next}"))
}

/// «… Номер записи 123.» dropped.
fn without_record_number(summary: &str) -> String {
    match summary.find(" Номер записи") {
        Some(at) => {
            let rest = &summary[at + 1..];
            let end = rest.find('.').map_or(rest.len(), |e| e + 1);
            format!("{}{}", &summary[..at], &rest[end..])
        }
        None => summary.to_owned(),
    }
}

/// The answer when no command ran.
fn small_talk(message: &str, last_said: &str, greeted: bool) -> String {
    if message.contains("[голосовое") || message.contains("[аудио") {
        return "К сожалению, я не могу прослушать голосовое сообщение — напишите, пожалуйста, \
                текстом, и я сразу помогу."
            .to_owned();
    }
    if message.trim_start().starts_with('[') {
        return "Вложение я открыть не могу — напишите, пожалуйста, текстом, что вас интересует."
            .to_owned();
    }
    if has(message, &["спасибо", "благодар", "спс"]) {
        return "Пожалуйста! Будем рады видеть вас.".to_owned();
    }
    if has(
        message,
        &["до свидания", "до встречи", "всего доброго", "хорошего дня"],
    ) || says(message, &["пока"])
    {
        return "До встречи! Хорошего дня.".to_owned();
    }
    if last_said.contains("Записала вас")
        && (message.contains('👍')
            || says(
                message,
                &["да", "ок", "хорошо", "отлично", "супер", "понял", "поняла"],
            ))
    {
        return "Отлично, ждём вас!".to_owned();
    }
    if says(message, &["бот", "робот"]) || has(message, &["ты человек", "вы человек", "нейросет"])
    {
        return "Я виртуальный администратор салона: записываю, переношу и отменяю визиты, \
                подсказываю цены и свободное время. Если нужен человек — напишите, позову \
                администратора."
            .to_owned();
    }
    if has(
        message,
        &[
            "где ",
            "адрес",
            "как добраться",
            "до скольки",
            "во сколько",
            "часы работы",
            "телефон",
            "парковк",
            "что такое",
            "сколько длится",
            "как долго",
        ],
    ) {
        return "Точно подскажет администратор салона — могу позвать его в этот чат. А записать \
                вас, подобрать время или рассказать о ценах могу сама."
            .to_owned();
    }
    if message.contains('👍') || says(message, &["ок", "понятно", "хорошо", "ясно"])
    {
        return "Хорошо! Если будут вопросы — пишите.".to_owned();
    }
    if greeted {
        return "Чем могу помочь: записать вас, подобрать время или рассказать о ценах?".to_owned();
    }
    "Подскажите, пожалуйста, чем могу помочь: записать вас, подобрать свободное время или \
     рассказать о ценах?"
        .to_owned()
}

/// The JSON array inside the ```json fence, if any.
fn results(input: &str) -> Vec<Value> {
    let Some(start) = input.find("```json") else {
        return Vec::new();
    };
    let body = &input[start + "```json".len()..];
    let body = body.split("```").next().unwrap_or_default();
    match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// The client's message: what follows the first line, up to the results.
fn message(input: &str) -> &str {
    let after = input.split_once('\n').map_or(input, |(_, rest)| rest);
    after.split("```").next().unwrap_or(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(message: &str, results: &str) -> String {
        format!(
            "Сообщение клиента:\n{message}\n\nРезультаты команд (JSON):\n```json\n{results}\n```"
        )
    }

    #[test]
    fn results_are_told_with_what_comes_next_and_a_greeting_only_at_the_start() {
        let booked = input(
            "Запишите на стрижку",
            r#"[{"command":"CREATE_BOOKING","ok":true,"summary":"Записала вас на 25.12 в 15:00. Номер записи 123."}]"#,
        );
        assert_eq!(
            reply(&booked, &[]),
            "Записала вас на 25.12 в 15:00. Ждём вас!"
        );
        let hello = input("Добрый день!", "[]");
        assert!(reply(&hello, &[]).starts_with("Здравствуйте"));
        let later = [("model".to_owned(), "Цены: …".to_owned())];
        assert!(!reply(&hello, &later).contains("Здравствуйте"));
    }

    #[test]
    fn small_talk_is_answered_and_unknown_facts_go_to_a_person() {
        let voice = input("[голосовое сообщение]", "[]");
        assert!(reply(&voice, &[]).contains("текстом"));
        let thanks = input("спасибо!", "[]");
        assert!(reply(&thanks, &[]).starts_with("Пожалуйста"));
        let address = input("где вы находитесь?", "[]");
        assert!(reply(&address, &[]).contains("администратор"));
        let after = [(
            "model".to_owned(),
            "Записала вас на 25.12 в 15:00.".to_owned(),
        )];
        assert_eq!(reply(&input("Да", "[]"), &after), "Отлично, ждём вас!");
    }
}
