//! Every documented signature vector of spec §2.3, sent byte for byte over HTTP
//! to a sandbox whose clock stands at the vector's date; then the same requests
//! with one thing changed must fail with 403 and a diagnostic in the journal.

mod common;

use common::{Resp, Sb};
use kommo_sandbox::clock::parse_time;
use serde_json::{json, Value};

const SECRET_A: &str = "f2d7f8704eff95087ed45b23ba99c0b5aac8278e";
const S: &str = "344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81";
const SECRET_HIST: &str = "fb50586ff7b68cd831fe0ef356345903f644c0d2";
const SECRET_METHODS: &str = "5a44c5dff55f3c15a4cce8d7c4cc27e207c7e189";

#[derive(Clone, Copy)]
struct Vector {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    date: &'static str,
    body: &'static str,
    md5: &'static str,
    signature: &'static str,
}

const V1: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/connect",
    query: "",
    date: "Wed, 15 Dec 2021 23:12:55 +0000",
    body: r#"{"account_id":"52e591f7-c98f-4255-8495-827210138c81","title":"ChatsIntegration","hook_api_version":"v2"}"#,
    md5: "2fbcb3c652b61e24e004daddfc73d0ce",
    signature: "81211856ce0c5095f3e1a90c0a38dc9d736cfd55",
};

const V2: Vector = Vector {
    method: "DELETE",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/disconnect",
    query: "",
    date: "Wed, 15 Dec 2021 23:59:28 +0000",
    body: r#"{"account_id":"52e591f7-c98f-4255-8495-827210138c81"}"#,
    md5: "271fa2e4fb0ff84a3ef9689027bd1f38",
    signature: "e1678e3b6aa674b5127f4feb448e6200ce0bfc72",
};

const V3: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81/typing",
    query: "",
    date: "Thu, 16 Dec 2021 16:01:21 +0000",
    body: r#"{"conversation_id":"my_int-d5a421f7f218","sender":{"id":"my_int-1376265f-86df-4c49-a0c3-a4816df41af8"}}"#,
    md5: "255a22566d68be207fa36804e78a523a",
    signature: "e8263b1daf2b20396c02db6c8c846f95cc0f9540",
};

const V4: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81/079e44fb-fc22-476b-9e8a-421b688ec53b/delivery_status",
    query: "",
    date: "Thu, 16 Dec 2021 12:58:40 +0000",
    body: r#"{"msgid":"079e44fb-fc22-476b-9e8a-421b688ec53b","delivery_status":2,"error_code":905,"error":"Error text"}"#,
    md5: "a0bbbac729c6341f0a521e2db7a8a236",
    signature: "ca51f810785031385a801f41103244713c1a2352",
};

const V5: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81/chats",
    query: "",
    date: "Thu, 16 Dec 2021 23:22:49 +0000",
    body: r#"{"conversation_id":"my_int-8e3e7640-49af-4448-a2c6-d5a421f7f217","source":{"external_id":"78001234567"},"user":{"id":"my_int-1376265f-86df-4c49-a0c3-a4816df41af9","avatar":"https:\/\/example.com\/users\/avatar.png","name":"\u0418\u043c\u044f \u043a\u043b\u0438\u0435\u043d\u0442\u0430","profile":{"phone":"+79151112233","email":"example.client@example.com"},"profile_link":"https:\/\/example.com\/profile\/example.client"}}"#,
    md5: "5139e573382c0eae38f476822abb2014",
    signature: "a601e486d694c8e7e8a5b637660f949f8bb7efaf",
};

