//! Who is calling and the tokens that say so: `GET /api/v1/me` (the web map's login checks a
//! token with it) and `POST /api/v1/tokens` (admin: a [`TokenBody`] checked into a
//! `TokenRequest`; the token is shown once and stored hashed, [`crate::service::issue_token`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::domain::{Layer, Role};
use crate::service::issue_token;

use super::AppState;
use super::answer::{json, json_with};
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller};

/// The answer of `GET /api/v1/me`.
#[derive(Debug, Serialize)]
struct Me<'a> {
    name: &'a str,
    role: &'static str,
    /// The layers (URL paths) the role may change.
    writes: Vec<&'static str>,
}

/// `GET /api/v1/me`: who the bearer token belongs to and which layers it may change. 401
/// without a token or with an unknown one.
pub async fn me(caller: Caller) -> ApiResult<Response> {
    let (role, name) = caller.require_identity()?;
    let writes = Layer::ALL
        .iter()
        .filter(|l| role.may_write(**l))
        .map(|l| l.path())
        .collect();
    json(&Me {
        name,
        role: role.as_str(),
        writes,
    })
}

/// The body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// Who the token is for.
    name: String,
    /// One of the role names.
    role: String,
}

/// A token to issue, checked: a known role, a name that is not blank.
#[derive(Debug)]
struct TokenRequest {
    name: String,
    role: Role,
}

impl TryFrom<TokenBody> for TokenRequest {
    type Error = ApiError;

    fn try_from(body: TokenBody) -> ApiResult<Self> {
        let role: Role = body.role.parse()?;
        if body.name.trim().is_empty() {
            return Err(ApiError::bad_request("name", "name must not be empty"));
        }
        Ok(Self {
            name: body.name,
            role,
        })
    }
}

/// The answer of `POST /api/v1/tokens`: the token, shown this once.
#[derive(Debug, Serialize)]
struct IssuedToken {
    name: String,
    role: &'static str,
    token: String,
}

/// `POST /api/v1/tokens` (admin): issues a token; it is shown once and stored hashed.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<TokenBody>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let request = TokenRequest::try_from(body)?;
    let token = issue_token(state.service.store().as_ref(), &request.name, request.role).await?;
    json_with(
        StatusCode::CREATED,
        &IssuedToken {
            name: request.name,
            role: request.role.as_str(),
            token,
        },
    )
}
