//! REST API v4 (`/api/v4/...`, `/api/v2/salesbot/run`, `/oauth2/access_token`)
//! as a chat integration uses it (spec kommo-rest-v4.md). Every `/api` call is
//! authorized by a bearer token bound to one account and one integration,
//! counted against the rate limit, journaled, and followed by a flush of the
//! hooks and account events it queued.

pub mod account;
pub mod admin;
pub mod batch;
pub mod bots;
pub mod chat_links;
pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod hal;
pub mod leads;
pub mod leads_complex;
pub mod links;
pub mod notes;
pub mod oauth;
pub mod php_query;
pub mod pipelines;
pub mod problem;
pub mod sources;
pub mod tags;
pub mod talks;
pub mod tasks;
pub mod templates;
pub mod unsorted;
pub mod unsorted_forms;
pub mod webhooks;

use crate::domain::auth::Refusal;
use crate::domain::rate_limit::Verdict;
use crate::journal::Entry;
use crate::Sandbox;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use problem::Problem;
use serde_json::json;
use std::sync::Arc;

/// Who is calling: from the bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    /// amojo id of the account.
    pub account_id: String,
    /// The integration (OAuth client) the token was issued to.
    pub integration_id: String,
    pub base: String,
    pub query: hal::Query,
    pub now: i64,
}

pub type Shared = State<Arc<Sandbox>>;

pub fn router(sandbox: Arc<Sandbox>) -> Router<Arc<Sandbox>> {
    let api = Router::new()
        .merge(account::routes())
        .merge(sources::routes())
        .merge(chat_links::routes())
        .merge(unsorted::routes())
        .merge(contacts::routes())
        .merge(companies::routes())
        .merge(custom_fields::routes())
        .merge(leads::routes())
        .merge(leads_complex::routes())
        .merge(links::routes())
        .merge(pipelines::routes())
        .merge(tags::routes())
        .merge(notes::routes())
        .merge(tasks::routes())
        .merge(talks::routes())
        .merge(templates::routes())
        .merge(bots::routes())
        .merge(webhooks::routes())
        .route("/api/v4/{*rest}", any(unknown_path))
        .layer(middleware::from_fn_with_state(sandbox.clone(), guard));
    let open = Router::new()
        .merge(oauth::routes())
        .layer(middleware::from_fn_with_state(sandbox, journal_only));
    Router::new().merge(api).merge(open).merge(admin::routes())
}

async fn unknown_path(request: Request) -> Response {
    Problem::not_found(format!(
        "Cannot {} {}",
        request.method(),
        request.uri().path()
    ))
    .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Token, then rate limit, then the handler; the caller's identity travels as an extension.
async fn guard(State(sb): Shared, request: Request, next: Next) -> Response {
    let (mut parts, body) = buffer(&sb, request).await;
    let bytes = body.clone().unwrap_or_default();
    let front = parts.extensions.get::<crate::front::Front>().cloned();
    let admitted = body
        .and_then(|_| admit(&sb, &parts.headers, parts.uri.query().unwrap_or("")))
        .and_then(|api| at_host(api, front));
    let account = admitted.as_ref().ok().map(|a| a.account_id.clone());
    let response = match admitted {
        Ok(api) => {
            parts.extensions.insert(api);
            method_not_allowed_as_problem(next.run(rebuild(&parts, &bytes)).await)
        }
        Err(problem) => problem.into_response(),
    };
    let response = record(&sb, "rest_v4", &parts, &bytes, response, account).await;
    sb.flush();
    response
}

/// The OAuth endpoint needs no token but is journaled like the rest.
async fn journal_only(State(sb): Shared, request: Request, next: Next) -> Response {
    journaled(&sb, "rest_v4", request, next, None).await
}

/// Runs the rest of the stack and journals the call as `surface`.
pub(crate) async fn journaled(
    sb: &Sandbox,
    surface: &'static str,
    request: Request,
    next: Next,
    account_id: Option<String>,
) -> Response {
    let (parts, body) = buffer(sb, request).await;
    let bytes = body.clone().unwrap_or_default();
    let response = match body {
        Ok(bytes) => next.run(rebuild(&parts, &bytes)).await,
        Err(problem) => problem.into_response(),
    };
    record(sb, surface, &parts, &bytes, response, account_id).await
}

fn admit(sb: &Sandbox, headers: &HeaderMap, query: &str) -> Result<Api, Problem> {
    let token = bearer(headers)
        .or_else(|| crate::browser::session::cookie_token(headers))
        .ok_or_else(Problem::unauthorized)?;
    let now_ms = sb.clock.now_ms();
    let mut world = sb.world();
    let (account_id, integration_id) =
        world
            .auth
            .check(token, now_ms.div_euclid(1000))
            .map_err(|r| match r {
                Refusal::Unknown => Problem::unauthorized(),
                Refusal::Expired => {
                    Problem::new(StatusCode::UNAUTHORIZED, "Access token has expired")
                }
            })?;
    check_context_user(&world, &account_id, headers)?;
    match world
        .rate_limits
        .hit(&account_id, sb.settings.rate_limit, now_ms)
    {
        Verdict::Allowed => {}
        Verdict::TooMany { retry_after } => return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "You have sent too many requests in a given amount of time. Please try again later.",
        )
        .with("retry_after", json!(retry_after))),
        Verdict::Blocked { .. } => {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Account blocked for repeatedly exceeding the requests per second limit",
            ))
        }
    }
    Ok(Api {
        account_id,
        integration_id,
        base: sb.base_url().to_string(),
        query: hal::Query::parse(query),
        now: now_ms.div_euclid(1000),
    })
}

