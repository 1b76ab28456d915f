//! Snapshots in insta's file format (`.snap` with a YAML header, pending
//! results in `.snap.new`) following insta's rules for `INSTA_UPDATE`, `CI`
//! and `INSTA_FORCE_PASS`, so `cargo insta review` works on them too.

use similar::TextDiff;
use std::path::{Path, PathBuf};

/// What `INSTA_UPDATE` asks for (insta `env.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Auto,
    Always,
    Unseen,
    New,
    No,
    Force,
}

/// Where a differing snapshot goes (insta `SnapshotUpdateBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    InPlace,
    NewFile,
    NoUpdate,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub update: Update,
    pub ci: bool,
    pub force_pass: bool,
}

impl Policy {
    /// Reads the environment exactly as insta does.
    pub fn from_env() -> Result<Policy, String> {
        Policy::from_vars(|k| std::env::var(k).ok())
    }

    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Policy, String> {
        let forced = get("INSTA_FORCE_UPDATE")
            .or_else(|| get("INSTA_FORCE_UPDATE_SNAPSHOTS"))
            .is_some_and(|v| v == "1");
        let update = match get("INSTA_UPDATE").as_deref() {
            _ if forced => Update::Force,
            None | Some("") | Some("auto") => Update::Auto,
            Some("always") | Some("1") => Update::Always,
            Some("unseen") => Update::Unseen,
            Some("new") => Update::New,
            Some("no") => Update::No,
            Some("force") => Update::Force,
            Some(other) => {
                return Err(format!(
                    "INSTA_UPDATE={other:?} is not one of auto, always, unseen, new, no, force"
                ))
            }
        };
        let ci = match get("CI").as_deref() {
            None => get("TF_BUILD").is_some(),
            Some("false") | Some("0") | Some("") => false,
            Some(_) => true,
        };
        Ok(Policy {
            update,
            ci,
            force_pass: get("INSTA_FORCE_PASS").is_some_and(|v| v == "1"),
        })
    }

    /// insta `snapshot_update_behavior`; `exists` = the `.snap` file exists.
    pub fn behavior(&self, exists: bool) -> Behavior {
        match self.update {
            Update::Always | Update::Force => Behavior::InPlace,
            Update::Auto if self.ci => Behavior::NoUpdate,
            Update::Auto | Update::New => Behavior::NewFile,
            Update::Unseen if exists => Behavior::NewFile,
            Update::Unseen => Behavior::InPlace,
            Update::No => Behavior::NoUpdate,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Matched,
    /// Written in place (counts as passing, as in insta).
    Updated(PathBuf),
    /// Differs or is missing; `diff` is printable, `pending` is the `.snap.new` if written.
    Differs {
        diff: String,
        pending: Option<PathBuf>,
        missing: bool,
    },
}

impl Outcome {
    pub fn passed(&self, policy: &Policy) -> bool {
        !matches!(self, Outcome::Differs { .. }) || policy.force_pass
    }
}

/// Where a scenario's snapshot lives. Under a `scenarios/` tree the project
/// keeps them together in the sibling `snapshots/` tree
/// (`scenarios/conformance/connect.yaml` → `snapshots/conformance/connect.snap`);
/// anywhere else, insta-style, in `snapshots/` beside the scenario file.
pub fn path_for(scenario: &Path, name: &str) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = scenario.parent().unwrap_or(Path::new("."));
    snapshot_dir(dir).join(format!("{slug}.snap"))
}

fn snapshot_dir(dir: &Path) -> PathBuf {
    let parts: Vec<_> = dir.components().collect();
    match parts.iter().rposition(|c| c.as_os_str() == "scenarios") {
        Some(i) => {
            let root: PathBuf = parts[..i].iter().collect();
            let below: PathBuf = parts[i + 1..].iter().collect();
            root.join("snapshots").join(below)
        }
        None => dir.join("snapshots"),
    }
}

pub fn serialize(source: &str, body: &str) -> String {
    format!(
        "---\nsource: {source}\nexpression: transcript\n---\n{}\n",
        body.trim_end()
    )
}

/// The body of a `.snap` file: everything after the second `---` line.
pub fn body_of(file: &str) -> String {
    let mut lines = file.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return file.to_string();
    }
    for l in lines.by_ref() {
        if l.trim_end() == "---" {
            break;
        }
    }
    lines.collect::<Vec<_>>().join("\n")
}

