//! The simulator's stage 2: the reply text from the command results the product put in
//! the prompt. The product gives each result a factual `summary`; the simulator strings
//! them together (a real model would phrase them), and answers small talk itself.

use serde_json::Value;

/// The reply to stage 2's last user turn (the message and its results).
pub fn reply(input: &str) -> String {
    let results = results(input);
    let summaries: Vec<String> = results
        .iter()
        .filter_map(|result| {
            result
                .get("summary")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|s| !s.trim().is_empty())
        .collect();
    if !summaries.is_empty() {
        return summaries.join(" ");
    }
    let message = message(input).to_lowercase();
    if ["спасибо", "благодар"].iter().any(|w| message.contains(w)) {
        "Пожалуйста! Будем рады видеть вас.".to_owned()
    } else if ["здравств", "привет", "добрый"]
        .iter()
        .any(|w| message.contains(w))
    {
        "Здравствуйте! Чем могу помочь: записать вас, подобрать время или рассказать о ценах?"
            .to_owned()
    } else {
        "Подскажите, пожалуйста, чем могу помочь: записать вас, подобрать свободное время или рассказать о ценах?"
            .to_owned()
    }
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

    #[test]
    fn results_are_told_and_small_talk_is_answered() {
        let input = "Сообщение клиента:\nЗапишите на стрижку\n\nРезультаты команд (JSON):\n```json\n[{\"command\":\"CREATE_BOOKING\",\"summary\":\"Записала вас на 25.12 в 15:00.\"}]\n```";
        assert_eq!(reply(input), "Записала вас на 25.12 в 15:00.");
        let hello =
            "Сообщение клиента:\nДобрый день!\n\nРезультаты команд (JSON):\n```json\n[]\n```";
        assert!(reply(hello).starts_with("Здравствуйте"));
    }
}
