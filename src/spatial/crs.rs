//! Chinese coordinate reference systems: WGS-84, GCJ-02 and BD-09.
//!
//! This module owns the conversions between the three datums a Chinese map
//! client meets in practice:
//!
//! * **WGS-84** (EPSG:4326) — GPS coordinates and the storage datum of
//!   safegrid.
//! * **GCJ-02** ("Mars coordinates") — the obfuscated datum mandated for maps
//!   published in mainland China (Amap/Gaode, Tencent, Google China tiles).
//! * **BD-09** — Baidu's further offset applied on top of GCJ-02.
//!
//! The forward transforms are the standard published formulas (Krasovsky
//! ellipsoid constants for GCJ-02, the `x_pi` rotation for BD-09). Neither
//! datum has a published closed-form inverse, so [`gcj02_to_wgs84`] and
//! [`bd09_to_gcj02`] invert their forward transform by fixed-point iteration
//! until the forward transform reproduces the input to better than `1e-9°`.
//!
//! GCJ-02 is only defined inside mainland China. Like every public
//! implementation, this module uses a rough bounding box (longitude
//! `72.004..=137.8347`, latitude `0.8293..=55.8271`) as "inside China"; points
//! outside it pass through the GCJ-02 step unchanged. The box is coarse: it
//! includes parts of neighbouring countries and treats Hong Kong, Macau and
//! Taiwan as inside. BD-09's offset is applied everywhere.
//!
//! This module is pure (std only, no I/O) and must not import anything from
//! the store, api or analysis layers.
//!
//! # Units
//!
//! All coordinates are `(longitude, latitude)` pairs in decimal degrees, in
//! that order. Round trips (`from_wgs84` then `to_wgs84`, for any [`Crs`])
//! reproduce the input to better than `1e-8°` (about 1 mm) inside China.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, in metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
#[expect(
    clippy::excessive_precision,
    reason = "the constant is quoted digit for digit from the published formula"
)]
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;
/// `PI * 3000 / 180`, the rotation constant of the BD-09 formulas.
const X_PI: f64 = PI * 3000.0 / 180.0;
/// Longitude offset applied by BD-09, in degrees.
const BD_DLON: f64 = 0.0065;
/// Latitude offset applied by BD-09, in degrees.
const BD_DLAT: f64 = 0.006;

/// Inverse transforms stop once the forward transform reproduces the input to
/// within this many degrees (about 0.1 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;
/// Upper bound on fixed-point iterations; convergence normally takes 2–4.
const INVERSE_MAX_ITERATIONS: usize = 30;

/// A geographic coordinate reference system used by Chinese web maps.
///
/// # Units
///
/// Every variant describes `(longitude, latitude)` in decimal degrees.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::Crs;
///
/// let crs: Crs = "GCJ02".parse().expect("known CRS");
/// assert_eq!(crs, Crs::Gcj02);
/// assert_eq!(crs.as_str(), "gcj02");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS-84 (EPSG:4326): GPS coordinates, safegrid's storage datum.
    Wgs84,
    /// GCJ-02: the offset datum of maps published in mainland China.
    Gcj02,
    /// BD-09: Baidu's datum, a further offset on top of GCJ-02.
    Bd09,
}

impl Crs {
    /// The canonical lower-case name (`"wgs84"`, `"gcj02"` or `"bd09"`),
    /// which [`FromStr`] accepts back.
    ///
    /// # Examples
    ///
    /// ```
    /// use safegrid::spatial::crs::Crs;
    ///
    /// assert_eq!(Crs::Bd09.as_str(), "bd09");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Gcj02 => "gcj02",
            Self::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing a [`Crs`] from a name it does not recognise.
///
/// Holds the rejected input verbatim.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{Crs, UnknownCrs};
///
/// let err = "utm50n".parse::<Crs>().unwrap_err();
/// assert_eq!(err, UnknownCrs("utm50n".to_owned()));
/// assert!(err.to_string().contains("gcj02"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCrs(pub String);

impl fmt::Display for UnknownCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown coordinate system {:?}; expected one of: wgs84 (or epsg:4326), gcj02, bd09",
            self.0
        )
    }
}

