//! The integration under test as a child process: started with the sandbox's
//! URLs and the channel's credentials in its environment, its output kept
//! (the tail is shown when a scenario fails), killed when the scenario ends.

use super::model::Command as Cmd;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

const TAIL_BYTES: usize = 4000;

pub struct Process {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Process {
    pub fn spawn(command: &Cmd, env: &BTreeMap<String, String>) -> Result<Process, String> {
        let mut cmd = match command {
            Cmd::Shell(line) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(format!("exec {line}"));
                c
            }
            Cmd::Argv(argv) => {
                let (first, rest) = argv.split_first().ok_or("`command` is an empty list")?;
                let mut c = Command::new(first);
                c.args(rest);
                c
            }
        };
        cmd.envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // The integration runs with its user's huge-page setting, not ours.
        // (A `pre_exec` makes the spawn a fork: only when needed.)
        #[cfg(target_os = "linux")]
        if crate::memory::changed() {
            // SAFETY: the closure makes one async-signal-safe system call.
            unsafe {
                cmd.pre_exec(|| {
                    crate::memory::restore_in_child();
                    Ok(())
                });
            }
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, output.clone());
        }
        if let Some(err) = child.stderr.take() {
            collect(err, output.clone());
        }
        Ok(Process { child, output })
    }

    /// Whether it has exited, with its status.
    pub fn exited(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(|s| s.to_string())
    }

    pub fn output_tail(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn collect(stream: impl AsyncRead + Unpin + Send + 'static, sink: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
            if s.len() > TAIL_BYTES * 2 {
                let cut = s.len() - TAIL_BYTES;
                let cut = (cut..s.len())
                    .find(|&i| s.is_char_boundary(i))
                    .unwrap_or(cut);
                s.replace_range(..cut, "…");
            }
        }
    });
}

/// A free loopback port for the integration's listener. The OS may hand a
/// just-released port out again, so ports given to earlier scenarios of this
/// process are never repeated (two integrations on one port would answer
/// each other's readiness probes).
pub fn free_port() -> std::io::Result<u16> {
    static GIVEN: Mutex<Option<std::collections::HashSet<u16>>> = Mutex::new(None);
    for _ in 0..100 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut given = GIVEN.lock().unwrap();
        if given.get_or_insert_with(Default::default).insert(port) {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no fresh port after 100 tries"))
}
