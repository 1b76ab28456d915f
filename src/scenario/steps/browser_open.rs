//! `browser: {open: ...}`: the sandbox's pages bound to the scenario's own
//! account (button demo, widget host, web1on1), or any URL.

use super::browser::blocking;
use crate::browser::driver::{button_page_url, widget_host_url};
use crate::scenario::context::Ctx;
use crate::scenario::model::Step;
use crate::scenario::model_browser::{ButtonPage, Open, WidgetPage};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub async fn open(
    ctx: &mut Ctx<'_>,
    step: &Step,
    name: &str,
    open: &Open,
    timeout_ms: u64,
) -> Result<(Value, Value), String> {
    let base = ctx.shared.sandbox_url.clone();
    let (url, entry) = if let Some(b) = &open.button {
        (
            with_account(&button_url(&base, b), &ctx.amojo_id),
            json!({"browser": "open", "button": b}),
        )
    } else if let Some(w) = &open.widget {
        let widget = register(ctx, step, w)?;
        let url = widget_host_url(
            &base,
            &widget,
            w.area.as_deref().unwrap_or("lcard"),
            w.card,
            w.settings.as_ref().unwrap_or(&json!({})),
        );
        let url = with_param(&url, "lang", w.lang.as_deref());
        (
            with_account(&url, &ctx.amojo_id),
            json!({"browser": "open", "widget": w}),
        )
    } else if open.web1on1.is_some() {
        (
            with_account(&format!("{base}/demo/web1on1"), &ctx.amojo_id),
            json!({"browser": "open", "web1on1": {}}),
        )
    } else if let Some(u) = &open.url {
        let url = if u.starts_with('/') {
            format!("{base}{u}")
        } else {
            u.clone()
        };
        (url, json!({"browser": "open", "url": u}))
    } else {
        return Err("`open` needs one of button, widget, web1on1, url".into());
    };
    let driver = ctx.shared.browser.driver().await?;
    let target = url.clone();
    let page = blocking(move || driver.open(&target).map_err(|e| format!("{e:#}"))).await?;
    let page = ctx.shared.browser.put(&ctx.stub_key, name, page);
    if open.widget.is_some() {
        widget_ready(page, timeout_ms).await?;
    }
    Ok((json!({"url": url}), entry))
}

fn button_url(base: &str, b: &ButtonPage) -> String {
    let mut meta: Vec<Value> = b
        .bot_params
        .iter()
        .map(|p| json!({"bot_params": p}))
        .collect();
    meta.extend(b.meta.iter().cloned());
    let config = b.config.clone().unwrap_or(Value::Null);
    let url = button_page_url(
        base,
        b.loader.as_deref().unwrap_or("kommo"),
        &config,
        &json!(meta),
        &json!(b.queue),
    );
    with_param(&url, "locale", b.locale.as_deref())
}

fn with_account(url: &str, account: &str) -> String {
    with_param(url, "account", Some(account))
}

fn with_param(url: &str, key: &str, value: Option<&str>) -> String {
    let Some(value) = value else {
        return url.to_string();
    };
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair(key, value);
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// The folder, relative to the file the step came from.
pub fn widget_dir(step_file: &str, path: &str) -> PathBuf {
    let base = Path::new(step_file).parent().unwrap_or(Path::new("."));
    base.join(path)
}

fn register(ctx: &Ctx<'_>, step: &Step, w: &WidgetPage) -> Result<String, String> {
    let dir = widget_dir(&step.origin.file, &w.path);
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("widget folder {}: {e}", dir.display()))?;
    ctx.shared.sandbox.widgets.add(dir)
}

/// The host marks the body when the widget's render/init/bind_actions ran, or why it could not.
async fn widget_ready(
    page: std::sync::Arc<crate::browser::driver::Page>,
    timeout_ms: u64,
) -> Result<(), String> {
    blocking(move || {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        loop {
            let state = page.eval("[document.body.dataset.widgetReady || null, document.body.dataset.widgetError || null]").map_err(|e| format!("{e:#}"))?;
            if let Some(err) = state[1].as_str() {
                return Err(format!("the widget failed to start: {err}"));
            }
            if state[0].is_string() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the widget host did not finish starting the widget within {timeout_ms} ms"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_url_carries_bot_params_first() {
        let b: ButtonPage = serde_yaml::from_str("loader: amocrm\nbot_params: {username: Maria}\nmeta: [{lead: {name: L}}]\nqueue: [[runChatShow]]").unwrap();
        let u = url::Url::parse(&button_url("http://127.0.0.1:1", &b)).unwrap();
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["loader"], "amocrm");
        assert_eq!(
            q["meta"],
            r#"[{"bot_params":{"username":"Maria"}},{"lead":{"name":"L"}}]"#
        );
        assert_eq!(q["queue"], r#"[["runChatShow"]]"#);
        assert!(!q.contains_key("config"));
        assert!(with_account(u.as_str(), "acc").ends_with("&account=acc"));
    }

    #[test]
    fn widget_folder_is_relative_to_the_step_file() {
        assert_eq!(
            widget_dir("scenarios/examples/a.yaml", "../../web/w"),
            PathBuf::from("scenarios/examples/../../web/w")
        );
    }
}
