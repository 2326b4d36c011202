//! `GET /api/v1/search?q=&limit=`: the map's search box (grid code or name, camera code, address).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::spatial::search;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Params;

/// Results when `limit` is not given.
const DEFAULT_LIMIT: usize = 10;
/// Largest accepted `limit`.
const MAX_LIMIT: usize = 100;

/// Answers `{"query": q, "results": [{layer, key, name, bbox}, ...]}`, best match first.
pub async fn search(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let q = params.raw("q").unwrap_or("").trim();
    if q.is_empty() {
        return Err(ApiError::bad_request("q", "give a search text in `q`"));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "q",
            "`q` is longer than 100 characters",
        ));
    }
    let limit = params.parse::<usize>("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("`limit` must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let results = search::search(&state.service.snapshot(), q, limit);
    Ok(axum::Json(json!({ "query": q, "results": results })).into_response())
}
