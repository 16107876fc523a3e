//! `woonox doctor`: the checks as a table (or JSON); exit 1 when any check fails.

use anyhow::{Result, bail};
use woonox::connections::connection::Paths;
use woonox::doctor::{Examination, Patient, Verdict, examine};
use woonox::runtime::Source;

pub async fn run(
    paths: &Paths,
    source: &Source,
    name: &str,
    settings: &woonox_guest::Settings,
    json: bool,
) -> Result<()> {
    let super::Opened { config, state, connection, runtime } = super::Opened::new(paths, source, name)?;
    let events = woonox::doctor::events::configured(&config);
    let fortnox_events = events.as_deref();
    let patient =
        Patient { paths, config: &config, name, opened: &connection, state: &state, settings, fortnox_events };
    let exam = examine(&patient, &runtime).await?;
    if json {
        println!("{}", serde_json::to_string(&exam)?);
    } else {
        print_table(&exam);
    }
    match exam.count(Verdict::Failing) {
        0 => Ok(()),
        n => bail!("{n} check(s) failing: fix what each says, then run `woonox doctor` again"),
    }
}

fn print_table(exam: &Examination) {
    let width = exam.findings.iter().map(|f| f.check.chars().count()).max().unwrap_or(5).min(32);
    println!("Connection {:?}: {} checks\n", exam.connection, exam.findings.len());
    println!("  {:<8} {:<12} {:<width$}  detail", "", "side", "check");
    for f in &exam.findings {
        println!("  {:<8} {:<12} {:<width$}  {}", label(f.verdict), f.side, f.check, f.detail);
        if !f.fix.is_empty() {
            println!("  {:<8} {:<12} {:<width$}  fix: {}", "", "", "", f.fix);
        }
    }
    println!(
        "\n{} ok, {} warning(s), {} failing",
        exam.count(Verdict::Ok),
        exam.count(Verdict::Warning),
        exam.count(Verdict::Failing)
    );
}

fn label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "ok",
        Verdict::Warning => "warning",
        Verdict::Failing => "FAILING",
    }
}