pub fn compare(path: &Path, source: &str, body: &str, policy: &Policy) -> std::io::Result<Outcome> {
    let existing = std::fs::read_to_string(path).ok();
    let new_path = pending_path(path);
    if let Some(old) = &existing {
        if body_of(old).trim_end() == body.trim_end() {
            if policy.update == Update::Force {
                std::fs::write(path, serialize(source, body))?;
            }
            let _ = std::fs::remove_file(&new_path);
            return Ok(Outcome::Matched);
        }
    }
    let old_body = existing.as_deref().map(body_of).unwrap_or_default();
    let diff = unified(&old_body, body);
    match policy.behavior(existing.is_some()) {
        Behavior::InPlace => {
            write(path, &serialize(source, body))?;
            let _ = std::fs::remove_file(&new_path);
            Ok(Outcome::Updated(path.to_path_buf()))
        }
        Behavior::NewFile => {
            write(&new_path, &serialize(source, body))?;
            Ok(Outcome::Differs {
                diff,
                pending: Some(new_path),
                missing: existing.is_none(),
            })
        }
        Behavior::NoUpdate => Ok(Outcome::Differs {
            diff,
            pending: None,
            missing: existing.is_none(),
        }),
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

pub fn pending_path(path: &Path) -> PathBuf {
    path.with_extension("snap.new")
}

/// A readable unified diff, old snapshot against the new transcript.
pub fn unified(old: &str, new: &str) -> String {
    let old = format!("{}\n", old.trim_end());
    let new = format!("{}\n", new.trim_end());
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "transcript")
        .to_string()
}

/// Pending `.snap.new` files under the given roots.
pub fn pending_under(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = vec![];
    for root in roots {
        collect(root, &mut out);
    }
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        if dir.to_string_lossy().ends_with(".snap.new") {
            out.push(dir.to_path_buf());
        }
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        collect(&e.path(), out);
    }
}

/// Moves a pending snapshot over its `.snap`.
pub fn accept(pending: &Path) -> std::io::Result<PathBuf> {
    let target = PathBuf::from(pending.to_string_lossy().trim_end_matches(".new"));
    std::fs::rename(pending, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(vars: &[(&str, &str)]) -> Policy {
        Policy::from_vars(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn project_scenarios_keep_snapshots_in_the_top_level_tree() {
        assert_eq!(
            path_for(Path::new("scenarios/conformance/connect.yaml"), "connect"),
            PathBuf::from("snapshots/conformance/connect.snap")
        );
        assert_eq!(
            path_for(Path::new("/repo/scenarios/a.yaml"), "a b"),
            PathBuf::from("/repo/snapshots/a_b.snap")
        );
        assert_eq!(
            path_for(Path::new("/tmp/x/flow.yaml"), "flow"),
            PathBuf::from("/tmp/x/snapshots/flow.snap")
        );
    }

    #[test]
    fn env_rules_follow_insta() {
        assert_eq!(policy(&[]).behavior(true), Behavior::NewFile);
        assert_eq!(policy(&[("CI", "true")]).behavior(true), Behavior::NoUpdate);
        assert_eq!(policy(&[("CI", "false")]).behavior(true), Behavior::NewFile);
        assert_eq!(policy(&[("CI", "0")]).behavior(true), Behavior::NewFile);
        assert_eq!(
            policy(&[("TF_BUILD", "x")]).behavior(true),
            Behavior::NoUpdate
        );
        assert_eq!(
            policy(&[("INSTA_UPDATE", "always"), ("CI", "1")]).behavior(true),
            Behavior::InPlace
        );
        assert_eq!(
            policy(&[("INSTA_UPDATE", "no")]).behavior(false),
            Behavior::NoUpdate
        );
        assert_eq!(
            policy(&[("INSTA_UPDATE", "unseen")]).behavior(false),
            Behavior::InPlace
        );
        assert_eq!(
            policy(&[("INSTA_UPDATE", "unseen")]).behavior(true),
            Behavior::NewFile
        );
        assert_eq!(policy(&[("INSTA_FORCE_UPDATE", "1")]).update, Update::Force);
        assert!(policy(&[("INSTA_FORCE_PASS", "1")]).force_pass);
        assert!(
            Policy::from_vars(|k| (k == "INSTA_UPDATE").then(|| "sometimes".to_string())).is_err()
        );
    }

    #[test]
    fn pending_then_accept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshots/a.snap");
        let p = policy(&[("CI", "false")]);
        let out = compare(&path, "a.yaml", "x: 1\n", &p).unwrap();
        let Outcome::Differs {
            pending: Some(ref pending),
            missing: true,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        assert!(!out.passed(&p));
        let text = std::fs::read_to_string(pending).unwrap();
        assert_eq!(
            text,
            "---\nsource: a.yaml\nexpression: transcript\n---\nx: 1\n"
        );
        accept(pending).unwrap();
        assert_eq!(
            compare(&path, "a.yaml", "x: 1", &p).unwrap(),
            Outcome::Matched
        );
        let Outcome::Differs { diff, .. } = compare(&path, "a.yaml", "x: 2\n", &p).unwrap() else {
            panic!()
        };
        assert!(diff.contains("-x: 1") && diff.contains("+x: 2"), "{diff}");
        assert_eq!(pending_under(&[dir.path().to_path_buf()]).len(), 1);
    }
}
