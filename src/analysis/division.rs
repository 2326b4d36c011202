//! The grid division assistant (合理划分网格): proposes `k` grids that partition a
//! village/community, balanced by households and compact in shape.
//!
//! # The algorithm: recursive weighted bisection
//! The village polygon is projected into a [`LocalFrame`] (metres, at the centre of its bounding
//! box). Buildings are weighted points (their households; events optionally add a weight each,
//! see [`DivisionRequest::event_weight`]). To divide a region into `k` pieces, split it into
//! `k1 = ⌊k/2⌋` and `k2 = k − k1` pieces by one straight cut, then divide each side again:
//!
//! 1. for each of [`CUT_DIRECTIONS`] directions (every 15°), sort the region's points along the
//!    direction and put the cut halfway between two consecutive points where the running weight
//!    comes closest to `k1/k` of the region's weight, with at least `k1` buildings on one side
//!    and `k2` on the other. Places within half the mean weight of the region's weighted sites
//!    of the target count as equally good ("up to one building"), and of those the widest gap
//!    between points wins: a cut along a street rather than through a block;
//! 2. clip the region by the two half-planes of the cut (geo's `BooleanOps` intersection with a
//!    rectangle just larger than the region on either side of the line);
//! 3. of the directions whose weight error is that good (or the best any direction achieves),
//!    prefer cuts that pass between points rather than through two at the same position along
//!    the direction ([`MIN_GAP_M`]), then the one whose two pieces are most compact
//!    (Polsby–Popper 4πA/P², the mean weighted by `k1` and `k2`).
//!
//! # Guarantees
//! - **Exact partition.** Every piece is the village intersected with half-planes, and the two
//!   sides of each cut share the same line, so the pieces follow the village boundary exactly and
//!   together cover it. Boolean operations snap to a fine integer grid (i_overlay), so overlaps
//!   and gaps are floating-point slivers far below [`crate::spatial::topology::AREA_TOLERANCE_M2`]; the
//!   village's corners are then restored exactly and the cut points shared by neighbours are
//!   made identical ([`SNAP_DEG`]).
//! - **Every building counts once.** Each building is assigned to one side at every cut (a
//!   building exactly on a cut line goes to the side it sorts into), and a piece reports the
//!   households of the buildings assigned to it.
//! - **Balance up to one building.** Each cut misses its target weight by at most half an
//!   average building (the mean weight of the region's weighted sites) or by the least any of
//!   the directions achieves, whichever is more; the least is at most half the building where
//!   the running weight crosses the target, unless a building must be left for every piece. So
//!   a piece's weight is off its share by about half a building per level of recursion
//!   (⌈log₂ k⌉ levels).
//! - **Every piece has at least one building** (`k` may not exceed the number of buildings).
//! - **Compact pieces**, as far as straight cuts allow: the direction is chosen for compactness.
//!   A cut across a concave village may leave a piece in several parts (a MultiPolygon); the
//!   piece's `parts` says so and its compactness shows it.
//!
//! It does not follow roads, rivers or existing grid lines; it is a starting point for a
//! planner, who edits the proposal before saving grids.
//!
//! This module is pure: no I/O, no `sqlx`, no `axum`.
//!
//! # Units
//! Coordinates in and out are WGS84 `[lon, lat]` degrees; lengths metres and areas square metres,
//! measured in a [`LocalFrame`] at the village (see [`crate::spatial::measure`]).

use std::f64::consts::PI;

use geo::{
    BooleanOps, BoundingRect, Centroid, Coord, LineString, MapCoords, MultiPolygon, Polygon,
};

use crate::domain::{Region, RegionLevel};

use crate::spatial::Snapshot;
use crate::spatial::locate::region_at;
use crate::spatial::measure::LocalFrame;

/// Largest number of grids one proposal may have.
pub const MAX_GRIDS: usize = 200;
/// Largest accepted weight of one event.
pub const MAX_EVENT_WEIGHT: f64 = 10_000.0;
/// Directions tried for each cut, evenly spaced over 180°.
pub const CUT_DIRECTIONS: usize = 12;
/// Vertices of the pieces this close (in degrees, about 1 mm) to a vertex of the village or of
/// another piece are snapped onto it.
pub const SNAP_DEG: f64 = 1e-8;
/// A cut passing closer than half this to a building (in metres, along the direction) counts as
/// passing through it.
pub const MIN_GAP_M: f64 = 0.01;
/// The one-sentence description of the algorithm given with every proposal.
pub const ALGORITHM: &str = "Recursive weighted bisection: each region is cut by one straight \
    line, placed at the weighted quantile k1/k of its buildings (weight = households + \
    event_weight × events) along the most compact of 12 directions, into ⌊k/2⌋ and ⌈k/2⌉ \
    pieces; every piece is the village intersected with half-planes.";

/// Why no division could be proposed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DivideError {
    /// No village/community with this code.
    #[error("village/community `{0}` does not exist")]
    UnknownVillage(String),
    /// The code is not a 12-digit village/community code.
    #[error("`{0}` is not a village/community code (12 digits)")]
    NotAVillage(String),
    /// The number of grids is out of range.
    #[error("the number of grids must be 1..={MAX_GRIDS}, not {0}")]
    GridCount(usize),
    /// `households_per_grid` asks for more grids than allowed.
    #[error(
        "{households} households at {per_grid} per grid make {k} grids; at most {MAX_GRIDS} are allowed"
    )]
    TooManyGridsForHouseholds {
        /// Households in the village.
        households: u64,
        /// Households per grid asked for.
        per_grid: u32,
        /// The grid count that implies.
        k: usize,
    },
    /// Fewer buildings than grids: some grid would have none.
    #[error("{k} grids need at least {k} buildings, one per grid; there are {buildings}")]
    TooFewBuildings {
        /// Grids asked for.
        k: usize,
        /// Buildings in the village.
        buildings: usize,
    },
    /// Households were asked for, but the village has no buildings on record.
    #[error(
        "village/community `{0}` has no buildings on record, so there are no households to divide; add its buildings first or ask for a number of grids"
    )]
    NoBuildings(String),
    /// Households were asked for, but the village's buildings have none.
    #[error(
        "the buildings of village/community `{0}` record no households; ask for a number of grids instead"
    )]
    NoHouseholds(String),
    /// The 3-digit grid serials of the village would run past 999.
    #[error(
        "village/community `{village}` has used grid serials up to {highest:03}; {k} more do not fit under 999"
    )]
    SerialsExhausted {
        /// The village's code.
        village: String,
        /// Highest serial used so far.
        highest: u32,
        /// Grids asked for.
        k: usize,
    },
    /// The village has no usable boundary.
    #[error("the region has no area to divide")]
    EmptyRegion,
    /// No straight cut separates the buildings (they share one position).
    #[error(
        "no straight cut gives {k1} and {k2} grids with a building each: too many buildings share one position"
    )]
    NoCut {
        /// Pieces wanted on one side.
        k1: usize,
        /// Pieces wanted on the other.
        k2: usize,
    },
}

