//! The simulator's HTTP side: the YClients API paths, the partner-token check, fault
//! injection and the request log (as middleware), and a control API under `/__sim`.

use super::booking::{Appointment, Refusal};
use super::marketplace;
use super::seed::{Salon, SalonSize};
use super::state::{Fault, RecordedRequest, SimState};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
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
        .route(
            "/api/v1/company/{id}/service_categories",
            get(service_categories),
        )
        .route("/api/v1/company/{id}/services", get(services))
        .route("/api/v1/company/{id}/staff", get(staff))
        .route("/api/v1/company/{id}/staff/schedule", get(staff_schedule))
        .route("/api/v1/company/{id}/clients/search", post(clients_search))
        .route("/api/v1/records/{id}", get(records))
        .route(
            "/api/v1/record/{id}/{record_id}",
            get(one_record).put(move_record).delete(cancel_record),
        )
        .route("/api/v1/book_times/{id}/{staff_id}/{date}", get(book_times))
        .route("/api/v1/book_check/{id}", post(book_check))
        .route("/api/v1/book_record/{id}", post(book_record))
        .route("/api/v1/client/{id}/{client_id}", get(one_client))
        .route(
            "/marketplace/partner/callback/redirect",
            post(marketplace::activation_callback),
        )
        .route(
            "/marketplace/salon/{salon_id}/application/{app_id}",
            get(marketplace::application_status),
        )
        .route(
            "/marketplace/partner/payment",
            post(marketplace::report_payment),
        )
        .route(
            "/marketplace/partner/payment/refund/{id}",
            post(marketplace::refund_payment),
        )
        .layer(middleware::from_fn_with_state(state.clone(), check_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_log,
        ));
    let control = Router::new()
        .route("/__sim/requests", get(list_requests).delete(clear_requests))
        .route("/__sim/faults", post(inject_fault))
        .route("/__sim/salons", post(add_salon))
        .route("/__sim/salons/{id}/install", post(marketplace::set_install))
        .route("/__sim/payments", get(marketplace::list_payments));
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
    // Logged on arrival, so a test can look at a request while it is being answered.
    let index = state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        authorization: header_text(&parts.headers, header::AUTHORIZATION),
        accept: header_text(&parts.headers, header::ACCEPT),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
    });
    let response = match state.take_fault(parts.method.as_str(), parts.uri.path()) {
        Some(fault) if fault.status == 0 && fault.answer_late => {
            // Carried out even if the caller hangs up while the answer waits.
            let state = state.clone();
            let work = tokio::spawn(async move {
                let response = next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
                state.answered(index, response.status().as_u16());
                response
            });
            let response = work
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            tokio::time::sleep(fault.wait()).await;
            return response;
        }
        Some(fault) if fault.status == 0 => {
            tokio::time::sleep(fault.wait()).await;
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Some(fault) => fault_response(fault).await,
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    state.answered(index, response.status().as_u16());
    response
}

async fn fault_response(fault: Fault) -> Response {
    tokio::time::sleep(fault.wait()).await;
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

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "success": false, "data": null, "meta": [] })),
    )
        .into_response()
}

/// Answers with `render(salon)` for a known salon, 404 otherwise.
fn with_salon(state: &SimState, id: &str, render: impl FnOnce(&Salon) -> Response) -> Response {
    id.parse::<i64>()
        .ok()
        .and_then(|id| state.read_salon(id, render))
        .unwrap_or_else(not_found)
}

/// One page of `items` (1-based), rendering only that page.
fn paged<'a, T: 'a>(
    items: impl ExactSizeIterator<Item = &'a T>,
    page: usize,
    size: usize,
    render: impl Fn(&T) -> serde_json::Value,
) -> Response {
    let total = items.len();
    let page_items: Vec<_> = items
        .skip(page.saturating_sub(1) * size)
        .take(size)
        .map(render)
        .collect();
    Json(json!({ "success": true, "data": page_items, "meta": { "total_count": total } }))
        .into_response()
}

async fn company(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    with_salon(&state, &id, |salon| {
        envelope(salon.company_json()).into_response()
    })
}

async fn service_categories(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    with_salon(&state, &id, |salon| {
        envelope(json!(
            salon
                .categories
                .iter()
                .map(Salon::category_json)
                .collect::<Vec<_>>()
        ))
        .into_response()
    })
}

async fn services(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    with_salon(&state, &id, |salon| {
        envelope(json!(
            salon
                .services
                .iter()
                .map(|s| salon.service_json(s))
                .collect::<Vec<_>>()
        ))
        .into_response()
    })
}

async fn staff(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    with_salon(&state, &id, |salon| {
        envelope(json!(
            salon
                .staff
                .iter()
                .map(Salon::staff_json)
                .collect::<Vec<_>>()
        ))
        .into_response()
    })
}

