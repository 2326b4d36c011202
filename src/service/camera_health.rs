//! Camera health (设备在线情况): a camera's status history as the store recorded it, its
//! availability over the last days, and the grids it serves ([`Service::camera_health`]); and
//! the status reports video platforms send, one at a time ([`Service::report_status`], group
//! committed with other writes) or by the hundred thousand ([`Service::report_statuses`], one
//! transaction).
//!
//! A report is `{code, status, at}`. A report older than the camera's last reported status is
//! ignored and said so (platforms resend and reorder); one that repeats the current status
//! changes nothing. The history is written by the store itself, in the transaction of every
//! camera write that sets or changes the status (`migrations/*/0003_camera_status.sql`, and
//! `0004` for the report's own time), so an import, a PUT and a status report all leave the
//! same trace.
//!
//! # Units
//! Times UTC; shares in `[0, 1]`; areas in m².

use chrono::{DateTime, Duration, Utc};
use geo::{BooleanOps, BoundingRect, MultiPolygon};

use crate::domain::{AnyItem, Camera, CameraStatus, Layer};
use crate::spatial::topology::{AREA_TOLERANCE_M2, area_m2};
use crate::spatial::visibility;
use crate::store::{CameraStatusChange, Change};

use super::camera_status::resolve_report;
pub use super::camera_status::{MAX_BULK_REPORTS, StatusOutcome, StatusReport};
use super::{Service, ServiceError, ServiceResult};

/// Most history entries a health answer lists.
pub const HISTORY_LIMIT: i64 = 200;
/// The window of [`CameraHealth::availability`], in days.
pub const AVAILABILITY_DAYS: i64 = 30;

/// A grid a camera serves: part of the grid lies in what the camera sees.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServedGrid {
    /// Grid code.
    pub code: String,
    /// Grid name.
    pub name: String,
    /// Area of the grid the camera sees, m².
    pub seen_m2: f64,
    /// That area as a share of the grid.
    pub share: f64,
}

/// What [`Service::camera_health`] answers.
#[derive(Debug, Clone)]
pub struct CameraHealth {
    /// The camera as it is now.
    pub camera: Camera,
    /// Since when it has had its current status (the newest history entry), if recorded.
    pub since: Option<DateTime<Utc>>,
    /// Status changes, newest first (at most [`HISTORY_LIMIT`]).
    pub history: Vec<CameraStatusChange>,
    /// Share of the last [`AVAILABILITY_DAYS`] days (or of the time since the first record,
    /// when shorter) the camera was online; `None` without history.
    pub availability: Option<f64>,
    /// Top-level grids and micro-grids the camera sees part of, most seen first.
    pub grids: Vec<ServedGrid>,
}

/// Share of `[from, to]` spent online, from a history newest first; time before the oldest
/// record does not count.
#[must_use]
pub fn online_share(
    history: &[CameraStatusChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<f64> {
    let oldest = history.last()?.at;
    let from = from.max(oldest);
    if to <= from {
        return None;
    }
    let mut online = Duration::zero();
    let mut end = to;
    for change in history {
        let start = change.at.max(from);
        if start < end && change.status == CameraStatus::Online {
            online += end - start;
        }
        end = end.min(change.at);
        if end <= from {
            break;
        }
    }
    let whole = (to - from).num_milliseconds() as f64;
    Some((online.num_milliseconds() as f64 / whole).clamp(0.0, 1.0))
}

impl CameraHealth {
    /// As the API and the CLI print it: code, name, status, since, availability over the last
    /// [`AVAILABILITY_DAYS`] days (a share 0..1, 4 decimals), history (newest first) and the
    /// grids served.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.camera.code,
            "name": self.camera.name,
            "status": self.camera.status,
            "since": self.since,
            "availability": {
                "days": AVAILABILITY_DAYS,
                "online_share": self.availability.map(|s| (s * 10_000.0).round() / 10_000.0),
            },
            "history": self.history,
            "grids": self.grids,
        })
    }
}

impl Service {
    /// The health of camera `code`: status history, availability and the grids it serves.
    ///
    /// # Errors
    /// An unknown camera; store failures.
    pub async fn camera_health(&self, code: &str) -> ServiceResult<CameraHealth> {
        let snapshot = self.snapshot();
        let camera = registered(&snapshot, code)?;
        let history = self
            .store
            .camera_status_history(code, HISTORY_LIMIT)
            .await?;
        let now = Utc::now();
        let availability = online_share(&history, now - Duration::days(AVAILABILITY_DAYS), now);
        let seen = visibility::camera_coverage(&snapshot, &camera).area;
        let grids = served_grids(&snapshot, &seen);
        Ok(CameraHealth {
            since: history.first().map(|c| c.at),
            camera,
            history,
            availability,
            grids,
        })
    }

