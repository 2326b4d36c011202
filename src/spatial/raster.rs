//! A grid-aware accelerator for point → grid: a coarse raster over the grids' extent whose cells
//! either lie wholly inside one grid (answered with no geometry at all) or list the few grids to
//! test exactly. Exact on every point: a cell is only "whole" when no edge of any grid touches
//! it (edges are marked conservatively, widened by [`EDGE_EPSILON_DEG`]) and exactly one grid
//! contains it; every other cell keeps every grid that touches or contains it as a candidate.
//!
//! Cells are about [`CELL_M`] metres on a side, up to a box of about 390 km square (a province
//! at county resolution); on the Dongyang sample 90 % of the cells are whole, and most points
//! cost one array read. Many points at once are looked up in batches ([`GridRaster::at_each`]),
//! so that their cells are fetched from memory together: a province's raster (about 450 MB)
//! does not fit in the processor's caches.
//!
//! # Units
//! WGS84 degrees; [`CELL_M`] in metres.

use geo::coordinate_position::CoordPos;
use geo::{BoundingRect, Coord, LineString, Rect};

use crate::domain::Grid;

use super::index::{LayerIndex, rect_union};
use super::tiling::{TILE, Tiles, Tiling};

/// Target cell size in metres.
pub const CELL_M: f64 = 40.0;
/// Most cells a raster may have (bounds memory at 4 bytes a cell, 384 MB, plus the records
/// of mixed cells; empty tiles cost nothing). Past it cells grow beyond [`CELL_M`]: cells three
/// times as wide left 71 % of a province's cells whole instead of 90 %.
const MAX_CELLS: usize = 96_000_000;
/// Edges are widened by this much when marking the cells they touch, so that an edge running
/// exactly along a cell border marks both sides.
pub const EDGE_EPSILON_DEG: f64 = 1e-9;

/// Points looked up together by [`GridRaster::at_each`]: about as many cells as a core has
/// reads from memory in flight.
pub const BATCH: usize = 16;

const EMPTY: u32 = u32::MAX;
const MIXED: u32 = 1 << 31;

/// The raster, in tiles ([`super::tiling`]). Grid references are slots of the grid layer
/// ([`LayerIndex`]); a mixed cell lists its candidates in code order.
#[derive(Debug, Default)]
pub struct GridRaster {
    tiles: Tiles<GridTile>,
}

/// One tile's cells and the records of its mixed cells.
#[derive(Debug)]
struct GridTile {
    /// Per cell (row-major in the tile): [`EMPTY`], a grid slot, or [`MIXED`] | the offset of
    /// its record in `mixed`. Inline, so that a cell is one read away from its tile.
    cells: [u32; TILE * TILE],
    /// The records of mixed cells, flat so that a lookup costs one more memory read, not a
    /// chain of pointers: `[n, then n × (header, 4 words per edge)]`, see [`MixedCell`].
    mixed: Vec<u64>,
}

/// What a cell says about a point in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellAnswer<'a> {
    /// No grid touches the cell.
    Empty,
    /// The whole cell lies in the interior of this grid (a slot) and no other grid.
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
    /// Candidates in the record.
    count: u64,
    /// The candidates' headers and edges (the record after its count).
    record: &'a [u64],
}

/// Centre states in a candidate header.
const CENTRE_OUTSIDE: u64 = 0;
const CENTRE_INSIDE: u64 = 1;
const CENTRE_ON_EDGE: u64 = 2;