/// Result of a division.
pub type DivideResult<T> = Result<T, DivideError>;

/// A weighted point to balance: a building, or an event when events count.
///
/// # Units
/// `location` is WGS84 `[lon, lat]` degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    /// Where it is.
    pub location: Coord,
    /// Households (0 for an event).
    pub households: u32,
    /// Residents (0 for an event).
    pub residents: u32,
    /// What it weighs in the balance.
    pub weight: f64,
    /// A building (counts toward "one building per grid") rather than an event.
    pub is_building: bool,
}

impl Site {
    /// A building weighing its households.
    #[must_use]
    pub fn building(location: Coord, households: u32, residents: u32) -> Self {
        Self {
            location,
            households,
            residents,
            weight: f64::from(households),
            is_building: true,
        }
    }

    /// An event weighing `weight`.
    #[must_use]
    pub fn event(location: Coord, weight: f64) -> Self {
        Self {
            location,
            households: 0,
            residents: 0,
            weight,
            is_building: false,
        }
    }
}

/// One piece of a division.
///
/// # Units
/// `area` in WGS84 degrees; `area_m2` square metres; `perimeter_m` metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The piece's boundary.
    pub area: MultiPolygon,
    /// Households of its buildings.
    pub households: u64,
    /// Residents of its buildings.
    pub residents: u64,
    /// Buildings assigned to it.
    pub buildings: usize,
    /// Events assigned to it (only when events count).
    pub events: usize,
    /// Total weight of its sites.
    pub weight: f64,
    /// Area, m².
    pub area_m2: f64,
    /// Perimeter (all rings), m.
    pub perimeter_m: f64,
    /// Polsby–Popper compactness 4πA/P²: 1 for a disc, 0.785 for a square.
    pub compactness: f64,
    /// Number of polygons (more than 1 when a cut crosses a concave boundary twice).
    pub parts: usize,
    /// Indices into the sites given to [`divide`] of the sites assigned to this piece.
    pub sites: Vec<usize>,
}

/// Divides `region` into `k` pieces balanced by the weight of `sites`; see the module doc.
///
/// Sites should lie in `region` (a site outside is still assigned to the piece on its side of
/// every cut). When every site weighs 0, buildings count 1 each.
///
/// # Errors
/// [`DivideError::GridCount`] for `k` outside `1..=MAX_GRIDS`, [`DivideError::TooFewBuildings`]
/// when `k` exceeds the buildings among `sites`, [`DivideError::EmptyRegion`] and
/// [`DivideError::NoCut`].
///
/// # Units
/// WGS84 degrees in and out; see [`Piece`].
///
/// # Examples
/// ```
/// use geo::{Coord, MultiPolygon, Rect};
/// use safegrid::analysis::division::{Site, divide};
///
/// let square = MultiPolygon(vec![
///     Rect::new(Coord { x: 120.0, y: 29.0 }, Coord { x: 120.01, y: 29.01 }).to_polygon(),
/// ]);
/// let sites = [
///     Site::building(Coord { x: 120.002, y: 29.005 }, 50, 120),
///     Site::building(Coord { x: 120.008, y: 29.005 }, 50, 130),
/// ];
/// let pieces = divide(&square, &sites, 2).expect("two buildings, two pieces");
/// assert_eq!(pieces.len(), 2);
/// assert!(pieces.iter().all(|p| p.households == 50 && p.buildings == 1));
/// ```
pub fn divide(region: &MultiPolygon, sites: &[Site], k: usize) -> DivideResult<Vec<Piece>> {
    if !(1..=MAX_GRIDS).contains(&k) {
        return Err(DivideError::GridCount(k));
    }
    let buildings = sites.iter().filter(|s| s.is_building).count();
    if k > buildings {
        return Err(DivideError::TooFewBuildings { k, buildings });
    }
    let rect = region.bounding_rect().ok_or(DivideError::EmptyRegion)?;
    let centre = rect.center();
    let frame = LocalFrame::new(centre.x, centre.y);
    let projected = region.map_coords(|c| to_metres(&frame, c));
    if planar_area(&projected) <= 0.0 {
        return Err(DivideError::EmptyRegion);
    }
    let unit = sites.iter().all(|s| s.weight == 0.0);
    let points = Points {
        xy: sites
            .iter()
            .map(|s| {
                let [x, y] = frame.project(s.location.x, s.location.y);
                Coord { x, y }
            })
            .collect(),
        weight: sites
            .iter()
            .map(|s| match (unit, s.is_building) {
                (false, _) => s.weight,
                (true, true) => 1.0,
                (true, false) => 0.0,
            })
            .collect(),
        is_building: sites.iter().map(|s| s.is_building).collect(),
    };
    let mut raw = Vec::with_capacity(k);
    bisect(projected, (0..sites.len()).collect(), k, &points, &mut raw)?;
    let mut pieces: Vec<Piece> = raw
        .into_iter()
        .map(|(area, members)| piece(&frame, sites, &area, members))
        .collect();
    snap_vertices(region, &mut pieces);
    Ok(pieces)
}

