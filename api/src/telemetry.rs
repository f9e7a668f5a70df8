//! Logging: structured `tracing` output, JSON in production (one object per line for
//! the log pipeline, with the spans it happened in: `http` carries the request id, the
//! Temporal SDK's `RunActivity`/`RunWorkflow` the workflow id, ours the salon id),
//! human-readable in development. `RUST_LOG` overrides the filter.
//!
//! Every line passes through a [`Redactor`] before it is written: the configured
//! secrets and anything shaped like a full phone number (a run of 11–15 digits, as in
//! a conversation's workflow id) are masked, whatever code — ours or a library's —
//! logged them. Code still logs `PhoneNumber::masked()`; this is the net under it.

use crate::config::{AppEnv, Config};
use std::io::Write;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Default filter: our crates at info, the chatty SDK internals at warn.
const DEFAULT_FILTER: &str =
    "info,temporalio_sdk_core=warn,temporalio_client=warn,h2=warn,tower=warn,hyper=warn,sqlx=warn";

/// Secrets shorter than this are not searched for (they would mask ordinary words).
const MIN_SECRET_LEN: usize = 8;

/// Masks secrets and phone-number-like digit runs in a log line.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Masks these values (the short ones are ignored) and phone numbers.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// The secrets of a configuration.
    pub fn for_config(config: &Config) -> Self {
        let mut secrets = vec![
            config.jwt_secret.expose().to_owned(),
            config.yclients.partner_token.expose().to_owned(),
            config.database_url.expose().to_owned(),
        ];
        for route in std::iter::once(&config.llm.primary).chain(config.llm.fallback.iter()) {
            secrets.extend(route.api_key.iter().map(|k| k.expose().to_owned()));
            secrets.extend(route.proxy.iter().map(|p| p.secret().expose().to_owned()));
        }
        secrets.extend(config.webhook_secret.iter().map(|k| k.expose().to_owned()));
        secrets.extend(config.ops_token.iter().map(|k| k.expose().to_owned()));
        Self::new(secrets)
    }

    /// `line` with every secret replaced by `[redacted]` and every run of 11–15 digits
    /// shown as its first digit and last two (`7…33`).
    pub fn redact(&self, line: &str) -> String {
        let mut line = line.to_owned();
        for secret in &self.secrets {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), "[redacted]");
            }
        }
        mask_phone_numbers(&line)
    }
}

fn mask_phone_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if (11..=15).contains(&digits.len()) {
            out.push_str(&digits[..1]);
            out.push('…');
            out.push_str(&digits[digits.len() - 2..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// A [`MakeWriter`] whose writers collect one event and write it redacted.
#[derive(Clone)]
pub struct RedactingWriter<M> {
    inner: M,
    redactor: Arc<Redactor>,
}

impl<M> RedactingWriter<M> {
    /// Redacts what goes to `inner`.
    pub fn new(inner: M, redactor: Redactor) -> Self {
        Self {
            inner,
            redactor: Arc::new(redactor),
        }
    }
}

/// One event's bytes, written redacted when the formatter is done with it.
pub struct RedactedEvent<W: Write> {
    buffer: Vec<u8>,
    inner: W,
    redactor: Arc<Redactor>,
}

impl<W: Write> Write for RedactedEvent<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactedEvent<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let _ = self.inner.write_all(self.redactor.redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingWriter<M> {
    type Writer = RedactedEvent<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedEvent {
            buffer: Vec::with_capacity(512),
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
        }
    }
}

/// Installs the global subscriber for a process without a configuration (simulators);
/// a second call (tests) is a no-op.
pub fn init(app_env: AppEnv) {
    init_with(json_for(app_env), Redactor::default(), std::io::stdout);
}

/// Installs the global subscriber for the app: its secrets are never written.
pub fn init_for(config: &Config) {
    init_with(
        json_for(config.app_env),
        Redactor::for_config(config),
        std::io::stdout,
    );
}

/// As [`init_for`], to standard error: for commands whose standard output is a report
/// scripts read (`eval`).
pub fn init_for_reports(config: &Config) {
    init_with(
        json_for(config.app_env),
        Redactor::for_config(config),
        std::io::stderr,
    );
}

/// JSON in production, or with `LOG_FORMAT=json`.
fn json_for(app_env: AppEnv) -> bool {
    app_env == AppEnv::Production
        || std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json")
}

/// Installs the global subscriber writing (as JSON lines when `json`) to `writer`; a
/// second call is a no-op.
pub fn init_with<M>(json: bool, redactor: Redactor, writer: M)
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(RedactingWriter::new(writer, redactor));
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_phone_numbers_are_masked_and_nothing_else() {
        let redactor = Redactor::new(["super-secret-token".to_owned(), "short".to_owned()]);
        let line = r#"{"msg":"sent","to":"79005554433","token":"Bearer super-secret-token","workflow":"conversation-652970287-79005554433","salon_id":652970287,"short":"short"}"#;
        let redacted = redactor.redact(line);
        assert_eq!(
            redacted,
            r#"{"msg":"sent","to":"7…33","token":"Bearer [redacted]","workflow":"conversation-652970287-7…33","salon_id":652970287,"short":"short"}"#
        );
        // Timestamps and ids keep their digits.
        let plain = "2026-11-27T23:05:31.369973Z record 1622900026 took 1764285600";
        assert_eq!(redactor.redact(plain), plain);
    }
}