impl MixedCell<'_> {
    /// The candidate grids (slots, in code order) with the local decision for `p`: whether
    /// the grid covers `p`, or `None` when the local test is not decisive (a collinear or
    /// touching configuration, or `p` on an edge) and the whole polygon must be tested.
    pub fn candidates(&self, p: Coord) -> impl Iterator<Item = (u32, Option<bool>)> + '_ {
        let mut at = 0;
        (0..self.count).map(move |_| {
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
    /// Builds the raster over the top-level grids of `grids` (micro-grids are skipped).
    #[must_use]
    pub fn build(grids: &LayerIndex<Grid>) -> Self {
        let Some(extent) = rect_union(
            grids
                .iter()
                .filter(|g| g.parent_code.is_none())
                .filter_map(|g| g.area.bounding_rect()),
        ) else {
            return Self::default();
        };
        let tiling = Tiling::over(extent, CELL_M, MAX_CELLS);
        Self {
            tiles: Tiles::build(tiling, |t| build_tile(&tiling, grids, t)),
        }
    }

    /// The raster after a change of the grids whose boxes (before and after the change) are
    /// `changed`: only the tiles they touch are rebuilt. Builds anew when a box leaves the
    /// raster's extent.
    #[must_use]
    pub fn patched(&self, grids: &LayerIndex<Grid>, changed: &[Rect]) -> Self {
        let tiling = self.tiles.tiling;
        match self
            .tiles
            .patched(changed, |t| build_tile(&tiling, grids, t))
        {
            Some(tiles) => Self { tiles },
            None => Self::build(grids),
        }
    }

    /// What the raster knows about `p`.
    #[must_use]
    pub fn at(&self, p: Coord) -> CellAnswer<'_> {
        let tiling = &self.tiles.tiling;
        let Some((ix, iy)) = tiling.cell_at(p) else {
            return CellAnswer::Empty;
        };
        let (t, local) = tiling.tile_of(ix, iy);
        let Some(tile) = self.tiles.get(t) else {
            return CellAnswer::Empty;
        };
        match tile.cells[local] {
            EMPTY => CellAnswer::Empty,
            v if v & MIXED != 0 => tile.mixed_cell(v, centre_of(tiling, ix, iy)),
            v => CellAnswer::Whole(v),
        }
    }

    /// What the raster knows about each of `points`, in order: the answers of [`Self::at`],
    /// found [`BATCH`] points at a time ([`CellsAt`]).
    #[must_use]
    pub fn at_each<'p>(&self, points: &'p [Coord]) -> CellsAt<'_, 'p> {
        CellsAt {
            raster: self,
            points,
            next: 0,
            batch: [(None, EMPTY, 0); BATCH],
            taken: BATCH,
        }
    }

    /// Share of non-empty cells answered without geometry (for diagnostics and benchmarks).
    #[must_use]
    pub fn whole_share(&self) -> f64 {
        let (mut used, mut whole) = (0usize, 0usize);
        for tile in self.tiles.iter() {
            for &v in &tile.cells {
                if v != EMPTY {
                    used += 1;
                    if v & MIXED == 0 {
                        whole += 1;
                    }
                }
            }
        }
        if used == 0 {
            0.0
        } else {
            whole as f64 / used as f64
        }
    }
}

