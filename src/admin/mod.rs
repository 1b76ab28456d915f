//! The admin plane under `/_sandbox/`: state, journal, reset, clock, and
//! isolated accounts for parallel tests. Plain JSON, documented in README.md.

mod actions;
mod credentials;
mod env;
mod inspector;

pub use credentials::{credentials, credentials_of, Credentials};

use crate::clock::parse_time;
use crate::domain::seed;
use crate::journal::Filter;
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<Sandbox>>;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/_sandbox", get(index))
        .route("/_sandbox/", get(index))
        .route(
            "/_sandbox/health",
            get(|| async { Json(json!({"ok": true})) }),
        )
        .route(
            "/_sandbox/accounts",
            get(list_accounts).post(create_account),
        )
        .route("/_sandbox/accounts/{amojo_id}", get(account_state))
        .route("/_sandbox/journal", get(journal).delete(clear_journal))
        .route("/_sandbox/env", get(env::env))
        .route("/_sandbox/reset", axum::routing::post(reset))
        .route("/_sandbox/clock", get(clock).post(set_clock))
        .merge(actions::router())
        .merge(inspector::router())
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

async fn index(State(sb): Shared) -> Json<Value> {
    let world = sb.world();
    let creds: Vec<Credentials> = world
        .accounts
        .iter()
        .flat_map(|a| credentials_of(&world, a, sb.base_url()))
        .collect();
    Json(json!({
        "name": "kommo-sandbox",
        "version": env!("CARGO_PKG_VERSION"),
        "credentials": creds,
        "endpoints": {
            "GET /_sandbox/inspector": "the inspector page: chats, messages, statuses, hooks, journal; act as a manager",
            "GET /_sandbox/accounts": "accounts with the credentials an integration needs",
            "POST /_sandbox/accounts": "create an isolated account + channel: {\"label\"?, \"webhook_url\"?}",
            "GET /_sandbox/accounts/{amojo_id}": "the whole state of an account: chats, participants, messages with statuses, contacts, incoming leads, talks, notifications",
            "GET /_sandbox/env": "the variables a shell needs to reach the sandbox at Kommo's hostnames (proxy, CA bundle, KOMMO_* credentials); ?account=<amojo_id|subdomain>; `kommo-sandbox env` prints them",
            "GET /_sandbox/journal": "request journal; filters: method, path (substring), status, surface, scope_id, account_id, signature (ok|failed|none), since, limit",
            "DELETE /_sandbox/journal": "clear the journal",
            "POST /_sandbox/reset": "back to the configured state",
            "GET /_sandbox/clock": "the sandbox clock",
            "POST /_sandbox/clock": "{\"now\": \"<RFC 2822 date or epoch seconds>\"} or {\"advance\": <seconds>} or {\"freeze\": bool}",
            "POST /_sandbox/accounts/{amojo_id}/oauth/code": "mint a REST v4 OAuth authorization code: {\"client_id\"?}; exchange it at POST /oauth2/access_token",
            "POST /_sandbox/accounts/{amojo_id}/salesbots": "add a Salesbot: {\"name\", \"steps\", \"id\"?} (docs/rest-v4.md)",
            "GET /_sandbox/account_webhooks": "REST v4 account webhook deliveries with in_time (answered 100-299 within 2 s); filters: account_id, since, limit",
        },
        "rest_v4": "Authorization: Bearer <api_token from the credentials>; /api/v4/account, users, sources, contacts, companies, contacts/chats, leads, leads/complex, leads/pipelines, leads/unsorted, {entity}/custom_fields, {entity}/links, {entity}/tags, {entity}/notes, tasks, talks, chats/templates, bots, webhooks; /api/v2/salesbot/run (docs/rest-v4.md)",
        "chats_api": {
            "POST /v2/origin/custom/{channel_id}/connect": "connect",
            "DELETE /v2/origin/custom/{channel_id}/disconnect": "disconnect",
            "POST /v2/origin/custom/{scope_id}/chats": "create chat",
            "POST /v2/origin/custom/{scope_id}": "new_message / edit_message / import (silent)",
            "POST /v2/origin/custom/{scope_id}/{msgid}/delivery_status": "delivery status",
            "GET /v2/origin/custom/{scope_id}/chats/{chat_id}/history": "history (offset, limit <= 50)",
            "POST /v2/origin/custom/{scope_id}/typing": "typing",
            "POST /v2/origin/custom/{scope_id}/react": "reactions",
        }
    }))
}

