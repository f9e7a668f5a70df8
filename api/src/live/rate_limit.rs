//! At most N attempts per client address in a sliding window (WebSockets: the spec's 5
//! per 60 s; marketplace redirects), so a misbehaving page or a script cannot open
//! sockets or start registrations without end. A limit of 0 lets everything through.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts connection attempts per IP.
#[derive(Debug)]
pub struct ConnectionRateLimiter {
    max: usize,
    window: Duration,
    attempts: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl ConnectionRateLimiter {
    /// `max` attempts per `window` per IP.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt from `ip`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        if self.max == 0 {
            return true;
        }
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if attempts.len() > 10_000 {
            // Forget idle IPs so the map does not grow without bound.
            attempts.retain(|_, times| times.back().is_some_and(|t| now - *t < self.window));
        }
        let times = attempts.entry(ip).or_default();
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
    fn attempts_leave_the_window() {
        let limiter = ConnectionRateLimiter::new(1, Duration::from_millis(20));
        let ip: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(limiter.allow(ip));
        assert!(!limiter.allow(ip));
        std::thread::sleep(Duration::from_millis(25));
        assert!(limiter.allow(ip));
    }
}