/// The answers of [`GridRaster::at_each`]. The cells of a batch of points are all read before
/// any of them is answered, and then the first words of their mixed cells' records, so that
/// the processor fetches them from memory together instead of one after another: over a
/// province the raster no longer fits in the caches, and one point at a time waits on main
/// memory for each cell.
#[derive(Debug)]
pub struct CellsAt<'a, 'p> {
    raster: &'a GridRaster,
    points: &'p [Coord],
    /// The first point not in a batch yet.
    next: usize,
    /// Per point of the current batch: its tile, its cell word, and its mixed cell's
    /// candidate count (0 for the others).
    batch: [(Option<&'a GridTile>, u32, u64); BATCH],
    /// Answers of the batch given so far.
    taken: usize,
}

impl CellsAt<'_, '_> {
    /// Reads the cells of the next batch.
    fn fill(&mut self) {
        let tiling = &self.raster.tiles.tiling;
        let end = (self.next + BATCH).min(self.points.len());
        for (slot, p) in self.batch.iter_mut().zip(&self.points[self.next..end]) {
            *slot = (None, EMPTY, 0);
            if let Some((ix, iy)) = tiling.cell_at(*p) {
                let (t, local) = tiling.tile_of(ix, iy);
                if let Some(tile) = self.raster.tiles.get(t) {
                    *slot = (Some(tile), tile.cells[local], 0);
                }
            }
        }
        for (tile, word, count) in &mut self.batch[..end - self.next] {
            if let Some(tile) = tile
                && *word != EMPTY
                && *word & MIXED != 0
            {
                *count = tile.mixed_count(*word);
            }
        }
        self.taken = 0;
    }
}

impl<'a> Iterator for CellsAt<'a, '_> {
    type Item = CellAnswer<'a>;

    fn next(&mut self) -> Option<CellAnswer<'a>> {
        let p = *self.points.get(self.next)?;
        if self.taken == BATCH {
            self.fill();
        }
        let (tile, word, count) = self.batch[self.taken];
        self.taken += 1;
        self.next += 1;
        Some(match (tile, word) {
            (None, _) | (_, EMPTY) => CellAnswer::Empty,
            (Some(tile), w) if w & MIXED != 0 => {
                let tiling = &self.raster.tiles.tiling;
                let (ix, iy) = tiling.cell_at(p).unwrap_or_default();
                CellAnswer::Mixed(MixedCell {
                    centre: centre_of(tiling, ix, iy),
                    count,
                    record: tile.mixed_record(w),
                })
            }
            (Some(_), w) => CellAnswer::Whole(w),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.points.len() - self.next;
        (left, Some(left))
    }
}

impl GridTile {
    /// The mixed cell whose cell word is `word`, centred on `centre`.
    fn mixed_cell(&self, word: u32, centre: Coord) -> CellAnswer<'_> {
        CellAnswer::Mixed(MixedCell {
            centre,
            count: self.mixed_count(word),
            record: self.mixed_record(word),
        })
    }

    /// The candidate count of the mixed cell whose cell word is `word`.
    fn mixed_count(&self, word: u32) -> u64 {
        self.mixed
            .get((word & !MIXED) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The candidates' headers and edges of the mixed cell whose cell word is `word`.
    fn mixed_record(&self, word: u32) -> &[u64] {
        self.mixed
            .get((word & !MIXED) as usize + 1..)
            .unwrap_or_default()
    }
}

fn centre_of(tiling: &Tiling, ix: usize, iy: usize) -> Coord {
    Coord {
        x: tiling.origin.x + (ix as f64 + 0.5) * tiling.cell.x,
        y: tiling.origin.y + (iy as f64 + 0.5) * tiling.cell.y,
    }
}

/// Builds tile `t` from the top-level grids that reach into it; `None` when none does.
fn build_tile(tiling: &Tiling, grids: &LayerIndex<Grid>, t: usize) -> Option<GridTile> {
    let (cols, rows) = tiling.cells_of(t);
    let mut top: Vec<(u32, &Grid)> = grids
        .slots_intersecting(tiling.tile_rect(t))
        .filter_map(|slot| Some((slot, grids.item(slot)?)))
        .filter(|(_, g)| g.parent_code.is_none())
        .collect();
    if top.is_empty() {
        return None;
    }
    // Code order: the first candidate of a mixed cell is the lowest code.
    top.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    let window = Window {
        tiling,
        cols: cols.clone(),
        rows: rows.clone(),
    };
    // Edges touching a cell (cell, rank, edge), and cells wholly inside a grid (cell, rank),
    // with cells numbered inside the tile and grids by their rank in code order.
    let mut edge_pairs: Vec<EdgeInCell> = Vec::new();
    let mut inside_pairs: Vec<(u32, u32)> = Vec::new();
    for (rank, &(_, grid)) in top.iter().enumerate() {
        let rank = u32::try_from(rank).unwrap_or(u32::MAX);
        let first = edge_pairs.len();
        for poly in &grid.area.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                window.mark_ring(ring, rank, &mut edge_pairs);
            }
        }
        let mut own_edges: Vec<u32> = edge_pairs[first..].iter().map(|p| p.0).collect();
        own_edges.sort_unstable();
        own_edges.dedup();
        window.fill_interior(grid, rank, &own_edges, &mut inside_pairs);
    }
    if edge_pairs.is_empty() && inside_pairs.is_empty() {
        return None;
    }
    let mut tile = GridTile {
        cells: [EMPTY; TILE * TILE],
        mixed: Vec::new(),
    };
    window.classify(&mut tile, &top, edge_pairs, inside_pairs);
    Some(tile)
}

/// The cells of one tile, for marking grids into them.
struct Window<'a> {
    tiling: &'a Tiling,
    cols: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
}

