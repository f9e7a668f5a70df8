//! At most N attempts per client address in a sliding window (WebSockets: the spec's 5
//! per 60 s; marketplace redirects), so a misbehaving page or a script cannot open
//! sockets or start registrations without end. A limit of 0 lets everything through.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients tracked at most; past it the quietest are forgotten (a flood of new
/// addresses costs memory and time only up to here).
const MAX_CLIENTS: usize = 50_000;
/// Expired clients are swept at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Counts attempts per client: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network: counting single IPv6 addresses would give each client 2⁶⁴ buckets).
#[derive(Debug)]
pub struct ConnectionRateLimiter {
    max: usize,
    window: Duration,
    state: Mutex<Attempts>,
}

#[derive(Debug)]
struct Attempts {
    by_client: HashMap<IpAddr, VecDeque<Instant>>,
    last_sweep: Instant,
}

/// The bucket an address counts in.
fn client_key(ip: IpAddr) -> IpAddr {
    match crate::client_ip::canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

impl ConnectionRateLimiter {
    /// `max` attempts per `window` per client (0 = no limit).
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            state: Mutex::new(Attempts {
                by_client: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Records an attempt from `ip`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        if self.max == 0 {
            return true;
        }
        let now = Instant::now();
        let key = client_key(ip);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.by_client.len() >= MAX_CLIENTS / 2 && now - state.last_sweep >= SWEEP_EVERY {
            let window = self.window;
            state
                .by_client
                .retain(|_, times| times.back().is_some_and(|t| now - *t < window));
            state.last_sweep = now;
        }
        if state.by_client.len() >= MAX_CLIENTS && !state.by_client.contains_key(&key) {
            // Full of live clients: forget the one heard from longest ago.
            let quietest = state
                .by_client
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(ip, _)| *ip);
            if let Some(quietest) = quietest {
                state.by_client.remove(&quietest);
            }
        }
        let times = state.by_client.entry(key).or_default();
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.len() >= self.max {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused_per_ip() {
        let limiter = ConnectionRateLimiter::new(5, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..5).all(|_| limiter.allow(a)));
        assert!(!limiter.allow(a));
        assert!(limiter.allow(b));
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_a_mapped_ipv4_as_itself() {
        let limiter = ConnectionRateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.allow(a) && limiter.allow(b));
        assert!(!limiter.allow(a), "the same /64");
        assert!(limiter.allow(other));
        let v4: IpAddr = "10.0.0.5".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert!(limiter.allow(v4) && limiter.allow(mapped));
        assert!(!limiter.allow(v4));
    }

    #[test]
    fn a_flood_of_new_addresses_keeps_the_map_bounded() {
        let limiter = ConnectionRateLimiter::new(1, Duration::from_secs(60));
        for n in 0..(MAX_CLIENTS as u32 + 500) {
            assert!(limiter.allow(IpAddr::V4(n.into())));
        }
        let tracked = limiter.state.lock().unwrap().by_client.len();
        assert!(tracked <= MAX_CLIENTS, "{tracked}");
    }

    #[test]
    fn attempts_leave_the_window() {
        let limiter = ConnectionRateLimiter::new(1, Duration::from_millis(20));
        let ip: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(limiter.allow(ip));
        assert!(!limiter.allow(ip));
        std::thread::sleep(Duration::from_millis(25));
        assert!(limiter.allow(ip));
    }
}
