//! Companies (`/api/v4/companies`): list, get, create, update; `with=contacts,leads`.
//! Contacts and leads link to a company (`_embedded.companies`); account
//! webhooks see companies under `contacts` with `type: "company"`.

use super::contacts::{check, checked, Written, BATCH_LIMIT};
use super::hal::{items, links, paged, request_id, sort_by};
use super::problem::ApiResult;
use super::{account_mut_of, account_of, Api, Shared};
use crate::domain::effects::event;
use crate::domain::{Account, AccountEvent, Company, World};
use crate::ids::Kind;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/companies",
            get(list).post(create).patch(|s, a, b| {
                super::batch::update_many(s, a, b, ("companies", BATCH_LIMIT, update))
            }),
        )
        .route(
            "/api/v4/companies/{id}",
            get(|s, a, p| {
                super::batch::get_one(s, a, p, |api, a, id| {
                    a.companies
                        .iter()
                        .find(|c| c.id == id)
                        .map(|c| view(api, a, c))
                })
            })
            .patch(|s, a, p, b| {
                super::batch::update_one(
                    s,
                    a,
                    p,
                    b,
                    (
                        "Company",
                        |a, id| a.companies.iter().any(|c| c.id == id),
                        update,
                    ),
                )
            }),
        )
}

pub fn view(api: &Api, a: &Account, co: &Company) -> Value {
    let mut embedded = json!({"tags": []});
    if api.query.has_with("contacts") {
        let contacts = a
            .contacts
            .iter()
            .filter(|c| c.company_id == Some(co.id))
            .map(|c| c.id);
        embedded["contacts"] = super::contacts::refs(api, "contacts", contacts);
    }
    if api.query.has_with("leads") {
        let leads = a
            .leads
            .iter()
            .filter(|l| l.company_id == Some(co.id))
            .map(|l| l.id);
        embedded["leads"] = super::contacts::refs(api, "leads", leads);
    }
    let times = (co.created_at, co.updated_at);
    let mut v = super::contacts::common_view(api, a, "companies", co.id, times, embedded);
    v["name"] = json!(co.name);
    v["responsible_user_id"] = json!(co.responsible_user_id);
    v["custom_fields_values"] = super::custom_fields::view(a, "companies", &co.fields);
    v
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let query = api.query.get("query").unwrap_or("").to_lowercase();
    let order = api.query.order(&["updated_at", "id"])?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut found: Vec<&Company> = a
        .companies
        .iter()
        .filter(|c| ids.is_empty() || ids.contains(&c.id))
        .filter(|c| query.is_empty() || matches(c, &query))
        .collect();
    sort_by(&mut found, order, |c, f| {
        if f == "id" {
            c.id
        } else {
            c.updated_at
        }
    });
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|c| view(&api, a, c))
        .collect();
    let path = "/api/v4/companies";
    Ok(paged(
        &api.base,
        path,
        &api.query,
        page,
        found.len(),
        "companies",
        items,
    ))
}

/// `query` finds a company by its name or any field value.
fn matches(c: &Company, query: &str) -> bool {
    let values = c.fields.iter().flat_map(|f| &f.values);
    std::iter::once(c.name.to_lowercase())
        .chain(values.filter_map(|v| v["value"].as_str().map(str::to_lowercase)))
        .any(|v| v.contains(query))
}

fn apply(c: &mut Company, item: &Value, w: Written, now: i64) {
    if let Some(name) = item["name"].as_str() {
        c.name = name.to_string();
    }
    if let Some(u) = item["responsible_user_id"].as_i64() {
        c.responsible_user_id = u;
    }
    w.store(&mut c.fields);
    c.updated_at = now;
}

fn company_event(a: &Account, c: &Company, action: &str, now: i64) -> AccountEvent {
    let data = json!({"id": c.id, "name": c.name, "responsible_user_id": c.responsible_user_id, "date_create": c.created_at, "last_modified": c.updated_at, "created_at": c.created_at, "updated_at": c.updated_at, "account_id": a.id, "type": "company"});
    event(
        a,
        "contacts",
        action,
        &format!("{action}_company"),
        data,
        now,
    )
}

/// Creates a checked company; returns its id and the `add_company` event.
pub(super) fn add(a: &mut Account, item: &Value, w: Written, now: i64) -> (i64, AccountEvent) {
    let mut c = Company::new(a.ids.next(Kind::Company), a.users[0].id, now);
    apply(&mut c, item, w, now);
    let event = company_event(a, &c, "add", now);
    let id = c.id;
    a.companies.push(c);
    (id, event)
}

fn companies_checked(a: &Account, list: &[Value], updating: bool) -> ApiResult<Vec<Written>> {
    let exists = |id: i64| a.companies.iter().any(|c| c.id == id);
    checked(
        list,
        |item| check(a, "companies", item),
        updating.then_some(("Company not found", &exists as &dyn Fn(i64) -> bool)),
    )
}

fn self_link(api: &Api, id: i64) -> Value {
    links(&api.base, &format!("/api/v4/companies/{id}"))
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let written = companies_checked(a, &list, false)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, w)) in list.iter().zip(written).enumerate() {
        let now = api.now;
        let mut c = Company::new(a.ids.next(Kind::Company), a.users[0].id, now);
        apply(&mut c, item, w, now);
        out.push(
            json!({"id": c.id, "request_id": request_id(item, i), "_links": self_link(&api, c.id)}),
        );
        events.push(company_event(a, &c, "add", now));
        a.companies.push(c);
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(super::batch::answer(&api, "companies", out))
}

fn update(world: &mut World, api: &Api, list: &[Value]) -> ApiResult<Vec<Value>> {
    let a = account_mut_of(world, api)?;
    let written = companies_checked(a, list, true)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, w)) in list.iter().zip(written).enumerate() {
        let id = item["id"].as_i64().expect("checked");
        let idx = a
            .companies
            .iter()
            .position(|c| c.id == id)
            .expect("checked");
        apply(&mut a.companies[idx], item, w, api.now);
        let c = &a.companies[idx];
        out.push(json!({"id": c.id, "name": c.name, "updated_at": c.updated_at, "request_id": request_id(item, i), "_links": self_link(api, c.id)}));
        events.push(company_event(a, c, "update", api.now));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(out)
}
