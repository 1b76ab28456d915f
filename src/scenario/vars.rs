//! `${name}` variables: builtins (sandbox URLs, credentials), `vars:`,
//! generated people, captures. `${a.b}` reaches into JSON; a string that is
//! exactly one `${x}` takes the variable's JSON value, not its text; `$${` is a literal `${`.

use serde_json::Value;
use std::collections::BTreeMap;

/// Names the runner defines for every scenario.
pub const BUILTINS: &[&str] = &[
    "sandbox_url",
    "amojo_url",
    "channel_id",
    "channel_code",
    "secret",
    "account_id",
    "amojo_account_id",
    "scope_id",
    "bot_id",
    "manager_id",
    "integration_url",
    "webhook_url",
    "scenario",
    "seed",
    "now",
    "now_ms",
    "uuid",
    "counter",
    "account_number",
    "port",
    "api_token",
    "sources",
    "salesbots",
    "users",
];

#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
    counter: u64,
}

impl Vars {
    pub fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        let mut parts = name.split('.');
        let mut cur = self.values.get(parts.next()?)?;
        for p in parts {
            cur = match cur {
                Value::Object(o) => o.get(p)?,
                Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur.clone())
    }

    /// Values that change on each use.
    fn dynamic(&mut self, name: &str) -> Option<Value> {
        match name {
            "now" => Some(Value::from(chrono::Utc::now().timestamp())),
            "now_ms" => Some(Value::from(chrono::Utc::now().timestamp_millis())),
            "uuid" => Some(Value::from(uuid::Uuid::new_v4().to_string())),
            "counter" => {
                self.counter += 1;
                Some(Value::from(self.counter))
            }
            _ => None,
        }
    }

    fn lookup(&mut self, name: &str) -> Result<Value, String> {
        if let Some(v) = self.dynamic(name) {
            return Ok(v);
        }
        self.get(name).ok_or_else(|| {
            format!(
                "variable ${{{name}}} is not set (yet); known: {}",
                self.values.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// Substitutes in a string.
    pub fn text(&mut self, s: &str) -> Result<String, String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(t) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = t;
            } else if let Some(t) = tail.strip_prefix("${") {
                let end = t
                    .find('}')
                    .ok_or_else(|| format!("unclosed ${{ in {s:?}"))?;
                match self.lookup(t[..end].trim())? {
                    Value::String(v) => out.push_str(&v),
                    other => out.push_str(&other.to_string()),
                }
                rest = &t[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Substitutes in every string of a JSON value (keys included).
    pub fn value(&mut self, v: &Value) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) => match whole_ref(s) {
                Some(name) => self.lookup(name)?,
                None => Value::String(self.text(s)?),
            },
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.value(x)).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, x) in o {
                    m.insert(self.text(k)?, self.value(x)?);
                }
                Value::Object(m)
            }
            other => other.clone(),
        })
    }
}

/// `Some(name)` when the string is exactly `${name}`.
fn whole_ref(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    (!inner.contains('}') && !inner.contains("${")).then_some(inner.trim())
}

/// Every `${name}` referenced in a text (for static checks).
pub fn references(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            rest = &rest[i + 2..];
            continue;
        }
        let t = &rest[i + 2..];
        let Some(end) = t.find('}') else { break };
        out.push(t[..end].trim().to_string());
        rest = &t[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitutes() {
        let mut v = Vars::default();
        v.set("name", json!("Ann"));
        v.set("client", json!({"phone": "+1555", "tags": ["a", "b"]}));
        v.set("n", json!(3));
        assert_eq!(
            v.text("hi ${name}, ${client.phone} ${client.tags.1} $${raw}")
                .unwrap(),
            "hi Ann, +1555 b ${raw}"
        );
        assert_eq!(
            v.value(&json!({"k": "${n}", "s": "n=${n}"})).unwrap(),
            json!({"k": 3, "s": "n=3"})
        );
        assert!(v.text("${missing}").unwrap_err().contains("not set"));
        assert_eq!(v.text("${counter}-${counter}").unwrap(), "1-2");
    }

    #[test]
    fn finds_references() {
        assert_eq!(references("a ${x} $${y} ${z.w}"), ["x", "z.w"]);
    }
}
