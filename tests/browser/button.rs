//! The website chat button: loaders, queue, config, methods, callbacks, the
//! chat as a real client of the sandbox, and the online chatbot.

use crate::common::{env, WAIT};
use kommo_sandbox::browser::driver::button_page_url;
use serde_json::{json, Value};

fn events(page: &kommo_sandbox::browser::driver::Page, name: &str) -> Vec<Value> {
    let v = page.eval(&format!("window.sandboxEvents.filter(e => e.event === '{name}').map(e => e.args)")).unwrap();
    serde_json::from_value(v).unwrap()
}

#[test]
fn kommo_button_visitor_message_reaches_the_crm_and_reply_comes_back() {
    let e = env();
    let url = button_page_url(&e.base, "kommo", &json!({"color": "#000"}), &json!([]), &json!([["runChatShow"]]));
    let page = e.open(&url, "kommo_button_roundtrip");
    page.wait_for_element(".ksb-chat", WAIT).unwrap();
    // The queued runChatShow ran after onChatReady; callbacks had no arguments, onConversationsChange got `false`.
    page.wait_until("window.sandboxEvents.some(e => e.event === 'onChatShow')", WAIT).unwrap();
    let order: Vec<String> = serde_json::from_value(page.eval("window.sandboxEvents.map(e => e.event)").unwrap()).unwrap();
    let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
    assert!(pos("onChatReady") < pos("onChatShow"), "{order:?}");
    assert_eq!(events(&page, "onChatReady"), vec![json!([])]);
    assert_eq!(events(&page, "onChatShow"), vec![json!([])]);
    assert_eq!(events(&page, "onChatShow|onChatHide"), vec![json!([])]);
    assert_eq!(events(&page, "onConversationsChange"), vec![json!([false])]);
    assert_eq!(page.eval("document.querySelector('#amobutton').getAttribute('data-color')").unwrap(), json!("#000"));

    page.type_into(".ksb-input", "Hello from the site").unwrap();
    page.click(".ksb-send").unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Sent", WAIT).unwrap();
    e.wait_state("incoming lead", |w| w.account(&e.account).unwrap().incoming_leads.len() == 1);
    {
        let w = e.server.sandbox.world();
        let a = w.account(&e.account).unwrap();
        assert_eq!(a.contacts.len(), 1);
        assert_eq!(a.incoming_leads[0].last_message_text.as_deref(), Some("Hello from the site"));
        assert!(a.notifications.iter().any(|n| n.kind == "incoming_message" && n.text.ends_with(": Hello from the site")));
    }
    let visitor = page.eval("window.__kommoSandboxButtons.crmPlugin.visitor").unwrap();
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    let (status, _) = e.post(&e.account_path("/online_chat/reply"), json!({"visitor": visitor, "text": "Hi, how can I help?", "user_id": user.id}));
    assert_eq!(status, 200);
    page.wait_for_text(".ksb-in .ksb-text", "Hi, how can I help?", WAIT).unwrap();
    page.wait_for_text(".ksb-in .ksb-author", &user.name, WAIT).unwrap();
    // The visitor's message now shows as read; the open chat marked the reply read in the sandbox.
    page.wait_for_text(".ksb-out .ksb-status", "Read", WAIT).unwrap();
    e.wait_state("reply read", |w| {
        let scope = w.scopes.iter().find(|s| s.channel_id != kommo_sandbox::config::DEMO_CHANNEL_ID).unwrap();
        scope.messages.iter().any(|m| m.current_status().map(|s| s.status.as_str()) == Some("read"))
    });
    assert!(e.sdk_calls("crmPlugin.runChatShow").len() == 1);
    page.close();
}
