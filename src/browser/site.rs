//! What a website's own pages call, served to any origin: a site on
//! `localhost:3000` loads `/js/button.js` (or `/js/web1on1.js`) from the sandbox
//! and the chat talks to `/online_chat/{button}/...`. Those answer CORS
//! (preflight `204`); the admin plane `/_sandbox/` does not, so a page cannot
//! reply to itself or reset the sandbox.
//!
//! `{button}` is what the snippet carries as `crm_plugin.id`: a button id
//! registered under `accounts[].buttons` in the config (the demo account has
//! one, its own id), or an account's numeric or amojo id. Any other id is
//! served by the first account, with a warning in the journal (surface
//! `website_chat`) and in the page's console, so a real snippet pasted as it is
//! still gets a working chat.

use super::chat_api::{self as chat, Shared};
use super::sdk_api::CallBody;
use super::{assets, resolve_account};
use crate::config::ButtonConfig;
use crate::domain::World;
use crate::journal::Entry;
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};

/// The scripts a site embeds; everything else under `/js/` is the CRM's own.
const SCRIPTS: [&str; 2] = ["js/button.js", "js/web1on1.js"];

pub fn router() -> Router<Arc<Sandbox>> {
    let base = "/online_chat/{key}";
    let mut router = Router::new()
        .route(&format!("{base}/button"), get(button))
        .route(&format!("{base}/session"), post(session))
        .route(&format!("{base}/meta"), post(meta))
        .route(&format!("{base}/messages"), get(messages).post(message))
        .route(&format!("{base}/read"), post(read))
        .route(&format!("{base}/key_action"), post(key_action))
        .route(&format!("{base}/sdk_calls"), post(sdk_call));
    for path in SCRIPTS {
        router = router.route(
            &format!("/{path}"),
            get(move || async move { script(path) }),
        );
    }
    router
        .layer(cors())
        .layer(axum::middleware::map_response(preflight_no_content))
}

/// Any origin, no credentials: the pages send JSON and read JSON.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

