//! Gemini's wire format: the `generateContent` request body and the parts of the
//! answer we read (reasoning parts left out).

use crate::clients::llm::{Audio, Generated, LlmError, Prompt, TokenUsage};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

/// The `generateContent` body for `prompt`; `thinking_budget` is sent when the model
/// takes one (see [`thinking_budget`]).
pub fn request_body(prompt: &Prompt, thinking_budget: Option<u32>) -> serde_json::Value {
    let mut generation = json!({
        "temperature": prompt.temperature,
        "maxOutputTokens": prompt.max_output_tokens,
    });
    if let Some(budget) = thinking_budget {
        generation["thinkingConfig"] = json!({ "thinkingBudget": budget });
    }
    if let Some(schema) = &prompt.response_schema {
        generation["responseMimeType"] = json!("application/json");
        generation["responseSchema"] = schema.clone();
    }
    json!({
        "systemInstruction": { "parts": [{ "text": prompt.system }] },
        "contents": prompt.turns.iter().map(|turn| json!({
            "role": turn.role,
            "parts": [{ "text": turn.text }],
        })).collect::<Vec<_>>(),
        "generationConfig": generation,
    })
}

/// What the model is told to do with a voice note: the words only, in the client's
/// language, so the transcript can stand in for a typed message.
pub const TRANSCRIBE_INSTRUCTION: &str = "Запиши дословно, что говорит человек в этом \
голосовом сообщении, на языке, на котором он говорит. Ответь только текстом сказанного, \
без пояснений, кавычек и меток времени. Если речи нет или её нельзя разобрать, ответь \
пустой строкой.";

/// The `generateContent` body that asks for `audio` written down (inline data: a
/// voice note is far below the 20 MB inline limit).
pub fn transcribe_body(audio: &Audio, thinking_budget: Option<u32>) -> serde_json::Value {
    let data = base64::engine::general_purpose::STANDARD.encode(&audio.data);
    let mut generation = json!({ "temperature": 0.0, "maxOutputTokens": 1024 });
    if let Some(budget) = thinking_budget {
        generation["thinkingConfig"] = json!({ "thinkingBudget": budget });
    }
    json!({
        "systemInstruction": { "parts": [{ "text": TRANSCRIBE_INSTRUCTION }] },
        "contents": [{
            "role": "user",
            "parts": [{ "inline_data": { "mime_type": audio.media_type(), "data": data } }],
        }],
        "generationConfig": generation,
    })
}

