//! Camera status reports as video platforms send them, `{code, status, at}`, and the one rule
//! that decides what a report does to the camera it names ([`resolve_report`]): shared by the
//! group commit ([`super::commit`]) and the bulk path ([`super::camera_health`]).

use chrono::{DateTime, Utc};

use crate::domain::{Camera, CameraStatus};

/// Most reports one bulk request may carry.
pub const MAX_BULK_REPORTS: usize = 200_000;

/// One status report from a video platform.
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// The camera's device code.
    pub code: String,
    /// Its status.
    pub status: CameraStatus,
    /// When the platform saw it.
    pub at: DateTime<Utc>,
}

/// What a status report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StatusOutcome {
    /// The camera took the status; the history records it at the report's time.
    Applied,
    /// The camera already had this status: nothing changed.
    Unchanged,
    /// Older than the camera's last reported status (`last`): ignored.
    Stale { last: DateTime<Utc> },
    /// No camera has this code.
    Unknown,
    /// A later report of the same camera in the same bulk replaced it before it was stored: a
    /// bulk is taken as one picture of the cameras, and the history keeps the state it leaves.
    Superseded,
}

/// The camera after `report`, or why the report changes nothing.
pub(super) fn resolve_report(
    camera: Option<&Camera>,
    report: &StatusReport,
) -> Result<Camera, StatusOutcome> {
    let camera = camera.ok_or(StatusOutcome::Unknown)?;
    if let Some(last) = camera.status_since
        && report.at < last
    {
        return Err(StatusOutcome::Stale { last });
    }
    if camera.status == report.status {
        return Err(StatusOutcome::Unchanged);
    }
    let mut next = camera.clone();
    next.status = report.status;
    next.status_since = Some(report.at);
    Ok(next)
}
