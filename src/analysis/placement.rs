//! Camera placement advice: where `k` new cameras, and facing which way, would add the most
//! covered weight to a target area.
//!
//! # Method
//! 1. **Cells.** The target (a grid, village, key area or a user polygon) is cut into square
//!    cells in one [`LocalFrame`] at the centre of its box. The side is
//!    `max(2 m, √(area / 20,000))` — about [`TARGET_CELLS`] cells whatever the size — made finer
//!    (down to a quarter of the camera range) when the range would otherwise hold only a few
//!    cells, as long as that stays under [`MAX_CELLS`]. A cell belongs to the target when its
//!    centre does. Its weight is its area (`weight = area`), or the number of events located in
//!    it plus [`EVENT_EPSILON`] (`weight = events`): the epsilon lets empty ground break ties
//!    without ever outweighing one incident. An event on the target's rim whose cell centre
//!    falls outside the target is not counted. Coverage is counted by cell centres, so a
//!    camera whose range holds no cell centre sees nothing: targets of more than about
//!    200,000 × (range/4)² m² (31 km² for 50 m cameras) get cells coarser than a quarter range.
//! 2. **What is seen already.** Cells whose centre lies in the visible polygon (footprint less
//!    obstacle shadows, [`crate::spatial::visibility`]; the snapshot's cached [`CameraShapes`] when they
//!    are built) of an *online* camera are covered and add nothing.
//! 3. **Candidates.** Sites are the user's points, else points every `spacing_m` along the
//!    patrol routes inside the target, else a square lattice of side `spacing_m` inside it
//!    (there is no street layer). A generated set larger than [`MAX_SITES`] is thinned by
//!    widening the spacing; a user list larger than that is refused. Each site gives one
//!    option per orientation: [`FIXED_AZIMUTHS`] azimuths 45° apart for a fixed camera, one
//!    disc for a PTZ camera. An option sees the cells whose centre is within range, within
//!    `hfov/2` of its azimuth, and not hidden by an obstacle — the exact sight-line test of
//!    [`crate::spatial::visibility::sight_blocked`], which agrees with the visible polygon.
//! 4. **Greedy maximum coverage, lazily evaluated (CELF).** Pick the option whose uncovered
//!    weight is largest, mark its cells covered, repeat `k` times (fewer when nothing more can
//!    be gained). Gains are kept in a max-heap as upper bounds; the top entry is re-evaluated
//!    only when it was computed before the last pick. Because coverage is submodular (a gain
//!    can only shrink as cells get covered), a re-evaluated top entry that stays on top is the
//!    true maximum: the lazy greedy picks exactly what the plain greedy picks (ties go to the
//!    lower option index in both).
//!
//! # Guarantee
//! Greedy maximum coverage reaches at least `(1 − 1/e) ≈ 63.2 %` of the optimal covered weight
//! for `k` picks (Nemhauser, Wolsey & Fisher 1978). That holds as stated for PTZ cameras (one
//! option per site) and, for fixed cameras, when several cameras may share a site
//! (`one_per_site = false`). With at most one camera per site (the default — a pole holds one
//! new camera), the choice is constrained by a partition matroid and the proven greedy bound
//! is `1/2` of the optimum (Fisher, Nemhauser & Wolsey 1978); in practice the two agree closely.
//! The optimum itself is for the discretised problem: coverage is counted by cell centres.
//!
//! # Reported figures
//! The choice is made on cells, but the areas reported (`gain_m2`, `covered_m2_*`, and with
//! `weight = area` the gains and shares too) are exact: the existing cameras' coverage of the
//! target by [`super::coverage::cover_area`], then each pick's visible polygon clipped to the
//! target less what is already seen, in pick order. Cell counts of one option vary by several
//! percent with its position on the lattice, and greedy favours the options that catch more
//! cells than they cover; reporting those counts overstated gains by up to 10 %.
//!
//! Pure: no I/O; rstar stays inside [`crate::spatial::index`].
//!
//! # Units
//! WGS84 `[lon, lat]` degrees in and out; metres, square metres; azimuths in degrees clockwise
//! from north; shares in percent.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Point, Rect};

use crate::domain::problem::Unit;
use crate::domain::work::{Interrupted, checkpoint};
use crate::domain::{Camera, CameraKind, CameraStatus, Obstacle, Problem};

use super::coverage::{CameraShape, CameraShapes, CoverageCache, cover_area, percent};
use crate::spatial::Snapshot;
use crate::spatial::geom::covers;
use crate::spatial::measure::{LocalFrame, angle_diff_deg};
use crate::spatial::topology::area_m2;
use crate::spatial::visibility::{camera_coverage, sight_blocked};

/// About this many cells for a target (fewer for small targets: cells are never under 2 m).
pub const TARGET_CELLS: usize = 20_000;
/// Never more cells than this, even when the camera range asks for finer ones.
pub const MAX_CELLS: usize = 200_000;
/// Smallest cell side, metres.
pub const MIN_CELL_M: f64 = 2.0;
/// Most candidate sites: a user list longer than this is refused, a generated one thinned.
pub const MAX_SITES: usize = 5_000;
/// Most cameras one request may place.
pub const MAX_K: usize = 50;
/// Default spacing of generated sites, metres.
pub const DEFAULT_SPACING_M: f64 = 50.0;
/// Smallest and largest spacing, metres.
pub const SPACING_LIMITS_M: (f64, f64) = (10.0, 500.0);
/// Orientations tried for a fixed camera: every 360° / 8 = 45°.
pub const FIXED_AZIMUTHS: u32 = 8;
/// Weight of a cell with no event when `weight = events`.
pub const EVENT_EPSILON: f64 = 0.001;
/// Longest range accepted, metres (as for a registered camera).
pub const MAX_RANGE_M: f64 = 2_000.0;
/// Highest mount height accepted, metres.
pub const MAX_HEIGHT_M: f64 = 100.0;
/// Most lattice points tried for generated sites (the spacing is widened to stay under it).
pub const MAX_SITE_PROBES: usize = 1_000_000;

/// The algorithm, as stated in answers and in the API documentation.
pub const ALGORITHM: &str = "Greedy maximum coverage with lazy (CELF) evaluation over a cell \
discretisation of the target: each step adds the candidate site and orientation that covers \
the most not-yet-covered weight (cell area, or events per cell). Greedy maximum coverage \
achieves at least (1 - 1/e) ≈ 63.2% of the optimal covered weight for k cameras \
(Nemhauser, Wolsey & Fisher 1978) — as stated for PTZ cameras and for one_per_site=false; with \
at most one fixed camera per site (a partition-matroid constraint) the proven bound is 1/2. \
Lazy evaluation is exact because coverage gains are submodular: it picks what plain greedy picks.";

/// What is weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Ground area.
    Area,
    /// Events located in the target (cover where incidents happen).
    Events,
}

/// The camera to place.
///
/// # Units
/// Degrees and metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraSpec {
    /// Fixed (tried at [`FIXED_AZIMUTHS`] azimuths) or PTZ (one disc).
    pub kind: CameraKind,
    /// Horizontal field of view, `(0, 360]`; ignored for PTZ.
    pub hfov_deg: f64,
    /// Range, `(0, 2000]`.
    pub range_m: f64,
    /// Mount height, `(0, 100]`.
    pub height_m: f64,
}

impl Default for CameraSpec {
    fn default() -> Self {
        Self {
            kind: CameraKind::Fixed,
            hfov_deg: 90.0,
            range_m: 50.0,
            height_m: 6.0,
        }
    }
}