/// Snaps every vertex of the pieces within [`SNAP_DEG`] of a vertex of `region` onto it, and
/// vertices of different pieces within [`SNAP_DEG`] of each other onto the first seen, so that
/// the pieces keep the village's corners exactly and neighbours share their cut points exactly
/// (the boolean operations and the projection round trip move them by micrometres). Repeated
/// vertices are then dropped, and rings left with fewer than four positions (a speck under a
/// millimetre wide) with them.
#[expect(
    clippy::cast_possible_truncation,
    reason = "degrees / 1e-8 are at most 1.8e10, well inside i64"
)]
fn snap_vertices(region: &MultiPolygon, pieces: &mut [Piece]) {
    use std::collections::HashMap;
    let cell = |c: Coord| {
        (
            (c.x / SNAP_DEG).floor() as i64,
            (c.y / SNAP_DEG).floor() as i64,
        )
    };
    let mut anchors: HashMap<(i64, i64), Vec<Coord>> = HashMap::new();
    let mut snap = |c: Coord| -> Coord {
        let (cx, cy) = cell(c);
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(found) = anchors.get(&(cx + dx, cy + dy)).and_then(|v| {
                    v.iter()
                        .find(|a| (a.x - c.x).abs() <= SNAP_DEG && (a.y - c.y).abs() <= SNAP_DEG)
                }) {
                    return *found;
                }
            }
        }
        anchors.entry((cx, cy)).or_default().push(c);
        c
    };
    for poly in &region.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for &c in &ring.0 {
                snap(c);
            }
        }
    }
    for piece in pieces {
        let polygons = std::mem::take(&mut piece.area.0);
        for poly in polygons {
            let (exterior, interiors) = poly.into_inner();
            let mut fix = |ring: LineString| -> Option<LineString> {
                let mut coords: Vec<Coord> = ring.0.into_iter().map(&mut snap).collect();
                coords.dedup();
                (coords.len() >= 4).then_some(LineString(coords))
            };
            let Some(exterior) = fix(exterior) else {
                continue;
            };
            let interiors = interiors.into_iter().filter_map(&mut fix).collect();
            piece.area.0.push(Polygon::new(exterior, interiors));
        }
        piece.parts = piece.area.0.len();
    }
}

/// Projected positions and weights of the sites, by site index.
struct Points {
    xy: Vec<Coord>,
    weight: Vec<f64>,
    is_building: Vec<bool>,
}

/// One candidate cut: the two sides and the sites on each.
struct Cut {
    a: MultiPolygon,
    b: MultiPolygon,
    members_a: Vec<usize>,
    members_b: Vec<usize>,
    /// |weight of side a − target|.
    error: f64,
    /// Whether the cut passes between points (not through two at one position along it).
    clean: bool,
    /// k-weighted mean Polsby–Popper compactness of the two sides.
    compactness: f64,
}

fn to_metres(frame: &LocalFrame, c: Coord) -> Coord {
    let [x, y] = frame.project(c.x, c.y);
    Coord { x, y }
}

fn bisect(
    region: MultiPolygon,
    members: Vec<usize>,
    k: usize,
    points: &Points,
    out: &mut Vec<(MultiPolygon, Vec<usize>)>,
) -> DivideResult<()> {
    if k == 1 {
        out.push((region, members));
        return Ok(());
    }
    let (k1, k2) = (k / 2, k - k / 2);
    let cut = best_cut(&region, &members, k1, k2, points).ok_or(DivideError::NoCut { k1, k2 })?;
    bisect(cut.a, cut.members_a, k1, points, out)?;
    bisect(cut.b, cut.members_b, k2, points, out)
}

fn best_cut(
    region: &MultiPolygon,
    members: &[usize],
    k1: usize,
    k2: usize,
    points: &Points,
) -> Option<Cut> {
    let (sum, weighted) = members
        .iter()
        .map(|&i| points.weight[i])
        .filter(|&w| w > 0.0)
        .fold((0.0, 0usize), |(s, n), w| (s + w, n + 1));
    let one_building = if weighted > 0 {
        sum / weighted as f64 / 2.0
    } else {
        0.0
    };
    let cuts: Vec<Cut> = (0..CUT_DIRECTIONS)
        .filter_map(|i| {
            let theta = PI * i as f64 / CUT_DIRECTIONS as f64;
            cut_along(region, members, (k1, k2), points, theta, one_building)
        })
        .collect();
    let least = cuts.iter().map(|c| c.error).fold(f64::INFINITY, f64::min);
    let good_enough = least.max(one_building) * (1.0 + 1e-9);
    let balanced = |c: &Cut| c.error <= good_enough;
    let any_clean = cuts.iter().any(|c| balanced(c) && c.clean);
    // Strictly greater compactness wins, so ties keep the first direction (east-west first):
    // the answer is deterministic.
    cuts.into_iter()
        .filter(|c| balanced(c) && (c.clean || !any_clean))
        .reduce(|best, c| {
            if c.compactness > best.compactness {
                c
            } else {
                best
            }
        })
}

/// The cut perpendicular to the direction `theta` (radians from east) that puts `k1/(k1+k2)` of
/// the weight on its low side, within `tolerance` and then in the widest gap between points, or
/// `None` when no place along it leaves enough buildings on both sides.
fn cut_along(
    region: &MultiPolygon,
    members: &[usize],
    (k1, k2): (usize, usize),
    points: &Points,
    theta: f64,
    tolerance: f64,
) -> Option<Cut> {
    let (sin, cos) = theta.sin_cos();
    let along = |c: Coord| c.x * cos + c.y * sin;
    let across = |c: Coord| -c.x * sin + c.y * cos;
    let mut order: Vec<(f64, f64, usize)> = members
        .iter()
        .map(|&i| (along(points.xy[i]), across(points.xy[i]), i))
        .collect();
    order.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    let total: f64 = members.iter().map(|&i| points.weight[i]).sum();
    let target = total * k1 as f64 / (k1 + k2) as f64;
    let buildings = members.iter().filter(|&&i| points.is_building[i]).count();
    // Weight sums are exact for whole households; the slack only matters for event weights
    // like 0.1.
    let eps = 1e-9 * total.max(1.0);
    let mut running = 0.0;
    let mut low_buildings = 0;
    let mut best: Option<(usize, f64, f64, f64)> = None; // (split, error, rank, gap)
    for j in 1..order.len() {
        let (s_prev, _, i_prev) = order[j - 1];
        running += points.weight[i_prev];
        low_buildings += usize::from(points.is_building[i_prev]);
        if low_buildings < k1 || buildings - low_buildings < k2 {
            continue;
        }
        let error = (running - target).abs();
        // Every place within the tolerance ranks the same; then the widest gap wins.
        let rank = error.max(tolerance);
        let gap = order[j].0 - s_prev;
        let better = match best {
            None => true,
            Some((_, _, r, g)) => rank < r - eps || (rank <= r + eps && gap > g),
        };
        if better {
            best = Some((j, error, rank, gap));
        }
    }
    let (split, error, _, gap) = best?;
    let at = f64::midpoint(order[split - 1].0, order[split].0);
    let [low, high] = half_planes(region, cos, sin, at);
    let a = region.intersection(&low);
    let b = region.intersection(&high);
    if planar_area(&a) <= 0.0 || planar_area(&b) <= 0.0 {
        return None;
    }
    let compactness =
        (k1 as f64 * polsby_popper(&a) + k2 as f64 * polsby_popper(&b)) / (k1 + k2) as f64;
    Some(Cut {
        a,
        b,
        members_a: order[..split].iter().map(|o| o.2).collect(),
        members_b: order[split..].iter().map(|o| o.2).collect(),
        error,
        clean: gap >= MIN_GAP_M,
        compactness,
    })
}

