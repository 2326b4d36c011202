//! The one HTTP error type: every failure leaves as `application/problem+json` (RFC 9457) with
//! what was wrong and where. 5xx causes are logged and hidden from the client.
//!
//! Beside RFC 9457's members each answer carries `code`, a stable machine code of what was
//! wrong ([`Problem::code`] for the domain's kinds; `unauthenticated`, `unknown-token`,
//! `forbidden`, `not-found`, `grid-overlap`, `malformed-json`, `too-large`, `internal` for the
//! HTTP ones), `field` where a field is at fault, and the figures its wording needs (`min`,
//! `max`, `unit` for a range; `limit`). The web map words an answer from these in the user's
//! language; `detail` stays English, for people reading the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::{DomainError, Layer, Problem};
use crate::service::ServiceError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    code: &'static str,
    extra: Value,
}

/// The members that word `problem`: its `code` and the figures a message needs.
#[must_use]
pub fn problem_members(problem: Problem) -> serde_json::Map<String, Value> {
    match json!(problem) {
        Value::Object(members) => members,
        _ => serde_json::Map::new(),
    }
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

    /// 400 for a malformed request parameter, from the check that refused it.
    #[must_use]
    pub fn bad_parameter(e: DomainError) -> Self {
        Self::bad_request(&e.field, e.reason).with_problem(e.problem)
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
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail).with_code("not-found")
    }

    /// 404 for an item of `layer` that does not exist, naming both (`layer`, `key`).
    #[must_use]
    pub fn missing_item(layer: Layer, key: &str) -> Self {
        Self::not_found(format!("{layer} `{key}` does not exist")).naming(layer.as_str(), key)
    }

    /// Names what was not found: `layer` (as URLs name it) and `key`.
    #[must_use]
    pub fn naming(self, layer: &str, key: &str) -> Self {
        self.with("layer", json!(layer)).with("key", json!(key))
    }

    /// 401: no or unknown token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
        .with_code("unauthenticated")
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail).with_code("forbidden")
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
        .with_code("internal")
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
            code: Problem::Invalid.code(),
            extra: json!({}),
        }
    }

    /// Sets the machine code (`code`) of an HTTP-level problem.
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Sets the machine code and the figures of a domain problem.
    #[must_use]
    pub fn with_problem(mut self, problem: Problem) -> Self {
        let members = problem_members(problem);
        self.code = problem.code();
        if let Value::Object(map) = &mut self.extra {
            map.extend(members.into_iter().filter(|(k, _)| k != "code"));
        }
        self
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
        .with_problem(e.problem)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(d) => d.into(),
            ServiceError::NotFound { layer, ref key } => Self::missing_item(layer, key),
            ServiceError::Conflict {
                ref field, problem, ..
            } => {
                let field = field.clone();
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict", e.to_string())
                    .with("field", json!(field))
                    .with_problem(problem)
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
                .with_code("grid-overlap")
                .with("grid", json!(code))
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
            "code": self.code,
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
