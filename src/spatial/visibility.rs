//! What a camera really sees: its ground footprint less what obstacles hide.
//!
//! The footprint is the camera's annulus sector (see the model in [`crate::domain::Camera`]'s
//! module: `near..far` metres from the camera, `hfov_deg` wide around the azimuth, the full disc
//! for a PTZ camera). An obstacle edge within reach hides its *shadow*. For an obstacle at least
//! as high as the camera (or of unknown height) that is every point whose sight line from the
//! camera crosses the edge: the part of the cone spanned by `a` and `b` that lies beyond the
//! edge (lower obstacles throw shorter shadows, see *Heights* below):
//!
//! ```text
//!                 a'╌╌╌╌╌╌╌╌╌╌╌b'     a', b': a and b pushed out along their rays, beyond range
//!                  ╲ shadow    ╱
//!                   a━━━━━━━━━b       the edge (a wall, or a side of a building facing the camera)
//!                    ╲       ╱
//!                     ╲     ╱  seen
//!                      ╲   ╱
//!                        ●  camera
//! ```
//!
//! The visible ground is the footprint minus the union of all shadows, computed with geo's
//! `BooleanOps` (one overlay, non-zero fill) in the camera's [`LocalFrame`], where metres are
//! metres in every direction.
//!
//! # Heights
//! A camera `h` metres above the ground looks at a ground point `P` at horizontal distance `d`;
//! its sight line is `h · (1 − x/d)` above the ground at horizontal distance `x`. An obstacle
//! of height `H` standing at distance `x` on the way hides `P` iff `H ≥ h · (1 − x/d)`, i.e. iff
//! `d ≤ x · s` with the *shadow scale* `s = h / (h − H)` ([`shadow_scale`]). So the shadow of
//! an obstacle lower than the camera is the region swept by each of its points `q` moving out
//! along its ray to `s · q` (a central scaling about the camera's ground point, in the local
//! metric frame):
//!
//! ```text
//!                   a'━━━━━━━━━━━━━b'    a' = s·a, b' = s·b: the top of the wall meets the
//!                    ╲   shadow    ╱     ground there; beyond it the ground is seen again
//!                     a━━━━━━━━━━━b      a low wall (H < h)
//!                      ╲    seen  ╱
//!                        ●  camera, h above the ground
//! ```
//!
//! For a wall that is the quadrilateral `a b b' a'` of each segment. For a footprint (a prism
//! of height `H`) it is the footprint itself plus the quadrilaterals of the sides facing away
//! from the camera: the top's far edge throws the longest shadow, and the sweep of every other
//! point lies in the footprint or in one of those (a ray leaves the footprint last through a
//! side facing away). Where the scaled edge lies beyond the range, the quadrilateral is the
//! unbounded shadow below, clipped the same way.
//!
//! Defaults, so that missing data never makes a camera see more than before:
//! * **Obstacle height unknown** (`height_m` absent) or **at least the camera's**: the shadow is
//!   unbounded, it reaches to the range (`s = ∞`).
//! * **Camera height unknown**: [`Camera::height_m`] is always a number here. A camera feature
//!   without it gets 4 m (its serde default, the same height the tilt/vertical-view footprint
//!   of [`Camera::ground_span_m`] uses; the CSV import fills in 5 m). A camera at 0 m is hidden
//!   by any obstacle, as if heights were unknown.
//!
//! # Modelling choices
//! * **Ground-level view.** Visibility is of the ground (people and vehicles on it): a point
//!   is hidden when the sight line to its foot is blocked. A low wall hides only the strip
//!   `x · H / (h − H)` behind it.
//! * **Ground under an obstacle is hidden.** A point strictly inside a building's footprint is
//!   never seen, whatever the heights (it is not ground anyone watches, and it was hidden
//!   before heights counted); a point on a footprint's outline or on a wall line is decided by
//!   the sight line alone.
//! * **Camera on a building.** An obstacle whose footprint covers the camera (inside or on its
//!   boundary) is ignored: the camera is mounted on that building's wall or roof edge and looks
//!   outward. A camera exactly on a wall line is not hidden by that wall either.
//! * **Which sides of a footprint cast shadows.** For an unbounded shadow only the sides facing
//!   the camera: a side facing away hides nothing that a facing side does not already hide (a
//!   sight line must enter the footprint before it can leave it). For a bounded one the
//!   footprint and the sides facing away, as above. Walls have no inside and all of their
//!   segments count. A side or wall seen edge-on (its line through the camera) hides nothing.
//! * **Exact sight-line test.** For one point, [`sight_blocked`] decides with exact orientation
//!   predicates in lon/lat (the local frame is affine in lon/lat, so crossing and scaling about
//!   the camera are the same in both): the sight line is blocked when it crosses an obstacle
//!   edge, or passes through one of its vertices, anywhere but at its two ends. For an
//!   obstacle lower than the camera only the last `1/s` of the sight line counts, the part
//!   below the obstacle's top (from `c + (P − c)/s` to `P`), plus `P` inside a footprint.
//!   A point on the facing side of a wall is seen; a point inside a building is not; a sight line that grazes a building's
//!   corner is blocked (shadows are closed), one along a lone wall segment seen edge-on is
//!   not. The polygon and the exact test agree everywhere but on shadow boundaries, which have
//!   no area.
//!
//! Pure: no I/O; rstar stays inside [`super::index`].
//!
//! # Units
//! WGS84 `[lon, lat]` degrees in and out; metres and square metres for lengths and areas.

use geo::coordinate_position::CoordPos;
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{
    Area, BooleanOps, Coord, LineString, MultiPolygon, OpType, Polygon, Rect, bool_ops::FillRule,
};

use crate::domain::{Camera, Obstacle, ObstacleShape};

use super::geom::{covers, ring_set_position};
use super::index::Spatial;
use super::measure::{LocalFrame, angle_diff_deg};
use super::snapshot::Snapshot;

/// Largest angle between two vertices of a footprint arc, in degrees. The arc is drawn through
/// vertices on the circle, so the polygon misses at most `r (1 − cos 0.5°)`, under 0.004 % of
/// the radius, and its area is within 0.005 % of the true sector's.
pub const ARC_STEP_DEG: f64 = 1.0;

/// Largest angle between two far vertices of a shadow, in degrees.
const SHADOW_STEP_DEG: f64 = 10.0;