/// The thinking budget a model gets unless configured: none for the 2.5 Flash family
/// (the assistant wants fast, short answers), the smallest allowed for a model that
/// cannot stop thinking (2.5 Pro rejects 0), and nothing sent for models that take
/// no budget (1.5, 2.0) or set thinking otherwise (3.x).
pub fn thinking_budget(model: &str) -> Option<u32> {
    let model = model.to_ascii_lowercase();
    if !model.contains("2.5") {
        return None;
    }
    Some(if model.contains("pro") { 128 } else { 0 })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    model_version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    /// A thinking model's reasoning: never part of the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
    #[serde(default)]
    total_token_count: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

/// Reads a 2xx `generateContent` answer.
pub fn parse_response(body: &str) -> Result<Generated, LlmError> {
    let response: Response = serde_json::from_str(body).map_err(|e| {
        LlmError::InvalidResponse(format!(
            "{e} in {:?}",
            crate::clients::http_answer::snippet(body)
        ))
    })?;
    let usage = response
        .usage_metadata
        .map(|u| TokenUsage {
            prompt: u.prompt_token_count,
            output: u.candidates_token_count,
            total: u.total_token_count,
        })
        .unwrap_or_default();
    let model = response.model_version.unwrap_or_default();
    let Some(candidate) = response.candidates.into_iter().next() else {
        let reason = response
            .prompt_feedback
            .and_then(|f| f.block_reason)
            .unwrap_or_else(|| "NO_CANDIDATES".to_owned());
        return Err(LlmError::NoText(reason));
    };
    let finish_reason = candidate.finish_reason.unwrap_or_else(|| "STOP".to_owned());
    let text: String = candidate
        .content
        .map(|c| {
            c.parts
                .into_iter()
                .filter(|p| !p.thought)
                .filter_map(|p| p.text)
                .collect()
        })
        .unwrap_or_default();
    if text.trim().is_empty() {
        return Err(LlmError::NoText(finish_reason));
    }
    Ok(Generated {
        text,
        usage,
        finish_reason,
        model,
        provider: String::new(),
        troubles: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::llm::{Stage, Turn};

    #[test]
    fn a_voice_note_goes_inline_with_the_instruction_to_write_it_down() {
        let audio = Audio {
            mime: "audio/ogg; codecs=opus".into(),
            data: b"OggS voice".to_vec(),
        };
        let body = transcribe_body(&audio, Some(0));
        let part = &body["contents"][0]["parts"][0]["inline_data"];
        assert_eq!(part["mime_type"], "audio/ogg");
        assert_eq!(part["data"], "T2dnUyB2b2ljZQ==");
        assert_eq!(
            body["systemInstruction"]["parts"][0]["text"],
            TRANSCRIBE_INSTRUCTION
        );
        assert_eq!(
            body["generationConfig"]["thinkingConfig"]["thinkingBudget"],
            0
        );
        assert!(body["generationConfig"].get("responseSchema").is_none());
        assert_eq!(
            format!("{audio:?}"),
            "Audio(audio/ogg; codecs=opus, 10 bytes)"
        );
    }

    #[test]
    fn a_schema_asks_for_json_and_roles_are_lowercase() {
        let prompt = Prompt {
            stage: Stage::Understand,
            system: "Ты администратор".into(),
            turns: vec![Turn::user("Привет"), Turn::model("Здравствуйте!")],
            response_schema: Some(json!({ "type": "OBJECT" })),
            temperature: 0.2,
            max_output_tokens: 512,
        };
        let body = request_body(&prompt, Some(0));
        assert_eq!(
            body["systemInstruction"]["parts"][0]["text"],
            "Ты администратор"
        );
        assert_eq!(body["contents"][1]["role"], "model");
        assert_eq!(
            body["generationConfig"]["responseMimeType"],
            "application/json"
        );
        assert_eq!(body["generationConfig"]["responseSchema"]["type"], "OBJECT");
        let plain = Prompt {
            response_schema: None,
            ..prompt
        };
        assert!(request_body(&plain, None)["generationConfig"]["responseMimeType"].is_null());
        assert!(request_body(&plain, None)["generationConfig"]["thinkingConfig"].is_null());
    }

    #[test]
    fn answers_give_text_and_usage_or_say_why_not() {
        let ok = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Да"},{"text":"!"}]},"finishReason":"STOP"}],
                     "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2,"totalTokenCount":12}}"#;
        let generated = parse_response(ok).unwrap();
        assert_eq!(generated.text, "Да!");
        assert_eq!(generated.usage.total, 12);
        let blocked = r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#;
        assert_eq!(
            parse_response(blocked),
            Err(LlmError::NoText("SAFETY".into()))
        );
        let empty = r#"{"candidates":[{"finishReason":"MAX_TOKENS"}]}"#;
        assert_eq!(
            parse_response(empty),
            Err(LlmError::NoText("MAX_TOKENS".into()))
        );
        assert!(matches!(
            parse_response("<html>"),
            Err(LlmError::InvalidResponse(_))
        ));
        let thinking = r#"{"candidates":[{"content":{"parts":[{"text":"Клиент хочет…","thought":true},{"text":"Да"}]},"finishReason":"STOP"}]}"#;
        assert_eq!(parse_response(thinking).unwrap().text, "Да");
    }

    #[test]
    fn models_that_cannot_stop_thinking_get_the_smallest_budget() {
        assert_eq!(thinking_budget("gemini-2.5-flash"), Some(0));
        assert_eq!(thinking_budget("gemini-2.5-flash-lite"), Some(0));
        assert_eq!(thinking_budget("gemini-2.5-pro"), Some(128));
        assert_eq!(thinking_budget("gemini-2.0-flash"), None);
    }
}
