//! Coverage analytics over the HTTP API ([`crate::analysis::coverage`]):
//!
//! * `GET /api/v1/coverage?layer=grids|villages|towns|key-areas|patrol-routes` — one row per
//!   feature (share seen by one and by two or more online cameras, the share were every camera
//!   online, the points lost to offline cameras), worst first, with a summary; `format=csv`
//!   gives the same columns as a spreadsheet.
//! * `GET /api/v1/coverage/{layer}/{key}` — one feature's figures and its blind spots (and,
//!   with `include=seen`, what is seen) as a GeoJSON FeatureCollection.
//! * `GET /api/v1/coverage/blind-spots?bbox=` — blind spots of the grids in a box, for the map.
//!
//! Layer tables are computed once per snapshot and kept until a camera, an obstacle or the
//! layer changes; answers say whether they came from that cache. Readers need no token, as for
//! every other GET.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::analysis::coverage::{CoverageCache, CoverageLayer};
use crate::domain::DomainError;
use crate::service::coverage_report::{self, CoverageTable, TableQuery, geometry_json, r2};
use crate::spatial::Snapshot;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::layers::geojson_response;
use super::params::parse_bbox;

/// Most grids whose blind spots one bbox request returns.
pub const MAX_BLIND_SPOT_GRIDS: usize = 500;
/// Default number of grids for a bbox request.
pub const DEFAULT_BLIND_SPOT_GRIDS: usize = 200;

/// The coverage routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/coverage", get(coverage_table))
        .route("/api/v1/coverage/blind-spots", get(blind_spots))
        .route("/api/v1/coverage/{layer}/{key}", get(feature_coverage))
}

/// A bad query parameter is a 400 naming it.
fn bad_param(e: DomainError) -> ApiError {
    ApiError::bad_request(&e.field, e.reason)
}

fn parse_layer(raw: &str) -> ApiResult<CoverageLayer> {
    coverage_report::parse_layer(raw).map_err(bad_param)
}

/// Runs CPU-heavy coverage work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// `GET /api/v1/coverage?layer=&category=&sort=worst|key|lost&limit=&lost_over=&format=json|csv`.
///
/// # Units
/// Areas in m², lengths in m, shares in percent, `lost_points` in percentage points.
pub async fn coverage_table(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let query = TableQuery::parse(
        params.raw("layer"),
        params.raw("category"),
        params.raw("sort"),
        params.parse::<usize>("limit")?,
        params.parse::<f64>("lost_over")?,
    )
    .map_err(bad_param)?;
    let csv = match params.raw("format").unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_request(
                "format",
                format!("unknown format `{other}`: use json or csv"),
            ));
        }
    };
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    let table = blocking(move || CoverageTable::compute(&cache, &snapshot, &query)).await?;
    if !csv {
        return Ok(axum::Json(table.to_json()).into_response());
    }
    let body = table.to_csv().map_err(|e| ApiError::internal(&e))?;
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        body,
    )
        .into_response();
    let disposition = format!(
        "attachment; filename=\"coverage-{}.csv\"",
        table.layer().path()
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `GET /api/v1/coverage/{layer}/{key}[?include=seen]`: the feature's figures (as the
/// collection's `properties`) and its blind spots (`part: blind`), with `include=seen` also
/// what online cameras see (`part: seen`).
pub async fn feature_coverage(
    State(state): State<AppState>,
    Path((layer, key)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    let layer = parse_layer(&layer)?;
    let include_seen = match params.raw("include") {
        None | Some("" | "blind") => false,
        Some("seen") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "include",
                format!("unknown include `{other}`: use seen"),
            ));
        }
    };
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    let k = key.clone();
    let body = blocking(move || {
        coverage_report::feature_report(&cache, &snapshot, layer, &k, include_seen)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("{} `{key}` does not exist", layer.path())))?;
    Ok(geojson_response(StatusCode::OK, &body))
}

/// Blind spots of the grids in `bbox`, at most `limit`, sorted by code.
fn blind_spots_in(
    cache: &CoverageCache,
    snapshot: &Snapshot,
    bbox: geo::Rect,
    limit: usize,
) -> (Vec<Value>, usize) {
    let grids = snapshot.grids.within(bbox);
    let matched = grids.len();
    let features = grids
        .iter()
        .take(limit)
        .filter_map(|g| {
            let row = cache.feature_coverage(snapshot, CoverageLayer::Grids, &g.code)?;
            let geometry = geometry_json(&row.coverage.blind)?;
            Some(
                json!({"type": "Feature", "id": g.code, "geometry": geometry, "properties": {
                    "code": g.code, "name": g.name,
                    "share": r2(row.coverage.share()),
                    "lost_points": r2(row.coverage.lost_points()),
                    "blind_m2": r2((row.coverage.size - row.coverage.seen).max(0.0)),
                }}),
            )
        })
        .collect();
    (features, matched)
}

/// `GET /api/v1/coverage/blind-spots?bbox=&limit=`: the blind-spot polygons of the grids that
/// intersect `bbox` (at most `limit` grids, by code), one Feature per grid with its share.
pub async fn blind_spots(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let bbox = parse_bbox(
        params
            .raw("bbox")
            .ok_or_else(|| ApiError::bad_request("bbox", "query parameter `bbox` is required"))?,
    )?;
    let limit = params
        .parse::<usize>("limit")?
        .unwrap_or(DEFAULT_BLIND_SPOT_GRIDS);
    if limit == 0 || limit > MAX_BLIND_SPOT_GRIDS {
        return Err(ApiError::bad_request(
            "limit",
            format!("limit must be 1..={MAX_BLIND_SPOT_GRIDS}"),
        ));
    }
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    let (features, matched) =
        blocking(move || blind_spots_in(&cache, &snapshot, bbox, limit)).await?;
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": features.len(),
        "features": features,
    });
    Ok(geojson_response(StatusCode::OK, &body))
}
