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

use geo::{Coord, Rect};

use crate::domain::Camera;

use super::index::{LayerIndex, Spatial, rect_union};
use super::measure::{LocalFrame, angle_diff_deg};
use super::tiling::{TILE, Tiles, Tiling};

/// Target cell size in metres.
pub const CELL_M: f64 = 40.0;
/// Most cells a raster may have.
const MAX_CELLS: usize = 8_000_000;
/// Angular margin for fixed cameras, in degrees.
const ANGLE_MARGIN_DEG: f64 = 1.0;

/// The raster, in tiles ([`super::tiling`]): per cell, the slots of the cameras that may see
/// into it.
#[derive(Debug, Default)]
pub struct CameraRaster {
    tiles: Tiles<CameraTile>,
}

/// One tile's lists: `offsets[c]..offsets[c + 1]` indexes `cameras` for the tile's cell `c`.
#[derive(Debug)]
struct CameraTile {
    offsets: Vec<u32>,
    /// Camera slots, ascending within a cell.
    cameras: Vec<u32>,
}

impl CameraRaster {
    /// Builds the raster for the camera layer.
    #[must_use]
    pub fn build(cameras: &LayerIndex<Camera>) -> Self {
        let Some(extent) = rect_union(cameras.iter().filter_map(Spatial::envelope)) else {
            return Self::default();
        };
        let tiling = Tiling::over(extent, CELL_M, MAX_CELLS);
        Self {
            tiles: Tiles::build(tiling, |t| build_tile(&tiling, cameras, t)),
        }
    }

    /// The raster after a change of the cameras whose envelopes (before and after the change)
    /// are `changed`: only the tiles they touch are rebuilt. Builds anew when one leaves the
    /// raster's extent.
    #[must_use]
    pub fn patched(&self, cameras: &LayerIndex<Camera>, changed: &[Rect]) -> Self {
        let tiling = self.tiles.tiling;
        match self
            .tiles
            .patched(changed, |t| build_tile(&tiling, cameras, t))
        {
            Some(tiles) => Self { tiles },
            None => Self::build(cameras),
        }
    }

    /// Cameras (slots, ascending) that may see `p`.
    #[must_use]
    pub fn candidates(&self, p: Coord) -> &[u32] {
        let tiling = &self.tiles.tiling;
        let Some((ix, iy)) = tiling.cell_at(p) else {
            return &[];
        };
        let (t, c) = tiling.tile_of(ix, iy);
        let Some(tile) = self.tiles.get(t) else {
            return &[];
        };
        &tile.cameras[tile.offsets[c] as usize..tile.offsets[c + 1] as usize]
    }
}

/// Whether a change from `a` to `b` leaves what the raster holds of a camera as it is: the
/// same place and field of view (a status report changes neither).
#[must_use]
#[expect(clippy::float_cmp, reason = "unchanged means the very same numbers")]
pub fn same_view(a: &Camera, b: &Camera) -> bool {
    a.location == b.location
        && a.azimuth_deg == b.azimuth_deg
        && a.hfov_deg == b.hfov_deg
        && a.range_m == b.range_m
        && a.kind == b.kind
}

/// Builds tile `t` from the cameras whose envelope reaches into it; `None` when none sees it.
fn build_tile(tiling: &Tiling, cameras: &LayerIndex<Camera>, t: usize) -> Option<CameraTile> {
    let (cols, rows) = tiling.cells_of(t);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for slot in cameras.slots_intersecting(tiling.tile_rect(t)) {
        if let Some(camera) = cameras.item(slot) {
            mark_camera(tiling, &cols, &rows, camera, slot, &mut pairs);
        }
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_unstable();
    let mut offsets = vec![0u32; TILE * TILE + 1];
    for &(cell, _) in &pairs {
        offsets[cell as usize + 1] += 1;
    }
    for c in 0..TILE * TILE {
        offsets[c + 1] += offsets[c];
    }
    Some(CameraTile {
        offsets,
        cameras: pairs.into_iter().map(|(_, cam)| cam).collect(),
    })
}

/// Lists `camera` (in `slot`) in the cells of the window `cols` × `rows` it may see into, as
/// (cell inside the tile, slot).
fn mark_camera(
    tiling: &Tiling,
    cols: &std::ops::Range<usize>,
    rows: &std::ops::Range<usize>,
    camera: &Camera,
    slot: u32,
    out: &mut Vec<(u32, u32)>,
) {
    let Some(env) = camera.envelope() else {
        return;
    };
    let c = camera.location.0;
    let frame = LocalFrame::new(c.x, c.y);
    // The tangent plane of the query point differs from the camera's by well under 0.1 %.
    let reach = camera.range_m * 1.002 + 1.0;
    let (c0, c1) = (
        tiling.col_of(env.min().x).max(cols.start),
        tiling.col_of(env.max().x).min(cols.end - 1),
    );
    let (r0, r1) = (
        tiling.row_of(env.min().y).max(rows.start),
        tiling.row_of(env.max().y).min(rows.end - 1),
    );
    for row in r0..=r1 {
        for col in c0..=c1 {
            let x0 = tiling.origin.x + col as f64 * tiling.cell.x;
            let y0 = tiling.origin.y + row as f64 * tiling.cell.y;
            let corners = [
                frame.project(x0, y0),
                frame.project(x0 + tiling.cell.x, y0),
                frame.project(x0 + tiling.cell.x, y0 + tiling.cell.y),
                frame.project(x0, y0 + tiling.cell.y),
            ];
            if !reaches(&corners, reach) {
                continue;
            }
            if !camera.is_panoramic() && !in_view(&corners, camera) {
                continue;
            }
            let local = (row - rows.start) * TILE + (col - cols.start);
            out.push((u32::try_from(local).unwrap_or(u32::MAX), slot));
        }
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
