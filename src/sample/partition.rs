//! Partition of a polygon into one cell per seed point, by recursive bisection.
//!
//! The seeds are split in two at the median along the longer axis of their spread (in metres),
//! the area is cut by the line midway between the two median seeds, and each half recurses with
//! its seeds. Every cut is an intersection with two rectangles that share the cut line and whose
//! outer sides are the area's own bounding box: both intersections then see the same extent, so
//! i_overlay snaps them to the same integer grid and the two sides of a cut coincide exactly
//! (a rectangle reaching far beyond the area would coarsen that grid and open sub-millimetre
//! gaps and overlaps between neighbours).
//!
//! A cut can split a non-convex area into several parts. Afterwards each cell keeps the part
//! holding its seed and hands every other part to the sibling it shares the longest edge with;
//! a part with no such sibling stays, and that cell is a MultiPolygon. Parts smaller than
//! [`SLIVER_M2`] (rounding crumbs of the boolean ops) are dropped.
//!
//! Cells come out in seed order, each containing its seed, pairwise disjoint (up to snapping,
//! far below 1 m²) and together covering the area.

use geo::{BooleanOps, BoundingRect, Contains, Coord, MultiPolygon, Polygon, Rect};

use super::SampleError;
use super::geom::{KY, kx, point_segment_m, polygon_area_m2};

/// Parts smaller than this (m²) are rounding crumbs, not territory.
pub const SLIVER_M2: f64 = 1.0;

/// Two edges closer than this (metres) are the same cut line seen from both sides.
const SHARED_EDGE_TOLERANCE_M: f64 = 0.01;

/// Cells of `area`, one per seed, in the order of `seeds`.
///
/// # Errors
/// [`SampleError::Partition`] when two seeds coincide or a seed lies outside `area`
/// (`what` names the area in the message).
pub fn partition(
    what: &str,
    area: &MultiPolygon,
    seeds: &[Coord],
) -> Result<Vec<MultiPolygon>, SampleError> {
    let mut cells = vec![MultiPolygon(Vec::new()); seeds.len()];
    let mut idx: Vec<usize> = (0..seeds.len()).collect();
    bisect(what, area.clone(), &mut idx, seeds, &mut cells)?;
    consolidate(&mut cells, seeds);
    Ok(cells)
}

/// Removes crumbs: polygons (and holes) smaller than [`SLIVER_M2`].
pub fn drop_slivers(mp: MultiPolygon) -> MultiPolygon {
    MultiPolygon(
        mp.0.into_iter()
            .filter(|p| polygon_area_m2(p) >= SLIVER_M2)
            .map(|p| {
                let (ext, holes) = p.into_inner();
                let holes = holes
                    .into_iter()
                    .filter(|h| polygon_area_m2(&Polygon::new(h.clone(), vec![])) >= SLIVER_M2)
                    .collect();
                Polygon::new(ext, holes)
            })
            .collect(),
    )
}

fn bisect(
    what: &str,
    area: MultiPolygon,
    idx: &mut [usize],
    seeds: &[Coord],
    cells: &mut [MultiPolygon],
) -> Result<(), SampleError> {
    match idx {
        [] => return Ok(()),
        [only] => {
            cells[*only] = area;
            return Ok(());
        }
        _ => {}
    }
    let Some(bbox) = area.bounding_rect() else {
        return Err(SampleError::Partition(format!(
            "{what}: a part with {} seeds has no area left (seed outside the area?)",
            idx.len()
        )));
    };
    let (lo, hi) = seed_extent(idx, seeds);
    let spread_x = (hi.x - lo.x) * kx(0.5 * (lo.y + hi.y));
    let spread_y = (hi.y - lo.y) * KY;
    let mid = idx.len() / 2;
    let mut cut = None;
    for along_x in [spread_x >= spread_y, spread_x < spread_y] {
        let key = |c: Coord| if along_x { (c.x, c.y) } else { (c.y, c.x) };
        idx.sort_by(|&a, &b| {
            let (ka, kb) = (key(seeds[a]), key(seeds[b]));
            ka.0.total_cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(a.cmp(&b))
        });
        let (a, b) = (key(seeds[idx[mid - 1]]).0, key(seeds[idx[mid]]).0);
        if a < b {
            cut = Some((along_x, 0.5 * (a + b)));
            break;
        }
    }
    let Some((along_x, at)) = cut else {
        return Err(SampleError::Partition(format!(
            "{what}: two seeds coincide at {:?}",
            seeds[idx[mid]]
        )));
    };
    let (min, max) = (bbox.min(), bbox.max());
    // The seeds lie inside the area, so the cut lies strictly inside its bounding box.
    let (low_rect, high_rect) = if along_x {
        (
            Rect::new(min, Coord { x: at, y: max.y }),
            Rect::new(Coord { x: at, y: min.y }, max),
        )
    } else {
        (
            Rect::new(min, Coord { x: max.x, y: at }),
            Rect::new(Coord { x: min.x, y: at }, max),
        )
    };
    let low = drop_slivers(area.intersection(&low_rect.to_polygon()));
    let high = drop_slivers(area.intersection(&high_rect.to_polygon()));
    drop(area);
    let (left, right) = idx.split_at_mut(mid);
    bisect(what, low, left, seeds, cells)?;
    bisect(what, high, right, seeds, cells)
}