#[derive(Debug, Deserialize)]
struct DateRange {
    start_date: Option<chrono::NaiveDate>,
    end_date: Option<chrono::NaiveDate>,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    client_id: Option<i64>,
}

impl DateRange {
    fn contains(&self, day: chrono::NaiveDate) -> bool {
        self.start_date.is_none_or(|start| day >= start)
            && self.end_date.is_none_or(|end| day <= end)
    }
}

async fn staff_schedule(
    State(state): State<SimState>,
    Path(id): Path<String>,
    Query(range): Query<DateRange>,
) -> Response {
    with_salon(&state, &id, |salon| {
        let days: Vec<_> = salon
            .schedules
            .iter()
            .filter(|day| range.contains(day.date))
            .map(Salon::working_day_json)
            .collect();
        envelope(json!(days)).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct ClientSearch {
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    page_size: Option<usize>,
}

/// YClients caps a clients page at 200.
const MAX_CLIENTS_PAGE: usize = 200;

async fn clients_search(
    State(state): State<SimState>,
    Path(id): Path<String>,
    Json(search): Json<ClientSearch>,
) -> Response {
    let size = search.page_size.unwrap_or(25);
    if size == 0 || size > MAX_CLIENTS_PAGE {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "success": false, "data": null, "meta": { "errors": ["page_size must be 1..200"] } })),
        )
            .into_response();
    }
    with_salon(&state, &id, |salon| {
        paged(
            salon.clients.iter(),
            search.page.unwrap_or(1),
            size,
            Salon::client_json,
        )
    })
}

async fn records(
    State(state): State<SimState>,
    Path(id): Path<String>,
    Query(range): Query<DateRange>,
) -> Response {
    with_salon(&state, &id, |salon| {
        let in_range: Vec<_> = salon
            .records
            .iter()
            .filter(|record| {
                !record.deleted
                    && range.contains(record.date)
                    && range.client_id.is_none_or(|id| record.client_id == id)
            })
            .collect();
        let lookup = salon.lookup();
        paged(
            in_range.iter().copied(),
            range.page.unwrap_or(1),
            range.count.unwrap_or(50).clamp(1, 1000),
            |record| salon.record_json(record, &lookup),
        )
    })
}

async fn one_record(
    State(state): State<SimState>,
    Path((id, record_id)): Path<(String, i64)>,
) -> Response {
    with_salon(&state, &id, |salon| {
        match salon.records.iter().find(|record| record.id == record_id) {
            Some(record) => envelope(salon.record_json(record, &salon.lookup())).into_response(),
            None => not_found(),
        }
    })
}

async fn one_client(
    State(state): State<SimState>,
    Path((id, client_id)): Path<(String, i64)>,
) -> Response {
    with_salon(&state, &id, |salon| {
        match salon.clients.iter().find(|client| client.id == client_id) {
            Some(client) => envelope(Salon::client_json(client)).into_response(),
            None => not_found(),
        }
    })
}

/// The application's install status in a salon: 200 for a salon that has it (or is
/// installing it), 404 otherwise.
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
    super::seed::DEFAULT_ZONE.name().to_owned()
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

/// YClients' answer to a taken time: 422 with error code 433.
fn taken() -> Response {
    let error = json!({ "code": 433, "message": "Выбранное время недоступно для записи" });
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "success": false,
            "data": null,
            "meta": { "message": "Выбранное время недоступно для записи", "errors": [error.clone()] },
            "errors": error,
        })),
    )
        .into_response()
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Taken => taken(),
        Refusal::Unknown(what) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(error_body(&format!("unknown {what}"))),
        )
            .into_response(),
    }
}

/// `service_ids[]=…` (or `service_ids=…`) from a raw query string.
fn service_ids(query: Option<&str>) -> Vec<i64> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| matches!(*key, "service_ids[]" | "service_ids%5B%5D" | "service_ids"))
        .filter_map(|(_, value)| value.parse().ok())
        .collect()
}

