//! Coverage analytics: how much of a grid, village, town, key area or patrol route online
//! cameras see, how much two or more see, where the blind spots are, and what the cameras now
//! offline would add if they were back online.
//!
//! # Method
//! Each camera's *visible polygon* is what [`crate::spatial::visibility`] gives: its footprint less the
//! shadows of obstacles. The polygons are built once ([`CameraShapes`], kept in a
//! [`CoverageCache`] until a camera or an obstacle changes) and reused by every
//! target.
//!
//! For one target, everything runs in one [`LocalFrame`] at the centre of its bounding box:
//! * candidate cameras come from the cameras' R-tree (their reach boxes), then their polygon's
//!   box;
//! * an **area** target: each candidate's polygon is clipped to the target (exact overlay,
//!   geo `BooleanOps`; a polygon whose box no edge of the target meets lies wholly inside or
//!   wholly outside, and is taken whole or dropped without an overlay). The pieces go into
//!   two unions, `U1` (seen by at least one) and `U2` (seen by at least two), by halves
//!   (pieces sorted west to east): merging groups `a` and `b` makes `U1 = U1a ∪ U1b` and
//!   `U2 = U2a ∪ U2b ∪ (U1a ∩ U1b)`, side by side when their boxes are apart. This is exact: a
//!   point is in `U2` exactly when it lies in two pieces. Online pieces go first; their
//!   unions give the *online* figures, merged with the offline pieces' they give the *if all
//!   online* figures. Blind spots are the target less `U1`. (One overlay of all pieces with
//!   winding-number fill rules was tried: where many sectors overlap, its edge crossings grow
//!   quadratically and it ran slower than the halves.)
//! * a **route**: the same unions of the (unclipped) polygons of the cameras that see part of
//!   the line; the seen length is the line clipped by `U1` (and by `U2`).
//!
//! Shares are percentages of the target's area (or length); `lost_points` is
//! `share_if_all_online − share`, in percentage points.
//!
//! Layer-wide results ([`CoverageCache::layer_coverage`]) are computed on every core (a shared work
//! counter over the targets, `std::thread::scope`) and kept in a [`CoverageCache`] until a
//! camera, an obstacle or the layer itself changes.
//!
//! # The cache
//! [`CoverageCache`] is owned here, not by the snapshot: the [`crate::service::Service`]
//! holds one beside its current snapshot and every request passes it in (the API and the CLI
//! through [`crate::service::Service::coverage_cache`]). Each result (the camera polygons, one
//! table per layer) remembers the generations ([`crate::spatial::index::LayerIndex::generation`])
//! of the layers it was computed from — cameras and obstacles, and the layer of the table's
//! features — and is valid while the snapshot asked holds the same ones. Generations are unique
//! in the process, so a stale or foreign result can never be taken for a fresh one.
//!
//! # Villages and towns from their parts
//! A village's table row is assembled from the grid table (computed and cached first), a
//! town's from the village table. The parts of a village are its top-level grids (by code;
//! micro-grids subdivide them), those of a town its villages. In the target's frame:
//! * parts whose box leaves the target's box are set aside; for the others the target less
//!   the parts (even-odd, one overlay) is the *remainder*, and the balance
//!   `Σ area(part) + area(remainder) = area(target)` is checked. Even-odd leaves doubly held
//!   ground out of the clip, so the balance holds (within 0.01 m² + 1e-9 of the target)
//!   exactly when the parts do not overlap one another and lie inside the target. If it fails,
//!   parts that stick out of the target are set aside too and the balance checked again; if
//!   it still fails the target is computed directly.
//! * Then target = parts ∪ remainder with disjoint interiors, and "seen by ≥ 1 / ≥ 2 (online,
//!   if all online)" are properties of points, so each figure is the sum of the parts' figures
//!   plus the remainder's (covered directly, with the cameras reaching its box). A part's
//!   figures were measured in its own frame; the projection is affine in lon/lat, so areas
//!   scale by the ratio of the frames' `kx·ky`, and the sum is what the direct overlay in the
//!   target's frame gives, up to float noise. A set-aside part's share of the target falls in
//!   the remainder. When the parts tile the target, the remainder is slivers along shared
//!   edges where the overlays rounded differently; its smallest polygons, up to 1e-6 of the
//!   target's area in all, are left out, so a figure can differ from the direct overlay by at
//!   most that (1e-4 percentage points of share).
//! * Camera counts are the union of the parts' and the remainder's camera sets (a camera
//!   counts where its piece of some part exceeds the sliver size).
//! * Blind spots and seen ground are the parts' pieces side by side;
//!   [`CoverageCache::feature_coverage`] dissolves them for `GET /api/v1/coverage/{layer}/{key}`.
//!
//! Pure: no I/O; rstar stays inside [`crate::spatial::index`].
//!
//! # Units
//! WGS84 `[lon, lat]` degrees for geometry in and out; square metres, metres and percent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use geo::bool_ops::FillRule;
use geo::{
    Area, BooleanOps, BoundingRect, Coord, Euclidean, Geometry, Intersects, Length, LineString,
    MultiLineString, MultiPolygon, Polygon, Rect,
};

use crate::domain::{CameraStatus, KeyAreaCategory, Layer, RegionLevel};

use crate::spatial::Snapshot;
use crate::spatial::measure::LocalFrame;
use crate::spatial::visibility::camera_coverage;

use super::cache::Slot;

/// Overlay pieces smaller than this (m²) are rounding slivers, not coverage.
const SLIVER_M2: f64 = 1e-4;

/// A camera's visible polygon, ready for overlay.
#[derive(Debug, Clone)]
pub struct CameraShape {
    /// Whether the camera counts as online (status `online`; `offline` and `fault` do not).
    pub online: bool,
    /// The polygon's bounding box, degrees.
    pub bbox: Rect,
    /// What the camera sees, WGS84.
    pub area: MultiPolygon,
}

impl CameraShape {
    /// The shape of a camera whose visible ground is `area`; `None` when it sees nothing.
    #[must_use]
    pub fn new(online: bool, area: MultiPolygon) -> Option<Self> {
        let bbox = area.bounding_rect()?;
        Some(Self { online, bbox, area })
    }
}

/// Every camera's visible polygon, by the camera's slot in `snapshot.cameras`.
#[derive(Debug, Default)]
pub struct CameraShapes {
    shapes: Vec<Option<CameraShape>>,
    /// How long building them took.
    pub built_in: Duration,
}

impl CameraShapes {
    /// Builds every camera's visible polygon with the snapshot's obstacles, on every core.
    #[must_use]
    pub fn build(snapshot: &Snapshot) -> Self {
        let start = Instant::now();
        let shapes = parallel_map(snapshot.cameras.slot_count(), |i| camera_shape(snapshot, i));
        Self {
            shapes,
            built_in: start.elapsed(),
        }
    }

    /// The shape of the camera in slot `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&CameraShape> {
        self.shapes.get(i).and_then(Option::as_ref)
    }
}

fn camera_shape(snapshot: &Snapshot, i: usize) -> Option<CameraShape> {
    let camera = snapshot.cameras.item(u32::try_from(i).ok()?)?;
    let coverage = camera_coverage(snapshot, camera);
    CameraShape::new(camera.status == CameraStatus::Online, coverage.area)
}

