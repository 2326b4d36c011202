//! Surveillance cameras (视频点位) and their field of view.

use geo::Point;
use serde::{Deserialize, Serialize};

use super::codes::check_device_code;
use super::geometry::{no_point, parse_point, point_to_geojson};
use super::item::item_fields;
use super::{DomainError, DomainResult, Item, Layer};

/// Longest range accepted for one camera, in metres.
pub const MAX_RANGE_M: f64 = 2_000.0;

/// Fixed (枪机) or pan-tilt-zoom/dome (球机); a PTZ camera covers a full circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CameraKind {
    Fixed,
    Ptz,
}

/// Operating status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    Online,
    Offline,
    Fault,
}

/// A camera: where it stands, where it looks and how far it sees.
///
/// # Units
/// `height_m` and `range_m` in metres; `azimuth_deg` clockwise from north in `[0, 360)`;
/// `hfov_deg` the full horizontal field of view, centred on the azimuth, in `(0, 360]`.
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
    /// Fixed or PTZ.
    pub kind: CameraKind,
    /// Status.
    #[serde(default = "default_status")]
    pub status: CameraStatus,
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
}

impl Item for Camera {
    item_fields!(Layer::Camera, key: code, geometry: location, parse_point, point_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        check_device_code("code", &self.code)?;
        if !(self.azimuth_deg.is_finite() && (0.0..360.0).contains(&self.azimuth_deg)) {
            return Err(DomainError::new(
                "azimuth_deg",
                format!(
                    "{} is outside 0..360 (degrees clockwise from north)",
                    self.azimuth_deg
                ),
            ));
        }
        if !(self.hfov_deg.is_finite() && self.hfov_deg > 0.0 && self.hfov_deg <= 360.0) {
            return Err(DomainError::new(
                "hfov_deg",
                format!("{} must be in (0, 360]", self.hfov_deg),
            ));
        }
        if !(self.range_m.is_finite() && self.range_m > 0.0 && self.range_m <= MAX_RANGE_M) {
            return Err(DomainError::new(
                "range_m",
                format!("{} must be in (0, {MAX_RANGE_M}] metres", self.range_m),
            ));
        }
        if !(self.height_m.is_finite() && (0.0..=300.0).contains(&self.height_m)) {
            return Err(DomainError::new(
                "height_m",
                format!("{} must be in 0..300 metres", self.height_m),
            ));
        }
        Ok(())
    }
}
