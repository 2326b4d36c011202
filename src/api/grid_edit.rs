//! The planner's grid edits over HTTP: `POST /api/v1/grids/check` (dry run),
//! `POST /api/v1/grids/{code}/reshape` (with topological editing),
//! `POST /api/v1/grids/{code}/split`, `POST /api/v1/grids/merge` and
//! `GET /api/v1/grids/next-code?village=`. All five need a role that may change grids
//! (planner, admin). Each request is checked here (a grid Feature and how to check it, a
//! reshaped grid, a split line, a village code); the rules are in
//! [`crate::service::grid_edit`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use geojson::{Feature, JsonValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::geometry::{area_to_geojson, parse_line};
use crate::domain::{DomainError, Grid, Item, Layer};
use crate::service::EditError;
use crate::service::grid_edit::{EditReport, GridCheck, SplitRequest};
use crate::spatial::topology::Gap;

use super::AppState;
use super::answer::{geojson_response, json};
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult, problem_members};
use super::extract::{AppJson, AppQuery, Caller, require_token};
use super::layers::fill_key;
use super::params::{parse_opt, parse_required};

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    let writes = axum::Router::new()
        .route("/api/v1/grids/check", post(check_grid))
        .route("/api/v1/grids/merge", post(merge_grids))
        .route("/api/v1/grids/{code}/split", post(split_grid))
        .route("/api/v1/grids/{code}/reshape", post(reshape_grid))
        .route_layer(axum::middleware::from_fn(require_token));
    writes.route("/api/v1/grids/next-code", get(next_code))
}

pub(super) fn edit_error(e: EditError) -> ApiError {
    match e {
        EditError::Refused {
            field,
            reason,
            problem,
        } => ApiError::bad_request(&field, reason.clone())
            .with("reason", json!(reason))
            .with_problem(problem),
        EditError::Service(e) => e.into(),
    }
}

pub(super) fn gap_json(gap: &Gap) -> JsonValue {
    json!({"area_m2": gap.area_m2, "near": gap.near, "geometry": area_to_geojson(&gap.area)})
}

fn field_errors(errors: &[DomainError]) -> JsonValue {
    errors
        .iter()
        .map(|e| {
            let mut members = problem_members(e.problem);
            members.insert("field".into(), json!(e.field));
            members.insert("reason".into(), json!(e.reason));
            JsonValue::Object(members)
        })
        .collect()
}

fn check_json(check: &GridCheck) -> JsonValue {
    json!({
        "valid": check.valid,
        "errors": field_errors(&check.errors),
        "overlaps": check.overlaps.iter().map(|o| json!({
            "grid": o.code, "area_m2": o.area_m2, "geometry": area_to_geojson(&o.area)
        })).collect::<Vec<_>>(),
        "gaps": check.gaps.iter().map(gap_json).collect::<Vec<_>>(),
        "outside_parent_m2": check.outside_parent_m2,
        "carried": check.carried.iter().map(|g| json!({
            "grid": g.code, "geometry": area_to_geojson(&g.area)
        })).collect::<Vec<_>>(),
        "clipped": check.clipped.as_ref().map(area_to_geojson),
    })
}

/// A check of a grid, checked: the Feature, and the members that say how to check it, taken
/// out of it.
#[derive(Debug)]
struct CheckRequest {
    feature: Feature,
    /// The grid the Feature would replace.
    replaces: Option<String>,
    /// Carry vertex edits on shared boundaries into the neighbours (default false).
    carry_shared: bool,
}

impl TryFrom<Feature> for CheckRequest {
    type Error = ApiError;

    fn try_from(mut feature: Feature) -> ApiResult<Self> {
        let replaces = match take_member(&mut feature, "replaces") {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::String(code)) => Some(code),
            Some(other) => {
                return Err(ApiError::bad_request(
                    "replaces",
                    format!("`replaces` must be a grid code string, got {other}"),
                ));
            }
        };
        let carry_shared = match take_member(&mut feature, "carry_shared") {
            None | Some(JsonValue::Null) => false,
            Some(JsonValue::Bool(b)) => b,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "carry_shared",
                    format!("`carry_shared` must be true or false, got {other}"),
                ));
            }
        };
        Ok(Self {
            feature,
            replaces,
            carry_shared,
        })
    }
}

/// `POST /api/v1/grids/check` with a grid Feature and an optional top-level
/// `"replaces": "<code>"`: what saving it would do, without writing. Always 200 for a
/// Feature, with `valid: false` and the reasons when a save would be refused.
async fn check_grid(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(feature): AppJson<Feature>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let request = CheckRequest::try_from(feature)?;
    let service = state.service.clone();
    let check = off_thread(move || {
        check_json(&service.check_grid(
            &request.feature,
            request.replaces.as_deref(),
            request.carry_shared,
        ))
    })
    .await?;
    Ok(axum::Json(check).into_response())
}

/// A top-level member of a Feature (or, failing that, a property) taken out of it.
fn take_member(feature: &mut Feature, name: &str) -> Option<JsonValue> {
    feature
        .foreign_members
        .as_mut()
        .and_then(|m| m.remove(name))
        .or_else(|| feature.properties.as_mut().and_then(|p| p.remove(name)))
}

/// The query of `POST /api/v1/grids/{code}/reshape`.
#[derive(Debug, Deserialize)]
pub struct ReshapeQuery {
    /// Carry vertex edits on shared boundaries into the neighbours (`true`, the default, or
    /// `false`).
    carry_shared: Option<String>,
}

/// A reshape, checked: the new grid, its code filled in from the URL.
#[derive(Debug)]
struct ReshapeRequest {
    grid: Grid,
    carry_shared: bool,
}

