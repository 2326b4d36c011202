//! A grid-aware accelerator for point → grid: a coarse raster over the grids' extent whose cells
//! either lie wholly inside one grid (answered with no geometry at all) or list the few grids to
//! test exactly. Exact on every point: a cell is only "whole" when no edge of any grid touches
//! it (edges are marked conservatively, widened by [`EDGE_EPSILON_DEG`]) and exactly one grid
//! contains it; every other cell keeps every grid that touches or contains it as a candidate.
//!
//! Cells are about [`CELL_M`] metres on a side; on the Dongyang sample most points land in whole
//! cells and cost one array read.
//!
//! # Units
//! WGS84 degrees; [`CELL_M`] in metres.

use geo::coordinate_position::CoordPos;
use geo::{BoundingRect, Coord, LineString};

use crate::domain::Grid;

use super::index::rect_union;
use super::measure::LocalFrame;

/// Target cell size in metres.
pub const CELL_M: f64 = 40.0;
/// Most cells a raster may have (bounds memory at 4 bytes a cell).
const MAX_CELLS: usize = 8_000_000;
/// Edges are widened by this much when marking the cells they touch, so that an edge running
/// exactly along a cell border marks both sides.
pub const EDGE_EPSILON_DEG: f64 = 1e-9;

const EMPTY: u32 = u32::MAX;
const MIXED: u32 = 1 << 31;

/// The raster. Grid references are indices into the grid layer's item vector, which is sorted
/// by code, so the lowest index is the lowest code.
#[derive(Debug, Default)]
pub struct GridRaster {
    origin: Coord,
    cell: Coord,
    nx: usize,
    ny: usize,
    /// Per cell: [`EMPTY`], a grid index, or [`MIXED`] | the offset of its record in `mixed`.
    cells: Vec<u32>,
    /// The records of mixed cells, flat so that a lookup costs one more memory read, not a
    /// chain of pointers: `[n, then n × (header, 4 words per edge)]`, see [`MixedCell`].
    mixed: Vec<u64>,
    /// Which blocks of cells hold any grid.
    blocks: BlockMask,
}

/// Side of a block of cells in a [`BlockMask`].
const BLOCK: usize = 16;

/// One flag per block of [`BLOCK`] × [`BLOCK`] cells: whether any cell in it is non-empty.
/// Small enough to stay in cache, it answers points far from everything without touching the
/// cell array (random reads of a multi-megabyte array are what a lookup costs).
#[derive(Debug, Default)]
pub(super) struct BlockMask {
    occupied: Vec<bool>,
    bx: usize,
}

impl BlockMask {
    /// The mask of an `nx` × `ny` raster whose cell `i` is non-empty when `used(i)`.
    pub(super) fn build(nx: usize, ny: usize, used: impl Fn(usize) -> bool) -> Self {
        let bx = nx.div_ceil(BLOCK);
        let mut occupied = vec![false; bx * ny.div_ceil(BLOCK)];
        for i in (0..nx * ny).filter(|&i| used(i)) {
            occupied[(i / nx / BLOCK) * bx + (i % nx) / BLOCK] = true;
        }
        Self { occupied, bx }
    }

    /// Whether the block of cell (`ix`, `iy`) holds anything.
    pub(super) fn occupied(&self, ix: usize, iy: usize) -> bool {
        self.occupied
            .get((iy / BLOCK) * self.bx + ix / BLOCK)
            .copied()
            .unwrap_or(false)
    }
}

/// What a cell says about a point in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellAnswer<'a> {
    /// No grid touches the cell.
    Empty,
    /// The whole cell lies in the interior of this grid (an item index) and no other grid.
    Whole(u32),
    /// Several grids touch the cell: decide per candidate.
    Mixed(MixedCell<'a>),
}

/// A cell that several grids touch. For each grid touching or containing it the record keeps
/// whether the cell's centre lies inside the grid and the grid's edges that reach into the cell:
/// walking from the centre to a point of the cell crosses only those edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixedCell<'a> {
    centre: Coord,
    record: &'a [u64],
}

/// Centre states in a candidate header.
const CENTRE_OUTSIDE: u64 = 0;
const CENTRE_INSIDE: u64 = 1;
const CENTRE_ON_EDGE: u64 = 2;