const V6: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7_52e591f7-c98f-4255-8495-827210138c81",
    query: "",
    date: "Thu, 16 Dec 2021 13:15:29 +0000",
    body: r#"{"event_type":"new_message","payload":{"timestamp":1639660529,"msec_timestamp":1639660529379,"msgid":"my_int-5f2836a8ca481","conversation_id":"my_int-d5a421f7f218","sender":{"id":"my_int-1376265f-86df-4c49-a0c3-a4816df41af8","avatar":"https:\/\/images.pexels.com\/photos\/10050979\/pexels-photo-10050979.jpeg?auto=compress&cs=tinysrgb&dpr=2&w=500","profile":{"phone":"+79151112233","email":"example.client@example.com"},"profile_link":"https:\/\/example.com\/profile\/example.client","name":"\u0412\u0430\u0441\u044f \u043a\u043b\u0438\u0435\u043d\u0442"},"message":{"type":"text","text":"\u0421\u043e\u043e\u0431\u0449\u0435\u043d\u0438\u0435 \u043e\u0442 \u043a\u043b\u0438\u0435\u043d\u0442\u0430"},"silent":false}}"#,
    md5: "223ef85def871bc7cb58aa6f02f0a26e",
    signature: "29b49e9eaf03f13a66ecaff315f2855b31b25eee",
};

const V7: Vector = Vector {
    method: "GET",
    path: "/v2/origin/custom/f62a0162-46a7-430e-b06c-0ef798d76a21_52fd2a28-d2eb-4bd8-b862-a67934927b38/chats/30477717-9f3c-4d3f-8101-60327e14dc48/history",
    query: "?limit=50&offset=0",
    date: "Tue, 13 Dec 2022 11:00:00 +0000",
    body: "",
    md5: "d41d8cd98f00b204e9800998ecf8427e",
    signature: "2a2593df86235c44943a40ce35409d18bda5778c",
};

const K_METHODS: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/f90ba33d-c9d9-44da-b76c-c349b0ecbe41/connect",
    query: "",
    date: "Thu, 29 Oct 2020 11:59:55 +0000",
    body: r#"{"account_id":"af9945ff-1490-4cad-807d-945c15d88bec","title":"ScopeTitle","hook_api_version":"v2"}"#,
    md5: "a5e8ae04332a6d0aac15f01ad05d40e3",
    signature: "e0dcc1936d766a7d5f53fe19887fafa50bef92e0",
};

const K_TYPING: Vector = Vector {
    method: "POST",
    path: "/v2/origin/custom/f62a0162-46a7-430e-b06c-0ef798d56b21_52fd2a28-d2eb-4bd8-b862-b57934927b38/typing",
    query: "",
    date: "Tue, 13 Dec 2022 11:00:00 +0000",
    body: r#"{"conversation_id":"30477717-9f3c-4d3f-8101-60327e14dc48","sender":{"id":"209beccc-4f66-46ff-b06f-d245fca1af0a"}}"#,
    md5: "d36c6778a050d462702445e9155c463a",
    signature: "440649795dc4d4a8d4def2a01af89eb5f573d427",
};

/// The demo ids of RU-STEP (vectors 1-6).
fn config_a(secret: &str) -> String {
    format!(
        "accounts:\n  - amojo_id: 52e591f7-c98f-4255-8495-827210138c81\nchannels:\n  - id: 344a5002-f8ca-454d-af3d-396180102ac7\n    secret: {secret}\n"
    )
}

/// The K-HIST and K-TYPING ids: two channels, two accounts, one secret.
fn config_kommo() -> String {
    format!(
        "accounts:\n  - amojo_id: 52fd2a28-d2eb-4bd8-b862-a67934927b38\n  - amojo_id: 52fd2a28-d2eb-4bd8-b862-b57934927b38\n\
         channels:\n  - id: f62a0162-46a7-430e-b06c-0ef798d76a21\n    secret: {SECRET_HIST}\n  - id: f62a0162-46a7-430e-b06c-0ef798d56b21\n    secret: {SECRET_HIST}\n"
    )
}

fn config_methods() -> String {
    format!("accounts:\n  - amojo_id: af9945ff-1490-4cad-807d-945c15d88bec\nchannels:\n  - id: f90ba33d-c9d9-44da-b76c-c349b0ecbe41\n    secret: {SECRET_METHODS}\n")
}

fn set_clock(sb: &Sb, date: &str) {
    sb.sandbox().clock.set(parse_time(date).unwrap());
}

