//! A sliding-window limiter: at most `limit` requests in any `window`. Fortnox enforces
//! exactly this (25 requests in any 5 s per client id and tenant), and a per-second token
//! bucket does not fit inside it, so woonox paces to the same window it is judged by.
//!
//! Fortnox counts across processes, so a window can be kept ([`SlidingWindow::kept`]):
//! it starts from the calls an earlier process recorded and records each one it lets
//! through, so back-to-back runs continue one window instead of each starting empty.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Where a kept window's calls go: unix milliseconds, oldest first.
pub type Record = Box<dyn Fn(&[u64]) + Send + Sync>;

pub struct SlidingWindow {
    limit: usize,
    window: Duration,
    /// Each call as this process's clock and as unix milliseconds.
    sent: Mutex<VecDeque<(Instant, u64)>>,
    record: Option<Record>,
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl SlidingWindow {
    pub fn new(limit: usize, window: Duration) -> Self {
        assert!(limit > 0, "a limit of zero requests would never let one through");
        SlidingWindow { limit, window, sent: Mutex::new(VecDeque::with_capacity(limit)), record: None }
    }

    /// This window continued from `earlier` calls (unix milliseconds, as recorded), each
    /// new call passed to `record` with the rest still in the window.
    pub fn kept(self, earlier: &[u64], record: Record) -> Self {
        let (now, now_ms) = (Instant::now(), unix_ms());
        let window_ms = self.window.as_millis() as u64;
        let recent = earlier.iter().filter(|t| now_ms.saturating_sub(**t) < window_ms && **t <= now_ms);
        let sent = recent.map(|t| (now - Duration::from_millis(now_ms - t), *t)).collect();
        SlidingWindow { sent: Mutex::new(sent), record: Some(record), ..self }
    }

    /// Fortnox's documented limit, 25 in any 5 s, paced over 5.1 s: Fortnox counts
    /// requests when they arrive, and network jitter must not push one into a full window.
    pub fn fortnox() -> Self {
        SlidingWindow::new(25, Duration::from_millis(5100))
    }

    /// Waits until one more request fits in the window, counts it, and answers the
    /// instant it was counted at.
    pub async fn acquire(&self) -> Instant {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent.front().is_some_and(|(t, _)| now.duration_since(*t) >= self.window) {
                sent.pop_front();
            }
            if sent.len() < self.limit {
                sent.push_back((now, unix_ms()));
                if let Some(record) = &self.record {
                    record(&sent.iter().map(|(_, ms)| *ms).collect::<Vec<_>>());
                }
                return now;
            }
            let oldest = sent.front().expect("a full window has an oldest request").0;
            tokio::time::sleep_until(oldest + self.window).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Counts, over every request's start, the requests in the window that starts there.
    fn max_in_any_window(times: &[Instant], window: Duration) -> usize {
        times
            .iter()
            .map(|t| times.iter().filter(|u| **u >= *t && u.duration_since(*t) < window).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window_and_no_idle_time() {
        let limiter = Arc::new(SlidingWindow::fortnox());
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..25 {
                    limiter.acquire().await;
                    times.push(Instant::now());
                }
                times
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times.len(), 200);
        assert_eq!(max_in_any_window(&times, Duration::from_secs(5)), 25);
        // 200 requests at 25 per 5.1 s: the last window opens at 7 × 5.1 s; no idle time.
        assert_eq!(times.last().unwrap().duration_since(start), Duration::from_millis(35700));
    }

    #[tokio::test]
    async fn a_kept_window_continues_where_the_last_process_left_it() {
        let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = recorded.clone();
        let first = SlidingWindow::new(3, Duration::from_millis(400))
            .kept(&[], Box::new(move |calls| *sink.lock().unwrap() = calls.to_vec()));
        for _ in 0..3 {
            first.acquire().await;
        }
        let earlier = recorded.lock().unwrap().clone();
        assert_eq!(earlier.len(), 3);
        // A new process: the window is still full, so its first call waits for it.
        let second = SlidingWindow::new(3, Duration::from_millis(400)).kept(&earlier, Box::new(|_| {}));
        let start = std::time::Instant::now();
        second.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(300), "went at once: {:?}", start.elapsed());
        // Calls older than the window are forgotten.
        let stale = SlidingWindow::new(3, Duration::from_millis(400)).kept(&[1, 2, 3], Box::new(|_| {}));
        let start = std::time::Instant::now();
        stale.acquire().await;
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_limiter_lets_a_burst_through_at_once() {
        let limiter = SlidingWindow::new(5, Duration::from_secs(1));
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), start);
        limiter.acquire().await;
        assert_eq!(Instant::now().duration_since(start), Duration::from_secs(1));
    }
}
