//! Camera health over HTTP: `GET /api/v1/cameras/{code}/health` (status, since when, history,
//! availability over the last 30 days, the grids it serves) and
//! `POST /api/v1/cameras/{code}/status` (a status report from a device platform or a health
//! monitor; roles that may write cameras). The rules are in [`crate::service::camera_health`].

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::{CameraStatus, Layer};

use super::AppState;
use super::error::ApiResult;
use super::extract::{AppJson, Caller};

/// `GET /api/v1/cameras/{code}/health`.
pub async fn camera_health(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let health = state.service.camera_health(&code).await?;
    Ok(Json(health.to_json()).into_response())
}

/// The body of a status report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: CameraStatus,
}

/// `POST /api/v1/cameras/{code}/status` with `{"status": "online" | "offline" | "fault"}`:
/// answers the camera's health after the report.
pub async fn set_camera_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    AppJson(body): AppJson<StatusBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Camera)?;
    state.service.set_camera_status(&code, body.status).await?;
    let health = state.service.camera_health(&code).await?;
    Ok(Json(health.to_json()).into_response())
}
