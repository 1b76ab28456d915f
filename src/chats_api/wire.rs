//! Request bodies of the Chats API. The API is strictly typed (ints must be
//! ints), so bodies are parsed into typed structs and a wrong type is reported
//! with its JSON path.

use super::error::{AmojoError, Result};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Parses a body, naming the field and position of the first problem.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    object_body(body)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            malformed(&inner)
        } else {
            field_error(&path, &inner)
        }
    })?;
    // One JSON value and nothing after it: `{...} x` is not JSON.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

/// Like [`parse`], also reading the parts `K` keeps verbatim (as
/// `serde_json::Value` fields). A good body is read twice, typed and for
/// `K`, which costs less than building a JSON value of all of it. Whatever
/// the fast reading refuses (a bad body, a duplicate key, whose last value
/// wins as it does in JSON values) takes the path through a value, which
/// names the field. Only the fields the types name are checked in depth,
/// as in [`parse`]: a number out of range or a lone surrogate in a field
/// nobody reads passes.
pub fn parse_keeping<T: DeserializeOwned, K: DeserializeOwned>(body: &[u8]) -> Result<(T, K)> {
    object_body(body)?;
    if let Ok(typed) = serde_json::from_slice::<T>(body) {
        if let Ok(kept) = serde_json::from_slice::<K>(body) {
            return Ok((typed, kept));
        }
    }
    let (typed, raw) = parse_with_raw::<T>(body)?;
    let kept = serde_path_to_error::deserialize(raw)
        .map_err(|err| field_error(&err.path().to_string(), err.inner()))?;
    Ok((typed, kept))
}

