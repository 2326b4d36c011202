//! Camera health (设备在线情况): a camera's status history as the store recorded it, its
//! availability over the last days, and the grids it serves ([`Service::camera_health`]); and
//! the status report a device platform sends ([`Service::set_camera_status`]).
//!
//! The history is written by the store itself, in the transaction of every camera write that
//! sets or changes the status (`migrations/*/0003_camera_status.sql`), so an import, a PUT and
//! a status report all leave the same trace.
//!
//! # Units
//! Times UTC; shares in `[0, 1]`; areas in m².

use chrono::{DateTime, Duration, Utc};
use geo::{BooleanOps, BoundingRect, MultiPolygon};

use crate::domain::{AnyItem, Camera, CameraStatus, Layer};
use crate::spatial::topology::{AREA_TOLERANCE_M2, area_m2};
use crate::store::{CameraStatusChange, Change};

use super::{Service, ServiceError, ServiceResult, checks};

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
        let seen = snapshot.camera_coverage(&camera).area;
        let grids = served_grids(&snapshot, &seen);
        Ok(CameraHealth {
            since: history.first().map(|c| c.at),
            camera,
            history,
            availability,
            grids,
        })
    }

    /// Sets camera `code`'s status (a report from a device platform or a health monitor); the
    /// store records the change in the camera's history in the same transaction. Reporting the
    /// status it already has changes nothing. The camera is read under the writer lock, so a
    /// report never writes back fields that a concurrent edit of the camera has just changed.
    ///
    /// # Errors
    /// An unknown camera; store failures.
    pub async fn set_camera_status(
        &self,
        code: &str,
        status: CameraStatus,
    ) -> ServiceResult<Camera> {
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        let mut camera = registered(&current, code)?;
        if camera.status == status {
            return Ok(camera);
        }
        camera.status = status;
        let item = AnyItem::Camera(camera.clone());
        let change = Change::Replace(item.clone());
        checks::check_change(&current, &change)?;
        let next = current.with_changes(&[item], &[], None);
        self.commit(&[change], next).await?;
        Ok(camera)
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
