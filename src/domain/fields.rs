//! The account's custom field definitions (`/api/v4/{entity}/custom_fields`):
//! the predefined PHONE and EMAIL multitext fields of contacts and companies,
//! and the fields the config declares. Ids come from the sandbox-wide
//! sequences, so every account has its own field and enum ids, as in Kommo.

use crate::config::CustomFieldConfig;
use crate::ids::{Ids, Kind};
use serde::Serialize;

/// Entities that have custom fields, as their API paths name them.
pub const ENTITY_TYPES: [&str; 3] = ["leads", "contacts", "companies"];

#[derive(Debug, Clone, Serialize)]
pub struct CustomField {
    pub id: i64,
    /// `leads`, `contacts` or `companies`.
    pub entity_type: String,
    pub name: String,
    pub code: Option<String>,
    /// Kommo's field type: `text`, `numeric`, `select`, `multitext`, ...
    pub field_type: String,
    pub sort: i64,
    pub is_predefined: bool,
    pub is_api_only: bool,
    pub enums: Vec<FieldEnum>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldEnum {
    pub id: i64,
    pub value: String,
    pub sort: i64,
    pub code: Option<String>,
}

impl CustomField {
    /// Whether values of this field are picked from its enums.
    pub fn has_enums(&self) -> bool {
        has_enums(&self.field_type)
    }

    /// The enum a value names by `enum_id` or `enum_code` (a multitext
    /// field's codes are its enum values: `WORK`, `MOB`, ...).
    pub fn find_enum(&self, id: Option<i64>, code: Option<&str>) -> Option<&FieldEnum> {
        self.enums.iter().find(|e| {
            id.is_some_and(|id| id == e.id)
                || code.is_some_and(|c| e.code.as_deref() == Some(c) || e.value == c)
        })
    }

    /// The code a value of `e` carries as `enum_code`.
    pub fn enum_code(&self, e: &FieldEnum) -> Option<String> {
        e.code
            .clone()
            .or_else(|| (self.field_type == "multitext").then(|| e.value.clone()))
    }
}

/// Field types whose values are picked from enums.
pub fn has_enums(field_type: &str) -> bool {
    matches!(
        field_type,
        "select" | "multiselect" | "radiobutton" | "multitext" | "category"
    )
}

/// Every field type Kommo's API v4 lists for leads, contacts and companies.
pub const FIELD_TYPES: [&str; 20] = [
    "text",
    "numeric",
    "checkbox",
    "select",
    "multiselect",
    "multitext",
    "date",
    "date_time",
    "birthday",
    "url",
    "textarea",
    "radiobutton",
    "streetaddress",
    "smart_address",
    "legal_entity",
    "price",
    "monetary",
    "tracking_data",
    "linked_entity",
    "category",
];

const PHONE_KINDS: [&str; 6] = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"];
const EMAIL_KINDS: [&str; 3] = ["WORK", "PRIV", "OTHER"];

/// The account's fields: for contacts and companies the predefined PHONE and
/// EMAIL, then the configured ones, each drawing its ids from `ids`.
pub fn build(ids: &mut Ids, configured: &[CustomFieldConfig]) -> Vec<CustomField> {
    let mut out = vec![];
    for entity in ["contacts", "companies"] {
        for (i, (code, name, kinds)) in [
            ("PHONE", "Phone", &PHONE_KINDS[..]),
            ("EMAIL", "Email", &EMAIL_KINDS[..]),
        ]
        .into_iter()
        .enumerate()
        {
            let id = ids.next(Kind::Field);
            let enums = kinds
                .iter()
                .enumerate()
                .map(|(j, k)| FieldEnum {
                    id: ids.next(Kind::Enum),
                    value: k.to_string(),
                    sort: 2 * (j as i64 + 1),
                    code: None,
                })
                .collect();
            out.push(CustomField {
                id,
                entity_type: entity.into(),
                name: name.into(),
                code: Some(code.into()),
                field_type: "multitext".into(),
                sort: 4 + 2 * i as i64,
                is_predefined: true,
                is_api_only: false,
                enums,
            });
        }
    }
    for (i, c) in configured.iter().enumerate() {
        let id = c.id.unwrap_or_else(|| ids.next(Kind::Field));
        let enums = c
            .enums
            .iter()
            .enumerate()
            .map(|(j, e)| FieldEnum {
                id: ids.next(Kind::Enum),
                value: e.value.clone(),
                sort: 500 + j as i64,
                code: e.code.clone(),
            })
            .collect();
        out.push(CustomField {
            id,
            entity_type: c.entity_type.clone(),
            name: c.name.clone(),
            code: c.code.clone(),
            field_type: c.field_type.clone(),
            sort: c.sort.unwrap_or(500 + i as i64),
            is_predefined: false,
            is_api_only: c.is_api_only,
            enums,
        });
    }
    out
}
