//! The HTTP server: one listener on loopback serving every surface.

use crate::{admin, browser, chats_api, front, rest_v4, Sandbox};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
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
    let builder = front::tls::builder(&sandbox);
    let header_secs = sandbox.settings.header_read_timeout;
    let task = tokio::spawn(serve(listener, app, builder, header_secs, stopped));
    Ok(Server {
        addr,
        sandbox,
        stop: Some(stop),
        task,
    })
}

/// The accept loop: every connection with upgrades (the proxy's CONNECT) and
/// the header deadline ([`front::tls::builder`]); on `stop`, no new connections, and the open ones
/// finish what they are doing.
async fn serve(
    listener: TcpListener,
    app: Router,
    builder: hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    header_secs: u64,
    stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    let deadline = std::time::Duration::from_secs(header_secs);
    tokio::pin!(stop);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
            _ = &mut stop => break,
        };
        let _ = tcp.set_nodelay(true);
        let (app, builder, watcher) = (app.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // The header deadline only starts once a byte has come; a socket
            // that sends nothing gets the same time, then is closed.
            let first = tokio::time::timeout(deadline, tcp.peek(&mut [0u8; 1])).await;
            if !matches!(first, Ok(Ok(n)) if n > 0) {
                return;
            }
            let service = TowerToHyperService::new(app);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
            let _ = watcher.watch(conn.into_owned()).await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
