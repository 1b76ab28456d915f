//! Links between leads, contacts and companies (`/api/v4/{entity}/{id}/links`,
//! `/{id}/link`, `/{id}/unlink` and the mass forms `/{entity}/links`,
//! `/{entity}/link`, `/{entity}/unlink`). The links are the records' own
//! references (a lead's contacts and company, a contact's company), so a
//! link made here shows in `_embedded` of the records and the other way round.
//! What may link to what follows Kommo: a lead to contacts and companies, a
//! contact to companies, a company to contacts and leads.

use super::hal::{items, links, no_content, ok, request_id};
use super::problem::{ApiResult, FieldError, Problem};
use super::{account_mut_of, account_of, path_id, Api, Shared};
use crate::domain::Account;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

const BATCH_LIMIT: usize = 250;

/// The entity types records link, tag, note and task: leads, contacts, companies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Entity {
    Leads,
    Contacts,
    Companies,
}

impl Entity {
    fn name(self) -> &'static str {
        match self {
            Entity::Leads => "leads",
            Entity::Contacts => "contacts",
            Entity::Companies => "companies",
        }
    }

    pub(super) fn parse(name: &str) -> Option<Entity> {
        [Entity::Leads, Entity::Contacts, Entity::Companies]
            .into_iter()
            .find(|e| e.name() == name)
    }

    /// The entity types this one links to.
    fn targets(self) -> &'static [Entity] {
        match self {
            Entity::Leads => &[Entity::Contacts, Entity::Companies],
            Entity::Contacts => &[Entity::Companies],
            Entity::Companies => &[Entity::Contacts, Entity::Leads],
        }
    }

    pub(super) fn exists(self, a: &Account, id: i64) -> bool {
        match self {
            Entity::Leads => a.leads.iter().any(|l| l.id == id),
            Entity::Contacts => a.contacts.iter().any(|c| c.id == id),
            Entity::Companies => a.companies.iter().any(|c| c.id == id),
        }
    }

    fn not_found(self, id: i64) -> Problem {
        let what = match self {
            Entity::Leads => "Lead",
            Entity::Contacts => "Contact",
            Entity::Companies => "Company",
        };
        Problem::not_found(format!("{what} {id} not found"))
    }
}

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    let mut router = Router::new();
    for e in [Entity::Leads, Entity::Contacts, Entity::Companies] {
        let base = format!("/api/v4/{}", e.name());
        router = router
            .route(
                &format!("{base}/links"),
                get(move |s: Shared, a: Extension<Api>| list_many(s, a, e)),
            )
            .route(
                &format!("{base}/link"),
                post(move |s: Shared, a: Extension<Api>, b: Bytes| change_many(s, a, b, e, true)),
            )
            .route(
                &format!("{base}/unlink"),
                post(move |s: Shared, a: Extension<Api>, b: Bytes| change_many(s, a, b, e, false)),
            )
            .route(
                &format!("{base}/{{id}}/links"),
                get(move |s: Shared, a: Extension<Api>, p: Path<String>| list_one(s, a, p, e)),
            )
            .route(
                &format!("{base}/{{id}}/link"),
                post(
                    move |s: Shared, a: Extension<Api>, p: Path<String>, b: Bytes| {
                        change_one(s, a, p, b, e, true)
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}/unlink"),
                post(
                    move |s: Shared, a: Extension<Api>, p: Path<String>, b: Bytes| {
                        change_one(s, a, p, b, e, false)
                    },
                ),
            );
    }
    router
}

/// One link as Kommo shows it; `metadata.main_contact` for a lead's contacts.
#[derive(Debug, Clone, PartialEq)]
struct Link {
    entity: Entity,
    entity_id: i64,
    to: Entity,
    to_id: i64,
    main: Option<bool>,
}

impl Link {
    fn view(&self, with_entity: bool) -> Value {
        let metadata = match self.main {
            Some(main) => json!({"main_contact": main}),
            None => Value::Null,
        };
        let mut v = json!({"to_entity_id": self.to_id, "to_entity_type": self.to.name(), "metadata": metadata});
        if with_entity {
            v["entity_id"] = json!(self.entity_id);
            v["entity_type"] = json!(self.entity.name());
        }
        v
    }
}