/// `f(0..n)` on every core (at most 8 threads), results in order.
fn parallel_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
        .min(n.max(1));
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut pairs: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break out;
                        }
                        out.push((i, f(i)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    pairs.sort_unstable_by_key(|(i, _)| *i);
    pairs.into_iter().map(|(_, v)| v).collect()
}

/// What cameras see of one target.
///
/// # Units
/// `size`, `seen*` in square metres for an area, metres for a route; shares in percent.
#[derive(Debug, Clone)]
pub struct TargetCoverage {
    /// Area (m²) or length (m) of the target.
    pub size: f64,
    /// Seen by at least one online camera.
    pub seen: f64,
    /// Seen by at least two online cameras.
    pub seen_2plus: f64,
    /// Seen by at least one camera were every camera online.
    pub seen_if_all_online: f64,
    /// Seen by at least two cameras were every camera online.
    pub seen_2plus_if_all_online: f64,
    /// Online cameras that see part of the target.
    pub cameras_online: usize,
    /// Offline (or faulty) cameras that would see part of the target.
    pub cameras_offline: usize,
    /// What no online camera sees, WGS84: a MultiPolygon for an area, a MultiLineString for a
    /// route.
    pub blind: Geometry,
    /// What online cameras see of the target, WGS84 (same types as `blind`).
    pub seen_geometry: Geometry,
}

/// `part` as a percentage of `whole`, within 0..=100; 0 when `whole` is not positive.
pub(super) fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (100.0 * part / whole).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

impl TargetCoverage {
    /// A target of no measurable size that nothing sees: all of `blind` is blind.
    fn unseen(blind: Geometry) -> Self {
        let seen_geometry = match blind {
            Geometry::MultiLineString(_) => Geometry::MultiLineString(MultiLineString(Vec::new())),
            _ => Geometry::MultiPolygon(MultiPolygon(Vec::new())),
        };
        Self {
            size: 0.0,
            seen: 0.0,
            seen_2plus: 0.0,
            seen_if_all_online: 0.0,
            seen_2plus_if_all_online: 0.0,
            cameras_online: 0,
            cameras_offline: 0,
            blind,
            seen_geometry,
        }
    }

    /// Share seen by at least one online camera, percent.
    #[must_use]
    pub fn share(&self) -> f64 {
        percent(self.seen, self.size)
    }
    /// Share seen by at least two online cameras, percent.
    #[must_use]
    pub fn share_2plus(&self) -> f64 {
        percent(self.seen_2plus, self.size)
    }
    /// Share that would be seen were every camera online, percent.
    #[must_use]
    pub fn share_if_all_online(&self) -> f64 {
        percent(self.seen_if_all_online, self.size)
    }
    /// Percentage points of coverage lost to cameras that are offline.
    #[must_use]
    pub fn lost_points(&self) -> f64 {
        (self.share_if_all_online() - self.share()).max(0.0)
    }
}

/// A target to cover.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An area: grid, region, key area.
    Area(&'a MultiPolygon),
    /// A line: patrol route.
    Line(&'a LineString),
}

impl Target<'_> {
    fn bbox(&self) -> Option<Rect> {
        match self {
            Target::Area(a) => a.bounding_rect(),
            Target::Line(l) => l.bounding_rect(),
        }
    }
}

fn project_mp(area: &MultiPolygon, frame: &LocalFrame) -> MultiPolygon {
    area.map_coords_in_frame(frame, true)
}

trait MapFrame {
    fn map_coords_in_frame(&self, frame: &LocalFrame, forward: bool) -> Self;
}

fn map_coord(c: Coord, frame: &LocalFrame, forward: bool) -> Coord {
    if forward {
        let [x, y] = frame.project(c.x, c.y);
        Coord { x, y }
    } else {
        let (x, y) = frame.unproject([c.x, c.y]);
        Coord { x, y }
    }
}

impl MapFrame for LineString {
    fn map_coords_in_frame(&self, frame: &LocalFrame, forward: bool) -> Self {
        LineString(
            self.0
                .iter()
                .map(|&c| map_coord(c, frame, forward))
                .collect(),
        )
    }
}

impl MapFrame for MultiPolygon {
    fn map_coords_in_frame(&self, frame: &LocalFrame, forward: bool) -> Self {
        MultiPolygon(
            self.0
                .iter()
                .map(|p| {
                    Polygon::new(
                        p.exterior().map_coords_in_frame(frame, forward),
                        p.interiors()
                            .iter()
                            .map(|r| r.map_coords_in_frame(frame, forward))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

impl MapFrame for MultiLineString {
    fn map_coords_in_frame(&self, frame: &LocalFrame, forward: bool) -> Self {
        MultiLineString(
            self.0
                .iter()
                .map(|l| l.map_coords_in_frame(frame, forward))
                .collect(),
        )
    }
}

/// The two running unions: seen by at least one piece, by at least two.
#[derive(Debug, Clone)]
struct Unions {
    one: MultiPolygon,
    two: MultiPolygon,
}

impl Default for Unions {
    fn default() -> Self {
        Self {
            one: MultiPolygon(Vec::new()),
            two: MultiPolygon(Vec::new()),
        }
    }
}

impl Unions {
    fn single(piece: MultiPolygon) -> Self {
        Self {
            one: piece,
            two: MultiPolygon(Vec::new()),
        }
    }

    /// The unions of two groups: `U1 = U1a ∪ U1b`, `U2 = U2a ∪ U2b ∪ (U1a ∩ U1b)`.
    fn merge(a: Self, b: Self) -> Self {
        if a.one.0.is_empty() {
            return b;
        }
        if b.one.0.is_empty() {
            return a;
        }
        let overlaps = match (a.one.bounding_rect(), b.one.bounding_rect()) {
            (Some(ra), Some(rb)) => ra.intersects(&rb),
            _ => false,
        };
        if !overlaps {
            // Disjoint boxes: the unions are the parts side by side.
            return Self {
                one: concat(a.one, b.one),
                two: concat(a.two, b.two),
            };
        }
        let lens = a.one.intersection(&b.one);
        // Two overlapping operands in one subject: the non-zero fill rule resolves their
        // overlap, so `U2a ∪ U2b ∪ lens` is one overlay.
        let twos = concat(a.two, b.two);
        let two = if lens.unsigned_area() <= SLIVER_M2 {
            if twos.0.is_empty() {
                twos
            } else {
                twos.union_with_fill_rule(&MultiPolygon(Vec::new()), FillRule::NonZero)
            }
        } else {
            twos.union_with_fill_rule(&lens, FillRule::NonZero)
        };
        Self {
            one: a.one.union(&b.one),
            two,
        }
    }

    /// The unions of `pieces` (sorted west to east, so that halves are apart), by halves.
    fn of(pieces: &[MultiPolygon]) -> Self {
        match pieces {
            [] => Self::default(),
            [one] => Self::single(one.clone()),
            _ => {
                let (left, right) = pieces.split_at(pieces.len() / 2);
                Self::merge(Self::of(left), Self::of(right))
            }
        }
    }

    /// The unions of the online pieces, and of all pieces (online and offline).
    fn online_and_all(
        mut online: Vec<MultiPolygon>,
        mut offline: Vec<MultiPolygon>,
    ) -> (Self, Self) {
        let west = |p: &MultiPolygon| p.bounding_rect().map_or(0.0, |r| r.min().x);
        online.sort_by(|a, b| west(a).total_cmp(&west(b)));
        offline.sort_by(|a, b| west(a).total_cmp(&west(b)));
        let on = Self::of(&online);
        let all = Self::merge(on.clone(), Self::of(&offline));
        (on, all)
    }
}

fn concat(mut a: MultiPolygon, b: MultiPolygon) -> MultiPolygon {
    a.0.extend(b.0);
    a
}

/// Coverage of an area (WGS84) by the given camera shapes (any superset of those reaching it).
#[must_use]
pub fn cover_area(target: &MultiPolygon, shapes: &[&CameraShape]) -> TargetCoverage {
    let indexed: Vec<(u32, &CameraShape)> = (0_u32..).zip(shapes.iter().copied()).collect();
    cover_area_indexed(target, &indexed).0
}

/// [`cover_area`] with each shape's camera position; also gives the positions of the cameras
/// that see part of the target (sorted).
fn cover_area_indexed(
    target: &MultiPolygon,
    shapes: &[(u32, &CameraShape)],
) -> (TargetCoverage, Vec<u32>) {
    let Some(bbox) = target.bounding_rect() else {
        return (
            TargetCoverage::unseen(Geometry::MultiPolygon(target.clone())),
            Vec::new(),
        );
    };
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    cover_projected(&project_mp(target, &frame), bbox, &frame, shapes)
}

/// Coverage of `tm`, an area already projected into `frame` whose WGS84 bounding box is
/// `bbox`; the positions of the cameras that see part of it come along (sorted).
fn cover_projected(
    tm: &MultiPolygon,
    bbox: Rect,
    frame: &LocalFrame,
    shapes: &[(u32, &CameraShape)],
) -> (TargetCoverage, Vec<u32>) {
    let size = tm.unsigned_area();
    let (mut on, mut off) = (Vec::new(), Vec::new());
    let mut cameras = Vec::new();
    for &(i, shape) in shapes {
        if !shape.bbox.intersects(&bbox) {
            continue;
        }
        let pm = project_mp(&shape.area, frame);
        let piece = match pm.bounding_rect().map(|pb| side_of(tm, pb)) {
            Some(Side::Inside) => pm,
            Some(Side::Outside) | None => continue,
            Some(Side::Across) => pm.intersection(tm),
        };
        if piece.unsigned_area() <= SLIVER_M2 {
            continue;
        }
        cameras.push(i);
        if shape.online {
            on.push(piece);
        } else {
            off.push(piece);
        }
    }
    cameras.sort_unstable();
    let (cameras_online, cameras_offline) = (on.len(), off.len());
    let (online, unions) = Unions::online_and_all(on, off);
    let blind = if online.one.0.is_empty() {
        tm.clone()
    } else {
        tm.difference(&online.one)
    };
    let coverage = TargetCoverage {
        size,
        seen: online.one.unsigned_area().min(size),
        seen_2plus: online.two.unsigned_area().min(size),
        seen_if_all_online: unions.one.unsigned_area().min(size),
        seen_2plus_if_all_online: unions.two.unsigned_area().min(size),
        cameras_online,
        cameras_offline,
        blind: Geometry::MultiPolygon(blind.map_coords_in_frame(frame, false)),
        seen_geometry: Geometry::MultiPolygon(online.one.map_coords_in_frame(frame, false)),
    };
    (coverage, cameras)
}

/// Where a box lies with respect to an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Outside,
    Across,
}

/// Where the box `b` lies with respect to `area` (same plane): when no edge of the area meets
/// the box, the box is wholly inside or wholly outside, and its centre tells which; else
/// `Across`. A polygon in `b` that is inside needs no clipping; one outside is no piece.
fn side_of(area: &MultiPolygon, b: Rect) -> Side {
    let crossed = area
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(LineString::lines)
        .any(|l| {
            l.start.x.min(l.end.x) <= b.max().x
                && l.start.x.max(l.end.x) >= b.min().x
                && l.start.y.min(l.end.y) <= b.max().y
                && l.start.y.max(l.end.y) >= b.min().y
        });
    if crossed {
        Side::Across
    } else if area.intersects(&b.center()) {
        Side::Inside
    } else {
        Side::Outside
    }
}

fn length_m(lines: &MultiLineString) -> f64 {
    lines.0.iter().map(|l| Euclidean.length(l)).sum()
}

/// Coverage of a route (WGS84 line) by the given camera shapes.
#[must_use]
pub fn cover_line(target: &LineString, shapes: &[&CameraShape]) -> TargetCoverage {
    let whole = MultiLineString(vec![target.clone()]);
    let Some(bbox) = target.bounding_rect() else {
        return TargetCoverage::unseen(Geometry::MultiLineString(whole));
    };
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    let lm = MultiLineString(vec![target.map_coords_in_frame(&frame, true)]);
    let size = length_m(&lm);
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for shape in shapes {
        if !shape.bbox.intersects(&bbox) {
            continue;
        }
        let pm = project_mp(&shape.area, &frame);
        if length_m(&pm.clip(&lm, false)) <= 0.0 {
            continue;
        }
        if shape.online {
            on.push(pm);
        } else {
            off.push(pm);
        }
    }
    let (cameras_online, cameras_offline) = (on.len(), off.len());
    let (online, unions) = Unions::online_and_all(on, off);
    let seen_by = |u: &MultiPolygon| {
        if u.0.is_empty() {
            MultiLineString(Vec::new())
        } else {
            u.clip(&lm, false)
        }
    };
    let seen_lines = seen_by(&online.one);
    let blind = if online.one.0.is_empty() {
        lm.clone()
    } else {
        online.one.clip(&lm, true)
    };
    TargetCoverage {
        size,
        seen: length_m(&seen_lines).min(size),
        seen_2plus: length_m(&seen_by(&online.two)).min(size),
        seen_if_all_online: length_m(&seen_by(&unions.one)).min(size),
        seen_2plus_if_all_online: length_m(&seen_by(&unions.two)).min(size),
        cameras_online,
        cameras_offline,
        blind: Geometry::MultiLineString(blind.map_coords_in_frame(&frame, false)),
        seen_geometry: Geometry::MultiLineString(seen_lines.map_coords_in_frame(&frame, false)),
    }
}

/// The layers whose features coverage is reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverageLayer {
    /// Grids and micro-grids.
    Grids,
    /// Villages/communities (12-digit regions).
    Villages,
    /// Towns/streets (9-digit regions).
    Towns,
    /// Key rectification areas.
    KeyAreas,
    /// Patrol routes (lengths instead of areas).
    PatrolRoutes,
}

impl CoverageLayer {
    /// Every layer, in the order of their cache slots.
    pub const ALL: [CoverageLayer; 5] = [
        CoverageLayer::Grids,
        CoverageLayer::Villages,
        CoverageLayer::Towns,
        CoverageLayer::KeyAreas,
        CoverageLayer::PatrolRoutes,
    ];

    /// The name in URLs: `grids`, `villages`, `towns`, `key-areas`, `patrol-routes`.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            CoverageLayer::Grids => "grids",
            CoverageLayer::Villages => "villages",
            CoverageLayer::Towns => "towns",
            CoverageLayer::KeyAreas => "key-areas",
            CoverageLayer::PatrolRoutes => "patrol-routes",
        }
    }

    /// The layer named `s` in URLs.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.path() == s)
    }

    /// Whether the features are lines (measured in metres, not square metres).
    #[must_use]
    pub fn is_line(self) -> bool {
        self == CoverageLayer::PatrolRoutes
    }

    /// The data layer the features come from.
    #[must_use]
    pub fn source(self) -> Layer {
        match self {
            CoverageLayer::Grids => Layer::Grid,
            CoverageLayer::Villages | CoverageLayer::Towns => Layer::Region,
            CoverageLayer::KeyAreas => Layer::KeyArea,
            CoverageLayer::PatrolRoutes => Layer::PatrolRoute,
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// The layer a feature of this one is assembled from: grids for villages, villages for
    /// towns.
    fn parts_layer(self) -> Option<Self> {
        match self {
            CoverageLayer::Villages => Some(CoverageLayer::Grids),
            CoverageLayer::Towns => Some(CoverageLayer::Villages),
            _ => None,
        }
    }
}

/// One feature's coverage.
#[derive(Debug, Clone)]
pub struct FeatureCoverage {
    /// Grid or region code, key-area or route id.
    pub key: String,
    /// Its name.
    pub name: String,
    /// A key area's category.
    pub category: Option<KeyAreaCategory>,
    /// The figures and geometries.
    pub coverage: TargetCoverage,
}

/// Coverage of every feature of a layer, sorted by key.
#[derive(Debug, Clone)]
pub struct LayerCoverage {
    /// One row per feature, sorted by key.
    pub rows: Vec<FeatureCoverage>,
    /// How long computing them took (camera polygons included when they were built for it).
    pub computed_in: Duration,
    /// Rows (villages, towns) assembled from the rows of the layer below them; the others
    /// were computed directly.
    pub from_parts: usize,
    /// By row: positions of the cameras that see part of the feature (sorted).
    cameras: Vec<Vec<u32>>,
}

/// The generations of the layers a cached result was computed from: the cameras, the
/// obstacles and (for a table) the layer of its features. A result is valid while the
/// snapshot asked holds the same generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    cameras: u64,
    obstacles: u64,
    layer: u64,
}

impl Stamp {
    fn shapes(snapshot: &Snapshot) -> Self {
        Self {
            cameras: snapshot.cameras.generation(),
            obstacles: snapshot.obstacles.generation(),
            layer: 0,
        }
    }

    fn table(snapshot: &Snapshot, layer: CoverageLayer) -> Self {
        let source = match layer {
            CoverageLayer::Grids => snapshot.grids.generation(),
            CoverageLayer::Villages | CoverageLayer::Towns => snapshot.regions.generation(),
            CoverageLayer::KeyAreas => snapshot.key_areas.generation(),
            CoverageLayer::PatrolRoutes => snapshot.patrol_routes.generation(),
        };
        Self {
            layer: source,
            ..Self::shapes(snapshot)
        }
    }
}

/// Camera polygons and layer-wide coverage tables, each built on first use and kept while
/// the layers it was computed from keep their generations ([`crate::spatial::index::LayerIndex::generation`]).
///
/// One cache serves every snapshot of a service: the service holds it beside its current
/// snapshot ([`crate::service::Service::coverage_cache`]) and every request passes it in.
/// Each slot keeps only the latest result, so memory stays what one snapshot's results take.
/// A change of the cameras or the obstacles invalidates everything; a change of a layer its
/// own table (a village or town table only through the regions, as its parts only speed it
/// up). Generations are unique in the process, so a cache can never mistake one dataset for
/// another, even when it is handed snapshots built apart.
#[derive(Debug, Default)]
pub struct CoverageCache {
    shapes: Slot<Stamp, CameraShapes>,
    layers: [Slot<Stamp, LayerCoverage>; 5],
}

/// The features of a layer as (key, name, category, target).
type Features<'a> = Vec<(&'a str, &'a str, Option<KeyAreaCategory>, Target<'a>)>;

impl CoverageCache {
    /// Every camera's visible polygon in `snapshot`, built on first use and kept until a
    /// camera or an obstacle changes.
    #[must_use]
    pub fn camera_shapes(&self, snapshot: &Snapshot) -> Arc<CameraShapes> {
        self.shapes
            .cell(Stamp::shapes(snapshot))
            .get_or_init(|| Arc::new(CameraShapes::build(snapshot)))
            .clone()
    }

    /// The camera polygons of `snapshot` when they are built already.
    #[must_use]
    pub fn ready_camera_shapes(&self, snapshot: &Snapshot) -> Option<Arc<CameraShapes>> {
        self.shapes.peek(&Stamp::shapes(snapshot))
    }

    /// Whether the camera polygons of `snapshot` are built already.
    #[must_use]
    pub fn camera_shapes_ready(&self, snapshot: &Snapshot) -> bool {
        self.ready_camera_shapes(snapshot).is_some()
    }

    /// Coverage of one target. Uses the cached camera polygons when they are built, else
    /// builds only the candidates' polygons (a cold single target does not wait for the city).
    #[must_use]
    pub fn target_coverage(&self, snapshot: &Snapshot, target: Target<'_>) -> TargetCoverage {
        match self.ready_camera_shapes(snapshot) {
            Some(shapes) => target_coverage_with(snapshot, target, &shapes),
            None => target_coverage(snapshot, target),
        }
    }

    /// Coverage of the feature of `layer` with `key` (from the layer's cached table when it
    /// is computed; a village or town from the cached table of the layer below it when that
    /// is); `None` when there is no such feature. A village's or town's blind spots and seen
    /// ground come dissolved into one MultiPolygon.
    #[must_use]
    pub fn feature_coverage(
        &self,
        snapshot: &Snapshot,
        layer: CoverageLayer,
        key: &str,
    ) -> Option<FeatureCoverage> {
        let region = matches!(layer, CoverageLayer::Villages | CoverageLayer::Towns);
        if let Some(table) = self.layers[layer.slot()].peek(&Stamp::table(snapshot, layer)) {
            let mut row = table
                .rows
                .binary_search_by(|r| r.key.as_str().cmp(key))
                .ok()
                .map(|i| table.rows[i].clone())?;
            if region {
                dissolve(&mut row.coverage);
            }
            return Some(row);
        }
        let (name, category, target) = coverage_feature(snapshot, layer, key)?;
        let below = layer
            .parts_layer()
            .and_then(|b| self.layers[b.slot()].peek(&Stamp::table(snapshot, b)));
        let assembled = match (below, target, self.ready_camera_shapes(snapshot)) {
            (Some(below), Target::Area(area), Some(shapes)) => {
                let parts = parts_of(snapshot, &below, layer, key);
                assemble(area, &parts, &shapes, |b| candidates(snapshot, b, &shapes))
            }
            _ => None,
        };
        let mut coverage = match assembled {
            Some((coverage, _)) => coverage,
            None => self.target_coverage(snapshot, target),
        };
        if region {
            dissolve(&mut coverage);
        }
        Some(FeatureCoverage {
            key: key.to_owned(),
            name,
            category,
            coverage,
        })
    }

    /// Coverage of every feature of `layer`, and whether it came from the cache. Villages and
    /// towns are assembled from the table of the layer below (computed and cached first).
    #[must_use]
    pub fn layer_coverage(
        &self,
        snapshot: &Snapshot,
        layer: CoverageLayer,
    ) -> (Arc<LayerCoverage>, bool) {
        let cell = self.layers[layer.slot()].cell(Stamp::table(snapshot, layer));
        if let Some(table) = cell.get() {
            return (table.clone(), true);
        }
        let table = cell
            .get_or_init(|| {
                let start = Instant::now();
                let shapes = self.camera_shapes(snapshot);
                let below = layer
                    .parts_layer()
                    .map(|b| self.layer_coverage(snapshot, b).0);
                let features = coverage_features(snapshot, layer);
                let covered = parallel_map(features.len(), |i| {
                    let (key, _, _, target) = features[i];
                    if let (Some(below), Target::Area(area)) = (&below, target) {
                        let parts = parts_of(snapshot, below, layer, key);
                        let assembled =
                            assemble(area, &parts, &shapes, |b| candidates(snapshot, b, &shapes));
                        if let Some((coverage, cameras)) = assembled {
                            return (coverage, cameras, true);
                        }
                    }
                    let (coverage, cameras) = cover_with(snapshot, target, &shapes);
                    (coverage, cameras, false)
                });
                let mut rows: Vec<(FeatureCoverage, Vec<u32>, bool)> = features
                    .iter()
                    .zip(covered)
                    .map(|(f, (coverage, cameras, from_parts))| {
                        let row = FeatureCoverage {
                            key: f.0.to_owned(),
                            name: f.1.to_owned(),
                            category: f.2,
                            coverage,
                        };
                        (row, cameras, from_parts)
                    })
                    .collect();
                rows.sort_by(|a, b| a.0.key.cmp(&b.0.key));
                let from_parts = rows.iter().filter(|r| r.2).count();
                let (rows, cameras) = rows.into_iter().map(|(r, c, _)| (r, c)).unzip();
                Arc::new(LayerCoverage {
                    rows,
                    computed_in: start.elapsed(),
                    from_parts,
                    cameras,
                })
            })
            .clone();
        (table, false)
    }
}

fn coverage_features(snapshot: &Snapshot, layer: CoverageLayer) -> Features<'_> {
    match layer {
        CoverageLayer::Grids => snapshot
            .grids
            .iter()
            .map(|g| {
                (
                    g.code.as_str(),
                    g.name.as_str(),
                    None,
                    Target::Area(&g.area),
                )
            })
            .collect(),
        CoverageLayer::Villages | CoverageLayer::Towns => {
            let level = if layer == CoverageLayer::Towns {
                RegionLevel::Town
            } else {
                RegionLevel::Village
            };
            snapshot
                .regions
                .iter()
                .filter(|r| r.level() == level)
                .map(|r| {
                    (
                        r.code.as_str(),
                        r.name.as_str(),
                        None,
                        Target::Area(&r.area),
                    )
                })
                .collect()
        }
        CoverageLayer::KeyAreas => snapshot
            .key_areas
            .iter()
            .map(|k| {
                (
                    k.id.as_str(),
                    k.name.as_str(),
                    Some(k.category),
                    Target::Area(&k.area),
                )
            })
            .collect(),
        CoverageLayer::PatrolRoutes => snapshot
            .patrol_routes
            .iter()
            .map(|r| (r.id.as_str(), r.name.as_str(), None, Target::Line(&r.line)))
            .collect(),
    }
}

fn coverage_feature<'a>(
    snapshot: &'a Snapshot,
    layer: CoverageLayer,
    key: &str,
) -> Option<(String, Option<KeyAreaCategory>, Target<'a>)> {
    match layer {
        CoverageLayer::Grids => {
            let g = snapshot.grids.get(key)?;
            Some((g.name.clone(), None, Target::Area(&g.area)))
        }
        CoverageLayer::Villages | CoverageLayer::Towns => {
            let r = snapshot.regions.get(key)?;
            let level = if layer == CoverageLayer::Towns {
                RegionLevel::Town
            } else {
                RegionLevel::Village
            };
            (r.level() == level).then(|| (r.name.clone(), None, Target::Area(&r.area)))
        }
        CoverageLayer::KeyAreas => {
            let k = snapshot.key_areas.get(key)?;
            Some((k.name.clone(), Some(k.category), Target::Area(&k.area)))
        }
        CoverageLayer::PatrolRoutes => {
            let r = snapshot.patrol_routes.get(key)?;
            Some((r.name.clone(), None, Target::Line(&r.line)))
        }
    }
}

