//! Whole-layer transfer for the web map's upload and download buttons:
//! `POST /api/v1/{layer}/import` takes a GeoJSON FeatureCollection, a CSV file or a zipped ESRI
//! shapefile as the raw body and answers with a row-level report; `GET /api/v1/{layer}/export` downloads the layer, streamed
//! ([`crate::service::export`]: events a page at a time from the store, the rest from the snapshot). Both are thin shells: the import over [`crate::service::import`], the
//! pipeline the CLI's `import` runs too (a batch is written in one transaction, and only when
//! every row is valid), the export over [`crate::io`]'s writers, as the CLI's `export`.
//!
//! # Units
//! Exports are WGS84 `[lon, lat]` degrees. Imports are converted to WGS84 from the `crs` query
//! parameter (`wgs84`, `gcj02` or `bd09`; default `wgs84`). A shapefile's `.prj` must say
//! longitude/latitude on WGS 84 or CGCS2000 (see [`crate::io::shapefile`]); `crs` then applies
//! as for the other formats.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::codes::check_region_code;
use crate::domain::{DomainError, Layer};
use crate::io::IoError;
use crate::io::camera_import::ColumnMap;
use crate::io::export::ExportFormat;
use crate::service::import::{
    self, ImportError, ImportFile, ImportFormat, ImportReport, ImportRequest,
};
use crate::spatial::Snapshot;
use crate::spatial::crs::Crs;
use crate::spatial::extent::Extent;

use super::answer::GEOJSON;
use super::bounded::{IMPORT_WORK_LIMIT, off_thread_for};
use super::error::{ApiError, ApiResult};
use super::extract::{AppQuery, Caller};
use super::params::{parse_bbox, parse_crs, parse_opt};
use super::{AppState, MAX_BATCH_BODY_BYTES};

/// The media type of CSV exports (RFC 4180), UTF-8 so that Chinese names survive.
const CSV: &str = "text/csv; charset=utf-8";

/// The media type of XLSX workbooks.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The problem for a file that could not be read at all: 413 for one that would unzip past
/// the limit, else 400; an unknown format word is a problem with `format`.
fn file_problem(e: ImportError) -> ApiError {
    match e {
        ImportError::UnknownFormat(_) => ApiError::bad_request("format", e.to_string()),
        ImportError::Io(IoError::TooLarge(detail)) => ApiError::bad_request("body", detail)
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            .with_code("too-large"),
        e => ApiError::bad_request("body", e.to_string()),
    }
}

/// The query of `POST /api/v1/{layer}/import`.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// `geojson`, `csv`, `shapefile` (cameras also `xlsx`, `osm`); from the body's
    /// `Content-Type` when not given.
    format: Option<String>,
    /// The coordinate system of the file: `wgs84` (default), `gcj02` or `bd09`.
    crs: Option<String>,
    /// `true` to check every row and write nothing.
    dry_run: Option<String>,
    /// The `.shp` to read when a zip holds several.
    member: Option<String>,
    /// Cameras from XLSX: the sheet to read (default: the first).
    sheet: Option<String>,
    /// Cameras from CSV or XLSX: our fields to the file's headers, `code:设备编码,lon:经度`.
    map: Option<String>,
}

/// An upload, checked before its body is read: everything an [`ImportRequest`] needs but the
/// bytes.
#[derive(Debug)]
struct UploadRequest {
    layer: Layer,
    format: ImportFormat,
    crs: Crs,
    dry_run: bool,
    member: Option<String>,
    sheet: Option<String>,
    map: ColumnMap,
}