/// Every link of entity `id` of type `e`, in a stable order.
fn links_of(a: &Account, e: Entity, id: i64) -> Vec<Link> {
    let link = |to: Entity, to_id: i64, main: Option<bool>| Link {
        entity: e,
        entity_id: id,
        to,
        to_id,
        main,
    };
    match e {
        Entity::Leads => a
            .leads
            .iter()
            .filter(|l| l.id == id)
            .flat_map(|l| {
                let contacts = l.contact_ids.iter().enumerate();
                let contacts = contacts.map(|(i, c)| link(Entity::Contacts, *c, Some(i == 0)));
                contacts.chain(l.company_id.map(|c| link(Entity::Companies, c, None)))
            })
            .collect(),
        Entity::Contacts => a
            .contacts
            .iter()
            .filter(|c| c.id == id)
            .filter_map(|c| c.company_id.map(|co| link(Entity::Companies, co, None)))
            .collect(),
        Entity::Companies => {
            let contacts = a.contacts.iter().filter(|c| c.company_id == Some(id));
            let leads = a.leads.iter().filter(|l| l.company_id == Some(id));
            contacts
                .map(|c| link(Entity::Contacts, c.id, None))
                .chain(leads.map(|l| link(Entity::Leads, l.id, None)))
                .collect()
        }
    }
}

/// `filter[to_entity_id]` with `filter[to_entity_type]` narrow a list.
fn filtered(api: &Api, list: Vec<Link>) -> ApiResult<Vec<Link>> {
    let to_ids = api.query.filter_ids("to_entity_id")?;
    let to_type = api.query.filter("to_entity_type");
    Ok(list
        .into_iter()
        .filter(|l| to_ids.is_empty() || to_ids.contains(&l.to_id))
        .filter(|l| to_type.is_empty() || to_type.iter().any(|t| t == l.to.name()))
        .collect())
}

fn answer(api: &Api, path: &str, list: &[Link], with_entity: bool) -> Response {
    let views: Vec<Value> = list.iter().map(|l| l.view(with_entity)).collect();
    ok(
        json!({"_total_items": views.len(), "_links": links(&api.base, path), "_embedded": {"links": views}}),
    )
}

async fn list_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    e: Entity,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    if !e.exists(a, id) {
        return Err(e.not_found(id));
    }
    let list = filtered(&api, links_of(a, e, id))?;
    let path = format!("/api/v4/{}/{id}/links", e.name());
    Ok(answer(&api, &path, &list, false))
}

async fn list_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    e: Entity,
) -> ApiResult<Response> {
    let ids = api.query.filter_ids("entity_id")?;
    if ids.is_empty() {
        return Err(Problem::invalid(
            "NotBlank",
            "filter.entity_id",
            "This value should not be blank.",
        ));
    }
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let all = ids.iter().flat_map(|id| links_of(a, e, *id)).collect();
    let list = filtered(&api, all)?;
    Ok(answer(
        &api,
        &format!("/api/v4/{}/links", e.name()),
        &list,
        true,
    ))
}

/// One item of a link or unlink body, checked against the account.
fn check_item(
    a: &Account,
    e: Entity,
    entity_id: Option<i64>,
    item: &Value,
) -> Result<Link, Vec<FieldError>> {
    let mut errors = vec![];
    let entity_id = match entity_id.or(item["entity_id"].as_i64()) {
        Some(id) if e.exists(a, id) => id,
        _ => {
            errors.push(FieldError::new("NotFound", "entity_id", "Entity not found"));
            0
        }
    };
    let to = match item["to_entity_type"].as_str().and_then(Entity::parse) {
        Some(to) if e.targets().contains(&to) => Some(to),
        _ => {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                "to_entity_type",
                "The value you selected is not a valid choice.",
            ));
            None
        }
    };
    let to_id = item["to_entity_id"].as_i64();
    if let Some(to) = to {
        if !to_id.is_some_and(|id| to.exists(a, id)) {
            errors.push(FieldError::new(
                "NotFound",
                "to_entity_id",
                "Entity not found",
            ));
        }
    }
    let main = item["metadata"]["is_main"].as_bool();
    match (errors.is_empty(), to, to_id) {
        (true, Some(to), Some(to_id)) => Ok(Link {
            entity: e,
            entity_id,
            to,
            to_id,
            main,
        }),
        _ => Err(errors),
    }
}

