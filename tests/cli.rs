//! The real binary: `serve` prints a working banner (and runs without huge
//! pages), `sign` reproduces the documented vector, a bad config is located
//! in its file, and every subcommand's help carries examples.

use kommo_sandbox::config::{DEMO_ACCOUNT_AMOJO_ID, DEMO_CHANNEL_ID, DEMO_SECRET};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_kommo-sandbox");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills the server when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Undoes the single quoting of `curl_line`: 'it'\''s' -> it's.
fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or_else(|| panic!("not single-quoted: {s}"));
    s.replace(r"'\''", "'")
}

struct Curl {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn parse_curl(lines: &[String]) -> Curl {
    let first = lines[0].trim_end_matches('\\').trim();
    let rest = first
        .strip_prefix("curl -sS -X ")
        .unwrap_or_else(|| panic!("curl line: {first}"));
    let (method, url) = rest.split_once(' ').unwrap();
    let mut curl = Curl {
        method: method.to_string(),
        url: unquote(url),
        headers: vec![],
        body: String::new(),
    };
    for line in &lines[1..] {
        let line = line.trim().trim_end_matches('\\').trim();
        if let Some(h) = line.strip_prefix("-H ") {
            let h = unquote(h);
            let (k, v) = h.split_once(": ").unwrap();
            curl.headers.push((k.to_string(), v.to_string()));
        } else if let Some(b) = line.strip_prefix("--data-binary ") {
            curl.body = unquote(b);
        }
    }
    curl
}

#[tokio::test]
async fn serve_prints_the_address_the_credentials_and_a_working_signed_curl() {
    let child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    // Lines are read on their own thread so that a banner without the curl
    // command fails the test instead of hanging it (the server never exits).
    let out = BufReader::new(server.0.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut lines: Vec<String> = vec![];
    // Up to the end of the curl command (its last line carries the body).
    loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| {
                panic!(
                    "no end of the curl command ({e}); stdout so far:\n{}",
                    lines.join("\n")
                )
            });
        let done = line.trim_start().starts_with("--data-binary");
        lines.push(line);
        if done {
            break;
        }
    }
    let first = &lines[0];
    let base = first
        .split(" listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("first line names the address: {first}"))
        .to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );

