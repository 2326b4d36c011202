//! `GET /api/v1/regions/tree?code=`: one step of the region tree (区划树) with each node's
//! figures, for the map's tree and summary cards. Without `code` it answers the root (the
//! county) and its towns; with a town's code its villages, with a village's its grids, with a
//! grid's its micro-grids. The figures are counted by
//! [`crate::analysis::region_summary`] and cached until the layers they count change.

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use crate::domain::Layer;
use crate::domain::calendar::china_date;
use crate::domain::codes::{check_grid_code, check_region_code};

use super::AppState;
use super::answer::json;
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::AppQuery;

/// The query of `GET /api/v1/regions/tree`.
#[derive(Debug, Deserialize)]
pub struct TreeQuery {
    /// A county (6 digits), town (9), village (12) or grid (15) code; the root when left out.
    code: Option<String>,
}

/// Checks `code`: a region code, or a grid code when it has 15 characters.
fn checked(code: Option<&str>) -> ApiResult<Option<String>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if code.len() == 15 {
        check_grid_code("code", code)
    } else {
        check_region_code("code", code)
    }
    .map_err(ApiError::bad_parameter)?;
    Ok(Some(code.to_owned()))
}

/// Answers the node `code` (or the root) with its figures and the nodes under it, each with
/// its figures, `bbox` and number of children.
pub async fn region_tree(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<TreeQuery>,
) -> ApiResult<Response> {
    let code = checked(query.code.as_deref())?;
    let service = state.service.clone();
    let today = china_date(Utc::now());
    let (branch, asked) = off_thread(move || {
        let snapshot = service.snapshot();
        let summaries = service.region_summaries().get(&snapshot, today);
        (summaries.branch(&snapshot, code.as_deref()), code)
    })
    .await?;
    let Some(branch) = branch else {
        let code = asked.unwrap_or_default();
        let layer = if code.len() == 15 {
            Layer::Grid
        } else {
            Layer::Region
        };
        return Err(ApiError::missing_item(layer, &code));
    };
    json(&branch)
}
