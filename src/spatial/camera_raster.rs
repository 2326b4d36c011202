//! An accelerator for point → cameras: a raster whose cells list the cameras whose field of view
//! may reach into the cell. A point costs one array read plus an exact sector test per listed
//! camera, instead of an R-tree walk; most of a city is seen by no camera at all.
//!
//! The lists are conservative, never missing a camera: a cell is listed for a camera when the
//! cell's nearest point is within the camera's range (plus a margin for the tangent-plane
//! approximation) and, for a fixed camera, when the angles under which the camera sees the cell
//! can meet its field of view (plus a margin). The exact test in
//! [`super::locate::camera_sees_in`] decides.
//!
//! # Units
//! WGS84 degrees; [`CELL_M`] and ranges in metres; angles in degrees clockwise from north.

use geo::Coord;

use crate::domain::Camera;

use super::index::{Spatial, rect_union};
use super::measure::{LocalFrame, angle_diff_deg};
use super::raster::{BlockMask, to_index};

/// Target cell size in metres.
pub const CELL_M: f64 = 40.0;
/// Most cells a raster may have.
const MAX_CELLS: usize = 8_000_000;
/// Angular margin for fixed cameras, in degrees.
const ANGLE_MARGIN_DEG: f64 = 1.0;

/// The raster: per cell, a slice of `cameras` given by `offsets`.
#[derive(Debug, Default)]
pub struct CameraRaster {
    origin: Coord,
    cell: Coord,
    nx: usize,
    ny: usize,
    /// `offsets[c]..offsets[c + 1]` indexes `cameras` for cell `c`.
    offsets: Vec<u32>,
    /// Camera indices (into the camera layer's items), ascending within a cell.
    cameras: Vec<u32>,
    /// Which blocks of cells any camera may see into.
    blocks: BlockMask,
}

impl CameraRaster {
    /// Builds the raster for `cameras` (the camera layer's items).
    #[must_use]
    pub fn build(cameras: &[Camera]) -> Self {
        let Some(extent) = rect_union(cameras.iter().filter_map(Spatial::envelope)) else {
            return Self::default();
        };
        let centre = extent.center();
        let (mut dx, mut dy) = LocalFrame::new(centre.x, centre.y).metres_to_degrees(CELL_M);
        let too_many =
            (extent.width() / dx).ceil() * (extent.height() / dy).ceil() / MAX_CELLS as f64;
        if too_many > 1.0 {
            dx *= too_many.sqrt();
            dy *= too_many.sqrt();
        }
        let nx = to_index((extent.width() / dx).ceil()) + 1;
        let ny = to_index((extent.height() / dy).ceil()) + 1;
        let mut raster = Self {
            origin: extent.min(),
            cell: Coord { x: dx, y: dy },
            nx,
            ny,
            offsets: Vec::new(),
            cameras: Vec::new(),
            blocks: BlockMask::default(),
        };
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (ci, camera) in cameras.iter().enumerate() {
            let ci = u32::try_from(ci).unwrap_or(u32::MAX);
            raster.mark_camera(camera, ci, &mut pairs);
        }
        pairs.sort_unstable();
        let mut offsets = vec![0u32; nx * ny + 1];
        for &(cell, _) in &pairs {
            offsets[cell as usize + 1] += 1;
        }
        for c in 0..nx * ny {
            offsets[c + 1] += offsets[c];
        }
        raster.blocks = BlockMask::build(nx, ny, |c| offsets[c] != offsets[c + 1]);
        raster.offsets = offsets;
        raster.cameras = pairs.into_iter().map(|(_, cam)| cam).collect();
        raster
    }

