//! CRUD for every layer under `/api/v1/{layer}`: list as a GeoJSON FeatureCollection with
//! `bbox` and paging, get, create, replace, delete; and a grid's version history.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use geo::Rect;
use geojson::{Feature, JsonObject, JsonValue};
use serde_json::json;

use crate::domain::{AnyItem, Item, Layer};
use crate::spatial::Snapshot;
use crate::spatial::index::LayerIndex;

use super::AppState;
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller, Params};
use super::params::parse_bbox;

/// Items per page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;
/// Largest accepted `limit`.
pub const MAX_PAGE: usize = 10_000;

/// The media type of GeoJSON (RFC 7946).
pub(super) const GEOJSON: &str = "application/geo+json";

/// The page `offset..offset + limit` of `matches` (already in key order) as Features, and how
/// many matched in all.
pub(super) fn page_from<'a, T: Item>(
    matches: impl IntoIterator<Item = &'a T>,
    offset: usize,
    limit: usize,
) -> (usize, Vec<Feature>) {
    let mut matched = 0;
    let mut page = Vec::new();
    for item in matches {
        if matched >= offset && page.len() < limit {
            page.push(item.to_feature());
        }
        matched += 1;
    }
    (matched, page)
}

fn page_of<T>(
    index: &LayerIndex<T>,
    bbox: Option<Rect>,
    offset: usize,
    limit: usize,
) -> (usize, Vec<Feature>)
where
    T: Item + crate::spatial::index::Spatial,
{
    match bbox {
        None => {
            let page = index
                .iter_from(offset)
                .take(limit)
                .map(Item::to_feature)
                .collect();
            (index.len(), page)
        }
        Some(rect) => page_from(index.within(rect), offset, limit),
    }
}

fn page(
    snapshot: &Snapshot,
    layer: Layer,
    bbox: Option<Rect>,
    offset: usize,
    limit: usize,
) -> (usize, Vec<Feature>) {
    match layer {
        Layer::Region => page_of(&snapshot.regions, bbox, offset, limit),
        Layer::Grid => page_of(&snapshot.grids, bbox, offset, limit),
        Layer::Worker => page_of(&snapshot.workers, bbox, offset, limit),
        Layer::Camera => page_of(&snapshot.cameras, bbox, offset, limit),
        Layer::PatrolRoute => page_of(&snapshot.patrol_routes, bbox, offset, limit),
        Layer::KeyArea => page_of(&snapshot.key_areas, bbox, offset, limit),
        // Listed by the store (`super::events`): the snapshot does not hold them whole.
        Layer::Event => (0, Vec::new()),
        Layer::Building => page_of(&snapshot.buildings, bbox, offset, limit),
        Layer::Obstacle => page_of(&snapshot.obstacles, bbox, offset, limit),
    }
}

pub(super) fn geojson_response(status: StatusCode, body: &JsonValue) -> Response {
    (status, [(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response()
}

/// `GET /api/v1/{layer}?bbox=&limit=&offset=`.
pub async fn list_items(layer: Layer, state: AppState, params: Params) -> ApiResult<Response> {
    let limit = params.parse::<usize>("limit")?.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(
            "limit",
            format!("limit must be 1..={MAX_PAGE}"),
        ));
    }
    let offset = params.parse::<usize>("offset")?.unwrap_or(0);
    let bbox = params.raw("bbox").map(parse_bbox).transpose()?;
    if bbox.is_some() && layer == Layer::Worker {
        return Err(ApiError::bad_request(
            "bbox",
            "workers have no geometry; filter grids by bbox instead",
        ));
    }
    let snapshot = state.service.snapshot();
    let (matched, features) = page(&snapshot, layer, bbox, offset, limit);
    let returned = features.len();
    let mut links = vec![json!({"rel": "self", "href": page_href(layer, &params, offset, limit)})];
    if offset + returned < matched {
        links.push(
            json!({"rel": "next", "href": page_href(layer, &params, offset + returned, limit)}),
        );
    }
    Ok(geojson_response(
        StatusCode::OK,
        &json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": returned,
            "links": links,
        }),
    ))
}

fn page_href(layer: Layer, params: &Params, offset: usize, limit: usize) -> String {
    let mut href = format!("/api/v1/{}?limit={limit}&offset={offset}", layer.path());
    if let Some(bbox) = params.raw("bbox") {
        href.push_str("&bbox=");
        href.push_str(bbox);
    }
    href
}

/// `GET /api/v1/{layer}/{key}`.
pub async fn get_item(layer: Layer, state: AppState, key: String) -> ApiResult<Response> {
    let item = state
        .service
        .snapshot()
        .get(layer, &key)
        .ok_or_else(|| ApiError::not_found(format!("{layer} `{key}` does not exist")))?;
    Ok(geojson_response(StatusCode::OK, &json!(item.to_feature())))
}

