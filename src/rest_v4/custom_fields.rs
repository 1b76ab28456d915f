//! Custom fields (spec kommo-rest-v4.md §10.1, amoCRM `custom-fields`):
//! `GET /api/v4/{leads,contacts,companies}/custom_fields[/{id}]` lists the
//! account's definitions; writes of `custom_fields_values` name a field by
//! `field_id` or `field_code` and are checked against those definitions and
//! their types. Phone and email of contacts are the PHONE/EMAIL multitext fields.

use super::hal::{links, no_content, ok, sort_by};
use super::problem::{ApiResult, FieldError};
use super::{account_of, path_id, Api, Shared};
use crate::domain::fields::{CustomField, ENTITY_TYPES};
use crate::domain::{Account, Contact, FieldValue, StoredField};
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<crate::Sandbox>> {
    let mut r = Router::new();
    for entity in ENTITY_TYPES {
        r = r
            .route(
                &format!("/api/v4/{entity}/custom_fields"),
                get(move |sb: Shared, api: Extension<Api>| list(sb, api, entity)),
            )
            .route(
                &format!("/api/v4/{entity}/custom_fields/{{id}}"),
                get(move |sb: Shared, api: Extension<Api>, id: Path<String>| {
                    one(sb, api, id, entity)
                }),
            );
    }
    r
}

fn field_view(api: &Api, a: &Account, f: &CustomField) -> Value {
    let enums = f.has_enums().then(|| {
        f.enums
            .iter()
            .map(|e| json!({"id": e.id, "value": e.value, "sort": e.sort}))
            .collect::<Vec<_>>()
    });
    let mut v = json!({
        "id": f.id, "name": f.name, "type": f.field_type, "account_id": a.id, "code": f.code, "sort": f.sort,
        "is_api_only": f.is_api_only, "enums": enums, "group_id": null, "required_statuses": [],
        "is_deletable": !f.is_predefined, "remind": null, "currency": null, "entity_type": f.entity_type,
        "_links": links(&api.base, &format!("/api/v4/{}/custom_fields/{}", f.entity_type, f.id)),
    });
    if f.entity_type == "leads" {
        v["is_computed"] = json!(false);
        v["hidden_statuses"] = json!([]);
    } else {
        v["is_predefined"] = json!(f.is_predefined);
    }
    v
}

async fn list(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    entity: &str,
) -> ApiResult<Response> {
    let page = api.query.page(250)?;
    let types = api.query.filter("type");
    let order = api.query.order(&["sort", "id"])?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let mut found: Vec<&CustomField> = a
        .fields_of(entity)
        .filter(|f| types.is_empty() || types.contains(&f.field_type))
        .collect();
    sort_by(
        &mut found,
        order,
        |f, key| if key == "id" { f.id } else { f.sort },
    );
    let items: Vec<Value> = page
        .slice(&found)
        .iter()
        .map(|f| field_view(&api, a, f))
        .collect();
    if items.is_empty() {
        return Ok(no_content());
    }
    let path = format!("/api/v4/{entity}/custom_fields");
    let pages = found.len().div_ceil(page.limit);
    let at =
        |n: usize| json!({"href": format!("{}{path}?limit={}&page={n}", api.base, page.limit)});
    let mut nav = json!({"self": at(page.page), "last": at(pages)});
    if page.page < pages {
        nav["next"] = at(page.page + 1);
    }
    if page.page > 1 {
        nav["prev"] = at(page.page - 1);
    }
    Ok(ok(json!({
        "_total_items": found.len(), "_page": page.page, "_page_count": pages,
        "_links": nav, "_embedded": {"custom_fields": items},
    })))
}

async fn one(
    State(sb): Shared,
    Extension(api): Extension<Api>,
    Path(id): Path<String>,
    entity: &str,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let world = sb.world();
    let a = account_of(&world, &api)?;
    let found = a
        .fields_of(entity)
        .find(|f| f.id == id)
        .map(|f| ok(field_view(&api, a, f)));
    Ok(found.unwrap_or_else(no_content))
}

/// `custom_fields_values` as an entity shows them, or null when it has none.
pub fn view(a: &Account, entity: &str, stored: &[StoredField]) -> Value {
    let fields: Vec<Value> = a
        .fields_of(entity)
        .filter_map(|f| {
            let s = stored.iter().find(|s| s.field_id == f.id && !s.values.is_empty())?;
            Some(json!({"field_id": f.id, "field_name": f.name, "field_code": f.code, "field_type": f.field_type, "values": s.values}))
        })
        .collect();
    if fields.is_empty() {
        Value::Null
    } else {
        Value::Array(fields)
    }
}

/// A contact's values: PHONE and EMAIL from its phones and emails, then the rest.
pub fn contact_values(a: &Account, c: &Contact) -> Value {
    let mut stored = c.fields.clone();
    for (code, values) in [("PHONE", &c.phones), ("EMAIL", &c.emails)] {
        if let Some(f) = a.field_by_code("contacts", code) {
            let values = values
                .iter()
                .map(|v| {
                    let e = f.find_enum(None, Some(&v.enum_code));
                    json!({"value": v.value, "enum_id": e.map(|e| e.id), "enum_code": v.enum_code})
                })
                .collect();
            stored.push(StoredField {
                field_id: f.id,
                values,
            });
        }
    }
    view(a, "contacts", &stored)
}