impl CameraSpec {
    fn panoramic(&self) -> bool {
        self.kind == CameraKind::Ptz || self.hfov_deg >= 360.0
    }

    /// The camera this spec places at `at` facing `azimuth_deg`.
    #[must_use]
    pub fn camera(&self, at: Coord, azimuth_deg: f64) -> Camera {
        Camera {
            code: String::new(),
            name: String::new(),
            height_m: self.height_m,
            azimuth_deg,
            hfov_deg: if self.kind == CameraKind::Ptz {
                360.0
            } else {
                self.hfov_deg
            },
            range_m: self.range_m,
            tilt_deg: None,
            vfov_deg: None,
            kind: self.kind,
            status: CameraStatus::Online,
            status_since: None,
            location: Point(at),
        }
    }
}

/// A placement request, checked by [`place_cameras`].
#[derive(Debug, Clone)]
pub struct PlacementRequest {
    /// The area to cover, WGS84.
    pub target: MultiPolygon,
    /// How many cameras, `1..=50`.
    pub k: usize,
    /// What is weighed.
    pub weight: Weight,
    /// Candidate sites, WGS84; `None` generates them.
    pub candidates: Option<Vec<Coord>>,
    /// Spacing of generated sites, metres.
    pub spacing_m: f64,
    /// The camera to place.
    pub camera: CameraSpec,
    /// At most one new camera per site.
    pub one_per_site: bool,
}

impl PlacementRequest {
    /// A request with the defaults: area weight, generated sites 50 m apart, a fixed 90° camera
    /// of 50 m at 6 m, one camera per site.
    #[must_use]
    pub fn new(target: MultiPolygon, k: usize) -> Self {
        Self {
            target,
            k,
            weight: Weight::Area,
            candidates: None,
            spacing_m: DEFAULT_SPACING_M,
            camera: CameraSpec::default(),
            one_per_site: true,
        }
    }
}

/// Why no placement can be proposed; `field()` names the request field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlacementError {
    #[error("k must be 1..={MAX_K}, not {0}")]
    K(usize),
    #[error("spacing_m must be {lo}..={hi} metres, not {0}", lo = SPACING_LIMITS_M.0, hi = SPACING_LIMITS_M.1)]
    Spacing(f64),
    #[error("{field} {reason}")]
    Camera {
        field: &'static str,
        reason: String,
        /// The range the field must lie in.
        range: (f64, f64),
        unit: Unit,
    },
    #[error("the target has no area at this resolution")]
    EmptyTarget,
    #[error("the candidate list is empty")]
    NoCandidates,
    #[error("{0} candidate sites exceed the limit of {MAX_SITES}")]
    TooManyCandidates(usize),
    #[error("weight=events, but no event is located in the target")]
    NoEvents,
    /// The target is too big for cells finer than the camera range (or for the cell budget).
    #[error(
        "the target covers {area_km2:.1} km² in a box of {box_km2:.1} km²: for cameras of \
         {range_m} m range at most {max_km2:.0} km² (box {max_box_km2:.0} km²) can be planned \
         with cells finer than the range; narrow the target to a town, village, grid or key \
         area, or draw a smaller one"
    )]
    TargetTooLarge {
        area_km2: f64,
        box_km2: f64,
        range_m: f64,
        max_km2: f64,
        max_box_km2: f64,
    },
    /// The work ran out of the request's time budget or was cancelled.
    #[error("placement {0}; narrow the target or give fewer candidates")]
    Interrupted(#[from] Interrupted),
}

impl PlacementError {
    /// The request field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            PlacementError::K(_) => "k",
            PlacementError::Spacing(_) => "spacing_m",
            PlacementError::Camera { field, .. } => field,
            PlacementError::EmptyTarget
            | PlacementError::TargetTooLarge { .. }
            | PlacementError::Interrupted(_) => "target",
            PlacementError::NoCandidates | PlacementError::TooManyCandidates(_) => "candidates",
            PlacementError::NoEvents => "weight",
        }
    }

    /// What kind of wrong it is ([`Problem`]).
    #[must_use]
    pub fn problem(&self) -> Problem {
        match self {
            PlacementError::K(_) => Problem::out_of_range(1.0..=MAX_K as f64, Unit::Count),
            PlacementError::Spacing(_) => {
                Problem::out_of_range(SPACING_LIMITS_M.0..=SPACING_LIMITS_M.1, Unit::Metres)
            }
            PlacementError::Camera { range, unit, .. } => {
                Problem::out_of_range(range.0..=range.1, *unit)
            }
            PlacementError::EmptyTarget | PlacementError::NoEvents => Problem::Invalid,
            PlacementError::NoCandidates => Problem::Missing,
            PlacementError::TooManyCandidates(_) => Problem::TooMany {
                limit: MAX_SITES as u64,
            },
            PlacementError::TargetTooLarge { .. } => Problem::AreaTooLarge,
            PlacementError::Interrupted(_) => Problem::TooComplex,
        }
    }
}

/// Where the sites came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteSource {
    /// The user's points.
    Candidates,
    /// Points along the patrol routes inside the target.
    PatrolRoutes,
    /// A square lattice inside the target.
    Lattice,
}

impl SiteSource {
    /// The name used in answers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SiteSource::Candidates => "candidates",
            SiteSource::PatrolRoutes => "patrol_routes",
            SiteSource::Lattice => "lattice",
        }
    }
}

/// One proposed camera.
///
/// # Units
/// Degrees, metres, square metres; shares in percent of the target's total weight.
#[derive(Debug, Clone)]
pub struct Pick {
    /// The camera (no code; online), at its site facing its azimuth.
    pub camera: Camera,
    /// What it would see: its visible polygon (footprint less obstacle shadows), WGS84.
    pub visible: MultiPolygon,
    /// Weight it adds (m² for `area`, events (+ epsilons) for `events`).
    pub gain: f64,
    /// Area it adds, m² (cells newly covered).
    pub gain_m2: f64,
    /// Its gain as a share of the target's weight.
    pub gain_share: f64,
    /// Share of the target's weight covered before this pick and after it.
    pub covered_before: f64,
    /// See `covered_before`.
    pub covered_after: f64,
}

/// The proposal.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The cameras, in the order picked (largest gain first).
    pub picks: Vec<Pick>,
    /// Number of cells.
    pub cells: usize,
    /// Cell side, metres.
    pub cell_m: f64,
    /// The target's area, m² (exact polygon area).
    pub target_m2: f64,
    /// Total weight of the cells.
    pub total_weight: f64,
    /// Events in the target's cells (`weight = events`), else 0.
    pub events: usize,
    /// Share of the weight that existing online cameras see, and that all picks add up to.
    pub covered_before: f64,
    /// See `covered_before`.
    pub covered_after: f64,
    /// Area share seen by existing online cameras, and with the picks.
    pub covered_m2_before: f64,
    /// See `covered_m2_before`.
    pub covered_m2_after: f64,
    /// Online cameras that see at least one cell.
    pub existing_cameras: usize,
    /// Candidate sites.
    pub sites: usize,
    /// Where they came from.
    pub site_source: SiteSource,
    /// Spacing used for generated sites (widened to stay under [`MAX_SITES`]), metres.
    pub spacing_m: f64,
    /// Site × orientation options that see at least one uncovered cell.
    pub candidates_considered: usize,
    /// Gain evaluations the lazy greedy made (plain greedy: `k × candidates`).
    pub evaluations: usize,
    /// Time taken.
    pub computed_in: Duration,
}

