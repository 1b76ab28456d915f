//! `kommo-sandbox env`: the `export` lines that point a shell's programs at a
//! running sandbox, as `minikube docker-env` does for Docker.

/// Print the environment that sends an integration's calls to Kommo's hostnames to the sandbox.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  eval \"$(kommo-sandbox env)\"                 # then run your integration unchanged\n  kommo-sandbox env --account sandbox1         # another account's credentials\n  kommo-sandbox env --json                     # the same as JSON\n  kommo-sandbox env --unset                    # lines that undo it\n\nThe proxy serves amojo.kommo.com, amojo.amocrm.ru, amojo.amocrm.com, *.kommo.com,\n*.amocrm.ru and *.amocrm.com with certificates of the sandbox's local CA and refuses\nevery other host; NO_PROXY keeps loopback direct."
)]
pub struct Args {
    /// Sandbox URL.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8787",
        env = "KOMMO_SANDBOX_URL"
    )]
    url: String,
    /// The account (amojo id or subdomain) whose credentials go into KOMMO_*; default the first.
    #[arg(long)]
    account: Option<String>,
    /// Print the JSON the sandbox answered instead of shell lines.
    #[arg(long)]
    json: bool,
    /// Print `unset` lines for every variable instead.
    #[arg(long)]
    unset: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let answer = runtime.block_on(fetch(&args))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        return Ok(());
    }
    for pair in answer["variables"].as_array().into_iter().flatten() {
        let (Some(key), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
            continue;
        };
        if args.unset {
            println!("unset {key}");
        } else {
            println!("export {key}={}", quote(value));
        }
    }
    if !args.unset {
        println!("# Run this command to configure your shell:");
        println!("# eval \"$(kommo-sandbox env)\"");
    }
    Ok(())
}

async fn fetch(args: &Args) -> Result<serde_json::Value, String> {
    let base = args.url.trim_end_matches('/');
    let mut url = format!("{base}/_sandbox/env");
    if let Some(account) = &args.account {
        url = format!(
            "{url}?account={}",
            url::form_urlencoded::byte_serialize(account.as_bytes()).collect::<String>()
        );
    }
    // The sandbox is on loopback: never through a proxy a previous `env` set.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client.get(&url).send().await.map_err(|e| {
        format!(
            "cannot reach the sandbox at {base}: {e} (is `kommo-sandbox serve` running? set --url)"
        )
    })?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "{url}: {status}: {}",
            body["error"].as_str().unwrap_or("")
        ));
    }
    Ok(body)
}

/// Single quotes for a POSIX shell.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
