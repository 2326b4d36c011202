//! `safegrid serve`: seed an empty database (unless told not to), make sure an admin token
//! exists, build the index, and serve the HTTP API and the web map until SIGINT or SIGTERM
//! ([`crate::api::shutdown_signal`]), draining the requests in flight. Must not import axum
//! or sqlx.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::api::{self, WebOptions};
use crate::domain::{Layer, Role};
use crate::service::{issue_token, register_admin_token};
use crate::store::Store;

use super::admin::seed;

/// Serves on `bind` until a shutdown signal; prints `safegrid: listening on http://…` once
/// bound and `safegrid: stopped` at the end, to standard error.
pub(super) async fn serve(
    store: Arc<dyn Store>,
    bind: SocketAddr,
    admin_token: Option<String>,
    no_seed: bool,
    web: WebOptions,
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
    let service = Arc::new(super::start_service(store).await?);
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
    let app = api::app_with(service, web);
    api::serve_app(listener, app, api::shutdown_signal()).await?;
    eprintln!("safegrid: stopped");
    Ok(ExitCode::SUCCESS)
}
