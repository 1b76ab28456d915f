//! Chat templates (REST v4 `/api/v4/chats/templates`) and Salesbot definitions,
//! plus the `{{...}}` placeholders both fill from the contact and lead.

use super::{Account, Contact, Lead};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub content: String,
    pub is_editable: bool,
    /// `amocrm` or `waba`.
    #[serde(rename = "type")]
    pub kind: String,
    pub buttons: Vec<Value>,
    pub attachment: Option<Value>,
    pub external_id: Option<String>,
    /// The integration that created it (templates are visible only to their creator).
    pub integration_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// WABA and review fields, kept as given.
    #[serde(default)]
    pub extra: serde_json::Map<String, Value>,
    #[serde(default)]
    pub reviews: Vec<Value>,
}

/// A Salesbot configured in the sandbox: steps run in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Salesbot {
    pub id: i64,
    pub name: String,
    pub steps: Vec<Value>,
}

/// Values for `{{contact.name}}`, `{{lead.id}}` and friends.
pub fn placeholders(
    account: &Account,
    contact: Option<&Contact>,
    lead: Option<&Lead>,
) -> Vec<(String, String)> {
    let mut out = vec![];
    if let Some(c) = contact {
        out.push(("{{contact.name}}".into(), c.name.clone()));
        out.push(("{{name}}".into(), c.name.clone()));
        out.push(("{{contact.id}}".into(), c.id.to_string()));
        out.push((
            "{{contact.phone}}".into(),
            c.phone().unwrap_or_default().to_string(),
        ));
        out.push((
            "{{contact.email}}".into(),
            c.email().unwrap_or_default().to_string(),
        ));
    }
    if let Some(l) = lead {
        out.push(("{{lead.id}}".into(), l.id.to_string()));
        out.push(("{{lead.name}}".into(), l.name.clone()));
        out.push(("{{lead.price}}".into(), l.price.to_string()));
        out.push(("{{lead.status_id}}".into(), l.status_id.to_string()));
        if let Some(u) = account.users.iter().find(|u| u.id == l.responsible_user_id) {
            out.push(("{{lead.responsible.id}}".into(), u.id.to_string()));
            out.push(("{{lead.responsible.name}}".into(), u.name.clone()));
            out.push(("{{lead.responsible.email}}".into(), u.email.clone()));
        }
    }
    out
}

/// Fills the placeholders that occur in `content`; returns the text and the
/// `params` list a template hook carries (`[{key, value}]`, in order of appearance).
pub fn render(content: &str, values: &[(String, String)]) -> (String, Vec<Value>) {
    let mut text = content.to_string();
    let mut found: Vec<(usize, &str, &str)> = values
        .iter()
        .filter_map(|(k, v)| {
            content
                .find(k.as_str())
                .map(|at| (at, k.as_str(), v.as_str()))
        })
        .collect();
    found.sort_by_key(|(at, _, _)| *at);
    let params = found
        .iter()
        .map(|(_, k, v)| json!({"key": k, "value": v}))
        .collect();
    for (k, v) in values {
        text = text.replace(k.as_str(), v);
    }
    (text, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_order_of_appearance() {
        let values = vec![
            ("{{lead.id}}".to_string(), "8080".to_string()),
            ("{{contact.name}}".to_string(), "Jane".to_string()),
        ];
        let (text, params) = render("Hi {{contact.name}}, lead {{lead.id}}", &values);
        assert_eq!(text, "Hi Jane, lead 8080");
        assert_eq!(
            params,
            vec![
                json!({"key": "{{contact.name}}", "value": "Jane"}),
                json!({"key": "{{lead.id}}", "value": "8080"})
            ]
        );
    }
}
