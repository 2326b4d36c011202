//! Mapbox Vector Tiles (MVT 2.1) of every layer, straight from the [`Snapshot`]: tile math,
//! clipping to the buffered tile, snapping, ring winding, feature properties and a small
//! protobuf encoder. The database is never asked: a tile is as fresh as the snapshot.
//!
//! Pure: no axum, no I/O. Used by [`crate::api`] only; reads [`crate::spatial`] (the layer
//! indexes). An analysis layer would read [`crate::analysis`] results; none is served yet. The API wraps [`encode_tile`], [`layer_fields`] and
//! [`layer_bounds`] (`/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json`).
//!
//! # Pipeline, per feature
//! 1. Candidates: the layer's R-tree ([`LayerIndex::intersecting`]) with the buffered tile in
//!    lon/lat ([`TileId::lonlat_bounds`]).
//! 2. Project lon/lat to Web Mercator tile coordinates ([`EXTENT`] units a side, y down).
//! 3. Clip to the buffered tile, `[-BUFFER, EXTENT + BUFFER]²`: Sutherland–Hodgman per ring,
//!    Liang–Barsky per segment for lines (a line leaving and re-entering becomes two parts), a
//!    box test for points.
//! 4. Snap to integer tile coordinates and simplify: repeated vertices go (and, in rings,
//!    vertices on a straight line between their neighbours); rings left with no area and lines
//!    left with one vertex are dropped, a polygon whose exterior is dropped goes whole. This is
//!    the zoom-dependent simplification: at low zoom many vertices snap onto one coordinate.
//!    Vertices shared by two grids snap identically, so neighbours stay gap-free.
//! 5. Wind rings as MVT 2.1 §4.3.4.4 says: an exterior ring has a *positive* area by the
//!    surveyor's formula in tile coordinates (y down, so it looks clockwise on screen), an
//!    interior ring a negative one. Input winding is not trusted: each ring is measured and
//!    reversed when needed.
//! 6. Encode the geometry commands (MoveTo, LineTo, ClosePath; zigzag deltas from a cursor that
//!    runs through the whole feature) and the properties (keys and values deduplicated in the
//!    layer's tables).
//!
//! # Feature ids
//! [`feature_id`]: FNV-1a (64-bit) of the item's key, masked to 53 bits. Stable across
//! snapshots and restarts (a position in the `LayerIndex` would shift when an item is inserted
//! before it), and exact as a JavaScript number, which is how MapLibre keys feature state.
//! Two keys of one layer share an id with odds of about n²/2⁵⁴ (5·10⁻⁷ for 100,000 events).
//! Point features below [`DETAIL_ZOOM`] carry no id, like no key (see below): nine bytes of a
//! ~30-byte feature, and the read of one key string per point, on the tiles that hold tens of
//! thousands of them.
//!
//! # Properties
//! Named and valued as in the GeoJSON (`Item::to_feature`): enums by their serde names, dates
//! as `YYYY-MM-DD`, times as RFC 3339 UTC strings, counts as unsigned integers, measures as
//! doubles. Each layer lists a subset ([`layer_fields`]): the key, the name, kind/category/
//! status and the numbers the map styles with; free text stays in the GeoJSON API.
//! Below [`DETAIL_ZOOM`] the point layers (events, buildings, cameras) leave out what is unique
//! per item (id, key, name, address, source, mount height) and events carry `reported_at` cut to
//! its date (`2026-05-01`, a prefix of the full value, so string filters such as
//! `[">=", ["get", "reported_at"], "2026-05-01"]` mean the same at every zoom). Every point is
//! kept; the values table then holds a few hundred entries instead of one per point.
//!
//! # Why a hand-written encoder
//! An MVT is three nested protobuf messages and a fourth for values, about a dozen fields, all
//! varints, length-delimited bytes and one fixed64. `prost` would bring a code generator and a
//! build step, the `mvt` crate the `protobuf` runtime; the encoder below is about 150 lines,
//! allocates once per layer and is tested byte for byte against the spec's examples.
//!
//! # Units
//! Input in WGS84 lon/lat degrees; tile coordinates in units of 1/[`EXTENT`] of a tile side,
//! origin at the tile's top-left corner, y down; [`TileId::mercator_bounds`] in EPSG:3857
//! metres. Latitudes beyond ±85.0511° are clamped to the Web Mercator square.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use geo::{Coord, LineString, MultiPolygon, Rect};

use crate::domain::{
    Building, Camera, CameraKind, CameraStatus, Event, EventStatus, Grid, GridKind, KeyArea,
    KeyAreaCategory, KeyAreaStatus, Layer, Obstacle, ObstacleKind, ObstacleShape, PatrolRoute,
    Region, RegionLevel,
};

use crate::spatial::Snapshot;
use crate::spatial::index::{KeyOf, LayerIndex, Spatial, rect_union};

/// Tile side in tile coordinate units.
pub const EXTENT: u32 = 4096;
/// Units kept beyond each tile edge, so that lines and outlines join across tiles.
pub const BUFFER: u32 = 64;
/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// From this zoom on, point layers carry every property (see the module doc).
pub const DETAIL_ZOOM: u8 = 14;
/// Below this zoom the cameras layer holds cluster points (see [`encode_camera_clusters`]).
pub const CLUSTER_ZOOM: u8 = 13;
/// Side of a cluster cell in tile units: 8 × 8 cells a tile, about 64 px on screen.
pub const CLUSTER_CELL: u32 = EXTENT / 8;
/// Half the width of the Web Mercator square in metres (π × 6,378,137).
pub const MERCATOR_HALF_M: f64 = 20_037_508.342_789_244;
/// Latitude of the Web Mercator square's edges.
const MAX_LAT: f64 = 85.051_128_779_806_59;

// ---------------------------------------------------------------------------------------------
// Tile math