/// One greedy step: the option picked and its gain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Index into the options.
    pub option: usize,
    /// Weight of the cells it newly covers.
    pub gain: f64,
}

/// A heap entry: a gain (an upper bound unless `round` is current), ties to the lower index.
#[derive(Debug, Clone, Copy)]
struct Entry {
    gain: f64,
    option: usize,
    round: usize,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.option.cmp(&self.option))
    }
}

fn gain_of(cells: &[u32], weights: &[f64], covered: &[bool]) -> f64 {
    cells
        .iter()
        .filter(|&&c| !covered[c as usize])
        .map(|&c| weights[c as usize])
        .sum()
}

/// Greedy maximum coverage with lazy (CELF) evaluation.
///
/// `options[i]` lists the cells option `i` sees; `site_of[i]` is its site (with `one_per_site`,
/// once a site is used its other options are dropped). `covered` marks what is seen already and
/// is updated with every pick. Stops after `k` picks or when no option gains anything. The
/// picks are those of the plain greedy (ties to the lower index); the second value is the
/// number of gain evaluations.
///
/// # Examples
/// ```
/// use safegrid::analysis::placement::greedy;
///
/// // Three cells of weight 1; option 0 sees {0, 1}, option 1 sees {1, 2}, option 2 sees {2}.
/// let mut covered = vec![false; 3];
/// let (steps, _) = greedy(&[1.0; 3], &mut covered, &[vec![0, 1], vec![1, 2], vec![2]], &[0, 1, 2], 2, true);
/// assert_eq!(steps.iter().map(|s| s.option).collect::<Vec<_>>(), vec![0, 1]);
/// assert_eq!(steps[1].gain, 1.0);
/// ```
#[must_use]
pub fn greedy(
    weights: &[f64],
    covered: &mut [bool],
    options: &[Vec<u32>],
    site_of: &[u32],
    k: usize,
    one_per_site: bool,
) -> (Vec<Step>, usize) {
    let mut heap: BinaryHeap<Entry> = options
        .iter()
        .enumerate()
        .map(|(option, cells)| Entry {
            gain: gain_of(cells, weights, covered),
            option,
            round: 0,
        })
        .filter(|e| e.gain > 0.0)
        .collect();
    let mut evaluations = options.len();
    let mut used_sites = std::collections::HashSet::new();
    let mut steps = Vec::new();
    while steps.len() < k {
        let Some(top) = heap.pop() else { break };
        if one_per_site && used_sites.contains(&site_of[top.option]) {
            continue;
        }
        if top.round == steps.len() {
            // Fresh this round and still on top: by submodularity no other option can do better.
            for &c in &options[top.option] {
                covered[c as usize] = true;
            }
            used_sites.insert(site_of[top.option]);
            steps.push(Step {
                option: top.option,
                gain: top.gain,
            });
            continue;
        }
        let gain = gain_of(&options[top.option], weights, covered);
        evaluations += 1;
        if gain > 0.0 {
            heap.push(Entry {
                gain,
                option: top.option,
                round: steps.len(),
            });
        }
    }
    (steps, evaluations)
}

/// The target cut into cells.
#[derive(Debug)]
struct Cells {
    frame: LocalFrame,
    cell_m: f64,
    /// South-west corner of the lattice, metres.
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    /// Lattice slot → cell index, `u32::MAX` outside the target.
    slot: Vec<u32>,
    /// Cell centres, metres.
    centre_m: Vec<[f64; 2]>,
    /// Cell centres, WGS84.
    centre: Vec<Coord>,
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "callers pass finite values clamped to a small non-negative range"
)]
fn to_usize(v: f64) -> usize {
    v.max(0.0) as usize
}

impl Cells {
    fn slot_range(&self, lo: f64, hi: f64, origin: f64, n: usize) -> Option<(usize, usize)> {
        let a = ((lo - origin) / self.cell_m).floor();
        let b = ((hi - origin) / self.cell_m).floor();
        if b < 0.0 || a >= n as f64 {
            return None;
        }
        Some((to_usize(a), to_usize(b).min(n - 1)))
    }

    /// Cells whose centre is within the box `[x−r, x+r] × [y−r, y+r]` (metres).
    fn near(&self, [east, north]: [f64; 2], r: f64, mut visit: impl FnMut(u32)) {
        let (Some((col0, col1)), Some((row0, row1))) = (
            self.slot_range(east - r, east + r, self.x0, self.nx),
            self.slot_range(north - r, north + r, self.y0, self.ny),
        ) else {
            return;
        };
        for row in row0..=row1 {
            for col in col0..=col1 {
                let cell = self.slot[row * self.nx + col];
                if cell != u32::MAX {
                    visit(cell);
                }
            }
        }
    }

    /// The cell holding `p` (metres), if any.
    fn at(&self, [east, north]: [f64; 2]) -> Option<u32> {
        let col = ((east - self.x0) / self.cell_m).floor();
        let row = ((north - self.y0) / self.cell_m).floor();
        if col < 0.0 || row < 0.0 || col >= self.nx as f64 || row >= self.ny as f64 {
            return None;
        }
        let cell = self.slot[to_usize(row) * self.nx + to_usize(col)];
        (cell != u32::MAX).then_some(cell)
    }
}

/// The cell side for a target of `area` m² in a box of `box_m2` m², for cameras of `range_m`.
fn cell_side(area: f64, box_m2: f64, range_m: f64) -> f64 {
    let coarse = (area / TARGET_CELLS as f64).sqrt().max(MIN_CELL_M);
    let finest = (area / MAX_CELLS as f64)
        .sqrt()
        .max(MIN_CELL_M)
        // The lattice holds the box, not only the target: bound its slots too.
        .max((box_m2 / (4 * MAX_CELLS) as f64).sqrt());
    coarse.min(range_m / 4.0).max(finest)
}

/// The target's area and box against the cell budget: cells no coarser than the camera range,
/// and at most about `4 × MAX_CELLS` slots in the box (checked before anything is allocated).
fn check_size(area: f64, box_m2: f64, range_m: f64) -> Result<(), PlacementError> {
    let max_area = MAX_CELLS as f64 * range_m * range_m;
    let max_box = 4.0 * max_area;
    if area > max_area || box_m2 > max_box || !box_m2.is_finite() {
        return Err(PlacementError::TargetTooLarge {
            area_km2: area / 1e6,
            box_km2: box_m2 / 1e6,
            range_m,
            max_km2: max_area / 1e6,
            max_box_km2: max_box / 1e6,
        });
    }
    Ok(())
}

fn discretise(
    target: &MultiPolygon,
    area: f64,
    range_m: f64,
) -> Result<Option<Cells>, PlacementError> {
    let Some(bbox) = target.bounding_rect() else {
        return Ok(None);
    };
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    let [x0, y0] = frame.project(bbox.min().x, bbox.min().y);
    let [x1, y1] = frame.project(bbox.max().x, bbox.max().y);
    check_size(area, (x1 - x0) * (y1 - y0), range_m)?;
    let cell_m = cell_side(area, (x1 - x0) * (y1 - y0), range_m);
    let nx = to_usize(((x1 - x0) / cell_m).ceil()).max(1);
    let ny = to_usize(((y1 - y0) / cell_m).ceil()).max(1);
    let mut cells = Cells {
        frame,
        cell_m,
        x0,
        y0,
        nx,
        ny,
        slot: vec![u32::MAX; nx * ny],
        centre_m: Vec::new(),
        centre: Vec::new(),
    };
    for j in 0..ny {
        checkpoint()?;
        let y = y0 + (j as f64 + 0.5) * cell_m;
        for i in 0..nx {
            let x = x0 + (i as f64 + 0.5) * cell_m;
            let (lon, lat) = frame.unproject([x, y]);
            let c = Coord { x: lon, y: lat };
            if covers(target, c)
                && let Ok(slot) = u32::try_from(cells.centre.len())
            {
                cells.slot[j * nx + i] = slot;
                cells.centre_m.push([x, y]);
                cells.centre.push(c);
            }
        }
    }
    Ok((!cells.centre.is_empty()).then_some(cells))
}

