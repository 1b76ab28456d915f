//! A small driver over headless Chromium for tests and scenarios.
//!
//! ```no_run
//! use kommo_sandbox::browser::driver::{Driver, button_page_url};
//! use std::time::Duration;
//! let driver = Driver::launch()?;
//! let page = driver.open(&button_page_url("http://127.0.0.1:8787", "kommo", &serde_json::json!({}), &serde_json::json!([]), &serde_json::json!([])))?;
//! page.click("#amobutton")?;
//! page.wait_for_text(".ksb-services", "online_chat", Duration::from_secs(5))?;
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Every page gets its own browser context (own cookies and localStorage), so
//! two pages are two visitors. A failing wait or action saves a screenshot
//! when [`Page::screenshot_on_failure`] names a path. [`sdk_calls`] reads
//! what the pages recorded (`APP.*`, `crmPlugin.*`, `web1on1.*`, `widget.*`).

use anyhow::{anyhow, bail, Context as _, Result};
use headless_chrome::protocol::cdp::Page as Cdp;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often waits re-check their condition.
const POLL: Duration = Duration::from_millis(50);

pub struct Driver {
    browser: Browser,
}

/// The Chromium binary: `$KOMMO_SANDBOX_CHROMIUM`, else Debian's `/usr/bin/chromium`, else Chrome's usual names.
pub fn chromium_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KOMMO_SANDBOX_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

impl Driver {
    /// Starts headless Chromium (no sandbox, no network side-traffic).
    pub fn launch() -> Result<Driver> {
        let path = chromium_path().ok_or_else(|| anyhow!("no Chromium found; install it (apt-get install chromium) or set KOMMO_SANDBOX_CHROMIUM"))?;
        let args: Vec<&OsStr> = [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ]
        .iter()
        .map(OsStr::new)
        .collect();
        let options = LaunchOptions::default_builder()
            .path(Some(path))
            .sandbox(false)
            .headless(true)
            .args(args)
            .idle_browser_timeout(Duration::from_secs(3600))
            .build()
            .map_err(|e| anyhow!("launch options: {e}"))?;
        Ok(Driver {
            browser: Browser::new(options).context("starting Chromium")?,
        })
    }

    /// The Chromium process, so a holder that is never dropped (a test's
    /// static) can still end it when the process exits.
    pub fn process_id(&self) -> Option<u32> {
        self.browser.get_process_id()
    }

    /// Opens `url` in a fresh browser context and waits for it to load.
    pub fn open(&self, url: &str) -> Result<Page> {
        let tab = self.browser.new_context()?.new_tab()?;
        tab.navigate_to(url)?
            .wait_until_navigated()
            .with_context(|| format!("loading {url}"))?;
        Ok(Page {
            tab,
            screenshot_on_failure: None,
        })
    }
}

pub struct Page {
    tab: Arc<Tab>,
    /// Where a failing action or wait saves a PNG of the page.
    pub screenshot_on_failure: Option<PathBuf>,
}

impl Page {
    pub fn tab(&self) -> &Arc<Tab> {
        &self.tab
    }

    /// Evaluates a JS expression (promises are awaited) and returns its value as JSON.
    pub fn eval(&self, expression: &str) -> Result<Value> {
        let wrapped = format!(
            "(async () => {{ try {{ const v = await ({expression}); return JSON.stringify({{ok: v === undefined ? null : v}}); }} catch (e) {{ return JSON.stringify({{error: String(e && e.stack || e)}}); }} }})()"
        );
        let result = self.tab.evaluate(&wrapped, true)?;
        let text = result
            .value
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or_else(|| anyhow!("evaluation of {expression} gave no value"))?;
        let mut out: Value = serde_json::from_str(&text)?;
        if let Some(e) = out.get("error") {
            return self.fail(format!("JS error in {expression}: {e}"));
        }
        Ok(out["ok"].take())
    }

    /// Clicks the first element matching `selector` (waiting up to 5 s for it).
    pub fn click(&self, selector: &str) -> Result<()> {
        let outcome = self
            .tab
            .wait_for_element_with_custom_timeout(selector, Duration::from_secs(5))
            .and_then(|e| e.click().map(|_| ()));
        outcome.or_else(|e| self.fail(format!("click {selector}: {e}")))
    }

    /// Focuses the element and types `text` as key presses.
    pub fn type_into(&self, selector: &str, text: &str) -> Result<()> {
        let outcome = self
            .tab
            .wait_for_element_with_custom_timeout(selector, Duration::from_secs(5))
            .and_then(|e| e.type_into(text).map(|_| ()));
        outcome.or_else(|e| self.fail(format!("type into {selector}: {e}")))
    }

