//! The scenario file format: serde types with a JSON Schema derive, so the
//! schema printed by `kommo-sandbox schema` is exactly what the loader accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One scenario: an integration under test, its setup and its steps.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Display name; defaults to the file name without extension.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Free labels; `--filter` matches them too.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The chat integration under test; without it only the sandbox is exercised.
    #[serde(default)]
    pub integration: Option<Integration>,
    /// Seed for generated people; defaults to a hash of the name so reruns match.
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub setup: Setup,
    /// Variables usable as `${name}` (any JSON; `${a.b}` reaches inside).
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    /// Endpoints the runner serves for the integration's messenger side; `${stubs.NAME}` is the URL.
    #[serde(default)]
    pub stubs: BTreeMap<String, Stub>,
    #[serde(default)]
    pub rules: RuleSettings,
    /// Compare the transcript with `snapshots/<name>.snap` (default true).
    #[serde(default)]
    pub snapshot: Option<bool>,
    pub steps: Vec<Step>,
}

/// How to reach (or start) the integration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    /// Program to start: a shell line or an argv list. It gets KOMMO_* variables and PORT.
    #[serde(default)]
    pub command: Option<Command>,
    /// Base URL of an integration that is already running (instead of `command`).
    #[serde(default)]
    pub url: Option<String>,
    /// Webhook path on the integration; `:scope_id` is replaced by the sandbox.
    #[serde(default = "default_webhook_path")]
    pub webhook_path: String,
    /// Extra environment for `command` (values may use `${...}`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub ready: Ready,
}

pub fn default_webhook_path() -> String {
    "/webhook/:scope_id".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Argv(Vec<String>),
}

/// Readiness: the runner waits for both before the first step.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    /// GET this path on the integration until it answers 2xx; null to skip.
    #[serde(default = "default_ready_path")]
    pub http: Option<String>,
    /// Wait until the integration has connected its channel (a 200 on `connect`).
    #[serde(default = "yes")]
    pub connected: bool,
    #[serde(default = "default_ready_timeout")]
    pub timeout: Millis,
}

impl Default for Ready {
    fn default() -> Self {
        Ready {
            http: default_ready_path(),
            connected: true,
            timeout: default_ready_timeout(),
        }
    }
}

fn default_ready_path() -> Option<String> {
    Some("/health".into())
}
fn default_ready_timeout() -> Millis {
    Millis(10_000)
}
fn yes() -> bool {
    true
}

/// Generated data, deterministic for a seed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Names of fake people to generate: each gives `${NAME.name}`, `.first_name`,
    /// `.phone`, `.email` and `.id` (an integration-side user id).
    #[serde(default)]
    pub people: Vec<String>,
    /// Chat templates by key, usable as `template: ${templates.KEY}` in a `template` action.
    #[serde(default)]
    pub templates: BTreeMap<String, Value>,
    /// Sources created through REST v4 (`POST /api/v4/sources` bodies); `${sources.EXTERNAL_ID}` is the id.
    #[serde(default)]
    pub sources: Vec<Value>,
    /// Salesbots added to the account (`{name, steps, id?}`); `${salesbots.NAME}` is the id.
    #[serde(default)]
    pub salesbots: Vec<Value>,
    /// Kommo users (managers) added to the account (`{name, email?, is_admin?, online?}`);
    /// `${users.NAME.id}` and `${users.NAME.amojo_id}` name them in later steps.
    #[serde(default)]
    pub users: Vec<Value>,
}

/// A stub endpoint: answers every request under its URL and records it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stub {
    #[serde(default = "default_status")]
    pub status: u16,
    /// JSON answered (default `{"ok": true}`).
    #[serde(default)]
    pub body: Option<Value>,
    /// Delay before answering.
    #[serde(default)]
    pub delay: Option<Millis>,
}

fn default_status() -> u16 {
    200
}

/// Tuning of the built-in conformance rules for this scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Rule ids not checked here.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Rule ids that must fail (for scenarios that show a defect on purpose).
    #[serde(default)]
    pub expect_fail: Vec<String>,
    /// Send a forged webhook to the integration at the end (default true when it has a webhook URL).
    #[serde(default)]
    pub forged_webhook: Option<bool>,
}

/// One step: exactly one of `action`, `chats_api`, `http`, `expect`, `browser`, `include`, `sleep`, `set`, `log`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Shown in progress and reports.
    #[serde(default)]
    pub name: Option<String>,
    /// A Kommo-side action: message, template, write_first, typing, reaction, close_talk, salesbot, ...
    #[serde(default)]
    pub action: Option<String>,
    /// Body of the action.
    #[serde(default)]
    pub with: Option<Value>,
    /// A Chats API call made as the integration would, signed by the runner.
    #[serde(default)]
    pub chats_api: Option<ChatsApiCall>,
    /// A plain HTTP request to any URL.
    #[serde(default)]
    pub http: Option<HttpCall>,
    /// Wait for something to be seen.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Steps from another file (a list of steps, or a file with `steps:`), relative to this one.
    #[serde(default)]
    pub include: Option<String>,
    #[serde(default)]
    pub sleep: Option<Millis>,
    /// Set variables.
    #[serde(default)]
    pub set: Option<BTreeMap<String, Value>>,
    /// Print a line into the transcript.
    #[serde(default)]
    pub log: Option<String>,
    /// Drive a page in headless Chromium or assert what the pages left (see docs/scenarios.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<super::model_browser::BrowserStep>,
    /// Expected HTTP status of a request step: a number or a pattern such as `"@2xx"`.
    #[serde(default)]
    pub status: Option<Value>,
    /// Pattern the response body must match (JSON subset, see docs/scenarios.md).
    #[serde(default)]
    pub response: Option<Value>,
    /// Variables taken from the step's result: `name: "$.json.path"`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Where the step came from (set by the loader).
    #[serde(skip)]
    pub origin: Origin,
}

