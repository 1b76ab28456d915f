//! The forward proxy on the sandbox's own port. `CONNECT` to a Kommo host is
//! answered here and the tunnel is served by [`super::tls`]; any other host is
//! refused, so nothing an integration sends ever leaves the machine.

use super::hosts::{self, Host};
use crate::Sandbox;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub fn connect(sb: Arc<Sandbox>, request: Request) -> Response {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    if hosts::classify(&authority) == Host::Other || authority.is_empty() {
        return refuse(&authority);
    }
    let Some(tls) = sb.tls() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "kommo-sandbox: TLS is off in this sandbox (no CA); start it with `kommo-sandbox serve`\n",
        )
            .into_response();
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(request).await {
            let io = hyper_util::rt::TokioIo::new(upgraded);
            super::tls::serve_connection(sb, tls, io).await;
        }
    });
    StatusCode::OK.into_response()
}

/// 403 naming what the sandbox does serve.
pub fn refuse(authority: &str) -> Response {
    let body = format!(
        "kommo-sandbox: {authority} is not a Kommo host; this proxy serves only {} and sends nothing to the internet. \
Exclude other hosts with NO_PROXY, or unset HTTPS_PROXY for them.\n",
        hosts::served()
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}
