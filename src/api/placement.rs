//! `POST /api/v1/cameras/placement`: where `k` new cameras would add the most coverage to a
//! grid, village, key area or drawn polygon ([`crate::spatial::placement`]). Nothing is written.
//!
//! The answer is a GeoJSON FeatureCollection the map draws as it is: for each proposed camera
//! (in pick order, `rank` 1..k) a Point with `role: camera` and its visible polygon with
//! `role: sector`, both carrying the camera's figures and its marginal gain; `target` and
//! `summary` (the algorithm and its guarantee, coverage before and after, cells, candidates,
//! time) are top-level members.
//!
//! Who may ask: planners (they place cameras), rectification teams (they ask where cameras
//! would cover a key area) and admins. The computation only reads, but it is CPU-heavy (up to
//! 5,000 sites × 8 orientations), so it is not open to every reader; it runs off the async
//! threads.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use geo::{Coord, MultiPolygon};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::geometry::{area_to_geojson, check_position, parse_area};
use crate::domain::{CameraKind, RegionLevel, Role};
use crate::spatial::Snapshot;
use crate::spatial::crs::{Crs, to_wgs84};
use crate::spatial::placement::{
    ALGORITHM, CameraSpec, DEFAULT_SPACING_M, MAX_K, MAX_SITES, Placement, PlacementError,
    PlacementRequest, Weight,
};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller, Params};
use super::layers::geojson_response;

/// Roles that may ask for placement advice.
pub const PLACEMENT_ROLES: [Role; 3] = [Role::Admin, Role::Planner, Role::Rectification];

/// What to cover: exactly one member.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    #[serde(default)]
    grid: Option<String>,
    #[serde(default)]
    village: Option<String>,
    #[serde(default)]
    key_area: Option<String>,
    /// A GeoJSON Polygon or MultiPolygon (in the `crs` of the query).
    #[serde(default)]
    geometry: Option<Value>,
}

/// The camera to place; missing members take the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraBody {
    #[serde(default)]
    kind: Option<CameraKind>,
    #[serde(default)]
    hfov_deg: Option<f64>,
    #[serde(default)]
    range_m: Option<f64>,
    #[serde(default)]
    height_m: Option<f64>,
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementBody {
    target: TargetBody,
    k: i64,
    #[serde(default)]
    weight: Option<String>,
    #[serde(default)]
    candidates: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    spacing_m: Option<f64>,
    #[serde(default)]
    camera: Option<CameraBody>,
    #[serde(default)]
    one_per_site: Option<bool>,
}

