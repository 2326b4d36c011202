//! `GET /api/v1/locate` (one point, the full answer) and `POST /api/v1/locate` (a batch of up
//! to [`MAX_BATCH_POINTS`] points, one result per point in input order, as JSON or streamed
//! NDJSON). Both take the [`OptionsQuery`]; a [`LocateQuery`] is checked into one point in
//! WGS84, a [`BatchQuery`] and a [`BatchBody`] into a batch of them.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use geo::Coord;
use serde::{Deserialize, Serialize};

use crate::domain::Problem;
use crate::domain::geometry::check_position;
use crate::domain::problem::Unit;
use crate::spatial::crs::{Crs, to_wgs84};
use crate::spatial::locate::{self, DEFAULT_ROUTE_WITHIN_M, MAX_ROUTE_WITHIN_M};
use crate::spatial::{LocateOptions, Location, Snapshot};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AppQuery, Caller};
use super::params::{parse_crs, parse_opt, parse_required};

/// Most points accepted in one batch.
pub const MAX_BATCH_POINTS: usize = 1_000_000;
/// Points per NDJSON chunk and per unit of parallel work.
const CHUNK: usize = 16_384;

/// The options both locate endpoints take in their query.
#[derive(Debug, Deserialize)]
pub struct OptionsQuery {
    /// The coordinate system of the input positions: `wgs84` (default), `gcj02` or `bd09`.
    crs: Option<String>,
    /// Patrol routes within this many metres are reported, `0..=`[`MAX_ROUTE_WITHIN_M`]
    /// ([`DEFAULT_ROUTE_WITHIN_M`] when not given).
    route_within_m: Option<String>,
    /// The grid versions valid at this RFC 3339 time answer; the current ones when not given.
    at: Option<String>,
}

/// The options of a location, checked.
#[derive(Debug, Clone, Copy)]
struct Options {
    crs: Crs,
    locate: LocateOptions,
}

impl TryFrom<OptionsQuery> for Options {
    type Error = ApiError;

    fn try_from(query: OptionsQuery) -> ApiResult<Self> {
        let crs = parse_crs(query.crs.as_deref())?;
        let route_within_m = parse_opt("route_within_m", query.route_within_m.as_deref())?
            .unwrap_or(DEFAULT_ROUTE_WITHIN_M);
        if !(route_within_m.is_finite() && (0.0..=MAX_ROUTE_WITHIN_M).contains(&route_within_m)) {
            return Err(ApiError::bad_request(
                "route_within_m",
                format!("must be between 0 and {MAX_ROUTE_WITHIN_M} metres"),
            )
            .with_problem(Problem::out_of_range(
                0.0..=MAX_ROUTE_WITHIN_M,
                Unit::Metres,
            )));
        }
        let at = query
            .at
            .map(|s| {
                // An unencoded `+08:00` arrives as ` 08:00`: a space cannot be part of the time.
                let s = s.trim().replace(' ', "+");
                DateTime::parse_from_rfc3339(&s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        ApiError::bad_request("at", format!("`{s}` is not an RFC 3339 time: {e}"))
                    })
            })
            .transpose()?;
        Ok(Self {
            crs,
            locate: LocateOptions { route_within_m, at },
        })
    }
}

/// Converts an input position from `crs` to WGS84 and checks it.
fn wgs84_point(field: &str, crs: Crs, pos: &[f64]) -> Result<Coord, crate::domain::DomainError> {
    // Check the raw numbers first: conversion formulas must not see NaN or absurd values.
    let raw = check_position(field, pos)?;
    let (lon, lat) = to_wgs84(crs, raw.x, raw.y);
    check_position(field, &[lon, lat])
}

/// The query of `GET /api/v1/locate`.
#[derive(Debug, Deserialize)]
pub struct LocateQuery {
    /// Longitude in `crs`; required.
    lon: Option<String>,
    /// Latitude in `crs`; required.
    lat: Option<String>,
    #[serde(flatten)]
    options: OptionsQuery,
}

/// One point to locate, checked: in WGS84, within range.
#[derive(Debug)]
struct LocateRequest {
    point: Coord,
    options: LocateOptions,
}

impl TryFrom<LocateQuery> for LocateRequest {
    type Error = ApiError;

