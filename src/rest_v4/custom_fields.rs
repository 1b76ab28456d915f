//! Phone and email as Kommo's multitext custom fields (`field_code` PHONE /
//! EMAIL, spec kommo-rest-v4.md §10.1): how contacts show them and how writes
//! name them (by `field_id` or `field_code`).

use super::problem::FieldError;
use crate::domain::Contact;
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
    if let Some(phone) = &c.phone {
        fields.push(field(
            PHONE_FIELD_ID,
            "Phone",
            "PHONE",
            phone,
            PHONE_ENUMS[0],
        ));
    }
    if let Some(email) = &c.email {
        fields.push(field(
            EMAIL_FIELD_ID,
            "Email",
            "EMAIL",
            email,
            EMAIL_ENUMS[0],
        ));
    }
    if fields.is_empty() {
        Value::Null
    } else {
        Value::Array(fields)
    }
}

fn field(id: i64, name: &str, code: &str, value: &str, (enum_code, enum_id): (&str, i64)) -> Value {
    json!({"field_id": id, "field_name": name, "field_code": code, "field_type": "multitext",
           "values": [{"value": value, "enum_id": enum_id, "enum_code": enum_code}]})
}

/// What a write sets: `Some(value)` per field named (empty `values` clears it).
#[derive(Debug, Default, PartialEq)]
pub struct Written {
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
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
            (Some(PHONE_FIELD_ID), _) | (None, Some("PHONE")) => (&mut out.phone, &PHONE_ENUMS[..]),
            (Some(EMAIL_FIELD_ID), _) | (None, Some("EMAIL")) => (&mut out.email, &EMAIL_ENUMS[..]),
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
        match first_value(&f["values"], enums, i) {
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

fn first_value(
    values: &Value,
    enums: &[(&str, i64)],
    i: usize,
) -> Result<Option<String>, Vec<FieldError>> {
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
        .first()
        .and_then(|v| v["value"].as_str())
        .map(|s| s.trim().to_string()))
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
        assert_eq!(w.phone, Some(Some("+15550001111".into())));
        assert_eq!(w.email, Some(Some("j@example.com".into())));
    }

    #[test]
    fn refuses_unknown_fields_and_enums() {
        let e = read(&json!([{"field_id": 1, "values": []}, {"field_code": "PHONE", "values": [{"value": "1", "enum_code": "PRIV"}]}])).unwrap_err();
        assert_eq!(e[0].path, "custom_fields_values.0.field_id");
        assert_eq!(e[1].path, "custom_fields_values.1.values.0.enum_code");
    }
}