/// The two rectangles either side of the line `x·cos + y·sin = at`, each just larger than
/// `region` (a small margin keeps i_overlay's snapping grid fine). They share the cut edge
/// exactly: its two corners are computed once.
fn half_planes(region: &MultiPolygon, cos: f64, sin: f64, at: f64) -> [Polygon; 2] {
    let (mut s_min, mut s_max, mut t_min, mut t_max) = (at, at, f64::INFINITY, f64::NEG_INFINITY);
    for poly in &region.0 {
        for c in &poly.exterior().0 {
            let (s, t) = (c.x * cos + c.y * sin, -c.x * sin + c.y * cos);
            s_min = s_min.min(s);
            s_max = s_max.max(s);
            t_min = t_min.min(t);
            t_max = t_max.max(t);
        }
    }
    let pad = 1.0 + 0.01 * ((s_max - s_min) + (t_max - t_min));
    let xy = |s: f64, t: f64| Coord {
        x: s * cos - t * sin,
        y: s * sin + t * cos,
    };
    let (cut_lo, cut_hi) = (xy(at, t_min - pad), xy(at, t_max + pad));
    let ring = |far: f64| {
        Polygon::new(
            LineString(vec![
                cut_lo,
                xy(far, t_min - pad),
                xy(far, t_max + pad),
                cut_hi,
                cut_lo,
            ]),
            Vec::new(),
        )
    };
    [ring(s_min - pad), ring(s_max + pad)]
}

fn planar_area(area: &MultiPolygon) -> f64 {
    fn ring_area(ring: &LineString) -> f64 {
        ring.0
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum::<f64>()
            .abs()
            / 2.0
    }
    area.0
        .iter()
        .map(|p| ring_area(p.exterior()) - p.interiors().iter().map(ring_area).sum::<f64>())
        .sum()
}

fn perimeter(area: &MultiPolygon) -> f64 {
    area.0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.0.windows(2))
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

fn polsby_popper(area: &MultiPolygon) -> f64 {
    let p = perimeter(area);
    if p > 0.0 {
        4.0 * PI * planar_area(area) / (p * p)
    } else {
        0.0
    }
}

fn piece(frame: &LocalFrame, sites: &[Site], area: &MultiPolygon, members: Vec<usize>) -> Piece {
    let mut piece = Piece {
        area: area.map_coords(|c| {
            let (x, y) = frame.unproject([c.x, c.y]);
            Coord { x, y }
        }),
        households: 0,
        residents: 0,
        buildings: 0,
        events: 0,
        weight: 0.0,
        area_m2: planar_area(area),
        perimeter_m: perimeter(area),
        compactness: polsby_popper(area),
        parts: area.0.len(),
        sites: Vec::new(),
    };
    for &i in &members {
        let site = &sites[i];
        piece.weight += site.weight;
        if site.is_building {
            piece.buildings += 1;
            piece.households += u64::from(site.households);
            piece.residents += u64::from(site.residents);
        } else {
            piece.events += 1;
        }
    }
    piece.sites = members;
    piece
}

/// How many grids to propose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Exactly this many grids.
    Grids(usize),
    /// About this many households per grid: `k = round(households / per_grid)`, at least 1.
    HouseholdsPerGrid(u32),
}

/// What to divide and how.
#[derive(Debug, Clone, PartialEq)]
pub struct DivisionRequest {
    /// The 12-digit village/community code.
    pub village: String,
    /// How many grids.
    pub target: Target,
    /// Weight added per event located in the village (0: events do not count). Each event is a
    /// weighted point of its own, so a grid with many events gets fewer households.
    pub event_weight: f64,
}

/// One proposed grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedGrid {
    /// Suggested code: the village code and the next free 3-digit serial.
    pub code: String,
    /// Suggested name, e.g. `东街社区第4网格`.
    pub name: String,
    /// The piece of the village.
    pub piece: Piece,
}

/// Figures over the whole proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Grids proposed.
    pub grids: usize,
    /// Households in the village.
    pub households: u64,
    /// Buildings in the village.
    pub buildings: usize,
    /// Events in the village that counted (0 when `event_weight` is 0).
    pub events: usize,
    /// Most households in one grid.
    pub max_households: u64,
    /// Fewest households in one grid.
    pub min_households: u64,
    /// `max_households / min_households`; `None` when a grid has no households.
    pub max_over_min: Option<f64>,
    /// `max_households / mean households`; `None` when there are no households.
    pub max_over_mean: Option<f64>,
    /// Mean Polsby–Popper compactness of the grids.
    pub mean_compactness: f64,
    /// The algorithm in one sentence.
    pub algorithm: &'static str,
}

/// A proposed division of one village/community; nothing is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The village/community code.
    pub village: String,
    /// Its name.
    pub village_name: String,
    /// The grids, numbered north to south, then west to east.
    pub grids: Vec<ProposedGrid>,
    /// Figures over all grids.
    pub summary: Summary,
}

/// A village/community name without its committee suffix, as grid names use it:
/// `东街社区居委会` → `东街社区`, `横店村委会` → `横店村`.
#[must_use]
pub fn short_name(name: &str) -> String {
    for suffix in ["居民委员会", "居委会"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return s.to_owned();
        }
    }
    for suffix in ["村民委员会", "村委会"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return if s.ends_with('村') {
                s.to_owned()
            } else {
                format!("{s}村")
            };
        }
    }
    name.to_owned()
}

