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
use geo::Rect;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::coverage::{CoverageCache, CoverageLayer};
use crate::domain::DomainError;
use crate::service::coverage_report::{self, CoverageTable, TableQuery, geometry_json, r2};
use crate::spatial::Snapshot;

use super::AppState;
use super::answer::{FeaturePage, geojson, geojson_response};
use super::error::{ApiError, ApiResult};
use super::extract::AppQuery;
use super::params::{page_limit, parse_bbox, parse_opt};

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
    ApiError::bad_parameter(e)
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

/// The query of `GET /api/v1/coverage`.
#[derive(Debug, Deserialize)]
pub struct CoverageTableQuery {
    /// `grids` (default), `villages`, `towns`, `key-areas` or `patrol-routes`.
    layer: Option<String>,
    /// Key areas only: one category.
    category: Option<String>,
    /// `worst` (default), `lost` or `key`.
    sort: Option<String>,
    /// At most this many rows.
    limit: Option<String>,
    /// Rows that lost more than this many points to offline cameras are listed in the summary
    /// (default 10).
    lost_over: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// A coverage table to compute, checked, and how to answer it.
#[derive(Debug)]
struct TableRequest {
    query: TableQuery,
    csv: bool,
}

impl TryFrom<CoverageTableQuery> for TableRequest {
    type Error = ApiError;

    fn try_from(params: CoverageTableQuery) -> ApiResult<Self> {
        let limit = parse_opt("limit", params.limit.as_deref())?;
        let lost_over = parse_opt("lost_over", params.lost_over.as_deref())?;
        let query = TableQuery::parse(
            params.layer.as_deref(),
            params.category.as_deref(),
            params.sort.as_deref(),
            limit,
            lost_over,
        )
        .map_err(bad_param)?;
        let csv = match params.format.as_deref().unwrap_or("json") {
            "json" => false,
            "csv" => true,
            other => {
                return Err(ApiError::bad_request(
                    "format",
                    format!("unknown format `{other}`: use json or csv"),
                ));
            }
        };
        Ok(Self { query, csv })
    }
}

/// `GET /api/v1/coverage?layer=&category=&sort=worst|key|lost&limit=&lost_over=&format=json|csv`.
///
/// # Units
/// Areas in m², lengths in m, shares in percent, `lost_points` in percentage points.
pub async fn coverage_table(
    State(state): State<AppState>,
    AppQuery(params): AppQuery<CoverageTableQuery>,
) -> ApiResult<Response> {
    let TableRequest { query, csv } = TableRequest::try_from(params)?;
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

/// The query of `GET /api/v1/coverage/{layer}/{key}`.
#[derive(Debug, Deserialize)]
pub struct FeatureQuery {
    /// `seen` to add what online cameras see; `blind` (the default) for the blind spots only.
    include: Option<String>,
}

/// One feature's coverage report to compute, checked.
#[derive(Debug)]
struct FeatureRequest {
    layer: CoverageLayer,
    key: String,
    include_seen: bool,
}

impl FeatureRequest {
    fn check(layer: &str, key: String, query: &FeatureQuery) -> ApiResult<Self> {
        let layer = parse_layer(layer)?;
        let include_seen = match query.include.as_deref() {
            None | Some("" | "blind") => false,
            Some("seen") => true,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "include",
                    format!("unknown include `{other}`: use seen"),
                ));
            }
        };
        Ok(Self {
            layer,
            key,
            include_seen,
        })
    }
}

/// `GET /api/v1/coverage/{layer}/{key}[?include=seen]`: the feature's figures (as the
/// collection's `properties`) and its blind spots (`part: blind`), with `include=seen` also
/// what online cameras see (`part: seen`).
pub async fn feature_coverage(
    State(state): State<AppState>,
    Path((layer, key)): Path<(String, String)>,
    AppQuery(query): AppQuery<FeatureQuery>,
) -> ApiResult<Response> {
    let FeatureRequest {
        layer,
        key,
        include_seen,
    } = FeatureRequest::check(&layer, key, &query)?;
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    let k = key.clone();
    let body = blocking(move || {
        coverage_report::feature_report(&cache, &snapshot, layer, &k, include_seen)
    })
    .await?
    .ok_or_else(|| {
        ApiError::not_found(format!("{} `{key}` does not exist", layer.path()))
            .naming(layer.path(), &key)
    })?;
    Ok(geojson_response(StatusCode::OK, &body))
}

/// The query of `GET /api/v1/coverage/blind-spots`.
#[derive(Debug, Deserialize)]
pub struct BlindSpotQuery {
    /// `minLon,minLat,maxLon,maxLat`; required.
    bbox: Option<String>,
    /// Grids, `1..=`[`MAX_BLIND_SPOT_GRIDS`]; [`DEFAULT_BLIND_SPOT_GRIDS`] when not given.
    limit: Option<String>,
}

/// A blind-spot request, checked.
#[derive(Debug)]
struct BlindSpotRequest {
    bbox: Rect,
    limit: usize,
}

impl TryFrom<BlindSpotQuery> for BlindSpotRequest {
    type Error = ApiError;

    fn try_from(query: BlindSpotQuery) -> ApiResult<Self> {
        let bbox =
            parse_bbox(query.bbox.as_deref().ok_or_else(|| {
                ApiError::bad_request("bbox", "query parameter `bbox` is required")
            })?)?;
        let limit = page_limit(
            query.limit.as_deref(),
            DEFAULT_BLIND_SPOT_GRIDS,
            MAX_BLIND_SPOT_GRIDS,
        )?;
        Ok(Self { bbox, limit })
    }
}

/// A grid's blind spots, with its share.
#[derive(Debug, Serialize)]
struct BlindSpotFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Value,
    properties: BlindSpotFigures<'a>,
}

/// What a grid's blind-spot Feature says of it.
#[derive(Debug, Serialize)]
struct BlindSpotFigures<'a> {
    code: &'a str,
    name: &'a str,
    share: f64,
    lost_points: f64,
    blind_m2: f64,
}

/// Blind spots of the grids in `bbox`, at most `limit`, sorted by code, and how many grids
/// intersect it.
fn blind_spots_in<'s>(
    cache: &CoverageCache,
    snapshot: &'s Snapshot,
    request: &BlindSpotRequest,
) -> FeaturePage<BlindSpotFeature<'s>> {
    let grids = snapshot.grids.within(request.bbox);
    let matched = grids.len();
    let features = grids
        .into_iter()
        .take(request.limit)
        .filter_map(|g| {
            let row = cache.feature_coverage(snapshot, CoverageLayer::Grids, &g.code)?;
            let geometry = geometry_json(&row.coverage.blind)?;
            Some(BlindSpotFeature {
                kind: "Feature",
                id: &g.code,
                geometry,
                properties: BlindSpotFigures {
                    code: &g.code,
                    name: &g.name,
                    share: r2(row.coverage.share()),
                    lost_points: r2(row.coverage.lost_points()),
                    blind_m2: r2((row.coverage.size - row.coverage.seen).max(0.0)),
                },
            })
        })
        .collect();
    FeaturePage::new(features, Some(matched))
}

/// `GET /api/v1/coverage/blind-spots?bbox=&limit=`: the blind-spot polygons of the grids that
/// intersect `bbox` (at most `limit` grids, by code), one Feature per grid with its share.
pub async fn blind_spots(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<BlindSpotQuery>,
) -> ApiResult<Response> {
    let request = BlindSpotRequest::try_from(query)?;
    let snapshot = state.service.snapshot();
    let cache = state.service.coverage_cache().clone();
    blocking(move || geojson(&blind_spots_in(&cache, &snapshot, &request))).await?
}