fn seed_extent(idx: &[usize], seeds: &[Coord]) -> (Coord, Coord) {
    let mut lo = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut hi = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    for &i in idx {
        let c = seeds[i];
        lo.x = lo.x.min(c.x);
        lo.y = lo.y.min(c.y);
        hi.x = hi.x.max(c.x);
        hi.y = hi.y.max(c.y);
    }
    (lo, hi)
}

/// Gives each cell a single part where possible (see the module doc).
fn consolidate(cells: &mut [MultiPolygon], seeds: &[Coord]) {
    let mut orphans: Vec<(usize, Polygon)> = Vec::new();
    for (i, cell) in cells.iter_mut().enumerate() {
        if cell.0.len() <= 1 {
            continue;
        }
        let keep = cell
            .0
            .iter()
            .position(|p| p.contains(&seeds[i]))
            .unwrap_or_else(|| largest(&cell.0));
        for (j, part) in std::mem::take(&mut cell.0).into_iter().enumerate() {
            if j == keep {
                cell.0.push(part);
            } else {
                orphans.push((i, part));
            }
        }
    }
    for (from, part) in orphans {
        let Some(part_box) = part.bounding_rect() else {
            continue;
        };
        let mut best: Option<(usize, f64)> = None;
        for (j, cell) in cells.iter().enumerate() {
            if j == from || !cell.bounding_rect().is_some_and(|b| touches(b, part_box)) {
                continue;
            }
            let shared = shared_length_m(&part, cell);
            if shared > 0.0 && best.is_none_or(|(_, s)| shared > s) {
                best = Some((j, shared));
            }
        }
        match best {
            Some((j, _)) => cells[j] = drop_slivers(cells[j].union(&MultiPolygon(vec![part]))),
            None => cells[from].0.push(part),
        }
    }
}

fn largest(parts: &[Polygon]) -> usize {
    parts
        .iter()
        .enumerate()
        .max_by(|a, b| polygon_area_m2(a.1).total_cmp(&polygon_area_m2(b.1)))
        .map_or(0, |(i, _)| i)
}

fn touches(a: Rect, b: Rect) -> bool {
    let eps = 1e-7;
    a.min().x <= b.max().x + eps
        && b.min().x <= a.max().x + eps
        && a.min().y <= b.max().y + eps
        && b.min().y <= a.max().y + eps
}

/// Length (m) of the edges of `part` that run along the boundary of `cell`, judged by edge
/// midpoints: cut lines are straight, so a midpoint on the neighbour's boundary means the
/// whole edge is shared.
fn shared_length_m(part: &Polygon, cell: &MultiPolygon) -> f64 {
    let cell_edges: Vec<(Coord, Coord)> = cell
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let mut total = 0.0;
    for w in part.exterior().0.windows(2) {
        let (a, b) = (w[0], w[1]);
        let m = Coord {
            x: 0.5 * (a.x + b.x),
            y: 0.5 * (a.y + b.y),
        };
        if cell_edges
            .iter()
            .any(|&(p, q)| point_segment_m(m, p, q) < SHARED_EDGE_TOLERANCE_M)
        {
            total += super::geom::distance_m(a, b);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::geom::area_m2;
    use geo::{LineString, polygon};

    #[test]
    fn square_splits_into_cells_holding_their_seeds() {
        let sq: Polygon = polygon![(x: 120.0, y: 29.0), (x: 120.01, y: 29.0), (x: 120.01, y: 29.01), (x: 120.0, y: 29.01)];
        let area = MultiPolygon(vec![sq]);
        let seeds: Vec<Coord> = (0..7)
            .map(|i| Coord {
                x: 120.001 + 0.0012 * f64::from(i),
                y: 29.002 + 0.0009 * f64::from(i * 3 % 7),
            })
            .collect();
        let cells = partition("test", &area, &seeds).unwrap();
        let total: f64 = cells.iter().map(area_m2).sum();
        assert!((total / area_m2(&area) - 1.0).abs() < 1e-6);
        for (c, s) in cells.iter().zip(&seeds) {
            assert!(c.contains(s));
        }
    }

    #[test]
    fn orphan_part_goes_to_a_neighbour() {
        // A U shape: the second (horizontal) cut runs across both prongs, so the upper side
        // holds the left prong (with its seed) and an orphan right prong, which must go to the
        // cell below it.
        let at = |x: f64, y: f64| Coord {
            x: 120.3 + x,
            y: 29.2 + y,
        };
        let u = Polygon::new(
            LineString(vec![
                at(0.0, 0.0),
                at(0.03, 0.0),
                at(0.03, 0.03),
                at(0.02, 0.03),
                at(0.02, 0.01),
                at(0.01, 0.01),
                at(0.01, 0.03),
                at(0.0, 0.03),
                at(0.0, 0.0),
            ]),
            vec![],
        );
        let area = MultiPolygon(vec![u]);
        let seeds = [at(0.015, 0.002), at(0.005, 0.025), at(0.016, 0.004)];
        let cells = partition("u", &area, &seeds).unwrap();
        assert!(cells.iter().all(|c| c.0.len() == 1), "{cells:?}");
        let total: f64 = cells.iter().map(area_m2).sum();
        assert!((total / area_m2(&area) - 1.0).abs() < 1e-6);
        for (c, s) in cells.iter().zip(&seeds) {
            assert!(c.contains(s));
        }
    }

    #[test]
    fn coincident_seeds_are_an_error() {
        let sq: Polygon =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        let s = Coord { x: 0.5, y: 0.5 };
        assert!(partition("dup", &MultiPolygon(vec![sq]), &[s, s]).is_err());
    }
}
