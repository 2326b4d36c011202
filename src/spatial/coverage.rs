//! Coverage analytics: how much of a grid, village, town, key area or patrol route online
//! cameras see, how much two or more see, where the blind spots are, and what the cameras now
//! offline would add if they were back online.
//!
//! # Method
//! Each camera's *visible polygon* is what [`super::visibility`] gives: its footprint less the
//! shadows of obstacles. The polygons are built once per snapshot ([`CameraShapes`], kept in
//! the snapshot's [`CoverageCache`] until a camera or an obstacle changes) and reused by every
//! target.
//!
//! For one target, everything runs in one [`LocalFrame`] at the centre of its bounding box:
//! * candidate cameras come from the cameras' R-tree (their reach boxes), then their polygon's
//!   box;
//! * an **area** target: each candidate's polygon is clipped to the target (exact overlay,
//!   geo `BooleanOps`); pieces are added one by one to two running unions, `U1` (seen by at
//!   least one) and `U2` (seen by at least two): adding piece `P` makes
//!   `U2 ← U2 ∪ (U1 ∩ P)` and then `U1 ← U1 ∪ P`. This is exact: a point is in `U2` exactly
//!   when it lies in two pieces. Online cameras go first; the unions after the last online
//!   camera give the *online* figures, and carrying on with the offline cameras gives the
//!   *if all online* figures from the same pass. Blind spots are the target less `U1`.
//! * a **route**: the same unions of the (unclipped) polygons of the cameras that see part of
//!   the line; the seen length is the line clipped by `U1` (and by `U2`).
//!
//! Shares are percentages of the target's area (or length); `lost_points` is
//! `share_if_all_online − share`, in percentage points.
//!
//! Layer-wide results ([`Snapshot::layer_coverage`]) are computed on every core (a shared work
//! counter over the targets, `std::thread::scope`) and cached in the snapshot until a camera,
//! an obstacle or the layer itself changes ([`CoverageCache::after_change`]).
//!
//! Pure: no I/O; rstar stays inside [`super::index`].
//!
//! # Units
//! WGS84 `[lon, lat]` degrees for geometry in and out; square metres, metres and percent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use geo::bool_ops::FillRule;
use geo::{
    Area, BooleanOps, BoundingRect, Coord, Euclidean, Geometry, Intersects, Length, LineString,
    MultiLineString, MultiPolygon, Polygon, Rect,
};

use crate::domain::{CameraStatus, KeyAreaCategory, Layer, RegionLevel};

use super::measure::LocalFrame;
use super::snapshot::Snapshot;

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

/// Every camera's visible polygon, by the camera's position in `snapshot.cameras.items()`.
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
        let cameras = snapshot.cameras.items();
        let shapes = parallel_map(cameras.len(), |i| camera_shape(snapshot, i));
        Self {
            shapes,
            built_in: start.elapsed(),
        }
    }

    /// The shape of the camera at position `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&CameraShape> {
        self.shapes.get(i).and_then(Option::as_ref)
    }
}

