//! Browser surfaces: the emulated Kommo interface hosting widgets (`APP`,
//! `AMOCRM`, the JS SDK), the website chat button (`crmPlugin` /
//! `amoSocialButton`), web1on1, the JSON endpoints those pages call, and a
//! small driver over headless Chromium for tests and scenarios.
//!
//! Every page and script is embedded from `web/`; nothing comes from the internet.

pub mod assets;
pub mod bot;
mod chat_api;
pub mod conditions;
pub mod driver;
mod pages;
mod sdk_api;
pub mod session;
/// What a website's own pages call, from any origin (CORS): scripts and the chat API.
pub mod site;
pub mod web1on1;
pub mod widgets;

use crate::domain::World;
use crate::Sandbox;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

pub use widgets::WidgetDirs;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .merge(assets::router())
        .merge(pages::router())
        .merge(widgets::router())
        .merge(sdk_api::router())
        .merge(chat_api::router())
}

/// Pages know an account by its numeric id (`crm_plugin.id`), the admin plane by amojo id; both work.
pub(crate) fn resolve_account(world: &World, key: &str) -> Option<String> {
    world
        .accounts
        .iter()
        .find(|a| a.amojo_id == key || a.id.to_string() == key)
        .map(|a| a.amojo_id.clone())
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

pub(crate) fn no_account(key: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no account {key:?} (amojo_id or numeric id); GET /_sandbox/accounts lists them"),
    )
}
