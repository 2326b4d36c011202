//! The one import pipeline behind the command line's `import` and `POST /api/v1/{layer}/import`.
//!
//! Three steps, each a plain call, so that every caller runs them the same way and only renders
//! the [`ImportReport`] differently (the CLI as lines, the API as JSON or problem+json):
//! 1. [`parse`]: an [`ImportRequest`] (layer, file and format, crs, camera column map, sheet,
//!    zip member, dry run) becomes rows. It is synchronous CPU work on the whole file, so the
//!    API runs it off its async threads under a time budget.
//! 2. [`ParsedImport::review`]: the checks that need the whole file and the current snapshot
//!    (for cameras, [`io::camera_import::review`]: GB/T 28181 codes inside the city, one row
//!    per code, codes the import replaces, near duplicates), then good rows and bad rows apart.
//! 3. [`Service::finish_import`]: nothing when a row is bad; a dry run checks the batch against
//!    the snapshot ([`super::check_import`]); otherwise the batch is written in one
//!    transaction ([`Service::import`]).
//!
//! A batch is all or nothing: one bad row and nothing is imported.
//!
//! It may use [`crate::io`] (the parsers) and the snapshot; it must not import axum, clap or
//! sqlx.
//!
//! # Units
//! Coordinates in the file are lon/lat degrees in the request's [`Crs`], converted to WGS84
//! (EPSG:4326) by the parsers.

use serde::Serialize;

use crate::domain::{AnyItem, Layer, Problem};
use crate::io::camera_import::{self, ColumnMap, Duplicate};
use crate::io::shapefile::{self, Shapefile};
use crate::io::{self, IoError, ParsedRow};
use crate::spatial::Snapshot;
use crate::spatial::crs::Crs;

use super::{Service, ServiceResult};

/// Why a file could not be read at all (row-level problems are [`BadRow`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A format word that is not one of [`ImportFormat`]'s.
    #[error("unknown format `{0}`: use geojson, csv or shapefile (cameras also xlsx, osm)")]
    UnknownFormat(String),
    /// XLSX or OSM for a layer other than cameras.
    #[error("xlsx and osm are camera formats")]
    CamerasOnly,
    /// A text format whose bytes are not UTF-8.
    #[error("the file is not UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    /// The parser refused the whole file (not a FeatureCollection, no header, a zip bomb ...).
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Result of [`parse`].
pub type ImportResult<T> = Result<T, ImportError>;

/// The format of an imported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A GeoJSON FeatureCollection.
    GeoJson,
    /// CSV: points as `lon`/`lat` columns, other geometries as a `geometry` column of GeoJSON;
    /// cameras through [`camera_import`] (column map, Chinese headers).
    Csv,
    /// A zip holding one ESRI shapefile.
    Shapefile,
    /// An Excel workbook; cameras only.
    Xlsx,
    /// OpenStreetMap surveillance nodes as GeoJSON; cameras only.
    Osm,
}

impl ImportFormat {
    /// Parses a format word (ASCII case and surrounding blanks ignored): `geojson`/`json`,
    /// `csv`, `shapefile`/`shp`/`zip`, `xlsx`, `osm`.
    ///
    /// # Errors
    /// [`ImportError::UnknownFormat`] for any other word.
    pub fn parse(raw: &str) -> ImportResult<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "shapefile" | "shp" | "zip" => Ok(Self::Shapefile),
            "xlsx" => Ok(Self::Xlsx),
            "osm" => Ok(Self::Osm),
            _ => Err(ImportError::UnknownFormat(raw.to_owned())),
        }
    }

    /// The format a file name's extension (lowercase, without the dot) says: `csv`, `zip` and
    /// `shp` (a shapefile), `xlsx`, `osm`; GeoJSON for any other or none.
    #[must_use]
    pub fn of_extension(extension: Option<&str>) -> Self {
        match extension {
            Some("csv") => Self::Csv,
            Some("zip" | "shp") => Self::Shapefile,
            Some("xlsx") => Self::Xlsx,
            Some("osm") => Self::Osm,
            _ => Self::GeoJson,
        }
    }

    /// Whether `layer` can be imported from this format: XLSX and OSM hold only cameras.
    ///
    /// # Errors
    /// [`ImportError::CamerasOnly`] when it cannot.
    pub fn check_layer(self, layer: Layer) -> ImportResult<()> {
        if matches!(self, Self::Xlsx | Self::Osm) && layer != Layer::Camera {
            return Err(ImportError::CamerasOnly);
        }
        Ok(())
    }
}

