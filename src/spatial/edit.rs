//! Pure geometry of the planner's grid edits: cutting a grid in two along a drawn line
//! ([`split_by_line`]), the union of neighbouring grids ([`union_all`]) and the length of the
//! boundary two grids share ([`shared_edge_m`]).
//!
//! geo 0.33 has boolean operations (i_overlay) but no polygon split, so [`split_by_line`] builds
//! the two sides of the line as polygons and intersects the grid with each. The line is
//! continued straight beyond both ends to a box around grid and line; the side left of the
//! line is closed along the box counter-clockwise, the right side clockwise. Both pieces come
//! from one cut, so they share it and add up to the grid; no buffer is involved.
//!
//! The overlay computes on an integer grid and returns coordinates off by up to about 1e-10°
//! (micrometres). Results are therefore snapped back: every vertex within [`SNAP_DEG`] of an
//! input vertex becomes that vertex again, and the second piece of a split takes the first
//! piece's cut vertices. Untouched corners stay exactly where the planner (and the neighbours)
//! have them, and the two pieces share the cut exactly.
//!
//! Pure: no I/O; `geo` and [`super::measure`] only.
//!
//! # Units
//! Coordinates are WGS84 degrees `[lon, lat]`; lengths are metres and areas square metres, in a
//! [`LocalFrame`] around the shapes.

use geo::line_intersection::{LineIntersection, line_intersection};
use std::collections::HashMap;

use geo::{
    BooleanOps, BoundingRect, Contains, Coord, CoordsIter, Line, LineString, MultiLineString,
    MultiPolygon, Point, Polygon, Rect,
};

use crate::domain::validity::check_area;

use super::measure::LocalFrame;
use super::topology::{AREA_TOLERANCE_M2, area_m2_in};

/// Output vertices this close to an input vertex (about 0.1 mm) are snapped back to it.
pub const SNAP_DEG: f64 = 1e-9;

/// Most positions a split line may have (the self-crossing test is quadratic).
pub const MAX_LINE_VERTICES: usize = 1_000;

/// Two boundaries closer than this are the same line when measuring a shared edge.
pub const EDGE_TOLERANCE_M: f64 = 0.05;

/// Neighbours share at least this much boundary; less (a corner, a sliver) does not count.
pub const MIN_SHARED_EDGE_M: f64 = 1.0;

/// Why a line cannot split a grid in two.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// Too many positions.
    #[error("the line has {0} positions; at most {MAX_LINE_VERTICES} are accepted")]
    TooLong(usize),
    /// An end lies inside the grid: the line does not cross it completely.
    #[error(
        "the line's {end} end [{}, {}] lies inside the grid; a split line must cross the whole grid, from outside to outside",
        .at[0], .at[1]
    )]
    EndsInside {
        /// `first` or `last`.
        end: &'static str,
        /// The position, `[lon, lat]`.
        at: [f64; 2],
    },
    /// The line crosses or doubles back on itself.
    #[error("the line crosses itself")]
    CrossesItself,
    /// Continued straight beyond an end, the line would meet itself.
    #[error(
        "continued straight beyond its {0} end the line would cross itself; end it where it leaves the grid"
    )]
    ExtensionCrosses(&'static str),
    /// Continued straight beyond an end, the line would cut the grid again.
    #[error(
        "continued straight beyond its {0} end the line would cut the grid again; end it where open ground lies straight ahead"
    )]
    ExtensionCuts(&'static str),
    /// The line does not pass through the grid.
    #[error("the line does not cross the grid")]
    Misses,
    /// The line leaves other than two pieces.
    #[error("the line cuts the grid into {0} pieces; a split needs exactly two")]
    Pieces(usize),
    /// One piece would be a sliver.
    #[error(
        "the line leaves a piece of only {0:.1} m²; draw it clear of the grid's corners and edges"
    )]
    Sliver(f64),
}

