//! Where a path such as `accounts[1].sources[0].pipeline_id` sits in a
//! block-style YAML file, so a value that parses but makes no sense is
//! reported at its line and column. Flow-style parts (`{a: 1}`) are not
//! walked into; the nearest enclosing line is reported instead.

/// 1-based line and column of the value at `path`, or of the nearest
/// enclosing key or item found.
pub fn locate(text: &str, path: &str) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut range = 0..lines.len();
    let mut parent: isize = -1;
    let mut at = (1, 1);
    for segment in segments(path) {
        let found = match segment {
            Segment::Key(key) => find_key(&lines, range.clone(), parent, key),
            Segment::Index(n) => find_item(&lines, range.clone(), parent, n),
        };
        let Some((line, col, value_col)) = found else {
            break;
        };
        at = (line + 1, value_col + 1);
        range = line..block_end(&lines, line, col, range.end);
        parent = col as isize;
    }
    at
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = vec![];
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for index in rest.split('[') {
            if let Ok(n) = index.trim_end_matches(']').parse() {
                out.push(Segment::Index(n));
            }
        }
    }
    out
}

/// Column of a line's key once list dashes are skipped; none for blank or comment lines.
fn key_col(line: &str) -> Option<usize> {
    let mut rest = line.trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        return None;
    }
    while let Some(r) = rest.strip_prefix("- ") {
        rest = r.trim_start();
    }
    Some(line.len() - rest.len())
}

fn dash_col(line: &str) -> Option<usize> {
    let rest = line.trim_start();
    (rest.starts_with("- ") || rest == "-").then(|| line.len() - rest.len())
}

/// The key `key` at the first level below `parent`: (line, key column, value column).
fn find_key(
    lines: &[&str],
    range: std::ops::Range<usize>,
    parent: isize,
    key: &str,
) -> Option<(usize, usize, usize)> {
    let below = |i: &usize| key_col(lines[*i]).filter(|c| *c as isize > parent);
    let level = range.clone().filter_map(|i| below(&i)).min()?;
    let needle = format!("{key}:");
    range.into_iter().find_map(|i| {
        let col = below(&i).filter(|c| *c == level)?;
        let after = lines[i][col..].strip_prefix(&needle)?;
        let value = col + needle.len() + (after.len() - after.trim_start().len());
        Some((i, col, value))
    })
}

/// The `n`th list item below `parent`: (line, dash column, item column).
fn find_item(
    lines: &[&str],
    range: std::ops::Range<usize>,
    parent: isize,
    n: usize,
) -> Option<(usize, usize, usize)> {
    let dashes = |i: &usize| dash_col(lines[*i]).filter(|c| *c as isize >= parent);
    let level = range.clone().filter_map(|i| dashes(&i)).min()?;
    let i = range.filter(|i| dashes(i) == Some(level)).nth(n)?;
    Some((i, level, level + 2))
}

/// The line after the block that starts at `start` with its key or dash at `col`.
fn block_end(lines: &[&str], start: usize, col: usize, end: usize) -> usize {
    (start + 1..end)
        .find(|i| {
            let line = lines[*i];
            let indent = line.len() - line.trim_start().len();
            key_col(line).is_some() && indent <= col
        })
        .unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::locate;

    const FILE: &str = "settings:\n  rate_limit: 0\naccounts:\n  - id: 1\n    users:\n      - id: 5\n  - id: 1\n    sources:\n      - external_id: a\n      - external_id: b\n        pipeline_id: 99\nchannels:\n  - {id: x}\n";

    #[test]
    fn paths_find_their_values() {
        assert_eq!(locate(FILE, "settings.rate_limit"), (2, 15));
        assert_eq!(locate(FILE, "accounts[0].id"), (4, 9));
        assert_eq!(locate(FILE, "accounts[0].users[0].id"), (6, 13));
        assert_eq!(locate(FILE, "accounts[1].id"), (7, 9));
        assert_eq!(locate(FILE, "accounts[1].sources[1].pipeline_id"), (11, 22));
        assert_eq!(
            locate(FILE, "channels[0].id"),
            (13, 5),
            "flow style: the item"
        );
    }
}