fn camera_shape(snapshot: &Snapshot, i: usize) -> Option<CameraShape> {
    let camera = &snapshot.cameras.items()[i];
    let coverage = snapshot.camera_coverage(camera);
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

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (100.0 * part / whole).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

impl TargetCoverage {
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
    let empty = || TargetCoverage {
        size: 0.0,
        seen: 0.0,
        seen_2plus: 0.0,
        seen_if_all_online: 0.0,
        seen_2plus_if_all_online: 0.0,
        cameras_online: 0,
        cameras_offline: 0,
        blind: Geometry::MultiPolygon(target.clone()),
        seen_geometry: Geometry::MultiPolygon(MultiPolygon(Vec::new())),
    };
    let Some(bbox) = target.bounding_rect() else {
        return empty();
    };
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    let tm = project_mp(target, &frame);
    let size = tm.unsigned_area();
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for shape in shapes {
        if !shape.bbox.intersects(&bbox) {
            continue;
        }
        let piece = project_mp(&shape.area, &frame).intersection(&tm);
        if piece.unsigned_area() <= SLIVER_M2 {
            continue;
        }
        if shape.online {
            on.push(piece);
        } else {
            off.push(piece);
        }
    }
    let (cameras_online, cameras_offline) = (on.len(), off.len());
    let (online, unions) = Unions::online_and_all(on, off);
    let blind = if online.one.0.is_empty() {
        tm.clone()
    } else {
        tm.difference(&online.one)
    };
    TargetCoverage {
        size,
        seen: online.one.unsigned_area().min(size),
        seen_2plus: online.two.unsigned_area().min(size),
        seen_if_all_online: unions.one.unsigned_area().min(size),
        seen_2plus_if_all_online: unions.two.unsigned_area().min(size),
        cameras_online,
        cameras_offline,
        blind: Geometry::MultiPolygon(blind.map_coords_in_frame(&frame, false)),
        seen_geometry: Geometry::MultiPolygon(online.one.map_coords_in_frame(&frame, false)),
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
        return TargetCoverage {
            size: 0.0,
            seen: 0.0,
            seen_2plus: 0.0,
            seen_if_all_online: 0.0,
            seen_2plus_if_all_online: 0.0,
            cameras_online: 0,
            cameras_offline: 0,
            blind: Geometry::MultiLineString(whole),
            seen_geometry: Geometry::MultiLineString(MultiLineString(Vec::new())),
        };
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
}

/// Coverage results kept with a snapshot: camera polygons and layer-wide tables, each built on
/// first use. [`CoverageCache::after_change`] carries over what a change leaves valid.
#[derive(Debug, Clone, Default)]
pub struct CoverageCache {
    shapes: OnceLock<Arc<CameraShapes>>,
    layers: [OnceLock<Arc<LayerCoverage>>; 5],
}

impl CoverageCache {
    /// The cache for the snapshot after a change of `touched` layers: everything is dropped
    /// when cameras or obstacles change, else the tables of the changed layers.
    #[must_use]
    pub fn after_change(&self, touched: &std::collections::BTreeSet<Layer>) -> Self {
        if touched.contains(&Layer::Camera) || touched.contains(&Layer::Obstacle) {
            return Self::default();
        }
        let mut next = self.clone();
        for layer in CoverageLayer::ALL {
            if touched.contains(&layer.source()) {
                next.layers[layer.slot()] = OnceLock::new();
            }
        }
        next
    }
}

/// The features of a layer as (key, name, category, target).
type Features<'a> = Vec<(&'a str, &'a str, Option<KeyAreaCategory>, Target<'a>)>;

impl Snapshot {
    /// Every camera's visible polygon, built on first use and kept until a camera or an
    /// obstacle changes.
    #[must_use]
    pub fn camera_shapes(&self) -> Arc<CameraShapes> {
        self.coverage_cache
            .shapes
            .get_or_init(|| Arc::new(CameraShapes::build(self)))
            .clone()
    }

    /// Whether the camera polygons are built already.
    #[must_use]
    pub fn camera_shapes_ready(&self) -> bool {
        self.coverage_cache.shapes.get().is_some()
    }

    fn coverage_features(&self, layer: CoverageLayer) -> Features<'_> {
        match layer {
            CoverageLayer::Grids => self
                .grids
                .items()
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
                self.regions
                    .items()
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
            CoverageLayer::KeyAreas => self
                .key_areas
                .items()
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
            CoverageLayer::PatrolRoutes => self
                .patrol_routes
                .items()
                .iter()
                .map(|r| (r.id.as_str(), r.name.as_str(), None, Target::Line(&r.line)))
                .collect(),
        }
    }

    fn coverage_feature(
        &self,
        layer: CoverageLayer,
        key: &str,
    ) -> Option<(String, Option<KeyAreaCategory>, Target<'_>)> {
        match layer {
            CoverageLayer::Grids => {
                let g = self.grids.get(key)?;
                Some((g.name.clone(), None, Target::Area(&g.area)))
            }
            CoverageLayer::Villages | CoverageLayer::Towns => {
                let r = self.regions.get(key)?;
                let level = if layer == CoverageLayer::Towns {
                    RegionLevel::Town
                } else {
                    RegionLevel::Village
                };
                (r.level() == level).then(|| (r.name.clone(), None, Target::Area(&r.area)))
            }
            CoverageLayer::KeyAreas => {
                let k = self.key_areas.get(key)?;
                Some((k.name.clone(), Some(k.category), Target::Area(&k.area)))
            }
            CoverageLayer::PatrolRoutes => {
                let r = self.patrol_routes.get(key)?;
                Some((r.name.clone(), None, Target::Line(&r.line)))
            }
        }
    }

    /// Coverage of one target with prebuilt camera polygons.
    #[must_use]
    pub fn target_coverage_with(
        &self,
        target: Target<'_>,
        shapes: &CameraShapes,
    ) -> TargetCoverage {
        let candidates: Vec<&CameraShape> = target
            .bbox()
            .map(|b| {
                self.cameras
                    .positions_intersecting(b)
                    .filter_map(|i| shapes.get(i as usize))
                    .collect()
            })
            .unwrap_or_default();
        cover(target, &candidates)
    }

    /// Coverage of one target. Uses the snapshot's camera polygons when they are built, else
    /// builds only the candidates' polygons (a cold single target does not wait for the city).
    #[must_use]
    pub fn target_coverage(&self, target: Target<'_>) -> TargetCoverage {
        if let Some(shapes) = self.coverage_cache.shapes.get() {
            return self.target_coverage_with(target, shapes);
        }
        let own: Vec<CameraShape> = target
            .bbox()
            .map(|b| {
                self.cameras
                    .positions_intersecting(b)
                    .filter_map(|i| camera_shape(self, i as usize))
                    .collect()
            })
            .unwrap_or_default();
        let candidates: Vec<&CameraShape> = own.iter().collect();
        cover(target, &candidates)
    }

    /// Coverage of the feature of `layer` with `key` (from the layer's cached table when it
    /// is computed); `None` when there is no such feature.
    #[must_use]
    pub fn feature_coverage(&self, layer: CoverageLayer, key: &str) -> Option<FeatureCoverage> {
        if let Some(table) = self.coverage_cache.layers[layer.slot()].get() {
            return table
                .rows
                .binary_search_by(|r| r.key.as_str().cmp(key))
                .ok()
                .map(|i| table.rows[i].clone());
        }
        let (name, category, target) = self.coverage_feature(layer, key)?;
        Some(FeatureCoverage {
            key: key.to_owned(),
            name,
            category,
            coverage: self.target_coverage(target),
        })
    }

    /// Coverage of every feature of `layer`, and whether it came from the cache.
    #[must_use]
    pub fn layer_coverage(&self, layer: CoverageLayer) -> (Arc<LayerCoverage>, bool) {
        let slot = &self.coverage_cache.layers[layer.slot()];
        if let Some(table) = slot.get() {
            return (table.clone(), true);
        }
        let table = slot
            .get_or_init(|| {
                let start = Instant::now();
                let shapes = self.camera_shapes();
                let features = self.coverage_features(layer);
                let covered = parallel_map(features.len(), |i| {
                    self.target_coverage_with(features[i].3, &shapes)
                });
                let mut rows: Vec<FeatureCoverage> = features
                    .iter()
                    .zip(covered)
                    .map(|(f, coverage)| FeatureCoverage {
                        key: f.0.to_owned(),
                        name: f.1.to_owned(),
                        category: f.2,
                        coverage,
                    })
                    .collect();
                rows.sort_by(|a, b| a.key.cmp(&b.key));
                Arc::new(LayerCoverage {
                    rows,
                    computed_in: start.elapsed(),
                })
            })
            .clone();
        (table, false)
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

    #[test]
    fn layer_cache_survives_unrelated_changes_only() {
        let mut set = std::collections::BTreeSet::new();
        let cache = CoverageCache::default();
        let _ = cache.shapes.set(Arc::new(CameraShapes::default()));
        set.insert(Layer::Event);
        assert!(cache.after_change(&set).shapes.get().is_some());
        set.insert(Layer::Camera);
        assert!(cache.after_change(&set).shapes.get().is_none());
    }
}
