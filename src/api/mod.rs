//! The HTTP API: axum router, handlers, auth, errors as problem+json and the OpenAPI document.
//! Only this module knows axum. Handlers are thin: parse, call the service or the snapshot,
//! render.

mod divide;
mod error;
mod extract;
mod grid_edit;
mod layers;
mod locate;
mod ogc;
pub mod openapi;
mod tiles;

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
use crate::service::{Service, hash_token, new_token};
use crate::store::TokenRecord;

pub use error::{ApiError, ApiResult};
pub use locate::MAX_BATCH_POINTS;

/// Largest request body for ordinary writes (a polygon of 100,000 vertices fits).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Largest body for batch locate (1,000,000 points as a GeoJSON FeatureCollection).
pub const MAX_BATCH_BODY_BYTES: usize = 192 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The service.
    pub service: Arc<Service>,
}

/// The whole application, ready to serve or to test with `oneshot`.
pub fn app(service: Arc<Service>) -> Router {
    let state = AppState { service };
    let mut router = Router::new()
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
        .route("/api/v1/grids/{code}/history", get(layers::grid_history))
        .merge(grid_edit::routes())
        .route("/api/v1/tokens", post(create_token));
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
        .with_state(state)
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
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app(service))
        .with_graceful_shutdown(shutdown)
        .await
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
    let role = Role::parse(&body.role)?;
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("name", "name must not be empty"));
    }
    let token = new_token().map_err(|e| ApiError::internal(&e))?;
    let record = TokenRecord {
        hash: hash_token(&token),
        name: body.name.clone(),
        role,
    };
    state
        .service
        .store()
        .insert_token(&record, chrono::Utc::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"name": body.name, "role": role.as_str(), "token": token})),
    )
        .into_response())
}
