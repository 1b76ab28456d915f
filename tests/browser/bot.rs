//! The online chatbot: setMeta bot_params, `{{bot_params.x}}` in the welcome,
//! first-step conditions with an else branch, key-action hooks.

use crate::common::{env, Env, WAIT};
use kommo_sandbox::browser::assets;
use kommo_sandbox::browser::driver::button_page_url;
use serde_json::{json, Value};

fn set_example_bot(e: &Env) {
    let bot: Value =
        serde_json::from_str(assets::file("examples/greeting-site/bot.json").unwrap()).unwrap();
    let (status, body) = e.post(&e.account_path("/online_chat/bot"), bot);
    assert_eq!(status, 200, "{body}");
}

fn bot_runs(e: &Env) -> Vec<Value> {
    let w = e.server.sandbox.world();
    w.account(&e.account)
        .unwrap()
        .browser
        .online_chat
        .chats
        .iter()
        .flat_map(|c| c.bot_runs.clone())
        .collect()
}

#[test]
fn bot_takes_the_branch_of_each_locale() {
    let e = env();
    set_example_bot(&e);
    let es = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &Value::Null,
            &json!([{"bot_params": {"username": "Ana", "locale": "es"}}]),
            &json!([["runChatShow"]]),
        ),
        "bot_es",
    );
    es.wait_for_text(".ksb-in .ksb-text", "Hello, Ana!", WAIT)
        .unwrap();
    es.wait_for_text(".ksb-in .ksb-text", "¿En qué podemos ayudarte?", WAIT)
        .unwrap();
    let en = e.open(
        &button_page_url(
            &e.base,
            "amocrm",
            &Value::Null,
            &json!([{"bot_params": {"username": "Bob", "locale": "en"}}]),
            &json!([["runChatShow"]]),
        ),
        "bot_en",
    );
    en.wait_for_text(".ksb-in .ksb-text", "Hello, Bob!", WAIT)
        .unwrap();
    en.wait_for_text(".ksb-in .ksb-text", "How can we help you today?", WAIT)
        .unwrap();
    assert_eq!(
        en.eval("document.querySelectorAll('.ksb-in').length")
            .unwrap(),
        json!(2)
    );
    let runs = bot_runs(&e);
    let branch_of = |name: &str| {
        runs.iter()
            .find(|r| r["bot_params"]["username"] == json!(name))
            .unwrap()["branch"]
            .clone()
    };
    assert_eq!(branch_of("Ana"), json!(0));
    assert_eq!(branch_of("Bob"), json!("else"));
    // setMeta payloads are kept on the chat as given.
    let w = e.server.sandbox.world();
    let chats = &w.account(&e.account).unwrap().browser.online_chat.chats;
    assert!(chats
        .iter()
        .any(|c| c.meta == vec![json!({"bot_params": {"username": "Ana", "locale": "es"}})]));
    drop(w);
    es.close();
    en.close();
}

#[test]
fn key_action_hook_is_recorded_and_starts_its_flow() {
    let e = env();
    set_example_bot(&e);
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &Value::Null,
            &json!([{"bot_params": {"username": "Ana"}}]),
            &json!([]),
        ),
        "key_action",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatReady')",
        WAIT,
    )
    .unwrap();
    page.eval("crmPlugin('sendKeyActionHook', 'Pricing page')")
        .unwrap();
    e.wait_state("key action hook", |w| {
        !w.account(&e.account)
            .unwrap()
            .browser
            .online_chat
            .key_action_hooks
            .is_empty()
    });
    page.eval("crmPlugin('sendKeyActionHook', 'Unknown hook')")
        .unwrap();
    e.wait_state("second hook", |w| {
        w.account(&e.account)
            .unwrap()
            .browser
            .online_chat
            .key_action_hooks
            .len()
            == 2
    });
    let hooks = e
        .server
        .sandbox
        .world()
        .account(&e.account)
        .unwrap()
        .browser
        .online_chat
        .key_action_hooks
        .clone();
    assert_eq!(
        (hooks[0].hook.as_str(), hooks[0].started_bot),
        ("Pricing page", true)
    );
    assert_eq!(
        (hooks[1].hook.as_str(), hooks[1].started_bot),
        ("Unknown hook", false)
    );
    page.eval("crmPlugin('runChatShow')").unwrap();
    page.wait_for_text(
        ".ksb-in .ksb-text",
        "Looking at prices, Ana? Ask us anything.",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        e.sdk_calls("crmPlugin.sendKeyActionHook")[0]["args"],
        json!(["Pricing page"])
    );
    page.close();
}

#[test]
fn greeting_site_example_greets_the_visitor_by_name() {
    let e = env();
    set_example_bot(&e);
    let page = e.open(
        &format!("{}/examples/greeting-site/", e.base),
        "greeting_site",
    );
    page.wait_for_text(".ksb-in .ksb-text", "Hello, Maria!", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("document.querySelector('.ksb-input').placeholder")
            .unwrap(),
        json!("Ask us anything...")
    );
    page.close();
}

#[test]
fn a_bad_bot_condition_is_refused() {
    let e = env();
    let (status, body) = e.post(
        &e.account_path("/online_chat/bot"),
        json!({"branches": [{"conditions": "[{", "say": ["x"]}]}),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("branch 0"),
        "{body}"
    );
}
