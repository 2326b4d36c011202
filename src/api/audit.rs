//! `GET /api/v1/audit/personal-reads?limit=`: the record of every answer that showed personal
//! data unmasked (see [`crate::service::privacy`]), newest first; for admins only.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::store::PersonalRead;

use super::AppState;
use super::answer::json;
use super::error::ApiResult;
use super::extract::{AppQuery, Caller};
use super::params::page_limit;

/// Records when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;
/// Largest accepted `limit`.
const MAX_LIMIT: usize = 1_000;

/// The query of `GET /api/v1/audit/personal-reads`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Records, `1..=1000`; 100 when not given.
    limit: Option<String>,
}

/// The answer: the latest unmasked reads.
#[derive(Debug, Serialize)]
struct AuditAnswer {
    reads: Vec<PersonalRead>,
}

/// Lists the latest unmasked reads of personal data.
pub async fn personal_reads(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<AuditQuery>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let reads = state
        .service
        .store()
        .personal_reads(i64::try_from(limit).unwrap_or(i64::MAX))
        .await?;
    json(&AuditAnswer { reads })
}
