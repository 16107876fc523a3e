//! `woonox serve` for the end-to-end tests: started on a loopback port, killed when
//! dropped, and its status page read and its forms posted as the page's own.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ALL_OFF: &str = "products = \"off\"\nstock = \"off\"\ncustomers = \"off\"\norders = \"off\"\nrefunds = \"off\"\ninvoices = \"off\"\ncredit-notes = \"off\"";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every flow's poll off (or as given), so that only what a test asks for runs.
pub fn schedule(data: &Path, connection: &str, entries: &str) {
    let file = data.join("woonox.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!("\n[connections.{connection}.schedule]\n{entries}\n"));
    std::fs::write(file, text).unwrap();
}

pub fn wait_until(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub struct Serve {
    pub child: Child,
    pub base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `woonox serve` on `port` with the global `args` (e.g. `--settings`), once it answers.
pub fn serve_with(data: &Path, port: u16, args: &[&str]) -> Serve {
    serve_full(data, port, args, &[])
}

/// `serve_with`, and `serve_args` after `serve` (e.g. `--fortnox-events`).
pub fn serve_full(data: &Path, port: u16, args: &[&str], serve_args: &[&str]) -> Serve {
    let child = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(serve_args)
        .env_remove("WOONOX_STATUS_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve = Serve { child, base: format!("http://127.0.0.1:{port}") };
    wait_until("serve to come up", 60, || ureq::get(&format!("{}/healthz", serve.base)).call().is_ok());
    serve
}

pub fn serve(data: &Path, port: u16) -> Serve {
    serve_with(data, port, &[])
}

/// Statuses as they are: errors and redirects are what some tests look at.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

impl Serve {
    /// The page at `path_and_query` (e.g. `/?connection=default&find=1042`).
    pub fn page(&self, path_and_query: &str) -> String {
        agent().get(&format!("{}{path_and_query}", self.base)).call().unwrap().body_mut().read_to_string().unwrap()
    }

    pub fn metric(&self, line_start: &str) -> u64 {
        self.page("/metrics")
            .lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let page = self.page("/");
        let start = page.find("name=csrf value=\"").expect("a form with a CSRF token") + 17;
        page[start..].split('"').next().unwrap().to_owned()
    }

    /// POSTs a form from the page's own origin, with the CSRF token when given; answers
    /// the status and the `Location` it sends the browser to.
    pub fn post(&self, path: &str, fields: &[(&str, &str)], csrf: Option<&str>) -> (u16, String) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(fields.iter().copied());
        if let Some(token) = csrf {
            form.append_pair("csrf", token);
        }
        let request = agent().post(&format!("{}{path}", self.base)).header("Origin", &self.base);
        let request = request.header("Content-Type", "application/x-www-form-urlencoded");
        let response = request.send(form.finish()).unwrap();
        let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
        (response.status().as_u16(), location.to_owned())
    }
}