/// Sends the vector's exact headers and bytes, with the given changes.
async fn send(sb: &Sb, v: &Vector, date: &str, body: &str, signature: &str) -> Resp {
    let headers = [
        ("Date", date),
        ("Content-Type", "application/json"),
        ("Content-MD5", v.md5),
        ("X-Signature", signature),
    ];
    sb.raw(
        v.method,
        &format!("{}{}", v.path, v.query),
        &headers,
        body.as_bytes().to_vec(),
    )
    .await
}

/// Sends the vector as documented at its date; the signature must pass and the
/// journal must show the documented MD5 and signature as the expected ones.
async fn replay(sb: &Sb, v: &Vector) -> Resp {
    set_clock(sb, v.date);
    let r = send(sb, v, v.date, v.body, v.signature).await;
    let e = sb.last_entry().await;
    assert_eq!(e["path"], json!(v.path), "{e}");
    let verdict = &e["signature"];
    assert_eq!(
        verdict["ok"],
        json!(true),
        "vector {} must verify: {verdict}",
        v.path
    );
    assert_eq!(verdict["expected_signature"], json!(v.signature));
    assert_eq!(verdict["body_md5"], json!(v.md5), "MD5 of the exact bytes");
    assert_eq!(verdict["date_skew_seconds"], json!(0));
    assert!(verdict["problems"].as_array().unwrap().is_empty());
    assert_eq!(
        e["body"],
        json!(v.body),
        "the journal keeps the body verbatim"
    );
    r
}

/// A refused signature: 403 with the amojo body, the verdict in the journal.
async fn refused(sb: &Sb, r: Resp) -> Value {
    let d = r.amojo_error(403, "ORIGIN_INVALID_SIGNATURE");
    // Kommo's body, word for word: nothing that helps forge a signature.
    assert_eq!(
        r.json,
        json!({"status": 0, "error_code": 403, "error_type": "ORIGIN_INVALID_SIGNATURE", "error_description": "invalid signature"}),
        "{d}"
    );
    let e = sb.last_entry().await;
    assert_eq!(e["status"], json!(403));
    let verdict = e["signature"].clone();
    assert_eq!(verdict["ok"], json!(false));
    let problems = verdict["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    let expected = verdict["expected_signature"].as_str().unwrap();
    assert!(
        !r.text.contains(expected),
        "the answer leaks the expected signature: {}",
        r.text
    );
    assert!(!e["response_body"].as_str().unwrap().contains(expected));
    verdict
}

async fn state_of(sb: &Sb) -> Value {
    sb.state().await
}

#[tokio::test]
async fn ru_step_vectors_1_to_6_verify_and_do_their_work() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    let r = replay(&sb, &V1).await;
    assert_eq!(r.ok()["scope_id"], json!(S));
    assert_eq!(r.json["title"], json!("ChatsIntegration"));

    let r = replay(&sb, &V6).await;
    assert_eq!(
        r.ok()["new_message"]["ref_id"],
        json!("my_int-5f2836a8ca481")
    );
    let state = state_of(&sb).await;
    let client = &state["scopes"][0]["participants"][0];
    assert_eq!(
        client["name"],
        json!("Вася клиент"),
        "escaped Cyrillic is decoded"
    );
    assert_eq!(
        state["scopes"][0]["messages"][0]["message"]["text"],
        json!("Сообщение от клиента")
    );
    assert_eq!(
        state["account"]["contacts"][0]["phones"][0]["value"],
        json!("+79151112233")
    );

    let r = replay(&sb, &V3).await;
    assert_eq!(
        r.status, 204,
        "typing in the chat vector 6 opened: {}",
        r.text
    );

    // Vector 4 names a message this sandbox never saw: 404 after a valid signature.
    let r = replay(&sb, &V4).await;
    r.amojo_error(404, "MESSAGE_NOT_FOUND");

    let r = replay(&sb, &V5).await;
    let user = &r.ok()["user"];
    assert_eq!(
        user["client_id"],
        json!("my_int-1376265f-86df-4c49-a0c3-a4816df41af9")
    );
    assert_eq!(user["name"], json!("Имя клиента"));
    assert_eq!(
        user["avatar"],
        json!("https://example.com/users/avatar.png"),
        "\\/ is a plain slash"
    );
    assert_eq!(user["phone"], json!("+79151112233"));

    let r = replay(&sb, &V2).await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));
    assert_eq!(state_of(&sb).await["scopes"][0]["connected"], json!(false));
}

