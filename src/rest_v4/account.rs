//! `GET /api/v4/account` with every `with=` Kommo documents, and
//! `GET /api/v4/users[/{id}]`; `with=amojo_id` gives the ids the Chats API
//! uses (spec kommo-rest-v4.md §4).

use super::hal::{links, no_content, ok};
use super::problem::ApiResult;
use super::{account_of, Api, Shared};
use crate::domain::{Account, User};
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route("/api/v4/account", get(account))
        .route("/api/v4/users", get(users))
        .route("/api/v4/users/{id}", get(user))
}

async fn account(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let owner = a.users[0].id;
    let mut body = json!({
        "id": a.id, "name": a.name, "subdomain": a.subdomain, "uuid": a.uuid,
        "created_at": a.created_at, "created_by": owner, "updated_at": a.created_at, "updated_by": owner,
        "current_user_id": owner, "country": "US", "currency": "USD", "currency_symbol": "$",
        "customers_mode": "disabled", "is_unsorted_on": true, "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false, "is_technical_account": true, "contact_name_display_order": 1,
        "_links": links(&api.base, "/api/v4/account"),
    });
    let mut embedded = serde_json::Map::new();
    for with in api.query.with() {
        match with.as_str() {
            "amojo_id" => body["amojo_id"] = json!(a.amojo_id),
            "version" => body["version"] = json!(VERSION),
            "drive_url" => body["drive_url"] = json!(drive_url(&api.base)),
            "is_api_filter_enabled" => body["is_api_filter_enabled"] = json!(true),
            "entity_names" => body["entity_names"] = entity_names(),
            "invoices_settings" => {
                body["invoices_settings"] = json!({"lang": "en", "invoices_catalog_id": null})
            }
            "amojo_rights" => {
                embedded.insert(with, json!({"can_direct": true, "can_create_groups": true}));
            }
            "users_groups" => {
                embedded.insert(
                    with,
                    json!([{"id": 0, "name": "Sales department", "uuid": null}]),
                );
            }
            "task_types" => {
                embedded.insert(with, task_types());
            }
            "datetime_settings" => {
                embedded.insert(with, datetime_settings());
            }
            _ => {}
        }
    }
    if !embedded.is_empty() {
        body["_embedded"] = Value::Object(embedded);
    }
    Ok(ok(body))
}

/// The interface version `with=version` reports.
const VERSION: i64 = 16;

/// The account's file service: `drive-<x>.<tld>` beside the account's host.
fn drive_url(base: &str) -> String {
    let tld = base
        .rsplit_once("://")
        .map(|(_, host)| host)
        .and_then(|host| host.split_once('.'))
        .map(|(_, rest)| rest)
        .filter(|rest| !rest.starts_with(char::is_numeric) && rest.contains('.'));
    match tld {
        Some(rest) => format!("https://drive-c.{rest}"),
        None => format!("{base}/drive"),
    }
}

/// The two task types every account starts with.
fn task_types() -> Value {
    json!([
        {"id": 1, "name": "Follow-up", "color": null, "icon_id": null, "code": "FOLLOW_UP"},
        {"id": 2, "name": "Meeting", "color": null, "icon_id": null, "code": "MEETING"},
    ])
}

/// Date and time formats; `date_formant` is spelled as Kommo's answer spells it.
fn datetime_settings() -> Value {
    json!({
        "date_pattern": "m/d/Y H:i", "short_date_pattern": "m/d/Y", "short_time_pattern": "H:i",
        "date_formant": "m/d/Y", "time_format": "H:i:s", "timezone": "UTC", "timezone_offset": "+00:00",
    })
}

/// Names of the entities as the interface shows them, per language.
fn entity_names() -> Value {
    let names = |one: &str, many: &str, gender: &str| json!({"singular_form": {"default": one}, "plural_form": {"default": many}, "gender": gender});
    json!({
        "leads": {"en": names("lead", "leads", "f"), "es": names("lead", "leads", "m"), "pt": names("lead", "leads", "m")},
    })
}

async fn users(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let items: Vec<Value> = page
        .slice(&a.users)
        .iter()
        .map(|u| user_view(&api, a, u))
        .collect();
    if items.is_empty() {
        return Ok(no_content());
    }
    let pages = a.users.len().div_ceil(page.limit);
    Ok(ok(json!({
        "_total_items": a.users.len(), "_page": page.page, "_page_count": pages,
        "_links": links(&api.base, "/api/v4/users"), "_embedded": {"users": items},
    })))
}

async fn user(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let world = sb.world();
    let a = account_of(&world, &api)?;
    Ok(match a.users.iter().find(|u| u.id.to_string() == id) {
        Some(u) => ok(user_view(&api, a, u)),
        None => no_content(),
    })
}

fn user_view(api: &Api, _account: &Account, u: &User) -> Value {
    let all = json!({"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"});
    let mut body = json!({
        "id": u.id, "name": u.name, "email": u.email, "lang": "en",
        "rights": {
            "leads": all, "contacts": all, "companies": all,
            "tasks": {"edit": "A", "delete": "A"},
            "mail_access": true, "catalog_access": true, "files_access": true,
            "is_admin": u.is_admin, "is_free": false, "is_active": true,
            "group_id": null, "role_id": null, "status_rights": [],
        },
        "_links": links(&api.base, &format!("/api/v4/users/{}", u.id)),
    });
    if api.query.has_with("amojo_id") {
        body["amojo_id"] = json!(u.amojo_id);
    }
    body
}
