//! REST v4 end to end over HTTP: authorization, rate limit, account and users,
//! sources, contacts and leads.

mod common;

use common::rest::T;
use common::START;
use kommo_sandbox::config::Config;
use serde_json::{json, Value};

const SECOND_CHANNEL: &str = "
channels:
  - {}
  - id: 11111111-2222-4333-8444-555555555555
    secret: 0123456789abcdef0123456789abcdef01234567
    integration_id: 99999999-8888-4777-8666-555555555555
";

async fn other_token(t: &T) -> String {
    let accounts = t.admin_json("/_sandbox/accounts").await;
    accounts["accounts"][0]["channels"][1]["api_token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_api_call_needs_a_valid_bearer_token() {
    let t = T::start("").await;
    let none = t.send("GET", "/api/v4/account", None, None).await;
    assert_eq!(none.problem(401)["detail"], "Invalid user name or password");
    t.send("GET", "/api/v4/sources", Some("not-a-token"), None)
        .await
        .problem(401);
    t.send("GET", "/api/v4/leads", Some(""), None)
        .await
        .problem(401);
    t.get("/api/v4/account").await.hal();
    assert_eq!(
        t.get("/api/v4/nothing/here").await.problem(404)["title"],
        "Not Found"
    );
    t.send(
        "PUT",
        "/api/v4/account",
        Some(&t.token.clone()),
        Some(json!({})),
    )
    .await
    .problem(405);
    let huge = json!([{"name": "x".repeat(1 << 20)}]);
    t.post("/api/v4/contacts", huge).await.problem(413);
    let as_user = |id: &str| {
        t.http
            .get(format!("{}/api/v4/account", t.base))
            .bearer_auth(&t.token)
            .header("X-Context-User-ID", id.to_string())
            .send()
    };
    assert_eq!(as_user("5000001").await.unwrap().status(), 200);
    assert_eq!(as_user("42").await.unwrap().status(), 401);
}

#[tokio::test]
async fn oauth_code_then_refresh_rotates_and_refuses_reuse() {
    let t = T::start("").await;
    let code = t
        .admin_post(
            &format!("/_sandbox/accounts/{}/oauth/code", t.account_id),
            &json!({}),
        )
        .await;
    assert_eq!(code.status, 200, "{}", code.text);
    let code = code.json;
    let client = json!({"client_id": t.creds["client_id"], "client_secret": t.creds["client_secret"], "redirect_uri": "https://example.test/cb"});
    let mut exchange = client.clone();
    exchange["grant_type"] = json!("authorization_code");
    exchange["code"] = code["code"].clone();
    let first = t
        .send("POST", "/oauth2/access_token", None, Some(exchange.clone()))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["token_type"], "Bearer");
    assert_eq!(first.json["expires_in"], 86400);
    let access = first.json["access_token"].as_str().unwrap().to_string();
    t.send("GET", "/api/v4/account", Some(&access), None)
        .await
        .hal();
    assert_eq!(
        t.send("POST", "/oauth2/access_token", None, Some(exchange))
            .await
            .problem(400)["hint"],
        "Authorization code has been revoked"
    );

    let mut refresh = client.clone();
    refresh["grant_type"] = json!("refresh_token");
    refresh["refresh_token"] = first.json["refresh_token"].clone();
    let second = t
        .send("POST", "/oauth2/access_token", None, Some(refresh.clone()))
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.json["refresh_token"], first.json["refresh_token"]);
    t.send("POST", "/oauth2/access_token", None, Some(refresh))
        .await
        .problem(400);
    // The refresh spends the refresh token only; the old access token
    // lives out its day.
    t.send("GET", "/api/v4/account", Some(&access), None)
        .await
        .hal();

    let fresh = second.json["access_token"].as_str().unwrap().to_string();
    t.send("GET", "/api/v4/account", Some(&fresh), None)
        .await
        .hal();
    t.sandbox().clock.advance(86_400);
    assert_eq!(
        t.send("GET", "/api/v4/account", Some(&fresh), None)
            .await
            .problem(401)["detail"],
        "Access token has expired"
    );
    t.get("/api/v4/account").await.hal();

    let mut bad = client.clone();
    bad["client_secret"] = json!("wrong");
    bad["grant_type"] = json!("authorization_code");
    bad["code"] = json!("x");
    t.send("POST", "/oauth2/access_token", None, Some(bad))
        .await
        .problem(401);
}

