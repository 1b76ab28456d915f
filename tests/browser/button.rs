//! The website chat button: loaders, queue, config, methods, callbacks, the
//! chat as a real client of the sandbox, and the online chatbot.

use crate::common::{env, WAIT};
use kommo_sandbox::browser::driver::button_page_url;
use serde_json::{json, Value};

fn events(page: &kommo_sandbox::browser::driver::Page, name: &str) -> Vec<Value> {
    let v = page
        .eval(&format!(
            "window.sandboxEvents.filter(e => e.event === '{name}').map(e => e.args)"
        ))
        .unwrap();
    serde_json::from_value(v).unwrap()
}

#[test]
fn kommo_button_visitor_message_reaches_the_crm_and_reply_comes_back() {
    let e = env();
    let url = button_page_url(
        &e.base,
        "kommo",
        &json!({"color": "#000"}),
        &json!([]),
        &json!([["runChatShow"]]),
    );
    let page = e.open(&url, "kommo_button_roundtrip");
    page.wait_for_element(".ksb-chat", WAIT).unwrap();
    // The queued runChatShow ran after onChatReady; callbacks had no arguments, onConversationsChange got `false`.
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatShow')",
        WAIT,
    )
    .unwrap();
    let order: Vec<String> =
        serde_json::from_value(page.eval("window.sandboxEvents.map(e => e.event)").unwrap())
            .unwrap();
    let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
    assert!(pos("onChatReady") < pos("onChatShow"), "{order:?}");
    assert_eq!(events(&page, "onChatReady"), vec![json!([])]);
    assert_eq!(events(&page, "onChatShow"), vec![json!([])]);
    assert_eq!(events(&page, "onChatShow|onChatHide"), vec![json!([])]);
    assert_eq!(events(&page, "onConversationsChange"), vec![json!([false])]);
    assert_eq!(
        page.eval("document.querySelector('#amobutton').getAttribute('data-color')")
            .unwrap(),
        json!("#000")
    );

    page.type_into(".ksb-input", "Hello from the site").unwrap();
    page.click(".ksb-send").unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Sent", WAIT)
        .unwrap();
    e.wait_state("incoming lead", |w| {
        w.account(&e.account).unwrap().incoming_leads.len() == 1
    });
    {
        let w = e.server.sandbox.world();
        let a = w.account(&e.account).unwrap();
        assert_eq!(a.contacts.len(), 1);
        assert_eq!(
            a.incoming_leads[0].last_message_text.as_deref(),
            Some("Hello from the site")
        );
        assert!(a
            .notifications
            .iter()
            .any(|n| n.kind == "incoming_message" && n.text.ends_with(": Hello from the site")));
    }
    let visitor = page
        .eval("window.__kommoSandboxButtons.crmPlugin.visitor")
        .unwrap();
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    let (status, _) = e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Hi, how can I help?", "user_id": user.id}),
    );
    assert_eq!(status, 200);
    page.wait_for_text(".ksb-in .ksb-text", "Hi, how can I help?", WAIT)
        .unwrap();
    page.wait_for_text(".ksb-in .ksb-author", &user.name, WAIT)
        .unwrap();
    // The visitor's message now shows as read; the open chat marked the reply read in the sandbox.
    page.wait_for_text(".ksb-out .ksb-status", "Read", WAIT)
        .unwrap();
    e.wait_state("reply read", |w| {
        let scope = w
            .scopes
            .iter()
            .find(|s| s.channel_id != kommo_sandbox::config::DEMO_CHANNEL_ID)
            .unwrap();
        scope
            .messages
            .iter()
            .any(|m| m.current_status().map(|s| s.status.as_str()) == Some("read"))
    });
    assert!(e.sdk_calls("crmPlugin.runChatShow").len() == 1);
    page.close();
}