/// The two pieces of a split: left and right of the line as drawn (looking from its first
/// position towards its last).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The piece left of the line.
    pub left: MultiPolygon,
    /// The piece right of the line.
    pub right: MultiPolygon,
}

/// Which side of the box a point on its boundary lies on, as a perimeter position in `[0, 4)`
/// counter-clockwise from the south-west corner: south 0–1, east 1–2, north 2–3, west 3–4.
fn perimeter_position(rect: &Rect, p: Coord, side: usize) -> f64 {
    let (w, h) = (rect.width(), rect.height());
    match side {
        0 => (p.x - rect.min().x) / w,
        1 => 1.0 + (p.y - rect.min().y) / h,
        2 => 2.0 + (rect.max().x - p.x) / w,
        _ => 3.0 + (rect.max().y - p.y) / h,
    }
}

/// Where the ray from `from` in direction `dir` (not zero) leaves `rect`, which holds `from`
/// strictly inside, and the side it leaves by (0 south, 1 east, 2 north, 3 west).
fn exit_point(rect: &Rect, from: Coord, dir: Coord) -> (Coord, usize) {
    let (min, max) = (rect.min(), rect.max());
    let (t, side) = [
        (dir.x > 0.0).then(|| ((max.x - from.x) / dir.x, 1)),
        (dir.x < 0.0).then(|| ((min.x - from.x) / dir.x, 3)),
        (dir.y > 0.0).then(|| ((max.y - from.y) / dir.y, 2)),
        (dir.y < 0.0).then(|| ((min.y - from.y) / dir.y, 0)),
    ]
    .into_iter()
    .flatten()
    .min_by(|a, b| a.0.total_cmp(&b.0))
    .unwrap_or((0.0, 0));
    let mut p = Coord {
        x: (from.x + t * dir.x).clamp(min.x, max.x),
        y: (from.y + t * dir.y).clamp(min.y, max.y),
    };
    // Exactly on the side, so that the closing walk along the box is exact.
    match side {
        0 => p.y = min.y,
        1 => p.x = max.x,
        2 => p.y = max.y,
        _ => p.x = min.x,
    }
    (p, side)
}

/// The box corners passed walking from perimeter position `from` to `to`, counter-clockwise
/// (`ccw`) or clockwise, ends excluded.
fn corners_between(rect: &Rect, from: f64, to: f64, ccw: bool) -> Vec<Coord> {
    let (min, max) = (rect.min(), rect.max());
    let corners = [
        (0.0, min),
        (1.0, Coord { x: max.x, y: min.y }),
        (2.0, max),
        (3.0, Coord { x: min.x, y: max.y }),
    ];
    let along = |t: f64| {
        if ccw {
            (t - from).rem_euclid(4.0)
        } else {
            (from - t).rem_euclid(4.0)
        }
    };
    let total = along(to);
    let mut passed: Vec<(f64, Coord)> = corners
        .iter()
        .map(|&(t, c)| (along(t), c))
        .filter(|&(d, _)| d > 0.0 && d < total)
        .collect();
    passed.sort_by(|a, b| a.0.total_cmp(&b.0));
    passed.into_iter().map(|(_, c)| c).collect()
}

/// Whether the path has two segments that meet other than at their shared vertex.
fn crosses_itself(path: &[Coord]) -> bool {
    let segments: Vec<Line> = path.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    for (i, a) in segments.iter().enumerate() {
        for (j, b) in segments.iter().enumerate().skip(i + 1) {
            match line_intersection(*a, *b) {
                None => {}
                // Neighbours meet at their shared vertex; anything more is a fold back.
                Some(LineIntersection::SinglePoint { .. }) if j == i + 1 => {}
                Some(LineIntersection::Collinear { intersection })
                    if j == i + 1 && intersection.start == intersection.end => {}
                Some(_) => return true,
            }
        }
    }
    false
}

