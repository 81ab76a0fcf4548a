//! A sliding-window rate limiter for log-in and registration, keyed by client address and by
//! username, in memory (one process serves the app).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit: limit.max(1) as usize,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt under every key; `Err(retry_after)` when any key is over its limit
    /// (the attempt is then not recorded).
    pub fn check(&self, keys: &[String]) -> Result<(), Duration> {
        self.check_at(keys, Instant::now())
    }

    fn check_at(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let Ok(mut hits) = self.hits.lock() else {
            return Ok(());
        };
        // Forget windows that have passed, so the map does not grow without bound.
        if hits.len() > 10_000 {
            hits.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let mut wait = Duration::ZERO;
        for key in keys {
            let queue = hits.entry(key.clone()).or_default();
            while queue
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                queue.pop_front();
            }
            if queue.len() >= self.limit {
                if let Some(oldest) = queue.front() {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for key in keys {
            hits.entry(key.clone()).or_default().push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key_and_the_window_slides() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let a = vec!["ip:1".to_string()];
        assert!(limiter.check_at(&a, t0).is_ok());
        assert!(limiter.check_at(&a, t0).is_ok());
        let wait = limiter
            .check_at(&a, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limiter.check_at(&["ip:2".to_string()], t0).is_ok(),
            "other keys unaffected"
        );
        assert!(limiter.check_at(&a, t0 + Duration::from_secs(61)).is_ok());
    }
}
