//! The amojo error body: `{"status":0,"error_code":<http>,"error_type":"UPPER_SNAKE","error_description":"..."}`.

use axum::http::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct AmojoError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub description: String,
}

impl AmojoError {
    pub fn new(
        status: StatusCode,
        error_type: &'static str,
        description: impl Into<String>,
    ) -> Self {
        AmojoError {
            status,
            error_type,
            description: description.into(),
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", description)
    }

    pub fn not_registered(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ORIGIN_NOT_REGISTERED", description)
    }

    pub fn not_found(error_type: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, error_type, description)
    }

    pub fn body(&self) -> Value {
        json!({
            "status": 0,
            "error_code": self.status.as_u16(),
            "error_type": self.error_type,
            "error_description": self.description,
        })
    }
}

pub type Result<T> = std::result::Result<T, AmojoError>;
