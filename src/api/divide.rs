//! The grid division assistant (合理划分网格) over HTTP. `POST /api/v1/grids/divide` checks a
//! [`DivisionBody`] into a [`DivisionRequest`], runs [`crate::analysis::division`] on the
//! current snapshot off the async threads, and answers the proposal as a GeoJSON
//! FeatureCollection; nothing is written. `POST /api/v1/grids/divide/accept` checks a proposal
//! (as the planner adjusted it, an [`AcceptBody`]) into a [`DivisionAccept`] and replaces the
//! village's grids with it in one transaction ([`crate::service::division`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::division::{
    self, DivideError, DivisionRequest, MAX_EVENT_WEIGHT, MAX_GRIDS, Proposal, Target,
};
use crate::domain::geometry::{area_to_geojson, parse_area};
use crate::domain::names::one_of;
use crate::domain::problem::Unit;
use crate::domain::{Duty, GridKind, Layer, Problem};
use crate::service::division::{DivisionAccept, DivisionAssignment, DivisionGrid, DivisionReport};

use super::AppState;
use super::answer::geojson_response;
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AppQuery, Caller};
use super::grid_edit::{edit_error, gap_json};
use super::params::parse_opt;

/// The request body, before its fields are checked against each other.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DivisionBody {
    village: String,
    #[serde(default)]
    grids: Option<i64>,
    #[serde(default)]
    households_per_grid: Option<i64>,
    #[serde(default)]
    event_weight: Option<f64>,
}

impl TryFrom<DivisionBody> for DivisionRequest {
    type Error = ApiError;

    fn try_from(body: DivisionBody) -> ApiResult<Self> {
        let target = match (body.grids, body.households_per_grid) {
            (Some(k), None) => match usize::try_from(k) {
                Ok(k) if (1..=MAX_GRIDS).contains(&k) => Target::Grids(k),
                _ => {
                    return Err(ApiError::bad_request(
                        "grids",
                        format!("grids must be 1..={MAX_GRIDS}, not {k}"),
                    )
                    .with_problem(Problem::out_of_range(1.0..=MAX_GRIDS as f64, Unit::Count)));
                }
            },
            (None, Some(h)) => match u32::try_from(h) {
                Ok(h) if h >= 1 => Target::HouseholdsPerGrid(h),
                _ => {
                    return Err(ApiError::bad_request(
                        "households_per_grid",
                        format!("households_per_grid must be a positive whole number, not {h}"),
                    )
                    .with_problem(Problem::out_of_range(
                        1.0..=f64::from(u32::MAX),
                        Unit::Count,
                    )));
                }
            },
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "grids",
                    "give either `grids` or `households_per_grid`, not both",
                ));
            }
            (None, None) => {
                return Err(ApiError::bad_request(
                    "grids",
                    "give `grids` (how many grids) or `households_per_grid` (about how many households each)",
                )
                .with_problem(Problem::Missing));
            }
        };
        let event_weight = body.event_weight.unwrap_or(0.0);
        if !(0.0..=MAX_EVENT_WEIGHT).contains(&event_weight) {
            return Err(ApiError::bad_request(
                "event_weight",
                format!("event_weight must be 0..={MAX_EVENT_WEIGHT} (households per event)"),
            )
            .with_problem(Problem::out_of_range(0.0..=MAX_EVENT_WEIGHT, Unit::Count)));
        }
        Ok(DivisionRequest {
            village: body.village,
            target,
            event_weight,
        })
    }
}

impl From<DivideError> for ApiError {
    fn from(e: DivideError) -> Self {
        let field = match &e {
            DivideError::UnknownVillage(village) => {
                return Self::missing_item(Layer::Region, village).with("field", json!("village"));
            }
            DivideError::GridCount(_) | DivideError::TooFewBuildings { .. } => "grids",
            DivideError::TooManyGridsForHouseholds { .. } => "households_per_grid",
            DivideError::NotAVillage(_)
            | DivideError::NoBuildings(_)
            | DivideError::NoHouseholds(_)
            | DivideError::SerialsExhausted { .. }
            | DivideError::EmptyRegion
            | DivideError::NoCut { .. } => "village",
        };
        Self::bad_request(field, e.to_string())
    }
}