#[tokio::test]
async fn kommo_vectors_history_and_typing_verify() {
    let sb = Sb::start(&config_kommo()).await;
    set_clock(&sb, V7.date);
    let connect = |channel: &'static str, account: &'static str| {
        let sb = &sb;
        async move {
            let path = format!("/v2/origin/custom/{channel}/connect");
            sb.signed_with(
                SECRET_HIST,
                "POST",
                &path,
                &json!({"account_id": account, "hook_api_version": "v2"}).to_string(),
            )
            .await
        }
    };
    connect(
        "f62a0162-46a7-430e-b06c-0ef798d76a21",
        "52fd2a28-d2eb-4bd8-b862-a67934927b38",
    )
    .await
    .ok();
    connect(
        "f62a0162-46a7-430e-b06c-0ef798d56b21",
        "52fd2a28-d2eb-4bd8-b862-b57934927b38",
    )
    .await
    .ok();

    // The query string is not signed: the vector verifies with and without it, and with another one.
    let r = replay(&sb, &V7).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""), "unknown chat: 204");
    for query in ["", "?limit=5&offset=10"] {
        let v = Vector { query, ..V7 };
        replay(&sb, &v).await;
    }

    let typing_scope = "/v2/origin/custom/f62a0162-46a7-430e-b06c-0ef798d56b21_52fd2a28-d2eb-4bd8-b862-b57934927b38";
    let chat = json!({"conversation_id": "30477717-9f3c-4d3f-8101-60327e14dc48", "user": {"id": "209beccc-4f66-46ff-b06f-d245fca1af0a", "name": "Client"}});
    sb.signed_with(
        SECRET_HIST,
        "POST",
        &format!("{typing_scope}/chats"),
        &chat.to_string(),
    )
    .await
    .ok();
    let r = replay(&sb, &K_TYPING).await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn kommo_methods_connect_vector_verifies() {
    let sb = Sb::start(&config_methods()).await;
    let r = replay(&sb, &K_METHODS).await;
    assert_eq!(
        r.ok()["scope_id"],
        json!("f90ba33d-c9d9-44da-b76c-c349b0ecbe41_af9945ff-1490-4cad-807d-945c15d88bec")
    );
    assert_eq!(r.json["title"], json!("ScopeTitle"));
}

#[tokio::test]
async fn a_changed_body_byte_fails_on_the_md5() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    set_clock(&sb, V1.date);
    let body = V1.body.replace("ChatsIntegration", "ChatsIntegratioN");
    let verdict = refused(&sb, send(&sb, &V1, V1.date, &body, V1.signature).await).await;
    assert_eq!(verdict["received_content_md5"], json!(V1.md5));
    assert_ne!(verdict["body_md5"], json!(V1.md5));
    let problem = verdict["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("Content-MD5") && problem.contains(verdict["body_md5"].as_str().unwrap()),
        "{problem}"
    );
    assert!(
        state_of(&sb).await["scopes"].as_array().unwrap().is_empty(),
        "nothing was connected"
    );

    // A trailing newline counts too.
    let body = format!("{}\n", V1.body);
    refused(&sb, send(&sb, &V1, V1.date, &body, V1.signature).await).await;
}

