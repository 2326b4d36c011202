//! Coverage analytics over the HTTP API ([`crate::spatial::coverage`]):
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

use crate::domain::KeyAreaCategory;
use crate::spatial::Snapshot;
use crate::spatial::coverage::{CoverageLayer, FeatureCoverage, TargetCoverage};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::layers::{geojson_response, parse_bbox};

/// Default `lost_over` threshold, percentage points.
pub const DEFAULT_LOST_OVER: f64 = 10.0;
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

fn allowed_layers() -> String {
    CoverageLayer::ALL
        .iter()
        .map(|l| l.path())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_layer(raw: &str) -> ApiResult<CoverageLayer> {
    CoverageLayer::parse(raw).ok_or_else(|| {
        ApiError::bad_request(
            "layer",
            format!("unknown layer `{raw}`: use one of {}", allowed_layers()),
        )
    })
}

/// The serde name of a key-area category (`school_surroundings`).
fn category_name(c: KeyAreaCategory) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Rounds to 0.01.
fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Runs CPU-heavy coverage work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// The figures of one feature, as a JSON object (the columns of the table and the CSV).
fn figures(layer: CoverageLayer, row: &FeatureCoverage) -> serde_json::Map<String, Value> {
    let c: &TargetCoverage = &row.coverage;
    let mut m = serde_json::Map::new();
    m.insert(key_field(layer).into(), json!(row.key));
    m.insert("name".into(), json!(row.name));
    if let Some(cat) = row.category {
        m.insert("category".into(), json!(category_name(cat)));
    }
    let (size, seen, seen2) = if layer.is_line() {
        ("length_m", "seen_m", "seen_2plus_m")
    } else {
        ("area_m2", "seen_m2", "seen_2plus_m2")
    };
    m.insert(size.into(), json!(r2(c.size)));
    m.insert(seen.into(), json!(r2(c.seen)));
    m.insert(seen2.into(), json!(r2(c.seen_2plus)));
    m.insert("share".into(), json!(r2(c.share())));
    m.insert("share_2plus".into(), json!(r2(c.share_2plus())));
    m.insert(
        "share_if_all_online".into(),
        json!(r2(c.share_if_all_online())),
    );
    m.insert("lost_points".into(), json!(r2(c.lost_points())));
    m.insert("cameras_online".into(), json!(c.cameras_online));
    m.insert("cameras_offline".into(), json!(c.cameras_offline));
    m
}

fn key_field(layer: CoverageLayer) -> &'static str {
    match layer {
        CoverageLayer::Grids | CoverageLayer::Villages | CoverageLayer::Towns => "code",
        CoverageLayer::KeyAreas | CoverageLayer::PatrolRoutes => "id",
    }
}

/// CSV columns, in order, for `layer`.
fn columns(layer: CoverageLayer) -> Vec<&'static str> {
    let mut cols = vec![key_field(layer), "name"];
    if layer == CoverageLayer::KeyAreas {
        cols.push("category");
    }
    if layer.is_line() {
        cols.extend(["length_m", "seen_m", "seen_2plus_m"]);
    } else {
        cols.extend(["area_m2", "seen_m2", "seen_2plus_m2"]);
    }
    cols.extend([
        "share",
        "share_2plus",
        "share_if_all_online",
        "lost_points",
        "cameras_online",
        "cameras_offline",
    ]);
    cols
}

fn csv_body(layer: CoverageLayer, rows: &[serde_json::Map<String, Value>]) -> ApiResult<String> {
    let cols = columns(layer);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&cols).map_err(|e| ApiError::internal(&e))?;
    for row in rows {
        let record: Vec<String> = cols
            .iter()
            .map(|c| match row.get(*c) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            })
            .collect();
        w.write_record(&record)
            .map_err(|e| ApiError::internal(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::internal(&e))?;
    // A byte-order mark, so that spreadsheets read the Chinese names as UTF-8.
    Ok(format!(
        "\u{feff}{}",
        String::from_utf8(bytes).map_err(|e| ApiError::internal(&e))?
    ))
}