async fn book_times(
    State(state): State<SimState>,
    Path((id, staff_id, date)): Path<(String, i64, chrono::NaiveDate)>,
    uri: axum::http::Uri,
) -> Response {
    let services = service_ids(uri.query());
    with_salon(&state, &id, |salon| {
        let Some(service_id) = services
            .first()
            .copied()
            .or_else(|| salon.services.first().map(|s| s.id))
        else {
            return envelope(json!([])).into_response();
        };
        let zone = salon.zone();
        let times: Vec<_> = salon
            .free_times(staff_id, date, service_id)
            .into_iter()
            .map(|t| {
                let datetime = t
                    .at
                    .and_local_timezone(zone)
                    .earliest()
                    .map(|at| at.to_rfc3339())
                    .unwrap_or_default();
                json!({ "time": t.at.format("%H:%M").to_string(), "seance_length": t.seance_length, "datetime": datetime })
            })
            .collect();
        envelope(json!(times)).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct AppointmentBody {
    #[serde(default)]
    services: Vec<i64>,
    #[serde(default)]
    staff_id: i64,
    datetime: String,
    /// Set on a record update: 2 = the client confirmed.
    #[serde(default)]
    attendance: Option<i32>,
}

impl AppointmentBody {
    fn appointment(&self) -> Option<Appointment> {
        let at = chrono::DateTime::parse_from_rfc3339(&self.datetime)
            .map(|at| at.naive_local())
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(&self.datetime, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(&self.datetime, "%Y-%m-%d %H:%M:%S"))
            .ok()?;
        Some(Appointment {
            service_id: *self.services.first()?,
            staff_id: self.staff_id,
            at,
        })
    }
}

#[derive(Debug, Deserialize)]
struct CheckBody {
    appointments: Vec<AppointmentBody>,
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(error_body(message))).into_response()
}

fn appointments(bodies: &[AppointmentBody]) -> Option<Vec<Appointment>> {
    bodies.iter().map(AppointmentBody::appointment).collect()
}

async fn book_check(
    State(state): State<SimState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<CheckBody>(&body) else {
        return bad_request("appointments are required");
    };
    let Some(wanted) = appointments(&body.appointments).filter(|a| !a.is_empty()) else {
        return bad_request("each appointment needs services and a datetime");
    };
    with_salon(&state, &id, |salon| {
        match wanted
            .iter()
            .try_for_each(|a| salon.check(a, None).map(|_| ()))
        {
            Ok(()) => (
                StatusCode::CREATED,
                Json(json!({ "success": true, "data": null, "meta": [] })),
            )
                .into_response(),
            Err(refusal) => refused(refusal),
        }
    })
}

#[derive(Debug, Deserialize)]
struct BookBody {
    phone: String,
    #[serde(default)]
    fullname: String,
    appointments: Vec<AppointmentBody>,
    #[serde(default)]
    api_id: Option<String>,
}

async fn book_record(
    State(state): State<SimState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<BookBody>(&body) else {
        return bad_request("phone and appointments are required");
    };
    let Some(wanted) = appointments(&body.appointments).filter(|a| !a.is_empty()) else {
        return bad_request("each appointment needs services and a datetime");
    };
    let Ok(salon_id) = id.parse::<i64>() else {
        return not_found();
    };
    let api_id = body.api_id.filter(|a| !a.is_empty());
    match state.write_salon(salon_id, |salon| {
        salon.book(&body.phone, &body.fullname, &wanted, api_id)
    }) {
        None => not_found(),
        Some(Err(refusal)) => refused(refusal),
        Some(Ok(ids)) => {
            let data: Vec<_> = ids
                .iter()
                .enumerate()
                .map(|(n, record_id)| json!({ "id": n + 1, "record_id": record_id, "record_hash": format!("{record_id:x}") }))
                .collect();
            (
                StatusCode::CREATED,
                Json(json!({ "success": true, "data": data, "meta": [] })),
            )
                .into_response()
        }
    }
}

async fn move_record(
    State(state): State<SimState>,
    Path((id, record_id)): Path<(String, i64)>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<AppointmentBody>(&body) else {
        return bad_request("staff_id, services and datetime are required");
    };
    let Some(to) = body.appointment() else {
        return bad_request("staff_id, services and datetime are required");
    };
    let Ok(salon_id) = id.parse::<i64>() else {
        return not_found();
    };
    let moved = state.write_salon(salon_id, |salon| {
        salon.move_record(record_id, &to).map(|()| {
            if let (Some(attendance), Some(record)) = (
                body.attendance,
                salon.records.iter_mut().find(|r| r.id == record_id),
            ) {
                record.attendance = attendance;
            }
            let record = salon.records.iter().find(|r| r.id == record_id).cloned();
            record.map(|r| salon.record_json(&r, &salon.lookup()))
        })
    });
    match moved {
        None | Some(Err(Refusal::Unknown("record"))) | Some(Ok(None)) => not_found(),
        Some(Err(refusal)) => refused(refusal),
        Some(Ok(Some(record))) => envelope(record).into_response(),
    }
}

async fn cancel_record(
    State(state): State<SimState>,
    Path((id, record_id)): Path<(String, i64)>,
) -> Response {
    let Ok(salon_id) = id.parse::<i64>() else {
        return not_found();
    };
    match state.write_salon(salon_id, |salon| salon.cancel_record(record_id)) {
        Some(true) => StatusCode::NO_CONTENT.into_response(),
        _ => not_found(),
    }
}
