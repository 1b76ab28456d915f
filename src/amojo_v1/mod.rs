//! The unofficial amojo "v1" route the Kommo web UI uses (spec
//! kommo-extras.md §1), which bots use to reply as a manager:
//!
//! 1. `POST /ajax/v1/chats/session` on the CRM host, with an OAuth access
//!    token (authorization_code or refresh_token grant, `chats` scope),
//!    `X-Requested-With: XMLHttpRequest` and the form body
//!    `request[chats][session][action]=create`, opens a session of about 24 h
//!    on the sandbox clock;
//! 2. `POST /v1/chats/{account_amojo_id}/{chat_id}/messages` with
//!    `X-Auth-Token: <session token>` and `text` (form or JSON) writes into the
//!    chat as that manager, through the same path as a manager message sent
//!    from Kommo: the integration gets its outgoing webhook, history shows it.
//!    `silent` is kept on the message; `persona_name`, `persona_avatar`,
//!    `priority` and the `crm_*` fields are accepted and change nothing the
//!    integration sees, since what Kommo does with them is not documented.
//!
//! Errors on the CRM host are problem+json; on the amojo side they have the
//! amojo body (`status`, `error_code`, `error_type`, `error_description`).

use crate::actions::{self, Author, OutgoingSpec};
use crate::chats_api::error::AmojoError;
use crate::rest_v4::{self, problem::Problem};
use crate::Sandbox;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::sync::Arc;

type Shared = State<Arc<Sandbox>>;

pub fn router(sandbox: Arc<Sandbox>) -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/ajax/v1/chats/session", post(session))
        .route(
            "/v1/chats/{account_id}/{chat_id}/messages",
            post(send_message),
        )
        .layer(axum::middleware::from_fn_with_state(sandbox, journaled))
}

/// Every v1 call goes into the journal as surface `amojo_v1`, the account
/// named by the path when there is one.
async fn journaled(
    State(sb): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let account = request
        .uri()
        .path()
        .strip_prefix("/v1/chats/")
        .and_then(|rest| rest.split('/').next())
        .map(str::to_string);
    rest_v4::journaled(&sb, "amojo_v1", request, next, account).await
}

/// Form fields as a JSON object (`a[b]` keys kept flat), or a JSON body.
fn fields(headers: &HeaderMap, bytes: &[u8]) -> Option<Map<String, Value>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/json") {
        return match serde_json::from_slice(bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        };
    }
    Some(
        url::form_urlencoded::parse(bytes)
            .into_owned()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn session(State(sb): Shared, headers: HeaderMap, bytes: Bytes) -> Response {
    let Some(token) = bearer(&headers) else {
        return Problem::unauthorized().into_response();
    };
    let xhr = headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if !xhr {
        return Problem::bad_request("send the header X-Requested-With: XMLHttpRequest")
            .into_response();
    }
    let action =
        fields(&headers, &bytes).and_then(|f| f.get("request[chats][session][action]").cloned());
    if action.as_ref().and_then(Value::as_str) != Some("create") {
        return Problem::bad_request("send the form body request[chats][session][action]=create")
            .into_response();
    }
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    let session = match world.auth.open_chat_session(token, now) {
        Ok(s) => s,
        Err(why) => return Problem::new(StatusCode::UNAUTHORIZED, why).into_response(),
    };
    let name = world
        .account(&session.account_id)
        .and_then(|a| a.users.iter().find(|u| u.id == session.user_id))
        .map(|u| u.name.clone())
        .unwrap_or_default();
    Json(json!({"response": {"chats": {"session": {
        "access_token": session.token,
        "account": {"id": session.account_id},
        "user": {"name": name, "avatar": ""},
    }}}}))
    .into_response()
}

fn amojo(e: AmojoError) -> Response {
    (e.status, Json(e.body())).into_response()
}

/// A form value or a JSON value, as text.
fn text_of(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A form flag (`1`, `true`, `on`) or a JSON boolean.
fn flag(fields: &Map<String, Value>, key: &str) -> bool {
    match fields.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "on" | "Y"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

async fn send_message(
    State(sb): Shared,
    Path((account_id, chat_id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let now = sb.clock.now_secs();
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = {
        let mut world = sb.world();
        let Some(session) = world.auth.chat_session(token, now).cloned() else {
            return amojo(AmojoError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "X-Auth-Token is not a live session: open one at POST /ajax/v1/chats/session",
            ));
        };
        if session.account_id != account_id {
            return amojo(AmojoError::new(
                StatusCode::FORBIDDEN,
                "ACCESS_DENIED",
                format!("the session is for account {}", session.account_id),
            ));
        }
        let Some(fields) = fields(&headers, &bytes) else {
            return amojo(AmojoError::bad_request("the body is not a JSON object"));
        };
        let Some(text) = text_of(&fields, "text").filter(|t| !t.is_empty()) else {
            return amojo(AmojoError::bad_request("`text` is required"));
        };
        let spec = OutgoingSpec {
            chat_id: chat_id.clone(),
            author: Author::Manager,
            user_id: Some(session.user_id),
            message: json!({"type": "text", "text": text}),
            reply_to: None,
            is_template: false,
            silent: flag(&fields, "silent"),
        };
        actions::send_outgoing(&mut world, now, &account_id, spec)
    };
    sb.flush();
    match result {
        Ok(id) => Json(json!({"id": id, "chat_id": chat_id, "created_at": now})).into_response(),
        Err(e) => amojo(AmojoError::new(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.code,
            e.error,
        )),
    }
}
