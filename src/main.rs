//! The `safegrid` binary: parse the command line, open the store, and hand over to the library.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;

use safegrid::config::{CameraCommand, Cli, Command, CoverageArgs, ImportArgs, PlacementArgs};
use safegrid::domain::{CameraKind, CameraStatus, Layer, Role};
use safegrid::io::{self, IoError, camera_import, shapefile};
use safegrid::service::import::{self, ImportError, ImportFile, ImportFormat, ImportRequest};
use safegrid::service::{Service, issue_token, register_admin_token};
use safegrid::spatial::crs::Crs;
use safegrid::store::{self, Store};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "safegrid=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let store = store::open(&cli.database_url)
        .await
        .with_context(|| format!("opening {}", redact(&cli.database_url)))?;
    match cli.command {
        Command::Serve {
            bind,
            admin_token,
            no_seed,
            web_dir,
            basemap_url,
        } => {
            let mut web = safegrid::api::WebOptions::default();
            if let Some(dir) = web_dir {
                web.dir = dir;
            }
            web.basemap_url = basemap_url.filter(|url| !url.trim().is_empty());
            serve(store, bind, admin_token, no_seed, web).await
        }
        Command::Seed => {
            if !store.is_empty().await? {
                bail!("the database is not empty; seed only fills an empty one");
            }
            seed(&store).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import(store, args).await,
        Command::Export { layer, format } => export(store, &layer, &format).await,
        Command::Check => check(store).await,
        Command::Coverage(args) => coverage(store, args).await,
        Command::Placement(args) => placement(store, args).await,
        Command::Camera { action } => camera(store, action).await,
        Command::Token { role, name } => {
            let role = Role::parse(&role)?;
            let token = issue_token(store.as_ref(), &name, role).await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn seed(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let data = safegrid::sample::generate().context("generating the Dongyang sample")?;
    let generated = started.elapsed();
    let items = data.into_items();
    let n = items.len();
    let changes: Vec<store::Change> = items.into_iter().map(store::Change::Put).collect();
    store
        .apply(&changes, chrono::Utc::now())
        .await
        .context("writing the sample")?;
    tracing::info!(
        items = n,
        generate_ms = generated.as_millis(),
        total_ms = started.elapsed().as_millis(),
        "seeded the Dongyang sample"
    );
    Ok(())
}

async fn serve(
    store: Arc<dyn Store>,
    bind: std::net::SocketAddr,
    admin_token: Option<String>,
    no_seed: bool,
    web: safegrid::api::WebOptions,
) -> anyhow::Result<ExitCode> {
    if !no_seed && store.is_empty().await? {
        seed(&store).await?;
    }
    match admin_token {
        Some(token) => {
            register_admin_token(store.as_ref(), &token, "admin (SAFEGRID_ADMIN_TOKEN)").await?;
        }
        None if store.token_count().await? == 0 => {
            let token = issue_token(store.as_ref(), "admin (first start)", Role::Admin).await?;
            // Printed once, to the terminal only; it is stored hashed.
            eprintln!("safegrid: created the admin token (shown only now): {token}");
        }
        None => {}
    }
    let started = std::time::Instant::now();
    let service = Arc::new(Service::start(store).await?);
    let snapshot = service.snapshot();
    tracing::info!(
        load_ms = started.elapsed().as_millis(),
        grids = snapshot.count(Layer::Grid),
        cameras = snapshot.count(Layer::Camera),
        events = snapshot.count(Layer::Event),
        "index built"
    );
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let local = listener.local_addr().unwrap_or(bind);
    eprintln!("safegrid: listening on http://{local}");
    let app = safegrid::api::app_with(service, web);
    safegrid::api::serve_app(listener, app, safegrid::api::shutdown_signal()).await?;
    eprintln!("safegrid: stopped");
    Ok(ExitCode::SUCCESS)
}

/// `safegrid import LAYER FILE [--crs] [--dry-run] [--format] [--map] [--sheet] [--profile]
/// [--save-profile]`.
async fn import(store: Arc<dyn Store>, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let layer = Layer::parse(&args.layer)?;
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
    let service = Service::start(store).await?;
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
    let report = service.finish_import(reviewed).await?;
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

async fn export(store: Arc<dyn Store>, layer: &str, format: &str) -> anyhow::Result<ExitCode> {
    let layer = Layer::parse(layer)?;
    let service = Service::start(store).await?;
    let features = service.snapshot().features(layer);
    let text = match format {
        "geojson" | "json" => io::geojson_file::to_string(&features),
        "csv" => io::csv::to_string(layer, &features),
        other => bail!("unknown format `{other}`: use geojson or csv"),
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

async fn check(store: Arc<dyn Store>) -> anyhow::Result<ExitCode> {
    let service = Service::start(store).await?;
    let report = service.snapshot().check_all();
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn coverage(store: Arc<dyn Store>, args: CoverageArgs) -> anyhow::Result<ExitCode> {
    use safegrid::service::coverage_report::{self, CoverageTable, TableQuery};
    let snapshot = Service::start(store).await?.snapshot();
    if let Some(key) = &args.key {
        let layer = coverage_report::parse_layer(&args.layer)?;
        let Some(report) =
            coverage_report::feature_report(&snapshot, layer, key, args.include_seen)
        else {
            bail!("{} `{key}` does not exist", layer.path());
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let query = TableQuery::parse(
        Some(&args.layer),
        args.category.as_deref(),
        Some(&args.sort),
        args.limit,
        args.lost_over,
    )?;
    let table = CoverageTable::compute(&snapshot, &query);
    match args.format.as_str() {
        "table" => print!("{}", safegrid::console::coverage_table(&table.to_json())),
        "json" => println!("{}", serde_json::to_string_pretty(&table.to_json())?),
        "csv" => print!("{}", table.to_csv()?),
        other => bail!("unknown format `{other}`: use table, csv or json"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a GeoJSON file as JSON.
fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The single Polygon or MultiPolygon of a GeoJSON geometry, Feature or FeatureCollection.
fn area_geometry(doc: serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let mut geometries: Vec<serde_json::Value> = match doc["type"].as_str() {
        Some("FeatureCollection") => doc["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["geometry"].clone())
            .collect(),
        Some("Feature") => vec![doc["geometry"].clone()],
        _ => vec![doc],
    };
    geometries.retain(|g| matches!(g["type"].as_str(), Some("Polygon" | "MultiPolygon")));
    match geometries.len() {
        1 => Ok(geometries.remove(0)),
        n => bail!("--area: expected one Polygon or MultiPolygon, found {n}"),
    }
}

/// The `[lon, lat]` of every Point (and MultiPoint member) of a GeoJSON document.
fn site_positions(doc: &serde_json::Value) -> Vec<Vec<f64>> {
    let geometries: Vec<&serde_json::Value> = match doc["type"].as_str() {
        Some("FeatureCollection") => doc["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| &f["geometry"])
            .collect(),
        Some("Feature") => vec![&doc["geometry"]],
        _ => vec![doc],
    };
    let position = |p: &serde_json::Value| -> Vec<f64> {
        p.as_array()
            .into_iter()
            .flatten()
            .map(|c| c.as_f64().unwrap_or(f64::NAN))
            .collect()
    };
    let mut out = Vec::new();
    for g in geometries {
        match g["type"].as_str() {
            Some("Point") => out.push(position(&g["coordinates"])),
            Some("MultiPoint") => out.extend(
                g["coordinates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(position),
            ),
            _ => {}
        }
    }
    out
}

fn parse_word<T: serde::de::DeserializeOwned>(
    flag: &str,
    raw: &str,
    known: &str,
) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::json!(raw))
        .map_err(|_| anyhow::anyhow!("{flag}: unknown value `{raw}`: use {known}"))
}

async fn placement(store: Arc<dyn Store>, args: PlacementArgs) -> anyhow::Result<ExitCode> {
    use safegrid::service::placement::{self, CameraBody, PlacementBody, TargetBody};
    let crs: Crs = args.crs.parse()?;
    let geometry = match &args.area {
        Some(path) => Some(area_geometry(read_json(path)?)?),
        None => None,
    };
    let candidates = match &args.sites {
        Some(path) => {
            let sites = site_positions(&read_json(path)?);
            if sites.is_empty() {
                bail!("--sites: {} holds no Point", path.display());
            }
            Some(sites)
        }
        None => None,
    };
    let kind = match &args.kind {
        Some(k) => Some(parse_word::<CameraKind>("--kind", k, "fixed or ptz")?),
        None => None,
    };
    let body = PlacementBody {
        target: TargetBody {
            grid: args.grid,
            village: args.village,
            key_area: args.key_area,
            geometry,
        },
        k: args.k,
        weight: args.weight,
        candidates,
        spacing_m: args.spacing_m,
        camera: Some(CameraBody {
            kind,
            hfov_deg: args.hfov_deg,
            range_m: args.range_m,
            height_m: args.height_m,
        }),
        one_per_site: Some(!args.stack),
    };
    let snapshot = Service::start(store).await?.snapshot();
    let answer = placement::advise(&snapshot, body, crs)?;
    match args.format.as_str() {
        "table" => print!("{}", safegrid::console::placement(&answer)),
        "geojson" | "json" => println!("{}", serde_json::to_string_pretty(&answer)?),
        other => bail!("unknown format `{other}`: use table or geojson"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn camera(store: Arc<dyn Store>, action: CameraCommand) -> anyhow::Result<ExitCode> {
    let service = Service::start(store).await?;
    match action {
        CameraCommand::Health { code, format } => {
            let health = service.camera_health(&code).await?.to_json();
            match format.as_str() {
                "table" => print!("{}", safegrid::console::camera_health(&health)),
                "json" => println!("{}", serde_json::to_string_pretty(&health)?),
                other => bail!("unknown format `{other}`: use table or json"),
            }
        }
        CameraCommand::Status { code, status } => {
            let status: CameraStatus = parse_word("status", &status, "online, offline or fault")?;
            let before = service.snapshot().cameras.get(&code).map(|c| c.status);
            let camera = service.set_camera_status(&code, status).await?;
            let word = |s: CameraStatus| serde_json::json!(s).as_str().unwrap_or("").to_owned();
            match before {
                Some(b) if b == camera.status => println!("{code} is already {}", word(b)),
                Some(b) => println!("{code}: {} -> {}", word(b), word(camera.status)),
                None => println!("{code}: {}", word(camera.status)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