/// What a camera sees on the ground.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The visible ground, WGS84; empty when obstacles hide everything.
    pub area: MultiPolygon,
    /// Where the footprint starts, metres from the camera (the blind zone under it).
    pub near_m: f64,
    /// Where the footprint ends, metres from the camera.
    pub far_m: f64,
    /// Area of the footprint before obstacles, square metres.
    pub footprint_m2: f64,
    /// Area of the visible ground, square metres.
    pub area_m2: f64,
    /// Obstacles that hide part of the footprint's reach (ones whose edges cast a shadow into
    /// the camera's range and field of view; an obstacle around the camera is not counted).
    pub obstacles_considered: usize,
}

impl Coverage {
    /// The share of the footprint that obstacles hide, in `[0, 1]`.
    #[must_use]
    pub fn occluded_share(&self) -> f64 {
        if self.footprint_m2 > 0.0 {
            ((self.footprint_m2 - self.area_m2) / self.footprint_m2).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// `r` metres out at math angle `theta` (radians, counter-clockwise from east).
fn polar(r: f64, theta: f64) -> Coord {
    let (s, c) = theta.sin_cos();
    Coord { x: r * c, y: r * s }
}

/// Math angle (radians, counter-clockwise from east) of a bearing (degrees clockwise from north).
fn math_angle(bearing_deg: f64) -> f64 {
    (90.0 - bearing_deg).to_radians()
}

/// Vertices of the arc of radius `r` from math angle `from` over `sweep` radians (signed).
fn arc(r: f64, from: f64, sweep: f64, step_deg: f64, out: &mut Vec<Coord>) {
    let steps = (sweep.abs().to_degrees() / step_deg).ceil().max(1.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "steps is a small positive whole number (at most 360 / step)"
    )]
    let n = steps as usize;
    out.extend((0..=n).map(|i| polar(r, from + sweep * i as f64 / steps)));
}

/// The camera's ground footprint in metres around the camera (at the origin, x east, y north),
/// counter-clockwise: a disc, an annulus, a sector or an annulus sector.
#[must_use]
pub fn footprint_m(camera: &Camera) -> Polygon {
    let (near, far) = camera.ground_span_m();
    if far <= near {
        return Polygon::new(LineString(Vec::new()), Vec::new());
    }
    let mut outer = Vec::new();
    if camera.is_panoramic() {
        arc(far, 0.0, std::f64::consts::TAU, ARC_STEP_DEG, &mut outer);
        outer.pop();
        let mut holes = Vec::new();
        if near > 0.0 {
            let mut inner = Vec::new();
            arc(near, 0.0, -std::f64::consts::TAU, ARC_STEP_DEG, &mut inner);
            inner.pop();
            holes.push(LineString(inner));
        }
        return Polygon::new(LineString(outer), holes);
    }
    // From the right edge of the view (the larger bearing, the smaller math angle) leftwards.
    let right = math_angle(camera.azimuth_deg + camera.hfov_deg / 2.0);
    let sweep = camera.hfov_deg.to_radians();
    arc(far, right, sweep, ARC_STEP_DEG, &mut outer);
    if near > 0.0 {
        arc(near, right + sweep, -sweep, ARC_STEP_DEG, &mut outer);
    } else {
        outer.push(Coord { x: 0.0, y: 0.0 });
    }
    Polygon::new(LineString(outer), Vec::new())
}

/// The shadow of edge `a b` (metres around the camera at the origin), reaching out to at least
/// `reach` metres, counter-clockwise; `None` when the edge is seen edge-on (its line passes
/// through the camera) and hides nothing.
#[must_use]
pub fn shadow_m(a: Coord, b: Coord, reach: f64) -> Option<Polygon> {
    let (ta, tb) = (a.y.atan2(a.x), b.y.atan2(b.x));
    let sweep =
        (tb - ta + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    let cross = a.x * b.y - a.y * b.x;
    if cross == 0.0 || sweep.abs() < 1e-12 {
        return None;
    }
    // Far enough that the far chords, at most SHADOW_STEP_DEG apart, stay beyond the footprint
    // and beyond the edge itself.
    let r = reach.max(a.x.hypot(a.y)).max(b.x.hypot(b.y)) * 1.1 + 1.0;
    let r = r / (SHADOW_STEP_DEG / 2.0).to_radians().cos();
    let mut ring = vec![a, b];
    arc(r, tb, -sweep, SHADOW_STEP_DEG, &mut ring);
    let mut shadow = Polygon::new(LineString(ring), Vec::new());
    if shadow.signed_area() < 0.0 {
        shadow.exterior_mut(|r| r.0.reverse());
    }
    Some(shadow)
}

/// The shadow scale `s = h / (h − H)` of an obstacle `obstacle_m` high seen from a camera
/// `camera_m` above the ground: the obstacle hides a ground point at horizontal distance `d`
/// behind its point at distance `x` iff `d ≤ s · x`. `None` (an unbounded shadow) when the
/// obstacle's height is unknown or at least the camera's.
///
/// # Units
/// Metres above the ground.
///
/// # Examples
/// ```
/// use safegrid::spatial::visibility::shadow_scale;
///
/// // A 1 m wall 10 m before a 6 m camera hides the ground from 10 m to 12 m.
/// let s = shadow_scale(6.0, Some(1.0)).unwrap();
/// assert!((10.0 * s - 12.0).abs() < 1e-12);
/// assert_eq!(shadow_scale(6.0, Some(6.0)), None);
/// assert_eq!(shadow_scale(6.0, None), None);
/// ```
#[must_use]
pub fn shadow_scale(camera_m: f64, obstacle_m: Option<f64>) -> Option<f64> {
    match obstacle_m {
        Some(h) if h < camera_m => Some(camera_m / (camera_m - h)),
        _ => None,
    }
}

/// The shadow of edge `a b` (metres around the camera at the origin) of an obstacle with
/// shadow scale `s` ([`shadow_scale`]), within `reach` metres: the quadrilateral `a b s·b s·a`,
/// counter-clockwise, or the unbounded [`shadow_m`] when all of `s·a s·b` lies beyond `reach`
/// (the two agree within it, and the far coordinates stay small). `None` when the edge is
/// seen edge-on.
#[must_use]
pub fn scaled_shadow_m(a: Coord, b: Coord, s: f64, reach: f64) -> Option<Polygon> {
    if origin_distance(a, b) * s >= reach {
        return shadow_m(a, b, reach);
    }
    let cross = a.x * b.y - a.y * b.x;
    if cross == 0.0 {
        return None;
    }
    // Going out along b's ray and back along a's, the ring turns clockwise when b is
    // counter-clockwise of a.
    let mut ring = vec![a, b, b * s, a * s];
    if cross > 0.0 {
        ring.reverse();
    }
    Some(Polygon::new(LineString(ring), Vec::new()))
}

/// Whether the obstacle is the one the camera stands in or on (and is therefore ignored).
fn holds_camera(obstacle: &Obstacle, camera: Coord) -> bool {
    match &obstacle.shape {
        ObstacleShape::Area(area) => covers(area, camera),
        ObstacleShape::Wall(_) => false,
    }
}

/// Which sides of a footprint to take.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sides {
    /// Those facing the camera (the camera strictly outside the solid's side).
    Facing,
    /// Those facing away from it (the camera strictly on the solid's side).
    Away,
}

/// Edges of `obstacle` that can hide something from the camera at `origin` of `frame`, in
/// metres: every segment of a wall, and the `sides` of a footprint.
fn casting_edges(
    obstacle: &Obstacle,
    frame: &LocalFrame,
    sides: Sides,
    out: &mut Vec<(Coord, Coord)>,
) {
    let project = |c: Coord| {
        let [x, y] = frame.project(c.x, c.y);
        Coord { x, y }
    };
    match &obstacle.shape {
        ObstacleShape::Wall(line) => {
            out.extend(line.0.windows(2).map(|w| (project(w[0]), project(w[1]))));
        }
        ObstacleShape::Area(area) => {
            for poly in &area.0 {
                ring_sides(poly.exterior(), true, sides, &project, out);
                for hole in poly.interiors() {
                    ring_sides(hole, false, sides, &project, out);
                }
            }
        }
    }
}

/// The `sides` of one ring of a footprint, as seen from the camera at the origin; sides seen
/// edge-on are neither.
fn ring_sides(
    ring: &LineString,
    exterior: bool,
    sides: Sides,
    project: &impl Fn(Coord) -> Coord,
    out: &mut Vec<(Coord, Coord)>,
) {
    let pts: Vec<Coord> = ring.0.iter().map(|&c| project(c)).collect();
    let twice_area: f64 = pts
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum();
    // The solid lies left of each directed side for a counter-clockwise shell or a clockwise
    // hole; a side faces the camera when the camera is strictly on its other side.
    let solid_left = (twice_area > 0.0) == exterior;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let camera_left = (b.x - a.x) * (-a.y) - (b.y - a.y) * (-a.x);
        let facing = (solid_left && camera_left < 0.0) || (!solid_left && camera_left > 0.0);
        let away = (solid_left && camera_left > 0.0) || (!solid_left && camera_left < 0.0);
        if (sides == Sides::Facing && facing) || (sides == Sides::Away && away) {
            out.push((a, b));
        }
    }
}

/// A footprint in metres around the camera, shells counter-clockwise and holes clockwise (the
/// orientation the non-zero overlay needs).
fn footprint_in_frame(area: &MultiPolygon, frame: &LocalFrame) -> Vec<Polygon> {
    let ring = |r: &LineString, ccw: bool| {
        let mut r = LineString(
            r.0.iter()
                .map(|c| {
                    let [x, y] = frame.project(c.x, c.y);
                    Coord { x, y }
                })
                .collect(),
        );
        let twice_area: f64 =
            r.0.windows(2)
                .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
                .sum();
        if (twice_area > 0.0) != ccw {
            r.0.reverse();
        }
        r
    };
    area.0
        .iter()
        .map(|p| {
            Polygon::new(
                ring(p.exterior(), true),
                p.interiors().iter().map(|h| ring(h, false)).collect(),
            )
        })
        .collect()
}

/// Distance from the origin to segment `a b`.
fn origin_distance(a: Coord, b: Coord) -> f64 {
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    let t = if len2 > 0.0 {
        (-(a.x * d.x + a.y * d.y) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + d * t).x.hypot((a + d * t).y)
}

/// Whether the edge's cone (as seen from the origin) can reach into the camera's view.
fn within_view(camera: &Camera, a: Coord, b: Coord) -> bool {
    if camera.is_panoramic() {
        return true;
    }
    let bearing = |c: Coord| c.x.atan2(c.y).to_degrees();
    let (ba, bb) = (bearing(a), bearing(b));
    let half = angle_diff_deg(ba, bb) / 2.0;
    let mid = bb + ((ba - bb + 180.0).rem_euclid(360.0) - 180.0) / 2.0;
    angle_diff_deg(mid, camera.azimuth_deg) <= camera.hfov_deg / 2.0 + half + 1e-6
}

/// What `camera` sees on the ground, with `obstacles` (any superset of those near it) hiding
/// what lies behind them.
#[must_use]
pub fn coverage<'a>(
    camera: &Camera,
    obstacles: impl IntoIterator<Item = &'a Obstacle>,
) -> Coverage {
    let c = camera.location.0;
    let frame = LocalFrame::new(c.x, c.y);
    let (near, far) = camera.ground_span_m();
    let footprint = footprint_m(camera);
    let footprint_m2 = footprint.unsigned_area();
    let mut shadows: Vec<Polygon> = Vec::new();
    let mut considered = 0;
    let mut edges = Vec::new();
    let near_enough =
        |a: Coord, b: Coord| origin_distance(a, b) <= far && within_view(camera, a, b);
    for obstacle in obstacles {
        if holds_camera(obstacle, c) {
            continue;
        }
        edges.clear();
        let before = shadows.len();
        match shadow_scale(camera.height_m, obstacle.height_m) {
            None => {
                casting_edges(obstacle, &frame, Sides::Facing, &mut edges);
                for &(a, b) in &edges {
                    if near_enough(a, b) {
                        shadows.extend(shadow_m(a, b, far));
                    }
                }
            }
            Some(s) => {
                casting_edges(obstacle, &frame, Sides::Away, &mut edges);
                for &(a, b) in &edges {
                    if near_enough(a, b) {
                        shadows.extend(scaled_shadow_m(a, b, s, far));
                    }
                }
                if let ObstacleShape::Area(area) = &obstacle.shape {
                    // The ground under the footprint, when any of it is within reach (a
                    // footprint that holds the whole view has a facing side within reach).
                    edges.clear();
                    casting_edges(obstacle, &frame, Sides::Facing, &mut edges);
                    if shadows.len() > before || edges.iter().any(|&(a, b)| near_enough(a, b)) {
                        shadows.extend(footprint_in_frame(area, &frame));
                    }
                }
            }
        }
        if shadows.len() > before {
            considered += 1;
        }
    }
    let visible = if shadows.is_empty() || footprint_m2 == 0.0 {
        MultiPolygon(vec![footprint])
    } else {
        MultiPolygon(vec![footprint]).boolean_op_with_fill_rule(
            &MultiPolygon(shadows),
            OpType::Difference,
            FillRule::NonZero,
        )
    };
    let area_m2 = visible.unsigned_area().min(footprint_m2);
    let to_lon_lat = |p: &Coord| {
        let (lon, lat) = frame.unproject([p.x, p.y]);
        Coord { x: lon, y: lat }
    };
    let ring = |r: &LineString| LineString(r.0.iter().map(to_lon_lat).collect());
    let area = MultiPolygon(
        visible
            .0
            .iter()
            .filter(|p| p.exterior().0.len() >= 4)
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    );
    Coverage {
        area,
        near_m: near,
        far_m: far,
        footprint_m2,
        area_m2,
        obstacles_considered: considered,
    }
}

/// Whether an obstacle hides `p` from a camera at `camera`, `camera_height_m` above the
/// ground. An obstacle of unknown height or at least as high as the camera hides `p` when the
/// sight segment crosses one of its edges, or passes through one of its vertices, anywhere but
/// at its two ends; a lower one ([`shadow_scale`] `s`) when the last `1/s` of the segment does
/// (the part below its top), or when `p` lies inside its footprint. Obstacles that hold the
/// camera are ignored. Exact orientation predicates on the lon/lat coordinates; the start of
/// the last `1/s` is rounded, which moves the far edge of a low shadow by nanometres.
#[must_use]
pub fn sight_blocked<'a>(
    camera: Coord,
    camera_height_m: f64,
    p: Coord,
    obstacles: impl IntoIterator<Item = &'a Obstacle>,
) -> bool {
    obstacles
        .into_iter()
        .any(|o| !holds_camera(o, camera) && hides(o, camera, camera_height_m, p))
}