#[test]
fn amocrm_loader_button_click_ru_locale_overrides_and_hide() {
    let e = env();
    let config =
        json!({"onlinechat": {"locale": {"extends": "ru", "powered_by": "Сделано в песочнице"}}});
    let page = e.open(
        &button_page_url(&e.base, "amocrm", &config, &json!([]), &json!([])),
        "amocrm_button",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatReady')",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        page.eval("typeof window.amo_social_button.setMeta")
            .unwrap(),
        json!("function")
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#amo_social_button_script').length")
            .unwrap(),
        json!(1)
    );
    page.click("#amobutton").unwrap();
    page.click("[data-service=telegram]").unwrap();
    // onButtonClick(service, link)
    assert_eq!(
        events(&page, "onButtonClick"),
        vec![json!(["telegram", "https://t.me/sandbox_bot"])]
    );
    page.click("[data-service=online_chat]").unwrap();
    page.wait_for_element(".ksb-chat", WAIT).unwrap();
    assert_eq!(
        page.eval("document.querySelector('.ksb-input').placeholder")
            .unwrap(),
        json!("Написать сообщение...")
    );
    page.wait_for_text(".ksb-powered", "Сделано в песочнице", WAIT)
        .unwrap();
    page.eval("amoSocialButton('runChatHide')").unwrap();
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatHide')",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        page.eval("document.querySelector('.ksb-chat').hidden")
            .unwrap(),
        json!(true)
    );
    assert_eq!(events(&page, "onChatShow|onChatHide").len(), 2);
    assert_eq!(e.sdk_calls("amoSocialButton.runChatHide").len(), 1);
    page.close();
}

#[test]
fn locales_extend_en_es_pt() {
    let e = env();
    for (locale, placeholder) in [
        ("en", "Write a message..."),
        ("es", "Escribe un mensaje..."),
        ("pt", "Escreva uma mensagem..."),
    ] {
        let config = json!({"onlinechat": {"locale": {"extends": locale}}});
        let page = e.open(
            &button_page_url(
                &e.base,
                "kommo",
                &config,
                &json!([]),
                &json!([["runChatShow"]]),
            ),
            "locales",
        );
        page.wait_for_element(".ksb-input", WAIT).unwrap();
        assert_eq!(
            page.eval("document.querySelector('.ksb-input').placeholder")
                .unwrap(),
            json!(placeholder)
        );
        page.close();
    }
}

#[test]
fn frame_mode_theme_hidden_button_and_unread_counter() {
    let e = env();
    let config = json!({"hidden": true, "onlinechat": {"mode": "frame", "container": "#custom_chat_holder",
        "theme": {"header": false, "background": "yellow", "compose": {"height": 400, "button_background": "black"},
                  "message": {"incoming_background": "blue", "incoming_color": "white"}}}});
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &config,
            &json!([]),
            &json!([["runChatShow"]]),
        ),
        "frame_mode",
    );
    page.wait_for_element("#custom_chat_holder .ksb-chat", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('amobutton')).display")
            .unwrap(),
        json!("none")
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.ksb-header').length")
            .unwrap(),
        json!(0)
    );
    assert_eq!(
        page.eval("document.querySelector('.ksb-compose').dataset.height")
            .unwrap(),
        json!("170")
    );
    assert_eq!(
        page.eval("document.querySelector('.ksb-chat').style.background")
            .unwrap(),
        json!("yellow")
    );
    page.type_into(".ksb-input", "Is this in stock?").unwrap();
    page.press_key("Enter").unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Sent", WAIT)
        .unwrap();
    page.eval("crmPlugin('runChatHide')").unwrap();
    let visitor = page
        .eval("window.__kommoSandboxButtons.crmPlugin.visitor")
        .unwrap();
    e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Yes, it is"}),
    );
    e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Two left"}),
    );
    page.wait_until(
        "document.querySelector('.ksb-unread').textContent === '2'",
        WAIT,
    )
    .unwrap();
    // Frame mode: only the counter, no pop-up preview by the button.
    assert_eq!(
        page.eval("document.querySelector('.ksb-preview').hidden")
            .unwrap(),
        json!(true)
    );
    page.eval("crmPlugin('runChatShow')").unwrap();
    page.wait_until("document.querySelector('.ksb-unread').hidden", WAIT)
        .unwrap();
    page.wait_for_text(".ksb-in .ksb-text", "Two left", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("document.querySelector('.ksb-in').style.background")
            .unwrap(),
        json!("blue")
    );
    page.close();
}

#[test]
fn widget_mode_pops_a_preview_of_a_reply() {
    let e = env();
    let page = e.open(
        &button_page_url(&e.base, "kommo", &Value::Null, &json!([]), &json!([])),
        "widget_preview",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatReady')",
        WAIT,
    )
    .unwrap();
    let visitor = page
        .eval("window.__kommoSandboxButtons.crmPlugin.visitor")
        .unwrap();
    e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Can we help?"}),
    );
    page.wait_for_text(".ksb-preview", "Can we help?", WAIT)
        .unwrap();
    page.wait_until(
        "document.querySelector('.ksb-unread').textContent === '1'",
        WAIT,
    )
    .unwrap();
    page.close();
}