/// Points every `spacing` metres along `line` (from its start), in `frame`'s metres.
fn along(line: &LineString, frame: &LocalFrame, spacing: f64, out: &mut Vec<[f64; 2]>) {
    let pts: Vec<[f64; 2]> = line.0.iter().map(|c| frame.project(c.x, c.y)).collect();
    let mut next = 0.0;
    let mut walked = 0.0;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        while next <= walked + len && len > 0.0 {
            let t = (next - walked) / len;
            out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
            next += spacing;
        }
        walked += len;
    }
}

/// Sites along the patrol routes inside the target, thinned to at most [`MAX_SITES`];
/// `None` when there are none. Returns the sites (WGS84) and the spacing used.
fn route_sites(
    snapshot: &Snapshot,
    target: &MultiPolygon,
    bbox: Rect,
    frame: &LocalFrame,
    spacing: f64,
) -> Option<(Vec<Coord>, f64)> {
    let routes: Vec<&LineString> = snapshot
        .patrol_routes
        .intersecting(bbox)
        .map(|r| &r.line)
        .collect();
    if routes.is_empty() {
        return None;
    }
    // Never more than MAX_SITE_PROBES points along the routes, however long they are.
    let length: f64 = routes
        .iter()
        .flat_map(|line| line.0.windows(2))
        .map(|w| {
            let (a, b) = (frame.project(w[0].x, w[0].y), frame.project(w[1].x, w[1].y));
            (b[0] - a[0]).hypot(b[1] - a[1])
        })
        .sum();
    let mut spacing = spacing.max(length / MAX_SITE_PROBES as f64);
    loop {
        let mut pts = Vec::new();
        for line in &routes {
            along(line, frame, spacing, &mut pts);
        }
        let inside: Vec<Coord> = pts
            .iter()
            .map(|&p| {
                let (x, y) = frame.unproject(p);
                Coord { x, y }
            })
            .filter(|&c| covers(target, c))
            .collect();
        if inside.len() <= MAX_SITES {
            return (!inside.is_empty()).then_some((inside, spacing));
        }
        spacing *= inside.len() as f64 / MAX_SITES as f64 * 1.01;
    }
}

/// A square lattice of `spacing` metres inside the target, thinned to at most [`MAX_SITES`];
/// never more than [`MAX_SITE_PROBES`] points of the box are tried.
fn lattice_sites(target: &MultiPolygon, cells: &Cells, spacing: f64) -> (Vec<Coord>, f64) {
    let east_end = cells.x0 + cells.nx as f64 * cells.cell_m;
    let north_end = cells.y0 + cells.ny as f64 * cells.cell_m;
    let box_m2 = (east_end - cells.x0) * (north_end - cells.y0);
    let mut spacing = spacing.max((box_m2 / MAX_SITE_PROBES as f64).sqrt());
    loop {
        let mut sites = Vec::new();
        let mut north = cells.y0 + spacing / 2.0;
        while north < north_end {
            let mut east = cells.x0 + spacing / 2.0;
            while east < east_end {
                let (lon, lat) = cells.frame.unproject([east, north]);
                let site = Coord { x: lon, y: lat };
                if covers(target, site) {
                    sites.push(site);
                }
                east += spacing;
            }
            north += spacing;
        }
        if sites.len() <= MAX_SITES {
            if sites.is_empty() {
                // A target narrower than the spacing: one site at its first cell.
                sites.push(cells.centre[0]);
            }
            return (sites, spacing);
        }
        spacing *= (sites.len() as f64 / MAX_SITES as f64).sqrt() * 1.01;
    }
}

fn check(request: &PlacementRequest) -> Result<(), PlacementError> {
    if !(1..=MAX_K).contains(&request.k) {
        return Err(PlacementError::K(request.k));
    }
    let (lo, hi) = SPACING_LIMITS_M;
    if !(lo..=hi).contains(&request.spacing_m) {
        return Err(PlacementError::Spacing(request.spacing_m));
    }
    let c = &request.camera;
    let bad = |field, reason: String, range, unit| {
        Err(PlacementError::Camera {
            field,
            reason,
            range,
            unit,
        })
    };
    if !(c.hfov_deg > 0.0 && c.hfov_deg <= 360.0) {
        return bad(
            "camera.hfov_deg",
            format!("must be in (0, 360], not {}", c.hfov_deg),
            (0.0, 360.0),
            Unit::Degrees,
        );
    }
    if !(c.range_m > 0.0 && c.range_m <= MAX_RANGE_M) {
        return bad(
            "camera.range_m",
            format!("must be in (0, {MAX_RANGE_M}], not {}", c.range_m),
            (0.0, MAX_RANGE_M),
            Unit::Metres,
        );
    }
    if !(c.height_m > 0.0 && c.height_m <= MAX_HEIGHT_M) {
        return bad(
            "camera.height_m",
            format!("must be in (0, {MAX_HEIGHT_M}], not {}", c.height_m),
            (0.0, MAX_HEIGHT_M),
            Unit::Metres,
        );
    }
    match &request.candidates {
        Some(list) if list.is_empty() => Err(PlacementError::NoCandidates),
        Some(list) if list.len() > MAX_SITES => Err(PlacementError::TooManyCandidates(list.len())),
        _ => Ok(()),
    }
}

/// Proposes where `request.k` cameras would add the most covered weight in `snapshot` (see
/// the module doc for the method and its guarantee); uses the camera polygons of `cache` when
/// they are built, and builds none there.
///
/// # Errors
/// A [`PlacementError`] naming the request field at fault.
pub fn place_cameras(
    snapshot: &Snapshot,
    cache: &CoverageCache,
    request: &PlacementRequest,
) -> Result<Placement, PlacementError> {
    place_cameras_with(
        snapshot,
        request,
        cache.ready_camera_shapes(snapshot).as_deref(),
    )
}

