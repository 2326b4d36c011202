//! OGC API – Features – Part 1: Core (OGC 17-069r4) at `/ogc`, so that GIS clients (QGIS, GDAL's
//! OAPIF driver) open the layers directly. It claims the conformance classes Core, GeoJSON and
//! OpenAPI 3.0 — not HTML, not GML. Like every read it only looks at the current
//! [`Snapshot`]; paging and bbox parsing are shared with [`super::layers`].
//!
//! Choices, each where the standard leaves one:
//! - **Collections** are the layers with geometry, named by their URL path (`grids`,
//!   `patrol-routes`, …). Workers have no geometry and carry personal data; they are not a
//!   feature collection here (`/ogc/collections/workers` is a 404 that says where they are).
//! - **Feature ids** are the layer's key (code or id), as in `/api/v1`.
//! - **Temporal geometry**: events have the instant `reported_at`; a grid has the validity of its
//!   current version, `[valid_from, ..)`, added to its properties as `valid_from`. The other
//!   layers have none, so `datetime` matches all of their features (Req. 25 C) once it parses.
//! - **bbox**: four numbers, or six with the heights ignored (the data has none); a west edge
//!   greater than the east edge spans the antimeridian. A camera's geometry is its mount point,
//!   so a camera matches when the point is in the box — not when only its field of view reaches
//!   in, which is what `/api/v1/cameras?bbox=` answers.
//! - **limit**: default 10; above the maximum (10,000) the maximum applies, as 7.15.3 says
//!   ("this SHALL NOT result in an error"); 0 or a non-integer is a 400.
//! - **Paging** is by `offset` (declared in the API definition), with `next` and `prev` links,
//!   except for events: they are listed by the store, newest report first, and page by a
//!   `cursor` in the `next` link, with no total (`numberMatched`); they also take the filters
//!   `category`, `status` and `grid` ([`super::events`]).
//! - **Unknown query parameters** are a 400 (Req. 8, `/req/core/query-param-unknown`), as are
//!   invalid values (Req. 9). `f=json` is accepted everywhere; `/ogc/api` also takes `f=html`.
//! - **Links are absolute**, built from the request's `Host` (and `X-Forwarded-Proto: https`
//!   behind a proxy), because clients follow them as given; without a host they are
//!   host-relative.
//! - **OpenAPI 3.0**: `/api/openapi.json` is OpenAPI 3.1, and the OpenAPI 3.0 class needs a 3.0
//!   definition in JSON and in HTML (Req. 45), so `/ogc/api` serves one for the `/ogc` paths,
//!   as `application/vnd.oai.openapi+json;version=3.0` or as a plain HTML page. Its feature
//!   schema is generic; the per-layer property schemas are in the 3.1 document.
//!
//! # Units
//! Coordinates are WGS84 longitude/latitude degrees (CRS84, `[lon, lat]`); times are RFC 3339,
//! rendered in UTC.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use geo::{Intersects, Rect};
use geojson::Feature;
use geojson::feature::Id;
use serde_json::{Value, json};

use crate::domain::{
    Building, Camera, EventPoint, EventStatus, Grid, Item, KeyArea, Layer, Obstacle, PatrolRoute,
    Region, Road, Worker,
};
use crate::spatial::Snapshot;
use crate::spatial::index::{LayerIndex, Spatial, rect_hull};

use super::AppState;
use super::answer::{FeaturePage, GEOJSON, Link, geojson};
use super::error::{ApiError, ApiResult};
use super::events::{EventSelection, LISTING_PARAMS};
use super::extract::Params;
use super::layers::page_from;
use super::params::MAX_PAGE;
use super::params::{Interval, parse_bbox_filter, parse_datetime, rfc3339};

/// The conformance classes this server claims.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];
/// WGS84 longitude/latitude, the only CRS served.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// The media type of the OpenAPI 3.0 definition.
pub const OPENAPI_30: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Features per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;

const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
const JSON: &str = "application/json";
const HTML: &str = "text/html";
/// Query parameters of `/collections/{collectionId}/items`; every other resource takes `f` only.
const ITEMS_PARAMS: [&str; 5] = ["bbox", "datetime", "limit", "offset", "f"];

