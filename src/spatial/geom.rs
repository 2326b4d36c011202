//! Basic geometry helpers shared by the spatial modules and the analyses above them: exact
//! point-in-polygon (PostGIS `ST_Covers` semantics) for location, rasters, visibility and
//! placement, and the point where an area is labelled or pinned ([`label_point`]: tiles,
//! search). Helpers here import nothing of [`super`], so that the feature files
//! ([`super::locate`], [`super::raster`], [`super::visibility`]) can share them without
//! importing each other.
//!
//! # Units
//! Any planar or lon/lat coordinates: the tests are exact comparisons and orientation
//! predicates, with no distances.

use geo::{BoundingRect, Coord, InteriorPoint, MultiPolygon, coordinate_position::CoordPos};

/// Where an area is labelled or pinned: the centre of its box when the area covers it (most
/// grids and villages are near-convex, and one [`covers`] pass is cheap), else an interior
/// point (geo's `InteriorPoint`, several passes over the rings). Depends on the area alone.
#[must_use]
pub fn label_point(area: &MultiPolygon) -> Option<Coord> {
    let centre = area.bounding_rect()?.center();
    if covers(area, centre) {
        Some(centre)
    } else {
        area.interior_point().map(|p| p.0)
    }
}

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

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::{covers, label_point};

    #[test]
    fn label_points_lie_inside_convex_and_concave_areas() {
        let square = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0), (x: 0.0, y: 0.0)
        ]]);
        assert_eq!(label_point(&square), Some(geo::coord! { x: 1.0, y: 1.0 }));
        // A C shape: the centre of its box (2, 2) lies in the notch, outside the area.
        let c = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 1.0), (x: 1.0, y: 1.0),
            (x: 1.0, y: 3.0), (x: 4.0, y: 3.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0), (x: 0.0, y: 0.0)
        ]]);
        assert!(!covers(&c, geo::coord! { x: 2.0, y: 2.0 }));
        let p = label_point(&c).expect("a point");
        assert!(covers(&c, p), "{p:?}");
        assert_eq!(label_point(&MultiPolygon(vec![])), None);
    }
}
