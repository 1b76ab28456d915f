//! `browser` steps: open a page, act on it, wait for it, or assert what the
//! sandbox recorded from it. A failing step leaves a screenshot of its page.

use super::browser_open;
use super::browser_records;
use super::browser_wait;
use crate::browser::driver::Page;
use crate::scenario::context::Ctx;
use crate::scenario::matchers::check;
use crate::scenario::model::Step;
use crate::scenario::model_browser::BrowserStep;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs the step; returns the value `capture` reads from (eval result or matched record).
pub async fn run(ctx: &mut Ctx<'_>, step: &Step, raw: &BrowserStep) -> Result<Value, String> {
    let b = resolve(ctx, raw)?;
    match act(ctx, step, &b).await {
        Ok((value, entry)) => {
            let mut entry = entry;
            entry["page"] = json!(b.page_name());
            ctx.steps_log.push(entry);
            Ok(value)
        }
        Err(e) => Err(with_screenshot(ctx, step, &b, e).await),
    }
}

/// The step with `${...}` replaced.
fn resolve(ctx: &mut Ctx<'_>, raw: &BrowserStep) -> Result<BrowserStep, String> {
    let v = serde_json::to_value(raw).map_err(|e| e.to_string())?;
    let v = ctx.vars.value(&v)?;
    serde_json::from_value(v).map_err(|e| format!("browser step after substituting variables: {e}"))
}

type Done = (Value, Value);

async fn act(ctx: &mut Ctx<'_>, step: &Step, b: &BrowserStep) -> Result<Done, String> {
    if let Some(open) = &b.open {
        return browser_open::open(ctx, step, b.page_name(), open, b.timeout_ms()).await;
    }
    if let Some(pattern) = &b.sdk_call {
        return browser_records::wait(ctx, "sdk_call", pattern, b).await;
    }
    if let Some(pattern) = &b.notification {
        return browser_records::wait(ctx, "notification", pattern, b).await;
    }
    let page = page(ctx, b)?;
    if let Some(sel) = &b.click {
        let s = sel.clone();
        blocking(move || page.click(&s).map_err(|e| format!("{e:#}"))).await?;
        return Ok((Value::Null, json!({"browser": "click", "selector": sel})));
    }
    if let Some(t) = &b.type_into {
        let (into, text) = (t.into.clone(), t.text.clone());
        blocking(move || page.type_into(&into, &text).map_err(|e| format!("{e:#}"))).await?;
        return Ok((
            Value::Null,
            json!({"browser": "type", "into": t.into, "text": t.text}),
        ));
    }
    if let Some(key) = &b.press {
        let k = key.clone();
        blocking(move || page.press_key(&k).map_err(|e| format!("{e:#}"))).await?;
        return Ok((Value::Null, json!({"browser": "press", "key": key})));
    }
    if let Some(js) = &b.eval {
        return eval(page, js, b.result.as_ref()).await;
    }
    if let Some(w) = &b.wait_for {
        return browser_wait::wait_for(page, w, b.timeout_ms()).await;
    }
    if let Some(js) = &b.wait_until {
        return browser_wait::wait_until(page, js, b.result.as_ref(), b.timeout_ms()).await;
    }
    Err("a browser step needs one of open, click, type, press, eval, wait_for, wait_until, sdk_call, notification".into())
}

fn page(ctx: &Ctx<'_>, b: &BrowserStep) -> Result<Arc<Page>, String> {
    let name = b.page_name();
    ctx.shared.browser.page(&ctx.stub_key, name).ok_or_else(|| {
        format!(
            "no page {name:?} is open; open it first with `browser: {{page: {name}, open: ...}}`"
        )
    })
}

async fn eval(page: Arc<Page>, js: &str, pattern: Option<&Value>) -> Result<Done, String> {
    let expr = js.to_string();
    let value = blocking(move || page.eval(&expr).map_err(|e| format!("{e:#}"))).await?;
    if let Some(p) = pattern {
        let problems = check(Some(p), &BTreeMap::new(), &value);
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|m| format!("  {m}")).collect();
            return Err(format!("eval {js}: the value differs from what was expected:\n{}\n  expected: {p}\n  saw: {value}", lines.join("\n")));
        }
    }
    Ok((
        value,
        json!({"browser": "eval", "js": js, "result": pattern}),
    ))
}

/// Runs blocking driver work off the async workers, so other scenarios keep going.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("browser task failed: {e}"))?
}

async fn with_screenshot(ctx: &Ctx<'_>, step: &Step, b: &BrowserStep, error: String) -> String {
    let Some(page) = ctx.shared.browser.page(&ctx.stub_key, b.page_name()) else {
        return error;
    };
    let path = screenshot_path(&ctx.shared.browser.screenshot_dir, &ctx.loaded.name, step);
    let target = path.clone();
    let saved = blocking(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        page.screenshot(&target).map_err(|e| format!("{e:#}"))
    })
    .await;
    match saved {
        Ok(()) => format!("{error}\n  screenshot: {}", path.display()),
        Err(e) => format!("{error}\n  (no screenshot: {e})"),
    }
}

/// `<dir>/<scenario>-<line>-<step label>.png`, in file-name-safe characters.
pub fn screenshot_path(dir: &std::path::Path, scenario: &str, step: &Step) -> PathBuf {
    let name = format!(
        "{}-{}-{}",
        slug(scenario),
        step.origin.line,
        slug(&step.label())
    );
    dir.join(format!("{name}.png"))
}

fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenshot_names_are_safe_and_name_the_step() {
        let mut step: Step =
            serde_yaml::from_str("name: the greeting shows!\nbrowser: {click: '#a'}").unwrap();
        step.origin.line = 12;
        let p = screenshot_path(
            std::path::Path::new("/r/screenshots"),
            "greeting site",
            &step,
        );
        assert_eq!(
            p,
            PathBuf::from("/r/screenshots/greeting-site-12-the-greeting-shows.png")
        );
    }
}
