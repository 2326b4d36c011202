//! One feature's geometry in one tile: lon/lat projected into tile coordinates, clipped to the
//! buffered tile, snapped to the integer grid and simplified, rings wound as MVT 2.1 asks, and
//! handed to the command writer: steps 2–5 of the pipeline in the [`tiles`](super) doc, which
//! says what each step keeps and drops.
//!
//! Imports [`super::id`] (the projection and the tile's size) and [`super::mvt`] (the command
//! writer it fills); only [`super::layers`] imports it.
//!
//! # Units
//! Tile coordinates: 1/[`EXTENT`] of a tile side, origin at the top-left corner, y down; the
//! clip box reaches [`BUFFER`] units beyond each edge.

use geo::{Coord, LineString, MultiPolygon};

use super::id::{BUFFER, EXTENT, Projector};
use super::mvt::GeomWriter;

/// The clip box `[LO, HI]²` in tile coordinates: `-BUFFER` and `EXTENT + BUFFER` (`as`,
/// because `f64::from` is not const; both are exact).
const LO: f64 = -(BUFFER as f64);
const HI: f64 = (EXTENT + BUFFER) as f64;

/// Where a ring's box lies against the clip box.
#[derive(Debug, PartialEq)]
enum Overlap {
    Inside,
    Outside,
    Partial,
}

fn overlap(points: &[[f64; 2]]) -> Overlap {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points {
        for a in 0..2 {
            min[a] = min[a].min(p[a]);
            max[a] = max[a].max(p[a]);
        }
    }
    if min[0] > HI || min[1] > HI || max[0] < LO || max[1] < LO {
        Overlap::Outside
    } else if min[0] >= LO && min[1] >= LO && max[0] <= HI && max[1] <= HI {
        Overlap::Inside
    } else {
        Overlap::Partial
    }
}

/// The point where segment `a`–`b` crosses `p[axis] == bound`.
fn crossing(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    p[axis] = bound;
    p
}

/// One Sutherland–Hodgman pass: keeps the part of the open ring `input` on the inner side of
/// `p[axis] == bound` (`>=` when `keep_above`, else `<=`).
fn clip_pass(
    input: &[[f64; 2]],
    out: &mut Vec<[f64; 2]>,
    axis: usize,
    bound: f64,
    keep_above: bool,
) {
    out.clear();
    let inside = |p: &[f64; 2]| {
        if keep_above {
            p[axis] >= bound
        } else {
            p[axis] <= bound
        }
    };
    let Some(&last) = input.last() else { return };
    let mut prev = last;
    for &cur in input {
        match (inside(&prev), inside(&cur)) {
            (true, true) => out.push(cur),
            (false, true) => {
                out.push(crossing(prev, cur, axis, bound));
                out.push(cur);
            }
            (true, false) => out.push(crossing(prev, cur, axis, bound)),
            (false, false) => {}
        }
        prev = cur;
    }
}

/// Clips the open ring in `ring` to the clip box, in place (`tmp` is scratch space).
/// Sutherland–Hodgman: exact for convex clip windows; a concave ring may come back with
/// zero-width bridges along the box edge, which snapping removes.
fn clip_ring(ring: &mut Vec<[f64; 2]>, tmp: &mut Vec<[f64; 2]>) {
    for (axis, bound, keep_above) in [(0, LO, true), (0, HI, false), (1, LO, true), (1, HI, false)]
    {
        clip_pass(ring, tmp, axis, bound, keep_above);
        std::mem::swap(ring, tmp);
        if ring.is_empty() {
            return;
        }
    }
}

/// Liang–Barsky: the part of segment `a`–`b` inside the clip box, as parameters `t0 <= t1`.
fn clip_segment(a: [f64; 2], b: [f64; 2]) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for axis in 0..2 {
        let d = b[axis] - a[axis];
        for (p, q) in [(-d, a[axis] - LO), (d, HI - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    if r > t1 {
                        return None;
                    }
                    t0 = t0.max(r);
                } else {
                    if r < t0 {
                        return None;
                    }
                    t1 = t1.min(r);
                }
            }
        }
    }
    Some((t0, t1))
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