impl From<PlacementError> for ApiError {
    fn from(e: PlacementError) -> Self {
        Self::bad_request(e.field(), e.to_string())
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

/// The target's area and how to name it in the answer.
fn resolve_target(
    snapshot: &Snapshot,
    t: TargetBody,
    crs: Crs,
) -> ApiResult<(MultiPolygon, Value)> {
    let given = [
        t.grid.is_some(),
        t.village.is_some(),
        t.key_area.is_some(),
        t.geometry.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::bad_request(
            "target",
            "give exactly one of target.grid, target.village, target.key_area, target.geometry",
        ));
    }
    let unknown = |field: &str, what: &str, key: &str| {
        ApiError::not_found(format!("{what} `{key}` does not exist")).with("field", json!(field))
    };
    if let Some(code) = t.grid {
        let g = snapshot
            .grids
            .get(&code)
            .ok_or_else(|| unknown("target.grid", "grid", &code))?;
        return Ok((
            g.area.clone(),
            json!({"layer": "grids", "key": g.code, "name": g.name}),
        ));
    }
    if let Some(code) = t.village {
        let r = snapshot
            .regions
            .get(&code)
            .filter(|r| r.level() == RegionLevel::Village)
            .ok_or_else(|| unknown("target.village", "village/community", &code))?;
        return Ok((
            r.area.clone(),
            json!({"layer": "villages", "key": r.code, "name": r.name}),
        ));
    }
    if let Some(id) = t.key_area {
        let k = snapshot
            .key_areas
            .get(&id)
            .ok_or_else(|| unknown("target.key_area", "key area", &id))?;
        return Ok((
            k.area.clone(),
            json!({"layer": "key-areas", "key": k.id, "name": k.name}),
        ));
    }
    let raw = t.geometry.unwrap_or(Value::Null);
    let mut geometry = geojson::Geometry::from_json_value(raw)
        .map_err(|e| ApiError::bad_request("target.geometry", format!("not GeoJSON: {e}")))?;
    crate::io::geometry_to_wgs84(&mut geometry, crs);
    let area = parse_area(Some(&geometry)).map_err(|e| {
        ApiError::bad_request(
            &format!("target.{}", e.field),
            format!("target.geometry: {}", e.reason),
        )
    })?;
    Ok((
        area,
        json!({"layer": null, "key": null, "name": "drawn area"}),
    ))
}

fn candidates(list: Option<Vec<Vec<f64>>>, crs: Crs) -> ApiResult<Option<Vec<Coord>>> {
    let Some(list) = list else { return Ok(None) };
    if list.len() > MAX_SITES {
        return Err(PlacementError::TooManyCandidates(list.len()).into());
    }
    list.iter()
        .enumerate()
        .map(|(i, pos)| {
            let field = format!("candidates[{i}]");
            let raw =
                check_position(&field, pos).map_err(|e| ApiError::bad_request(&field, e.reason))?;
            let (lon, lat) = to_wgs84(crs, raw.x, raw.y);
            Ok(Coord { x: lon, y: lat })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

fn request(
    snapshot: &Snapshot,
    body: PlacementBody,
    crs: Crs,
) -> ApiResult<(PlacementRequest, Value)> {
    let (target, target_json) = resolve_target(snapshot, body.target, crs)?;
    let k = usize::try_from(body.k).map_err(|_| {
        ApiError::bad_request("k", format!("k must be 1..={MAX_K}, not {}", body.k))
    })?;
    let mut request = PlacementRequest::new(target, k);
    request.weight = match body.weight.as_deref() {
        None | Some("area") => Weight::Area,
        Some("events") => Weight::Events,
        Some(other) => {
            return Err(ApiError::bad_request(
                "weight",
                format!("weight must be `area` or `events`, not `{other}`"),
            ));
        }
    };
    request.candidates = candidates(body.candidates, crs)?;
    request.spacing_m = body.spacing_m.unwrap_or(DEFAULT_SPACING_M);
    let c = body.camera.unwrap_or_default();
    let defaults = CameraSpec::default();
    let kind = c.kind.unwrap_or(defaults.kind);
    request.camera = CameraSpec {
        kind,
        hfov_deg: c.hfov_deg.unwrap_or(if kind == CameraKind::Ptz {
            360.0
        } else {
            defaults.hfov_deg
        }),
        range_m: c.range_m.unwrap_or(defaults.range_m),
        height_m: c.height_m.unwrap_or(defaults.height_m),
    };
    request.one_per_site = body.one_per_site.unwrap_or(true);
    Ok((request, target_json))
}

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn kind_name(kind: CameraKind) -> &'static str {
    match kind {
        CameraKind::Fixed => "fixed",
        CameraKind::Ptz => "ptz",
    }
}

/// The proposal as a FeatureCollection: a camera Point and a sector polygon per pick.
fn placement_json(snapshot: &Snapshot, p: &Placement, target: &Value, weight: Weight) -> Value {
    let mut features = Vec::new();
    for (i, pick) in p.picks.iter().enumerate() {
        let c = &pick.camera;
        let loc = c.location.0;
        let props = json!({
            "rank": i + 1,
            "lon": (loc.x * 1e7).round() / 1e7,
            "lat": (loc.y * 1e7).round() / 1e7,
            "azimuth_deg": c.azimuth_deg,
            "hfov_deg": c.hfov_deg,
            "range_m": c.range_m,
            "height_m": c.height_m,
            "kind": kind_name(c.kind),
            "gain": (pick.gain * 1000.0).round() / 1000.0,
            "gain_m2": r2(pick.gain_m2),
            "gain_share": r2(pick.gain_share),
            "covered_before": r2(pick.covered_before),
            "covered_after": r2(pick.covered_after),
        });
        let mut camera_props = props.clone();
        camera_props["role"] = json!("camera");
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [loc.x, loc.y]},
            "properties": camera_props,
        }));
        let seen = snapshot.camera_coverage(c).area;
        let mut sector_props = props;
        sector_props["role"] = json!("sector");
        features.push(json!({
            "type": "Feature",
            "geometry": (!seen.0.is_empty()).then(|| area_to_geojson(&seen)),
            "properties": sector_props,
        }));
    }
    let weight_name = match weight {
        Weight::Area => "area",
        Weight::Events => "events",
    };
    json!({
        "type": "FeatureCollection",
        "target": target,
        "features": features,
        "summary": {
            "algorithm": ALGORITHM,
            "weight": weight_name,
            "k": p.picks.len(),
            "covered_before": r2(p.covered_before),
            "covered_after": r2(p.covered_after),
            "covered_m2_before": r2(p.covered_m2_before),
            "covered_m2_after": r2(p.covered_m2_after),
            "target_m2": r2(p.target_m2),
            "total_weight": (p.total_weight * 1000.0).round() / 1000.0,
            "events": p.events,
            "existing_cameras": p.existing_cameras,
            "cells": p.cells,
            "cell_m": r2(p.cell_m),
            "sites": p.sites,
            "sites_from": p.site_source.as_str(),
            "spacing_m": r2(p.spacing_m),
            "candidates_considered": p.candidates_considered,
            "evaluations": p.evaluations,
            "computed_in_ms": r2(p.computed_in.as_secs_f64() * 1000.0),
        }
    })
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
    let (request, target) = request(&snapshot, body, crs)?;
    let weight = request.weight;
    // Thousands of sight-line tests and up to 50 polygon overlays: off the async threads.
    let body = tokio::task::spawn_blocking(move || {
        snapshot
            .place_cameras(&request)
            .map(|p| placement_json(&snapshot, &p, &target, weight))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok(geojson_response(StatusCode::OK, &body))
}
