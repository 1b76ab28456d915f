//! Checks of a config that parsed: values that have the right form but make
//! no sandbox (two accounts with one id, a source in a pipeline that does not
//! exist, a rate limit of zero). Each finding names its path and the fix.

use super::{AccountConfig, Config, Settings};
use std::collections::HashSet;

/// What is wrong and where: the path, the message, the fix.
pub type Finding = (String, String, String);

pub fn check(config: &Config) -> Result<(), Finding> {
    settings(&config.settings)?;
    clock(config)?;
    unique(
        "accounts",
        "id",
        config.accounts.iter().map(|a| a.id.map(|i| i.to_string())),
    )?;
    unique(
        "accounts",
        "amojo_id",
        config
            .accounts
            .iter()
            .map(|a| a.amojo_id.as_ref().map(|u| u.0.clone())),
    )?;
    unique(
        "accounts",
        "subdomain",
        config
            .accounts
            .iter()
            .map(|a| a.subdomain.as_ref().map(|s| s.to_ascii_lowercase())),
    )?;
    unique(
        "channels",
        "id",
        config
            .channels
            .iter()
            .map(|c| c.id.as_ref().map(|u| u.0.clone())),
    )?;
    users_unique(config)?;
    for (i, a) in config.accounts.iter().enumerate() {
        account(i, a)?;
    }
    Ok(())
}

fn finding(path: String, message: impl Into<String>, hint: impl Into<String>) -> Finding {
    (path, message.into(), hint.into())
}

fn settings(s: &Settings) -> Result<(), Finding> {
    let positive: [(&str, bool, &str); 6] = [
        ("header_read_timeout", s.header_read_timeout > 0, "30"),
        (
            "signature_max_age",
            s.signature_max_age > 0,
            "900 (Kommo's 15 minutes)",
        ),
        ("max_body_bytes", s.max_body_bytes > 0, "1048576"),
        (
            "rate_limit",
            s.rate_limit > 0,
            "7 (Kommo's requests per second)",
        ),
        ("webhook_timeout", s.webhook_timeout > 0, "5"),
        ("sources_limit", s.sources_limit > 0, "50"),
    ];
    match positive.into_iter().find(|(_, ok, _)| !ok) {
        Some((key, _, default)) => Err(finding(
            format!("settings.{key}"),
            format!("`{key}` must be more than 0, or nothing can pass it"),
            format!("remove it for the default, {default}"),
        )),
        None => Ok(()),
    }
}

fn clock(config: &Config) -> Result<(), Finding> {
    match &config.clock {
        Some(text) => crate::clock::parse_time(text).map(drop).map_err(|e| {
            finding(
                "clock".into(),
                e,
                "write an RFC 2822 date such as 'Thu, 16 Dec 2021 13:15:29 +0000', or epoch seconds",
            )
        }),
        None => Ok(()),
    }
}

/// `key` of the items of `list` is given at most once.
fn unique(
    list: &str,
    key: &str,
    values: impl Iterator<Item = Option<String>>,
) -> Result<(), Finding> {
    let mut seen = HashSet::new();
    for (i, value) in values.enumerate() {
        let Some(value) = value else { continue };
        if !seen.insert(value.clone()) {
            return Err(finding(
                format!("{list}[{i}].{key}"),
                format!("{key} {value} is given twice in `{list}`"),
                format!(
                    "give every item of `{list}` its own {key}, or leave it out to have one made"
                ),
            ));
        }
    }
    Ok(())
}

/// User ids are Kommo's global ids: one id, one user, across accounts.
fn users_unique(config: &Config) -> Result<(), Finding> {
    let mut seen = HashSet::new();
    for (i, a) in config.accounts.iter().enumerate() {
        for (j, u) in a.users.iter().enumerate() {
            let Some(id) = u.id else { continue };
            if !seen.insert(id) {
                return Err(finding(
                    format!("accounts[{i}].users[{j}].id"),
                    format!("user id {id} is given twice"),
                    "give every user its own id (user ids are unique across accounts), or leave it out",
                ));
            }
        }
    }
    Ok(())
}

