//! Conformance rules: what Kommo expects of every chat integration, checked
//! automatically in each scenario from the journal and the webhook attempts.
//! Each rule has an id, a one-line explanation and the spec section.

use crate::signature::content_md5;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// What the rules look at, all limited to the scenario's own account.
pub struct Evidence {
    pub amojo_id: String,
    pub channel_id: String,
    /// Journal views (see `sources::journal_view`), in order.
    pub journal: Vec<Value>,
    /// Webhook attempts; `None` when the sandbox does not expose them.
    pub webhooks: Option<Vec<Value>>,
    /// Status the integration answered to the forged webhook, or why none.
    pub forged: Option<Result<u16, String>>,
}

pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub spec: &'static str,
    check: fn(&Evidence) -> Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail(Vec<String>),
    /// Nothing in this scenario exercised the rule.
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub id: &'static str,
    pub title: &'static str,
    pub spec: &'static str,
    pub outcome: Outcome,
    /// The scenario said this rule must fail.
    pub expected_fail: bool,
}

impl Verdict {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail(_))
    }

    /// Counts against the scenario: an unexpected failure, or an expected one that did not happen.
    pub fn is_problem(&self) -> bool {
        self.failed() != self.expected_fail
    }
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "amojo.signature",
        title: "every Chats API request carries a valid X-Signature",
        spec: "§2.2",
        check: signature,
    },
    Rule {
        id: "amojo.date",
        title: "the Date header is RFC 2822 and within 15 minutes of now",
        spec: "§2.1",
        check: date,
    },
    Rule {
        id: "amojo.content_md5",
        title: "Content-MD5 is the lowercase hex MD5 of the exact body",
        spec: "§2.1",
        check: md5,
    },
    Rule {
        id: "amojo.content_type",
        title: "requests with a body send Content-Type: application/json",
        spec: "§2.1",
        check: content_type,
    },
    Rule {
        id: "connect.v2",
        title: "connect asks for hook_api_version v2",
        spec: "§4.1",
        check: connect_v2,
    },
    Rule {
        id: "connect.account",
        title: "connect names this account's amojo_id and this channel",
        spec: "§4.1",
        check: connect_account,
    },
    Rule {
        id: "webhook.answered",
        title: "every webhook is answered 200 within 5 s",
        spec: "§5.1, §10",
        check: webhook_answered,
    },
    Rule {
        id: "webhook.forged_refused",
        title: "a webhook with a bad X-Signature is refused (401/403)",
        spec: "§5.1",
        check: forged,
    },
    Rule {
        id: "delivery.reported",
        title: "every outgoing message gets a delivery status with the sandbox's message id",
        spec: "§4.5, §5.1",
        check: delivery_reported,
    },
    Rule {
        id: "delivery.msgid_matches_path",
        title: "delivery_status body msgid equals the id in the path",
        spec: "§4.5",
        check: delivery_msgid,
    },
    Rule {
        id: "delivery.error_codes",
        title: "delivery errors (-1) use error_code 901-905",
        spec: "§4.5",
        check: error_codes,
    },
    Rule {
        id: "delivery.905_text",
        title: "error_code 905 carries an error text",
        spec: "§4.5",
        check: error_905,
    },
    Rule {
        id: "messages.msgid_unique",
        title: "a msgid is never reused for a new message",
        spec: "§4.4",
        check: msgid_unique,
    },
    Rule {
        id: "messages.outgoing_ref_id",
        title: "outgoing messages name the manager or bot in sender.ref_id",
        spec: "§4.4",
        check: outgoing_ref,
    },
    Rule {
        id: "write_first.bound",
        title: "the client's answer in a write-first chat carries conversation_ref_id",
        spec: "§6",
        check: write_first,
    },
    Rule {
        id: "import.silent",
        title: "imported history is silent except the newest message",
        spec: "§4.4",
        check: import_silent,
    },
    Rule {
        id: "files.name_size",
        title: "file, picture and video messages carry file_name and file_size",
        spec: "§4.4",
        check: files,
    },
    Rule {
        id: "typing.handled",
        title: "typing calls are well-formed and answered 204",
        spec: "§3, §4.7",
        check: typing,
    },
    Rule {
        id: "history.limit",
        title: "history is read in pages of at most 50",
        spec: "§4.6, §10",
        check: history_limit,
    },
];

