//! The sandbox configuration file (YAML): accounts, users, channels, pipelines,
//! sources and settings. Everything has a default, so an empty file is a valid
//! sandbox, and a bad file fails with file, line, column and the fix.

mod locate;
mod meaning;

use serde::{Deserialize, Deserializer};
use std::path::Path;

pub const DEMO_ACCOUNT_AMOJO_ID: &str = "52e591f7-c98f-4255-8495-827210138c81";
pub const DEMO_CHANNEL_ID: &str = "344a5002-f8ca-454d-af3d-396180102ac7";
pub const DEMO_SECRET: &str = "f2d7f8704eff95087ed45b23ba99c0b5aac8278e";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed for generated ids and fake people.
    pub seed: u64,
    /// Start time (RFC 2822 date or epoch seconds); freezes the clock there.
    pub clock: Option<String>,
    pub settings: Settings,
    pub accounts: Vec<AccountConfig>,
    pub channels: Vec<ChannelConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How far `Date` may be from the clock, either side (seconds).
    pub signature_max_age: i64,
    /// Non-empty bodies must match `Content-MD5`.
    pub strict_md5: bool,
    /// Journal entries kept; older ones are dropped so memory stays flat.
    pub journal_cap: usize,
    /// Largest request body accepted (bytes); larger gets 413.
    pub max_body_bytes: usize,
    /// Webhook answer deadline (seconds).
    pub webhook_timeout: u64,
    /// Active sources per integration per account.
    pub sources_limit: usize,
    /// REST v4 requests per second per account.
    pub rate_limit: u32,
    /// Seconds a client has to send a request's headers (the next one's on
    /// a kept-alive connection too); idle and trickling sockets are closed.
    pub header_read_timeout: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            signature_max_age: 900,
            strict_md5: true,
            journal_cap: 10_000,
            max_body_bytes: 1 << 20,
            webhook_timeout: 5,
            sources_limit: 50,
            rate_limit: 7,
            header_read_timeout: 30,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    pub id: Option<i64>,
    pub amojo_id: Option<Uuid>,
    pub name: Option<String>,
    pub subdomain: Option<String>,
    pub users: Vec<UserConfig>,
    pub pipelines: Vec<PipelineConfig>,
    pub sources: Vec<SourceConfig>,
    /// Salesbots that `/api/v4/bots` lists and runs.
    pub salesbots: Vec<SalesbotConfig>,
    /// Website chat buttons: what a site's snippet names as `crm_plugin.id` / `hash`.
    pub buttons: Vec<ButtonConfig>,
    /// Custom fields of leads, contacts and companies, besides the predefined
    /// PHONE and EMAIL of contacts and companies.
    pub custom_fields: Vec<CustomFieldConfig>,
}

/// One custom field of the account (`/api/v4/{entity_type}/custom_fields`).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawCustomField")]
pub struct CustomFieldConfig {
    pub id: Option<i64>,
    /// `leads`, `contacts` or `companies`.
    pub entity_type: String,
    pub name: String,
    /// Kommo's field type (`text`, `numeric`, `select`, `multiselect`, ...).
    pub field_type: String,
    /// The `field_code` writes may name the field by.
    pub code: Option<String>,
    pub sort: Option<i64>,
    pub is_api_only: bool,
    /// The choices of a `select`, `multiselect`, `radiobutton` or `multitext` field.
    pub enums: Vec<EnumConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomField {
    id: Option<i64>,
    entity_type: EntityType,
    name: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    code: Option<String>,
    sort: Option<i64>,
    #[serde(default)]
    is_api_only: bool,
    #[serde(default)]
    enums: Vec<EnumConfig>,
}

impl TryFrom<RawCustomField> for CustomFieldConfig {
    type Error = String;

