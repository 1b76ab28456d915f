//! Phone and email as Kommo's multitext custom fields (`field_code` PHONE /
//! EMAIL, spec kommo-rest-v4.md §10.1): how contacts show them and how writes
//! name them (by `field_id` or `field_code`).

use super::problem::FieldError;
use crate::domain::{Contact, FieldValue};
use serde_json::{json, Value};

pub const PHONE_FIELD_ID: i64 = 501;
pub const EMAIL_FIELD_ID: i64 = 502;
pub const PHONE_ENUMS: [(&str, i64); 6] = [
    ("WORK", 9001),
    ("WORKDD", 9002),
    ("MOB", 9003),
    ("FAX", 9004),
    ("HOME", 9005),
    ("OTHER", 9006),
];
pub const EMAIL_ENUMS: [(&str, i64); 3] = [("WORK", 9011), ("PRIV", 9012), ("OTHER", 9013)];

/// `custom_fields_values` of a contact, or null when it has neither.
pub fn values(c: &Contact) -> Value {
    let mut fields = vec![];
    if !c.phones.is_empty() {
        fields.push(field(
            PHONE_FIELD_ID,
            "Phone",
            "PHONE",
            &c.phones,
            &PHONE_ENUMS,
        ));
    }
    if !c.emails.is_empty() {
        fields.push(field(
            EMAIL_FIELD_ID,
            "Email",
            "EMAIL",
            &c.emails,
            &EMAIL_ENUMS,
        ));
    }
    if fields.is_empty() {
        Value::Null
    } else {
        Value::Array(fields)
    }
}

fn field(id: i64, name: &str, code: &str, values: &[FieldValue], enums: &[(&str, i64)]) -> Value {
    let values: Vec<Value> = values
        .iter()
        .map(|v| {
            let enum_id = enums.iter().find(|(c, _)| *c == v.enum_code).map(|e| e.1);
            json!({"value": v.value, "enum_id": enum_id, "enum_code": v.enum_code})
        })
        .collect();
    json!({"field_id": id, "field_name": name, "field_code": code, "field_type": "multitext",
           "values": values})
}

/// What a write sets: for each field named, its new values (all of them:
/// the field's old values go; an empty `values` clears it).
#[derive(Debug, Default, PartialEq)]
pub struct Written {
    pub phones: Option<Vec<FieldValue>>,
    pub emails: Option<Vec<FieldValue>>,
}

