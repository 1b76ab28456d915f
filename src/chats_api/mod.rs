//! The Chats API ("amojo"): `/v2/origin/custom/...`, signed requests from the
//! integration. Every request goes through the same pipeline: size, route,
//! channel or scope, signature, content type, then the method itself; every
//! answer is journaled with its signature verdict.

mod chats;
mod connect;
mod delivery;
pub mod error;
mod history;
mod messages;
mod react;
mod typing;
pub mod wire;

use crate::domain::World;
use crate::journal::Entry;
use crate::signature::{self, Policy, Received, Verdict};
use crate::Sandbox;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use error::{AmojoError, Result};
use serde_json::Value;
use std::sync::Arc;

pub const PREFIX: &str = "/v2/origin/custom/";

/// One Chats API method, resolved from the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Connect { channel_id: String },
    Disconnect { channel_id: String },
    CreateChat { scope_id: String },
    Message { scope_id: String },
    DeliveryStatus { scope_id: String, msgid: String },
    History { scope_id: String, chat_id: String },
    Typing { scope_id: String },
    React { scope_id: String },
}

impl Endpoint {
    fn scope_id(&self) -> Option<&str> {
        match self {
            Endpoint::Connect { .. } | Endpoint::Disconnect { .. } => None,
            Endpoint::CreateChat { scope_id }
            | Endpoint::Message { scope_id }
            | Endpoint::DeliveryStatus { scope_id, .. }
            | Endpoint::History { scope_id, .. }
            | Endpoint::Typing { scope_id }
            | Endpoint::React { scope_id } => Some(scope_id),
        }
    }
}

/// Maps method and path to an endpoint: 404 for an unknown path, 405 for a known path with another method.
pub fn route(method: &Method, path: &str) -> Result<Endpoint> {
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segs: Vec<&str> = rest.split('/').collect();
    let s = |i: usize| segs[i].to_string();
    let (endpoint, allowed) = match segs.as_slice() {
        [id, "connect"] if !id.is_empty() => (Endpoint::Connect { channel_id: s(0) }, Method::POST),
        [id, "disconnect"] if !id.is_empty() => {
            (Endpoint::Disconnect { channel_id: s(0) }, Method::DELETE)
        }
        [id, "chats"] if !id.is_empty() => (Endpoint::CreateChat { scope_id: s(0) }, Method::POST),
        [id, "typing"] if !id.is_empty() => (Endpoint::Typing { scope_id: s(0) }, Method::POST),
        [id, "react"] if !id.is_empty() => (Endpoint::React { scope_id: s(0) }, Method::POST),
        [id, m, "delivery_status"] if !id.is_empty() && !m.is_empty() => (
            Endpoint::DeliveryStatus {
                scope_id: s(0),
                msgid: s(1),
            },
            Method::POST,
        ),
        [id, "chats", c, "history"] if !id.is_empty() && !c.is_empty() => (
            Endpoint::History {
                scope_id: s(0),
                chat_id: s(2),
            },
            Method::GET,
        ),
        [id] if !id.is_empty() => (Endpoint::Message { scope_id: s(0) }, Method::POST),
        _ => {
            return Err(AmojoError::not_found(
                "NOT_FOUND",
                format!("no Chats API method at {path}; see the endpoint list at /_sandbox/"),
            ))
        }
    };
    if *method != allowed {
        return Err(AmojoError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{method} is not allowed on {path}; use {allowed}"),
        ));
    }
    Ok(endpoint)
}

/// What a method answers on success.
pub enum Reply {
    Json(StatusCode, Value),
    /// JSON already serialized: the message methods answer from a typed
    /// struct, cheaper under the world's lock than building a JSON map.
    Text(StatusCode, String),
    Empty(StatusCode),
}

/// A request's body (or query), parsed and checked, with the ids from its
/// path: everything a method needs that does not depend on the world.
pub enum Input {
    Connect(String, wire::ConnectRequest),
    Disconnect(String, wire::DisconnectRequest),
    CreateChat(String, wire::CreateChatRequest),
    Message(String, Box<messages::MessageInput>),
    DeliveryStatus(String, String, wire::DeliveryStatusRequest),
    History(String, String, history::Paging),
    Typing(String, wire::TypingRequest),
    React(String, react::ReactInput),
}

/// Parses and checks the request for `endpoint`; touches no state.
fn parse_input(endpoint: &Endpoint, body: &[u8], query: &str) -> Result<Input> {
    let id = |s: &String| s.clone();
    Ok(match endpoint {
        Endpoint::Connect { channel_id } => {
            Input::Connect(id(channel_id), connect::parse_connect(body)?)
        }
        Endpoint::Disconnect { channel_id } => {
            Input::Disconnect(id(channel_id), connect::parse_disconnect(body)?)
        }
        Endpoint::CreateChat { scope_id } => Input::CreateChat(id(scope_id), chats::parse(body)?),
        Endpoint::Message { scope_id } => {
            Input::Message(id(scope_id), Box::new(messages::parse(body)?))
        }
        Endpoint::DeliveryStatus { scope_id, msgid } => {
            Input::DeliveryStatus(id(scope_id), id(msgid), delivery::parse(body, msgid)?)
        }
        Endpoint::History { scope_id, chat_id } => {
            Input::History(id(scope_id), id(chat_id), history::paging(query)?)
        }
        Endpoint::Typing { scope_id } => Input::Typing(id(scope_id), typing::parse(body)?),
        Endpoint::React { scope_id } => Input::React(id(scope_id), react::parse(body)?),
    })
}

