//! The database's upkeep: `seed` (the Dongyang sample into an empty database; `serve` seeds
//! through [`seed`] too), `check` (the whole database's findings as JSON) and `token` (issue
//! one, printed once). Must not import axum or sqlx.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::domain::Role;
use crate::service::{Service, issue_token};
use crate::spatial::topology;
use crate::store::{self, Store};

/// `safegrid seed`: refuses a database that holds anything.
pub(super) async fn seed_empty(store: &Arc<dyn Store>) -> anyhow::Result<ExitCode> {
    if !store.is_empty().await? {
        bail!("the database is not empty; seed only fills an empty one");
    }
    seed(store).await?;
    Ok(ExitCode::SUCCESS)
}

/// Generates the Dongyang sample and writes it in one transaction.
pub(super) async fn seed(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let data = crate::sample::generate().context("generating the Dongyang sample")?;
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

/// `safegrid check`: exits 2 when anything is found.
pub(super) async fn check(store: Arc<dyn Store>) -> anyhow::Result<ExitCode> {
    let service = Service::start(store).await?;
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
