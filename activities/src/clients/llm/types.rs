//! A language-model call as the assistant makes it ([`Prompt`] → [`Generated`]),
//! whichever provider answers it.

use super::LlmError;
use serde::{Deserialize, Serialize};

/// Who said a turn. Gemini calls the assistant's side `model`, OpenAI `assistant`.
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

/// Which of the assistant's calls a prompt is: a deployment may give each its own
/// model (a cheaper one for the reply is common).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Stage 1: the client's words as commands (JSON).
    #[default]
    Understand,
    /// Stage 2: the reply.
    Compose,
}

/// One call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// Which call this is.
    #[serde(default)]
    pub stage: Stage,
    /// The system instruction.
    pub system: String,
    /// The conversation, oldest first; the last is the user's.
    pub turns: Vec<Turn>,
    /// With a schema (Gemini's OpenAPI subset) the answer is JSON matching it;
    /// without, plain text.
    pub response_schema: Option<serde_json::Value>,
    /// Sampling temperature.
    pub temperature: f32,
    /// The answer's length limit, in tokens.
    pub max_output_tokens: u32,
}

/// A client's voice note to write down as text.
#[derive(Clone, PartialEq, Eq)]
pub struct Audio {
    /// `audio/ogg; codecs=opus` (WhatsApp's voice notes), `audio/mpeg`, …
    pub mime: String,
    /// The recording.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Audio {
    // A client's voice is theirs: logs get its size, not its bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Audio({}, {} bytes)", self.mime, self.data.len())
    }
}

impl Audio {
    /// The bare media type (`audio/ogg`), parameters left out: what APIs want.
    pub fn media_type(&self) -> &str {
        self.mime.split(';').next().unwrap_or_default().trim()
    }

    /// A file name with the type's usual extension (multipart uploads want one).
    pub fn file_name(&self) -> &'static str {
        match self.media_type() {
            "audio/ogg" | "audio/opus" => "voice.ogg",
            "audio/mpeg" | "audio/mp3" => "voice.mp3",
            "audio/mp4" | "audio/m4a" | "audio/aac" => "voice.m4a",
            "audio/wav" | "audio/x-wav" => "voice.wav",
            "audio/webm" => "voice.webm",
            _ => "voice.ogg",
        }
    }
}

/// Tokens a call consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// The prompt's tokens.
    pub prompt: u32,
    /// The answer's tokens (reasoning excluded where the provider says).
    pub output: u32,
    /// Both.
    pub total: u32,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// The answer's text (JSON when a schema was given), reasoning left out.
    pub text: String,
    /// Tokens used.
    pub usage: TokenUsage,
    /// Why the model stopped (`STOP`, `MAX_TOKENS`, `stop`, `length`, …).
    pub finish_reason: String,
    /// The model that answered (empty when not said).
    #[serde(default)]
    pub model: String,
    /// The route that answered: `gemini`, `openai`, and ` (fallback)` after it when
    /// the second provider did.
    #[serde(default)]
    pub provider: String,
    /// What the routes asked before this one said, when a fallback answered: the
    /// salon is told a provider refuses its region even though its client got an
    /// answer.
    #[serde(skip)]
    pub troubles: Vec<Trouble>,
}

/// A route that failed on the way to an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    /// The route (`gemini`, `openai`).
    pub provider: String,
    /// What it answered.
    pub error: LlmError,
}