fn length_m(frame: &LocalFrame, lines: &MultiLineString) -> f64 {
    lines
        .0
        .iter()
        .flat_map(|l| l.0.windows(2))
        .map(|w| {
            let [ax, ay] = frame.project(w[0].x, w[0].y);
            let [bx, by] = frame.project(w[1].x, w[1].y);
            (bx - ax).hypot(by - ay)
        })
        .sum()
}

/// Cuts `area` in two along `line`.
///
/// The line must cross the grid completely: both ends outside it (or on its boundary), no
/// self-crossing, and exactly two pieces of more than [`AREA_TOLERANCE_M2`] each. The ends are
/// continued straight to close the two sides, so that continuation must not cut the grid again.
///
/// # Errors
/// A [`SplitError`] saying which rule the line breaks.
///
/// # Examples
/// ```
/// use geo::{LineString, MultiPolygon, Rect, coord};
/// use safegrid::spatial::edit::split_by_line;
///
/// let grid = MultiPolygon(vec![
///     Rect::new(coord! {x: 120.0, y: 29.0}, coord! {x: 120.02, y: 29.01}).to_polygon(),
/// ]);
/// // North through the middle: the west half is on the line's left.
/// let line = LineString::from(vec![(120.01, 28.99), (120.01, 29.02)]);
/// let split = split_by_line(&grid, &line).expect("crosses");
/// let west = split.left.0[0].exterior().0.iter().map(|c| c.x).fold(f64::MIN, f64::max);
/// assert!((west - 120.01).abs() < 1e-9);
/// ```
pub fn split_by_line(area: &MultiPolygon, line: &LineString) -> Result<Split, SplitError> {
    let mut path: Vec<Coord> = line.0.clone();
    path.dedup();
    if path.len() > MAX_LINE_VERTICES {
        return Err(SplitError::TooLong(path.len()));
    }
    let n = path.len();
    if n < 2 {
        return Err(SplitError::Misses);
    }
    let (first, last) = (path[0], path[n - 1]);
    for (end, p) in [("first", first), ("last", last)] {
        if area.contains(&Point(p)) {
            return Err(SplitError::EndsInside {
                end,
                at: [p.x, p.y],
            });
        }
    }
    if crosses_itself(&path) {
        return Err(SplitError::CrossesItself);
    }
    let Some(rect) = area.bounding_rect() else {
        return Err(SplitError::Misses);
    };
    let frame = LocalFrame::new(rect.center().x, rect.center().y);
    let inside = area.clip(&MultiLineString(vec![LineString(path.clone())]), false);
    if length_m(&frame, &inside) <= 0.0 {
        return Err(SplitError::Misses);
    }

    // A box around grid and line with a margin, so the line lies strictly inside it.
    let mut bounds = rect;
    for p in &path {
        bounds = Rect::new(
            Coord {
                x: bounds.min().x.min(p.x),
                y: bounds.min().y.min(p.y),
            },
            Coord {
                x: bounds.max().x.max(p.x),
                y: bounds.max().y.max(p.y),
            },
        );
    }
    let margin = 0.1 * bounds.width().max(bounds.height()) + 1e-6;
    let bounds = Rect::new(
        Coord {
            x: bounds.min().x - margin,
            y: bounds.min().y - margin,
        },
        Coord {
            x: bounds.max().x + margin,
            y: bounds.max().y + margin,
        },
    );
    let (start, start_side) = exit_point(&bounds, first, first - path[1]);
    let (end, end_side) = exit_point(&bounds, last, last - path[n - 2]);

    let mut cut = Vec::with_capacity(n + 2);
    cut.push(start);
    cut.extend_from_slice(&path);
    cut.push(end);
    if crosses_itself(&cut) {
        let first_end = crosses_itself(&cut[..=n]);
        return Err(SplitError::ExtensionCrosses(if first_end {
            "first"
        } else {
            "last"
        }));
    }
    for (which, ext) in [("first", [start, first]), ("last", [last, end])] {
        let cut_again = area.clip(&MultiLineString(vec![LineString(ext.to_vec())]), false);
        if length_m(&frame, &cut_again) > EDGE_TOLERANCE_M {
            return Err(SplitError::ExtensionCuts(which));
        }
    }

    let t_start = perimeter_position(&bounds, start, start_side);
    let t_end = perimeter_position(&bounds, end, end_side);
    let side = |ccw: bool| {
        let mut ring = cut.clone();
        ring.extend(corners_between(&bounds, t_end, t_start, ccw));
        ring.push(start);
        Polygon::new(LineString(ring), vec![])
    };
    let mut anchors = Anchors::default();
    anchors.add(area.coords_iter().chain(path.iter().copied()));
    anchors.add(crossings(area, &path));
    let left = anchors.snap(area.intersection(&side(true)));
    anchors.add(left.coords_iter());
    let right = anchors.snap(area.intersection(&side(false)));
    let pieces = left.0.len() + right.0.len();
    if left.0.is_empty() || right.0.is_empty() {
        return Err(SplitError::Misses);
    }
    if pieces != 2 {
        return Err(SplitError::Pieces(pieces));
    }
    let smallest = area_m2_in(&left, &frame).min(area_m2_in(&right, &frame));
    if smallest <= AREA_TOLERANCE_M2 {
        return Err(SplitError::Sliver(smallest));
    }
    Ok(Split { left, right })
}

