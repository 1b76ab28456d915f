//! One conversation through both directions, across every surface: Chats API
//! in, REST v4 to sort it out, a manager's template out, statuses back.

mod common;

use common::integration::Integration;
use common::rest::T;
use common::Sb;
use kommo_sandbox::config::DEMO_SECRET;
use serde_json::json;

#[tokio::test]
async fn a_client_writes_the_integration_sorts_it_out_and_a_manager_answers_with_a_template() {
    let integration = Integration::start(DEMO_SECRET).await;
    let account_yaml = "    pipelines:\n      - {id: 7001, name: Sales, is_main: true}\n      - {id: 7002, name: Support}\n    sources:\n      - {external_id: support-line, name: Support line, pipeline_id: 7002}";
    let sb = Sb::with_webhooks(&integration.webhook_url(), account_yaml, "").await;
    // `t` calls REST v4 with the integration's token, and the Chats API signed.
    let t = T::of(sb).await;
    integration.report_statuses_to(&t.base);
    t.connect().await.ok();

    // 1. The client writes through the integration, naming the source.
    let now = t.now();
    let first = json!({
        "timestamp": now, "msec_timestamp": now * 1000, "msgid": "tg-1", "conversation_id": "tg-chat-1",
        "sender": {"id": "tg-user-1", "name": "Jane", "profile": {"phone": "+15550001111"}},
        "source": {"external_id": "support-line"},
        "message": {"type": "text", "text": "Is the blue one in stock?"}});
    let sent = t.event("new_message", first).await;
    let chat_id = sent.ok()["new_message"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();

    // 2. An incoming lead appears in the source's pipeline.
    let unsorted = t
        .get("/api/v4/leads/unsorted?filter[category][]=chats")
        .await;
    let lead = &unsorted.hal()["_embedded"]["unsorted"][0];
    assert_eq!(lead["pipeline_id"], 7002);
    assert_eq!(lead["metadata"]["origin"]["chat_id"], chat_id.as_str());

    // 3. The integration links the chat to a contact it knows.
    let created = t
        .post("/api/v4/contacts", json!([{"name": "Jane Roe"}]))
        .await;
    let contact_id = created.hal()["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let linked = t
        .post(
            "/api/v4/contacts/chats",
            json!([{"chat_id": chat_id, "contact_id": contact_id}]),
        )
        .await;
    assert_eq!(
        linked.hal()["_embedded"]["chats"][0]["contact_id"],
        contact_id
    );

    // 4. A manager answers with a template made through REST v4.
    let content = "Hi {{contact.name}}, your request {{lead.id}} is with us";
    let tpl = t
        .post(
            "/api/v4/chats/templates",
            json!([{"name": "Ack", "content": content, "external_id": "ack"}]),
        )
        .await;
    let template_id = tpl.hal()["_embedded"]["chat_templates"][0]["id"]
        .as_i64()
        .unwrap();
    let out = t
        .act(
            "template",
            json!({"chat_id": chat_id, "template_id": template_id}),
        )
        .await;
    let message_id = out.ok()["message_id"].as_str().unwrap().to_string();
    let lead_id = lead["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let expected = format!("Hi Jane Roe, your request {lead_id} is with us");

    // 5. The hook arrives signed, with the filled-in text and the template object.
    let hooks = integration.wait_for(1).await;
    assert!(hooks[0].signature_ok);
    let m = &hooks[0].body["message"];
    assert_eq!(m["message"]["text"], expected.as_str());
    assert_eq!(m["message"]["template"]["id"], template_id);
    assert_eq!(m["message"]["template"]["external_id"], "ack");
    assert_eq!(m["source"]["external_id"], "support-line");
    assert_eq!(
        m["conversation"],
        json!({"id": chat_id, "client_id": "tg-chat-1"})
    );

    // 6. The integration reports delivered then read; the state shows it all.
    let mut statuses = vec![];
    for _ in 0..500 {
        let st = t.state().await;
        let msg = st["scopes"][0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == message_id.as_str())
            .cloned()
            .unwrap();
        statuses = msg["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap().to_string())
            .collect();
        if statuses.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(statuses, ["sent", "delivered", "read"]);
    let st = t.state().await;
    let conv = &st["scopes"][0]["conversations"][0];
    assert_eq!(conv["contact_id"], contact_id);
    assert_eq!(st["account"]["incoming_leads"][0]["pipeline_id"], 7002);
    let attempts = t.attempts(1).await;
    assert_eq!(attempts[0]["status"], 200);
    assert_eq!(attempts[0]["message_id"], message_id.as_str());
}
