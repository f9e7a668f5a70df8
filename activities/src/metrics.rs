//! The process's own Prometheus metrics, in one registry per app: the HTTP layer, the
//! live channel, webhooks, client messages, Gemini and YClients count into it, and
//! `GET /metrics` renders it (with the Temporal SDK's metrics and the gauges read from
//! the database at scrape time). Handles are cheap to clone; an app made without one
//! (a benchmark, a unit test) counts into a registry nobody reads.

use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::time::Duration;

/// One language-model call, as [`Metrics::llm_call`] counts it.
#[derive(Debug, Clone, Copy)]
pub struct LlmCall<'a> {
    /// `gemini`, `openai`.
    pub provider: &'a str,
    /// `primary`, `fallback`.
    pub route: &'a str,
    /// `ok` or the error's kind.
    pub outcome: &'a str,
    /// How long it took.
    pub took: Duration,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

/// Latency buckets, seconds: from a cached page to a slow Gemini answer.
const SECONDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Every metric the app records itself.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// `ai_admin_http_request_duration_seconds{route, method, status}`.
    pub http_requests: HistogramVec,
    /// `ai_admin_websocket_connections`: live-channel sockets open now.
    pub websocket_connections: IntGauge,
    /// `ai_admin_webhooks_total{outcome}`: accepted, duplicate, rejected.
    pub webhooks: IntCounterVec,
    /// `ai_admin_messages_total{direction}`: client messages in, bot messages out.
    pub messages: IntCounterVec,
    /// `ai_admin_llm_request_duration_seconds{provider, route, outcome}`: each
    /// language-model call (route `primary` or `fallback`).
    pub llm_requests: HistogramVec,
    /// `ai_admin_llm_tokens_total{provider, route, kind}`: prompt, output.
    pub llm_tokens: IntCounterVec,
    /// `ai_admin_llm_fallbacks_total{reason}`: calls the fallback provider answered
    /// (or tried to), by what the primary said.
    pub llm_fallbacks: IntCounterVec,
    /// `ai_admin_yclients_requests_total{status}`: HTTP status, or timeout/transport.
    pub yclients_requests: IntCounterVec,
    /// Gauges set from the database and the gateway right before each scrape.
    pub scraped: ScrapedGauges,
}

