//! The simulator's HTTP side: `POST /v1beta/models/{model}:generateContent` with the
//! `x-goog-api-key` check and Google's error bodies, `POST /v1/chat/completions` with a
//! Bearer key and OpenAI's, `POST /v1/audio/transcriptions` (multipart, OpenAI's
//! speech-to-text), and a control API under `/__sim` (`GET/DELETE /__sim/calls`,
//! `POST /__sim/faults`, `POST /__sim/outage`, `POST /__sim/latency`,
//! `POST /__sim/schema {"ignored": true}`).

use super::state::{GeminiCall, GeminiFault, GeminiSimState};
use super::{hearing, reply, understand};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The simulator's router.
pub fn router(state: GeminiSimState) -> Router {
    Router::new()
        .route("/v1beta/models/{model_action}", post(generate))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/audio/transcriptions", post(transcriptions))
        .route("/__sim/schema", post(schema))
        .route("/__sim/calls", get(list_calls).delete(clear_calls))
        .route("/__sim/faults", post(inject_fault))
        .route("/__sim/outage", post(outage))
        .route("/__sim/latency", post(latency))
        .with_state(state)
}

/// Google's error body.
fn error(status: StatusCode, google_status: &str, message: &str) -> Response {
    let body = json!({ "error": {
        "code": status.as_u16(), "message": message, "status": google_status } });
    (status, Json(body)).into_response()
}