impl std::error::Error for UnknownCrs {}

impl FromStr for Crs {
    type Err = UnknownCrs;

    /// Parses `wgs84`, `epsg:4326`, `gcj02` or `bd09`, ignoring ASCII case and
    /// surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.eq_ignore_ascii_case("wgs84") || name.eq_ignore_ascii_case("epsg:4326") {
            Ok(Self::Wgs84)
        } else if name.eq_ignore_ascii_case("gcj02") {
            Ok(Self::Gcj02)
        } else if name.eq_ignore_ascii_case("bd09") {
            Ok(Self::Bd09)
        } else {
            Err(UnknownCrs(s.to_owned()))
        }
    }
}

/// Whether `(lon, lat)` falls in the rough mainland-China box inside which
/// GCJ-02 applies its offset.
fn in_china_bbox(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

/// The published GCJ-02 latitude perturbation, in "metres-like" units, of the
/// shifted coordinates `x = lon - 105`, `y = lat - 35`.
fn gcj_perturb_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

/// The published GCJ-02 longitude perturbation of the shifted coordinates
/// `x = lon - 105`, `y = lat - 35`.
fn gcj_perturb_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// Inverts a near-identity transform `forward` by fixed-point iteration:
/// `g ← g − (forward(g) − target)`.
///
/// The GCJ-02 and BD-09 offsets change by well under 1 % of a degree per
/// degree, so the map is a strong contraction and each step gains several
/// digits. Stops when `forward(g)` is within [`INVERSE_TOLERANCE_DEG`] of the
/// target, or after [`INVERSE_MAX_ITERATIONS`] steps (reachable only at the
/// discontinuous edge of the China box), returning the best estimate.
fn invert_by_iteration(
    target: (f64, f64),
    start: (f64, f64),
    forward: impl Fn(f64, f64) -> (f64, f64),
) -> (f64, f64) {
    let mut guess = start;
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let (flon, flat) = forward(guess.0, guess.1);
        let (rlon, rlat) = (flon - target.0, flat - target.1);
        if rlon.abs() < INVERSE_TOLERANCE_DEG && rlat.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
        guess = (guess.0 - rlon, guess.1 - rlat);
    }
    guess
}

/// Converts WGS-84 to GCJ-02 with the standard published formula.
///
/// Points outside the rough mainland-China box (longitude
/// `72.004..=137.8347`, latitude `0.8293..=55.8271`) are returned unchanged,
/// because GCJ-02 is not defined there.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out. Inside China the
/// offset is typically a few hundred metres (a few thousandths of a degree).
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::wgs84_to_gcj02;
///
/// let (lon, lat) = wgs84_to_gcj02(120.24, 29.29); // Dongyang, Zhejiang
/// assert!((lon - 120.24 - 0.0045).abs() < 5e-4);
/// assert!((lat - 29.29 + 0.0025).abs() < 5e-4);
/// // Outside China: unchanged.
/// assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
/// ```
#[must_use]
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china_bbox(lon, lat) {
        return (lon, lat);
    }
    let x = lon - 105.0;
    let y = lat - 35.0;
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (gcj_perturb_lat(x, y) * 180.0)
        / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (gcj_perturb_lon(x, y) * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// Converts GCJ-02 to WGS-84, exactly inverting [`wgs84_to_gcj02`].
///
/// Iterates until [`wgs84_to_gcj02`] of the result reproduces the input to
/// better than `1e-9°` (at most 30 steps; 2–4 in practice). Points outside
/// the mainland-China box are returned unchanged.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
///
/// let (glon, glat) = wgs84_to_gcj02(120.24, 29.29);
/// let (lon, lat) = gcj02_to_wgs84(glon, glat);
/// assert!((lon - 120.24).abs() < 1e-8 && (lat - 29.29).abs() < 1e-8);
/// ```
#[must_use]
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china_bbox(lon, lat) {
        return (lon, lat);
    }
    invert_by_iteration((lon, lat), (lon, lat), wgs84_to_gcj02)
}

