//! The HTTP server: one listener on loopback serving every surface.

use crate::{admin, browser, chats_api, front, rest_v4, Sandbox};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const DEFAULT_PORT: u16 = 8787;

pub fn app(sandbox: Arc<Sandbox>) -> Router {
    let surfaces = Router::new()
        .merge(admin::router())
        .merge(rest_v4::router(sandbox.clone()))
        .merge(browser::router())
        .merge(crate::amojo_v1::router(sandbox.clone()))
        .route("/v2/origin/custom/{*rest}", any(chats_api::handle))
        .fallback(fallback)
        .with_state(sandbox.clone());
    // The front door runs before routing, so the path it normalizes is the
    // one routed.
    Router::new()
        .fallback_service(surfaces)
        .layer(axum::middleware::from_fn_with_state(sandbox, front::door))
}

async fn fallback(
    state: State<Arc<Sandbox>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if uri.path().starts_with("/v2/") {
        return chats_api::handle(state, method, uri, headers, body).await;
    }
    (StatusCode::NOT_FOUND, Json(json!({"error": format!("nothing at {}; GET /_sandbox/ lists what the sandbox serves", uri.path())}))).into_response()
}

/// A running sandbox server; dropping it does not stop it, `shutdown` does.
pub struct Server {
    pub addr: SocketAddr,
    pub sandbox: Arc<Sandbox>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }

    /// Serves until the process ends.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds `addr` for TLS at Kommo's hostnames (`serve --tls-port`); TLS must
/// be on ([`Sandbox::enable_tls`]). Serves in the background until the process ends.
pub async fn start_tls(sandbox: Arc<Sandbox>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let config = sandbox
        .tls()
        .ok_or_else(|| std::io::Error::other("TLS is off: no local CA"))?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    sandbox.set_tls_addr(addr);
    tokio::spawn(front::tls::serve_listener(sandbox, config, listener));
    Ok(addr)
}

/// Binds `addr` (port 0 = ephemeral) and serves in the background.
pub async fn start(sandbox: Arc<Sandbox>, addr: SocketAddr) -> std::io::Result<Server> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    sandbox.set_base_url(format!("http://{addr}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let app = app(sandbox.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(
            axum::serve::ListenerExt::tap_io(listener, |tcp| drop(tcp.set_nodelay(true))),
            app,
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(Server {
        addr,
        sandbox,
        stop: Some(stop),
        task,
    })
}