/// What a write sets: each field named (with its code), with all its new
/// values (the old ones go; an empty `values` clears the field).
#[derive(Debug, Default, PartialEq)]
pub struct Written {
    pub fields: Vec<(Option<String>, StoredField)>,
}

impl Written {
    /// Puts the written values into `stored`.
    pub fn store(self, stored: &mut Vec<StoredField>) {
        for (_, w) in self.fields {
            stored.retain(|s| s.field_id != w.field_id);
            if !w.values.is_empty() {
                stored.push(w);
            }
        }
    }

    /// Writes to a contact: PHONE and EMAIL to its phones and emails, the rest stored.
    pub fn apply_to_contact(self, c: &mut Contact) {
        let (multi, rest): (Vec<_>, Vec<_>) = self
            .fields
            .into_iter()
            .partition(|(code, _)| matches!(code.as_deref(), Some("PHONE" | "EMAIL")));
        for (code, w) in multi {
            let values = w
                .values
                .iter()
                .map(|v| FieldValue {
                    value: v["value"].as_str().unwrap_or("").to_string(),
                    enum_code: v["enum_code"].as_str().unwrap_or("WORK").to_string(),
                })
                .collect();
            if code.as_deref() == Some("PHONE") {
                c.phones = values;
            } else {
                c.emails = values;
            }
        }
        Written { fields: rest }.store(&mut c.fields);
    }
}

fn choice(path: String) -> FieldError {
    FieldError::new(
        "NotSupportedChoice",
        path,
        "The value you selected is not a valid choice.",
    )
}

fn of_type(path: String, kind: &str) -> FieldError {
    FieldError::new(
        "InvalidType",
        path,
        format!("This value should be of type {kind}."),
    )
}