fn place_cameras_with(
    snapshot: &Snapshot,
    request: &PlacementRequest,
    cached: Option<&CameraShapes>,
) -> Result<Placement, PlacementError> {
    let start = Instant::now();
    check(request)?;
    let target = &request.target;
    let spec = request.camera;
    let target_m2 = area_m2(target);
    let bbox = target.bounding_rect().ok_or(PlacementError::EmptyTarget)?;
    let cells = discretise(target, target_m2, spec.range_m)?.ok_or(PlacementError::EmptyTarget)?;
    let n = cells.centre.len();
    let cell_m2 = cells.cell_m * cells.cell_m;

    // Weights.
    let mut events = 0;
    let weights: Vec<f64> = match request.weight {
        Weight::Area => vec![cell_m2; n],
        Weight::Events => {
            let mut w = vec![EVENT_EPSILON; n];
            for e in snapshot.events.intersecting(bbox) {
                let p = e.location;
                if let Some(c) = cells.at(cells.frame.project(p.x, p.y)) {
                    w[c as usize] += 1.0;
                    events += 1;
                }
            }
            if events == 0 {
                return Err(PlacementError::NoEvents);
            }
            w
        }
    };
    let total_weight: f64 = weights.iter().sum();

    // What online cameras see already.
    let mut covered = vec![false; n];
    let visible = online_visible(snapshot, bbox, cached);
    let existing_cameras = mark_seen(&cells, &visible, &mut covered);
    let covered_weight = |covered: &[bool]| -> f64 {
        covered
            .iter()
            .zip(&weights)
            .filter(|(c, _)| **c)
            .map(|(_, w)| w)
            .sum()
    };
    let before_weight = covered_weight(&covered);

    // Sites.
    let (sites, site_source, spacing_m) = match &request.candidates {
        Some(list) => (list.clone(), SiteSource::Candidates, request.spacing_m),
        None => {
            if let Some((s, spacing)) =
                route_sites(snapshot, target, bbox, &cells.frame, request.spacing_m)
            {
                (s, SiteSource::PatrolRoutes, spacing)
            } else {
                let (s, spacing) = lattice_sites(target, &cells, request.spacing_m);
                (s, SiteSource::Lattice, spacing)
            }
        }
    };

    // Options: site × orientation → cells seen.
    let azimuths: Vec<f64> = if spec.panoramic() {
        vec![0.0]
    } else {
        (0..FIXED_AZIMUTHS)
            .map(|i| f64::from(i) * 360.0 / f64::from(FIXED_AZIMUTHS))
            .collect()
    };
    let mut options: Vec<Vec<u32>> = Vec::new();
    let mut option_of: Vec<(usize, f64)> = Vec::new();
    let mut site_of: Vec<u32> = Vec::new();
    let mut per_azimuth: Vec<Vec<u32>> = vec![Vec::new(); azimuths.len()];
    for (s, &site) in sites.iter().enumerate() {
        checkpoint()?;
        let here = cells.frame.project(site.x, site.y);
        let probe = spec.camera(site, 0.0);
        let (_, far) = probe.ground_span_m();
        let obstacles: Vec<&Obstacle> = match crate::spatial::index::Spatial::envelope(&probe) {
            Some(reach) if !snapshot.obstacles.is_empty() => {
                snapshot.obstacles.intersecting(reach).collect()
            }
            _ => Vec::new(),
        };
        per_azimuth.iter_mut().for_each(Vec::clear);
        cells.near(here, far, |c| {
            let [x, y] = cells.centre_m[c as usize];
            let (dx, dy) = (x - here[0], y - here[1]);
            if dx.hypot(dy) > far {
                return;
            }
            let mut blocked = None;
            let bearing = dx.atan2(dy).to_degrees();
            for (a, &azimuth) in azimuths.iter().enumerate() {
                let in_view = spec.panoramic()
                    || dx.hypot(dy) < 1e-9
                    || angle_diff_deg(bearing, azimuth) <= spec.hfov_deg / 2.0;
                if !in_view {
                    continue;
                }
                let hidden = *blocked.get_or_insert_with(|| {
                    !obstacles.is_empty()
                        && sight_blocked(
                            site,
                            spec.height_m,
                            cells.centre[c as usize],
                            obstacles.iter().copied(),
                        )
                });
                if !hidden {
                    per_azimuth[a].push(c);
                }
            }
        });
        for (a, seen) in per_azimuth.iter().enumerate() {
            if seen.iter().any(|&c| !covered[c as usize]) {
                options.push(seen.clone());
                option_of.push((s, azimuths[a]));
                site_of.push(u32::try_from(s).unwrap_or(u32::MAX));
            }
        }
    }

    let (steps, evaluations) = greedy(
        &weights,
        &mut covered,
        &options,
        &site_of,
        request.k,
        request.one_per_site,
    );
    let mut running = before_weight;
    let mut picks = steps
        .iter()
        .map(|step| {
            let (s, azimuth) = option_of[step.option];
            let newly = step.gain;
            let before = running;
            running += newly;
            Pick {
                camera: spec.camera(sites[s], azimuth),
                visible: MultiPolygon(Vec::new()),
                gain: newly,
                gain_m2: 0.0,
                gain_share: percent(newly, total_weight),
                covered_before: percent(before, total_weight),
                covered_after: percent(running, total_weight),
            }
        })
        .collect::<Vec<_>>();
    let covered_m2_before = exact_gains(snapshot, target, visible, &mut picks);
    let covered_m2_after = covered_m2_before + picks.iter().map(|p| p.gain_m2).sum::<f64>();
    let (mut covered_before, mut covered_after) = (
        percent(before_weight, total_weight),
        percent(covered_weight(&covered), total_weight),
    );
    if request.weight == Weight::Area {
        // Report the exact areas, not the cell counts the choice was made on: the cells
        // an option happens to catch vary by a few percent with its position on the
        // lattice, and the greedy choice favours the lucky ones.
        let mut running = covered_m2_before;
        for pick in &mut picks {
            pick.gain = pick.gain_m2;
            pick.gain_share = percent(pick.gain_m2, target_m2);
            pick.covered_before = percent(running, target_m2);
            running += pick.gain_m2;
            pick.covered_after = percent(running, target_m2);
        }
        covered_before = percent(covered_m2_before, target_m2);
        covered_after = percent(covered_m2_after, target_m2);
    }
    Ok(Placement {
        picks,
        cells: n,
        cell_m: cells.cell_m,
        target_m2,
        total_weight,
        events,
        covered_before,
        covered_after,
        covered_m2_before,
        covered_m2_after,
        existing_cameras,
        sites: sites.len(),
        site_source,
        spacing_m,
        candidates_considered: options.len(),
        evaluations,
        computed_in: start.elapsed(),
    })
}

/// The visible polygons (footprint less obstacle shadows) of the online cameras whose
/// reach meets `bbox`: the snapshot's cached shapes when built, else computed here.
fn online_visible(
    snapshot: &Snapshot,
    bbox: Rect,
    cached: Option<&CameraShapes>,
) -> Vec<MultiPolygon> {
    snapshot
        .cameras
        .slots_intersecting(bbox)
        .filter(|&i| {
            snapshot
                .cameras
                .item(i)
                .is_some_and(|c| c.status == CameraStatus::Online)
        })
        .filter_map(|i| match cached {
            Some(shapes) => shapes.get(i as usize).map(|s| s.area.clone()),
            None => Some(camera_coverage(snapshot, snapshot.cameras.item(i)?).area),
        })
        .filter(|area| !area.0.is_empty())
        .collect()
}

/// Marks the cells that `visible` polygons see; returns how many see at least one.
fn mark_seen(cells: &Cells, visible: &[MultiPolygon], covered: &mut [bool]) -> usize {
    let mut cameras = 0;
    for area in visible {
        let Some(reach) = area.bounding_rect() else {
            continue;
        };
        let [ax, ay] = cells.frame.project(reach.min().x, reach.min().y);
        let [bx, by] = cells.frame.project(reach.max().x, reach.max().y);
        let mid = [f64::midpoint(ax, bx), f64::midpoint(ay, by)];
        let r = ((bx - ax) / 2.0).max((by - ay) / 2.0);
        let mut sees = false;
        cells.near(mid, r, |c| {
            if covers(area, cells.centre[c as usize]) {
                covered[c as usize] = true;
                sees = true;
            }
        });
        if sees {
            cameras += 1;
        }
    }
    cameras
}

