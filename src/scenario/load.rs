//! Loading scenario files: YAML (or JSON), includes expanded with cycle
//! detection, and every error reported with file, line, column and a hint.

use super::model::{Origin, Scenario, Step, Stub};
use super::validate;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one file, printed as `file:line:col: message` plus a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// A scenario ready to run: includes expanded, defaults filled.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub name: String,
    pub scenario: Scenario,
}

/// A shared fixture: a bare list of steps, or steps with vars and stubs.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Fragment {
    Steps(Vec<Step>),
    File(FragmentFile),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FragmentFile {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    vars: BTreeMap<String, Value>,
    #[serde(default)]
    stubs: BTreeMap<String, Stub>,
    steps: Vec<Step>,
}

/// Loads one scenario file with its includes; `Err` carries every problem found.
pub fn load(path: &Path) -> Result<Loaded, Vec<LoadError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![at(&file, 0, 0, format!("cannot read: {e}"), None)])?;
    let mut scenario: Scenario = parse_whole(&file, &text)?;
    let lines = step_lines(&text);
    for (i, step) in scenario.steps.iter_mut().enumerate() {
        step.origin = Origin {
            file: file.clone(),
            line: lines.get(i).copied().unwrap_or(0),
        };
    }
    let mut errors = vec![];
    let mut stack = vec![canonical(path)];
    let steps = std::mem::take(&mut scenario.steps);
    scenario.steps = expand(
        steps,
        path,
        &mut stack,
        &mut scenario.vars,
        &mut scenario.stubs,
        &mut errors,
    );
    errors.extend(validate::scenario(&scenario, &file, &text));
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = scenario.name.clone().unwrap_or_else(|| stem(path));
    Ok(Loaded {
        path: path.to_path_buf(),
        name,
        scenario,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

pub(crate) fn at(
    file: &str,
    line: usize,
    column: usize,
    message: String,
    hint: Option<String>,
) -> LoadError {
    LoadError {
        file: file.to_string(),
        line,
        column,
        message,
        hint,
    }
}

/// Parses a whole file; on failure also parses each step on its own so that
/// every broken step is reported, not only the first.
fn parse_whole<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, Vec<LoadError>> {
    match serde_yaml::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut errors = vec![yaml_error(file, &first, 0)];
            for e in per_step_errors(file, text) {
                if !errors
                    .iter()
                    .any(|x| x.line == e.line && x.column == e.column)
                {
                    errors.push(e);
                }
            }
            Err(errors)
        }
    }
}

fn per_step_errors(file: &str, text: &str) -> Vec<LoadError> {
    let all: Vec<&str> = text.lines().collect();
    let starts = step_lines(text);
    let mut out = vec![];
    for (i, &start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .map(|n| n - 1)
            .unwrap_or_else(|| block_end(&all, start));
        let slice = all[start - 1..end].join("\n");
        if let Err(e) = serde_yaml::from_str::<Vec<Step>>(&slice) {
            let mut err = yaml_error(file, &e, start - 1);
            // The slice is a one-item list; name the step as in the whole file.
            if let Some(rest) = err
                .message
                .strip_prefix(".[0]")
                .or_else(|| err.message.strip_prefix("[0]"))
            {
                err.message = format!("steps[{i}]{rest}");
            }
            out.push(err);
        }
    }
    out
}

/// End (1-based, inclusive) of the block of the last step: up to the next less-indented key.
fn block_end(lines: &[&str], start: usize) -> usize {
    let indent = indent_of(lines[start - 1]);
    let mut end = start;
    for (i, l) in lines.iter().enumerate().skip(start) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent_of(l) < indent || (indent_of(l) == indent && !t.starts_with('-')) {
            break;
        }
        end = i + 1;
    }
    end
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// 1-based line numbers of the items of the top-level `steps:` list (or of a
/// top-level list); a text heuristic, enough to point messages at a step.
pub fn step_lines(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("steps:"))
        .map(|i| i + 1)
        .unwrap_or(0);
    let mut out = vec![];
    let mut indent = None;
    for (i, l) in lines.iter().enumerate().skip(start) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent_of(l);
        match indent {
            None if t.starts_with("- ") || t == "-" => indent = Some(ind),
            None => break,
            Some(n) if ind < n || (ind == n && !t.starts_with('-')) => break,
            _ => {}
        }
        if Some(ind) == indent && t.starts_with('-') {
            out.push(i + 1);
        }
    }
    out
}

/// Converts a serde_yaml error into a located error with a hint.
fn yaml_error(file: &str, e: &serde_yaml::Error, line_offset: usize) -> LoadError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() + line_offset, l.column()))
        .unwrap_or((0, 0));
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    let hint = super::hints::for_message(&message);
    at(file, line, column, message, hint)
}

