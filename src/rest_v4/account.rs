//! `GET /api/v4/account` and `GET /api/v4/users[/{id}]`, with `with=amojo_id`
//! giving the ids the Chats API uses (spec kommo-rest-v4.md §4).

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
    let mut body = json!({
        "id": a.id, "name": a.name, "subdomain": a.subdomain,
        "current_user_id": a.users[0].id, "country": "US", "currency": "USD", "currency_symbol": "$",
        "customers_mode": "disabled", "is_unsorted_on": true, "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false, "is_technical_account": true, "contact_name_display_order": 1,
        "_links": links(&api.base, "/api/v4/account"),
    });
    if api.query.has_with("amojo_id") {
        body["amojo_id"] = json!(a.amojo_id);
    }
    if api.query.has_with("amojo_rights") {
        body["_embedded"] =
            json!({"amojo_rights": {"can_direct": true, "can_create_groups": true}});
    }
    Ok(ok(body))
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
