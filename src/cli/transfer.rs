//! `safegrid import` and `safegrid export`: a layer from a file (saying which stage it is at:
//! reading, loading the store, checking, writing), and a layer to standard
//! output, written as it is read (events a page at a time). The import runs [`crate::service::import`], the pipeline of the HTTP import too,
//! and renders its report as lines: warnings and bad rows (`FILE: line 7: reason`) to standard
//! error, the outcome to standard output; a bad row exits 1 and imports nothing. Camera column
//! maps can be kept as profiles ([`camera_import::Profile`], one JSON file each). Must not
//! import axum or sqlx.
//!
//! # Units
//! The file's coordinates are lon/lat degrees in `--crs` (default WGS84), converted to WGS84;
//! exports are WGS84.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use futures_util::TryStreamExt as _;

use crate::config::ImportArgs;
use crate::domain::Layer;
use crate::domain::progress::Progress;
use crate::io::export::ExportFormat;
use crate::io::{IoError, camera_import, shapefile};
use crate::service::Service;
use crate::service::import::{self, ImportError, ImportFile, ImportFormat, ImportRequest};
use crate::spatial::crs::Crs;
use crate::spatial::extent::Extent;
use crate::store::Store;

/// `safegrid import LAYER FILE [--crs] [--dry-run] [--format] [--map] [--sheet] [--profile]
/// [--save-profile]`.
pub(super) async fn import(store: Arc<dyn Store>, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let layer: Layer = args.layer.parse()?;
    let path = args.file.as_path();
    let camera_options = args.map.is_some()
        || args.sheet.is_some()
        || args.profile.is_some()
        || args.save_profile.is_some();
    if layer != Layer::Camera && camera_options {
        bail!("--map, --sheet, --profile and --save-profile are for cameras");
    }
    let mut profile = match &args.profile {
        Some(name) => camera_import::load_profile(&args.profile_dir, name)?,
        None => camera_import::Profile::default(),
    };
    if let Some(map) = &args.map {
        profile.map = profile.map.merged(&camera_import::ColumnMap::parse(map)?);
    }
    if args.crs.is_some() {
        profile.crs.clone_from(&args.crs);
    }
    if args.sheet.is_some() {
        profile.sheet.clone_from(&args.sheet);
    }
    let crs: Crs = profile.crs.as_deref().unwrap_or("wgs84").parse()?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match &args.format {
        Some(word) => ImportFormat::parse(word)?,
        None => ImportFormat::of_extension(extension.as_deref()),
    };
    format.check_layer(layer)?;
    // Reading, loading, checking and writing a big file take a while: say which.
    let progress = Arc::new(Progress::new());
    let reporter = super::progress::Reporter::start(progress.clone());
    progress.stage(format!("reading {}", path.display()), 0);
    let request = ImportRequest {
        layer,
        file: read(path, format, extension.as_deref())?,
        crs,
        map: profile.map.clone(),
        sheet: profile.sheet.clone(),
        member: None,
        dry_run: args.dry_run,
    };
    let parsed = import::parse(request).map_err(|e| match e {
        // As reading the file as text says it.
        ImportError::NotUtf8(_) => anyhow::Error::from(IoError::Read {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        }),
        e => e.into(),
    })?;
    if let Some(name) = &args.save_profile {
        let saved = camera_import::save_profile(&args.profile_dir, name, &profile)?;
        eprintln!("saved profile {name} as {}", saved.display());
    }
    let rows = parsed.len();
    let service = Service::start_with(store, &progress).await?;
    progress.stage(format!("checking {rows} rows"), 0);
    let reviewed = parsed.review(&service.snapshot());
    let warned = reviewed.report();
    for d in &warned.duplicates {
        eprintln!(
            "warning: {} ({}) and {} ({}) are {} m apart looking the same way",
            d.at, d.code, d.other_at, d.other_code, d.distance_m
        );
    }
    if !warned.replaces.is_empty() {
        eprintln!(
            "{} camera(s) already registered will be replaced: {}",
            warned.replaces.len(),
            warned.replaces.join(", ")
        );
    }
    progress.stage(
        if args.dry_run {
            format!("checking {rows} rows against the map")
        } else {
            format!("writing {rows} rows in one transaction")
        },
        0,
    );
    let report = service.finish_import(reviewed).await?;
    drop(reporter);
    if report.is_refused() {
        for row in &report.bad {
            eprintln!("{}: {}: {}", path.display(), row.at, row.reason);
        }
        eprintln!(
            "{} bad row(s), {} good; nothing imported",
            report.bad.len(),
            report.valid
        );
        return Ok(ExitCode::FAILURE);
    }
    if report.dry_run {
        println!("dry run: {} row(s) valid; nothing imported", report.valid);
    } else {
        println!("imported {} {layer}", report.imported);
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the file at `path`: a `.shp` with the files beside it, anything else as bytes.
fn read(path: &Path, format: ImportFormat, extension: Option<&str>) -> anyhow::Result<ImportFile> {
    if format == ImportFormat::Shapefile && extension == Some("shp") {
        return Ok(ImportFile::Shapefile(shapefile::read_files(path)?));
    }
    let bytes = std::fs::read(path).map_err(|source| IoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(ImportFile::Bytes { format, bytes })
}

/// `safegrid export LAYER [--format geojson|csv]`.
pub(super) async fn export(
    store: Arc<dyn Store>,
    layer: &str,
    format: &str,
) -> anyhow::Result<ExitCode> {
    let layer: Layer = layer.parse()?;
    let format = ExportFormat::parse(format)?;
    let service = Arc::new(super::start_service(store).await?);
    let mut pieces = std::pin::pin!(crate::service::export::export(
        service,
        layer,
        format,
        Extent::All,
        false
    ));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(piece) = pieces.try_next().await? {
        out.write_all(piece.as_bytes())?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
