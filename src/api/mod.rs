//! The HTTP API: axum router, handlers, auth, errors as problem+json and the OpenAPI document.
//! Only this module knows axum.
//!
//! # One shape for every endpoint
//! Each handler reads extract → authorize → check → call → render, and an endpoint's contract
//! is in its types, beside the handler:
//! 1. **Raw request**: what arrives. A query string is a `#[derive(Deserialize)]` struct named
//!    `…Query` (`LocateQuery`, `ListQuery`) taken by `extract::AppQuery`, each field an
//!    `Option<String>` with a doc line; where unknown names are refused (the event listings,
//!    OGC API Features) it is the map of `extract::Params`. A JSON body is a struct named
//!    `…Body` (`DivisionBody`, `SplitBody`) or a GeoJSON Feature, taken by
//!    `extract::AppJson`; path segments come from `Path`.
//! 2. **Checked request**: a type holding only valid, bounded values (parsed boxes, limits
//!    within their bounds, enums, positions converted to WGS84): named `…Request`
//!    (`LocateRequest`, `TileRequest`), or for the one thing it holds (`VillageCode`,
//!    `ExportFormat`, `EventSelection`), or the service's own checked type (`DivisionRequest`,
//!    `SplitRequest`, a domain item). One `TryFrom` impl per endpoint builds it, or a `check`
//!    function when it needs more than the raw request (the route's layer, a path segment, a
//!    header, or an async step that checks a big geometry off the async threads). Every 400/422 of the input names its
//!    `field`; the checks that several endpoints share are in `params` (any parsed value,
//!    page sizes, `crs`, `bbox`, `datetime`) and the role checks in `extract::Caller`, which
//!    run before the request is checked.
//! 3. **Answer**: the handler calls the service or the snapshot with the checked request and
//!    renders what comes back: an answer type (`Serialize`) through `answer`'s helpers, a
//!    page of features as an `answer::FeaturePage`, or a `…_json` function for the big GeoJSON
//!    documents.
//!
//! The raw bodies keep the names `…Body` rather than `…Request`: the service and the analyses
//! already call their checked types `…Request` (`DivisionRequest`, `SplitRequest`,
//! `ImportRequest`, `PlacementRequest`), which is the step a body is checked into. The one
//! exception to step 2 is placement advice: its body is checked by
//! [`crate::service::placement`], shared with the CLI, because naming the target needs the
//! snapshot. Heavy work, checks of big input included, runs off the async threads under the
//! budget of `bounded`.

mod answer;
mod audit;
mod bounded;
mod camera_health;
mod coverage;
mod coverage_report;
mod divide;
mod error;
mod events;
mod extract;
mod grid_edit;
mod layers;
mod locate;
mod ogc;
pub mod openapi;
mod params;
mod placement;
mod region_tree;
mod search;
mod tiles;
mod tokens;
mod transfer;
mod web;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::domain::Layer;
use crate::service::Service;

use self::extract::require_token;

pub use error::{ApiError, ApiResult};
pub use locate::MAX_BATCH_POINTS;
pub use web::WebOptions;

/// Largest request body for ordinary writes (a polygon of 100,000 vertices fits).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Largest body for batch locate (1,000,000 points as a GeoJSON FeatureCollection).
pub const MAX_BATCH_BODY_BYTES: usize = 192 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The service.
    pub service: Arc<Service>,
    /// Where the web map's files are.
    pub web: Arc<WebOptions>,
}

/// The whole application with the default web options, ready to serve or to test with
/// `oneshot`.
pub fn app(service: Arc<Service>) -> Router {
    app_with(service, WebOptions::default())
}

/// The whole application: API, tiles, OGC API Features and the web map.
pub fn app_with(service: Arc<Service>, web: WebOptions) -> Router {
    let mut router = Router::new()
        .merge(web::routes(&web))
        .merge(ogc::routes())
        .merge(tiles::routes())
        .route("/healthz", get(health))
        .route("/api/openapi.json", get(openapi::serve))
        .route(
            "/api/v1/locate",
            get(locate::locate_point)
                .post(locate::locate_batch)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES)),
        )
        .route(
            "/api/v1/grids/divide",
            post(divide::divide_village).layer(from_fn(require_token)),
        )
        .route(
            "/api/v1/grids/divide/accept",
            post(divide::accept_division).layer(from_fn(require_token)),
        )
        .route("/api/v1/grids/{code}/history", get(layers::grid_history))
        .route(
            "/api/v1/cameras/{code}/coverage",
            get(coverage::camera_coverage),
        )
        .route(
            "/api/v1/cameras/{code}/health",
            get(camera_health::camera_health),
        )
        .route(
            "/api/v1/cameras/{code}/status",
            post(camera_health::set_camera_status).layer(from_fn(require_token)),
        )
        .route(
            "/api/v1/cameras/status",
            post(camera_health::report_statuses)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES))
                .route_layer(from_fn(require_token)),
        )
        .route(
            "/api/v1/cameras/placement",
            post(placement::propose_placement).layer(from_fn(require_token)),
        )
        .route(
            "/api/v1/grids/without-worker",
            get(layers::grids_without_worker),
        )
        .merge(coverage_report::routes())
        .merge(grid_edit::routes())
        .merge(transfer::routes())
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/regions/tree", get(region_tree::region_tree))
        .route("/api/v1/audit/personal-reads", get(audit::personal_reads))
        .route(
            "/api/v1/tokens",
            post(tokens::create_token).layer(from_fn(require_token)),
        )
        .route("/api/v1/me", get(tokens::me));
    for layer in Layer::ALL {
        router = router.merge(layers::layer_routes(layer));
    }
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::internal(&"a handler panicked").into_response()
            },
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(AppState {
            service,
            web: Arc::new(web),
        })
}

/// Serves the app on `listener` until `shutdown` completes. Sockets get `TCP_NODELAY`: answers
/// are small and latency matters more than packet count.
///
/// # Errors
/// When accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, app(service), shutdown).await
}

/// Serves `app` (from [`app`] or [`app_with`]) on `listener` until `shutdown` completes.
///
/// # Errors
/// When accepting connections fails.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (what systemd, Docker and Kubernetes send
/// to stop a service): give it to [`serve`] so that both drain the requests in flight.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    let which = tokio::select! {
        () = interrupt => "SIGINT",
        () = terminate => "SIGTERM",
    };
    tracing::info!(signal = which, "shutting down: draining requests in flight");
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for `{}`", uri.path()))
}

/// The answer of `GET /healthz`: the store's backend, the snapshot's version and how many
/// items each layer holds.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
    snapshot_version: u64,
    counts: BTreeMap<&'static str, usize>,
}

async fn health(State(state): State<AppState>) -> ApiResult<Response> {
    let snapshot = state.service.snapshot();
    answer::json(&Health {
        status: "ok",
        store: state.service.store().backend(),
        snapshot_version: snapshot.version,
        counts: Layer::ALL
            .iter()
            .map(|l| (l.path(), snapshot.count(*l)))
            .collect(),
    })
}