/// tower-http answers a preflight `200`; browsers accept either, the Fetch spec's example is `204`.
async fn preflight_no_content(mut response: Response) -> Response {
    if response
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_METHODS)
    {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

fn script(path: &'static str) -> Response {
    let body = assets::file(path).expect("embedded");
    (
        [
            (header::CONTENT_TYPE, assets::content_type(path)),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The buttons of every account: from the config, or the demo account's own.
pub fn buttons(sb: &Sandbox, world: &World) -> Vec<(String, ButtonConfig)> {
    let config = sb.config();
    if config.accounts.is_empty() {
        return world
            .accounts
            .first()
            .map(|a| (a.amojo_id.clone(), demo_button(a.id)))
            .into_iter()
            .collect();
    }
    config
        .accounts
        .iter()
        .zip(&world.accounts)
        .flat_map(|(c, a)| c.buttons.iter().map(|b| (a.amojo_id.clone(), b.clone())))
        .collect()
}

/// The demo account's button: its id is the account's, as the examples' snippets carry it.
fn demo_button(account_id: i64) -> ButtonConfig {
    ButtonConfig {
        id: crate::config::ButtonId(account_id.to_string()),
        hash: Some(crate::config::ButtonHash(format!("{account_id:064x}"))),
        title: None,
        color: None,
        services: None,
    }
}

/// Who serves a page's `{key}`.
pub struct Served {
    /// amojo id of the account.
    pub account: String,
    pub button: Option<ButtonConfig>,
    /// Why the first account serves a key it does not know.
    pub warning: Option<String>,
}

pub fn serve(sb: &Sandbox, world: &World, key: &str) -> Served {
    if let Some((account, button)) = buttons(sb, world).into_iter().find(|(_, b)| b.id.0 == key) {
        return Served {
            account,
            button: Some(button),
            warning: None,
        };
    }
    if let Some(account) = resolve_account(world, key) {
        return Served {
            account,
            button: None,
            warning: None,
        };
    }
    let first = &world.accounts[0];
    Served {
        account: first.amojo_id.clone(),
        button: None,
        warning: Some(format!(
            "button id {key:?} is not registered; account {} ({}) serves it. Add `buttons: [{{id: {key}, hash: ...}}]` under an account in the config",
            first.id, first.name
        )),
    }
}

fn account_for(sb: &Sandbox, key: &str) -> String {
    serve(sb, &sb.world(), key).account
}

#[derive(Deserialize)]
struct ButtonQuery {
    /// The snippet's `hash`, checked against the registered one.
    hash: Option<String>,
}

/// The button as the page sees it: the CRM's settings, the button's own, who serves it, and any warning.
async fn button(
    State(sb): Shared,
    Path(key): Path<String>,
    Query(q): Query<ButtonQuery>,
    headers: HeaderMap,
) -> Response {
    let (served, stored, account_id) = {
        let world = sb.world();
        let served = serve(&sb, &world, &key);
        let account = world.account(&served.account).expect("served");
        (
            served,
            account.browser.online_chat.button.clone(),
            account.id,
        )
    };
    let mut warning = served.warning.clone();
    if let (Some(b), Some(given)) = (&served.button, &q.hash) {
        if b.hash
            .as_ref()
            .is_some_and(|h| !h.0.eq_ignore_ascii_case(given))
        {
            warning = Some(format!(
                "button {key} has hash {given:?} on the page, not the one registered in the config"
            ));
        }
    }
    let mut settings = chat::button_settings(&Value::Null);
    if let Some(b) = &served.button {
        apply_button(&mut settings, b);
    }
    if let (Some(o), Some(s)) = (settings.as_object_mut(), stored.as_object()) {
        o.extend(s.clone());
    }
    settings["account_id"] = json!(account_id);
    settings["button_id"] = json!(key);
    settings["warning"] = json!(warning);
    if let Some(w) = &warning {
        journal_warning(&sb, &key, &served.account, w, &headers);
    }
    Json(settings).into_response()
}

/// A registered button's title, colour and services over the defaults.
fn apply_button(settings: &mut Value, b: &ButtonConfig) {
    if let Some(t) = &b.title {
        settings["title"] = json!(t);
    }
    if let Some(c) = &b.color {
        settings["color"] = json!(c);
    }
    if let Some(codes) = &b.services {
        let known = settings["services"].as_array().cloned().unwrap_or_default();
        let services: Vec<Value> = codes
            .iter()
            .map(|code| {
                known
                    .iter()
                    .find(|s| s["code"] == json!(code))
                    .cloned()
                    .unwrap_or_else(|| json!({"code": code, "link": format!("#{code}")}))
            })
            .collect();
        settings["services"] = json!(services);
    }
}

fn journal_warning(sb: &Sandbox, key: &str, account: &str, warning: &str, headers: &HeaderMap) {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    sb.journal.push(Entry {
        seq: 0,
        at_ms: sb.clock.now_ms(),
        surface: "website_chat",
        method: "GET".into(),
        path: format!("/online_chat/{key}/button"),
        query: String::new(),
        headers: vec![("origin".into(), origin)],
        body: String::new(),
        status: 200,
        response_body: json!({"warning": warning}).to_string(),
        scope_id: None,
        account_id: Some(account.into()),
        signature: None,
    });
}

/// The page's calls, resolved to the account that serves the key, then as the admin plane handles them.
macro_rules! served_by_account {
    ($($name:ident => $handler:path, $extra:ty;)*) => {$(
        async fn $name(State(sb): Shared, Path(key): Path<String>, extra: $extra) -> Response {
            let account = account_for(&sb, &key);
            $handler(State(sb), Path(account), extra).await
        }
    )*};
}

served_by_account! {
    session => chat::session, Json<chat::SessionBody>;
    meta => chat::set_meta, Json<chat::MetaBody>;
    messages => chat::messages, Query<chat::VisitorQuery>;
    message => chat::visitor_message, Json<chat::TextBody>;
    read => chat::read, Json<chat::VisitorQuery>;
    key_action => chat::key_action, Json<chat::HookBody>;
}

/// What the page called (`crmPlugin.runChatShow`, `web1on1.open`, ...), for tests to assert.
async fn sdk_call(
    State(sb): Shared,
    Path(key): Path<String>,
    Json(body): Json<CallBody>,
) -> Response {
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    let account = serve(&sb, &world, &key).account;
    let seq = world.account_mut(&account).expect("served").browser.record(
        &body.method,
        body.args,
        &body.page,
        now,
    );
    Json(json!({"seq": seq})).into_response()
}
