//! `POST /api/v1/cameras/placement`: where `k` new cameras would add the most coverage to a
//! grid, village, key area or drawn polygon ([`crate::analysis::placement`]). Nothing is written.
//!
//! The answer is a GeoJSON FeatureCollection the map draws as it is: for each proposed camera
//! (in pick order, `rank` 1..k) a Point with `role: camera` and its visible polygon with
//! `role: sector`, both carrying the camera's figures and its marginal gain; `target` and
//! `summary` (the algorithm and its guarantee, coverage before and after, cells, candidates,
//! time) are top-level members.
//!
//! The request and the answer are [`crate::service::placement`]'s, shared with the CLI.
//!
//! Who may ask: planners (they place cameras), rectification teams (they ask where cameras
//! would cover a key area) and admins. The computation only reads, but it is CPU-heavy (up to
//! 5,000 sites × 8 orientations), so it is not open to every reader; it runs off the async
//! threads.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::analysis::placement::PlacementError;
use crate::domain::Role;
use crate::service::placement::{self, AdviceError, PlacementBody};
use crate::spatial::crs::Crs;

use super::AppState;
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller, Params};
use super::layers::geojson_response;

/// Roles that may ask for placement advice.
pub const PLACEMENT_ROLES: [Role; 3] = [Role::Admin, Role::Planner, Role::Rectification];

impl From<AdviceError> for ApiError {
    fn from(e: AdviceError) -> Self {
        match e {
            AdviceError::Invalid(d) => Self::bad_request(&d.field, d.reason),
            AdviceError::UnknownTarget { field, .. } => {
                Self::not_found(e.to_string()).with("field", json!(field))
            }
            AdviceError::Placement(
                p @ (PlacementError::TargetTooLarge { .. } | PlacementError::Interrupted(_)),
            ) => Self::unprocessable(p.field(), p.to_string()),
            AdviceError::Placement(p) => Self::bad_request(p.field(), p.to_string()),
            AdviceError::OutsideCity(detail) => Self::unprocessable("target.geometry", detail),
        }
    }
}

fn require_role(caller: &Caller) -> ApiResult<()> {
    match caller.role {
        None => Err(ApiError::unauthorized(
            "placement advice needs a bearer token (planner, rectification or admin)",
        )),
        Some(role) if PLACEMENT_ROLES.contains(&role) => Ok(()),
        Some(role) => Err(ApiError::forbidden(format!(
            "role `{}` may not ask for placement advice; planner, rectification or admin",
            role.as_str()
        ))),
    }
}

/// `POST /api/v1/cameras/placement[?crs=]` (planner, rectification or admin).
///
/// # Units
/// WGS84 `[lon, lat]` (input converted from `crs`); metres, square metres, degrees; shares in
/// percent of the target's weight.
pub async fn propose_placement(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    AppJson(body): AppJson<PlacementBody>,
) -> ApiResult<Response> {
    require_role(&caller)?;
    let crs = params.parse::<Crs>("crs")?.unwrap_or(Crs::Wgs84);
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    // Thousands of sight-line tests and up to 50 polygon overlays: off the async threads.
    let body = off_thread(move || placement::advise(&cache, &snapshot, body, crs)).await??;
    Ok(geojson_response(StatusCode::OK, &body))
}