/// The proposal as a GeoJSON FeatureCollection with `village` and `summary` members.
fn proposal_json(p: &Proposal) -> Value {
    let features: Vec<Value> = p
        .grids
        .iter()
        .map(|g| {
            let piece = &g.piece;
            json!({
                "type": "Feature",
                "geometry": area_to_geojson(&piece.area),
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "households": piece.households,
                    "population": piece.residents,
                    "buildings": piece.buildings,
                    "events": piece.events,
                    "weight": piece.weight,
                    "area_m2": round_to(piece.area_m2, 10.0),
                    "perimeter_m": round_to(piece.perimeter_m, 10.0),
                    "compactness": round_to(piece.compactness, 1000.0),
                    "parts": piece.parts,
                }
            })
        })
        .collect();
    let s = &p.summary;
    json!({
        "type": "FeatureCollection",
        "village": {"code": p.village, "name": p.village_name},
        "features": features,
        "summary": {
            "grids": s.grids,
            "households": s.households,
            "buildings": s.buildings,
            "events": s.events,
            "max_households": s.max_households,
            "min_households": s.min_households,
            "balance": {
                "max_over_min": s.max_over_min.map(|r| round_to(r, 1000.0)),
                "max_over_mean": s.max_over_mean.map(|r| round_to(r, 1000.0)),
            },
            "mean_compactness": round_to(s.mean_compactness, 1000.0),
            "algorithm": s.algorithm,
        }
    })
}

fn round_to(v: f64, per_unit: f64) -> f64 {
    (v * per_unit).round() / per_unit
}

/// `POST /api/v1/grids/divide` (planner or admin): a proposed division of a village/community
/// into grids; nothing is written.
pub async fn divide_village(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<DivisionBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let request = DivisionRequest::try_from(body)?;
    let snapshot = state.service.snapshot();
    // Up to a few hundred clips of the village polygon: CPU work, kept off the async threads.
    let proposal =
        tokio::task::spawn_blocking(move || division::propose_division(&snapshot, &request))
            .await
            .map_err(|e| ApiError::internal(&e))??;
    Ok(geojson_response(StatusCode::OK, &proposal_json(&proposal)))
}

/// The body of `POST /api/v1/grids/divide/accept`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    village: String,
    /// A FeatureCollection (such as a proposal, adjusted) or an array of Features.
    grids: Value,
    #[serde(default)]
    assignments: Option<Vec<AssignmentBody>>,
}

/// One assignment of an explicit staffing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentBody {
    worker: String,
    grid: String,
    duty: Duty,
}

/// The grids of an accept body; properties other than `code`, `name` and `kind` (a
/// proposal's figures) are ignored.
fn division_grids(value: Value) -> ApiResult<Vec<DivisionGrid>> {
    let features = match value {
        Value::Object(mut map) if map.get("type") == Some(&json!("FeatureCollection")) => {
            map.remove("features").unwrap_or(Value::Null)
        }
        other => other,
    };
    let Value::Array(features) = features else {
        return Err(ApiError::bad_request(
            "grids",
            "give a GeoJSON FeatureCollection or an array of Features",
        ));
    };
    features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let at = |field: &str| format!("grids[{i}].{field}");
            let feature: geojson::Feature = serde_json::from_value(f).map_err(|e| {
                ApiError::bad_request(
                    &format!("grids[{i}]"),
                    format!("not a GeoJSON Feature: {e}"),
                )
            })?;
            let area = parse_area(feature.geometry.as_ref()).map_err(|e| {
                let field = at(&e.field);
                ApiError::bad_parameter(e.at(field))
            })?;
            let props = feature.properties.unwrap_or_default();
            let text = |key: &str| -> ApiResult<Option<String>> {
                match props.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                    Some(other) => Err(ApiError::bad_request(
                        &at(key),
                        format!("`{key}` must be a string, got {other}"),
                    )),
                }
            };
            let kind = match props.get("kind") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    ApiError::bad_request(
                        &at("kind"),
                        format!("unknown kind {v}: use {}", one_of(&GridKind::NAMES)),
                    )
                })?),
            };
            Ok(DivisionGrid {
                code: text("code")?.filter(|c| !c.is_empty()),
                name: text("name")?,
                kind,
                area,
            })
        })
        .collect()
}

