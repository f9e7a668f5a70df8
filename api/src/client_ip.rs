//! Which address a request comes from, for per-client limits. Behind a reverse proxy
//! every request arrives from the proxy, so the client is named in `X-Forwarded-For`;
//! but anybody can send that header. It is believed only when the connection comes
//! from a proxy listed in `TRUSTED_PROXIES`, and then the client is the right-most
//! address in the chain that is not itself a trusted proxy (addresses further left were
//! written by whoever sent the request and prove nothing).

use axum::http::HeaderMap;
use std::net::IpAddr;

/// One trusted network: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Result<Network, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{text:?} has a prefix length outside 0–{width}"))?,
        };
        Ok(Network { address, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:1.2.3.4`) is that IPv4 client.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`: addresses or CIDR
/// networks, comma-separated; empty = the header is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
}

impl TrustedProxies {
    /// Parses `10.0.0.0/8, 127.0.0.1, ::1`.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Network::parse)
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { networks })
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the peer itself, unless the peer is a trusted proxy; then
    /// `X-Forwarded-For` is read from the right (the end our proxies wrote) and the
    /// first entry that is not a trusted proxy is the client. Entries further left are
    /// the client's own words and are never read; an entry that is not an address where
    /// the client should be counts as the proxy itself.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let values: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        for entry in values.iter().rev().flat_map(|value| value.rsplit(',')) {
            match parse_entry(entry.trim()) {
                Some(ip) if self.trusts(ip) => continue,
                Some(ip) => return ip,
                None => return peer,
            }
        }
        peer
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]` or `[::1]:80`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(bracketed) = entry.strip_prefix('[') {
        let (inside, _) = bracketed.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(canonical);
    }
    let (host, port) = entry.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in xff {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let proxies = TrustedProxies::default();
        let client = proxies.client(ip("10.0.0.9"), &headers(&["203.0.113.5"]));
        assert_eq!(client, ip("10.0.0.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_a_spoofed_prefix_is_skipped() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The client wrote "1.1.1.1" itself; our proxies appended the real address.
        let client = proxies.client(
            ip("127.0.0.1"),
            &headers(&["1.1.1.1, 203.0.113.5", "10.1.2.3"]),
        );
        assert_eq!(client, ip("203.0.113.5"));
        // From an untrusted peer, the header counts for nothing.
        let client = proxies.client(ip("198.51.100.7"), &headers(&["203.0.113.5"]));
        assert_eq!(client, ip("198.51.100.7"));
        // No header, or an unreadable one: the proxy itself.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &headers(&[])),
            ip("127.0.0.1")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &headers(&["not-an-ip"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn networks_match_by_prefix_for_both_families() {
        let proxies = TrustedProxies::parse("192.168.0.0/16,fd00::/8,0.0.0.0/0").unwrap();
        assert!(proxies.trusts(ip("8.8.8.8")));
        let proxies = TrustedProxies::parse("192.168.0.0/16,fd00::/8").unwrap();
        assert!(proxies.trusts(ip("192.168.44.1")));
        assert!(!proxies.trusts(ip("192.169.0.1")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("fe80::1")));
        assert!(proxies.trusts(ip("::ffff:192.168.1.1")));
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry_named() {
        for bad in ["10.0.0.0/33", "proxy.local", "::1/129", "1.2.3.4/x"] {
            let error = TrustedProxies::parse(bad).unwrap_err();
            assert!(error.contains(bad.split('/').next().unwrap()), "{error}");
        }
        assert_eq!(
            TrustedProxies::parse(" , ").unwrap(),
            TrustedProxies::default()
        );
    }
}
