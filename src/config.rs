//! Settings from flags and environment: one clap struct, every field with a doc comment (they
//! become `--help`) and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// safegrid: grid-based community safety management and video-point mapping.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Database: `sqlite:PATH` (embedded, the default) or `postgres://...` (PostGIS).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:data/safegrid.db",
        global = true
    )]
    pub database_url: String,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (seeds the Dongyang sample into an empty database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SAFEGRID_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// The admin token to accept (otherwise one is created on first start and printed once).
        #[arg(long, env = "SAFEGRID_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Do not seed an empty database with the sample.
        #[arg(
            long,
            env = "SAFEGRID_NO_SEED",
            action = clap::ArgAction::SetTrue,
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        no_seed: bool,
        /// The web map's folder (holds `index.html`, `src/` and `node_modules/`); by default
        /// `./web`, else the `web/` folder of the source tree the binary was built from.
        #[arg(long, env = "SAFEGRID_WEB_DIR")]
        web_dir: Option<PathBuf>,
        /// An external raster basemap for the web map, as a tile URL template such as
        /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`. Off by default: the map then makes
        /// no request beyond this server.
        #[arg(long, env = "SAFEGRID_BASEMAP_URL")]
        basemap_url: Option<String>,
    },
    /// Import a layer from a GeoJSON, CSV or zipped shapefile (cameras also XLSX and OSM
    /// surveillance GeoJSON), in one transaction.
    Import(ImportArgs),
    /// Export a layer as GeoJSON (default) or CSV to standard output.
    Export {
        /// Layer name.
        layer: String,
        /// `geojson` or `csv`.
        #[arg(long, default_value = "geojson")]
        format: String,
    },
    /// Seed the Dongyang sample (or a province-sized synthetic set) into an empty database.
    Seed {
        /// `county`: the Dongyang sample (~2,000 grids, 20,000 cameras, 100,000 events).
        /// `province`: 25 synthetic counties generated like it (~49,000 grids, 1,000,000
        /// cameras, 10,000,000 events, 95,000 workers), labelled synthetic; a few minutes and a
        /// few GB of disk on SQLite.
        #[arg(long, value_enum, default_value_t = SeedScale::County)]
        scale: SeedScale,
    },
    /// Validate the whole database: overlaps, gaps, grids without a worker, cameras outside
    /// every grid. Exits non-zero when problems are found.
    Check,
    /// Camera coverage of a layer (the table, worst first, with what offline cameras cost), or
    /// of one feature with its blind spots as GeoJSON (`--key`).
    Coverage(CoverageArgs),
    /// Placement advice: where `k` new cameras would add the most coverage to a grid, village,
    /// key area or drawn area. Writes nothing.
    Placement(PlacementArgs),
    /// Camera health: status history, availability and grids served; or record a status report.
    Camera {
        #[command(subcommand)]
        action: CameraCommand,
    },
    /// Issue an API token with a role and print it once.
    Token {
        /// admin, planner, scheduler, rectification, worker or viewer.
        #[arg(long)]
        role: String,
        /// Who the token is for.
        #[arg(long)]
        name: String,
    },
}

/// How much `safegrid seed` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedScale {
    /// The Dongyang sample.
    County,
    /// A province-sized synthetic set ([`crate::sample::province`]).
    Province,
}

/// `safegrid import LAYER FILE [...]`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Layer: regions, grids, workers, cameras, patrol-routes, key-areas, events, buildings.
    pub layer: String,
    /// File to read (`.geojson`/`.json`, `.csv`, `.zip`/`.shp`; cameras also `.xlsx`).
    pub file: PathBuf,
    /// Coordinate system of the file (`wgs84`, `gcj02`, `bd09`); converted to WGS84. Default
    /// wgs84, or the profile's.
    #[arg(long)]
    pub crs: Option<String>,
    /// Check every row and report; import nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The file's format when the extension does not say: geojson, csv, shapefile, xlsx, osm
    /// (OpenStreetMap surveillance nodes as GeoJSON; cameras only).
    #[arg(long)]
    pub format: Option<String>,
    /// Cameras: our fields to the file's headers, e.g. `code=设备编码,lon=经度,lat=纬度`.
    #[arg(long)]
    pub map: Option<String>,
    /// Cameras: the XLSX sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Cameras: start from the saved profile NAME (its map, crs and sheet; flags override).
    #[arg(long)]
    pub profile: Option<String>,
    /// Cameras: save the map, crs and sheet in use as profile NAME.
    #[arg(long)]
    pub save_profile: Option<String>,
    /// Where profiles are kept, one `NAME.json` each.
    #[arg(
        long,
        env = "SAFEGRID_PROFILE_DIR",
        default_value = "data/import-profiles"
    )]
    pub profile_dir: PathBuf,
}

/// `safegrid coverage [...]`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// grids, villages, towns, key-areas or patrol-routes.
    #[arg(long, default_value = "grids")]
    pub layer: String,
    /// One feature (grid or region code, key-area or route id): its figures and blind spots
    /// as a GeoJSON FeatureCollection.
    #[arg(long)]
    pub key: Option<String>,
    /// With `--key`: also what online cameras see (`part: seen`).
    #[arg(long, requires = "key")]
    pub include_seen: bool,
    /// Key areas only: urban_village, school_surroundings, urban_rural_fringe or disorderly_spot.
    #[arg(long)]
    pub category: Option<String>,
    /// worst (least seen first), lost (most lost to offline cameras first) or key.
    #[arg(long, default_value = "worst")]
    pub sort: String,
    /// Show at most this many rows (the summary counts them all).
    #[arg(long)]
    pub limit: Option<usize>,
    /// List the features that lost more than this many percentage points to offline cameras.
    #[arg(long)]
    pub lost_over: Option<f64>,
    /// table (for reading), csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// `safegrid placement [...]`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["grid", "village", "key_area", "area"])))]
pub struct PlacementArgs {
    /// Cover this grid (15-digit code).
    #[arg(long)]
    pub grid: Option<String>,
    /// Cover this village/community (12-digit code).
    #[arg(long)]
    pub village: Option<String>,
    /// Cover this key area (id).
    #[arg(long)]
    pub key_area: Option<String>,
    /// Cover a drawn area: a GeoJSON file holding a Polygon or MultiPolygon (a geometry, a
    /// Feature, or a FeatureCollection with one polygon feature).
    #[arg(long)]
    pub area: Option<PathBuf>,
    /// How many cameras to place (the budget).
    #[arg(short, long)]
    pub k: i64,
    /// area (cover the most ground) or events (cover where incidents were reported).
    #[arg(long)]
    pub weight: Option<String>,
    /// Candidate sites: a GeoJSON file of Point features; otherwise sites are generated every
    /// `--spacing-m` along the patrol routes inside the target, or on a square lattice.
    #[arg(long)]
    pub sites: Option<PathBuf>,
    /// Spacing of generated sites, metres.
    #[arg(long)]
    pub spacing_m: Option<f64>,
    /// Coordinate system of `--area` and `--sites` (wgs84, gcj02, bd09).
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
    /// The camera to place: fixed or ptz.
    #[arg(long)]
    pub kind: Option<String>,
    /// Horizontal field of view, degrees.
    #[arg(long)]
    pub hfov_deg: Option<f64>,
    /// Range, metres.
    #[arg(long)]
    pub range_m: Option<f64>,
    /// Mount height, metres.
    #[arg(long)]
    pub height_m: Option<f64>,
    /// Allow several cameras on one site (otherwise one per site).
    #[arg(long)]
    pub stack: bool,
    /// table (for reading) or geojson (to draw: a camera point and its sector per pick).
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// `safegrid camera ...`.
#[derive(Debug, Subcommand)]
pub enum CameraCommand {
    /// Status, since when, availability over 30 days, history and the grids the camera serves.
    Health {
        /// The camera's 20-digit code.
        code: String,
        /// table (for reading) or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Record a status report (online, offline or fault); the history keeps it.
    Status {
        /// The camera's 20-digit code.
        code: String,
        /// online, offline or fault.
        status: String,
    },
}