fn division_json(r: &DivisionReport) -> Value {
    let features: Vec<Value> = r
        .grids
        .iter()
        .zip(&r.details)
        .map(|(g, d)| {
            json!({
                "type": "Feature",
                "id": g.code,
                "geometry": area_to_geojson(&g.area),
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "kind": g.kind,
                    "households": g.households,
                    "population": g.population,
                    "buildings": d.buildings,
                    "area_m2": round_to(d.area_m2, 10.0),
                    "clipped_m2": round_to(d.clipped_m2, 10.0),
                    "contiguous": d.contiguous,
                    "workers": d.workers,
                }
            })
        })
        .collect();
    let households: Vec<u32> = r.grids.iter().map(|g| g.households).collect();
    let max = households.iter().copied().max().unwrap_or(0);
    let min = households.iter().copied().min().unwrap_or(0);
    json!({
        "type": "FeatureCollection",
        "village": {"code": r.village, "name": r.village_name},
        "committed": r.committed,
        "features": features,
        "replaced": r.replaced,
        "retired": r.retired,
        "households_from": r.households_from,
        "workers": r.workers,
        "unassigned_workers": r.unassigned_workers,
        "micro_grids": r.micro_grids,
        "unstaffed": r.unstaffed,
        "gaps": r.gaps.iter().map(gap_json).collect::<Vec<_>>(),
        "checks": {
            "no_overlap": true,
            "no_gap": r.gaps.is_empty(),
            "contiguous": r.details.iter().all(|d| d.contiguous),
            "staffed": r.unstaffed.is_empty(),
        },
        "summary": {
            "grids": r.grids.len(),
            "max_households": max,
            "min_households": min,
            "max_over_min": (min > 0).then(|| round_to(f64::from(max) / f64::from(min), 1000.0)),
        },
    })
}

/// The query of `POST /api/v1/grids/divide/accept`.
#[derive(Debug, Deserialize)]
pub struct AcceptQuery {
    /// `true` for the report without writing; `false` (the default) writes.
    dry_run: Option<String>,
}

/// A division to accept, checked: each grid's geometry parsed and checked (off the async
/// threads: a village's grids are many polygons), and whether to write it.
#[derive(Debug)]
struct AcceptRequest {
    accept: DivisionAccept,
    dry_run: bool,
}

impl AcceptRequest {
    async fn check(query: AcceptQuery, body: AcceptBody) -> ApiResult<Self> {
        let dry_run = parse_opt("dry_run", query.dry_run.as_deref())?.unwrap_or(false);
        let accept = DivisionAccept {
            village: body.village,
            grids: off_thread(move || division_grids(body.grids)).await??,
            assignments: body.assignments.map(|list| {
                list.into_iter()
                    .map(|a| DivisionAssignment {
                        worker: a.worker,
                        grid: a.grid,
                        duty: a.duty,
                    })
                    .collect()
            }),
        };
        Ok(Self { accept, dry_run })
    }
}

/// `POST /api/v1/grids/divide/accept[?dry_run=true]` (planner or admin): replaces every
/// top-level grid of the village by the grids given, in one transaction; with `dry_run`, the
/// same report without writing. Overlapping new grids are refused (400).
pub async fn accept_division(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<AcceptQuery>,
    AppJson(body): AppJson<AcceptBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let request = AcceptRequest::check(query, body).await?;
    let report = state
        .service
        .accept_division(request.accept, request.dry_run)
        .await
        .map_err(edit_error)?;
    Ok(geojson_response(StatusCode::OK, &division_json(&report)))
}
