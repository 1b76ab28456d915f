//! `kommo-sandbox say`: act as a Kommo manager from a terminal against a running sandbox.

use serde_json::{json, Value};

/// Write to a client as a Kommo manager (or the channel bot), send a template, write first, type, react or close a talk.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  kommo-sandbox say \"Hi, how can I help?\"                  # manager text in the newest chat\n  kommo-sandbox say --chat CHAT_ID --bot \"Our bot here\"\n  kommo-sandbox say --kind picture --media http://127.0.0.1:9000/p.png --file-name p.png --file-size 2048\n  kommo-sandbox say --template 'Hi {{contact.name}}, lead {{lead.id}} is ready'\n  kommo-sandbox say --write-first +15550001111 \"We have news for you\"\n  kommo-sandbox say --typing\n  kommo-sandbox say --react MESSAGE_ID --emoji 👍\n  kommo-sandbox say --close-talk"
)]
pub struct Args {
    /// The text to send.
    text: Vec<String>,
    /// Sandbox URL.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8787",
        env = "KOMMO_SANDBOX_URL"
    )]
    url: String,
    /// Account amojo_id (default: the first account).
    #[arg(long)]
    account: Option<String>,
    /// Chat id (sandbox UUID; default: the account's newest chat).
    #[arg(long)]
    chat: Option<String>,
    /// Kommo user id of the manager (default: the first user).
    #[arg(long)]
    user: Option<i64>,
    /// Send as the channel bot.
    #[arg(long)]
    bot: bool,
    /// Message type: text, picture, file, video, voice, audio, sticker.
    #[arg(long, default_value = "text")]
    kind: String,
    #[arg(long)]
    media: Option<String>,
    #[arg(long)]
    file_name: Option<String>,
    #[arg(long)]
    file_size: Option<i64>,
    /// Inline buttons, comma-separated labels.
    #[arg(long)]
    buttons: Option<String>,
    /// Quote this message id.
    #[arg(long)]
    reply_to: Option<String>,
    /// Send a template with this content (placeholders like {{contact.name}} are filled).
    #[arg(long)]
    template: Option<String>,
    /// Send the stored template with this id.
    #[arg(long)]
    template_id: Option<i64>,
    /// Write first to this phone number.
    #[arg(long)]
    write_first: Option<String>,
    /// Show the manager as typing.
    #[arg(long)]
    typing: bool,
    /// React to this message id (with --emoji).
    #[arg(long)]
    react: Option<String>,
    #[arg(long)]
    emoji: Option<String>,
    /// Remove your reaction from this message id.
    #[arg(long)]
    unreact: Option<String>,
    /// Close the chat's talk.
    #[arg(long)]
    close_talk: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let base = args.url.trim_end_matches('/').to_string();
        let account = match &args.account {
            Some(a) => a.clone(),
            None => first_account(&base).await?,
        };
        let (action, body) = action(&args, &base, &account).await?;
        let url = format!("{base}/_sandbox/accounts/{account}/actions/{action}");
        let resp = reqwest::Client::new()
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the sandbox at {base}: {e}"))?;
        let ok = resp.status().is_success();
        let out: Value = resp.json().await.unwrap_or(Value::Null);
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        if ok {
            Ok(())
        } else {
            Err(out["error"].as_str().unwrap_or("refused").to_string())
        }
    })
}

async fn action(args: &Args, base: &str, account: &str) -> Result<(&'static str, Value), String> {
    let text = args.text.join(" ");
    if let Some(phone) = &args.write_first {
        return Ok((
            "write_first",
            json!({"phone": phone, "text": text, "user_id": args.user}),
        ));
    }
    if let Some(id) = &args.react {
        return Ok((
            "reaction",
            json!({"message_id": id, "emoji": args.emoji, "user_id": args.user}),
        ));
    }
    if let Some(id) = &args.unreact {
        return Ok((
            "reaction",
            json!({"message_id": id, "type": "unreact", "user_id": args.user}),
        ));
    }
    let chat = match &args.chat {
        Some(c) => c.clone(),
        None => newest_chat(base, account).await?,
    };
    if args.typing {
        return Ok(("typing", json!({"chat_id": chat, "user_id": args.user})));
    }
    if args.close_talk {
        return Ok(("close_talk", json!({"chat_id": chat})));
    }
    let author = if args.bot { "bot" } else { "manager" };
    if let Some(id) = args.template_id {
        return Ok((
            "template",
            json!({"chat_id": chat, "template_id": id, "user_id": args.user, "author": author}),
        ));
    }
    if let Some(content) = &args.template {
        return Ok((
            "template",
            json!({"chat_id": chat, "template": {"content": content}, "user_id": args.user, "author": author}),
        ));
    }
    let mut body =
        json!({"chat_id": chat, "author": author, "type": args.kind, "user_id": args.user});
    if !text.is_empty() {
        body["text"] = json!(text);
    }
    for (key, value) in [
        ("media", &args.media),
        ("file_name", &args.file_name),
        ("reply_to", &args.reply_to),
    ] {
        if let Some(v) = value {
            body[key] = json!(v);
        }
    }
    if let Some(size) = args.file_size {
        body["file_size"] = json!(size);
    }
    if let Some(labels) = &args.buttons {
        let row: Vec<Value> = labels
            .split(',')
            .map(|l| json!({"text": l.trim()}))
            .collect();
        body["markup"] = json!({"mode": "inline", "buttons": [row]});
    }
    Ok(("message", body))
}

async fn get(url: &str) -> Result<Value, String> {
    let resp = reqwest::get(url).await.map_err(|e| {
        format!("cannot reach the sandbox: {e} (is `kommo-sandbox serve` running? set --url)")
    })?;
    resp.json().await.map_err(|e| e.to_string())
}

async fn first_account(base: &str) -> Result<String, String> {
    let v = get(&format!("{base}/_sandbox/accounts")).await?;
    v["accounts"][0]["amojo_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the sandbox has no accounts".into())
}

async fn newest_chat(base: &str, account: &str) -> Result<String, String> {
    let v = get(&format!("{base}/_sandbox/accounts/{account}")).await?;
    let chats = v["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["conversations"].as_array().cloned().unwrap_or_default());
    chats
        .max_by_key(|c| c["created_at"].as_i64().unwrap_or(0))
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .ok_or_else(|| {
            "no chat yet: a client must write first, or pass --chat / use --write-first".into()
        })
}