/// `GET /api/v1/coverage?layer=&category=&sort=worst|key|lost&limit=&lost_over=&format=json|csv`.
///
/// # Units
/// Areas in m², lengths in m, shares in percent, `lost_points` in percentage points.
pub async fn coverage_table(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let layer = parse_layer(params.raw("layer").unwrap_or("grids"))?;
    let category = params.raw("category").map(str::to_owned);
    if let Some(c) = &category {
        if layer != CoverageLayer::KeyAreas {
            return Err(ApiError::bad_request(
                "category",
                "category applies to layer=key-areas only",
            ));
        }
        serde_json::from_value::<KeyAreaCategory>(json!(c)).map_err(|_| {
            ApiError::bad_request(
                "category",
                format!("unknown category `{c}`: use urban_village, school_surroundings, urban_rural_fringe or disorderly_spot"),
            )
        })?;
    }
    let sort = params.raw("sort").unwrap_or("worst").to_owned();
    if !["worst", "lost", "key"].contains(&sort.as_str()) {
        return Err(ApiError::bad_request(
            "sort",
            format!("unknown sort `{sort}`: use worst, lost or key"),
        ));
    }
    let limit = params.parse::<usize>("limit")?;
    if limit == Some(0) {
        return Err(ApiError::bad_request("limit", "limit must be at least 1"));
    }
    let lost_over = params
        .parse::<f64>("lost_over")?
        .unwrap_or(DEFAULT_LOST_OVER);
    if !lost_over.is_finite() {
        return Err(ApiError::bad_request(
            "lost_over",
            "lost_over must be a number",
        ));
    }
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
    let (table, cached) = blocking(move || snapshot.layer_coverage(layer)).await?;
    let mut rows: Vec<&FeatureCoverage> = table
        .rows
        .iter()
        .filter(|r| {
            category
                .as_deref()
                .is_none_or(|c| r.category.map(category_name).as_deref() == Some(c))
        })
        .collect();
    match sort.as_str() {
        "worst" => rows.sort_by(|a, b| {
            a.coverage
                .share()
                .total_cmp(&b.coverage.share())
                .then_with(|| a.key.cmp(&b.key))
        }),
        "lost" => rows.sort_by(|a, b| {
            b.coverage
                .lost_points()
                .total_cmp(&a.coverage.lost_points())
                .then_with(|| a.key.cmp(&b.key))
        }),
        _ => {}
    }
    let features = rows.len();
    let lost: Vec<&str> = rows
        .iter()
        .filter(|r| r.coverage.lost_points() > lost_over)
        .map(|r| r.key.as_str())
        .collect();
    let total: f64 = rows.iter().map(|r| r.coverage.size).sum();
    let seen: f64 = rows.iter().map(|r| r.coverage.seen).sum();
    let seen_all: f64 = rows.iter().map(|r| r.coverage.seen_if_all_online).sum();
    let pct = |part: f64| {
        if total > 0.0 {
            r2(100.0 * part / total)
        } else {
            0.0
        }
    };
    let unseen = rows.iter().filter(|r| r.coverage.seen <= 0.0).count();
    let shown: Vec<serde_json::Map<String, Value>> = rows
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|r| figures(layer, r))
        .collect();
    if csv {
        let body = csv_body(layer, &shown)?;
        let mut response = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            body,
        )
            .into_response();
        let disposition = format!("attachment; filename=\"coverage-{}.csv\"", layer.path());
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    let body = json!({
        "layer": layer.path(),
        "computed_in_ms": r2(table.computed_in.as_secs_f64() * 1e3),
        "cached": cached,
        "sort": sort,
        "summary": {
            "features": features,
            "share": pct(seen),
            "share_if_all_online": pct(seen_all),
            "lost_points": r2((pct(seen_all) - pct(seen)).max(0.0)),
            "without_any_camera": unseen,
            "lost_over": lost_over,
            "lost_over_count": lost.len(),
            "lost_over_keys": lost,
        },
        "rows": shown,
    });
    Ok(axum::Json(body).into_response())
}

fn geometry_json(g: &geo::Geometry) -> Option<Value> {
    let empty = match g {
        geo::Geometry::MultiPolygon(mp) => mp.0.is_empty(),
        geo::Geometry::MultiLineString(ml) => ml.0.is_empty(),
        _ => false,
    };
    (!empty).then(|| json!(geojson::Geometry::new(geojson::Value::from(g))))
}

fn feature_collection(layer: CoverageLayer, row: &FeatureCoverage, include_seen: bool) -> Value {
    let props = figures(layer, row);
    let mut features = Vec::new();
    if let Some(g) = geometry_json(&row.coverage.blind) {
        features.push(json!({"type": "Feature", "geometry": g,
            "properties": {"part": "blind", key_field(layer): row.key}}));
    }
    if include_seen && let Some(g) = geometry_json(&row.coverage.seen_geometry) {
        features.push(json!({"type": "Feature", "geometry": g,
            "properties": {"part": "seen", key_field(layer): row.key}}));
    }
    json!({"type": "FeatureCollection", "layer": layer.path(), "properties": props, "features": features})
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
    let k = key.clone();
    let row = blocking(move || snapshot.feature_coverage(layer, &k))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} `{key}` does not exist", layer.path())))?;
    Ok(geojson_response(
        StatusCode::OK,
        &feature_collection(layer, &row, include_seen),
    ))
}

/// Blind spots of the grids in `bbox`, at most `limit`, sorted by code.
fn blind_spots_in(snapshot: &Snapshot, bbox: geo::Rect, limit: usize) -> (Vec<Value>, usize) {
    let grids = snapshot.grids.within(bbox);
    let matched = grids.len();
    let features = grids
        .iter()
        .take(limit)
        .filter_map(|g| {
            let row = snapshot.feature_coverage(CoverageLayer::Grids, &g.code)?;
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
    let (features, matched) = blocking(move || blind_spots_in(&snapshot, bbox, limit)).await?;
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": features.len(),
        "features": features,
    });
    Ok(geojson_response(StatusCode::OK, &body))
}