/// The points where the path crosses the boundary of `area`, computed exactly per segment pair,
/// so that the cut's ends are where the line meets the boundary rather than where the overlay's
/// integer grid puts them.
fn crossings(area: &MultiPolygon, path: &[Coord]) -> Vec<Coord> {
    let boundary: Vec<Line> = area
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(LineString::lines)
        .collect();
    let mut out = Vec::new();
    for w in path.windows(2) {
        let cut = Line::new(w[0], w[1]);
        for edge in &boundary {
            if let Some(LineIntersection::SinglePoint { intersection, .. }) =
                line_intersection(cut, *edge)
            {
                out.push(intersection);
            }
        }
    }
    out
}

/// The union of `areas` (empty for none).
///
/// # Examples
/// ```
/// use geo::{MultiPolygon, Rect, coord};
/// use safegrid::spatial::edit::union_all;
///
/// let a = MultiPolygon(vec![Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 1.0, y: 1.0}).to_polygon()]);
/// let b = MultiPolygon(vec![Rect::new(coord! {x: 1.0, y: 0.0}, coord! {x: 2.0, y: 1.0}).to_polygon()]);
/// assert_eq!(union_all(&[&a, &b]).0.len(), 1);
/// ```
#[must_use]
pub fn union_all(areas: &[&MultiPolygon]) -> MultiPolygon {
    let mut anchors = Anchors::default();
    anchors.add(areas.iter().flat_map(|a| a.coords_iter()));
    anchors.snap(
        areas
            .iter()
            .fold(MultiPolygon(Vec::new()), |acc, a| acc.union(*a)),
    )
}

/// Input vertices that overlay results snap back to, hashed by [`SNAP_DEG`] cells.
#[derive(Debug, Default)]
struct Anchors {
    cells: HashMap<(i64, i64), Vec<Coord>>,
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "cells of valid lon/lat degrees (at most 1.8e11 of them) fit an i64"
)]
fn cell_of(c: Coord) -> (i64, i64) {
    (
        (c.x / SNAP_DEG).floor() as i64,
        (c.y / SNAP_DEG).floor() as i64,
    )
}

impl Anchors {
    fn add(&mut self, coords: impl IntoIterator<Item = Coord>) {
        for c in coords {
            self.cells.entry(cell_of(c)).or_default().push(c);
        }
    }

