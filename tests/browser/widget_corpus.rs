//! Widget folders run unchanged through the host: the lifecycle with no page
//! error, the settings modal opened, filled and saved, and what they draw.
//! `tests/fixtures/widgets/` holds folders laid out as published widgets are;
//! `KOMMO_SANDBOX_WIDGET_CORPUS=DIR` runs every widget folder under DIR too.

use crate::common::{env, Env, WAIT};
use kommo_sandbox::browser::driver::{widget_host_url, Page};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/widgets").join(name)
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
        .find(|a| ["lcard", "ccard", "comcard", "cucard", "llist", "clist", "culist", "tlist", "advanced_settings"].contains(&a.as_str()))
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
    let page = e.open(&widget_host_url(&e.base, widget, area, card, &json!({})), name);
    page.wait_until(
        "document.body.dataset.widgetReady || document.body.dataset.widgetError",
        WAIT,
    )
    .unwrap();
    assert_eq!(
        page.eval("document.body.dataset.widgetError || null").unwrap(),
        Value::Null,
        "{name}"
    );
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
    let lead = e.server.sandbox.world().accounts[0].leads.first().map(|l| l.id);
    let page = open_folder(&e, &fixture("deal-summary"), "lcard", lead.or(Some(7)), "deal_summary");
    page.wait_for_element("#widgets_block .deal-summary__panel", WAIT)
        .unwrap();
    let card = lead.unwrap_or(7);
    assert_eq!(
        page.texts("#widgets_block .deal-summary__row").unwrap(),
        vec![
            format!("Card: Lead #{card}"),
            format!("Owner: {}", e.server.sandbox.world().accounts[0].users[0].name),
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
    page.wait_until("document.querySelector('.deal-summary').dataset.picked === '2'", WAIT)
        .unwrap();
    // helpers.Modal: opened from the widget's namespaced handler, closed by Esc, the icon, the overlay, the cancel control.
    for (how, close) in [
        ("esc", "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))"),
        ("icon", "document.querySelector('.deal-summary-modal .modal-body__close').click()"),
        ("overlay", "document.querySelector('.deal-summary-modal .modal-overlay').click()"),
        ("cancel", "document.querySelector('.deal-summary-modal .js-modal-cancel').click()"),
    ] {
        page.click(".js-deal-summary-open").unwrap();
        page.wait_for_text(".deal-summary-modal .deal-summary-modal__title", "Summary", WAIT)
            .unwrap();
        page.eval(close).unwrap();
        page.wait_until("!document.querySelector('.deal-summary-modal')", WAIT)
            .unwrap_or_else(|err| panic!("{how}: {err}"));
    }
    assert_eq!(page.eval("window.dealSummaryModalClosed").unwrap(), json!(4));
    assert_eq!(page_errors(&page), json!([]));
    page.close();
}

#[test]
fn deal_summary_settings_are_kommo_fields_plus_the_widget_template() {
    let e = env();
    let page = open_folder(&e, &fixture("deal-summary"), "lcard", Some(1), "deal_summary_settings");
    page.click("#host_settings").unwrap();
    page.wait_until("window.dealSummarySettingsDrawn === true", WAIT)
        .unwrap();
    // The manifest's fields in order, named from i18n; the widget's checkbox after the last visible one.
    assert_eq!(
        page.texts(".modal .widget_settings_block__title_field").unwrap(),
        vec!["API key *", "Secret", "Extension per user", "Options"]
    );
    assert_eq!(
        page.eval("[...document.querySelectorAll('.modal .widget_settings_block__fields > *')].map(f => f.dataset.field || f.className.split(' ').pop())")
            .unwrap(),
        json!(["widget_settings_block__switcher", "api_key", "secret", "extension", "deal-summary-agree", "options"])
    );
    assert_eq!(
        page.eval("document.querySelector('.modal input[name=secret]').type").unwrap(),
        json!("password")
    );
    assert_eq!(
        page.texts(".modal .widget_settings_block__descr").unwrap(),
        vec![format!("A summary of the deal for {}", e.server.sandbox.world().accounts[0].subdomain)]
    );
    page.type_into(".modal input[name=api_key]", "key-1").unwrap();
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
        page.eval("window.sandboxWidget.get_settings().api_key").unwrap(),
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
        if page.eval("!!document.querySelector('#widgets_block .card-widgets__widget')").unwrap() == json!(true) {
            eprintln!("{name} on {area}: drew {:?}", page.texts("#widgets_block .card-widgets__widget__caption").unwrap());
        }
        settings_round_trip(&page, &name);
        eprintln!("{name} on {area}: lifecycle {}", page.eval("window.sandboxLifecycle.filter(l => l.called).map(l => l.callback).join(' ')").unwrap());
        page.close();
    }
}
