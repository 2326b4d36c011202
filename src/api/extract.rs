//! Extractors of raw requests, whose rejections also leave as problem+json: JSON bodies
//! ([`AppJson`]), query strings (as a struct of the parameters an endpoint takes,
//! [`AppQuery`], or as they came, [`Params`], where unknown names are refused) and the bearer
//! token of the caller ([`Caller`], with the role checks).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::domain::problem::serde_refusal;
use crate::domain::{Layer, Role};
use crate::service::hash_token;

use super::AppState;
use super::error::ApiError;

/// A JSON body. A body that is not JSON is a 400 `malformed-json` naming the line and column;
/// one that is JSON but not what the endpoint takes is a 422 naming the field at fault by its
/// path (`camera.range_m`, `grids[2].name`) with the kind of wrong ([`json_problem`]); one not
/// sent as JSON is a 415.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::bad_request(
                "body",
                "send the body as JSON with `Content-Type: application/json`",
            )
            .with_code("unsupported-media-type")
            .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let error = ApiError::bad_request("body", rejection.body_text()).with_status(status);
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                error.with_code("too-large")
            } else {
                error
            }
        })?;
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut json)
            .map(Self)
            .map_err(|e| json_problem(&e))
    }
}

/// The problem for a body `serde` refused: a 400 `malformed-json` for a syntax error (with its
/// line and column), else a 422 naming the field at fault by its path, with `missing`,
/// `wrong-type`, `unknown-field` or `invalid`.
fn json_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request("body", format!("the body is not well-formed JSON: {inner}"))
            .with_code("malformed-json")
            .with("line", json!(inner.line()))
            .with("column", json!(inner.column()));
    }
    let (field, problem) = serde_refusal("", e);
    let field = if field.is_empty() {
        "body".to_owned()
    } else {
        field
    };
    ApiError::unprocessable(
        &field,
        format!("the body is not what this endpoint takes: {field}: {inner}"),
    )
    .with_problem(problem)
}

/// A query string as `T`: a struct of the parameters an endpoint takes, each an
/// `Option<String>`, parsed by the endpoint's check so that an error names its parameter with
/// the same words everywhere ([`super::params`]). As with [`Params`], a parameter given twice
/// keeps its last value and unknown parameters are ignored.
#[derive(Debug)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Params(params) = Params::from_request_parts(parts, state).await?;
        let object = params
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        serde_json::from_value(Value::Object(object))
            .map(Self)
            .map_err(|e| ApiError::bad_request("query", e.to_string()))
    }
}

/// The raw query parameters, for the endpoints that refuse names they do not know (the event
/// listings, OGC API Features).
#[derive(Debug)]
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(map)| Self(map))
            .map_err(|e| ApiError::bad_request("query", e.body_text()))
    }
}

impl Params {
    /// The raw value of `name`.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Parses `name` when present.
    ///
    /// # Errors
    /// A 400 naming the parameter.
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        super::params::parse_opt(name, self.raw(name))
    }

    /// The first (in byte order) parameter whose name is not in `allowed`.
    pub fn unknown(&self, allowed: &[&str]) -> Option<&str> {
        self.0
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .min()
    }
}

/// Who is calling: the role of the bearer token, if one was sent.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's role; `None` when no token was sent.
    pub role: Option<Role>,
    /// Who the token was issued to; `None` when no token was sent.
    pub name: Option<String>,
}

/// What a write without a token is told.
const WRITE_NEEDS_TOKEN: &str = "writes need a bearer token: send `Authorization: Bearer <token>`";

/// Refuses a write sent without a bearer token (401) before its body is read, so that an
/// anonymous malformed body is told to sign in, not what is wrong with the body. Layered on
/// every route that writes; the handler still checks the token's role.
pub async fn require_token(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    if req.headers().contains_key(header::AUTHORIZATION) {
        next.run(req).await
    } else {
        axum::response::IntoResponse::into_response(ApiError::unauthorized(WRITE_NEEDS_TOKEN))
    }
}

impl Caller {
    /// The token's name and role when it may see personal data unmasked
    /// ([`Role::sees_phones`]); `None` for no token or a role that sees it masked.
    #[must_use]
    pub fn personal_data_reader(&self) -> Option<(&str, Role)> {
        match (&self.name, self.role) {
            (Some(name), Some(role)) if role.sees_phones() => Some((name, role)),
            _ => None,
        }
    }

    /// Requires a token whose role may write `layer`.
    ///
    /// # Errors
    /// 401 without a token, 403 with a role that may not write the layer.
    pub fn require_write(&self, layer: Layer) -> Result<Role, ApiError> {
        match self.role {
            None => Err(ApiError::unauthorized(WRITE_NEEDS_TOKEN)),
            Some(role) if role.may_write(layer) => Ok(role),
            Some(role) => Err(ApiError::forbidden(format!(
                "role `{}` may not change {layer}",
                role.as_str()
            ))
            .with("role", json!(role.as_str()))),
        }
    }

    /// Requires a token with one of the roles `allowed` to ask for `what`; `who` names them
    /// for the caller.
    ///
    /// # Errors
    /// 401 without a token, 403 with a role not allowed.
    pub fn require_any(&self, allowed: &[Role], what: &str, who: &str) -> Result<Role, ApiError> {
        match self.role {
            None => Err(ApiError::unauthorized(format!(
                "{what} needs a bearer token ({who})"
            ))),
            Some(role) if allowed.contains(&role) => Ok(role),
            Some(role) => Err(ApiError::forbidden(format!(
                "role `{}` may not ask for {what}; {who}",
                role.as_str()
            ))
            .with("role", json!(role.as_str()))),
        }
    }

    /// Who is calling, for `/api/v1/me`.
    ///
    /// # Errors
    /// 401 without a token.
    pub fn require_identity(&self) -> Result<(Role, &str), ApiError> {
        match (self.role, self.name.as_deref()) {
            (Some(role), Some(name)) => Ok((role, name)),
            _ => Err(ApiError::unauthorized(
                "send `Authorization: Bearer <token>` to see who you are",
            )),
        }
    }

    /// Requires the admin role.
    ///
    /// # Errors
    /// 401 or 403.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Some(Role::Admin) => Ok(()),
            Some(role) => Err(ApiError::forbidden(format!(
                "role `{}` may not manage tokens; admin only",
                role.as_str()
            ))
            .with("role", json!(role.as_str()))),
            None => Err(ApiError::unauthorized("admin token required")),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self {
                role: None,
                name: None,
            });
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let record = state
            .service
            .store()
            .find_token(&hash_token(token))
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::unauthorized("unknown token").with_code("unknown-token"))?;
        Ok(Self {
            role: Some(record.role),
            name: Some(record.name),
        })
    }
}
