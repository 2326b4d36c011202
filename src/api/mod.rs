//! The HTTP API: axum router, handlers, auth, errors as problem+json and the OpenAPI document.
//! Only this module knows axum. Handlers are thin: parse, call the service or the snapshot,
//! render.

mod answer;
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
mod search;
mod tiles;
mod transfer;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::domain::{Layer, Role};
use crate::service::{Service, issue_token};

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
        .route("/api/v1/grids/divide", post(divide::divide_village))
        .route("/api/v1/grids/divide/accept", post(divide::accept_division))
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
            post(camera_health::set_camera_status),
        )
        .route(
            "/api/v1/cameras/status",
            post(camera_health::report_statuses).layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES)),
        )
        .route(
            "/api/v1/cameras/placement",
            post(placement::propose_placement),
        )
        .route(
            "/api/v1/grids/without-worker",
            get(layers::grids_without_worker),
        )
        .merge(coverage_report::routes())
        .merge(grid_edit::routes())
        .merge(transfer::routes())
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/me", get(me));
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

async fn health(State(state): State<AppState>) -> Response {
    let snapshot = state.service.snapshot();
    let counts: serde_json::Map<String, serde_json::Value> = Layer::ALL
        .iter()
        .map(|l| (l.path().to_owned(), json!(snapshot.count(*l))))
        .collect();
    axum::Json(json!({
        "status": "ok",
        "store": state.service.store().backend(),
        "snapshot_version": snapshot.version,
        "counts": counts,
    }))
    .into_response()
}

/// `GET /api/v1/me`: who the bearer token belongs to and which layers it may change (the web
/// map's login checks a token with it). 401 without a token or with an unknown one.
async fn me(caller: extract::Caller) -> ApiResult<Response> {
    let (Some(role), Some(name)) = (caller.role, caller.name) else {
        return Err(ApiError::unauthorized(
            "send `Authorization: Bearer <token>` to see who you are",
        ));
    };
    let writes: Vec<&str> = Layer::ALL
        .iter()
        .filter(|l| role.may_write(**l))
        .map(|l| l.path())
        .collect();
    Ok(axum::Json(json!({"name": name, "role": role.as_str(), "writes": writes})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: String,
}

/// `POST /api/v1/tokens` (admin): issues a token; it is shown once and stored hashed.
async fn create_token(
    State(state): State<AppState>,
    caller: extract::Caller,
    extract::AppJson(body): extract::AppJson<NewToken>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let role: Role = body.role.parse()?;
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("name", "name must not be empty"));
    }
    let token = issue_token(state.service.store().as_ref(), &body.name, role).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"name": body.name, "role": role.as_str(), "token": token})),
    )
        .into_response())
}
