//! Basic geometry helpers shared by the spatial modules and the analyses above them: exact
//! point-in-polygon (PostGIS `ST_Covers` semantics) for location, rasters, visibility and
//! placement. Helpers here import nothing of [`super`], so that the feature files
//! ([`super::locate`], [`super::raster`], [`super::visibility`]) can share them without
//! importing each other.
//!
//! # Units
//! Any planar or lon/lat coordinates: the tests are exact comparisons and orientation
//! predicates, with no distances.

use geo::{Coord, MultiPolygon, coordinate_position::CoordPos};

/// Whether the closed polygon covers `p` (inside or on its boundary): PostGIS `ST_Covers`.
///
/// A crossing-number test with an exact orientation predicate (geo's `RobustKernel`) for the
/// edges that straddle the point's latitude, and exact comparisons for vertices and horizontal
/// edges, so points on an edge or a vertex are decided exactly. It gives the same answer as
/// `geo`'s `CoordinatePosition` (tested), several times faster on grid-sized polygons.
#[must_use]
pub fn covers(area: &MultiPolygon, p: Coord) -> bool {
    ring_set_position(area, p) != CoordPos::Outside
}

/// Where `p` lies relative to a valid (multi)polygon: inside, on its boundary or outside.
#[must_use]
pub fn ring_set_position(area: &MultiPolygon, p: Coord) -> CoordPos {
    for poly in &area.0 {
        match ring_position(poly.exterior(), p) {
            CoordPos::Outside => {}
            CoordPos::OnBoundary => return CoordPos::OnBoundary,
            CoordPos::Inside => {
                let mut in_hole = false;
                for hole in poly.interiors() {
                    match ring_position(hole, p) {
                        CoordPos::OnBoundary => return CoordPos::OnBoundary,
                        CoordPos::Inside => in_hole = true,
                        CoordPos::Outside => {}
                    }
                }
                if !in_hole {
                    return CoordPos::Inside;
                }
            }
        }
    }
    CoordPos::Outside
}

/// Where `p` lies relative to a closed ring.
#[expect(
    clippy::float_cmp,
    reason = "exact comparisons are the point: a vertex or horizontal edge through p"
)]
fn ring_position(ring: &geo::LineString, p: Coord) -> CoordPos {
    use geo::kernels::{Kernel, Orientation, RobustKernel};
    let mut inside = false;
    for seg in ring.0.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        if a == p {
            return CoordPos::OnBoundary;
        }
        if (a.y > p.y) != (b.y > p.y) {
            match RobustKernel::orient2d(a, b, p) {
                Orientation::Collinear => return CoordPos::OnBoundary,
                // The ray from `p` towards +x crosses the edge when `p` is left of the edge
                // directed upwards.
                o => {
                    if (o == Orientation::CounterClockwise) == (b.y > a.y) {
                        inside = !inside;
                    }
                }
            }
        } else if a.y == p.y && b.y == p.y && (a.x.min(b.x)..=a.x.max(b.x)).contains(&p.x) {
            return CoordPos::OnBoundary;
        }
    }
    if inside {
        CoordPos::Inside
    } else {
        CoordPos::Outside
    }
}
