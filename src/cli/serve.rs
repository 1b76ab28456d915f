//! `kommo-sandbox serve`: start the sandbox on loopback.

use kommo_sandbox::admin::{credentials_of, Credentials};
use kommo_sandbox::config::Config;
use kommo_sandbox::front::LocalCa;
use kommo_sandbox::server::{self, DEFAULT_PORT};
use kommo_sandbox::signature::sign_request;
use kommo_sandbox::{clock, Sandbox};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Start the sandbox, ready at once with a demo account, channel and secret.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox serve                         # demo account on http://127.0.0.1:8787\n  kommo-sandbox serve --port 0                # ephemeral port; the address is printed\n  kommo-sandbox serve --config sandbox.yaml   # your accounts, channels, sources\n  kommo-sandbox serve --clock 'Thu, 16 Dec 2021 13:15:29 +0000' --seed 7\n  kommo-sandbox serve --widget ./my-widget    # then open /widget-host?widget=my-widget\n  kommo-sandbox serve --tls-port 8443         # TLS at Kommo's hostnames for a hosts-file setup\n  eval \"$(kommo-sandbox env)\"                # in another shell: proxy, CA and KOMMO_* variables"
)]
pub struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Address to bind; loopback by default.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// YAML file with accounts, users, channels, pipelines, sources and settings.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Freeze the clock at this time (RFC 2822 date or epoch seconds); move it with POST /_sandbox/clock.
    #[arg(long)]
    clock: Option<String>,
    /// Seed for generated ids and fake people.
    #[arg(long)]
    seed: Option<u64>,
    /// Journal entries kept (older ones are dropped).
    #[arg(long)]
    journal_cap: Option<usize>,
    /// A widget folder (manifest.json, script.js, i18n/) for the widget host; repeatable.
    /// Open it at /widget-host?widget=<folder name>.
    #[arg(long = "widget", value_name = "DIR")]
    widgets: Vec<PathBuf>,
    /// Also answer TLS on this port for Kommo's hostnames chosen by SNI, for a
    /// hosts-file setup (`127.0.0.1 amojo.kommo.com mysub.kommo.com`; 443 where allowed).
    #[arg(long, value_name = "PORT")]
    tls_port: Option<u16>,
    /// The sandbox's data directory: its local CA (`ca/ca.pem`) is made there on
    /// first use and kept. Default: $XDG_DATA_HOME/kommo-sandbox or ~/.local/share/kommo-sandbox.
    #[arg(long, value_name = "DIR", env = "KOMMO_SANDBOX_HOME")]
    home: Option<PathBuf>,
    /// Print only the listening line.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let mut config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    if let Some(c) = args.clock {
        clock::parse_time(&c).map_err(|e| format!("--clock: {e}"))?;
        config.clock = Some(c);
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if let Some(cap) = args.journal_cap {
        config.settings.journal_cap = cap;
    }
    let sandbox = Sandbox::new(config)?;
    let home = args.home.clone().unwrap_or_else(default_home);
    let ca = LocalCa::load_or_create(&home.join("ca")).map_err(|e| {
        format!(
            "the local CA in {}: {e} (set --home to a writable directory)",
            home.display()
        )
    })?;
    sandbox.enable_tls(ca)?;
    for dir in args.widgets {
        sandbox
            .widgets
            .add(dir)
            .map_err(|e| format!("--widget: {e}"))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    if !args.host.is_loopback() {
        eprintln!(
            "warning: --host {} answers every machine that can reach this one: channel secrets, tokens and the admin plane included. Use 127.0.0.1 unless that is what you want.",
            args.host
        );
    }
    runtime.block_on(async move {
        let server = server::start(sandbox.clone(), SocketAddr::new(args.host, args.port))
            .await
            .map_err(|e| {
                format!(
                    "cannot listen on {}:{}: {e} (try --port 0)",
                    args.host, args.port
                )
            })?;
        println!(
            "kommo-sandbox {} listening on {}",
            env!("CARGO_PKG_VERSION"),
            server.url()
        );
        if let Some(port) = args.tls_port {
            let addr = server::start_tls(sandbox.clone(), SocketAddr::new(args.host, port))
                .await
                .map_err(|e| format!("cannot listen on {}:{port} for TLS: {e}", args.host))?;
            println!("  TLS for Kommo's hostnames on {addr}");
        }
        if !args.quiet {
            print_banner(&sandbox);
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = server.wait() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
        Ok(())
    })
}

fn print_banner(sandbox: &Sandbox) {
    let creds: Vec<Credentials> = {
        let world = sandbox.world();
        let account = &world.accounts[0];
        credentials_of(&world, account, sandbox.base_url())
    };
    let Some(c) = creds.first() else { return };
    println!();
    println!("  amojo base URL    {}", c.amojo_base_url);
    println!("  channel id        {}", c.channel_id);
    println!("  channel code      {}", c.channel_code);
    println!("  channel secret    {}", c.secret);
    println!("  bot id            {} ({})", c.bot_id, c.bot_name);
    println!("  account id        {}", c.account_id);
    println!("  account amojo_id  {}", c.amojo_account_id);
    println!("  manager amojo_id  {}", c.manager_amojo_id);
    println!("  scope id          {}", c.scope_id);
    println!("  webhooks go to    {}", c.webhook_url);
    println!(
        "  REST v4 token     {} (Authorization: Bearer ...)",
        c.api_token
    );
    println!("  OAuth client      {} / {}", c.client_id, c.client_secret);
    println!("  state & journal   {}/_sandbox/", c.amojo_base_url);
    if let Some(ca) = sandbox.ca() {
        println!("  local CA          {}", ca.cert_path().display());
        println!(
            "  at Kommo's hosts  HTTPS_PROXY={} for https://amojo.kommo.com, https://{}.kommo.com (eval \"$(kommo-sandbox env)\")",
            sandbox.base_url(),
            account_subdomain(sandbox)
        );
    }
    println!();
    println!("Connect the channel (signed; valid for 15 minutes of the sandbox clock):");
    println!("{}", connect_curl(sandbox, c));
}

fn account_subdomain(sandbox: &Sandbox) -> String {
    sandbox.world().accounts[0].subdomain.clone()
}

/// `$XDG_DATA_HOME/kommo-sandbox`, else `~/.local/share/kommo-sandbox`.
fn default_home() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("XDG_DATA_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kommo-sandbox")
}

fn connect_curl(sandbox: &Sandbox, c: &Credentials) -> String {
    let path = format!("/v2/origin/custom/{}/connect", c.channel_id);
    let body = format!(
        r#"{{"account_id":"{}","title":"My integration","hook_api_version":"v2"}}"#,
        c.amojo_account_id
    );
    let date = clock::format_rfc2822(sandbox.clock.now_secs());
    let h = sign_request(&c.secret, "POST", &path, body.as_bytes(), &date);
    super::sign::curl_line("POST", &format!("{}{path}", c.amojo_base_url), &h, &body)
}
