//! Where a bench run's wall time went, from the stand-ins' request log: before the first
//! call (start-up: the process, the component), the head where only one side was called,
//! the span where both were, the tail where only one was, and after the last call (the
//! report). The floor assumes both sides busy from the first second to the last, so the
//! head and the tail are what a run cannot overlap.

use std::time::Instant;
use woonox_sim::log::Logged;

/// The parts in seconds; `None` when the run made no call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeline {
    pub before: f64,
    /// Only the side called first, until the other's first call.
    pub head: f64,
    /// Only the side called last, after the other's last call.
    pub tail: f64,
    pub after: f64,
}

pub fn of(log: &[Logged], started: Instant, ended: Instant) -> Option<Timeline> {
    let span = |service: &str| {
        let times = log.iter().filter(|e| e.service == service).map(|e| e.at);
        times.clone().min().zip(times.max())
    };
    let calls = log.iter().map(|e| e.at);
    let (first, last) = calls.clone().min().zip(calls.max())?;
    let secs = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64();
    let (head, tail) = match (span("fortnox"), span("woocommerce")) {
        (Some((f0, f1)), Some((w0, w1))) => (secs(f0.min(w0), f0.max(w0)), secs(f1.min(w1), f1.max(w1))),
        _ => (secs(first, last), 0.0),
    };
    Some(Timeline { before: secs(started, first), head, tail, after: secs(last, ended) })
}

impl std::fmt::Display for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "start {:.1} s, one side only {:.1} s + {:.1} s, end {:.1} s",
            self.before, self.head, self.tail, self.after
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(service: &'static str, at: Instant) -> Logged {
        Logged {
            service,
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            authorization: None,
            status: 200,
            at,
            process: None,
            epoch: None,
        }
    }

    #[test]
    fn the_parts_add_up_to_what_only_one_side_or_neither_did() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let log =
            [call("fortnox", at(1)), call("fortnox", at(4)), call("woocommerce", at(3)), call("woocommerce", at(9))];
        let t = of(&log, t0, at(10)).unwrap();
        assert_eq!(t, Timeline { before: 1.0, head: 2.0, tail: 5.0, after: 1.0 });
        assert_eq!(of(&[], t0, at(1)), None);
        let one_side = of(&[call("fortnox", at(2)), call("fortnox", at(5))], t0, at(6)).unwrap();
        assert_eq!((one_side.head, one_side.tail), (3.0, 0.0));
    }
}
