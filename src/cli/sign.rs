//! `kommo-sandbox sign`: the four amojo headers for any request, to reproduce a signed call by hand.

use kommo_sandbox::clock;
use kommo_sandbox::config::DEMO_SECRET;
use kommo_sandbox::signature::{sign_request, string_to_sign, SignedHeaders};
use std::path::PathBuf;

/// Print the Date, Content-Type, Content-MD5 and X-Signature headers for a Chats API request.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox sign --path /v2/origin/custom/344a5002-f8ca-454d-af3d-396180102ac7/connect \\\n      --body '{\"account_id\":\"52e591f7-c98f-4255-8495-827210138c81\",\"title\":\"ChatsIntegration\",\"hook_api_version\":\"v2\"}' \\\n      --date 'Wed, 15 Dec 2021 23:12:55 +0000'\n  kommo-sandbox sign --method GET --path /v2/origin/custom/SCOPE/chats/CHAT/history --curl\n  kommo-sandbox sign --path /v2/origin/custom/SCOPE --body-file message.json --secret $SECRET --curl"
)]
pub struct Args {
    /// HTTP method.
    #[arg(long, short = 'X', default_value = "POST")]
    method: String,
    /// Request path (a query string is left out of the signature).
    #[arg(long)]
    path: String,
    /// Request body, byte for byte as it will be sent.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body from a file (bytes as they are, trailing newline included).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// Channel secret (the demo channel's by default).
    #[arg(long, default_value = DEMO_SECRET)]
    secret: String,
    /// Date header (RFC 2822); now by default.
    #[arg(long)]
    date: Option<String>,
    /// Print a full curl command instead of the headers.
    #[arg(long)]
    curl: bool,
    /// Base URL for --curl.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    base_url: String,
    /// Also print the string that was signed.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone().into_bytes(),
        (None, Some(f)) => {
            std::fs::read(f).map_err(|e| format!("--body-file {}: {e}", f.display()))?
        }
        (None, None) => vec![],
    };
    let date = args
        .date
        .clone()
        .unwrap_or_else(|| clock::format_rfc2822(clock::Clock::real().now_secs()));
    if clock::parse_rfc2822(&date).is_none() {
        return Err(format!(
            "--date {date:?} is not an RFC 2822 date such as 'Thu, 16 Dec 2021 13:15:29 +0000'"
        ));
    }
    let h = sign_request(&args.secret, &args.method, &args.path, &body, &date);
    if args.verbose {
        let text = string_to_sign(
            &args.method,
            &h.content_md5,
            &h.content_type,
            &h.date,
            &args.path,
        );
        eprintln!("string to sign:\n{text}\n");
    }
    if args.curl {
        let url = format!("{}{}", args.base_url.trim_end_matches('/'), args.path);
        println!(
            "{}",
            curl_line(
                &args.method.to_uppercase(),
                &url,
                &h,
                &String::from_utf8_lossy(&body)
            )
        );
    } else {
        for (name, value) in h.pairs() {
            println!("{name}: {value}");
        }
    }
    Ok(())
}

/// A copy-pasteable curl command with single-quoted arguments.
pub fn curl_line(method: &str, url: &str, h: &SignedHeaders, body: &str) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!("curl -sS -X {method} {}", q(url));
    for (name, value) in h.pairs() {
        line.push_str(&format!(" \\\n  -H {}", q(&format!("{name}: {value}"))));
    }
    if !body.is_empty() {
        line.push_str(&format!(" \\\n  --data-binary {}", q(body)));
    }
    line
}
