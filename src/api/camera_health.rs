//! Camera health over HTTP: `GET /api/v1/cameras/{code}/health` (status, since when, history,
//! availability over the last 30 days, the grids it serves) and
//! `POST /api/v1/cameras/{code}/status` (a status report from a device platform or a health
//! monitor; roles that may write cameras). The rules are in [`crate::service::camera_health`].

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{CameraStatus, Layer};
use crate::service::camera_health::{AVAILABILITY_DAYS, CameraHealth};

use super::AppState;
use super::error::ApiResult;
use super::extract::{AppJson, Caller};

fn health_json(h: &CameraHealth) -> serde_json::Value {
    json!({
        "code": h.camera.code,
        "name": h.camera.name,
        "status": h.camera.status,
        "since": h.since,
        "availability": {
            "days": AVAILABILITY_DAYS,
            "online_share": h.availability.map(|s| (s * 10_000.0).round() / 10_000.0),
        },
        "history": h.history,
        "grids": h.grids,
    })
}

/// `GET /api/v1/cameras/{code}/health`.
pub async fn camera_health(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let health = state.service.camera_health(&code).await?;
    Ok(Json(health_json(&health)).into_response())
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
    Ok(Json(health_json(&health)).into_response())
}