/// Proposes a division of a village/community into grids balanced by households (and
/// optionally events), compact, and partitioning its boundary exactly; see the module doc.
///
/// The village's buildings and events are those the shared-edge rule puts in it (a point on
/// the edge between two villages belongs to the lower code). Suggested codes continue after
/// the highest serial the village has used, current grids and retired versions alike, so
/// no code of the grid history is reused.
///
/// # Errors
/// See [`DivideError`]: an unknown village, no buildings or households when households are
/// asked for, more grids than buildings, serials past 999.
pub fn propose_division(snapshot: &Snapshot, request: &DivisionRequest) -> DivideResult<Proposal> {
    let code = request.village.as_str();
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DivideError::NotAVillage(code.to_owned()));
    }
    let village = snapshot
        .regions
        .get(code)
        .filter(|r| r.level() == RegionLevel::Village)
        .ok_or_else(|| DivideError::UnknownVillage(code.to_owned()))?;
    let rect = village
        .area
        .bounding_rect()
        .ok_or(DivideError::EmptyRegion)?;
    let mut sites: Vec<Site> = snapshot
        .buildings
        .within(rect)
        .into_iter()
        .filter(|b| holds(snapshot, village, b.location.0))
        .map(|b| Site::building(b.location.0, b.households, b.residents))
        .collect();
    let buildings = sites.len();
    let households: u64 = sites.iter().map(|s| u64::from(s.households)).sum();
    let k = match request.target {
        Target::Grids(k) => k,
        Target::HouseholdsPerGrid(_) if buildings == 0 => {
            return Err(DivideError::NoBuildings(code.to_owned()));
        }
        Target::HouseholdsPerGrid(_) if households == 0 => {
            return Err(DivideError::NoHouseholds(code.to_owned()));
        }
        Target::HouseholdsPerGrid(per_grid) => {
            let k = grids_for(households, per_grid);
            if k > MAX_GRIDS {
                return Err(DivideError::TooManyGridsForHouseholds {
                    households,
                    per_grid,
                    k,
                });
            }
            k
        }
    };
    if !(1..=MAX_GRIDS).contains(&k) {
        return Err(DivideError::GridCount(k));
    }
    if k > buildings {
        return Err(DivideError::TooFewBuildings { k, buildings });
    }
    let highest = u32::from(snapshot.highest_grid_serial(code));
    if highest as usize + k > 999 {
        return Err(DivideError::SerialsExhausted {
            village: code.to_owned(),
            highest,
            k,
        });
    }
    if request.event_weight > 0.0 {
        sites.extend(
            snapshot
                .events
                .within(rect)
                .into_iter()
                .filter(|e| holds(snapshot, village, e.location))
                .map(|e| Site::event(e.location, request.event_weight)),
        );
    }
    let events = sites.len() - buildings;
    let mut pieces = divide(&village.area, &sites, k)?;
    // Number north to south, then west to east, as the sample's planners do.
    let key = |p: &Piece| p.area.centroid().map_or((0.0, 0.0), |c| (c.y(), c.x()));
    pieces.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0).then(ka.1.total_cmp(&kb.1))
    });
    let short = short_name(&village.name);
    let grids: Vec<ProposedGrid> = pieces
        .into_iter()
        .zip(highest + 1..)
        .map(|(piece, serial)| ProposedGrid {
            code: format!("{code}{serial:03}"),
            name: format!("{short}第{serial}网格"),
            piece,
        })
        .collect();
    let summary = summarize(&grids, households, buildings, events);
    Ok(Proposal {
        village: code.to_owned(),
        village_name: village.name.clone(),
        grids,
        summary,
    })
}

/// Whether the shared-edge rule puts `p` in `village`.
fn holds(snapshot: &Snapshot, village: &Region, p: Coord) -> bool {
    region_at(snapshot, p, RegionLevel::Village).is_some_and(|r| r.code == village.code)
}

/// `round(households / per_grid)`, at least 1.
fn grids_for(households: u64, per_grid: u32) -> usize {
    let per_grid = u64::from(per_grid.max(1));
    let k = (households + per_grid / 2) / per_grid;
    usize::try_from(k.max(1)).unwrap_or(usize::MAX)
}

fn summarize(grids: &[ProposedGrid], households: u64, buildings: usize, events: usize) -> Summary {
    let per_grid = grids.iter().map(|g| g.piece.households);
    let max_households = per_grid.clone().max().unwrap_or(0);
    let min_households = per_grid.min().unwrap_or(0);
    let n = grids.len().max(1) as f64;
    let mean = households as f64 / n;
    Summary {
        grids: grids.len(),
        households,
        buildings,
        events,
        max_households,
        min_households,
        max_over_min: (min_households > 0).then(|| max_households as f64 / min_households as f64),
        max_over_mean: (mean > 0.0).then(|| max_households as f64 / mean),
        mean_compactness: grids.iter().map(|g| g.piece.compactness).sum::<f64>() / n,
        algorithm: ALGORITHM,
    }
}

#[cfg(test)]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "tests draw small whole numbers from uniform floats in [0, 1)"
)]
mod tests {
    use geo::Validation;

    use super::*;
    use crate::domain::{Building, Dataset, Grid, GridKind};
    use crate::spatial::geom::covers;
    use crate::spatial::topology::{AREA_TOLERANCE_M2, area_m2, gaps_in, sibling_overlaps};

    const ORIGIN: (f64, f64) = (120.2417, 29.2896);

    fn frame() -> LocalFrame {
        LocalFrame::new(ORIGIN.0, ORIGIN.1)
    }

    fn at(x: f64, y: f64) -> Coord {
        let (lon, lat) = frame().unproject([x, y]);
        Coord { x: lon, y: lat }
    }

    /// A polygon from a ring of points in metres around the origin.
    fn polygon_m(ring: &[(f64, f64)]) -> MultiPolygon {
        let mut coords: Vec<Coord> = ring.iter().map(|&(x, y)| at(x, y)).collect();
        coords.push(coords[0]);
        MultiPolygon(vec![Polygon::new(LineString(coords), Vec::new())])
    }

