//! Static files of `web/`, embedded in the binary.

use crate::Sandbox;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

macro_rules! embed {
    ($($path:literal),* $(,)?) => { &[$(($path, include_str!(concat!("../../web/", $path)))),*] };
}

/// Every embedded file, by its path under `web/`.
pub const FILES: &[(&str, &str)] = embed![
    "js/button.js",
    "js/web1on1.js",
    "js/widget-host.js",
    "js/amd.js",
    "js/mini-jquery.js",
    "js/sandbox-client.js",
    "css/sandbox.css",
    "pages/widget-host.html",
    "pages/button-demo.html",
    "pages/web1on1-demo.html",
    "examples/voip-widget/manifest.json",
    "examples/voip-widget/script.js",
    "examples/voip-widget/i18n/en.json",
    "examples/voip-widget/i18n/es.json",
    "examples/greeting-site/index.html",
    "examples/greeting-site/bot.json",
    "examples/web1on1-site/index.html",
];

pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, body)| *body)
}

pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "application/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("twig") | Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(
            "/js/{*path}",
            get(|Path(p): Path<String>| async move { serve(&format!("js/{p}")) }),
        )
        .route(
            "/css/{*path}",
            get(|Path(p): Path<String>| async move { serve(&format!("css/{p}")) }),
        )
        .route(
            "/examples/{*path}",
            get(|Path(p): Path<String>| async move { serve(&format!("examples/{p}")) }),
        )
}

/// `?<timestamp>` cache-busters (as amoCRM loaders add) never reach here: axum strips the query.
fn serve(path: &str) -> Response {
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    match file(&path) {
        Some(body) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        None => super::error(
            StatusCode::NOT_FOUND,
            format!("no embedded file web/{path}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_example_widget_manifest_is_json() {
        for (path, body) in super::FILES.iter().filter(|(p, _)| p.ends_with(".json")) {
            serde_json::from_str::<serde_json::Value>(body)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}
