//! web1on1's `>cs` command messages (webwidget Widget API, "Commands and
//! Fields"): a message starting with `>cs ` sets conversation data instead
//! of being chat text. Parsed here and applied to the chat's [`ChatMeta`].

use crate::domain::online_chat::ChatMeta;
use serde::Serialize;
use serde_json::{json, Value};

pub const PREFIX: &str = ">cs ";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// `.field value`: a contact profile or form field.
    Field { name: String, value: String },
    /// `+formId`: activate a form.
    Form { id: String },
    /// `/set @category Name`.
    Category { name: String },
    /// `/set var value`: a persistent conversation meta variable.
    Variable { name: String, value: String },
    /// `/assign id`: a user or bot.
    Assign { id: String },
    /// `/notify [inbox]`: an inbox, or all organizations.
    Notify { inbox: Option<String> },
    /// `@id text`: mention a user or bot.
    Mention { id: String, text: String },
}

/// `None` for ordinary chat text; `Some(Err)` for a malformed command.
pub fn parse(message: &str) -> Option<Result<Command, String>> {
    let body = message
        .strip_prefix(PREFIX)
        .or_else(|| (message.trim_end() == ">cs").then_some(""))?;
    Some(parse_body(body.trim()))
}

fn parse_body(body: &str) -> Result<Command, String> {
    let (head, rest) = split(body);
    if let Some(name) = head.strip_prefix('.') {
        return Ok(Command::Field {
            name: word(name, ".field")?,
            value: required(rest, ".field value")?,
        });
    }
    if let Some(id) = head.strip_prefix('+') {
        return Ok(Command::Form {
            id: word(id, "+formId")?,
        });
    }
    if let Some(id) = head.strip_prefix('@') {
        return Ok(Command::Mention {
            id: word(id, "@id")?,
            text: rest.to_string(),
        });
    }
    match head {
        "/set" => parse_set(rest),
        "/assign" => Ok(Command::Assign { id: single(rest, "/assign <userOrBotId>")? }),
        "/notify" if rest.is_empty() => Ok(Command::Notify { inbox: None }),
        "/notify" => Ok(Command::Notify { inbox: Some(single(rest, "/notify [inboxId]")?) }),
        "" => Err("empty command after >cs; write e.g. `>cs .brand Toyota` or `>cs /set @category Used Car`".into()),
        other => Err(format!("unknown command {other:?}; use .field value, +form, /set, /assign, /notify or @id text")),
    }
}

fn parse_set(rest: &str) -> Result<Command, String> {
    let (name, value) = split(rest);
    if name.is_empty() {
        return Err("/set needs a variable: `/set @category Name` or `/set var value`".into());
    }
    if name == "@category" {
        return Ok(Command::Category {
            name: required(value, "/set @category Name")?,
        });
    }
    Ok(Command::Variable {
        name: name.to_string(),
        value: required(value, "/set var value")?,
    })
}

fn split(s: &str) -> (&str, &str) {
    match s.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s, ""),
    }
}

fn word(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!("`{what}` needs a name right after the sign"));
    }
    Ok(s.to_string())
}

fn required(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!("missing value: write `{what}`"));
    }
    Ok(s.to_string())
}

fn single(s: &str, what: &str) -> Result<String, String> {
    match split(s) {
        ("", _) => Err(format!("missing id: write `{what}`")),
        (id, "") => Ok(id.to_string()),
        _ => Err(format!("one id only: write `{what}`")),
    }
}

/// Applies a parsed command to the conversation's state.
pub fn apply(meta: &mut ChatMeta, command: &Command) {
    match command {
        Command::Field { name, value } => {
            meta.fields.insert(name.clone(), json!(value));
        }
        Command::Form { id } => meta.forms.push(id.clone()),
        Command::Category { name } => meta.category = Some(name.clone()),
        Command::Variable { name, value } => {
            meta.variables
                .insert(name.clone(), Value::String(value.clone()));
        }
        Command::Assign { id } => meta.assigned_to = Some(id.clone()),
        Command::Notify { inbox } => meta.notified.push(inbox.clone()),
        Command::Mention { id, text } => meta.mentions.push(json!({"id": id, "text": text})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        parse(s).unwrap().unwrap()
    }

    #[test]
    fn documented_examples_parse() {
        assert_eq!(
            ok(">cs .location 61be87aeafdf672d381a9db4#61be87aeafdf672d381a9db5"),
            Command::Field {
                name: "location".into(),
                value: "61be87aeafdf672d381a9db4#61be87aeafdf672d381a9db5".into()
            }
        );
        assert_eq!(
            ok(">cs +6093490651a8b5629324ae4f"),
            Command::Form {
                id: "6093490651a8b5629324ae4f".into()
            }
        );
        assert_eq!(
            ok(">cs .brand Toyota"),
            Command::Field {
                name: "brand".into(),
                value: "Toyota".into()
            }
        );
        assert_eq!(
            ok(">cs /set @category Used Car"),
            Command::Category {
                name: "Used Car".into()
            }
        );
        assert_eq!(
            ok(">cs /set isLead yes"),
            Command::Variable {
                name: "isLead".into(),
                value: "yes".into()
            }
        );
        assert_eq!(
            ok(">cs /assign 62c6077ca980127f404b0301"),
            Command::Assign {
                id: "62c6077ca980127f404b0301".into()
            }
        );
        assert_eq!(
            ok(">cs /notify 605411853c68d83fd1ac7655"),
            Command::Notify {
                inbox: Some("605411853c68d83fd1ac7655".into())
            }
        );
        assert_eq!(ok(">cs /notify"), Command::Notify { inbox: None });
        assert_eq!(
            ok(">cs @6248f0083ab5d5001e523146 Hello this is for you"),
            Command::Mention {
                id: "6248f0083ab5d5001e523146".into(),
                text: "Hello this is for you".into()
            }
        );
    }

    #[test]
    fn plain_text_is_not_a_command() {
        assert!(parse("Hello >cs there").is_none());
        assert!(parse(">csv").is_none());
    }

    #[test]
    fn malformed_commands_are_reported() {
        for bad in [
            ">cs .brand",
            ">cs /set @category",
            ">cs /set",
            ">cs /set isLead",
            ">cs /assign",
            ">cs /assign a b",
            ">cs +",
            ">cs /frobnicate x",
            ">cs",
            ">cs .",
        ] {
            assert!(parse(bad).unwrap().is_err(), "{bad} should be an error");
        }
        assert!(parse(">cs /frobnicate")
            .unwrap()
            .unwrap_err()
            .contains("unknown command"));
    }

    #[test]
    fn apply_fills_the_meta() {
        let mut meta = ChatMeta::default();
        for c in [
            ">cs /set @category Used Car",
            ">cs .brand Toyota",
            ">cs /set isLead yes",
            ">cs /notify",
            ">cs @u1 hi",
        ] {
            apply(&mut meta, &ok(c));
        }
        assert_eq!(meta.category.as_deref(), Some("Used Car"));
        assert_eq!(meta.fields["brand"], json!("Toyota"));
        assert_eq!(meta.variables["isLead"], json!("yes"));
        assert_eq!(meta.notified, vec![None]);
        assert_eq!(meta.mentions[0], json!({"id": "u1", "text": "hi"}));
    }
}