/// Clips a polyline to the clip box; each run inside becomes one part.
fn clip_line(points: &[[f64; 2]]) -> Vec<Vec<[f64; 2]>> {
    let mut parts: Vec<Vec<[f64; 2]>> = Vec::new();
    // Whether the previous segment ended inside the box (so the next one continues its part).
    let mut open = false;
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some((t0, t1)) = clip_segment(a, b) else {
            open = false;
            continue;
        };
        let end = if t1 >= 1.0 { b } else { lerp(a, b, t1) };
        match parts.last_mut() {
            Some(part) if open && t0 <= 0.0 => part.push(end),
            _ => {
                let start = if t0 <= 0.0 { a } else { lerp(a, b, t0) };
                parts.push(vec![start, end]);
            }
        }
        open = t1 >= 1.0;
    }
    parts
}

/// A tile coordinate rounded to the integer grid.
pub(super) fn snap(p: [f64; 2]) -> [i32; 2] {
    // After clipping every coordinate lies in [LO, HI]; the clamp only guards the cast.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "clamped far inside the i32 range"
    )]
    let s = |v: f64| v.round().clamp(-1e9, 1e9) as i32;
    [s(p[0]), s(p[1])]
}

/// Twice the signed area of the triangle `a b c` (zero when collinear).
fn cross(a: [i32; 2], b: [i32; 2], c: [i32; 2]) -> i64 {
    let (abx, aby) = (i64::from(b[0] - a[0]), i64::from(b[1] - a[1]));
    let (acx, acy) = (i64::from(c[0] - a[0]), i64::from(c[1] - a[1]));
    abx * acy - aby * acx
}

/// Snaps an open ring and drops repeated and collinear vertices (spikes too), wrapping around
/// the ring's start. Leaves fewer than 3 vertices when nothing with an area is left.
fn snap_ring(ring: &[[f64; 2]], out: &mut Vec<[i32; 2]>) {
    out.clear();
    for &p in ring {
        let p = snap(p);
        loop {
            let n = out.len();
            if n >= 1 && out[n - 1] == p {
                break;
            }
            if n >= 2 && cross(out[n - 2], out[n - 1], p) == 0 {
                out.pop();
                continue;
            }
            out.push(p);
            break;
        }
    }
    loop {
        let n = out.len();
        if n < 3 {
            return;
        }
        if out[n - 1] == out[0] || cross(out[n - 2], out[n - 1], out[0]) == 0 {
            out.pop();
        } else if cross(out[n - 1], out[0], out[1]) == 0 {
            out.remove(0);
        } else {
            return;
        }
    }
}

/// Snaps a polyline and drops repeated vertices (a route that doubles back keeps its shape).
fn snap_line(line: &[[f64; 2]], out: &mut Vec<[i32; 2]>) {
    out.clear();
    for &p in line {
        let p = snap(p);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
}

/// Twice the signed area of an open ring by the surveyor's formula, in tile coordinates: positive
/// for an MVT exterior ring (clockwise on screen, y down).
fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let Some(&last) = ring.last() else { return 0 };
    let mut prev = last;
    let mut sum = 0i64;
    for &p in ring {
        sum += i64::from(prev[0]) * i64::from(p[1]) - i64::from(p[0]) * i64::from(prev[1]);
        prev = p;
    }
    sum
}

/// Reusable buffers for one layer's geometry work.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    ring: Vec<[f64; 2]>,
    tmp: Vec<[f64; 2]>,
    snapped: Vec<[i32; 2]>,
}

/// Projects, clips and snaps one ring; `Some(snapped ring)` when an area is left, wound with
/// the sign `exterior` asks for.
fn prepare_ring<'s>(
    ring: &LineString,
    proj: Projector,
    exterior: bool,
    s: &'s mut Scratch,
) -> Option<&'s [[i32; 2]]> {
    let coords = &ring.0;
    // Rings are stored closed; clipping and encoding work on open rings.
    let open = match coords.as_slice() {
        [first, .., last] if first == last => &coords[..coords.len() - 1],
        all => all,
    };
    s.ring.clear();
    s.ring.extend(open.iter().map(|c| proj.project(*c)));
    match overlap(&s.ring) {
        Overlap::Outside => return None,
        Overlap::Partial => clip_ring(&mut s.ring, &mut s.tmp),
        Overlap::Inside => {}
    }
    snap_ring(&s.ring, &mut s.snapped);
    if s.snapped.len() < 3 {
        return None;
    }
    let area = ring_area2(&s.snapped);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        s.snapped.reverse();
    }
    Some(&s.snapped)
}