    fn rect_m(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon {
        polygon_m(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    }

    /// `n × n` buildings of `households` each on a 10 m lattice centred on `(cx, cy)`.
    fn cluster(cx: f64, cy: f64, n: usize, households: u32) -> Vec<Site> {
        let half = (n as f64 - 1.0) * 5.0;
        (0..n * n)
            .map(|i| {
                let (x, y) = ((i % n) as f64 * 10.0 - half, (i / n) as f64 * 10.0 - half);
                Site::building(at(cx + x, cy + y), households, households * 3)
            })
            .collect()
    }

    /// A fixed-seed xorshift source of uniform numbers in [0, 1).
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Checks the partition: valid pieces, union = region, no overlaps, every site once, and
    /// each building covered by its piece.
    fn assert_partition(region: &MultiPolygon, sites: &[Site], pieces: &[Piece]) {
        for (i, p) in pieces.iter().enumerate() {
            assert!(p.area.is_valid(), "piece {i} is not a valid polygon");
            assert!(p.area_m2 > 0.0 && p.parts == p.area.0.len());
            for &s in &p.sites {
                let c = sites[s].location;
                // Snapping moves the cut by micrometres: a building that close to it may be
                // just outside its piece.
                let near = p.area.0.iter().any(|poly| {
                    covers(&MultiPolygon(vec![poly.clone()]), c)
                        || crate::spatial::locate::edge_distance_m(
                            &MultiPolygon(vec![poly.clone()]),
                            c,
                        ) < 1e-3
                });
                assert!(near, "site {s} is outside piece {i}");
            }
        }
        let union = pieces
            .iter()
            .fold(MultiPolygon(Vec::new()), |acc, p| acc.union(&p.area));
        let missing = area_m2(&region.difference(&union));
        let extra = area_m2(&union.difference(region));
        assert!(missing < AREA_TOLERANCE_M2, "gap of {missing} m²");
        assert!(extra < AREA_TOLERANCE_M2, "{extra} m² outside the region");
        for (i, a) in pieces.iter().enumerate() {
            for b in &pieces[i + 1..] {
                let overlap = area_m2(&a.area.intersection(&b.area));
                assert!(overlap < AREA_TOLERANCE_M2, "overlap of {overlap} m²");
            }
        }
        // The village's corners are kept exactly.
        for poly in &region.0 {
            for c in &poly.exterior().0 {
                let kept = pieces
                    .iter()
                    .any(|p| p.area.0.iter().any(|q| q.exterior().0.contains(c)));
                assert!(kept, "corner {c:?} of the region moved");
            }
        }
        let mut seen: Vec<usize> = pieces.iter().flat_map(|p| p.sites.clone()).collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..sites.len()).collect::<Vec<_>>(),
            "every site once"
        );
        let households: u64 = sites.iter().map(|s| u64::from(s.households)).sum();
        assert_eq!(pieces.iter().map(|p| p.households).sum::<u64>(), households);
        let sum_m2: f64 = pieces.iter().map(|p| p.area_m2).sum();
        let region_m2 = area_m2(region);
        assert!(
            (sum_m2 - region_m2).abs() / region_m2 < 1e-3,
            "{sum_m2} vs {region_m2}"
        );
    }

    #[test]
    fn four_equal_clusters_in_a_2_by_1_km_rectangle_give_four_equal_squares() {
        let region = rect_m(-1000.0, -500.0, 1000.0, 500.0);
        let sites: Vec<Site> = [
            (-500.0, -250.0),
            (500.0, -250.0),
            (-500.0, 250.0),
            (500.0, 250.0),
        ]
        .iter()
        .flat_map(|&(x, y)| cluster(x, y, 5, 12))
        .collect();
        let pieces = divide(&region, &sites, 4).expect("divides");
        assert_eq!(pieces.len(), 4);
        assert_partition(&region, &sites, &pieces);
        for p in &pieces {
            assert_eq!(p.households, 25 * 12, "equal households");
            assert_eq!(p.buildings, 25);
            assert_eq!(p.parts, 1);
            // Four 1 km × 500 m halves of halves: 500,000 m² each, compactness of a 2:1
            // rectangle (π·8/36 = 0.698), not slivers.
            assert!((p.area_m2 - 500_000.0).abs() < 1_000.0, "{}", p.area_m2);
            assert!(p.compactness > 0.69, "{}", p.compactness);
        }
    }

    #[test]
    fn first_cut_crosses_the_longer_extent() {
        let region = rect_m(-1000.0, -500.0, 1000.0, 500.0);
        let sites: Vec<Site> = [(-500.0, 0.0), (500.0, 0.0)]
            .iter()
            .flat_map(|&(x, y)| cluster(x, y, 3, 10))
            .collect();
        let pieces = divide(&region, &sites, 2).expect("divides");
        assert_partition(&region, &sites, &pieces);
        for p in &pieces {
            // Two 1 km squares, not two 2 km × 500 m strips.
            assert!((p.compactness - PI / 4.0).abs() < 1e-3, "{}", p.compactness);
            assert_eq!(p.households, 90);
        }
    }

