//! The scenario engine: YAML scenario files run against a chat integration,
//! with the conformance rules checked in every scenario and the transcript
//! compared with insta-format snapshots. Reference: docs/scenarios.md.

pub mod browser_pool;
pub mod context;
pub mod execute;
pub mod fake;
pub mod hints;
pub mod load;
pub mod matchers;
pub mod model;
pub mod model_browser;
pub mod process;
pub mod report;
pub mod rules;
pub mod runner;
pub mod setup;
pub mod snapshot;
pub mod sources;
pub mod steps;
pub mod stubs;
pub mod transcript;
pub mod validate;
mod validate_browser;
pub mod vars;

/// The JSON Schema of scenario files, as `kommo-sandbox schema` prints it.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(model::Scenario);
    let mut value = serde_json::to_value(&schema).expect("schema serialises");
    for_editors(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("schema serialises");
    text.push('\n');
    text
}

/// What serde cannot express: a step does exactly one thing (`oneOf`), and
/// the known actions and rule ids are offered for completion.
fn for_editors(schema: &mut serde_json::Value) {
    use serde_json::json;
    let kinds = [
        "action",
        "chats_api",
        "http",
        "expect",
        "browser",
        "include",
        "sleep",
        "set",
        "log",
    ];
    let step = &mut schema["definitions"]["Step"];
    step["oneOf"] = json!(kinds
        .iter()
        .map(|k| json!({"required": [k]}))
        .collect::<Vec<_>>());
    let actions = [
        "message",
        "template",
        "write_first",
        "typing",
        "reaction",
        "close_talk",
        "salesbot",
    ];
    let description = step["properties"]["action"]["description"].clone();
    step["properties"]["action"] = json!({"description": description, "anyOf": [{"enum": actions}, {"type": "string"}, {"type": "null"}]});
    model_browser::for_editors(schema);
    let ids: Vec<&str> = rules::ids().collect();
    for key in ["skip", "expect_fail"] {
        schema["definitions"]["RuleSettings"]["properties"][key]["items"] =
            json!({"anyOf": [{"enum": ids}, {"type": "string"}]});
    }
}

/// A new scenario skeleton for `kommo-sandbox new NAME`.
pub fn scaffold(name: &str, schema_path: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schema_path}
name: {name}
description: What this scenario shows, in one line.
integration:
  # Started once per scenario with KOMMO_AMOJO_URL, KOMMO_CHANNEL_ID, KOMMO_CHANNEL_SECRET,
  # KOMMO_ACCOUNT_ID, KOMMO_SCOPE_ID, KOMMO_BOT_ID and PORT in its environment.
  command: cargo run --quiet --example reference_integration
  webhook_path: /webhook/:scope_id
  env:
    MESSENGER_URL: ${{stubs.messenger}}
stubs:
  messenger: {{}}
setup:
  people: [client]
steps:
  - name: the client writes through the messenger
    http:
      url: ${{integration_url}}/inbound
      json: {{from: "${{client.id}}", name: "${{client.name}}", phone: "${{client.phone}}", text: Hello}}
  - name: the integration relays it to Kommo
    expect:
      journal: {{path: "/v2/origin/custom/${{scope_id}}", status: 200, body: {{payload: {{message: {{text: Hello}}}}}}}}
    capture:
      chat_id: $.response.new_message.conversation_id
"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaffold_loads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.yaml");
        std::fs::write(&p, super::scaffold("x", "../docs/scenario.schema.json")).unwrap();
        let l = super::load::load(&p).unwrap();
        assert_eq!(l.name, "x");
        assert_eq!(l.scenario.steps.len(), 2);
    }
}