/// Converts GCJ-02 to BD-09 with Baidu's standard formula.
///
/// Applied everywhere (Baidu does not restrict BD-09 to China).
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out. The offset is
/// roughly `+0.0065°` in longitude and `+0.006°` in latitude.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::gcj02_to_bd09;
///
/// let (lon, lat) = gcj02_to_bd09(120.2445, 29.2875);
/// assert!((lon - 120.2445 - 0.0065).abs() < 1e-3);
/// assert!((lat - 29.2875 - 0.006).abs() < 1e-3);
/// ```
#[must_use]
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = lon.hypot(lat) + 0.000_02 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * X_PI).cos();
    (z * theta.cos() + BD_DLON, z * theta.sin() + BD_DLAT)
}

/// Converts BD-09 to GCJ-02, exactly inverting [`gcj02_to_bd09`].
///
/// The textbook one-step inverse subtracts the `sin`/`cos` perturbations
/// evaluated at the *BD-09* point instead of the unknown GCJ-02 point; since
/// they are evaluated about 0.006° away, its result is off by up to about
/// `1e-6°` (≈ 0.1 m). This function starts from that estimate and iterates
/// the forward transform until it reproduces the input to better than
/// `1e-9°`, so round trips are lossless at the millimetre level.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{bd09_to_gcj02, gcj02_to_bd09};
///
/// let (blon, blat) = gcj02_to_bd09(120.2445, 29.2875);
/// let (lon, lat) = bd09_to_gcj02(blon, blat);
/// assert!((lon - 120.2445).abs() < 1e-8 && (lat - 29.2875).abs() < 1e-8);
/// ```
#[must_use]
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert_by_iteration((lon, lat), bd09_to_gcj02_one_step(lon, lat), gcj02_to_bd09)
}

/// The textbook one-step BD-09 → GCJ-02 formula (accurate to about `1e-6°`).
fn bd09_to_gcj02_one_step(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - BD_DLON;
    let y = lat - BD_DLAT;
    let z = x.hypot(y) - 0.000_02 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// Converts WGS-84 to BD-09 (via GCJ-02).
///
/// Outside China only the BD-09 step changes the point.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{bd09_to_wgs84, wgs84_to_bd09};
///
/// let (blon, blat) = wgs84_to_bd09(120.24, 29.29);
/// let (lon, lat) = bd09_to_wgs84(blon, blat);
/// assert!((lon - 120.24).abs() < 1e-8 && (lat - 29.29).abs() < 1e-8);
/// ```
#[must_use]
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(glon, glat)
}

/// Converts BD-09 to WGS-84 (via GCJ-02), exactly inverting [`wgs84_to_bd09`].
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{bd09_to_wgs84, wgs84_to_bd09};
///
/// let (lon, lat) = bd09_to_wgs84(120.251, 29.293);
/// let (blon, blat) = wgs84_to_bd09(lon, lat);
/// assert!((blon - 120.251).abs() < 1e-8 && (blat - 29.293).abs() < 1e-8);
/// ```
#[must_use]
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(glon, glat)
}

/// Converts a point given in `crs` to WGS-84.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{to_wgs84, Crs};
///
/// assert_eq!(to_wgs84(Crs::Wgs84, 120.24, 29.29), (120.24, 29.29));
/// let (lon, _) = to_wgs84(Crs::Gcj02, 120.2445, 29.2875);
/// assert!((lon - 120.24).abs() < 1e-3);
/// ```
#[must_use]
pub fn to_wgs84(crs: Crs, lon: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lon, lat),
        Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
        Crs::Bd09 => bd09_to_wgs84(lon, lat),
    }
}