impl UploadRequest {
    /// Checks the query; the format comes from `format`, else from the `Content-Type`.
    fn check(layer: Layer, query: ImportQuery, headers: &HeaderMap) -> ApiResult<Self> {
        let format = upload_format(query.format.as_deref(), headers)?;
        let crs = parse_crs(query.crs.as_deref())?;
        let dry_run = parse_opt("dry_run", query.dry_run.as_deref())?.unwrap_or(false);
        let map = query
            .map
            .as_deref()
            .map(ColumnMap::parse)
            .transpose()
            .map_err(|e| ApiError::bad_parameter(e.at("map")))?;
        if layer != Layer::Camera
            && (matches!(format, ImportFormat::Xlsx | ImportFormat::Osm) || map.is_some())
        {
            return Err(ApiError::bad_request(
                "format",
                "xlsx, osm and map= are for cameras; other layers take geojson, csv or shapefile",
            ));
        }
        Ok(Self {
            layer,
            format,
            crs,
            dry_run,
            member: query.member,
            sheet: query.sheet,
            map: map.unwrap_or_default(),
        })
    }

    /// The import of `bytes`, the file uploaded.
    fn with_bytes(self, bytes: Bytes) -> ImportRequest {
        ImportRequest {
            layer: self.layer,
            file: ImportFile::Bytes {
                format: self.format,
                bytes: bytes.into(),
            },
            crs: self.crs,
            map: self.map,
            sheet: self.sheet,
            member: self.member,
            dry_run: self.dry_run,
        }
    }
}

/// The format of an upload: `format` when given, else the body's `Content-Type`.
fn upload_format(format: Option<&str>, headers: &HeaderMap) -> ApiResult<ImportFormat> {
    if let Some(raw) = format {
        return ImportFormat::parse(raw).map_err(file_problem);
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("application/geo+json" | "application/json") => Ok(ImportFormat::GeoJson),
        Some("text/csv") => Ok(ImportFormat::Csv),
        Some("application/zip" | "application/x-zip-compressed") => Ok(ImportFormat::Shapefile),
        Some(XLSX) => Ok(ImportFormat::Xlsx),
        _ => Err(ApiError::bad_request(
            "format",
            "say `format=geojson`, `format=csv` or `format=shapefile`, or send Content-Type application/geo+json, application/json, text/csv or application/zip",
        )),
    }
}