/// The exact areas behind the cell counts: what `visible` (the online cameras) see of
/// `target`, and what each pick adds to it in pick order, by polygon overlay of the picks'
/// visible polygons. Returns the area seen before the picks, m², and fills each pick's
/// `visible` and `gain_m2`.
fn exact_gains(
    snapshot: &Snapshot,
    target: &MultiPolygon,
    visible: Vec<MultiPolygon>,
    picks: &mut [Pick],
) -> f64 {
    let shapes: Vec<CameraShape> = visible
        .into_iter()
        .filter_map(|area| CameraShape::new(true, area))
        .collect();
    let before = cover_area(target, &shapes.iter().collect::<Vec<_>>());
    let mut seen = match before.seen_geometry {
        geo::Geometry::MultiPolygon(mp) => mp,
        _ => MultiPolygon(Vec::new()),
    };
    for pick in picks {
        pick.visible = camera_coverage(snapshot, &pick.camera).area;
        let piece = pick.visible.intersection(target);
        let new = piece.difference(&seen);
        pick.gain_m2 = area_m2(&new);
        seen = seen.union(&piece);
    }
    before.seen
}

#[cfg(test)]
#[expect(
    clippy::cast_possible_truncation,
    reason = "small random test sizes and indices"
)]
mod tests {
    use super::*;

    use crate::domain::{Dataset, Event, EventStatus, ObstacleKind, ObstacleShape};
    use geo::Polygon;

    /// The advice with an empty cache.
    fn advise(
        snapshot: &Snapshot,
        request: &PlacementRequest,
    ) -> Result<Placement, PlacementError> {
        place_cameras(snapshot, &CoverageCache::default(), request)
    }

    const LON: f64 = 120.24;
    const LAT: f64 = 29.29;
    const BOUND: f64 = 1.0 - 1.0 / std::f64::consts::E;

    fn at_m(east: f64, north: f64) -> Coord {
        let (x, y) = LocalFrame::new(LON, LAT).unproject([east, north]);
        Coord { x, y }
    }

    fn square(x0: f64, y0: f64, side: f64) -> Polygon {
        let ring = [
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ];
        Polygon::new(
            LineString(ring.iter().map(|&(x, y)| at_m(x, y)).collect()),
            Vec::new(),
        )
    }

    fn ptz(range_m: f64) -> CameraSpec {
        CameraSpec {
            kind: CameraKind::Ptz,
            hfov_deg: 360.0,
            range_m,
            height_m: 6.0,
        }
    }

    /// Best covered weight of any `k` options (brute force over every k-subset).
    fn brute_force(weights: &[f64], options: &[Vec<u32>], k: usize) -> f64 {
        fn go(w: &[f64], opts: &[Vec<u32>], k: usize, from: usize, seen: &mut Vec<u32>) -> f64 {
            let value = |seen: &[u32]| {
                let mut s = seen.to_vec();
                s.sort_unstable();
                s.dedup();
                s.iter().map(|&c| w[c as usize]).sum::<f64>()
            };
            if k == 0 || from == opts.len() {
                return value(seen);
            }
            let mut best = go(w, opts, k, from + 1, seen);
            let len = seen.len();
            seen.extend(&opts[from]);
            best = best.max(go(w, opts, k - 1, from + 1, seen));
            seen.truncate(len);
            best
        }
        go(weights, options, k, 0, &mut Vec::new())
    }

    fn run(weights: &[f64], options: &[Vec<u32>], k: usize) -> f64 {
        let sites: Vec<u32> = (0..options.len() as u32).collect();
        let mut covered = vec![false; weights.len()];
        let (steps, _) = greedy(weights, &mut covered, options, &sites, k, true);
        steps.iter().map(|s| s.gain).sum()
    }

    /// Plain (eager) greedy, for comparison with the lazy one.
    fn plain_greedy(weights: &[f64], options: &[Vec<u32>], k: usize) -> Vec<usize> {
        let mut covered = vec![false; weights.len()];
        let mut picks = Vec::new();
        for _ in 0..k {
            let mut best: Option<(f64, usize)> = None;
            for (i, o) in options.iter().enumerate() {
                let g = gain_of(o, weights, &covered);
                if g > 0.0 && best.is_none_or(|(bg, _)| g > bg) {
                    best = Some((g, i));
                }
            }
            let Some((_, i)) = best else { break };
            for &c in &options[i] {
                covered[c as usize] = true;
            }
            picks.push(i);
        }
        picks
    }

