//! Widget folders (`manifest.json`, `script.js`, `i18n/`, templates) and the
//! widget host page that runs one inside the emulated Kommo interface.

use super::{assets, error, no_account, resolve_account};
use crate::domain::Account;
use crate::Sandbox;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Component, PathBuf};
use std::sync::{Arc, Mutex};

/// Widget folders by name (the folder's own name); `--widget DIR` and `POST /_sandbox/widgets` fill it.
#[derive(Debug, Default)]
pub struct WidgetDirs(Mutex<BTreeMap<String, PathBuf>>);

impl WidgetDirs {
    /// Registers a folder; it must hold `manifest.json` and `script.js`.
    pub fn add(&self, dir: PathBuf) -> Result<String, String> {
        for needed in ["manifest.json", "script.js"] {
            if !dir.join(needed).is_file() {
                return Err(format!(
                    "{} has no {needed}; a widget folder holds manifest.json, script.js and i18n/",
                    dir.display()
                ));
            }
        }
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} has no folder name", dir.display()))?
            .to_string();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), dir);
        Ok(name)
    }

    pub fn get(&self, name: &str) -> Option<PathBuf> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

pub fn router() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/widgets/{name}/{*path}", get(widget_file))
        .route("/widget-host", get(host_page))
        .route("/_sandbox/widgets", get(list).post(register))
}

/// A file of a registered folder, else of an embedded example (`web/examples/<name>/`).
fn read(sb: &Sandbox, name: &str, path: &str) -> Option<Vec<u8>> {
    let rel = PathBuf::from(path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    match sb.widgets.get(name) {
        Some(dir) => std::fs::read(dir.join(rel)).ok(),
        None => assets::file(&format!("examples/{name}/{path}")).map(|s| s.as_bytes().to_vec()),
    }
}

async fn widget_file(
    State(sb): State<Arc<Sandbox>>,
    Path((name, path)): Path<(String, String)>,
) -> Response {
    match read(&sb, &name, &path) {
        Some(body) => ([(header::CONTENT_TYPE, assets::content_type(&path)), (header::CACHE_CONTROL, "no-store")], body).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("widget {name:?} has no file {path:?}; register its folder with --widget DIR or POST /_sandbox/widgets")),
    }
}

async fn list(State(sb): State<Arc<Sandbox>>) -> Json<Value> {
    Json(json!({"widgets": sb.widgets.names()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    path: PathBuf,
}

async fn register(State(sb): State<Arc<Sandbox>>, Json(body): Json<Register>) -> Response {
    match sb.widgets.add(body.path) {
        Ok(name) => (
            StatusCode::CREATED,
            Json(json!({"name": name, "url": format!("/widget-host?widget={name}")})),
        )
            .into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize, Default)]
pub struct HostQuery {
    pub widget: String,
    pub account: Option<String>,
    pub user: Option<i64>,
    /// `lcard`, `llist`, `ccard`, `clist`, `comcard`, `settings`, `everywhere`, ...
    pub area: Option<String>,
    pub card_id: Option<i64>,
    pub lang: Option<String>,
    /// The widget's settings fields as JSON.
    pub settings: Option<String>,
    /// `installed` (default) or `install`: not yet installed, the settings modal offers Install.
    pub status: Option<String>,
}

async fn host_page(State(sb): State<Arc<Sandbox>>, Query(q): Query<HostQuery>) -> Response {
    if read(&sb, &q.widget, "manifest.json").is_none() {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "no widget {:?}; known: {:?} plus the examples under /examples/",
                q.widget,
                sb.widgets.names()
            ),
        );
    }
    let settings: Map<String, Value> =
        match q.settings.as_deref().map(serde_json::from_str).transpose() {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("settings is not a JSON object: {e}"),
                )
            }
        };
    let world = sb.world();
    let key = q
        .account
        .clone()
        .unwrap_or_else(|| world.accounts[0].amojo_id.clone());
    let Some(id) = resolve_account(&world, &key) else {
        return no_account(&key);
    };
    let account = world.account(&id).expect("resolved");
    let context = host_context(account, &q, settings, sb.base_url());
    let page = assets::file("pages/widget-host.html").expect("embedded");
    let html = Html(page.replace("/*CONTEXT*/null", &script_json(&context)));
    match super::session::token_for(&world, &account.amojo_id) {
        Some(token) => (
            [(header::SET_COOKIE, super::session::set_cookie(&token))],
            html,
        )
            .into_response(),
        None => html.into_response(),
    }
}