pub(super) fn encode_area(
    area: &MultiPolygon,
    proj: Projector,
    s: &mut Scratch,
    g: &mut GeomWriter,
) {
    for polygon in &area.0 {
        let Some(exterior) = prepare_ring(polygon.exterior(), proj, true, s) else {
            continue;
        };
        g.ring(exterior);
        for hole in polygon.interiors() {
            if let Some(hole) = prepare_ring(hole, proj, false, s) {
                g.ring(hole);
            }
        }
    }
}

pub(super) fn encode_line(line: &LineString, proj: Projector, s: &mut Scratch, g: &mut GeomWriter) {
    s.ring.clear();
    s.ring.extend(line.0.iter().map(|c| proj.project(*c)));
    let parts = match overlap(&s.ring) {
        Overlap::Outside => return,
        Overlap::Inside => vec![std::mem::take(&mut s.ring)],
        Overlap::Partial => clip_line(&s.ring),
    };
    for part in &parts {
        snap_line(part, &mut s.snapped);
        if s.snapped.len() >= 2 {
            g.line(&s.snapped);
        }
    }
}

pub(super) fn encode_point(c: Coord, proj: Projector, g: &mut GeomWriter) {
    let p = proj.project(c);
    if (LO..=HI).contains(&p[0]) && (LO..=HI).contains(&p[1]) {
        g.points(&[snap(p)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::id::TileId;

    #[test]
    fn spec_polygon_example_is_an_exterior_ring() {
        // §4.3.5.3: (3,6) (8,12) (20,34) is the spec's example polygon: its area is positive.
        assert_eq!(ring_area2(&[[3, 6], [8, 12], [20, 34]]), 38);
        // Clockwise on screen (y down): right along the top, then down: positive.
        assert!(ring_area2(&[[0, 0], [10, 0], [10, 10], [0, 10]]) > 0);
    }

    #[test]
    fn rings_are_wound_exterior_positive_whatever_the_input() {
        let tile = TileId::new(0, 0, 0).expect("valid");
        let proj = Projector::new(tile);
        // Counter-clockwise in lon/lat (the GeoJSON rule), and clockwise.
        let ccw = LineString::from(vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]);
        let mut cw = ccw.clone();
        cw.0.reverse();
        let mut s = Scratch::default();
        for ring in [&ccw, &cw] {
            let ext = prepare_ring(ring, proj, true, &mut s)
                .expect("kept")
                .to_vec();
            assert!(ring_area2(&ext) > 0, "{ext:?}");
            let hole = prepare_ring(ring, proj, false, &mut s)
                .expect("kept")
                .to_vec();
            assert!(ring_area2(&hole) < 0, "{hole:?}");
        }
    }

    #[test]
    fn square_is_clipped_to_the_buffered_tile() {
        // A square from (-1000, 1000) to (2000, 5000) in tile units: cut at x = -64 and
        // y = 4160.
        let mut ring = vec![
            [-1000.0, 1000.0],
            [2000.0, 1000.0],
            [2000.0, 5000.0],
            [-1000.0, 5000.0],
        ];
        let mut tmp = Vec::new();
        clip_ring(&mut ring, &mut tmp);
        let mut snapped = Vec::new();
        snap_ring(&ring, &mut snapped);
        let mut got = snapped.clone();
        got.sort_unstable();
        assert_eq!(got, [[-64, 1000], [-64, 4160], [2000, 1000], [2000, 4160]]);
        assert_eq!(ring_area2(&snapped).abs(), 2 * 2064 * 3160);
    }

    #[test]
    fn ring_wholly_outside_is_dropped_and_a_larger_one_is_cut_at_the_buffer() {
        // Tile (1, 0, 0) is the north-west quarter: lon -180..0, lat 0..85.
        let tile = TileId::new(1, 0, 0).expect("valid");
        let proj = Projector::new(tile);
        let mut s = Scratch::default();
        let far = LineString::from(vec![
            (10.0, -10.0),
            (20.0, -10.0),
            (20.0, -20.0),
            (10.0, -10.0),
        ]);
        assert!(prepare_ring(&far, proj, true, &mut s).is_none());
        // lon -179..179, lat -80..80: the west and north edges fall inside the tile, the east
        // and south ones are cut at the buffer.
        let big = LineString::from(vec![
            (-179.0, -80.0),
            (179.0, -80.0),
            (179.0, 80.0),
            (-179.0, 80.0),
            (-179.0, -80.0),
        ]);
        let mut got = prepare_ring(&big, proj, true, &mut s)
            .expect("kept")
            .to_vec();
        assert!(ring_area2(&got) > 0);
        let nw = snap(proj.project(Coord { x: -179.0, y: 80.0 }));
        assert_eq!(nw, [23, 920]);
        got.sort_unstable();
        assert_eq!(got, [[23, 920], [23, 4160], [4160, 920], [4160, 4160]]);
    }

    #[test]
    fn concave_ring_clipped_keeps_its_area_inside() {
        // A U shape whose two arms leave the box at the top: the clipped area is the area of
        // the U inside the box (the bridge along the edge has no width).
        let u = [
            [100.0, 300.0],
            [100.0, -500.0],
            [200.0, -500.0],
            [200.0, 200.0],
            [300.0, 200.0],
            [300.0, -500.0],
            [400.0, -500.0],
            [400.0, 300.0],
        ];
        let mut ring = u.to_vec();
        let mut tmp = Vec::new();
        clip_ring(&mut ring, &mut tmp);
        let mut snapped = Vec::new();
        snap_ring(&ring, &mut snapped);
        // Inside y >= -64: left arm 100×164, bottom 300×(300-100)=... compute by parts:
        // the U inside the box = bbox [100,400]×[-64,300] minus notch [200,300]×[-64,200].
        let want = 300 * 364 - 100 * 264;
        assert_eq!(ring_area2(&snapped).abs(), 2 * want);
    }

    #[test]
    fn snapping_drops_repeats_collinear_vertices_and_slivers() {
        let mut out = Vec::new();
        snap_ring(
            &[
                [0.2, 0.1],
                [5.0, 0.0],
                [10.0, 0.4],
                [10.1, 10.0],
                [10.0, 9.8],
                [0.0, 10.0],
            ],
            &mut out,
        );
        assert_eq!(out, [[0, 0], [10, 0], [10, 10], [0, 10]]);
        // A ring thinner than a unit collapses to nothing.
        snap_ring(&[[0.0, 0.0], [100.0, 0.2], [0.0, 0.4]], &mut out);
        assert!(out.len() < 3 || ring_area2(&out) == 0, "{out:?}");
        // A collinear vertex at the ring's start goes too.
        snap_ring(
            &[
                [5.0, 0.0],
                [10.0, 0.0],
                [10.0, 10.0],
                [0.0, 10.0],
                [0.0, 0.0],
            ],
            &mut out,
        );
        assert_eq!(out.len(), 4, "{out:?}");
    }

    #[test]
    fn line_leaving_and_reentering_becomes_two_parts() {
        let line = [[0.0, 100.0], [5000.0, 100.0], [5000.0, 200.0], [0.0, 200.0]];
        let snapped = |parts: Vec<Vec<[f64; 2]>>| -> Vec<Vec<[i32; 2]>> {
            parts
                .iter()
                .map(|p| p.iter().map(|q| snap(*q)).collect())
                .collect()
        };
        let parts = snapped(clip_line(&line));
        assert_eq!(parts, [[[0, 100], [4160, 100]], [[4160, 200], [0, 200]]]);
        // Wholly outside: nothing; wholly inside: one part of every vertex.
        assert!(clip_line(&[[-500.0, -500.0], [-100.0, -100.0]]).is_empty());
        let inside = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]];
        assert_eq!(clip_line(&inside), vec![inside.to_vec()]);
        // A diagonal through a corner region is cut at both edges.
        let parts = snapped(clip_line(&[[-1000.0, 2000.0], [2000.0, -1000.0]]));
        assert_eq!(parts, [[[-64, 1064], [1064, -64]]]);
    }

    #[test]
    fn doubling_back_line_keeps_its_shape() {
        let mut out = Vec::new();
        snap_line(
            &[[0.0, 0.0], [10.0, 0.0], [10.2, 0.1], [0.0, 0.0]],
            &mut out,
        );
        assert_eq!(out, [[0, 0], [10, 0], [0, 0]]);
    }
}