/// Replaces `include` steps by the steps of the included file, recursively.
fn expand(
    steps: Vec<Step>,
    from: &Path,
    stack: &mut Vec<PathBuf>,
    vars: &mut BTreeMap<String, Value>,
    stubs: &mut BTreeMap<String, Stub>,
    errors: &mut Vec<LoadError>,
) -> Vec<Step> {
    let mut out = vec![];
    for step in steps {
        let Some(rel) = step.include.clone() else {
            out.push(step);
            continue;
        };
        let target = from.parent().unwrap_or(Path::new(".")).join(&rel);
        let origin = &step.origin;
        if stack.contains(&canonical(&target)) {
            let chain: Vec<String> = stack.iter().map(|p| p.display().to_string()).collect();
            errors.push(at(&origin.file, origin.line, 1, format!("include cycle: {} includes {rel} again", chain.join(" -> ")), Some("remove one of the includes; shared steps belong in a file that includes nothing that includes it back".into())));
            continue;
        }
        match read_fragment(&target) {
            Ok((fragment, lines)) => {
                let (mut inner, fvars, fstubs) = match fragment {
                    Fragment::Steps(s) => (s, BTreeMap::new(), BTreeMap::new()),
                    Fragment::File(f) => {
                        let _ = f.description;
                        (f.steps, f.vars, f.stubs)
                    }
                };
                let file = target.display().to_string();
                for (i, s) in inner.iter_mut().enumerate() {
                    s.origin = Origin {
                        file: file.clone(),
                        line: lines.get(i).copied().unwrap_or(0),
                    };
                }
                // The including scenario's own values win over the fixture's defaults.
                for (k, v) in fvars {
                    vars.entry(k).or_insert(v);
                }
                for (k, v) in fstubs {
                    stubs.entry(k).or_insert(v);
                }
                stack.push(canonical(&target));
                out.extend(expand(inner, &target, stack, vars, stubs, errors));
                stack.pop();
            }
            Err(mut e) => {
                if e.len() == 1 && e[0].line == 0 {
                    e[0] = at(
                        &origin.file,
                        origin.line,
                        1,
                        format!("include {rel}: {}", e[0].message),
                        Some(format!("paths are relative to {}", from.display())),
                    );
                }
                errors.extend(e);
            }
        }
    }
    out
}

fn read_fragment(path: &Path) -> Result<(Fragment, Vec<usize>), Vec<LoadError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![at(&file, 0, 0, format!("cannot read {file}: {e}"), None)])?;
    // Parse as a file with `steps:` first for precise errors, then as a bare list.
    let fragment = if text.lines().any(|l| l.starts_with("steps:")) {
        Fragment::File(parse_whole(&file, &text)?)
    } else {
        Fragment::Steps(parse_whole(&file, &text)?)
    };
    Ok((fragment, step_lines(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn finds_step_lines() {
        let text = "name: x\nsteps:\n  - log: a\n  - action: message\n    with:\n      text: hi\n  # c\n  - sleep: 1\nrules: {}\n";
        assert_eq!(step_lines(text), [3, 4, 8]);
    }

    #[test]
    fn unknown_key_is_located_with_did_you_mean() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.yaml",
            "steps:\n  - log: ok\n  - acton: message\n  - expect:\n      jornal: {}\n",
        );
        let errs = load(&p).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!((errs[0].line, errs[0].column), (3, 5));
        assert!(
            errs[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("did you mean `action`"),
            "{errs:?}"
        );
        assert_eq!(errs[1].line, 5);
        assert!(errs[1].hint.as_deref().unwrap().contains("`journal`"));
    }

    #[test]
    fn includes_expand_and_cycles_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fx/common.yaml",
            "vars: {greeting: hello}\nsteps:\n  - log: from fixture\n  - include: more.yaml\n",
        );
        write(dir.path(), "fx/more.yaml", "- log: deeper\n");
        let p = write(
            dir.path(),
            "s.yaml",
            "vars: {greeting: hi}\nsteps:\n  - include: fx/common.yaml\n  - log: own\n",
        );
        let l = load(&p).unwrap();
        let logs: Vec<_> = l
            .scenario
            .steps
            .iter()
            .map(|s| s.log.clone().unwrap())
            .collect();
        assert_eq!(logs, ["from fixture", "deeper", "own"]);
        assert_eq!(l.scenario.vars["greeting"], "hi");
        assert!(l.scenario.steps[1].origin.file.ends_with("more.yaml"));

        write(dir.path(), "c1.yaml", "- include: c2.yaml\n");
        write(dir.path(), "c2.yaml", "- include: c1.yaml\n");
        let p = write(dir.path(), "cyc.yaml", "steps:\n  - include: c1.yaml\n");
        let errs = load(&p).unwrap_err();
        assert!(errs[0].message.contains("include cycle"), "{errs:?}");
    }

    #[test]
    fn json_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "j.json",
            r#"{"name": "j", "steps": [{"log": "x"}]}"#,
        );
        assert_eq!(load(&p).unwrap().name, "j");
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    #[test]
    fn scenario_wide_errors_point_at_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yaml");
        std::fs::write(&p, "name: r\nrules:\n  skip: [webhook.forged]\nsteps:\n  - log: ${chat}\n  - set: {chat_id: x}\n  - log: ${chat_id} ${stubs.nope}\n").unwrap();
        let errs = load(&p).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(
            text[0].contains("r.yaml:2:1: rules: no rule \"webhook.forged\"")
                && text[0].contains("did you mean webhook.forged_refused?"),
            "{text:?}"
        );
        assert!(
            text[1].contains(":5:1: unknown variable ${chat}"),
            "{text:?}"
        );
        assert!(
            text[2].contains(":7:1: ${stubs.nope}: no stub named \"nope\""),
            "{text:?}"
        );
        assert_eq!(errs.len(), 3);
    }
}
