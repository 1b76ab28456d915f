//! Stub endpoints for the integration's messenger side: one loopback server
//! per run, `/{scenario key}/{stub name}/...`, answering as configured and
//! recording every request for `expect: stub`.

use super::model::Stub;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Registry {
    configs: HashMap<String, BTreeMap<String, Stub>>,
    seen: HashMap<String, Vec<Value>>,
}

/// The running stub server.
#[derive(Clone)]
pub struct Stubs {
    pub base_url: String,
    registry: Arc<Mutex<Registry>>,
}

impl Stubs {
    pub async fn start() -> std::io::Result<Stubs> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let registry = Arc::new(Mutex::new(Registry::default()));
        let app = Router::new()
            .route("/{key}/{name}", any(serve_root))
            .route("/{key}/{name}/{*rest}", any(serve))
            .with_state(registry.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Stubs { base_url, registry })
    }

    /// Registers a scenario's stubs; returns name → URL.
    pub fn register(&self, key: &str, stubs: &BTreeMap<String, Stub>) -> BTreeMap<String, String> {
        let mut r = self.registry.lock().unwrap();
        r.configs.insert(key.to_string(), stubs.clone());
        r.seen.insert(key.to_string(), vec![]);
        stubs
            .keys()
            .map(|n| (n.clone(), format!("{}/{key}/{n}", self.base_url)))
            .collect()
    }

    pub fn requests(&self, key: &str) -> Vec<Value> {
        self.registry
            .lock()
            .unwrap()
            .seen
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    pub fn forget(&self, key: &str) {
        let mut r = self.registry.lock().unwrap();
        r.configs.remove(key);
        r.seen.remove(key);
    }
}

type Shared = State<Arc<Mutex<Registry>>>;

async fn serve_root(
    state: Shared,
    Path((key, name)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        state,
        key,
        name,
        "/".to_string(),
        method,
        uri,
        headers,
        body,
    )
    .await
}

async fn serve(
    state: Shared,
    Path((key, name, rest)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        state,
        key,
        name,
        format!("/{rest}"),
        method,
        uri,
        headers,
        body,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn answer(
    State(reg): Shared,
    key: String,
    name: String,
    path: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = {
        let mut r = reg.lock().unwrap();
        let Some(config) = r.configs.get(&key).and_then(|c| c.get(&name)).cloned() else {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"error": format!("no stub {name} for this scenario")})),
            )
                .into_response();
        };
        let text = String::from_utf8_lossy(&body).into_owned();
        let parsed = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
        let hdrs: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or(""))))
            .collect();
        let record = json!({"stub": name, "method": method.as_str(), "path": path, "query": uri.query().unwrap_or(""), "headers": hdrs, "body": parsed});
        r.seen.entry(key).or_default().push(record);
        config
    };
    if let Some(d) = config.delay {
        tokio::time::sleep(d.duration()).await;
    }
    let status = StatusCode::from_u16(config.status).unwrap_or(StatusCode::OK);
    (status, Json(config.body.unwrap_or(json!({"ok": true})))).into_response()
}
