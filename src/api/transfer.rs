//! Whole-layer transfer for the web map's upload and download buttons:
//! `POST /api/v1/{layer}/import` takes a GeoJSON FeatureCollection or a CSV file as the raw body
//! and answers with a row-level report; `GET /api/v1/{layer}/export` downloads the layer from the
//! in-memory snapshot. Both are thin shells over [`crate::io`] (the same parsers and writers as
//! the CLI's `import` and `export`) and [`crate::service::Service::import`]: a batch is written
//! in one transaction, and only when every row is valid.
//!
//! # Units
//! Exports are WGS84 `[lon, lat]` degrees. Imports are converted to WGS84 from the `crs` query
//! parameter (`wgs84`, `gcj02` or `bd09`; default `wgs84`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::domain::{AnyItem, DomainError, Layer};
use crate::io::{self, ParsedRow};
use crate::spatial::crs::Crs;

use super::error::{ApiError, ApiResult};
use super::extract::{Caller, Params};
use super::layers::GEOJSON;
use super::{AppState, MAX_BATCH_BODY_BYTES};

/// The media type of CSV exports (RFC 4180), UTF-8 so that Chinese names survive.
const CSV: &str = "text/csv; charset=utf-8";

/// A file format of the transfer routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    GeoJson,
    Csv,
}

impl Format {
    /// Parses the `format` query parameter.
    fn parse(raw: &str) -> ApiResult<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            _ => Err(ApiError::bad_request(
                "format",
                format!("unknown format `{raw}`: use geojson or csv"),
            )),
        }
    }

    /// The format named by `format`, else inferred from the body's `Content-Type`.
    fn of_upload(params: &Params, headers: &HeaderMap) -> ApiResult<Self> {
        if let Some(raw) = params.raw("format") {
            return Self::parse(raw);
        }
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        match media.as_deref() {
            Some("application/geo+json" | "application/json") => Ok(Self::GeoJson),
            Some("text/csv") => Ok(Self::Csv),
            _ => Err(ApiError::bad_request(
                "format",
                "say `format=geojson` or `format=csv`, or send Content-Type application/geo+json, application/json or text/csv",
            )),
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::GeoJson => GEOJSON,
            Self::Csv => CSV,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::Csv => "csv",
        }
    }
}

/// A row that did not parse: where (`line 7`, `feature 3`) and why.
#[derive(Debug, Serialize)]
struct BadRow {
    at: String,
    reason: String,
}

/// Splits parsed rows into the valid items and the report of the bad ones.
fn sort_rows(rows: Vec<ParsedRow>) -> (Vec<AnyItem>, Vec<BadRow>) {
    let mut items = Vec::with_capacity(rows.len());
    let mut bad = Vec::new();
    for ParsedRow { at, item } in rows {
        match item {
            Ok(item) => items.push(item),
            Err(e) => bad.push(BadRow {
                at,
                reason: e.to_string(),
            }),
        }
    }
    (items, bad)
}

/// `POST /api/v1/{layer}/import?format=&crs=&dry_run=` with the file as the body. The role is
/// checked before the body is read, so a refused upload costs nothing.
async fn import_layer(
    layer: Layer,
    state: AppState,
    caller: Caller,
    params: Params,
    request: Request,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    let format = Format::of_upload(&params, request.headers())?;
    let crs = params.parse::<Crs>("crs")?.unwrap_or(Crs::Wgs84);
    let dry_run = params.parse::<bool>("dry_run")?.unwrap_or(false);
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            ApiError::bad_request("body", rejection.body_text()).with_status(rejection.status())
        })?;
    // Parsing a file of up to MAX_BATCH_BODY_BYTES is CPU work: keep it off the async workers.
    let rows = tokio::task::spawn_blocking(move || {
        let text = std::str::from_utf8(&body)
            .map_err(|e| ApiError::bad_request("body", format!("the file is not UTF-8: {e}")))?;
        match format {
            Format::GeoJson => io::geojson_file::parse(layer, text, crs),
            Format::Csv => io::csv::parse(layer, text, crs),
        }
        .map_err(|e| ApiError::bad_request("body", e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let total = rows.len();
    let (items, bad) = sort_rows(rows);
    let valid = items.len();
    let report = |imported: usize, bad: &[BadRow]| {
        json!({
            "layer": layer.path(),
            "rows": total,
            "valid": valid,
            "bad": bad,
            "imported": imported,
            "dry_run": dry_run,
        })
    };
    if !bad.is_empty() {
        let summary = DomainError::new(
            "body",
            format!(
                "{} of {total} row(s) are invalid; nothing imported",
                bad.len()
            ),
        );
        let mut problem = ApiError::from(summary);
        if let serde_json::Value::Object(members) = report(0, &bad) {
            for (key, value) in members {
                problem = problem.with(&key, value);
            }
        }
        return Err(problem);
    }
    let imported = if dry_run {
        crate::service::check_import(&state.service.snapshot(), &items)?;
        0
    } else {
        state.service.import(items).await?
    };
    Ok(axum::Json(report(imported, &[])).into_response())
}

/// `GET /api/v1/{layer}/export?format=geojson|csv` (default geojson): the whole layer as a
/// download, from the snapshot.
async fn export_layer(layer: Layer, state: AppState, params: Params) -> ApiResult<Response> {
    let format = params
        .raw("format")
        .map_or(Ok(Format::GeoJson), Format::parse)?;
    let snapshot = state.service.snapshot();
    let body = tokio::task::spawn_blocking(move || {
        let features = snapshot.features(layer);
        match format {
            Format::GeoJson => io::geojson_file::to_string(&features),
            Format::Csv => io::csv::to_string(layer, &features),
        }
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let disposition = format!(
        "attachment; filename=\"{}.{}\"",
        layer.path(),
        format.extension()
    );
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.media_type())],
        body,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The import and export routes of every layer. Their paths are static per layer, so they win
/// over the layer's `/{key}` routes.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for layer in Layer::ALL {
        let import = post(
            move |State(s): State<AppState>, c: Caller, p: Params, r: Request| {
                import_layer(layer, s, c, p, r)
            },
        )
        .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES));
        let export = get(move |State(s): State<AppState>, p: Params| export_layer(layer, s, p));
        router = router
            .route(&format!("/api/v1/{}/import", layer.path()), import)
            .route(&format!("/api/v1/{}/export", layer.path()), export);
    }
    router
}
