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
    /// Seed the Dongyang sample into an empty database.
    Seed,
    /// Validate the whole database: overlaps, gaps, grids without a worker, cameras outside
    /// every grid. Exits non-zero when problems are found.
    Check,
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
