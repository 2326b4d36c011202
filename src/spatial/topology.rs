//! Topology of grids within their community: overlaps with siblings and gaps left uncovered.
//!
//! Siblings are the grids of the same community at the same level: top-level grids of one
//! village/community, or the micro-grids of one parent grid. Boolean operations run on `geo`
//! (i_overlay), which snaps to a fine integer grid internally, so shared edges computed
//! separately can differ by far less than a millimetre; overlaps and gaps smaller than
//! [`AREA_TOLERANCE_M2`] are therefore ignored.
//!
//! The same computations serve the checks before a write (a 409 names the overlapped grid and
//! the area) and the dry-run check of the planner's map, which also draws them: [`Overlap`] and
//! [`Gap`] keep their geometry beside the area.
//!
//! # Units
//! Areas in square metres, computed in a local tangent plane (see [`super::measure`]).

use geo::{BooleanOps, BoundingRect, Centroid, Coord, Intersects, MultiPolygon};
use serde::Serialize;

use crate::domain::Grid;

use super::locate::grid_at_each;
use super::measure::LocalFrame;
use super::snapshot::Snapshot;

/// Overlaps and gaps below this area are numerical noise, not planning errors.
pub const AREA_TOLERANCE_M2: f64 = 1.0;

/// Area of a (multi)polygon in m², in a [`LocalFrame`] at the centre of its bounding box.
///
/// One frame for every ring of the shape, at its centre rather than at some vertex: the
/// scale error is then second order in the shape's north–south extent (about 1e-7 for a
/// 10 km grid) instead of first order.
///
/// # Examples
/// ```
/// use geo::{MultiPolygon, Rect, coord};
/// use safegrid::spatial::topology::area_m2;
///
/// // 0.01° × 0.01° at 29° N: about 974 m × 1,109 m.
/// let square = Rect::new(coord! {x: 120.0, y: 29.0}, coord! {x: 120.01, y: 29.01});
/// let area = area_m2(&MultiPolygon(vec![square.to_polygon()]));
/// assert!((area - 1.080e6).abs() < 2e3, "{area}");
/// ```
#[must_use]
pub fn area_m2(area: &MultiPolygon) -> f64 {
    match area.bounding_rect() {
        Some(rect) => area_m2_in(area, &LocalFrame::new(rect.center().x, rect.center().y)),
        None => 0.0,
    }
}

/// Area of a (multi)polygon in m², measured in `frame`. Shapes measured in one frame add up
/// exactly: the pieces of a split equal the whole.
#[must_use]
pub fn area_m2_in(area: &MultiPolygon, frame: &LocalFrame) -> f64 {
    let ring = |ring: &geo::LineString| {
        let mut twice = 0.0;
        for w in ring.0.windows(2) {
            let [ax, ay] = frame.project(w[0].x, w[0].y);
            let [bx, by] = frame.project(w[1].x, w[1].y);
            twice += ax * by - bx * ay;
        }
        (twice / 2.0).abs()
    };
    area.0
        .iter()
        .map(|poly| ring(poly.exterior()) - poly.interiors().iter().map(ring).sum::<f64>())
        .sum()
}

/// Rounds an area to 0.1 m² for reports.
fn tenth(area: f64) -> f64 {
    (area * 10.0).round() / 10.0
}

/// A sibling grid that `grid` would overlap.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overlap {
    /// Code of the other grid.
    pub code: String,
    /// Overlapping area, m².
    pub area_m2: f64,
    /// The overlapping part itself (not serialized with the 409; the dry-run check draws it).
    #[serde(skip)]
    pub area: MultiPolygon,
}

/// A part of a community that no grid covers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    /// Area, m².
    pub area_m2: f64,
    /// A point near its middle, `[lon, lat]`.
    pub near: [f64; 2],
    /// The uncovered part itself (not serialized with write reports; the dry-run check draws
    /// it).
    #[serde(skip)]
    pub area: MultiPolygon,
}

fn is_sibling(a: &Grid, b: &Grid) -> bool {
    a.code != b.code && a.community_code() == b.community_code() && a.parent_code == b.parent_code
}

/// Siblings that `grid` overlaps by more than [`AREA_TOLERANCE_M2`], largest first.
#[must_use]
pub fn sibling_overlaps(snapshot: &Snapshot, grid: &Grid) -> Vec<Overlap> {
    sibling_overlaps_ignoring(snapshot, grid, &[])
}

