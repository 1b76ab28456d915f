//! web1on1: the widget API and `>cs` commands landing in the sandbox state.

use crate::common::{env, Env, WAIT};
use kommo_sandbox::domain::online_chat::ChatMeta;
use serde_json::json;

fn meta(e: &Env) -> ChatMeta {
    let w = e.server.sandbox.world();
    w.account(&e.account)
        .unwrap()
        .browser
        .online_chat
        .chats
        .iter()
        .find(|c| c.widget == "web1on1")
        .unwrap()
        .clone()
}

#[test]
fn example_site_sets_category_and_field() {
    let e = env();
    let page = e.open(
        &format!("{}/examples/web1on1-site/", e.base),
        "web1on1_site",
    );
    page.wait_until("document.body.dataset.commandsSent === 'true'", WAIT)
        .unwrap();
    let m = meta(&e);
    assert_eq!(m.category.as_deref(), Some("Used Car"));
    assert_eq!(m.fields["brand"], json!("Toyota"));
    // setPredefinedMessage pre-fills the input; the fake agent message is local only.
    assert_eq!(
        page.eval("document.querySelector('.w1-input').value")
            .unwrap(),
        json!("I want to book a test drive")
    );
    page.wait_for_text(".w1-fake", "Acme Cars: Welcome to the chat", WAIT)
        .unwrap();
    let w = e.server.sandbox.world();
    assert!(w.scopes.iter().all(|s| s
        .messages
        .iter()
        .all(|m| m.message["text"] != json!("Welcome to the chat"))));
    assert!(
        w.account(&e.account).unwrap().incoming_leads.is_empty(),
        "commands are not chat messages"
    );
    drop(w);
    page.close();
}

#[test]
fn every_command_form_and_a_malformed_one() {
    let e = env();
    let page = e.open(&format!("{}/demo/web1on1", e.base), "web1on1_commands");
    page.wait_until("typeof web1on1 === 'object'", WAIT)
        .unwrap();
    assert_eq!(page.eval("web1on1.isOpened()").unwrap(), json!(false));
    assert_eq!(
        page.eval("(web1on1.open(), web1on1.isOpened())").unwrap(),
        json!(true)
    );
    assert_eq!(
        page.eval("(web1on1.close(), web1on1.isOpened())").unwrap(),
        json!(false)
    );
    let commands = [
        ">cs .location 61be87aeafdf672d381a9db4#61be87aeafdf672d381a9db5",
        ">cs +6093490651a8b5629324ae4f",
        ">cs /set @category Used Car",
        ">cs /set isLead yes",
        ">cs /assign 62c6077ca980127f404b0301",
        ">cs /notify 605411853c68d83fd1ac7655",
        ">cs /notify",
        ">cs @6248f0083ab5d5001e523146 Hello this is for you",
    ];
    for c in commands {
        page.eval(&format!(
            "web1on1.api.sendClientMessage({})",
            serde_json::to_string(c).unwrap()
        ))
        .unwrap();
    }
    let m = meta(&e);
    assert_eq!(
        m.fields["location"],
        json!("61be87aeafdf672d381a9db4#61be87aeafdf672d381a9db5")
    );
    assert_eq!(m.forms, vec!["6093490651a8b5629324ae4f"]);
    assert_eq!(m.category.as_deref(), Some("Used Car"));
    assert_eq!(m.variables["isLead"], json!("yes"));
    assert_eq!(m.assigned_to.as_deref(), Some("62c6077ca980127f404b0301"));
    assert_eq!(
        m.notified,
        vec![Some("605411853c68d83fd1ac7655".to_string()), None]
    );
    assert_eq!(
        m.mentions,
        vec![json!({"id": "6248f0083ab5d5001e523146", "text": "Hello this is for you"})]
    );
    // A malformed command rejects, shows on the page and is kept in the state.
    let outcome = page.eval("web1on1.api.sendClientMessage('>cs /set @category').then(() => 'sent', e => e.message)").unwrap();
    assert!(
        outcome.as_str().unwrap().contains("missing value"),
        "{outcome}"
    );
    page.wait_for_text(".w1-error", "missing value", WAIT)
        .unwrap();
    assert_eq!(meta(&e).command_errors.len(), 1);
    // Ordinary text is a visitor message: contact, incoming lead, notification.
    page.eval("web1on1.api.sendClientMessage('Hello')").unwrap();
    page.wait_for_text(".w1-client", "Hello", WAIT).unwrap();
    assert_eq!(
        e.server
            .sandbox
            .world()
            .account(&e.account)
            .unwrap()
            .incoming_leads
            .len(),
        1
    );
    assert!(e.sdk_calls("web1on1.api.sendClientMessage").len() >= 10);
    page.close();
}
