//! The front door: every request passes here before any surface sees it.
//!
//! It lets the sandbox stand at Kommo's own hostnames. A client configured
//! with `HTTPS_PROXY` sends `CONNECT amojo.kommo.com:443`, which the proxy
//! terminates with a leaf certificate of the local CA ([`ca`]); a client
//! pointed at the TLS port by a hosts file arrives with SNI ([`tls`]). Either
//! way the request is then served as if it came to the sandbox directly, and
//! its `Host` chooses the surface: `amojo.*` the Chats API, `<sub>.kommo.com`
//! that account ([`hosts`]). Paths are read as Kommo's front server reads
//! them (repeated slashes merged). The admin plane answers its owner only
//! ([`owner`]).

pub mod ca;
pub mod hosts;
mod owner;
mod proxy;
pub mod tls;

pub use ca::LocalCa;
pub use hosts::Host;

use crate::chats_api::error::AmojoError;
use crate::rest_v4::problem::Problem;
use crate::Sandbox;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// Marks a request that came over TLS (the proxy's tunnel or the TLS port).
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// Where a request came in, for the surfaces: the host it named and the base
/// URL its links should carry.
#[derive(Debug, Clone)]
pub struct Front {
    pub host: Host,
    /// `https://mysub.kommo.com`, or the sandbox's own address for loopback names.
    pub base_url: String,
    /// The account `<sub>.kommo.com` names (its amojo id).
    pub account: Option<String>,
}

/// The middleware around the whole app.
pub async fn door(State(sb): State<Arc<Sandbox>>, mut request: Request, next: Next) -> Response {
    if request.method() == Method::CONNECT {
        return proxy::connect(sb, request);
    }
    let absolute = request.uri().scheme().is_some();
    let authority = authority(&request);
    let host = hosts::classify(&authority);
    if absolute && host == Host::Other {
        return proxy::refuse(&authority);
    }
    let tls = request.extensions().get::<OverTls>().is_some();
    let path = merge_slashes(request.uri().path());
    if let Some(refusal) = refuse_by_host(&host, &path) {
        return refusal;
    }
    if path.starts_with("/_sandbox") {
        if let Some(refusal) = owner::refuse(&host, &authority, request.method(), request.headers())
        {
            return closing_if_unread(refusal);
        }
    }
    let account = match &host {
        Host::Account { subdomain, .. } => match account_by_subdomain(&sb, subdomain) {
            Some(id) => Some(id),
            None => return no_such_account(&authority),
        },
        _ => None,
    };
    if absolute || path != request.uri().path() {
        *request.uri_mut() = origin_form(&path, request.uri().query());
    }
    let base_url = if host.is_kommo() {
        let scheme = if tls || !absolute { "https" } else { "http" };
        format!("{scheme}://{}", authority.to_ascii_lowercase())
    } else {
        sb.base_url().to_string()
    };
    request.extensions_mut().insert(Front {
        host,
        base_url,
        account,
    });
    closing_if_unread(next.run(request).await)
}

/// A body refused unread (too large, wrong type) leaves the connection
/// unusable; saying so lets a keep-alive client open a new one instead of
/// meeting EOF on its next request.
fn closing_if_unread(mut response: Response) -> Response {
    let status = response.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The absolute-form authority of a proxied request, else the `Host` header.
fn authority(request: &Request) -> String {
    if let Some(authority) = request.uri().authority() {
        return authority.to_string();
    }
    request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Each Kommo host serves its own surfaces only, as Kommo's do.
fn refuse_by_host(host: &Host, path: &str) -> Option<Response> {
    let chats = path.starts_with("/v2/origin/custom/") || path.starts_with("/v1/chats/");
    let admin = path.starts_with("/_sandbox");
    match host {
        Host::Amojo { .. } if !chats && !admin => Some(amojo_not_found(path)),
        Host::Account { .. } | Host::Shared { .. } if chats => {
            Some(Problem::not_found(format!("Cannot find {path}")).into_response())
        }
        _ => None,
    }
}

fn amojo_not_found(path: &str) -> Response {
    let error = AmojoError::not_found(
        "NOT_FOUND",
        format!("nothing at {path} on the Chats API host"),
    );
    (error.status, Json(error.body())).into_response()
}

/// Kommo answers a subdomain with no account behind it with a 404.
fn no_such_account(authority: &str) -> Response {
    let name = authority.split(':').next().unwrap_or(authority);
    Problem::new(StatusCode::NOT_FOUND, format!("Account {name} not found")).into_response()
}

fn account_by_subdomain(sb: &Sandbox, subdomain: &str) -> Option<String> {
    let world = sb.world();
    world
        .accounts
        .iter()
        .find(|a| a.subdomain.eq_ignore_ascii_case(subdomain))
        .map(|a| a.amojo_id.clone())
}

/// `//api//v4/account` is `/api/v4/account` to Kommo's front server.
fn merge_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len().max(1));
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn origin_form(path: &str, query: Option<&str>) -> Uri {
    let text = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    text.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_slashes_are_one() {
        assert_eq!(merge_slashes("//api//v4///account"), "/api/v4/account");
        assert_eq!(merge_slashes("/"), "/");
        assert_eq!(merge_slashes(""), "/");
        assert_eq!(
            merge_slashes("/v2/origin/custom/x/"),
            "/v2/origin/custom/x/"
        );
    }
}
