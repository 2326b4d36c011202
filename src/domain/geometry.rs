//! Parsing and validation of GeoJSON geometries into `geo` types, before any geometry work.
//!
//! Geometry crates can panic or loop on degenerate input (NaN, huge values, open rings), so every
//! coordinate is checked here first: finite, inside lon/lat range, not an obviously swapped pair,
//! rings closed with at least four positions, a bounded vertex count, and polygons valid in the
//! OGC sense (no self-intersection, holes inside their shell).
//!
//! # Units
//! Degrees of WGS84 longitude/latitude, GeoJSON order `[lon, lat]`.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use geojson::Value;

use super::validity::{Invalid, check_area};
use super::{DomainError, DomainResult, Problem};

/// Most vertices one geometry may have (a county boundary has a few thousand).
pub const MAX_VERTICES: usize = 100_000;

/// Checks one GeoJSON position and returns it as a coordinate.
///
/// # Errors
/// Non-finite numbers, a longitude outside −180..180, a latitude outside −90..90 (with a hint
/// when the pair looks swapped), or fewer than two numbers.
pub fn check_position(field: &str, pos: &[f64]) -> DomainResult<Coord> {
    let [lon, lat, ..] = pos else {
        return Err(DomainError::of(
            Problem::BadPosition,
            field,
            "a position needs two numbers [lon, lat]",
        ));
    };
    let (lon, lat) = (*lon, *lat);
    if !lon.is_finite() || !lat.is_finite() {
        return Err(DomainError::of(
            Problem::BadPosition,
            field,
            "coordinates must be finite numbers",
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
            return Err(DomainError::of(
                Problem::BadPosition,
                field,
                format!(
                    "latitude {lat} is outside -90..90; the pair looks swapped: GeoJSON order is [lon, lat], did you mean [{lat}, {lon}]?"
                ),
            ));
        }
        return Err(DomainError::of(
            Problem::BadPosition,
            field,
            format!("latitude {lat} is outside -90..90"),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(DomainError::of(
            Problem::BadPosition,
            field,
            format!("longitude {lon} is outside -180..180"),
        ));
    }
    Ok(Coord { x: lon, y: lat })
}

/// Parses a GeoJSON `Point`.
///
/// # Errors
/// A missing geometry, another geometry type or a bad position.
pub fn parse_point(geometry: Option<&geojson::Geometry>) -> DomainResult<Point> {
    match geometry.map(|g| &g.value) {
        Some(Value::Point(pos)) => Ok(Point(check_position("geometry.coordinates", pos)?)),
        Some(other) => Err(wrong_type("Point", other)),
        None => Err(DomainError::of(
            Problem::Missing,
            "geometry",
            "a Point geometry is required",
        )),
    }
}

/// Parses a GeoJSON `LineString` of at least two distinct positions.
///
/// # Errors
/// A missing geometry, another geometry type, too few or too many positions, a bad position.
pub fn parse_line(geometry: Option<&geojson::Geometry>) -> DomainResult<LineString> {
    match geometry.map(|g| &g.value) {
        Some(Value::LineString(positions)) => {
            check_count("geometry.coordinates", positions.len())?;
            let coords = positions
                .iter()
                .enumerate()
                .map(|(i, p)| check_position(&format!("geometry.coordinates[{i}]"), p))
                .collect::<DomainResult<Vec<_>>>()?;
            if coords.len() < 2 || coords.iter().all(|c| *c == coords[0]) {
                return Err(DomainError::of(
                    Problem::BadShape,
                    "geometry.coordinates",
                    "a LineString needs at least two distinct positions",
                ));
            }
            Ok(LineString(coords))
        }
        Some(other) => Err(wrong_type("LineString", other)),
        None => Err(DomainError::of(
            Problem::Missing,
            "geometry",
            "a LineString geometry is required",
        )),
    }
}

/// Parses a GeoJSON `Polygon` or `MultiPolygon` into a valid [`MultiPolygon`].
///
/// # Errors
/// A missing geometry, another type, an open ring, a ring of fewer than four positions, too
/// many vertices, a bad position, or an invalid polygon (self-intersection, hole outside its
/// shell, overlapping parts).
pub fn parse_area(geometry: Option<&geojson::Geometry>) -> DomainResult<MultiPolygon> {
    let area = read_area(geometry)?;
    check_valid(&area)?;
    Ok(area)
}

/// Parses a GeoJSON `Polygon` or `MultiPolygon` as [`parse_area`] does, but without the OGC
/// validity check: for geometry that was checked when it was stored. Linear in the vertices.
///
/// # Errors
/// As [`parse_area`], less the validity rules.
pub fn read_area(geometry: Option<&geojson::Geometry>) -> DomainResult<MultiPolygon> {
    let polygons = match geometry.map(|g| &g.value) {
        Some(Value::Polygon(rings)) => {
            check_count(
                "geometry.coordinates",
                rings.iter().map(Vec::len).sum::<usize>(),
            )?;
            vec![parse_polygon("geometry.coordinates", rings)?]
        }
        Some(Value::MultiPolygon(polys)) => {
            check_count(
                "geometry.coordinates",
                polys.iter().flatten().map(Vec::len).sum::<usize>(),
            )?;
            if polys.is_empty() {
                return Err(DomainError::new(
                    "geometry.coordinates",
                    "a MultiPolygon needs at least one polygon",
                ));
            }
            polys
                .iter()
                .enumerate()
                .map(|(i, rings)| parse_polygon(&format!("geometry.coordinates[{i}]"), rings))
                .collect::<DomainResult<Vec<_>>>()?
        }
        Some(other) => return Err(wrong_type("Polygon or MultiPolygon", other)),
        None => {
            return Err(DomainError::of(
                Problem::Missing,
                "geometry",
                "a Polygon or MultiPolygon geometry is required",
            ));
        }
    };
    Ok(MultiPolygon(polygons))
}

/// Checks OGC validity ([`super::validity`]); the reason names the polygon and ring at fault
/// (the field stays `geometry`: the web map outlines an invalid ring on that field).
///
/// # Errors
/// A [`DomainError`] on `geometry`.
pub fn check_valid(area: &MultiPolygon) -> DomainResult<()> {
    match check_area(area) {
        Ok(()) => Ok(()),
        Err(e @ Invalid::Interrupted(_)) => Err(DomainError::of(
            Problem::TooComplex,
            "geometry",
            format!(
                "{e}; the geometry is too complex to check in time: simplify it (fewer vertices) or split it"
            ),
        )),
        Err(e) => Err(DomainError::of(
            Problem::SelfIntersection,
            "geometry",
            format!("invalid polygon: {e}"),
        )),
    }
}

fn parse_polygon(field: &str, rings: &[Vec<Vec<f64>>]) -> DomainResult<Polygon> {
    if rings.is_empty() {
        return Err(DomainError::of(
            Problem::BadShape,
            field,
            "a polygon needs an exterior ring",
        ));
    }
    let mut parsed = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let ring_field = format!("{field}[{r}]");
        if ring.len() < 4 {
            return Err(DomainError::of(
                Problem::BadShape,
                ring_field,
                format!(
                    "a ring needs at least 4 positions (first repeated last), got {}",
                    ring.len()
                ),
            ));
        }
        let coords = ring
            .iter()
            .enumerate()
            .map(|(i, p)| check_position(&format!("{ring_field}[{i}]"), p))
            .collect::<DomainResult<Vec<_>>>()?;
        let (first, last) = (coords[0], coords[coords.len() - 1]);
        if first != last {
            return Err(DomainError::of(
                Problem::BadShape,
                ring_field,
                format!(
                    "ring is not closed: first position [{}, {}] differs from last [{}, {}]",
                    first.x, first.y, last.x, last.y
                ),
            ));
        }
        parsed.push(LineString(coords));
    }
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

fn check_count(field: &str, n: usize) -> DomainResult<()> {
    if n > MAX_VERTICES {
        return Err(DomainError::of(
            Problem::TooMany {
                limit: MAX_VERTICES as u64,
            },
            field,
            format!("{n} positions exceed the limit of {MAX_VERTICES}"),
        ));
    }
    Ok(())
}

fn wrong_type(expected: &str, got: &Value) -> DomainError {
    DomainError::of(
        Problem::BadShape,
        "geometry.type",
        format!("expected {expected}, got {}", got.type_name()),
    )
}

/// GeoJSON for an area: a `Polygon` when it has one part, else a `MultiPolygon`.
#[must_use]
pub fn area_to_geojson(area: &MultiPolygon) -> geojson::Geometry {
    match area.0.as_slice() {
        [single] => geojson::Geometry::new(Value::from(single)),
        _ => geojson::Geometry::new(Value::from(area)),
    }
}

/// GeoJSON for a point.
#[must_use]
pub fn point_to_geojson(point: &Point) -> geojson::Geometry {
    geojson::Geometry::new(Value::from(point))
}

/// GeoJSON for a line.
#[must_use]
pub fn line_to_geojson(line: &LineString) -> geojson::Geometry {
    geojson::Geometry::new(Value::from(line))
}

/// Placeholder point used between deserializing properties and setting the geometry.
#[must_use]
pub fn no_point() -> Point {
    Point::new(0.0, 0.0)
}

/// Placeholder line, see [`no_point`].
#[must_use]
pub fn no_line() -> LineString {
    LineString(Vec::new())
}

/// Placeholder area, see [`no_point`].
#[must_use]
pub fn no_area() -> MultiPolygon {
    MultiPolygon(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn geom(v: serde_json::Value) -> geojson::Geometry {
        serde_json::from_value(v).expect("test geometry parses")
    }

    #[test]
    fn open_ring_is_rejected_with_its_position() {
        let g = geom(
            json!({"type":"Polygon","coordinates":[[[120.0,29.0],[120.1,29.0],[120.1,29.1],[120.0,29.1]]]}),
        );
        let e = parse_area(Some(&g)).unwrap_err();
        assert_eq!(e.field, "geometry.coordinates[0]");
        assert!(e.reason.contains("not closed"), "{e}");
    }

    #[test]
    fn self_intersecting_polygon_is_rejected() {
        let g = geom(
            json!({"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,1.0],[1.0,0.0],[0.0,1.0],[0.0,0.0]]]}),
        );
        let e = parse_area(Some(&g)).unwrap_err();
        assert!(e.reason.contains("invalid polygon"), "{e}");
    }

    #[test]
    fn swapped_pair_is_named() {
        let e = check_position("p", &[29.29, 120.24]).unwrap_err();
        assert!(e.reason.contains("swapped"), "{e}");
    }

    #[test]
    fn out_of_range_and_nan_are_rejected() {
        assert!(check_position("p", &[181.0, 10.0]).is_err());
        assert!(check_position("p", &[f64::NAN, 10.0]).is_err());
        assert!(check_position("p", &[10.0, -95.0]).is_err());
        assert!(check_position("p", &[10.0]).is_err());
    }

    #[test]
    fn valid_square_parses_as_one_polygon() {
        let g = geom(
            json!({"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]}),
        );
        let area = parse_area(Some(&g)).expect("valid");
        assert_eq!(area.0.len(), 1);
        assert!(matches!(area_to_geojson(&area).value, Value::Polygon(_)));
    }

    #[test]
    fn wrong_type_is_named() {
        let g = geom(json!({"type":"Point","coordinates":[120.0,29.0]}));
        let e = parse_area(Some(&g)).unwrap_err();
        assert_eq!(e.field, "geometry.type");
    }

    #[test]
    fn degenerate_line_is_rejected() {
        let g = geom(json!({"type":"LineString","coordinates":[[120.0,29.0],[120.0,29.0]]}));
        assert!(parse_line(Some(&g)).is_err());
    }
}