pub fn evaluate(ev: &Evidence, skip: &[String], expect_fail: &[String]) -> Vec<Verdict> {
    RULES
        .iter()
        .filter(|r| !skip.iter().any(|s| s == r.id))
        .map(|r| Verdict {
            id: r.id,
            title: r.title,
            spec: r.spec,
            outcome: (r.check)(ev),
            expected_fail: expect_fail.iter().any(|s| s == r.id),
        })
        .collect()
}

/// Rule ids, for validating `rules.skip` and friends.
pub fn ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

fn verdict(checked: usize, problems: Vec<String>) -> Outcome {
    match (checked, problems.is_empty()) {
        (0, _) => Outcome::NotApplicable,
        (_, true) => Outcome::Pass,
        (_, false) => Outcome::Fail(problems),
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

fn line(e: &Value) -> String {
    format!("{} {}", s(e, "method"), s(e, "path"))
}

fn is_new_message(e: &Value) -> bool {
    s(e, "method") == "POST" && e["body"]["event_type"] == "new_message"
}

fn signature(ev: &Evidence) -> Outcome {
    let problems = ev
        .journal
        .iter()
        .filter(|e| s(e, "signature") != "ok")
        .map(|e| format!("{}: {}", line(e), e["signature_problems"]))
        .collect();
    verdict(ev.journal.len(), problems)
}

fn date(ev: &Evidence) -> Outcome {
    let mut problems = vec![];
    for e in &ev.journal {
        let header = s(&e["headers"], "date");
        match crate::clock::parse_rfc2822(header) {
            None => problems.push(format!(
                "{}: Date {header:?} is not an RFC 2822 date",
                line(e)
            )),
            Some(secs) => {
                let skew = (e["at_ms"].as_i64().unwrap_or(0) / 1000 - secs).abs();
                if skew > 900 {
                    problems.push(format!(
                        "{}: Date is {skew} s away from the sandbox clock (max 900)",
                        line(e)
                    ));
                }
            }
        }
    }
    verdict(ev.journal.len(), problems)
}

fn md5(ev: &Evidence) -> Outcome {
    let problems = ev
        .journal
        .iter()
        .filter(|e| s(&e["headers"], "content-md5") != content_md5(s(e, "raw_body").as_bytes()))
        .map(|e| {
            format!(
                "{}: Content-MD5 {:?}, body MD5 {}",
                line(e),
                s(&e["headers"], "content-md5"),
                content_md5(s(e, "raw_body").as_bytes())
            )
        })
        .collect();
    verdict(ev.journal.len(), problems)
}

fn content_type(ev: &Evidence) -> Outcome {
    let with_body: Vec<&Value> = ev
        .journal
        .iter()
        .filter(|e| !s(e, "raw_body").is_empty())
        .collect();
    let problems = with_body
        .iter()
        .filter(|e| {
            !s(&e["headers"], "content-type")
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
        .map(|e| {
            format!(
                "{}: Content-Type {:?}",
                line(e),
                s(&e["headers"], "content-type")
            )
        })
        .collect();
    verdict(with_body.len(), problems)
}

fn connects(ev: &Evidence) -> Vec<&Value> {
    ev.journal
        .iter()
        .filter(|e| s(e, "path").ends_with("/connect"))
        .collect()
}

fn connect_v2(ev: &Evidence) -> Outcome {
    let c = connects(ev);
    let problems = c
        .iter()
        .filter(|e| e["body"]["hook_api_version"] != "v2")
        .map(|e| {
            format!(
                "connect sent hook_api_version {}",
                e["body"]["hook_api_version"]
            )
        })
        .collect();
    verdict(c.len(), problems)
}

fn connect_account(ev: &Evidence) -> Outcome {
    let c = connects(ev);
    let mut problems = vec![];
    for e in &c {
        if s(&e["body"], "account_id") != ev.amojo_id {
            problems.push(format!(
                "connect account_id {} is not this account's amojo_id {}",
                e["body"]["account_id"], ev.amojo_id
            ));
        }
        if !s(e, "path").contains(&ev.channel_id) {
            problems.push(format!(
                "connect path {} does not name channel {}",
                s(e, "path"),
                ev.channel_id
            ));
        }
    }
    verdict(c.len(), problems)
}

fn webhook_answered(ev: &Evidence) -> Outcome {
    let Some(hooks) = &ev.webhooks else {
        return Outcome::NotApplicable;
    };
    let problems = hooks
        .iter()
        .filter(|h| {
            h["status"].as_u64() != Some(200)
                || h["latency_ms"].as_u64().unwrap_or(0) > 5000
                || !h["error"].is_null()
        })
        .map(|h| {
            format!(
                "{} hook: status {}, {} ms, error {}",
                s(h, "hook"),
                h["status"],
                h["latency_ms"],
                h["error"]
            )
        })
        .collect();
    verdict(hooks.len(), problems)
}

fn forged(ev: &Evidence) -> Outcome {
    match &ev.forged {
        None => Outcome::NotApplicable,
        Some(Ok(401)) | Some(Ok(403)) => Outcome::Pass,
        Some(Ok(status)) => Outcome::Fail(vec![format!("a webhook signed with the wrong secret was answered {status}; verify X-Signature = HMAC-SHA1(secret, raw body) and answer 401")]),
        Some(Err(e)) => Outcome::Fail(vec![format!("sending the forged webhook failed: {e}")]),
    }
}

fn delivery_calls(ev: &Evidence) -> Vec<&Value> {
    ev.journal
        .iter()
        .filter(|e| s(e, "path").ends_with("/delivery_status"))
        .collect()
}

/// The message id in a delivery_status path.
pub fn path_msgid(path: &str) -> &str {
    path.trim_end_matches("/delivery_status")
        .rsplit('/')
        .next()
        .unwrap_or("")
}

/// Sandbox ids of outgoing messages the integration accepted (message hooks answered 200).
pub fn outgoing_ids(ev: &Evidence) -> Vec<String> {
    let Some(hooks) = &ev.webhooks else {
        return vec![];
    };
    hooks
        .iter()
        .filter(|h| s(h, "hook") == "message" && h["status"].as_u64() == Some(200))
        .filter_map(|h| {
            h["message_id"]
                .as_str()
                .or(h["body"]["message"]["message"]["id"].as_str())
                .map(str::to_string)
        })
        .collect()
}

fn delivery_reported(ev: &Evidence) -> Outcome {
    let ids = outgoing_ids(ev);
    let calls = delivery_calls(ev);
    let problems = ids
        .iter()
        .filter(|id| {
            !calls
                .iter()
                .any(|c| path_msgid(s(c, "path")) == id.as_str())
        })
        .map(|id| {
            format!(
                "message {id} got no delivery_status (POST …/{id}/delivery_status with 1, 2 or -1)"
            )
        })
        .collect();
    verdict(ids.len(), problems)
}

fn delivery_msgid(ev: &Evidence) -> Outcome {
    let calls = delivery_calls(ev);
    let problems = calls
        .iter()
        .filter(|c| s(&c["body"], "msgid") != path_msgid(s(c, "path")))
        .map(|c| format!("{}: body msgid {}", line(c), c["body"]["msgid"]))
        .collect();
    verdict(calls.len(), problems)
}

fn status_of(c: &Value) -> Option<i64> {
    c["body"]["delivery_status"]
        .as_i64()
        .or(c["body"]["status_code"].as_i64())
}

fn error_codes(ev: &Evidence) -> Outcome {
    let errors: Vec<&Value> = delivery_calls(ev)
        .into_iter()
        .filter(|c| status_of(c) == Some(-1))
        .collect();
    let problems = errors
        .iter()
        .filter(|c| {
            !c["body"]["error_code"]
                .as_i64()
                .is_some_and(|x| (901..=905).contains(&x))
        })
        .map(|c| format!("{}: error_code {}", line(c), c["body"]["error_code"]))
        .collect();
    verdict(errors.len(), problems)
}

fn error_905(ev: &Evidence) -> Outcome {
    let calls: Vec<&Value> = delivery_calls(ev)
        .into_iter()
        .filter(|c| c["body"]["error_code"].as_i64() == Some(905))
        .collect();
    let problems = calls
        .iter()
        .filter(|c| {
            c["body"]["error"]
                .as_str()
                .is_none_or(|t| t.trim().is_empty())
        })
        .map(|c| format!("{}: error_code 905 without `error` text", line(c)))
        .collect();
    verdict(calls.len(), problems)
}

fn msgid_unique(ev: &Evidence) -> Outcome {
    let news: Vec<&Value> = ev.journal.iter().filter(|e| is_new_message(e)).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for e in &news {
        *seen
            .entry(e["body"]["payload"]["msgid"].as_str().unwrap_or(""))
            .or_default() += 1;
    }
    let mut problems: Vec<String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| format!("msgid {id:?} was sent {n} times"))
        .collect();
    problems.sort();
    verdict(news.len(), problems)
}

fn outgoing_ref(ev: &Evidence) -> Outcome {
    let out: Vec<&Value> = ev
        .journal
        .iter()
        .filter(|e| is_new_message(e) && e["body"]["payload"]["receiver"].is_object())
        .collect();
    let problems = out
        .iter()
        .filter(|e| {
            e["body"]["payload"]["sender"]["ref_id"]
                .as_str()
                .is_none_or(str::is_empty)
        })
        .map(|e| {
            format!(
                "outgoing msgid {} has no sender.ref_id",
                e["body"]["payload"]["msgid"]
            )
        })
        .collect();
    verdict(out.len(), problems)
}

/// Write-first chats: message hooks whose conversation has no client_id.
fn write_first(ev: &Evidence) -> Outcome {
    let Some(hooks) = &ev.webhooks else {
        return Outcome::NotApplicable;
    };
    let chats: Vec<(&str, &str, &str)> = hooks
        .iter()
        .filter(|h| {
            s(h, "hook") == "message"
                && h["body"]["message"]["conversation"]["client_id"]
                    .as_str()
                    .is_none_or(str::is_empty)
        })
        .map(|h| {
            let m = &h["body"]["message"];
            (
                s(&m["conversation"], "id"),
                s(&m["receiver"], "id"),
                s(&m["receiver"], "phone"),
            )
        })
        .collect();
    let mut checked = 0;
    let mut problems = vec![];
    for e in ev
        .journal
        .iter()
        .filter(|e| is_new_message(e) && !e["body"]["payload"]["receiver"].is_object())
    {
        let p = &e["body"]["payload"];
        let phone = s(&p["sender"]["profile"], "phone");
        let ref_id = s(&p["sender"], "ref_id");
        let conv_ref = s(p, "conversation_ref_id");
        for (chat, receiver, rphone) in &chats {
            let answers = (!phone.is_empty() && phone == *rphone)
                || (!ref_id.is_empty() && ref_id == *receiver)
                || conv_ref == *chat;
            if answers {
                checked += 1;
                if conv_ref != *chat {
                    problems.push(format!("client message {} answers write-first chat {chat} without conversation_ref_id", p["msgid"]));
                }
            }
        }
    }
    verdict(checked, problems)
}

/// A message is imported history when its timestamp is over a minute older than the request.
fn import_silent(ev: &Evidence) -> Outcome {
    let mut by_chat: HashMap<&str, Vec<&Value>> = HashMap::new();
    for e in ev.journal.iter().filter(|e| is_new_message(e)) {
        by_chat
            .entry(
                e["body"]["payload"]["conversation_id"]
                    .as_str()
                    .unwrap_or(""),
            )
            .or_default()
            .push(e);
    }
    let mut checked = 0;
    let mut problems = vec![];
    for msgs in by_chat.values() {
        let newest = msgs
            .iter()
            .filter_map(|e| e["body"]["payload"]["timestamp"].as_i64())
            .max()
            .unwrap_or(0);
        for e in msgs {
            let p = &e["body"]["payload"];
            let ts = p["timestamp"].as_i64().unwrap_or(0);
            let backdated = e["at_ms"].as_i64().unwrap_or(0) / 1000 - ts > 60;
            if backdated && ts < newest {
                checked += 1;
                if p["silent"] != true {
                    problems.push(format!("imported msgid {} (timestamp {ts}) is not silent; only the newest message of an import may notify", p["msgid"]));
                }
            }
        }
    }
    verdict(checked, problems)
}

fn files(ev: &Evidence) -> Outcome {
    let with_files: Vec<&Value> = ev
        .journal
        .iter()
        .filter(|e| {
            is_new_message(e)
                && ["file", "picture", "video"]
                    .contains(&s(&e["body"]["payload"]["message"], "type"))
        })
        .collect();
    let problems = with_files
        .iter()
        .filter(|e| {
            let m = &e["body"]["payload"]["message"];
            m["file_name"].as_str().is_none_or(str::is_empty) || !m["file_size"].is_i64()
        })
        .map(|e| {
            format!(
                "msgid {} ({}) lacks file_name or file_size",
                e["body"]["payload"]["msgid"], e["body"]["payload"]["message"]["type"]
            )
        })
        .collect();
    verdict(with_files.len(), problems)
}

fn typing(ev: &Evidence) -> Outcome {
    let calls: Vec<&Value> = ev
        .journal
        .iter()
        .filter(|e| s(e, "path").ends_with("/typing"))
        .collect();
    let problems = calls
        .iter()
        .filter(|c| c["status"].as_u64() != Some(204))
        .map(|c| format!("typing answered {}: {}", c["status"], c["response"]))
        .collect();
    verdict(calls.len(), problems)
}

fn history_limit(ev: &Evidence) -> Outcome {
    let calls: Vec<&Value> = ev
        .journal
        .iter()
        .filter(|e| s(e, "path").ends_with("/history"))
        .collect();
    let problems = calls
        .iter()
        .filter(|c| {
            let q = s(c, "query");
            q.split('&')
                .filter_map(|kv| kv.strip_prefix("limit="))
                .any(|n| n.parse::<u64>().map_or(true, |n| n > 50))
        })
        .map(|c| format!("history query {:?} asks for more than 50", s(c, "query")))
        .collect();
    verdict(calls.len(), problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(journal: Vec<Value>, webhooks: Vec<Value>) -> Evidence {
        Evidence {
            amojo_id: "acc".into(),
            channel_id: "ch".into(),
            journal,
            webhooks: Some(webhooks),
            forged: Some(Ok(401)),
        }
    }

    fn outcome(id: &str, e: &Evidence) -> Outcome {
        evaluate(e, &[], &[])
            .into_iter()
            .find(|v| v.id == id)
            .unwrap()
            .outcome
    }

    fn new_msg(msgid: &str, extra: Value) -> Value {
        let mut p = json!({"msgid": msgid, "conversation_id": "c1", "timestamp": 100, "sender": {"id": "u"}, "message": {"type": "text", "text": "x"}});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({"method": "POST", "path": "/v2/origin/custom/ch_acc", "at_ms": 100_000, "body": {"event_type": "new_message", "payload": p}, "headers": {}, "signature": "ok"})
    }

    #[test]
    fn reused_msgid_fails() {
        let e = ev(
            vec![new_msg("a", json!({})), new_msg("a", json!({}))],
            vec![],
        );
        assert!(matches!(
            outcome("messages.msgid_unique", &e),
            Outcome::Fail(_)
        ));
        let e = ev(
            vec![new_msg("a", json!({})), new_msg("b", json!({}))],
            vec![],
        );
        assert_eq!(outcome("messages.msgid_unique", &e), Outcome::Pass);
    }

    #[test]
    fn delivery_needs_a_status_per_outgoing_message() {
        let hook = json!({"hook": "message", "status": 200, "message_id": "m1", "latency_ms": 3, "error": null, "body": {}});
        let e = ev(vec![], vec![hook.clone()]);
        assert!(matches!(outcome("delivery.reported", &e), Outcome::Fail(_)));
        let ds = json!({"method": "POST", "path": "/v2/origin/custom/s/m1/delivery_status", "body": {"msgid": "m1", "delivery_status": -1, "error_code": 905}, "headers": {}});
        let e = ev(vec![ds], vec![hook]);
        assert_eq!(outcome("delivery.reported", &e), Outcome::Pass);
        assert_eq!(outcome("delivery.msgid_matches_path", &e), Outcome::Pass);
        assert!(matches!(outcome("delivery.905_text", &e), Outcome::Fail(_)));
        assert_eq!(outcome("webhook.answered", &e), Outcome::Pass);
    }

    #[test]
    fn import_must_be_silent_but_the_newest() {
        let old = |id: &str, ts: i64, silent: bool| {
            new_msg(id, json!({"timestamp": ts, "silent": silent}))
        };
        let e = ev(
            vec![old("1", 10, true), old("2", 20, true), old("3", 30, false)],
            vec![],
        );
        assert_eq!(outcome("import.silent", &e), Outcome::Pass);
        let e = ev(vec![old("1", 10, false), old("3", 30, false)], vec![]);
        assert!(matches!(outcome("import.silent", &e), Outcome::Fail(_)));
    }

    #[test]
    fn forged_and_not_applicable() {
        let mut e = ev(vec![], vec![]);
        assert_eq!(outcome("webhook.forged_refused", &e), Outcome::Pass);
        assert_eq!(outcome("connect.v2", &e), Outcome::NotApplicable);
        e.forged = Some(Ok(200));
        assert!(matches!(
            outcome("webhook.forged_refused", &e),
            Outcome::Fail(_)
        ));
    }
}