/// Whether `obstacle` (not holding the camera) hides `p` (see [`sight_blocked`]).
fn hides(obstacle: &Obstacle, camera: Coord, camera_height_m: f64, p: Coord) -> bool {
    let Some(s) = shadow_scale(camera_height_m, obstacle.height_m) else {
        return obstacle
            .shape
            .edges()
            .any(|(a, b)| crosses(camera, p, a, b));
    };
    if let ObstacleShape::Area(area) = &obstacle.shape
        && ring_set_position(area, p) == CoordPos::Inside
    {
        return true;
    }
    let from = camera + (p - camera) / s;
    obstacle.shape.edges().any(|(a, b)| crosses(from, p, a, b))
}

/// Whether edge `a b` blocks the sight segment `c p` (see [`sight_blocked`]).
fn crosses(c: Coord, p: Coord, a: Coord, b: Coord) -> bool {
    let o3 = RobustKernel::orient2d(a, b, c);
    let o4 = RobustKernel::orient2d(a, b, p);
    if o3 == Orientation::Collinear || o4 == Orientation::Collinear || o3 == o4 {
        // An end of the sight line lies on the edge's line, or both lie on one side of it.
        return false;
    }
    RobustKernel::orient2d(c, p, a) != RobustKernel::orient2d(c, p, b)
}

