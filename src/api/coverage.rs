//! `GET /api/v1/cameras/{code}/coverage`: what a camera really sees, as a GeoJSON Feature whose
//! geometry is its ground footprint less what obstacles hide, their heights counted against the
//! camera's ([`crate::spatial::visibility`]), with the areas and distances as properties. The
//! request is the camera's code alone; the answer is a `CoverageFeature`.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use crate::domain::Layer;
use crate::domain::geometry::area_to_geojson;
use crate::spatial::visibility::{self, Coverage};

use super::AppState;
use super::answer::geojson;
use super::error::{ApiError, ApiResult};

/// Rounds to centimetres (or square centimetres' worth of square metres).
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The answer: the visible ground as a Feature (no geometry when obstacles hide it all).
#[derive(Debug, Serialize)]
struct CoverageFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Option<geojson::Geometry>,
    properties: CoverageFigures<'a>,
}

/// A camera's coverage figures, rounded to centimetres.
#[derive(Debug, Serialize)]
struct CoverageFigures<'a> {
    code: &'a str,
    near_m: f64,
    far_m: f64,
    footprint_m2: f64,
    area_m2: f64,
    occluded_m2: f64,
    /// In `[0, 1]`, to four decimals.
    occluded_share: f64,
    obstacles_considered: usize,
}

impl<'a> CoverageFeature<'a> {
    fn new(code: &'a str, coverage: &Coverage) -> Self {
        Self {
            kind: "Feature",
            id: code,
            geometry: (!coverage.area.0.is_empty()).then(|| area_to_geojson(&coverage.area)),
            properties: CoverageFigures {
                code,
                near_m: round2(coverage.near_m),
                far_m: round2(coverage.far_m),
                footprint_m2: round2(coverage.footprint_m2),
                area_m2: round2(coverage.area_m2),
                occluded_m2: round2((coverage.footprint_m2 - coverage.area_m2).max(0.0)),
                occluded_share: (coverage.occluded_share() * 10_000.0).round() / 10_000.0,
                obstacles_considered: coverage.obstacles_considered,
            },
        }
    }
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
        .ok_or_else(|| ApiError::missing_item(Layer::Camera, &code))?;
    // Polygon overlay is CPU work of a few milliseconds: keep it off the async workers.
    let coverage =
        tokio::task::spawn_blocking(move || visibility::camera_coverage(&snapshot, &camera))
            .await
            .map_err(|e| ApiError::internal(&e))?;
    geojson(&CoverageFeature::new(&code, &coverage))
}
