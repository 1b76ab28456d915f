//! Patterns: a JSON subset match where strings may be predicates.
//!
//! - objects: every key of the pattern must be present and match (extra keys are fine);
//! - arrays: same length, element by element;
//! - `"=~REGEX"`: the value (string, or a number's text) matches the regex;
//! - `"@any"`, `"@absent"`, `"@string"`, `"@number"`, `"@int"`, `"@bool"`, `"@null"`,
//!   `"@array"`, `"@object"`, `"@uuid"`, `"@nonempty"`, `"@2xx"`..`"@5xx"`;
//! - `"@@text"` is the literal `"@text"`; anything else must be equal.

use regex::Regex;
use serde_json::Value;
use serde_json_path::JsonPath;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

pub const PREDICATES: &[&str] = &[
    "any", "absent", "string", "number", "int", "bool", "null", "array", "object", "uuid",
    "nonempty", "1xx", "2xx", "3xx", "4xx", "5xx",
];

/// One difference between a pattern and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, saw {}",
            if self.path.is_empty() {
                "$"
            } else {
                &self.path
            },
            self.expected,
            self.actual
        )
    }
}

thread_local! {
    static REGEX: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

fn regex_matches(re: &str, text: &str) -> Result<bool, String> {
    REGEX.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(re) {
            let compiled = Regex::new(re).map_err(|e| format!("bad regex {re:?}: {e}"))?;
            cache.insert(re.to_string(), compiled);
        }
        Ok(cache[re].is_match(text))
    })
}

/// Static check: regexes compile, predicates exist.
pub fn check_pattern(p: &Value) -> Result<(), String> {
    match p {
        Value::String(s) => {
            if let Some(re) = s.strip_prefix("=~") {
                if re.contains("${") {
                    // Checked once the variables are known.
                    return Ok(());
                }
                Regex::new(re)
                    .map(|_| ())
                    .map_err(|e| format!("bad regex {re:?}: {e}"))
            } else if let Some(name) = s.strip_prefix('@').filter(|n| !n.starts_with('@')) {
                if PREDICATES.contains(&name) {
                    Ok(())
                } else {
                    let hint = super::hints::closest(name, PREDICATES.iter().copied())
                        .map(|c| format!("; did you mean @{c}?"))
                        .unwrap_or_default();
                    Err(format!(
                        "unknown predicate {s:?}{hint} (write @@ for a literal @)"
                    ))
                }
            } else {
                Ok(())
            }
        }
        Value::Array(a) => a.iter().try_for_each(check_pattern),
        Value::Object(o) => o.values().try_for_each(check_pattern),
        _ => Ok(()),
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 120 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(117).map(|(i, _)| i).unwrap_or(s.len())]
                )
            } else {
                s
            }
        }
    }
}