impl MixedCell<'_> {
    /// The candidate grids (ascending item indices) with the local decision for `p`: whether
    /// the grid covers `p`, or `None` when the local test is not decisive (a collinear or
    /// touching configuration, or `p` on an edge) and the whole polygon must be tested.
    pub fn candidates(&self, p: Coord) -> impl Iterator<Item = (u32, Option<bool>)> + '_ {
        let n = self.record.first().copied().unwrap_or(0);
        let mut at = 1;
        (0..n).map(move |_| {
            let header = self.record[at];
            let grid = (header & 0xFFFF_FFFF) as u32;
            let state = (header >> 32) & 0b11;
            let n_edges = (header >> 34) as usize;
            let words = &self.record[at + 1..at + 1 + 4 * n_edges];
            at += 1 + 4 * n_edges;
            (grid, decide(self.centre, p, state, words))
        })
    }
}

/// Whether the point `p` is inside, from the centre's state and the parity of proper crossings
/// of the segment centre → `p` with the edges (4 f64 bit patterns each), all with exact
/// orientation predicates.
fn decide(centre: Coord, p: Coord, state: u64, words: &[u64]) -> Option<bool> {
    use geo::kernels::{Kernel, Orientation, RobustKernel};
    let mut inside = match state {
        CENTRE_INSIDE => true,
        CENTRE_OUTSIDE => false,
        _ => return None,
    };
    for e in words.chunks_exact(4) {
        let a = Coord {
            x: f64::from_bits(e[0]),
            y: f64::from_bits(e[1]),
        };
        let b = Coord {
            x: f64::from_bits(e[2]),
            y: f64::from_bits(e[3]),
        };
        let (oc, op) = (
            RobustKernel::orient2d(a, b, centre),
            RobustKernel::orient2d(a, b, p),
        );
        if oc == Orientation::Collinear || op == Orientation::Collinear {
            return None;
        }
        if oc == op {
            continue;
        }
        let (oa, ob) = (
            RobustKernel::orient2d(centre, p, a),
            RobustKernel::orient2d(centre, p, b),
        );
        if oa == Orientation::Collinear || ob == Orientation::Collinear {
            return None;
        }
        if oa != ob {
            inside = !inside;
        }
    }
    Some(inside)
}

/// A candidate while building a mixed cell's record: grid, centre state, edges in the cell.
type MixedCandidate = (u32, u64, Vec<(Coord, Coord)>);

/// An edge of grid `grid` touching cell `cell`.
type EdgeInCell = (u32, u32, Coord, Coord);

