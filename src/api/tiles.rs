//! Vector tiles of every layer with geometry: `GET /tiles/{layer}/{z}/{x}/{y}.mvt` (Mapbox
//! Vector Tile 2.1, built from the current snapshot by [`crate::tiles`], never from the
//! database; the path is checked into a `TileRequest`) and `GET /tiles/{layer}.json`
//! (TileJSON 3.0.0).
//!
//! # Caching
//! Every answer carries `Cache-Control: no-cache` and a strong `ETag` made of the process
//! instance, the snapshot version and the address (layer, z, x, y); a matching `If-None-Match`
//! gets 304 without building the tile. Every committed write publishes a new snapshot version,
//! so the next revalidation after an edit gets the new tile at once. The instance part (drawn
//! once per process) keeps an ETag from being reused after a restart, when versions start
//! again at 1. The TileJSON's tile URLs carry the version (`…/{y}.mvt?v=17`): a map that
//! reloads the TileJSON after an edit gets new tile URLs and drops its own tile cache.
//!
//! # Answers
//! - a tile with at least one feature: 200, `application/vnd.mapbox-vector-tile`, one MVT layer
//!   named after the URL layer name (`grids`, `patrol-routes`);
//! - no feature in the tile: 204 No Content (MapLibre draws an empty tile);
//! - `workers` (no geometry) or an unknown layer: 404; z outside 0..=22, x or y outside 0..2^z,
//!   a file other than `{y}.mvt`: 400. Errors are problem+json.
//!
//! TileJSON `tiles` URLs are absolute, as TileJSON 3.0.0 requires and MapLibre needs (it fetches
//! tiles from a worker, where a relative URL has nothing to resolve against): scheme and host
//! come from `X-Forwarded-Proto`/`X-Forwarded-Host` when a proxy sets them, else `http` and the
//! `Host` header.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::domain::Layer;
use crate::spatial::Snapshot;
use crate::tiles::{
    DETAIL_ZOOM, FieldType, LABEL_FIELDS, MAX_ZOOM, TileError, TileId, encode_tile, label_layer,
    layer_bounds, layer_fields,
};

use super::AppState;
use super::error::{ApiError, ApiResult};

/// The MVT media type.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// The tile routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tiles/{file}", get(get_tilejson))
        .route("/tiles/{layer}/{z}/{x}/{file}", get(get_tile))
}

/// A random tag of this process, part of every ETag.
fn instance() -> &'static str {
    static INSTANCE: OnceLock<String> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let n = getrandom::u32().unwrap_or_else(|_| {
            // No OS randomness: the start time still differs between runs.
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        });
        format!("{n:08x}")
    })
}

/// The layer named `name` in a tile URL, when it has geometry.
fn tiled_layer(name: &str) -> ApiResult<Layer> {
    Layer::ALL
        .into_iter()
        .find(|l| l.path() == name && layer_fields(*l).is_some())
        .ok_or_else(|| {
            let known: Vec<_> = Layer::ALL
                .into_iter()
                .filter(|l| layer_fields(*l).is_some())
                .map(Layer::path)
                .collect();
            ApiError::not_found(format!(
                "no tiles for `{name}`; layers with tiles: {}",
                known.join(", ")
            ))
        })
}

fn parse_number(field: &str, raw: &str) -> ApiResult<u32> {
    raw.parse::<u32>().map_err(|e| {
        ApiError::bad_request(
            field,
            format!("`{raw}` is not a tile {field} (a whole number): {e}"),
        )
    })
}

/// Whether `If-None-Match` lists `etag` (or `*`). Weak tags compare by their value, as RFC 9110
/// asks for `If-None-Match`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// Adds the cache headers; `etag` is built from ASCII parts only.
fn cached(mut response: Response, etag: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A tile address, checked: a layer with geometry and a tile of the pyramid.
#[derive(Debug, Clone, Copy)]
struct TileRequest {
    layer: Layer,
    tile: TileId,
}

impl TileRequest {
    /// Checks the path segments `{layer}/{z}/{x}/{y}.mvt`.
    fn check(layer: &str, z: &str, x: &str, file: &str) -> ApiResult<Self> {
        let layer = tiled_layer(layer)?;
        let y = file.strip_suffix(".mvt").ok_or_else(|| {
            ApiError::bad_request(
                "y",
                format!("`{file}`: a tile is addressed as {{z}}/{{x}}/{{y}}.mvt"),
            )
        })?;
        let (z, x, y) = (
            parse_number("z", z)?,
            parse_number("x", x)?,
            parse_number("y", y)?,
        );
        let tile = TileId::new(z, x, y).map_err(|e| {
            let field = match e {
                TileError::Zoom(_) => "z",
                TileError::Range { axis, .. } => axis,
            };
            ApiError::bad_request(field, e.to_string())
        })?;
        Ok(Self { layer, tile })
    }
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
async fn get_tile(
    State(state): State<AppState>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let TileRequest { layer, tile } = TileRequest::check(&layer, &z, &x, &file)?;
    let snapshot = state.service.snapshot();
    let etag = format!(
        "\"{}-{}-{}-{}-{}-{}\"",
        instance(),
        snapshot.version,
        layer.path(),
        tile.z,
        tile.x,
        tile.y
    );
    if not_modified(&headers, &etag) {
        return Ok(cached(StatusCode::NOT_MODIFIED.into_response(), &etag));
    }
    // A low-zoom tile of a point layer takes milliseconds: keep it off the async workers.
    let body = tokio::task::spawn_blocking(move || encode_tile(&snapshot, layer, tile))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| ApiError::not_found(format!("{layer} have no geometry")))?;
    let response = if body.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ([(header::CONTENT_TYPE, MVT)], body).into_response()
    };
    Ok(cached(response, &etag))
}