    fn try_from(r: RawCustomField) -> Result<Self, String> {
        let with_enums = crate::domain::fields::has_enums(&r.field_type.0);
        if with_enums && r.enums.is_empty() && r.field_type.0 != "multitext" {
            return Err(format!(
                "a `{}` field needs `enums`: the values to pick from, e.g. enums: [Small, Large]",
                r.field_type.0
            ));
        }
        if !with_enums && !r.enums.is_empty() {
            return Err(format!(
                "a `{}` field has no `enums`; only select, multiselect, radiobutton, multitext and category fields do",
                r.field_type.0
            ));
        }
        if r.name.trim().is_empty() {
            return Err("`name` must not be empty".into());
        }
        let predefined = r.entity_type != EntityType::Leads;
        if let Some(code) = r
            .code
            .as_deref()
            .filter(|c| predefined && ["PHONE", "EMAIL"].contains(c))
        {
            return Err(format!(
                "`code: {code}` is the predefined {code} field's; pick another code"
            ));
        }
        Ok(CustomFieldConfig {
            id: r.id,
            entity_type: r.entity_type.as_str().into(),
            name: r.name,
            field_type: r.field_type.0,
            code: r.code,
            sort: r.sort,
            is_api_only: r.is_api_only,
            enums: r.enums,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EntityType {
    Leads,
    Contacts,
    Companies,
}

impl EntityType {
    fn as_str(self) -> &'static str {
        match self {
            EntityType::Leads => "leads",
            EntityType::Contacts => "contacts",
            EntityType::Companies => "companies",
        }
    }
}

/// A Kommo field type, checked while parsing so a typo is reported at its place.
#[derive(Debug, Clone)]
struct FieldType(String);

impl<'de> Deserialize<'de> for FieldType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if crate::domain::fields::FIELD_TYPES.contains(&text.as_str()) {
            return Ok(FieldType(text));
        }
        Err(serde::de::Error::custom(format!(
            "`{text}` is not a Kommo field type; use one of {}",
            crate::domain::fields::FIELD_TYPES.join(", ")
        )))
    }
}

/// A choice of an enum field: its value, or `{value, code}`.
#[derive(Debug, Clone)]
pub struct EnumConfig {
    pub value: String,
    pub code: Option<String>,
}

impl<'de> Deserialize<'de> for EnumConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Value(String),
            Full { value: String, code: Option<String> },
        }
        match Raw::deserialize(d) {
            Ok(Raw::Value(value)) => Ok(EnumConfig { value, code: None }),
            Ok(Raw::Full { value, code }) => Ok(EnumConfig { value, code }),
            Err(_) => Err(serde::de::Error::custom(
                "an enum is a value (`Small`) or `{value: Small, code: S}`",
            )),
        }
    }
}

/// A website chat button of the account (Kommo's button id, not the account id).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonConfig {
    pub id: ButtonId,
    /// The snippet's `hash`; when set, a page with another hash gets a warning.
    pub hash: Option<ButtonHash>,
    pub title: Option<String>,
    pub color: Option<String>,
    /// Service codes the button offers (`online_chat`, `telegram`, `whatsapp`, ...);
    /// absent = all three. Only `online_chat`: a click opens the chat at once.
    pub services: Option<Vec<String>>,
}

/// A button id: digits, as a number or a string (`id: 1044890` or `id: "1044890"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonId(pub String);

impl<'de> Deserialize<'de> for ButtonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match serde_yaml::Value::deserialize(d)? {
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::String(s) => s,
            other => format!("{other:?}"),
        };
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "`{text}` is not a button id; write the digits of the snippet's `id`, e.g. 1044890"
            )));
        }
        Ok(ButtonId(text))
    }
}

/// A button hash: 64 hex characters, as the snippet carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonHash(pub String);

impl<'de> Deserialize<'de> for ButtonHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 64 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(serde::de::Error::custom(format!(
                "`{text}` is not a button hash; the snippet's `hash` is 64 hex characters"
            )));
        }
        Ok(ButtonHash(text.to_ascii_lowercase()))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesbotConfig {
    pub id: Option<i64>,
    pub name: String,
    /// Handlers: `send_message`, `send_template`, `condition`, `conditions` (see docs/rest-v4.md).
    #[serde(default)]
    pub steps: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserConfig {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub amojo_id: Option<Uuid>,
    pub is_admin: Option<bool>,
    pub online: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub is_main: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub external_id: String,
    pub pipeline_id: Option<i64>,
    #[serde(default)]
    pub default: bool,
    /// Channel id whose integration owns this source (default: the first channel).
    pub channel: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelConfig {
    pub id: Option<Uuid>,
    pub code: Option<String>,
    pub secret: Option<Secret>,
    pub title: Option<String>,
    pub webhook_url: Option<WebhookUrl>,
    pub bot: Option<BotConfig>,
    /// The integration (OAuth client) this channel belongs to.
    pub integration_id: Option<Uuid>,
    pub features: FeaturesConfig,
    /// Accounts allowed to connect (amojo ids); empty = every account.
    pub accounts: Vec<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BotConfig {
    pub id: Option<Uuid>,
    pub client_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeaturesConfig {
    pub write_first: bool,
    /// Seconds after the last incoming message during which managers may write.
    pub time_window: Option<u64>,
    /// After the window closes only templates go out.
    pub block_after_window: bool,
    pub typing_hooks: bool,
    /// Emoji the integration supports for manager reactions.
    pub reactions: Vec<String>,
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig {
            write_first: true,
            time_window: None,
            block_after_window: false,
            typing_hooks: true,
            reactions: vec!["👍".into(), "❤️".into(), "😂".into()],
        }
    }
}

/// A UUID checked while parsing, so a bad one is reported at its line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uuid(pub String);

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        uuid::Uuid::parse_str(&text)
            .map(|u| Uuid(u.to_string()))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a UUID; write it like 344a5002-f8ca-454d-af3d-396180102ac7"
                ))
            })
    }
}