    fn nearest(&self, c: Coord) -> Option<Coord> {
        let (cx, cy) = cell_of(c);
        (cx - 1..=cx + 1)
            .flat_map(|x| (cy - 1..=cy + 1).map(move |y| (x, y)))
            .filter_map(|cell| self.cells.get(&cell))
            .flatten()
            .map(|a| (a, (a.x - c.x).hypot(a.y - c.y)))
            .filter(|(_, d)| *d <= SNAP_DEG)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(a, _)| *a)
    }

    /// `area` with vertices near an anchor moved onto it; `area` unchanged when that would
    /// make it invalid.
    fn snap(&self, area: MultiPolygon) -> MultiPolygon {
        let ring = |r: &LineString| {
            let mut coords: Vec<Coord> =
                r.0.iter().map(|&c| self.nearest(c).unwrap_or(c)).collect();
            coords.dedup();
            LineString(coords)
        };
        let snapped = MultiPolygon(
            area.0
                .iter()
                .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
                .collect(),
        );
        let degenerate = snapped
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .any(|r| r.0.len() < 4);
        if degenerate || check_area(&snapped).is_err() {
            area
        } else {
            snapped
        }
    }
}

/// Boundary segments of `area`, projected into `frame`, metres.
fn segments_m(area: &MultiPolygon, frame: &LocalFrame) -> Vec<[[f64; 2]; 2]> {
    area.0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.0.windows(2))
        .map(|w| [frame.project(w[0].x, w[0].y), frame.project(w[1].x, w[1].y)])
        .collect()
}

/// Length of the boundary `a` and `b` share, metres: the parts of their boundaries within
/// [`EDGE_TOLERANCE_M`] of each other and parallel, so that vertices on one side need not
/// match vertices on the other. Zero for polygons that only touch at a point.
///
/// Quadratic in the vertex counts (grids have hundreds, not millions).
///
/// # Examples
/// ```
/// use geo::{MultiPolygon, Rect, coord};
/// use safegrid::spatial::edit::shared_edge_m;
///
/// let a = MultiPolygon(vec![Rect::new(coord! {x: 120.0, y: 29.0}, coord! {x: 120.01, y: 29.01}).to_polygon()]);
/// let b = MultiPolygon(vec![Rect::new(coord! {x: 120.01, y: 29.0}, coord! {x: 120.02, y: 29.01}).to_polygon()]);
/// let c = MultiPolygon(vec![Rect::new(coord! {x: 120.01, y: 29.01}, coord! {x: 120.02, y: 29.02}).to_polygon()]);
/// assert!((shared_edge_m(&a, &b) - 1108.6).abs() < 1.0); // 0.01° of latitude
/// assert!(shared_edge_m(&a, &c) < 1e-9); // a corner only
/// ```
#[must_use]
pub fn shared_edge_m(a: &MultiPolygon, b: &MultiPolygon) -> f64 {
    let (Some(ra), Some(rb)) = (a.bounding_rect(), b.bounding_rect()) else {
        return 0.0;
    };
    let frame = LocalFrame::new(ra.center().x, ra.center().y);
    let (dlon, dlat) = frame.metres_to_degrees(EDGE_TOLERANCE_M);
    if ra.max().x + dlon < rb.min().x
        || rb.max().x + dlon < ra.min().x
        || ra.max().y + dlat < rb.min().y
        || rb.max().y + dlat < ra.min().y
    {
        return 0.0;
    }
    let tol = EDGE_TOLERANCE_M;
    let sa = segments_m(a, &frame);
    let sb = segments_m(b, &frame);
    let apart = |[p0, p1]: &[[f64; 2]; 2], [q0, q1]: &[[f64; 2]; 2]| {
        p0[0].max(p1[0]) + tol < q0[0].min(q1[0])
            || q0[0].max(q1[0]) + tol < p0[0].min(p1[0])
            || p0[1].max(p1[1]) + tol < q0[1].min(q1[1])
            || q0[1].max(q1[1]) + tol < p0[1].min(p1[1])
    };
    let mut total = 0.0;
    for s in &sa {
        let [p0, p1] = *s;
        let (dx, dy) = (p1[0] - p0[0], p1[1] - p0[1]);
        let len = dx.hypot(dy);
        if len < 1e-9 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        for t in sb.iter().filter(|t| !apart(s, t)) {
            let along = |q: [f64; 2]| (q[0] - p0[0]) * ux + (q[1] - p0[1]) * uy;
            let across = |q: [f64; 2]| ((q[1] - p0[1]) * ux - (q[0] - p0[0]) * uy).abs();
            let [q0, q1] = *t;
            if across(q0) > tol || across(q1) > tol {
                continue;
            }
            let (s0, s1) = (along(q0), along(q1));
            let overlap = s0.max(s1).min(len) - s0.min(s1).max(0.0);
            if overlap > 0.0 {
                total += overlap;
            }
        }
    }
    total
}

