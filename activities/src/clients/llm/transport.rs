//! How a language-model client reaches its provider: its own HTTP client, through
//! `LLM_PROXY` when one is set and directly otherwise — never through a process-wide
//! `HTTPS_PROXY`/`ALL_PROXY`, which would also carry (or miss) traffic meant for others.

use super::LlmError;
use crate::secret::Secret;
use std::time::Duration;

/// A proxy for the language model: `socks5://`, `socks5h://` (names resolved on the
/// proxy, what a geo-bypass tunnel wants), `http://` or `https://`, credentials allowed.
/// Prints without its credentials.
#[derive(Clone)]
pub struct ProxyUrl {
    url: Secret,
    shown: String,
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl ProxyUrl {
    /// Reads a proxy URL; the error says what is wrong without repeating a password.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(raw.trim())
            .map_err(|e| format!("not a URL ({e}); expected e.g. socks5h://user:pass@host:1080"))?;
        if !matches!(url.scheme(), "socks5" | "socks5h" | "http" | "https") {
            return Err(format!(
                "scheme {:?} is not socks5, socks5h, http or https",
                url.scheme()
            ));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err("names no host".to_owned());
        };
        let port = url
            .port_or_known_default()
            .map_or_else(String::new, |p| format!(":{p}"));
        let shown = format!("{}://{host}{port}", url.scheme());
        Ok(Self {
            url: Secret::new(url.as_str().trim_end_matches('/')),
            shown,
        })
    }

    /// The whole URL, credentials included (for the log redactor).
    pub fn secret(&self) -> &Secret {
        &self.url
    }

    /// Scheme, host and port: safe to log.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// An HTTP client for one provider: its timeout, and its proxy or none.
pub fn http_client(timeout: Duration, proxy: Option<&ProxyUrl>) -> anyhow::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("ai-admin/", env!("CARGO_PKG_VERSION")));
    let builder = match proxy {
        Some(proxy) => builder.proxy(
            reqwest::Proxy::all(proxy.url.expose())
                .map_err(|e| anyhow::anyhow!("LLM proxy {proxy}: {}", e.without_url()))?,
        ),
        None => builder.no_proxy(),
    };
    Ok(builder.build()?)
}

/// A failed request as an [`LlmError`]: the cause chain (which names a proxy that
/// refused or is down), never the URL (it may carry a key).
pub fn request_error(
    error: reqwest::Error,
    timeout: Duration,
    proxy: Option<&ProxyUrl>,
) -> LlmError {
    if error.is_timeout() {
        return LlmError::Timeout(timeout);
    }
    let mut causes = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&error);
    while let Some(inner) = cause {
        causes.push(inner.to_string());
        cause = inner.source();
    }
    let mut text = error.without_url().to_string();
    for part in causes {
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    match proxy {
        Some(proxy) => LlmError::Transport(format!("through LLM proxy {proxy}: {text}")),
        None => LlmError::Transport(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_prints_without_its_credentials_and_odd_ones_are_refused() {
        let proxy = ProxyUrl::parse("socks5h://user:s3cret@tunnel.example:1080").unwrap();
        assert_eq!(proxy.shown(), "socks5h://tunnel.example:1080");
        assert!(!format!("{proxy:?} {proxy}").contains("s3cret"));
        assert_eq!(
            ProxyUrl::parse("http://proxy.local").unwrap().shown(),
            "http://proxy.local:80"
        );
        assert!(ProxyUrl::parse("ftp://x:1").unwrap_err().contains("ftp"));
        assert!(ProxyUrl::parse("nonsense").is_err());
        let refused = ProxyUrl::parse("gopher://u:pw@h:1").unwrap_err();
        assert!(!refused.contains("pw"));
    }
}