/// A channel secret: the HMAC key, hex as Kommo issues it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() < 8 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(serde::de::Error::custom(format!(
                "`{text}` is not a channel secret; Kommo issues 40 hex characters, e.g. f2d7f8704eff95087ed45b23ba99c0b5aac8278e"
            )));
        }
        Ok(Secret(text))
    }
}

/// The integration's webhook URL; `:scope_id` is replaced per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(pub String);

impl<'de> Deserialize<'de> for WebhookUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if !(text.starts_with("http://") || text.starts_with("https://")) {
            return Err(serde::de::Error::custom(format!(
                "`{text}` is not an http(s) URL; write e.g. http://127.0.0.1:9000/kommo/:scope_id"
            )));
        }
        Ok(WebhookUrl(text))
    }
}

/// A config error located in its file.
#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n  hint: {}",
            self.file, self.line, self.column, self.message, self.hint
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the config file: {e}"),
            hint: "pass an existing YAML file to --config".into(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).expect("valid up to here");
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            ConfigError {
                file: file.clone(),
                line,
                column,
                message: "the file is not UTF-8 text".into(),
                hint: "save the file as UTF-8".into(),
            }
        })?;
        Config::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        // Editors on Windows start UTF-8 files with a byte-order mark; YAML
        // would read it as a second document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let config = Config::parse_form(text, file)?;
        meaning::check(&config).map_err(|(path, message, hint)| {
            let (line, column) = locate::locate(text, &path);
            ConfigError {
                file: file.into(),
                line,
                column,
                message: format!("{path}: {message}"),
                hint,
            }
        })?;
        Ok(config)
    }

    /// The file read into the config's types: each key and value of the right form.
    fn parse_form(text: &str, file: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Config>(de).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let (line, column) = inner
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let (line, column) = locate_key(text, &path, line).unwrap_or((line, column));
            let message = strip_path_prefix(&strip_location(&inner.to_string()), &path);
            ConfigError {
                file: file.into(),
                line,
                column,
                hint: hint_for(&path, &message),
                message: format!("{path}: {message}"),
            }
        })
    }
}

/// serde_yaml appends " at line L column C"; we print the location up front.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// serde_yaml reports a bad scalar at the start of its mapping; find the
/// offending key's value from there so the column points at the value.
fn locate_key(text: &str, path: &str, from_line: usize) -> Option<(usize, usize)> {
    let key = path.rsplit('.').next()?;
    if key.is_empty() || key.contains('[') || key == "?" {
        return None;
    }
    let needle = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find_map(|(i, line)| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            if !trimmed.starts_with(&needle) {
                return None;
            }
            let key_col = line.len() - trimmed.len();
            let after = &trimmed[needle.len()..];
            let value_col = key_col + needle.len() + (after.len() - after.trim_start().len());
            Some((i + 1, value_col + 1))
        })
}

/// serde_yaml prefixes the mapping's path (`channels[0]: `); we print the full path ourselves.
fn strip_path_prefix(message: &str, path: &str) -> String {
    match message.split_once(": ") {
        Some((head, rest)) if path.starts_with(head) => rest.to_string(),
        _ => message.to_string(),
    }
}

