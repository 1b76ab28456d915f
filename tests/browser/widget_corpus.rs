//! Widget folders run unchanged through the host: the lifecycle with no page
//! error, the settings modal opened, filled and saved, and what they draw.
//! `tests/fixtures/widgets/` holds folders laid out as published widgets are;
//! `KOMMO_SANDBOX_WIDGET_CORPUS=DIR` runs every widget folder under DIR too.

use crate::common::{env, Env, WAIT};
use kommo_sandbox::browser::driver::{widget_host_url, Page};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Screenshots a reader looks at: the card host, the settings modal (and the chat, elsewhere).
fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/widgets")
        .join(name)
}

/// The first area of the manifest's `locations` the host draws (`lcard-1` → `lcard`).
fn first_area(dir: &Path) -> String {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["locations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|l| l.split('-').next().unwrap().to_string())
        .find(|a| {
            [
                "lcard",
                "ccard",
                "comcard",
                "cucard",
                "llist",
                "clist",
                "culist",
                "tlist",
                "advanced_settings",
            ]
            .contains(&a.as_str())
        })
        .unwrap_or_else(|| "lcard".into())
}

pub fn page_errors(page: &Page) -> Value {
    page.eval("window.sandboxPageErrors.concat(window.sandboxLifecycle.filter(l => l.error).map(l => l.callback + ': ' + l.error))")
        .unwrap()
}

/// Registers and opens `dir` on `area`; the widget must load and run with no page error.
pub fn open_folder(e: &Env, dir: &Path, area: &str, card: Option<i64>, name: &str) -> Page {
    let (status, body) = e.post("/_sandbox/widgets", json!({"path": dir}));
    assert_eq!(status, 201, "{body}");
    let widget = body["name"].as_str().unwrap();
    let url = widget_host_url(&e.base, widget, area, card, &json!({}));
    let page = crate::common::open_widget_page(e, &url, name);
    let called = page
        .eval("window.sandboxLifecycle.filter(l => l.called).map(l => l.callback)")
        .unwrap();
    assert_eq!(called[0], json!("render"), "{name}: {called}");
    assert_eq!(page_errors(&page), json!([]), "{name}");
    page
}

/// Opens the settings modal, fills the required text fields and saves; the modal must close.
pub fn settings_round_trip(page: &Page, name: &str) {
    page.click("#host_settings").unwrap();
    page.wait_for_element(".modal .widget_settings_block", WAIT)
        .unwrap();
    page.eval("document.querySelectorAll('.modal [data-field]').forEach(f => { const i = f.querySelector('input.text-input'); if (i && !i.value) i.value = 'sandbox'; })")
        .unwrap();
    page.click(".modal .js-widget-save, .modal .js-widget-install")
        .unwrap();
    page.wait_until(
        "window.sandboxLifecycle.some(l => l.callback === 'onSave:resolved')",
        WAIT,
    )
    .unwrap();
    if page
        .eval("window.sandboxLifecycle.find(l => l.callback === 'onSave:resolved').result === true")
        .unwrap()
        == json!(true)
    {
        page.wait_until("!document.querySelector('.widget-settings')", WAIT)
            .unwrap();
    }
    assert_eq!(page_errors(page), json!([]), "{name}");
}

#[test]
fn deal_summary_card_widget_draws_its_panel_from_modules_and_templates() {
    let e = env();
    let lead = e.server.sandbox.world().accounts[0]
        .leads
        .first()
        .map(|l| l.id);
    let page = open_folder(
        &e,
        &fixture("deal-summary"),
        "lcard",
        lead.or(Some(7)),
        "deal_summary",
    );
    page.wait_for_element("#widgets_block .deal-summary__panel", WAIT)
        .unwrap();
    let card = lead.unwrap_or(7);
    assert_eq!(
        page.texts("#widgets_block .deal-summary__row").unwrap(),
        vec![
            format!("Card: Lead #{card}"),
            format!(
                "Owner: {}",
                e.server.sandbox.world().accounts[0].users[0].name
            ),
            "Timezone: UTC".into(),
            "Version: 1.2.0".into(),
            "<Tag>: <b>not bold</b>".into(),
        ]
    );
    // Twig's `|escape` kept the markup as text; `{% set %}` and the lodash helper made the count.
    assert_eq!(
        page.texts(".deal-summary__title").unwrap(),
        vec!["Summary (05)"]
    );
    // The system button came in through `include` of /tmpl/controls/button.twig.
    assert_eq!(
        page.eval("document.querySelector('.deal-summary__panel .button-input.button-input_blue.js-deal-summary-open').textContent")
            .unwrap(),
        json!("Details")
    );
    // Backbone's delegated events work on the view.
    page.click(".deal-summary__row[data-index='2']").unwrap();
    page.wait_until(
        "document.querySelector('.deal-summary').dataset.picked === '2'",
        WAIT,
    )
    .unwrap();
    // helpers.Modal: opened from the widget's namespaced handler, closed by Esc, the icon, the overlay, the cancel control.
    for (how, close) in [
        (
            "esc",
            "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))",
        ),
        (
            "icon",
            "document.querySelector('.deal-summary-modal .modal-body__close').click()",
        ),
        (
            "overlay",
            "document.querySelector('.deal-summary-modal .modal-overlay').click()",
        ),
        (
            "cancel",
            "document.querySelector('.deal-summary-modal .js-modal-cancel').click()",
        ),
    ] {
        page.click(".js-deal-summary-open").unwrap();
        page.wait_for_text(
            ".deal-summary-modal .deal-summary-modal__title",
            "Summary",
            WAIT,
        )
        .unwrap();
        page.eval(close).unwrap();
        page.wait_until("!document.querySelector('.deal-summary-modal')", WAIT)
            .unwrap_or_else(|err| panic!("{how}: {err}"));
    }
    assert_eq!(
        page.eval("window.dealSummaryModalClosed").unwrap(),
        json!(4)
    );
    assert_eq!(page_errors(&page), json!([]));
    page.screenshot(&screenshots().join("card-host.png"))
        .unwrap();
    page.close();
}

#[test]
fn deal_summary_settings_are_kommo_fields_plus_the_widget_template() {
    let e = env();
    let page = open_folder(
        &e,
        &fixture("deal-summary"),
        "lcard",
        Some(1),
        "deal_summary_settings",
    );
    page.click("#host_settings").unwrap();
    page.wait_until("window.dealSummarySettingsDrawn === true", WAIT)
        .unwrap();
    // The manifest's fields in order, named from i18n; the widget's checkbox after the last visible one.
    assert_eq!(
        page.texts(".modal .widget_settings_block__title_field")
            .unwrap(),
        vec!["API key *", "Secret", "Extension per user", "Options"]
    );
    assert_eq!(
        page.eval("[...document.querySelectorAll('.modal .widget_settings_block__fields > *')].map(f => f.dataset.field || f.className.split(' ').pop())")
            .unwrap(),
        json!(["widget_settings_block__switcher", "api_key", "secret", "extension", "deal-summary-agree", "options"])
    );
    assert_eq!(
        page.eval("document.querySelector('.modal input[name=secret]').type")
            .unwrap(),
        json!("password")
    );
    assert_eq!(
        page.texts(".modal .widget_settings_block__descr").unwrap(),
        vec![format!(
            "A summary of the deal for {}",
            e.server.sandbox.world().accounts[0].subdomain
        )]
    );
    page.type_into(".modal input[name=api_key]", "key-1")
        .unwrap();
    page.screenshot(&screenshots().join("settings-modal.png"))
        .unwrap();
    let uid = e.server.sandbox.world().accounts[0].users[0].id;
    page.type_into(&format!(".modal input[name='extension[{uid}]']"), "101")
        .unwrap();
    page.click(".modal input[name=agree]").unwrap();
    page.click(".modal .js-widget-save").unwrap();
    page.wait_until("!document.querySelector('.widget-settings')", WAIT)
        .unwrap();
    let saved = page.eval("window.dealSummarySaved").unwrap();
    assert_eq!(saved["active"], json!("Y"));
    assert_eq!(saved["fields"]["api_key"], json!("key-1"));
    assert_eq!(saved["fields"]["secret"], json!(""));
    assert_eq!(saved["fields"]["extension"][uid.to_string()], json!("101"));
    assert_eq!(saved["fields"]["options"], json!("{\"agreed\":true}"));
    assert_eq!(
        page.eval("window.sandboxWidget.get_settings().api_key")
            .unwrap(),
        json!("key-1")
    );
    page.close();
}

#[test]
fn every_fixture_widget_runs_and_saves_its_settings() {
    let e = env();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|d| d.unwrap().path())
        .collect();
    if let Ok(corpus) = std::env::var("KOMMO_SANDBOX_WIDGET_CORPUS") {
        dirs.extend(
            std::fs::read_dir(corpus)
                .unwrap()
                .map(|d| d.unwrap().path())
                .filter(|d| d.join("manifest.json").is_file()),
        );
    }
    dirs.sort();
    assert!(dirs.len() >= 3, "{dirs:?}");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let area = first_area(&dir);
        let page = open_folder(&e, &dir, &area, Some(1), &format!("corpus_{name}"));
        if page
            .eval("!!document.querySelector('#widgets_block .card-widgets__widget')")
            .unwrap()
            == json!(true)
        {
            eprintln!(
                "{name} on {area}: drew {:?}",
                page.texts("#widgets_block .card-widgets__widget__caption")
                    .unwrap()
            );
        }
        settings_round_trip(&page, &name);
        eprintln!(
            "{name} on {area}: lifecycle {}",
            page.eval(
                "window.sandboxLifecycle.filter(l => l.called).map(l => l.callback).join(' ')"
            )
            .unwrap()
        );
        page.close();
    }
}

