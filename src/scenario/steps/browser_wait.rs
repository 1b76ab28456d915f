//! Waiting on a page until it shows something, failing with what was
//! expected and what the page showed last.

use super::browser::blocking;
use crate::browser::driver::{js_string, Page};
use crate::scenario::matchers::check;
use crate::scenario::model_browser::WaitFor;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(50);

/// Polls `probe` (blocking) until it returns Ok(Some), or the deadline passes; then `Err(last)`.
fn poll<T>(
    timeout_ms: u64,
    mut probe: impl FnMut() -> Result<Result<T, Value>, String>,
) -> Result<Result<T, Value>, String> {
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    loop {
        let outcome = probe()?;
        if outcome.is_ok() || Instant::now() > deadline {
            return Ok(outcome);
        }
        std::thread::sleep(POLL);
    }
}

pub async fn wait_for(
    page: Arc<Page>,
    w: &WaitFor,
    timeout_ms: u64,
) -> Result<(Value, Value), String> {
    let (selector, text) = (w.selector.clone(), w.text.clone());
    let js = format!(
        "Array.from(document.querySelectorAll({})).map(e => e.textContent)",
        js_string(&selector)
    );
    let outcome = blocking(move || {
        poll(timeout_ms, || {
            let texts = page.eval(&js).map_err(|e| format!("{e:#}"))?;
            let list: Vec<String> = serde_json::from_value(texts.clone()).unwrap_or_default();
            let found = match &text {
                Some(t) => list.iter().any(|x| x.contains(t.as_str())),
                None => !list.is_empty(),
            };
            Ok(if found { Ok(texts) } else { Err(texts) })
        })
    })
    .await?;
    let entry = json!({"browser": "wait_for", "selector": w.selector, "text": w.text});
    match outcome {
        Ok(texts) => Ok((texts, entry)),
        Err(seen) => Err(missing_text(w, &seen, timeout_ms)),
    }
}

fn missing_text(w: &WaitFor, seen: &Value, timeout_ms: u64) -> String {
    let expected = match &w.text {
        Some(t) => format!("an element matching `{}` containing {t:?}", w.selector),
        None => format!("an element matching `{}`", w.selector),
    };
    let list: Vec<String> = serde_json::from_value(seen.clone()).unwrap_or_default();
    let saw = if list.is_empty() {
        format!("no element matches `{}`", w.selector)
    } else {
        let shown: Vec<String> = list
            .iter()
            .take(8)
            .map(|t| format!("{:?}", shorten(t.trim(), 100)))
            .collect();
        format!("{} element(s): {}", list.len(), shown.join(", "))
    };
    format!("timed out after {timeout_ms} ms\n  expected: {expected}\n  saw: {saw}")
}

pub async fn wait_until(
    page: Arc<Page>,
    js: &str,
    pattern: Option<&Value>,
    timeout_ms: u64,
) -> Result<(Value, Value), String> {
    let (expr, p) = (js.to_string(), pattern.cloned());
    let outcome = blocking(move || {
        poll(timeout_ms, || {
            let v = page.eval(&expr).map_err(|e| format!("{e:#}"))?;
            let ok = match &p {
                Some(p) => check(Some(p), &BTreeMap::new(), &v).is_empty(),
                None => truthy(&v),
            };
            Ok(if ok { Ok(v) } else { Err(v) })
        })
    })
    .await?;
    let entry = json!({"browser": "wait_until", "js": js, "result": pattern});
    match outcome {
        Ok(v) => Ok((v, entry)),
        Err(last) => {
            let expected = match pattern {
                Some(p) => format!("`{js}` to give a value matching {p}"),
                None => format!("`{js}` to be truthy"),
            };
            let diffs: Vec<String> = pattern
                .map(|p| check(Some(p), &BTreeMap::new(), &last))
                .unwrap_or_default()
                .iter()
                .map(|m| format!("\n    {m}"))
                .collect();
            Err(format!(
                "timed out after {timeout_ms} ms\n  expected: {expected}\n  saw: {last}{}",
                diffs.join("")
            ))
        }
    }
}

use crate::browser::driver::truthy;

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_text_names_expected_and_seen() {
        let w = WaitFor {
            selector: ".ksb-in".into(),
            text: Some("Hello, Maria!".into()),
        };
        let m = missing_text(&w, &json!(["Hi there", "How can we help?"]), 500);
        assert!(
            m.contains("expected: an element matching `.ksb-in` containing \"Hello, Maria!\""),
            "{m}"
        );
        assert!(
            m.contains("saw: 2 element(s): \"Hi there\", \"How can we help?\""),
            "{m}"
        );
        assert!(missing_text(&w, &json!([]), 500).contains("saw: no element matches `.ksb-in`"));
    }

    #[test]
    fn poll_returns_the_last_value_at_the_deadline() {
        let mut n = 0;
        let out: Result<(), Value> = poll(0, || {
            n += 1;
            Ok(Err(json!(n)))
        })
        .unwrap();
        assert_eq!(out, Err(json!(1)));
    }
}