/// The first value of a comma-separated forwarding header.
fn first_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `scheme://host` of this server as the client reached it, or `""` without a usable host.
fn base_url(headers: &HeaderMap) -> String {
    let host = first_value(headers, "x-forwarded-host")
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        });
    let Some(host) = host else {
        return String::new();
    };
    let scheme = match first_value(headers, "x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The layer of a TileJSON file name, `{layer}.json`.
fn tilejson_layer(file: &str) -> ApiResult<Layer> {
    let name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::not_found(format!(
            "no route for `/tiles/{file}`; TileJSON is at /tiles/{{layer}}.json"
        ))
    })?;
    tiled_layer(name)
}

/// TileJSON `fields`: each field's name and type.
fn field_map(fields: &[(&str, FieldType)]) -> Map<String, Value> {
    fields
        .iter()
        .map(|(name, kind)| ((*name).to_owned(), json!(kind.as_str())))
        .collect()
}

/// The TileJSON 3.0.0 document of `layer`, its tile URLs under `base`.
fn tilejson(snapshot: &Snapshot, layer: Layer, base: &str) -> Value {
    let fields = field_map(layer_fields(layer).unwrap_or_default());
    let bounds = layer_bounds(snapshot, layer).map_or_else(
        || json!([-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59]),
        |r| json!([r.min().x, r.min().y, r.max().x, r.max().y]),
    );
    let path = layer.path();
    let description = if matches!(layer, Layer::Event | Layer::Building | Layer::Camera) {
        format!(
            "{path} from the live snapshot; below zoom {DETAIL_ZOOM} points carry no feature id \
             and no per-item fields (key, name, address, source, height), and events' \
             reported_at is cut to its date"
        )
    } else {
        format!("{path} from the live snapshot")
    };
    let mut vector_layers = vec![json!({
        "id": path,
        "fields": fields,
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "description": description,
    })];
    if let Some(labels) = label_layer(layer) {
        vector_layers.push(json!({
            "id": labels.name,
            "fields": field_map(LABEL_FIELDS),
            "minzoom": labels.min_zoom,
            "maxzoom": MAX_ZOOM,
            "description": format!("one label point per {} item, inside it, in the one tile that holds the point", path),
        }));
    }
    json!({
        "tilejson": "3.0.0",
        "name": format!("safegrid {path}"),
        "description": description,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{path}/{{z}}/{{x}}/{{y}}.mvt?v={}", snapshot.version)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "vector_layers": vector_layers,
    })
}

/// `GET /tiles/{layer}.json`: TileJSON 3.0.0 for one layer.
async fn get_tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let layer = tilejson_layer(&file)?;
    let snapshot = state.service.snapshot();
    let base = base_url(&headers);
    // The body depends on the base URL too: fold it into the tag.
    let mut hasher = std::hash::DefaultHasher::new();
    base.hash(&mut hasher);
    let etag = format!(
        "\"{}-{}-{}-{:016x}\"",
        instance(),
        snapshot.version,
        layer.path(),
        hasher.finish()
    );
    if not_modified(&headers, &etag) {
        return Ok(cached(StatusCode::NOT_MODIFIED.into_response(), &etag));
    }
    let body = tilejson(&snapshot, layer, &base);
    Ok(cached(axum::Json(body).into_response(), &etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        let tag = "\"a-1\"";
        assert!(not_modified(&headers(&[("if-none-match", "\"a-1\"")]), tag));
        assert!(not_modified(
            &headers(&[("if-none-match", "\"x\", W/\"a-1\"")]),
            tag
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), tag));
        assert!(!not_modified(
            &headers(&[("if-none-match", "\"a-2\"")]),
            tag
        ));
        assert!(!not_modified(&HeaderMap::new(), tag));
    }

    #[test]
    fn base_url_prefers_forwarded_headers_and_rejects_odd_hosts() {
        assert_eq!(
            base_url(&headers(&[("host", "localhost:8080")])),
            "http://localhost:8080"
        );
        assert_eq!(
            base_url(&headers(&[
                ("host", "10.0.0.2:8080"),
                ("x-forwarded-host", "map.example.org"),
                ("x-forwarded-proto", "https")
            ])),
            "https://map.example.org"
        );
        assert_eq!(base_url(&headers(&[("host", "evil\"host")])), "");
        assert_eq!(base_url(&HeaderMap::new()), "");
    }
}
