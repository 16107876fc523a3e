//! Fortnox counts its 25 calls in any 5 s across processes. Back-to-back `woonox sync`
//! runs continue one window kept in the state, so none of them draws a 429 from the
//! stand-in, which enforces Fortnox's window.

mod common;

use common::{connected, started, woonox};

#[test]
fn back_to_back_runs_draw_no_429() {
    let (_rt, sim) = started(30);
    let data = connected("rate-window", &sim);
    // Make the first run's calls count: a window filled by it must hold up the next.
    sim.fortnox.lock().unwrap().reset_rate_windows();
    sim.log.clear();
    for run in 0..20 {
        let out = woonox(&data, &["sync", "products", "stock", "customers"]);
        assert!(out.status.code().is_some_and(|c| c <= 1), "run {run}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let entries = sim.log.entries();
    let fortnox: Vec<_> = entries.iter().filter(|e| e.service == "fortnox").collect();
    let refused = fortnox.iter().filter(|e| e.status == 429).count();
    eprintln!("rate window: {} Fortnox calls over 20 runs, {refused} answers 429", fortnox.len());
    assert!(fortnox.len() > 50, "too few calls to fill a window: {}", fortnox.len());
    assert_eq!(refused, 0, "{refused} answers 429 over 20 back-to-back runs ({} Fortnox calls)", fortnox.len());
}
