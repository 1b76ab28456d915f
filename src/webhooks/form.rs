//! The body of an account event as Kommo sends it: PHP `http_build_query`
//! form encoding (spec kommo-rest-v4.md §7.3).

use serde_json::Value;

/// PHP `http_build_query`: nested keys in brackets, nulls left out, booleans 1/0.
pub fn encode(value: &Value) -> String {
    let mut pairs = vec![];
    flatten("", value, &mut pairs);
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}[{k}]")
        }
    };
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(&key(k), v, out)),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&key(&i.to_string()), v, out)),
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_string(), if *b { "1" } else { "0" }.into())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_like_php() {
        let body = encode(
            &json!({"leads": {"add": [{"id": 8080, "name": "A b", "x": null, "ok": true}]}, "account": {"id": 1, "subdomain": "acme"}}),
        );
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("leads[add][0][id]".into(), "8080".into()),
                ("leads[add][0][name]".into(), "A b".into()),
                ("leads[add][0][ok]".into(), "1".into()),
                ("account[id]".into(), "1".into()),
                ("account[subdomain]".into(), "acme".into()),
            ]
        );
    }
}
