//! Topological editing, as QGIS does it: when a planner moves, adds or deletes a vertex of a grid,
//! the same edit is carried into the neighbours that share that vertex (or that edge), so that
//! reshaping one grid never opens a gap or an overlap along a boundary it shares.
//!
//! [`vertex_edits`] reads what changed between a grid's old and new boundary as a list of
//! [`VertexEdit`]s, without relying on ring order, start or orientation (a client may return the
//! ring rotated or reversed): a vertex is identified by its position and by its two neighbours
//! on the ring.
//! - **moved**: an old vertex gone whose two ring neighbours are, in the new boundary, the two
//!   neighbours of a new vertex;
//! - **added**: a new vertex between two old vertices that were consecutive (a vertex inserted
//!   on an edge, then dragged or not);
//! - **deleted**: an old vertex gone whose two ring neighbours are now consecutive.
//!
//! Other changes (a redrawn stretch of boundary) are not carried. [`apply_edits`] replays the
//! edits on a neighbour: a moved vertex moves wherever the neighbour has it; an added vertex is
//! added where the neighbour has the same edge; a deleted vertex is deleted where the neighbour
//! has the same three vertices in a row.
//!
//! Pure: no I/O; `geo` only.
//!
//! # Units
//! WGS84 degrees; positions within [`SAME_DEG`] (about 1 mm) are the same vertex.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Positions this close, in degrees on each axis, are the same vertex (about 1 mm).
pub const SAME_DEG: f64 = 1e-8;

/// One vertex edit of a boundary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VertexEdit {
    /// The vertex at `from` now stands at `to`.
    Move { from: Coord, to: Coord },
    /// A vertex `at` was added on the edge between `a` and `b`.
    Add { a: Coord, b: Coord, at: Coord },
    /// The vertex `at` between `a` and `b` was deleted.
    Delete { a: Coord, at: Coord, b: Coord },
}

fn same(p: Coord, q: Coord) -> bool {
    (p.x - q.x).abs() <= SAME_DEG && (p.y - q.y).abs() <= SAME_DEG
}

/// A ring's vertices without the closing repeat, each with its two neighbours.
struct Ring {
    points: Vec<Coord>,
}

impl Ring {
    fn new(ring: &LineString) -> Self {
        let mut points = ring.0.clone();
        if points.len() > 1 && same(points[0], points[points.len() - 1]) {
            points.pop();
        }
        Self { points }
    }

    fn neighbours(&self, i: usize) -> (Coord, Coord) {
        let n = self.points.len();
        (self.points[(i + n - 1) % n], self.points[(i + 1) % n])
    }

    /// Whether `a` and `b` follow each other on the ring (either way round).
    fn consecutive(&self, a: Coord, b: Coord) -> bool {
        let len = self.points.len();
        (0..len).any(|i| same_pair((self.points[i], self.points[(i + 1) % len]), (a, b)))
    }

    fn has(&self, p: Coord) -> bool {
        self.points.iter().any(|q| same(*q, p))
    }
}

fn rings(area: &MultiPolygon) -> Vec<Ring> {
    area.0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(Ring::new)
        .filter(|r| r.points.len() >= 3)
        .collect()
}

fn same_pair(p: (Coord, Coord), q: (Coord, Coord)) -> bool {
    (same(p.0, q.0) && same(p.1, q.1)) || (same(p.0, q.1) && same(p.1, q.0))
}

/// The vertex edits that turn `old` into `new`; see the module documentation.
#[must_use]
pub fn vertex_edits(old: &MultiPolygon, new: &MultiPolygon) -> Vec<VertexEdit> {
    let (old_rings, new_rings) = (rings(old), rings(new));
    let in_new = |p: Coord| new_rings.iter().any(|r| r.has(p));
    let in_old = |p: Coord| old_rings.iter().any(|r| r.has(p));
    // Vertices gone and vertices added, each with its ring neighbours.
    let gone: Vec<(Coord, (Coord, Coord))> = old_rings
        .iter()
        .flat_map(|r| (0..r.points.len()).map(move |i| (r.points[i], r.neighbours(i))))
        .filter(|(p, _)| !in_new(*p))
        .collect();
    let added: Vec<(Coord, (Coord, Coord))> = new_rings
        .iter()
        .flat_map(|r| (0..r.points.len()).map(move |i| (r.points[i], r.neighbours(i))))
        .filter(|(p, _)| !in_old(*p))
        .collect();

    let mut edits = Vec::new();
    let mut used = vec![false; added.len()];
    for (from, around) in &gone {
        if let Some(k) = added
            .iter()
            .enumerate()
            .position(|(k, (_, a))| !used[k] && same_pair(*a, *around))
        {
            used[k] = true;
            edits.push(VertexEdit::Move {
                from: *from,
                to: added[k].0,
            });
        } else if new_rings.iter().any(|r| r.consecutive(around.0, around.1)) {
            edits.push(VertexEdit::Delete {
                a: around.0,
                at: *from,
                b: around.1,
            });
        }
    }
    for (k, (at, (a, b))) in added.iter().enumerate() {
        if !used[k] && old_rings.iter().any(|r| r.consecutive(*a, *b)) {
            edits.push(VertexEdit::Add {
                a: *a,
                b: *b,
                at: *at,
            });
        }
    }
    edits
}