    let banner = lines.join("\n");
    let scope = format!("{DEMO_CHANNEL_ID}_{DEMO_ACCOUNT_AMOJO_ID}");
    for (label, value) in [
        ("channel id", DEMO_CHANNEL_ID),
        ("channel secret", DEMO_SECRET),
        ("account amojo_id", DEMO_ACCOUNT_AMOJO_ID),
        ("scope id", scope.as_str()),
    ] {
        let line = lines
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` line in:\n{banner}"));
        assert!(line.ends_with(value), "{line}");
    }
    assert!(banner.contains(&format!("{base}/_sandbox/")));

    let start = lines
        .iter()
        .position(|l| l.starts_with("curl "))
        .expect("a curl command");
    let curl = parse_curl(&lines[start..]);
    assert_eq!(curl.method, "POST");
    assert_eq!(
        curl.url,
        format!("{base}/v2/origin/custom/{DEMO_CHANNEL_ID}/connect")
    );
    let names: Vec<&str> = curl.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["Date", "Content-Type", "Content-MD5", "X-Signature"]
    );

    let http = reqwest::Client::new();
    let mut req = http.post(&curl.url).body(curl.body.clone());
    for (k, v) in &curl.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "the printed curl connects: {body}");
    assert_eq!(body["scope_id"], serde_json::json!(scope));

    let health = http
        .get(format!("{base}/_sandbox/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    // Huge pages stall the growing state (src/memory.rs): the server runs
    // without them, where the kernel reports the setting (Linux 5.0 on).
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.0.id()));
    if let Some(line) = status
        .iter()
        .flat_map(|s| s.lines())
        .find(|l| l.starts_with("THP_enabled:"))
    {
        assert_eq!(
            line.split_whitespace().nth(1),
            Some("0"),
            "transparent huge pages are still on: {line}"
        );
    }
}

#[test]
fn sign_reproduces_vector_1() {
    let body = r#"{"account_id":"52e591f7-c98f-4255-8495-827210138c81","title":"ChatsIntegration","hook_api_version":"v2"}"#;
    let path = "/v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/connect";
    let date = "Wed, 15 Dec 2021 23:12:55 +0000";
    let out = run(&["sign", "--path", path, "--body", body, "--date", date]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("Date: {date}\nContent-Type: application/json\nContent-MD5: 2fbcb3c652b61e24e004daddfc73d0ce\nX-Signature: 81211856ce0c5095f3e1a90c0a38dc9d736cfd55\n")
    );

    // The same from a file, as a curl command, and with the string to sign shown.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, body).unwrap();
    let out = run(&[
        "sign",
        "--path",
        path,
        "--body-file",
        file.to_str().unwrap(),
        "--date",
        date,
        "--curl",
        "--verbose",
        "--base-url",
        "http://127.0.0.1:9999/",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("curl -sS -X POST 'http://127.0.0.1:9999{path}'")),
        "{stdout}"
    );
    assert!(stdout.contains("X-Signature: 81211856ce0c5095f3e1a90c0a38dc9d736cfd55"));
    assert!(text(&out.stderr).contains(&format!(
        "POST\n2fbcb3c652b61e24e004daddfc73d0ce\napplication/json\n{date}\n{path}"
    )));

    let out = run(&["sign", "--path", path, "--date", "yesterday"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("RFC 2822"));
}

#[test]
fn a_bad_config_is_located_in_its_file_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad-uuid.yaml",
            "channels:\n  - id: not-a-uuid\n",
            ":2:9:",
            "is not a UUID",
        ),
        (
            "typo.yaml",
            "accounts: []\nchanels: []\n",
            ":2:",
            "channels",
        ),
        (
            "wrong-type.yaml",
            "settings:\n  journal_cap: lots\n",
            ":2:16:",
            "journal_cap",
        ),
    ];
    for (name, yaml, location, words) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, yaml).unwrap();
        let out = run(&["serve", "--port", "0", "--config", path.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{name} must not start");
        assert!(
            err.contains(&format!("{}{location}", path.display())),
            "{name}: file:line:col expected ({location}) in:\n{err}"
        );
        assert!(err.contains("hint: "), "{name}: a hint in:\n{err}");
        assert!(err.contains(words), "{name}: {words:?} in:\n{err}");
        assert!(out.stdout.is_empty(), "{name}: nothing served");
    }
    let out = run(&[
        "serve",
        "--port",
        "0",
        "--config",
        dir.path().join("missing.yaml").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("missing.yaml"));
}

/// Subcommand names from the top-level help's "Commands:" section.
fn subcommands() -> Vec<String> {
    let out = run(&["--help"]);
    let help = text(&out.stdout);
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_help_has_examples() {
    let top = run(&["--help"]);
    assert!(top.status.success());
    assert!(text(&top.stdout).contains("Examples"));
    let commands = subcommands();
    assert!(
        commands.contains(&"serve".to_string()) && commands.contains(&"sign".to_string()),
        "{commands:?}"
    );
    for command in commands {
        let out = run(&[&command, "--help"]);
        assert!(
            out.status.success(),
            "{command} --help: {}",
            text(&out.stderr)
        );
        let help = text(&out.stdout);
        assert!(
            help.contains("Examples"),
            "{command} --help has no examples:\n{help}"
        );
        assert!(
            help.contains(&format!("kommo-sandbox {command}")),
            "{command}'s examples use it:\n{help}"
        );
    }
}

/// `serve` with its own data directory; the listening lines it printed.
fn serve_tls(home: &std::path::Path) -> (Running, String, u16) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--tls-port", "0", "--quiet"])
        .env("KOMMO_SANDBOX_HOME", home)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    let second = lines.next().unwrap().unwrap();
    let tls_port = second.rsplit(':').next().unwrap().trim().parse().unwrap();
    (Running(child), url, tls_port)
}

/// What `kommo-sandbox env` exports, as pairs.
fn env_of(url: &str) -> Vec<(String, String)> {
    let out = run(&["env", "--url", url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), unquote(v))
        })
        .collect()
}

fn with_env(program: &str, env: &[(String, String)]) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c
}

fn var<'a>(env: &'a [(String, String)], key: &str) -> &'a str {
    &env.iter().find(|(k, _)| k == key).unwrap().1
}

#[test]
fn clients_reach_kommo_hostnames_with_only_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let (server, url, tls_port) = serve_tls(home.path());
    let env = env_of(&url);
    assert_eq!(var(&env, "HTTPS_PROXY"), url);
    let ca = var(&env, "SSL_CERT_FILE").to_string();
    assert!(ca.starts_with(home.path().to_str().unwrap()), "{ca}");

    // A Python process using the standard library: connect, a message, the account.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/drop_in_client.py"
    );
    let out = with_env("python3", &env).arg(script).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("account sandbox"), "{stdout}");
    assert!(
        stdout.contains("https://sandbox.kommo.com/api/v4/account"),
        "{stdout}"
    );

    // curl through the proxy, at the account's host: REST v4 as Kommo's.
    let token = format!("Authorization: Bearer {}", var(&env, "KOMMO_ACCESS_TOKEN"));
    let curl = |args: &[&str]| {
        with_env("curl", &env)
            .args(["-sS"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = curl(&["-H", &token, "https://sandbox.kommo.com//api/v4/account"]);
    assert!(
        text(&out.stdout).contains("\"subdomain\":\"sandbox\""),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // An account that does not exist, and a host that is not Kommo's.
    let out = curl(&[
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        "-H",
        &token,
        "https://nosuch.kommo.com/api/v4/account",
    ]);
    assert_eq!(text(&out.stdout), "404");
    let out = curl(&["-v", "https://example.com/"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("403"), "{}", text(&out.stderr));
    let out = curl(&["-x", &url, "http://example.com/"]);
    assert!(
        text(&out.stdout).contains("is not a Kommo host"),
        "{}",
        text(&out.stdout)
    );
    // Plain HTTP in absolute form to a Kommo host is served too.
    let out = curl(&[
        "-x",
        &url,
        "-H",
        &token,
        "http://sandbox.kommo.com/api/v4/account",
    ]);
    assert!(
        text(&out.stdout).contains("\"subdomain\":\"sandbox\""),
        "{}",
        text(&out.stdout)
    );

    // The TLS port, for a hosts-file setup: the surface chosen by SNI and Host.
    let resolve = format!("amojo.kommo.com:{tls_port}:127.0.0.1");
    let out = Command::new("curl")
        .args([
            "-sS",
            "--noproxy",
            "*",
            "--cacert",
            &ca,
            "--resolve",
            &resolve,
        ])
        .arg(format!("https://amojo.kommo.com:{tls_port}/api/v4/account"))
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("\"error_code\":404"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    drop(server);

    // The CA is kept: a restart serves leaves of the same CA.
    let pem = std::fs::read_to_string(&ca).unwrap();
    let (_server, url, _) = serve_tls(home.path());
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), pem);
    let env = env_of(&url);
    let out = with_env("curl", &env)
        .args([
            "-sS",
            "-H",
            &format!("Authorization: Bearer {}", var(&env, "KOMMO_ACCESS_TOKEN")),
        ])
        .arg("https://sandbox.kommo.com/api/v4/account")
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("\"subdomain\":\"sandbox\""),
        "{}",
        text(&out.stderr)
    );
}

/// `serve` with `HTTP_PROXY` set in its environment still sends account
/// webhooks straight to a subscriber on 127.0.0.1: the proxy sees nothing.
#[tokio::test]
async fn webhooks_to_loopback_ignore_the_shells_proxy() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = Arc::new(AtomicUsize::new(0));
    let p = proxied.clone();
    tokio::spawn(async move {
        while let Ok(_conn) = proxy.accept().await {
            p.fetch_add(1, SeqCst);
        }
    });
    let received = Arc::new(AtomicUsize::new(0));
    let r = received.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move || {
            r.fetch_add(1, SeqCst);
            async { "ok" }
        }),
    );
    let subscriber = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let destination = format!("http://{}/hooks", subscriber.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(subscriber, app).await.unwrap() });

    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--quiet"])
        .env("KOMMO_SANDBOX_HOME", home.path())
        .envs(["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"].map(|k| (k, &proxy_url)))
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let first = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let _server = Running(child);
    let base = first.rsplit(' ').next().unwrap().to_string();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let accounts: serde_json::Value = http
        .get(format!("{base}/_sandbox/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = accounts["accounts"][0]["channels"][0]["api_token"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, body) in [
        (
            "/api/v4/webhooks",
            serde_json::json!({"destination": destination, "settings": ["add_contact"]}),
        ),
        ("/api/v4/contacts", serde_json::json!([{"name": "Jane"}])),
    ] {
        let r = http
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
    for _ in 0..1000 {
        if received.load(SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(received.load(SeqCst), 1, "the subscriber got the event");
    assert_eq!(proxied.load(SeqCst), 0, "nothing went through the proxy");
}