/// The routes under `/ogc`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing_page))
        .route("/ogc/", get(landing_page))
        .route("/ogc/api", get(api_definition))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(list_collections))
        .route("/ogc/collections/{collection_id}", get(describe_collection))
        .route("/ogc/collections/{collection_id}/items", get(list_features))
        .route(
            "/ogc/collections/{collection_id}/items/{feature_id}",
            get(get_feature),
        )
}

/// The root every link starts from: `scheme://host/ogc`, or `/ogc` when the request names no
/// host.
#[derive(Debug)]
struct Base(String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| {
                parts
                    .uri
                    .authority()
                    .map(axum::http::uri::Authority::as_str)
            })
            // Only what a host and port can hold: the value goes into every link.
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
            });
        let https = headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        Ok(Self(match host {
            Some(host) if https => format!("https://{host}/ogc"),
            Some(host) => format!("http://{host}/ogc"),
            None => "/ogc".to_owned(),
        }))
    }
}

fn link(href: &str, rel: &'static str, media_type: &'static str, title: &str) -> Link {
    Link::typed(href, rel, media_type, title)
}

/// The check of every resource but the items and the API definition: no query parameter
/// outside `allowed` (Req. 8) and no `f` other than `json` (Req. 9).
fn check_params(params: &Params, allowed: &[&str]) -> ApiResult<()> {
    if let Some(name) = params.unknown(allowed) {
        return Err(ApiError::bad_request(
            name,
            format!(
                "unknown query parameter `{name}`; this resource takes: {}",
                allowed.join(", ")
            ),
        ));
    }
    match params.raw("f") {
        None | Some("json") => Ok(()),
        Some(other) => Err(ApiError::bad_request(
            "f",
            format!("`f={other}`: this resource is served as `json` only"),
        )),
    }
}

/// `limit`: an integer from 1; above [`MAX_PAGE`] the maximum applies (17-069r4, 7.15.3).
fn parse_limit(params: &Params) -> ApiResult<usize> {
    let Some(raw) = params.raw("limit").map(str::trim) else {
        return Ok(DEFAULT_LIMIT);
    };
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only, so a failed parse is an overflow: far above the maximum.
        let limit = raw.parse::<usize>().map_or(MAX_PAGE, |n| n.min(MAX_PAGE));
        if limit >= 1 {
            return Ok(limit);
        }
    }
    Err(ApiError::bad_request(
        "limit",
        format!("`limit={raw}`: an integer from 1 is needed (at most {MAX_PAGE} are returned)"),
    ))
}

/// The selection of `/collections/{collectionId}/items` (but events, [`events_selection`]),
/// checked, with each filter kept in a canonical form for the paging links.
#[derive(Debug)]
struct ItemsRequest {
    layer: Layer,
    rects: Vec<Rect>,
    bbox: Option<String>,
    time: Option<Interval>,
    limit: usize,
    offset: usize,
}

impl ItemsRequest {
    fn check(layer: Layer, params: &Params) -> ApiResult<Self> {
        check_params(params, &ITEMS_PARAMS)?;
        let (rects, bbox) = match params.raw("bbox") {
            Some(raw) => {
                let (rects, canonical) = parse_bbox_filter(raw)?;
                (rects, Some(canonical))
            }
            None => (Vec::new(), None),
        };
        Ok(Self {
            layer,
            rects,
            bbox,
            time: params.raw("datetime").map(parse_datetime).transpose()?,
            limit: parse_limit(params)?,
            offset: params.parse::<usize>("offset")?.unwrap_or(0),
        })
    }

    fn href(&self, base: &str, offset: usize) -> String {
        let mut href = format!(
            "{base}/collections/{}/items?limit={}&offset={offset}",
            self.layer.path(),
            self.limit
        );
        if let Some(bbox) = &self.bbox {
            let _ = write!(href, "&bbox={bbox}");
        }
        if let Some(time) = self.time {
            let _ = write!(href, "&datetime={}", time.to_param());
        }
        href
    }

    /// The page of `features`, of `matched` in all, with its links: `self`, `collection`,
    /// and `next` and `prev` where there are such pages.
    fn answer(&self, base: &str, matched: usize, features: Vec<Feature>) -> FeaturePage {
        let (title, _) = describe(self.layer);
        let mut links = vec![
            link(&self.href(base, self.offset), "self", GEOJSON, "This page"),
            link(
                &format!("{base}/collections/{}", self.layer.path()),
                "collection",
                JSON,
                title,
            ),
        ];
        let next = self.offset + features.len();
        if next < matched {
            links.push(link(&self.href(base, next), "next", GEOJSON, "Next page"));
        }
        if self.offset > 0 {
            let prev = self.offset.saturating_sub(self.limit);
            links.push(link(
                &self.href(base, prev),
                "prev",
                GEOJSON,
                "Previous page",
            ));
        }
        FeaturePage::new(features, Some(matched))
            .with_links(links)
            .stamped(rfc3339(Utc::now()))
    }
}

