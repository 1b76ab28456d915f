//! amojo request signing (spec §2.2) and webhook signing (spec §5.1).
//!
//! string_to_sign = METHOD \n Content-MD5 \n Content-Type \n Date \n path-without-query
//! X-Signature    = lowercase hex HMAC-SHA1(channel secret, string_to_sign)

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::Serialize;
use sha1::Sha1;

pub const MD5_OF_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";

pub fn content_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

pub fn hmac_sha1_hex(secret: &str, message: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

pub fn string_to_sign(
    method: &str,
    md5: &str,
    content_type: &str,
    date: &str,
    path: &str,
) -> String {
    let path = path.split('?').next().unwrap_or(path);
    format!(
        "{}\n{md5}\n{content_type}\n{date}\n{path}",
        method.to_ascii_uppercase()
    )
}

/// The four headers an integration sends with every Chats API call.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SignedHeaders {
    pub date: String,
    pub content_type: String,
    pub content_md5: String,
    pub x_signature: String,
}

impl SignedHeaders {
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("Date", &self.date),
            ("Content-Type", &self.content_type),
            ("Content-MD5", &self.content_md5),
            ("X-Signature", &self.x_signature),
        ]
    }
}

pub fn sign_request(
    secret: &str,
    method: &str,
    path: &str,
    body: &[u8],
    date: &str,
) -> SignedHeaders {
    let md5 = content_md5(body);
    let text = string_to_sign(method, &md5, "application/json", date, path);
    SignedHeaders {
        date: date.to_string(),
        content_type: "application/json".into(),
        content_md5: md5,
        x_signature: hmac_sha1_hex(secret, text.as_bytes()),
    }
}

/// What the sandbox knows about one request's signature, kept in the journal so
/// the integration's developer sees at once what to fix.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Verdict {
    pub ok: bool,
    /// Why it failed, each with the fix; empty when `ok`.
    pub problems: Vec<String>,
    /// Tolerated oddities (e.g. an empty body signed with MD5 of `null`).
    pub warnings: Vec<String>,
    pub expected_string_to_sign: String,
    pub expected_signature: String,
    pub received_signature: String,
    pub received_content_md5: String,
    pub body_md5: String,
    pub date_skew_seconds: Option<i64>,
}

/// How strict verification is (spec README decisions).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_age_secs: i64,
    pub strict_md5: bool,
}

/// The request as received, headers taken verbatim (absent ones as "").
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub date: &'a str,
    pub content_type: &'a str,
    pub content_md5: &'a str,
    pub signature: &'a str,
    pub body: &'a [u8],
}

pub fn verify(secret: &str, req: &Received, now_secs: i64, policy: Policy) -> Verdict {
    let text = string_to_sign(
        req.method,
        req.content_md5,
        req.content_type,
        req.date,
        req.path,
    );
    let mut v = Verdict {
        expected_signature: hmac_sha1_hex(secret, text.as_bytes()),
        expected_string_to_sign: text,
        received_signature: req.signature.to_string(),
        received_content_md5: req.content_md5.to_string(),
        body_md5: content_md5(req.body),
        ..Verdict::default()
    };
    check_signature(&mut v, req);
    check_md5(&mut v, req, policy);
    check_date(&mut v, req, now_secs, policy);
    v.ok = v.problems.is_empty();
    v
}

fn check_signature(v: &mut Verdict, req: &Received) {
    if req.signature.is_empty() {
        v.problems.push("X-Signature header is missing: send lowercase hex HMAC-SHA1 of the string to sign, keyed with the channel secret".into());
    } else if !req.signature.eq_ignore_ascii_case(&v.expected_signature) {
        let missing: Vec<&str> = [
            ("Date", req.date),
            ("Content-Type", req.content_type),
            ("Content-MD5", req.content_md5),
        ]
        .iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| *name)
        .collect();
        let mut text = format!(
            "X-Signature does not match: expected {} for the string to sign {:?} (METHOD, Content-MD5, Content-Type, Date, path without query, joined by \\n)",
            v.expected_signature, v.expected_string_to_sign
        );
        if !missing.is_empty() {
            text.push_str(&format!(
                "; headers missing and signed as empty: {}",
                missing.join(", ")
            ));
        }
        v.problems.push(text);
    } else if req.signature != v.expected_signature {
        v.warnings
            .push("X-Signature is upper-case hex; Kommo documents lowercase".into());
    }
}

fn check_md5(v: &mut Verdict, req: &Received, policy: Policy) {
    if req.content_md5.eq_ignore_ascii_case(&v.body_md5) {
        return;
    }
    if req.body.is_empty() {
        v.warnings.push(format!(
            "Content-MD5 {:?} is not the MD5 of the empty body ({MD5_OF_EMPTY}); tolerated for body-less requests",
            req.content_md5
        ));
    } else if policy.strict_md5 {
        v.problems.push(format!(
            "Content-MD5 {:?} is not the MD5 of the body received ({}): hash the exact bytes you send, lowercase hex, not base64",
            req.content_md5, v.body_md5
        ));
    }
}