/// The claims of a JWT, read the way a client that does not verify reads them.
fn claims_of(jwt: &str) -> (Value, Value) {
    use base64::Engine;
    let part = |i: usize| -> Value {
        let raw = jwt.split('.').nth(i).expect("three parts");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (part(0), part(1))
}

#[tokio::test]
async fn access_tokens_are_rs256_jwts_verified_by_the_sandbox_key() {
    let t = T::start("").await;
    let issued = t.oauth().await;
    let access = issued["access_token"].as_str().unwrap().to_string();
    let (header, claims) = claims_of(&access);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["jti"], claims["jti"]);
    assert_eq!(claims["aud"], t.creds["client_id"]);
    assert_eq!(claims["iat"], common::START_SECS);
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap(),
        claims["iat"].as_i64().unwrap() + issued["expires_in"].as_i64().unwrap()
    );
    let account = t.get("/api/v4/account").await.hal().clone();
    assert_eq!(claims["account_id"], account["id"]);
    assert_eq!(
        claims["sub"],
        account["current_user_id"].as_i64().unwrap().to_string()
    );
    assert_eq!(claims["base_domain"], "kommo.com");
    assert_eq!(claims["api_domain"], "api-c.kommo.com");
    let scopes = claims["scopes"].as_array().unwrap();
    for scope in ["crm", "notifications", "chats"] {
        assert!(scopes.iter().any(|s| s == scope), "{claims}");
    }

    // Verified with the key the sandbox publishes.
    let pem = t.admin_get("/_sandbox/oauth/public_key").await;
    assert_eq!(pem.status, 200);
    assert!(
        pem.text.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{}",
        pem.text
    );
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.text.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_audience(&[t.creds["client_id"].as_str().unwrap()]);
    let verified = jsonwebtoken::decode::<Value>(&access, &key, &validation).unwrap();
    assert_eq!(verified.claims, claims);

    // The long-lived token of the credentials is one too, far from expiry.
    let (_, long) = claims_of(&t.token);
    assert_eq!(long["aud"], t.creds["client_id"]);
    assert!(long["exp"].as_i64().unwrap() > common::START_SECS + 5 * 365 * 86_400);
    jsonwebtoken::decode::<Value>(&t.token, &key, &validation).unwrap();

    // Tampered: an altered payload under the old signature, or a bad signature.
    let parts: Vec<&str> = access.split('.').collect();
    let mut altered = claims.clone();
    altered["account_id"] = json!(1);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            altered.to_string()
        ),
        parts[2]
    );
    let bad_signature = format!("{}.{}.{}", parts[0], parts[1], &parts[2][4..]);
    for token in [forged, bad_signature] {
        assert_eq!(
            t.send("GET", "/api/v4/account", Some(&token), None)
                .await
                .problem(401)["detail"],
            "Invalid user name or password"
        );
    }

    // Refresh gives a new JWT for the same subject.
    let refresh = json!({"client_id": t.creds["client_id"], "client_secret": t.creds["client_secret"], "redirect_uri": "https://example.test/cb", "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]});
    t.admin_post("/_sandbox/clock", &json!({"advance": 60}))
        .await;
    let renewed = t
        .send("POST", "/oauth2/access_token", None, Some(refresh))
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let fresh = renewed.json["access_token"].as_str().unwrap().to_string();
    let (_, fresh_claims) = claims_of(&fresh);
    assert_ne!(fresh_claims["jti"], claims["jti"]);
    assert_eq!(fresh_claims["iat"], common::START_SECS + 60);
    assert_eq!(fresh_claims["account_id"], claims["account_id"]);
    jsonwebtoken::decode::<Value>(&fresh, &key, &validation).unwrap();
    t.send("GET", "/api/v4/account", Some(&fresh), None)
        .await
        .hal();

    // Expired on the sandbox clock.
    let advanced = t
        .admin_post("/_sandbox/clock", &json!({"advance": 86_400}))
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text);
    assert_eq!(
        t.send("GET", "/api/v4/account", Some(&fresh), None)
            .await
            .problem(401)["detail"],
        "Access token has expired"
    );
    t.get("/api/v4/account").await.hal();
}

