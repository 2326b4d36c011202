//! Placement advice as users ask for it: the request (a target named by grid, village or key
//! area, or drawn; a budget `k`; the weight; candidate sites or a spacing; the camera to place)
//! resolved against the current snapshot, and the answer as a GeoJSON FeatureCollection the map
//! draws as it is. The HTTP API (`POST /api/v1/cameras/placement`) and the CLI
//! (`safegrid placement`) both go through here. The algorithm is in
//! [`crate::analysis::placement`].
//!
//! # Units
//! WGS84 `[lon, lat]` (input converted from the request's CRS); metres, square metres, degrees;
//! shares in percent of the target's weight.

use geo::{BoundingRect, Coord, MultiPolygon};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::coverage::CoverageCache;
use crate::analysis::placement::{
    ALGORITHM, CameraSpec, DEFAULT_SPACING_M, MAX_K, MAX_SITES, Placement, PlacementError,
    PlacementRequest, Weight, place_cameras,
};
use crate::domain::geometry::{area_to_geojson, check_position, parse_area};
use crate::domain::problem::Unit;
use crate::domain::{CameraKind, DomainError, Layer, Problem, RegionLevel};
use crate::spatial::Snapshot;
use crate::spatial::crs::{Crs, to_wgs84};
use crate::spatial::index::{Spatial, rect_union};

/// Why a placement request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum AdviceError {
    /// A malformed member.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The named target does not exist.
    #[error("{what} `{key}` does not exist")]
    UnknownTarget {
        field: &'static str,
        what: &'static str,
        layer: Layer,
        key: String,
    },
    /// The request is well-formed but cannot be planned (no sites, no events, bad budget).
    #[error(transparent)]
    Placement(#[from] PlacementError),
    /// A drawn target that is not in the city (or crosses the 180° meridian).
    #[error("{0}")]
    OutsideCity(String),
}

/// How far past the city's box a drawn target may reach, degrees (about 1 km).
const CITY_MARGIN_DEG: f64 = 0.01;

/// Refuses a drawn target that crosses the 180° meridian or reaches beyond the city's box:
/// placement plans cameras for this city, and the cell budget assumes a city-sized target.
fn check_in_city(snapshot: &Snapshot, area: &MultiPolygon) -> Result<(), AdviceError> {
    let Some(bbox) = area.bounding_rect() else {
        return Ok(());
    };
    if bbox.width() > 180.0 {
        return Err(AdviceError::OutsideCity(format!(
            "target.geometry spans {:.1}° of longitude ({} to {}): it crosses the 180° meridian \
             or wraps half the globe; split it at ±180° (RFC 7946 §3.1.9) and draw it inside the city",
            bbox.width(),
            bbox.min().x,
            bbox.max().x
        )));
    }
    let Some(city) = rect_union(snapshot.regions.iter().filter_map(Spatial::envelope)) else {
        return Ok(());
    };
    let inside = bbox.min().x >= city.min().x - CITY_MARGIN_DEG
        && bbox.min().y >= city.min().y - CITY_MARGIN_DEG
        && bbox.max().x <= city.max().x + CITY_MARGIN_DEG
        && bbox.max().y <= city.max().y + CITY_MARGIN_DEG;
    if inside {
        return Ok(());
    }
    Err(AdviceError::OutsideCity(format!(
        "target.geometry (box [{:.4}, {:.4}, {:.4}, {:.4}]) reaches outside the city \
         (box [{:.4}, {:.4}, {:.4}, {:.4}]): draw the target inside the city",
        bbox.min().x,
        bbox.min().y,
        bbox.max().x,
        bbox.max().y,
        city.min().x,
        city.min().y,
        city.max().x,
        city.max().y
    )))
}

/// What to cover: exactly one member.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    #[serde(default)]
    pub grid: Option<String>,
    #[serde(default)]
    pub village: Option<String>,
    #[serde(default)]
    pub key_area: Option<String>,
    /// A GeoJSON Polygon or MultiPolygon (in the `crs` of the query).
    #[serde(default)]
    pub geometry: Option<Value>,
}

/// The camera to place; missing members take the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraBody {
    #[serde(default)]
    pub kind: Option<CameraKind>,
    #[serde(default)]
    pub hfov_deg: Option<f64>,
    #[serde(default)]
    pub range_m: Option<f64>,
    #[serde(default)]
    pub height_m: Option<f64>,
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementBody {
    pub target: TargetBody,
    pub k: i64,
    #[serde(default)]
    pub weight: Option<String>,
    #[serde(default)]
    pub candidates: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    pub spacing_m: Option<f64>,
    #[serde(default)]
    pub camera: Option<CameraBody>,
    #[serde(default)]
    pub one_per_site: Option<bool>,
}