#[test]
fn same_user_id_in_two_browser_contexts_shares_the_history() {
    let e = env();
    let config = json!({"onlinechat": {"user_id": "abc123"}});
    let url = button_page_url(
        &e.base,
        "kommo",
        &config,
        &json!([]),
        &json!([["runChatShow"]]),
    );
    let phone = e.open(&url, "user_id_one");
    phone.wait_for_element(".ksb-input", WAIT).unwrap();
    phone.type_into(".ksb-input", "Sent from my phone").unwrap();
    phone.click(".ksb-send").unwrap();
    phone
        .wait_for_text(".ksb-out .ksb-status", "Sent", WAIT)
        .unwrap();
    let laptop = e.open(&url, "user_id_two");
    laptop
        .wait_for_text(".ksb-out .ksb-text", "Sent from my phone", WAIT)
        .unwrap();
    let anonymous = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &Value::Null,
            &json!([]),
            &json!([["runChatShow"]]),
        ),
        "user_id_none",
    );
    anonymous.wait_for_element(".ksb-messages", WAIT).unwrap();
    anonymous
        .wait_until("window.__kommoSandboxButtons.crmPlugin.view", WAIT)
        .unwrap();
    assert_eq!(
        anonymous
            .eval("document.querySelectorAll('.ksb-message').length")
            .unwrap(),
        json!(0)
    );
    for p in [phone, laptop, anonymous] {
        p.close();
    }
}

#[test]
fn run_destroy_removes_the_instance() {
    let e = env();
    let page = e.open(
        &button_page_url(&e.base, "kommo", &Value::Null, &json!([]), &json!([])),
        "destroy",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatReady')",
        WAIT,
    )
    .unwrap();
    page.eval("crmPlugin('runDestroy')").unwrap();
    page.wait_until("!document.getElementById('amo-livechat')", WAIT)
        .unwrap();
    // Calls after the destroy are queued for the next instance, as with the loader's stub.
    page.eval("crmPlugin('runChatShow')").unwrap();
    assert_eq!(page.eval("crmPlugin.q.length").unwrap(), json!(1));
    assert_eq!(e.sdk_calls("crmPlugin.runDestroy").len(), 1);
    page.close();
}

#[test]
fn conversations_change_carries_the_documented_shape() {
    let e = env();
    e.post(
        &e.account_path("/online_chat/button"),
        json!({"multi_conversations": true}),
    );
    let page = e.open(
        &button_page_url(&e.base, "kommo", &Value::Null, &json!([]), &json!([])),
        "conversations_change",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatReady')",
        WAIT,
    )
    .unwrap();
    let visitor = page
        .eval("window.__kommoSandboxButtons.crmPlugin.visitor")
        .unwrap();
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Hello", "user_id": user.id}),
    );
    let expr = "window.sandboxEvents.filter(e => e.event === 'onConversationsChange').map(e => e.args[0]).find(c => c && c[0].last_message)";
    let convs = page.wait_until(expr, WAIT).unwrap();
    let c = &convs[0];
    assert!(c["name"].as_str().unwrap().starts_with('A'));
    assert_eq!(c["is_closed"], json!(false));
    let m = &c["last_message"];
    assert_eq!(
        (m["text"].clone(), m["type"].clone(), m["is_out"].clone()),
        (json!("Hello"), json!("text"), json!(false))
    );
    assert_eq!(m["author"], json!({"name": user.name}));
    assert!(
        m["created_at"].as_i64().unwrap() > 1_600_000_000_000,
        "milliseconds: {m}"
    );
    page.close();
}

#[test]
fn a_manager_reply_through_the_message_action_reaches_the_window() {
    let e = env();
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &Value::Null,
            &json!([]),
            &json!([["runChatShow"]]),
        ),
        "action_reply",
    );
    page.wait_for_element(".ksb-input", WAIT).unwrap();
    page.type_into(".ksb-input", "Anyone there?").unwrap();
    page.click(".ksb-send").unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Sent", WAIT)
        .unwrap();
    let chat_id = page
        .eval("window.__kommoSandboxButtons.crmPlugin.conversationId")
        .unwrap();
    let (status, body) = e.post(
        &e.account_path("/actions/message"),
        json!({"chat_id": chat_id, "text": "Yes, here"}),
    );
    assert_eq!(status, 200, "{body}");
    page.wait_for_text(".ksb-in .ksb-text", "Yes, here", WAIT)
        .unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Read", WAIT)
        .unwrap();
    page.close();
}

