//! The one HTTP error type: every failure leaves as `application/problem+json` (RFC 9457) with
//! what was wrong and where. 5xx causes are logged and hidden from the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::DomainError;
use crate::service::ServiceError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    extra: Value,
}

impl ApiError {
    /// 400 for a malformed request, naming the field.
    pub fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            detail,
        )
        .with("field", json!(field))
    }

    /// 422 for a well-formed request that cannot be done as asked, naming the field.
    pub fn unprocessable(field: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "Cannot be done as asked",
            detail,
        )
        .with("field", json!(field))
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 401: no or unknown token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    /// 500 with the cause logged, not shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed; the cause is in its log",
        )
    }

    fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            extra: json!({}),
        }
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if let Value::Object(map) = &mut self.extra {
            map.insert(key.to_owned(), value);
        }
        self
    }

    /// Overrides the status (e.g. 413 for a body over the limit).
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "Invalid field",
            e.to_string(),
        )
        .with("field", json!(e.field))
        .with("reason", json!(e.reason))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(d) => d.into(),
            ServiceError::NotFound { .. } => Self::not_found(e.to_string()),
            ServiceError::Conflict { ref field, .. } => {
                let field = field.clone();
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict", e.to_string())
                    .with("field", json!(field))
            }
            ServiceError::Overlap {
                ref code,
                ref overlaps,
            } => {
                let (code, overlaps) = (code.clone(), json!(overlaps));
                Self::new(
                    StatusCode::CONFLICT,
                    "grid-overlap",
                    "Grid overlaps a sibling grid",
                    e.to_string(),
                )
                .with("field", json!("geometry"))
                .with("code", json!(code))
                .with("overlaps", overlaps)
            }
            ServiceError::Random(random) => Self::internal(&random),
            ServiceError::Store(store) => Self::internal(&store),
            ServiceError::Task(task) => Self::internal(&task),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:safegrid:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, self.extra) {
            body.extend(extra);
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
