//! The `browser` step: drives a page of the sandbox in headless Chromium and
//! asserts what the page shows and what the sandbox recorded from it.

use super::model::Millis;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One browser action or assertion: exactly one of `open`, `click`, `type`, `press`,
/// `eval`, `wait_for`, `wait_until`, `sdk_call`, `notification`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowserStep {
    /// Which page (default `main`); another name opens another visitor (own cookies and storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Open a sandbox page (or any URL) in a fresh browser context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<Open>,
    /// Click the first element matching this CSS selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
    /// Type text into an element, as key presses.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_into: Option<TypeInto>,
    /// Press a key, e.g. `Enter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub press: Option<String>,
    /// Evaluate a JS expression (promises are awaited); `capture` reads from its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<String>,
    /// Wait until an element matching `selector` exists (and contains `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<WaitFor>,
    /// Wait until a JS expression is truthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_until: Option<String>,
    /// Wait until the sandbox recorded a JS SDK call matching this pattern: `{seq, method, args, page, at}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_call: Option<Value>,
    /// Wait until the account's notification centre holds one matching this pattern: `{id, kind, text, user_ids, created_at}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<Value>,
    /// Pattern the value of `eval` / `wait_until` must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// JSONPath → pattern, checked on the same `sdk_call` / `notification` record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, Value>,
    /// How many `sdk_call` / `notification` records must match (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// For waits and record assertions; default 10 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Millis>,
}

/// What to open: exactly one of `button`, `widget`, `web1on1`, `url`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Open {
    /// The demo site with the website chat button (`/demo/button`), bound to this scenario's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button: Option<ButtonPage>,
    /// The widget host (`/widget-host`) running a widget folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget: Option<WidgetPage>,
    /// The web1on1 demo page (`/demo/web1on1`) of this scenario's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web1on1: Option<Web1on1Page>,
    /// Any URL; one starting with `/` is on the sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ButtonPage {
    /// `kommo` (crmPlugin, default) or `amocrm` (amoSocialButton).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loader: Option<String>,
    /// The `crmPluginConfig` / `amoSocialButtonConfig` object; absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// Shorthand for a `setMeta({bot_params})` payload (the online chatbot's `{{bot_params.x}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_params: Option<Value>,
    /// `setMeta` payloads, in order (after `bot_params`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meta: Vec<Value>,
    /// Calls made before button.js loads, as argument lists, e.g. `[[runChatShow]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<Value>,
    /// The loader's `locale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetPage {
    /// The widget folder (manifest.json, script.js, i18n/), relative to this scenario file.
    pub path: String,
    /// `lcard` (default), `llist`, `ccard`, `clist`, `comcard`, `settings`, `everywhere`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The open card's id (0 = a new card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<i64>,
    /// The widget's settings fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Value>,
    /// Interface language (default `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Web1on1Page {}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeInto {
    /// CSS selector of the element to focus.
    pub into: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    pub selector: String,
    /// Text some matching element must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Default wait of browser steps: pages share the CPU with the integration.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

impl BrowserStep {
    /// The actions this step sets; a valid one sets exactly one.
    pub fn actions(&self) -> Vec<&'static str> {
        let flags = [
            (self.open.is_some(), "open"),
            (self.click.is_some(), "click"),
            (self.type_into.is_some(), "type"),
            (self.press.is_some(), "press"),
            (self.eval.is_some(), "eval"),
            (self.wait_for.is_some(), "wait_for"),
            (self.wait_until.is_some(), "wait_until"),
            (self.sdk_call.is_some(), "sdk_call"),
            (self.notification.is_some(), "notification"),
        ];
        flags
            .iter()
            .filter(|(set, _)| *set)
            .map(|(_, name)| *name)
            .collect()
    }

    pub fn page_name(&self) -> &str {
        self.page.as_deref().unwrap_or("main")
    }

    pub fn timeout_ms(&self) -> u64 {
        self.timeout.map(|t| t.0).unwrap_or(DEFAULT_TIMEOUT_MS)
    }
}

impl Open {
    pub fn targets(&self) -> Vec<&'static str> {
        let flags = [
            (self.button.is_some(), "button"),
            (self.widget.is_some(), "widget"),
            (self.web1on1.is_some(), "web1on1"),
            (self.url.is_some(), "url"),
        ];
        flags
            .iter()
            .filter(|(set, _)| *set)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// For the JSON Schema: a browser step does one thing and opens one target (`oneOf`), as `check` enforces.
pub fn for_editors(schema: &mut Value) {
    let one_of = |keys: &[&str]| {
        Value::Array(
            keys.iter()
                .map(|k| serde_json::json!({"required": [k]}))
                .collect(),
        )
    };
    let actions = [
        "open",
        "click",
        "type",
        "press",
        "eval",
        "wait_for",
        "wait_until",
        "sdk_call",
        "notification",
    ];
    schema["definitions"]["BrowserStep"]["oneOf"] = one_of(&actions);
    schema["definitions"]["Open"]["oneOf"] = one_of(&["button", "widget", "web1on1", "url"]);
    schema["definitions"]["ButtonPage"]["properties"]["loader"]["enum"] =
        serde_json::json!(["kommo", "amocrm", null]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_action() {
        let s: BrowserStep =
            serde_yaml::from_str("type: {into: .ksb-input, text: hi}\npage: visitor2").unwrap();
        assert_eq!(s.actions(), ["type"]);
        assert_eq!(s.page_name(), "visitor2");
        let s: BrowserStep =
            serde_yaml::from_str("open: {widget: {path: ../w, card: 7}}\ntimeout: 2s").unwrap();
        assert_eq!(s.open.as_ref().unwrap().targets(), ["widget"]);
        assert_eq!(s.timeout_ms(), 2000);
        let s: BrowserStep =
            serde_yaml::from_str("sdk_call: {method: APP.notifications.add_call}").unwrap();
        assert_eq!(
            (s.actions(), s.page_name(), s.timeout_ms()),
            (vec!["sdk_call"], "main", DEFAULT_TIMEOUT_MS)
        );
    }

    #[test]
    fn schema_offers_one_action() {
        let mut schema =
            serde_json::to_value(schemars::schema_for!(super::super::model::Scenario)).unwrap();
        for_editors(&mut schema);
        assert_eq!(
            schema["definitions"]["BrowserStep"]["oneOf"]
                .as_array()
                .unwrap()
                .len(),
            9
        );
        assert_eq!(
            schema["definitions"]["Open"]["oneOf"][3],
            serde_json::json!({"required": ["url"]})
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(serde_yaml::from_str::<BrowserStep>("clik: '#a'").is_err());
        assert!(serde_yaml::from_str::<BrowserStep>("open: {buton: {}}").is_err());
    }
}