/// Coverage of one target with prebuilt camera polygons.
#[must_use]
pub fn target_coverage_with(
    snapshot: &Snapshot,
    target: Target<'_>,
    shapes: &CameraShapes,
) -> TargetCoverage {
    cover_with(snapshot, target, shapes).0
}

/// The shapes of the cameras whose reach meets `bbox`, with their positions.
fn candidates<'s>(
    snapshot: &Snapshot,
    bbox: Rect,
    shapes: &'s CameraShapes,
) -> Vec<(u32, &'s CameraShape)> {
    snapshot
        .cameras
        .slots_intersecting(bbox)
        .filter_map(|i| shapes.get(i as usize).map(|s| (i, s)))
        .collect()
}

/// Coverage of one target and the positions of the cameras that see part of it (none
/// listed for a route).
fn cover_with(
    snapshot: &Snapshot,
    target: Target<'_>,
    shapes: &CameraShapes,
) -> (TargetCoverage, Vec<u32>) {
    let candidates = target
        .bbox()
        .map(|b| candidates(snapshot, b, shapes))
        .unwrap_or_default();
    match target {
        Target::Area(a) => cover_area_indexed(a, &candidates),
        Target::Line(l) => {
            let refs: Vec<&CameraShape> = candidates.iter().map(|&(_, s)| s).collect();
            (cover_line(l, &refs), Vec::new())
        }
    }
}