fn check_date(v: &mut Verdict, req: &Received, now_secs: i64, policy: Policy) {
    if req.date.is_empty() {
        v.problems.push("Date header is missing: send an RFC 2822 date such as `Thu, 16 Dec 2021 13:15:29 +0000`".into());
        return;
    }
    let Some(at) = crate::clock::parse_rfc2822(req.date) else {
        v.problems.push(format!(
            "Date {:?} is not an RFC 2822 date such as `Thu, 16 Dec 2021 13:15:29 +0000`",
            req.date
        ));
        return;
    };
    let skew = now_secs - at;
    v.date_skew_seconds = Some(skew);
    if skew.abs() > policy.max_age_secs {
        v.problems.push(format!(
            "Date {:?} is {}s {} the sandbox clock ({}); a signature is valid for {}s: sign with the current time",
            req.date,
            skew.abs(),
            if skew > 0 { "behind" } else { "ahead of" },
            crate::clock::format_rfc2822(now_secs),
            policy.max_age_secs
        ));
    }
}

/// When a signature does not match, tries the usual signing mistakes and names
/// the one the integration made, if any: the fix is then obvious.
pub fn diagnose(secret: &str, req: &Received, query: &str) -> Option<String> {
    if req.signature.is_empty() {
        return None;
    }
    let lines = |method: &str, path: &str, sep: &str| {
        [method, req.content_md5, req.content_type, req.date, path].join(sep)
    };
    let method = req.method.to_ascii_uppercase();
    let path = req.path.split('?').next().unwrap_or(req.path);
    let mut tries: Vec<(String, Vec<u8>)> = vec![
        ("the method was signed in lower case; upper-case it".into(), lines(&req.method.to_ascii_lowercase(), path, "\n").into_bytes()),
        ("the lines were joined with \\r\\n; join them with \\n".into(), lines(&method, path, "\r\n").into_bytes()),
        ("a trailing newline was signed; end the string with the path".into(), format!("{}\n", lines(&method, path, "\n")).into_bytes()),
        (
            "only the body was signed (the legacy scheme); sign METHOD, Content-MD5, Content-Type, Date and path joined by \\n".into(),
            req.body.to_vec(),
        ),
    ];
    if !query.is_empty() {
        tries.push((
            "the query string was signed; sign the path without `?...`".into(),
            lines(&method, &format!("{path}?{query}"), "\n").into_bytes(),
        ));
    }
    let received = req.signature.to_ascii_lowercase();
    if let Some((hint, _)) = tries
        .iter()
        .find(|(_, text)| hmac_sha1_hex(secret, text) == received)
    {
        return Some(hint.clone());
    }
    // The secret hex-decoded into bytes instead of used as the string it is.
    let expected = string_to_sign(&method, req.content_md5, req.content_type, req.date, path);
    let key = hex::decode(secret).ok()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(expected.as_bytes());
    (hex::encode(mac.finalize().into_bytes()) == received).then(|| {
        "the secret was hex-decoded into bytes; use the secret string itself as the HMAC key"
            .to_string()
    })
}

/// Webhook signature: HMAC-SHA1 of the exact body bytes, lowercase hex.
pub fn sign_webhook(secret: &str, body: &[u8]) -> String {
    hmac_sha1_hex(secret, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "f2d7f8704eff95087ed45b23ba99c0b5aac8278e";

    #[test]
    fn connect_vector_signs() {
        let body = br#"{"account_id":"52e591f7-c98f-4255-8495-827210138c81","title":"ChatsIntegration","hook_api_version":"v2"}"#;
        let h = sign_request(
            SECRET,
            "post",
            "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/connect",
            body,
            "Wed, 15 Dec 2021 23:12:55 +0000",
        );
        assert_eq!(h.content_md5, "2fbcb3c652b61e24e004daddfc73d0ce");
        assert_eq!(h.x_signature, "81211856ce0c5095f3e1a90c0a38dc9d736cfd55");
    }

    #[test]
    fn query_string_is_not_signed() {
        assert_eq!(
            string_to_sign("GET", "m", "t", "d", "/a/b?limit=5"),
            "GET\nm\nt\nd\n/a/b"
        );
    }

    #[test]
    fn diagnose_names_the_usual_mistakes() {
        let body = br#"{"account_id":"52e591f7-c98f-4255-8495-827210138c81"}"#;
        let md5 = content_md5(body);
        let date = "Wed, 15 Dec 2021 23:59:28 +0000";
        let path = "/v2/origin/custom/c/disconnect";
        let req = |signature: &'static str| Received {
            method: "DELETE",
            path,
            date,
            content_type: "application/json",
            content_md5: Box::leak(md5.clone().into_boxed_str()),
            signature,
            body,
        };
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let lower = leak(hmac_sha1_hex(
            SECRET,
            format!("delete\n{md5}\napplication/json\n{date}\n{path}").as_bytes(),
        ));
        assert!(diagnose(SECRET, &req(lower), "")
            .unwrap()
            .contains("lower case"));
        let legacy = leak(hmac_sha1_hex(SECRET, body));
        assert!(diagnose(SECRET, &req(legacy), "")
            .unwrap()
            .contains("legacy"));
        let with_query = leak(hmac_sha1_hex(
            SECRET,
            format!("DELETE\n{md5}\napplication/json\n{date}\n{path}?x=1").as_bytes(),
        ));
        assert!(diagnose(SECRET, &req(with_query), "x=1")
            .unwrap()
            .contains("query string"));
        assert_eq!(diagnose(SECRET, &req("0000"), "x=1"), None);
    }

    #[test]
    fn verdict_names_every_problem() {
        let req = Received {
            method: "POST",
            path: "/x",
            date: "",
            content_type: "application/json",
            content_md5: "abc",
            signature: "00",
            body: b"{}",
        };
        let v = verify(
            SECRET,
            &req,
            0,
            Policy {
                max_age_secs: 900,
                strict_md5: true,
            },
        );
        assert!(!v.ok);
        assert_eq!(v.problems.len(), 3, "{:?}", v.problems);
    }
}
