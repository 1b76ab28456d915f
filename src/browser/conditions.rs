//! The online chatbot's first-step condition (kommo-rest-v4.md §5.3): a JSON
//! array of `{term1, term2, operation}` objects, all of which must hold.
//! Comparison is the Salesbot's own (`domain::conditions`); what is special
//! here is the condition text and the `{{bot_params.x}}` markers.

use crate::domain::conditions::{evaluate, Condition};
use serde_json::Value;

/// Parses the condition text as the bot editor holds it: a JSON array (or a string containing one).
pub fn parse(value: &Value) -> Result<Vec<Condition>, String> {
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| format!("the condition is not JSON: {e}"))?;
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
    let term2 = match &c.term2 {
        Value::Object(_) => c.term2.clone(),
        other => Value::String(fill(&text(other))),
    };
    evaluate(&fill(&text(&c.term1)), &term2, &c.operation)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
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
        assert!(check(
            json!([{"term1": "vip, new", "term2": "old,vip", "operation": "in"}]),
            ""
        ));
        assert!(check(
            json!([{"term1": "new", "term2": "vip", "operation": "not_in"}]),
            ""
        ));
        assert!(check(
            json!([{"term1": "age 34", "term2": {"from": 18, "to": 40}, "operation": "in_range"}]),
            ""
        ));
        assert!(!check(
            json!([{"term1": "age 54", "term2": {"from": 18, "to": 40}, "operation": "in_range"}]),
            ""
        ));
    }

    #[test]
    fn unknown_operation_and_non_array_are_errors() {
        let conds = parse(&json!([{"term1": "a", "term2": "a", "operation": "~"}])).unwrap();
        assert!(all_hold(&conds, &|s| s.to_string())
            .unwrap_err()
            .contains("not one of"));
        assert!(parse(&json!({"term1": "a"})).unwrap_err().contains("array"));
    }
}