/// The selection of `/collections/events/items`: the names an event listing takes and `f`
/// (Req. 8, 9), `limit` as [`parse_limit`] takes it, then the filters of
/// [`EventSelection::with_limit`].
fn events_selection(params: &Params) -> ApiResult<EventSelection> {
    let mut allowed = LISTING_PARAMS.to_vec();
    allowed.push("f");
    check_params(params, &allowed)?;
    EventSelection::with_limit(params, parse_limit(params)?)
}

/// What temporal geometries need besides the item itself: the start of each grid's current
/// version (only filled for the grid layer).
#[derive(Debug, Default)]
struct Times {
    grid_valid_from: HashMap<String, DateTime<Utc>>,
}

impl Times {
    fn of(snapshot: &Snapshot, layer: Layer) -> Self {
        if layer != Layer::Grid {
            return Self::default();
        }
        let grid_valid_from = snapshot
            .grid_history
            .iter()
            .filter(|v| v.valid_to.is_none())
            .map(|v| (v.grid.code.clone(), v.valid_from))
            .collect();
        Self { grid_valid_from }
    }

    /// Adds what the feature's temporal geometry is made of to its properties: `valid_from`
    /// of a grid.
    fn decorate(&self, feature: &mut Feature) {
        if let (Some(Id::String(code)), Some(props)) = (&feature.id, feature.properties.as_mut())
            && let Some(t) = self.grid_valid_from.get(code)
        {
            props.insert("valid_from".into(), json!(rfc3339(*t)));
        }
    }
}

/// What OGC needs of a layer's items beyond [`Item`] and [`Spatial`].
trait Served: Item + Spatial {
    /// The box of the served geometry (the Feature's `geometry`).
    fn bounds(&self) -> Option<Rect> {
        self.envelope()
    }

    /// Whether the served geometry intersects `rect`, for an item whose indexed geometry does:
    /// they differ only where the index holds more than the geometry served.
    fn refine(&self, _rect: &Rect) -> bool {
        true
    }

    /// The temporal geometry, if the layer has one.
    fn when(&self, _times: &Times) -> Option<Interval> {
        None
    }
}

impl Served for Region {}
impl Served for Worker {}
impl Served for PatrolRoute {}
impl Served for KeyArea {}
impl Served for Building {}
impl Served for Obstacle {}
impl Served for Road {}

impl Served for Grid {
    fn when(&self, times: &Times) -> Option<Interval> {
        times.grid_valid_from.get(&self.code).map(|&t| Interval {
            start: Some(t),
            end: None,
        })
    }
}

/// A camera is indexed by the box of its range; the feature is its mount point.
impl Served for Camera {
    fn bounds(&self) -> Option<Rect> {
        Some(Rect::new(self.location.0, self.location.0))
    }

    fn refine(&self, rect: &Rect) -> bool {
        rect.intersects(&self.location)
    }
}

/// Calls `$f(index, args…)` with the typed index of `$layer`; for events, whose index holds only
/// what maps need of them, evaluates `$events` instead.
macro_rules! on_layer {
    ($snapshot:expr, $layer:expr, $f:ident($($arg:expr),*), events: $events:expr) => {
        match $layer {
            Layer::Region => $f($snapshot.regions.as_ref(), $($arg),*),
            Layer::Grid => $f($snapshot.grids.as_ref(), $($arg),*),
            Layer::Worker => $f($snapshot.workers.as_ref(), $($arg),*),
            Layer::Camera => $f($snapshot.cameras.as_ref(), $($arg),*),
            Layer::PatrolRoute => $f($snapshot.patrol_routes.as_ref(), $($arg),*),
            Layer::KeyArea => $f($snapshot.key_areas.as_ref(), $($arg),*),
            Layer::Event => $events,
            Layer::Building => $f($snapshot.buildings.as_ref(), $($arg),*),
            Layer::Obstacle => $f($snapshot.obstacles.as_ref(), $($arg),*),
            Layer::Road => $f($snapshot.roads.as_ref(), $($arg),*),
        }
    };
}