/// Coverage of one target with only the candidates' camera polygons built for it (no cache).
#[must_use]
pub fn target_coverage(snapshot: &Snapshot, target: Target<'_>) -> TargetCoverage {
    let own: Vec<CameraShape> = target
        .bbox()
        .map(|b| {
            snapshot
                .cameras
                .slots_intersecting(b)
                .filter_map(|i| camera_shape(snapshot, i as usize))
                .collect()
        })
        .unwrap_or_default();
    let candidates: Vec<&CameraShape> = own.iter().collect();
    cover(target, &candidates)
}

/// The rows of `below` (the table of the layer below `layer`) that make up the feature
/// `code` of `layer`: the top-level grids of a village (micro-grids subdivide them), the
/// villages of a town, found by code prefix, with their areas.
fn parts_of<'a>(
    snapshot: &'a Snapshot,
    below: &'a LayerCoverage,
    layer: CoverageLayer,
    code: &str,
) -> Vec<Part<'a>> {
    let first = below.rows.partition_point(|r| r.key.as_str() < code);
    below.rows[first..]
        .iter()
        .zip(&below.cameras[first..])
        .take_while(|(r, _)| r.key.starts_with(code))
        .filter_map(|(row, cameras)| {
            let area = match layer {
                CoverageLayer::Villages => snapshot
                    .grids
                    .get(&row.key)
                    .filter(|g| g.parent_code.is_none())
                    .map(|g| &g.area),
                CoverageLayer::Towns => snapshot
                    .regions
                    .get(&row.key)
                    .filter(|r| r.level() == RegionLevel::Village)
                    .map(|r| &r.area),
                _ => None,
            }?;
            Some(Part {
                area,
                coverage: &row.coverage,
                cameras,
            })
        })
        .collect()
}

