//! What `check` verifies in a `browser` step beyond its shape: one action,
//! one page to open, a known loader, a widget folder that exists, patterns
//! and JSONPaths that compile, options only where they mean something.

use super::load::{at, LoadError};
use super::matchers::check_pattern;
use super::model::Step;
use super::model_browser::BrowserStep;
use super::steps::widget_dir;

pub fn step(step: &Step) -> Vec<LoadError> {
    let Some(b) = &step.browser else {
        return vec![];
    };
    let o = &step.origin;
    problems(b, &o.file)
        .into_iter()
        .map(|(m, h)| at(&o.file, o.line, 1, m, h))
        .collect()
}

type Problem = (String, Option<String>);

fn problems(b: &BrowserStep, file: &str) -> Vec<Problem> {
    let mut out = vec![];
    let actions = b.actions();
    if actions.len() != 1 {
        let found = if actions.is_empty() {
            "none".to_string()
        } else {
            actions.join(" and ")
        };
        out.push((format!("a browser step does exactly one thing; found {found}"), Some("one of open, click, type, press, eval, wait_for, wait_until, sdk_call, notification".into())));
    }
    if b.page.as_deref().is_some_and(|p| p.trim().is_empty()) {
        out.push(("browser.page: a page name cannot be empty".into(), None));
    }
    if let Some(open) = &b.open {
        out.extend(open_problems(open, file));
    }
    out.extend(option_problems(b));
    for p in [&b.sdk_call, &b.notification, &b.result]
        .into_iter()
        .flatten()
        .chain(b.paths.values())
    {
        if let Err(e) = check_pattern(p) {
            out.push((format!("browser: {e}"), None));
        }
    }
    for p in b.paths.keys() {
        if let Err(e) = serde_json_path::JsonPath::parse(p) {
            out.push((format!("browser.paths: {p:?} is not a JSONPath: {e}"), None));
        }
    }
    out
}

fn open_problems(open: &super::model_browser::Open, file: &str) -> Vec<Problem> {
    let mut out = vec![];
    let targets = open.targets();
    if targets.len() != 1 {
        let found = if targets.is_empty() {
            "none".to_string()
        } else {
            targets.join(" and ")
        };
        out.push((
            format!(
                "browser.open needs exactly one of button, widget, web1on1, url; found {found}"
            ),
            None,
        ));
    }
    if let Some(loader) = open.button.as_ref().and_then(|b| b.loader.as_deref()) {
        if loader != "kommo" && loader != "amocrm" && !loader.contains("${") {
            out.push((
                format!("browser.open.button.loader: {loader:?} is not `kommo` or `amocrm`"),
                None,
            ));
        }
    }
    if let Some(w) = open.widget.as_ref().filter(|w| !w.path.contains("${")) {
        let dir = widget_dir(file, &w.path);
        for needed in ["manifest.json", "script.js"] {
            if !dir.join(needed).is_file() {
                out.push((format!("browser.open.widget.path: {} has no {needed}", dir.display()), Some("the path is relative to this scenario file; a widget folder holds manifest.json, script.js and i18n/".into())));
                break;
            }
        }
    }
    out
}

/// Options that only some actions read; elsewhere they are a mistake worth naming.
fn option_problems(b: &BrowserStep) -> Vec<Problem> {
    let mut out = vec![];
    let records = b.sdk_call.is_some() || b.notification.is_some();
    if b.result.is_some() && b.eval.is_none() && b.wait_until.is_none() {
        out.push(("browser.result applies to eval and wait_until".into(), None));
    }
    if (!b.paths.is_empty() || b.count.is_some()) && !records {
        out.push((
            "browser.paths and browser.count apply to sdk_call and notification".into(),
            None,
        ));
    }
    let waits = records || b.open.is_some() || b.wait_for.is_some() || b.wait_until.is_some();
    if b.timeout.is_some() && !waits {
        out.push((
            "browser.timeout applies to open, wait_for, wait_until, sdk_call and notification"
                .into(),
            Some("click and type wait up to 5 s for their element".into()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(yaml: &str) -> Vec<String> {
        let mut s: Step = serde_yaml::from_str(yaml).unwrap();
        s.origin.file = "scenarios/examples/x.yaml".into();
        s.origin.line = 7;
        step(&s).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn one_action_per_step() {
        let e = errors("browser: {click: '#a', press: Enter}");
        assert_eq!(e, ["scenarios/examples/x.yaml:7:1: a browser step does exactly one thing; found click and press\n    hint: one of open, click, type, press, eval, wait_for, wait_until, sdk_call, notification"]);
        assert!(errors("browser: {page: v2}")[0].contains("found none"));
    }

    #[test]
    fn open_needs_one_known_target() {
        assert!(
            errors("browser: {open: {url: /x, web1on1: {}}}")[0].contains("found web1on1 and url")
        );
        assert!(errors("browser: {open: {button: {loader: amo}}}")[0]
            .contains("\"amo\" is not `kommo` or `amocrm`"));
        assert!(
            errors("browser: {open: {widget: {path: no-such-folder}}}")[0]
                .contains("has no manifest.json")
        );
        assert!(
            errors("browser: {open: {widget: {path: ../../web/examples/voip-widget}}}").is_empty()
        );
    }

    #[test]
    fn options_patterns_and_paths() {
        assert!(errors("browser: {click: '#a', result: 1}")[0].contains("result applies to eval"));
        assert!(errors("browser: {click: '#a', timeout: 1s}")[0].contains("timeout applies"));
        assert!(errors("browser: {eval: x, count: 2}")[0].contains("count apply"));
        assert!(
            errors("browser: {sdk_call: {method: '@strin'}}")[0].contains("did you mean @string?")
        );
        assert!(errors("browser: {notification: {}, paths: {'$[': 1}}")[0]
            .contains("is not a JSONPath"));
        assert!(errors("browser: {eval: 'window.x', result: {a: '@int'}}").is_empty());
    }
}
