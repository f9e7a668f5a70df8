//! A Gemini call as the assistant makes it ([`Prompt`] → [`Generated`]), and its wire
//! format: the `generateContent` request body and the parts of the answer we read.

use super::GeminiError;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Who said a turn. Gemini calls the assistant's side `model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The salon's client.
    User,
    /// The assistant.
    Model,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
}

impl Turn {
    /// A client's turn.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            text: text.into(),
        }
    }

    /// An assistant's turn.
    pub fn model(text: impl Into<String>) -> Self {
        Self {
            role: Role::Model,
            text: text.into(),
        }
    }
}

/// One `generateContent` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// `systemInstruction`.
    pub system: String,
    /// `contents`, oldest first; the last is the user's.
    pub turns: Vec<Turn>,
    /// With a schema the answer is JSON matching it (`responseMimeType =
    /// application/json`); without, plain text.
    pub response_schema: Option<serde_json::Value>,
    /// `temperature`.
    pub temperature: f32,
    /// `maxOutputTokens`.
    pub max_output_tokens: u32,
}

impl Prompt {
    /// The request body Gemini expects.
    pub fn request_body(&self) -> serde_json::Value {
        let mut generation = json!({
            "temperature": self.temperature,
            "maxOutputTokens": self.max_output_tokens,
            // The assistant needs fast, short answers, not deliberation.
            "thinkingConfig": { "thinkingBudget": 0 },
        });
        if let Some(schema) = &self.response_schema {
            generation["responseMimeType"] = json!("application/json");
            generation["responseSchema"] = schema.clone();
        }
        json!({
            "systemInstruction": { "parts": [{ "text": self.system }] },
            "contents": self.turns.iter().map(|turn| json!({
                "role": turn.role,
                "parts": [{ "text": turn.text }],
            })).collect::<Vec<_>>(),
            "generationConfig": generation,
        })
    }
}

/// Tokens a call consumed (`usageMetadata`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// `promptTokenCount`.
    pub prompt: u32,
    /// `candidatesTokenCount`.
    pub output: u32,
    /// `totalTokenCount`.
    pub total: u32,
}

/// Gemini's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// The first candidate's text (JSON when a schema was given).
    pub text: String,
    /// Tokens used.
    pub usage: TokenUsage,
    /// `finishReason` (`STOP`, `MAX_TOKENS`, …).
    pub finish_reason: String,
    /// `modelVersion`: the model that answered (empty when not said).
    #[serde(default)]
    pub model: String,
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
pub fn parse_response(body: &str) -> Result<Generated, GeminiError> {
    let response: Response = serde_json::from_str(body).map_err(|e| {
        GeminiError::InvalidResponse(format!("{e} in {:?}", crate::http_answer::snippet(body)))
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
        return Err(GeminiError::NoText(reason));
    };
    let finish_reason = candidate.finish_reason.unwrap_or_else(|| "STOP".to_owned());
    let text: String = candidate
        .content
        .map(|c| c.parts.into_iter().filter_map(|p| p.text).collect())
        .unwrap_or_default();
    if text.trim().is_empty() {
        return Err(GeminiError::NoText(finish_reason));
    }
    Ok(Generated {
        text,
        usage,
        finish_reason,
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_asks_for_json_and_roles_are_lowercase() {
        let prompt = Prompt {
            system: "Ты администратор".into(),
            turns: vec![Turn::user("Привет"), Turn::model("Здравствуйте!")],
            response_schema: Some(json!({ "type": "OBJECT" })),
            temperature: 0.2,
            max_output_tokens: 512,
        };
        let body = prompt.request_body();
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
        assert!(plain.request_body()["generationConfig"]["responseMimeType"].is_null());
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
            Err(GeminiError::NoText("SAFETY".into()))
        );
        let empty = r#"{"candidates":[{"finishReason":"MAX_TOKENS"}]}"#;
        assert_eq!(
            parse_response(empty),
            Err(GeminiError::NoText("MAX_TOKENS".into()))
        );
        assert!(matches!(
            parse_response("<html>"),
            Err(GeminiError::InvalidResponse(_))
        ));
    }
}
