//! The Gemini simulator's HTTP side: `POST /v1beta/models/{model}:generateContent` with
//! the `x-goog-api-key` check and Google's error bodies, and a control API under `/__sim`
//! (`GET/DELETE /__sim/calls`, `POST /__sim/faults`, `POST /__sim/outage`,
//! `POST /__sim/latency`).

use super::state::{GeminiCall, GeminiFault, GeminiSimState};
use super::{reply, understand};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The simulator's router.
pub fn router(state: GeminiSimState) -> Router {
    Router::new()
        .route("/v1beta/models/{model_action}", post(generate))
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

/// Every turn before the last one, as (role, text).
fn earlier_turns(contents: &[Value]) -> Vec<(String, String)> {
    contents[..contents.len().saturating_sub(1)]
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
        .collect()
}

/// The user's words since the model last spoke (quick messages arrive together).
fn latest_user_words(contents: &[Value]) -> String {
    let mut words: Vec<&str> = contents
        .iter()
        .rev()
        .take_while(|turn| turn["role"] != "model")
        .filter_map(|turn| turn["parts"][0]["text"].as_str())
        .collect();
    words.reverse();
    // A question asked again (say, once while a person had the chat and once after) is
    // one question.
    let mut seen = std::collections::HashSet::new();
    words.retain(|text| seen.insert(text.trim()));
    words.join("\n")
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
    let structured = request["generationConfig"]["responseMimeType"] == "application/json";
    let input = latest_user_words(contents);
    let history = earlier_turns(contents);
    let system = request["systemInstruction"]["parts"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stage = if structured { 1 } else { 2 };
    let latency = state.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(fault) = state.take_fault() {
        state.record(GeminiCall {
            stage,
            model: model.to_owned(),
            input,
            history,
            status: fault.status,
        });
        let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut response = error(status, google_status(fault.status), "simulated failure");
        if let Some(secs) = fault.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.into());
        }
        return response;
    }
    let text = if structured {
        state
            .take_script()
            .unwrap_or_else(|| understand::commands(&input, &history, &system).to_string())
    } else {
        let salon = system
            .split_once('«')
            .and_then(|(_, rest)| rest.split_once('»'))
            .map_or("", |(name, _)| name);
        reply::reply(&input, &history, salon)
    };
    let prompt_tokens = (body.chars().count() / 4) as u64;
    let output_tokens = (text.chars().count() / 4).max(1) as u64;
    state.record(GeminiCall {
        stage,
        model: model.to_owned(),
        input,
        history,
        status: 200,
    });
    Json(json!({
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
    .into_response()
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
struct Latency {
    ms: u64,
}

async fn latency(State(state): State<GeminiSimState>, Json(latency): Json<Latency>) -> StatusCode {
    state.set_latency(Duration::from_millis(latency.ms));
    StatusCode::NO_CONTENT
}