#[tokio::test]
async fn a_changed_path_fails_and_the_journal_shows_the_expected_string_to_sign() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    replay(&sb, &V1).await.ok();
    set_clock(&sb, V4.date);
    let path = V4.path.replace("079e44fb", "079e44fc");
    let v = Vector {
        path: Box::leak(path.clone().into_boxed_str()),
        ..V4
    };
    let verdict = refused(&sb, send(&sb, &v, V4.date, V4.body, V4.signature).await).await;
    let expected = format!("POST\n{}\napplication/json\n{}\n{path}", V4.md5, V4.date);
    assert_eq!(verdict["expected_string_to_sign"], json!(expected));
    assert_eq!(verdict["received_signature"], json!(V4.signature));
    assert_ne!(verdict["expected_signature"], json!(V4.signature));
    assert!(verdict["problems"][0]
        .as_str()
        .unwrap()
        .contains("X-Signature does not match"));
}

#[tokio::test]
async fn a_changed_date_header_fails() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    set_clock(&sb, V1.date);
    let date = "Wed, 15 Dec 2021 23:12:56 +0000";
    let verdict = refused(&sb, send(&sb, &V1, date, V1.body, V1.signature).await).await;
    assert_eq!(verdict["date_skew_seconds"], json!(-1));
    assert!(verdict["expected_string_to_sign"]
        .as_str()
        .unwrap()
        .contains(date));
    assert_eq!(
        verdict["problems"].as_array().unwrap().len(),
        1,
        "only the signature is wrong: {verdict}"
    );
}

#[tokio::test]
async fn another_secret_fails() {
    let sb = Sb::start(&config_a("f2d7f8704eff95087ed45b23ba99c0b5aac8278f")).await;
    set_clock(&sb, V1.date);
    let verdict = refused(&sb, send(&sb, &V1, V1.date, V1.body, V1.signature).await).await;
    assert_ne!(verdict["expected_signature"], json!(V1.signature));
    assert_eq!(verdict["body_md5"], json!(V1.md5));
}

#[tokio::test]
async fn the_date_must_be_within_15_minutes_of_the_clock_either_side() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    let at = parse_time(V1.date).unwrap();
    for (offset, ok) in [
        (900, true),
        (-900, true),
        (901, false),
        (-901, false),
        (16 * 60, false),
    ] {
        sb.sandbox().clock.set(at + offset * 1000);
        let r = send(&sb, &V1, V1.date, V1.body, V1.signature).await;
        if ok {
            r.ok();
        } else {
            let verdict = refused(&sb, r).await;
            assert_eq!(verdict["date_skew_seconds"], json!(offset));
            let problem = verdict["problems"][0].as_str().unwrap();
            assert!(
                problem.contains("900s")
                    && problem.contains(if offset > 0 { "behind" } else { "ahead of" }),
                "{problem}"
            );
        }
    }
}

#[tokio::test]
async fn both_date_forms_are_accepted() {
    use kommo_sandbox::signature::sign_request;
    let sb = Sb::start(&config_a(SECRET_A)).await;
    set_clock(&sb, V1.date);
    for date in [
        "Wed, 15 Dec 2021 23:12:55 +0000",
        "Wed, 15 Dec 2021 23:12:55 GMT",
    ] {
        let h = sign_request(SECRET_A, "POST", V1.path, V1.body.as_bytes(), date);
        let r = sb
            .raw("POST", V1.path, &h.pairs(), V1.body.as_bytes().to_vec())
            .await;
        assert_eq!(r.status, 200, "{date}: {}", r.text);
        let e = sb.last_entry().await;
        assert_eq!(e["signature"]["ok"], json!(true), "{date}");
        assert_eq!(e["signature"]["date_skew_seconds"], json!(0));
    }
}