    fn try_from(query: LocateQuery) -> ApiResult<Self> {
        let lon: f64 = parse_required("lon", query.lon.as_deref())?;
        let lat: f64 = parse_required("lat", query.lat.as_deref())?;
        let Options { crs, locate } = query.options.try_into()?;
        let point = wgs84_point("lon,lat", crs, &[lon, lat])
            .map_err(|e| ApiError::bad_parameter(e.at("lon,lat")))?;
        Ok(Self {
            point,
            options: locate,
        })
    }
}

/// `GET /api/v1/locate?lon=&lat=[&crs=][&at=][&route_within_m=]`.
pub async fn locate_point(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<LocateQuery>,
) -> ApiResult<Response> {
    let request = LocateRequest::try_from(query)?;
    let snapshot = state.service.snapshot();
    let mut location = locate::locate(&snapshot, request.point, request.options);
    // Workers' phones: unmasked only for a role that needs them, and then on the record.
    match caller.personal_data_reader() {
        Some((token, role)) => {
            let shown: Vec<&str> = location
                .workers()
                .filter(|w| w.phone.is_some())
                .map(|w| w.id.as_str())
                .collect();
            state
                .service
                .record_personal_read(token, role, "locate", &shown)
                .await?;
        }
        None => location.mask_phones(),
    }
    Ok(axum::Json(location).into_response())
}

/// A batch body: `{"points": [[lon, lat], ...]}` or a GeoJSON FeatureCollection of Points.
#[derive(Debug, Deserialize)]
pub struct BatchBody {
    #[serde(default)]
    points: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    features: Option<Vec<PointFeature>>,
}

#[derive(Debug, Deserialize)]
struct PointFeature {
    geometry: Option<PointGeometry>,
}

#[derive(Debug, Deserialize)]
struct PointGeometry {
    #[serde(rename = "type")]
    kind: String,
    /// Kept loose so that a non-Point feature yields a per-point error, not a 400 for all.
    #[serde(default)]
    coordinates: serde_json::Value,
}

impl PointGeometry {
    fn position(&self) -> Option<Vec<f64>> {
        self.coordinates
            .as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    }
}

/// One result of a batch in the compact form: the codes of what holds the point.
#[derive(Debug, Serialize)]
struct CompactHit<'a> {
    town: Option<&'a str>,
    village: Option<&'a str>,
    grid: Option<&'a str>,
    micro_grid: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct PointError {
    error: String,
}

/// The query of `POST /api/v1/locate`.
#[derive(Debug, Deserialize)]
pub struct BatchQuery {
    /// `codes` (default: the codes of what holds each point) or `full` (the whole location).
    detail: Option<String>,
    #[serde(flatten)]
    options: OptionsQuery,
}

/// A batch to locate, checked: each point in WGS84, or why it is not a position (that point
/// is answered with the error, the others are located), at most [`MAX_BATCH_POINTS`].
#[derive(Debug)]
struct BatchRequest {
    points: Vec<Result<Coord, String>>,
    options: LocateOptions,
    full: bool,
    /// Answer NDJSON, streamed, rather than one JSON document.
    ndjson: bool,
}

impl BatchRequest {
    fn check(query: BatchQuery, headers: &HeaderMap, body: BatchBody) -> ApiResult<Self> {
        let Options { crs, locate } = query.options.try_into()?;
        let full = match query.detail.as_deref() {
            None | Some("codes") => false,
            Some("full") => true,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "detail",
                    format!("`{other}`: use `codes` (default) or `full`"),
                ));
            }
        };
        let points: Vec<Result<Coord, String>> = match (body.points, body.features) {
            (Some(points), None) => points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    wgs84_point(&format!("points[{i}]"), crs, p).map_err(|e| e.to_string())
                })
                .collect(),
            (None, Some(features)) => features
                .iter()
                .enumerate()
                .map(|(i, f)| match &f.geometry {
                    Some(g) if g.kind == "Point" => match g.position() {
                        Some(pos) => wgs84_point(&format!("features[{i}].geometry"), crs, &pos)
                            .map_err(|e| e.to_string()),
                        None => Err(format!(
                            "features[{i}].geometry: coordinates must be [lon, lat]"
                        )),
                    },
                    _ => Err(format!("features[{i}].geometry: a Point is required")),
                })
                .collect(),
            _ => {
                return Err(ApiError::bad_request(
                    "body",
                    "send either {\"points\": [[lon, lat], ...]} or a GeoJSON FeatureCollection of Points",
                ));
            }
        };
        if points.len() > MAX_BATCH_POINTS {
            return Err(ApiError::bad_request(
                "body",
                format!(
                    "{} points exceed the limit of {MAX_BATCH_POINTS} per request",
                    points.len()
                ),
            )
            .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE)
            .with_problem(Problem::TooMany {
                limit: MAX_BATCH_POINTS as u64,
            }));
        }
        let ndjson = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/x-ndjson"));
        Ok(Self {
            points,
            options: locate,
            full,
            ndjson,
        })
    }
}

