//! CRUD for every layer under `/api/v1/{layer}`: list as a GeoJSON FeatureCollection with
//! `bbox` and paging ([`ListQuery`] checked into a `ListRequest`), get, create, replace
//! (a GeoJSON Feature checked into the layer's item, off the async threads when it is big),
//! delete; the grids no worker serves and a grid's version history.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use geo::Rect;
use geojson::{Feature, FeatureCollection, JsonObject, JsonValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::{AnyItem, Item, Layer, Problem};
use crate::service::privacy::mask_worker_feature;
use crate::spatial::Snapshot;
use crate::spatial::index::LayerIndex;
use crate::spatial::topology::Gap;

use super::AppState;
use super::answer::{FeaturePage, Link, geojson, geojson_response, json};
use super::bounded::off_thread;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AppQuery, Caller, require_token};
use super::params::{
    DEFAULT_PAGE, MAX_PAGE, encode_query_value, page_limit, parse_bbox, parse_opt,
};

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
        Layer::Road => page_of(&snapshot.roads, bbox, offset, limit),
    }
}

/// The query of `GET /api/v1/{layer}`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `minLon,minLat,maxLon,maxLat`: only items whose geometry intersects the box (not for
    /// workers, which have none).
    bbox: Option<String>,
    /// Items per page, `1..=`[`MAX_PAGE`]; [`DEFAULT_PAGE`] when not given.
    limit: Option<String>,
    /// Matching items to skip, in key order; 0 when not given.
    offset: Option<String>,
    /// Workers only: those whose name or id contains this text (the map's worker picker).
    q: Option<String>,
}

/// A checked listing of one layer.
#[derive(Debug)]
struct ListRequest {
    layer: Layer,
    bbox: Option<Rect>,
    /// `bbox` as it was given, for the paging links.
    bbox_param: Option<String>,
    limit: usize,
    offset: usize,
    /// Workers whose name or id contains this (trimmed, not empty).
    q: Option<String>,
}

/// Longest `q` of a worker listing, in characters.
const MAX_Q_CHARS: usize = 64;

impl ListRequest {
    fn check(layer: Layer, query: ListQuery) -> ApiResult<Self> {
        let limit = page_limit(query.limit.as_deref(), DEFAULT_PAGE, MAX_PAGE)?;
        let offset = parse_opt("offset", query.offset.as_deref())?.unwrap_or(0);
        let bbox = query.bbox.as_deref().map(parse_bbox).transpose()?;
        if bbox.is_some() && layer == Layer::Worker {
            return Err(ApiError::bad_request(
                "bbox",
                "workers have no geometry; filter grids by bbox instead",
            ));
        }
        let q = query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        if let Some(q) = &q {
            if layer != Layer::Worker {
                return Err(ApiError::bad_request(
                    "q",
                    "`q` filters workers by name; search other layers with /api/v1/search?q=",
                ));
            }
            if q.chars().count() > MAX_Q_CHARS {
                return Err(ApiError::bad_request(
                    "q",
                    format!("`q` is longer than {MAX_Q_CHARS} characters"),
                )
                .with_problem(Problem::TooMany {
                    limit: MAX_Q_CHARS as u64,
                }));
            }
        }
        Ok(Self {
            layer,
            bbox,
            bbox_param: query.bbox,
            limit,
            offset,
            q,
        })
    }

    /// The link to the page starting at `offset`.
    fn href(&self, offset: usize) -> String {
        let mut href = format!(
            "/api/v1/{}?limit={}&offset={offset}",
            self.layer.path(),
            self.limit
        );
        if let Some(bbox) = &self.bbox_param {
            href.push_str("&bbox=");
            href.push_str(bbox);
        }
        if let Some(q) = &self.q {
            href.push_str("&q=");
            href.push_str(&encode_query_value(q));
        }
        href
    }

    /// The page of `features`, of `matched` in all, with its `self` and `next` links.
    fn answer(&self, matched: usize, features: Vec<Feature>) -> FeaturePage {
        let mut links = vec![Link::plain("self", self.href(self.offset))];
        let next = self.offset + features.len();
        if next < matched {
            links.push(Link::plain("next", self.href(next)));
        }
        FeaturePage::new(features, Some(matched)).with_links(links)
    }
}

/// Workers' phone numbers in `features` (of `layer`): masked for a caller who may not see
/// them, else shown and recorded as read through `what` (see [`crate::service::privacy`]).
pub(super) async fn guard_phones(
    state: &AppState,
    caller: &Caller,
    layer: Layer,
    what: &str,
    features: &mut [Feature],
) -> ApiResult<()> {
    if layer != Layer::Worker {
        return Ok(());
    }
    let Some((token, role)) = caller.personal_data_reader() else {
        features.iter_mut().for_each(mask_worker_feature);
        return Ok(());
    };
    let shown: Vec<&str> = features
        .iter()
        .filter(|f| f.property("phone").is_some_and(|p| !p.is_null()))
        .filter_map(|f| f.property("id").and_then(JsonValue::as_str))
        .collect();
    state
        .service
        .record_personal_read(token, role, what, &shown)
        .await?;
    Ok(())
}

