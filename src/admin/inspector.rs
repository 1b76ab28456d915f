//! The inspector: a page where a developer watches the sandbox and acts as a
//! Kommo manager. Embedded, so it needs nothing from the internet.

use crate::Sandbox;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

const PAGE: &str = include_str!("../../web/inspector/index.html");
const SCRIPT: &str = include_str!("../../web/inspector/app.js");

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(
            "/_sandbox/inspector",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
            }),
        )
        .route(
            "/_sandbox/inspector/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
                    .into_response()
            }),
        )
}
