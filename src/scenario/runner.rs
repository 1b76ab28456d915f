//! Runs scenarios: one in-process sandbox and one stub server per run, each
//! scenario in its own account, `--jobs` at a time, with `--filter` and
//! `--shard K/N`; prints live progress and the closing `N passed, N failed`.

use super::browser_pool::BrowserPool;
use super::execute::run_one;
use super::load::{load, LoadError, Loaded};
use super::model::Command;
use super::report::{self, ScenarioResult};
use super::snapshot::Policy;
use super::stubs::Stubs;
use crate::config::Config;
use crate::server;
use crate::Sandbox;
use futures::StreamExt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    pub filter: Option<String>,
    /// (k, n): run the k-th of n slices, 1-based.
    pub shard: Option<(usize, usize)>,
    /// Overrides every scenario's `integration.command`.
    pub command: Option<Command>,
    /// Overrides every scenario's `integration.url`.
    pub url: Option<String>,
    pub snapshots: bool,
    /// Port of the in-process sandbox (0 = any); fix it for an integration started by hand (`--url`).
    pub port: u16,
    /// Print progress and results to stderr/stdout.
    pub print: bool,
    /// Where reports go; failing browser steps leave screenshots in `<dir>/screenshots` (default target/kommo-sandbox).
    pub report_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 4,
            filter: None,
            shard: None,
            command: None,
            url: None,
            snapshots: true,
            port: 0,
            print: false,
            report_dir: None,
        }
    }
}

/// What every scenario of a run shares.
pub struct Shared {
    pub sandbox: Arc<Sandbox>,
    pub sandbox_url: String,
    pub client: reqwest::Client,
    pub stubs: Stubs,
    pub options: Options,
    pub snapshot_policy: Policy,
    /// Kept so the sandbox lives as long as the run.
    pub server: server::Server,
    /// Chromium and the open pages, for browser steps.
    pub browser: BrowserPool,
}

pub struct Summary {
    pub results: Vec<ScenarioResult>,
    pub load_errors: Vec<LoadError>,
    pub seconds: f64,
}

impl Summary {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed() + usize::from(!self.load_errors.is_empty())
    }
}

/// Scenario files under the paths: `.yaml`, `.yml`, `.json`; directories
/// named `fixtures` or `snapshots` and files starting with `_` are shared, not run.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = vec![];
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else {
            walk(p, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "fixtures" && name != "snapshots" && !name.starts_with('.') {
                walk(&path, out);
            }
        } else if !name.starts_with('_')
            && [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x))
        {
            out.push(path);
        }
    }
}

/// Loads every file; returns the scenarios selected by filter and shard.
pub fn select(files: &[PathBuf], options: &Options) -> (Vec<Loaded>, Vec<LoadError>) {
    let mut loaded = vec![];
    let mut errors = vec![];
    for f in files {
        match load(f) {
            Ok(l) => loaded.push(l),
            Err(e) => errors.extend(e),
        }
    }
    if let Some(filter) = &options.filter {
        let re = regex::Regex::new(filter).ok();
        loaded.retain(|l| {
            let hay = format!(
                "{} {} {}",
                l.name,
                l.path.display(),
                l.scenario.tags.join(" ")
            );
            re.as_ref()
                .map_or(hay.contains(filter.as_str()), |r| r.is_match(&hay))
        });
    }
    if let Some((k, n)) = options.shard {
        loaded = loaded
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, l)| l)
            .collect();
    }
    (loaded, errors)
}

pub async fn start_shared(options: Options) -> Result<Shared, String> {
    let sandbox = Sandbox::new(Config::default())?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], options.port));
    let server = server::start(sandbox.clone(), addr)
        .await
        .map_err(|e| format!("cannot start the sandbox: {e}"))?;
    let sandbox_url = server.url();
    let stubs = Stubs::start()
        .await
        .map_err(|e| format!("cannot start the stub server: {e}"))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .map_err(|e| e.to_string())?;
    let browser = BrowserPool::new(options.report_dir.clone());
    Ok(Shared {
        sandbox,
        sandbox_url,
        client,
        stubs,
        snapshot_policy: Policy::from_env()?,
        options,
        server,
        browser,
    })
}

/// Runs the selected scenarios and returns every result.
pub async fn run(paths: &[PathBuf], options: Options) -> Result<Summary, String> {
    let started = Instant::now();
    let (scenarios, load_errors) = select(&discover(paths), &options);
    if options.print {
        for e in &load_errors {
            eprintln!("{e}");
        }
    }
    let shared = start_shared(options).await?;
    let results = run_loaded(&shared, &scenarios).await;
    Ok(Summary {
        results,
        load_errors,
        seconds: started.elapsed().as_secs_f64(),
    })
}

pub async fn run_loaded(shared: &Shared, scenarios: &[Loaded]) -> Vec<ScenarioResult> {
    let total = scenarios.len();
    let tty = shared.options.print && std::io::stderr().is_terminal();
    let jobs = shared.options.jobs.max(1);
    let mut done = 0;
    let mut results = vec![];
    if tty && total > 0 {
        eprint!("[0/{total}] running…");
    }
    let mut stream = futures::stream::iter(
        scenarios
            .iter()
            .enumerate()
            .map(|(i, l)| run_one(shared, l, i)),
    )
    .buffer_unordered(jobs);
    while let Some(r) = stream.next().await {
        done += 1;
        if shared.options.print {
            if tty {
                eprint!("\r\x1b[2K");
            }
            print!("{}", report::terminal(&r));
            if tty && done < total {
                eprint!("[{done}/{total}] running…");
            }
        }
        results.push(r);
    }
    let order: Vec<&PathBuf> = scenarios.iter().map(|l| &l.path).collect();
    results.sort_by_key(|r| {
        order
            .iter()
            .position(|p| **p == r.path)
            .unwrap_or(usize::MAX)
    });
    results
}

pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text.split_once('/').ok_or("--shard is K/N, e.g. 1/3")?;
    let k: usize = k.trim().parse().map_err(|_| "--shard K must be a number")?;
    let n: usize = n.trim().parse().map_err(|_| "--shard N must be a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("--shard {text}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_scenarios_but_not_fixtures_and_filters_and_shards() {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, t: &str| {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        };
        w("a.yaml", "name: alpha\ntags: [smoke]\nsteps: [{log: a}]\n");
        w("b.yml", "name: beta\nsteps: [{log: b}]\n");
        w(
            "sub/c.json",
            r#"{"name": "gamma", "steps": [{"log": "c"}]}"#,
        );
        w("fixtures/f.yaml", "- log: shared\n");
        w("_draft.yaml", "not: a scenario\n");
        w("snapshots/a.snap", "---\n");
        let files = discover(&[dir.path().to_path_buf()]);
        assert_eq!(files.len(), 3, "{files:?}");
        let names = |o: &Options| {
            select(&files, o)
                .0
                .into_iter()
                .map(|l| l.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&Options {
                filter: Some("smoke".into()),
                ..Options::default()
            }),
            ["alpha"]
        );
        assert_eq!(
            names(&Options {
                filter: Some("^(beta|gamma)".into()),
                ..Options::default()
            }),
            ["beta", "gamma"]
        );
        assert_eq!(
            names(&Options {
                shard: Some((2, 2)),
                ..Options::default()
            }),
            ["beta"]
        );
    }

    #[test]
    fn shards() {
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("x").is_err());
    }
}
