//! The simulator's HTTP side: the YClients API paths, the partner-token check, fault
//! injection and the request log (as middleware), and a control API under `/__sim`.

use super::seed::{Salon, SalonSize};
use super::state::{Fault, RecordedRequest, SimState};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Largest request body the simulator reads.
const MAX_BODY: usize = 1024 * 1024;

/// The simulator's router.
pub fn router(state: SimState) -> Router {
    let api = Router::new()
        .route("/api/v1/company/{id}", get(company))
        .layer(middleware::from_fn_with_state(state.clone(), check_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_log,
        ));
    let control = Router::new()
        .route("/__sim/requests", get(list_requests).delete(clear_requests))
        .route("/__sim/faults", post(inject_fault))
        .route("/__sim/salons", post(add_salon));
    api.merge(control).with_state(state)
}

/// YClients' error envelope.
pub(crate) fn error_body(message: &str) -> serde_json::Value {
    json!({ "success": false, "data": null, "meta": { "message": message } })
}

fn envelope(data: serde_json::Value) -> Json<serde_json::Value> {
    Json(json!({ "success": true, "data": data, "meta": [] }))
}

/// Records every API request with the status it got, after applying any injected fault.
async fn faults_and_log(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let mut recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        authorization: header_text(&parts.headers, header::AUTHORIZATION),
        accept: header_text(&parts.headers, header::ACCEPT),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
    };
    let response = match state.take_fault(parts.method.as_str(), parts.uri.path()) {
        Some(fault) => fault_response(fault).await,
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    recorded.status = response.status().as_u16();
    state.record(recorded);
    response
}

async fn fault_response(fault: Fault) -> Response {
    tokio::time::sleep(fault.delay()).await;
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match fault.body {
        Some(body) => (status, body).into_response(),
        None => (status, Json(error_body("Simulated failure"))).into_response(),
    };
    if let Some(seconds) = fault.retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// YClients answers 401 "Authentication needed." without `Bearer <partner token>`
/// (optionally followed by `, User <user token>`).
async fn check_token(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let authorized = header_text(request.headers(), header::AUTHORIZATION)
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .map(|rest| rest.split(',').next().unwrap_or_default().trim().to_owned())
        })
        .is_some_and(|token| token == state.partner_token());
    if authorized {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(error_body("Authentication needed.")),
        )
            .into_response()
    }
}

async fn company(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    match id.parse::<i64>().ok().and_then(|id| state.salon(id)) {
        Some(salon) => envelope(salon.company_json()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "success": false, "data": null, "meta": [] })),
        )
            .into_response(),
    }
}

async fn list_requests(State(state): State<SimState>) -> Json<Vec<RecordedRequest>> {
    Json(state.requests())
}

async fn clear_requests(State(state): State<SimState>) -> StatusCode {
    state.clear_requests();
    StatusCode::NO_CONTENT
}

async fn inject_fault(State(state): State<SimState>, Json(fault): Json<Fault>) -> StatusCode {
    state.inject(fault);
    StatusCode::CREATED
}

/// Body of `POST /__sim/salons`: a generated salon with this id and name.
#[derive(Debug, Deserialize)]
struct NewSalon {
    id: i64,
    title: String,
    #[serde(default = "default_zone")]
    timezone_name: String,
    #[serde(default)]
    size: Option<SalonSize>,
}

fn default_zone() -> String {
    "Europe/Moscow".to_owned()
}

async fn add_salon(State(state): State<SimState>, Json(new): Json<NewSalon>) -> StatusCode {
    let start = chrono::Utc::now().date_naive();
    state.add_salon(Salon::generate(
        new.id,
        &new.title,
        &new.timezone_name,
        new.size.unwrap_or(SalonSize::DEMO),
        start,
    ));
    StatusCode::CREATED
}
