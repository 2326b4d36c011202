//! Whole-layer transfer for the web map's upload and download buttons:
//! `POST /api/v1/{layer}/import` takes a GeoJSON FeatureCollection, a CSV file or a zipped ESRI
//! shapefile as the raw body and answers with a row-level report; `GET /api/v1/{layer}/export` downloads the layer from the
//! in-memory snapshot. Both are thin shells over [`crate::io`] (the same parsers and writers as
//! the CLI's `import` and `export`) and [`crate::service::Service::import`]: a batch is written
//! in one transaction, and only when every row is valid.
//!
//! # Units
//! Exports are WGS84 `[lon, lat]` degrees. Imports are converted to WGS84 from the `crs` query
//! parameter (`wgs84`, `gcj02` or `bd09`; default `wgs84`). A shapefile's `.prj` must say
//! longitude/latitude on WGS 84 or CGCS2000 (see [`crate::io::shapefile`]); `crs` then applies
//! as for the other formats.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::domain::{AnyItem, DomainError, Layer};
use crate::io::{self, IoError, ParsedRow};
use crate::spatial::crs::Crs;

use super::bounded::{IMPORT_WORK_LIMIT, off_thread_for};
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
    /// A zip holding one shapefile; import only.
    Shapefile,
    /// An Excel workbook; camera import only.
    Xlsx,
    /// OpenStreetMap surveillance nodes as GeoJSON; camera import only.
    Osm,
}

/// The media type of XLSX workbooks.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    /// Parses the `format` query parameter.
    fn parse(raw: &str) -> ApiResult<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "shapefile" | "shp" | "zip" => Ok(Self::Shapefile),
            "xlsx" => Ok(Self::Xlsx),
            "osm" => Ok(Self::Osm),
            _ => Err(ApiError::bad_request(
                "format",
                format!(
                    "unknown format `{raw}`: use geojson, csv or shapefile (cameras also xlsx, osm)"
                ),
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
            Some("application/zip" | "application/x-zip-compressed") => Ok(Self::Shapefile),
            Some(XLSX) => Ok(Self::Xlsx),
            _ => Err(ApiError::bad_request(
                "format",
                "say `format=geojson`, `format=csv` or `format=shapefile`, or send Content-Type application/geo+json, application/json, text/csv or application/zip",
            )),
        }
    }

    /// The format of a download: geojson (default) or csv.
    fn of_download(params: &Params) -> ApiResult<Self> {
        match params
            .raw("format")
            .map_or(Ok(Self::GeoJson), Self::parse)?
        {
            Self::Shapefile | Self::Xlsx | Self::Osm => Err(ApiError::bad_request(
                "format",
                "layers download as geojson or csv; shapefile, xlsx and osm are import formats (ogr2ogr turns the GeoJSON into a shapefile)",
            )),
            format => Ok(format),
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::GeoJson | Self::Osm => GEOJSON,
            Self::Csv => CSV,
            Self::Shapefile => "application/zip",
            Self::Xlsx => XLSX,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::GeoJson | Self::Osm => "geojson",
            Self::Csv => "csv",
            Self::Shapefile => "zip",
            Self::Xlsx => "xlsx",
        }
    }
}

/// A row that did not parse: where (`line 7`, `feature 3`, `record 12`) and why.
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

/// `POST /api/v1/{layer}/import?format=&crs=&dry_run=&member=` with the file as the body. The
/// role is checked before the body is read, so a refused upload costs nothing. `member` names
/// the shapefile to read when a zip holds several.
///
/// Cameras also take `format=xlsx|osm`, `map=code:设备编码,lon:经度` and `sheet=`: CSV and XLSX
/// go through [`io::camera_import`] (Chinese headers recognised), and every camera import is
/// reviewed as a whole ([`io::camera_import::review`]): GB/T 28181 codes inside the city, one
/// row per code (else both rows are bad), and the report gains `replaces` (codes already in the
/// layer, updated by the import) and `duplicates` (near duplicates, a warning), each only when
/// not empty.
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
    let member = params.raw("member").map(str::to_owned);
    let sheet = params.raw("sheet").map(str::to_owned);
    let map = params
        .raw("map")
        .map(io::camera_import::ColumnMap::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("map", e.reason))?
        .unwrap_or_default();
    if layer != Layer::Camera
        && (matches!(format, Format::Xlsx | Format::Osm) || params.raw("map").is_some())
    {
        return Err(ApiError::bad_request(
            "format",
            "xlsx, osm and map= are for cameras; other layers take geojson, csv or shapefile",
        ));
    }
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            ApiError::bad_request("body", rejection.body_text()).with_status(rejection.status())
        })?;
    // Parsing a file of up to MAX_BATCH_BODY_BYTES is CPU work: keep it off the async workers.
    let rows = off_thread_for(IMPORT_WORK_LIMIT, move || {
        let text = || {
            std::str::from_utf8(&body)
                .map_err(|e| ApiError::bad_request("body", format!("the file is not UTF-8: {e}")))
        };
        match format {
            Format::GeoJson => io::geojson_file::parse(layer, text()?, crs),
            Format::Csv if layer == Layer::Camera => io::camera_import::Table::from_csv(text()?)
                .and_then(|t| io::camera_import::parse_table(&t, &map, crs)),
            Format::Csv => io::csv::parse(layer, text()?, crs),
            Format::Shapefile => io::shapefile::parse_zip(layer, &body, member.as_deref(), crs),
            Format::Xlsx => io::camera_import::Table::from_xlsx(&body, sheet.as_deref())
                .and_then(|t| io::camera_import::parse_table(&t, &map, crs)),
            Format::Osm => io::camera_import::parse_osm(text()?, crs),
        }
        .map_err(|e| match e {
            IoError::TooLarge(detail) => {
                ApiError::bad_request("body", detail).with_status(StatusCode::PAYLOAD_TOO_LARGE)
            }
            e => ApiError::bad_request("body", e.to_string()),
        })
    })
    .await??;
    let mut rows = rows;
    let review = (layer == Layer::Camera).then(|| {
        let snapshot = state.service.snapshot();
        io::camera_import::review(
            &mut rows,
            &snapshot.cameras.iter().collect::<Vec<_>>(),
            &io::camera_import::city_codes(snapshot.regions.iter()),
        )
    });
    let total = rows.len();
    let (items, bad) = sort_rows(rows);
    let valid = items.len();
    let report = |imported: usize, bad: &[BadRow]| {
        let mut report = json!({
            "layer": layer.path(),
            "rows": total,
            "valid": valid,
            "bad": bad,
            "imported": imported,
            "dry_run": dry_run,
        });
        // Present only when there is something to say, so other layers' reports keep their shape.
        if let Some(review) = &review {
            if !review.replaces.is_empty() {
                report["replaces"] = json!(review.replaces);
            }
            if !review.duplicates.is_empty() {
                report["duplicates"] = json!(review.duplicates);
            }
        }
        report
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
    let format = Format::of_download(&params)?;
    let snapshot = state.service.snapshot();
    let body = tokio::task::spawn_blocking(move || {
        let features = snapshot.features(layer);
        match format {
            Format::Csv => io::csv::to_string(layer, &features),
            // `of_download` answers only GeoJson or Csv.
            _ => io::geojson_file::to_string(&features),
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
