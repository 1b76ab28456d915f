//! Contacts (`/api/v4/contacts`, spec kommo-rest-v4.md §10.1): list, get,
//! create, update; phone and email as PHONE/EMAIL multitext fields; `with=leads`.

use super::custom_fields;
pub use super::custom_fields::Written;
use super::hal::{body, items, links, paged, request_id, sort_by};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::effects::event;
use crate::domain::{Account, AccountEvent, Contact};
use crate::ids::Kind;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub const BATCH_LIMIT: usize = 250;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    Router::new()
        .route(
            "/api/v4/contacts",
            get(list).post(create).patch(|s, a, b| {
                super::batch::update_many(s, a, b, ("contacts", BATCH_LIMIT, update))
            }),
        )
        .route(
            "/api/v4/contacts/{id}",
            get(|s, a, p| {
                super::batch::get_one(s, a, p, |api, a, id| {
                    a.contacts
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
                        "Contact",
                        |a, id| a.contacts.iter().any(|c| c.id == id),
                        update,
                    ),
                )
            }),
        )
}

/// `[{"id", "_links"}]` of entities of `kind` (`leads`, `contacts`, `companies`).
pub fn refs(api: &Api, kind: &str, ids: impl IntoIterator<Item = i64>) -> Value {
    let list: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({"id": id, "_links": links(&api.base, &format!("/api/v4/{kind}/{id}"))}))
        .collect();
    Value::Array(list)
}

/// The fields every contact, company and lead shows alike.
pub fn common_view(
    api: &Api,
    a: &Account,
    kind: &str,
    id: i64,
    times: (i64, i64),
    embedded: Value,
) -> Value {
    json!({
        "id": id, "group_id": 0, "created_by": 0, "updated_by": 0, "created_at": times.0, "updated_at": times.1,
        "closest_task_at": null, "is_deleted": false, "account_id": a.id,
        "_links": links(&api.base, &format!("/api/v4/{kind}/{id}")), "_embedded": embedded,
    })
}

pub fn view(api: &Api, a: &Account, c: &Contact) -> Value {
    let mut embedded = json!({"tags": super::tags::view(a, &c.tag_ids), "companies": refs(api, "companies", c.company_id)});
    if api.query.has_with("leads") {
        let leads = a
            .leads
            .iter()
            .filter(|l| l.contact_ids.contains(&c.id))
            .map(|l| l.id);
        embedded["leads"] = refs(api, "leads", leads);
    }
    let mut v = common_view(
        api,
        a,
        "contacts",
        c.id,
        (c.created_at, c.updated_at),
        embedded,
    );
    for (key, value) in [
        ("name", json!(c.name)),
        ("first_name", json!(c.first_name)),
        ("last_name", json!(c.last_name)),
        ("responsible_user_id", json!(c.responsible_user_id)),
        ("custom_fields_values", custom_fields::contact_values(a, c)),
    ] {
        v[key] = value;
    }
    v
}

/// Contacts of an incoming lead stay out of lists until it is accepted (spec §3.1).
fn pending_unsorted(a: &Account, contact_id: i64) -> bool {
    a.incoming_leads
        .iter()
        .any(|u| u.state == "pending" && u.contact_id == contact_id)
}

async fn list(State(sb): Shared, Extension(api): Extension<Api>) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let ids = api.query.filter_ids("id")?;
    let query = api.query.get("query").unwrap_or("").to_lowercase();
    let order = api.query.order(&["updated_at", "id"])?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut found: Vec<&Contact> = a
        .contacts
        .iter()
        .filter(|c| !pending_unsorted(a, c.id))
        .filter(|c| ids.is_empty() || ids.contains(&c.id))
        .filter(|c| {
            query.is_empty()
                || std::iter::once(&c.name)
                    .chain(c.phones.iter().chain(&c.emails).map(|v| &v.value))
                    .any(|v| v.to_lowercase().contains(&query))
        })
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
    Ok(paged(
        &api.base,
        "/api/v4/contacts",
        &api.query,
        page,
        found.len(),
        "contacts",
        items,
    ))
}

/// Field checks of a contact or company (`entity`) create or update;
/// returns the custom fields it writes.
pub(super) fn check(a: &Account, entity: &str, item: &Value) -> Result<Written, Vec<FieldError>> {
    let mut e = vec![];
    for key in ["name", "first_name", "last_name"] {
        if !matches!(item[key], Value::Null | Value::String(_)) {
            e.push(FieldError::new(
                "InvalidType",
                key,
                "This value should be of type string.",
            ));
        }
    }
    if let Some(user) = item.get("responsible_user_id") {
        if !user
            .as_i64()
            .is_some_and(|id| a.users.iter().any(|u| u.id == id))
        {
            e.push(FieldError::new(
                "NotSupportedChoice",
                "responsible_user_id",
                "The value you selected is not a valid choice.",
            ));
        }
    }
    let written = match item.get("custom_fields_values") {
        None | Some(Value::Null) => Written::default(),
        Some(list) => custom_fields::read(a, entity, list).unwrap_or_else(|errs| {
            e.extend(errs);
            Written::default()
        }),
    };
    if e.is_empty() {
        Ok(written)
    } else {
        Err(e)
    }
}

