//! Ingestion benchmark: pre-signed unique `new_message` requests against the
//! sandbox (journal on), compared with a plain hyper hello-world server that
//! reads the same request bodies; plus startup-to-ready and idle RSS of the binary.
//!
//! Run: `cargo bench --bench ingest` (release build). Knobs (env):
//! `BENCH_CONNECTIONS` (32), `BENCH_REQUESTS` (requests per target, 60000),
//! `BENCH_SERVER_THREADS` (2), `BENCH_CLIENT_THREADS` (2), `BENCH_JOURNAL_CAP`, `BENCH_SKIP_HELLO`, `BENCH_HUGE_PAGES`, `BENCH_HANDLER_ONLY`
//! (with `BENCH_HANDLER_REQUESTS`, 20000).

// The same allocator as the binary (src/main.rs), and `main` turns huge
// pages off as it does, so the in-process server measured here is the one
// `serve` runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use kommo_sandbox::clock::format_rfc2822;
use kommo_sandbox::config::Config;
use kommo_sandbox::signature::sign_request;
use kommo_sandbox::{server, Sandbox};
use serde_json::json;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const START: &str = "Thu, 16 Dec 2021 13:15:29 +0000";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runtime(name: &str, threads: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap()
}

/// One pre-built request: path, headers, body.
#[derive(Clone)]
struct Prepared {
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

struct Stats {
    requests: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    errors: usize,
    /// CPU seconds this process used during the run (client and server together).
    cpu_secs: f64,
}

/// utime + stime of this process, in seconds.
fn cpu_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .zip(fields.get(12))
        .map(|(u, s)| u.parse::<f64>().unwrap_or(0.0) + s.parse::<f64>().unwrap_or(0.0))
        .unwrap_or(0.0);
    ticks / 100.0
}

impl Stats {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&self, p: f64) -> f64 {
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

async fn hello_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    // Read the body like the sandbox does, so both see the same bytes.
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"Hello, World!",
                    ))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// 32 keep-alive connections, each sending its share of `requests` back to back.
