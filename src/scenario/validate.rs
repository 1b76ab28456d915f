//! Checks serde cannot make: one kind per step, patterns and JSONPaths that
//! compile, and `${variables}` that are defined before they are used.

use super::hints::closest;
use super::load::{at, LoadError};
use super::matchers::check_pattern;
use super::model::{Scenario, Step};
use super::vars::{references, BUILTINS};
use serde_json::Value;
use std::collections::BTreeSet;

/// Line (1-based) of a top-level key, to point scenario-wide errors at it.
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.starts_with(&format!("{key}:")) || l.trim_start().starts_with(&format!("\"{key}\""))
        })
        .map_or(1, |i| i + 1)
}

pub fn scenario(s: &Scenario, file: &str, text: &str) -> Vec<LoadError> {
    let mut known: BTreeSet<String> = BUILTINS.iter().map(|b| b.to_string()).collect();
    known.extend(s.vars.keys().cloned());
    known.extend(s.setup.people.iter().cloned());
    known.insert("templates".into());
    known.insert("stubs".into());
    known.insert("sources".into());
    known.insert("salesbots".into());
    known.insert("users".into());
    let mut errors = vec![];
    if s.steps.is_empty() {
        errors.push(at(
            file,
            line_of(text, "steps"),
            1,
            "no steps".into(),
            Some(
                "add `steps:` with at least one step; `kommo-sandbox new NAME` writes a skeleton"
                    .into(),
            ),
        ));
    }
    if let Some(i) = &s.integration {
        if i.command.is_some() == i.url.is_some() {
            errors.push(at(
                file,
                line_of(text, "integration"),
                1,
                "integration needs exactly one of `command` and `url`".into(),
                None,
            ));
        }
    }
    for id in s.rules.skip.iter().chain(&s.rules.expect_fail) {
        if !super::rules::ids().any(|r| r == id) {
            let hint = closest(id, super::rules::ids()).map(|c| format!("did you mean {c}?"));
            errors.push(at(
                file,
                line_of(text, "rules"),
                1,
                format!("rules: no rule {id:?}"),
                hint.or(Some(
                    "`kommo-sandbox schema` lists the rule ids; docs/scenarios.md explains them"
                        .into(),
                )),
            ));
        }
    }
    for step in &s.steps {
        errors.extend(step_errors(step, &known, s));
        known.extend(step.capture.keys().cloned());
        if let Some(set) = &step.set {
            known.extend(set.keys().cloned());
        }
    }
    errors
}

fn step_errors(step: &Step, known: &BTreeSet<String>, s: &Scenario) -> Vec<LoadError> {
    let o = &step.origin;
    let err = |m: String, h: Option<String>| at(&o.file, o.line, 1, m, h);
    let mut out = vec![];
    let kinds = step.kinds();
    if kinds.len() != 1 {
        let found = if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(" and ")
        };
        out.push(err(format!("a step does exactly one thing; found {found}"), Some("split it into separate steps: action, chats_api, http, expect, include, sleep, set or log".into())));
    }
    if step.with.is_some() && step.action.is_none() {
        out.push(err("`with` belongs to an `action` step".into(), None));
    }
    let request = step.action.is_some() || step.chats_api.is_some() || step.http.is_some();
    if (step.status.is_some() || step.response.is_some()) && !request {
        out.push(err(
            "`status` and `response` apply to action, chats_api and http steps".into(),
            Some("to wait for something, use `expect:`".into()),
        ));
    }
    for (name, path) in &step.capture {
        if let Err(e) = serde_json_path::JsonPath::parse(path) {
            out.push(err(
                format!("capture {name}: {path:?} is not a JSONPath: {e}"),
                Some("write e.g. \"$.message_id\"".into()),
            ));
        }
    }
    for pattern in patterns(step) {
        if let Err(e) = check_pattern(pattern) {
            out.push(err(e, None));
        }
    }
    if let Some(e) = &step.expect {
        let sources = [&e.journal, &e.webhook, &e.stub, &e.state]
            .iter()
            .filter(|x| x.is_some())
            .count();
        if sources != 1 {
            out.push(err(
                "`expect` needs exactly one of journal, webhook, stub, state".into(),
                None,
            ));
        }
        for p in e.paths.keys() {
            if let Err(x) = serde_json_path::JsonPath::parse(p) {
                out.push(err(
                    format!("expect.paths: {p:?} is not a JSONPath: {x}"),
                    None,
                ));
            }
        }
    }
    out.extend(super::validate_browser::step(step));
    for var in step_refs(step) {
        let root = var.split('.').next().unwrap_or(&var).to_string();
        if root == "stubs" {
            let stub = var.split('.').nth(1).unwrap_or("");
            if !s.stubs.contains_key(stub) {
                out.push(err(
                    format!("${{{var}}}: no stub named {stub:?}"),
                    closest(stub, s.stubs.keys().map(String::as_str))
                        .map(|c| format!("did you mean ${{stubs.{c}}}?")),
                ));
            }
        } else if !known.contains(&root) {
            let hint = closest(&root, known.iter().map(String::as_str))
                .map(|c| format!("did you mean ${{{c}}}?"))
                .unwrap_or_else(|| {
                    "define it under `vars:`, `set:` or a `capture:` of an earlier step".into()
                });
            out.push(err(format!("unknown variable ${{{var}}}"), Some(hint)));
        }
    }
    out
}

fn patterns(step: &Step) -> Vec<&Value> {
    let mut v: Vec<&Value> = [&step.status, &step.response]
        .into_iter()
        .flatten()
        .collect();
    if let Some(e) = &step.expect {
        v.extend(
            [&e.journal, &e.webhook, &e.stub, &e.state]
                .into_iter()
                .flatten(),
        );
        v.extend(e.paths.values());
    }
    v
}

fn step_refs(step: &Step) -> Vec<String> {
    let mut text = serde_json::to_value(step)
        .map(|v| v.to_string())
        .unwrap_or_default();
    // Captures name variables; they are not references.
    if let Ok(mut v) = serde_json::to_value(step) {
        if let Some(o) = v.as_object_mut() {
            o.remove("capture");
            o.remove("set");
        }
        text = v.to_string();
    }
    let mut refs = references(&text);
    if let Some(set) = &step.set {
        for v in set.values() {
            refs.extend(references(&v.to_string()));
        }
    }
    refs
}
