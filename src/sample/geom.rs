//! Small geometry helpers for the sample: metric offsets in a local equirectangular frame,
//! areas in m², sampling points inside polygons and a bucket index to find the grid at a point.
//!
//! The frame is the simple one (`kx = 111320·cos(lat)` m/°, `ky = 110574` m/°), good to a
//! fraction of a percent over a county: the sample only needs plausible metres, and keeping
//! this module free of `spatial` lets the generator stand on `domain` alone.
//!
//! # Units
//! Coordinates are WGS84 lon/lat degrees; distances metres; areas m²; bearings degrees
//! clockwise from north.

use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Polygon, Rect};

use super::rng::Rng;

/// Metres per degree of latitude.
pub const KY: f64 = 110_574.0;

/// Metres per degree of longitude at `lat`.
pub fn kx(lat: f64) -> f64 {
    111_320.0 * lat.to_radians().cos()
}

/// The point `east` and `north` metres from `c`.
pub fn offset(c: Coord, east: f64, north: f64) -> Coord {
    Coord {
        x: c.x + east / kx(c.y),
        y: c.y + north / KY,
    }
}

/// The point `dist` metres from `c` along `bearing` (degrees clockwise from north).
pub fn destination(c: Coord, bearing: f64, dist: f64) -> Coord {
    let b = bearing.to_radians();
    offset(c, dist * b.sin(), dist * b.cos())
}

/// Distance in metres between two nearby points.
pub fn distance_m(a: Coord, b: Coord) -> f64 {
    let k = kx(0.5 * (a.y + b.y));
    ((b.x - a.x) * k).hypot((b.y - a.y) * KY)
}

/// Bearing in degrees clockwise from north, in `[0, 360)`, from `a` to `b`.
pub fn bearing_deg(a: Coord, b: Coord) -> f64 {
    let k = kx(0.5 * (a.y + b.y));
    normalize_deg(((b.x - a.x) * k).atan2((b.y - a.y) * KY).to_degrees())
}

/// An angle folded into `[0, 360)`.
pub fn normalize_deg(deg: f64) -> f64 {
    let d = deg.rem_euclid(360.0);
    // rem_euclid can return exactly 360.0 for tiny negative inputs.
    if d >= 360.0 { 0.0 } else { d }
}

/// Central meridian and reference latitude of the area projection (the middle of Dongyang).
const LON0: f64 = 120.4;
const LAT0: f64 = 29.2;

/// Unsigned area of a ring in m².
///
/// The ring is projected with the sinusoidal projection around a fixed meridian (`x` scaled by
/// the cosine of each vertex's own latitude), which is equal-area: areas of a partition then
/// add up to the area of the whole, which a frame fixed at one latitude would not guarantee.
fn ring_area_m2(ring: &LineString) -> f64 {
    let project = |c: &Coord| ((c.x - LON0) * kx(c.y), (c.y - LAT0) * KY);
    let mut twice = 0.0;
    for w in ring.0.windows(2) {
        let ((ax, ay), (bx, by)) = (project(&w[0]), project(&w[1]));
        twice += ax * by - bx * ay;
    }
    0.5 * twice.abs()
}

/// Area of a polygon in m² (exterior minus holes).
pub fn polygon_area_m2(p: &Polygon) -> f64 {
    ring_area_m2(p.exterior()) - p.interiors().iter().map(ring_area_m2).sum::<f64>()
}

/// Area of a multipolygon in m².
#[cfg(test)]
pub fn area_m2(mp: &MultiPolygon) -> f64 {
    mp.0.iter().map(polygon_area_m2).sum()
}

/// A regular `n`-gon of radius `radius_m` around `c`, counter-clockwise, closed.
pub fn circle(c: Coord, radius_m: f64, n: usize) -> Polygon {
    let mut ring: Vec<Coord> = (0..n)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "small vertex counts")]
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            offset(c, radius_m * t.cos(), radius_m * t.sin())
        })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), vec![])
}

/// A star-shaped blob of `n` vertices with radii drawn in `[r_min, r_max]` metres: strictly
/// increasing angles keep it simple (valid) whatever the radii.
pub fn blob(rng: &mut Rng, c: Coord, r_min: f64, r_max: f64, n: usize) -> Polygon {
    let mut ring: Vec<Coord> = (0..n)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "small vertex counts")]
            let t = std::f64::consts::TAU * (i as f64 + rng.range(-0.3, 0.3)) / n as f64;
            let r = rng.range(r_min, r_max);
            offset(c, r * t.cos(), r * t.sin())
        })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), vec![])
}