fn check_all(
    a: &Account,
    e: Entity,
    entity_id: Option<i64>,
    list: &[Value],
) -> ApiResult<Vec<Link>> {
    let mut errors = vec![];
    let mut out = vec![];
    for (i, item) in list.iter().enumerate() {
        match check_item(a, e, entity_id, item) {
            Ok(l) => out.push(l),
            Err(errs) => errors.push((request_id(item, i), errs)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::validation(errors))
    }
}

/// Sets (`on`) or clears one link on the records that hold it.
fn set(a: &mut Account, l: &Link, on: bool, now: i64) {
    let (lead, contact, company) = match (l.entity, l.to) {
        (Entity::Leads, Entity::Contacts) => (Some(l.entity_id), Some(l.to_id), None),
        (Entity::Leads, Entity::Companies) => (Some(l.entity_id), None, Some(l.to_id)),
        (Entity::Companies, Entity::Leads) => (Some(l.to_id), None, Some(l.entity_id)),
        (Entity::Contacts, Entity::Companies) => (None, Some(l.entity_id), Some(l.to_id)),
        (Entity::Companies, Entity::Contacts) => (None, Some(l.to_id), Some(l.entity_id)),
        _ => unreachable!("checked against Entity::targets"),
    };
    match (lead, contact, company) {
        (Some(lead), Some(contact), None) => {
            let lead = a.leads.iter_mut().find(|x| x.id == lead).expect("checked");
            lead.contact_ids.retain(|c| *c != contact);
            if on && l.main == Some(true) {
                lead.contact_ids.insert(0, contact);
            } else if on {
                lead.contact_ids.push(contact);
            }
            lead.updated_at = now;
        }
        (Some(lead), None, Some(company)) => {
            let lead = a.leads.iter_mut().find(|x| x.id == lead).expect("checked");
            link_company(&mut lead.company_id, company, on);
            lead.updated_at = now;
        }
        (None, Some(contact), Some(company)) => {
            let c = a
                .contacts
                .iter_mut()
                .find(|x| x.id == contact)
                .expect("checked");
            link_company(&mut c.company_id, company, on);
            c.updated_at = now;
        }
        _ => unreachable!("every pair names two records"),
    }
}

/// A record holds one company: linking replaces it, unlinking clears only that one.
fn link_company(slot: &mut Option<i64>, company: i64, on: bool) {
    if on {
        *slot = Some(company);
    } else if *slot == Some(company) {
        *slot = None;
    }
}

fn change(
    api: &Api,
    world: &mut crate::domain::World,
    e: Entity,
    entity_id: Option<i64>,
    bytes: &[u8],
    on: bool,
) -> ApiResult<Response> {
    let list = items(bytes, BATCH_LIMIT)?;
    let a = account_mut_of(world, api)?;
    if let Some(id) = entity_id {
        if !e.exists(a, id) {
            return Err(e.not_found(id));
        }
    }
    let checked = check_all(a, e, entity_id, &list)?;
    for l in &checked {
        set(a, l, on, api.now);
    }
    if !on {
        return Ok(no_content());
    }
    let shown: Vec<Link> = checked
        .into_iter()
        .map(|mut l| {
            l.main = (l.entity == Entity::Leads && l.to == Entity::Contacts).then(|| {
                links_of(a, e, l.entity_id)
                    .iter()
                    .any(|x| x.to_id == l.to_id && x.main == Some(true))
            });
            l
        })
        .collect();
    let path = match entity_id {
        Some(id) => format!("/api/v4/{}/{id}/links", e.name()),
        None => format!("/api/v4/{}/links", e.name()),
    };
    Ok(answer(api, &path, &shown, true))
}

async fn change_one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    bytes: Bytes,
    e: Entity,
    on: bool,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    change(&api, &mut sb.world(), e, Some(id), &bytes, on)
}

async fn change_many(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    bytes: Bytes,
    e: Entity,
    on: bool,
) -> ApiResult<Response> {
    change(&api, &mut sb.world(), e, None, &bytes, on)
}