#[test]
fn settings_page_widget_on_advanced_settings_reads_api_v4_as_the_user() {
    let e = env();
    let page = open_folder(
        &e,
        &fixture("settings-page"),
        "advanced_settings",
        None,
        "settings_page",
    );
    page.wait_for_element("#work-area-settings_page .settings-page", WAIT)
        .unwrap();
    let account = e.server.sandbox.world().accounts[0].clone();
    // /api/v4/account answered the page: the session cookie authorised it.
    assert_eq!(
        page.texts(".settings-page__account").unwrap(),
        vec![format!("{} · UTC · USD", account.name)]
    );
    assert_eq!(
        page.texts(".settings-page__user").unwrap(),
        account
            .users
            .iter()
            .map(|u| u.name.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        page.texts(".list__body-right__top__buttons .button-input-inner__text")
            .unwrap(),
        vec!["Cancel", "Save"]
    );
    // The system select: shows the selected option, opens, picks, fires change on its input.
    assert_eq!(
        page.texts(".settings-page__mode .control--select--button-inner")
            .unwrap(),
        vec!["Automatic"]
    );
    page.click(".settings-page__mode .control--select--button")
        .unwrap();
    page.click(".settings-page__mode [data-value=a]").unwrap();
    page.wait_until("window.settingsPageMode === 'a'", WAIT)
        .unwrap();
    // The unhandled $.getJSON failure is recorded, not a page error.
    page.wait_until("window.KommoSandbox.idle().then(() => true)", WAIT)
        .unwrap();
    e.wait_state("ajax failure recorded", |w| {
        w.account(&e.account)
            .unwrap()
            .browser
            .sdk_calls
            .iter()
            .any(|c| c.method == "host.ajax_error")
    });
    let failed = &e.sdk_calls("host.ajax_error")[0]["args"][0];
    assert_eq!(failed["url"], json!("/api/v4/no_such_thing"));
    assert_eq!(failed["status"], json!(404));
    assert_eq!(page_errors(&page), json!([]));
    // Without the page's session the same call is refused in Kommo's shape.
    let (status, _) = crate::common::request("GET", &format!("{}/api/v4/account", e.base), &[]);
    assert_eq!(status, 401);
    page.close();
}

#[test]
fn digital_pipeline_and_salesbot_designer_callbacks_run() {
    let e = env();
    let dp = open_folder(
        &e,
        &fixture("settings-page"),
        "digital_pipeline",
        None,
        "settings_page_dp",
    );
    dp.wait_for_text(".settings-page__dp", "Message", WAIT)
        .unwrap();
    assert!(
        e.sdk_calls("widget.dpSettings").len() == 1
            || dp
                .eval("window.sandboxLifecycle.some(l => l.callback === 'dpSettings' && l.called)")
                .unwrap()
                == json!(true)
    );
    dp.close();
    let bot = open_folder(
        &e,
        &fixture("settings-page"),
        "salesbot_designer",
        None,
        "settings_page_bot",
    );
    assert_eq!(
        bot.texts("#salesbot_exits .salesbot-exit").unwrap(),
        vec!["Sent", "Failed"]
    );
    bot.type_into(
        "#salesbot_designer_body input[name=text]",
        "Hello from the bot",
    )
    .unwrap();
    bot.click("#host_salesbot_save").unwrap();
    let step: Value = serde_json::from_str(
        bot.eval("window.sandboxSalesbot")
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        step[0]["question"][0]["params"]["value"],
        json!("Hello from the bot")
    );
    assert_eq!(step[0]["question"][1]["handler"], json!("widget_request"));
    assert_eq!(page_errors(&bot), json!([]));
    bot.close();
}

#[test]
fn a_throwing_render_is_shown_and_recorded_and_the_toolbar_still_works() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("thrower");
    std::fs::create_dir_all(widget.join("i18n")).unwrap();
    std::fs::write(widget.join("manifest.json"), r#"{"widget": {"name": "widget.name", "interface_version": 2, "locale": ["en"]}, "locations": ["lcard-1"], "settings": {"key": {"name": "settings.key", "type": "text"}}}"#).unwrap();
    std::fs::write(
        widget.join("i18n/en.json"),
        r#"{"widget": {"name": "Thrower"}, "settings": {"key": "Key"}}"#,
    )
    .unwrap();
    std::fs::write(
        widget.join("script.js"),
        "define(['jquery'], function ($) { return function () { this.callbacks = {\n\
         render: function () { null.boom(); }, init: function () { return true; }, bind_actions: function () { return true; },\n\
         settings: function ($body) { $body.find('.widget_settings_block').append('<p class=\"thrower-settings\">ok</p>'); return true; },\n\
         onSave: function () { return true; } }; return this; }; });",
    )
    .unwrap();
    let (status, _) = e.post("/_sandbox/widgets", json!({"path": widget}));
    assert_eq!(status, 201);
    let page = e.open(
        &widget_host_url(&e.base, "thrower", "lcard", Some(1), &json!({})),
        "thrower",
    );
    page.wait_until("document.body.dataset.widgetReady", WAIT)
        .unwrap();
    page.wait_for_element(".sandbox-error", WAIT).unwrap();
    assert!(page.texts(".sandbox-error").unwrap()[0].starts_with("render() threw: "));
    page.eval("window.KommoSandbox.idle()").unwrap();
    let err = &e.sdk_calls("widget.error")[0]["args"][0];
    assert_eq!(err["callback"], json!("render"));
    assert!(err["message"].as_str().unwrap().contains("boom"), "{err}");
    page.click("#host_settings").unwrap();
    page.wait_for_text(".modal .thrower-settings", "ok", WAIT)
        .unwrap();
    page.click(".modal .js-widget-save").unwrap();
    page.wait_until("!document.querySelector('.widget-settings')", WAIT)
        .unwrap();
    page.close();
}

#[test]
fn contact_dialer_list_widget_opens_on_the_selected_contacts() {
    let e = env();
    let page = open_folder(
        &e,
        &fixture("contact-dialer"),
        "clist",
        None,
        "contact_dialer",
    );
    // The page's session may write through /api/v4 too: add a contact with a phone, then reload.
    let created = page
        .eval("fetch('/api/v4/contacts', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify([{name: 'Ada Lovelace', custom_fields_values: [{field_code: 'PHONE', values: [{value: '+1 555 0100', enum_code: 'WORK'}]}]}])}).then(r => r.status)")
        .unwrap();
    assert_eq!(created, json!(200));
    page.close();
    let page = open_folder(
        &e,
        &fixture("contact-dialer"),
        "clist",
        None,
        "contact_dialer",
    );
    let contacts = e.server.sandbox.world().accounts[0].contacts.clone();
    assert!(!contacts.is_empty());
    assert_eq!(
        page.texts("#list_rows .list-row__cell-name").unwrap().len(),
        contacts.len()
    );
    page.click(&format!("#list_rows [data-id='{}'] input", contacts[0].id))
        .unwrap();
    page.click("#host_list_action").unwrap();
    page.wait_for_text(".dialer-modal .dialer__title", "Dial 1 contacts", WAIT)
        .unwrap();
    assert_eq!(
        page.texts(".dialer-modal .dialer__name").unwrap(),
        vec![contacts[0].name.clone()]
    );
    if let Some(phone) = contacts[0].phones.first() {
        page.click(".dialer-modal .dialer__row").unwrap();
        page.wait_until("!!window.dialerCalled", WAIT).unwrap();
        assert_eq!(
            page.eval("window.dialerCalled.value").unwrap(),
            json!(phone.value)
        );
    }
    page.eval("window.KommoSandbox.idle()").unwrap();
    assert_eq!(e.sdk_calls("APP.widgets.clear_cache").len(), 1);
    // users_lp: a login and a password per user.
    page.eval("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
        .unwrap();
    page.click("#host_settings").unwrap();
    let uid = e.server.sandbox.world().accounts[0].users[0].id;
    page.type_into(&format!(".modal input[name='sip[{uid}][login]']"), "100")
        .unwrap();
    page.type_into(&format!(".modal input[name='sip[{uid}][password]']"), "pw")
        .unwrap();
    page.type_into(".modal input[name=region]", "EU").unwrap();
    page.click(".modal .js-widget-save").unwrap();
    page.wait_until("!!window.dialerSaved", WAIT).unwrap();
    assert_eq!(
        page.eval("window.dialerSaved").unwrap()["sip"][uid.to_string()],
        json!({"login": "100", "password": "pw"})
    );
    assert_eq!(page_errors(&page), json!([]));
    page.close();
}