/// Twice the area, in square degrees, under which three consecutive vertices count as a
/// straight line or a spike (about 0.001 m² at Dongyang's latitude).
pub const SPIKE_DEG2: f64 = 2e-13;

/// `area` cleaned of what overlays leave behind: parts and holes under
/// [`AREA_TOLERANCE_M2`], repeated vertices, spikes and vertices on a straight line (a vertex
/// whose triangle with its neighbours is under [`SPIKE_DEG2`]); `None` when nothing valid is
/// left.
#[must_use]
pub fn cleaned(area: &MultiPolygon) -> Option<MultiPolygon> {
    let clean = |ring: &LineString| -> Option<LineString> {
        let mut points: Vec<Coord> = ring.0.clone();
        points.pop(); // the closing repeat
        loop {
            let n = points.len();
            if n < 3 {
                return None;
            }
            let drop = (0..n).find(|&i| {
                let (a, v, b) = (points[(i + n - 1) % n], points[i], points[(i + 1) % n]);
                let cross = (v.x - a.x) * (b.y - a.y) - (v.y - a.y) * (b.x - a.x);
                cross.abs() < SPIKE_DEG2
            });
            match drop {
                Some(i) => {
                    points.remove(i);
                }
                None => break,
            }
        }
        points.push(points[0]);
        Some(LineString(points))
    };
    let frame = area
        .bounding_rect()
        .map(|r| LocalFrame::new(r.center().x, r.center().y))?;
    let big = |ring: &LineString| {
        area_m2_in(
            &MultiPolygon(vec![Polygon::new(ring.clone(), vec![])]),
            &frame,
        ) > AREA_TOLERANCE_M2
    };
    let polygons: Vec<Polygon> = area
        .0
        .iter()
        .filter_map(|p| {
            let exterior = clean(p.exterior()).filter(|r| big(r))?;
            let interiors = p
                .interiors()
                .iter()
                .filter_map(|r| clean(r).filter(|r| big(r)))
                .collect();
            Some(Polygon::new(exterior, interiors))
        })
        .collect();
    let out = MultiPolygon(polygons);
    (!out.0.is_empty() && check_area(&out).is_ok()).then_some(out)
}

#[cfg(test)]
mod tests {
    use geo::{Intersects, coord};

    use super::*;
    use crate::spatial::topology::area_m2_in;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon {
        MultiPolygon(vec![
            Rect::new(coord! {x: x0, y: y0}, coord! {x: x1, y: y1}).to_polygon(),
        ])
    }

    fn line(points: &[(f64, f64)]) -> LineString {
        LineString::from(points.to_vec())
    }

