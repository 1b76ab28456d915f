//! The widget host: APP/AMOCRM, the widget lifecycle, notifications and the JS SDK.

use crate::common::{env, Env, WAIT};
use kommo_sandbox::browser::driver::{widget_host_url, Page};
use serde_json::{json, Value};

fn open_voip(e: &Env, area: &str, card: Option<i64>, settings: Value, name: &str) -> Page {
    let url = widget_host_url(&e.base, "voip-widget", area, card, &settings);
    crate::common::open_widget_page(e, &url, name)
}

fn lifecycle(page: &Page) -> Vec<String> {
    serde_json::from_value(
        page.eval("window.sandboxLifecycle.filter(l => l.called).map(l => l.callback)")
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn voip_widget_raises_add_error_and_add_call() {
    let e = env();
    let page = open_voip(&e, "lcard", Some(4242), json!({"login": "agent"}), "voip");
    assert_eq!(lifecycle(&page), vec!["render", "init", "bind_actions"]);
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    page.wait_for_text(".voip-panel", &format!("{} · lcard #4242", user.name), WAIT)
        .unwrap();
    // init: no PBX server configured → add_error, stored, then `done` with the id and `always`.
    page.wait_until("window.voipErrorAlways === true", WAIT)
        .unwrap();
    let result = page.eval("window.voipErrorResult").unwrap();
    assert_eq!(result["outcome"], json!("done"));
    {
        let w = e.server.sandbox.world();
        let n = w
            .account(&e.account)
            .unwrap()
            .notifications
            .iter()
            .find(|n| n.kind == "error")
            .unwrap()
            .clone();
        assert_eq!(json!(n.id), result["id"]);
        assert_eq!(n.text, "voip-widget: <p>Cannot reach the PBX server</p>");
    }
    page.click("#voip_call").unwrap();
    page.wait_for_text(
        ".notification[data-kind=call]",
        "Sandbox VoIP: Incoming call",
        WAIT,
    )
    .unwrap();
    e.wait_state("call notification", |w| {
        w.account(&e.account)
            .unwrap()
            .notifications
            .iter()
            .any(|n| n.kind == "call")
    });
    // The notification centre keeps every field add_call was given.
    {
        let w = e.server.sandbox.world();
        let stored = w
            .account(&e.account)
            .unwrap()
            .notifications
            .iter()
            .find(|n| n.kind == "call")
            .unwrap()
            .params
            .clone()
            .unwrap();
        assert_eq!(stored["from"], json!("+7 (999) 111 22 33"));
        assert_eq!(stored["to"], json!(user.name));
        assert_eq!(stored["duration"], json!(65));
        assert_eq!(stored["link"], json!("https://example.com/dialog.mp3"));
        assert_eq!(stored["element"], json!({"id": 4242, "type": "lead"}));
    }
    let call = &e.sdk_calls("APP.notifications.add_call")[0]["args"][0];
    assert_eq!(call["from"], json!("+7 (999) 111 22 33"));
    assert_eq!(call["duration"], json!(65));
    assert_eq!(call["element"], json!({"id": 4242, "type": "lead"}));
    assert!(call["date"].as_i64().unwrap() > 1_600_000_000);
    let err = &e.sdk_calls("APP.notifications.add_error")[0]["args"];
    assert_eq!(
        err[1],
        json!({"done": "[function]", "fail": "[function]", "always": "[function]"})
    );
    page.close();
}

#[test]
fn add_error_fail_callback_when_the_centre_is_down() {
    let e = env();
    e.post(
        &e.account_path("/browser"),
        json!({"notifications_fail": true}),
    );
    let page = open_voip(&e, "lcard", Some(1), json!({}), "voip_fail");
    page.wait_until("window.voipErrorAlways === true", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("window.voipErrorResult.outcome").unwrap(),
        json!("fail")
    );
    assert!(e
        .server
        .sandbox
        .world()
        .account(&e.account)
        .unwrap()
        .notifications
        .iter()
        .all(|n| n.kind != "error"));
    page.close();
}

#[test]
fn app_globals_constants_and_areas() {
    let e = env();
    let page = open_voip(&e, "lcard", None, json!({"server": "pbx"}), "globals");
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    assert_eq!(
        page.eval("window.APP === window.AMOCRM").unwrap(),
        json!(true)
    );
    assert_eq!(
        page.eval("APP.constant('user').id").unwrap(),
        json!(user.id)
    );
    assert_eq!(
        page.eval("APP.constant('user').login").unwrap(),
        json!(user.email)
    );
    assert_eq!(
        page.eval("APP.constant('user').amojo_id").unwrap(),
        json!(user.amojo_id)
    );
    assert_eq!(
        page.eval(&format!("APP.constant('managers')['{}'].title", user.id))
            .unwrap(),
        json!(user.name)
    );
    assert_eq!(
        page.eval("APP.constant('account').amojo_id").unwrap(),
        json!(e.account)
    );
    assert_eq!(
        page.eval("APP.constant('no_such_key')").unwrap(),
        json!(false)
    );
    assert_eq!(
        page.eval("(APP.constant('mine', 7), APP.constant('mine'))")
            .unwrap(),
        json!(7)
    );
    assert_eq!(page.eval("[APP.getBaseEntity(), APP.isCard(), APP.getWidgetsArea(), APP.data.current_card.id, APP.lang_id]").unwrap(), json!(["leads", true, "leads", 0, "en"]));
    assert_eq!(
        page.eval("window.sandboxWidget.system().area").unwrap(),
        json!("lcard")
    );
    assert_eq!(
        page.eval("window.sandboxWidget.get_settings().widget_code")
            .unwrap(),
        json!("voip-widget")
    );
    assert_eq!(
        page.eval("window.sandboxWidget.i18n('widget').name")
            .unwrap(),
        json!("Sandbox VoIP")
    );
    page.close();
    let list = open_voip(&e, "llist", None, json!({"server": "pbx"}), "globals_list");
    assert_eq!(
        list.eval("[APP.isCard(), APP.data.current_card]").unwrap(),
        json!([false, false])
    );
    list.close();
}

#[test]
fn show_user_status_in_its_three_forms_and_the_fallback() {
    let e = env();
    let users: Vec<i64> = e.server.sandbox.world().accounts[0]
        .users
        .iter()
        .map(|u| u.id)
        .collect();
    let id = users[0];
    e.post(
        &e.account_path(&format!("/users/{id}")),
        json!({"online": true}),
    );
    let page = open_voip(&e, "lcard", None, json!({"server": "pbx"}), "user_status");
    assert_eq!(
        page.eval("APP.sdk.showUserStatus()").unwrap()[id.to_string()],
        json!({"id": id, "online": true})
    );
    assert_eq!(
        page.eval("APP.sdk.showUserStatus('online')").unwrap(),
        json!([id])
    );
    assert_eq!(
        page.eval(&format!("APP.sdk.showUserStatus({id})")).unwrap(),
        json!(true)
    );
    // A scenario turns the user offline: the SDK sees it at once.
    e.post(
        &e.account_path(&format!("/users/{id}")),
        json!({"online": false}),
    );
    assert_eq!(
        page.eval(&format!("APP.sdk.showUserStatus({id})")).unwrap(),
        json!(false)
    );
    assert_eq!(
        page.eval("APP.sdk.showUserStatus('online')").unwrap(),
        json!([])
    );
    // Unknown id or misspelt flag: the full map, no exception.
    let fallback = page.eval("APP.sdk.showUserStatus('onlin')").unwrap();
    assert_eq!(fallback.as_object().unwrap().len(), users.len());
    assert_eq!(
        page.eval("APP.sdk.showUserStatus(999999)").unwrap(),
        fallback
    );
    assert_eq!(
        page.eval("(APP.sdk.setCallingStatus(true), APP.sdk.getCallingStatus())")
            .unwrap(),
        json!(true)
    );
    assert!(
        e.server
            .sandbox
            .world()
            .account(&e.account)
            .unwrap()
            .browser
            .calling_status
    );
    assert_eq!(
        page.eval("(APP.sdk.setCallingStatus(false), APP.sdk.getCallingStatus())")
            .unwrap(),
        json!(false)
    );
    page.eval("window.KommoSandbox.idle()").unwrap();
    let forms: Vec<Value> = e
        .sdk_calls("APP.sdk.showUserStatus")
        .iter()
        .map(|c| c["args"].clone())
        .collect();
    assert_eq!(forms[..3], [json!([]), json!(["online"]), json!([id])]);
    page.close();
}

#[test]
fn settings_save_destroy_and_list_selection() {
    let e = env();
    let page = open_voip(&e, "llist", None, json!({"server": "pbx"}), "settings");
    page.click("#host_settings").unwrap();
    page.wait_for_text(".modal .voip-settings", "PBX server", WAIT)
        .unwrap();
    // `login` is required: an empty one keeps the modal open and marks the field.
    page.click(".modal .js-widget-save").unwrap();
    page.wait_for_element(".modal [data-field=login].validate-has-error", WAIT)
        .unwrap();
    page.type_into(".modal input[name=login]", "agent").unwrap();
    page.click(".modal .js-widget-save").unwrap();
    page.wait_until(
        "window.sandboxLifecycle.some(l => l.callback === 'onSave:resolved' && l.result === true)",
        WAIT,
    )
    .unwrap();
    page.wait_until("!document.querySelector('.modal')", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("window.sandboxWidget.get_settings().server")
            .unwrap(),
        json!("pbx")
    );
    page.click("#host_list_action").unwrap();
    page.wait_for_text(".notification[data-kind=show_message]", "0 selected", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("document.querySelectorAll('#notifications_phone [data-ns=voip]').length")
            .unwrap(),
        json!(1)
    );
    page.click("#host_destroy").unwrap();
    page.wait_until(
        "document.querySelectorAll('#notifications_phone [data-ns=voip]').length === 0",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        lifecycle(&page),
        vec![
            "render",
            "init",
            "bind_actions",
            "settings",
            "onSave",
            "leads.selected",
            "destroy"
        ]
    );
    page.close();
}

#[test]
fn a_registered_folder_whose_render_returns_false_skips_init() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("skipper");
    std::fs::create_dir_all(widget.join("i18n")).unwrap();
    std::fs::write(widget.join("manifest.json"), r#"{"widget": {"name": "widget.name", "interface_version": 2, "locale": ["en"]}, "locations": ["lcard-1"]}"#).unwrap();
    std::fs::write(
        widget.join("i18n/en.json"),
        r#"{"widget": {"name": "Skipper"}}"#,
    )
    .unwrap();
    std::fs::write(
        widget.join("script.js"),
        "define(['jquery', 'underscore', 'twigjs'], function ($, _, twig) { return function () { var self = this;\n\
         this.callbacks = { render: function () { window.rendered = twig.twig({data: '<b>{{ n }}</b>'}).render({n: self.i18n('widget').name}); return APP.data.current_card.id !== 0; },\n\
         init: function () { return true; }, bind_actions: function () { return true; } }; return this; }; });",
    )
    .unwrap();
    let (status, body) = e.post("/_sandbox/widgets", json!({"path": widget}));
    assert_eq!(status, 201, "{body}");
    let page = e.open(
        &widget_host_url(&e.base, "skipper", "lcard", None, &json!({})),
        "skipper",
    );
    page.wait_until("document.body.dataset.widgetReady", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("window.rendered").unwrap(),
        json!("<b>Skipper</b>")
    );
    assert_eq!(lifecycle(&page), vec!["render"]);
    page.close();
}

#[test]
fn ui_only_notifications_draw_but_do_not_persist() {
    let e = env();
    let page = open_voip(
        &e,
        "ccard",
        Some(7),
        json!({"server": "pbx"}),
        "ui_notifications",
    );
    page.eval("APP.notifications.show_message({header: 'H1', text: 'plain message'})")
        .unwrap();
    page.eval("AMOCRM.notifications.show_message_error({header: 'H2', text: 'bad thing', link: 'https://example.com'})").unwrap();
    page.eval("APP.notifications.show_notification({text: {header: 'H3', text: 'incoming'}, type: 'call'})").unwrap();
    page.wait_for_text(
        ".notification[data-kind=show_message]",
        "plain message",
        WAIT,
    )
    .unwrap();
    page.wait_for_text(
        ".notification[data-kind=show_message_error]",
        "bad thing",
        WAIT,
    )
    .unwrap();
    page.wait_for_text(
        ".notification[data-kind=show_notification][data-type=call]",
        "incoming",
        WAIT,
    )
    .unwrap();
    page.eval("window.KommoSandbox.idle()").unwrap();
    assert_eq!(e.sdk_calls("APP.notifications.show_").len(), 3);
    assert_eq!(
        e.sdk_calls("APP.notifications.show_notification")[0]["args"][0],
        json!({"text": {"header": "H3", "text": "incoming"}, "type": "call"})
    );
    let w = e.server.sandbox.world();
    assert!(w.account(&e.account).unwrap().notifications.is_empty());
    drop(w);
    assert_eq!(
        page.eval("[APP.getBaseEntity(), APP.data.current_card.element_type]")
            .unwrap(),
        json!(["contacts", 1])
    );
    page.close();
}

#[test]
fn the_widget_speaks_the_user_language() {
    let e = env();
    let url = widget_host_url(
        &e.base,
        "voip-widget",
        "lcard",
        Some(1),
        &json!({"server": "pbx"}),
    ) + "&lang=es";
    let page = e.open(&url, "widget_lang");
    page.wait_until("document.body.dataset.widgetReady", WAIT)
        .unwrap();
    assert_eq!(
        page.eval("[APP.lang_id, window.sandboxWidget.i18n('widget').name]")
            .unwrap(),
        json!(["es", "VoIP de prueba"])
    );
    page.wait_for_text("#voip_call", "Llamar", WAIT).unwrap();
    page.close();
}

#[test]
fn crm_post_goes_through_the_sandbox_to_the_widget_server() {
    let e = env();
    let echo = crate::common::echo_server();
    let page = open_voip(&e, "lcard", Some(1), json!({"server": "pbx"}), "crm_post");
    let js = format!(
        "new Promise((ok, bad) => window.sandboxWidget.crm_post({}, {{phone: '+100', n: 2}}, ok, 'json', bad))",
        kommo_sandbox::browser::driver::js_string(&echo)
    );
    let answer = page.eval(&js).unwrap();
    let answer: Value = if answer.is_string() {
        serde_json::from_str(answer.as_str().unwrap()).unwrap()
    } else {
        answer
    };
    assert_eq!(answer, json!({"n": "2", "phone": "+100"}));
    let failed = page.eval("new Promise(ok => window.sandboxWidget.crm_post('http://127.0.0.1:9/nothing', {}, () => ok('success'), 'json', () => ok('error')))").unwrap();
    assert_eq!(failed, json!("error"));
    page.close();
}