/// A feature of the layer below a village or town, with its figures from that layer's table.
struct Part<'a> {
    area: &'a MultiPolygon,
    coverage: &'a TargetCoverage,
    cameras: &'a [u32],
}

/// Pieces of parts and remainder whose areas disagree with the target's by more than this
/// (m², plus [`PART_TOLERANCE_REL`] of the target) overlap or stick out: the target is then
/// computed directly.
const PART_TOLERANCE_M2: f64 = 0.01;
/// Relative part of [`PART_TOLERANCE_M2`].
const PART_TOLERANCE_REL: f64 = 1e-9;
/// Remainder polygons (smallest first) left out of an assembled target, at most this part of
/// its area in all.
const REMAINDER_NEGLIGIBLE: f64 = 1e-6;

fn area_of(g: &Geometry) -> Option<&MultiPolygon> {
    match g {
        Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}

/// Coverage of the area `target` assembled from `parts` (see the module doc): the parts lying
/// inside it contribute their figures rescaled into the target's frame, the rest of the target
/// is covered directly (`candidates` gives the shapes reaching a WGS84 box). `None` when the
/// parts inside overlap one another, or none lies inside.
fn assemble<'s>(
    target: &MultiPolygon,
    parts: &[Part<'_>],
    shapes: &'s CameraShapes,
    candidates: impl Fn(Rect) -> Vec<(u32, &'s CameraShape)>,
) -> Option<(TargetCoverage, Vec<u32>)> {
    let bbox = target.bounding_rect()?;
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    let tm = project_mp(target, &frame);
    let size = tm.unsigned_area();
    let tolerance = PART_TOLERANCE_M2 + PART_TOLERANCE_REL * size;
    // Parts whose box lies in the target's box, in the target's frame.
    let mut inside: Vec<(MultiPolygon, &Part<'_>)> = parts
        .iter()
        .filter(|p| p.area.bounding_rect().is_some_and(|r| rect_within(r, bbox)))
        .map(|p| (project_mp(p.area, &frame), p))
        .collect();
    let mut checked = false;
    let rem = loop {
        if inside.is_empty() {
            return None;
        }
        let parts_m2: f64 = inside.iter().map(|(pm, _)| pm.unsigned_area()).sum();
        // Even-odd: where parts overlap the clip is empty, so any overlap or any part
        // reaching out of the target breaks the balance below.
        let all = MultiPolygon(inside.iter().flat_map(|(pm, _)| pm.0.clone()).collect());
        let rem = tm.difference(&all);
        if (parts_m2 + rem.unsigned_area() - size).abs() <= tolerance {
            break rem;
        }
        if checked {
            return None;
        }
        // Leave out the parts that stick out of the target (their share of it falls into
        // the remainder); if parts still overlap, give up.
        inside.retain(|(pm, _)| pm.difference(&tm).unsigned_area() <= tolerance);
        checked = true;
    };
    let mut sum = PartSum::default();
    let mut cameras: Vec<u32> = Vec::new();
    for (_, part) in &inside {
        // The parts' figures are in their own frames: the projection is affine in lon/lat,
        // so areas scale by the ratio of the frames' kx·ky.
        let Some(pb) = part.area.bounding_rect() else {
            continue;
        };
        let own = LocalFrame::new(pb.center().x, pb.center().y);
        let scale = (frame.kx * frame.ky) / (own.kx * own.ky);
        sum.add(part.coverage, scale);
        cameras.extend_from_slice(part.cameras);
    }
    // The remainder of parts that tile the target is slivers along their shared edges (where
    // the boolean ops rounded differently): the smallest polygons, up to REMAINDER_NEGLIGIBLE
    // of the target's area in all, are left out, which bounds what leaving them out can
    // change of any figure. Covering them would cost as much as the target itself.
    let mut rem: Vec<(f64, Polygon)> = rem.0.into_iter().map(|p| (p.unsigned_area(), p)).collect();
    rem.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut budget = REMAINDER_NEGLIGIBLE * size;
    let rem = MultiPolygon(
        rem.into_iter()
            .filter(|(a, _)| {
                if *a <= budget {
                    budget -= a;
                    false
                } else {
                    true
                }
            })
            .map(|(_, p)| p)
            .collect(),
    );
    if let Some(rb) = rem.bounding_rect() {
        let (x0, y0) = frame.unproject([rb.min().x, rb.min().y]);
        let (x1, y1) = frame.unproject([rb.max().x, rb.max().y]);
        let rem_bbox = Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 });
        let near = candidates(rem_bbox);
        // The remainder is often thin strips along the target's edge; should an overlay of
        // such a strip fail inside i_overlay, the target is computed directly instead.
        let (c, rem_cameras) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cover_projected(&rem, rem_bbox, &frame, &near)
        }))
        .ok()?;
        sum.add(&c, 1.0);
        cameras.extend(rem_cameras);
    }
    cameras.sort_unstable();
    cameras.dedup();
    let cameras_online = cameras
        .iter()
        .filter(|&&i| shapes.get(i as usize).is_some_and(|s| s.online))
        .count();
    let coverage = TargetCoverage {
        size,
        seen: sum.seen.min(size),
        seen_2plus: sum.seen_2plus.min(size),
        seen_if_all_online: sum.seen_all.min(size),
        seen_2plus_if_all_online: sum.seen_2plus_all.min(size),
        cameras_online,
        cameras_offline: cameras.len() - cameras_online,
        blind: Geometry::MultiPolygon(MultiPolygon(sum.blind)),
        seen_geometry: Geometry::MultiPolygon(MultiPolygon(sum.seen_geometry)),
    };
    Some((coverage, cameras))
}

