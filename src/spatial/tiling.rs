//! The tiled cell layout the rasters share ([`super::raster`], [`super::camera_raster`]): a
//! regular lattice of cells over a fixed extent, cut into tiles of [`TILE`] × [`TILE`] cells,
//! each tile built on its own and shared by `Arc`. A change rebuilds only the tiles its boxes
//! touch and shares the others, so a write costs the cells it changes, not the raster.
//!
//! The extent is the data's box grown by [`GROWTH`] on each side when built; a change that
//! reaches beyond it asks for a full build instead ([`Tiles::patched`] says so).
//!
//! # Units
//! WGS84 degrees; cell sides given in metres.

use std::sync::Arc;

use geo::{Coord, Rect};

use super::measure::LocalFrame;

/// Side of a tile, in cells.
pub const TILE: usize = 64;
/// Share of the data box added on each side of the extent, so that growth stays inside.
const GROWTH: f64 = 0.05;

/// A non-negative finite float to an index (saturating; NaN → 0).
pub(super) fn to_index(v: f64) -> usize {
    if v.is_finite() && v > 0.0 {
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

/// Where the cells are: origin, cell size and count, tiles across and down.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tiling {
    pub origin: Coord,
    pub cell: Coord,
    pub nx: usize,
    pub ny: usize,
    tx: usize,
    ty: usize,
}

impl Tiling {
    /// Cells of about `cell_m` metres over `data` (grown by [`GROWTH`]), at most `max_cells`
    /// (cells grow past `cell_m` to stay under it).
    pub fn over(data: Rect, cell_m: f64, max_cells: usize) -> Self {
        let (gx, gy) = (data.width() * GROWTH, data.height() * GROWTH);
        let origin = Coord {
            x: data.min().x - gx,
            y: data.min().y - gy,
        };
        let centre = data.center();
        let (mut dx, mut dy) = LocalFrame::new(centre.x, centre.y).metres_to_degrees(cell_m);
        let (w, h) = (
            (data.width() + 2.0 * gx).max(dx),
            (data.height() + 2.0 * gy).max(dy),
        );
        let too_many = (w / dx).ceil() * (h / dy).ceil() / max_cells as f64;
        if too_many > 1.0 {
            dx *= too_many.sqrt();
            dy *= too_many.sqrt();
        }
        let nx = to_index((w / dx).ceil()) + 1;
        let ny = to_index((h / dy).ceil()) + 1;
        Self {
            origin,
            cell: Coord { x: dx, y: dy },
            nx,
            ny,
            tx: nx.div_ceil(TILE),
            ty: ny.div_ceil(TILE),
        }
    }

    /// Number of tiles.
    pub fn tiles(&self) -> usize {
        self.tx * self.ty
    }

    /// The column holding longitude `x` (clamped to the lattice).
    pub fn col_of(&self, x: f64) -> usize {
        to_index(((x - self.origin.x) / self.cell.x).floor()).min(self.nx.saturating_sub(1))
    }

    /// The row holding latitude `y` (clamped to the lattice).
    pub fn row_of(&self, y: f64) -> usize {
        to_index(((y - self.origin.y) / self.cell.y).floor()).min(self.ny.saturating_sub(1))
    }

    /// The cell of `p` as (column, row), or `None` outside the lattice.
    pub fn cell_at(&self, p: Coord) -> Option<(usize, usize)> {
        let fx = (p.x - self.origin.x) / self.cell.x;
        let fy = (p.y - self.origin.y) / self.cell.y;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (ix, iy) = (to_index(fx), to_index(fy));
        (ix < self.nx && iy < self.ny).then_some((ix, iy))
    }

    /// The tile of cell (`ix`, `iy`) and the cell's index inside it.
    pub fn tile_of(&self, ix: usize, iy: usize) -> (usize, usize) {
        (
            (iy / TILE) * self.tx + ix / TILE,
            (iy % TILE) * TILE + ix % TILE,
        )
    }

    /// The columns and rows of tile `t` (half-open).
    pub fn cells_of(&self, t: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (tx, ty) = (t % self.tx, t / self.tx);
        (
            tx * TILE..((tx + 1) * TILE).min(self.nx),
            ty * TILE..((ty + 1) * TILE).min(self.ny),
        )
    }

    /// The box of tile `t`, grown by one cell on each side (items reaching into the tile
    /// within a rounding error are found by it).
    pub fn tile_rect(&self, t: usize) -> Rect {
        let (cols, rows) = self.cells_of(t);
        Rect::new(
            Coord {
                x: self.origin.x + (cols.start as f64 - 1.0) * self.cell.x,
                y: self.origin.y + (rows.start as f64 - 1.0) * self.cell.y,
            },
            Coord {
                x: self.origin.x + (cols.end as f64 + 1.0) * self.cell.x,
                y: self.origin.y + (rows.end as f64 + 1.0) * self.cell.y,
            },
        )
    }

    /// Whether `rect` lies inside the lattice.
    pub fn holds(&self, rect: Rect) -> bool {
        rect.min().x >= self.origin.x
            && rect.min().y >= self.origin.y
            && rect.max().x <= self.origin.x + self.nx as f64 * self.cell.x
            && rect.max().y <= self.origin.y + self.ny as f64 * self.cell.y
    }

    /// The tiles that `rect` (grown by one cell) touches.
    pub fn tiles_touching(&self, rect: Rect) -> impl Iterator<Item = usize> + '_ {
        let c0 = self.col_of(rect.min().x - self.cell.x) / TILE;
        let c1 = self.col_of(rect.max().x + self.cell.x) / TILE;
        let r0 = self.row_of(rect.min().y - self.cell.y) / TILE;
        let r1 = self.row_of(rect.max().y + self.cell.y) / TILE;
        (r0..=r1).flat_map(move |r| (c0..=c1).map(move |c| r * self.tx + c))
    }
}