    fn mark_camera(&self, camera: &Camera, ci: u32, out: &mut Vec<(u32, u32)>) {
        let Some(env) = camera.envelope() else {
            return;
        };
        let c = camera.location.0;
        let frame = LocalFrame::new(c.x, c.y);
        // The tangent plane of the query point differs from the camera's by well under 0.1 %.
        let reach = camera.range_m * 1.002 + 1.0;
        let (c0, c1) = (self.col_of(env.min().x), self.col_of(env.max().x));
        let (r0, r1) = (self.row_of(env.min().y), self.row_of(env.max().y));
        for row in r0..=r1 {
            for col in c0..=c1 {
                let x0 = self.origin.x + col as f64 * self.cell.x;
                let y0 = self.origin.y + row as f64 * self.cell.y;
                let corners = [
                    frame.project(x0, y0),
                    frame.project(x0 + self.cell.x, y0),
                    frame.project(x0 + self.cell.x, y0 + self.cell.y),
                    frame.project(x0, y0 + self.cell.y),
                ];
                if !reaches(&corners, reach) {
                    continue;
                }
                if !camera.is_panoramic() && !in_view(&corners, camera) {
                    continue;
                }
                out.push((u32::try_from(row * self.nx + col).unwrap_or(u32::MAX), ci));
            }
        }
    }

    fn col_of(&self, x: f64) -> usize {
        to_index(((x - self.origin.x) / self.cell.x).floor()).min(self.nx - 1)
    }

    fn row_of(&self, y: f64) -> usize {
        to_index(((y - self.origin.y) / self.cell.y).floor()).min(self.ny - 1)
    }

    /// Cameras (item indices, ascending) that may see `p`.
    #[must_use]
    pub fn candidates(&self, p: Coord) -> &[u32] {
        let fx = (p.x - self.origin.x) / self.cell.x;
        let fy = (p.y - self.origin.y) / self.cell.y;
        if self.offsets.is_empty() || !(fx >= 0.0 && fy >= 0.0) {
            return &[];
        }
        let (ix, iy) = (to_index(fx), to_index(fy));
        if ix >= self.nx || iy >= self.ny || !self.blocks.occupied(ix, iy) {
            return &[];
        }
        let c = iy * self.nx + ix;
        &self.cameras[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// The bounding box `[xmin, xmax, ymin, ymax]` of a cell's corners, in metres around the camera.
fn bounds(corners: &[[f64; 2]; 4]) -> [f64; 4] {
    corners.iter().fold(
        [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ],
        |[x0, x1, y0, y1], c| [x0.min(c[0]), x1.max(c[0]), y0.min(c[1]), y1.max(c[1])],
    )
}

/// Distance from 0 to the interval `[lo, hi]`.
fn gap_to_origin(lo: f64, hi: f64) -> f64 {
    if lo > 0.0 {
        lo
    } else if hi < 0.0 {
        -hi
    } else {
        0.0
    }
}

/// Whether the cell (corners in metres around the camera at the origin) comes within `reach`.
fn reaches(corners: &[[f64; 2]; 4], reach: f64) -> bool {
    let [xmin, xmax, ymin, ymax] = bounds(corners);
    let (dx, dy) = (gap_to_origin(xmin, xmax), gap_to_origin(ymin, ymax));
    dx * dx + dy * dy <= reach * reach
}

/// Whether any direction from the camera into the cell lies within its field of view.
fn in_view(corners: &[[f64; 2]; 4], camera: &Camera) -> bool {
    let [xmin, xmax, ymin, ymax] = bounds(corners);
    // A cell holding (or touching) the camera is seen in every direction.
    if xmin <= 0.0 && xmax >= 0.0 && ymin <= 0.0 && ymax >= 0.0 {
        return true;
    }
    let bearing = |c: &[f64; 2]| c[0].atan2(c[1]).to_degrees().rem_euclid(360.0);
    let centre = bearing(&[f64::midpoint(xmin, xmax), f64::midpoint(ymin, ymax)]);
    // A cell not holding the camera spans less than 180° as seen from it.
    let half_span = corners
        .iter()
        .map(|c| angle_diff_deg(bearing(c), centre))
        .fold(0.0, f64::max);
    angle_diff_deg(centre, camera.azimuth_deg)
        <= camera.hfov_deg / 2.0 + half_span + ANGLE_MARGIN_DEG
}
