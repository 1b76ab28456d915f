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
    "js/sandbox-client.js",
    "js/host/config.js",
    "js/host/main.js",
    "js/host/app.js",
    "js/host/notifications.js",
    "js/host/widget.js",
    "js/host/settings.js",
    "js/host/page.js",
    "js/host/twigjs.js",
    "js/host/modal.js",
    "js/host/confirm.js",
    "css/kommo.css",
    "tmpl/controls/button.twig",
    "tmpl/controls/cancel_button.twig",
    "tmpl/controls/delete_button.twig",
    "tmpl/controls/input.twig",
    "tmpl/controls/textarea.twig",
    "tmpl/controls/checkbox.twig",
    "tmpl/controls/radio.twig",
    "tmpl/controls/select.twig",
    "tmpl/controls/switcher.twig",
    "tmpl/controls/suggest.twig",
    "tmpl/controls/date_field.twig",
    "tmpl/controls/file.twig",
    // Libraries from npm, pinned and checked by scripts/vendor-web.sh.
    "vendor/requirejs/require.js",
    "vendor/requirejs-text/text.js",
    "vendor/requirejs-plugins/json.js",
    "vendor/jquery/jquery.min.js",
    "vendor/underscore/underscore-min.js",
    "vendor/lodash/lodash.min.js",
    "vendor/twig/twig.min.js",
    "vendor/backbone/backbone-min.js",
    "vendor/es6-promise/es6-promise.min.js",
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
            "/vendor/{*path}",
            get(|Path(p): Path<String>| async move { serve(&format!("vendor/{p}")) }),
        )
        .route(
            "/tmpl/{*path}",
            get(|Path(p): Path<String>| async move { serve(&format!("tmpl/{p}")) }),
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
    /// Each embedded library is one scripts/vendor-web.sh pinned (its sum is
    /// checked by `scripts/vendor-web.sh --check`) and ships its licence.
    #[test]
    fn vendored_files_are_pinned_and_licensed() {
        let sums = include_str!("../../web/vendor/SHA256SUMS");
        for (path, _) in super::FILES
            .iter()
            .filter(|(p, _)| p.starts_with("vendor/"))
        {
            let name = path.trim_start_matches("vendor/");
            assert!(
                sums.lines().any(|l| l.ends_with(&format!("  {name}"))),
                "{path} is not in web/vendor/SHA256SUMS"
            );
            let dir = name.rsplit_once('/').unwrap().0;
            assert!(
                sums.lines()
                    .any(|l| l.ends_with(&format!("  {dir}/LICENSE"))),
                "{dir} has no LICENSE"
            );
        }
    }

    #[test]
    fn every_example_widget_manifest_is_json() {
        for (path, body) in super::FILES.iter().filter(|(p, _)| p.ends_with(".json")) {
            serde_json::from_str::<serde_json::Value>(body)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}