/// Runs the method on the world (locked by the caller).
fn apply(world: &mut World, now: i64, input: Input) -> Result<Reply> {
    match input {
        Input::Connect(channel, req) => connect::connect(world, now, &channel, req),
        Input::Disconnect(channel, req) => connect::disconnect(world, &channel, req),
        Input::CreateChat(scope, req) => chats::create(world, now, &scope, req),
        Input::Message(scope, input) => messages::post(world, now, &scope, *input),
        Input::DeliveryStatus(scope, msgid, req) => {
            delivery::update(world, now, &scope, &msgid, req)
        }
        Input::History(scope, chat, paging) => history::get(world, &scope, &chat, paging),
        Input::Typing(scope, req) => typing::post(world, now, &scope, req),
        Input::React(scope, reaction) => react::post(world, now, &scope, reaction),
    }
}

pub async fn handle(
    State(sandbox): State<Arc<Sandbox>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // One reading of the clock per request: the signature check, the method
    // and the journal all see the same instant.
    let now_ms = sandbox.clock.now_ms();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let (bytes, outcome) = match axum::body::to_bytes(body, sandbox.settings.max_body_bytes).await {
        Ok(bytes) => {
            let mut verdict = None;
            let request = Request {
                method: &method,
                path: &path,
                query: &query,
                headers: &headers,
                body: &bytes,
                now_ms,
            };
            let outcome = process(&sandbox, &request, &mut verdict).await;
            (bytes, (outcome, verdict))
        }
        Err(_) => (
            Bytes::new(),
            (
                Err(AmojoError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "REQUEST_TOO_LARGE",
                    format!(
                        "the body is over the {} byte limit",
                        sandbox.settings.max_body_bytes
                    ),
                )),
                None,
            ),
        ),
    };
    let (result, verdict) = outcome;
    let (status, response_body) = match result {
        Ok(Reply::Json(status, value)) => (status, value.to_string()),
        Ok(Reply::Text(status, text)) => (status, text),
        Ok(Reply::Empty(status)) => (status, String::new()),
        Err(err) => (err.status, err.body().to_string()),
    };
    record(
        &sandbox,
        &method,
        &path,
        &query,
        &headers,
        &bytes,
        status,
        &response_body,
        verdict,
        now_ms,
    );
    let mut response = (status, response_body).into_response();
    if status != StatusCode::NO_CONTENT {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        // HTTP requires a 405 to say which method the path takes.
        if let Some(allowed) = [Method::POST, Method::GET, Method::DELETE]
            .into_iter()
            .find(|m| route(m, &path).is_ok())
        {
            response
                .headers_mut()
                .insert(header::ALLOW, allowed.as_str().parse().unwrap());
        }
    }
    response
}

/// A request as read off the wire.
struct Request<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    now_ms: i64,
}

/// The pipeline after the body is read. Under load the world's lock is the
/// one shared resource, so parsing and the signature run unlocked, and the
/// world is locked only for a glance at the channel's secret and then once
/// more, for the method (if the request got that far) and for what is due
/// to be sent, refused requests included, as every surface's requests do.
async fn process(
    sandbox: &Arc<Sandbox>,
    req: &Request<'_>,
    verdict: &mut Option<Verdict>,
) -> Result<Reply> {
    let now = req.now_ms.div_euclid(1000);
    let checked = check(sandbox, req, now, verdict).await;
    let (reply, due) = {
        let mut world = sandbox.world_async().await;
        let reply = checked.and_then(|input| apply(&mut world, now, input));
        (reply, world.take_due(now))
    };
    sandbox.send(due);
    reply
}

/// Route, body, channel, signature and content type: the method's input,
/// or the error the request gets instead.
async fn check(
    sandbox: &Sandbox,
    req: &Request<'_>,
    now: i64,
    verdict: &mut Option<Verdict>,
) -> Result<Input> {
    let endpoint = route(req.method, req.path)?;
    // A bad body is answered only once the signature is known to be good.
    let input = parse_input(&endpoint, req.body, req.query);
    let secret = {
        let world = sandbox.world_async().await;
        channel_secret(&world, &endpoint)
    }?;
    let v = verify(sandbox, &secret, req, now);
    let ok = v.ok;
    *verdict = Some(v);
    // Kommo's answer says no more than this; the diagnosis (the expected
    // signature among it) would let a client without the secret sign, so it
    // goes to the journal only.
    if !ok {
        return Err(AmojoError::new(
            StatusCode::FORBIDDEN,
            "ORIGIN_INVALID_SIGNATURE",
            "invalid signature",
        ));
    }
    check_content_type(req.method, req.headers)?;
    input
}

