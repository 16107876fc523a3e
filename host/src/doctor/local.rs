//! The doctor's checks of woonox itself: its files' permissions, the Fortnox login's age
//! and each flow's last run.

use super::{Finding, Patient, Verdict};
use crate::state::secrets::FORTNOX_TOKENS;
use crate::wire::fortnox_auth::TokenSet;

/// Fortnox voids a refresh token 45 days after it was issued (docs/fortnox-api.md §1).
const REFRESH_DAYS: i64 = 45;
/// Warn this many days before.
const WARN_DAYS: i64 = 30;
/// An access token lives an hour; its expiry tells when it (and the refresh token) came.
const ACCESS_SECS: i64 = 3600;

pub fn checks(p: &Patient<'_>) -> Vec<Finding> {
    let mut found = vec![files(p), login(p)];
    found.extend(last_runs(p));
    found
}

fn files(p: &Patient<'_>) -> Finding {
    if let Err(e) = crate::state::permissions::check(p.paths) {
        return Finding::woonox("files", Verdict::Failing, format!("{e:#}"), "Change the permissions as said");
    }
    let readable = readable_by_others(&p.paths.data_dir.join("secrets"));
    if readable.is_empty() {
        return Finding::woonox("files", Verdict::Ok, "the data directory and the secrets in it are yours only", "");
    }
    let shown: Vec<String> = readable.iter().map(|f| f.display().to_string()).collect();
    Finding::woonox(
        "files",
        Verdict::Failing,
        format!("other users can read these secrets: {}", shown.join(", ")),
        format!("chmod 600 {}", shown.join(" ")),
    )
}

/// Files under `dir` (a folder per connection) that others may read: secrets must be 0600.
fn readable_by_others(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            found.extend(readable_by_others(&entry.path()));
        } else if meta.permissions().mode() & 0o077 != 0 {
            found.push(entry.path());
        }
    }
    found
}

fn login(p: &Patient<'_>) -> Finding {
    let reconnect = format!("Run `woonox connect fortnox --connection {}`", p.name);
    let tokens = match p.opened.secrets.read::<TokenSet>(p.name, FORTNOX_TOKENS) {
        Ok(Some(tokens)) => tokens,
        Ok(None) => return Finding::woonox("Fortnox login", Verdict::Failing, "Fortnox is not connected", reconnect),
        Err(e) => return Finding::woonox("Fortnox login", Verdict::Failing, format!("{e:#}"), reconnect),
    };
    let now = chrono::Utc::now().timestamp();
    login_finding(&tokens, now, reconnect)
}

fn login_finding(tokens: &TokenSet, now: i64, reconnect: String) -> Finding {
    let check = "Fortnox login";
    if let Some(why) = &tokens.needs_reconnect {
        return Finding::woonox(check, Verdict::Failing, format!("Fortnox refused the login: {why}"), reconnect);
    }
    if tokens.tenant_id.is_some() {
        return Finding::woonox(check, Verdict::Ok, "a service account: no refresh token to lapse", "");
    }
    let days = (now - (tokens.expires_at as i64 - ACCESS_SECS)).max(0) / 86_400;
    let renewed = format!("renewed {days} day(s) ago");
    match days {
        d if d >= REFRESH_DAYS => Finding::woonox(
            check,
            Verdict::Failing,
            format!("{renewed}: Fortnox voids a refresh token after {REFRESH_DAYS} days"),
            reconnect,
        ),
        d if d >= WARN_DAYS => Finding::woonox(
            check,
            Verdict::Warning,
            format!("{renewed}: it lapses at {REFRESH_DAYS} days unless woonox calls Fortnox before"),
            "Run any sync (or keep `woonox serve` running) at least once a month",
        ),
        _ => Finding::woonox(check, Verdict::Ok, renewed, ""),
    }
}

fn last_runs(p: &Patient<'_>) -> Vec<Finding> {
    let runs = p.state.runs(p.name).unwrap_or_default();
    if runs.is_empty() {
        return vec![Finding::woonox("last runs", Verdict::Ok, "no flow has run yet", "")];
    }
    runs.into_iter()
        .map(|run| {
            let when = chrono::DateTime::from_timestamp(run.started_at, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC"));
            let when = when.map(|w| w.to_string()).unwrap_or_default();
            let check = format!("last {} run", run.flow);
            let first_line = run.summary.lines().next().unwrap_or_default().to_owned();
            if run.ok {
                Finding::woonox(&check, Verdict::Ok, format!("{when}: {first_line}"), "")
            } else {
                let fix = format!("See why on the status page, or run `woonox sync {}`", run.flow);
                Finding::woonox(&check, Verdict::Warning, format!("{when} it failed: {}", run.summary), fix)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(issued_days_ago: i64, now: i64) -> TokenSet {
        TokenSet {
            access_token: "a".into(),
            refresh_token: Some("r".into()),
            expires_at: (now - issued_days_ago * 86_400 + ACCESS_SECS) as u64,
            tenant_id: None,
            needs_reconnect: None,
        }
    }

    #[test]
    fn the_login_is_fine_then_warned_then_failing_as_it_nears_45_days() {
        let now = 1_800_000_000;
        let verdict = |days| login_finding(&tokens(days, now), now, "reconnect".into()).verdict;
        assert_eq!(verdict(0), Verdict::Ok);
        assert_eq!(verdict(29), Verdict::Ok);
        assert_eq!(verdict(30), Verdict::Warning);
        assert_eq!(verdict(44), Verdict::Warning);
        assert_eq!(verdict(45), Verdict::Failing);
        let refused = TokenSet { needs_reconnect: Some("invalid_grant".into()), ..tokens(1, now) };
        let f = login_finding(&refused, now, "reconnect".into());
        assert_eq!((f.verdict, f.fix.as_str()), (Verdict::Failing, "reconnect"));
        let service = TokenSet { tenant_id: Some("1".into()), refresh_token: None, ..tokens(400, now) };
        assert_eq!(login_finding(&service, now, String::new()).verdict, Verdict::Ok);
    }
}