/// Tiles of a raster, each `None` (nothing in it) or shared by `Arc`.
#[derive(Debug)]
pub(super) struct Tiles<T> {
    pub tiling: Tiling,
    tiles: Arc<Vec<Option<Arc<T>>>>,
}

impl<T> Default for Tiles<T> {
    fn default() -> Self {
        Self {
            tiling: Tiling::default(),
            tiles: Arc::new(Vec::new()),
        }
    }
}

impl<T> Tiles<T> {
    /// Every tile built by `build` (`None`: nothing in it).
    pub fn build(tiling: Tiling, build: impl Fn(usize) -> Option<T>) -> Self {
        Self {
            tiling,
            tiles: Arc::new(
                (0..tiling.tiles())
                    .map(|t| build(t).map(Arc::new))
                    .collect(),
            ),
        }
    }

    /// A copy with the tiles that `changed` boxes touch rebuilt by `build`, the others shared;
    /// `None` when a box reaches beyond the lattice (build anew then).
    pub fn patched(&self, changed: &[Rect], build: impl Fn(usize) -> Option<T>) -> Option<Self> {
        if self.tiles.is_empty() || !changed.iter().all(|r| self.tiling.holds(*r)) {
            return None;
        }
        let mut touched: Vec<usize> = changed
            .iter()
            .flat_map(|r| self.tiling.tiles_touching(*r))
            .collect();
        touched.sort_unstable();
        touched.dedup();
        let mut tiles = (*self.tiles).clone();
        for t in touched {
            tiles[t] = build(t).map(Arc::new);
        }
        Some(Self {
            tiling: self.tiling,
            tiles: Arc::new(tiles),
        })
    }

    /// Tile `t`, if anything is in it.
    pub fn get(&self, t: usize) -> Option<&T> {
        self.tiles.get(t)?.as_deref()
    }

    /// Every non-empty tile.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.tiles.iter().filter_map(|t| t.as_deref())
    }
}