/// JSON safe inside a `<script>` element.
pub fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

/// Everything `APP` needs, from the sandbox state.
pub fn host_context(
    account: &Account,
    q: &HostQuery,
    settings: Map<String, Value>,
    base_url: &str,
) -> Value {
    let user = q
        .user
        .and_then(|id| account.users.iter().find(|u| u.id == id))
        .unwrap_or(&account.users[0]);
    let area = q.area.clone().unwrap_or_else(|| "lcard".into());
    let managers: Map<String, Value> = account
        .users
        .iter()
        .map(|u| (u.id.to_string(), manager(u)))
        .collect();
    json!({
        "base_url": base_url,
        "account_key": account.amojo_id,
        "lang_id": q.lang.clone().unwrap_or_else(|| "en".into()),
        "area": area,
        "widget": {"code": q.widget, "path": format!("/widgets/{}", q.widget), "settings": settings,
            "status": q.status.clone().unwrap_or_else(|| "installed".into())},
        "account": account_constant(account, base_url),
        "user": {"id": user.id, "name": user.name, "login": user.email, "amojo_id": user.amojo_id, "uuid": user.amojo_id,
            "photo": "/frontend/images/userpic.png", "personal_mobile": "", "theme": 1, "tour": false, "user_rank": "master",
            "api_key": format!("sandbox-{}", user.id), "group_mates_ids": account.users.iter().map(|u| u.id).collect::<Vec<_>>(),
            "settings": {"need_msec": false, "notify_time_before_task": 0}, "sso_auth": false},
        "managers": managers,
        "groups": {"group_0": "Sales"},
        "task_types": {"1": {"id": 1, "option": "Follow-up", "color": null, "icon_id": null}, "2": {"id": 2, "option": "Meeting", "color": null, "icon_id": null}},
        "card": card(account, &area, q.card_id),
        "list": list_rows(account, &area),
    })
}

/// `APP.constant('account')`: what Kommo's interface knows of the account (the REST
/// `/api/v4/account` values where both have one).
fn account_constant(account: &Account, base_url: &str) -> Value {
    let users: Vec<Value> = account
        .users
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name, "login": u.email, "is_admin": if u.is_admin { "Y" } else { "N" }}))
        .collect();
    json!({"id": account.id, "name": account.name, "subdomain": account.subdomain, "amojo_id": account.amojo_id,
        "amojo_server": base_url, "amojo_ws_server": base_url.replace("http", "ws"), "stand": "sandbox",
        "currency": "USD", "currency_symbol": "$", "country": "US", "language": "en", "timezone": "UTC", "timezone_offset": "+00:00",
        "date_pattern": "d.m.Y H:i", "date_format": "d.m.Y", "time_format": "H:i", "unsorted_on": "Y", "customers_enabled": false,
        "paid_from": account.created_at, "paid_till": account.created_at + 365 * 86_400, "tariffName": "sandbox",
        "users": users, "top_level_domain": "com", "version": 4})
}

fn manager(u: &crate::domain::User) -> Value {
    let yn = |b: bool| if b { "Y" } else { "N" };
    json!({"id": u.id, "title": u.name, "option": u.name, "active": true, "login": u.email, "status": "active",
        "is_admin": yn(u.is_admin), "free_user": "N", "amojo_id": u.amojo_id, "amo_profile_id": u.amojo_id,
        "avatar": "", "theme": 1, "phone": "", "group": "group_0"})
}