/// The secret of the channel the request is for; 404 when the channel or scope is unknown.
fn channel_secret(world: &World, endpoint: &Endpoint) -> Result<String> {
    let channel_id = match endpoint.scope_id() {
        None => match endpoint {
            Endpoint::Connect { channel_id } | Endpoint::Disconnect { channel_id } => {
                channel_id.as_str()
            }
            _ => unreachable!("only connect and disconnect carry no scope"),
        },
        Some(scope_id) => {
            let scope = world.scope(scope_id).filter(|s| s.connected).ok_or_else(|| {
                AmojoError::not_registered(format!(
                    "scope {scope_id} is not connected; call POST {PREFIX}{{channel_id}}/connect for the account first (scope_id = channel_id + \"_\" + account amojo_id)"
                ))
            })?;
            return world
                .channel(&scope.channel_id)
                .map(|c| c.secret.clone())
                .ok_or_else(|| AmojoError::not_registered("channel is gone"));
        }
    };
    world
        .channel(channel_id)
        .map(|c| c.secret.clone())
        .ok_or_else(|| AmojoError::not_registered(format!("channel {channel_id} is not registered in this sandbox; see `kommo-sandbox serve` output or /_sandbox/accounts")))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn verify(sandbox: &Sandbox, secret: &str, req: &Request, now: i64) -> Verdict {
    let headers = req.headers;
    let received = Received {
        method: req.method.as_str(),
        path: req.path,
        date: header_str(headers, "date"),
        content_type: header_str(headers, "content-type"),
        content_md5: header_str(headers, "content-md5"),
        signature: header_str(headers, "x-signature"),
        body: req.body,
    };
    let policy = Policy {
        max_age_secs: sandbox.settings.signature_max_age,
        strict_md5: sandbox.settings.strict_md5,
    };
    let mut verdict = signature::verify(secret, &received, now, policy);
    if !verdict
        .expected_signature
        .eq_ignore_ascii_case(received.signature)
    {
        if let (Some(hint), Some(problem)) = (
            signature::diagnose(secret, &received, req.query),
            verdict.problems.first_mut(),
        ) {
            problem.push_str(&format!("; your signature matches when {hint}"));
        }
    }
    verdict
}

/// Only `application/json` is supported (spec §2.1).
fn check_content_type(method: &Method, headers: &HeaderMap) -> Result<()> {
    if *method == Method::GET {
        return Ok(());
    }
    let ct = header_str(headers, "content-type");
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(AmojoError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_CONTENT_TYPE",
            format!("Content-Type {ct:?} is not supported; send application/json (and sign that exact value)"),
        ))
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    sandbox: &Sandbox,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    status: StatusCode,
    response_body: &str,
    signature: Option<Verdict>,
    now_ms: i64,
) {
    // Every scope method's first segment is the scope id (`{channel}_{account}`);
    // connect/disconnect carry a bare channel id.
    let scope_id = path
        .strip_prefix(PREFIX)
        .and_then(|r| r.split('/').next())
        .filter(|s| s.contains('_'))
        .map(str::to_string);
    let account_id = scope_id
        .as_deref()
        .and_then(crate::domain::split_scope)
        .map(|(_, a)| a.to_string());
    sandbox.journal.push(Entry {
        seq: 0,
        at_ms: now_ms,
        surface: "chats_api",
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
        status: status.as_u16(),
        response_body: response_body.to_string(),
        scope_id,
        account_id,
        signature,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_method() {
        let p = |s: &str| format!("{PREFIX}{s}");
        assert_eq!(
            route(&Method::POST, &p("c/connect")).unwrap(),
            Endpoint::Connect {
                channel_id: "c".into()
            }
        );
        assert_eq!(
            route(&Method::DELETE, &p("c/disconnect")).unwrap(),
            Endpoint::Disconnect {
                channel_id: "c".into()
            }
        );
        assert_eq!(
            route(&Method::POST, &p("s")).unwrap(),
            Endpoint::Message {
                scope_id: "s".into()
            }
        );
        assert_eq!(
            route(&Method::POST, &p("s/m/delivery_status")).unwrap(),
            Endpoint::DeliveryStatus {
                scope_id: "s".into(),
                msgid: "m".into()
            }
        );
        assert_eq!(
            route(&Method::GET, &p("s/chats/c/history")).unwrap(),
            Endpoint::History {
                scope_id: "s".into(),
                chat_id: "c".into()
            }
        );
        assert_eq!(
            route(&Method::GET, &p("s/chats")).unwrap_err().status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            route(&Method::POST, &p("s/x/y/z/w")).unwrap_err().status,
            StatusCode::NOT_FOUND
        );
    }
}