/// Reads `custom_fields_values` of a write to `entity`; errors carry their paths.
pub fn read(a: &Account, entity: &str, list: &Value) -> Result<Written, Vec<FieldError>> {
    let Some(list) = list.as_array() else {
        return Err(vec![of_type("custom_fields_values".into(), "array")]);
    };
    let mut out = Written::default();
    let mut errors = vec![];
    for (i, f) in list.iter().enumerate() {
        let at = |k: &str| format!("custom_fields_values.{i}.{k}");
        let field = match (&f["field_id"], f["field_code"].as_str()) {
            (Value::Null, Some(code)) => a
                .field_by_code(entity, code)
                .ok_or_else(|| choice(at("field_code"))),
            (id, _) => id
                .as_i64()
                .and_then(|id| a.fields_of(entity).find(|x| x.id == id))
                .ok_or_else(|| choice(at("field_id"))),
        };
        match field.and_then(|field| {
            f["values"]
                .as_array()
                .map(|values| (field, values))
                .ok_or_else(|| of_type(at("values"), "array"))
        }) {
            Ok((field, values)) => match field_values(field, values, i) {
                Ok(values) => out.fields.push((
                    field.code.clone(),
                    StoredField {
                        field_id: field.id,
                        values,
                    },
                )),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Checks each value against the field's type; returns them as the API shows them.
fn field_values(
    f: &CustomField,
    values: &[Value],
    i: usize,
) -> Result<Vec<Value>, Vec<FieldError>> {
    let mut errors = vec![];
    let mut out = vec![];
    for (j, v) in values.iter().enumerate() {
        let path = |k: &str| format!("custom_fields_values.{i}.values.{j}.{k}");
        match one_value(f, v) {
            Ok(v) => out.push(v),
            Err((key, code)) => errors.push(match code {
                "choice" => choice(path(key)),
                "blank" => {
                    FieldError::new("NotBlank", path(key), "This value should not be blank.")
                }
                kind => of_type(path(key), kind),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One value, or the key at fault and what is wrong with it (`choice`,
/// `blank`, or the type it should have).
fn one_value(f: &CustomField, v: &Value) -> Result<Value, (&'static str, &'static str)> {
    let value = &v["value"];
    if f.field_type == "multitext" {
        let text = value
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(("value", "blank"))?;
        let (id, code) = (v.get("enum_id"), v.get("enum_code"));
        let e = match (id, code) {
            (None, None) => f.enums.first(),
            (_, Some(c)) => Some(
                f.find_enum(None, c.as_str())
                    .ok_or(("enum_code", "choice"))?,
            ),
            (Some(id), None) => Some(
                f.find_enum(id.as_i64(), None)
                    .ok_or(("enum_id", "choice"))?,
            ),
        };
        return Ok(
            json!({"value": text, "enum_id": e.map(|e| e.id), "enum_code": e.and_then(|e| f.enum_code(e))}),
        );
    }
    if f.has_enums() {
        let named = v["enum_id"].as_i64();
        let code = v["enum_code"].as_str();
        let e = if named.is_some() || code.is_some() {
            f.find_enum(named, code)
        } else {
            value
                .as_str()
                .and_then(|s| f.enums.iter().find(|e| e.value == s))
        };
        let e = e.ok_or((
            if named.is_some() {
                "enum_id"
            } else if code.is_some() {
                "enum_code"
            } else {
                "value"
            },
            "choice",
        ))?;
        return Ok(json!({"value": e.value, "enum_id": e.id, "enum_code": e.code}));
    }
    let ok = match f.field_type.as_str() {
        "numeric" | "price" | "monetary" => {
            value.is_number()
                || value
                    .as_str()
                    .is_some_and(|s| s.trim().parse::<f64>().is_ok())
        }
        "checkbox" => value.is_boolean(),
        "date" | "date_time" | "birthday" => value.is_i64() || value.is_string(),
        "text" | "textarea" | "url" | "streetaddress" => value.is_string() || value.is_number(),
        _ => !value.is_null(),
    };
    if !ok {
        return Err((
            "value",
            match f.field_type.as_str() {
                "numeric" | "price" | "monetary" => "numeric",
                "checkbox" => "bool",
                "date" | "date_time" | "birthday" => "int",
                _ => "string",
            },
        ));
    }
    if matches!(
        f.field_type.as_str(),
        "text" | "textarea" | "url" | "streetaddress"
    ) {
        let s = value
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| value.to_string());
        return Ok(json!({"value": s}));
    }
    Ok(json!({"value": value}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::World;

    fn world() -> World {
        World::from_config(
            &Config::parse(
                "accounts:\n  - custom_fields:\n      - {entity_type: contacts, name: Size, type: select, code: SIZE, enums: [S, {value: L, code: BIG}]}\n      - {entity_type: contacts, name: Age, type: numeric}\n  - {}\n",
                "t.yaml",
            )
            .unwrap(),
        )
    }

    #[test]
    fn each_account_has_its_own_field_ids() {
        let w = world();
        let phone = |a: &Account| a.field_by_code("contacts", "PHONE").unwrap().id;
        assert_ne!(phone(&w.accounts[0]), phone(&w.accounts[1]));
        assert_ne!(
            phone(&w.accounts[0]),
            w.accounts[0]
                .field_by_code("companies", "PHONE")
                .unwrap()
                .id
        );
    }

    #[test]
    fn reads_by_code_or_id_and_keeps_kinds() {
        let w = world();
        let a = &w.accounts[0];
        let email = a.field_by_code("contacts", "EMAIL").unwrap().id;
        let written = read(a, "contacts", &json!([
            {"field_code": "PHONE", "values": [{"value": "+1 555 0001", "enum_code": "MOB"}, {"value": "+1 555 0003"}]},
            {"field_id": email, "values": [{"value": "j@example.com", "enum_code": "PRIV"}]},
            {"field_code": "SIZE", "values": [{"enum_code": "BIG"}]},
            {"field_code": "SIZE", "values": [{"value": "S"}]}
        ]))
        .unwrap();
        let mut c = Contact::new(1, 0, 0);
        written.apply_to_contact(&mut c);
        assert_eq!(c.phones[0].enum_code, "MOB");
        assert_eq!(c.phones[1].enum_code, "WORK");
        assert_eq!(c.emails[0].enum_code, "PRIV");
        let shown = contact_values(a, &c);
        assert_eq!(shown[0]["field_code"], "PHONE");
        assert_eq!(
            shown[2]["values"],
            json!([{"value": "S", "enum_id": a.field_by_code("contacts", "SIZE").unwrap().enums[0].id, "enum_code": null}])
        );
    }

    #[test]
    fn refuses_unknown_fields_enums_and_types() {
        let w = world();
        let a = &w.accounts[0];
        let other = w.accounts[1].field_by_code("contacts", "PHONE").unwrap().id;
        let e = read(
            a,
            "contacts",
            &json!([
                {"field_id": other, "values": []},
                {"field_code": "PHONE", "values": [{"value": "1", "enum_code": "PRIV"}]},
                {"field_code": "AGE", "values": []},
                {"field_code": "SIZE", "values": [{"value": "XL"}]}
            ]),
        )
        .unwrap_err();
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "custom_fields_values.0.field_id",
                "custom_fields_values.1.values.0.enum_code",
                "custom_fields_values.2.field_code",
                "custom_fields_values.3.values.0.value"
            ]
        );
        let age = a
            .fields_of("contacts")
            .find(|f| f.name == "Age")
            .unwrap()
            .id;
        let e = read(
            a,
            "contacts",
            &json!([{"field_id": age, "values": [{"value": "old"}]}]),
        )
        .unwrap_err();
        assert_eq!(
            (e[0].code, e[0].detail.as_str()),
            ("InvalidType", "This value should be of type numeric.")
        );
        assert!(read(a, "leads", &json!([{"field_code": "PHONE", "values": []}])).is_err());
    }
}
