//! A throwaway PostgreSQL for tests and benchmarks. With `WOONOX_TEST_POSTGRES` set (a
//! server URL such as `postgres://user@host:5432`), databases are made there. Otherwise the
//! process makes a cluster of its own: Debian's `initdb` into a temporary directory and the
//! server on a free loopback port, run as the `postgres` user when this process is root
//! (the server refuses to run as root). A watcher stops the server and removes the directory
//! when this process ends, however it ends.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A new empty database on the shared server; its URL.
pub fn fresh_database() -> Result<String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let server = server()?;
    let name = format!("woonox_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    psql(&format!("{server}/postgres"), &format!("CREATE DATABASE {name}"))?;
    Ok(format!("{server}/{name}"))
}

/// Runs one statement with Debian's `psql`.
pub fn psql(url: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql").args([url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]).output()?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn server() -> Result<String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    let got = SERVER.get_or_init(|| match std::env::var("WOONOX_TEST_POSTGRES") {
        Ok(url) => Ok(url.trim_end_matches('/').to_owned()),
        Err(_) => start_cluster().map_err(|e| format!("{e:#}")),
    });
    got.clone().map_err(|e| anyhow::anyhow!("no PostgreSQL for the tests: {e}"))
}

fn bin_dir() -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().context("no initdb under /usr/lib/postgresql")
}

fn is_root() -> bool {
    // SAFETY: getuid cannot fail and touches no memory.
    unsafe { libc::getuid() == 0 }
}

/// `program args…`, as the `postgres` user when we are root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_cluster() -> Result<String> {
    let bin = bin_dir()?;
    let dir = std::env::temp_dir().join(format!("woonox-pg-{}-{}", std::process::id(), free_port()?));
    std::fs::create_dir_all(&dir)?;
    if is_root() {
        let ok = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status()?.success();
        if !ok {
            bail!("cannot give {} to the postgres user", dir.display());
        }
    }
    let data = dir.join("data");
    let out = as_server_user(&bin.join("initdb"))
        .args(["--auth=trust", "--username=woonox", "--no-sync", "--encoding=UTF8", "-D"])
        .arg(&data)
        .output()?;
    if !out.status.success() {
        bail!("initdb: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let port = free_port()?;
    let options =
        format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", dir.display());
    let out = as_server_user(&bin.join("pg_ctl"))
        .args(["-D"])
        .arg(&data)
        .args(["-l"])
        .arg(dir.join("log"))
        .args(["-o", &options, "-w", "start"])
        .output()?;
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        bail!("pg_ctl start: {} {log}", String::from_utf8_lossy(&out.stderr).trim());
    }
    stop_when_this_process_ends(&bin, &data, &dir)?;
    Ok(format!("postgres://woonox@127.0.0.1:{port}"))
}

fn stop_when_this_process_ends(bin: &Path, data: &Path, dir: &Path) -> Result<()> {
    let runuser = if is_root() { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    Ok(())
}