    #[test]
    fn greedy_equals_the_optimum_on_an_l_shaped_target() {
        // An L of five cells: 0 1 2 along the bottom, 3 4 up the left side (cell 0 is the
        // corner). Options: the bottom row, the left column, the corner alone, the middle pair.
        let weights = [1.0; 5];
        let options = vec![vec![0, 1, 2], vec![0, 3, 4], vec![0], vec![1, 2]];
        for k in 1..=3 {
            let opt = brute_force(&weights, &options, k);
            assert!((run(&weights, &options, k) - opt).abs() < 1e-12, "k = {k}");
        }
        assert!((brute_force(&weights, &options, 2) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn greedy_can_miss_the_optimum_but_stays_within_one_minus_one_over_e() {
        // The classic case: the big set takes half of each of the two optimal sets.
        // Cells a b c d e f; S = {a b c d}, O1 = {a b e}, O2 = {c d f}.
        let weights = [1.0; 6];
        let options = vec![vec![0, 1, 2, 3], vec![0, 1, 4], vec![2, 3, 5]];
        let (g, opt) = (
            run(&weights, &options, 2),
            brute_force(&weights, &options, 2),
        );
        assert!(
            (g - 5.0).abs() < 1e-12 && (opt - 6.0).abs() < 1e-12,
            "{g} {opt}"
        );
        assert!(g >= BOUND * opt);
    }

    #[test]
    fn lazy_greedy_picks_what_plain_greedy_picks_and_keeps_the_bound() {
        let mut s: u64 = 11;
        let mut next = |m: u64| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 33) % m
        };
        for _ in 0..200 {
            let cells = 6 + next(10) as usize;
            let weights: Vec<f64> = (0..cells).map(|_| 1.0 + next(5) as f64).collect();
            let options: Vec<Vec<u32>> = (0..3 + next(6))
                .map(|_| (0..=next(5)).map(|_| next(cells as u64) as u32).collect())
                .collect();
            let k = 1 + next(3) as usize;
            let sites: Vec<u32> = (0..options.len() as u32).collect();
            let mut covered = vec![false; cells];
            let (steps, _) = greedy(&weights, &mut covered, &options, &sites, k, true);
            let lazy: Vec<usize> = steps.iter().map(|s| s.option).collect();
            assert_eq!(lazy, plain_greedy(&weights, &options, k));
            let g: f64 = steps.iter().map(|s| s.gain).sum();
            assert!(g >= BOUND * brute_force(&weights, &options, k) - 1e-9);
        }
    }

    #[test]
    fn one_per_site_drops_the_other_orientations_of_a_used_site() {
        // Site 0 has two orientations covering disjoint halves; site 1 covers one cell.
        let weights = [1.0; 5];
        let options = vec![vec![0, 1], vec![2, 3], vec![4]];
        let sites = [0, 0, 1];
        let mut covered = vec![false; 5];
        let (steps, _) = greedy(&weights, &mut covered, &options, &sites, 2, true);
        assert_eq!(
            steps.iter().map(|s| s.option).collect::<Vec<_>>(),
            vec![0, 2]
        );
        let mut covered = vec![false; 5];
        let (steps, _) = greedy(&weights, &mut covered, &options, &sites, 2, false);
        assert_eq!(
            steps.iter().map(|s| s.option).collect::<Vec<_>>(),
            vec![0, 1]
        );
    }

    /// Two 60 m squares 200 m apart (centres at x = 0 and x = 200).
    fn two_squares() -> MultiPolygon {
        MultiPolygon(vec![square(-30.0, -30.0, 60.0), square(170.0, -30.0, 60.0)])
    }

    fn online_ptz(east: f64, north: f64, range_m: f64) -> Camera {
        let mut c = ptz(range_m).camera(at_m(east, north), 0.0);
        c.code = "33078300001320000001".into();
        c
    }

    #[test]
    fn two_discs_over_two_squares_is_the_known_optimum() {
        // A 50 m disc at a square's centre covers it all (half-diagonal 42.4 m); the midpoint
        // sees neither square. Optimum for k = 2: both centres, 100 %.
        let snapshot = Snapshot::build(Dataset::default(), 1);
        let mut request = PlacementRequest::new(two_squares(), 2);
        request.camera = ptz(50.0);
        request.candidates = Some(vec![at_m(100.0, 0.0), at_m(0.0, 0.0), at_m(200.0, 0.0)]);
        let p = advise(&snapshot, &request).expect("placement");
        assert_eq!(p.picks.len(), 2);
        // Reported areas are exact polygon overlays (in degrees, measured in metres): equal up
        // to float noise.
        assert!(
            (p.covered_after - 100.0).abs() < 1e-4,
            "{}",
            p.covered_after
        );
        assert!((p.picks[0].covered_after - 50.0).abs() < 1e-4);
        assert!((p.picks[0].gain_share - 50.0).abs() < 1e-4);
        assert!(p.covered_before.abs() < 1e-12);
        assert_eq!(p.candidates_considered, 2, "the midpoint sees nothing");
        assert!(
            (p.covered_m2_after - 7200.0).abs() < 0.01,
            "{}",
            p.covered_m2_after
        );
        assert!((p.target_m2 - 7200.0).abs() < 1.0);
        assert!(
            (p.cell_m - 2.0).abs() < 1e-12,
            "small targets get 2 m cells"
        );
    }

    #[test]
    fn an_online_camera_already_covering_part_reduces_the_gains() {
        let mut data = Dataset::default();
        data.cameras.push(online_ptz(0.0, 0.0, 50.0));
        let snapshot = Snapshot::build(data.clone(), 1);
        let mut request = PlacementRequest::new(two_squares(), 2);
        request.camera = ptz(50.0);
        request.candidates = Some(vec![at_m(0.0, 0.0), at_m(200.0, 0.0)]);
        let p = advise(&snapshot, &request).expect("placement");
        assert!(
            (p.covered_before - 50.0).abs() < 1e-4,
            "{}",
            p.covered_before
        );
        assert_eq!(p.existing_cameras, 1);
        assert_eq!(p.picks.len(), 1, "the covered square adds nothing");
        let pick = &p.picks[0].camera.location.0;
        assert!((pick.x - at_m(200.0, 0.0).x).abs() < 1e-12);
        assert!(
            (p.picks[0].gain_m2 - 3600.0).abs() < 0.01,
            "{}",
            p.picks[0].gain_m2
        );
        // Offline, the same camera counts for nothing.
        data.cameras[0].status = CameraStatus::Offline;
        let p = advise(&Snapshot::build(data, 1), &request).expect("placement");
        assert!(p.covered_before.abs() < 1e-12 && p.picks.len() == 2);
    }

    #[test]
    fn weight_events_puts_the_first_camera_where_the_events_are() {
        // A 300 m square; ten events on a 10 m line near its north-east corner.
        let mut data = Dataset::default();
        let when = chrono::DateTime::UNIX_EPOCH;
        for i in 0..10 {
            data.events.push(Event {
                id: format!("E{i}"),
                category: "theft".into(),
                occurred_at: when,
                reported_at: when,
                source: String::new(),
                status: EventStatus::Reported,
                description: String::new(),
                grid_code: None,
                location: Point(at_m(100.0 + f64::from(i), 100.0)),
            });
        }
        let snapshot = Snapshot::build(data, 1);
        let target = MultiPolygon(vec![square(-150.0, -150.0, 300.0)]);
        let mut request = PlacementRequest::new(target, 1);
        request.weight = Weight::Events;
        let p = advise(&snapshot, &request).expect("events");
        assert_eq!(p.events, 10);
        assert!(p.picks[0].gain >= 10.0, "{}", p.picks[0].gain);
        let c = p.picks[0].camera.location.0;
        let frame = LocalFrame::new(LON, LAT);
        let [x, y] = frame.project(c.x, c.y);
        assert!((x - 105.0).hypot(y - 100.0) <= 50.0, "({x}, {y})");
        // No events in the target: refused, naming the field.
        let empty = Snapshot::build(Dataset::default(), 1);
        let err = advise(&empty, &request).expect_err("no events");
        assert_eq!(err.field(), "weight");
    }

    #[test]
    fn an_obstacle_blocks_a_candidates_view() {
        // A 60 m square at the origin; candidates 80 m west and 80 m east, PTZ of 120 m, 6 m
        // high. An 8 m wall at x = −50 from y = −60 to 60 hides the whole square from the west
        // site (a 3 m one would hide only the 30 m strip behind it, x < −20).
        let mut data = Dataset::default();
        data.obstacles.push(Obstacle {
            id: "wall".into(),
            name: String::new(),
            kind: Some(ObstacleKind::Wall),
            height_m: Some(8.0),
            shape: ObstacleShape::Wall(LineString(vec![at_m(-50.0, -60.0), at_m(-50.0, 60.0)])),
        });
        let snapshot = Snapshot::build(data, 1);
        let mut request = PlacementRequest::new(MultiPolygon(vec![square(-30.0, -30.0, 60.0)]), 2);
        request.camera = ptz(120.0);
        request.candidates = Some(vec![at_m(-80.0, 0.0), at_m(80.0, 0.0)]);
        let p = advise(&snapshot, &request).expect("placement");
        assert_eq!(p.candidates_considered, 1);
        assert_eq!(p.picks.len(), 1);
        assert!((p.picks[0].camera.location.0.x - at_m(80.0, 0.0).x).abs() < 1e-12);
        assert!((p.covered_after - 100.0).abs() < 1e-9);
    }

    #[test]
    fn reported_gains_are_exact_areas_not_the_cells_the_choice_counted() {
        // A 400 m square with a lattice of sites: every option of a 90° 50 m camera inside it
        // sees the same area, but the cells whose centres it catches vary by several percent
        // with its position, and greedy picks a lucky one. The answer reports the sector's
        // real area.
        let snapshot = Snapshot::build(Dataset::default(), 1);
        let mut request =
            PlacementRequest::new(MultiPolygon(vec![square(-200.0, -200.0, 400.0)]), 2);
        request.spacing_m = 30.0;
        let p = advise(&snapshot, &request).expect("placement");
        assert_eq!(p.site_source, SiteSource::Lattice);
        let sector = std::f64::consts::PI * 50.0 * 50.0 / 4.0;
        for pick in &p.picks {
            let polygon = area_m2(&camera_coverage(&snapshot, &pick.camera).area);
            assert!(
                (pick.gain_m2 - polygon).abs() < 0.01,
                "{} vs {polygon}",
                pick.gain_m2
            );
            assert!(
                (pick.gain_m2 - sector).abs() < 0.01 * sector,
                "{} vs {sector}",
                pick.gain_m2
            );
            assert!((pick.gain - pick.gain_m2).abs() < 1e-9);
        }
        let total: f64 = p.picks.iter().map(|q| q.gain_m2).sum();
        assert!((p.covered_m2_after - total).abs() < 1e-6);
        assert!((p.covered_after - 100.0 * total / p.target_m2).abs() < 1e-9);
    }

    #[test]
    fn fixed_cameras_face_the_target_and_requests_are_checked() {
        // A site 10 m west of a 40 m square: the best of the 8 azimuths is east (90°).
        let snapshot = Snapshot::build(Dataset::default(), 1);
        let mut request = PlacementRequest::new(MultiPolygon(vec![square(0.0, -20.0, 40.0)]), 1);
        request.candidates = Some(vec![at_m(-10.0, 0.0)]);
        let p = advise(&snapshot, &request).expect("placement");
        assert!((p.picks[0].camera.azimuth_deg - 90.0).abs() < 1e-9);
        assert_eq!(p.site_source, SiteSource::Candidates);
        request.k = 0;
        assert_eq!(advise(&snapshot, &request).expect_err("k").field(), "k");
        request.k = 1;
        request.candidates = Some(Vec::new());
        assert_eq!(
            advise(&snapshot, &request).expect_err("empty"),
            PlacementError::NoCandidates
        );
        request.candidates = Some(vec![at_m(0.0, 0.0); MAX_SITES + 1]);
        assert_eq!(
            advise(&snapshot, &request).expect_err("too many").field(),
            "candidates"
        );
        request.candidates = None;
        request.camera.range_m = 0.0;
        assert_eq!(
            advise(&snapshot, &request).expect_err("range").field(),
            "camera.range_m"
        );
        // Generated sites: a lattice without patrol routes.
        request.camera.range_m = 50.0;
        let p = advise(&snapshot, &request).expect("lattice");
        assert_eq!(p.site_source, SiteSource::Lattice);
        assert!(p.sites >= 1);
    }

    #[test]
    fn targets_beyond_the_cell_budget_are_refused_before_any_work() {
        let snapshot = Snapshot::build(Dataset::default(), 1);
        // 100 km × 100 km for 50 m cameras: 10,000 km² > 200,000 × 50² m² = 500 km².
        let mut request = PlacementRequest::new(MultiPolygon(vec![square(0.0, 0.0, 100_000.0)]), 3);
        let e = advise(&snapshot, &request).expect_err("too large");
        assert_eq!(e.field(), "target");
        let PlacementError::TargetTooLarge { max_km2, .. } = e else {
            panic!("{e:?}");
        };
        assert!((max_km2 - 500.0).abs() < 1e-6, "{max_km2}");
        assert!(e.to_string().contains("narrow the target"), "{e}");
        // A thin diagonal strip: 17 km² in a box of a million km². Refused too.
        request.target = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (10.0, 10.0),
                (10.0, 10.0001),
                (0.0, 0.0001),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        assert!(matches!(
            advise(&snapshot, &request),
            Err(PlacementError::TargetTooLarge { .. })
        ));
    }

    #[test]
    fn a_lattice_never_tries_more_than_its_probe_budget() {
        // 20 km × 20 km (400 km², under the 500 km² limit of 50 m cameras) at 10 m spacing
        // would be 4,000,000 lattice points; the spacing starts wide enough for 1,000,000.
        let snapshot = Snapshot::build(Dataset::default(), 1);
        let mut request = PlacementRequest::new(MultiPolygon(vec![square(0.0, 0.0, 20_000.0)]), 1);
        request.spacing_m = 10.0;
        let p = advise(&snapshot, &request).expect("placement");
        assert_eq!(p.site_source, SiteSource::Lattice);
        assert!(p.sites <= MAX_SITES, "{}", p.sites);
        assert!(
            p.spacing_m >= (4.0e8 / MAX_SITE_PROBES as f64).sqrt(),
            "{}",
            p.spacing_m
        );
    }

    #[test]
    fn placement_stops_when_its_budget_is_spent() {
        let snapshot = Snapshot::build(Dataset::default(), 1);
        let request = PlacementRequest::new(MultiPolygon(vec![square(0.0, 0.0, 400.0)]), 1);
        let spent = crate::domain::work::Budget::new(Duration::ZERO);
        assert!(matches!(
            spent.run(|| advise(&snapshot, &request)),
            Err(PlacementError::Interrupted(Interrupted::Deadline(_)))
        ));
    }

    /// The largest sample village, k = 10, with the default sites and with the most sites
    /// allowed; the figures and times are printed
    /// (`cargo test --release --lib placement::tests::largest -- --nocapture`).
    #[test]
    fn largest_sample_village_k10() {
        let snapshot = Snapshot::build(crate::sample::generate().expect("sample"), 1);
        let village = snapshot
            .regions
            .iter()
            .filter(|r| r.level() == crate::domain::RegionLevel::Village)
            .max_by(|a, b| area_m2(&a.area).total_cmp(&area_m2(&b.area)))
            .expect("villages");
        let t = Instant::now();
        let cache = CoverageCache::default();
        let _ = cache.camera_shapes(&snapshot);
        println!("camera polygons built in {:?}", t.elapsed());
        let report = |label: &str, p: &Placement| {
            assert_eq!(p.picks.len(), 10, "{label}");
            assert!(p.covered_after > p.covered_before, "{label}");
            assert!(
                p.evaluations < p.candidates_considered * 10,
                "{label}: lazy evaluation saves work"
            );
            println!(
                "{label}: {} {}: {:.0} m², {} cells of {:.1} m, {} sites ({}, {:.0} m), {} options, {} evaluations; covered {:.2}% -> {:.2}% in {:?}",
                village.code,
                village.name,
                p.target_m2,
                p.cells,
                p.cell_m,
                p.sites,
                p.site_source.as_str(),
                p.spacing_m,
                p.candidates_considered,
                p.evaluations,
                p.covered_before,
                p.covered_after,
                p.computed_in
            );
        };
        let mut request = PlacementRequest::new(village.area.clone(), 10);
        let p = super::place_cameras(&snapshot, &cache, &request).expect("placement");
        report("default sites", &p);
        // The worst case: the most sites allowed, a lattice over the whole village.
        let bbox = village.area.bounding_rect().expect("box");
        let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
        let step = (p.target_m2 / MAX_SITES as f64).sqrt();
        let [x0, y0] = frame.project(bbox.min().x, bbox.min().y);
        let [x1, y1] = frame.project(bbox.max().x, bbox.max().y);
        let mut sites = Vec::new();
        let mut north = y0;
        while north < y1 {
            let mut east = x0;
            while east < x1 {
                let (lon, lat) = frame.unproject([east, north]);
                if covers(&village.area, Coord { x: lon, y: lat }) && sites.len() < MAX_SITES {
                    sites.push(Coord { x: lon, y: lat });
                }
                east += step;
            }
            north += step;
        }
        request.candidates = Some(sites);
        let p = super::place_cameras(&snapshot, &cache, &request).expect("placement");
        report("lattice of the most sites", &p);
    }
}