    /// One status report, group committed with the other writes that arrive meanwhile; the
    /// camera is read when its group commits, so a report never writes back fields that an
    /// edit of the camera has just changed.
    ///
    /// # Errors
    /// An unknown camera; store failures.
    pub async fn report_status(&self, report: StatusReport) -> ServiceResult<StatusOutcome> {
        match self
            .write_grouped(super::commit::Write::Status(report))
            .await?
        {
            super::commit::Outcome::Status(outcome) => Ok(outcome),
            super::commit::Outcome::Written(_) => Ok(StatusOutcome::Applied),
        }
    }

    /// Many status reports in one transaction, in order (a later report of the same camera
    /// sees the earlier one): one outcome per report.
    ///
    /// # Errors
    /// Store failures (then nothing was stored).
    pub async fn report_statuses(
        &self,
        reports: &[StatusReport],
    ) -> ServiceResult<Vec<StatusOutcome>> {
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        // Per camera: its state after the reports so far, and which report set it.
        let mut changed: std::collections::HashMap<&str, (Camera, usize)> =
            std::collections::HashMap::new();
        let mut outcomes = Vec::with_capacity(reports.len());
        for (i, report) in reports.iter().enumerate() {
            let camera = changed
                .get(report.code.as_str())
                .map(|(c, _)| c)
                .or_else(|| current.cameras.get(&report.code));
            match resolve_report(camera, report) {
                Ok(camera) => {
                    if let Some((_, earlier)) = changed.insert(report.code.as_str(), (camera, i)) {
                        outcomes[earlier] = StatusOutcome::Superseded;
                    }
                    outcomes.push(StatusOutcome::Applied);
                }
                Err(outcome) => outcomes.push(outcome),
            }
        }
        if changed.is_empty() {
            return Ok(outcomes);
        }
        let items: Vec<AnyItem> = changed
            .into_values()
            .map(|(c, _)| AnyItem::Camera(c))
            .collect();
        let changes: Vec<Change> = items.iter().cloned().map(Change::Put).collect();
        let next = current.with_changes(&items, &[]);
        self.commit(&changes, next).await?;
        Ok(outcomes)
    }
}

/// Camera `code` as the snapshot has it.
fn registered(snapshot: &crate::spatial::Snapshot, code: &str) -> ServiceResult<Camera> {
    snapshot
        .cameras
        .get(code)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound {
            layer: Layer::Camera,
            key: code.to_owned(),
        })
}

/// Grids (top-level and micro) that `seen` covers by more than [`AREA_TOLERANCE_M2`].
fn served_grids(snapshot: &crate::spatial::Snapshot, seen: &MultiPolygon) -> Vec<ServedGrid> {
    let Some(rect) = seen.bounding_rect() else {
        return Vec::new();
    };
    let mut out: Vec<ServedGrid> = snapshot
        .grids
        .intersecting(rect)
        .filter_map(|g| {
            let seen_m2 = area_m2(&g.area.intersection(seen));
            (seen_m2 > AREA_TOLERANCE_M2).then(|| ServedGrid {
                code: g.code.clone(),
                name: g.name.clone(),
                seen_m2: (seen_m2 * 10.0).round() / 10.0,
                share: {
                    let whole = area_m2(&g.area);
                    if whole > 0.0 { seen_m2 / whole } else { 0.0 }
                },
            })
        })
        .collect();
    out.sort_by(|a, b| b.seen_m2.total_cmp(&a.seen_m2));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default() + Duration::hours(hours)
    }

    fn change(status: CameraStatus, hours: i64) -> CameraStatusChange {
        CameraStatusChange {
            status,
            at: at(hours),
        }
    }

    #[test]
    fn availability_counts_online_time_since_the_first_record() {
        // Online from 0 h, offline 6 h to 8 h, fault from 9 h, online again at 10 h.
        let history = [
            change(CameraStatus::Online, 10),
            change(CameraStatus::Fault, 9),
            change(CameraStatus::Offline, 6),
            change(CameraStatus::Online, 0),
        ];
        // Over 0–12 h: online 0–6 and 10–12, 8 h of 12.
        let share = online_share(&history, at(-100), at(12)).expect("history");
        assert!((share - 8.0 / 12.0).abs() < 1e-9, "{share}");
        // A window starting at 7 h: online only 10–12, 2 h of 5.
        let share = online_share(&history, at(7), at(12)).expect("history");
        assert!((share - 2.0 / 5.0).abs() < 1e-9, "{share}");
        assert_eq!(online_share(&[], at(0), at(1)), None);
    }
}