/// A uniform random point strictly inside `area` (rejection sampling on its bounding box),
/// or `None` after `tries` misses (a very thin area).
pub fn sample_in(rng: &mut Rng, area: &MultiPolygon, tries: usize) -> Option<Coord> {
    let bbox = area.bounding_rect()?;
    sample_in_bbox(rng, area, bbox, tries)
}

/// As [`sample_in`] with a precomputed bounding box.
pub fn sample_in_bbox(
    rng: &mut Rng,
    area: &MultiPolygon,
    bbox: Rect,
    tries: usize,
) -> Option<Coord> {
    for _ in 0..tries {
        let c = Coord {
            x: rng.range(bbox.min().x, bbox.max().x),
            y: rng.range(bbox.min().y, bbox.max().y),
        };
        if area.contains(&c) {
            return Some(c);
        }
    }
    None
}

/// Buckets over a fixed extent, each listing the areas whose bounding box touches it: finds
/// the area holding a point after a handful of `Contains` tests instead of thousands.
#[derive(Debug, Clone)]
pub struct Locator {
    origin: Coord,
    cell: f64,
    nx: usize,
    ny: usize,
    buckets: Vec<Vec<usize>>,
    rects: Vec<Option<Rect>>,
}

impl Locator {
    /// Indexes `areas` (by position) over `extent` with square buckets of `cell` degrees.
    pub fn new<'a>(
        extent: Rect,
        cell: f64,
        areas: impl IntoIterator<Item = &'a MultiPolygon>,
    ) -> Self {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "positive bucket counts of a county"
        )]
        let (nx, ny) = (
            ((extent.width() / cell).ceil() as usize).max(1),
            ((extent.height() / cell).ceil() as usize).max(1),
        );
        let mut me = Self {
            origin: extent.min(),
            cell,
            nx,
            ny,
            buckets: vec![Vec::new(); nx * ny],
            rects: Vec::new(),
        };
        for (i, a) in areas.into_iter().enumerate() {
            let r = a.bounding_rect();
            if let Some(r) = r {
                let (x0, y0) = me.bucket_xy(r.min());
                let (x1, y1) = me.bucket_xy(r.max());
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        me.buckets[y * nx + x].push(i);
                    }
                }
            }
            me.rects.push(r);
        }
        me
    }

    fn bucket_xy(&self, c: Coord) -> (usize, usize) {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to the bucket grid"
        )]
        let f = |v: f64, n: usize| (v.max(0.0) as usize).min(n - 1);
        (
            f((c.x - self.origin.x) / self.cell, self.nx),
            f((c.y - self.origin.y) / self.cell, self.ny),
        )
    }

    /// Indices of the areas whose bounding box contains `c`, to be tested exactly.
    pub fn candidates(&self, c: Coord) -> impl Iterator<Item = usize> + '_ {
        let (x, y) = self.bucket_xy(c);
        self.buckets[y * self.nx + x]
            .iter()
            .copied()
            .filter(move |&i| {
                self.rects.get(i).copied().flatten().is_some_and(|r| {
                    r.min().x <= c.x && c.x <= r.max().x && r.min().y <= c.y && c.y <= r.max().y
                })
            })
    }
}

/// Distance in metres from `p` to the segment `a`–`b`.
pub fn point_segment_m(p: Coord, a: Coord, b: Coord) -> f64 {
    let scale = kx(p.y);
    // In metres, relative to `a`.
    let (px, py) = ((p.x - a.x) * scale, (p.y - a.y) * KY);
    let (bx, by) = ((b.x - a.x) * scale, (b.y - a.y) * KY);
    let len2 = bx * bx + by * by;
    let along = if len2 > 0.0 {
        ((px * bx + py * by) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (px - along * bx).hypot(py - along * by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_area_matches_pi_r2() {
        let c = circle(
            Coord {
                x: 120.24,
                y: 29.28,
            },
            200.0,
            48,
        );
        let a = polygon_area_m2(&c);
        let exact = std::f64::consts::PI * 200.0 * 200.0;
        // A 48-gon has 0.29 % less area than its circumscribed circle.
        assert!((a / exact - 1.0).abs() < 0.005, "{a} vs {exact}");
    }

    #[test]
    fn bearing_and_destination_agree() {
        let a = Coord {
            x: 120.24,
            y: 29.28,
        };
        let b = destination(a, 30.0, 500.0);
        // destination() scales at the start point, distance_m() at the midpoint: 1e-4 apart.
        assert!((distance_m(a, b) - 500.0).abs() < 0.05);
        assert!((bearing_deg(a, b) - 30.0).abs() < 0.01);
        assert!(normalize_deg(-1e-20) < 360.0);
    }
}
