//! Query strings read as PHP reads them into `$_GET`, which is how Kommo's
//! front server sees every `/api/v4` query: `a[b][]=1` nests, `[]` appends
//! with the next integer key, a repeated plain key keeps its last value,
//! `.` and space in the top-level name become `_`, and a `[` with no `]`
//! becomes `_` too.

/// A parsed value: a string, or an ordered map (PHP's array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Str(String),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            Node::Map(_) => None,
        }
    }

    /// The entry `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Node::Str(_) => None,
        }
    }

    /// The node at `path` (its segments, top-level name first).
    pub fn at(&self, path: &[String]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// A string as a one-item list; a map's string values in order.
    pub fn strings(&self) -> Vec<&str> {
        match self {
            Node::Str(s) => vec![s.as_str()],
            Node::Map(entries) => entries.iter().filter_map(|(_, v)| v.as_str()).collect(),
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match self {
            Node::Map(entries) => entries,
            Node::Str(_) => &[],
        }
    }

    fn map_mut(&mut self) -> &mut Vec<(String, Node)> {
        if !matches!(self, Node::Map(_)) {
            *self = Node::Map(vec![]);
        }
        match self {
            Node::Map(entries) => entries,
            Node::Str(_) => unreachable!("made a map above"),
        }
    }
}

/// Parses a raw (still percent-encoded) query string into a map.
pub fn parse(raw: &str) -> Node {
    let mut root = Node::Map(vec![]);
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        if let Some(path) = key_path(&key) {
            insert(&mut root, &path, value.into_owned());
        }
    }
    root
}

/// A key's segments: `filter[id][]` → `["filter", "id", ""]`. None when the
/// top-level name is empty (PHP drops such pairs).
pub fn key_path(key: &str) -> Option<Vec<String>> {
    let key = key.trim_start_matches(' ');
    let open = key.find('[');
    let name_end = open.unwrap_or(key.len());
    let mut segments = vec![];
    let mut literal_rest = false;
    if let Some(open) = open {
        let mut at = open;
        while key[at..].starts_with('[') {
            let Some(close) = key[at + 1..].find(']') else {
                literal_rest = segments.is_empty();
                break;
            };
            segments.push(key[at + 1..at + 1 + close].to_string());
            at += close + 2;
        }
    }
    let name = if literal_rest {
        // No `]` after the first `[`: the whole key is the name, `[` made `_`.
        let mut name = clean_name(&key[..name_end]);
        name.push('_');
        name.push_str(&key[name_end + 1..]);
        name
    } else {
        clean_name(&key[..name_end])
    };
    if name.is_empty() {
        return None;
    }
    segments.insert(0, name);
    Some(segments)
}

fn clean_name(name: &str) -> String {
    name.replace(['.', ' '], "_")
}

fn insert(node: &mut Node, path: &[String], value: String) {
    let entries = node.map_mut();
    let key = if path[0].is_empty() {
        next_index(entries).to_string()
    } else {
        path[0].clone()
    };
    let slot = match entries.iter().position(|(k, _)| *k == key) {
        Some(i) => &mut entries[i].1,
        None => {
            entries.push((key, Node::Map(vec![])));
            &mut entries.last_mut().expect("pushed").1
        }
    };
    if path.len() == 1 {
        *slot = Node::Str(value);
    } else {
        insert(slot, &path[1..], value);
    }
}

/// PHP's next free integer key: one past the largest integer key, else 0.
fn next_index(entries: &[(String, Node)]) -> i64 {
    entries
        .iter()
        .filter_map(|(k, _)| int_key(k))
        .max()
        .map_or(0, |n| n + 1)
}

/// A key PHP stores as an integer: canonical decimal, no leading zero or `+`.
fn int_key(k: &str) -> Option<i64> {
    let digits = k.strip_prefix('-').unwrap_or(k);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && k != "-0";
    canonical.then(|| k.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(n: &Node, path: &[&str]) -> Vec<String> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        n.at(&path)
            .map(|n| n.strings().into_iter().map(String::from).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_repeated_plain_key_keeps_the_last_value() {
        let q = parse("filter[id]=1&filter[id]=2");
        assert_eq!(strs(&q, &["filter", "id"]), ["2"]);
    }

    #[test]
    fn brackets_append_as_a_list() {
        let q = parse("filter[id][]=1&filter[id][]=2&filter%5Bid%5D%5B%5D=3");
        assert_eq!(strs(&q, &["filter", "id"]), ["1", "2", "3"]);
        let explicit = parse("a[5]=x&a[]=y&a[05]=z");
        assert_eq!(
            explicit
                .get("a")
                .unwrap()
                .entries()
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["5", "6", "05"]
        );
    }

    #[test]
    fn nested_brackets_nest() {
        let q = parse("filter[custom_fields_values][123][]=x&filter[custom_fields_values][123][]=y&order[updated_at]=desc&with=a,b");
        assert_eq!(
            strs(&q, &["filter", "custom_fields_values", "123"]),
            ["x", "y"]
        );
        assert_eq!(q.get("order").unwrap().entries()[0].0, "updated_at");
        assert_eq!(q.get("with").unwrap().as_str(), Some("a,b"));
    }

    #[test]
    fn php_name_rules() {
        let q = parse("a.b=1&c d=2&e[f=3&=4&[x]=5&g[h]junk=6&i=1&i[]=7");
        assert_eq!(q.get("a_b").unwrap().as_str(), Some("1"));
        assert_eq!(q.get("c_d").unwrap().as_str(), Some("2"));
        assert_eq!(q.get("e_f").unwrap().as_str(), Some("3"));
        assert_eq!(strs(&q, &["g", "h"]), ["6"], "what follows `]` is ignored");
        assert_eq!(strs(&q, &["i"]), ["7"], "a list replaces a scalar");
        assert_eq!(q.entries().len(), 5, "empty names are dropped: {q:?}");
        assert_eq!(parse("k=a+b%20c").get("k").unwrap().as_str(), Some("a b c"));
    }
}
