//! Small readers of HTTP answers shared by the external-service clients.

use reqwest::header;
use std::time::Duration;

/// The longest `Retry-After` believed: a server asking for more (or sending a number
/// that does not fit) gets this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// `Retry-After` in seconds, when the answer has one, clamped to [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: a number too long for u64 is simply very large.
    let seconds = text.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The start of a body, for error messages.
pub fn snippet(body: &str) -> String {
    body.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        assert_eq!(snippet(&"я".repeat(200)).chars().count(), 120);
    }

    #[test]
    fn a_huge_or_odd_retry_after_is_clamped_or_ignored() {
        let mut headers = header::HeaderMap::new();
        for huge in [
            "99999999",
            "18446744073709551616",
            "999999999999999999999999",
        ] {
            headers.insert(header::RETRY_AFTER, huge.parse().unwrap());
            assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER), "{huge}");
        }
        for odd in ["-5", "1.5", "soon", "Wed, 21 Oct 2026 07:28:00 GMT"] {
            headers.insert(header::RETRY_AFTER, odd.parse().unwrap());
            assert_eq!(retry_after(&headers), None, "{odd}");
        }
    }
}