    /// A U open to the north: 0..3 × 0..3 without the notch 1..2 × 1..3 (degrees scaled down
    /// to grid size around 120°E 29°N).
    fn u_shape() -> MultiPolygon {
        let p = |x: f64, y: f64| (120.0 + x * 0.001, 29.0 + y * 0.001);
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                p(0.0, 0.0),
                p(3.0, 0.0),
                p(3.0, 3.0),
                p(2.0, 3.0),
                p(2.0, 1.0),
                p(1.0, 1.0),
                p(1.0, 3.0),
                p(0.0, 3.0),
                p(0.0, 0.0),
            ]),
            vec![],
        )])
    }

    fn frame_of(area: &MultiPolygon) -> LocalFrame {
        let c = area.bounding_rect().expect("not empty").center();
        LocalFrame::new(c.x, c.y)
    }

    #[test]
    fn north_south_line_splits_into_west_left_and_east_right_adding_up() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let split =
            split_by_line(&grid, &line(&[(120.03, 28.99), (120.03, 29.11)])).expect("splits");
        let frame = frame_of(&grid);
        let (l, r, whole) = (
            area_m2_in(&split.left, &frame),
            area_m2_in(&split.right, &frame),
            area_m2_in(&grid, &frame),
        );
        assert!((l + r - whole).abs() < 1.0, "{l} + {r} vs {whole}");
        assert!((l / whole - 0.6).abs() < 1e-6, "west is 3/5: {l} / {whole}");
        assert!(split.left.intersects(&Point::new(120.01, 29.05)));
        assert!(split.right.intersects(&Point::new(120.04, 29.05)));
        assert!(!split.left.intersects(&Point::new(120.04, 29.05)));
        // The grid's own corners come back exactly, and both pieces have the same cut.
        let corners: Vec<Coord> = split.left.coords_iter().collect();
        assert!(corners.contains(&coord! {x: 120.0, y: 29.0}), "{corners:?}");
        assert!(corners.contains(&coord! {x: 120.0, y: 29.1}), "{corners:?}");
        let mut cut: Vec<Coord> = corners
            .into_iter()
            .filter(|c| (c.x - 120.03).abs() < 1e-6)
            .collect();
        cut.sort_by(|a, b| a.y.total_cmp(&b.y));
        assert_eq!(
            cut,
            [coord! {x: 120.03, y: 29.0}, coord! {x: 120.03, y: 29.1}],
            "the cut meets the boundary exactly"
        );
        let right: Vec<Coord> = split.right.coords_iter().collect();
        assert!(
            cut.iter().all(|c| right.contains(c)),
            "{cut:?} vs {right:?}"
        );
    }

    #[test]
    fn line_drawn_southwards_swaps_the_sides() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let split =
            split_by_line(&grid, &line(&[(120.03, 29.11), (120.03, 28.99)])).expect("splits");
        assert!(split.left.intersects(&Point::new(120.04, 29.05)));
    }

    #[test]
    fn bent_line_ending_on_the_boundary_splits() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        // Starts exactly on the south edge, bends twice, leaves through the east edge.
        let cut = line(&[
            (120.02, 29.0),
            (120.025, 29.04),
            (120.03, 29.05),
            (120.06, 29.07),
        ]);
        let split = split_by_line(&grid, &cut).expect("splits");
        let frame = frame_of(&grid);
        let sum = area_m2_in(&split.left, &frame) + area_m2_in(&split.right, &frame);
        assert!((sum - area_m2_in(&grid, &frame)).abs() < 1.0);
        assert!(split.left.intersects(&Point::new(120.01, 29.09)));
        assert!(split.right.intersects(&Point::new(120.04, 29.01)));
    }

    #[test]
    fn end_inside_is_refused() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let e = split_by_line(&grid, &line(&[(120.03, 28.99), (120.03, 29.05)])).unwrap_err();
        assert!(
            matches!(e, SplitError::EndsInside { end: "last", .. }),
            "{e}"
        );
        assert!(e.to_string().contains("inside the grid"));
    }

    #[test]
    fn line_beside_the_grid_misses() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let e = split_by_line(&grid, &line(&[(120.06, 28.99), (120.06, 29.11)])).unwrap_err();
        assert_eq!(e, SplitError::Misses);
    }

    #[test]
    fn line_through_both_arms_of_a_u_leaves_three_pieces() {
        let y = 29.0 + 2.0 * 0.001;
        let e = split_by_line(&u_shape(), &line(&[(119.999, y), (120.004, y)])).unwrap_err();
        assert_eq!(e, SplitError::Pieces(3));
    }

    #[test]
    fn line_ending_in_the_notch_would_cut_the_other_arm() {
        let y = 29.0 + 2.0 * 0.001;
        let e = split_by_line(&u_shape(), &line(&[(119.999, y), (120.0015, y)])).unwrap_err();
        assert_eq!(e, SplitError::ExtensionCuts("last"));
    }

    #[test]
    fn self_crossing_line_is_refused() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let cut = line(&[
            (120.01, 28.99),
            (120.04, 29.11),
            (120.04, 29.05),
            (120.0, 29.05),
            (119.99, 29.2),
        ]);
        assert_eq!(split_by_line(&grid, &cut), Err(SplitError::CrossesItself));
    }

    #[test]
    fn cut_across_a_corner_leaves_a_sliver() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        // Cuts off the south-west corner with legs of 1e-5° (about 1 m): about 0.54 m².
        let cut = line(&[(119.99999, 29.00002), (120.00002, 28.99999)]);
        match split_by_line(&grid, &cut) {
            Err(SplitError::Sliver(area)) => assert!((area - 0.54).abs() < 0.01, "{area}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn neighbours_share_their_common_edge_even_with_unmatched_vertices() {
        let a = rect(120.0, 29.0, 120.05, 29.1);
        let b = rect(120.05, 29.0, 120.1, 29.1);
        let frame = frame_of(&a);
        let edge = frame.project(120.05, 29.1)[1] - frame.project(120.05, 29.0)[1];
        assert!((shared_edge_m(&a, &b) - edge).abs() < 1e-6);
        assert!((shared_edge_m(&b, &a) - edge).abs() < 0.01);
        // A neighbour along half the edge, with vertices that A lacks.
        let c = rect(120.05, 29.02, 120.07, 29.07);
        assert!((shared_edge_m(&a, &c) - edge / 2.0).abs() < 1e-6);
    }

    #[test]
    fn corner_touch_and_distance_share_nothing() {
        let a = rect(120.0, 29.0, 120.05, 29.1);
        assert!(shared_edge_m(&a, &rect(120.05, 29.1, 120.1, 29.2)) < 1e-9);
        assert!(shared_edge_m(&a, &rect(120.06, 29.0, 120.1, 29.1)) < 1e-9);
    }

    #[test]
    fn union_of_split_pieces_is_the_grid() {
        let grid = rect(120.0, 29.0, 120.05, 29.1);
        let split =
            split_by_line(&grid, &line(&[(120.03, 28.99), (120.03, 29.11)])).expect("splits");
        let back = union_all(&[&split.left, &split.right]);
        assert_eq!(back.0.len(), 1);
        assert!(
            back.coords_iter().any(|c| c == coord! {x: 120.05, y: 29.1}),
            "corners survive the union exactly: {back:?}"
        );
        let frame = frame_of(&grid);
        assert!((area_m2_in(&back, &frame) - area_m2_in(&grid, &frame)).abs() < 1.0);
        assert!(shared_edge_m(&split.left, &split.right) > 11_000.0);
    }

    #[test]
    fn cleaning_drops_spikes_slivers_and_straight_vertices() {
        // A unit square with a spike 1e-10 wide sticking out of its east edge, a vertex in the
        // middle of its south edge, and a separate sliver part.
        let square = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (0.0005, 0.0),
                (0.001, 0.0),
                (0.001, 0.0005),
                (0.002, 0.0005),
                (0.001, 0.0005 + 1e-10),
                (0.001, 0.001),
                (0.0, 0.001),
                (0.0, 0.0),
            ]),
            vec![],
        );
        let sliver = Polygon::new(
            LineString::from(vec![(0.01, 0.0), (0.011, 0.0), (0.011, 1e-9), (0.01, 0.0)]),
            vec![],
        );
        let clean = cleaned(&MultiPolygon(vec![square, sliver])).expect("a square is left");
        assert_eq!(clean.0.len(), 1);
        assert_eq!(
            clean.0[0].exterior().0.len(),
            5,
            "{:?}",
            clean.0[0].exterior()
        );
        assert_eq!(check_area(&clean), Ok(()));
    }
}
