//! Surveillance cameras (视频点位) and their field of view.
//!
//! # The coverage model
//! Seen from above, a fixed camera covers a sector: `range_m` from its mount point, `hfov_deg`
//! wide, centred on `azimuth_deg`. A PTZ (dome) camera can be turned to face any way, so it
//! covers the full disc of its range.
//!
//! When the mount height `h`, the downward tilt `t` (below horizontal) and the vertical field of
//! view `v` are all known, a fixed camera's ground footprint is an annulus sector: the ground
//! under the camera is hidden below the lower edge of the view (the blind zone), and the upper
//! edge of the view meets the ground at a finite distance when it points downward:
//!
//! ```text
//!   camera ●──────────────────────────────── horizontal
//!          │╲ ╲  ⟍ upper edge: t − v/2 below horizontal
//!        h │ ╲   ╲    ⟍
//!          │  ╲ lower edge: t + v/2  ⟍
//!   ground ┴───┴──────────────────────────┴────────
//!          0  near        seen           far
//!
//!   near = h / tan(t + v/2)          (0 when t + v/2 ≥ 90°: the view reaches straight down)
//!   far  = h / tan(t − v/2)          (range_m when t − v/2 ≤ 0: the view reaches the horizon)
//!   far  = min(far, range_m)         (beyond range_m nothing is recognisable)
//! ```
//!
//! A point is seen when its horizontal distance `d` from the camera is within `near ≤ d ≤ far`
//! and its bearing is within `hfov_deg / 2` of the azimuth. Without tilt and vertical field of
//! view the footprint is the plain sector `0 ≤ d ≤ range_m`. A PTZ camera ignores tilt and
//! vertical field of view: they describe one preset, while its coverage is everything it can be
//! turned to, the disc `0 ≤ d ≤ range_m`.

use geo::Point;
use serde::{Deserialize, Serialize};

use super::codes::check_device_code;
use super::geometry::{no_point, parse_point, point_to_geojson};
use super::item::item_fields;
use super::names::string_enum;
use super::problem::Unit;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// Longest range accepted for one camera, in metres.
pub const MAX_RANGE_M: f64 = 2_000.0;

/// Fixed (枪机) or pan-tilt-zoom/dome (球机); a PTZ camera covers a full circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CameraKind {
    Fixed,
    Ptz,
}

string_enum!(CameraKind, "kind" {
    Fixed => "fixed",
    Ptz => "ptz",
});

/// Operating status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    Online,
    Offline,
    Fault,
}

string_enum!(CameraStatus, "status" {
    Online => "online",
    Offline => "offline",
    Fault => "fault",
});

/// A camera: where it stands, where it looks and how far it sees.
///
/// # Units
/// `height_m` and `range_m` in metres; `azimuth_deg` clockwise from north in `[0, 360)`;
/// `hfov_deg` the full horizontal field of view, centred on the azimuth, in `(0, 360]`;
/// `tilt_deg` the downward tilt below horizontal in `[0, 90]`; `vfov_deg` the full vertical
/// field of view in `(0, 180]`. See the module doc for the footprint they give.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// GB/T 28181 device code, 20 digits.
    pub code: String,
    /// Display name, e.g. `人民路与中山路口东`.
    #[serde(default)]
    pub name: String,
    /// Mount height above ground.
    #[serde(default = "default_height")]
    pub height_m: f64,
    /// Viewing direction, clockwise from north.
    #[serde(default)]
    pub azimuth_deg: f64,
    /// Horizontal field of view.
    #[serde(default = "default_hfov")]
    pub hfov_deg: f64,
    /// Useful range.
    pub range_m: f64,
    /// Downward tilt of the optical axis below horizontal (given together with `vfov_deg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tilt_deg: Option<f64>,
    /// Vertical field of view (given together with `tilt_deg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vfov_deg: Option<f64>,
    /// Fixed or PTZ.
    pub kind: CameraKind,
    /// Status.
    #[serde(default = "default_status")]
    pub status: CameraStatus,
    /// When the current status was reported (by a device platform's status report); `None`
    /// when it was set by an edit or an import. A report older than this is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Location.
    #[serde(skip, default = "no_point")]
    pub location: Point,
}

fn default_height() -> f64 {
    4.0
}
fn default_hfov() -> f64 {
    90.0
}
fn default_status() -> CameraStatus {
    CameraStatus::Online
}

impl Camera {
    /// Whether the camera sees all around (PTZ or a 360° field of view).
    #[must_use]
    pub fn is_panoramic(&self) -> bool {
        self.kind == CameraKind::Ptz || self.hfov_deg >= 360.0
    }