fn google_status(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// A call in either API, read into one shape.
struct Call {
    api: &'static str,
    model: String,
    system: String,
    /// (role, text), oldest first; the assistant's role is `model`.
    contents: Vec<(String, String)>,
    structured: bool,
    /// The request's size, for the token estimate.
    body_chars: usize,
    /// A recording to write down (stage 3), instead of a conversation.
    audio: Option<Vec<u8>>,
}

/// The model's answer to a call, or the fault injected for it.
enum Outcome {
    Text {
        text: String,
        prompt_tokens: u64,
        output_tokens: u64,
    },
    Fault(GeminiFault),
}

/// Every turn before the last one, as (role, text).
fn earlier_turns(contents: &[(String, String)]) -> Vec<(String, String)> {
    contents[..contents.len().saturating_sub(1)].to_vec()
}

/// The user's words since the model last spoke (quick messages arrive together).
fn latest_user_words(contents: &[(String, String)]) -> String {
    let mut words: Vec<&str> = contents
        .iter()
        .rev()
        .take_while(|(role, _)| role != "model")
        .map(|(_, text)| text.as_str())
        .collect();
    words.reverse();
    // A question asked again (say, once while a person had the chat and once after) is
    // one question.
    let mut seen = std::collections::HashSet::new();
    words.retain(|text| seen.insert(text.trim()));
    words.join("\n")
}

/// What the simulated model says to `call` (the same brain behind both APIs).
async fn answer(state: &GeminiSimState, call: Call) -> Outcome {
    let heard = call.audio.as_deref().map(hearing::transcript);
    let input = match &heard {
        Some(words) => words.clone(),
        None => latest_user_words(&call.contents),
    };
    let history = earlier_turns(&call.contents);
    let stage = match (&heard, call.structured) {
        (Some(_), _) => 3,
        (None, true) => 1,
        (None, false) => 2,
    };
    let latency = state.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = state.take_fault();
    let status = fault.as_ref().map_or(200, |f| f.status);
    state.record(GeminiCall {
        api: call.api.to_owned(),
        stage,
        model: call.model,
        input: input.clone(),
        history: history.clone(),
        status,
    });
    let scripted = match fault {
        Some(GeminiFault {
            status: 200..=299,
            text: Some(text),
            ..
        }) => Some(text),
        Some(fault) => return Outcome::Fault(fault),
        None => None,
    };
    let text = scripted.unwrap_or_else(|| {
        if let Some(words) = heard {
            words
        } else if call.structured {
            state
                .take_script()
                .unwrap_or_else(|| understand::commands(&input, &history, &call.system).to_string())
        } else {
            reply::reply_as(&input, &history, &call.system)
        }
    });
    Outcome::Text {
        prompt_tokens: (call.body_chars / 4) as u64,
        output_tokens: (text.chars().count() / 4).max(1) as u64,
        text,
    }
}

fn with_retry_after(mut response: Response, fault: &GeminiFault) -> Response {
    if let Some(secs) = fault.retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    response
}

async fn generate(
    State(state): State<GeminiSimState>,
    Path(model_action): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(model) = model_action.strip_suffix(":generateContent") else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "unknown method");
    };
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !state.accepts(key) {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
        );
    }
    let request: Value = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &e.to_string()),
    };
    let Some(contents) = request["contents"].as_array().filter(|c| !c.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "contents is not specified",
        );
    };
    let call = Call {
        api: "gemini",
        model: model.to_owned(),
        system: request["systemInstruction"]["parts"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        contents: contents
            .iter()
            .map(|turn| {
                (
                    turn["role"].as_str().unwrap_or_default().to_owned(),
                    turn["parts"][0]["text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect(),
        structured: request["generationConfig"]["responseMimeType"] == "application/json",
        body_chars: body.chars().count(),
        audio: inline_audio(contents),
    };
    match answer(&state, call).await {
        Outcome::Fault(fault) => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let response = error(
                status,
                fault
                    .google_status
                    .as_deref()
                    .unwrap_or_else(|| google_status(fault.status)),
                fault.message.as_deref().unwrap_or("simulated failure"),
            );
            with_retry_after(response, &fault)
        }
        Outcome::Text {
            text,
            prompt_tokens,
            output_tokens,
        } => Json(json!({
            "candidates": [{
                "content": { "role": "model", "parts": [{ "text": text }] },
                "finishReason": "STOP",
            }],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": model,
        }))
        .into_response(),
    }
}

/// The audio of the last turn's inline data part (either spelling Google takes).
fn inline_audio(contents: &[Value]) -> Option<Vec<u8>> {
    let parts = contents.last()?["parts"].as_array()?;
    parts.iter().find_map(|part| {
        let inline = part.get("inline_data").or_else(|| part.get("inlineData"))?;
        STANDARD.decode(inline["data"].as_str()?).ok()
    })
}

/// The `file` and `model` fields of a `multipart/form-data` body.
fn multipart_fields(content_type: &str, body: &[u8]) -> Option<(Vec<u8>, String)> {
    let boundary = content_type.split(';').find_map(|p| {
        let (name, value) = p.trim().split_once('=')?;
        name.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"'))
    })?;
    // Each part follows a line break and `--boundary` (the first one, the body's start).
    let delimiter = format!("\r\n--{boundary}");
    let body = [b"\r\n".as_slice(), body].concat();
    let mut file = None;
    let mut model = String::new();
    for part in split_bytes(&body, delimiter.as_bytes()).into_iter().skip(1) {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(split) = find_bytes(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_ascii_lowercase();
        let value = &part[split + 4..];
        if head.contains("; name=\"file\"") {
            file = Some(value.to_vec());
        } else if head.contains("; name=\"model\"") {
            model = String::from_utf8_lossy(value).trim().to_owned();
        }
    }
    Some((file?, model))
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut rest: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find_bytes(rest, delimiter) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    parts.push(rest);
    parts
}

/// `POST /v1/audio/transcriptions`: OpenAI's speech-to-text, hearing what
/// [`hearing`] knows (Bearer key, multipart `file` and `model`, `{"text": …}`).
async fn transcriptions(
    State(state): State<GeminiSimState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = refuse_key(&state, &headers) {
        return refused;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some((file, model)) = multipart_fields(content_type, &body) else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "a multipart body with a file is required",
        );
    };
    let call = Call {
        api: "openai",
        model,
        system: String::new(),
        contents: Vec::new(),
        structured: false,
        body_chars: body.len(),
        audio: Some(file),
    };
    match answer(&state, call).await {
        Outcome::Fault(fault) => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let response = openai_error(
                status,
                "server_error",
                fault.google_status.as_deref(),
                fault.message.as_deref().unwrap_or("simulated failure"),
            );
            with_retry_after(response, &fault)
        }
        Outcome::Text { text, .. } => Json(json!({ "text": text })).into_response(),
    }
}

/// OpenAI's 401 when the Bearer key is not the simulator's.
fn refuse_key(state: &GeminiSimState, headers: &HeaderMap) -> Option<Response> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    (!state.accepts(key)).then(|| {
        openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided.",
        )
    })
}