/// `POST /api/v1/locate[?crs=][&detail=full]`: one result per point, in order. A point that
/// is not a valid position gets `{"error": ...}` in its place; the others are answered.
pub async fn locate_batch(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<BatchQuery>,
    headers: HeaderMap,
    AppJson(body): AppJson<BatchBody>,
) -> ApiResult<Response> {
    let BatchRequest {
        points,
        options,
        full,
        ndjson,
    } = BatchRequest::check(query, &headers, body)?;
    let snapshot = state.service.snapshot();
    let points = Arc::new(points);
    if ndjson {
        let chunks = points.len().div_ceil(CHUNK);
        let stream = futures_util::stream::iter(0..chunks).then(move |c| {
            let (snapshot, points) = (snapshot.clone(), points.clone());
            async move {
                tokio::task::spawn_blocking(move || {
                    let end = ((c + 1) * CHUNK).min(points.len());
                    Bytes::from(render_lines(
                        &snapshot,
                        &points[c * CHUNK..end],
                        options,
                        full,
                    ))
                })
                .await
                .map_err(std::io::Error::other)
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        return Ok(response);
    }
    let body = tokio::task::spawn_blocking(move || render_json(&snapshot, &points, options, full))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Renders one result per point, one JSON document per line.
fn render_lines(
    snapshot: &Snapshot,
    points: &[Result<Coord, String>],
    options: LocateOptions,
    full: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 96);
    for p in points {
        write_result(&mut out, snapshot, p, options, full);
        out.push(b'\n');
    }
    out
}

fn write_result(
    out: &mut Vec<u8>,
    snapshot: &Snapshot,
    p: &Result<Coord, String>,
    options: LocateOptions,
    full: bool,
) {
    let written = match p {
        Err(error) => serde_json::to_writer(
            &mut *out,
            &PointError {
                error: error.clone(),
            },
        ),
        Ok(p) if full => {
            // A batch is bulk work: it never carries phone numbers unmasked.
            let mut location: Location = locate::locate(snapshot, *p, options);
            location.mask_phones();
            serde_json::to_writer(&mut *out, &location)
        }
        Ok(p) => serde_json::to_writer(&mut *out, &compact(snapshot, *p, options)),
    };
    // Serializing plain structs into a Vec cannot fail; keep the output well-formed anyway.
    if written.is_err() {
        out.extend_from_slice(b"null");
    }
}

fn compact(snapshot: &Snapshot, p: Coord, options: LocateOptions) -> CompactHit<'_> {
    let (town, village) = locate::regions_at(snapshot, p);
    let (grid, micro_grid) = locate::grid_codes_at(snapshot, p, options.at);
    CompactHit {
        town,
        village,
        grid,
        micro_grid,
    }
}

/// Renders `{"count": n, "results": [...]}`, computing chunks on all cores.
fn render_json(
    snapshot: &Snapshot,
    points: &[Result<Coord, String>],
    options: LocateOptions,
    full: bool,
) -> Vec<u8> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let per_thread = points.len().div_ceil(threads).max(CHUNK);
    let parts: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = points
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(chunk.len() * 96);
                    for (i, p) in chunk.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        write_result(&mut out, snapshot, p, options, full);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out = format!("{{\"count\":{},\"results\":[", points.len()).into_bytes();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 && !part.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"]}");
    out
}