/// The figures of an assembled target's parts, added up in the target's frame; the blind and
/// seen pieces side by side.
#[derive(Default)]
struct PartSum {
    seen: f64,
    seen_2plus: f64,
    seen_all: f64,
    seen_2plus_all: f64,
    blind: Vec<Polygon>,
    seen_geometry: Vec<Polygon>,
}

impl PartSum {
    /// Adds a part's figures, its areas multiplied by `scale` (from its frame to the target's).
    fn add(&mut self, c: &TargetCoverage, scale: f64) {
        self.seen += c.seen * scale;
        self.seen_2plus += c.seen_2plus * scale;
        self.seen_all += c.seen_if_all_online * scale;
        self.seen_2plus_all += c.seen_2plus_if_all_online * scale;
        for (pieces, g) in [
            (&mut self.blind, &c.blind),
            (&mut self.seen_geometry, &c.seen_geometry),
        ] {
            pieces.extend(area_of(g).into_iter().flat_map(|mp| mp.0.iter().cloned()));
        }
    }
}

/// Whether `inner` lies in `outer` (boxes, degrees, with a margin of about 1 mm).
fn rect_within(inner: Rect, outer: Rect) -> bool {
    const MARGIN_DEG: f64 = 1e-8;
    inner.min().x >= outer.min().x - MARGIN_DEG
        && inner.min().y >= outer.min().y - MARGIN_DEG
        && inner.max().x <= outer.max().x + MARGIN_DEG
        && inner.max().y <= outer.max().y + MARGIN_DEG
}

/// Merges the side-by-side pieces of an assembled area's blind spots and seen ground.
fn dissolve(coverage: &mut TargetCoverage) {
    for g in [&mut coverage.blind, &mut coverage.seen_geometry] {
        if let Geometry::MultiPolygon(mp) = g
            && mp.0.len() > 1
        {
            // Even-odd: the pieces do not overlap, and their orientations may differ.
            *mp = mp.union(&MultiPolygon(Vec::new()));
        }
    }
}

