//! The chat-completions wire format: the request body (stage 1's schema as a JSON
//! Schema `response_format`, or `json_object` with the schema in the instruction for
//! servers that take no schema), the answer's text with any reasoning cut out, and
//! the JSON inside an answer that ignored the format.

use crate::clients::llm::{Generated, LlmError, Prompt, Role, TokenUsage};
use serde::Deserialize;
use serde_json::{Value, json};

/// How stage 1 asks for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMode {
    /// `response_format: {type: json_schema}` (OpenAI, vLLM, Ollama, llama.cpp, OpenRouter).
    Schema,
    /// `response_format: {type: json_object}` and the schema in the system message
    /// (DeepSeek and servers that refuse a schema).
    Object,
}

/// The body of `POST {base}/chat/completions`.
pub fn request_body(prompt: &Prompt, model: &str, mode: JsonMode) -> Value {
    let mut system = prompt.system.clone();
    let mut body = json!({
        "model": model,
        "temperature": prompt.temperature,
        "max_tokens": prompt.max_output_tokens,
    });
    if let Some(schema) = &prompt.response_schema {
        let schema = json_schema(schema);
        match mode {
            JsonMode::Schema => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": { "name": "commands", "schema": schema, "strict": false },
                });
            }
            JsonMode::Object => {
                body["response_format"] = json!({ "type": "json_object" });
                system.push_str(
                    "\n\nОтвечай только JSON-объектом по этой JSON Schema, без текста вокруг:\n",
                );
                system.push_str(&schema.to_string());
            }
        }
    }
    let mut messages = vec![json!({ "role": "system", "content": system })];
    messages.extend(prompt.turns.iter().map(|turn| {
        json!({
            "role": match turn.role { Role::User => "user", Role::Model => "assistant" },
            "content": turn.text,
        })
    }));
    body["messages"] = Value::Array(messages);
    body
}

