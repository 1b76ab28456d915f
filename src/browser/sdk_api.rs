//! The endpoints the emulated Kommo interface calls for the JS SDK, and the
//! ones a scenario uses to set the scene (users online, failing notifications).

use super::{error, no_account, resolve_account};
use crate::domain::Notification;
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<Sandbox>>;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(
            "/_sandbox/accounts/{acc}/sdk_calls",
            get(list_calls).post(record_call).delete(clear_calls),
        )
        .route(
            "/_sandbox/accounts/{acc}/notifications",
            get(list_notifications).post(persist_notification),
        )
        .route("/_sandbox/accounts/{acc}/users", get(users).post(add_user))
        .route("/_sandbox/accounts/{acc}/users/{id}", post(set_user))
        .route(
            "/_sandbox/accounts/{acc}/calling_status",
            get(calling_status).post(set_calling_status),
        )
        .route(
            "/_sandbox/accounts/{acc}/browser",
            get(browser_state).post(set_browser),
        )
        .route("/_sandbox/crm_post", post(crm_post))
}

/// A call the page reports (`{method, args, page}`), on the host's and the site's surfaces alike.
#[derive(Deserialize)]
pub(super) struct CallBody {
    pub(super) method: String,
    #[serde(default)]
    pub(super) args: Vec<Value>,
    #[serde(default)]
    pub(super) page: String,
}

async fn record_call(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<CallBody>,
) -> Response {
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let account = world.account_mut(&id).expect("resolved");
    let seq = account
        .browser
        .record(&body.method, body.args, &body.page, now);
    Json(json!({"seq": seq})).into_response()
}

#[derive(Deserialize)]
struct CallFilter {
    /// Prefix of the method name, e.g. `APP.notifications`.
    method: Option<String>,
    since: Option<u64>,
}

async fn list_calls(
    State(sb): Shared,
    Path(acc): Path<String>,
    Query(f): Query<CallFilter>,
) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let calls: Vec<&crate::domain::browser_state::SdkCall> = world
        .account(&id)
        .expect("resolved")
        .browser
        .sdk_calls
        .iter()
        .filter(|c| f.method.as_deref().is_none_or(|m| c.method.starts_with(m)))
        .filter(|c| f.since.is_none_or(|s| c.seq > s))
        .collect();
    Json(json!({"sdk_calls": calls})).into_response()
}

async fn clear_calls(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    world
        .account_mut(&id)
        .expect("resolved")
        .browser
        .sdk_calls
        .clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn list_notifications(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    Json(json!({"notifications": world.account(&id).expect("resolved").notifications}))
        .into_response()
}

#[derive(Deserialize)]
struct NotificationBody {
    /// `call` (add_call) or `error` (add_error).
    kind: String,
    params: Value,
    /// The user whose bell gets it (default: every user, as a call reaches all channels).
    user_id: Option<i64>,
}

/// `add_call` / `add_error` persist to the notification centre; the id is what `done` sees.
async fn persist_notification(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<NotificationBody>,
) -> Response {
    if body.kind != "call" && body.kind != "error" {
        return error(
            StatusCode::BAD_REQUEST,
            format!("kind {:?} is not `call` or `error`", body.kind),
        );
    }
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let account = world.account_mut(&id).expect("resolved");
    if account.browser.notifications_fail {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "notification centre unavailable (set by POST /_sandbox/accounts/{id}/browser)",
        );
    }
    let n_id = account.ids.number();
    let user_ids = match body.user_id {
        Some(u) => vec![u],
        None => account.users.iter().map(|u| u.id).collect(),
    };
    let text = notification_text(&body.params);
    let date = body
        .params
        .get("date")
        .and_then(Value::as_i64)
        .unwrap_or(now);
    account.notifications.push(Notification {
        id: n_id,
        kind: body.kind,
        user_ids,
        text,
        chat_id: None,
        contact_id: None,
        params: Some(body.params),
        created_at: date,
    });
    Json(json!({"id": n_id})).into_response()
}

