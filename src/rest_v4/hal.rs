//! HAL plumbing shared by every resource: `application/hal+json` answers,
//! absolute `_links`, 204 for empty results, `page`/`limit`, `with=`,
//! `filter[...]` in both scalar and `[]` forms, batch bodies with `request_id`.

use super::php_query::{self, Node};
use super::problem::{ApiResult, Problem};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub fn hal(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/hal+json")],
        body.to_string(),
    )
        .into_response()
}

pub fn ok(body: Value) -> Response {
    hal(StatusCode::OK, body)
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{"self": {"href": "<base><path>"}}`.
pub fn links(base: &str, path: &str) -> Value {
    json!({"self": {"href": format!("{base}{path}")}})
}

/// The query string, read into a tree with PHP's rules (see [`php_query`]).
#[derive(Debug, Clone)]
pub struct Query {
    pub raw: String,
    tree: Node,
}

impl Default for Query {
    fn default() -> Self {
        Query::parse("")
    }
}

impl Query {
    pub fn parse(raw: &str) -> Query {
        Query {
            raw: raw.to_string(),
            tree: php_query::parse(raw),
        }
    }

    /// The node a key names, written as in a query (`filter[id]`).
    pub fn node(&self, key: &str) -> Option<&Node> {
        self.tree.at(&php_query::key_path(key)?)
    }

    /// The string value of `key`; none when absent or a list.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.node(key).and_then(Node::as_str)
    }

    /// Every non-empty value of `key`: `key=a` gives one, `key[]=a&key[]=b`
    /// (or `key[0]=a`) a list. Values are not split on commas: an
    /// `external_id` may contain one.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.node(key)
            .map(|n| n.strings())
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(String::from)
            .collect()
    }

    /// `filter[name]` values, both forms.
    pub fn filter(&self, name: &str) -> Vec<String> {
        self.list(&format!("filter[{name}]"))
    }

    /// Integer filter values; a non-number is a 400.
    pub fn filter_ids(&self, name: &str) -> ApiResult<Vec<i64>> {
        self.filter(name)
            .iter()
            .map(|v| {
                v.parse().map_err(|_| {
                    Problem::invalid(
                        "InvalidType",
                        &format!("filter.{name}"),
                        "This value should be of type int.",
                    )
                })
            })
            .collect()
    }

    /// `order[<field>]=asc|desc` for one of `fields`; anything else is a 400.
    pub fn order(&self, fields: &[&str]) -> ApiResult<Option<(String, bool)>> {
        let Some(order) = self.tree.get("order") else {
            return Ok(None);
        };
        let bad = |field: &str| {
            Problem::invalid(
                "NotSupportedChoice",
                &format!("order.{field}"),
                "The value you selected is not a valid choice.",
            )
        };
        let Some((field, dir)) = order.entries().first() else {
            return Err(bad(""));
        };
        if !fields.contains(&field.as_str()) {
            return Err(bad(field));
        }
        match dir.as_str() {
            Some("asc") => Ok(Some((field.to_string(), false))),
            Some("desc") => Ok(Some((field.to_string(), true))),
            _ => Err(bad(field)),
        }
    }

    pub fn with(&self) -> Vec<String> {
        self.get("with")
            .map(|w| w.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    }

    pub fn has_with(&self, name: &str) -> bool {
        self.with().iter().any(|w| w == name)
    }

    /// `page` (from 1) and `limit` (default and max `max`; over it → 422).
    pub fn page(&self, max: usize) -> ApiResult<Page> {
        let number = |key: &str, default: usize| -> ApiResult<usize> {
            match self.get(key) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                    Problem::invalid(
                        "InvalidType",
                        key,
                        "This value should be a positive integer.",
                    )
                }),
            }
        };
        let limit = number("limit", max.min(50))?;
        if limit > max {
            return Err(Problem::over_limit(max));
        }
        Ok(Page {
            page: number("page", 1)?,
            limit,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: usize,
    pub limit: usize,
}

impl Page {
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip((self.page - 1).saturating_mul(self.limit))
            .take(self.limit)
            .cloned()
            .collect()
    }
}

/// Sorts by the `order[...]` the query asked for, using `key` to read a field.
pub fn sort_by<T>(items: &mut [T], order: Option<(String, bool)>, key: impl Fn(&T, &str) -> i64) {
    if let Some((field, desc)) = order {
        items.sort_by_key(|x| key(x, &field));
        if desc {
            items.reverse();
        }
    }
}

/// A paged list: `_page`, `_links` (self, next, prev) and `_embedded.<key>`;
/// 204 when the page is empty.
pub fn paged(
    base: &str,
    path: &str,
    query: &Query,
    page: Page,
    total: usize,
    key: &str,
    items: Vec<Value>,
) -> Response {
    if items.is_empty() {
        return no_content();
    }
    let at = |n: usize| {
        let mut q: Vec<(String, String)> = url::form_urlencoded::parse(query.raw.as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "page")
            .collect();
        q.push(("page".into(), n.to_string()));
        let qs = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        json!({"href": format!("{base}{path}?{qs}")})
    };
    let mut links = json!({"self": at(page.page)});
    if page.page * page.limit < total {
        links["next"] = at(page.page + 1);
    }
    if page.page > 1 {
        links["prev"] = at(page.page - 1);
    }
    ok(json!({"_page": page.page, "_links": links, "_embedded": {key: items}}))
}

/// A batch answer: `_total_items`, `_links.self`, `_embedded.<key>`.
pub fn batch(base: &str, path: &str, key: &str, items: Vec<Value>) -> Value {
    json!({"_total_items": items.len(), "_links": links(base, path), "_embedded": {key: items}})
}

/// The JSON body; empty → 400 "Request data can not be empty".
pub fn body(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request("Request data can not be empty"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("Request body is not valid JSON: {e}")))
}

/// A batch body: a JSON array of objects, at most `max` of them (else 422).
pub fn items(bytes: &[u8], max: usize) -> ApiResult<Vec<Value>> {
    let value = body(bytes)?;
    let Value::Array(list) = value else {
        return Err(Problem::invalid(
            "InvalidType",
            "",
            "This value should be of type array.",
        ));
    };
    if list.is_empty() {
        return Err(Problem::bad_request("Request data can not be empty"));
    }
    if list.len() > max {
        return Err(Problem::over_limit(max));
    }
    if let Some(i) = list.iter().position(|v| !v.is_object()) {
        return Err(Problem::validation(vec![(
            i.to_string(),
            vec![super::problem::FieldError::new(
                "InvalidType",
                "",
                "This value should be of type object.",
            )],
        )]));
    }
    Ok(list)
}

/// The item's `request_id`, or its index as a string (spec §0.1).
pub fn request_id(item: &Value, index: usize) -> String {
    match &item["request_id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => index.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_in_both_forms() {
        let q = Query::parse("filter%5Bexternal_id%5D%5B%5D=a&filter[external_id][]=b&chat_id[0]=c&chat_id[1]=d&with=leads,source_id&filter[id]=1&filter[id]=2");
        assert_eq!(q.filter("external_id"), ["a", "b"]);
        assert_eq!(q.list("chat_id"), ["c", "d"]);
        assert_eq!(
            q.filter_ids("id").unwrap(),
            [2],
            "a repeated plain key keeps the last"
        );
        assert_eq!(Query::parse("chat_id=c").list("chat_id"), ["c"]);
        assert!(q.has_with("source_id"));
        assert_eq!(Query::parse("filter[uid]=x").filter("uid"), ["x"]);
    }

    #[test]
    fn page_and_limit() {
        assert_eq!(Query::parse("").page(250).unwrap().limit, 50);
        assert_eq!(Query::parse("limit=250&page=2").page(250).unwrap().page, 2);
        assert_eq!(
            Query::parse("limit=251").page(250).unwrap_err().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            Query::parse("limit=x").page(50).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(request_id(&json!({"request_id": "r"}), 3), "r");
        assert_eq!(request_id(&json!({}), 3), "3");
        assert_eq!(
            Query::parse("order[id]=desc").order(&["id"]).unwrap(),
            Some(("id".into(), true))
        );
        assert!(Query::parse("order[name]=asc").order(&["id"]).is_err());
        let mut v = vec![2, 3, 1];
        sort_by(&mut v, Some(("id".into(), true)), |x, _| *x);
        assert_eq!(v, [3, 2, 1]);
    }
}