/// File and line of a step, for messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatsApiCall {
    #[serde(default = "post")]
    pub method: String,
    /// Path; relative paths are under `/v2/origin/custom/`, e.g. `${scope_id}/chats`.
    pub path: String,
    /// JSON body (serialised compactly, signed as sent).
    #[serde(default)]
    pub body: Option<Value>,
    /// Exact body text instead of `body`.
    #[serde(default)]
    pub raw_body: Option<String>,
    /// Sign the request (default true); false sends it unsigned.
    #[serde(default = "yes")]
    pub sign: bool,
    /// Override the `Date` header (RFC 2822), e.g. to test expiry.
    #[serde(default)]
    pub date: Option<String>,
    /// Sign with this secret instead of the channel's.
    #[serde(default)]
    pub secret: Option<String>,
}

fn post() -> String {
    "POST".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpCall {
    /// Default GET, or POST when a body is given.
    #[serde(default)]
    pub method: Option<String>,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub json: Option<Value>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub timeout: Option<Millis>,
}

/// Waits (polling) until enough records match, or fails with the closest near-miss.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A request the integration made to the sandbox (Chats API): `{method, path, status, body, response, signature}`.
    #[serde(default)]
    pub journal: Option<Value>,
    /// A webhook the sandbox sent to the integration: `{hook, status, body, response, error}`.
    #[serde(default)]
    pub webhook: Option<Value>,
    /// A request that reached a stub: `{stub, method, path, body, headers}`.
    #[serde(default)]
    pub stub: Option<Value>,
    /// The account state (`GET /_sandbox/accounts/{id}`), usually with `paths`.
    #[serde(default)]
    pub state: Option<Value>,
    /// JSONPath → pattern, checked on the same record.
    #[serde(default)]
    pub paths: BTreeMap<String, Value>,
    /// How many matching records are needed (default 1).
    #[serde(default)]
    pub count: Option<usize>,
    /// Pass when nothing matches for the whole timeout.
    #[serde(default)]
    pub absent: bool,
    /// Default 5 s.
    #[serde(default)]
    pub timeout: Option<Millis>,
}

/// A duration: milliseconds as a number, or a string like `250ms`, `5s`, `1m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Millis(pub u64);

impl Millis {
    pub fn parse(text: &str) -> Result<Millis, String> {
        let t = text.trim();
        let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
            (n, 1)
        } else if let Some(n) = t.strip_suffix('s') {
            (n, 1000)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 60_000)
        } else {
            (t, 1)
        };
        let value: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a duration; write e.g. 250ms, 5s or 1m"))?;
        if value < 0.0 {
            return Err(format!("{text:?}: a duration cannot be negative"));
        }
        Ok(Millis((value * mult as f64).round() as u64))
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Millis(n)),
            Raw::S(s) => Millis::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

impl JsonSchema for Millis {
    fn schema_name() -> String {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let v = serde_json::json!({
            "description": "Milliseconds, or a string such as 250ms, 5s, 1m",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^\\s*[0-9.]+\\s*(ms|s|m)?\\s*$"}
            ]
        });
        serde_json::from_value(v).expect("static schema")
    }
}

impl Step {
    /// The kinds this step sets; a valid step sets exactly one.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k = vec![];
        let flags = [
            (self.action.is_some(), "action"),
            (self.chats_api.is_some(), "chats_api"),
            (self.http.is_some(), "http"),
            (self.expect.is_some(), "expect"),
            (self.include.is_some(), "include"),
            (self.sleep.is_some(), "sleep"),
            (self.set.is_some(), "set"),
            (self.log.is_some(), "log"),
            (self.browser.is_some(), "browser"),
        ];
        for (set, name) in flags {
            if set {
                k.push(name);
            }
        }
        k
    }

    /// A short label for progress lines and reports.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match self.kinds().first().copied() {
            Some("action") => format!("action {}", self.action.as_deref().unwrap_or("")),
            Some("chats_api") => self
                .chats_api
                .as_ref()
                .map(|c| format!("chats_api {} {}", c.method, c.path))
                .unwrap_or_default(),
            Some("http") => self
                .http
                .as_ref()
                .map(|h| format!("http {}", h.url))
                .unwrap_or_default(),
            Some("browser") => self
                .browser
                .as_ref()
                .map(|b| format!("browser {}", b.actions().join(" ")))
                .unwrap_or_default(),
            Some(kind) => kind.to_string(),
            None => "empty step".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(Millis::parse("250ms").unwrap(), Millis(250));
        assert_eq!(Millis::parse("5s").unwrap(), Millis(5000));
        assert_eq!(Millis::parse("1.5s").unwrap(), Millis(1500));
        assert_eq!(Millis::parse("1m").unwrap(), Millis(60_000));
        assert!(Millis::parse("soon").is_err());
        let m: Millis = serde_yaml::from_str("300").unwrap();
        assert_eq!(m, Millis(300));
    }

    #[test]
    fn step_kinds() {
        let s: Step = serde_yaml::from_str("action: message\nwith: {text: hi}").unwrap();
        assert_eq!(s.kinds(), ["action"]);
        assert_eq!(s.label(), "action message");
    }
}