/// Converts a WGS-84 point to `crs`.
///
/// # Units
///
/// `(longitude, latitude)` in decimal degrees, in and out.
///
/// # Examples
///
/// ```
/// use safegrid::spatial::crs::{from_wgs84, to_wgs84, Crs};
///
/// let (lon, lat) = from_wgs84(Crs::Bd09, 120.24, 29.29);
/// let back = to_wgs84(Crs::Bd09, lon, lat);
/// assert!((back.0 - 120.24).abs() < 1e-8 && (back.1 - 29.29).abs() < 1e-8);
/// ```
#[must_use]
pub fn from_wgs84(crs: Crs, lon: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lon, lat),
        Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
        Crs::Bd09 => wgs84_to_bd09(lon, lat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DONGYANG: (f64, f64) = (120.24, 29.29);
    const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    /// A grid across mainland China (well inside the box so that the GCJ-02
    /// offset never pushes a point across its edge), plus Dongyang.
    fn china_grid() -> Vec<(f64, f64)> {
        let mut points = vec![DONGYANG];
        for i in 0..=12 {
            for j in 0..=10 {
                let lon = 75.0 + 5.0 * f64::from(i);
                let lat = 18.0 + 3.5 * f64::from(j);
                points.push((lon + 0.123_456, lat + 0.654_321));
            }
        }
        points
    }

    fn max_abs_err(a: (f64, f64), b: (f64, f64)) -> f64 {
        (a.0 - b.0).abs().max((a.1 - b.1).abs())
    }

    #[test]
    fn wgs_gcj_round_trip_across_china_is_below_1e8_degrees() {
        for p in china_grid() {
            let g = wgs84_to_gcj02(p.0, p.1);
            assert_ne!(g, p, "{p:?} should be offset");
            let back = gcj02_to_wgs84(g.0, g.1);
            assert!(max_abs_err(back, p) < 1e-8, "{p:?} -> {g:?} -> {back:?}");
        }
    }

    #[test]
    fn gcj_wgs_round_trip_starting_from_gcj_is_below_1e8_degrees() {
        for p in china_grid() {
            let w = gcj02_to_wgs84(p.0, p.1);
            let again = wgs84_to_gcj02(w.0, w.1);
            assert!(max_abs_err(again, p) < 1e-8, "{p:?} -> {w:?} -> {again:?}");
        }
    }

    #[test]
    fn gcj_bd_round_trip_is_below_1e8_degrees() {
        for p in china_grid() {
            let b = gcj02_to_bd09(p.0, p.1);
            let back = bd09_to_gcj02(b.0, b.1);
            assert!(max_abs_err(back, p) < 1e-8, "{p:?} -> {b:?} -> {back:?}");
            let b2 = gcj02_to_bd09(back.0, back.1);
            assert!(max_abs_err(b2, b) < 1e-8);
        }
    }

    #[test]
    fn every_crs_round_trips_through_wgs84() {
        for crs in ALL {
            for p in china_grid() {
                let c = from_wgs84(crs, p.0, p.1);
                let back = to_wgs84(crs, c.0, c.1);
                assert!(max_abs_err(back, p) < 1e-8, "{crs}: {p:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn textbook_bd_inverse_is_off_by_about_a_microdegree_and_iteration_fixes_it() {
        let mut worst_one_step: f64 = 0.0;
        for p in china_grid() {
            let b = gcj02_to_bd09(p.0, p.1);
            let one_step = bd09_to_gcj02_one_step(b.0, b.1);
            worst_one_step = worst_one_step.max(max_abs_err(one_step, p));
            assert!(max_abs_err(bd09_to_gcj02(b.0, b.1), p) < 1e-9);
        }
        assert!(
            worst_one_step > 1e-7 && worst_one_step < 1e-5,
            "one-step error {worst_one_step}"
        );
    }

    #[test]
    fn gcj_offset_at_dongyang_matches_published_magnitude() {
        let (glon, glat) = wgs84_to_gcj02(DONGYANG.0, DONGYANG.1);
        let (dlon, dlat) = (glon - DONGYANG.0, glat - DONGYANG.1);
        assert!((dlon - 0.0045).abs() < 3e-4, "dlon {dlon}");
        assert!((dlat + 0.0025).abs() < 3e-4, "dlat {dlat}");
    }

    /// GCJ-02 of WGS-84 (116.397428, 39.90923), computed with an independent
    /// transcription of the published formula (Python, IEEE doubles):
    /// (116.40367162595768, 39.91063350638631). The figure often quoted,
    /// (116.403671, 39.910630), is 3.5e-6° off in latitude.
    const REF_BEIJING: (f64, f64) = (116.403_671_625_957_68, 39.910_633_506_386_31);

    #[test]
    fn gcj_matches_reference_value_in_beijing() {
        let (lon, lat) = wgs84_to_gcj02(116.397_428, 39.909_23);
        assert!((lon - REF_BEIJING.0).abs() < 1e-9, "lon {lon}");
        assert!((lat - REF_BEIJING.1).abs() < 1e-9, "lat {lat}");
        // The rounded value to 6 decimals, within the requested 2e-6.
        assert!((lon - 116.403_672).abs() < 2e-6);
        assert!((lat - 39.910_634).abs() < 2e-6);
    }

    #[test]
    fn points_outside_china_are_unchanged_by_gcj() {
        for p in [
            (2.35, 48.85),  // Paris
            (-74.0, 40.7),  // New York
            (151.2, -33.9), // Sydney
            (139.7, 35.7),  // Tokyo: east of the box
            (100.0, 0.5),   // south of the box
            (100.0, 56.0),  // north of the box
            (71.9, 40.0),   // west of the box
        ] {
            assert_eq!(wgs84_to_gcj02(p.0, p.1), p);
            assert_eq!(gcj02_to_wgs84(p.0, p.1), p);
        }
    }

    #[test]
    fn bd_offset_is_applied_outside_china_and_still_round_trips() {
        let p = (2.35, 48.85);
        let b = wgs84_to_bd09(p.0, p.1);
        assert_ne!(b, p);
        assert!(max_abs_err(bd09_to_wgs84(b.0, b.1), p) < 1e-8);
    }

    #[test]
    fn wgs84_is_identity() {
        assert_eq!(to_wgs84(Crs::Wgs84, 1.5, 2.5), (1.5, 2.5));
        assert_eq!(from_wgs84(Crs::Wgs84, 1.5, 2.5), (1.5, 2.5));
    }

    #[test]
    fn from_str_accepts_names_case_insensitively() {
        let cases = [
            ("wgs84", Crs::Wgs84),
            ("WGS84", Crs::Wgs84),
            ("epsg:4326", Crs::Wgs84),
            ("EPSG:4326", Crs::Wgs84),
            ("gcj02", Crs::Gcj02),
            ("Gcj02", Crs::Gcj02),
            ("bd09", Crs::Bd09),
            (" BD09 ", Crs::Bd09),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Crs>(), Ok(want), "{s:?}");
        }
    }

    #[test]
    fn from_str_rejects_unknown_names_and_lists_accepted_values() {
        for s in ["", "wgs-84", "gcj", "bd09ll", "epsg:3857"] {
            let err = s.parse::<Crs>().expect_err(s);
            assert_eq!(err, UnknownCrs(s.to_owned()));
            let msg = err.to_string();
            for name in ["wgs84", "epsg:4326", "gcj02", "bd09"] {
                assert!(msg.contains(name), "{msg}");
            }
        }
    }

    #[test]
    fn as_str_and_display_round_trip_through_from_str() {
        for crs in ALL {
            assert_eq!(crs.as_str().parse::<Crs>(), Ok(crs));
            assert_eq!(crs.to_string(), crs.as_str());
        }
    }

    #[test]
    fn unknown_crs_is_a_std_error() {
        let err: Box<dyn std::error::Error> = Box::new(UnknownCrs("x".to_owned()));
        assert!(err.to_string().starts_with("unknown coordinate system"));
    }
}