/// `GET /api/v1/{layer}?bbox=&limit=&offset=`.
pub async fn list_items(
    layer: Layer,
    state: AppState,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Response> {
    let request = ListRequest::check(layer, query)?;
    let snapshot = state.service.snapshot();
    let (matched, features) = match &request.q {
        Some(q) => page_from(
            snapshot
                .workers
                .iter()
                .filter(|w| w.name.contains(q.as_str()) || w.id.contains(q.as_str())),
            request.offset,
            request.limit,
        ),
        None => page(
            &snapshot,
            layer,
            request.bbox,
            request.offset,
            request.limit,
        ),
    };
    let mut features = features;
    guard_phones(&state, &caller, layer, layer.path(), &mut features).await?;
    geojson(&request.answer(matched, features))
}

/// `GET /api/v1/{layer}/{key}`.
pub async fn get_item(
    layer: Layer,
    state: AppState,
    caller: Caller,
    key: String,
) -> ApiResult<Response> {
    let item = state
        .service
        .snapshot()
        .get(layer, &key)
        .ok_or_else(|| ApiError::missing_item(layer, &key))?;
    let mut feature = [item.to_feature()];
    let what = format!("{}/{key}", layer.path());
    guard_phones(&state, &caller, layer, &what, &mut feature).await?;
    let [feature] = feature;
    geojson(&feature)
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

/// Fills the key the URL names into a Feature's properties when the body leaves it out.
pub(super) fn fill_key(layer: Layer, key: &str, feature: &mut Feature) {
    feature
        .properties
        .get_or_insert_with(JsonObject::new)
        .entry(layer.key_field())
        .or_insert_with(|| JsonValue::String(key.to_owned()));
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

/// `PUT /api/v1/{layer}/{key}` with a GeoJSON Feature; the key may be left out of it.
pub async fn replace_item(
    layer: Layer,
    state: AppState,
    caller: Caller,
    key: String,
    mut feature: Feature,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    fill_key(layer, &key, &mut feature);
    let item = parse_feature(layer, feature).await?;
    let (item, report) = state.service.replace(&key, item).await?;
    Ok(written(StatusCode::OK, &item, &report))
}

/// The answer to a delete.
#[derive(Debug, Serialize)]
struct Removal<'a> {
    deleted: &'a str,
    layer: &'static str,
    gaps: &'a [Gap],
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
    json(&Removal {
        deleted: &key,
        layer: layer.path(),
        gaps: &report.gaps,
    })
}

/// A top-level grid that no worker serves, with its village and box (`[west, south, east,
/// north]`, WGS84 degrees).
#[derive(Debug, Serialize)]
struct UnstaffedGrid<'a> {
    code: &'a str,
    name: &'a str,
    village: &'a str,
    bbox: Option<[f64; 4]>,
}

/// The answer of `GET /api/v1/grids/without-worker`.
#[derive(Debug, Serialize)]
struct UnstaffedGrids<'a> {
    count: usize,
    grids: Vec<UnstaffedGrid<'a>>,
}

/// `GET /api/v1/grids/without-worker`: top-level grids that no worker serves (一格一员), with
/// their village and box, for the map's warning list.
pub async fn grids_without_worker(State(state): State<AppState>) -> ApiResult<Response> {
    use crate::spatial::index::Spatial;
    let snapshot = state.service.snapshot();
    let grids: Vec<UnstaffedGrid> = snapshot
        .grids_without_worker()
        .map(|g| UnstaffedGrid {
            bbox: g
                .envelope()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
            code: &g.code,
            name: &g.name,
            village: g.community_code(),
        })
        .collect();
    json(&UnstaffedGrids {
        count: grids.len(),
        grids,
    })
}

/// `GET /api/v1/grids/{code}/history`: every version, oldest first, each with its `version`,
/// `valid_from` and `valid_to` among its properties.
pub async fn grid_history(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let snapshot = state.service.snapshot();
    let features: Vec<Feature> = snapshot
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
            f
        })
        .collect();
    if features.is_empty() {
        return Err(ApiError::not_found(format!("grid `{code}` has no history")));
    }
    geojson(&FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })
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
            get(
                move |State(s): State<AppState>, c: Caller, AppQuery(q): AppQuery<ListQuery>| {
                    list_items(layer, s, c, q)
                },
            ),
            get(
                move |State(s): State<AppState>, c: Caller, Path(k): Path<String>| {
                    get_item(layer, s, c, k)
                },
            ),
        )
    };
    // Writes refuse a request without a token before reading its body.
    let token = || axum::middleware::from_fn(require_token);
    let collection = list.merge(
        axum::routing::post(
            move |State(s): State<AppState>, c: Caller, AppJson(f): AppJson<Feature>| {
                create_item(layer, s, c, f)
            },
        )
        .layer(token()),
    );
    let item = read.merge(
        axum::routing::put(
            move |State(s): State<AppState>,
                  c: Caller,
                  Path(k): Path<String>,
                  AppJson(f): AppJson<Feature>| { replace_item(layer, s, c, k, f) },
        )
        .delete(
            move |State(s): State<AppState>, c: Caller, Path(k): Path<String>| {
                delete_item(layer, s, c, k)
            },
        )
        .layer(token()),
    );
    axum::Router::new()
        .route(&format!("/api/v1/{}", layer.path()), collection)
        .route(&format!("/api/v1/{}/{{key}}", layer.path()), item)
}