/// Matches `actual` (None = absent) against `pattern`, collecting every mismatch.
pub fn matches(pattern: &Value, actual: Option<&Value>, path: &str, out: &mut Vec<Mismatch>) {
    let mut miss = |expected: String| {
        out.push(Mismatch {
            path: path.to_string(),
            expected,
            actual: show(actual),
        })
    };
    match pattern {
        Value::String(s) if s.starts_with("=~") => {
            let text = match actual {
                Some(Value::String(t)) => Some(t.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            if !text.is_some_and(|t| regex_matches(&s[2..], &t).unwrap_or(false)) {
                miss(format!("a match for /{}/", &s[2..]));
            }
        }
        Value::String(s) if s.starts_with('@') && !s.starts_with("@@") => {
            if !predicate(&s[1..], actual) {
                miss(s.clone());
            }
        }
        Value::Object(po) => match actual {
            Some(Value::Object(ao)) => {
                for (k, pv) in po {
                    matches(pv, ao.get(k), &format!("{path}.{k}"), out);
                }
            }
            _ => miss("an object".into()),
        },
        Value::Array(pa) => match actual {
            Some(Value::Array(aa)) if aa.len() == pa.len() => {
                for (i, pv) in pa.iter().enumerate() {
                    matches(pv, aa.get(i), &format!("{path}[{i}]"), out);
                }
            }
            _ => miss(format!("an array of {} items", pa.len())),
        },
        Value::String(s) if s.starts_with("@@") => {
            if actual != Some(&Value::String(s[1..].to_string())) {
                miss(format!("{:?}", &s[1..]));
            }
        }
        Value::Number(n) => {
            if !actual
                .and_then(Value::as_f64)
                .is_some_and(|a| Some(a) == n.as_f64())
            {
                miss(n.to_string());
            }
        }
        other => {
            if actual != Some(other) {
                miss(other.to_string());
            }
        }
    }
}

fn predicate(name: &str, v: Option<&Value>) -> bool {
    match (name, v) {
        ("absent", v) => v.is_none(),
        (_, None) => false,
        ("any", _) => true,
        ("string", Some(v)) => v.is_string(),
        ("number", Some(v)) => v.is_number(),
        ("int", Some(v)) => v.is_i64() || v.is_u64(),
        ("bool", Some(v)) => v.is_boolean(),
        ("null", Some(v)) => v.is_null(),
        ("array", Some(v)) => v.is_array(),
        ("object", Some(v)) => v.is_object(),
        ("uuid", Some(Value::String(s))) => uuid::Uuid::parse_str(s).is_ok(),
        ("nonempty", Some(v)) => match v {
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            Value::Null => false,
            _ => true,
        },
        (class, Some(v)) if class.len() == 3 && class.ends_with("xx") => {
            let hundred = class[..1].parse::<u64>().unwrap_or(0);
            v.as_u64().is_some_and(|s| s / 100 == hundred)
        }
        _ => false,
    }
}

/// Pattern plus JSONPath checks on one record; empty = it matches.
pub fn check(
    pattern: Option<&Value>,
    paths: &BTreeMap<String, Value>,
    record: &Value,
) -> Vec<Mismatch> {
    let mut out = vec![];
    if let Some(p) = pattern {
        matches(p, Some(record), "", &mut out);
    }
    for (path, p) in paths {
        let nodes = match JsonPath::parse(path) {
            Ok(jp) => jp
                .query(record)
                .all()
                .into_iter()
                .cloned()
                .collect::<Vec<_>>(),
            Err(e) => {
                out.push(Mismatch {
                    path: path.clone(),
                    expected: "a valid JSONPath".into(),
                    actual: e.to_string(),
                });
                continue;
            }
        };
        match nodes.len() {
            0 => matches(p, None, path, &mut out),
            1 => matches(p, Some(&nodes[0]), path, &mut out),
            _ => matches(p, Some(&Value::Array(nodes)), path, &mut out),
        }
    }
    out
}

/// Value at a JSONPath (first node), for captures.
pub fn capture(path: &str, record: &Value) -> Option<Value> {
    JsonPath::parse(path)
        .ok()?
        .query(record)
        .all()
        .first()
        .map(|v| (*v).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(p: Value, v: Value) -> bool {
        check(Some(&p), &BTreeMap::new(), &v).is_empty()
    }

    #[test]
    fn subset_and_predicates() {
        let v = json!({"a": 1, "b": {"c": "x-12", "d": [1, 2]}, "id": "5d0c1a7e-2f3b-4c4d-9e5f-60718293a4b5", "s": 204});
        assert!(ok(json!({"a": 1}), v.clone()));
        assert!(ok(
            json!({"b": {"c": "=~^x-\\d+$", "d": [1, "@int"]}}),
            v.clone()
        ));
        assert!(ok(
            json!({"id": "@uuid", "s": "@2xx", "zz": "@absent"}),
            v.clone()
        ));
        assert!(!ok(json!({"a": 2}), v.clone()));
        assert!(!ok(json!({"b": {"d": [1]}}), v.clone()));
        assert!(ok(json!({"a": 1.0}), v.clone()));
        assert!(ok(json!("@@x"), json!("@x")));
    }

    #[test]
    fn mismatches_name_the_path() {
        let mut out = vec![];
        matches(
            &json!({"b": {"c": "y"}}),
            Some(&json!({"b": {"c": "x"}})),
            "",
            &mut out,
        );
        assert_eq!(out[0].to_string(), ".b.c: expected \"y\", saw \"x\"");
    }

    #[test]
    fn jsonpaths() {
        let v = json!({"items": [{"id": 1}, {"id": 2}]});
        let paths: BTreeMap<String, Value> = [
            ("$.items[1].id".to_string(), json!(2)),
            ("$.nope".to_string(), json!("@absent")),
        ]
        .into();
        assert!(check(None, &paths, &v).is_empty());
        assert_eq!(capture("$.items[0].id", &v), Some(json!(1)));
    }

    #[test]
    fn static_check() {
        assert!(check_pattern(&json!({"a": "=~("})).is_err());
        assert!(check_pattern(&json!("@uuuid"))
            .unwrap_err()
            .contains("@uuid"));
        assert!(check_pattern(&json!(["@int", "=~a+"])).is_ok());
    }
}
