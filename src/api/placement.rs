//! `POST /api/v1/cameras/placement`: where `k` new cameras would add the most coverage to a
//! grid, village, key area or drawn polygon ([`crate::analysis::placement`]). Nothing is written.
//!
//! The answer is a GeoJSON FeatureCollection the map draws as it is: for each proposed camera
//! (in pick order, `rank` 1..k) a Point with `role: camera` and its visible polygon with
//! `role: sector`, both carrying the camera's figures and its marginal gain; `target` and
//! `summary` (the algorithm and its guarantee, coverage before and after, cells, candidates,
//! time) are top-level members.
//!
//! The request and the answer are [`crate::service::placement`]'s, shared with the CLI: the
//! raw [`PlacementBody`] is checked there into the planner's request, because naming the
//! target (a grid, a village, a key area) needs the snapshot. Here only the role and the
//! [`PlacementQuery`]'s `crs` are checked.
//!
//! Who may ask: planners (they place cameras), rectification teams (they ask where cameras
//! would cover a key area) and admins. The computation only reads, but it is CPU-heavy (up to
//! 5,000 sites × 8 orientations), so it is not open to every reader; it runs off the async
//! threads.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::analysis::placement::PlacementError;
use crate::domain::{Problem, Role};
use crate::service::placement::{self, AdviceError, PlacementBody};

use super::AppState;
use super::answer::geojson_response;
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AppQuery, Caller};
use super::params::parse_crs;

/// Roles that may ask for placement advice.
pub const PLACEMENT_ROLES: [Role; 3] = [Role::Admin, Role::Planner, Role::Rectification];

impl From<AdviceError> for ApiError {
    fn from(e: AdviceError) -> Self {
        match e {
            AdviceError::Invalid(d) => Self::bad_parameter(d),
            AdviceError::UnknownTarget {
                field,
                layer,
                ref key,
                ..
            } => Self::not_found(e.to_string())
                .naming(layer.as_str(), key)
                .with("field", json!(field)),
            AdviceError::Placement(
                p @ (PlacementError::TargetTooLarge { .. } | PlacementError::Interrupted(_)),
            ) => Self::unprocessable(p.field(), p.to_string()).with_problem(p.problem()),
            AdviceError::Placement(p) => {
                Self::bad_request(p.field(), p.to_string()).with_problem(p.problem())
            }
            AdviceError::OutsideCity(detail) => {
                Self::unprocessable("target.geometry", detail).with_problem(Problem::OutsideCity)
            }
        }
    }
}

/// The query of `POST /api/v1/cameras/placement`.
#[derive(Debug, Deserialize)]
pub struct PlacementQuery {
    /// The coordinate system of the body's positions: `wgs84` (default), `gcj02` or `bd09`.
    crs: Option<String>,
}

/// `POST /api/v1/cameras/placement[?crs=]` (planner, rectification or admin).
///
/// # Units
/// WGS84 `[lon, lat]` (input converted from `crs`); metres, square metres, degrees; shares in
/// percent of the target's weight.
pub async fn propose_placement(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<PlacementQuery>,
    AppJson(body): AppJson<PlacementBody>,
) -> ApiResult<Response> {
    caller.require_any(
        &PLACEMENT_ROLES,
        "placement advice",
        "planner, rectification or admin",
    )?;
    let crs = parse_crs(query.crs.as_deref())?;
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    // Checking the body needs the snapshot (the target is a grid, village or key area of it)
    // and is shared with the CLI: `advise` checks it, then plans, off the async threads
    // (thousands of sight-line tests and up to 50 polygon overlays).
    let body = off_thread(move || placement::advise(&cache, &snapshot, body, crs)).await??;
    Ok(geojson_response(StatusCode::OK, &body))
}
