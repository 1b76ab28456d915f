//! A real site snippet served from another origin: the button loads, the chat
//! reaches the account and back, and the page still cannot call `/_sandbox/`.

use crate::common::{env, request, site_server, WAIT};
use serde_json::json;

const VR_ARENA: &str = include_str!("../fixtures/sites/vr-arena-kommo/index.html");

/// Stands in for DNS/hosts interception: only the loader's host becomes the sandbox.
fn rewrite_loader(html: &str, base: &str) -> String {
    html.replace("https://gso.kommo.com", base)
        .replace("https://gso.amocrm.ru", base)
}

#[test]
fn public_chat_surface_answers_cors_and_the_admin_plane_does_not() {
    let e = env();
    let origin = [
        ("origin", "http://localhost:3000"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "content-type"),
    ];
    let (status, h) = request(
        "OPTIONS",
        &format!("{}/online_chat/1019157/messages", e.base),
        &origin,
    );
    assert_eq!(status, 204, "{h:?}");
    let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(get("access-control-allow-origin").as_deref(), Some("*"));
    assert!(get("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert!(get("access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
    let (status, h) = request("GET", &format!("{}/js/button.js", e.base), &origin[..1]);
    assert_eq!(status, 200);
    assert!(h
        .iter()
        .any(|(k, v)| k == "access-control-allow-origin" && v == "*"));
    let (_, h) = request(
        "OPTIONS",
        &format!("{}{}", e.base, e.account_path("/online_chat")),
        &origin,
    );
    assert!(
        !h.iter().any(|(k, _)| k.starts_with("access-control-")),
        "{h:?}"
    );
}

#[test]
fn real_kommo_snippet_from_another_origin_chats_with_the_account() {
    let e = env();
    let site = site_server(rewrite_loader(VR_ARENA, &e.base));
    let page = e.open(&site, "cross_origin_vr_arena");
    page.wait_for_element("[data-crm-widget-launcher]", WAIT)
        .unwrap();
    // Unknown button id: served by the first account, with a warning in the journal.
    page.wait_until(
        "window.__kommoSandboxButtons.crmPlugin.ready === true",
        WAIT,
    )
    .unwrap();
    let warned = e
        .server
        .sandbox
        .journal
        .query(&kommo_sandbox::journal::Filter {
            surface: Some("website_chat".into()),
            ..Default::default()
        });
    assert!(
        warned
            .iter()
            .any(|w| w.response_body.contains("1019157")
                && w.response_body.contains("not registered")),
        "{warned:?}"
    );
    // ... and in the browser console: the same text the page logs with console.warn.
    let warning = page
        .eval("window.__kommoSandboxButtons.crmPlugin.settings.warning")
        .unwrap();
    assert!(warning.as_str().unwrap().contains("1019157"), "{warning}");
    // The site's own CTA clicks the launcher: the services menu, then the chat.
    page.eval("document.querySelector('[data-crm-widget-launcher]').click()")
        .unwrap();
    page.click(".ksb-services [data-service=online_chat]")
        .unwrap();
    page.wait_for_element(".ksb-chat", WAIT).unwrap();
    page.type_into(".ksb-input", "Hello from another origin")
        .unwrap();
    page.click(".ksb-send").unwrap();
    page.wait_for_text(".ksb-out .ksb-status", "Sent", WAIT)
        .unwrap();
    e.wait_state("incoming lead", |w| {
        w.account(&e.account)
            .unwrap()
            .incoming_leads
            .iter()
            .any(|l| l.last_message_text.as_deref() == Some("Hello from another origin"))
    });
    let visitor = page
        .eval("window.__kommoSandboxButtons.crmPlugin.visitor")
        .unwrap();
    let user = e.server.sandbox.world().accounts[0].users[0].clone();
    let (status, _) = e.post(
        &e.account_path("/online_chat/reply"),
        json!({"visitor": visitor, "text": "Hi! How can we help?", "user_id": user.id}),
    );
    assert_eq!(status, 200);
    page.wait_for_text(".ksb-in .ksb-text", "Hi! How can we help?", WAIT)
        .unwrap();
    // Visitor on the right, manager on the left.
    let sides = page
        .eval("[...document.querySelectorAll('.ksb-message')].map(m => m.className.includes('ksb-out') + ':' + getComputedStyle(m).alignSelf)")
        .unwrap();
    assert_eq!(sides, json!(["true:flex-end", "false:flex-start"]));
    // The page cannot reach the admin plane.
    let admin = page
        .eval(&format!(
            "fetch('{}{}', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{visitor: 'x', text: 'forged'}})}}).then(() => 'reached', e => 'blocked: ' + e.message)",
            e.base,
            e.account_path("/online_chat/reply")
        ))
        .unwrap();
    assert!(admin.as_str().unwrap().starts_with("blocked"), "{admin}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    page.screenshot(&dir.join("chat.png")).unwrap();
    // The close control hides the chat.
    page.click(".ksb-close").unwrap();
    page.wait_until("document.querySelector('.ksb-chat').hidden === true", WAIT)
        .unwrap();
}
