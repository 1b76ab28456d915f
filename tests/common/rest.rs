//! REST v4: a bearer-token client over the sandbox, and a local HTTP server
//! that collects the account webhooks the sandbox delivers.

use super::{request, Resp, Sb, START};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use kommo_sandbox::config::Config;
use serde_json::Value;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Form bodies received: (content type, decoded pairs).
type Inbox = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// Frozen clock and a rate limit high enough for functional tests.
pub fn rest_yaml(extra: &str) -> String {
    format!("clock: \"{START}\"\nsettings:\n  rate_limit: 1000\n{extra}")
}

/// The sandbox as a REST v4 integration sees it: the credentials of the first
/// account's first channel, whose token the REST verbs here carry. Everything
/// else (Chats API, admin plane) is the `Sb`'s, through `Deref`; beware that
/// `send` and `post` here are REST calls, the signed ones are `t.sb.send`/`t.sb.post`.
pub struct T {
    pub sb: Sb,
    pub token: String,
    pub creds: Value,
}

impl Deref for T {
    type Target = Sb;

    fn deref(&self) -> &Sb {
        &self.sb
    }
}

impl T {
    /// The demo account with `extra_yaml` appended to `rest_yaml`.
    pub async fn start(extra_yaml: &str) -> T {
        T::of(Sb::start(&rest_yaml(extra_yaml)).await).await
    }

    pub async fn with(config: Config) -> T {
        T::of(Sb::with_config(config).await).await
    }

    /// Reads the credentials from the admin plane, as an integration's developer would.
    pub async fn of(sb: Sb) -> T {
        let accounts = sb.admin_json("/_sandbox/accounts").await;
        let creds = accounts["accounts"][0]["channels"][0].clone();
        // The channel `sb` signs Chats API calls for.
        assert_eq!(creds["channel_id"], sb.channel_id.as_str(), "{creds}");
        let token = creds["api_token"]
            .as_str()
            .expect("api_token in credentials")
            .to_string();
        T { sb, token, creds }
    }

    /// A REST call with any token (or none) and an optional JSON body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let url = format!("{}{path}", self.base);
        request(&self.http, method, &url, &headers, body).await
    }

    /// Access and refresh token from the `authorization_code` grant, as the
    /// OAuth flow gives them (the JSON of `POST /oauth2/access_token`).
    pub async fn oauth(&self) -> Value {
        let code = self
            .admin_post(
                &format!("/_sandbox/accounts/{}/oauth/code", self.account_id),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(code.status, 200, "{}", code.text);
        let body = serde_json::json!({"client_id": self.creds["client_id"], "client_secret": self.creds["client_secret"], "redirect_uri": "https://example.test/cb", "grant_type": "authorization_code", "code": code.json["code"]});
        let resp = self
            .send("POST", "/oauth2/access_token", None, Some(body))
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text);
        resp.json
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, Some(self.token.as_str()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(self.token.as_str()), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send("PATCH", path, Some(self.token.as_str()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Resp {
        self.send("DELETE", path, Some(self.token.as_str()), body)
            .await
    }
}

/// A local subscriber: records every form body it receives, at `/hooks`, and
/// answers 500 to those at `/fail`.
pub struct Subscriber {
    pub url: String,
    pub received: Inbox,
}

impl Subscriber {
    pub async fn start() -> Subscriber {
        let received: Inbox = Arc::default();
        let app = Router::new()
            .route("/hooks", post(take))
            .route(
                "/fail",
                post(
                    |State(r): State<Inbox>, h: HeaderMap, b: Bytes| async move {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            take(State(r), h, b).await,
                        )
                    },
                ),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Subscriber { url, received }
    }

    /// Waits until a body with `key` arrives (the sandbox delivers in the background).
    pub async fn wait_for(&self, key: &str) -> Vec<(String, String)> {
        for _ in 0..500 {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|(_, pairs)| pairs.iter().any(|(k, _)| k == key))
                .map(|(_, p)| p.clone());
            if let Some(p) = found {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "no account webhook with {key}; got {:?}",
            self.received.lock().unwrap()
        );
    }
}

async fn take(State(received): State<Inbox>, headers: HeaderMap, body: Bytes) -> &'static str {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let pairs = url::form_urlencoded::parse(&body).into_owned().collect();
    received.lock().unwrap().push((ct, pairs));
    "ok"
}

/// The value of `key` in a form body.
pub fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
}