async fn list_accounts(State(sb): Shared) -> Json<Value> {
    let world = sb.world();
    let accounts: Vec<Value> = world
        .accounts
        .iter()
        .map(|a| {
            let creds = credentials_of(&world, a, sb.base_url());
            json!({"id": a.id, "amojo_id": a.amojo_id, "name": a.name, "subdomain": a.subdomain, "channels": creds})
        })
        .collect();
    Json(json!({ "accounts": accounts }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    label: Option<String>,
    webhook_url: Option<String>,
}

async fn create_account(State(sb): Shared, body: axum::body::Bytes) -> Response {
    let req: NewAccount = if body.is_empty() {
        NewAccount::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("{e}; send {{\"label\"?: string, \"webhook_url\"?: string}}"),
                )
            }
        }
    };
    if let Some(url) = &req.webhook_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return error(
                StatusCode::BAD_REQUEST,
                format!("webhook_url {url:?} is not an http(s) URL"),
            );
        }
    }
    let mut world = sb.world();
    let (account_id, channel_id) = seed::isolated(
        &mut world,
        req.label.as_deref().unwrap_or(""),
        req.webhook_url,
    );
    let account = world.account(&account_id).expect("just created");
    let channel = world.channel(&channel_id).expect("just created");
    let creds = credentials(&world, account, channel, sb.base_url());
    (StatusCode::CREATED, Json(json!(creds))).into_response()
}

async fn account_state(State(sb): Shared, Path(amojo_id): Path<String>) -> Response {
    let world = sb.world();
    let Some(account) = world.account(&amojo_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no account with amojo_id {amojo_id}; GET /_sandbox/accounts lists them"),
        );
    };
    let scopes: Vec<&crate::domain::Scope> = world.scopes_of(&amojo_id).collect();
    Json(json!({ "account": account, "scopes": scopes, "clock": sb.clock.now_secs() }))
        .into_response()
}

async fn journal(State(sb): Shared, Query(filter): Query<Filter>) -> Json<Value> {
    let entries = sb.journal.query(&filter);
    Json(json!({ "total": sb.journal.len(), "dropped": sb.journal.dropped(), "entries": entries }))
}

async fn clear_journal(State(sb): Shared) -> StatusCode {
    sb.journal.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(sb): Shared) -> Json<Value> {
    sb.reset();
    Json(json!({"reset": true}))
}

fn clock_view(sb: &Sandbox) -> Value {
    let now = sb.clock.now_secs();
    json!({"now": now, "date": crate::clock::format_rfc2822(now), "frozen": sb.clock.is_frozen()})
}

async fn clock(State(sb): Shared) -> Json<Value> {
    Json(clock_view(&sb))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    now: Option<Value>,
    advance: Option<i64>,
    freeze: Option<bool>,
}

async fn set_clock(State(sb): Shared, body: axum::body::Bytes) -> Response {
    let change: ClockChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                "{e}; send {{\"now\": \"Thu, 16 Dec 2021 13:15:29 +0000\"}} or {{\"advance\": 60}}"
            ),
            )
        }
    };
    // Everything is checked before anything moves, so a refused change changes nothing.
    let at_ms = match &change.now {
        None => None,
        Some(Value::String(s)) => Some(parse_time(s)),
        Some(Value::Number(n)) => Some(parse_time(&n.to_string())),
        Some(_) => Some(Err("`now` must be an RFC 2822 date or epoch seconds".into())),
    };
    let at_ms = match at_ms.transpose() {
        Ok(at) => at,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Some(secs) = change.advance {
        let from = at_ms.unwrap_or_else(|| sb.clock.now_ms());
        let to = secs.checked_mul(1000).and_then(|ms| from.checked_add(ms));
        if !to.is_some_and(crate::clock::in_range) {
            return error(
                StatusCode::BAD_REQUEST,
                format!("`advance` {secs} would take the clock outside 1970 to the end of 9999"),
            );
        }
    }
    if let Some(freeze) = change.freeze {
        sb.clock.freeze(freeze);
    }
    if let Some(ms) = at_ms {
        sb.clock.set(ms);
    }
    if let Some(secs) = change.advance {
        sb.clock.advance(secs);
    }
    Json(clock_view(&sb)).into_response()
}