    /// The radial extent `(near, far)` of the ground footprint, in metres from the camera, by
    /// the model of the module doc: `(0, range_m)` for a PTZ camera or when tilt or vertical
    /// field of view is unknown. `near >= far` means the camera sees no ground within range
    /// (validation refuses such a camera).
    ///
    /// # Units
    /// Metres, horizontal distance on the ground.
    ///
    /// # Examples
    /// ```
    /// use safegrid::domain::{Camera, CameraKind, CameraStatus};
    ///
    /// let mut c = Camera {
    ///     code: "33078300001320000001".into(), name: String::new(), height_m: 10.0,
    ///     azimuth_deg: 0.0, hfov_deg: 60.0, range_m: 100.0, tilt_deg: Some(30.0),
    ///     vfov_deg: Some(30.0), kind: CameraKind::Fixed, status: CameraStatus::Online, status_since: None,
    ///     location: geo::Point::new(120.0, 29.0),
    /// };
    /// let (near, far) = c.ground_span_m();
    /// assert!((near - 10.0).abs() < 1e-9); // 10 / tan 45°
    /// assert!((far - 10.0 / 15f64.to_radians().tan()).abs() < 1e-9); // 37.3 m
    /// c.kind = CameraKind::Ptz;
    /// assert_eq!(c.ground_span_m(), (0.0, 100.0));
    /// ```
    #[must_use]
    pub fn ground_span_m(&self) -> (f64, f64) {
        let (Some(tilt), Some(vfov)) = (self.tilt_deg, self.vfov_deg) else {
            return (0.0, self.range_m);
        };
        if self.kind == CameraKind::Ptz {
            return (0.0, self.range_m);
        }
        let lower = tilt + vfov / 2.0;
        let upper = tilt - vfov / 2.0;
        let near = if lower >= 90.0 {
            0.0
        } else {
            self.height_m / lower.to_radians().tan()
        };
        let far = if upper > 0.0 {
            (self.height_m / upper.to_radians().tan()).min(self.range_m)
        } else {
            self.range_m
        };
        (near.min(self.range_m), far)
    }
}

impl Item for Camera {
    item_fields!(Layer::Camera, key: code, geometry: location, parse_point, point_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        check_device_code("code", &self.code)?;
        if !(self.azimuth_deg.is_finite() && (0.0..360.0).contains(&self.azimuth_deg)) {
            return Err(DomainError::of(
                Problem::out_of_range(0.0..=360.0, Unit::Degrees),
                "azimuth_deg",
                format!(
                    "{} is outside 0..360 (degrees clockwise from north)",
                    self.azimuth_deg
                ),
            ));
        }
        if !(self.hfov_deg.is_finite() && self.hfov_deg > 0.0 && self.hfov_deg <= 360.0) {
            return Err(DomainError::of(
                Problem::out_of_range(0.0..=360.0, Unit::Degrees),
                "hfov_deg",
                format!("{} must be in (0, 360]", self.hfov_deg),
            ));
        }
        if !(self.range_m.is_finite() && self.range_m > 0.0 && self.range_m <= MAX_RANGE_M) {
            return Err(DomainError::of(
                Problem::out_of_range(0.0..=MAX_RANGE_M, Unit::Metres),
                "range_m",
                format!("{} must be in (0, {MAX_RANGE_M}] metres", self.range_m),
            ));
        }
        if !(self.height_m.is_finite() && (0.0..=300.0).contains(&self.height_m)) {
            return Err(DomainError::of(
                Problem::out_of_range(0.0..=300.0, Unit::Metres),
                "height_m",
                format!("{} must be in 0..300 metres", self.height_m),
            ));
        }
        self.validate_tilt()
    }
}

impl Camera {
    fn validate_tilt(&self) -> DomainResult<()> {
        match (self.tilt_deg, self.vfov_deg) {
            (None, None) => return Ok(()),
            (Some(_), None) => {
                return Err(DomainError::of(
                    Problem::Missing,
                    "vfov_deg",
                    "tilt_deg needs vfov_deg (the vertical field of view) to place the ground footprint",
                ));
            }
            (None, Some(_)) => {
                return Err(DomainError::of(
                    Problem::Missing,
                    "tilt_deg",
                    "vfov_deg needs tilt_deg (degrees below horizontal) to place the ground footprint",
                ));
            }
            (Some(tilt), Some(vfov)) => {
                if !(tilt.is_finite() && (0.0..=90.0).contains(&tilt)) {
                    return Err(DomainError::of(
                        Problem::out_of_range(0.0..=90.0, Unit::Degrees),
                        "tilt_deg",
                        format!("{tilt} must be in 0..90 (degrees below horizontal)"),
                    ));
                }
                if !(vfov.is_finite() && vfov > 0.0 && vfov <= 180.0) {
                    return Err(DomainError::of(
                        Problem::out_of_range(0.0..=180.0, Unit::Degrees),
                        "vfov_deg",
                        format!("{vfov} must be in (0, 180] degrees"),
                    ));
                }
            }
        }
        let (near, far) = self.ground_span_m();
        if near >= far {
            return Err(DomainError::new(
                "tilt_deg",
                format!(
                    "mounted {} m high, tilted {}° down with a {}° vertical view, the camera sees the ground from {near:.1} m to {far:.1} m: nothing within range_m {} (tilt it further down or raise range_m)",
                    self.height_m,
                    self.tilt_deg.unwrap_or_default(),
                    self.vfov_deg.unwrap_or_default(),
                    self.range_m
                ),
            ));
        }
        Ok(())
    }
}