fn hint_for(path: &str, message: &str) -> String {
    if message.contains("unknown field") {
        let expected = message
            .split("expected")
            .nth(1)
            .unwrap_or("")
            .trim()
            .to_string();
        return format!(
            "remove or rename the key at `{path}`; the keys allowed here are {expected}"
        );
    }
    if message.contains("invalid type") {
        return format!("`{path}` has the wrong type; see the config reference in README.md");
    }
    if message.contains("missing field") {
        return format!("add the missing key under `{path}`");
    }
    "fix the value as the message says".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_parses() {
        let c = Config::parse(
            "accounts:\n  - amojo_id: 52e591f7-c98f-4255-8495-827210138c81\nchannels:\n  - id: 344a5002-f8ca-454d-af3d-396180102ac7\n    secret: f2d7f8704eff95087ed45b23ba99c0b5aac8278e\n    webhook_url: http://127.0.0.1:9000/kommo/:scope_id\n",
            "c.yaml",
        )
        .unwrap();
        assert_eq!(c.channels[0].secret.as_ref().unwrap().0, DEMO_SECRET);
        assert_eq!(c.settings.signature_max_age, 900);
    }

    #[test]
    fn bad_uuid_points_at_line_and_column() {
        let err = Config::parse("channels:\n  - id: not-a-uuid\n", "c.yaml").unwrap_err();
        assert_eq!((err.line, err.column), (2, 9), "{err}");
        assert!(err.message.contains("channels[0].id"), "{err}");
        assert!(err.to_string().contains("is not a UUID"));
    }

    #[test]
    fn custom_fields_are_checked_where_written() {
        let ok = Config::parse(
            "accounts:\n  - custom_fields:\n      - {entity_type: leads, name: Size, type: select, code: SIZE, enums: [S, {value: L, code: BIG}]}\n",
            "c.yaml",
        )
        .unwrap();
        let f = &ok.accounts[0].custom_fields[0];
        assert_eq!(
            (f.field_type.as_str(), f.enums[1].code.as_deref()),
            ("select", Some("BIG"))
        );
        let bad_type = Config::parse(
            "accounts:\n  - custom_fields:\n      - entity_type: leads\n        name: Size\n        type: dropdown\n",
            "c.yaml",
        )
        .unwrap_err();
        assert_eq!(bad_type.line, 5, "{bad_type}");
        assert!(
            bad_type.message.contains("not a Kommo field type"),
            "{bad_type}"
        );
        let bad_entity = Config::parse(
            "accounts:\n  - custom_fields:\n      - {entity_type: deals, name: X, type: text}\n",
            "c.yaml",
        )
        .unwrap_err();
        assert!(
            bad_entity.message.contains("unknown variant"),
            "{bad_entity}"
        );
        let no_enums = Config::parse(
            "accounts:\n  - custom_fields:\n      - {entity_type: leads, name: X, type: select}\n",
            "c.yaml",
        )
        .unwrap_err();
        assert_eq!(no_enums.line, 3, "{no_enums}");
        assert!(no_enums.message.contains("needs `enums`"), "{no_enums}");
    }

    #[test]
    fn buttons_parse_and_a_bad_one_points_at_line_and_column() {
        let c = Config::parse(
            "accounts:\n  - buttons:\n      - id: 1044890\n        hash: 8cf65ffe053abaa62080fb7b0246312e233bc805f5b53b43faf28e25a22fe83f\n        services: [online_chat]\n      - {id: \"77\"}\n",
            "c.yaml",
        )
        .unwrap();
        let buttons = &c.accounts[0].buttons;
        assert_eq!(buttons[0].id.0, "1044890");
        assert_eq!(buttons[1].id.0, "77");
        assert_eq!(
            buttons[0].services.as_deref(),
            Some(&["online_chat".to_string()][..])
        );
        let err = Config::parse(
            "accounts:\n  - buttons:\n      - id: 1044890\n        hash: nothex\n",
            "c.yaml",
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (4, 15), "{err}");
        assert!(err.message.contains("accounts[0].buttons[0].hash"), "{err}");
        assert!(err.to_string().contains("64 hex characters"), "{err}");
        let err =
            Config::parse("accounts:\n  - buttons:\n      - id: abc\n", "c.yaml").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.to_string().contains("is not a button id"), "{err}");
    }

    #[test]
    fn unknown_key_gets_a_hint() {
        let err = Config::parse("chanels: []\n", "c.yaml").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.hint.contains("channels"), "{}", err.hint);
    }
}
