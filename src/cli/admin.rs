//! The database's upkeep: `seed` (the Dongyang sample, or a synthetic province, into an empty
//! database, through [`crate::service::seed`]; `serve` seeds the sample through [`seed`] too), `check` (the whole database's findings as JSON) and `token` (issue
//! one, printed once). Must not import axum or sqlx.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::config::SeedScale;
use crate::domain::Role;
use crate::domain::progress::Progress;
use crate::sample::province::ProvinceScale;
use crate::service::{issue_token, seed};
use crate::spatial::topology;
use crate::store::Store;

/// `safegrid seed [--scale county|province]`: refuses a database that holds anything.
pub(super) async fn seed_empty(
    store: &Arc<dyn Store>,
    scale: SeedScale,
) -> anyhow::Result<ExitCode> {
    if !store.is_empty().await? {
        bail!("the database is not empty; seed only fills an empty one");
    }
    match scale {
        SeedScale::County => seed(store).await?,
        SeedScale::Province => {
            let started = std::time::Instant::now();
            let progress = Arc::new(Progress::new());
            let reporter = super::progress::Reporter::start(progress.clone());
            let items =
                seed::seed_province(store.as_ref(), ProvinceScale::PROVINCE, &progress).await?;
            drop(reporter);
            tracing::info!(
                items,
                total_s = started.elapsed().as_secs(),
                "seeded the synthetic province"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Generates the Dongyang sample and writes it in one transaction.
pub(super) async fn seed(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let items = seed::seed_sample(store.as_ref())
        .await
        .context("seeding the Dongyang sample")?;
    tracing::info!(
        items,
        total_ms = started.elapsed().as_millis(),
        "seeded the Dongyang sample"
    );
    Ok(())
}

/// `safegrid check`: exits 2 when anything is found.
pub(super) async fn check(store: Arc<dyn Store>) -> anyhow::Result<ExitCode> {
    let service = super::start_service(store).await?;
    let report = topology::check_all(&service.snapshot());
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `safegrid token --role ROLE --name NAME`: prints the new token, which is stored hashed.
pub(super) async fn token(
    store: &Arc<dyn Store>,
    role: &str,
    name: &str,
) -> anyhow::Result<ExitCode> {
    let role: Role = role.parse()?;
    let token = issue_token(store.as_ref(), name, role).await?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