/// Why a tile address is not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The zoom is above [`MAX_ZOOM`].
    #[error("zoom {0} is outside 0..={MAX_ZOOM}")]
    Zoom(u32),
    /// A column or row is outside `0..2^z`.
    #[error("{axis} {value} is outside 0..{n} at zoom {z}")]
    Range {
        /// `x` or `y`.
        axis: &'static str,
        value: u32,
        n: u32,
        z: u8,
    },
}

/// A tile address in the XYZ scheme (row 0 at the north edge), as used by MapLibre and by
/// PostGIS `ST_TileEnvelope`.
///
/// ```
/// use safegrid::tiles::TileId;
/// let t = TileId::containing(geo::Coord { x: 120.24, y: 29.29 }, 10);
/// assert_eq!((t.z, t.x, t.y), (10, 854, 424));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Web Mercator in units of the whole world: `(0, 0)` at 180° W, 85.05° N; `(1, 1)` at 180° E,
/// 85.05° S.
fn world_xy(c: Coord) -> [f64; 2] {
    let s = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians().sin();
    [
        (c.x + 180.0) / 360.0,
        0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * PI),
    ]
}

/// Inverse of [`world_xy`].
fn world_lonlat(w: [f64; 2]) -> Coord {
    Coord {
        x: w[0] * 360.0 - 180.0,
        y: (PI * (1.0 - 2.0 * w[1])).sinh().atan().to_degrees(),
    }
}

impl TileId {
    /// Checks `z` against [`MAX_ZOOM`] and `x`, `y` against `0..2^z`.
    ///
    /// # Errors
    /// [`TileError`] naming the offending number.
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        let zoom = u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or(TileError::Zoom(z))?;
        let n = 1u32 << zoom;
        for (axis, value) in [("x", x), ("y", y)] {
            if value >= n {
                return Err(TileError::Range {
                    axis,
                    value,
                    n,
                    z: zoom,
                });
            }
        }
        Ok(Self { z: zoom, x, y })
    }

    /// The tile of zoom `z` (at most [`MAX_ZOOM`]) holding `c`.
    #[must_use]
    pub fn containing(c: Coord, z: u8) -> Self {
        let z = z.min(MAX_ZOOM);
        let n = 1u32 << z;
        let [wx, wy] = world_xy(c);
        let cell = |w: f64| {
            let v = (w * f64::from(n)).floor().clamp(0.0, f64::from(n - 1));
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 0..2^22"
            )]
            let v = v as u32;
            v
        };
        Self {
            z,
            x: cell(wx),
            y: cell(wy),
        }
    }

    /// Tiles a side at this zoom.
    fn n(self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile in EPSG:3857 metres, `[min_x, min_y, max_x, max_y]`, as `ST_TileEnvelope`.
    #[must_use]
    pub fn mercator_bounds(self) -> [f64; 4] {
        let size = 2.0 * MERCATOR_HALF_M / self.n();
        let min_x = -MERCATOR_HALF_M + f64::from(self.x) * size;
        let max_y = MERCATOR_HALF_M - f64::from(self.y) * size;
        [min_x, max_y - size, min_x + size, max_y]
    }

    /// The tile widened by `buffer` tile units on each side, in lon/lat (clamped to the Web
    /// Mercator square).
    #[must_use]
    pub fn lonlat_bounds(self, buffer: u32) -> Rect {
        let b = f64::from(buffer) / f64::from(EXTENT);
        let n = self.n();
        let w = |v: f64| (v / n).clamp(0.0, 1.0);
        let nw = world_lonlat([w(f64::from(self.x) - b), w(f64::from(self.y) - b)]);
        let se = world_lonlat([
            w(f64::from(self.x) + 1.0 + b),
            w(f64::from(self.y) + 1.0 + b),
        ]);
        Rect::new(Coord { x: nw.x, y: se.y }, Coord { x: se.x, y: nw.y })
    }

    /// `c` in this tile's coordinates (not rounded, not clipped).
    #[must_use]
    pub fn project(self, c: Coord) -> [f64; 2] {
        Projector::new(self).project(c)
    }

    /// The lon/lat of tile coordinates `p`: the inverse of [`TileId::project`].
    #[must_use]
    pub fn unproject(self, p: [f64; 2]) -> Coord {
        let k = self.n() * f64::from(EXTENT);
        world_lonlat([
            (p[0] + f64::from(self.x) * f64::from(EXTENT)) / k,
            (p[1] + f64::from(self.y) * f64::from(EXTENT)) / k,
        ])
    }
}

/// Lon/lat → tile coordinates of one tile, with the constants computed once.
#[derive(Debug, Clone, Copy)]
struct Projector {
    scale: f64,
    x0: f64,
    y0: f64,
}

impl Projector {
    fn new(tile: TileId) -> Self {
        let e = f64::from(EXTENT);
        Self {
            scale: tile.n() * e,
            x0: f64::from(tile.x) * e,
            y0: f64::from(tile.y) * e,
        }
    }

    fn project(self, c: Coord) -> [f64; 2] {
        let [wx, wy] = world_xy(c);
        [wx * self.scale - self.x0, wy * self.scale - self.y0]
    }
}

// ---------------------------------------------------------------------------------------------
// Clipping and snapping

/// The clip box `[LO, HI]²` in tile coordinates: `-BUFFER` and `EXTENT + BUFFER`.
const LO: f64 = -64.0;
const HI: f64 = 4160.0;

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
fn snap(p: [f64; 2]) -> [i32; 2] {
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

// ---------------------------------------------------------------------------------------------
// Geometry commands

/// MVT geometry types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// A command integer: id in the low 3 bits, count above.
fn command(id: u32, count: usize) -> u32 {
    let count = u32::try_from(count).unwrap_or(u32::MAX >> 3);
    (id & 0x7) | (count << 3)
}

/// Zigzag encoding of a parameter: 0, -1, 1, -2 … → 0, 1, 2, 3 …
fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)).cast_unsigned()
}

/// Geometry commands of one feature; the cursor runs on across parts and rings.
#[derive(Debug, Default)]
struct GeomWriter {
    cmds: Vec<u32>,
    cursor: [i32; 2],
}

