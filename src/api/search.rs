//! `GET /api/v1/search?q=&limit=`: the map's search box (grid code or name, camera code, address).
//! A [`SearchQuery`] is checked into a `SearchRequest`; the answer is a `SearchAnswer`.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::spatial::search::{self, SearchHit};

use super::AppState;
use super::answer::json;
use super::error::{ApiError, ApiResult};
use super::extract::AppQuery;
use super::params::parse_opt;

/// Results when `limit` is not given.
const DEFAULT_LIMIT: usize = 10;
/// Largest accepted `limit`.
const MAX_LIMIT: usize = 100;
/// Longest accepted `q`, in characters.
const MAX_QUERY_CHARS: usize = 100;

/// The query of `GET /api/v1/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// The text to look for: 1 to 100 characters once trimmed; required.
    q: Option<String>,
    /// Results, `1..=100`; 10 when not given.
    limit: Option<String>,
}

/// A search, checked.
#[derive(Debug)]
struct SearchRequest {
    /// Trimmed, not empty, at most [`MAX_QUERY_CHARS`].
    q: String,
    limit: usize,
}

impl TryFrom<SearchQuery> for SearchRequest {
    type Error = ApiError;

    fn try_from(query: SearchQuery) -> ApiResult<Self> {
        let q = query.q.as_deref().unwrap_or("").trim();
        if q.is_empty() {
            return Err(ApiError::bad_request("q", "give a search text in `q`"));
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::bad_request(
                "q",
                format!("`q` is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let limit = parse_opt("limit", query.limit.as_deref())?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(
                "limit",
                format!("`limit` must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(Self {
            q: q.to_owned(),
            limit,
        })
    }
}

/// The answer: the text searched for and the hits, best first.
#[derive(Debug, Serialize)]
struct SearchAnswer {
    query: String,
    results: Vec<SearchHit>,
}

/// Answers `{"query": q, "results": [{layer, key, name, bbox}, ...]}`, best match first.
pub async fn search(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<SearchQuery>,
) -> ApiResult<Response> {
    let request = SearchRequest::try_from(query)?;
    let results = search::search(&state.service.snapshot(), &request.q, request.limit);
    json(&SearchAnswer {
        query: request.q,
        results,
    })
}
