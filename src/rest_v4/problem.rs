//! REST v4 errors: `application/problem+json` with `title`, `type`, `status`,
//! `detail`, and `validation-errors` for bad items (spec kommo-rest-v4.md §0.2).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub detail: String,
    /// Extra keys: `validation-errors` and `errors` go before `title`, the
    /// rest (`retry_after`, `hint`) after `detail`, as Kommo orders them.
    pub extra: Vec<(String, Value)>,
}

const LEADING: [&str; 2] = ["validation-errors", "errors"];

pub type ApiResult<T> = Result<T, Problem>;

/// One field's error inside `validation-errors[].errors[]`.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub code: &'static str,
    pub path: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(code: &'static str, path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            code,
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: detail.into(),
            extra: vec![],
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Invalid user name or password")
    }

    /// 400 "Request validation failed" with the errors of each item, by `request_id`.
    pub fn validation(items: Vec<(String, Vec<FieldError>)>) -> Self {
        let list: Vec<Value> = items
            .into_iter()
            .map(|(request_id, errors)| {
                let errors: Vec<Value> = errors
                    .iter()
                    .map(|e| json!({"code": e.code, "path": e.path, "detail": e.detail}))
                    .collect();
                json!({"request_id": request_id, "errors": errors})
            })
            .collect();
        Self::bad_request("Request validation failed").with("validation-errors", Value::Array(list))
    }

    /// A single-object validation failure (request_id "0").
    pub fn invalid(code: &'static str, path: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![(
            "0".into(),
            vec![FieldError::new(code, path, detail)],
        )])
    }

    /// 422 for a batch or page over its limit.
    pub fn over_limit(max: usize) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Limit {max} per page"),
        )
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.push((key.into(), value));
        self
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        let (leading, trailing): (Vec<_>, Vec<_>) = self
            .extra
            .iter()
            .cloned()
            .partition(|(k, _)| LEADING.contains(&k.as_str()));
        body.extend(leading);
        let code = self.status.as_u16();
        body.insert(
            "title".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        body.insert(
            "type".into(),
            json!(format!("https://httpstatus.es/{code}")),
        );
        body.insert("status".into(), json!(code));
        body.insert("detail".into(), json!(self.detail));
        body.extend(trailing);
        Value::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_body_has_the_documented_shape() {
        let p = Problem::validation(vec![(
            "0".into(),
            vec![FieldError::new(
                "InvalidType",
                "status_id",
                "This value should be of type array.",
            )],
        )]);
        let keys: Vec<String> = p.body().as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["validation-errors", "title", "type", "status", "detail"]
        );
        assert_eq!(
            p.body()["validation-errors"][0]["errors"][0]["path"],
            "status_id"
        );
        assert_eq!(p.body()["type"], "https://httpstatus.es/400");
        assert_eq!(
            Problem::over_limit(250).body()["detail"],
            "Limit 250 per page"
        );
    }
}
