//! The online chatbot's first-step condition (kommo-rest-v4.md §5.3): a JSON
//! array of `{term1, term2, operation}` objects, all of which must hold.
//! The REST agent's `domain::conditions` was not on main when this was
//! written, so the browser surfaces carry their own evaluator.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    pub term1: Value,
    pub term2: Value,
    #[serde(default = "equals")]
    pub operation: String,
}

fn equals() -> String {
    "=".into()
}

/// Parses the condition text as the bot editor holds it: a JSON array (or a string containing one).
pub fn parse(value: &Value) -> Result<Vec<Condition>, String> {
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| format!("the condition is not JSON: {e}"))?;
            &parsed
        }
        v => v,
    };
    if !value.is_array() {
        return Err("the condition must be a JSON array of {term1, term2, operation}".into());
    }
    serde_json::from_value(value.clone()).map_err(|e| format!("bad condition: {e}"))
}

/// All conditions hold (AND); `fill` substitutes `{{...}}` markers first.
pub fn all_hold(conditions: &[Condition], fill: &dyn Fn(&str) -> String) -> Result<bool, String> {
    for c in conditions {
        if !holds(c, fill)? {
            return Ok(false);
        }
    }
    Ok(true)
}

pub fn holds(c: &Condition, fill: &dyn Fn(&str) -> String) -> Result<bool, String> {
    let term1 = fill(&text(&c.term1));
    match c.operation.as_str() {
        "=" => Ok(term1 == fill(&text(&c.term2))),
        "!=" => Ok(term1 != fill(&text(&c.term2))),
        "in" => Ok(any_in(&term1, &fill(&text(&c.term2)))),
        "not_in" => Ok(!any_in(&term1, &fill(&text(&c.term2)))),
        "in_range" => in_range(&term1, &c.term2),
        other => Err(format!("operation {other:?} is not one of =, !=, in, not_in, in_range")),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

/// True if any value of term2 is among the values of term1 (both comma lists).
fn any_in(term1: &str, term2: &str) -> bool {
    let have = list(term1);
    list(term2).iter().any(|v| have.contains(v))
}

/// True if any integer found in term1 lies within `term2.from..=term2.to`.
fn in_range(term1: &str, term2: &Value) -> Result<bool, String> {
    let bound = |k: &str| term2.get(k).and_then(Value::as_i64).ok_or_else(|| format!("in_range needs term2 {{\"from\": int, \"to\": int}}; `{k}` is missing"));
    let (from, to) = (bound("from")?, bound("to")?);
    let numbers = regex::Regex::new(r"-?\d+").expect("valid");
    let found = numbers.find_iter(term1).filter_map(|m| m.as_str().parse::<i64>().ok()).any(|n| n >= from && n <= to);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(cond: Value, locale: &str) -> bool {
        let conds = parse(&cond).unwrap();
        let fill = |s: &str| s.replace("{{bot_params.locale}}", locale);
        all_hold(&conds, &fill).unwrap()
    }

    #[test]
    fn equals_on_bot_params_as_documented() {
        let c = json!([{"term1": "{{bot_params.locale}}", "term2": "ru", "operation": "="}]);
        assert!(check(c.clone(), "ru"));
        assert!(!check(c, "en"));
    }

    #[test]
    fn array_is_anded_and_string_form_parses() {
        let c = json!("[{\"term1\":\"{{bot_params.locale}}\",\"term2\":\"es\",\"operation\":\"=\"},{\"term1\":\"x\",\"term2\":\"y\",\"operation\":\"!=\"}]");
        assert!(check(c, "es"));
        let c = json!([{"term1": "a", "term2": "a", "operation": "="}, {"term1": "a", "term2": "b", "operation": "="}]);
        assert!(!check(c, ""));
    }

    #[test]
    fn in_not_in_and_in_range() {
        assert!(check(json!([{"term1": "vip, new", "term2": "old,vip", "operation": "in"}]), ""));
        assert!(check(json!([{"term1": "new", "term2": "vip", "operation": "not_in"}]), ""));
        assert!(check(json!([{"term1": "age 34", "term2": {"from": 18, "to": 40}, "operation": "in_range"}]), ""));
        assert!(!check(json!([{"term1": "age 54", "term2": {"from": 18, "to": 40}, "operation": "in_range"}]), ""));
    }

    #[test]
    fn unknown_operation_and_non_array_are_errors() {
        let conds = parse(&json!([{"term1": "a", "term2": "a", "operation": "~"}])).unwrap();
        assert!(all_hold(&conds, &|s| s.to_string()).unwrap_err().contains("not one of"));
        assert!(parse(&json!({"term1": "a"})).unwrap_err().contains("array"));
    }
}