/// The query of `GET /api/v1/{layer}/export`.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `geojson` (default) or `csv`.
    format: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`: only the items in this box (the map's view).
    bbox: Option<String>,
    /// A village's 12-digit code: only that village's items.
    village: Option<String>,
}

/// The part of the layer `query` asks for: all of it, a box or a village (not both).
fn export_extent(query: &ExportQuery, snapshot: &Snapshot) -> ApiResult<(Extent, String)> {
    match (query.bbox.as_deref(), query.village.as_deref()) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "village",
            "give `bbox` or `village`, not both",
        )),
        (Some(raw), None) => Ok((Extent::Rect(parse_bbox(raw)?), "-view".to_owned())),
        (None, Some(code)) => {
            check_region_code("village", code).map_err(ApiError::bad_parameter)?;
            if code.len() != 12 {
                return Err(ApiError::bad_request(
                    "village",
                    format!("`{code}` is not a village code: 12 digits"),
                ));
            }
            let extent = Extent::village(snapshot, code)
                .ok_or_else(|| ApiError::missing_item(Layer::Region, code))?;
            Ok((extent, format!("-{code}")))
        }
        (None, None) => Ok((Extent::All, String::new())),
    }
}

impl TryFrom<&ExportQuery> for ExportFormat {
    type Error = ApiError;

    fn try_from(query: &ExportQuery) -> ApiResult<Self> {
        query.format.as_deref().map_or(Ok(Self::GeoJson), |raw| {
            Self::parse(raw).map_err(|e| ApiError::bad_request("format", e.to_string()))
        })
    }
}

/// The media type of a download.
fn media_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::GeoJson => GEOJSON,
        ExportFormat::Csv => CSV,
    }
}

/// The answer to an import: its report as JSON, or a 422 problem with the report's members
/// when a row is bad (nothing was imported).
fn import_answer(report: &ImportReport) -> ApiResult<Response> {
    let serde_json::Value::Object(members) =
        serde_json::to_value(report).map_err(|e| ApiError::internal(&e))?
    else {
        return Err(ApiError::internal(&"an import report is a JSON object"));
    };
    if !report.is_refused() {
        return Ok(axum::Json(members).into_response());
    }
    let summary = DomainError::new(
        "body",
        format!(
            "{} of {} row(s) are invalid; nothing imported",
            report.bad.len(),
            report.rows
        ),
    );
    Err(members
        .into_iter()
        .fold(ApiError::from(summary), |problem, (key, value)| {
            problem.with(&key, value)
        })
        .with_code("rows-invalid"))
}

/// `POST /api/v1/{layer}/import?format=&crs=&dry_run=&member=` with the file as the body. The
/// role and the query are checked before the body is read, so a refused upload costs nothing.
/// `member` names the shapefile to read when a zip holds several.
///
/// Cameras also take `format=xlsx|osm`, `map=code:设备编码,lon:经度` and `sheet=`: CSV and XLSX
/// go through [`crate::io::camera_import`] (Chinese headers recognised), and every camera import is
/// reviewed as a whole ([`crate::io::camera_import::review`]): GB/T 28181 codes inside the city, one
/// row per code (else both rows are bad), and the report gains `replaces` (codes already in the
/// layer, updated by the import) and `duplicates` (near duplicates, a warning), each only when
/// not empty.
///
/// The work is [`crate::service::import`]'s; this renders its report as JSON, or as a 422
/// problem with the report's members when a row is bad.
async fn import_layer(
    layer: Layer,
    state: AppState,
    caller: Caller,
    query: ImportQuery,
    request: Request,
) -> ApiResult<Response> {
    caller.require_write(layer)?;
    let upload = UploadRequest::check(layer, query, request.headers())?;
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            ApiError::bad_request("body", rejection.body_text()).with_status(rejection.status())
        })?;
    // Parsing a file of up to MAX_BATCH_BODY_BYTES is CPU work: keep it off the async workers.
    let parsed = off_thread_for(IMPORT_WORK_LIMIT, move || {
        import::parse(upload.with_bytes(body))
    })
    .await?
    .map_err(file_problem)?;
    let reviewed = parsed.review(&state.service.snapshot());
    let report = state.service.finish_import(reviewed).await?;
    import_answer(&report)
}

/// `GET /api/v1/{layer}/export?format=geojson|csv&bbox=|village=` (default geojson): the
/// layer as a download, the whole of it or the part in a box or a village
/// ([`crate::spatial::extent`] says which items fall in one), from the snapshot (events from
/// the store, page by page).
async fn export_layer(
    layer: Layer,
    state: AppState,
    caller: Caller,
    query: ExportQuery,
) -> ApiResult<Response> {
    let format = ExportFormat::try_from(&query)?;
    let snapshot = state.service.snapshot();
    let (extent, suffix) = export_extent(&query, &snapshot)?;
    // Workers' phones: masked by the export, or shown and on the record first.
    let reader = caller.personal_data_reader();
    if layer == Layer::Worker
        && let Some((token, role)) = reader
    {
        let shown: Vec<&str> = extent
            .workers(&snapshot)
            .into_iter()
            .filter(|w| w.phone.is_some())
            .map(|w| w.id.as_str())
            .collect();
        state
            .service
            .record_personal_read(token, role, "workers/export", &shown)
            .await?;
    }
    let pieces = crate::service::export::export(
        state.service.clone(),
        layer,
        format,
        extent,
        reader.is_none(),
    );
    let disposition = format!(
        "attachment; filename=\"{}{suffix}.{}\"",
        layer.path(),
        format.extension()
    );
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, media_type(format))],
        Body::from_stream(pieces),
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
            move |State(s): State<AppState>,
                  c: Caller,
                  AppQuery(q): AppQuery<ImportQuery>,
                  r: Request| { import_layer(layer, s, c, q, r) },
        )
        .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES));
        let export = get(
            move |State(s): State<AppState>, c: Caller, AppQuery(q): AppQuery<ExportQuery>| {
                export_layer(layer, s, c, q)
            },
        );
        router = router
            .route(&format!("/api/v1/{}/import", layer.path()), import)
            .route(&format!("/api/v1/{}/export", layer.path()), export);
    }
    router
}
