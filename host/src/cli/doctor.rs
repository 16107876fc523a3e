//! `woonox doctor`: the checks as a table (or JSON); exit 1 when any check fails.

use super::bad;
use anyhow::{Result, bail};
use std::sync::Arc;
use woonox::connections::config::Config;
use woonox::connections::connection::{Paths, open};
use woonox::doctor::{Examination, Patient, Verdict, examine};
use woonox::runtime::{Limits, Runtime, Source};
use woonox::state::store::Store;

pub async fn run(
    paths: &Paths,
    source: &Source,
    name: &str,
    settings: &woonox_guest::Settings,
    json: bool,
) -> Result<()> {
    let config = Config::load(&paths.config_file()).map_err(bad)?;
    let state = Arc::new(Store::for_paths(paths).map_err(bad)?);
    let opened = open(paths, &config, name, state.clone(), &Default::default()).map_err(bad)?;
    let runtime = Runtime::new(source, Some(&paths.cache_dir()), Limits::default())?;
    let patient = Patient { paths, config: &config, name, opened: &opened, state: &state, settings };
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