fn written(status: StatusCode, item: &AnyItem, report: &crate::service::WriteReport) -> Response {
    let mut body = json!(item.to_feature());
    if !report.gaps.is_empty()
        && let JsonValue::Object(map) = &mut body
    {
        map.insert("gaps".into(), json!(report.gaps));
    }
    let mut response = geojson_response(status, &body);
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/api/v1/{}/{}", item.layer().path(), item.key()).parse()
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Features with fewer positions than this are parsed and checked on the request's own thread:
/// their validity check takes well under a millisecond, less than a hop to the blocking pool.
const INLINE_POSITIONS: usize = 1_000;

/// Number of positions in a GeoJSON geometry.
fn positions(geometry: Option<&geojson::Geometry>) -> usize {
    use geojson::Value;
    match geometry.map(|g| &g.value) {
        None => 0,
        Some(Value::Point(_)) => 1,
        Some(Value::MultiPoint(p) | Value::LineString(p)) => p.len(),
        Some(Value::MultiLineString(l) | Value::Polygon(l)) => l.iter().map(Vec::len).sum(),
        Some(Value::MultiPolygon(p)) => p.iter().flatten().map(Vec::len).sum(),
        Some(Value::GeometryCollection(g)) => g.iter().map(|g| positions(Some(g))).sum(),
    }
}

/// Parses and checks a Feature; a big one off the async threads, under the request's budget
/// (checking a polygon of 100,000 vertices is work).
async fn parse_feature(layer: Layer, feature: Feature) -> ApiResult<AnyItem> {
    if positions(feature.geometry.as_ref()) < INLINE_POSITIONS {
        return Ok(AnyItem::from_feature(layer, &feature)?);
    }
    Ok(off_thread(move || AnyItem::from_feature(layer, &feature)).await??)
}

/// `POST /api/v1/{layer}` with a GeoJSON Feature.
pub async fn create_item(
    layer: Layer,
    state: AppState,
    caller: Caller,
    feature: Feature,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    let item = parse_feature(layer, feature).await?;
    let (item, report) = state.service.create(item).await?;
    Ok(written(StatusCode::CREATED, &item, &report))
}

/// `PUT /api/v1/{layer}/{key}` with a GeoJSON Feature.
pub async fn replace_item(
    layer: Layer,
    state: AppState,
    caller: Caller,
    key: String,
    feature: Feature,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    let mut feature = feature;
    // The URL names the item: fill the key in when the body leaves it out.
    let props = feature.properties.get_or_insert_with(JsonObject::new);
    props
        .entry(layer.key_field())
        .or_insert_with(|| JsonValue::String(key.clone()));
    let item = parse_feature(layer, feature).await?;
    let (item, report) = state.service.replace(&key, item).await?;
    Ok(written(StatusCode::OK, &item, &report))
}

/// `DELETE /api/v1/{layer}/{key}`.
pub async fn delete_item(
    layer: Layer,
    state: AppState,
    caller: Caller,
    key: String,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    let report = state.service.delete(layer, &key).await?;
    Ok(
        axum::Json(json!({"deleted": key, "layer": layer.path(), "gaps": report.gaps}))
            .into_response(),
    )
}

/// `GET /api/v1/grids/without-worker`: top-level grids that no worker serves (一格一员), with
/// their village and box, for the map's warning list.
pub async fn grids_without_worker(State(state): State<AppState>) -> Response {
    use crate::spatial::index::Spatial;
    let snapshot = state.service.snapshot();
    let grids: Vec<JsonValue> = snapshot
        .grids_without_worker()
        .map(|g| {
            let bbox = g
                .envelope()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
            json!({"code": g.code, "name": g.name, "village": g.community_code(), "bbox": bbox})
        })
        .collect();
    axum::Json(json!({"count": grids.len(), "grids": grids})).into_response()
}

/// `GET /api/v1/grids/{code}/history`: every version, oldest first.
pub async fn grid_history(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let snapshot = state.service.snapshot();
    let features: Vec<JsonValue> = snapshot
        .grid_history
        .iter()
        .filter(|v| v.grid.code == code)
        .map(|v| {
            let mut f = v.grid.to_feature();
            if let Some(props) = f.properties.as_mut() {
                props.insert("version".into(), json!(v.version));
                props.insert("valid_from".into(), json!(v.valid_from));
                props.insert("valid_to".into(), json!(v.valid_to));
            }
            json!(f)
        })
        .collect();
    if features.is_empty() {
        return Err(ApiError::not_found(format!("grid `{code}` has no history")));
    }
    Ok(geojson_response(
        StatusCode::OK,
        &json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// Builds the list/get/create/replace/delete routes of one layer.
pub fn layer_routes(layer: Layer) -> axum::Router<AppState> {
    use axum::routing::{MethodRouter, get};
    // Events are read from the store, where they are indexed for listing (`super::events`);
    // every other layer from the snapshot.
    let (list, read): (MethodRouter<AppState>, MethodRouter<AppState>) = if layer == Layer::Event {
        (
            get(super::events::list_events),
            get(super::events::get_event),
        )
    } else {
        (
            get(move |State(s): State<AppState>, p: Params| list_items(layer, s, p)),
            get(move |State(s): State<AppState>, Path(k): Path<String>| get_item(layer, s, k)),
        )
    };
    let collection = list.post(
        move |State(s): State<AppState>, c: Caller, AppJson(f): AppJson<Feature>| {
            create_item(layer, s, c, f)
        },
    );
    let item = read
        .put(
            move |State(s): State<AppState>,
                  c: Caller,
                  Path(k): Path<String>,
                  AppJson(f): AppJson<Feature>| { replace_item(layer, s, c, k, f) },
        )
        .delete(
            move |State(s): State<AppState>, c: Caller, Path(k): Path<String>| {
                delete_item(layer, s, c, k)
            },
        );
    axum::Router::new()
        .route(&format!("/api/v1/{}", layer.path()), collection)
        .route(&format!("/api/v1/{}/{{key}}", layer.path()), item)
}