/// The box around every served geometry and the interval around every temporal geometry.
fn extent_of<T: Served>(index: &LayerIndex<T>, times: &Times) -> (Option<Rect>, Option<Interval>) {
    let mut bbox: Option<Rect> = None;
    let mut time: Option<Interval> = None;
    for item in index.iter() {
        if let Some(b) = item.bounds() {
            bbox = Some(bbox.map_or(b, |a| rect_hull(a, b)));
        }
        if let Some(t) = item.when(times) {
            time = Some(time.map_or(t, |a| a.hull(t)));
        }
    }
    (bbox, time)
}

/// The box around every event and the interval of their report times.
fn event_extent(index: &LayerIndex<EventPoint>) -> (Option<Rect>, Option<Interval>) {
    let mut bbox: Option<Rect> = None;
    let mut time: Option<Interval> = None;
    for e in index.iter() {
        let b = Rect::new(e.location, e.location);
        bbox = Some(bbox.map_or(b, |a| rect_hull(a, b)));
        let t = Interval::instant(e.reported());
        time = Some(time.map_or(t, |a| a.hull(t)));
    }
    (bbox, time)
}

/// The page of features `query` selects, and how many it matches in all.
fn select<T: Served>(
    index: &LayerIndex<T>,
    query: &ItemsRequest,
    times: &Times,
) -> (usize, Vec<Feature>) {
    let in_time = |item: &T| {
        query.time.is_none_or(|want| {
            // Features without a temporal geometry match every `datetime` (Req. 25 C).
            item.when(times).is_none_or(|have| have.intersects(&want))
        })
    };
    let (offset, limit) = (query.offset, query.limit);
    match query.rects[..] {
        [] => page_from(index.iter().filter(|i| in_time(i)), offset, limit),
        [rect] => page_from(
            index
                .within(rect)
                .into_iter()
                .filter(|i| i.refine(&rect) && in_time(i)),
            offset,
            limit,
        ),
        // Across the antimeridian: rare, so a scan in key order rather than two index queries
        // to merge.
        _ => page_from(
            index.iter().filter(|i| {
                query
                    .rects
                    .iter()
                    .any(|r| i.intersects_rect(r) && i.refine(r))
                    && in_time(i)
            }),
            offset,
            limit,
        ),
    }
}

/// The layers served as collections, in dependency order: every layer with geometry.
fn collection_layers() -> impl Iterator<Item = Layer> {
    Layer::ALL.into_iter().filter(|l| *l != Layer::Worker)
}

fn collection(id: &str) -> ApiResult<Layer> {
    if id == Layer::Worker.path() {
        return Err(ApiError::not_found(
            "`workers` have no geometry and are not a feature collection; see /api/v1/workers",
        ));
    }
    collection_layers().find(|l| l.path() == id).ok_or_else(|| {
        let known: Vec<&str> = collection_layers().map(Layer::path).collect();
        ApiError::not_found(format!("no collection `{id}`; known: {}", known.join(", ")))
    })
}

/// Title and description of a collection.
fn describe(layer: Layer) -> (&'static str, &'static str) {
    match layer {
        Layer::Region => (
            "Regions",
            "行政区划 — the county, its towns (镇街) and villages/communities (村社) with their official codes.",
        ),
        Layer::Grid => (
            "Grids",
            "网格与微网格 — grids under each village/community and micro-grids within them, with households and population. Temporal: `valid_from`, when the current version took effect (open end).",
        ),
        Layer::Worker => ("Workers", "网格员 — no geometry; not served here."),
        Layer::Camera => (
            "Cameras",
            "视频点位 — surveillance cameras at their mount point; azimuth, field of view and range (metres) are properties.",
        ),
        Layer::PatrolRoute => (
            "Patrol routes",
            "巡逻路线 — patrol routes with their team and weekly time windows.",
        ),
        Layer::KeyArea => (
            "Key areas",
            "重点整治区域 — key rectification areas under listed supervision, with department, deadline and status.",
        ),
        Layer::Event => (
            "Events",
            "事件 — reported events with category, source and status. Temporal: `reported_at`.",
        ),
        Layer::Building => (
            "Buildings",
            "楼栋 — buildings at their location, with households and residents.",
        ),
        Layer::Obstacle => (
            "Obstacles",
            "遮挡物 — building footprints (polygons) and walls (lines) that hide the ground behind them from cameras.",
        ),
        Layer::Road => (
            "Roads",
            "道路 — the road network's centre lines with their class (OSM highway groups), direction and street name.",
        ),
    }
}