/// OpenAI's error body.
fn openai_error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    let body = json!({ "error": { "message": message, "type": kind, "code": code } });
    (status, Json(body)).into_response()
}

/// `POST /v1/chat/completions`: the same brain in OpenAI's shape (Bearer key, system
/// message first, `response_format` for stage 1).
async fn chat_completions(
    State(state): State<GeminiSimState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = refuse_key(&state, &headers) {
        return refused;
    }
    let request: Value = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(e) => {
            return openai_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                &e.to_string(),
            );
        }
    };
    let Some(messages) = request["messages"].as_array().filter(|m| !m.is_empty()) else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "messages is required",
        );
    };
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    let text_of = |message: &Value| message["content"].as_str().unwrap_or_default().to_owned();
    let call = Call {
        api: "openai",
        model: model.clone(),
        system: messages
            .iter()
            .filter(|m| m["role"] == "system")
            .map(text_of)
            .collect::<Vec<_>>()
            .join("\n"),
        contents: messages
            .iter()
            .filter(|m| m["role"] != "system")
            .map(|m| {
                let role = if m["role"] == "assistant" {
                    "model"
                } else {
                    "user"
                };
                (role.to_owned(), text_of(m))
            })
            .collect(),
        structured: request["response_format"]["type"]
            .as_str()
            .is_some_and(|kind| kind.starts_with("json")),
        body_chars: body.chars().count(),
        audio: None,
    };
    let structured = call.structured;
    match answer(&state, call).await {
        Outcome::Fault(fault) => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let kind = match fault.status {
                429 => "rate_limit_exceeded",
                500..=599 => "server_error",
                _ => "invalid_request_error",
            };
            let response = openai_error(
                status,
                kind,
                fault.google_status.as_deref(),
                fault.message.as_deref().unwrap_or("simulated failure"),
            );
            with_retry_after(response, &fault)
        }
        Outcome::Text {
            text,
            prompt_tokens,
            output_tokens,
        } => {
            let content = if structured && state.ignores_schema() {
                format!(
                    "<think>Клиент пишет, нужно понять команду.</think>\nВот команды:\n```json\n{text}\n```"
                )
            } else {
                text
            };
            Json(json!({
                "id": "chatcmpl-sim",
                "object": "chat.completion",
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": content },
                    "finish_reason": "stop",
                }],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": prompt_tokens + output_tokens,
                },
            }))
            .into_response()
        }
    }
}

async fn list_calls(State(state): State<GeminiSimState>) -> Json<Vec<GeminiCall>> {
    Json(state.calls())
}

async fn clear_calls(State(state): State<GeminiSimState>) -> StatusCode {
    state.clear_calls();
    StatusCode::NO_CONTENT
}

async fn inject_fault(
    State(state): State<GeminiSimState>,
    Json(fault): Json<GeminiFault>,
) -> StatusCode {
    state.inject(fault);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct Outage {
    down: bool,
}

async fn outage(State(state): State<GeminiSimState>, Json(outage): Json<Outage>) -> StatusCode {
    state.set_down(outage.down);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct Schema {
    ignored: bool,
}

async fn schema(State(state): State<GeminiSimState>, Json(schema): Json<Schema>) -> StatusCode {
    state.set_ignores_schema(schema.ignored);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct Latency {
    ms: u64,
}

async fn latency(State(state): State<GeminiSimState>, Json(latency): Json<Latency>) -> StatusCode {
    state.set_latency(Duration::from_millis(latency.ms));
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_upload_gives_its_file_and_model() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"voice.ogg\"\r\n\
Content-Type: audio/ogg\r\n\r\nOggS\r\n\x00\x01\r\n--XyZ--\r\n";
        let (file, model) = multipart_fields("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(model, "whisper-1");
        assert_eq!(file, b"OggS\r\n\x00\x01");
        assert!(multipart_fields("application/json", body).is_none());
    }
}