    pub fn press_key(&self, key: &str) -> Result<()> {
        self.tab
            .press_key(key)
            .map(|_| ())
            .or_else(|e| self.fail(format!("press {key}: {e}")))
    }

    /// Waits until the JS expression is truthy; returns its value.
    pub fn wait_until(&self, expression: &str, timeout: Duration) -> Result<Value> {
        let start = Instant::now();
        loop {
            let v = self.eval(expression)?;
            if truthy(&v) {
                return Ok(v);
            }
            if start.elapsed() > timeout {
                return self.fail(format!(
                    "timed out after {timeout:?} waiting for {expression} (last value {v})"
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until an element matching `selector` exists.
    pub fn wait_for_element(&self, selector: &str, timeout: Duration) -> Result<()> {
        self.wait_until(
            &format!("!!document.querySelector({})", js_string(selector)),
            timeout,
        )
        .map(|_| ())
    }

    /// Waits until some element matching `selector` contains `text`.
    pub fn wait_for_text(&self, selector: &str, text: &str, timeout: Duration) -> Result<()> {
        let expr = format!(
            "Array.from(document.querySelectorAll({})).some(e => e.textContent.includes({}))",
            js_string(selector),
            js_string(text)
        );
        self.wait_until(&expr, timeout).map(|_| ())
    }

    /// The text of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Result<Vec<String>> {
        let v = self.eval(&format!(
            "Array.from(document.querySelectorAll({})).map(e => e.textContent)",
            js_string(selector)
        ))?;
        Ok(serde_json::from_value(v)?)
    }

    pub fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        let png = self.tab.capture_screenshot(
            Cdp::CaptureScreenshotFormatOption::Png,
            None,
            None,
            true,
        )?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    pub fn close(self) {
        let _ = self.tab.close(false);
    }

    fn fail<T>(&self, message: String) -> Result<T> {
        match &self.screenshot_on_failure {
            Some(path) => match self.screenshot(path) {
                Ok(()) => bail!("{message} (screenshot: {})", path.display()),
                Err(e) => bail!("{message} (screenshot failed: {e})"),
            },
            None => bail!(message),
        }
    }
}

/// JavaScript truthiness of a value read back from the page.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A JS string literal.
pub fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// SDK calls the pages recorded in an account (amojo id or numeric id) whose method starts with `prefix`.
pub fn sdk_calls(
    sandbox: &crate::Sandbox,
    account: &str,
    prefix: &str,
) -> Vec<crate::domain::browser_state::SdkCall> {
    let world = sandbox.world();
    let Some(id) = super::resolve_account(&world, account) else {
        return vec![];
    };
    let calls = &world.account(&id).expect("resolved").browser.sdk_calls;
    calls
        .iter()
        .filter(|c| c.method.starts_with(prefix))
        .cloned()
        .collect()
}

/// The demo site with the chat button: `loader` `kommo` or `amocrm`, the config object, setMeta payloads, early calls.
pub fn button_page_url(
    base: &str,
    loader: &str,
    config: &Value,
    meta: &Value,
    queue: &Value,
) -> String {
    let mut url = url::Url::parse(&format!("{base}/demo/button")).expect("base URL");
    url.query_pairs_mut()
        .append_pair("loader", loader)
        .append_pair("meta", &meta.to_string())
        .append_pair("queue", &queue.to_string());
    if !config.is_null() {
        url.query_pairs_mut()
            .append_pair("config", &config.to_string());
    }
    url.to_string()
}

/// The widget host running `widget` in `area` (`lcard`, `llist`, ...), on card `card_id` if given.
pub fn widget_host_url(
    base: &str,
    widget: &str,
    area: &str,
    card_id: Option<i64>,
    settings: &Value,
) -> String {
    let mut url = url::Url::parse(&format!("{base}/widget-host")).expect("base URL");
    url.query_pairs_mut()
        .append_pair("widget", widget)
        .append_pair("area", area)
        .append_pair("settings", &settings.to_string());
    if let Some(id) = card_id {
        url.query_pairs_mut()
            .append_pair("card_id", &id.to_string());
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_carry_json_params() {
        let u = button_page_url(
            "http://127.0.0.1:1",
            "amocrm",
            &json!({"hidden": true}),
            &json!([]),
            &json!([["runChatShow"]]),
        );
        let parsed = url::Url::parse(&u).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["config"], r#"{"hidden":true}"#);
        assert_eq!(q["queue"], r#"[["runChatShow"]]"#);
        assert!(
            widget_host_url("http://h", "w", "lcard", Some(5), &json!({})).contains("card_id=5")
        );
    }

    #[test]
    fn truthiness_follows_js() {
        assert!(!truthy(&json!(0)) && !truthy(&json!("")) && !truthy(&Value::Null));
        assert!(truthy(&json!([])) && truthy(&json!("x")));
    }
}