impl GeomWriter {
    fn clear(&mut self) {
        self.cmds.clear();
        self.cursor = [0, 0];
    }

    fn params(&mut self, points: &[[i32; 2]]) {
        for &p in points {
            self.cmds.push(zigzag(p[0] - self.cursor[0]));
            self.cmds.push(zigzag(p[1] - self.cursor[1]));
            self.cursor = p;
        }
    }

    /// One `MoveTo` with every point (a point or a multipoint).
    fn points(&mut self, points: &[[i32; 2]]) {
        self.cmds.push(command(MOVE_TO, points.len()));
        self.params(points);
    }

    /// A line part of at least two vertices.
    fn line(&mut self, line: &[[i32; 2]]) {
        self.points(&line[..1]);
        self.cmds.push(command(LINE_TO, line.len() - 1));
        self.params(&line[1..]);
    }

    /// An open ring of at least three vertices.
    fn ring(&mut self, ring: &[[i32; 2]]) {
        self.line(ring);
        self.cmds.push(command(CLOSE_PATH, 1));
    }
}

/// Reusable buffers for one layer's geometry work.
#[derive(Debug, Default)]
struct Scratch {
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

fn encode_area(area: &MultiPolygon, proj: Projector, s: &mut Scratch, g: &mut GeomWriter) {
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

fn encode_line(line: &LineString, proj: Projector, s: &mut Scratch, g: &mut GeomWriter) {
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

fn encode_point(c: Coord, proj: Projector, g: &mut GeomWriter) {
    let p = proj.project(c);
    if (LO..=HI).contains(&p[0]) && (LO..=HI).contains(&p[1]) {
        g.points(&[snap(p)]);
    }
}

// ---------------------------------------------------------------------------------------------
// Protobuf

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        #[expect(clippy::cast_possible_truncation, reason = "the low 7 bits")]
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    #[expect(clippy::cast_possible_truncation, reason = "below 0x80")]
    buf.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).max(1).div_ceil(7)
}

fn put_key(buf: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(buf, u64::from((field << 3) | wire));
}

fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Bytes of the payload of a packed repeated `uint32` field.
fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|v| varint_len(u64::from(*v))).sum()
}

/// A packed repeated field whose payload is `len` bytes (from [`packed_len`]).
fn put_packed(buf: &mut Vec<u8>, field: u32, values: &[u32], len: usize) {
    put_key(buf, field, LEN);
    put_varint(buf, len as u64);
    for v in values {
        put_varint(buf, u64::from(*v));
    }
}

/// A property value. Dates and times are written as strings; they are kept typed here so that
/// they are formatted once per distinct value, not once per feature.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Str(&'a str),
    /// Written `YYYY-MM-DD`.
    Date(NaiveDate),
    /// Written as RFC 3339 UTC, as serde writes it in the GeoJSON.
    Time(DateTime<Utc>),
    Uint(u64),
    Double(f64),
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Uint(a), Value::Uint(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}
impl Eq for Value<'_> {}

impl Hash for Value<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Str(s) => s.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Time(t) => t.hash(state),
            Value::Uint(u) => u.hash(state),
            Value::Double(d) => d.to_bits().hash(state),
        }
    }
}

impl Value<'_> {
    /// The `Value` message.
    fn encode(&self, buf: &mut Vec<u8>) {
        match self {
            Value::Str(s) => put_bytes(buf, 1, s.as_bytes()),
            Value::Date(d) => put_bytes(buf, 1, d.format("%Y-%m-%d").to_string().as_bytes()),
            Value::Time(t) => put_bytes(
                buf,
                1,
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes(),
            ),
            Value::Double(d) => {
                put_key(buf, 3, FIXED64);
                buf.extend_from_slice(&d.to_le_bytes());
            }
            Value::Uint(u) => {
                put_key(buf, 5, VARINT);
                put_varint(buf, *u);
            }
        }
    }
}

/// One layer being encoded: its features, and its keys and values tables.
struct LayerWriter<'a> {
    name: &'a str,
    keys: Vec<&'static str>,
    value_ids: HashMap<Value<'a>, u32, WordHash>,
    /// The encoded `values` fields, in id order.
    values: Vec<u8>,
    /// The encoded `features` fields.
    features: Vec<u8>,
    feature_count: usize,
    tags: Vec<u32>,
    value_buf: Vec<u8>,
}

