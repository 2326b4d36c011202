//! `GET /api/v1/cameras/{code}/coverage`: what a camera really sees, as a GeoJSON Feature whose
//! geometry is its ground footprint less what obstacles hide, their heights counted against the
//! camera's ([`crate::spatial::visibility`]), with the areas and distances as properties.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::geometry::area_to_geojson;
use crate::spatial::visibility;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::layers::geojson_response;

/// Rounds to centimetres (or square centimetres' worth of square metres).
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `GET /api/v1/cameras/{code}/coverage`.
///
/// # Units
/// Geometry in WGS84 `[lon, lat]`; `near_m`, `far_m` in metres; `*_m2` in square metres;
/// `occluded_share` in `[0, 1]`.
pub async fn camera_coverage(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let snapshot = state.service.snapshot();
    let camera = snapshot
        .cameras
        .get(&code)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("cameras `{code}` does not exist")))?;
    // Polygon overlay is CPU work of a few milliseconds: keep it off the async workers.
    let coverage =
        tokio::task::spawn_blocking(move || visibility::camera_coverage(&snapshot, &camera))
            .await
            .map_err(|e| ApiError::internal(&e))?;
    let geometry = (!coverage.area.0.is_empty()).then(|| area_to_geojson(&coverage.area));
    let occluded_m2 = (coverage.footprint_m2 - coverage.area_m2).max(0.0);
    let body = json!({
        "type": "Feature",
        "id": code,
        "geometry": geometry,
        "properties": {
            "code": code,
            "near_m": round2(coverage.near_m),
            "far_m": round2(coverage.far_m),
            "footprint_m2": round2(coverage.footprint_m2),
            "area_m2": round2(coverage.area_m2),
            "occluded_m2": round2(occluded_m2),
            "occluded_share": (coverage.occluded_share() * 10_000.0).round() / 10_000.0,
            "obstacles_considered": coverage.obstacles_considered,
        },
    });
    Ok(geojson_response(StatusCode::OK, &body))
}