async fn load(
    addr: SocketAddr,
    requests: Arc<Vec<Prepared>>,
    connections: usize,
    expect: u16,
) -> Stats {
    let started = Instant::now();
    let cpu_before = cpu_time();
    let mut tasks = vec![];
    for c in 0..connections {
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut latencies = vec![];
            let mut errors = 0;
            for r in requests.iter().skip(c).step_by(connections) {
                let mut builder = Request::builder()
                    .method("POST")
                    .uri(r.path.as_str())
                    .header("host", addr.to_string());
                for (k, v) in &r.headers {
                    builder = builder.header(*k, v.as_str());
                }
                let req = builder.body(Full::new(r.body.clone())).unwrap();
                let t = Instant::now();
                sender.ready().await.unwrap();
                let resp = sender.send_request(req).await.unwrap();
                let status = resp.status().as_u16();
                let _ = resp.into_body().collect().await.unwrap();
                latencies.push(t.elapsed().as_micros() as u64);
                if status != expect {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies_us = vec![];
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies_us.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Stats {
        requests: latencies_us.len(),
        elapsed,
        latencies_us,
        errors,
        cpu_secs: cpu_time() - cpu_before,
    }
}

/// Unique incoming messages, one conversation per connection, signed at the frozen clock.
fn sandbox_requests(secret: &str, scope_id: &str, n: usize, connections: usize) -> Vec<Prepared> {
    let path = format!("/v2/origin/custom/{scope_id}");
    (0..n)
        .map(|i| {
            let conv = i % connections;
            let body = json!({"event_type": "new_message", "payload": {
                "timestamp": 1_639_660_529, "msec_timestamp": 1_639_660_529_000i64 + i as i64,
                "msgid": format!("bench-{i}"), "conversation_id": format!("bench-chat-{conv}"),
                "sender": {"id": format!("bench-user-{conv}"), "name": "Bench Client", "profile": {"phone": "+15550001111"}},
                "message": {"type": "text", "text": format!("message number {i} from the load generator")},
                "silent": false
            }})
            .to_string();
            signed(secret, path.clone(), body)
        })
        .collect()
}

/// A POST signed with `secret` at the frozen clock.
fn signed(secret: &str, path: String, body: String) -> Prepared {
    let h = sign_request(secret, "POST", &path, body.as_bytes(), START);
    let headers = h.pairs().iter().map(|(k, v)| (*k, v.to_string())).collect();
    Prepared {
        path,
        headers,
        body: Bytes::from(body),
    }
}

/// The seeded channel's secret and id, and the account's amojo id.
fn demo_credentials(sandbox: &Sandbox) -> (String, String, String) {
    let w = sandbox.world();
    (
        w.channels[0].secret.clone(),
        w.channels[0].id.clone(),
        w.accounts[0].amojo_id.clone(),
    )
}

/// Connects the demo channel to the demo account (v2 hooks).
fn connect_request(secret: &str, channel: &str, account: &str) -> Prepared {
    let body = json!({"account_id": account, "hook_api_version": "v2"}).to_string();
    signed(secret, format!("/v2/origin/custom/{channel}/connect"), body)
}

fn report(name: &str, s: &Stats) {
    println!(
        "{name:<16} {:>8} req  {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  errors {}  cpu {:.0} us/req ({:.2} cores busy)",
        s.requests,
        s.rps(),
        s.pct(0.50),
        s.pct(0.99),
        *s.latencies_us.last().unwrap() as f64 / 1000.0,
        s.errors,
        s.cpu_secs * 1e6 / s.requests as f64,
        s.cpu_secs / s.elapsed.as_secs_f64()
    );
}

fn throughput(connections: usize, requests: usize) {
    let server_rt = runtime("server", env_or("BENCH_SERVER_THREADS", 2));
    let client_rt = runtime("client", env_or("BENCH_CLIENT_THREADS", 2));

    // hello world
    let hello = server_rt.block_on(hello_server());
    let hello_reqs: Arc<Vec<Prepared>> = Arc::new({
        let mut v = sandbox_requests(
            "0000000000000000000000000000000000000000",
            "x_y",
            requests,
            connections,
        );
        v.iter_mut().for_each(|r| r.path = "/".into());
        v
    });
    // BENCH_SKIP_HELLO=1 measures the sandbox alone (for profiling).
    let skip_hello = std::env::var("BENCH_SKIP_HELLO").is_ok();
    let hello_reqs = if skip_hello {
        Arc::new(hello_reqs[..100].to_vec())
    } else {
        hello_reqs
    };
    client_rt.block_on(load(
        hello,
        Arc::new(hello_reqs[..requests.min(5_000).min(hello_reqs.len())].to_vec()),
        connections,
        200,
    )); // warm-up
    let hello_stats = client_rt.block_on(load(hello, hello_reqs, connections, 200));

    // sandbox, journal on (default cap)
    // BENCH_JOURNAL_CAP=0 measures without the journal (default: the default cap, journal on).
    let cap = std::env::var("BENCH_JOURNAL_CAP")
        .map(|c| format!("settings:\n  journal_cap: {c}\n"))
        .unwrap_or_default();
    let config = Config::parse(&format!("clock: \"{START}\"\n{cap}"), "bench.yaml").unwrap();
    let sandbox = Sandbox::new(config).unwrap();
    let (secret, channel, account) = demo_credentials(&sandbox);
    assert_eq!(format_rfc2822(sandbox.clock.now_secs()), START);
    let srv = server_rt
        .block_on(server::start(
            sandbox.clone(),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let connect = connect_request(&secret, &channel, &account);
    let c = client_rt.block_on(load(srv.addr, Arc::new(vec![connect]), 1, 200));
    assert_eq!(c.errors, 0, "connect failed");
    let scope_id = format!("{channel}_{account}");
    let warm: Vec<Prepared> = sandbox_requests(
        &secret,
        &scope_id,
        requests + requests.min(5_000),
        connections,
    );
    let (warm, measured) = warm.split_at(requests.min(5_000));
    // Warm-up messages use their own msgids (the first block), so the measured ones are all new.
    client_rt.block_on(load(srv.addr, Arc::new(warm.to_vec()), connections, 200));
    let sandbox_stats = client_rt.block_on(load(
        srv.addr,
        Arc::new(measured.to_vec()),
        connections,
        200,
    ));
    assert_eq!(sandbox_stats.errors, 0, "every message must be accepted");
    let journal = sandbox.journal.len();
    let messages = sandbox
        .world()
        .scopes
        .first()
        .map_or(0, |s| s.messages.len());

    println!("\n== ingestion: {connections} keep-alive connections, loopback, client and server in one process ==");
    report("hello-world", &hello_stats);
    report("sandbox ingest", &sandbox_stats);
    println!(
        "ratio sandbox/hello-world: {:.0}%",
        100.0 * sandbox_stats.rps() / hello_stats.rps()
    );
    println!(
        "sandbox after the run: {messages} messages stored, {journal} journal entries kept, process RSS {:.0} MB",
        rss_kb(std::process::id()) as f64 / 1024.0
    );
}

/// The handler alone, no sockets: one thread calls `chats_api::handle` for
/// every message; the best of several rounds filters out other processes.
fn handler_only(requests: usize, journal_cap: Option<usize>) -> f64 {
    use axum::extract::State;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cap = journal_cap
        .map(|c| format!("settings:\n  journal_cap: {c}\n"))
        .unwrap_or_default();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let sandbox = Sandbox::new(
            Config::parse(&format!("clock: \"{START}\"\n{cap}"), "bench.yaml").unwrap(),
        )
        .unwrap();
        let (secret, channel, account) = demo_credentials(&sandbox);
        let call = |r: &Prepared| {
            let mut headers = axum::http::HeaderMap::new();
            for (k, v) in &r.headers {
                headers.insert(*k, v.parse().unwrap());
            }
            kommo_sandbox::chats_api::handle(
                State(sandbox.clone()),
                axum::http::Method::POST,
                r.path.parse().unwrap(),
                headers,
                axum::body::Body::from(r.body.clone()),
            )
        };
        let connect = connect_request(&secret, &channel, &account);
        assert_eq!(rt.block_on(call(&connect)).status(), 200);
        let reqs = sandbox_requests(&secret, &format!("{channel}_{account}"), requests, 32);
        let t = Instant::now();
        for r in &reqs {
            let resp = rt.block_on(call(r));
            assert_eq!(resp.status(), 200);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / requests as f64);
    }
    best
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn health_ok(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.write_all(
        format!("GET /_sandbox/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

/// Spawn `serve --port 0`, time until the listening line and a 200 from /_sandbox/health.
fn startup(runs: usize) {
    let bin = env!("CARGO_BIN_EXE_kommo-sandbox");
    let mut times = vec![];
    let mut rss = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--port", "0", "--quiet"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        while !health_ok(&addr) {}
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(500));
        rss.push(rss_kb(child.id()));
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rss.sort_unstable();
    println!("\n== binary ({runs} runs) ==");
    println!("startup-to-ready (spawn -> listening line -> /_sandbox/health 200): median {:.1} ms, max {:.1} ms", times[runs / 2], times[runs - 1]);
    println!(
        "idle RSS 0.5 s after ready: median {:.1} MB, max {:.1} MB",
        rss[runs / 2] as f64 / 1024.0,
        rss[runs - 1] as f64 / 1024.0
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it in test mode: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let connections = env_or("BENCH_CONNECTIONS", 32);
    let requests = if quick {
        2_000
    } else {
        env_or("BENCH_REQUESTS", 60_000)
    };
    println!(
        "machine: {} CPUs visible",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let handler_alone = std::env::var("BENCH_HANDLER_ONLY").is_ok();
    if !handler_alone {
        // First, while this process is small and has huge pages as a shell
        // has them: children inherit the setting, and the binary is measured
        // as a user starts it.
        startup(if quick { 2 } else { 15 });
    }
    // Then as the binary runs. BENCH_HUGE_PAGES=1 keeps them on, to see what
    // they cost (README).
    if std::env::var("BENCH_HUGE_PAGES").is_err() {
        kommo_sandbox::memory::disable_huge_pages();
    }
    if handler_alone {
        let on = handler_only(env_or("BENCH_HANDLER_REQUESTS", 20_000), None);
        let off = handler_only(env_or("BENCH_HANDLER_REQUESTS", 20_000), Some(0));
        println!("handler alone, one thread, best of 5: {on:.1} us/message with the journal, {off:.1} us without");
        return;
    }
    throughput(connections, requests);
}