#[test]
fn calls_queued_before_the_script_loads_run_in_order() {
    let e = env();
    let queue = json!([
        ["sendKeyActionHook", "first"],
        ["runChatShow"],
        ["sendKeyActionHook", "second"],
        ["runChatHide"]
    ]);
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &Value::Null,
            &json!([{"bot_params": {"plan": "pro"}}]),
            &queue,
        ),
        "queue_order",
    );
    page.wait_until(
        "window.sandboxEvents.some(e => e.event === 'onChatHide')",
        WAIT,
    )
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
    let methods: Vec<String> = e
        .sdk_calls("crmPlugin.")
        .iter()
        .map(|c| c["method"].as_str().unwrap().to_string())
        .filter(|m| m != "crmPlugin.setMeta")
        .collect();
    assert_eq!(
        methods,
        [
            "crmPlugin.sendKeyActionHook",
            "crmPlugin.runChatShow",
            "crmPlugin.sendKeyActionHook",
            "crmPlugin.runChatHide"
        ]
    );
    let hooks: Vec<String> = e
        .server
        .sandbox
        .world()
        .account(&e.account)
        .unwrap()
        .browser
        .online_chat
        .key_action_hooks
        .iter()
        .map(|h| h.hook.clone())
        .collect();
    assert_eq!(hooks, ["first", "second"]);
    // setMeta after the chat is ready reaches the conversation too.
    page.eval("crm_plugin.setMeta({bot_params: {plan: 'max'}})")
        .unwrap();
    e.wait_state("late setMeta", |w| {
        w.account(&e.account).unwrap().browser.online_chat.chats[0].bot_params["plan"]
            == json!("max")
    });
    assert_eq!(page.eval("crm_plugin.params.length").unwrap(), json!(2));
    page.close();
}

#[test]
fn set_meta_contact_and_lead_data_reach_the_crm() {
    let e = env();
    let meta = json!([{"contact": {"name": "Maria Silva", "custom_fields": [{"id": 1, "values": [{"value": "utm"}]}]}, "lead": {"name": "Website order", "sale": 1500}}]);
    let page = e.open(
        &button_page_url(
            &e.base,
            "amocrm",
            &Value::Null,
            &meta,
            &json!([["runChatShow"]]),
        ),
        "set_meta_crm",
    );
    page.wait_for_element(".ksb-input", WAIT).unwrap();
    page.type_into(".ksb-input", "I'd like to order").unwrap();
    page.click(".ksb-send").unwrap();
    e.wait_state("lead", |w| !w.account(&e.account).unwrap().leads.is_empty());
    let w = e.server.sandbox.world();
    let a = w.account(&e.account).unwrap();
    assert_eq!(a.contacts[0].name, "Maria Silva");
    assert_eq!(
        (a.leads[0].name.as_str(), a.leads[0].price),
        ("Website order", 1500)
    );
    assert!(a
        .notifications
        .iter()
        .any(|n| n.text == "Maria Silva: I'd like to order"));
    drop(w);
    page.close();
}

#[test]
fn a_hidden_button_still_opens_its_chat_in_widget_mode() {
    let e = env();
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &json!({"hidden": true}),
            &json!([]),
            &json!([["runChatShow"]]),
        ),
        "hidden_widget",
    );
    page.wait_for_element(".ksb-chat", WAIT).unwrap();
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('amobutton')).display")
            .unwrap(),
        json!("none")
    );
    assert_eq!(
        page.eval("document.querySelector('.ksb-chat').getBoundingClientRect().height > 0")
            .unwrap(),
        json!(true)
    );
    page.close();
}

#[test]
fn a_failed_send_shows_the_error_status_and_formats_follow_the_locale() {
    let e = env();
    let config = json!({"onlinechat": {"locale": {"extends": "en", "date_format": "yyyy/MM", "time_format": "HH", "delivery_status_error": "Not sent"}}});
    let page = e.open(
        &button_page_url(
            &e.base,
            "kommo",
            &config,
            &json!([]),
            &json!([["runChatShow"]]),
        ),
        "send_error",
    );
    page.wait_for_element(".ksb-input", WAIT).unwrap();
    // The sandbox becomes unreachable under the page: the next send fails.
    // (An unknown account id no longer fails: the first account serves it.)
    page.eval("window.__kommoSandboxButtons.crmPlugin.base = 'http://127.0.0.1:9'")
        .unwrap();
    page.type_into(".ksb-input", "Hello?").unwrap();
    page.click(".ksb-send").unwrap();
    page.wait_for_text(".ksb-out .ksb-status[data-status=error]", "Not sent", WAIT)
        .unwrap();
    let meta = page.texts(".ksb-out .ksb-meta").unwrap();
    let re = regex::Regex::new(r"^\d{4}/\d{2} \d{2} ").unwrap();
    assert!(re.is_match(&meta[0]), "{meta:?}");
    page.close();
}
