//! Camera health over HTTP: `GET /api/v1/cameras/{code}/health` (status, since when, history,
//! availability over the last 30 days, the grids it serves) and
//! `POST /api/v1/cameras/{code}/status` (a status report from a device platform or a health
//! monitor; roles that may write cameras), and `POST /api/v1/cameras/status`, the cheap single
//! and bulk feed for video platforms. The rules are in [`crate::service::camera_health`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{CameraStatus, Layer};
use crate::service::camera_health::{MAX_BULK_REPORTS, StatusOutcome, StatusReport};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, Caller};

/// `GET /api/v1/cameras/{code}/health`.
pub async fn camera_health(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let health = state.service.camera_health(&code).await?;
    Ok(Json(health.to_json()).into_response())
}

/// The body of a status report on the camera's own URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: CameraStatus,
    /// When the platform saw it; now when left out.
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/cameras/{code}/status` with `{"status": "online" | "offline" | "fault",
/// "at"?}`: answers the camera's health after the report, with the report's `outcome`.
pub async fn set_camera_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    AppJson(body): AppJson<StatusBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Camera)?;
    let report = StatusReport {
        code: code.clone(),
        status: body.status,
        at: body.at.unwrap_or_else(Utc::now),
    };
    let outcome = state.service.report_status(report).await?;
    let health = state.service.camera_health(&code).await?;
    let mut answer = health.to_json();
    if let (Value::Object(map), Value::Object(o)) = (&mut answer, json!(outcome)) {
        map.extend(o);
    }
    Ok(Json(answer).into_response())
}

/// One report of a bulk body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    code: String,
    status: CameraStatus,
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

/// A status feed body: one report, or `{"reports": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FeedBody {
    Many { reports: Vec<ReportBody> },
    One(ReportBody),
}

fn report_of(body: ReportBody, now: DateTime<Utc>) -> StatusReport {
    StatusReport {
        code: body.code,
        status: body.status,
        at: body.at.unwrap_or(now),
    }
}

/// `POST /api/v1/cameras/status`: the cheap path for video platforms. One report
/// `{"code", "status", "at"?}` is group committed with other writes and answers
/// `{"code", "outcome"}`; `{"reports": [...]}` (at most 200,000) is stored in one transaction
/// and answers the counts per outcome and one outcome per report, in order. A report older
/// than the camera's last reported status is ignored (`"outcome": "stale"`, with `last`).
pub async fn report_statuses(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<FeedBody>,
) -> ApiResult<Response> {
    caller.require_write(Layer::Camera)?;
    let now = Utc::now();
    match body {
        FeedBody::One(report) => {
            let report = report_of(report, now);
            let code = report.code.clone();
            let outcome = state.service.report_status(report).await?;
            let mut answer = json!({"code": code});
            if let (Value::Object(map), Value::Object(o)) = (&mut answer, json!(outcome)) {
                map.extend(o);
            }
            Ok(Json(answer).into_response())
        }
        FeedBody::Many { reports } => {
            if reports.len() > MAX_BULK_REPORTS {
                return Err(ApiError::bad_request(
                    "reports",
                    format!(
                        "{} reports exceed the limit of {MAX_BULK_REPORTS} per request",
                        reports.len()
                    ),
                )
                .with_status(StatusCode::PAYLOAD_TOO_LARGE));
            }
            let reports: Vec<StatusReport> =
                reports.into_iter().map(|r| report_of(r, now)).collect();
            let outcomes = state.service.report_statuses(&reports).await?;
            let count =
                |want: fn(&StatusOutcome) -> bool| outcomes.iter().filter(|o| want(o)).count();
            Ok(Json(json!({
                "count": outcomes.len(),
                "applied": count(|o| *o == StatusOutcome::Applied),
                "unchanged": count(|o| *o == StatusOutcome::Unchanged),
                "stale": count(|o| matches!(o, StatusOutcome::Stale { .. })),
                "unknown": count(|o| *o == StatusOutcome::Unknown),
                "superseded": count(|o| *o == StatusOutcome::Superseded),
                "outcomes": outcomes,
            }))
            .into_response())
        }
    }
}
