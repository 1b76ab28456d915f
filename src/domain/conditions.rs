//! Salesbot conditions (spec kommo-rest-v4.md §5.3): `term1` / `term2` /
//! `operation`, with `{{...}}` markers filled before comparing. Pure, so the
//! Salesbot runner and the browser chatbot share it.

use super::template::render;
use serde::Deserialize;
use serde_json::Value;

pub const OPERATIONS: [&str; 5] = ["=", "!=", "in", "not_in", "in_range"];

#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    pub term1: Value,
    pub term2: Value,
    pub operation: String,
}

/// Fills markers in `term1` and (string) `term2`, then evaluates.
pub fn holds(c: &Condition, values: &[(String, String)]) -> Result<bool, String> {
    let term1 = render(&scalar(&c.term1), values).0;
    let term2 = match &c.term2 {
        Value::Object(_) => c.term2.clone(),
        other => Value::String(render(&scalar(other), values).0),
    };
    evaluate(&term1, &term2, &c.operation)
}

/// `and` (all) or `or` (any) over a list, as the plural `conditions` handler does.
pub fn holds_all(
    list: &[Condition],
    logic: &str,
    values: &[(String, String)],
) -> Result<bool, String> {
    let results: Vec<bool> = list
        .iter()
        .map(|c| holds(c, values))
        .collect::<Result<_, _>>()?;
    match logic {
        "or" => Ok(results.iter().any(|&r| r)),
        "and" | "" => Ok(results.iter().all(|&r| r)),
        other => Err(format!("`logic` {other:?} is not `and` or `or`")),
    }
}

/// One comparison on already-filled terms.
pub fn evaluate(term1: &str, term2: &Value, operation: &str) -> Result<bool, String> {
    match operation {
        "=" => Ok(term1 == scalar(term2)),
        "!=" => Ok(term1 != scalar(term2)),
        "in" => Ok(any_shared(term1, &scalar(term2))),
        "not_in" => Ok(!any_shared(term1, &scalar(term2))),
        "in_range" => in_range(term1, term2),
        other => Err(format!(
            "`operation` {other:?} is not one of {}",
            OPERATIONS.join(", ")
        )),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn split(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// `in`: true if any comma-separated value of term2 is among those of term1.
fn any_shared(term1: &str, term2: &str) -> bool {
    let left = split(term1);
    split(term2).iter().any(|v| left.contains(v))
}

/// `in_range`: any integer found in term1 lies within `term2.from..=term2.to`.
fn in_range(term1: &str, term2: &Value) -> Result<bool, String> {
    let bound = |key: &str| -> Result<i64, String> {
        match &term2[key] {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| format!("`term2.{key}` must be an integer")),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("`term2.{key}` must be an integer")),
            _ => Err(format!(
                "`in_range` needs `term2` as {{\"from\": int, \"to\": int}}; `{key}` is missing"
            )),
        }
    };
    let (from, to) = (bound("from")?, bound("to")?);
    Ok(integers(term1).into_iter().any(|n| n >= from && n <= to))
}

fn integers(text: &str) -> Vec<i64> {
    let re = regex::Regex::new(r"-?\d+").expect("static regex");
    re.find_iter(text)
        .filter_map(|m| m.as_str().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality_is_plain_string_comparison() {
        assert!(evaluate("ru", &json!("ru"), "=").unwrap());
        assert!(!evaluate("ru", &json!("RU"), "=").unwrap());
        assert!(evaluate("ru", &json!("en"), "!=").unwrap());
        assert!(evaluate("5", &json!(5), "=").unwrap());
    }

    #[test]
    fn in_splits_both_terms_on_commas() {
        assert!(evaluate("vip, new", &json!("old,new"), "in").unwrap());
        assert!(!evaluate("vip", &json!("old,new"), "in").unwrap());
        assert!(evaluate("vip", &json!("old,new"), "not_in").unwrap());
        assert!(!evaluate("vip,new", &json!("new"), "not_in").unwrap());
    }

    #[test]
    fn in_range_takes_any_integer_of_term1() {
        let range = json!({"from": 10, "to": 20});
        assert!(evaluate("order 5 or 15", &range, "in_range").unwrap());
        assert!(!evaluate("order 5 or 25", &range, "in_range").unwrap());
        assert!(evaluate("20", &json!({"from": "10", "to": "20"}), "in_range").unwrap());
        assert!(evaluate("x", &json!("10"), "in_range").is_err());
        assert!(evaluate("x", &json!("1"), "like").is_err());
    }

    #[test]
    fn markers_are_filled_first() {
        let values = vec![
            ("{{contact.name}}".to_string(), "Jane".to_string()),
            ("{{lead.price}}".to_string(), "150".to_string()),
        ];
        let named: Condition = serde_json::from_value(
            json!({"term1": "{{contact.name}}", "term2": "Jane", "operation": "="}),
        )
        .unwrap();
        let priced: Condition = serde_json::from_value(json!({"term1": "{{lead.price}}", "term2": {"from": 100, "to": 200}, "operation": "in_range"})).unwrap();
        assert!(holds(&named, &values).unwrap());
        assert!(holds_all(&[named.clone(), priced.clone()], "and", &values).unwrap());
        let other: Condition = serde_json::from_value(
            json!({"term1": "{{contact.name}}", "term2": "Bob", "operation": "="}),
        )
        .unwrap();
        assert!(!holds_all(&[named.clone(), other.clone()], "and", &values).unwrap());
        assert!(holds_all(&[named, other], "or", &values).unwrap());
    }
}
