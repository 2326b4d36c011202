//! Partition of a polygon into one cell per seed point: a Voronoi diagram clipped to it.
//!
//! Each seed's cell is the part of the area closer to it (in metres) than to any other seed.
//! This replaces the recursive bisection first planned: with clustered seeds (communities
//! around a town seat amid sparse villages) bisection cuts run right across the sparse parts
//! and leave kilometre-long strips, while Voronoi cells stay compact, small where seeds are
//! dense and large where they are sparse, much as real towns and villages are.
//!
//! The convex Voronoi cell is clipped half-plane by half-plane in lon/lat (the metric weights
//! folded into each half-plane), starting from the area's bounding box and clamped to it, then
//! intersected with the area (geo `BooleanOps`). Because every cell lies inside the area's
//! bounding box, every intersection sees the same extent, so i_overlay snaps all of them to the
//! same integer grid and neighbours' shared edges coincide (a cell reaching beyond the box
//! would shift that grid and open sub-millimetre gaps and overlaps).
//!
//! A non-convex area can leave a cell in several parts. Each cell then keeps the part holding
//! its seed and hands every other part to the sibling it shares the longest edge with; a part
//! with no such sibling stays, and that cell is a MultiPolygon. Parts smaller than
//! [`SLIVER_M2`] (rounding crumbs of the boolean ops) are dropped.
//!
//! Cells come out in seed order, each containing its seed, pairwise disjoint (up to snapping,
//! far below 1 m²) and together covering the area.

use geo::{BooleanOps, BoundingRect, Contains, Coord, LineString, MultiPolygon, Polygon, Rect};

use super::SampleError;
use super::geom::{KY, distance_m, kx, point_segment_m, polygon_area_m2};

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
    voronoi(what, area, seeds, &mut cells)?;
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

/// A half-plane `w·p <= c` in lon/lat coordinates.
#[derive(Debug, Clone, Copy)]
struct HalfPlane {
    wx: f64,
    wy: f64,
    c: f64,
}

impl HalfPlane {
    /// Points at least as close (in metres) to `a` as to `b`, in the frame of `kx`/`ky` metres
    /// per degree around `o` (which keeps the numbers small).
    fn closer_to(a: Coord, b: Coord, o: Coord, kx: f64, ky: f64) -> Self {
        let (ax, ay) = ((a.x - o.x) * kx, (a.y - o.y) * ky);
        let (bx, by) = ((b.x - o.x) * kx, (b.y - o.y) * ky);
        // |m - A|² <= |m - B|²  ⇔  (B - A)·m <= (|B|² - |A|²) / 2, with m = K (p - o).
        let (dx, dy) = (bx - ax, by - ay);
        Self {
            wx: dx * kx,
            wy: dy * ky,
            c: 0.5 * (bx * bx + by * by - ax * ax - ay * ay) + dx * kx * o.x + dy * ky * o.y,
        }
    }

    fn excess(&self, p: Coord) -> f64 {
        self.wx * p.x + self.wy * p.y - self.c
    }
}

/// Clips a convex ring (open: last vertex not repeated) to a half-plane (Sutherland–Hodgman).
fn clip(ring: &[Coord], h: HalfPlane, bbox: Rect) -> Vec<Coord> {
    let mut out = Vec::with_capacity(ring.len() + 1);
    for (i, &a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        let (fa, fb) = (h.excess(a), h.excess(b));
        if fa <= 0.0 {
            out.push(a);
        }
        if (fa < 0.0 && fb > 0.0) || (fa > 0.0 && fb < 0.0) {
            let t = fa / (fa - fb);
            // Clamped so that rounding never carries a vertex outside the box (see the module
            // doc: the box fixes the snapping grid).
            out.push(Coord {
                x: (a.x + t * (b.x - a.x)).clamp(bbox.min().x, bbox.max().x),
                y: (a.y + t * (b.y - a.y)).clamp(bbox.min().y, bbox.max().y),
            });
        }
    }
    out
}

fn voronoi(
    what: &str,
    area: &MultiPolygon,
    seeds: &[Coord],
    cells: &mut [MultiPolygon],
) -> Result<(), SampleError> {
    let Some(bbox) = area.bounding_rect() else {
        return Err(SampleError::Partition(format!("{what}: empty area")));
    };
    if let [_] = seeds {
        cells[0] = area.clone();
        return Ok(());
    }
    for (i, &si) in seeds.iter().enumerate() {
        if let Some(sj) = seeds[..i].iter().find(|&&sj| sj == si) {
            return Err(SampleError::Partition(format!(
                "{what}: two seeds coincide at {sj:?}"
            )));
        }
    }
    let o = bbox.center();
    let k = kx(o.y);
    let (min, max) = (bbox.min(), bbox.max());
    for (i, &si) in seeds.iter().enumerate() {
        let mut ring = vec![
            min,
            Coord { x: max.x, y: min.y },
            max,
            Coord { x: min.x, y: max.y },
        ];
        // Nearest seeds first: they cut the most, so the ring stays small for the rest.
        let mut others: Vec<usize> = (0..seeds.len()).filter(|&j| j != i).collect();
        others.sort_by(|&a, &b| {
            distance_m(si, seeds[a])
                .total_cmp(&distance_m(si, seeds[b]))
                .then(a.cmp(&b))
        });
        for j in others {
            ring = clip(&ring, HalfPlane::closer_to(si, seeds[j], o, k, KY), bbox);
            if ring.len() < 3 {
                break;
            }
        }
        if ring.len() < 3 {
            return Err(SampleError::Partition(format!(
                "{what}: seed {si:?} has an empty cell"
            )));
        }
        ring.push(ring[0]);
        let cell = Polygon::new(LineString(ring), vec![]);
        cells[i] = drop_slivers(area.intersection(&cell));
        if cells[i].0.is_empty() {
            return Err(SampleError::Partition(format!(
                "{what}: seed {si:?} lies outside the area"
            )));
        }
    }
    Ok(())
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
            total += distance_m(a, b);
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
        // A U shape with one seed at the top of the left prong and two in the base: the cell
        // of the prong seed reaches across the gap into the right prong, an orphan part that
        // must go to a base cell.
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
        let seeds = [at(0.005, 0.025), at(0.008, 0.003), at(0.022, 0.003)];
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