impl ReshapeRequest {
    /// Checks the query, then the grid (off the async threads: it may be a big polygon).
    async fn check(code: &str, query: ReshapeQuery, mut feature: Feature) -> ApiResult<Self> {
        let carry_shared =
            parse_opt("carry_shared", query.carry_shared.as_deref())?.unwrap_or(true);
        fill_key(Layer::Grid, code, &mut feature);
        let grid = off_thread(move || Grid::from_feature(&feature)).await??;
        Ok(Self { grid, carry_shared })
    }
}

/// `POST /api/v1/grids/{code}/reshape[?carry_shared=false]` with the grid's Feature, as for
/// `PUT /api/v1/grids/{code}`; vertex edits on shared boundaries are carried into the
/// neighbours in the same transaction unless `carry_shared=false`.
async fn reshape_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    AppQuery(query): AppQuery<ReshapeQuery>,
    AppJson(feature): AppJson<Feature>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let request = ReshapeRequest::check(&code, query, feature).await?;
    let report = state
        .service
        .reshape_grid(&code, request.grid, request.carry_shared)
        .await
        .map_err(edit_error)?;
    Ok(edit_response(&report))
}

/// The body of a split.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    /// A GeoJSON LineString geometry, or a Feature holding one.
    line: JsonValue,
    #[serde(default)]
    codes: Option<Vec<String>>,
    #[serde(default)]
    names: Option<Vec<String>>,
}

/// The line of a split body: a LineString geometry or a Feature with one.
fn split_line(value: JsonValue) -> ApiResult<geo::LineString> {
    let is_feature = value.get("type").and_then(JsonValue::as_str) == Some("Feature");
    let geometry = if is_feature {
        serde_json::from_value::<Feature>(value)
            .map_err(|e| ApiError::bad_request("line", format!("not a GeoJSON Feature: {e}")))?
            .geometry
    } else {
        Some(
            serde_json::from_value::<geojson::Geometry>(value).map_err(|e| {
                ApiError::bad_request("line", format!("not a GeoJSON LineString: {e}"))
            })?,
        )
    };
    parse_line(geometry.as_ref()).map_err(|e| {
        let field = match e.field.strip_prefix("geometry") {
            Some(rest) => format!("line{rest}"),
            None => format!("line.{}", e.field),
        };
        e.at(field).into()
    })
}

impl TryFrom<SplitBody> for SplitRequest {
    type Error = ApiError;

    fn try_from(body: SplitBody) -> ApiResult<Self> {
        Ok(Self {
            line: split_line(body.line)?,
            codes: body.codes,
            names: body.names,
        })
    }
}

fn areas_json(areas: &[(String, f64)]) -> JsonValue {
    areas
        .iter()
        .map(|(code, a)| (code.clone(), json!((a * 10.0).round() / 10.0)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A split or merge answer: the resulting grids as a FeatureCollection with what else moved.
fn edit_response(report: &EditReport) -> Response {
    let mut body = json!({
        "type": "FeatureCollection",
        "features": report.grids.iter().map(Item::to_feature).collect::<Vec<_>>(),
        "retired": report.retired,
        "area_m2": {"before": areas_json(&report.areas_before_m2), "after": areas_json(&report.areas_after_m2)},
        "workers": report.workers,
        "micro_grids": report.micro_grids,
        "gaps": report.gaps.iter().map(gap_json).collect::<Vec<_>>(),
    });
    if let (Some(by), JsonValue::Object(map)) = (report.apportioned_by, &mut body) {
        map.insert("apportioned_by".into(), json!(by));
    }
    geojson_response(StatusCode::OK, &body)
}

/// `POST /api/v1/grids/{code}/split` with `{"line", "codes"?, "names"?}`.
async fn split_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    AppJson(body): AppJson<SplitBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let request = SplitRequest::try_from(body)?;
    let report = state
        .service
        .split_grid(&code, request)
        .await
        .map_err(edit_error)?;
    Ok(edit_response(&report))
}

/// The body of a merge.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    codes: Vec<String>,
    keep: String,
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api/v1/grids/merge` with `{"codes", "keep", "name"?}`.
async fn merge_grids(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<MergeBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let report = state
        .service
        .merge_grids(&body.codes, &body.keep, body.name)
        .await
        .map_err(edit_error)?;
    Ok(edit_response(&report))
}

/// The query of `GET /api/v1/grids/next-code`.
#[derive(Debug, Deserialize)]
pub struct NextCodeQuery {
    /// The village/community: 12 digits; required.
    village: Option<String>,
}

/// The village whose next grid code is asked for, checked: 12 digits.
#[derive(Debug)]
struct VillageCode(String);

impl TryFrom<NextCodeQuery> for VillageCode {
    type Error = ApiError;

    fn try_from(query: NextCodeQuery) -> ApiResult<Self> {
        let village: String = parse_required("village", query.village.as_deref())?;
        if village.len() != 12 || !village.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request(
                "village",
                format!("`{village}` is not a village/community code: 12 digits"),
            ));
        }
        Ok(Self(village))
    }
}

/// The answer: the next free grid code of the village, and a name for it in the pattern its
/// grids follow (`凤凰社区第11网格`).
#[derive(Debug, Serialize)]
struct NextCode {
    code: String,
    name: String,
}

/// `GET /api/v1/grids/next-code?village=<12 digits>`.
async fn next_code(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<NextCodeQuery>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Grid)?;
    let VillageCode(village) = VillageCode::try_from(query)?;
    let (code, name) = state.service.next_grid_code(&village)?;
    json(&NextCode { code, name })
}
