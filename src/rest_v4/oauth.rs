//! `POST /oauth2/access_token` (spec kommo-rest-v4.md §9): the
//! `authorization_code` and `refresh_token` grants. Codes live 20 minutes,
//! refresh tokens rotate and are single-use, access tokens last `expires_in`
//! on the sandbox clock. Access tokens are RS256 JWTs; `GET
//! /_sandbox/oauth/public_key` serves the key that verifies them.

use super::problem::{ApiResult, Problem};
use super::Shared;
use crate::domain::auth::ACCESS_TTL;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/oauth2/access_token", post(access_token))
        .route("/_sandbox/oauth/public_key", get(public_key))
}

/// The PEM (SPKI) of the key whose RS256 signature every access token carries.
async fn public_key(State(sb): Shared) -> Response {
    let pem = sb.world().auth.public_key_pem().to_string();
    ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response()
}

/// JSON as Kommo documents it; form encoding as OAuth clients often send it.
fn params(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Value> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(bytes)
            .into_owned()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        return Ok(Value::Object(map));
    }
    super::hal::body(bytes)
}

fn invalid_grant(hint: &str) -> Problem {
    Problem::bad_request("The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.").with("hint", json!(hint))
}

async fn access_token(State(sb): Shared, headers: HeaderMap, bytes: Bytes) -> ApiResult<Response> {
    let p = params(&headers, &bytes)?;
    let field = |k: &str| p[k].as_str().filter(|s| !s.is_empty());
    let (Some(client_id), Some(secret), Some(grant)) = (
        field("client_id"),
        field("client_secret"),
        field("grant_type"),
    ) else {
        return Err(
            Problem::bad_request("The request is missing a required parameter").with(
                "hint",
                json!("send client_id, client_secret, grant_type and redirect_uri"),
            ),
        );
    };
    let now = sb.clock.now_secs();
    let mut world = sb.world();
    if world
        .auth
        .integration(client_id)
        .is_none_or(|i| i.client_secret != secret)
    {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "Client authentication failed",
        ));
    }
    let issued = match grant {
        "authorization_code" => {
            let code = field("code").ok_or_else(|| invalid_grant("Check the `code` parameter"))?;
            world.auth.exchange_code(client_id, code, now)
        }
        "refresh_token" => {
            let token = field("refresh_token")
                .ok_or_else(|| invalid_grant("Check the `refresh_token` parameter"))?;
            world.auth.refresh(client_id, token, now)
        }
        _ => {
            return Err(Problem::bad_request(
                "The authorization grant type is not supported by the authorization server.",
            )
            .with("hint", json!("use authorization_code or refresh_token")))
        }
    };
    let token = issued.map_err(invalid_grant)?;
    let body = json!({"token_type": "Bearer", "expires_in": ACCESS_TTL, "access_token": token.access_token, "refresh_token": token.refresh_token});
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}