#[tokio::test]
async fn missing_or_malformed_headers_are_named() {
    let sb = Sb::start(&config_a(SECRET_A)).await;
    set_clock(&sb, V1.date);
    let r = sb
        .raw(
            "POST",
            V1.path,
            &[
                ("Date", V1.date),
                ("Content-Type", "application/json"),
                ("Content-MD5", V1.md5),
            ],
            V1.body,
        )
        .await;
    let v = refused(&sb, r).await;
    assert!(v["problems"][0]
        .as_str()
        .unwrap()
        .contains("X-Signature header is missing"));

    let r = sb
        .raw(
            "POST",
            V1.path,
            &[
                ("Content-Type", "application/json"),
                ("Content-MD5", V1.md5),
                ("X-Signature", V1.signature),
            ],
            V1.body,
        )
        .await;
    let v = refused(&sb, r).await;
    let all = v["problems"].to_string();
    assert!(
        all.contains("Date header is missing")
            && all.contains("headers missing and signed as empty: Date"),
        "{all}"
    );

    let r = send(&sb, &V1, "yesterday", V1.body, V1.signature).await;
    let v = refused(&sb, r).await;
    assert!(v["problems"].to_string().contains("not an RFC 2822 date"));
}

#[tokio::test]
async fn an_empty_body_may_carry_any_content_md5_with_a_warning() {
    let sb = Sb::start(&config_kommo()).await;
    set_clock(&sb, V7.date);
    sb.signed_with(
        SECRET_HIST,
        "POST",
        "/v2/origin/custom/f62a0162-46a7-430e-b06c-0ef798d76a21/connect",
        r#"{"account_id":"52fd2a28-d2eb-4bd8-b862-a67934927b38"}"#,
    )
    .await
    .ok();
    // Some clients sign an empty GET with the MD5 of `null` (spec README decisions).
    let md5_null = kommo_sandbox::signature::content_md5(b"null");
    let text = kommo_sandbox::signature::string_to_sign(
        "GET",
        &md5_null,
        "application/json",
        V7.date,
        V7.path,
    );
    let sig = kommo_sandbox::signature::hmac_sha1_hex(SECRET_HIST, text.as_bytes());
    let r = sb
        .raw(
            "GET",
            V7.path,
            &[
                ("Date", V7.date),
                ("Content-Type", "application/json"),
                ("Content-MD5", &md5_null),
                ("X-Signature", &sig),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = sb.last_entry().await;
    assert_eq!(e["signature"]["ok"], json!(true));
    assert!(
        e["signature"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("empty body"),
        "{e}"
    );
}

#[tokio::test]
async fn the_usual_signing_mistakes_are_named() {
    use kommo_sandbox::signature::hmac_sha1_hex;
    let sb = Sb::start(&config_kommo()).await;
    set_clock(&sb, V7.date);
    sb.signed_with(
        SECRET_HIST,
        "POST",
        "/v2/origin/custom/f62a0162-46a7-430e-b06c-0ef798d76a21/connect",
        r#"{"account_id":"52fd2a28-d2eb-4bd8-b862-a67934927b38"}"#,
    )
    .await
    .ok();
    let signed_text = |text: String| hmac_sha1_hex(SECRET_HIST, text.as_bytes());
    let cases = [
        (
            signed_text(format!(
                "GET\n{}\napplication/json\n{}\n{}{}",
                V7.md5, V7.date, V7.path, V7.query
            )),
            "the query string was signed",
        ),
        (
            signed_text(format!(
                "get\n{}\napplication/json\n{}\n{}",
                V7.md5, V7.date, V7.path
            )),
            "lower case",
        ),
        (
            signed_text(format!(
                "GET\r\n{}\r\napplication/json\r\n{}\r\n{}",
                V7.md5, V7.date, V7.path
            )),
            "\\r\\n",
        ),
    ];
    for (signature, hint) in cases {
        let r = send(&sb, &V7, V7.date, "", &signature).await;
        let verdict = refused(&sb, r).await;
        let problem = verdict["problems"][0].as_str().unwrap();
        assert!(
            problem.contains("your signature matches when") && problem.contains(hint),
            "{hint}: {problem}"
        );
    }
    // A signature that matches no known mistake gets no guess.
    let verdict = refused(&sb, send(&sb, &V7, V7.date, "", &"ab".repeat(20)).await).await;
    assert!(!verdict["problems"][0]
        .as_str()
        .unwrap()
        .contains("matches when"));
}
