//! One Chromium for the whole binary (launching costs seconds), a fresh
//! sandbox per test, and small helpers to call its admin plane.

use kommo_sandbox::browser::driver::{Driver, Page};
use kommo_sandbox::config::Config;
use kommo_sandbox::server::{self, Server};
use kommo_sandbox::Sandbox;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(10);

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

pub fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let driver =
            Driver::launch().expect("Chromium must be installed (scripts/test-all.sh installs it)");
        end_at_exit(driver.process_id());
        driver
    })
}

static CHROMIUM_PID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Statics are never dropped, so the shared Chromium would outlive the test
/// process (and hold its stdout open); end it when the process exits.
fn end_at_exit(pid: Option<u32>) {
    extern "C" fn kill_chromium() {
        let pid = CHROMIUM_PID.load(std::sync::atomic::Ordering::SeqCst);
        if pid != 0 {
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
    if let Some(pid) = pid {
        CHROMIUM_PID.store(pid, std::sync::atomic::Ordering::SeqCst);
        unsafe { libc::atexit(kill_chromium) };
    }
}

pub struct Env {
    pub server: Server,
    pub base: String,
    /// amojo id of the demo account.
    pub account: String,
}

/// Opens a widget-host page and waits until its widget is up; a widget
/// that failed to load fails the test, named `name`.
pub fn open_widget_page(e: &Env, url: &str, name: &str) -> Page {
    let page = e.open(url, name);
    page.wait_until(
        "document.body.dataset.widgetReady || document.body.dataset.widgetError",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        page.eval("document.body.dataset.widgetError || null")
            .unwrap(),
        Value::Null,
        "{name}"
    );
    page
}

pub fn env() -> Env {
    let sandbox = Sandbox::new(Config::default()).unwrap();
    let server = runtime()
        .block_on(server::start(sandbox, "127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let base = server.url();
    let account = server.sandbox.world().accounts[0].amojo_id.clone();
    Env {
        server,
        base,
        account,
    }
}

impl Env {
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        runtime().block_on(async move {
            let r = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }

    pub fn account_path(&self, rest: &str) -> String {
        format!("/_sandbox/accounts/{}{rest}", self.account)
    }

    /// Opens a page with a screenshot path for failures under target/.
    pub fn open(&self, url: &str, name: &str) -> Page {
        let mut page = driver().open(url).unwrap();
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-failures");
        std::fs::create_dir_all(&dir).unwrap();
        page.screenshot_on_failure = Some(dir.join(format!("{name}.png")));
        page
    }

    /// SDK calls recorded so far whose method starts with `prefix`.
    pub fn sdk_calls(&self, prefix: &str) -> Vec<Value> {
        let calls =
            kommo_sandbox::browser::driver::sdk_calls(&self.server.sandbox, &self.account, prefix);
        calls
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    /// Waits (polling the state) until `check` holds.
    pub fn wait_state(&self, what: &str, check: impl Fn(&kommo_sandbox::domain::World) -> bool) {
        let start = std::time::Instant::now();
        loop {
            if check(&self.server.sandbox.world()) {
                return;
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A widget's own server: answers a form POST with the fields it got, as JSON.
pub fn echo_server() -> String {
    use axum::routing::post;
    runtime().block_on(async {
        let app = axum::Router::new().route(
            "/echo",
            post(
                |axum::Form(f): axum::Form<std::collections::BTreeMap<String, String>>| async move {
                    axum::Json(f)
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/echo", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    })
}

/// A website on its own origin (another port): serves `html` at `/`.
pub fn site_server(html: String) -> String {
    use axum::response::Html;
    use axum::routing::get;
    runtime().block_on(async {
        let app = axum::Router::new().route("/", get(move || async move { Html(html) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    })
}

/// Any request from the test itself: (status, headers as lower-case names).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let url = url.to_string();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    runtime().block_on(async move {
        let mut r = reqwest::Client::new().request(method, url);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        let r = r.send().await.unwrap();
        let h = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        (r.status().as_u16(), h)
    })
}