/// What `camera` sees, with the obstacles of `snapshot`.
#[must_use]
pub fn camera_coverage(snapshot: &Snapshot, camera: &Camera) -> Coverage {
    let candidates = camera
        .envelope()
        .map(|r| snapshot.obstacles.intersecting(r).collect::<Vec<_>>())
        .unwrap_or_default();
    coverage(camera, candidates)
}

/// Whether the obstacles of `snapshot` hide `p` from `camera` (see [`sight_blocked`]).
#[must_use]
pub fn obstacles_hide(snapshot: &Snapshot, camera: &Camera, p: Coord) -> bool {
    if snapshot.obstacles.is_empty() {
        return false;
    }
    let c = camera.location.0;
    sight_blocked(
        c,
        camera.height_m,
        p,
        snapshot.obstacles.intersecting(Rect::new(c, p)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CameraKind, CameraStatus, ObstacleKind};
    use crate::spatial::locate::{LocateOptions, camera_sees, cameras_seeing, locate};
    use geo::Point;

    const LON: f64 = 120.24;
    const LAT: f64 = 29.29;

    fn camera(azimuth_deg: f64, hfov_deg: f64, range_m: f64) -> Camera {
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
            location: Point::new(LON, LAT),
        }
    }

    /// `[east, north]` metres from the camera as lon/lat.
    fn at_m(east: f64, north: f64) -> Coord {
        let (x, y) = LocalFrame::new(LON, LAT).unproject([east, north]);
        Coord { x, y }
    }

    /// The point `metres` away from the camera at `bearing_deg`.
    fn at(metres: f64, bearing_deg: f64) -> Coord {
        let b = bearing_deg.to_radians();
        at_m(metres * b.sin(), metres * b.cos())
    }

    fn wall(id: &str, pts: &[[f64; 2]]) -> Obstacle {
        Obstacle {
            id: id.into(),
            name: String::new(),
            kind: Some(ObstacleKind::Wall),
            height_m: None,
            shape: ObstacleShape::Wall(LineString(pts.iter().map(|p| at_m(p[0], p[1])).collect())),
        }
    }

    fn building(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Obstacle {
        let ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
        Obstacle {
            id: id.into(),
            name: String::new(),
            kind: Some(ObstacleKind::Building),
            height_m: None,
            shape: ObstacleShape::Area(MultiPolygon(vec![Polygon::new(
                LineString(ring.iter().map(|p| at_m(p[0], p[1])).collect()),
                Vec::new(),
            )])),
        }
    }

    /// The obstacle with its height set.
    fn high(mut obstacle: Obstacle, height_m: f64) -> Obstacle {
        obstacle.height_m = Some(height_m);
        obstacle
    }

    fn seen(camera: &Camera, obstacles: &[Obstacle], p: Coord) -> bool {
        camera_sees(camera, p).is_some()
            && !sight_blocked(camera.location.0, camera.height_m, p, obstacles)
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= want.abs() * rel
    }

    #[test]
    fn sector_membership_at_range_and_fov_edges() {
        let c = camera(90.0, 60.0, 100.0);
        assert!(camera_sees(&c, at(99.999, 90.0)).is_some());
        assert!(
            camera_sees(&c, at(100.0 - 1e-6, 90.0)).is_some(),
            "at range"
        );
        assert!(
            camera_sees(&c, at(100.01, 90.0)).is_none(),
            "just beyond range"
        );
        assert!(
            camera_sees(&c, at(50.0, 60.0 + 1e-4)).is_some(),
            "inside the left edge"
        );
        assert!(
            camera_sees(&c, at(50.0, 60.0 - 1e-4)).is_none(),
            "outside the left edge"
        );
        assert!(
            camera_sees(&c, at(50.0, 120.0 - 1e-4)).is_some(),
            "inside the right edge"
        );
        assert!(
            camera_sees(&c, at(50.0, 120.0 + 1e-4)).is_none(),
            "outside the right edge"
        );
    }

    #[test]
    fn azimuth_wraps_through_north() {
        let c = camera(350.0, 40.0, 100.0);
        for bearing in [5.0, 345.0, 330.5, 9.5] {
            assert!(
                camera_sees(&c, at(50.0, bearing)).is_some(),
                "{bearing}° is seen"
            );
        }
        for bearing in [20.0, 10.5, 329.5, 170.0] {
            assert!(
                camera_sees(&c, at(50.0, bearing)).is_none(),
                "{bearing}° is not seen"
            );
        }
    }

    #[test]
    fn tilted_camera_has_a_blind_zone_under_it() {
        let mut c = camera(0.0, 60.0, 100.0);
        c.height_m = 10.0;
        c.tilt_deg = Some(30.0);
        c.vfov_deg = Some(30.0);
        let (near, far) = c.ground_span_m();
        assert!(close(near, 10.0, 1e-9), "near {near}");
        assert!(
            close(far, 10.0 / 15f64.to_radians().tan(), 1e-9),
            "far {far}"
        );
        assert!(camera_sees(&c, at(9.9, 0.0)).is_none(), "in the blind zone");
        assert!(
            camera_sees(&c, at(0.0, 0.0)).is_none(),
            "right under the camera"
        );
        assert!(camera_sees(&c, at(10.1, 0.0)).is_some());
        assert!(camera_sees(&c, at(37.2, 0.0)).is_some());
        assert!(
            camera_sees(&c, at(37.4, 0.0)).is_none(),
            "beyond where the view meets the ground"
        );
        // Looking at the horizon: the footprint ends at the range.
        c.tilt_deg = Some(10.0);
        assert!(close(c.ground_span_m().1, 100.0, 1e-12));
        // Looking straight down with a wide lens: no blind zone.
        c.tilt_deg = Some(80.0);
        assert!(c.ground_span_m().0 <= 0.0);
        assert!(camera_sees(&c, at(0.0, 0.0)).is_some());
        // The footprint polygon is the annulus sector: (far² − near²) · hfov / 2.
        c.tilt_deg = Some(30.0);
        let want = (far * far - near * near) * 60f64.to_radians() / 2.0;
        let got = footprint_m(&c).unsigned_area();
        assert!(close(got, want, 1e-4), "{got} vs {want}");
    }

    #[test]
    fn ptz_covers_the_full_disc_and_ignores_tilt() {
        let mut c = camera(0.0, 60.0, 80.0);
        c.kind = CameraKind::Ptz;
        c.tilt_deg = Some(30.0);
        c.vfov_deg = Some(30.0);
        assert_eq!(c.ground_span_m(), (0.0, 80.0));
        for bearing in [0.0, 90.0, 180.0, 270.0, 359.9] {
            assert!(camera_sees(&c, at(79.9, bearing)).is_some(), "{bearing}°");
            assert!(camera_sees(&c, at(80.1, bearing)).is_none(), "{bearing}°");
        }
        let got = coverage(&c, []).area_m2;
        let want = std::f64::consts::PI * 80.0 * 80.0;
        assert!(close(got, want, 1e-4), "{got} vs {want}");
    }

    #[test]
    fn a_wall_hides_what_is_behind_it_only() {
        let c = camera(0.0, 90.0, 100.0);
        let w = [wall("w", &[[-10.0, 20.0], [10.0, 20.0]])];
        assert!(!seen(&c, &w, at_m(0.0, 30.0)), "behind the wall");
        assert!(
            !seen(&c, &w, at_m(9.0, 99.0 - 9.0)),
            "far behind, inside the shadow"
        );
        assert!(seen(&c, &w, at_m(0.0, 19.0)), "in front of the wall");
        assert!(
            seen(&c, &w, at_m(0.0, 20.0)),
            "on the facing side of the wall"
        );
        assert!(seen(&c, &w, at_m(30.0, 50.0)), "beside the shadow");
        assert!(
            seen(&c, &w, at_m(-12.0, 22.0)),
            "just beside the wall's end"
        );
        assert!(!seen(&c, &w, at_m(-9.0, 22.0)), "just inside the shadow");
    }

    #[test]
    fn a_building_hides_its_inside_and_behind_but_not_the_camera_on_it() {
        let c = camera(0.0, 90.0, 100.0);
        let b = [building("b", -5.0, 30.0, 5.0, 40.0)];
        assert!(!seen(&c, &b, at_m(0.0, 35.0)), "inside the building");
        assert!(!seen(&c, &b, at_m(0.0, 60.0)), "behind it");
        assert!(seen(&c, &b, at_m(0.0, 30.0)), "on its facing side");
        assert!(seen(&c, &b, at_m(20.0, 60.0)), "beside its shadow");
        // The camera mounted on the building's front wall looks outward: it is not hidden.
        let on = [building("home", -5.0, -10.0, 5.0, 0.0)];
        assert!(seen(&c, &on, at_m(0.0, 50.0)));
        assert_eq!(coverage(&c, on.iter()).obstacles_considered, 0);
        // A sight line grazing a corner is blocked (shadows are closed); one along a lone wall
        // segment seen edge-on is not.
        // Coordinates on a dyadic lattice (units of 2⁻¹⁴°, about 6 m) keep collinear points
        // exactly collinear in floating point.
        let unit = |i: f64, j: f64| Coord {
            x: LON + i / 16_384.0,
            y: LAT + j / 16_384.0,
        };
        let all_round = camera(0.0, 360.0, 100.0);
        let square = [
            unit(2.0, 2.0),
            unit(4.0, 2.0),
            unit(4.0, 4.0),
            unit(2.0, 4.0),
            unit(2.0, 2.0),
        ];
        let corner = [Obstacle {
            shape: ObstacleShape::Area(MultiPolygon(vec![Polygon::new(
                LineString(square.to_vec()),
                Vec::new(),
            )])),
            ..building("corner", 0.0, 0.0, 1.0, 1.0)
        }];
        assert!(
            !seen(&all_round, &corner, unit(8.0, 4.0)),
            "grazing the corner (4, 2)"
        );
        assert!(
            seen(&all_round, &corner, unit(8.0, 3.9)),
            "just below the corner's ray"
        );
        let edge_on = [Obstacle {
            shape: ObstacleShape::Wall(LineString(vec![unit(2.0, 0.0), unit(4.0, 0.0)])),
            ..wall("edge-on", &[[0.0, 0.0], [1.0, 0.0]])
        }];
        assert!(seen(&all_round, &edge_on, unit(6.0, 0.0)), "along the wall");
        assert_eq!(coverage(&all_round, edge_on.iter()).obstacles_considered, 0);
    }

    #[test]
    fn coverage_area_of_a_wall_matches_the_hand_computation() {
        // 90° sector of 100 m facing north: π·100²/4. The wall from (−10, 20) to (10, 20)
        // shadows the cone of half-angle atan(10/20) beyond it: the 2·atan(½) sector of 100 m
        // less the triangle camera–wall ends (½·20·20).
        let c = camera(0.0, 90.0, 100.0);
        let w = [wall("w", &[[-10.0, 20.0], [10.0, 20.0]])];
        let cov = coverage(&c, w.iter());
        let footprint = std::f64::consts::PI * 100.0 * 100.0 / 4.0;
        let shadow = 0.5 * 100.0 * 100.0 * 2.0 * 0.5f64.atan() - 0.5 * 20.0 * 20.0;
        assert!(
            close(cov.footprint_m2, footprint, 0.005),
            "{}",
            cov.footprint_m2
        );
        assert!(
            close(cov.area_m2, footprint - shadow, 0.005),
            "{} vs {}",
            cov.area_m2,
            footprint - shadow
        );
        assert_eq!(cov.obstacles_considered, 1);
        // A square building in the same place hides the same cone plus nothing more, since its
        // far side is in its own shadow: the shadow from its front side (y = 20).
        let b = [building("b", -10.0, 20.0, 10.0, 30.0)];
        let cov_b = coverage(&c, b.iter());
        assert!(
            close(cov_b.area_m2, cov.area_m2, 1e-6),
            "{} vs {}",
            cov_b.area_m2,
            cov.area_m2
        );
        // Obstacles out of range or behind the camera change nothing.
        let far = [
            wall("far", &[[-10.0, 120.0], [10.0, 120.0]]),
            building("back", -5.0, -40.0, 5.0, -30.0),
        ];
        let cov_far = coverage(&c, far.iter());
        assert!(close(cov_far.area_m2, footprint, 1e-4));
        assert_eq!(cov_far.obstacles_considered, 0);
    }

    #[test]
    fn a_low_wall_hides_a_strip_of_x_h_over_h_minus_h_behind_it() {
        // A 1 m wall 20 m before a 6 m camera: s = 6 / 5, the strip is 20 · 1 / (6 − 1) = 4 m
        // deep and the shadow the trapezoid from y = 20 (x ±10) to y = 24 (x ±12): 88 m².
        let c = camera(0.0, 90.0, 100.0);
        let w = [high(wall("w", &[[-10.0, 20.0], [10.0, 20.0]]), 1.0)];
        let cov = coverage(&c, w.iter());
        let hidden = cov.footprint_m2 - cov.area_m2;
        assert!(close(hidden, 88.0, 1e-6), "{hidden}");
        assert_eq!(cov.obstacles_considered, 1);
        assert!(seen(&c, &w, at_m(0.0, 19.9)), "in front of the wall");
        assert!(!seen(&c, &w, at_m(0.0, 20.1)), "right behind it");
        assert!(!seen(&c, &w, at_m(0.0, 23.9)), "at the end of the strip");
        assert!(seen(&c, &w, at_m(0.0, 24.1)), "beyond the strip");
        assert!(
            !seen(&c, &w, at_m(11.9, 23.9)),
            "the strip widens with distance"
        );
        assert!(seen(&c, &w, at_m(11.9, 22.0)), "beside the strip");
        // The same wall 6 m or 8 m high, or of unknown height, hides everything behind it to
        // the range, like the hand computation of the unbounded shadow.
        let unbounded = 0.5 * 100.0 * 100.0 * 2.0 * 0.5f64.atan() - 0.5 * 20.0 * 20.0;
        for h in [Some(6.0), Some(8.0), None] {
            let w = [Obstacle {
                height_m: h,
                ..wall("w", &[[-10.0, 20.0], [10.0, 20.0]])
            }];
            let cov = coverage(&c, w.iter());
            let hidden = cov.footprint_m2 - cov.area_m2;
            // The footprint's arc is drawn through chords: within 1e-4 of the true shadow.
            assert!(close(hidden, unbounded, 1e-4), "{h:?}: {hidden}");
            assert!(!seen(&c, &w, at_m(0.0, 99.0)), "{h:?}");
        }
        // Just below the camera's height the strip reaches out to the range.
        let w = [high(wall("w", &[[-10.0, 20.0], [10.0, 20.0]]), 5.9)];
        let hidden = {
            let cov = coverage(&c, w.iter());
            cov.footprint_m2 - cov.area_m2
        };
        assert!(close(hidden, unbounded, 1e-4), "{hidden}");
    }

    #[test]
    fn a_low_building_hides_its_footprint_and_what_its_far_edge_throws() {
        // A 10 m square 3 m high, 20 m to 30 m before a 6 m camera (s = 2): the sweep of the
        // square from 1× to 2× is the hexagon (−5, 20) (5, 20) (10, 40) (10, 60) (−10, 60)
        // (−10, 40): 700 m². Its far side (y = 30, thrown to y = 60) matters, not its front.
        let c = camera(0.0, 90.0, 100.0);
        let b = [high(building("b", -5.0, 20.0, 5.0, 30.0), 3.0)];
        let cov = coverage(&c, b.iter());
        let hidden = cov.footprint_m2 - cov.area_m2;
        assert!(close(hidden, 700.0, 1e-6), "{hidden}");
        assert!(!seen(&c, &b, at_m(0.0, 25.0)), "under the building");
        assert!(!seen(&c, &b, at_m(0.0, 59.0)), "behind its far edge");
        assert!(seen(&c, &b, at_m(0.0, 61.0)), "beyond the shadow");
        assert!(!seen(&c, &b, at_m(7.0, 33.0)), "behind a side");
        assert!(seen(&c, &b, at_m(7.0, 27.0)), "beside it");
        // A taller one hides to the range, as when its height is unknown.
        let tall = [high(building("b", -5.0, 20.0, 5.0, 30.0), 20.0)];
        let unknown = [building("b", -5.0, 20.0, 5.0, 30.0)];
        let (a, b) = (
            coverage(&c, tall.iter()).area_m2,
            coverage(&c, unknown.iter()).area_m2,
        );
        assert!(close(a, b, 1e-9), "{a} vs {b}");
        assert!(!seen(&c, &tall, at_m(0.0, 99.0)));
    }

    #[test]
    fn obstacles_beyond_the_far_edge_change_nothing() {
        // 10 m high, tilted 30° down over 30°: ground seen from 10 m to 37.3 m.
        let mut c = camera(0.0, 60.0, 100.0);
        c.height_m = 10.0;
        c.tilt_deg = Some(30.0);
        c.vfov_deg = Some(30.0);
        let bare = coverage(&c, []);
        let beyond = [
            high(wall("low", &[[-10.0, 40.0], [10.0, 40.0]]), 1.0),
            high(building("b", -5.0, 45.0, 5.0, 55.0), 3.0),
            wall("unknown", &[[-10.0, 60.0], [10.0, 60.0]]),
            high(building("tall", -20.0, 70.0, 20.0, 80.0), 30.0),
        ];
        let cov = coverage(&c, beyond.iter());
        assert_eq!(cov.obstacles_considered, 0);
        assert!(close(cov.area_m2, bare.area_m2, 1e-12));
        assert!(seen(&c, &beyond, at_m(0.0, 37.0)));
        // A low wall within the footprint whose strip ends beyond the far edge hides up to it.
        let w = [high(wall("w", &[[-1.0, 30.0], [1.0, 30.0]]), 5.0)];
        let cov = coverage(&c, w.iter());
        assert_eq!(cov.obstacles_considered, 1);
        assert!(cov.area_m2 < bare.area_m2);
        assert!(!seen(&c, &w, at_m(0.0, 37.0)));
    }

    /// Distance in metres from `p` (`[east, north]` around the camera) to the outline of `area`
    /// (WGS84).
    fn outline_distance_m(area: &MultiPolygon, p: Coord) -> f64 {
        let frame = LocalFrame::new(LON, LAT);
        area.0
            .iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .flat_map(|r| r.0.windows(2))
            .map(|w| {
                let [ax, ay] = frame.project(w[0].x, w[0].y);
                let [bx, by] = frame.project(w[1].x, w[1].y);
                origin_distance(
                    Coord {
                        x: ax - p.x,
                        y: ay - p.y,
                    },
                    Coord {
                        x: bx - p.x,
                        y: by - p.y,
                    },
                )
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn locate_agrees_with_the_visibility_polygon_for_obstacles_of_any_height() {
        // Two cameras (6 m fixed, 10 m PTZ) among walls and buildings of unknown height, lower
        // than both, between the two and taller than both; the camera list of a located point
        // must hold a camera exactly when its visible polygon holds the point (away from the
        // polygon's outline by 1 cm).
        let fixed = camera(20.0, 120.0, 80.0);
        let mut ptz = camera(0.0, 360.0, 60.0);
        ptz.code = "33078300001320000002".into();
        ptz.kind = CameraKind::Ptz;
        ptz.height_m = 10.0;
        let heights = [None, Some(0.8), Some(2.0), Some(4.0), Some(8.0), Some(15.0)];
        let mut data = crate::domain::Dataset::default();
        let mut s: u64 = 11;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..18 {
            let (x, y) = (next() * 140.0 - 70.0, next() * 140.0 - 70.0);
            if x.hypot(y) < 8.0 {
                continue;
            }
            let o = if i % 3 == 0 {
                wall(
                    &format!("w{i}"),
                    &[[x, y], [x + next() * 30.0 - 15.0, y + next() * 30.0 - 15.0]],
                )
            } else {
                building(
                    &format!("b{i}"),
                    x,
                    y,
                    x + 4.0 + next() * 12.0,
                    y + 4.0 + next() * 12.0,
                )
            };
            data.obstacles.push(Obstacle {
                height_m: heights[i % heights.len()],
                ..o
            });
        }
        // A non-convex footprint (an L) and one with a courtyard, both lower than the cameras.
        let ring = |pts: &[[f64; 2]]| LineString(pts.iter().map(|p| at_m(p[0], p[1])).collect());
        let area = |shell: &[[f64; 2]], holes: &[&[[f64; 2]]]| {
            ObstacleShape::Area(MultiPolygon(vec![Polygon::new(
                ring(shell),
                holes.iter().map(|h| ring(h)).collect(),
            )]))
        };
        data.obstacles.push(Obstacle {
            shape: area(
                &[
                    [-40.0, 10.0],
                    [-15.0, 10.0],
                    [-15.0, 18.0],
                    [-32.0, 18.0],
                    [-32.0, 40.0],
                    [-40.0, 40.0],
                    [-40.0, 10.0],
                ],
                &[],
            ),
            ..high(building("L", 0.0, 0.0, 1.0, 1.0), 3.0)
        });
        data.obstacles.push(Obstacle {
            shape: area(
                &[
                    [15.0, -45.0],
                    [45.0, -45.0],
                    [45.0, -15.0],
                    [15.0, -15.0],
                    [15.0, -45.0],
                ],
                &[&[
                    [22.0, -38.0],
                    [22.0, -22.0],
                    [38.0, -22.0],
                    [38.0, -38.0],
                    [22.0, -38.0],
                ]],
            ),
            ..high(building("yard", 0.0, 0.0, 1.0, 1.0), 2.0)
        });
        data.cameras = vec![fixed.clone(), ptz.clone()];
        let snapshot = Snapshot::build(data, 1);
        let polygons: Vec<(String, MultiPolygon)> = [&fixed, &ptz]
            .iter()
            .map(|c| (c.code.clone(), camera_coverage(&snapshot, c).area))
            .collect();
        // The PTZ camera (10 m) sees over the 2 m courtyard building's near wing (21 m to 31 m
        // out along the diagonal, s = 1.25) from 39 m on.
        let ptz_at = |east: f64, north: f64| {
            cameras_seeing(&snapshot, at_m(east, north)).any(|(c, _)| c.code == ptz.code)
        };
        assert!(ptz_at(36.0, -36.0), "the far side of the courtyard");
        assert!(!ptz_at(23.0, -23.0), "the near side of the courtyard");
        let (mut seen_by, mut hidden, mut checked) = (0, 0, 0);
        for _ in 0..6000 {
            let (east, north) = (next() * 180.0 - 90.0, next() * 180.0 - 90.0);
            let p = at_m(east, north);
            let location = locate(&snapshot, p, LocateOptions::default());
            let located: Vec<&str> = location.cameras.iter().map(|c| c.code.as_str()).collect();
            for (code, area) in &polygons {
                if outline_distance_m(area, Coord { x: east, y: north }) < 0.01 {
                    continue;
                }
                checked += 1;
                let want = covers(area, p);
                let got = located.contains(&code.as_str());
                assert_eq!(got, want, "{code} at ({east}, {north})");
                if want {
                    seen_by += 1;
                } else if camera_sees(if code == &fixed.code { &fixed } else { &ptz }, p).is_some()
                {
                    hidden += 1;
                }
            }
        }
        assert!(checked > 11_000, "{checked}");
        assert!(
            seen_by > 1000 && hidden > 300,
            "{seen_by} seen, {hidden} hidden"
        );
    }

    #[test]
    fn coverage_polygon_agrees_with_the_exact_test_on_random_points() {
        let mut c = camera(30.0, 100.0, 120.0);
        c.height_m = 8.0;
        c.tilt_deg = Some(20.0);
        c.vfov_deg = Some(30.0);
        let (near, far) = c.ground_span_m();
        let mut s: u64 = 7;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut obstacles = Vec::new();
        for i in 0..25 {
            let (x, y) = (next() * 200.0 - 100.0, next() * 200.0 - 100.0);
            if i % 3 == 0 {
                obstacles.push(wall(
                    &format!("w{i}"),
                    &[[x, y], [x + next() * 20.0 - 10.0, y + next() * 20.0 - 10.0]],
                ));
            } else {
                obstacles.push(building(
                    &format!("b{i}"),
                    x,
                    y,
                    x + 3.0 + next() * 10.0,
                    y + 3.0 + next() * 10.0,
                ));
            }
            // Unknown, lower than the 8 m camera (short and long shadows), taller.
            let last = obstacles.len() - 1;
            obstacles[last].height_m = [None, Some(1.5), Some(6.5), Some(12.0)][i % 4];
        }
        let cov = coverage(&c, obstacles.iter());
        assert!(cov.obstacles_considered > 0 && cov.area_m2 < cov.footprint_m2);
        let (mut inside, mut outside) = (0, 0);
        for _ in 0..4000 {
            let (d, bearing) = (next() * 130.0, next() * 360.0);
            // Keep off the arcs and the view's edges, where the polygon's chords differ from
            // the exact circle by millimetres.
            if (d - near).abs() < 0.05
                || (d - far).abs() < 0.05
                || (angle_diff_deg(bearing, 30.0) - 50.0).abs() < 0.01
            {
                continue;
            }
            let p = at(d, bearing);
            let want = seen(&c, &obstacles, p);
            let got = covers(&cov.area, p);
            assert_eq!(got, want, "d {d} bearing {bearing}");
            if want {
                inside += 1;
            } else {
                outside += 1;
            }
        }
        assert!(inside > 100 && outside > 100, "{inside} {outside}");
    }

    /// A camera among 209 buildings: the shadows hide part of the footprint, and the time per
    /// coverage is printed (`cargo test --release --lib coverage_with_200 -- --nocapture`).
    #[test]
    fn coverage_with_200_obstacles_hides_ground() {
        let c = camera(0.0, 360.0, 150.0);
        let mut obstacles = Vec::new();
        for i in 0..15 {
            for j in 0..14 {
                let (x, y) = (-140.0 + 20.0 * f64::from(i), -140.0 + 20.0 * f64::from(j));
                if x.hypot(y) > 10.0 {
                    obstacles.push(building(&format!("b{i}-{j}"), x, y, x + 10.0, y + 8.0));
                }
            }
        }
        // All round (the worst case: every side facing the camera casts a shadow), then a fixed
        // camera with a 90° view; buildings of unknown height (shadows to the range), then 3 m
        // high before the 6 m camera (bounded shadows: footprints and far sides).
        let mut open_share = 0.0;
        for height in [None, Some(3.0)] {
            for o in &mut obstacles {
                o.height_m = height;
            }
            for c in [c.clone(), camera(45.0, 90.0, 150.0)] {
                let n = 5;
                let start = std::time::Instant::now();
                let mut area = 0.0;
                for _ in 0..n {
                    area += coverage(&c, obstacles.iter()).area_m2;
                }
                let each = start.elapsed() / n;
                let cov = coverage(&c, obstacles.iter());
                let considered = cov.obstacles_considered;
                assert!(considered > 40, "{considered} buildings cast shadows");
                assert!(cov.area_m2 > 0.0 && cov.occluded_share() > 0.1, "{cov:?}");
                if c.hfov_deg >= 360.0 {
                    // Low buildings hide less than ones of unknown height.
                    if height.is_none() {
                        open_share = cov.occluded_share();
                    } else {
                        assert!(cov.occluded_share() < open_share, "{cov:?}");
                    }
                }
                println!(
                    "hfov {}°, heights {height:?}: {} obstacles, {considered} casting shadows: {each:?} per coverage, area {:.1} m²",
                    c.hfov_deg,
                    obstacles.len(),
                    area / f64::from(n)
                );
            }
        }
    }
}
