//! Hints for load errors: "did you mean" for misspelt keys, and the fix for
//! common type mistakes.

/// Edit distance (Levenshtein), small inputs only.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    // A truncated name ("webhook.forged") is a typo too.
    if word.len() >= 4 {
        if let Some(c) = candidates.iter().find(|c| c.starts_with(word)) {
            return Some(c);
        }
    }
    let best = candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .min_by_key(|(d, _)| *d)?;
    let limit = (word.len() / 3).max(2);
    (best.0 <= limit).then_some(best.1)
}

/// Candidates listed in a serde message: "expected one of `a`, `b`".
fn listed(message: &str) -> Vec<&str> {
    let Some(i) = message.find("expected") else {
        return vec![];
    };
    message[i..].split('`').skip(1).step_by(2).collect()
}

fn quoted_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &message[message.find(marker)? + marker.len()..];
    rest.split('`').nth(1)
}

/// A hint for a serde_yaml message, if one helps.
pub fn for_message(message: &str) -> Option<String> {
    for marker in ["unknown field", "unknown variant"] {
        if let Some(word) = quoted_after(message, marker) {
            let options = listed(message);
            return Some(match closest(word, options.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("allowed here: {}", options.join(", ")),
            });
        }
    }
    if let Some(field) = quoted_after(message, "missing field") {
        return Some(format!("add `{field}:`; see docs/scenarios.md"));
    }
    if message.contains("did not match any variant of untagged enum Command") {
        return Some("`command` is a shell line (string) or an argv list".into());
    }
    if message.contains("invalid type") {
        return Some("check the value's type against docs/scenarios.md (quote strings that look like numbers)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        assert_eq!(distance("acton", "action"), 1);
        assert_eq!(closest("jornal", ["journal", "webhook"]), Some("journal"));
        assert_eq!(closest("zzz", ["journal", "webhook"]), None);
        let m = "steps[0]: unknown field `acton`, expected one of `name`, `action`, `with`";
        assert_eq!(for_message(m).unwrap(), "did you mean `action`?");
    }
}