/// Reads `custom_fields_values` of a contact write; errors carry their paths.
pub fn read(list: &Value) -> Result<Written, Vec<FieldError>> {
    let mut out = Written::default();
    let mut errors = vec![];
    let Some(list) = list.as_array() else {
        return Err(vec![FieldError::new(
            "InvalidType",
            "custom_fields_values",
            "This value should be of type array.",
        )]);
    };
    for (i, f) in list.iter().enumerate() {
        let by_id = f["field_id"].as_i64();
        let by_code = f["field_code"].as_str();
        let (slot, enums) = match (by_id, by_code) {
            (Some(PHONE_FIELD_ID), _) | (None, Some("PHONE")) => {
                (&mut out.phones, &PHONE_ENUMS[..])
            }
            (Some(EMAIL_FIELD_ID), _) | (None, Some("EMAIL")) => {
                (&mut out.emails, &EMAIL_ENUMS[..])
            }
            (None, Some(_)) => {
                errors.push(FieldError::new(
                    "NotSupportedChoice",
                    format!("custom_fields_values.{i}.field_code"),
                    "The value you selected is not a valid choice.",
                ));
                continue;
            }
            _ => {
                errors.push(FieldError::new(
                    "NotSupportedChoice",
                    format!("custom_fields_values.{i}.field_id"),
                    "The value you selected is not a valid choice.",
                ));
                continue;
            }
        };
        match field_values(&f["values"], enums, i) {
            Ok(v) => *slot = Some(v),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn field_values(
    values: &Value,
    enums: &[(&str, i64)],
    i: usize,
) -> Result<Vec<FieldValue>, Vec<FieldError>> {
    let Some(values) = values.as_array() else {
        return Err(vec![FieldError::new(
            "InvalidType",
            format!("custom_fields_values.{i}.values"),
            "This value should be of type array.",
        )]);
    };
    let mut errors = vec![];
    for (j, v) in values.iter().enumerate() {
        let path = |k: &str| format!("custom_fields_values.{i}.values.{j}.{k}");
        if v["value"].as_str().is_none_or(|s| s.trim().is_empty()) {
            errors.push(FieldError::new(
                "NotBlank",
                path("value"),
                "This value should not be blank.",
            ));
        }
        if let Some(code) = v.get("enum_code") {
            if !enums.iter().any(|(c, _)| Some(*c) == code.as_str()) {
                errors.push(FieldError::new(
                    "NotSupportedChoice",
                    path("enum_code"),
                    "The value you selected is not a valid choice.",
                ));
            }
        }
        if let Some(id) = v.get("enum_id") {
            if !enums.iter().any(|(_, e)| Some(*e) == id.as_i64()) {
                errors.push(FieldError::new(
                    "NotSupportedChoice",
                    path("enum_id"),
                    "The value you selected is not a valid choice.",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(values
        .iter()
        .map(|v| FieldValue {
            value: v["value"].as_str().unwrap_or("").trim().to_string(),
            enum_code: enum_code(v, enums).to_string(),
        })
        .collect())
}

/// The value's kind: its `enum_code`, else the code of its `enum_id`, else
/// the field's first kind (`WORK`). Both were checked against `enums`.
fn enum_code<'a>(v: &Value, enums: &[(&'a str, i64)]) -> &'a str {
    let by_code = v["enum_code"].as_str();
    let by_id = v["enum_id"].as_i64();
    enums
        .iter()
        .find(|(c, id)| by_code == Some(*c) || (by_code.is_none() && by_id == Some(*id)))
        .unwrap_or(&enums[0])
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_code_or_id() {
        let w = read(&json!([
            {"field_code": "PHONE", "values": [{"value": "+15550001111", "enum_code": "MOB"}]},
            {"field_id": EMAIL_FIELD_ID, "values": [{"value": "j@example.com"}]}
        ]))
        .unwrap();
        let one = |value: &str, kind: &str| FieldValue {
            value: value.into(),
            enum_code: kind.into(),
        };
        assert_eq!(w.phones, Some(vec![one("+15550001111", "MOB")]));
        assert_eq!(w.emails, Some(vec![one("j@example.com", "WORK")]));
    }

    #[test]
    fn keeps_every_value_with_its_kind() {
        let w = read(&json!([{"field_code": "PHONE", "values": [
            {"value": "+1 555 0001", "enum_code": "MOB"},
            {"value": "+1 555 0002", "enum_id": 9001},
            {"value": "+1 555 0003"}
        ]}]))
        .unwrap();
        let c = Contact {
            phones: w.phones.unwrap(),
            ..Contact::new(1, 0, 0)
        };
        assert_eq!(
            values(&c),
            json!([{"field_id": PHONE_FIELD_ID, "field_name": "Phone", "field_code": "PHONE", "field_type": "multitext",
            "values": [
                {"value": "+1 555 0001", "enum_id": 9003, "enum_code": "MOB"},
                {"value": "+1 555 0002", "enum_id": 9001, "enum_code": "WORK"},
                {"value": "+1 555 0003", "enum_id": 9001, "enum_code": "WORK"}
            ]}])
        );
        let cleared = read(&json!([{"field_code": "PHONE", "values": []}])).unwrap();
        assert_eq!(cleared.phones, Some(vec![]));
        assert_eq!(cleared.emails, None);
    }

    #[test]
    fn refuses_unknown_fields_and_enums() {
        let e = read(&json!([{"field_id": 1, "values": []}, {"field_code": "PHONE", "values": [{"value": "1", "enum_code": "PRIV"}]}])).unwrap_err();
        assert_eq!(e[0].path, "custom_fields_values.0.field_id");
        assert_eq!(e[1].path, "custom_fields_values.1.values.0.enum_code");
    }
}