    #[test]
    fn one_grid_is_the_village_itself() {
        let region = rect_m(0.0, 0.0, 800.0, 300.0);
        let sites = cluster(400.0, 150.0, 3, 7);
        let pieces = divide(&region, &sites, 1).expect("divides");
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].area, region, "k = 1 is the region untouched");
        assert_eq!(pieces[0].households, 63);
        assert_eq!(pieces[0].buildings, 9);
    }

    #[test]
    fn l_shaped_village_is_partitioned_and_balanced() {
        // An L: a 1 km square with its north-east 600 m square removed.
        let region = polygon_m(&[
            (0.0, 0.0),
            (1000.0, 0.0),
            (1000.0, 400.0),
            (400.0, 400.0),
            (400.0, 1000.0),
            (0.0, 1000.0),
        ]);
        let mut next = uniform(0x5EED_0001);
        let mut sites = Vec::new();
        while sites.len() < 400 {
            let c = at(next() * 1000.0, next() * 1000.0);
            if covers(&region, c) {
                sites.push(Site::building(c, 1 + (next() * 20.0) as u32, 0));
            }
        }
        let total: u64 = sites.iter().map(|s| u64::from(s.households)).sum();
        for k in [2, 3, 5, 8] {
            let pieces = divide(&region, &sites, k).expect("divides");
            assert_eq!(pieces.len(), k);
            assert_partition(&region, &sites, &pieces);
            let mean = total as f64 / k as f64;
            // Each level of cuts misses by at most about one building (≤ 20 households).
            let levels = (k as f64).log2().ceil();
            for p in &pieces {
                let off = (p.households as f64 - mean).abs();
                assert!(
                    off <= 20.0 * levels,
                    "k={k}: {} vs mean {mean}",
                    p.households
                );
            }
        }
    }

    #[test]
    fn concave_village_may_give_a_piece_in_parts_and_says_so() {
        // A U open to the north. Half the households at the tops of the two arms, half in the
        // base: the balanced cut runs across both arms and leaves their tops as one piece in
        // two parts.
        let region = polygon_m(&[
            (0.0, 0.0),
            (900.0, 0.0),
            (900.0, 900.0),
            (600.0, 900.0),
            (600.0, 200.0),
            (300.0, 200.0),
            (300.0, 900.0),
            (0.0, 900.0),
        ]);
        let sites: Vec<Site> = [(150.0, 800.0, 5), (750.0, 800.0, 5), (450.0, 100.0, 10)]
            .iter()
            .flat_map(|&(x, y, h)| cluster(x, y, 3, h))
            .collect();
        let pieces = divide(&region, &sites, 2).expect("divides");
        assert_partition(&region, &sites, &pieces);
        assert!(pieces.iter().all(|p| p.households == 90));
        let mut parts: Vec<usize> = pieces.iter().map(|p| p.parts).collect();
        parts.sort_unstable();
        assert_eq!(parts, [1, 2]);
        // Three grids of 60: every cut must go through a cluster; still a partition, and
        // balanced up to one building (10).
        let pieces = divide(&region, &sites, 3).expect("divides");
        assert_partition(&region, &sites, &pieces);
        for p in &pieces {
            assert!(p.households.abs_diff(60) <= 10, "{}", p.households);
        }
    }

    #[test]
    fn random_villages_are_exactly_partitioned() {
        let mut next = uniform(0x5EED_0002);
        for _ in 0..5 {
            // A star-shaped polygon of 40 vertices.
            let ring: Vec<(f64, f64)> = (0..40)
                .map(|i| {
                    let a = 2.0 * PI * f64::from(i) / 40.0;
                    let r = 600.0 + next() * 500.0;
                    (r * a.cos(), r * a.sin())
                })
                .collect();
            let region = polygon_m(&ring);
            let mut sites = Vec::new();
            while sites.len() < 300 {
                let c = at(next() * 2200.0 - 1100.0, next() * 2200.0 - 1100.0);
                if covers(&region, c) {
                    sites.push(Site::building(c, (next() * 30.0) as u32, 0));
                }
            }
            let k = 2 + (next() * 15.0) as usize;
            let pieces = divide(&region, &sites, k).expect("divides");
            assert_eq!(pieces.len(), k);
            assert_partition(&region, &sites, &pieces);
            assert!(pieces.iter().all(|p| p.buildings >= 1));
        }
    }

    #[test]
    fn buildings_on_one_spot_are_split_by_a_cut_through_them_and_count_once() {
        let region = rect_m(0.0, 0.0, 100.0, 100.0);
        let same = [Site::building(at(50.0, 50.0), 5, 0); 2];
        let pieces = divide(&region, &same, 2).expect("divides");
        assert_partition(&region, &same, &pieces);
        assert!(pieces.iter().all(|p| p.buildings == 1 && p.households == 5));
        // The cut runs through the shared spot: it lies on the boundary of both pieces.
        for p in &pieces {
            let d = crate::spatial::locate::edge_distance_m(&p.area, same[0].location);
            assert!(d < 1e-3, "{d}");
        }
        // Two buildings at one spot and a third elsewhere: a clean cut between them wins.
        let sites = [
            Site::building(at(20.0, 50.0), 5, 0),
            Site::building(at(20.0, 50.0), 5, 0),
            Site::building(at(80.0, 50.0), 10, 0),
        ];
        let pieces = divide(&region, &sites, 2).expect("divides");
        assert_partition(&region, &sites, &pieces);
        let mut h: Vec<(usize, u64)> = pieces.iter().map(|p| (p.buildings, p.households)).collect();
        h.sort_unstable();
        assert_eq!(h, [(1, 10), (2, 10)]);
        for p in &pieces {
            let d = crate::spatial::locate::edge_distance_m(&p.area, sites[0].location);
            assert!(d > 1.0, "{d}");
        }
    }

    #[test]
    fn bad_counts_are_refused() {
        let region = rect_m(0.0, 0.0, 100.0, 100.0);
        let sites = cluster(50.0, 50.0, 2, 1);
        assert_eq!(divide(&region, &sites, 0), Err(DivideError::GridCount(0)));
        assert_eq!(
            divide(&region, &sites, 201),
            Err(DivideError::GridCount(201))
        );
        assert!(matches!(
            divide(&region, &sites, 5),
            Err(DivideError::TooFewBuildings { k: 5, buildings: 4 })
        ));
        // Events do not count as buildings.
        let mut with_events = sites.clone();
        with_events.push(Site::event(at(10.0, 10.0), 1.0));
        assert!(divide(&region, &with_events, 5).is_err());
    }

    #[test]
    fn buildings_without_households_are_balanced_by_count() {
        let region = rect_m(0.0, 0.0, 1000.0, 1000.0);
        let sites: Vec<Site> = (0..40)
            .map(|i| Site::building(at(12.5 + 25.0 * f64::from(i), 500.0), 0, 0))
            .collect();
        let pieces = divide(&region, &sites, 4).expect("divides");
        assert_partition(&region, &sites, &pieces);
        assert!(pieces.iter().all(|p| p.buildings == 10));
    }

    #[test]
    fn events_shift_the_balance() {
        let region = rect_m(0.0, 0.0, 1000.0, 1000.0);
        let mut sites: Vec<Site> = (0..100)
            .map(|i| Site::building(at(5.0 + 10.0 * f64::from(i), 500.0), 10, 0))
            .collect();
        // 100 events in the west tenth, weighing 9 households each: as much as 900 households.
        sites.extend((0..100).map(|i| Site::event(at(50.0, 5.0 + 9.0 * f64::from(i)), 9.0)));
        let pieces = divide(&region, &sites, 2).expect("divides");
        assert_partition(&region, &sites, &pieces);
        let (busy, quiet) = if pieces[0].events > pieces[1].events {
            (&pieces[0], &pieces[1])
        } else {
            (&pieces[1], &pieces[0])
        };
        assert!(busy.households < quiet.households, "{busy:?}");
        // Up to half an average site (9.5) off the target on either side.
        assert!(
            (busy.weight - quiet.weight).abs() <= 10.0,
            "{} vs {}",
            busy.weight,
            quiet.weight
        );
        assert_eq!(busy.events + quiet.events, 100);
        // Without events the same buildings split 500 / 500.
        let pieces = divide(&region, &sites[..100], 2).expect("divides");
        assert!(pieces.iter().all(|p| p.households == 500));
    }

    fn village_snapshot(grids: &[&str]) -> Snapshot {
        let region = |code: &str, name: &str, area: MultiPolygon| Region {
            code: code.into(),
            name: name.into(),
            parent_code: None,
            area,
        };
        let mut data = Dataset::default();
        data.regions.push(region(
            "330783001014",
            "东街社区居委会",
            rect_m(0.0, 0.0, 2000.0, 1000.0),
        ));
        // A neighbour sharing the east edge, with a lower code: buildings on the shared edge
        // are its.
        data.regions.push(region(
            "330783001013",
            "横店村委会",
            rect_m(2000.0, 0.0, 3000.0, 1000.0),
        ));
        let mut next = uniform(0x5EED_0003);
        for i in 0..500 {
            let (x, y) = (next() * 2000.0, next() * 1000.0);
            let (x, y) = if i < 5 { (2000.0, y) } else { (x, y) };
            let c = at(x, y);
            data.buildings.push(Building {
                id: format!("B{i:04}"),
                address: String::new(),
                households: 1 + (next() * 9.0) as u32,
                residents: 3,
                location: c.into(),
            });
        }
        for code in grids {
            data.grids.push(Grid {
                code: (*code).into(),
                name: "旧网格".into(),
                kind: GridKind::Residential,
                households: 0,
                population: 0,
                parent_code: None,
                area: rect_m(0.0, 0.0, 10.0, 10.0),
            });
        }
        Snapshot::build(data, 1)
    }

    fn request(target: Target) -> DivisionRequest {
        DivisionRequest {
            village: "330783001014".into(),
            target,
            event_weight: 0.0,
        }
    }

    #[test]
    fn proposal_partitions_the_village_with_the_topology_checks_and_continues_serials() {
        let snapshot = village_snapshot(&["330783001014001", "330783001014007"]);
        let proposal = propose_division(&snapshot, &request(Target::HouseholdsPerGrid(300)))
            .expect("proposes");
        let village = snapshot.regions.get("330783001014").expect("village");
        let in_village: Vec<&Building> = snapshot
            .buildings
            .iter()
            .filter(|b| holds(&snapshot, village, b.location.0))
            .collect();
        assert_eq!(
            in_village.len(),
            495,
            "buildings on the shared edge go to 013"
        );
        let households: u64 = in_village.iter().map(|b| u64::from(b.households)).sum();
        let k = usize::try_from((households + 150) / 300).expect("small");
        assert_eq!(proposal.grids.len(), k);
        assert_eq!(proposal.summary.households, households);
        assert_eq!(
            proposal
                .grids
                .iter()
                .map(|g| g.piece.households)
                .sum::<u64>(),
            households
        );
        let codes: Vec<&str> = proposal.grids.iter().map(|g| g.code.as_str()).collect();
        let expected: Vec<String> = (8..8 + k).map(|s| format!("330783001014{s:03}")).collect();
        assert_eq!(codes, expected, "serials continue after 007");
        assert_eq!(proposal.grids[0].name, "东街社区第8网格");
        // Replace the old grids by the proposal and run the service's own topology checks.
        let items: Vec<crate::domain::AnyItem> = proposal
            .grids
            .iter()
            .map(|g| {
                crate::domain::AnyItem::Grid(Grid {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    kind: GridKind::Residential,
                    households: 0,
                    population: 0,
                    parent_code: None,
                    area: g.piece.area.clone(),
                })
            })
            .collect();
        let old = [
            (crate::domain::Layer::Grid, "330783001014001".to_owned()),
            (crate::domain::Layer::Grid, "330783001014007".to_owned()),
        ];
        let after = snapshot.with_changes(&items, &old);
        assert_eq!(gaps_in(&after, "330783001014", None), Vec::new());
        for g in after.grids.iter() {
            assert_eq!(sibling_overlaps(&after, g), Vec::new(), "{}", g.code);
        }
        let s = &proposal.summary;
        assert!(s.max_households >= s.min_households && s.min_households > 0);
        assert!(s.max_over_mean.is_some_and(|r| r < 1.2), "{s:?}");
        assert!(s.mean_compactness > 0.5, "{s:?}");
        // North to south.
        let ys: Vec<f64> = proposal
            .grids
            .iter()
            .map(|g| g.piece.area.centroid().expect("centroid").y())
            .collect();
        assert!(ys.windows(2).all(|w| w[0] >= w[1]), "{ys:?}");
    }

    #[test]
    fn proposal_errors_name_the_problem() {
        let snapshot = village_snapshot(&[]);
        let ask = |village: &str, target| {
            propose_division(
                &snapshot,
                &DivisionRequest {
                    village: village.into(),
                    target,
                    event_weight: 0.0,
                },
            )
        };
        assert_eq!(
            ask("330783001099", Target::Grids(2)),
            Err(DivideError::UnknownVillage("330783001099".into()))
        );
        assert_eq!(
            ask("330783001", Target::Grids(2)),
            Err(DivideError::NotAVillage("330783001".into()))
        );
        assert!(matches!(
            ask("330783001014", Target::HouseholdsPerGrid(1)),
            Err(DivideError::TooManyGridsForHouseholds { per_grid: 1, .. })
        ));
        assert!(matches!(
            ask("330783001014", Target::Grids(496)),
            Err(DivideError::GridCount(496))
        ));
        // The neighbour has only the five buildings on the shared edge.
        assert!(matches!(
            ask("330783001013", Target::Grids(6)),
            Err(DivideError::TooFewBuildings { k: 6, buildings: 5 })
        ));
        let empty = Snapshot::build(
            Dataset {
                regions: vec![Region {
                    code: "330783001014".into(),
                    name: "空村委会".into(),
                    parent_code: None,
                    area: rect_m(0.0, 0.0, 10.0, 10.0),
                }],
                ..Dataset::default()
            },
            1,
        );
        assert_eq!(
            propose_division(&empty, &request(Target::HouseholdsPerGrid(300))),
            Err(DivideError::NoBuildings("330783001014".into()))
        );
        let full = village_snapshot(&["330783001014998"]);
        assert!(matches!(
            propose_division(&full, &request(Target::Grids(2))),
            Err(DivideError::SerialsExhausted { highest: 998, .. })
        ));
    }

    #[test]
    fn names_lose_the_committee_suffix() {
        assert_eq!(short_name("东街社区居委会"), "东街社区");
        assert_eq!(short_name("横店村村委会"), "横店村");
        assert_eq!(short_name("横店村委会"), "横店村");
        assert_eq!(short_name("某某社区"), "某某社区");
    }

    #[test]
    fn households_per_grid_rounds_to_the_nearest_count() {
        assert_eq!(grids_for(449, 300), 1);
        assert_eq!(grids_for(450, 300), 2);
        assert_eq!(grids_for(10, 300), 1);
        assert_eq!(grids_for(3000, 300), 10);
    }
}
