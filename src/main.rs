//! The `safegrid` binary: parse the command line, open the store, and hand over to the library.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;

use safegrid::config::{Cli, Command};
use safegrid::domain::{AnyItem, Layer, Role};
use safegrid::io;
use safegrid::service::{Service, hash_token, new_token};
use safegrid::spatial::crs::Crs;
use safegrid::store::{self, Store, TokenRecord};

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
        Command::Import {
            layer,
            file,
            crs,
            dry_run,
        } => import(store, &layer, &file, &crs, dry_run).await,
        Command::Export { layer, format } => export(store, &layer, &format).await,
        Command::Check => check(store).await,
        Command::Token { role, name } => {
            let role = Role::parse(&role)?;
            let token = issue_token(&store, &name, role).await?;
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

async fn issue_token(store: &Arc<dyn Store>, name: &str, role: Role) -> anyhow::Result<String> {
    let token = new_token().map_err(|e| anyhow::anyhow!("reading the OS random source: {e}"))?;
    store
        .insert_token(
            &TokenRecord {
                hash: hash_token(&token),
                name: name.to_owned(),
                role,
            },
            chrono::Utc::now(),
        )
        .await?;
    Ok(token)
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
            let hash = hash_token(&token);
            if store.find_token(&hash).await?.is_none() {
                store
                    .insert_token(
                        &TokenRecord {
                            hash,
                            name: "admin (SAFEGRID_ADMIN_TOKEN)".into(),
                            role: Role::Admin,
                        },
                        chrono::Utc::now(),
                    )
                    .await?;
            }
        }
        None if store.token_count().await? == 0 => {
            let token = issue_token(&store, "admin (first start)", Role::Admin).await?;
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
    safegrid::api::serve_app(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn import(
    store: Arc<dyn Store>,
    layer: &str,
    file: &std::path::Path,
    crs: &str,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let layer = Layer::parse(layer)?;
    let crs: Crs = crs.parse()?;
    let rows = io::read_file(layer, file, crs)?;
    let mut items: Vec<AnyItem> = Vec::with_capacity(rows.len());
    let mut bad = 0usize;
    for row in rows {
        match row.item {
            Ok(item) => items.push(item),
            Err(e) => {
                bad += 1;
                eprintln!("{}: {}: {e}", file.display(), row.at);
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} bad row(s), {} good; nothing imported", items.len());
        return Ok(ExitCode::FAILURE);
    }
    let service = Service::start(store).await?;
    if dry_run {
        safegrid::service::check_import(&service.snapshot(), &items)?;
        println!("dry run: {} row(s) valid; nothing imported", items.len());
        return Ok(ExitCode::SUCCESS);
    }
    let n = service.import(items).await?;
    println!("imported {n} {layer}");
    Ok(ExitCode::SUCCESS)
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