/// `area` with `edits` replayed on the vertices and edges it shares; `None` when it shares
/// none of them.
#[must_use]
pub fn apply_edits(area: &MultiPolygon, edits: &[VertexEdit]) -> Option<MultiPolygon> {
    let mut changed = false;
    let polygons = area
        .0
        .iter()
        .map(|p| {
            let mut edit_ring = |ring: &LineString| {
                let mut points = Ring::new(ring).points;
                for edit in edits {
                    changed |= apply(&mut points, *edit);
                }
                let mut closed = points;
                if let Some(first) = closed.first().copied() {
                    closed.push(first);
                }
                LineString(closed)
            };
            let exterior = edit_ring(p.exterior());
            let interiors = p.interiors().iter().map(&mut edit_ring).collect();
            Polygon::new(exterior, interiors)
        })
        .collect();
    changed.then_some(MultiPolygon(polygons))
}

/// Replays one edit on an open ring; whether it changed anything.
fn apply(points: &mut Vec<Coord>, edit: VertexEdit) -> bool {
    let n = points.len();
    match edit {
        VertexEdit::Move { from, to } => {
            let mut changed = false;
            for p in points.iter_mut().filter(|p| same(**p, from)) {
                *p = to;
                changed = true;
            }
            changed
        }
        VertexEdit::Add { a, b, at } => {
            if points.iter().any(|p| same(*p, at)) {
                return false;
            }
            let Some(i) = (0..n).find(|&i| {
                let (p, q) = (points[i], points[(i + 1) % n]);
                (same(p, a) && same(q, b)) || (same(p, b) && same(q, a))
            }) else {
                return false;
            };
            points.insert(i + 1, at);
            true
        }
        VertexEdit::Delete { a, at, b } => {
            if n <= 3 {
                return false;
            }
            let Some(i) = (0..n).find(|&i| {
                same(points[i], at)
                    && same_pair((points[(i + n - 1) % n], points[(i + 1) % n]), (a, b))
            }) else {
                return false;
            };
            points.remove(i);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    }

    fn with_ring(points: &[(f64, f64)]) -> MultiPolygon {
        let mut v = points.to_vec();
        v.push(points[0]);
        MultiPolygon(vec![Polygon::new(LineString::from(v), vec![])])
    }

    fn c(x: f64, y: f64) -> Coord {
        Coord { x, y }
    }

    #[test]
    fn a_moved_shared_corner_moves_in_the_neighbour() {
        // West square 0..1, east square 1..2; move the shared corner (1, 1) to (1.2, 1).
        let west = square(0.0, 0.0, 1.0, 1.0);
        let east = square(1.0, 0.0, 2.0, 1.0);
        let moved = with_ring(&[(0.0, 0.0), (1.0, 0.0), (1.2, 1.0), (0.0, 1.0)]);
        let edits = vertex_edits(&west, &moved);
        assert_eq!(
            edits,
            [VertexEdit::Move {
                from: c(1.0, 1.0),
                to: c(1.2, 1.0)
            }]
        );
        let east2 = apply_edits(&east, &edits).expect("east shares the corner");
        assert!(east2.0[0].exterior().0.contains(&c(1.2, 1.0)));
        assert!(!east2.0[0].exterior().0.contains(&c(1.0, 1.0)));
        // A grid that does not share it is left alone.
        assert!(apply_edits(&square(5.0, 5.0, 6.0, 6.0), &edits).is_none());
    }

    #[test]
    fn ring_order_start_and_orientation_do_not_matter() {
        let west = square(0.0, 0.0, 1.0, 1.0);
        // The same move, the ring reversed and rotated.
        let moved = with_ring(&[(1.2, 1.0), (1.0, 0.0), (0.0, 0.0), (0.0, 1.0)]);
        assert_eq!(
            vertex_edits(&west, &moved),
            [VertexEdit::Move {
                from: c(1.0, 1.0),
                to: c(1.2, 1.0)
            }]
        );
        // Unchanged apart from rounding below a millimetre: no edit.
        let rounded = with_ring(&[(0.0, 0.0), (1.0 + 1e-10, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        assert!(vertex_edits(&west, &rounded).is_empty());
    }

    #[test]
    fn a_vertex_added_on_a_shared_edge_is_added_to_the_neighbour() {
        use geo::{Area, BooleanOps};
        let west = square(0.0, 0.0, 1.0, 1.0);
        let east = square(1.0, 0.0, 2.0, 1.0);
        // Bend the shared edge x = 1 eastwards at its middle.
        let bent = with_ring(&[(0.0, 0.0), (1.0, 0.0), (1.3, 0.5), (1.0, 1.0), (0.0, 1.0)]);
        let edits = vertex_edits(&west, &bent);
        assert_eq!(
            edits,
            [VertexEdit::Add {
                a: c(1.0, 0.0),
                b: c(1.0, 1.0),
                at: c(1.3, 0.5)
            }]
        );
        let east2 = apply_edits(&east, &edits).expect("east shares the edge");
        assert_eq!(east2.0[0].exterior().0.len(), 6);
        assert!(east2.0[0].exterior().0.contains(&c(1.3, 0.5)));
        // West bent into east, east gave way: together they still cover 0..2 without overlap.
        let union = bent.union(&east2);
        assert!((union.unsigned_area() - 2.0).abs() < 1e-12);
        assert!(bent.intersection(&east2).unsigned_area() < 1e-12);
    }

    #[test]
    fn a_deleted_shared_vertex_is_deleted_in_the_neighbour() {
        // Both squares have the midpoint (1, 0.5) on their shared edge.
        let west = with_ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]);
        let east = with_ring(&[(1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 0.5)]);
        let edits = vertex_edits(&west, &square(0.0, 0.0, 1.0, 1.0));
        assert_eq!(
            edits,
            [VertexEdit::Delete {
                a: c(1.0, 0.0),
                at: c(1.0, 0.5),
                b: c(1.0, 1.0)
            }]
        );
        let east2 = apply_edits(&east, &edits).expect("east had the vertex");
        assert_eq!(east2.0[0].exterior().0.len(), 5);
    }
}