impl GridRaster {
    /// Builds the raster over the top-level grids among `grids` (the grid layer's items, sorted
    /// by code; micro-grids are skipped).
    #[must_use]
    pub fn build(grids: &[Grid]) -> Self {
        let top: Vec<(u32, &Grid)> = grids
            .iter()
            .enumerate()
            .filter(|(_, g)| g.parent_code.is_none())
            .map(|(i, g)| (u32::try_from(i).unwrap_or(u32::MAX), g))
            .collect();
        let Some(extent) = rect_union(top.iter().filter_map(|(_, g)| g.area.bounding_rect()))
        else {
            return Self::default();
        };
        let centre = extent.center();
        let (mut dx, mut dy) = LocalFrame::new(centre.x, centre.y).metres_to_degrees(CELL_M);
        let (w, h) = (extent.width().max(dx), extent.height().max(dy));
        let too_many = (w / dx).ceil() * (h / dy).ceil() / MAX_CELLS as f64;
        if too_many > 1.0 {
            let scale = too_many.sqrt();
            dx *= scale;
            dy *= scale;
        }
        let nx = to_index((w / dx).ceil()) + 1;
        let ny = to_index((h / dy).ceil()) + 1;
        let mut raster = Self {
            origin: extent.min(),
            cell: Coord { x: dx, y: dy },
            nx,
            ny,
            cells: vec![EMPTY; nx * ny],
            mixed: Vec::new(),
            blocks: BlockMask::default(),
        };
        // Edges touching a cell (cell, grid, edge), and cells wholly inside a grid (cell, grid).
        let mut edge_pairs: Vec<EdgeInCell> = Vec::new();
        let mut inside_pairs: Vec<(u32, u32)> = Vec::new();
        for &(gi, grid) in &top {
            let first = edge_pairs.len();
            for poly in &grid.area.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    raster.mark_ring(ring, gi, &mut edge_pairs);
                }
            }
            let mut own_edges: Vec<u32> = edge_pairs[first..].iter().map(|p| p.0).collect();
            own_edges.sort_unstable();
            own_edges.dedup();
            raster.fill_interior(grid, gi, &own_edges, &mut inside_pairs);
        }
        raster.classify(grids, edge_pairs, inside_pairs);
        raster.blocks = BlockMask::build(nx, ny, |i| raster.cells[i] != EMPTY);
        raster
    }

    fn cell_index(&self, ix: usize, iy: usize) -> u32 {
        u32::try_from(iy * self.nx + ix).unwrap_or(u32::MAX)
    }

    fn col_of(&self, x: f64) -> usize {
        to_index(((x - self.origin.x) / self.cell.x).floor()).min(self.nx - 1)
    }

    fn row_of(&self, y: f64) -> usize {
        to_index(((y - self.origin.y) / self.cell.y).floor()).min(self.ny - 1)
    }

    /// Marks every cell a ring's segments pass through (conservatively).
    fn mark_ring(&self, ring: &LineString, grid: u32, out: &mut Vec<EdgeInCell>) {
        for seg in ring.0.windows(2) {
            let (a, b) = (seg[0], seg[1]);
            let (xmin, xmax) = (a.x.min(b.x), a.x.max(b.x));
            let c0 = self.col_of(xmin - EDGE_EPSILON_DEG);
            let c1 = self.col_of(xmax + EDGE_EPSILON_DEG);
            for col in c0..=c1 {
                // The part of the segment within this column's x-range.
                let cx0 = (self.origin.x + col as f64 * self.cell.x).max(xmin);
                let cx1 = (self.origin.x + (col + 1) as f64 * self.cell.x).min(xmax);
                let (y0, y1) = if (b.x - a.x).abs() < f64::EPSILON {
                    (a.y, b.y)
                } else {
                    let t0 = ((cx0 - a.x) / (b.x - a.x)).clamp(0.0, 1.0);
                    let t1 = ((cx1 - a.x) / (b.x - a.x)).clamp(0.0, 1.0);
                    (a.y + t0 * (b.y - a.y), a.y + t1 * (b.y - a.y))
                };
                let r0 = self.row_of(y0.min(y1) - EDGE_EPSILON_DEG);
                let r1 = self.row_of(y0.max(y1) + EDGE_EPSILON_DEG);
                for row in r0..=r1 {
                    out.push((self.cell_index(col, row), grid, a, b));
                }
            }
        }
    }

    /// Finds the cells whose centre lies inside the grid by a scanline per row; those not
    /// touched by the grid's own edges lie wholly inside it.
    fn fill_interior(&self, grid: &Grid, gi: u32, own_edges: &[u32], out: &mut Vec<(u32, u32)>) {
        let Some(bbox) = grid.area.bounding_rect() else {
            return;
        };
        let (r0, r1) = (self.row_of(bbox.min().y), self.row_of(bbox.max().y));
        let mut xs: Vec<f64> = Vec::new();
        for row in r0..=r1 {
            let y = self.origin.y + (row as f64 + 0.5) * self.cell.y;
            xs.clear();
            for poly in &grid.area.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for seg in ring.0.windows(2) {
                        let (a, b) = (seg[0], seg[1]);
                        if (a.y <= y) != (b.y <= y) {
                            xs.push(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
                        }
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks_exact(2) {
                let first = ((pair[0] - self.origin.x) / self.cell.x - 0.5)
                    .ceil()
                    .max(0.0);
                let last = ((pair[1] - self.origin.x) / self.cell.x - 0.5).floor();
                if last < first {
                    continue;
                }
                for col in to_index(first)..=to_index(last).min(self.nx - 1) {
                    let cell = self.cell_index(col, row);
                    if own_edges.binary_search(&cell).is_err() {
                        out.push((cell, gi));
                    }
                }
            }
        }
    }

    fn classify(
        &mut self,
        grids: &[Grid],
        mut edges: Vec<EdgeInCell>,
        mut inside: Vec<(u32, u32)>,
    ) {
        edges.sort_unstable_by_key(|e| (e.0, e.1));
        inside.sort_unstable();
        inside.dedup();
        let (mut e, mut i) = (0, 0);
        while e < edges.len() || i < inside.len() {
            let cell = match (edges.get(e), inside.get(i)) {
                (Some(a), Some(b)) => a.0.min(b.0),
                (Some(a), None) => a.0,
                (None, Some(b)) => b.0,
                (None, None) => break,
            };
            let start = e;
            while e < edges.len() && edges[e].0 == cell {
                e += 1;
            }
            let touching = &edges[start..e];
            let mut containing: Vec<u32> = Vec::new();
            while i < inside.len() && inside[i].0 == cell {
                containing.push(inside[i].1);
                i += 1;
            }
            if touching.is_empty() && containing.len() == 1 {
                self.cells[cell as usize] = containing[0];
                continue;
            }
            let centre = self.centre_of(cell as usize);
            // (grid, centre state, edges), ascending by grid.
            let mut candidates: Vec<MixedCandidate> = containing
                .into_iter()
                .map(|grid| (grid, CENTRE_INSIDE, Vec::new()))
                .collect();
            for run in touching.chunk_by(|x, y| x.1 == y.1) {
                let grid = run[0].1;
                let area = &grids[grid as usize].area;
                let state = match super::locate::ring_set_position(area, centre) {
                    CoordPos::Inside => CENTRE_INSIDE,
                    CoordPos::Outside => CENTRE_OUTSIDE,
                    CoordPos::OnBoundary => CENTRE_ON_EDGE,
                };
                candidates.push((grid, state, run.iter().map(|t| (t.2, t.3)).collect()));
            }
            candidates.sort_unstable_by_key(|c| c.0);
            let id = u32::try_from(self.mixed.len()).unwrap_or(u32::MAX);
            self.mixed.push(candidates.len() as u64);
            for (grid, state, edges) in candidates {
                self.mixed
                    .push(u64::from(grid) | (state << 32) | ((edges.len() as u64) << 34));
                for (a, b) in edges {
                    self.mixed
                        .extend([a.x.to_bits(), a.y.to_bits(), b.x.to_bits(), b.y.to_bits()]);
                }
            }
            self.cells[cell as usize] = MIXED | id;
        }
    }

    fn centre_of(&self, cell: usize) -> Coord {
        let (ix, iy) = (cell % self.nx, cell / self.nx);
        Coord {
            x: self.origin.x + (ix as f64 + 0.5) * self.cell.x,
            y: self.origin.y + (iy as f64 + 0.5) * self.cell.y,
        }
    }

    /// What the raster knows about `p`.
    #[must_use]
    pub fn at(&self, p: Coord) -> CellAnswer<'_> {
        let fx = (p.x - self.origin.x) / self.cell.x;
        let fy = (p.y - self.origin.y) / self.cell.y;
        if self.cells.is_empty() || !(fx >= 0.0 && fy >= 0.0) {
            return CellAnswer::Empty;
        }
        let (ix, iy) = (to_index(fx), to_index(fy));
        if ix >= self.nx || iy >= self.ny || !self.blocks.occupied(ix, iy) {
            return CellAnswer::Empty;
        }
        match self.cells[iy * self.nx + ix] {
            EMPTY => CellAnswer::Empty,
            v if v & MIXED != 0 => CellAnswer::Mixed(MixedCell {
                centre: Coord {
                    x: self.origin.x + (ix as f64 + 0.5) * self.cell.x,
                    y: self.origin.y + (iy as f64 + 0.5) * self.cell.y,
                },
                record: &self.mixed[(v & !MIXED) as usize..],
            }),
            v => CellAnswer::Whole(v),
        }
    }

    /// Share of non-empty cells answered without geometry (for diagnostics and benchmarks).
    #[must_use]
    pub fn whole_share(&self) -> f64 {
        let used = self.cells.iter().filter(|&&v| v != EMPTY).count();
        let whole = self
            .cells
            .iter()
            .filter(|&&v| v != EMPTY && v & MIXED == 0)
            .count();
        if used == 0 {
            0.0
        } else {
            whole as f64 / used as f64
        }
    }
}

/// A non-negative finite float to an index (saturating; NaN → 0).
pub(super) fn to_index(v: f64) -> usize {
    if v.is_finite() && v > 0.0 {
        // Saturating float-to-int conversion is the intent here.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "saturating index"
        )]
        let i = v as usize;
        i
    } else {
        0
    }
}
