//! Camera health over HTTP: `GET /api/v1/cameras/{code}/health` (status, since when, history,
//! availability over the last 30 days, the grids it serves) and
//! `POST /api/v1/cameras/{code}/status` (a status report from a device platform or a health
//! monitor; roles that may write cameras), and `POST /api/v1/cameras/status`, the cheap single
//! and bulk feed for video platforms. The rules are in [`crate::service::camera_health`]: the
//! bodies are checked here into [`StatusReport`]s (a feed into a `FeedRequest` of at most
//! [`MAX_BULK_REPORTS`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CameraStatus, Layer, Problem};
use crate::service::camera_health::{MAX_BULK_REPORTS, StatusOutcome, StatusReport};

use super::AppState;
use super::answer::json;
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

impl StatusBody {
    /// The report of the camera `code`, at `now` when the body gives no time.
    fn report(self, code: String, now: DateTime<Utc>) -> StatusReport {
        StatusReport {
            code,
            status: self.status,
            at: self.at.unwrap_or(now),
        }
    }
}

/// What a report did, with what names it: the camera's health or its code.
#[derive(Debug, Serialize)]
struct Reported<T> {
    #[serde(flatten)]
    about: T,
    #[serde(flatten)]
    outcome: StatusOutcome,
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
    let report = body.report(code.clone(), Utc::now());
    let outcome = state.service.report_status(report).await?;
    let health = state.service.camera_health(&code).await?;
    json(&Reported {
        about: health.to_json(),
        outcome,
    })
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

/// A status feed, checked: at most [`MAX_BULK_REPORTS`] reports, each with its time.
#[derive(Debug)]
enum FeedRequest {
    One(StatusReport),
    Many(Vec<StatusReport>),
}

impl FeedRequest {
    /// The feed of `body`, reports without a time taken at `now`.
    fn check(body: FeedBody, now: DateTime<Utc>) -> ApiResult<Self> {
        let report = |r: ReportBody| {
            let body = StatusBody {
                status: r.status,
                at: r.at,
            };
            body.report(r.code, now)
        };
        match body {
            FeedBody::One(r) => Ok(Self::One(report(r))),
            FeedBody::Many { reports } if reports.len() > MAX_BULK_REPORTS => {
                Err(ApiError::bad_request(
                    "reports",
                    format!(
                        "{} reports exceed the limit of {MAX_BULK_REPORTS} per request",
                        reports.len()
                    ),
                )
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
                .with_problem(Problem::TooMany {
                    limit: MAX_BULK_REPORTS as u64,
                }))
            }
            FeedBody::Many { reports } => Ok(Self::Many(reports.into_iter().map(report).collect())),
        }
    }
}

/// The code a single report was about.
#[derive(Debug, Serialize)]
struct Code {
    code: String,
}

/// The answer to a bulk feed: the counts per outcome, and one outcome per report, in order.
#[derive(Debug, Serialize)]
struct FeedCounts {
    count: usize,
    applied: usize,
    unchanged: usize,
    stale: usize,
    unknown: usize,
    superseded: usize,
    outcomes: Vec<StatusOutcome>,
}

impl FeedCounts {
    fn new(outcomes: Vec<StatusOutcome>) -> Self {
        let count = |want: fn(&StatusOutcome) -> bool| outcomes.iter().filter(|o| want(o)).count();
        Self {
            count: outcomes.len(),
            applied: count(|o| *o == StatusOutcome::Applied),
            unchanged: count(|o| *o == StatusOutcome::Unchanged),
            stale: count(|o| matches!(o, StatusOutcome::Stale { .. })),
            unknown: count(|o| *o == StatusOutcome::Unknown),
            superseded: count(|o| *o == StatusOutcome::Superseded),
            outcomes,
        }
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
    match FeedRequest::check(body, Utc::now())? {
        FeedRequest::One(report) => {
            let code = report.code.clone();
            let outcome = state.service.report_status(report).await?;
            json(&Reported {
                about: Code { code },
                outcome,
            })
        }
        FeedRequest::Many(reports) => {
            let outcomes = state.service.report_statuses(&reports).await?;
            json(&FeedCounts::new(outcomes))
        }
    }
}