/// Gemini's OpenAPI-subset schema (`"type": "OBJECT"`, `nullable`) as JSON Schema.
pub fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            let nullable = map.get("nullable").and_then(Value::as_bool) == Some(true);
            for (key, value) in map {
                match key.as_str() {
                    "type" => {
                        let name = value.as_str().unwrap_or("string").to_ascii_lowercase();
                        out.insert(
                            "type".into(),
                            if nullable {
                                json!([name, "null"])
                            } else {
                                json!(name)
                            },
                        );
                    }
                    "nullable" | "propertyOrdering" => {}
                    "properties" => {
                        let properties = value
                            .as_object()
                            .map(|props| {
                                props
                                    .iter()
                                    .map(|(name, sub)| (name.clone(), json_schema(sub)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert("properties".into(), Value::Object(properties));
                    }
                    "items" => {
                        out.insert("items".into(), json_schema(value));
                    }
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    model: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
    #[serde(default)]
    total_tokens: u32,
}

/// Reads a 2xx answer: the first choice's content without reasoning. A reasoning
/// model's `reasoning_content` is not read at all.
pub fn parse_response(body: &str) -> Result<Generated, LlmError> {
    let response: Response = serde_json::from_str(body).map_err(|e| {
        LlmError::InvalidResponse(format!(
            "{e} in {:?}",
            crate::clients::http_answer::snippet(body)
        ))
    })?;
    let usage = response
        .usage
        .map(|u| TokenUsage {
            prompt: u.prompt_tokens,
            output: u.completion_tokens,
            total: u.total_tokens.max(u.prompt_tokens + u.completion_tokens),
        })
        .unwrap_or_default();
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(LlmError::NoText("no choices".to_owned()));
    };
    let finish_reason = choice.finish_reason.unwrap_or_else(|| "stop".to_owned());
    let message = choice.message;
    let text = without_reasoning(
        message
            .as_ref()
            .and_then(|m| m.content.as_deref())
            .unwrap_or_default(),
    );
    if text.trim().is_empty() {
        let why = message
            .and_then(|m| m.refusal)
            .map_or(finish_reason, |refusal| format!("refusal: {refusal}"));
        return Err(LlmError::NoText(why));
    }
    Ok(Generated {
        text,
        usage,
        finish_reason,
        model: response.model.unwrap_or_default(),
        provider: String::new(),
        troubles: Vec::new(),
    })
}

#[derive(Debug, Deserialize)]
struct Transcription {
    #[serde(default)]
    text: String,
}

/// Reads a 2xx `/audio/transcriptions` answer (`{"text": …}`; some servers send the
/// bare text whatever `response_format` asked). Empty text is an answer: nothing
/// could be made out.
pub fn parse_transcription(body: &str, model: &str) -> Result<Generated, LlmError> {
    let text = match serde_json::from_str::<Transcription>(body) {
        Ok(transcription) => transcription.text,
        Err(_) if !body.trim_start().starts_with('{') => body.to_owned(),
        Err(e) => {
            return Err(LlmError::InvalidResponse(format!(
                "{e} in {:?}",
                crate::clients::http_answer::snippet(body)
            )));
        }
    };
    Ok(Generated {
        text: text.trim().to_owned(),
        usage: TokenUsage::default(),
        finish_reason: "stop".to_owned(),
        model: model.to_owned(),
        provider: String::new(),
        troubles: Vec::new(),
    })
}

/// `content` without `<think>…</think>` blocks (an unclosed one runs to the end:
/// a reasoning model cut short said nothing for the client).
pub fn without_reasoning(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("<think>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</think>") {
            Some(end) => rest = &rest[start + end + "</think>".len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

/// The JSON value in an answer that may wrap it in prose or a code fence (a server
/// that ignored the requested format): the text itself when it parses, else the
/// first `{`/`[` to its last closing match. `None` when no JSON is there.
pub fn json_in(text: &str) -> Option<String> {
    let text = text.trim();
    if serde_json::from_str::<Value>(text).is_ok() {
        return Some(text.to_owned());
    }
    let open = text.find(['{', '['])?;
    let close = if text[open..].starts_with('{') {
        '}'
    } else {
        ']'
    };
    let end = text.rfind(close)?;
    let candidate = text.get(open..=end)?;
    serde_json::from_str::<Value>(candidate)
        .ok()
        .map(|_| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::llm::{Stage, Turn};

    #[test]
    fn a_transcription_is_its_text_whether_json_or_bare() {
        let json = parse_transcription(r#"{"text":" Запишите на завтра "}"#, "whisper-1").unwrap();
        assert_eq!(
            (json.text.as_str(), json.model.as_str()),
            ("Запишите на завтра", "whisper-1")
        );
        assert_eq!(
            parse_transcription("Да, подходит\n", "m").unwrap().text,
            "Да, подходит"
        );
        assert_eq!(parse_transcription(r#"{"text":""}"#, "m").unwrap().text, "");
        assert!(matches!(
            parse_transcription(r#"{"text": 5"#, "m"),
            Err(LlmError::InvalidResponse(_))
        ));
    }

    fn stage1() -> Prompt {
        Prompt {
            stage: Stage::Understand,
            system: "Ты администратор".into(),
            turns: vec![Turn::user("Привет"), Turn::model("Здравствуйте!")],
            response_schema: Some(json!({
                "type": "OBJECT",
                "properties": { "commands": { "type": "ARRAY", "items": {
                    "type": "STRING", "nullable": true } } },
                "required": ["commands"],
            })),
            temperature: 0.2,
            max_output_tokens: 512,
        }
    }

    #[test]
    fn stage_1_asks_for_its_schema_in_json_schema_terms_or_in_the_instruction() {
        let body = request_body(&stage1(), "deepseek-chat", JsonMode::Schema);
        assert_eq!(body["model"], "deepseek-chat");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][2]["role"], "assistant");
        let schema = &body["response_format"]["json_schema"]["schema"];
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["commands"]["type"], "array");
        assert_eq!(
            schema["properties"]["commands"]["items"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(schema["required"], json!(["commands"]));
        let object = request_body(&stage1(), "deepseek-chat", JsonMode::Object);
        assert_eq!(object["response_format"]["type"], "json_object");
        let system = object["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("\"type\":\"object\""), "{system}");
        let plain = Prompt {
            response_schema: None,
            ..stage1()
        };
        assert!(request_body(&plain, "m", JsonMode::Schema)["response_format"].is_null());
    }

    #[test]
    fn reasoning_never_reaches_the_answer() {
        let body = r#"{"choices":[{"message":{"role":"assistant","content":"<think>Клиент хочет записаться…</think>\nДа, есть время в 15:00","reasoning_content":"скрытое"},"finish_reason":"stop"}],
                       "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15},"model":"deepseek-reasoner"}"#;
        let generated = parse_response(body).unwrap();
        assert_eq!(generated.text, "Да, есть время в 15:00");
        assert_eq!(generated.usage.total, 15);
        assert_eq!(generated.model, "deepseek-reasoner");
        assert_eq!(without_reasoning("<think>никогда не закрыли"), "");
        let cut =
            r#"{"choices":[{"message":{"content":"<think>долго"},"finish_reason":"length"}]}"#;
        assert_eq!(parse_response(cut), Err(LlmError::NoText("length".into())));
        assert!(matches!(
            parse_response("<html>"),
            Err(LlmError::InvalidResponse(_))
        ));
    }

    #[test]
    fn json_is_found_inside_prose_and_fences_or_not_at_all() {
        assert_eq!(json_in(r#" {"a":1} "#).as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(
            json_in("Вот ответ:\n```json\n{\"commands\": []}\n```").as_deref(),
            Some("{\"commands\": []}")
        );
        assert_eq!(json_in("[1, 2]").as_deref(), Some("[1, 2]"));
        assert_eq!(json_in("Извините, не понял"), None);
        assert_eq!(json_in("{\"commands\": [}"), None);
    }
}
