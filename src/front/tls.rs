//! TLS at Kommo's hostnames: the proxy's tunnels and `serve --tls-port` share
//! one server config whose certificate is chosen by SNI.

use super::{LocalCa, OverTls};
use crate::Sandbox;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub fn server_config(ca: Arc<LocalCa>) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(ca);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Completes the handshake on `io` and serves the whole app over it.
pub async fn serve_connection<IO>(sb: Arc<Sandbox>, config: Arc<ServerConfig>, io: IO)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // A handshake that never finishes gets the header deadline, then is dropped.
    let deadline = Duration::from_secs(sb.settings.header_read_timeout);
    let accept = TlsAcceptor::from(config).accept(io);
    let Ok(Ok(stream)) = tokio::time::timeout(deadline, accept).await else {
        return;
    };
    let builder = builder(&sb);
    let app = crate::server::app(sb).layer(axum::Extension(OverTls));
    let service = TowerToHyperService::new(app);
    let _ = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await;
}

/// How every connection is served, plain or TLS: HTTP/1 with the header
/// deadline (`settings.header_read_timeout`), or HTTP/2.
pub fn builder(sb: &Sandbox) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(sb.settings.header_read_timeout));
    builder
}

/// `serve --tls-port`: TLS directly, for a hosts-file setup.
pub async fn serve_listener(sb: Arc<Sandbox>, config: Arc<ServerConfig>, listener: TcpListener) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_connection(sb.clone(), config.clone(), tcp));
    }
}