impl<'a> LayerWriter<'a> {
    fn new(name: &'a str) -> Self {
        Self {
            name,
            keys: Vec::new(),
            value_ids: HashMap::default(),
            values: Vec::new(),
            features: Vec::new(),
            feature_count: 0,
            tags: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    fn key_id(&mut self, key: &'static str) -> u32 {
        // Keys are the same few literals over and over: compare addresses before bytes.
        let found = self
            .keys
            .iter()
            .position(|k| std::ptr::eq(*k, key) || *k == key);
        let i = found.unwrap_or_else(|| {
            self.keys.push(key);
            self.keys.len() - 1
        });
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    fn value_id(&mut self, value: Value<'a>) -> u32 {
        let next = u32::try_from(self.value_ids.len()).unwrap_or(u32::MAX);
        *self.value_ids.entry(value).or_insert_with(|| {
            self.value_buf.clear();
            value.encode(&mut self.value_buf);
            put_bytes(&mut self.values, 4, &self.value_buf);
            next
        })
    }

    /// Appends a feature with the geometry in `geom` (which must not be empty).
    fn feature(
        &mut self,
        id: Option<u64>,
        kind: GeomType,
        geom: &[u32],
        props: &[(&'static str, Value<'a>)],
    ) {
        self.tags.clear();
        for (k, v) in props {
            let k = self.key_id(k);
            let v = self.value_id(*v);
            self.tags.extend([k, v]);
        }
        // The length goes first: add up the fields, then write them straight into `features`.
        let tags_len = packed_len(&self.tags);
        let geom_len = packed_len(geom);
        let field = |payload: usize| 1 + varint_len(payload as u64) + payload;
        let len = id.map_or(0, |id| 1 + varint_len(id))
            + if self.tags.is_empty() { 0 } else { field(tags_len) }
            + 2 // type
            + field(geom_len);
        let out = &mut self.features;
        put_key(out, 2, LEN);
        put_varint(out, len as u64);
        let start = out.len();
        if let Some(id) = id {
            put_key(out, 1, VARINT);
            put_varint(out, id);
        }
        if !self.tags.is_empty() {
            put_packed(out, 2, &self.tags, tags_len);
        }
        put_key(out, 3, VARINT);
        put_varint(out, kind as u64);
        put_packed(out, 4, geom, geom_len);
        debug_assert_eq!(out.len() - start, len, "feature length");
        self.feature_count += 1;
    }

    /// The whole tile (one layer), or an empty vector when no feature was added.
    fn finish(self) -> Vec<u8> {
        if self.feature_count == 0 {
            return Vec::new();
        }
        let mut name = Vec::with_capacity(self.name.len() + 2);
        put_bytes(&mut name, 1, self.name.as_bytes());
        let mut keys = Vec::with_capacity(256);
        for k in &self.keys {
            put_bytes(&mut keys, 3, k.as_bytes());
        }
        let mut trailer = Vec::with_capacity(8);
        put_key(&mut trailer, 5, VARINT);
        put_varint(&mut trailer, u64::from(EXTENT));
        put_key(&mut trailer, 15, VARINT);
        put_varint(&mut trailer, 2);
        // Fields in number order (name, features, keys, values, extent) and the version last;
        // protobuf leaves the order free.
        let parts = [&name, &self.features, &keys, &self.values, &trailer];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut out = Vec::with_capacity(len + 8);
        put_key(&mut out, 3, LEN);
        put_varint(&mut out, len as u64);
        for p in parts {
            out.extend_from_slice(p);
        }
        out
    }
}

/// The values table's hasher, a word at a time in the manner of rustc's FxHash: the keys are
/// short strings and numbers looked up once per property of every feature, and the table lives
/// for one tile, so SipHash's flood resistance buys nothing here.
#[derive(Debug, Default, Clone, Copy)]
struct WordHash;

#[derive(Debug)]
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::BuildHasher for WordHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0)
    }
}

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.add(u64::from(v));
    }
    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    fn write_isize(&mut self, v: isize) {
        self.add(v.cast_unsigned() as u64);
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// The feature id of an item: FNV-1a (64-bit) of its key, masked to 53 bits (see the module
/// doc).
///
/// ```
/// use safegrid::tiles::feature_id;
/// assert_eq!(feature_id("a"), 0xaf63dc4c8601ec8c & ((1 << 53) - 1));
/// ```
#[must_use]
pub fn feature_id(key: &str) -> u64 {
    let h = key.bytes().fold(FNV_OFFSET, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    });
    h & ((1 << 53) - 1)
}

// ---------------------------------------------------------------------------------------------
// Layers

/// The type of a field, as TileJSON `vector_layers[].fields` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
}

impl FieldType {
    /// `String` or `Number`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "String",
            FieldType::Number => "Number",
        }
    }
}

/// An item's geometry, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    Point(Coord),
    Line(&'a LineString),
    Area(&'a MultiPolygon),
}

/// Properties of one feature, in the order of [`TileItem::FIELDS`].
pub type Props<'a> = Vec<(&'static str, Value<'a>)>;

/// An item that can be drawn in a vector tile.
pub trait TileItem: KeyOf + Spatial {
    /// Every field a feature may carry, with its type.
    const FIELDS: &'static [(&'static str, FieldType)];
    /// The geometry to draw.
    fn shape(&self) -> Shape<'_>;
    /// The properties; `detail` is false on the point layers below [`DETAIL_ZOOM`].
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>);
}

use FieldType::{Number as N, String as S};

fn grid_kind(k: GridKind) -> &'static str {
    match k {
        GridKind::Residential => "residential",
        GridKind::Village => "village",
        GridKind::Dedicated => "dedicated",
    }
}
fn region_level(l: RegionLevel) -> &'static str {
    match l {
        RegionLevel::County => "county",
        RegionLevel::Town => "town",
        RegionLevel::Village => "village",
    }
}
fn camera_kind(k: CameraKind) -> &'static str {
    match k {
        CameraKind::Fixed => "fixed",
        CameraKind::Ptz => "ptz",
    }
}
fn obstacle_kind(k: ObstacleKind) -> &'static str {
    match k {
        ObstacleKind::Building => "building",
        ObstacleKind::Wall => "wall",
        ObstacleKind::Fence => "fence",
        ObstacleKind::Other => "other",
    }
}
fn camera_status(s: CameraStatus) -> &'static str {
    match s {
        CameraStatus::Online => "online",
        CameraStatus::Offline => "offline",
        CameraStatus::Fault => "fault",
    }
}
fn event_status(s: EventStatus) -> &'static str {
    match s {
        EventStatus::Reported => "reported",
        EventStatus::Claimed => "claimed",
        EventStatus::Assigned => "assigned",
        EventStatus::Resolved => "resolved",
        EventStatus::Closed => "closed",
    }
}
fn key_area_category(c: KeyAreaCategory) -> &'static str {
    match c {
        KeyAreaCategory::UrbanVillage => "urban_village",
        KeyAreaCategory::SchoolSurroundings => "school_surroundings",
        KeyAreaCategory::UrbanRuralFringe => "urban_rural_fringe",
        KeyAreaCategory::DisorderlySpot => "disorderly_spot",
    }
}
fn key_area_status(s: KeyAreaStatus) -> &'static str {
    match s {
        KeyAreaStatus::Listed => "listed",
        KeyAreaStatus::Rectifying => "rectifying",
        KeyAreaStatus::Review => "review",
        KeyAreaStatus::Delisted => "delisted",
        KeyAreaStatus::Overdue => "overdue",
    }
}

