//! The website chat's online chatbot: a welcome message with
//! `{{bot_params.x}}` markers, then the first step's branches (each a
//! condition array, AND-ed), else the "else" branch. Key-action hooks may
//! start flows of their own.

use super::conditions;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotFlow {
    /// Sent first, e.g. `hello, {{bot_params.username}}`.
    #[serde(default)]
    pub welcome: Option<String>,
    /// The first step: the first branch whose conditions all hold is taken.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// The "else" branch, taken when no branch matches.
    #[serde(default, rename = "else")]
    pub otherwise: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The condition text: a JSON array of `{term1, term2, operation}` (or that array as a string).
    pub conditions: Value,
    pub say: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    #[serde(flatten)]
    pub start: BotFlow,
    /// Flows started by `sendKeyActionHook` with this hook name.
    #[serde(default)]
    pub key_actions: BTreeMap<String, BotFlow>,
}

impl BotConfig {
    /// Checks every branch's condition text so a bad bot is refused when set, not when run.
    pub fn validate(&self) -> Result<(), String> {
        let flows = std::iter::once(&self.start).chain(self.key_actions.values());
        for flow in flows {
            for (i, b) in flow.branches.iter().enumerate() {
                conditions::parse(&b.conditions).map_err(|e| format!("branch {i}: {e}"))?;
            }
        }
        Ok(())
    }
}

/// Replaces `{{bot_params.k}}` with the visitor's value ("" when unset).
pub fn fill(text: &str, params: &Map<String, Value>) -> String {
    let marker = regex::Regex::new(r"\{\{\s*bot_params\.([A-Za-z0-9_\-]+)\s*\}\}").expect("valid");
    marker
        .replace_all(text, |c: &regex::Captures| match params.get(&c[1]) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        })
        .into_owned()
}

/// Runs a flow: the texts the bot sends and which branch it took.
pub fn run(flow: &BotFlow, params: &Map<String, Value>, name: &str) -> Result<Value, String> {
    let filler = |s: &str| fill(s, params);
    let mut messages: Vec<String> = flow.welcome.iter().map(|w| filler(w)).collect();
    let mut taken = Value::String("else".into());
    let mut say = &flow.otherwise;
    for (i, b) in flow.branches.iter().enumerate() {
        if conditions::all_hold(&conditions::parse(&b.conditions)?, &filler)? {
            taken = json!(i);
            say = &b.say;
            break;
        }
    }
    messages.extend(say.iter().map(|s| filler(s)));
    Ok(json!({"flow": name, "branch": taken, "messages": messages, "bot_params": params}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot() -> BotConfig {
        serde_json::from_value(json!({
            "welcome": "hello, {{bot_params.username}}",
            "branches": [{"conditions": [{"term1": "{{bot_params.locale}}", "term2": "es", "operation": "="}], "say": ["Hola"]}],
            "else": ["How can we help?"],
            "key_actions": {"cart": {"else": ["Need help with the cart?"]}}
        }))
        .unwrap()
    }

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn branch_follows_locale() {
        let es = run(
            &bot().start,
            &params(json!({"username": "Ana", "locale": "es"})),
            "start",
        )
        .unwrap();
        assert_eq!(es["branch"], json!(0));
        assert_eq!(es["messages"], json!(["hello, Ana", "Hola"]));
        let en = run(&bot().start, &params(json!({"locale": "en"})), "start").unwrap();
        assert_eq!(en["branch"], json!("else"));
        assert_eq!(en["messages"], json!(["hello, ", "How can we help?"]));
    }

    #[test]
    fn validate_refuses_bad_condition() {
        let mut b = bot();
        b.start.branches[0].conditions = json!("not json");
        assert!(b.validate().unwrap_err().contains("branch 0"));
    }
}