#[tokio::test]
async fn auth_code_expires_after_twenty_minutes() {
    let t = T::start("").await;
    assert_eq!(
        t.admin_post("/_sandbox/accounts/nope/oauth/code", &json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        t.admin_post(
            &format!("/_sandbox/accounts/{}/oauth/code", t.account_id),
            &json!({"client_id": "other"})
        )
        .await
        .status,
        400
    );
    let code = t
        .admin_post(
            &format!("/_sandbox/accounts/{}/oauth/code", t.account_id),
            &json!({}),
        )
        .await
        .json;
    t.sandbox().clock.advance(20 * 60);
    let body = json!({"client_id": t.creds["client_id"], "client_secret": t.creds["client_secret"], "grant_type": "authorization_code", "code": code["code"], "redirect_uri": "https://example.test"});
    assert_eq!(
        t.send("POST", "/oauth2/access_token", None, Some(body))
            .await
            .problem(400)["hint"],
        "Authorization code has expired"
    );
}

#[tokio::test]
async fn seven_requests_per_second_then_429_then_403() {
    let config = Config::parse(&format!("clock: \"{START}\"\n"), "t.yaml").unwrap();
    let t = T::with(config).await;
    for _ in 0..7 {
        t.get("/api/v4/account").await.hal();
    }
    for _ in 0..3 {
        let r = t.get("/api/v4/account").await;
        assert_eq!(r.problem(429)["retry_after"], 1);
    }
    t.get("/api/v4/account").await.problem(403);
    t.sandbox().clock.advance(1);
    t.get("/api/v4/account").await.problem(403);
    t.sandbox().clock.advance(60);
    t.get("/api/v4/account").await.hal();
}

#[tokio::test]
async fn account_and_users_with_amojo_id() {
    let t = T::start("").await;
    let plain = t.get("/api/v4/account").await;
    assert!(plain.hal().get("amojo_id").is_none());
    let a = t.get("/api/v4/account?with=amojo_id").await;
    assert_eq!(a.hal()["amojo_id"], json!(t.account_id));
    assert_eq!(
        a.json["_links"]["self"]["href"],
        json!(format!("{}/api/v4/account", t.base))
    );
    let users = t.get("/api/v4/users?with=amojo_id").await;
    let user = &users.hal()["_embedded"]["users"][0];
    assert_eq!(user["amojo_id"], t.creds["manager_amojo_id"]);
    assert_eq!(users.json["_total_items"], 1);
    let one = t
        .get(&format!("/api/v4/users/{}?with=amojo_id", user["id"]))
        .await;
    assert_eq!(one.hal()["amojo_id"], user["amojo_id"]);
    t.get("/api/v4/users/1").await.empty();
    assert_eq!(
        t.get("/api/v4/users?limit=251").await.problem(422)["detail"],
        "Limit 250 per page"
    );
}

#[tokio::test]
async fn sources_crud_is_per_integration() {
    let t = T::start(SECOND_CHANNEL).await;
    t.get("/api/v4/sources").await.empty();
    let created = t.post("/api/v4/sources", json!([
        {"name": "Support", "external_id": "line-support", "request_id": "s1", "default": true, "origin_code": "amo.ext.sandbox"},
        {"name": "Sales", "external_id": "line-sales", "services": [{"type": "whatsapp", "params": {"waba": true}, "pages": []}]}
    ])).await;
    let items = created.hal()["_embedded"]["sources"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(created.json["_total_items"], 2);
    assert_eq!(items[0]["request_id"], "s1");
    assert_eq!(items[1]["request_id"], "1");
    assert_eq!(items[0]["default"], true);
    assert_eq!(items[0]["pipeline_id"], 7001);
    let id = items[0]["id"].as_i64().unwrap();
    assert_eq!(
        items[0]["_links"]["self"]["href"],
        json!(format!("{}/api/v4/sources/{id}", t.base))
    );

    let filtered = t
        .get("/api/v4/sources?filter[external_id]=line-sales")
        .await;
    assert_eq!(
        filtered.hal()["_embedded"]["sources"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let both = t
        .get("/api/v4/sources?filter[external_id][]=line-sales&filter[external_id][]=line-support")
        .await;
    assert_eq!(both.hal()["_total_items"], 2);
    t.get("/api/v4/sources?filter[external_id]=nope")
        .await
        .empty();

    let other = other_token(&t).await;
    t.send("GET", "/api/v4/sources", Some(&other), None)
        .await
        .empty();
    t.send("GET", &format!("/api/v4/sources/{id}"), Some(&other), None)
        .await
        .empty();
    t.send(
        "DELETE",
        &format!("/api/v4/sources/{id}"),
        Some(&other),
        None,
    )
    .await
    .problem(404);

    let dup = t
        .post(
            "/api/v4/sources",
            json!([{"name": "Again", "external_id": "line-support"}]),
        )
        .await;
    assert_eq!(
        dup.validation(0),
        ("NotUnique".into(), "external_id".into())
    );
    let long = t
        .post(
            "/api/v4/sources",
            json!([{"name": "Long", "external_id": "x".repeat(37)}]),
        )
        .await;
    assert_eq!(long.validation(0).1, "external_id");
    let bad = t
        .post(
            "/api/v4/sources",
            json!([{"external_id": "ok"}, {"name": "n", "external_id": "p", "pipeline_id": 1}]),
        )
        .await;
    assert_eq!(bad.validation(0), ("NotBlank".into(), "name".into()));
    assert_eq!(bad.validation(1), ("NotFound".into(), "pipeline_id".into()));
    let svc = t
        .post(
            "/api/v4/sources",
            json!([{"name": "n", "external_id": "q", "services": [{"type": "telegram"}]}]),
        )
        .await;
    assert_eq!(svc.validation(0).1, "services.0.type");
    let origin = t
        .post(
            "/api/v4/sources",
            json!([{"name": "n", "external_id": "r", "origin_code": "12345"}]),
        )
        .await;
    assert_eq!(origin.validation(0).1, "origin_code");
    let too_many: Vec<Value> = (0..51)
        .map(|i| json!({"name": "n", "external_id": format!("b{i}")}))
        .collect();
    t.post("/api/v4/sources", json!(too_many))
        .await
        .problem(422);

    let renamed = t
        .patch(
            &format!("/api/v4/sources/{id}"),
            json!({"name": "Support line"}),
        )
        .await;
    assert_eq!(renamed.hal()["name"], "Support line");
    let frozen = t
        .patch(
            &format!("/api/v4/sources/{id}"),
            json!({"external_id": "changed"}),
        )
        .await;
    assert_eq!(frozen.validation(0).1, "external_id");
    let sales = items[1]["id"].as_i64().unwrap();
    let batch = t
        .patch("/api/v4/sources", json!([{"id": sales, "default": true}]))
        .await;
    assert_eq!(batch.hal()["_embedded"]["sources"][0]["default"], true);
    assert_eq!(
        t.get(&format!("/api/v4/sources/{id}")).await.hal()["default"],
        false,
        "one default per integration"
    );

    let missing = t
        .delete("/api/v4/sources", Some(json!([{"id": 999}])))
        .await;
    let body = missing.problem(400);
    assert_eq!(body["detail"], "Invalid request items");
    assert_eq!(body["errors"][0]["errors"]["code"], "EntityNotFound");
    assert!(body.get("validation-errors").is_none());
    t.delete("/api/v4/sources", Some(json!([{"id": id}])))
        .await
        .empty();
    t.get(&format!("/api/v4/sources/{id}")).await.empty();
    t.delete(&format!("/api/v4/sources/{sales}"), None)
        .await
        .empty();
    t.delete(&format!("/api/v4/sources/{sales}"), None)
        .await
        .problem(404);
}

#[tokio::test]
async fn sources_are_capped_per_integration() {
    let t = T::start("  sources_limit: 2\n").await;
    t.post(
        "/api/v4/sources",
        json!([{"name": "a", "external_id": "a"}, {"name": "b", "external_id": "b"}]),
    )
    .await
    .hal();
    let over = t
        .post(
            "/api/v4/sources",
            json!([{"name": "c", "external_id": "c"}]),
        )
        .await;
    assert_eq!(over.validation(0).0, "LimitExceeded");
}

#[tokio::test]
async fn contacts_with_phone_and_email_fields() {
    let t = T::start("").await;
    let created = t.post("/api/v4/contacts", json!([{
        "name": "Jane Client", "request_id": "c1",
        "custom_fields_values": [
            {"field_code": "PHONE", "values": [
                {"value": "+15550001111", "enum_code": "MOB"},
                {"value": "+15550002222", "enum_id": 9005}
            ]},
            {"field_code": "EMAIL", "values": [{"value": "jane@example.test", "enum_code": "PRIV"}]}
        ]
    }])).await;
    let item = &created.hal()["_embedded"]["contacts"][0];
    assert_eq!(item["request_id"], "c1");
    let id = item["id"].as_i64().unwrap();
    let got = t.get(&format!("/api/v4/contacts/{id}")).await;
    let fields = got.hal()["custom_fields_values"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(fields[0]["field_code"], "PHONE");
    assert_eq!(fields[0]["field_type"], "multitext");
    assert_eq!(
        fields[0]["values"],
        json!([
            {"value": "+15550001111", "enum_id": 9003, "enum_code": "MOB"},
            {"value": "+15550002222", "enum_id": 9005, "enum_code": "HOME"}
        ]),
        "every value comes back with the kind it was written with"
    );
    assert_eq!(fields[1]["field_code"], "EMAIL");
    assert_eq!(fields[1]["values"][0]["enum_code"], "PRIV");
    let found = t.get("/api/v4/contacts?query=0002222").await;
    assert_eq!(found.hal()["_embedded"]["contacts"][0]["id"], json!(id));
    let patched = t
        .patch(
            &format!("/api/v4/contacts/{id}"),
            json!({"first_name": "Janet", "last_name": "C"}),
        )
        .await;
    assert_eq!(patched.hal()["name"], "Janet C");
    let list = t.get("/api/v4/contacts?query=janet").await;
    assert_eq!(list.hal()["_embedded"]["contacts"][0]["id"], id);
    t.get("/api/v4/contacts/424242").await.empty();
    t.get("/api/v4/contacts?filter[id]=424242").await.empty();
    let bad = t
        .post(
            "/api/v4/contacts",
            json!([{"custom_fields_values": [{"field_id": 1, "values": [{"value": "x"}]}]}]),
        )
        .await;
    assert_eq!(
        bad.validation(0),
        (
            "NotSupportedChoice".into(),
            "custom_fields_values.0.field_id".into()
        )
    );
    let many: Vec<Value> = (0..251).map(|i| json!({"name": format!("c{i}")})).collect();
    assert_eq!(
        t.post("/api/v4/contacts", json!(many)).await.problem(422)["detail"],
        "Limit 250 per page"
    );
    t.post("/api/v4/contacts", json!({"name": "not an array"}))
        .await
        .problem(400);
    t.patch("/api/v4/contacts/424242", json!({"name": "x"}))
        .await
        .problem(404);
    let unknown = t
        .patch("/api/v4/contacts", json!([{"id": 424242, "name": "x"}]))
        .await;
    assert_eq!(unknown.validation(0), ("NotFound".into(), "id".into()));
    assert_eq!(
        t.send("POST", "/api/v4/contacts", Some(&t.token.clone()), None)
            .await
            .problem(400)["detail"],
        "Request data can not be empty"
    );
}

#[tokio::test]
async fn leads_take_the_pipeline_of_their_source() {
    let t = T::start("accounts:\n  - pipelines:\n      - {id: 7001, name: Sales}\n      - {id: 7002, name: Support}\n").await;
    t.post(
        "/api/v4/sources",
        json!([{"name": "Support", "external_id": "support", "pipeline_id": 7002}]),
    )
    .await
    .hal();
    let c = t.post("/api/v4/contacts", json!([{"name": "Jane"}])).await;
    let contact = c.hal()["_embedded"]["contacts"][0]["id"].as_i64().unwrap();
    let created = t.post("/api/v4/leads", json!([
        {"name": "From support", "price": 100, "_embedded": {"source": {"external_id": "support", "type": "widget"}, "contacts": [{"id": contact}]}},
        {"name": "Plain"}
    ])).await;
    let items = created.hal()["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items[1]["request_id"], "1");
    let first = items[0]["id"].as_i64().unwrap();
    let lead = t
        .get(&format!("/api/v4/leads/{first}?with=contacts,source_id"))
        .await;
    let lead = lead.hal();
    assert_eq!(lead["pipeline_id"], 7002);
    assert_eq!(lead["status_id"], 70022);
    assert!(lead["source_id"].is_i64());
    assert_eq!(lead["_embedded"]["contacts"][0]["id"], contact);
    let plain = t.get(&format!("/api/v4/leads/{}", items[1]["id"])).await;
    assert_eq!(plain.hal()["pipeline_id"], 7001);
    assert!(plain.json.get("source_id").is_none());
    let with_leads = t
        .get(&format!("/api/v4/contacts/{contact}?with=leads"))
        .await;
    assert_eq!(with_leads.hal()["_embedded"]["leads"][0]["id"], first);

    let won = t
        .patch(&format!("/api/v4/leads/{first}"), json!({"status_id": 142}))
        .await;
    assert_eq!(won.hal()["id"], first);
    let bad = t
        .post(
            "/api/v4/leads",
            json!([{"status_id": 1}, {"_embedded": {"source": {"external_id": "nope"}}}]),
        )
        .await;
    assert_eq!(bad.validation(0).1, "status_id");
    assert_eq!(bad.validation(1).1, "_embedded.source.external_id");
    let many: Vec<Value> = (0..251).map(|_| json!({})).collect();
    t.post("/api/v4/leads", json!(many)).await.problem(422);
    let page = t.get("/api/v4/leads?limit=1&page=2").await;
    assert_eq!(page.hal()["_page"], 2);
    assert!(page.json["_links"]["prev"]["href"].is_string());
    t.get("/api/v4/leads?limit=1&page=9").await.empty();
    let newest = t.get("/api/v4/leads?order[id]=desc").await;
    assert_eq!(newest.hal()["_embedded"]["leads"][0]["id"], items[1]["id"]);
    t.get("/api/v4/leads?order[name]=asc").await.problem(400);
    t.patch("/api/v4/leads/1", json!({"name": "x"}))
        .await
        .problem(404);
    t.get("/api/v4/leads/1").await.empty();
}

#[tokio::test]
async fn complex_leads_bring_their_contact() {
    let t = T::start("").await;
    let made = t.post("/api/v4/leads/complex", json!([
        {"name": "Deal", "price": 10, "_embedded": {"contacts": [{"first_name": "Ann", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+1555"}]}]}]}},
        {"name": "Bare", "request_id": "b"}
    ])).await;
    let out = made.hal().as_array().unwrap().clone();
    assert_eq!(out[0]["request_id"], json!(["0"]));
    assert_eq!(out[0]["merged"], false);
    assert_eq!(out[1]["request_id"], json!(["b"]));
    assert_eq!(out[1]["contact_id"], Value::Null);
    let contact = out[0]["contact_id"].as_i64().unwrap();
    assert_eq!(
        t.get(&format!("/api/v4/contacts/{contact}")).await.hal()["custom_fields_values"][0]
            ["values"][0]["value"],
        "+1555"
    );
    let lead = t
        .get(&format!("/api/v4/leads/{}?with=contacts", out[0]["id"]))
        .await;
    assert_eq!(lead.hal()["_embedded"]["contacts"][0]["id"], contact);
    let again = t
        .post(
            "/api/v4/leads/complex",
            json!([{"_embedded": {"contacts": [{"id": contact}]}}]),
        )
        .await;
    assert_eq!(again.hal()[0]["contact_id"], contact);
    let with_company = t
        .post(
            "/api/v4/leads/complex",
            json!([{"_embedded": {"contacts": [{"id": contact}], "companies": [{"name": "Acme"}]}}]),
        )
        .await;
    let company = with_company.hal()[0]["company_id"].as_i64().unwrap();
    let c = t
        .get(&format!("/api/v4/companies/{company}?with=leads,contacts"))
        .await;
    assert_eq!(c.hal()["name"], "Acme");
    assert_eq!(
        c.json["_embedded"]["leads"][0]["id"],
        with_company.json[0]["id"]
    );
    assert_eq!(c.json["_embedded"]["contacts"][0]["id"], contact);

    let bad = t.post("/api/v4/leads/complex", json!([
        {"_embedded": {"contacts": [{"id": 1}, {"id": 2}]}},
        {"_embedded": {"contacts": [{"custom_fields_values": [{"field_code": "FAX", "values": []}]}]}},
        {"_embedded": {"metadata": {"category": "forms"}}},
        {"_embedded": {"companies": [{"id": 1}]}}
    ])).await;
    assert_eq!(bad.validation(0).1, "_embedded.contacts");
    assert_eq!(
        bad.validation(1).1,
        "_embedded.contacts.0.custom_fields_values.0.field_code"
    );
    assert_eq!(bad.validation(2).1, "_embedded.metadata");
    assert_eq!(bad.validation(3).1, "_embedded.companies.0.id");
    let many: Vec<Value> = (0..51).map(|_| json!({})).collect();
    t.post("/api/v4/leads/complex", json!(many))
        .await
        .problem(422);
}

#[tokio::test]
async fn isolated_accounts_get_their_own_token() {
    let t = T::start("").await;
    let creds = t
        .admin_post("/_sandbox/accounts", &json!({"label": "rest"}))
        .await;
    assert_eq!(creds.status, 201, "{}", creds.text);
    let creds = creds.json;
    let token = creds["api_token"].as_str().unwrap().to_string();
    assert_ne!(token, t.token);
    let account = t
        .send("GET", "/api/v4/account?with=amojo_id", Some(&token), None)
        .await;
    assert_eq!(account.hal()["amojo_id"], creds["amojo_account_id"]);
    t.post(
        "/api/v4/sources",
        json!([{"name": "Demo only", "external_id": "demo"}]),
    )
    .await
    .hal();
    t.send("GET", "/api/v4/sources", Some(&token), None)
        .await
        .empty();
}

#[tokio::test]
async fn account_answers_every_documented_with() {
    let t = T::start("").await;
    let a = t.get("/api/v4/account?with=amojo_id,amojo_rights,users_groups,task_types,version,entity_names,datetime_settings,drive_url,is_api_filter_enabled,invoices_settings").await;
    let a = a.hal();
    for key in [
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "uuid",
    ] {
        assert!(a.get(key).is_some(), "{key} missing: {a}");
    }
    assert_eq!(a["created_by"], a["current_user_id"]);
    assert_eq!(a["version"], 16);
    assert_eq!(a["is_api_filter_enabled"], true);
    assert!(a["drive_url"].as_str().unwrap().starts_with("http"));
    assert_eq!(
        a["entity_names"]["leads"]["en"]["singular_form"]["default"],
        "lead"
    );
    let e = &a["_embedded"];
    assert_eq!(e["amojo_rights"]["can_direct"], true);
    assert_eq!(e["users_groups"][0]["id"], 0);
    assert_eq!(e["task_types"][0]["code"], "FOLLOW_UP");
    assert_eq!(e["datetime_settings"]["timezone"], "UTC");
    let plain = t.get("/api/v4/account").await;
    assert!(plain.hal().get("_embedded").is_none());
    assert!(plain.hal().get("version").is_none());
}

#[tokio::test]
async fn pipeline_statuses_one_by_one() {
    let t = T::start("").await;
    let pipelines = t.get("/api/v4/leads/pipelines").await;
    let p = pipelines.hal()["_embedded"]["pipelines"][0].clone();
    let id = p["id"].as_i64().unwrap();
    let list = t
        .get(&format!("/api/v4/leads/pipelines/{id}/statuses"))
        .await;
    let statuses = list.hal()["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        statuses,
        p["_embedded"]["statuses"].as_array().unwrap().clone()
    );
    assert_eq!(list.json["_total_items"], 4);
    let won = t
        .get(&format!("/api/v4/leads/pipelines/{id}/statuses/142"))
        .await;
    assert_eq!(won.hal()["name"], "Closed - won");
    assert_eq!(won.json["pipeline_id"], id);
    t.get(&format!("/api/v4/leads/pipelines/{id}/statuses/1"))
        .await
        .empty();
    t.get("/api/v4/leads/pipelines/1/statuses").await.empty();
}

#[tokio::test]
async fn companies_and_links_between_leads_contacts_companies() {
    let t = T::start("").await;
    let made = t
        .post(
            "/api/v4/companies",
            json!([{"name": "Acme", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+1555"}]}]}, {"name": "Other"}]),
        )
        .await;
    let ids: Vec<i64> = made.hal()["_embedded"]["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let (acme, other) = (ids[0], ids[1]);
    let c = t.get(&format!("/api/v4/companies/{acme}")).await;
    assert_eq!(c.hal()["name"], "Acme");
    assert_eq!(c.json["custom_fields_values"][0]["field_code"], "PHONE");
    assert_eq!(
        t.get("/api/v4/companies?query=acme").await.hal()["_embedded"]["companies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let renamed = t
        .patch(
            &format!("/api/v4/companies/{acme}"),
            json!({"name": "Acme Inc"}),
        )
        .await;
    assert_eq!(renamed.hal()["name"], "Acme Inc");
    t.get("/api/v4/companies/1").await.empty();
    // A page past every record is empty, however large its number.
    t.get("/api/v4/companies?page=9223372036854775809")
        .await
        .empty();

    let contact = t
        .post("/api/v4/contacts", json!([{"name": "Ann"}]))
        .await
        .hal()["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let second = t
        .post("/api/v4/contacts", json!([{"name": "Bob"}]))
        .await
        .hal()["_embedded"]["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let lead = t
        .post("/api/v4/leads", json!([{"name": "Deal"}]))
        .await
        .hal()["_embedded"]["leads"][0]["id"]
        .as_i64()
        .unwrap();

    let linked = t
        .post(
            &format!("/api/v4/leads/{lead}/link"),
            json!([
                {"to_entity_id": contact, "to_entity_type": "contacts"},
                {"to_entity_id": second, "to_entity_type": "contacts", "metadata": {"is_main": true}},
                {"to_entity_id": acme, "to_entity_type": "companies"}
            ]),
        )
        .await;
    let shown = linked.hal()["_embedded"]["links"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shown[0]["entity_id"], lead);
    assert_eq!(shown[0]["entity_type"], "leads");
    assert_eq!(shown[0]["metadata"]["main_contact"], false);
    assert_eq!(shown[1]["metadata"]["main_contact"], true);
    assert_eq!(shown[2]["metadata"], Value::Null);

    let listed = t.get(&format!("/api/v4/leads/{lead}/links")).await;
    assert_eq!(listed.hal()["_total_items"], 3);
    assert_eq!(listed.json["_embedded"]["links"][0]["to_entity_id"], second);
    let l = t.get(&format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert_eq!(l.hal()["_embedded"]["companies"][0]["id"], acme);
    assert_eq!(l.json["_embedded"]["contacts"][0]["id"], second);
    assert_eq!(l.json["_embedded"]["contacts"][0]["is_main"], true);

    let by_company = t
        .get(&format!("/api/v4/companies/{acme}?with=leads,contacts"))
        .await;
    assert_eq!(by_company.hal()["_embedded"]["leads"][0]["id"], lead);
    assert_eq!(by_company.json["_embedded"]["contacts"], json!([]));
    t.post(
        "/api/v4/contacts/link",
        json!([{"entity_id": contact, "to_entity_id": other, "to_entity_type": "companies"}]),
    )
    .await
    .hal();
    let ann = t.get(&format!("/api/v4/contacts/{contact}")).await;
    assert_eq!(ann.hal()["_embedded"]["companies"][0]["id"], other);

    let mass = t
        .get(&format!(
            "/api/v4/leads/links?filter[entity_id][]={lead}&filter[to_entity_type]=companies"
        ))
        .await;
    assert_eq!(mass.hal()["_total_items"], 1);
    assert_eq!(mass.json["_embedded"]["links"][0]["entity_id"], lead);
    t.get("/api/v4/leads/links").await.problem(400);

    let gone = t
        .post(
            &format!("/api/v4/leads/{lead}/unlink"),
            json!([{"to_entity_id": second, "to_entity_type": "contacts"}, {"to_entity_id": acme, "to_entity_type": "companies"}]),
        )
        .await;
    assert_eq!(gone.status, 204);
    let left = t.get(&format!("/api/v4/leads/{lead}/links")).await;
    assert_eq!(left.hal()["_total_items"], 1);
    assert_eq!(left.json["_embedded"]["links"][0]["to_entity_id"], contact);

    let bad = t
        .post(
            &format!("/api/v4/contacts/{contact}/link"),
            json!([{"to_entity_id": lead, "to_entity_type": "leads"}, {"to_entity_id": 1, "to_entity_type": "companies"}]),
        )
        .await;
    assert_eq!(bad.validation(0).1, "to_entity_type");
    assert_eq!(bad.validation(1).1, "to_entity_id");
    assert_eq!(
        t.get(&format!("/api/v4/contacts/{contact}")).await.hal()["_embedded"]["companies"][0]
            ["id"],
        other,
        "a refused batch changes nothing"
    );
    t.post(
        "/api/v4/leads/1/link",
        json!([{"to_entity_id": contact, "to_entity_type": "contacts"}]),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn lead_tags_are_kept_and_listed() {
    let t = T::start("").await;
    let made = t
        .post(
            "/api/v4/leads",
            json!([{"name": "a", "_embedded": {"tags": [{"name": "vip"}]}}, {"name": "b", "tags_to_add": [{"name": "hot"}, {"name": "VIP"}]}]),
        )
        .await;
    let leads = made.hal()["_embedded"]["leads"].clone();
    let (a, b) = (
        leads[0]["id"].as_i64().unwrap(),
        leads[1]["id"].as_i64().unwrap(),
    );
    let names = |v: &Value| -> Vec<String> {
        v["_embedded"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(t.get(&format!("/api/v4/leads/{a}")).await.hal()),
        ["vip"]
    );
    assert_eq!(
        names(t.get(&format!("/api/v4/leads/{b}")).await.hal()),
        ["hot", "vip"],
        "one tag per name, whatever the case"
    );

    let listed = t.get("/api/v4/leads/tags").await;
    assert_eq!(
        listed.hal()["_embedded"]["tags"].as_array().unwrap().len(),
        2
    );
    let hot =
        t.get("/api/v4/leads/tags?query=ho").await.hal()["_embedded"]["tags"][0]["id"].clone();

    t.patch(
        &format!("/api/v4/leads/{b}"),
        json!({"tags_to_delete": [{"id": hot}]}),
    )
    .await
    .hal();
    assert_eq!(
        names(t.get(&format!("/api/v4/leads/{b}")).await.hal()),
        ["vip"]
    );
    t.patch(
        &format!("/api/v4/leads/{a}"),
        json!({"_embedded": {"tags": [{"id": hot}]}}),
    )
    .await
    .hal();
    assert_eq!(
        names(t.get(&format!("/api/v4/leads/{a}")).await.hal()),
        ["hot"]
    );

    let bad = t
        .patch(
            &format!("/api/v4/leads/{a}"),
            json!({"tags_to_add": [{"id": 1}]}),
        )
        .await;
    assert_eq!(
        bad.problem(400)["validation-errors"][0]["errors"][0]["path"],
        "tags_to_add.0.id"
    );
    assert_eq!(
        names(t.get(&format!("/api/v4/leads/{a}")).await.hal()),
        ["hot"],
        "refused whole"
    );

    let contact_tag = t
        .post(
            "/api/v4/contacts/tags",
            json!([{"name": "partner", "color": "DDEBB5"}]),
        )
        .await;
    assert_eq!(contact_tag.hal()["_embedded"]["tags"][0]["color"], "DDEBB5");
    assert_eq!(
        t.get("/api/v4/contacts/tags").await.hal()["_embedded"]["tags"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    t.get("/api/v4/companies/tags").await.empty();
}

#[tokio::test]
async fn notes_on_leads_and_contacts() {
    let t = T::start("").await;
    let lead = t
        .post("/api/v4/leads", json!([{"name": "Deal"}]))
        .await
        .hal()["_embedded"]["leads"][0]["id"]
        .as_i64()
        .unwrap();
    let added = t
        .post(
            "/api/v4/leads/notes",
            json!([{"entity_id": lead, "note_type": "common", "params": {"text": "called back"}}, {"entity_id": lead, "note_type": "call_in", "params": {"phone": "+1555", "duration": 60, "source": "voip", "uniq": "u1", "link": "https://x.test/r.mp3"}}]),
        )
        .await;
    let notes = added.hal()["_embedded"]["notes"].clone();
    assert_eq!(notes[0]["entity_id"], lead);
    let by_path = t
        .post(
            &format!("/api/v4/leads/{lead}/notes"),
            json!([{"note_type": "service_message", "params": {"service": "bot", "text": "hi"}}]),
        )
        .await;
    assert_eq!(by_path.hal()["_embedded"]["notes"][0]["entity_id"], lead);

    let listed = t.get(&format!("/api/v4/leads/{lead}/notes")).await;
    assert_eq!(
        listed.hal()["_embedded"]["notes"].as_array().unwrap().len(),
        3
    );
    let calls = t.get("/api/v4/leads/notes?filter[note_type]=call_in").await;
    let call = &calls.hal()["_embedded"]["notes"][0];
    assert_eq!(call["params"]["duration"], 60);
    let one = t.get(&format!("/api/v4/leads/notes/{}", call["id"])).await;
    assert_eq!(one.hal()["note_type"], "call_in");
    t.get("/api/v4/contacts/notes").await.empty();

    let bad = t
        .post("/api/v4/leads/notes", json!([{"entity_id": 1, "note_type": "common", "params": {"text": "x"}}, {"entity_id": lead, "note_type": "poem", "params": {}}, {"entity_id": lead, "note_type": "common", "params": {}}]))
        .await;
    assert_eq!(bad.validation(0).1, "entity_id");
    assert_eq!(bad.validation(1).1, "note_type");
    assert_eq!(bad.validation(2).1, "params.text");
    t.post(
        "/api/v4/leads/1/notes",
        json!([{"note_type": "common", "params": {"text": "x"}}]),
    )
    .await
    .problem(404);
    assert_eq!(
        t.get(&format!("/api/v4/leads/{lead}/notes")).await.hal()["_embedded"]["notes"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "nothing added by a refused batch"
    );
}

#[tokio::test]
async fn tasks_are_added_listed_and_completed() {
    let t = T::start("").await;
    let lead = t
        .post("/api/v4/leads", json!([{"name": "Deal"}]))
        .await
        .hal()["_embedded"]["leads"][0]["id"]
        .as_i64()
        .unwrap();
    let made = t
        .post("/api/v4/tasks", json!([{"text": "Call back", "complete_till": 1_700_000_000, "entity_type": "leads", "entity_id": lead, "task_type_id": 1}, {"text": "Free", "complete_till": 1_700_000_100}]))
        .await;
    let id = made.hal()["_embedded"]["tasks"][0]["id"].as_i64().unwrap();
    let listed = t
        .get(&format!(
            "/api/v4/tasks?filter[entity_type]=leads&filter[entity_id][]={lead}"
        ))
        .await;
    let tasks = listed.hal()["_embedded"]["tasks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["text"], "Call back");
    assert_eq!(tasks[0]["is_completed"], false);
    t.patch(
        &format!("/api/v4/tasks/{id}"),
        json!({"is_completed": true, "result": {"text": "done"}}),
    )
    .await
    .hal();
    let done = t.get(&format!("/api/v4/tasks/{id}")).await;
    assert_eq!(done.hal()["is_completed"], true);
    assert_eq!(done.json["result"]["text"], "done");
    assert_eq!(
        t.get("/api/v4/tasks?filter[is_completed]=0").await.hal()["_embedded"]["tasks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = t
        .post("/api/v4/tasks", json!([{"complete_till": 1}, {"text": "x", "complete_till": 1, "entity_type": "leads", "entity_id": 1}]))
        .await;
    assert_eq!(bad.validation(0).1, "text");
    assert_eq!(bad.validation(1).1, "entity_id");
    t.get("/api/v4/tasks/1").await.empty();
}

#[tokio::test]
async fn a_form_becomes_an_incoming_lead() {
    let t = T::start("").await;
    let form = json!([{
        "source_uid": "form-1", "source_name": "Site form", "created_at": 1_700_000_000,
        "metadata": {"form_id": "f1", "form_name": "Call me", "form_page": "https://site.test/", "ip": "203.0.113.9", "form_sent_at": 1_700_000_000},
        "_embedded": {"leads": [{"name": "From the site", "price": 5}], "contacts": [{"name": "Ann Form"}]}
    }]);
    let made = t.post("/api/v4/leads/unsorted/forms", form).await;
    let item = made.hal()["_embedded"]["unsorted"][0].clone();
    let uid = item["uid"].as_str().unwrap().to_string();
    let lead = item["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let listed = t.get("/api/v4/leads/unsorted?filter[category]=forms").await;
    let u = listed.hal()["_embedded"]["unsorted"][0].clone();
    assert_eq!(u["uid"], uid.as_str());
    assert_eq!(u["metadata"]["form_name"], "Call me");
    assert_eq!(u["source_name"], "Site form");
    assert!(
        t.get("/api/v4/contacts?query=Ann").await.status == 204,
        "the contact waits for the accept"
    );
    t.post(&format!("/api/v4/leads/unsorted/{uid}/accept"), json!({}))
        .await
        .hal();
    let l = t.get(&format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert_eq!(l.hal()["name"], "From the site");
    assert_eq!(
        l.json["_embedded"]["contacts"][0]["id"],
        item["_embedded"]["contacts"][0]["id"]
    );
    assert_eq!(
        t.get("/api/v4/contacts?query=Ann").await.hal()["_embedded"]["contacts"][0]["name"],
        "Ann Form"
    );

    let bad = t
        .post("/api/v4/leads/unsorted/forms", json!([{"source_name": "x", "metadata": {}}, {"source_uid": "u", "source_name": "x", "metadata": {}, "_embedded": {"leads": [{"price": "much"}]}}]))
        .await;
    assert_eq!(bad.validation(0).1, "source_uid");
    assert_eq!(bad.validation(1).1, "_embedded.leads.0.price");
}