impl TileItem for Region {
    const FIELDS: &'static [(&'static str, FieldType)] =
        &[("code", S), ("name", S), ("level", S), ("parent_code", S)];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("code", Value::Str(&self.code)),
            ("name", Value::Str(&self.name)),
            ("level", Value::Str(region_level(self.level()))),
        ]);
        if let Some(p) = &self.parent_code {
            out.push(("parent_code", Value::Str(p)));
        }
    }
}

impl TileItem for Grid {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("code", S),
        ("name", S),
        ("kind", S),
        ("households", N),
        ("population", N),
        ("parent_code", S),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("code", Value::Str(&self.code)),
            ("name", Value::Str(&self.name)),
            ("kind", Value::Str(grid_kind(self.kind))),
            ("households", Value::Uint(self.households.into())),
            ("population", Value::Uint(self.population.into())),
        ]);
        if let Some(p) = &self.parent_code {
            out.push(("parent_code", Value::Str(p)));
        }
    }
}

impl TileItem for Camera {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("code", S),
        ("name", S),
        ("kind", S),
        ("status", S),
        ("azimuth_deg", N),
        ("hfov_deg", N),
        ("range_m", N),
        ("height_m", N),
        // Cluster points below CLUSTER_ZOOM carry only these.
        ("point_count", N),
        ("online", N),
        ("offline", N),
        ("fault", N),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.0)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.extend([
                ("code", Value::Str(&self.code)),
                ("name", Value::Str(&self.name)),
            ]);
        }
        out.extend([
            ("kind", Value::Str(camera_kind(self.kind))),
            ("status", Value::Str(camera_status(self.status))),
            ("azimuth_deg", Value::Double(self.azimuth_deg)),
            ("hfov_deg", Value::Double(self.hfov_deg)),
            ("range_m", Value::Double(self.range_m)),
        ]);
        if detail {
            out.push(("height_m", Value::Double(self.height_m)));
        }
    }
}

impl TileItem for PatrolRoute {
    const FIELDS: &'static [(&'static str, FieldType)] = &[("id", S), ("name", S), ("team", S)];
    fn shape(&self) -> Shape<'_> {
        Shape::Line(&self.line)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
            ("team", Value::Str(&self.team)),
        ]);
    }
}

impl TileItem for KeyArea {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("name", S),
        ("category", S),
        ("status", S),
        ("listed_date", S),
        ("deadline", S),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
            ("category", Value::Str(key_area_category(self.category))),
            ("status", Value::Str(key_area_status(self.status))),
            ("listed_date", Value::Date(self.listed_date)),
            ("deadline", Value::Date(self.deadline)),
        ]);
    }
}

impl TileItem for Obstacle {
    const FIELDS: &'static [(&'static str, FieldType)] =
        &[("id", S), ("name", S), ("kind", S), ("height_m", N)];
    fn shape(&self) -> Shape<'_> {
        match &self.shape {
            ObstacleShape::Area(area) => Shape::Area(area),
            ObstacleShape::Wall(line) => Shape::Line(line),
        }
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
        ]);
        if let Some(kind) = self.kind {
            out.push(("kind", Value::Str(obstacle_kind(kind))));
        }
        if let Some(h) = self.height_m {
            out.push(("height_m", Value::Double(h)));
        }
    }
}

impl TileItem for Event {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("category", S),
        ("status", S),
        ("source", S),
        ("reported_at", S),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.0)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.push(("id", Value::Str(&self.id)));
        }
        out.extend([
            ("category", Value::Str(&self.category)),
            ("status", Value::Str(event_status(self.status))),
        ]);
        if detail {
            out.extend([
                ("source", Value::Str(&self.source)),
                ("reported_at", Value::Time(self.reported_at)),
            ]);
        } else {
            out.push(("reported_at", Value::Date(self.reported_at.date_naive())));
        }
    }
}

impl TileItem for Building {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("address", S),
        ("households", N),
        ("residents", N),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.0)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.extend([
                ("id", Value::Str(&self.id)),
                ("address", Value::Str(&self.address)),
            ]);
        }
        out.extend([
            ("households", Value::Uint(self.households.into())),
            ("residents", Value::Uint(self.residents.into())),
        ]);
    }
}

/// The items of `hits` (slots of `index`) in slot order.
///
/// The R-tree yields items in tree order, which jumps about the layer: on a low-zoom tile of
/// 60,000 events nearly every item and key read missed the cache. Visiting them in slot order
/// (key order for what was loaded, then arrival order) streams through memory instead and
/// makes a tile's bytes independent of the trees' shape; a bit set over the slots sorts in
/// O(hits + slots / 64).
fn in_slot_order<T: Spatial + KeyOf>(
    index: &LayerIndex<T>,
    hits: impl Iterator<Item = u32>,
) -> Vec<&T> {
    let mut bits = vec![0u64; index.slot_count().div_ceil(64)];
    let mut n = 0;
    for slot in hits {
        let i = slot as usize;
        bits[i / 64] |= 1 << (i % 64);
        n += 1;
    }
    let mut out = Vec::with_capacity(n);
    for (w, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            let b = word.trailing_zeros();
            if let Some(item) = u32::try_from(w * 64).ok().and_then(|s| index.item(s + b)) {
                out.push(item);
            }
            word &= word - 1;
        }
    }
    out
}

/// Encodes one layer's tile: a `Tile` message with one layer named `name`, or an empty vector
/// when no feature reaches the tile.
#[must_use]
pub fn encode_layer<T: TileItem>(index: &LayerIndex<T>, name: &str, tile: TileId) -> Vec<u8> {
    let proj = Projector::new(tile);
    let detail = tile.z >= DETAIL_ZOOM;
    let mut layer = LayerWriter::new(name);
    let mut geom = GeomWriter::default();
    let mut scratch = Scratch::default();
    let mut props: Props<'_> = Vec::with_capacity(T::FIELDS.len());
    let hits = in_slot_order(index, index.slots_intersecting(tile.lonlat_bounds(BUFFER)));
    // About 30 bytes a point feature: grow once or twice, not twenty times.
    layer.features.reserve(hits.len() * 32);
    for item in hits {
        geom.clear();
        let kind = match item.shape() {
            Shape::Point(c) => {
                encode_point(c, proj, &mut geom);
                GeomType::Point
            }
            Shape::Line(line) => {
                encode_line(line, proj, &mut scratch, &mut geom);
                GeomType::LineString
            }
            Shape::Area(area) => {
                encode_area(area, proj, &mut scratch, &mut geom);
                GeomType::Polygon
            }
        };
        if geom.cmds.is_empty() {
            continue;
        }
        props.clear();
        item.properties(detail, &mut props);
        let id = (detail || kind != GeomType::Point).then(|| feature_id(&item.key_of()));
        layer.feature(id, kind, &geom.cmds, &props);
    }
    layer.finish()
}

