//! `POST /api/v1/grids/divide`: the grid division assistant (合理划分网格). Parses and checks the
//! request, runs [`crate::spatial::divide`] on the current snapshot off the async threads, and
//! answers the proposal as a GeoJSON FeatureCollection. Nothing is written.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::Layer;
use crate::domain::geometry::area_to_geojson;
use crate::spatial::divide::{
    DivideError, DivisionRequest, MAX_EVENT_WEIGHT, MAX_GRIDS, Proposal, Target,
};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller};
use super::layers::geojson_response;

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
                    ));
                }
            },
            (None, Some(h)) => match u32::try_from(h) {
                Ok(h) if h >= 1 => Target::HouseholdsPerGrid(h),
                _ => {
                    return Err(ApiError::bad_request(
                        "households_per_grid",
                        format!("households_per_grid must be a positive whole number, not {h}"),
                    ));
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
                ));
            }
        };
        let event_weight = body.event_weight.unwrap_or(0.0);
        if !(0.0..=MAX_EVENT_WEIGHT).contains(&event_weight) {
            return Err(ApiError::bad_request(
                "event_weight",
                format!("event_weight must be 0..={MAX_EVENT_WEIGHT} (households per event)"),
            ));
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
            DivideError::UnknownVillage(_) => return Self::not_found(e.to_string()),
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
    let proposal = tokio::task::spawn_blocking(move || snapshot.propose_division(&request))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(geojson_response(StatusCode::OK, &proposal_json(&proposal)))
}