/// As [`sibling_overlaps`], leaving out the grids whose codes are in `ignore`
/// (the grid a candidate would replace).
#[must_use]
pub fn sibling_overlaps_ignoring(
    snapshot: &Snapshot,
    grid: &Grid,
    ignore: &[&str],
) -> Vec<Overlap> {
    let Some(rect) = grid.area.bounding_rect() else {
        return Vec::new();
    };
    let mut out: Vec<Overlap> = snapshot
        .grids
        .intersecting(rect)
        .filter(|other| {
            is_sibling(grid, other)
                && !ignore.contains(&other.code.as_str())
                && other.area.intersects(&grid.area)
        })
        .filter_map(|other| {
            let part = grid.area.intersection(&other.area);
            let area = area_m2(&part);
            (area > AREA_TOLERANCE_M2).then(|| Overlap {
                code: other.code.clone(),
                area_m2: tenth(area),
                area: part,
            })
        })
        .collect();
    out.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    out
}

/// Parts of a community (or of a parent grid, for micro-grids) that its grids leave
/// uncovered, largest first. Empty when the community has no boundary on record.
#[must_use]
pub fn gaps_in(snapshot: &Snapshot, community_code: &str, parent_code: Option<&str>) -> Vec<Gap> {
    gaps_with(snapshot, community_code, parent_code, None, &[])
}

/// As [`gaps_in`], as if `candidate` were saved (replacing the grid of its code)
/// and the grids whose codes are in `removed` were gone: what a write would leave, without
/// building the snapshot after it.
#[must_use]
pub fn gaps_with(
    snapshot: &Snapshot,
    community_code: &str,
    parent_code: Option<&str>,
    candidate: Option<&Grid>,
    removed: &[&str],
) -> Vec<Gap> {
    let container = match parent_code {
        Some(parent) => snapshot.grids.get(parent).map(|g| &g.area),
        None => snapshot.regions.get(community_code).map(|r| &r.area),
    };
    let Some(container) = container else {
        return Vec::new();
    };
    let Some(rect) = container.bounding_rect() else {
        return Vec::new();
    };
    let in_scope =
        |g: &Grid| g.community_code() == community_code && g.parent_code.as_deref() == parent_code;
    let replaced = candidate.map(|c| c.code.as_str());
    let covered = snapshot
        .grids
        .intersecting(rect)
        .filter(|g| {
            in_scope(g) && Some(g.code.as_str()) != replaced && !removed.contains(&g.code.as_str())
        })
        .chain(candidate.filter(|c| in_scope(c)))
        .fold(MultiPolygon(Vec::new()), |acc, g| acc.union(&g.area));
    let mut gaps: Vec<Gap> = container
        .difference(&covered)
        .0
        .into_iter()
        .filter_map(|poly| {
            let part = MultiPolygon(vec![poly]);
            let area = area_m2(&part);
            let c = part.centroid()?;
            (area > AREA_TOLERANCE_M2).then(|| Gap {
                area_m2: tenth(area),
                near: [c.x(), c.y()],
                area: part,
            })
        })
        .collect();
    gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    gaps
}

/// Problems found by a whole-database check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Pairs of sibling grids that overlap: (grid, other, m²).
    pub overlaps: Vec<(String, String, f64)>,
    /// Uncovered parts per community (or parent grid for micro-grids).
    pub gaps: Vec<(String, Gap)>,
    /// Top-level grids with no worker (一格一员 violated).
    pub grids_without_worker: Vec<String>,
    /// Cameras that lie outside every grid.
    pub cameras_outside_grids: Vec<String>,
}

impl CheckReport {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.overlaps.is_empty()
            && self.gaps.is_empty()
            && self.grids_without_worker.is_empty()
            && self.cameras_outside_grids.is_empty()
    }
}

/// Checks every grid and camera.
#[must_use]
pub fn check_all(snapshot: &Snapshot) -> CheckReport {
    let mut report = CheckReport::default();
    let mut scopes: Vec<(String, Option<String>)> = Vec::new();
    for grid in snapshot.grids.iter() {
        for o in sibling_overlaps(snapshot, grid) {
            if grid.code < o.code {
                report.overlaps.push((grid.code.clone(), o.code, o.area_m2));
            }
        }
        let scope = (grid.community_code().to_owned(), grid.parent_code.clone());
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    report.grids_without_worker = snapshot
        .grids_without_worker()
        .map(|g| g.code.clone())
        .collect();
    for (community, parent) in &scopes {
        let label = parent.clone().unwrap_or_else(|| community.clone());
        for gap in gaps_in(snapshot, community, parent.as_deref()) {
            report.gaps.push((label.clone(), gap));
        }
    }
    let places: Vec<Coord> = snapshot.cameras.iter().map(|c| c.location.0).collect();
    report.cameras_outside_grids = snapshot
        .cameras
        .iter()
        .zip(grid_at_each(snapshot, &places))
        .filter(|(_, grid)| grid.is_none())
        .map(|(c, _)| c.code.clone())
        .collect();
    report
}