/// The tile of `layer`: `None` for a layer without geometry (workers); an empty vector when no
/// feature reaches the tile. The MVT layer is named after the layer's URL name (`grids`,
/// `patrol-routes`).
#[must_use]
pub fn encode_tile(snapshot: &Snapshot, layer: Layer, tile: TileId) -> Option<Vec<u8>> {
    let name = layer.path();
    Some(match layer {
        Layer::Worker => return None,
        Layer::Region => encode_layer(&snapshot.regions, name, tile),
        Layer::Grid => encode_layer(&snapshot.grids, name, tile),
        Layer::Camera if tile.z < CLUSTER_ZOOM => {
            encode_camera_clusters(&snapshot.cameras, name, tile)
        }
        Layer::Camera => encode_layer(&snapshot.cameras, name, tile),
        Layer::PatrolRoute => encode_layer(&snapshot.patrol_routes, name, tile),
        Layer::KeyArea => encode_layer(&snapshot.key_areas, name, tile),
        Layer::Event => encode_layer(&snapshot.events, name, tile),
        Layer::Building => encode_layer(&snapshot.buildings, name, tile),
        Layer::Obstacle => encode_layer(&snapshot.obstacles, name, tile),
    })
}

/// The cameras of a tile below [`CLUSTER_ZOOM`] as cluster points, as map users expect when
/// zoomed out (count bubbles instead of 20,000 dots): the tile is cut into cells of
/// [`CLUSTER_CELL`] units, and each cell holding cameras becomes one point at their mean
/// position with `point_count` and the counts by status (`online`, `offline`, `fault`).
/// A camera counts in the one tile whose square (without the buffer) holds it, so the counts of
/// all tiles of a zoom add up to the layer. Cells are aligned to the tile, so a cluster never
/// straddles a tile edge. Features are in cell order (row by row) and carry no id.
#[must_use]
pub fn encode_camera_clusters(index: &LayerIndex<Camera>, name: &str, tile: TileId) -> Vec<u8> {
    #[derive(Default, Clone, Copy)]
    struct Cell {
        x: f64,
        y: f64,
        count: u64,
        by_status: [u64; 3],
    }
    let side = (EXTENT / CLUSTER_CELL) as usize;
    let mut cells = vec![Cell::default(); side * side];
    let proj = Projector::new(tile);
    let extent = f64::from(EXTENT);
    for camera in index.intersecting(tile.lonlat_bounds(0)) {
        let [x, y] = proj.project(camera.location.0);
        if !(0.0..extent).contains(&x) || !(0.0..extent).contains(&y) {
            continue;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "x and y are in 0..EXTENT, checked above"
        )]
        let at = (y as u32 / CLUSTER_CELL) as usize * side + (x as u32 / CLUSTER_CELL) as usize;
        let cell = &mut cells[at];
        cell.x += x;
        cell.y += y;
        cell.count += 1;
        cell.by_status[match camera.status {
            CameraStatus::Online => 0,
            CameraStatus::Offline => 1,
            CameraStatus::Fault => 2,
        }] += 1;
    }
    let mut layer = LayerWriter::new(name);
    let mut geom = GeomWriter::default();
    for cell in cells.iter().filter(|c| c.count > 0) {
        let n = cell.count as f64;
        geom.clear();
        geom.points(&[snap([cell.x / n, cell.y / n])]);
        let props: Props<'_> = vec![
            ("point_count", Value::Uint(cell.count)),
            ("online", Value::Uint(cell.by_status[0])),
            ("offline", Value::Uint(cell.by_status[1])),
            ("fault", Value::Uint(cell.by_status[2])),
        ];
        layer.feature(None, GeomType::Point, &geom.cmds, &props);
    }
    layer.finish()
}

/// The fields features of `layer` may carry, `None` for a layer without geometry.
#[must_use]
pub fn layer_fields(layer: Layer) -> Option<&'static [(&'static str, FieldType)]> {
    Some(match layer {
        Layer::Worker => return None,
        Layer::Region => Region::FIELDS,
        Layer::Grid => Grid::FIELDS,
        Layer::Camera => Camera::FIELDS,
        Layer::PatrolRoute => PatrolRoute::FIELDS,
        Layer::KeyArea => KeyArea::FIELDS,
        Layer::Event => Event::FIELDS,
        Layer::Building => Building::FIELDS,
        Layer::Obstacle => Obstacle::FIELDS,
    })
}

fn bounds_of<T: TileItem>(index: &LayerIndex<T>) -> Option<Rect> {
    use geo::BoundingRect;
    rect_union(index.iter().filter_map(|it| match it.shape() {
        Shape::Point(c) => Some(Rect::new(c, c)),
        Shape::Line(l) => l.bounding_rect(),
        Shape::Area(a) => a.bounding_rect(),
    }))
}