/// The open card: a lead (element_type 2), contact (1), company (3) or customer (12);
/// id 0 = a new, unsaved card. `fields` are what the card's left column shows.
fn card(account: &Account, area: &str, card_id: Option<i64>) -> Value {
    let id = card_id.unwrap_or(0);
    let (element_type, name, status, fields) = match area {
        "lcard" | "card_sdk" | "mobile_card" => {
            let lead = account.leads.iter().find(|l| Some(l.id) == card_id);
            let status = lead.and_then(|l| {
                account
                    .pipelines
                    .iter()
                    .find(|p| p.id == l.pipeline_id)
                    .map(|p| match l.status_id {
                        s if s == p.incoming_status_id => format!("{} · Incoming leads", p.name),
                        _ => p.name.clone(),
                    })
            });
            let fields = lead
                .map(|l| {
                    let contact = l
                        .contact_ids
                        .first()
                        .and_then(|c| account.contacts.iter().find(|x| x.id == *c))
                        .map(|c| c.name.clone());
                    let mut f = vec![json!({"name": "Sale", "value": format!("${}", l.price)})];
                    if let Some(c) = contact {
                        f.push(json!({"name": "Contact", "value": c}));
                    }
                    f
                })
                .unwrap_or_default();
            (2, lead.map(|l| l.name.clone()), status, fields)
        }
        "ccard" => {
            let c = account.contacts.iter().find(|c| Some(c.id) == card_id);
            let fields = c
                .map(|c| {
                    let join = |v: &[crate::domain::FieldValue]| {
                        v.iter()
                            .map(|x| x.value.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    vec![
                        json!({"name": "Phone", "value": join(&c.phones)}),
                        json!({"name": "Email", "value": join(&c.emails)}),
                    ]
                })
                .unwrap_or_default();
            (1, c.map(|c| c.name.clone()), None, fields)
        }
        "comcard" => (
            3,
            account
                .companies
                .iter()
                .find(|c| Some(c.id) == card_id)
                .map(|c| c.name.clone()),
            None,
            vec![],
        ),
        "cucard" => (12, None, None, vec![]),
        _ => return Value::Null,
    };
    json!({"id": id, "element_type": element_type, "status": status, "fields": fields,
        "name": name.unwrap_or_else(|| if id == 0 { String::new() } else { format!("Card #{id}") })})
}

fn list_rows(account: &Account, area: &str) -> Value {
    match area {
        "llist" => json!(account.leads.iter().map(|l| json!({"id": l.id, "name": l.name, "type": "lead"})).collect::<Vec<_>>()),
        "clist" => json!(account.contacts.iter().map(|c| json!({"id": c.id, "name": c.name, "type": "contact", "phones": c.phones.iter().map(|v| &v.value).collect::<Vec<_>>(), "emails": c.emails.iter().map(|v| &v.value).collect::<Vec<_>>()})).collect::<Vec<_>>()),
        "culist" | "tlist" => json!([]),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        assert_eq!(
            script_json(&json!({"a": "</script>"})),
            r#"{"a":"<\/script>"}"#
        );
    }

    #[test]
    fn registering_needs_manifest_and_script() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = WidgetDirs::default();
        assert!(dirs
            .add(dir.path().to_path_buf())
            .unwrap_err()
            .contains("manifest.json"));
        std::fs::write(dir.path().join("manifest.json"), "{}").unwrap();
        std::fs::write(dir.path().join("script.js"), "").unwrap();
        assert!(dirs.add(dir.path().to_path_buf()).is_ok());
    }

    #[test]
    fn context_has_managers_and_new_card() {
        let world = crate::domain::World::from_config(&Default::default());
        let q = HostQuery {
            widget: "w".into(),
            ..Default::default()
        };
        let ctx = host_context(&world.accounts[0], &q, Map::new(), "http://127.0.0.1:1");
        let uid = world.accounts[0].users[0].id.to_string();
        assert_eq!(
            ctx["managers"][&uid]["is_admin"]
                .as_str()
                .map(|s| s == "Y" || s == "N"),
            Some(true)
        );
        assert_eq!(ctx["card"]["id"], json!(0));
        assert_eq!(ctx["card"]["element_type"], json!(2));
    }
}