impl Window<'_> {
    /// The cell's index inside the tile.
    fn local(&self, col: usize, row: usize) -> u32 {
        u32::try_from((row - self.rows.start) * TILE + (col - self.cols.start)).unwrap_or(u32::MAX)
    }

    /// Marks every cell of the window a ring's segments pass through (conservatively).
    fn mark_ring(&self, ring: &LineString, grid: u32, out: &mut Vec<EdgeInCell>) {
        let t = self.tiling;
        let (wx0, wx1) = (
            t.origin.x + self.cols.start as f64 * t.cell.x - EDGE_EPSILON_DEG,
            t.origin.x + self.cols.end as f64 * t.cell.x + EDGE_EPSILON_DEG,
        );
        let (wy0, wy1) = (
            t.origin.y + self.rows.start as f64 * t.cell.y - EDGE_EPSILON_DEG,
            t.origin.y + self.rows.end as f64 * t.cell.y + EDGE_EPSILON_DEG,
        );
        for seg in ring.0.windows(2) {
            let (a, b) = (seg[0], seg[1]);
            let (xmin, xmax) = (a.x.min(b.x), a.x.max(b.x));
            if xmax < wx0 || xmin > wx1 || a.y.max(b.y) < wy0 || a.y.min(b.y) > wy1 {
                continue;
            }
            let c0 = t.col_of(xmin - EDGE_EPSILON_DEG).max(self.cols.start);
            let c1 = t.col_of(xmax + EDGE_EPSILON_DEG).min(self.cols.end - 1);
            for col in c0..=c1 {
                // The part of the segment within this column's x-range.
                let cx0 = (t.origin.x + col as f64 * t.cell.x).max(xmin);
                let cx1 = (t.origin.x + (col + 1) as f64 * t.cell.x).min(xmax);
                let (y0, y1) = if (b.x - a.x).abs() < f64::EPSILON {
                    (a.y, b.y)
                } else {
                    let t0 = ((cx0 - a.x) / (b.x - a.x)).clamp(0.0, 1.0);
                    let t1 = ((cx1 - a.x) / (b.x - a.x)).clamp(0.0, 1.0);
                    (a.y + t0 * (b.y - a.y), a.y + t1 * (b.y - a.y))
                };
                let r0 = t.row_of(y0.min(y1) - EDGE_EPSILON_DEG).max(self.rows.start);
                let r1 = t
                    .row_of(y0.max(y1) + EDGE_EPSILON_DEG)
                    .min(self.rows.end - 1);
                for row in r0..=r1 {
                    out.push((self.local(col, row), grid, a, b));
                }
            }
        }
    }

    /// Finds the window's cells whose centre lies inside the grid by a scanline per row;
    /// those not touched by the grid's own edges lie wholly inside it.
    fn fill_interior(&self, grid: &Grid, gi: u32, own_edges: &[u32], out: &mut Vec<(u32, u32)>) {
        let t = self.tiling;
        let Some(bbox) = grid.area.bounding_rect() else {
            return;
        };
        let r0 = t.row_of(bbox.min().y).max(self.rows.start);
        let r1 = t.row_of(bbox.max().y).min(self.rows.end - 1);
        let mut xs: Vec<f64> = Vec::new();
        for row in r0..=r1 {
            let y = t.origin.y + (row as f64 + 0.5) * t.cell.y;
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
                let first = ((pair[0] - t.origin.x) / t.cell.x - 0.5).ceil().max(0.0);
                let last = ((pair[1] - t.origin.x) / t.cell.x - 0.5).floor();
                if last < first {
                    continue;
                }
                let c0 = to_index(first).max(self.cols.start);
                let c1 = to_index(last).min(self.cols.end - 1);
                for col in c0..=c1 {
                    let cell = self.local(col, row);
                    if own_edges.binary_search(&cell).is_err() {
                        out.push((cell, gi));
                    }
                }
            }
        }
    }

    /// Fills `tile` from the marks; grids are ranks into `top` (code order).
    fn classify(
        &self,
        tile: &mut GridTile,
        top: &[(u32, &Grid)],
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
                tile.cells[cell as usize] = top[containing[0] as usize].0;
                continue;
            }
            let (lx, ly) = (cell as usize % TILE, cell as usize / TILE);
            let centre = centre_of(self.tiling, self.cols.start + lx, self.rows.start + ly);
            // (rank, centre state, edges), ascending by rank (code order).
            let mut candidates: Vec<MixedCandidate> = containing
                .into_iter()
                .map(|rank| (rank, CENTRE_INSIDE, Vec::new()))
                .collect();
            for run in touching.chunk_by(|x, y| x.1 == y.1) {
                let rank = run[0].1;
                let area = &top[rank as usize].1.area;
                let state = match super::geom::ring_set_position(area, centre) {
                    CoordPos::Inside => CENTRE_INSIDE,
                    CoordPos::Outside => CENTRE_OUTSIDE,
                    CoordPos::OnBoundary => CENTRE_ON_EDGE,
                };
                candidates.push((rank, state, run.iter().map(|t| (t.2, t.3)).collect()));
            }
            candidates.sort_unstable_by_key(|c| c.0);
            let id = u32::try_from(tile.mixed.len()).unwrap_or(u32::MAX);
            tile.mixed.push(candidates.len() as u64);
            for (rank, state, edges) in candidates {
                let slot = top[rank as usize].0;
                tile.mixed
                    .push(u64::from(slot) | (state << 32) | ((edges.len() as u64) << 34));
                for (a, b) in edges {
                    tile.mixed
                        .extend([a.x.to_bits(), a.y.to_bits(), b.x.to_bits(), b.y.to_bits()]);
                }
            }
            tile.cells[cell as usize] = MIXED | id;
        }
    }
}

use super::tiling::to_index;