/// The lon/lat box of every geometry of `layer`; `None` when it has no geometry or no items.
#[must_use]
pub fn layer_bounds(snapshot: &Snapshot, layer: Layer) -> Option<Rect> {
    match layer {
        Layer::Worker => None,
        Layer::Region => bounds_of(&snapshot.regions),
        Layer::Grid => bounds_of(&snapshot.grids),
        Layer::Camera => bounds_of(&snapshot.cameras),
        Layer::PatrolRoute => bounds_of(&snapshot.patrol_routes),
        Layer::KeyArea => bounds_of(&snapshot.key_areas),
        Layer::Event => bounds_of(&snapshot.events),
        Layer::Building => bounds_of(&snapshot.buildings),
        Layer::Obstacle => bounds_of(&snapshot.obstacles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn tile_bounds_match_st_tile_envelope() {
        // ST_TileEnvelope(0,0,0) is the whole square; (1,0,0) its north-west quarter.
        let h = MERCATOR_HALF_M;
        let cases = [
            ((0, 0, 0), [-h, -h, h, h]),
            ((1, 0, 0), [-h, 0.0, 0.0, h]),
            // ST_TileEnvelope(10, 854, 425) as PostGIS 3.3 prints it.
            (
                (10, 854, 425),
                [
                    13_384_429.400_847_502,
                    3_365_675.229_452_88,
                    13_423_565.159_329_511,
                    3_404_810.987_934_891,
                ],
            ),
        ];
        for ((z, x, y), want) in cases {
            let b = TileId::new(z, x, y).expect("valid").mercator_bounds();
            for (got, want) in b.iter().zip(want) {
                assert!(close(*got, want, 1e-6), "{z}/{x}/{y}: {b:?}");
            }
        }
        assert!(close(-f64::from(BUFFER), LO, 0.0) && close(f64::from(EXTENT + BUFFER), HI, 0.0));
    }

    #[test]
    fn lonlat_bounds_of_the_quarter_tiles() {
        let r = TileId::new(1, 1, 0).expect("valid").lonlat_bounds(0);
        assert!(close(r.min().x, 0.0, 1e-12) && close(r.max().x, 180.0, 1e-12));
        assert!(close(r.min().y, 0.0, 1e-12) && close(r.max().y, MAX_LAT, 1e-9));
        // The buffer widens by 64/4096 of a tile on each side: 360° / 2 * 64/4096 in longitude.
        let r = TileId::new(1, 1, 0).expect("valid").lonlat_bounds(BUFFER);
        assert!(close(r.min().x, -180.0 * 64.0 / 4096.0, 1e-12), "{r:?}");
        assert!(
            close(r.max().x, 180.0, 1e-12),
            "clamped at the antimeridian"
        );
    }

    #[test]
    fn out_of_range_addresses_are_rejected() {
        assert_eq!(TileId::new(23, 0, 0), Err(TileError::Zoom(23)));
        assert!(matches!(
            TileId::new(3, 8, 0),
            Err(TileError::Range { axis: "x", .. })
        ));
        assert!(matches!(
            TileId::new(3, 0, 8),
            Err(TileError::Range { axis: "y", .. })
        ));
        assert!(TileId::new(22, (1 << 22) - 1, (1 << 22) - 1).is_ok());
    }

    #[test]
    fn project_and_unproject_round_trip_and_corners() {
        let t = TileId::containing(
            Coord {
                x: 120.24,
                y: 29.29,
            },
            14,
        );
        let p = t.project(Coord {
            x: 120.24,
            y: 29.29,
        });
        assert!((0.0..4096.0).contains(&p[0]) && (0.0..4096.0).contains(&p[1]));
        let back = t.unproject(p);
        assert!(close(back.x, 120.24, 1e-12) && close(back.y, 29.29, 1e-12));
        // The tile's north-west corner is (0, 0), its south-east corner (4096, 4096).
        let r = t.lonlat_bounds(0);
        let nw = t.project(Coord {
            x: r.min().x,
            y: r.max().y,
        });
        let se = t.project(Coord {
            x: r.max().x,
            y: r.min().y,
        });
        assert!(close(nw[0], 0.0, 1e-6) && close(nw[1], 0.0, 1e-6), "{nw:?}");
        assert!(
            close(se[0], 4096.0, 1e-6) && close(se[1], 4096.0, 1e-6),
            "{se:?}"
        );
    }

    #[test]
    fn zigzag_matches_the_protobuf_definition() {
        let pairs = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i32::MAX, u32::MAX - 1),
            (i32::MIN, u32::MAX),
        ];
        for (n, z) in pairs {
            assert_eq!(zigzag(n), z, "{n}");
        }
    }

    #[test]
    fn varints_by_hand() {
        for (v, bytes) in [
            (0u64, vec![0x00]),
            (1, vec![0x01]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (300, vec![0xac, 0x02]),
            (4096, vec![0x80, 0x20]),
        ] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(buf, bytes, "{v}");
            assert_eq!(varint_len(v), bytes.len(), "{v}");
        }
        assert_eq!(varint_len(u64::MAX), 10);
    }

    // The four geometry examples of MVT 2.1 §4.3.5.
    #[test]
    fn commands_match_the_spec_examples() {
        let mut g = GeomWriter::default();
        g.points(&[[25, 17]]);
        assert_eq!(g.cmds, [9, 50, 34]);
        g.clear();
        g.points(&[[5, 7], [3, 2]]);
        assert_eq!(g.cmds, [17, 10, 14, 3, 9]);
        g.clear();
        g.line(&[[2, 2], [2, 10], [10, 10]]);
        assert_eq!(g.cmds, [9, 4, 4, 18, 0, 16, 16, 0]);
        g.clear();
        g.ring(&[[3, 6], [8, 12], [20, 34]]);
        assert_eq!(g.cmds, [9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // Multi-linestring: the cursor carries over from the first part.
        g.clear();
        g.line(&[[2, 2], [2, 10], [10, 10]]);
        g.line(&[[1, 1], [3, 5]]);
        assert_eq!(g.cmds, [9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]);
    }

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

    #[test]
    fn one_point_layer_encodes_to_the_hand_computed_bytes() {
        let mut layer = LayerWriter::new("t");
        let mut g = GeomWriter::default();
        g.points(&[[25, 17]]);
        layer.feature(Some(1), GeomType::Point, &g.cmds, &[("k", Value::Str("v"))]);
        let feature = [
            0x08, 0x01, // id = 1
            0x12, 0x02, 0x00, 0x00, // tags = [0, 0]
            0x18, 0x01, // type = POINT
            0x22, 0x03, 0x09, 0x32, 0x22, // geometry = [9, 50, 34]
        ];
        let mut layer_bytes = vec![0x0a, 0x01, b't', 0x12, 13];
        layer_bytes.extend(feature);
        layer_bytes.extend([0x1a, 0x01, b'k']); // keys = ["k"]
        layer_bytes.extend([0x22, 0x03, 0x0a, 0x01, b'v']); // values = [{string_value: "v"}]
        layer_bytes.extend([0x28, 0x80, 0x20]); // extent = 4096
        layer_bytes.extend([0x78, 0x02]); // version = 2
        let mut want = vec![0x1a, u8::try_from(layer_bytes.len()).expect("short")];
        want.extend(layer_bytes);
        assert_eq!(layer.finish(), want);
    }

    #[test]
    fn values_are_deduplicated_and_typed() {
        let mut layer = LayerWriter::new("t");
        let g = [9, 0, 0];
        let date = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        for _ in 0..3 {
            layer.feature(
                None,
                GeomType::Point,
                &g,
                &[
                    ("a", Value::Str("x")),
                    ("b", Value::Uint(300)),
                    ("c", Value::Double(1.5)),
                    ("d", Value::Date(date)),
                ],
            );
        }
        assert_eq!(layer.value_ids.len(), 4);
        // Without an id a feature starts with its tags: 17 bytes, then field 2 again.
        assert_eq!(&layer.features[..3], [0x12, 17, 0x12]);
        let mut want = Vec::new();
        for v in [
            vec![0x0a, 0x01, b'x'],
            vec![0x28, 0xac, 0x02],
            [vec![0x19], 1.5f64.to_le_bytes().to_vec()].concat(),
            [vec![0x0a, 0x0a], b"2026-06-30".to_vec()].concat(),
        ] {
            want.push(0x22);
            want.push(u8::try_from(v.len()).expect("short"));
            want.extend(v);
        }
        assert_eq!(layer.values, want);
        assert_eq!(layer.keys, ["a", "b", "c", "d"]);
    }

    #[test]
    fn hits_come_back_in_slot_order() {
        use crate::domain::Building;
        let items: Vec<Building> = (0..200)
            .map(|i| Building {
                id: format!("B{i:03}"),
                address: String::new(),
                households: 1,
                residents: 1,
                location: geo::Point::new(120.0, 29.0),
            })
            .collect();
        let index = LayerIndex::new(items);
        let got: Vec<String> = in_slot_order(&index, [150u32, 3, 64, 199, 0, 63, 65].into_iter())
            .into_iter()
            .map(|b| b.id.clone())
            .collect();
        assert_eq!(
            got,
            ["B000", "B003", "B063", "B064", "B065", "B150", "B199"]
        );
        assert!(in_slot_order(&index, std::iter::empty()).is_empty());
    }

    #[test]
    fn empty_layer_is_an_empty_tile() {
        assert!(LayerWriter::new("t").finish().is_empty());
    }

    #[test]
    fn enum_names_match_serde() {
        fn serde_name<T: serde::Serialize>(v: T) -> String {
            serde_json::to_value(v)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }
        for k in [
            GridKind::Residential,
            GridKind::Village,
            GridKind::Dedicated,
        ] {
            assert_eq!(grid_kind(k), serde_name(k));
        }
        for l in [RegionLevel::County, RegionLevel::Town, RegionLevel::Village] {
            assert_eq!(region_level(l), serde_name(l));
        }
        for k in [CameraKind::Fixed, CameraKind::Ptz] {
            assert_eq!(camera_kind(k), serde_name(k));
        }
        for s in [
            CameraStatus::Online,
            CameraStatus::Offline,
            CameraStatus::Fault,
        ] {
            assert_eq!(camera_status(s), serde_name(s));
        }
        for s in [
            EventStatus::Reported,
            EventStatus::Claimed,
            EventStatus::Assigned,
            EventStatus::Resolved,
            EventStatus::Closed,
        ] {
            assert_eq!(event_status(s), serde_name(s));
        }
        for c in [
            KeyAreaCategory::UrbanVillage,
            KeyAreaCategory::SchoolSurroundings,
            KeyAreaCategory::UrbanRuralFringe,
            KeyAreaCategory::DisorderlySpot,
        ] {
            assert_eq!(key_area_category(c), serde_name(c));
        }
        for s in [
            KeyAreaStatus::Listed,
            KeyAreaStatus::Rectifying,
            KeyAreaStatus::Review,
            KeyAreaStatus::Delisted,
            KeyAreaStatus::Overdue,
        ] {
            assert_eq!(key_area_status(s), serde_name(s));
        }
    }

    #[test]
    fn times_and_dates_are_written_as_serde_writes_them() {
        let t: DateTime<Utc> = "2026-05-01T08:09:10Z".parse().expect("time");
        let t2: DateTime<Utc> = "2026-05-01T08:09:10.250Z".parse().expect("time");
        for t in [t, t2] {
            let mut buf = Vec::new();
            Value::Time(t).encode(&mut buf);
            let serde = serde_json::to_value(t).expect("serializes");
            assert_eq!(&buf[2..], serde.as_str().expect("a string").as_bytes());
        }
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).expect("date");
        let mut buf = Vec::new();
        Value::Date(d).encode(&mut buf);
        assert_eq!(
            &buf[2..],
            serde_json::to_value(d)
                .expect("serializes")
                .as_str()
                .expect("a string")
                .as_bytes()
        );
    }

    #[test]
    fn feature_ids_are_53_bit_fnv() {
        // FNV-1a 64 of "" is the offset basis.
        assert_eq!(feature_id(""), FNV_OFFSET & ((1 << 53) - 1));
        assert!(feature_id("330783001014001") < (1 << 53));
        assert_ne!(feature_id("330783001014001"), feature_id("330783001014002"));
    }
}