/// The bell shows "header: text"; a call's text is required, an error's header is the widget.
fn notification_text(p: &Value) -> String {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match (s("header"), s("text")) {
        (h, t) if h.is_empty() => t,
        (h, t) => format!("{h}: {t}"),
    }
}

/// Users' online states, as `showUserStatus` reads them (synchronously, so scenario changes show at once).
async fn users(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let users: Vec<Value> = world
        .account(&id)
        .expect("resolved")
        .users
        .iter()
        .map(|u| json!({"id": u.id, "online": u.online}))
        .collect();
    Json(json!({"users": users})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    online: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    email: Option<String>,
    is_admin: Option<bool>,
    online: Option<bool>,
}

/// Adds a Kommo user (a manager) with its own amojo id, as an admin would invite one.
async fn add_user(State(sb): Shared, Path(acc): Path<String>, body: axum::body::Bytes) -> Response {
    let req: NewUser = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("{e}; send {{\"name\", \"email\"?, \"is_admin\"?, \"online\"?}}"),
            )
        }
    };
    if req.name.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "`name` must not be empty");
    }
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let account = world.account_mut(&id).expect("resolved");
    let user = crate::domain::User {
        id: account
            .users
            .iter()
            .map(|u| u.id)
            .max()
            .unwrap_or(5_000_000)
            + 1,
        email: req.email.unwrap_or_else(|| {
            format!("{}@example.test", req.name.to_lowercase().replace(' ', "."))
        }),
        name: req.name,
        amojo_id: account.ids.uuid(),
        is_admin: req.is_admin.unwrap_or(false),
        online: req.online.unwrap_or(true),
    };
    account.users.push(user.clone());
    (StatusCode::CREATED, Json(json!(user))).into_response()
}

async fn set_user(
    State(sb): Shared,
    Path((acc, user)): Path<(String, i64)>,
    Json(body): Json<UserBody>,
) -> Response {
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let account = world.account_mut(&id).expect("resolved");
    let Some(u) = account.users.iter_mut().find(|u| u.id == user) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no user {user} in account {acc}"),
        );
    };
    u.online = body.online;
    Json(json!({"id": user, "online": body.online})).into_response()
}

async fn calling_status(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    Json(json!({"status": world.account(&id).expect("resolved").browser.calling_status}))
        .into_response()
}

#[derive(Deserialize)]
struct StatusBody {
    status: bool,
}

async fn set_calling_status(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<StatusBody>,
) -> Response {
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    world
        .account_mut(&id)
        .expect("resolved")
        .browser
        .calling_status = body.status;
    Json(json!({"status": body.status})).into_response()
}

async fn browser_state(State(sb): Shared, Path(acc): Path<String>) -> Response {
    let world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    Json(json!(world.account(&id).expect("resolved").browser)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserSettings {
    notifications_fail: Option<bool>,
}

async fn set_browser(
    State(sb): Shared,
    Path(acc): Path<String>,
    Json(body): Json<BrowserSettings>,
) -> Response {
    let mut world = sb.world();
    let Some(id) = resolve_account(&world, &acc) else {
        return no_account(&acc);
    };
    let state = &mut world.account_mut(&id).expect("resolved").browser;
    if let Some(fail) = body.notifications_fail {
        state.notifications_fail = fail;
    }
    Json(json!({"notifications_fail": state.notifications_fail})).into_response()
}

#[derive(Deserialize)]
struct ProxyBody {
    url: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
}

/// `self.crm_post`: Kommo posts to the widget's server on its behalf (no CORS in the way).
async fn crm_post(Json(body): Json<ProxyBody>) -> Response {
    let form: Vec<(String, String)> = match &body.data {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        _ => vec![],
    };
    let mut req = reqwest::Client::new()
        .post(&body.url)
        .form(&form)
        .timeout(std::time::Duration::from_secs(10));
    for (k, v) in &body.headers {
        req = req.header(k.as_str(), v.as_str().unwrap_or_default());
    }
    match req.send().await {
        Ok(resp) => {
            let status =
                StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let text = resp.text().await.unwrap_or_default();
            (status, text).into_response()
        }
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            format!("crm_post to {} failed: {e}", body.url),
        ),
    }
}
