//! Topology of grids within their community: overlaps with siblings and gaps left uncovered.
//!
//! Siblings are the grids of the same community at the same level: top-level grids of one
//! village/community, or the micro-grids of one parent grid. Boolean operations run on `geo`
//! (i_overlay), which snaps to a fine integer grid internally, so shared edges computed
//! separately can differ by far less than a millimetre; overlaps and gaps smaller than
//! [`AREA_TOLERANCE_M2`] are therefore ignored.
//!
//! # Units
//! Areas in square metres, computed in a local tangent plane (see [`super::measure`]).

use geo::{BooleanOps, BoundingRect, Centroid, Intersects, MultiPolygon};
use serde::Serialize;

use crate::domain::Grid;

use super::measure::ring_area_m2;
use super::snapshot::Snapshot;

/// Overlaps and gaps below this area are numerical noise, not planning errors.
pub const AREA_TOLERANCE_M2: f64 = 1.0;

/// Area of a (multi)polygon in m².
#[must_use]
pub fn area_m2(area: &MultiPolygon) -> f64 {
    area.0
        .iter()
        .map(|poly| {
            ring_area_m2(&poly.exterior().0)
                - poly
                    .interiors()
                    .iter()
                    .map(|r| ring_area_m2(&r.0))
                    .sum::<f64>()
        })
        .sum()
}

/// A sibling grid that `grid` would overlap.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overlap {
    /// Code of the other grid.
    pub code: String,
    /// Overlapping area, m².
    pub area_m2: f64,
}

/// A part of a community that no grid covers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    /// Area, m².
    pub area_m2: f64,
    /// A point near its middle, `[lon, lat]`.
    pub near: [f64; 2],
}

fn is_sibling(a: &Grid, b: &Grid) -> bool {
    a.code != b.code && a.community_code() == b.community_code() && a.parent_code == b.parent_code
}

impl Snapshot {
    /// Siblings that `grid` overlaps by more than [`AREA_TOLERANCE_M2`], largest first.
    #[must_use]
    pub fn sibling_overlaps(&self, grid: &Grid) -> Vec<Overlap> {
        let Some(rect) = grid.area.bounding_rect() else {
            return Vec::new();
        };
        let mut out: Vec<Overlap> = self
            .grids
            .intersecting(rect)
            .filter(|other| is_sibling(grid, other) && other.area.intersects(&grid.area))
            .filter_map(|other| {
                let area = area_m2(&grid.area.intersection(&other.area));
                (area > AREA_TOLERANCE_M2).then(|| Overlap {
                    code: other.code.clone(),
                    area_m2: (area * 10.0).round() / 10.0,
                })
            })
            .collect();
        out.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
        out
    }

    /// Parts of a community (or of a parent grid, for micro-grids) that its grids leave
    /// uncovered, largest first. Empty when the community has no boundary on record.
    #[must_use]
    pub fn gaps_in(&self, community_code: &str, parent_code: Option<&str>) -> Vec<Gap> {
        let container = match parent_code {
            Some(parent) => self.grids.get(parent).map(|g| &g.area),
            None => self.regions.get(community_code).map(|r| &r.area),
        };
        let Some(container) = container else {
            return Vec::new();
        };
        let Some(rect) = container.bounding_rect() else {
            return Vec::new();
        };
        let covered = self
            .grids
            .intersecting(rect)
            .filter(|g| {
                g.community_code() == community_code && g.parent_code.as_deref() == parent_code
            })
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
                    area_m2: (area * 10.0).round() / 10.0,
                    near: [c.x(), c.y()],
                })
            })
            .collect();
        gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
        gaps
    }
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

impl Snapshot {
    /// Checks every grid and camera.
    #[must_use]
    pub fn check_all(&self) -> CheckReport {
        let mut report = CheckReport::default();
        let mut scopes: Vec<(String, Option<String>)> = Vec::new();
        for grid in self.grids.items() {
            for o in self.sibling_overlaps(grid) {
                if grid.code < o.code {
                    report.overlaps.push((grid.code.clone(), o.code, o.area_m2));
                }
            }
            let scope = (grid.community_code().to_owned(), grid.parent_code.clone());
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
            if grid.parent_code.is_none()
                && self.grid_workers.get(&grid.code).is_none_or(Vec::is_empty)
            {
                report.grids_without_worker.push(grid.code.clone());
            }
        }
        for (community, parent) in &scopes {
            let label = parent.clone().unwrap_or_else(|| community.clone());
            for gap in self.gaps_in(community, parent.as_deref()) {
                report.gaps.push((label.clone(), gap));
            }
        }
        report.cameras_outside_grids = self
            .cameras
            .items()
            .iter()
            .filter(|c| self.grid_at(c.location.0).is_none())
            .map(|c| c.code.clone())
            .collect();
        report
    }
}