fn collection_json(snapshot: &Snapshot, layer: Layer, base: &str) -> Value {
    let times = Times::of(snapshot, layer);
    let (bbox, interval) = on_layer!(
        snapshot,
        layer,
        extent_of(&times),
        events: event_extent(&snapshot.events)
    );
    let (title, description) = describe(layer);
    let href = format!("{base}/collections/{}", layer.path());
    let mut body = json!({
        "id": layer.path(),
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(&href, "self", JSON, title),
            link(&format!("{href}/items"), "items", GEOJSON, &format!("{title} as GeoJSON")),
        ],
    });
    let mut extent = serde_json::Map::new();
    if let Some(b) = bbox {
        extent.insert(
            "spatial".into(),
            json!({"bbox": [[b.min().x, b.min().y, b.max().x, b.max().y]], "crs": CRS84}),
        );
    }
    if let Some(t) = interval {
        extent.insert(
            "temporal".into(),
            json!({"interval": [[t.start.map(rfc3339), t.end.map(rfc3339)]], "trs": GREGORIAN}),
        );
    }
    if !extent.is_empty() {
        body["extent"] = Value::Object(extent);
    }
    body
}

/// `GET /ogc`: the landing page.
async fn landing_page(Base(base): Base, params: Params) -> ApiResult<Response> {
    check_params(&params, &["f"])?;
    Ok(axum::Json(json!({
        "title": "safegrid — OGC API Features",
        "description": "Grid-based community safety management: regions, grids, cameras, patrol routes, key areas, events and buildings as OGC API – Features collections (GeoJSON, CRS84). 网格化社会治理图层。",
        "links": [
            link(&base, "self", JSON, "This document"),
            link(&format!("{base}/api?f=json"), "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
            link(&format!("{base}/api?f=html"), "service-doc", HTML, "The API documentation"),
            link(&format!("{base}/conformance"), "conformance", JSON, "Conformance classes"),
            link(&format!("{base}/collections"), "data", JSON, "The feature collections"),
        ],
    }))
    .into_response())
}

/// `GET /ogc/conformance`.
async fn conformance(params: Params) -> ApiResult<Response> {
    check_params(&params, &["f"])?;
    Ok(axum::Json(json!({"conformsTo": CONFORMANCE})).into_response())
}

/// `GET /ogc/collections`.
async fn list_collections(
    State(state): State<AppState>,
    Base(base): Base,
    params: Params,
) -> ApiResult<Response> {
    check_params(&params, &["f"])?;
    let snapshot = state.service.snapshot();
    let collections: Vec<Value> = collection_layers()
        .map(|layer| collection_json(&snapshot, layer, &base))
        .collect();
    Ok(axum::Json(json!({
        "links": [link(&format!("{base}/collections"), "self", JSON, "The feature collections")],
        "collections": collections,
    }))
    .into_response())
}

/// `GET /ogc/collections/{collectionId}`.
async fn describe_collection(
    State(state): State<AppState>,
    Base(base): Base,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    check_params(&params, &["f"])?;
    let layer = collection(&id)?;
    let snapshot = state.service.snapshot();
    Ok(axum::Json(collection_json(&snapshot, layer, &base)).into_response())
}

/// `GET /ogc/collections/{collectionId}/items?bbox=&datetime=&limit=&offset=`.
async fn list_features(
    State(state): State<AppState>,
    Base(base): Base,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let layer = collection(&id)?;
    if layer == Layer::Event {
        return list_events(&state, &base, &params).await;
    }
    let request = ItemsRequest::check(layer, &params)?;
    let snapshot = state.service.snapshot();
    let times = Times::of(&snapshot, layer);
    // Events are listed by the store and answered above.
    let (matched, mut features) =
        on_layer!(snapshot, layer, select(&request, &times), events: (0, Vec::new()));
    for feature in &mut features {
        times.decorate(feature);
    }
    geojson(&request.answer(&base, matched, features))
}

/// `GET /ogc/collections/events/items?bbox=&datetime=&category=&status=&grid=&limit=&cursor=`:
/// the store's listing ([`super::events`]), newest report first, paged by a `cursor` in the
/// `next` link (no `offset`, no `numberMatched`: both would cost a pass over every match).
async fn list_events(state: &AppState, base: &str, params: &Params) -> ApiResult<Response> {
    let selection = events_selection(params)?;
    let page = super::events::select(&state.service, &selection).await?;
    let path = format!("{base}/collections/{}/items", Layer::Event.path());
    let (title, _) = describe(Layer::Event);
    let mut links = vec![
        link(
            &selection.href(&path, selection.query.after),
            "self",
            GEOJSON,
            "This page",
        ),
        link(
            &format!("{base}/collections/{}", Layer::Event.path()),
            "collection",
            JSON,
            title,
        ),
    ];
    if let Some(next) = page.next {
        links.push(link(
            &selection.href(&path, Some(next)),
            "next",
            GEOJSON,
            "Next page",
        ));
    }
    geojson(
        &FeaturePage::new(page.features, None)
            .with_links(links)
            .stamped(rfc3339(Utc::now())),
    )
}

/// `GET /ogc/collections/{collectionId}/items/{featureId}`.
async fn get_feature(
    State(state): State<AppState>,
    Base(base): Base,
    Path((id, feature_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    check_params(&params, &["f"])?;
    let layer = collection(&id)?;
    let snapshot = state.service.snapshot();
    let missing =
        || ApiError::not_found(format!("collection `{id}` has no feature `{feature_id}`"));
    let mut feature = if layer == Layer::Event {
        // Events are read from the store (see `super::events`).
        let event = state.service.store().event(&feature_id).await?;
        event.ok_or_else(missing)?.to_feature()
    } else {
        snapshot
            .get(layer, &feature_id)
            .ok_or_else(missing)?
            .to_feature()
    };
    Times::of(&snapshot, layer).decorate(&mut feature);
    let href = format!("{base}/collections/{}", layer.path());
    let links = [
        link(
            &format!("{href}/items/{feature_id}"),
            "self",
            GEOJSON,
            "This feature",
        ),
        link(&href, "collection", JSON, describe(layer).0),
    ];
    feature
        .foreign_members
        .get_or_insert_with(Default::default)
        .insert("links".into(), json!(links));
    geojson(&feature)
}

/// How the API definition is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefinitionFormat {
    Json,
    Html,
}

impl DefinitionFormat {
    /// `f=json|html`, the only parameter taken; without it, HTML when `Accept` asks for HTML
    /// and not JSON.
    fn check(params: &Params, headers: &HeaderMap) -> ApiResult<Self> {
        if let Some(name) = params.unknown(&["f"]) {
            return Err(ApiError::bad_request(
                name,
                format!("unknown query parameter `{name}`; this resource takes: f"),
            ));
        }
        match params.raw("f") {
            Some("json") => Ok(Self::Json),
            Some("html") => Ok(Self::Html),
            Some(other) => Err(ApiError::bad_request(
                "f",
                format!("`f={other}`: use `json` or `html`"),
            )),
            None => {
                let html = headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|a| a.contains(HTML) && !a.contains("json"));
                Ok(if html { Self::Html } else { Self::Json })
            }
        }
    }
}

/// `GET /ogc/api`: the OpenAPI 3.0 definition as JSON, or as HTML with `f=html` or an `Accept`
/// that asks for HTML and not JSON.
async fn api_definition(
    Base(base): Base,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Response> {
    let format = DefinitionFormat::check(&params, &headers)?;
    let document = api_document(&base);
    let (media_type, body) = match format {
        DefinitionFormat::Html => ("text/html; charset=utf-8", api_html(&document)),
        DefinitionFormat::Json => (OPENAPI_30, document.to_string()),
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    Ok(response)
}

fn problem_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/problem"}}}})
}

/// The OpenAPI 3.0 definition of the `/ogc` paths, served from `base`.
#[must_use]
pub fn api_document(base: &str) -> Value {
    let ids: Vec<&str> = collection_layers().map(Layer::path).collect();
    let f_json = json!({"name": "f", "in": "query", "required": false, "description": "The format of the response; JSON (GeoJSON for features) is the only one.", "schema": {"type": "string", "enum": ["json"]}, "style": "form", "explode": false});
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "description": "The collection: a layer with geometry.", "schema": {"type": "string", "enum": ids}});
    let errors = |with_404: bool| {
        let mut r = json!({
            "400": {"$ref": "#/components/responses/InvalidParameter"},
            "500": {"$ref": "#/components/responses/ServerError"},
        });
        if with_404 {
            r["404"] = json!({"$ref": "#/components/responses/NotFound"});
        }
        r
    };
    let with = |mut responses: Value, ok: Value| {
        responses["200"] = ok;
        responses
    };
    let ok = |name: &str| json!({"$ref": format!("#/components/responses/{name}")});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "safegrid — OGC API Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features – Part 1: Core (conformance classes Core, GeoJSON, OpenAPI 3.0) over the layers of safegrid. Geometries are CRS84 (WGS84 lon/lat). Unknown query parameters are refused with 400. The property schema of each layer is in the OpenAPI 3.1 document of the whole service at /api/openapi.json."
        },
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": {"operationId": "getLandingPage", "summary": "Landing page", "tags": ["Capabilities"],
                "parameters": [f_json], "responses": with(errors(false), ok("LandingPage"))}},
            "/api": {"get": {"operationId": "getApiDefinition", "summary": "This API definition, as OpenAPI 3.0 JSON or as HTML", "tags": ["Capabilities"],
                "parameters": [{"name": "f", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "html"]}, "style": "form", "explode": false}],
                "responses": with(errors(false), json!({"description": "The API definition",
                    "content": {OPENAPI_30: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}}}))}},
            "/conformance": {"get": {"operationId": "getConformanceDeclaration", "summary": "The conformance classes implemented", "tags": ["Capabilities"],
                "parameters": [f_json], "responses": with(errors(false), ok("ConformanceDeclaration"))}},
            "/collections": {"get": {"operationId": "getCollections", "summary": "The feature collections", "tags": ["Capabilities"],
                "parameters": [f_json], "responses": with(errors(false), ok("Collections"))}},
            "/collections/{collectionId}": {"get": {"operationId": "describeCollection", "summary": "One feature collection", "tags": ["Capabilities"],
                "parameters": [collection_id, f_json], "responses": with(errors(true), ok("Collection"))}},
            "/collections/{collectionId}/items": {"get": {"operationId": "getFeatures", "summary": "The features of a collection, in key order, paged by limit and offset; events newest report first, paged by cursor", "tags": ["Data"],
                "parameters": [
                    collection_id,
                    {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "west,south,east,north in CRS84 (six numbers: heights ignored). West greater than east spans the antimeridian. Only features whose geometry intersects the box are returned.",
                     "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                    {"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "An RFC 3339 instant or an interval start/end (`..` or empty for an open end). Events match on reported_at, grids on [valid_from, ..); features of other collections have no time and always match.",
                     "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": format!("Features per page; larger values are served as {MAX_PAGE}."),
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_LIMIT}},
                    {"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "Features to skip (the next and prev links carry it). Not for events, which page by cursor.",
                     "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "cursor", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "Events only: where the page starts, as the next link gives it.",
                     "schema": {"type": "string"}},
                    {"name": "category", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "Events only: exactly this category.", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "Events only: exactly this status.",
                     "schema": {"type": "string", "enum": EventStatus::ALL.map(EventStatus::as_str)}},
                    {"name": "grid", "in": "query", "required": false, "style": "form", "explode": false,
                     "description": "Events only: routed to this grid (its code) at intake.", "schema": {"type": "string"}},
                    f_json
                ],
                "responses": with(errors(true), ok("Features"))}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"operationId": "getFeature", "summary": "One feature", "tags": ["Data"],
                "parameters": [
                    collection_id,
                    {"name": "featureId", "in": "path", "required": true, "description": "The feature's key (its code or id).", "schema": {"type": "string"}},
                    f_json
                ],
                "responses": with(errors(true), ok("Feature"))}}
        },
        "components": {
            "schemas": {
                "link": {"type": "object", "required": ["href", "rel", "type"], "properties": {
                    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}}},
                "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                "landingPage": {"type": "object", "required": ["links"], "properties": {
                    "title": {"type": "string"}, "description": {"type": "string"}, "links": {"$ref": "#/components/schemas/links"}}},
                "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
                    "conformsTo": {"type": "array", "items": {"type": "string"}}}},
                "extent": {"type": "object", "properties": {
                    "spatial": {"type": "object", "properties": {
                        "bbox": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                        "crs": {"type": "string", "enum": [CRS84]}}},
                    "temporal": {"type": "object", "properties": {
                        "interval": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "format": "date-time", "nullable": true}}},
                        "trs": {"type": "string", "enum": [GREGORIAN]}}}}},
                "collection": {"type": "object", "required": ["id", "links"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                    "links": {"$ref": "#/components/schemas/links"}, "extent": {"$ref": "#/components/schemas/extent"},
                    "itemType": {"type": "string"}, "crs": {"type": "array", "items": {"type": "string"}}}},
                "collections": {"type": "object", "required": ["links", "collections"], "properties": {
                    "links": {"$ref": "#/components/schemas/links"},
                    "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}}}},
                "geometryGeoJSON": {"type": "object", "required": ["type"], "properties": {
                    "type": {"type": "string", "enum": ["Point", "LineString", "Polygon", "MultiPolygon"]}}},
                "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
                    "properties": {"type": "object", "nullable": true},
                    "links": {"$ref": "#/components/schemas/links"}}},
                "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                    "links": {"$ref": "#/components/schemas/links"},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0}}},
                "problem": {"type": "object", "required": ["type", "title", "status"], "description": "RFC 9457 problem details", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "field": {"type": "string"}}}
            },
            "responses": {
                "LandingPage": {"description": "Links to the API definition, the conformance classes and the collections", "content": {JSON: {"schema": {"$ref": "#/components/schemas/landingPage"}}}},
                "ConformanceDeclaration": {"description": "The conformance classes", "content": {JSON: {"schema": {"$ref": "#/components/schemas/confClasses"}}}},
                "Collections": {"description": "Every feature collection", "content": {JSON: {"schema": {"$ref": "#/components/schemas/collections"}}}},
                "Collection": {"description": "One feature collection", "content": {JSON: {"schema": {"$ref": "#/components/schemas/collection"}}}},
                "Features": {"description": "A page of features with links to the next and previous pages", "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureCollectionGeoJSON"}}}},
                "Feature": {"description": "One feature", "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}},
                "InvalidParameter": problem_response("An unknown query parameter or an invalid value"),
                "NotFound": problem_response("No such collection or feature"),
                "ServerError": problem_response("A server error")
            }
        }
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The API definition as a plain HTML page: every operation with its parameters and answers.
fn api_html(document: &Value) -> String {
    let text = |v: &Value| escape(v.as_str().unwrap_or_default());
    let server = document["servers"][0]["url"].as_str().unwrap_or_default();
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n<h1>{title}</h1>\n<p>{description}</p>\n<p>OpenAPI {version}: <a href=\"{json}\">JSON</a></p>\n",
        title = text(&document["info"]["title"]),
        description = text(&document["info"]["description"]),
        version = text(&document["openapi"]),
        json = escape(&format!("{server}/api?f=json")),
    );
    let empty = serde_json::Map::new();
    for (path, item) in document["paths"].as_object().unwrap_or(&empty) {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            let _ = write!(
                out,
                "<h2>{} {}{}</h2>\n<p>{}</p>\n",
                method.to_uppercase(),
                escape(server),
                escape(path),
                text(&op["summary"])
            );
            if let Some(params) = op["parameters"].as_array() {
                out.push_str("<table border=\"1\"><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>\n");
                for p in params {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                        text(&p["name"]),
                        text(&p["in"]),
                        p["required"].as_bool().unwrap_or(false),
                        escape(&p["schema"].to_string()),
                        text(&p["description"])
                    );
                }
                out.push_str("</table>\n");
            }
            out.push_str("<ul>\n");
            for (code, response) in op["responses"].as_object().unwrap_or(&empty) {
                let name = response["$ref"]
                    .as_str()
                    .and_then(|r| r.rsplit('/').next())
                    .map_or_else(|| text(&response["description"]), escape);
                let _ = writeln!(out, "<li>{} — {name}</li>", escape(code));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_html_escapes_and_lists_every_operation() {
        let html = api_html(&api_document("http://h/ogc"));
        assert!(html.starts_with("<!doctype html>"));
        assert_eq!(html.matches("<h2>GET ").count(), 7);
        assert!(html.contains("http://h/ogc/collections/{collectionId}/items"));
        assert!(!html.contains("<script"));
    }
}
