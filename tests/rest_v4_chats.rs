//! REST v4 around chats, end to end over HTTP: chat-contact links, incoming
//! leads, talks, chat templates, Salesbot, and account webhooks delivered to a
//! real local subscriber when a client writes through the Chats API.

mod common;

use common::integration::{listen, until};
use common::rest::{field, Subscriber, T};
use kommo_sandbox::webhooks::pool::PER_DESTINATION;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use tokio::sync::watch;

const TWO_PIPELINES: &str = "accounts:\n  - pipelines:\n      - {id: 7001, name: Sales}\n      - {id: 7002, name: Support}\n";

#[tokio::test]
async fn chat_links_move_a_chat_between_contacts() {
    let t = T::start("").await;
    t.connect().await.ok();
    let (chat, _) = t.client_says("conv-1", "m-1", "Hello", None).await;
    let by_chat = t
        .get(&format!("/api/v4/contacts/chats?chat_id[]={chat}"))
        .await;
    let link = by_chat.hal()["_embedded"]["chats"][0].clone();
    let first_contact = link["contact_id"].as_i64().unwrap();
    assert!(link.get("request_id").is_none());
    let scalar = t
        .get(&format!("/api/v4/contacts/chats?chat_id={chat}"))
        .await;
    assert_eq!(
        scalar.hal()["_embedded"]["chats"][0]["id"],
        link["id"],
        "same link, same id"
    );

    let other = t
        .post("/api/v4/contacts", json!([{"name": "Other"}]))
        .await
        .hal()["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let moved = t
        .post(
            "/api/v4/contacts/chats",
            json!([{"chat_id": chat, "contact_id": other}]),
        )
        .await;
    let moved_link = moved.hal()["_embedded"]["chats"][0].clone();
    assert_eq!(moved.json["_total_items"], 1);
    assert_eq!(moved_link["request_id"], "0");
    assert_eq!(moved_link["contact_id"], other);
    assert_ne!(
        moved_link["id"], link["id"],
        "relinking changes the link id"
    );
    let by_contact = t
        .get(&format!("/api/v4/contacts/chats?contact_id[]={other}"))
        .await;
    assert_eq!(
        by_contact.hal()["_embedded"]["chats"][0]["chat_id"],
        json!(chat)
    );
    t.get(&format!(
        "/api/v4/contacts/chats?contact_id={first_contact}"
    ))
    .await
    .empty();

    let state = t.state().await;
    let conv = &state["scopes"][0]["conversations"][0];
    assert_eq!(conv["contact_id"], other);
    let contacts = state["account"]["contacts"].as_array().unwrap();
    let chats_of = |id: i64| contacts.iter().find(|c| c["id"] == id).unwrap()["chat_ids"].clone();
    assert_eq!(chats_of(other), json!([chat]));
    assert_eq!(chats_of(first_contact), json!([]));

    let bad = t.post("/api/v4/contacts/chats", json!([{"chat_id": "no-such-chat", "contact_id": other}, {"chat_id": chat, "contact_id": 1}])).await;
    assert_eq!(bad.validation(0), ("NotFound".into(), "chat_id".into()));
    assert_eq!(bad.validation(1), ("NotFound".into(), "contact_id".into()));
}

#[tokio::test]
async fn incoming_leads_follow_the_source_and_can_be_accepted() {
    let t = T::start(TWO_PIPELINES).await;
    t.post(
        "/api/v4/sources",
        json!([{"name": "Support", "external_id": "support", "pipeline_id": 7002}]),
    )
    .await
    .hal();
    t.connect().await.ok();
    let (chat, _) = t
        .client_says(
            "conv-1",
            "m-1",
            "Is the blue one in stock?",
            Some("support"),
        )
        .await;
    t.client_says("conv-2", "m-2", "Hi", None).await;

    let list = t
        .get("/api/v4/leads/unsorted?filter[category][]=chats&filter[pipeline_id]=7002")
        .await;
    let items = list.hal()["_embedded"]["unsorted"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 1);
    let u = &items[0];
    assert_eq!(u["category"], "chats");
    assert_eq!(u["metadata"]["origin"]["chat_id"], json!(chat));
    assert_eq!(
        u["metadata"]["last_message_text"],
        "Is the blue one in stock?"
    );
    let uid = u["uid"].as_str().unwrap().to_string();
    let lead_id = u["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let contact_id = u["_embedded"]["contacts"][0]["id"].as_i64().unwrap();
    assert_eq!(
        t.get(&format!("/api/v4/leads/unsorted/{uid}")).await.hal()["uid"],
        json!(uid)
    );
    let links = t
        .get(&format!("/api/v4/contacts/chats?chat_id[]={chat}"))
        .await;
    assert_eq!(
        links.hal()["_embedded"]["chats"][0]["contact_id"],
        contact_id,
        "a chat in an incoming lead answers with its contact"
    );
    t.get(&format!("/api/v4/contacts?filter[id]={contact_id}"))
        .await
        .empty();

    let bad = t
        .post(
            &format!("/api/v4/leads/unsorted/{uid}/accept"),
            json!({"status_id": 70012}),
        )
        .await;
    assert_eq!(bad.validation(0).1, "status_id");
    let accepted = t
        .post(
            &format!("/api/v4/leads/unsorted/{uid}/accept"),
            json!({"user_id": 5000001}),
        )
        .await;
    assert_eq!(accepted.hal()["_embedded"]["leads"][0]["id"], lead_id);
    let lead = t.get(&format!("/api/v4/leads/{lead_id}")).await;
    assert_eq!(lead.hal()["status_id"], 70022);
    assert_eq!(lead.json["pipeline_id"], 7002);
    t.get(&format!("/api/v4/leads/unsorted/{uid}"))
        .await
        .empty();
    t.post(&format!("/api/v4/leads/unsorted/{uid}/accept"), json!({}))
        .await
        .problem(404);
    t.get(&format!("/api/v4/contacts?filter[id]={contact_id}"))
        .await
        .hal();

    let summary = t.get("/api/v4/leads/unsorted/summary").await;
    assert_eq!(summary.hal()["total"], 2);
    assert_eq!(summary.json["accepted"], 1);
    assert_eq!(summary.json["categories"]["chats"]["total"], 2);

    let state = t.state().await;
    let events: Vec<&Value> = state["account"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "unsorted" && e["action"] == "delete")
        .collect();
    assert_eq!(events[0]["data"]["action"], "accept");
    assert_eq!(events[0]["data"]["accept_result"]["leads"][0], lead_id);
}

#[tokio::test]
async fn incoming_leads_decline_and_link() {
    let t = T::start("").await;
    t.connect().await.ok();
    t.client_says("conv-1", "m-1", "one", None).await;
    t.client_says("conv-2", "m-2", "two", None).await;
    let list = t.get("/api/v4/leads/unsorted?limit=1").await;
    assert!(list.hal()["_links"]["next"]["href"].is_string());
    let all = t.get("/api/v4/leads/unsorted?filter[category]=chats").await;
    let items = all.hal()["_embedded"]["unsorted"]
        .as_array()
        .unwrap()
        .clone();
    let (first, second) = (
        items[0]["uid"].as_str().unwrap().to_string(),
        items[1]["uid"].as_str().unwrap().to_string(),
    );
    let declined_lead = items[0]["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let declined = t
        .delete(&format!("/api/v4/leads/unsorted/{first}/decline"), None)
        .await;
    assert_eq!(declined.hal()["uid"], json!(first));
    t.get(&format!("/api/v4/leads/{declined_lead}"))
        .await
        .empty();
    t.delete("/api/v4/leads/unsorted/nope/decline", None)
        .await
        .problem(404);

    let target = t
        .post("/api/v4/leads", json!([{"name": "Existing"}]))
        .await
        .hal()["_embedded"]["leads"][0]["id"]
        .as_i64()
        .unwrap();
    let bad = t
        .post(
            &format!("/api/v4/leads/unsorted/{second}/link"),
            json!({"link": {"entity_id": target, "entity_type": "companies"}}),
        )
        .await;
    assert_eq!(bad.validation(0).1, "link.entity_type");
    let linked = t
        .post(
            &format!("/api/v4/leads/unsorted/{second}/link"),
            json!({"link": {"entity_id": target, "entity_type": "leads"}}),
        )
        .await;
    assert_eq!(linked.hal()["_embedded"]["leads"][0]["id"], target);
    t.get("/api/v4/leads/unsorted").await.empty();
    let state = t.state().await;
    let decline = state["account"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["action"] == "decline")
        .cloned()
        .unwrap();
    assert_eq!(decline["event"], "delete_unsorted");
    t.get("/api/v4/leads/unsorted?filter[category][]=phone")
        .await
        .problem(400);
}

#[tokio::test]
async fn talks_can_be_read_and_closed_once() {
    let t = T::start("").await;
    t.connect().await.ok();
    let (chat, _) = t.client_says("conv-1", "m-1", "Hello", None).await;
    let state = t.state().await;
    let talk_id = state["account"]["talks"][0]["talk_id"].as_i64().unwrap();
    let talk = t.get(&format!("/api/v4/talks/{talk_id}")).await;
    assert_eq!(talk.hal()["chat_id"], json!(chat));
    assert_eq!(talk.json["is_in_work"], true);
    assert_eq!(talk.json["entity_type"], "lead");
    assert!(talk.json["_embedded"]["leads"][0]["id"].is_i64());
    let closed = t
        .post(
            &format!("/api/v4/talks/{talk_id}/close"),
            json!({"force_close": true}),
        )
        .await;
    assert_eq!(closed.status, 202, "{}", closed.text);
    assert!(closed.text.is_empty());
    assert_eq!(
        t.get(&format!("/api/v4/talks/{talk_id}")).await.hal()["is_in_work"],
        false
    );
    t.post(&format!("/api/v4/talks/{talk_id}/close"), json!({}))
        .await
        .problem(422);
    t.get("/api/v4/talks/1").await.problem(404);
    let state = t.state().await;
    assert!(state["account"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "update_talk"));
}

#[tokio::test]
async fn chat_templates_belong_to_their_integration() {
    let t =
        T::start("channels:\n  - {}\n  - integration_id: 99999999-8888-4777-8666-555555555555\n")
            .await;
    t.get("/api/v4/chats/templates").await.empty();
    let created = t.post("/api/v4/chats/templates", json!([
        {"name": "Welcome", "content": "Hi {{contact.name}}", "external_id": "tpl-welcome", "buttons": [{"type": "inline", "text": "Yes"}]},
        {"name": "Offer", "content": "Deal", "type": "waba", "waba_category": "MARKETING", "waba_language": "en", "request_id": "w"}
    ])).await;
    let items = created.hal()["_embedded"]["chat_templates"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(created.json["_total_items"], 2);
    assert_eq!(items[0]["request_id"], "0");
    assert_eq!(items[1]["request_id"], "w");
    assert_eq!(items[1]["waba_category"], "MARKETING");
    let id = items[0]["id"].as_i64().unwrap();
    let waba = items[1]["id"].as_i64().unwrap();

    let by_ext = t
        .get("/api/v4/chats/templates?filter[external_id]=tpl-welcome")
        .await;
    assert_eq!(
        by_ext.hal()["_embedded"]["chat_templates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    t.get("/api/v4/chats/templates?limit=51").await.problem(422);
    let accounts = t.admin_json("/_sandbox/accounts").await;
    let other = accounts["accounts"][0]["channels"][1]["api_token"]
        .as_str()
        .unwrap()
        .to_string();
    t.send("GET", "/api/v4/chats/templates", Some(&other), None)
        .await
        .empty();
    t.send(
        "GET",
        &format!("/api/v4/chats/templates/{id}"),
        Some(&other),
        None,
    )
    .await
    .problem(404);

    let patched = t
        .patch(
            &format!("/api/v4/chats/templates/{id}"),
            json!({"content": "Hello {{contact.name}}"}),
        )
        .await;
    assert_eq!(patched.hal()["content"], "Hello {{contact.name}}");
    let bad = t.post("/api/v4/chats/templates", json!([{"name": "x"}, {"name": "y", "content": "z", "buttons": [{"type": "url", "text": "Go"}]}])).await;
    assert_eq!(bad.validation(0), ("NotBlank".into(), "content".into()));
    assert_eq!(bad.validation(1).1, "buttons.0.url");

    t.post(&format!("/api/v4/chats/templates/{waba}/review"), json!({}))
        .await
        .problem(400);
    t.post("/api/v4/sources", json!([{"name": "WA", "external_id": "wa", "services": [{"type": "whatsapp", "params": {"waba": true}}]}])).await.hal();
    let review = t
        .post(&format!("/api/v4/chats/templates/{waba}/review"), json!({}))
        .await;
    let r = review.hal()["_embedded"]["reviews"][0].clone();
    assert_eq!(r["status"], "review");
    let with = t
        .get(&format!("/api/v4/chats/templates/{waba}?with=reviews"))
        .await;
    assert_eq!(with.hal()["is_on_review"], true);
    t.patch(
        &format!("/api/v4/chats/templates/{waba}"),
        json!({"content": "changed"}),
    )
    .await
    .problem(400);
    let approved = t
        .post(
            &format!("/api/v4/chats/templates/{waba}/review/{}", r["id"]),
            json!({"status": "approved"}),
        )
        .await;
    assert_eq!(approved.hal()["status"], "approved");
    t.post(
        &format!("/api/v4/chats/templates/{waba}/review/{}", r["id"]),
        json!({"status": "maybe"}),
    )
    .await
    .problem(400);

    t.delete("/api/v4/chats/templates", Some(json!([{"id": 1}])))
        .await
        .problem(400);
    t.delete("/api/v4/chats/templates", Some(json!([{"id": waba}])))
        .await
        .empty();
    t.delete(&format!("/api/v4/chats/templates/{id}"), None)
        .await
        .empty();
    t.get("/api/v4/chats/templates").await.empty();
}

const BOT: &str = "
    salesbots:
      - id: 12
        name: Greeter
        steps:
          - handler: send_message
            params: {value: \"Hi {{contact.name}}\"}
          - handler: condition
            params:
              term1: \"{{lead.price}}\"
              term2: {from: 100, to: 500}
              operation: in_range
              result:
                - handler: send_message
                  params: {value: \"Good budget\"}
          - handler: conditions
            params:
              logic: and
              conditions:
                - {term1: \"{{contact.name}}\", term2: \"Bob\", operation: \"=\"}
              result:
                - handler: send_message
                  params: {value: \"Hello Bob\"}
";

fn outgoing_texts(state: &Value) -> Vec<String> {
    state["scopes"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outgoing")
        .map(|m| m["message"]["text"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn salesbot_runs_its_steps_on_the_entity_chat() {
    let t = T::start(&format!("accounts:\n  - name: Bots\n{BOT}")).await;
    t.connect().await.ok();
    t.client_says("conv-1", "m-1", "Hello", None).await;
    let bots = t.get("/api/v4/bots").await;
    assert_eq!(bots.hal()["_embedded"]["bots"][0]["id"], 12);
    t.get("/api/v4/bots/99").await.empty();
    let state = t.state().await;
    let lead = state["account"]["leads"][0]["id"].as_i64().unwrap();
    t.patch(&format!("/api/v4/leads/{lead}"), json!({"price": 250}))
        .await
        .hal();

    let run = t
        .post(
            "/api/v4/bots/run",
            json!([{"bot_id": 12, "entity_id": lead, "entity_type": "leads"}]),
        )
        .await;
    assert_eq!(run.status, 202, "{}", run.text);
    let texts = outgoing_texts(&t.state().await);
    assert_eq!(texts, ["Hi Jane Client", "Good budget"]);

    let v2 = t
        .post(
            "/api/v2/salesbot/run",
            json!([{"bot_id": 12, "entity_id": lead, "entity_type": 2}]),
        )
        .await;
    assert_eq!(v2.hal()["success"], true);
    assert_eq!(outgoing_texts(&t.state().await).len(), 4);

    let bad = t
        .post(
            "/api/v4/bots/run",
            json!([{"bot_id": 0, "entity_id": lead, "entity_type": "deals"}]),
        )
        .await;
    assert_eq!(bad.validation(0), ("TooLow".into(), "bot_id".into()));
    t.post(
        "/api/v4/bots/run",
        json!([{"bot_id": 77, "entity_id": lead, "entity_type": "leads"}]),
    )
    .await
    .problem(404);
    let v2bad = t
        .post(
            "/api/v2/salesbot/run",
            json!([{"bot_id": 12, "entity_id": lead, "entity_type": 3}]),
        )
        .await;
    assert_eq!(v2bad.validation(0).1, "entity_type");
    let one = t
        .post(
            "/api/v4/bots/12/run",
            json!({"entity_id": lead, "entity_type": "leads"}),
        )
        .await;
    assert_eq!(one.status, 202);
    t.post(
        "/api/v4/bots/77/stop",
        json!({"entity_id": lead, "entity_type": "leads"}),
    )
    .await
    .problem(404);
    let bad_stop = t
        .post(
            "/api/v4/bots/12/stop",
            json!({"entity_id": "x", "entity_type": "leads"}),
        )
        .await;
    assert_eq!(bad_stop.validation(0).1, "entity_id");
    let stop = t
        .post(
            "/api/v4/bots/12/stop",
            json!({"entity_id": lead, "entity_type": "leads"}),
        )
        .await;
    assert_eq!(stop.status, 202);
    let state = t.state().await;
    assert!(state["account"]["bot_runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["stopped"] == true));
}

#[tokio::test]
async fn salesbots_can_be_added_through_the_admin_plane() {
    let t = T::start("").await;
    let bot = t.admin_post(&format!("/_sandbox/accounts/{}/salesbots", t.account_id), &json!({"name": "Echo", "steps": [{"handler": "send_message", "params": {"value": "Echo"}}]})).await;
    assert_eq!(bot.status, 201, "{}", bot.text);
    let bot = bot.json;
    let listed = t
        .get(&format!("/api/v4/bots?filter[id][]={}", bot["id"]))
        .await;
    assert_eq!(listed.hal()["_embedded"]["bots"][0]["name"], "Echo");
}

#[tokio::test]
async fn webhook_subscriptions_create_update_and_delete_by_destination() {
    let t = T::start("").await;
    t.get("/api/v4/webhooks").await.empty();
    let made = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": "https://example.test/hook", "settings": ["add_lead"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let again = t.post("/api/v4/webhooks", json!({"destination": "https://example.test/hook", "settings": ["add_lead", "add_message"], "sort": 5})).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json["id"], made.json["id"]);
    assert_eq!(again.json["settings"], json!(["add_lead", "add_message"]));
    let list = t
        .get("/api/v4/webhooks?filter[destination]=https://example.test/hook")
        .await;
    assert_eq!(list.hal()["_total_items"], 1);
    let bad = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": "not a url", "settings": ["add_nothing"]}),
        )
        .await;
    let body = bad.problem(400);
    assert_eq!(
        body["validation-errors"][0]["errors"][0]["path"],
        "destination"
    );
    assert_eq!(
        body["validation-errors"][0]["errors"][1]["path"],
        "settings.0"
    );
    t.delete(
        "/api/v4/webhooks",
        Some(json!({"destination": "https://example.test/hook"})),
    )
    .await
    .empty();
    t.delete(
        "/api/v4/webhooks",
        Some(json!({"destination": "https://example.test/hook"})),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn account_webhooks_reach_a_real_subscriber_form_encoded() {
    let t = T::start("").await;
    let sub = Subscriber::start().await;
    let made = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": sub.url, "settings": ["add_lead", "add_message"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    t.connect().await.ok();
    let (chat, _) = t.client_says("conv-1", "m-1", "Hello there", None).await;

    let lead = sub.wait_for("leads[add][0][id]").await;
    assert_eq!(field(&lead, "account[subdomain]"), "sandbox");
    assert_eq!(field(&lead, "account[id]"), "30000001");
    let state = t.state().await;
    assert_eq!(
        field(&lead, "leads[add][0][id]"),
        state["account"]["leads"][0]["id"].to_string()
    );
    let message = sub.wait_for("message[add][0][id]").await;
    assert_eq!(field(&message, "message[add][0][chat_id]"), chat);
    assert_eq!(field(&message, "message[add][0][text]"), "Hello there");
    assert_eq!(field(&message, "message[add][0][type]"), "incoming");
    let received = sub.received.lock().unwrap().clone();
    assert!(received
        .iter()
        .all(|(ct, _)| ct == "application/x-www-form-urlencoded"));
    assert!(
        !received
            .iter()
            .any(|(_, p)| p.iter().any(|(k, _)| k.starts_with("talk["))),
        "not subscribed to add_talk"
    );

    let log = t.admin_json("/_sandbox/account_webhooks").await;
    let attempts = log["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{log}");
    assert!(attempts
        .iter()
        .all(|a| a["status"] == 200 && a["url"] == json!(sub.url) && a["in_time"].is_boolean()));
}

#[tokio::test]
async fn the_default_source_takes_chats_without_a_known_source() {
    let t = T::start(TWO_PIPELINES).await;
    t.post(
        "/api/v4/sources",
        json!([
            {"name": "Fallback", "external_id": "fallback", "pipeline_id": 7002, "default": true},
            {"name": "Sales", "external_id": "sales", "pipeline_id": 7001}
        ]),
    )
    .await
    .hal();
    t.connect().await.ok();
    t.client_says("conv-1", "m-1", "no source", None).await;
    t.client_says("conv-2", "m-2", "unknown source", Some("deleted-long-ago"))
        .await;
    t.client_says("conv-3", "m-3", "named source", Some("sales"))
        .await;
    let list = t.get("/api/v4/leads/unsorted").await;
    let pipelines: Vec<Value> = list.hal()["_embedded"]["unsorted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["pipeline_id"].clone())
        .collect();
    assert_eq!(pipelines, [json!(7002), json!(7002), json!(7001)]);
    let state = t.state().await;
    let lead = state["account"]["leads"][2]["id"].as_i64().unwrap();
    let with = t.get(&format!("/api/v4/leads/{lead}?with=source")).await;
    assert_eq!(with.hal()["_embedded"]["source"]["name"], "Sales");
}

#[tokio::test]
async fn another_integration_sees_none_of_these_chats() {
    let t =
        T::start("channels:\n  - {}\n  - integration_id: 99999999-8888-4777-8666-555555555555\n")
            .await;
    t.connect().await.ok();
    let (chat, _) = t.client_says("conv-1", "m-1", "Hello", None).await;
    let accounts = t.admin_json("/_sandbox/accounts").await;
    let other = accounts["accounts"][0]["channels"][1]["api_token"]
        .as_str()
        .unwrap()
        .to_string();
    t.send(
        "GET",
        &format!("/api/v4/contacts/chats?chat_id[]={chat}"),
        Some(&other),
        None,
    )
    .await
    .empty();
    let contact = t.state().await["account"]["contacts"][0]["id"].clone();
    let refused = t
        .send(
            "POST",
            "/api/v4/contacts/chats",
            Some(&other),
            Some(json!([{"chat_id": chat, "contact_id": contact}])),
        )
        .await;
    assert_eq!(refused.validation(0).1, "chat_id");
}

#[tokio::test]
async fn salesbot_sends_templates_with_their_markers_filled() {
    let t = T::start("").await;
    t.connect().await.ok();
    t.client_says("conv-1", "m-1", "Hello", None).await;
    let tpl = t.post("/api/v4/chats/templates", json!([{"name": "Hi", "content": "Hi {{contact.name}}, lead {{lead.id}}", "external_id": "tpl-hi"}])).await;
    let tpl_id = tpl.hal()["_embedded"]["chat_templates"][0]["id"]
        .as_i64()
        .unwrap();
    let bot = t.admin_post(&format!("/_sandbox/accounts/{}/salesbots", t.account_id), &json!({"name": "T", "steps": [
        {"handler": "condition", "params": {"term1": "{{contact.name}}", "term2": "Nobody", "operation": "=", "result": [{"handler": "send_message", "params": {"value": "never"}}],
          "else": [{"handler": "send_template", "params": {"template_id": tpl_id}}]}}
    ]})).await;
    assert_eq!(bot.status, 201);
    let bot = bot.json;
    let contact = t.state().await["account"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let run = t
        .post(
            "/api/v2/salesbot/run",
            json!([{"bot_id": bot["id"], "entity_id": contact, "entity_type": 1}]),
        )
        .await;
    run.hal();
    let state = t.state().await;
    let lead = state["account"]["leads"][0]["id"].as_i64().unwrap();
    let sent: Vec<&Value> = state["scopes"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outgoing")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["message"]["text"],
        json!(format!("Hi Jane Client, lead {lead}"))
    );
    assert_eq!(sent[0]["message"]["template"]["external_id"], "tpl-hi");
    assert_eq!(
        sent[0]["message"]["template"]["params"][0]["key"],
        "{{contact.name}}"
    );
}

#[tokio::test]
async fn rest_calls_are_journaled_and_webhooks_are_capped() {
    let t = T::start("").await;
    for i in 0..100 {
        let r = t.post("/api/v4/webhooks", json!({"destination": format!("https://example.test/{i}"), "settings": ["add_lead"]})).await;
        assert_eq!(r.status, 201);
    }
    let over = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": "https://example.test/101", "settings": ["add_lead"]}),
        )
        .await;
    over.problem(422);
    let journal = t.journal("?surface=rest_v4&limit=1").await;
    let entry = &journal["entries"][0];
    assert_eq!(entry["path"], "/api/v4/webhooks");
    assert_eq!(entry["status"], 422);
    assert_eq!(entry["account_id"], json!(t.account_id));
}

#[tokio::test]
async fn pipelines_list_their_stages() {
    let t = T::start(TWO_PIPELINES).await;
    let list = t.get("/api/v4/leads/pipelines").await;
    let pipelines = list.hal()["_embedded"]["pipelines"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pipelines.len(), 2);
    let statuses: Vec<(Value, Value)> = pipelines[1]["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].clone(), s["type"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!(70021), json!(1)),
            (json!(70022), json!(0)),
            (json!(142), json!(0)),
            (json!(143), json!(0))
        ]
    );
    assert_eq!(
        t.get("/api/v4/leads/pipelines/7002").await.hal()["name"],
        "Support"
    );
    t.get("/api/v4/leads/pipelines/1").await.empty();
}

#[tokio::test]
async fn accepting_an_incoming_lead_reaches_subscribers() {
    let t = T::start("").await;
    let sub = Subscriber::start().await;
    t.post(
        "/api/v4/webhooks",
        json!({"destination": sub.url, "settings": ["delete_unsorted", "status_lead"]}),
    )
    .await;
    t.connect().await.ok();
    t.client_says("conv-1", "m-1", "Hello", None).await;
    let uid = t.get("/api/v4/leads/unsorted").await.hal()["_embedded"]["unsorted"][0]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(&format!("/api/v4/leads/unsorted/{uid}/accept"), json!({}))
        .await
        .hal();
    let form = sub.wait_for("unsorted[delete][0][action]").await;
    assert_eq!(field(&form, "unsorted[delete][0][action]"), "accept");
    assert_eq!(field(&form, "unsorted[delete][0][uid]"), uid);
    let status = sub.wait_for("leads[status][0][old_status_id]").await;
    assert_eq!(field(&status, "leads[status][0][old_status_id]"), "70011");
    assert_eq!(field(&status, "leads[status][0][status_id]"), "70012");
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_disabled() {
    let t = T::start("").await;
    let sub = Subscriber::start().await;
    let fail = sub.url.replace("/hooks", "/fail");
    t.post(
        "/api/v4/webhooks",
        json!({"destination": fail, "settings": ["add_contact"]}),
    )
    .await;
    let contacts: Vec<Value> = (0..101).map(|i| json!({"name": format!("c{i}")})).collect();
    t.post("/api/v4/contacts", json!(contacts)).await.hal();
    for _ in 0..500 {
        if t.admin_json("/_sandbox/account_webhooks").await["attempts"]
            .as_array()
            .unwrap()
            .len()
            == 101
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let log = t.admin_json("/_sandbox/account_webhooks").await;
    assert!(log["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["status"] == 500 && a["in_time"] == false));
    let hooks = t
        .get(&format!("/api/v4/webhooks?filter[destination]={fail}"))
        .await;
    assert_eq!(hooks.hal()["_embedded"]["webhooks"][0]["disabled"], true);
    let again = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": fail, "settings": ["add_contact"]}),
        )
        .await;
    assert_eq!(again.json["disabled"], false);
}

async fn attempts_reach(t: &T, n: usize) -> Vec<Value> {
    for _ in 0..500 {
        let list = t.admin_json("/_sandbox/account_webhooks").await["attempts"]
            .as_array()
            .unwrap()
            .clone();
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} account webhook attempts");
}

#[tokio::test]
async fn refused_account_webhooks_are_retried_on_the_sandbox_clock() {
    let t = T::start("").await;
    let sub = Subscriber::start().await;
    let fail = sub.url.replace("/hooks", "/fail");
    t.post(
        "/api/v4/webhooks",
        json!({"destination": fail, "settings": ["add_contact"]}),
    )
    .await;
    t.post("/api/v4/contacts", json!([{"name": "Jane"}]))
        .await
        .hal();
    attempts_reach(&t, 1).await;
    // Each retry goes out with the first request after its due time.
    for (n, wait) in [(2, 300), (3, 900), (4, 900), (5, 3600)] {
        t.sandbox().clock.advance(wait - 1);
        t.get("/api/v4/account").await.hal();
        assert_eq!(
            attempts_reach(&t, n - 1).await.len(),
            n - 1,
            "retry {n} is not due yet"
        );
        t.sandbox().clock.advance(1);
        t.get("/api/v4/account").await.hal();
        attempts_reach(&t, n).await;
    }
    t.sandbox().clock.advance(86_400);
    t.get("/api/v4/account").await.hal();
    let all = attempts_reach(&t, 5).await;
    assert_eq!(all.len(), 5, "five attempts in all");
    assert!(all
        .iter()
        .all(|a| a["request_body"] == all[0]["request_body"]));
}

/// A subscriber that holds every request until `release` turns true; counts them.
async fn held_subscriber() -> (String, Arc<AtomicUsize>, watch::Sender<bool>) {
    use axum::routing::post;
    let entered = Arc::new(AtomicUsize::new(0));
    let (release, released) = watch::channel(false);
    let e = entered.clone();
    let app = axum::Router::new().route(
        "/held",
        post(move || {
            e.fetch_add(1, SeqCst);
            let mut released = released.clone();
            async move {
                let _ = released.wait_for(|r| *r).await;
                "late"
            }
        }),
    );
    let url = format!("{}/held", listen(app).await);
    (url, entered, release)
}

/// A delivery timeout long enough that a held subscriber would visibly hold hooks.
const PATIENT: &str = "  webhook_timeout: 30\n";

async fn add_contacts(t: &T, n: usize) {
    let contacts: Vec<Value> = (0..n).map(|i| json!({"name": format!("c{i}")})).collect();
    t.post("/api/v4/contacts", json!(contacts)).await.hal();
}

async fn subscribe(t: &T, destination: &str) {
    let made = t
        .post(
            "/api/v4/webhooks",
            json!({"destination": destination, "settings": ["add_contact"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
}

#[tokio::test]
async fn a_hung_subscriber_neither_delays_a_healthy_one_nor_takes_every_connection() {
    let t = T::start(PATIENT).await;
    let (held, entered, release) = held_subscriber().await;
    let healthy = Subscriber::start().await;
    subscribe(&t, &held).await;
    subscribe(&t, &healthy.url).await;
    add_contacts(&t, 20).await;

    let got = healthy.received.clone();
    until("the healthy subscriber's 20 events", || {
        got.lock().unwrap().len() == 20
    })
    .await;
    until("the first events at the hung subscriber", || {
        entered.load(SeqCst) > 0
    })
    .await;
    let held_now = entered.load(SeqCst);
    assert!(
        (1..=PER_DESTINATION).contains(&held_now),
        "{held_now} requests at once to the hung subscriber"
    );
    let log = t.admin_json("/_sandbox/account_webhooks").await;
    let attempts = log["attempts"].as_array().unwrap();
    assert!(
        attempts.iter().all(|a| a["url"] == json!(healthy.url)),
        "{log}"
    );
    release.send_replace(true);
    until("the held events, a few at a time", || {
        entered.load(SeqCst) == 20
    })
    .await;
}

#[tokio::test]
async fn account_webhooks_take_a_redirect_as_the_answer() {
    use axum::http::{header::LOCATION, StatusCode};
    use axum::routing::post;
    let posts = Arc::new(AtomicUsize::new(0));
    let p = posts.clone();
    let app = axum::Router::new().route(
        "/again",
        post(move || {
            p.fetch_add(1, SeqCst);
            async { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, "/again")]) }
        }),
    );
    let t = T::start("").await;
    subscribe(&t, &format!("{}/again", listen(app).await)).await;
    add_contacts(&t, 1).await;
    let attempts = attempts_reach(&t, 1).await;
    assert_eq!(attempts[0]["status"], 307, "{}", attempts[0]);
    assert_eq!(attempts[0]["in_time"], false);
    assert_eq!(posts.load(SeqCst), 1, "a 307 is not POSTed again");
}

#[tokio::test]
async fn a_reset_drops_account_events_held_by_a_slow_subscriber() {
    let t = T::start(PATIENT).await;
    let (held, entered, release) = held_subscriber().await;
    subscribe(&t, &held).await;
    add_contacts(&t, 10).await;
    until("events at the slow subscriber", || entered.load(SeqCst) > 0).await;

    t.admin_post("/_sandbox/reset", &json!({})).await.ok();
    release.send_replace(true);
    let healthy = Subscriber::start().await;
    subscribe(&t, &healthy.url).await;
    add_contacts(&t, 1).await;
    healthy.wait_for("contacts[add][0][id]").await;
    let log = attempts_reach(&t, 1).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["url"], json!(healthy.url));
    assert!(
        entered.load(SeqCst) <= PER_DESTINATION,
        "events queued before the reset went out after it"
    );
}
