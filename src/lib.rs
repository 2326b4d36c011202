//! # safegrid
//!
//! A geospatial service for grid-based community safety management (网格化管理) and video-point
//! mapping: regions, grids and micro-grids with their workers, cameras with their fields of
//! view, patrol routes, key rectification areas, buildings and events; "which grid, which
//! workers, which cameras cover this point" for one point or a million.
//!
//! ## Architecture
//! Data flows one way: request → [`api`] → [`service`] → ([`spatial`] index for reads,
//! [`store`] for writes) → response. Reads never touch the database: they take the current
//! immutable [`spatial::Snapshot`] without locking. A write is validated against the snapshot,
//! committed to the store (single writes that arrive together share one transaction and one
//! fsync, each succeeding or failing on its own), and then a new snapshot is published
//! atomically. Publishing costs what the write changed: the layer indexes are persistent and
//! the rasters tiled ([`spatial::index`], `spatial::tiling`).
//!
//! The arrows: `api`/`cli` → `service` → `store`; `api`/`cli`/`service` → `analysis` →
//! `spatial` → `domain`; `tiles` is used by `api` and reads `spatial` (and `analysis` results
//! for an analysis layer); `io` (files) and `sample` (the generated data sets, seeded by
//! `service::seed`) sit beside, `sample` reading only `domain`. Nothing points back up, and no
//! two files import each other. Only
//! [`api`] knows axum, only [`store`] knows sqlx; [`domain`], [`spatial`], [`analysis`] and
//! [`tiles`] are pure. The analyses' caches live in [`analysis`], keyed by the generations of
//! the layers they read ([`analysis::coverage::CoverageCache`], held by the
//! [`service::Service`]).
//!
//! ## Reading order
//! 1. [`domain`]: the nouns and their validation ([`domain::Item`], one type per layer).
//! 2. [`spatial`]: the snapshot ([`spatial::snapshot`]), point location ([`spatial::locate`]),
//!    the raster accelerator ([`spatial::raster`]), shared geometry helpers
//!    ([`spatial::geom`]), topology, measurement, coordinate systems.
//! 3. [`analysis`]: camera coverage and its cache ([`analysis::coverage`]), placement advice
//!    ([`analysis::placement`]) and grid division proposals ([`analysis::division`]).
//! 4. [`tiles`]: vector tiles of every layer.
//! 5. [`store`]: the [`store::Store`] trait, the one plan by which both backends apply a write
//!    (or a group of them, committed at once), and each backend's own SQL.
//! 6. [`service`]: writes (checks, group commit, publish), tokens, the import pipeline
//!    ([`service::import`]) and the reports the API and the CLI share (coverage tables,
//!    placement advice, camera health).
//! 7. [`api`]: routes, extractors, problem+json errors, OpenAPI.
//! 8. [`cli`], [`config`], [`console`] and `main.rs`: the commands, their flags, their
//!    terminal renderings, and the thin binary.
//! 9. [`io`] and [`sample`]: files in and out, the Dongyang sample and the synthetic province.
//!
//! # Units
//! WGS84 longitude/latitude degrees (EPSG:4326, `[lon, lat]`) and metres throughout.

/// Pure analytics over a snapshot (coverage, placement advice, grid division) and their caches.
pub mod analysis;
/// HTTP API: axum router, handlers, auth, problem+json errors, OpenAPI document.
pub mod api;
/// The command line's commands, one file per command or group, rendering what the service answers.
pub mod cli;
/// Command-line and environment settings.
pub mod config;
/// Plain-text terminal renderings of the CLI's reports (coverage, placement, camera health).
pub mod console;
/// Domain types and their validation: pure data, no I/O.
pub mod domain;
/// GeoJSON and CSV import and export, zipped shapefile import, with coordinate-system conversion.
pub mod io;
/// The deterministic Dongyang sample city (real boundary and codes, synthetic everything else),
/// and a synthetic province made of 25 counties generated like it.
pub mod sample;
/// Writes (validation, one transaction, snapshot publication), tokens, the import pipeline and
/// the reports shared by the API and the CLI.
pub mod service;
/// In-memory index of every layer and the geometry that runs on it.
pub mod spatial;
/// Persistence behind one trait: SQLite (embedded default) and PostgreSQL + PostGIS.
pub mod store;
/// Mapbox Vector Tiles of every layer from the snapshot: tile ids, clipping, the MVT encoder.
pub mod tiles;