/// At `<sub>.kommo.com` a token works for that account only, and links name
/// the host the call came to.
fn at_host(mut api: Api, front: Option<crate::front::Front>) -> Result<Api, Problem> {
    let Some(front) = front else { return Ok(api) };
    if front.account.as_ref().is_some_and(|a| *a != api.account_id) {
        return Err(Problem::unauthorized());
    }
    api.base = front.base_url;
    Ok(api)
}

/// `X-Context-User-ID` runs the call as that user; an unknown user is refused (spec §9).
fn check_context_user(
    world: &crate::domain::World,
    account_id: &str,
    headers: &HeaderMap,
) -> Result<(), Problem> {
    let Some(value) = headers.get("x-context-user-id") else {
        return Ok(());
    };
    let known = world.account(account_id).is_some_and(|a| {
        a.users
            .iter()
            .any(|u| value.to_str().ok() == Some(u.id.to_string().as_str()))
    });
    if known {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "The user of X-Context-User-ID is not a user of this account",
        ))
    }
}

/// axum answers a known path with another method by an empty 405; Kommo by problem+json.
fn method_not_allowed_as_problem(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        return Problem::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response();
    }
    response
}

/// Reads the body once so it can be journaled and handed on; over
/// `max_body_bytes` is a 413.
async fn buffer(sb: &Sandbox, request: Request) -> (Parts, Result<Bytes, Problem>) {
    let (parts, body) = request.into_parts();
    let limit = sb.settings.max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is over {limit} bytes"),
        )
    });
    (parts, bytes)
}

fn rebuild(parts: &Parts, bytes: &Bytes) -> Request {
    Request::from_parts(parts.clone(), Body::from(bytes.clone()))
}

/// Journals one call of `surface` with the response it got, and hands the response on.
async fn record(
    sb: &Sandbox,
    surface: &'static str,
    request: &Parts,
    body: &Bytes,
    response: Response,
    account_id: Option<String>,
) -> Response {
    let (parts, resp_body) = response.into_parts();
    let resp_bytes = axum::body::to_bytes(resp_body, usize::MAX)
        .await
        .unwrap_or_default();
    sb.journal.push(Entry {
        seq: 0,
        at_ms: sb.clock.now_ms(),
        surface,
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        query: request.uri.query().unwrap_or("").to_string(),
        headers: request
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
        status: parts.status.as_u16(),
        response_body: String::from_utf8_lossy(&resp_bytes).into_owned(),
        scope_id: None,
        account_id,
        signature: None,
    });
    Response::from_parts(parts, Body::from(resp_bytes))
}

/// The caller's account; gone only if the sandbox was reset under a live token.
pub fn account_of<'a>(
    world: &'a crate::domain::World,
    api: &Api,
) -> problem::ApiResult<&'a crate::domain::Account> {
    world
        .account(&api.account_id)
        .ok_or_else(Problem::unauthorized)
}

pub fn account_mut_of<'a>(
    world: &'a mut crate::domain::World,
    api: &Api,
) -> problem::ApiResult<&'a mut crate::domain::Account> {
    world
        .account_mut(&api.account_id)
        .ok_or_else(Problem::unauthorized)
}

/// A numeric path id; anything else is a path Kommo does not serve (404).
pub fn path_id(raw: &str) -> problem::ApiResult<i64> {
    raw.parse()
        .map_err(|_| Problem::not_found(format!("Cannot find {raw}")))
}