fn apply(c: &mut Contact, item: &Value, w: Written, now: i64) {
    for (key, slot) in [
        ("first_name", &mut c.first_name),
        ("last_name", &mut c.last_name),
        ("name", &mut c.name),
    ] {
        if let Some(v) = item[key].as_str() {
            *slot = v.to_string();
        }
    }
    if item["name"].is_null()
        && (item.get("first_name").is_some() || item.get("last_name").is_some())
    {
        c.name = format!("{} {}", c.first_name, c.last_name)
            .trim()
            .to_string();
    }
    if let Some(u) = item["responsible_user_id"].as_i64() {
        c.responsible_user_id = u;
    }
    w.apply_to_contact(c);
    c.updated_at = now;
}

/// Checks every item of a batch with `check`; on update (`missing` set)
/// each needs the `id` of an existing entity, else `missing` is its error.
/// Any error refuses the whole batch, by `request_id`.
pub(super) fn checked<W>(
    list: &[Value],
    check: impl Fn(&Value) -> Result<W, Vec<FieldError>>,
    missing: Option<(&'static str, &dyn Fn(i64) -> bool)>,
) -> ApiResult<Vec<W>> {
    let mut errors = vec![];
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        let mut result = check(item);
        if let Some((detail, exists)) = missing {
            if !item["id"].as_i64().is_some_and(exists) {
                let e = FieldError::new("NotFound", "id", detail);
                result = match result {
                    Ok(_) => Err(vec![e]),
                    Err(mut errs) => {
                        errs.push(e);
                        Err(errs)
                    }
                };
            }
        }
        match result {
            Ok(w) => out.push(w),
            Err(e) => errors.push((request_id(item, i), e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::validation(errors))
    }
}

fn contacts_checked(a: &Account, list: &[Value], updating: bool) -> ApiResult<Vec<Written>> {
    let exists = |id: i64| a.contacts.iter().any(|c| c.id == id);
    checked(
        list,
        |item| check(a, "contacts", item),
        updating.then_some(("Contact not found", &exists as &dyn Fn(i64) -> bool)),
    )
}

/// The body of `PATCH /{entity}/{id}` as a one-item batch: an object, for
/// an entity that `exists` (else 404 "<what> <id> not found").
pub(super) fn single(
    bytes: &[u8],
    id: &str,
    what: &str,
    exists: impl Fn(i64) -> bool,
) -> ApiResult<Vec<Value>> {
    let id = path_id(id)?;
    let mut item = body(bytes)?;
    if !item.is_object() {
        return Err(Problem::invalid(
            "InvalidType",
            "",
            "This value should be of type object.",
        ));
    }
    if !exists(id) {
        return Err(Problem::not_found(format!("{what} {id} not found")));
    }
    item["id"] = json!(id);
    Ok(vec![item])
}

/// The one item of a batch answer, without its `request_id`.
pub(super) fn only(mut out: Vec<Value>) -> Value {
    let mut one = out.remove(0);
    one.as_object_mut().expect("object").remove("request_id");
    one
}

/// Creates a checked contact; returns its id and the `add_contact` event.
pub(super) fn add(a: &mut Account, item: &Value, w: Written, now: i64) -> (i64, AccountEvent) {
    let mut c = Contact::new(a.ids.next(Kind::Contact), a.users[0].id, now);
    apply(&mut c, item, w, now);
    let event = contact_event(a, &c, "add", now);
    let id = c.id;
    a.contacts.push(c);
    (id, event)
}

fn contact_event(a: &Account, c: &Contact, action: &str, now: i64) -> AccountEvent {
    let data = json!({"id": c.id, "name": c.name, "responsible_user_id": c.responsible_user_id, "date_create": c.created_at, "last_modified": c.updated_at, "created_at": c.created_at, "updated_at": c.updated_at, "account_id": a.id, "type": "contact"});
    event(
        a,
        "contacts",
        action,
        &format!("{action}_contact"),
        data,
        now,
    )
}

async fn create(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let list = items(&bytes, BATCH_LIMIT)?;
    let mut world = sb.world();
    let a = account_mut_of(&mut world, &api)?;
    let written = contacts_checked(a, &list, false)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, w)) in list.iter().zip(written).enumerate() {
        let (c, e) = add(a, item, w, api.now);
        out.push(json!({"id": c, "request_id": request_id(item, i), "_links": links(&api.base, &format!("/api/v4/contacts/{c}"))}));
        events.push(e);
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(super::batch::answer(&api, "contacts", out))
}

fn update(world: &mut crate::domain::World, api: &Api, list: &[Value]) -> ApiResult<Vec<Value>> {
    let a = account_mut_of(world, api)?;
    let written = contacts_checked(a, list, true)?;
    let mut out = vec![];
    let mut events = vec![];
    for (i, (item, w)) in list.iter().zip(written).enumerate() {
        let id = item["id"].as_i64().expect("checked");
        let idx = a.contacts.iter().position(|c| c.id == id).expect("checked");
        apply(&mut a.contacts[idx], item, w, api.now);
        let c = &a.contacts[idx];
        out.push(json!({"id": c.id, "name": c.name, "updated_at": c.updated_at, "request_id": request_id(item, i), "_links": links(&api.base, &format!("/api/v4/contacts/{}", c.id))}));
        events.push(contact_event(a, c, "update", api.now));
    }
    events.into_iter().for_each(|e| world.emit(e));
    Ok(out)
}