/// The file to import.
#[derive(Debug)]
pub enum ImportFile {
    /// One file's bytes in `format` (a shapefile as a zip).
    Bytes {
        format: ImportFormat,
        bytes: Vec<u8>,
    },
    /// A shapefile's parts, read from beside its `.shp` ([`shapefile::read_files`]).
    Shapefile(Shapefile),
}

/// What to import and how to read it.
#[derive(Debug)]
pub struct ImportRequest {
    /// The layer the rows belong to.
    pub layer: Layer,
    /// The file.
    pub file: ImportFile,
    /// The coordinate system of the file; converted to WGS84.
    pub crs: Crs,
    /// Cameras from CSV or XLSX: our fields to the file's headers (unmapped headers are
    /// recognised from [`camera_import::SYNONYMS`]).
    pub map: ColumnMap,
    /// Cameras from XLSX: the sheet to read (default: the first).
    pub sheet: Option<String>,
    /// A zipped shapefile: the `.shp` to read when the zip holds several.
    pub member: Option<String>,
    /// Check every row and the batch, write nothing.
    pub dry_run: bool,
}

/// Step 1: reads the request's file into rows, choosing the parser by format and layer.
///
/// # Errors
/// When the file is not of its format at all ([`ImportError`]); row-level problems come back
/// in the rows.
pub fn parse(request: ImportRequest) -> ImportResult<ParsedImport> {
    let ImportRequest {
        layer,
        file,
        crs,
        map,
        sheet,
        member,
        dry_run,
    } = request;
    let rows = match file {
        ImportFile::Shapefile(files) => shapefile::parse(layer, &files, crs)?,
        ImportFile::Bytes { format, bytes } => {
            format.check_layer(layer)?;
            let text = || std::str::from_utf8(&bytes);
            let cameras = layer == Layer::Camera;
            match format {
                ImportFormat::GeoJson => io::geojson_file::parse(layer, text()?, crs)?,
                ImportFormat::Csv if cameras => camera_import::parse_table(
                    &camera_import::Table::from_csv(text()?)?,
                    &map,
                    crs,
                )?,
                ImportFormat::Csv => io::csv::parse(layer, text()?, crs)?,
                ImportFormat::Shapefile => {
                    shapefile::parse_zip(layer, &bytes, member.as_deref(), crs)?
                }
                ImportFormat::Xlsx => camera_import::parse_table(
                    &camera_import::Table::from_xlsx(&bytes, sheet.as_deref())?,
                    &map,
                    crs,
                )?,
                ImportFormat::Osm => camera_import::parse_osm(text()?, crs)?,
            }
        }
    };
    Ok(ParsedImport {
        layer,
        dry_run,
        rows,
    })
}

/// The rows of a file, before the review ([`parse`]'s answer).
#[derive(Debug)]
pub struct ParsedImport {
    layer: Layer,
    dry_run: bool,
    rows: Vec<ParsedRow>,
}

impl ParsedImport {
    /// Rows read from the file.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file held no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Step 2: the whole-file checks against `snapshot` (for cameras), then the report so far
    /// and the valid items.
    #[must_use]
    pub fn review(self, snapshot: &Snapshot) -> ReviewedImport {
        let Self {
            layer,
            dry_run,
            mut rows,
        } = self;
        let review = if layer == Layer::Camera {
            camera_import::review(
                &mut rows,
                &snapshot.cameras.iter().collect::<Vec<_>>(),
                &camera_import::city_codes(snapshot.regions.iter()),
            )
        } else {
            camera_import::Review::default()
        };
        let total = rows.len();
        let mut items = Vec::with_capacity(total);
        let mut bad = Vec::new();
        for ParsedRow { at, item } in rows {
            match item {
                Ok(item) => items.push(item),
                Err(e) => bad.push(BadRow {
                    at,
                    reason: e.to_string(),
                    field: e.field,
                    problem: e.problem,
                }),
            }
        }
        ReviewedImport {
            report: ImportReport {
                layer,
                rows: total,
                valid: items.len(),
                bad,
                imported: 0,
                dry_run,
                replaces: review.replaces,
                duplicates: review.duplicates,
            },
            items,
        }
    }
}

/// Reviewed rows: the report so far (nothing imported yet) and the valid items.
#[derive(Debug)]
pub struct ReviewedImport {
    report: ImportReport,
    items: Vec<AnyItem>,
}

impl ReviewedImport {
    /// The report so far: rows, bad rows and warnings; `imported` is 0.
    #[must_use]
    pub fn report(&self) -> &ImportReport {
        &self.report
    }
}