/// What is true now rather than counted: set by the `/metrics` handler before it renders.
#[derive(Clone, Debug)]
pub struct ScrapedGauges {
    /// `ai_admin_webhooks_pending`: stored webhooks not applied yet.
    pub webhooks_pending: IntGauge,
    /// `ai_admin_conversations_active`: clients who wrote within the quiet period.
    pub conversations_active: IntGauge,
    /// `ai_admin_client_messages_pending`: client messages not answered or closed yet.
    pub client_messages_pending: IntGauge,
    /// `ai_admin_whatsapp_sessions{state}`: this process's sessions by state.
    pub whatsapp_sessions: IntGaugeVec,
    /// `ai_admin_salons{status}`: salons by integration status.
    pub salons: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let registry = Registry::new();
        Metrics {
            http_requests: histogram(
                &registry,
                "ai_admin_http_request_duration_seconds",
                "HTTP requests by route template, method and status",
                &["route", "method", "status"],
            ),
            websocket_connections: gauge(
                &registry,
                "ai_admin_websocket_connections",
                "Live-channel WebSockets open",
            ),
            webhooks: counter(
                &registry,
                "ai_admin_webhooks_total",
                "YClients webhooks received, by outcome (accepted, duplicate, rejected)",
                &["outcome"],
            ),
            messages: counter(
                &registry,
                "ai_admin_messages_total",
                "WhatsApp messages: clients' in, the bot's out",
                &["direction"],
            ),
            llm_requests: histogram(
                &registry,
                "ai_admin_llm_request_duration_seconds",
                "Language-model calls by provider, route (primary, fallback) and outcome",
                &["provider", "route", "outcome"],
            ),
            llm_tokens: counter(
                &registry,
                "ai_admin_llm_tokens_total",
                "Language-model tokens used, prompt and output, by provider and route",
                &["provider", "route", "kind"],
            ),
            llm_fallbacks: counter(
                &registry,
                "ai_admin_llm_fallbacks_total",
                "Calls handed to the fallback provider, by what the primary answered",
                &["reason"],
            ),
            yclients_requests: counter(
                &registry,
                "ai_admin_yclients_requests_total",
                "YClients API calls by HTTP status (or timeout, transport)",
                &["status"],
            ),
            scraped: ScrapedGauges {
                webhooks_pending: gauge(
                    &registry,
                    "ai_admin_webhooks_pending",
                    "Stored webhooks not applied yet",
                ),
                conversations_active: gauge(
                    &registry,
                    "ai_admin_conversations_active",
                    "Clients who wrote within the conversation quiet period",
                ),
                client_messages_pending: gauge(
                    &registry,
                    "ai_admin_client_messages_pending",
                    "Client messages not answered or closed yet",
                ),
                whatsapp_sessions: gauge_vec(
                    &registry,
                    "ai_admin_whatsapp_sessions",
                    "This process's WhatsApp sessions by state",
                    &["state"],
                ),
                salons: gauge_vec(
                    &registry,
                    "ai_admin_salons",
                    "Salons by integration status",
                    &["status"],
                ),
            },
            registry,
        }
    }

    /// One YClients call's answer: `status` is the HTTP status, or what went wrong.
    pub fn yclients_call(&self, status: &str) {
        self.yclients_requests.with_label_values(&[status]).inc();
    }

    /// One language-model call: which provider and route, how it ended, how long it
    /// took, and the tokens it used.
    pub fn llm_call(&self, call: LlmCall<'_>) {
        self.llm_requests
            .with_label_values(&[call.provider, call.route, call.outcome])
            .observe(call.took.as_secs_f64());
        for (kind, tokens) in [
            ("prompt", call.prompt_tokens),
            ("output", call.output_tokens),
        ] {
            self.llm_tokens
                .with_label_values(&[call.provider, call.route, kind])
                .inc_by(tokens);
        }
    }

    /// Counts a live-channel socket as open until the guard is dropped.
    pub fn websocket_opened(&self) -> OpenSocket {
        self.websocket_connections.inc();
        OpenSocket(self.websocket_connections.clone())
    }

    /// The registry in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding our own well-formed families into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// One open WebSocket in `ai_admin_websocket_connections`; closing it is dropping this.
#[derive(Debug)]
pub struct OpenSocket(IntGauge);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.dec();
    }
}

// Names and labels are constants of this module, so registering cannot collide; a
// failure would be a programming error caught by the first test that builds an app.
fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(SECONDS.to_vec());
    register(
        registry,
        HistogramVec::new(opts, labels).expect("valid histogram"),
    )
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(
        registry,
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter"),
    )
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    register(registry, IntGauge::new(name, help).expect("valid gauge"))
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(
        registry,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_appear_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.yclients_call("200");
        metrics.yclients_call("200");
        metrics.llm_call(LlmCall {
            provider: "gemini",
            route: "primary",
            outcome: "ok",
            took: Duration::from_millis(30),
            prompt_tokens: 120,
            output_tokens: 40,
        });
        metrics.scraped.salons.with_label_values(&["active"]).set(3);
        metrics
            .http_requests
            .with_label_values(&["/metrics", "GET", "200"])
            .observe(0.002);
        let text = metrics.render();
        assert!(
            text.contains("ai_admin_yclients_requests_total{status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "ai_admin_llm_tokens_total{kind=\"prompt\",provider=\"gemini\",route=\"primary\"} 120"
            ),
            "{text}"
        );
        assert!(text.contains(
            "ai_admin_llm_request_duration_seconds_count{outcome=\"ok\",provider=\"gemini\",route=\"primary\"} 1"
        ));
        assert!(text.contains("ai_admin_salons{status=\"active\"} 3"));
        assert!(text.contains("# TYPE ai_admin_http_request_duration_seconds histogram"));
    }
}
