//! The admin plane (`/_sandbox/...`) belongs to the developer at the keyboard.
//! A web page the developer happens to visit must not read it or change it:
//!
//! - a name that is neither a loopback name, an IP address nor one of
//!   Kommo's hostnames is refused, so a DNS-rebinding page (its own name
//!   pointed at 127.0.0.1) cannot read secrets and tokens;
//! - a request a browser marks as coming from another origin (`Origin`,
//!   `Sec-Fetch-Site`) is refused, so a cross-site form, `text/plain` POST or
//!   `no-cors` fetch cannot reset the sandbox, move its clock or send a
//!   message; tools (curl, test code) send neither header and pass;
//! - a state-changing request with a body must say `application/json`,
//!   which a browser cannot send across origins without a preflight that the
//!   admin plane never answers.

use super::hosts::Host;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why an admin request is refused, or `None` when its owner sent it.
pub fn refuse(
    host: &Host,
    authority: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Response> {
    if *host == Host::Other && !is_ip_literal(authority) {
        return Some(forbidden(format!(
            "the admin plane answers at loopback names, IP addresses and Kommo's hostnames, not at {authority:?}"
        )));
    }
    if let Some(why) = cross_origin(authority, headers) {
        return Some(forbidden(why));
    }
    let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && has_body(headers) && !is_json(headers) {
        return Some(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "admin requests that change state take Content-Type: application/json".into(),
        ));
    }
    None
}

fn cross_origin(authority: &str, headers: &HeaderMap) -> Option<String> {
    let site = header_str(headers, "sec-fetch-site");
    if matches!(site, Some("cross-site" | "same-site")) {
        return Some(format!(
            "the admin plane is same-origin only (Sec-Fetch-Site: {})",
            site.unwrap_or("")
        ));
    }
    let origin = header_str(headers, header::ORIGIN.as_str())?;
    let origin_authority = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    if origin_authority.eq_ignore_ascii_case(authority) {
        return None;
    }
    Some(format!(
        "the admin plane is same-origin only; this request came from {origin:?}"
    ))
}

fn has_body(headers: &HeaderMap) -> bool {
    let length = header_str(headers, header::CONTENT_LENGTH.as_str());
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    chunked || length.is_some_and(|l| l.trim() != "0")
}

fn is_json(headers: &HeaderMap) -> bool {
    let ct = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
}

fn is_ip_literal(authority: &str) -> bool {
    let name = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(name, _)| name),
    };
    name.parse::<std::net::IpAddr>().is_ok()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn forbidden(why: String) -> Response {
    error(StatusCode::FORBIDDEN, why)
}

fn error(status: StatusCode, why: String) -> Response {
    (status, Json(json!({"error": why}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn refused(host: &str, method: Method, pairs: &[(&'static str, &'static str)]) -> Option<u16> {
        let class = super::super::hosts::classify(host);
        refuse(&class, host, &method, &headers(pairs)).map(|r| r.status().as_u16())
    }

    #[test]
    fn tools_at_loopback_pass() {
        assert_eq!(refused("127.0.0.1:8787", Method::POST, &[]), None);
        assert_eq!(
            refused(
                "localhost:8787",
                Method::POST,
                &[
                    ("content-type", "application/json"),
                    ("content-length", "2")
                ]
            ),
            None
        );
        assert_eq!(refused("192.168.1.5:8787", Method::GET, &[]), None);
        assert_eq!(refused("[::1]:8787", Method::GET, &[]), None);
        assert_eq!(refused("sandbox.kommo.com", Method::GET, &[]), None);
    }

    #[test]
    fn rebinding_names_are_refused() {
        assert_eq!(refused("evil.example:8787", Method::GET, &[]), Some(403));
    }

    #[test]
    fn other_origins_are_refused() {
        let post = |pairs| refused("127.0.0.1:8787", Method::POST, pairs);
        assert_eq!(post(&[("origin", "http://evil.example")]), Some(403));
        assert_eq!(post(&[("origin", "http://127.0.0.1:3000")]), Some(403));
        assert_eq!(post(&[("origin", "null")]), Some(403));
        assert_eq!(post(&[("sec-fetch-site", "cross-site")]), Some(403));
        assert_eq!(
            post(&[
                ("origin", "http://127.0.0.1:8787"),
                ("sec-fetch-site", "same-origin")
            ]),
            None
        );
    }

    #[test]
    fn changes_with_a_body_must_be_json() {
        let post = |pairs| refused("127.0.0.1:8787", Method::POST, pairs);
        assert_eq!(
            post(&[("content-type", "text/plain"), ("content-length", "5")]),
            Some(415)
        );
        assert_eq!(
            post(&[
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", "5")
            ]),
            Some(415)
        );
        assert_eq!(post(&[("content-length", "0")]), None);
        assert_eq!(
            refused(
                "127.0.0.1:8787",
                Method::GET,
                &[("content-type", "text/plain"), ("content-length", "5")]
            ),
            None
        );
    }
}