/// A body is one JSON object of UTF-8 text. (Derived structs would also
/// read a JSON array, element by element, and skipped fields are not
/// checked for UTF-8.) Refuses anything else as a JSON parser would.
fn object_body(body: &[u8]) -> Result<()> {
    if body.is_empty() {
        return Err(AmojoError::bad_request(
            "the request body is empty; this method takes a JSON object",
        ));
    }
    if starts_as_object(body) && std::str::from_utf8(body).is_ok() {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Err(e) => Err(malformed(&e)),
        Ok(v) if !v.is_object() => Err(AmojoError::bad_request(format!(
            "the body must be a JSON object, not {}",
            kind(&v)
        ))),
        Ok(_) => Ok(()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A wrong type or missing field, named by its JSON path.
fn field_error(path: &str, inner: &serde_json::Error) -> AmojoError {
    let field = if path == "." {
        "body".to_string()
    } else {
        format!("`{path}`")
    };
    AmojoError::bad_request(format!("{field}: {}", strip_position(&inner.to_string())))
}

/// Like [`parse`], also returning the body as a JSON value, from a single
/// pass over the bytes; for a body already known to be an object.
fn parse_with_raw<T: DeserializeOwned>(body: &[u8]) -> Result<(T, Value)> {
    // `from_slice` refuses trailing bytes too.
    let raw: Value = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    // Path tracking costs on every field; a good body (nearly all of them)
    // skips it, a bad one is read again to name the field.
    if let Ok(typed) = T::deserialize(&raw) {
        return Ok((typed, raw));
    }
    let typed = serde_path_to_error::deserialize(&raw)
        .map_err(|err| field_error(&err.path().to_string(), err.inner()))?;
    Ok((typed, raw))
}

fn malformed(e: &serde_json::Error) -> AmojoError {
    let at = format!("line {} column {}", e.line(), e.column());
    AmojoError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "INVALID_JSON",
        format!("malformed JSON at {at}: {}", strip_position(&e.to_string())),
    )
}

fn starts_as_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// serde's message without its position, and never long: serde quotes a
/// bad value whole, and a megabyte echoed back (and journaled) helps nobody.
fn strip_position(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    shorten(message, 200)
}

/// `text` itself, or its first and last characters around a note of how
/// many were left out, in at most about `max` characters.
fn shorten(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max / 2).collect();
    let tail: String = text.chars().skip(count - max / 3).collect();
    format!(
        "{head}… ({} characters left out) …{tail}",
        count - max / 2 - max / 3
    )
}

#[derive(Debug, Deserialize)]
pub struct ConnectRequest {
    pub account_id: String,
    pub title: Option<String>,
    pub hook_api_version: Option<String>,
    pub is_time_window_disabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct DisconnectRequest {
    pub account_id: String,
}

#[derive(Debug, Deserialize)]
pub struct SourceRef {
    pub external_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// `user` of create-chat, and `sender`/`receiver` of messages.
#[derive(Debug, Deserialize)]
pub struct Person {
    pub id: Option<String>,
    pub ref_id: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Option<Profile>,
    pub profile_link: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CreateChatRequest {
    pub conversation_id: String,
    pub source: Option<SourceRef>,
    pub user: Person,
}

#[derive(Debug, Deserialize)]
pub struct MessageEnvelope {
    pub event_type: String,
    pub payload: Payload,
}

#[derive(Debug, Deserialize)]
pub struct Payload {
    pub timestamp: Option<i64>,
    pub msec_timestamp: Option<i64>,
    pub msgid: Option<String>,
    pub id: Option<String>,
    pub conversation_id: Option<String>,
    pub conversation_ref_id: Option<String>,
    pub silent: Option<bool>,
    pub source: Option<SourceRef>,
    pub sender: Option<Person>,
    pub receiver: Option<Person>,
    pub message: Option<MessageBody>,
    pub reply_to: Option<Quote>,
    pub forwards: Option<Forwards>,
}

#[derive(Debug, Deserialize)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Deserialize)]
pub struct ContactCard {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryInMessage {
    pub status_code: i64,
    pub error_code: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MessageBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub media: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub sticker_id: Option<String>,
    pub location: Option<Location>,
    pub contact: Option<ContactCard>,
    pub callback_data: Option<String>,
    pub media_duration: Option<i64>,
    pub shared_post: Option<Value>,
    pub post: Option<Value>,
    pub delivery_status: Option<DeliveryInMessage>,
}

#[derive(Debug, Deserialize)]
pub struct Quote {
    pub message: QuotedMessage,
}

#[derive(Debug, Deserialize)]
pub struct QuotedMessage {
    pub id: Option<String>,
    pub msgid: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Forwards {
    pub messages: Vec<QuotedMessage>,
    pub conversation_ref_id: Option<String>,
    pub conversation_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryStatusRequest {
    pub msgid: String,
    pub delivery_status: Option<i64>,
    /// Alias used by one table of the Russian reference.
    pub status_code: Option<i64>,
    pub error_code: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TypingSender {
    pub id: Option<String>,
    pub ref_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TypingRequest {
    pub conversation_id: Option<String>,
    pub conversation_ref_id: Option<String>,
    pub sender: TypingSender,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct ReactRequest {
    pub conversation_id: Option<String>,
    pub conversation_ref_id: Option<String>,
    pub id: Option<String>,
    pub msgid: Option<String>,
    pub user: TypingSender,
    #[serde(rename = "type")]
    pub kind: String,
    pub emoji: Option<String>,
}

/// `source.external_id`: at most 40 printable ASCII characters, spaces allowed (spec §4.3).
pub fn check_source(source: &Option<SourceRef>) -> Result<()> {
    if let Some(s) = source {
        let ok = !s.external_id.is_empty()
            && s.external_id.len() <= 40
            && s.external_id
                .chars()
                .all(|c| c.is_ascii_graphic() || c == ' ');
        if !ok {
            return Err(AmojoError::bad_request(format!(
                "`source.external_id` {:?} must be 1 to 40 printable ASCII characters (spaces allowed); leave `source` out if unused",
                s.external_id
            )));
        }
    }
    Ok(())
}

pub fn required<'a, T>(value: &'a Option<T>, path: &str) -> Result<&'a T> {
    value
        .as_ref()
        .ok_or_else(|| AmojoError::bad_request(format!("`{path}` is required")))
}

pub fn non_empty<'a>(value: &'a Option<String>, path: &str) -> Result<&'a str> {
    match value.as_deref() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(AmojoError::bad_request(format!(
            "`{path}` is required and must be a non-empty string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_messages_are_shortened_keeping_both_ends() {
        let long = format!(
            "invalid type: string \"{}\", expected i64",
            "\u{301}".repeat(100_000)
        );
        let short = super::shorten(&long, 200);
        assert!(short.chars().count() < 260, "{}", short.len());
        assert!(short.starts_with("invalid type: string"));
        assert!(short.ends_with("expected i64"));
        assert_eq!(super::shorten("fine", 200), "fine");
    }

    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Kept {
        #[serde(default)]
        message: Value,
    }

    fn keeping(body: &str) -> Result<(DeliveryInMessage, Kept)> {
        parse_keeping(body.as_bytes())
    }

    #[test]
    fn keeps_the_part_as_sent_unknown_fields_included() {
        let (typed, kept) =
            keeping(r#"{"status_code": 1, "message": {"type": "text", "x": [1, {"y": null}]}}"#)
                .unwrap();
        assert_eq!(typed.status_code, 1);
        assert_eq!(kept.message, json!({"type": "text", "x": [1, {"y": null}]}));
    }

    #[test]
    fn a_duplicate_key_takes_its_last_value_as_before() {
        let (typed, kept) =
            keeping(r#"{"status_code": 1, "status_code": 2, "message": {"a": 1, "a": 3}}"#)
                .unwrap();
        assert_eq!(typed.status_code, 2);
        assert_eq!(kept.message, json!({"a": 3}));
    }

    #[test]
    fn only_an_object_of_utf8_text_is_a_body() {
        // Derived structs would read `[1]` as `{"status_code": 1}`.
        let err = keeping("[1]").unwrap_err();
        assert!(
            err.description.contains("JSON object, not an array"),
            "{err:?}"
        );
        let err = parse::<DeliveryInMessage>(b"[1]").unwrap_err();
        assert!(err.description.contains("JSON object"), "{err:?}");
        // Invalid UTF-8 in a field nobody reads is still not JSON.
        let body = b"{\"status_code\": 1, \"x\": \"\xff\"}";
        assert_eq!(
            parse_keeping::<DeliveryInMessage, Kept>(body)
                .unwrap_err()
                .error_type,
            "INVALID_JSON"
        );
        assert_eq!(
            parse::<DeliveryInMessage>(body).unwrap_err().error_type,
            "INVALID_JSON"
        );
    }

    #[test]
    fn a_bad_body_is_named_by_its_field() {
        let err = keeping(r#"{"status_code": "1"}"#).unwrap_err();
        assert!(err.description.contains("`status_code`"), "{err:?}");
        let err = keeping(r#"{"status_code": 1"#).unwrap_err();
        assert_eq!(err.error_type, "INVALID_JSON", "{err:?}");
    }
}