impl Service {
    /// Step 3: with a bad row, nothing; on a dry run, checks the batch against the current
    /// snapshot; otherwise writes it in one transaction. Answers the finished report.
    ///
    /// # Errors
    /// The batch's first check failure (also on a dry run), or a store failure; nothing is
    /// written then.
    pub async fn finish_import(&self, reviewed: ReviewedImport) -> ServiceResult<ImportReport> {
        let ReviewedImport { mut report, items } = reviewed;
        if report.is_refused() {
            return Ok(report);
        }
        if report.dry_run {
            super::check_import(&self.snapshot(), &items)?;
        } else {
            report.imported = self.import(items).await?;
        }
        Ok(report)
    }
}

/// A row that did not parse or failed the review: where and why.
#[derive(Debug, Clone, Serialize)]
pub struct BadRow {
    /// `line 7` (CSV), `row 7` (XLSX), `feature 3` (GeoJSON) or `record 12` (shapefile).
    pub at: String,
    /// The field at fault.
    pub field: String,
    /// What is wrong, naming the field (English).
    pub reason: String,
    /// What kind of wrong it is: `code` and its figures, beside `field`.
    #[serde(flatten)]
    pub problem: Problem,
}

/// What an import read, refused, warned about and wrote. Serialized, it is the API's report.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The layer imported into.
    #[serde(serialize_with = "layer_path")]
    pub layer: Layer,
    /// Rows read.
    pub rows: usize,
    /// Rows that are valid.
    pub valid: usize,
    /// Rows that are not; any one refuses the whole batch.
    pub bad: Vec<BadRow>,
    /// Rows written: 0 on a dry run or when a row is bad.
    pub imported: usize,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Cameras: codes already in the layer, which the import replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    /// Cameras: near duplicates, a warning that does not stop the import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
}

impl ImportReport {
    /// Whether a bad row refused the batch.
    #[must_use]
    pub fn is_refused(&self) -> bool {
        !self.bad.is_empty()
    }
}

/// A layer as its URL and command-line name (`patrol-routes`).
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
fn layer_path<S: serde::Serializer>(layer: &Layer, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(layer.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(layer: Layer, format: ImportFormat, bytes: impl Into<Vec<u8>>) -> ImportRequest {
        ImportRequest {
            layer,
            file: ImportFile::Bytes {
                format,
                bytes: bytes.into(),
            },
            crs: Crs::Wgs84,
            map: ColumnMap::default(),
            sheet: None,
            member: None,
            dry_run: true,
        }
    }

    #[test]
    fn format_words_and_extensions() {
        assert!(matches!(
            ImportFormat::parse(" ZIP "),
            Ok(ImportFormat::Shapefile)
        ));
        assert!(matches!(
            ImportFormat::parse("kml"),
            Err(ImportError::UnknownFormat(w)) if w == "kml"
        ));
        assert_eq!(
            ImportFormat::of_extension(Some("shp")),
            ImportFormat::Shapefile
        );
        assert_eq!(
            ImportFormat::of_extension(Some("json")),
            ImportFormat::GeoJson
        );
        assert_eq!(ImportFormat::of_extension(None), ImportFormat::GeoJson);
        assert!(ImportFormat::Osm.check_layer(Layer::Grid).is_err());
        assert!(ImportFormat::Xlsx.check_layer(Layer::Camera).is_ok());
    }

    #[test]
    fn a_bad_row_refuses_the_batch_and_the_report_says_where() {
        let csv = "code,name,azimuth_deg,hfov_deg,range_m,kind,lon,lat\n\
                   33078300001320000001,好点位,90,60,80,fixed,120.0546,29.0476\n\
                   33078300001320000002,坏方位,400,60,80,fixed,120.0546,29.0476\n";
        let parsed = parse(request(Layer::Camera, ImportFormat::Csv, csv)).expect("a CSV");
        let reviewed = parsed.review(&Snapshot::default());
        let report = reviewed.report();
        assert_eq!((report.rows, report.valid, report.imported), (2, 1, 0));
        assert!(report.is_refused());
        assert_eq!(report.bad[0].at, "line 3");
        assert!(report.bad[0].reason.contains("azimuth_deg"), "{report:?}");
        let json = serde_json::to_value(report).expect("serializes");
        assert_eq!(json["layer"], "cameras");
        assert!(json.get("replaces").is_none() && json.get("duplicates").is_none());
    }

    #[test]
    fn text_formats_must_be_utf8_and_camera_formats_need_cameras() {
        let not_utf8 = request(Layer::Grid, ImportFormat::GeoJson, vec![0xff, 0xfe]);
        assert!(matches!(parse(not_utf8), Err(ImportError::NotUtf8(_))));
        let osm_grids = request(Layer::Grid, ImportFormat::Osm, "{}");
        assert!(matches!(parse(osm_grids), Err(ImportError::CamerasOnly)));
    }
}