fn cover(target: Target<'_>, shapes: &[&CameraShape]) -> TargetCoverage {
    match target {
        Target::Area(a) => cover_area(a, shapes),
        Target::Line(l) => cover_line(l, shapes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Camera, CameraKind};
    use crate::spatial::visibility;
    use geo::Point;

    const LON: f64 = 120.24;
    const LAT: f64 = 29.29;

    fn at_m(east: f64, north: f64) -> Coord {
        let (x, y) = LocalFrame::new(LON, LAT).unproject([east, north]);
        Coord { x, y }
    }

    fn camera(east: f64, north: f64, azimuth_deg: f64, hfov_deg: f64, range_m: f64) -> Camera {
        let c = at_m(east, north);
        Camera {
            code: "33078300001320000001".into(),
            name: String::new(),
            height_m: 6.0,
            azimuth_deg,
            hfov_deg,
            range_m,
            tilt_deg: None,
            vfov_deg: None,
            kind: CameraKind::Fixed,
            status: CameraStatus::Online,
            status_since: None,
            location: Point(c),
        }
    }

    fn shape(c: &Camera, online: bool) -> CameraShape {
        CameraShape::new(online, visibility::coverage(c, []).area).expect("sees something")
    }

    /// A square of `side` metres with its south-west corner `(x0, y0)` metres from the origin.
    fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon {
        let ring = [
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ];
        MultiPolygon(vec![Polygon::new(
            LineString(ring.iter().map(|&(x, y)| at_m(x, y)).collect()),
            Vec::new(),
        )])
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= want.abs() * rel
    }

    #[test]
    fn one_sector_inside_a_square_grid() {
        // 90° sector of 100 m facing north-east from the middle of a 400 m square.
        let c = camera(0.0, 0.0, 45.0, 90.0, 100.0);
        let grid = square(-200.0, -200.0, 400.0);
        let cov = cover_area(&grid, &[&shape(&c, true)]);
        let sector = std::f64::consts::PI * 100.0 * 100.0 / 4.0;
        assert!(close(cov.size, 160_000.0, 1e-6), "{}", cov.size);
        assert!(close(cov.seen, sector, 1e-4), "{} vs {sector}", cov.seen);
        assert!(close(cov.share(), 100.0 * sector / 160_000.0, 1e-4));
        assert!(cov.seen_2plus < 1e-6);
        assert_eq!((cov.cameras_online, cov.cameras_offline), (1, 0));
        assert!(cov.lost_points() < 1e-9);
        let Geometry::MultiPolygon(blind) = &cov.blind else {
            panic!("areas have polygon blind spots")
        };
        let blind_m2 = crate::spatial::topology::area_m2(blind);
        assert!(close(blind_m2, 160_000.0 - sector, 1e-4), "{blind_m2}");
    }

    #[test]
    fn two_overlapping_cameras_share_their_lens() {
        // Two PTZ discs of 50 m, centres 60 m apart: the lens is
        // 2 r² acos(d / 2r) − (d / 2) √(4 r² − d²).
        let (r, d) = (50.0_f64, 60.0_f64);
        let mut a = camera(-30.0, 0.0, 0.0, 360.0, r);
        let mut b = camera(30.0, 0.0, 0.0, 360.0, r);
        a.kind = CameraKind::Ptz;
        b.kind = CameraKind::Ptz;
        let grid = square(-200.0, -200.0, 400.0);
        let cov = cover_area(&grid, &[&shape(&a, true), &shape(&b, true)]);
        let lens = 2.0 * r * r * (d / (2.0 * r)).acos() - d / 2.0 * (4.0 * r * r - d * d).sqrt();
        let disc = std::f64::consts::PI * r * r;
        assert!(
            close(cov.seen_2plus, lens, 1e-3),
            "{} vs {lens}",
            cov.seen_2plus
        );
        assert!(close(cov.seen, 2.0 * disc - lens, 1e-3), "{}", cov.seen);
        assert_eq!(cov.cameras_online, 2);
    }

    #[test]
    fn seen_twice_is_the_union_of_pairwise_overlaps() {
        // Three PTZ discs around a triangle and a fixed sector through them, checked against
        // the union of every pairwise intersection computed plainly.
        let mut cams = Vec::new();
        for (x, y) in [(-30.0, 0.0), (30.0, 0.0), (0.0, 45.0)] {
            let mut c = camera(x, y, 0.0, 360.0, 50.0);
            c.kind = CameraKind::Ptz;
            cams.push(c);
        }
        cams.push(camera(0.0, -60.0, 10.0, 60.0, 150.0));
        let shapes: Vec<CameraShape> = cams.iter().map(|c| shape(c, true)).collect();
        let refs: Vec<&CameraShape> = shapes.iter().collect();
        let grid = square(-100.0, -100.0, 200.0);
        let cov = cover_area(&grid, &refs);
        let frame = LocalFrame::new(LON, LAT);
        let local: Vec<MultiPolygon> = shapes
            .iter()
            .map(|s| project_mp(&s.area, &frame).intersection(&project_mp(&grid, &frame)))
            .collect();
        let mut two = MultiPolygon(Vec::new());
        let mut one = MultiPolygon(Vec::new());
        for (i, a) in local.iter().enumerate() {
            one = one.union(a);
            for b in &local[i + 1..] {
                two = two.union(&a.intersection(b));
            }
        }
        assert!(two.unsigned_area() > 1000.0);
        assert!(
            close(cov.seen_2plus, two.unsigned_area(), 1e-3),
            "{} vs {}",
            cov.seen_2plus,
            two.unsigned_area()
        );
        assert!(
            close(cov.seen, one.unsigned_area(), 1e-3),
            "{} vs {}",
            cov.seen,
            one.unsigned_area()
        );
        assert_eq!(cov.cameras_online, 4);
    }

    #[test]
    fn an_offline_camera_counts_only_if_all_were_online() {
        let on = camera(-100.0, 0.0, 90.0, 60.0, 80.0);
        let off = camera(100.0, 0.0, 270.0, 60.0, 80.0);
        let grid = square(-200.0, -200.0, 400.0);
        let cov = cover_area(&grid, &[&shape(&off, false), &shape(&on, true)]);
        let sector = std::f64::consts::PI * 80.0 * 80.0 / 6.0;
        assert!(close(cov.seen, sector, 1e-4), "{}", cov.seen);
        assert!(close(cov.seen_if_all_online, 2.0 * sector, 1e-4));
        assert_eq!((cov.cameras_online, cov.cameras_offline), (1, 1));
        // The sectors face each other but end 40 m apart: no overlap.
        assert!(cov.seen_2plus_if_all_online < 1.0);
        let lost = 100.0 * sector / 160_000.0;
        assert!(
            close(cov.lost_points(), lost, 1e-3),
            "{}",
            cov.lost_points()
        );
    }

    #[test]
    fn a_sector_reaching_out_of_the_grid_counts_only_inside() {
        // Camera on the grid's east edge looking east: nothing inside; looking north along the
        // edge with 90°: half the sector is inside.
        let grid = square(-200.0, -200.0, 200.0);
        let east = camera(0.0, -100.0, 90.0, 90.0, 50.0);
        let cov = cover_area(&grid, &[&shape(&east, true)]);
        assert!(cov.seen < 1e-3 && cov.cameras_online == 0, "{cov:?}");
        let north = camera(0.0, -100.0, 0.0, 90.0, 50.0);
        let cov = cover_area(&grid, &[&shape(&north, true)]);
        let half = std::f64::consts::PI * 50.0 * 50.0 / 8.0;
        assert!(close(cov.seen, half, 1e-3), "{} vs {half}", cov.seen);
    }

    #[test]
    fn a_route_half_inside_a_sector() {
        // A PTZ disc of 100 m around the origin; a route from the centre 200 m east: 100 m seen.
        let mut c = camera(0.0, 0.0, 0.0, 360.0, 100.0);
        c.kind = CameraKind::Ptz;
        let route = LineString(vec![at_m(0.0, 0.0), at_m(200.0, 0.0)]);
        let cov = cover_line(&route, &[&shape(&c, true)]);
        assert!(close(cov.size, 200.0, 1e-6), "{}", cov.size);
        assert!(close(cov.seen, 100.0, 1e-3), "{}", cov.seen);
        assert!(close(cov.share(), 50.0, 1e-3));
        assert!(cov.seen_2plus < 1e-9);
        let Geometry::MultiLineString(blind) = &cov.blind else {
            panic!("routes have line blind spots")
        };
        assert_eq!(blind.0.len(), 1);
        // A second, offline camera covering the rest.
        let mut d = camera(200.0, 0.0, 0.0, 360.0, 100.0);
        d.kind = CameraKind::Ptz;
        let cov = cover_line(&route, &[&shape(&c, true), &shape(&d, false)]);
        assert!(close(cov.seen_if_all_online, 200.0, 1e-3));
        assert!(close(cov.lost_points(), 50.0, 1e-3));
        assert_eq!((cov.cameras_online, cov.cameras_offline), (1, 1));
    }

    /// Shapes by camera position, as a snapshot keeps them.
    fn shapes_of(list: Vec<CameraShape>) -> CameraShapes {
        CameraShapes {
            shapes: list.into_iter().map(Some).collect(),
            built_in: Duration::ZERO,
        }
    }

    /// Figures and the cameras counted.
    type Covered = (TargetCoverage, Vec<u32>);

    /// The figures of `target` assembled from `grids`, and directly.
    fn assembled_and_direct(
        target: &MultiPolygon,
        grids: &[MultiPolygon],
        shapes: &CameraShapes,
    ) -> Option<(Covered, Covered)> {
        let all: Vec<(u32, &CameraShape)> = (0_u32..)
            .zip(&shapes.shapes)
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
            .collect();
        let rows: Vec<(TargetCoverage, Vec<u32>)> =
            grids.iter().map(|g| cover_area_indexed(g, &all)).collect();
        let parts: Vec<Part<'_>> = grids
            .iter()
            .zip(&rows)
            .map(|(area, (coverage, cameras))| Part {
                area,
                coverage,
                cameras,
            })
            .collect();
        let candidates = |b: Rect| -> Vec<(u32, &CameraShape)> {
            all.iter()
                .copied()
                .filter(|(_, s)| s.bbox.intersects(&b))
                .collect()
        };
        let assembled = assemble(target, &parts, shapes, candidates)?;
        Some((assembled, cover_area_indexed(target, &all)))
    }

    fn assert_same(got: &TargetCoverage, want: &TargetCoverage) {
        let pairs = [
            ("size", got.size, want.size),
            ("seen", got.seen, want.seen),
            ("seen_2plus", got.seen_2plus, want.seen_2plus),
            (
                "seen_if_all_online",
                got.seen_if_all_online,
                want.seen_if_all_online,
            ),
            (
                "seen_2plus_if_all_online",
                got.seen_2plus_if_all_online,
                want.seen_2plus_if_all_online,
            ),
        ];
        for (name, g, w) in pairs {
            assert!((g - w).abs() <= 1e-6 * want.size, "{name}: {g} vs {w}");
        }
        assert_eq!(
            (got.cameras_online, got.cameras_offline),
            (want.cameras_online, want.cameras_offline)
        );
        let mut got = got.clone();
        dissolve(&mut got);
        for (g, w) in [
            (&got.blind, &want.blind),
            (&got.seen_geometry, &want.seen_geometry),
        ] {
            let (Some(g), Some(w)) = (area_of(g), area_of(w)) else {
                panic!("areas have polygon geometries")
            };
            let (ga, wa) = (
                crate::spatial::topology::area_m2(g),
                crate::spatial::topology::area_m2(w),
            );
            assert!((ga - wa).abs() <= 1e-5 * want.size, "geometry {ga} vs {wa}");
            // Same ground: nothing of one lies outside the other.
            assert!(g.xor(w).unsigned_area() <= 1e-12, "geometries differ");
        }
    }

    /// Cameras around a 400 m village split into grids: a sector straddling the line between
    /// the west and east halves, two PTZ discs overlapping across it, an offline sector, and
    /// one camera in the village's south-east corner.
    fn village_cameras() -> CameraShapes {
        let mut ptz_a = camera(-30.0, 100.0, 0.0, 360.0, 50.0);
        let mut ptz_b = camera(30.0, 100.0, 0.0, 360.0, 50.0);
        ptz_a.kind = CameraKind::Ptz;
        ptz_b.kind = CameraKind::Ptz;
        shapes_of(vec![
            shape(&camera(-60.0, -100.0, 90.0, 90.0, 150.0), true),
            shape(&ptz_a, true),
            shape(&ptz_b, true),
            shape(&camera(60.0, -150.0, 300.0, 60.0, 120.0), false),
            shape(&camera(180.0, -180.0, 45.0, 90.0, 100.0), true),
            shape(&camera(-190.0, 150.0, 0.0, 90.0, 100.0), true),
        ])
    }

    #[test]
    fn a_village_from_its_grids_equals_the_direct_overlay() {
        let village = square(-200.0, -200.0, 400.0);
        let grids = [square(-200.0, -200.0, 200.0), square(-200.0, 0.0, 200.0)]
            .into_iter()
            .chain([square(0.0, -200.0, 200.0), square(0.0, 0.0, 200.0)])
            .collect::<Vec<_>>();
        let shapes = village_cameras();
        let ((got, cameras), (want, want_cameras)) =
            assembled_and_direct(&village, &grids, &shapes).expect("grids tile the village");
        assert!(
            want.seen_2plus > 1000.0 && want.cameras_offline == 1,
            "{want:?}"
        );
        assert_same(&got, &want);
        assert_eq!(cameras, want_cameras);
    }

    #[test]
    fn a_village_with_a_remainder_no_grid_covers() {
        // Grids over the west half and the north-east quarter only: the south-east quarter,
        // with a camera of its own and the straddling sector's east part, is the remainder.
        let village = square(-200.0, -200.0, 400.0);
        let grids = vec![
            square(-200.0, -200.0, 200.0),
            square(-200.0, 0.0, 200.0),
            square(0.0, 0.0, 200.0),
        ];
        let shapes = village_cameras();
        let ((got, _), (want, _)) =
            assembled_and_direct(&village, &grids, &shapes).expect("grids inside the village");
        assert_same(&got, &want);
        // A grid reaching out of the village is left out: its share falls to the remainder.
        let grids = vec![square(-200.0, -200.0, 200.0), square(-50.0, -50.0, 400.0)];
        let ((got, _), (want, _)) =
            assembled_and_direct(&village, &grids, &shapes).expect("one grid inside");
        assert_same(&got, &want);
    }

    #[test]
    fn overlapping_grids_leave_the_village_to_the_direct_overlay() {
        let village = square(-200.0, -200.0, 400.0);
        let grids = vec![square(-200.0, -200.0, 250.0), square(0.0, 0.0, 200.0)];
        assert!(assembled_and_direct(&village, &grids, &village_cameras()).is_none());
    }

    #[test]
    fn layer_cache_survives_unrelated_changes_only() {
        use crate::spatial::ItemChange;
        let cache = CoverageCache::default();
        let snapshot = Snapshot::default();
        let _ = cache.camera_shapes(&snapshot);
        let _ = cache.layer_coverage(&snapshot, CoverageLayer::Grids);
        let events = snapshot.with_ordered(&[ItemChange::Delete(Layer::Event, "e".into())]);
        assert!(cache.camera_shapes_ready(&events));
        assert!(cache.layer_coverage(&events, CoverageLayer::Grids).1);
        let grids = events.with_ordered(&[ItemChange::Delete(Layer::Grid, "g".into())]);
        assert!(cache.camera_shapes_ready(&grids));
        assert!(!cache.layer_coverage(&grids, CoverageLayer::Grids).1);
        let cameras = grids.with_ordered(&[ItemChange::Delete(Layer::Camera, "c".into())]);
        assert!(!cache.camera_shapes_ready(&cameras));
    }

    #[test]
    fn a_cache_never_takes_one_dataset_for_another() {
        let cache = CoverageCache::default();
        let one = Snapshot::default();
        let _ = cache.camera_shapes(&one);
        assert!(cache.camera_shapes_ready(&one));
        assert!(!cache.camera_shapes_ready(&Snapshot::default()));
    }
}