fn account(i: usize, a: &AccountConfig) -> Result<(), Finding> {
    unique(
        &format!("accounts[{i}].pipelines"),
        "id",
        a.pipelines.iter().map(|p| p.id.map(|i| i.to_string())),
    )?;
    let pipelines: Vec<i64> = a.pipelines.iter().filter_map(|p| p.id).collect();
    let mut defaults = HashSet::new();
    for (j, s) in a.sources.iter().enumerate() {
        let at = format!("accounts[{i}].sources[{j}]");
        if let Some(p) = s.pipeline_id {
            if !a.pipelines.is_empty() && !pipelines.contains(&p) {
                return Err(finding(
                    format!("{at}.pipeline_id"),
                    format!("pipeline {p} is not one of this account's pipelines {pipelines:?}"),
                    "name a pipeline listed under the account's `pipelines`, or leave it out for the main one",
                ));
            }
        }
        let owner = s.channel.as_ref().map(|c| c.0.clone());
        if s.default && !defaults.insert(owner) {
            return Err(finding(
                format!("{at}.default"),
                "a second default source for the same integration",
                "an integration has at most one default source per account; keep `default: true` on one",
            ));
        }
    }
    unique(
        &format!("accounts[{i}].sources"),
        "external_id",
        a.sources.iter().map(|s| Some(s.external_id.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn error_of(yaml: &str) -> super::super::ConfigError {
        Config::parse(yaml, "sandbox.yaml").expect_err(yaml)
    }

    #[test]
    fn nonsense_is_refused_at_its_place() {
        let cases: [(&str, &str, (usize, usize)); 9] = [
            ("settings:\n  rate_limit: 0\n", "settings.rate_limit", (2, 15)),
            ("settings:\n  signature_max_age: -1\n", "settings.signature_max_age", (2, 22)),
            ("settings:\n  webhook_timeout: 0\n", "settings.webhook_timeout", (2, 20)),
            ("clock: '99999999999999'\n", "clock", (1, 8)),
            ("accounts:\n  - id: 1\n  - id: 1\n", "accounts[1].id", (3, 9)),
            ("accounts:\n  - subdomain: a\n  - subdomain: A\n", "accounts[1].subdomain", (3, 16)),
            ("accounts:\n  - users:\n      - id: 5\n  - users:\n      - id: 5\n", "accounts[1].users[0].id", (5, 13)),
            (
                "accounts:\n  - pipelines:\n      - id: 1\n    sources:\n      - external_id: a\n        pipeline_id: 2\n",
                "accounts[0].sources[0].pipeline_id",
                (6, 22),
            ),
            (
                "accounts:\n  - sources:\n      - {external_id: a, default: true}\n      - {external_id: b, default: true}\n",
                "accounts[0].sources[1].default",
                (4, 9),
            ),
        ];
        for (yaml, path, at) in cases {
            let e = error_of(yaml);
            assert!(e.message.starts_with(path), "{yaml}: {e}");
            assert_eq!((e.line, e.column), at, "{yaml}: {e}");
            assert!(!e.hint.is_empty());
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_a_document() {
        assert_eq!(Config::parse("\u{feff}seed: 3\n", "x").unwrap().seed, 3);
    }

    #[test]
    fn invalid_utf8_is_reported_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.yaml");
        std::fs::write(&path, b"seed: 1\nclock: \"ab\xff\"\n").unwrap();
        let e = Config::load(&path).unwrap_err();
        assert_eq!((e.line, e.column), (2, 11), "{e}");
        assert!(e.message.contains("UTF-8"));
    }

    #[test]
    fn the_demo_and_an_empty_file_pass() {
        assert!(Config::parse("", "x").is_ok());
        assert!(Config::parse("settings:\n  journal_cap: 0\n", "x").is_ok());
    }
}
