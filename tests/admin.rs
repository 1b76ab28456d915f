//! The admin plane: journal and its filters, the journal cap, reset, isolated
//! accounts, and the clock (including signature age against it).

mod common;

use common::{Sb, PREFIX, START, START_SECS};
use kommo_sandbox::clock::format_rfc2822;
use serde_json::{json, Value};
use std::time::Duration;

fn entries(j: &Value) -> &Vec<Value> {
    j["entries"].as_array().expect("entries")
}

fn seqs(j: &Value) -> Vec<u64> {
    entries(j)
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn journal_filters() {
    let sb = Sb::demo().await;
    sb.connect().await.ok(); // 1: POST connect 200
    let chat = sb
        .create_chat(&json!({"conversation_id": "c-1", "user": {"id": "u-1", "name": "Jane"}}))
        .await
        .ok()["id"]
        .as_str()
        .unwrap()
        .to_string(); // 2
    sb.incoming_text("c-1", "u-1", "hello", false).await; // 3
    let history = sb
        .signed(
            "GET",
            &sb.scope_path(&format!("/chats/{chat}/history?limit=5")),
            "",
        )
        .await; // 4: GET 200
    assert_eq!(history.status, 200);
    let bad = sb
        .signed_with(
            "00000000000000000000000000000000000000aa",
            "POST",
            &sb.scope_path("/chats"),
            "{}",
        )
        .await; // 5: 403
    assert_eq!(bad.status, 403);
    let no_route = sb.signed("POST", "/v2/origin/custom/x/y/z/w/v", "{}").await; // 6: 404, no verdict
    assert_eq!(no_route.status, 404);

    let all = sb.journal("").await;
    assert_eq!(seqs(&all), [1, 2, 3, 4, 5, 6], "oldest first");
    assert_eq!(
        (all["total"].as_u64(), all["dropped"].as_u64()),
        (Some(6), Some(0))
    );
    let first = &entries(&all)[0];
    assert_eq!(first["surface"], json!("chats_api"));
    assert_eq!(first["method"], json!("POST"));
    assert!(
        first["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == json!("x-signature")),
        "headers are kept: {first}"
    );
    assert!(first["response_body"]
        .as_str()
        .unwrap()
        .contains("scope_id"));

    assert_eq!(
        seqs(&sb.journal("?method=get").await),
        [4],
        "method is case-insensitive"
    );
    assert_eq!(seqs(&sb.journal("?path=/history").await), [4]);
    assert_eq!(seqs(&sb.journal("?path=/chats").await), [2, 4, 5]);
    assert_eq!(seqs(&sb.journal("?status=403").await), [5]);
    assert_eq!(seqs(&sb.journal("?status=200").await), [1, 2, 3, 4]);
    assert_eq!(seqs(&sb.journal("?signature=failed").await), [5]);
    assert_eq!(seqs(&sb.journal("?signature=none").await), [6]);
    assert_eq!(seqs(&sb.journal("?signature=ok").await), [1, 2, 3, 4]);
    assert_eq!(
        seqs(&sb.journal(&format!("?scope_id={}", sb.scope_id)).await),
        [2, 3, 4, 5]
    );
    assert_eq!(
        seqs(&sb.journal(&format!("?account_id={}", sb.account_id)).await),
        [2, 3, 4, 5]
    );
    assert_eq!(seqs(&sb.journal("?since=4").await), [5, 6]);
    assert_eq!(
        seqs(&sb.journal("?limit=2").await),
        [5, 6],
        "limit keeps the newest"
    );
    assert_eq!(
        seqs(&sb.journal("?status=200&path=/chats&limit=1").await),
        [4],
        "filters are ANDed"
    );
    assert_eq!(seqs(&sb.journal("?surface=chats_api").await).len(), 6);
    assert!(entries(&sb.journal("?surface=rest_v4").await).is_empty());

    let r = sb.raw("DELETE", "/_sandbox/journal", &[], Vec::new()).await;
    assert_eq!(r.status, 204);
    assert!(entries(&sb.journal("").await).is_empty());
    sb.connect().await.ok();
    assert_eq!(
        seqs(&sb.journal("").await),
        [7],
        "sequence numbers keep growing after a clear"
    );
}

#[tokio::test]
async fn journal_cap_keeps_memory_flat() {
    let sb = Sb::start(&format!(
        "clock: \"{START}\"\nsettings:\n  journal_cap: 5\n"
    ))
    .await;
    sb.connect().await.ok();
    for i in 0..11 {
        sb.incoming_text("c-1", "u-1", &format!("m{i}"), true).await;
    }
    let j = sb.journal("").await;
    assert_eq!(j["total"], json!(5));
    assert_eq!(j["dropped"], json!(7));
    assert_eq!(seqs(&j), [8, 9, 10, 11, 12], "the newest are kept");
    assert_eq!(sb.sandbox().journal.len(), 5);

    let off = Sb::start(&format!(
        "clock: \"{START}\"\nsettings:\n  journal_cap: 0\n"
    ))
    .await;
    off.connect().await.ok();
    assert_eq!(
        off.journal("").await["total"],
        json!(0),
        "cap 0 turns the journal off"
    );
}

#[tokio::test]
async fn reset_returns_to_the_configured_state() {
    let sb = Sb::demo().await;
    let pristine = sb.state_text().await;
    sb.connect().await.ok();
    sb.incoming_text("c-1", "u-1", "hello", false).await;
    assert_ne!(sb.state_text().await, pristine);

    let r = sb.admin_post("/_sandbox/reset", &json!({})).await;
    assert_eq!((r.status, r.json["reset"].clone()), (200, json!(true)));
    assert_eq!(
        sb.state_text().await,
        pristine,
        "same state as at start, ids included"
    );
    assert_eq!(sb.journal("").await["total"], json!(0));
    let r = sb
        .send(sb.incoming_payload("c-1", "u-1", json!({"type": "text", "text": "x"}), false))
        .await;
    r.amojo_error(404, "ORIGIN_NOT_REGISTERED");

    // The same steps after a reset give the same ids (seeded).
    let again = Sb::demo().await;
    again.connect().await.ok();
    let a = again.incoming_text("c-1", "u-1", "hello", false).await;
    sb.connect().await.ok();
    let b = sb.incoming_text("c-1", "u-1", "hello", false).await;
    for key in ["msgid", "conversation_id", "sender_id"] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

/// Credentials of an isolated account, used to sign its own calls.
struct Isolated {
    amojo_id: String,
    channel_id: String,
    secret: String,
    scope_id: String,
}

fn isolated(v: &Value) -> Isolated {
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {v}"))
            .to_string()
    };
    Isolated {
        amojo_id: s("amojo_account_id"),
        channel_id: s("channel_id"),
        secret: s("secret"),
        scope_id: s("scope_id"),
    }
}

#[tokio::test]
async fn isolated_accounts_share_nothing() {
    let sb = Sb::demo().await;
    let (body_a, body_b) = (
        json!({"label": "a"}),
        json!({"label": "b", "webhook_url": "http://127.0.0.1:9/hooks/:scope_id"}),
    );
    let (a, b) = tokio::join!(
        sb.admin_post("/_sandbox/accounts", &body_a),
        sb.admin_post("/_sandbox/accounts", &body_b)
    );
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text, b.text);
    let (ia, ib) = (isolated(&a.json), isolated(&b.json));
    assert_ne!(ia.amojo_id, ib.amojo_id);
    assert_ne!(ia.channel_id, ib.channel_id);
    assert_ne!(ia.secret, ib.secret);
    assert_eq!(ia.scope_id, format!("{}_{}", ia.channel_id, ia.amojo_id));
    assert_eq!(
        b.json["webhook_url"],
        json!(format!("http://127.0.0.1:9/hooks/{}", ib.scope_id))
    );
    assert_eq!(a.json["amojo_base_url"], json!(sb.base));

    // The same integration ids in both, in parallel.
    let run = |i: &Isolated| {
        let sb = &sb;
        let (secret, channel, account, scope) = (
            i.secret.clone(),
            i.channel_id.clone(),
            i.amojo_id.clone(),
            i.scope_id.clone(),
        );
        async move {
            let connect = json!({"account_id": account, "hook_api_version": "v2"}).to_string();
            sb.signed_with(
                &secret,
                "POST",
                &format!("{PREFIX}/{channel}/connect"),
                &connect,
            )
            .await
            .ok();
            let mut p = sb.incoming_payload(
                "same-chat",
                "same-user",
                json!({"type": "text", "text": format!("for {account}")}),
                false,
            );
            p["msgid"] = json!("same-msgid");
            let body = json!({"event_type": "new_message", "payload": p}).to_string();
            sb.signed_with(&secret, "POST", &format!("{PREFIX}/{scope}"), &body)
                .await
                .ok()["new_message"]
                .clone()
        }
    };
    let (ma, mb) = tokio::join!(run(&ia), run(&ib));
    assert_ne!(ma["msgid"], mb["msgid"]);
    for (i, other) in [(&ia, &ib), (&ib, &ia)] {
        let state: Value = serde_json::from_str(&sb.state_text_of(&i.amojo_id).await).unwrap();
        let scopes = state["scopes"].as_array().unwrap();
        assert_eq!(scopes.len(), 1);
        let msgs = scopes[0]["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            msgs[0]["message"]["text"],
            json!(format!("for {}", i.amojo_id))
        );
        assert_eq!(state["account"]["contacts"].as_array().unwrap().len(), 1);
        assert!(
            !state.to_string().contains(&other.amojo_id),
            "no trace of the other account"
        );
    }
    // The demo account saw nothing.
    let demo = sb.state().await;
    assert!(demo["scopes"].as_array().unwrap().is_empty());

    // Each channel is private to its account, and each scope has its own secret.
    let cross = json!({"account_id": ib.amojo_id}).to_string();
    let r = sb
        .signed_with(
            &ia.secret,
            "POST",
            &format!("{PREFIX}/{}/connect", ia.channel_id),
            &cross,
        )
        .await;
    r.amojo_error(403, "ACCOUNT_NOT_ALLOWED");
    let r = sb
        .signed_with(
            &ib.secret,
            "POST",
            &format!("{PREFIX}/{}/chats", ia.scope_id),
            &json!({"conversation_id": "x", "user": {"id": "u", "name": "n"}}).to_string(),
        )
        .await;
    r.amojo_error(403, "ORIGIN_INVALID_SIGNATURE");

    let listed = sb.admin_get("/_sandbox/accounts").await;
    assert_eq!(listed.json["accounts"].as_array().unwrap().len(), 3);
    let bad = sb
        .admin_post("/_sandbox/accounts", &json!({"webhook_url": "ftp://x"}))
        .await;
    assert_eq!(bad.status, 400);
    let unknown = sb
        .admin_get("/_sandbox/accounts/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn clock_reads_sets_and_advances() {
    let sb = Sb::demo().await;
    let c = sb.admin_get("/_sandbox/clock").await;
    assert_eq!(
        c.json,
        json!({"now": START_SECS, "date": START, "frozen": true})
    );

    let c = sb
        .admin_post(
            "/_sandbox/clock",
            &json!({"now": "Tue, 13 Dec 2022 11:00:00 GMT"}),
        )
        .await;
    assert_eq!(c.json["now"], json!(1_670_929_200));
    assert_eq!(c.json["date"], json!("Tue, 13 Dec 2022 11:00:00 +0000"));
    let c = sb
        .admin_post("/_sandbox/clock", &json!({"now": 1_700_000_000}))
        .await;
    assert_eq!(c.json["now"], json!(1_700_000_000));
    let c = sb
        .admin_post("/_sandbox/clock", &json!({"now": "1600000000"}))
        .await;
    assert_eq!(c.json["now"], json!(1_600_000_000));
    let c = sb
        .admin_post("/_sandbox/clock", &json!({"advance": 90}))
        .await;
    assert_eq!(c.json["now"], json!(1_600_000_090));
    assert_eq!(
        sb.now(),
        1_600_000_090,
        "the sandbox itself uses that clock"
    );

    // The clock is what new messages are stamped with.
    sb.connect().await.ok();
    let m = sb.incoming_text("c-1", "u-1", "x", false).await;
    let state = sb.state().await;
    assert_eq!(
        state["account"]["contacts"][0]["created_at"],
        json!(1_600_000_090)
    );
    assert_eq!(state["clock"], json!(1_600_000_090));
    assert!(m["msgid"].is_string());

    for bad in [
        json!({"now": "yesterday"}),
        json!({"now": true}),
        json!({"advance": "1"}),
        json!({"speed": 2}),
    ] {
        let r = sb.admin_post("/_sandbox/clock", &bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(r.json["error"].is_string());
    }
    assert_eq!(sb.now(), 1_600_000_090, "a refused change moves nothing");

    // Unfrozen, it ticks from where it stands.
    let c = sb
        .admin_post("/_sandbox/clock", &json!({"freeze": false}))
        .await;
    assert_eq!(c.json["frozen"], json!(false));
    assert!(c.json["now"].as_i64().unwrap() >= 1_600_000_090);
}

#[tokio::test]
async fn a_signature_is_refused_after_the_clock_moves_16_minutes() {
    let sb = Sb::demo().await;
    let body = json!({"account_id": sb.account_id, "hook_api_version": "v2"}).to_string();
    let path = format!("{PREFIX}/{}/connect", sb.channel_id);
    // The same request (same Date) each time; only the clock moves.
    let date = sb.date();
    let send = || sb.signed_at(&sb.secret, &date, "POST", &path, &body);

    send().await.ok();
    sb.admin_post("/_sandbox/clock", &json!({"advance": 15 * 60}))
        .await;
    send().await.ok();
    sb.admin_post("/_sandbox/clock", &json!({"advance": 60}))
        .await;
    send().await.amojo_error(403, "ORIGIN_INVALID_SIGNATURE");
    let verdict = &sb.last_entry().await["signature"];
    assert_eq!(verdict["date_skew_seconds"], json!(960));
    assert!(
        verdict["problems"].to_string().contains("960s behind"),
        "{verdict}"
    );

    // The same with a real (ticking) clock: advance it and a fresh real-time Date is stale.
    let real = Sb::start("").await;
    let date = format_rfc2822(chrono::Utc::now().timestamp());
    real.admin_post("/_sandbox/clock", &json!({"advance": 16 * 60}))
        .await;
    let r = real
        .signed_at(&real.secret, &date, "POST", &path, &body)
        .await;
    r.amojo_error(403, "ORIGIN_INVALID_SIGNATURE");
    let skew = real.last_entry().await["signature"]["date_skew_seconds"]
        .as_i64()
        .unwrap();
    assert!((959..=1000).contains(&skew), "{skew}");
}

#[tokio::test]
async fn the_admin_plane_answers_its_owner_only() {
    let sb = Sb::demo().await;
    let clock = sb.admin_json("/_sandbox/clock").await;
    let json_ct = ("Content-Type", "application/json");
    let advance = json!({"advance": 3600}).to_string();

    // A page of another site: form, text/plain or a JSON fetch, all refused.
    let evil = ("Origin", "http://evil.example");
    let r = sb.raw("POST", "/_sandbox/reset", &[evil], "").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.json["error"].as_str().unwrap().contains("same-origin"));
    let r = sb
        .raw("POST", "/_sandbox/clock", &[evil, json_ct], advance.clone())
        .await;
    assert_eq!(r.status, 403);
    let r = sb
        .raw(
            "POST",
            "/_sandbox/clock",
            &[("Sec-Fetch-Site", "cross-site")],
            "",
        )
        .await;
    assert_eq!(r.status, 403);
    // Even from the same origin, a change must be JSON.
    let plain = ("Content-Type", "text/plain");
    let r = sb
        .raw("POST", "/_sandbox/clock", &[plain], advance.clone())
        .await;
    assert_eq!(r.status, 415, "{}", r.text);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let r = sb
        .raw("POST", "/_sandbox/clock", &[form], "advance=3600")
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        sb.admin_json("/_sandbox/clock").await,
        clock,
        "nothing moved"
    );

    // A rebinding page reaches the sandbox under its own name: refused.
    let r = sb
        .raw(
            "GET",
            "/_sandbox/accounts",
            &[("Host", "rebind.evil.example:8787")],
            "",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(!r.text.contains(&sb.secret));
    // No CORS on the admin plane, whatever the page asks.
    let r = sb
        .raw(
            "OPTIONS",
            "/_sandbox/reset",
            &[evil, ("Access-Control-Request-Method", "POST")],
            "",
        )
        .await;
    assert!(
        r.status == 403 || r.status == 405,
        "{} {}",
        r.status,
        r.text
    );
    let r = sb.raw("GET", "/_sandbox/clock", &[], "").await;
    assert!(!r.text.is_empty());

    // The owner: tools with no Origin, and the sandbox's own pages.
    let own = format!("http://{}", sb.base.trim_start_matches("http://"));
    let own_origin = ("Origin", own.as_str());
    let r = sb
        .raw("POST", "/_sandbox/clock", &[own_origin, json_ct], advance)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(sb.raw("POST", "/_sandbox/reset", &[], "").await.status, 200);
}

/// Writes `bytes` to a fresh connection and reads until the server closes it
/// (or `wait` passes); returns what came back and whether it was closed.
async fn raw_tcp(base: &str, bytes: &[u8], trickle: bool, wait: Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    if trickle {
        // One byte a while: the headers never finish in time.
        for b in bytes.iter().take(8) {
            if tcp.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    } else {
        tcp.write_all(bytes).await.unwrap();
    }
    let mut out = vec![];
    let closed = tokio::time::timeout(wait, tcp.read_to_end(&mut out))
        .await
        .is_ok();
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[tokio::test]
async fn idle_and_trickling_sockets_are_closed_and_unread_refusals_say_close() {
    let sb = Sb::start("settings:\n  header_read_timeout: 1\n  max_body_bytes: 16\n").await;
    let (_, closed) = raw_tcp(&sb.base, b"", false, Duration::from_secs(20)).await;
    assert!(closed, "an idle socket is closed after the header deadline");
    let request = b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let (_, closed) = raw_tcp(&sb.base, request, true, Duration::from_secs(20)).await;
    assert!(closed, "a trickled request is cut off");

    // A kept-alive connection that got its answer is closed once idle, too.
    let (answer, closed) = raw_tcp(&sb.base, request, false, Duration::from_secs(20)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed);

    // Too large, refused unread: the answer says the connection ends.
    let big = format!(
        "POST {PREFIX}/x/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{}",
        "x".repeat(64)
    );
    let (answer, _) = raw_tcp(&sb.base, big.as_bytes(), false, Duration::from_secs(20)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let plain = "POST /_sandbox/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}";
    let (answer, _) = raw_tcp(&sb.base, plain.as_bytes(), false, Duration::from_secs(20)).await;
    assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}
