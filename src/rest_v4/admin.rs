//! Admin-plane endpoints for the REST side: mint an OAuth authorization code,
//! configure Salesbots, and read account webhook deliveries.

use crate::domain::auth::CODE_TTL;
use crate::domain::Salesbot;
use crate::webhooks::AttemptFilter;
use crate::Sandbox;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<Sandbox>>;

pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/_sandbox/accounts/{amojo_id}/oauth/code", post(mint_code))
        .route(
            "/_sandbox/accounts/{amojo_id}/salesbots",
            post(add_salesbot),
        )
        .route("/_sandbox/account_webhooks", get(attempts))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// An optional JSON body; the error says what to send.
fn parse<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8], hint: &str) -> Result<T, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("{e}; send {hint}"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    client_id: Option<String>,
}

/// What the Kommo consent screen would redirect with: `code` for the integration.
async fn mint_code(State(sb): Shared, Path(amojo_id): Path<String>, bytes: Bytes) -> Response {
    let req: CodeRequest = match parse(&bytes, "{\"client_id\"?: string}") {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    let Some(account) = world.account(&amojo_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no account with amojo_id {amojo_id}; GET /_sandbox/accounts lists them"),
        );
    };
    let allowed: Vec<String> = world
        .channels
        .iter()
        .filter(|c| c.may_connect(&account.amojo_id))
        .map(|c| c.integration_id.clone())
        .collect();
    let client_id = match req.client_id {
        Some(id) if allowed.contains(&id) => id,
        Some(id) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "integration {id} has no channel this account may use; known: {}",
                    allowed.join(", ")
                ),
            )
        }
        None => match allowed.first() {
            Some(id) => id.clone(),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "no integration may use this account",
                )
            }
        },
    };
    // Kommo's redirect names the account's own address as `referer`.
    let referer = format!("{}.kommo.com", account.subdomain);
    let code = world.auth.mint_code(&client_id, &amojo_id, now);
    let secret = world
        .auth
        .integration(&client_id)
        .map(|i| i.client_secret.clone());
    Json(json!({"code": code.code, "client_id": client_id, "client_secret": secret, "expires_in": CODE_TTL, "referer": referer, "token_url": format!("{}/oauth2/access_token", sb.base_url())})).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSalesbot {
    id: Option<i64>,
    name: Option<String>,
    #[serde(default)]
    steps: Vec<Value>,
}

async fn add_salesbot(State(sb): Shared, Path(amojo_id): Path<String>, bytes: Bytes) -> Response {
    let req: NewSalesbot = match parse(
        &bytes,
        "{\"name\": string, \"steps\": [handlers], \"id\"?: int}",
    ) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let mut world = sb.world();
    let Some(account) = world.account_mut(&amojo_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no account with amojo_id {amojo_id}"),
        );
    };
    let id = req
        .id
        .unwrap_or_else(|| account.salesbots.iter().map(|b| b.id).max().unwrap_or(0) + 1);
    if account.salesbots.iter().any(|b| b.id == id) {
        return error(StatusCode::CONFLICT, format!("salesbot {id} exists"));
    }
    let bot = Salesbot {
        id,
        name: req.name.unwrap_or_else(|| format!("Salesbot {id}")),
        steps: req.steps,
    };
    account.salesbots.push(bot.clone());
    (StatusCode::CREATED, Json(json!(bot))).into_response()
}

/// Account webhook deliveries, each with `in_time`: answered 100–299 within 2 s.
async fn attempts(State(sb): Shared, Query(mut filter): Query<AttemptFilter>) -> Json<Value> {
    filter.hook = Some("account".into());
    let list: Vec<Value> = sb
        .webhooks
        .query(&filter)
        .into_iter()
        .map(|a| {
            let in_time = crate::webhooks::account::in_time(&a);
            let mut v = json!(a);
            v["in_time"] = json!(in_time);
            v
        })
        .collect();
    Json(json!({"attempts": list}))
}
