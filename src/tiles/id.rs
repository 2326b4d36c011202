//! Tile addresses and the Web Mercator math under them: [`TileId`] (XYZ, row 0 at the north
//! edge), its bounds in EPSG:3857 metres and in lon/lat, and the projection of lon/lat into one
//! tile's coordinates ([`EXTENT`] units a side, [`BUFFER`] units kept beyond each edge).
//!
//! Imports nothing of `tiles`; the other files build on it.
//!
//! # Units
//! Input in WGS84 lon/lat degrees; tile coordinates in units of 1/[`EXTENT`] of a tile side,
//! origin at the tile's top-left corner, y down; [`TileId::mercator_bounds`] in EPSG:3857
//! metres. Latitudes beyond ±85.0511° are clamped to the Web Mercator square.

use std::f64::consts::PI;

use geo::{Coord, Rect};

/// Tile side in tile coordinate units.
pub const EXTENT: u32 = 4096;
/// Units kept beyond each tile edge, so that lines and outlines join across tiles.
pub const BUFFER: u32 = 64;
/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// Half the width of the Web Mercator square in metres (π × 6,378,137).
pub const MERCATOR_HALF_M: f64 = 20_037_508.342_789_244;
/// Latitude of the Web Mercator square's edges.
const MAX_LAT: f64 = 85.051_128_779_806_59;

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
pub(super) struct Projector {
    scale: f64,
    x0: f64,
    y0: f64,
}

impl Projector {
    pub(super) fn new(tile: TileId) -> Self {
        let e = f64::from(EXTENT);
        Self {
            scale: tile.n() * e,
            x0: f64::from(tile.x) * e,
            y0: f64::from(tile.y) * e,
        }
    }

    pub(super) fn project(self, c: Coord) -> [f64; 2] {
        let [wx, wy] = world_xy(c);
        [wx * self.scale - self.x0, wy * self.scale - self.y0]
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
}