/// The target's area and how to name it in the answer.
fn resolve_target(
    snapshot: &Snapshot,
    t: TargetBody,
    crs: Crs,
) -> Result<(MultiPolygon, Value), AdviceError> {
    let given = [
        t.grid.is_some(),
        t.village.is_some(),
        t.key_area.is_some(),
        t.geometry.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(DomainError::new(
            "target",
            "give exactly one of target.grid, target.village, target.key_area, target.geometry",
        )
        .into());
    }
    let unknown = |field: &'static str, what: &'static str, layer: Layer, key: &str| {
        AdviceError::UnknownTarget {
            field,
            what,
            layer,
            key: key.to_owned(),
        }
    };
    if let Some(code) = t.grid {
        let g = snapshot
            .grids
            .get(&code)
            .ok_or_else(|| unknown("target.grid", "grid", Layer::Grid, &code))?;
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
            .ok_or_else(|| unknown("target.village", "village/community", Layer::Region, &code))?;
        return Ok((
            r.area.clone(),
            json!({"layer": "villages", "key": r.code, "name": r.name}),
        ));
    }
    if let Some(id) = t.key_area {
        let k = snapshot
            .key_areas
            .get(&id)
            .ok_or_else(|| unknown("target.key_area", "key area", Layer::KeyArea, &id))?;
        return Ok((
            k.area.clone(),
            json!({"layer": "key-areas", "key": k.id, "name": k.name}),
        ));
    }
    let raw = t.geometry.unwrap_or(Value::Null);
    let mut geometry = geojson::Geometry::from_json_value(raw)
        .map_err(|e| DomainError::new("target.geometry", format!("not GeoJSON: {e}")))?;
    crate::io::geometry_to_wgs84(&mut geometry, crs);
    let area = parse_area(Some(&geometry)).map_err(|e| {
        DomainError::of(
            e.problem,
            format!("target.{}", e.field),
            format!("target.geometry: {}", e.reason),
        )
    })?;
    check_in_city(snapshot, &area)?;
    Ok((
        area,
        json!({"layer": null, "key": null, "name": "drawn area"}),
    ))
}

fn candidates(list: Option<Vec<Vec<f64>>>, crs: Crs) -> Result<Option<Vec<Coord>>, AdviceError> {
    let Some(list) = list else { return Ok(None) };
    if list.len() > MAX_SITES {
        return Err(PlacementError::TooManyCandidates(list.len()).into());
    }
    list.iter()
        .enumerate()
        .map(|(i, pos)| {
            let field = format!("candidates[{i}]");
            let raw = check_position(&field, pos).map_err(|e| e.at(&field))?;
            let (lon, lat) = to_wgs84(crs, raw.x, raw.y);
            Ok(Coord { x: lon, y: lat })
        })
        .collect::<Result<Vec<_>, AdviceError>>()
        .map(Some)
}

/// Resolves a request body against `snapshot`: the target's area and how the answer names it.
///
/// # Errors
/// The first bad member, named as its field; an unknown target.
fn request(
    snapshot: &Snapshot,
    body: PlacementBody,
    crs: Crs,
) -> Result<(PlacementRequest, Value), AdviceError> {
    let (target, target_json) = resolve_target(snapshot, body.target, crs)?;
    let k = usize::try_from(body.k).map_err(|_| {
        DomainError::of(
            Problem::out_of_range(1.0..=MAX_K as f64, Unit::Count),
            "k",
            format!("k must be 1..={MAX_K}, not {}", body.k),
        )
    })?;
    let mut request = PlacementRequest::new(target, k);
    request.weight = match body.weight.as_deref() {
        None | Some("area") => Weight::Area,
        Some("events") => Weight::Events,
        Some(other) => {
            return Err(DomainError::new(
                "weight",
                format!("weight must be `area` or `events`, not `{other}`"),
            )
            .into());
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

/// Answers a request: resolves it, plans the placements and renders them. CPU-heavy
/// (thousands of sight-line tests, up to `k` polygon overlays): keep it off async threads.
///
/// # Errors
/// As [`request`], and what the planner refuses ([`PlacementError`]).
pub fn advise(
    cache: &CoverageCache,
    snapshot: &Snapshot,
    body: PlacementBody,
    crs: Crs,
) -> Result<Value, AdviceError> {
    let (request, target) = request(snapshot, body, crs)?;
    let placement = place_cameras(snapshot, cache, &request)?;
    Ok(placement_json(&placement, &target, &request))
}

/// The proposal as a FeatureCollection: a camera Point and a sector polygon per pick.
fn placement_json(p: &Placement, target: &Value, request: &PlacementRequest) -> Value {
    let weight = request.weight;
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
            "kind": c.kind.as_str(),
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
        let seen = &pick.visible;
        let mut sector_props = props;
        sector_props["role"] = json!("sector");
        features.push(json!({
            "type": "Feature",
            "geometry": (!seen.0.is_empty()).then(|| area_to_geojson(seen)),
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
            "k_asked": request.k,
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
