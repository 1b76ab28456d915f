//! Demo pages a test or scenario opens with a given configuration: a site
//! with the website chat button (Kommo or amoCRM loader) and a web1on1 page.

use super::widgets::script_json;
use super::{assets, error, no_account, resolve_account};
use crate::Sandbox;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/demo/button", get(button_page))
        .route("/demo/web1on1", get(web1on1_page))
}

#[derive(Deserialize, Default)]
struct ButtonQuery {
    /// `kommo` (crmPlugin) or `amocrm` (amoSocialButton).
    loader: Option<String>,
    account: Option<String>,
    /// `crmPluginConfig` / `amoSocialButtonConfig` as JSON; absent = no config object.
    config: Option<String>,
    /// `setMeta` payloads (JSON array) made right after the loader.
    meta: Option<String>,
    /// Calls (JSON array of argument arrays) made before button.js has loaded.
    queue: Option<String>,
    /// The loader's `locale`.
    locale: Option<String>,
}

fn json_param(name: &str, text: Option<&str>, default: Value) -> Result<Value, String> {
    match text {
        None => Ok(default),
        Some(t) => serde_json::from_str(t).map_err(|e| format!("`{name}` is not JSON: {e}")),
    }
}

async fn button_page(State(sb): State<Arc<Sandbox>>, Query(q): Query<ButtonQuery>) -> Response {
    let (fn_name, cfg_name, config_name, locale) = match q.loader.as_deref().unwrap_or("kommo") {
        "kommo" => ("crmPlugin", "crm_plugin", "crmPluginConfig", "en"),
        "amocrm" => (
            "amoSocialButton",
            "amo_social_button",
            "amoSocialButtonConfig",
            "ru",
        ),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("loader {other:?} is not `kommo` or `amocrm`"),
            )
        }
    };
    let parsed = (|| {
        Ok::<_, String>((
            json_param("config", q.config.as_deref(), Value::Null)?,
            json_param("meta", q.meta.as_deref(), json!([]))?,
            json_param("queue", q.queue.as_deref(), json!([]))?,
        ))
    })();
    let (config, meta, queue) = match parsed {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let world = sb.world();
    let key = q
        .account
        .clone()
        .unwrap_or_else(|| world.accounts[0].amojo_id.clone());
    let Some(id) = resolve_account(&world, &key) else {
        return no_account(&key);
    };
    let account_id = world.account(&id).expect("resolved").id;
    let context = json!({
        "fn": fn_name, "cfg": cfg_name, "config_name": config_name, "config": config,
        "id": account_id.to_string(), "hash": format!("{:064x}", account_id), "locale": q.locale.clone().unwrap_or_else(|| locale.into()),
        "meta": meta, "queue": queue,
    });
    let page = assets::file("pages/button-demo.html").expect("embedded");
    Html(page.replace("/*CONTEXT*/null", &script_json(&context))).into_response()
}

#[derive(Deserialize, Default)]
struct Web1on1Query {
    account: Option<String>,
}

async fn web1on1_page(State(sb): State<Arc<Sandbox>>, Query(q): Query<Web1on1Query>) -> Response {
    let world = sb.world();
    let key = q
        .account
        .clone()
        .unwrap_or_else(|| world.accounts[0].amojo_id.clone());
    let Some(id) = resolve_account(&world, &key) else {
        return no_account(&key);
    };
    let context = json!({"account": world.account(&id).expect("resolved").id.to_string()});
    let page = assets::file("pages/web1on1-demo.html").expect("embedded");
    Html(page.replace("/*CONTEXT*/null", &script_json(&context))).into_response()
}
