//! The geometry file (`.shp`) of a shapefile, read record after record (the `.shx` index is not
//! needed for that), each record turned into a GeoJSON geometry value.
//!
//! Points, multipoints of one point, polylines and polygons are read, with their Z and M
//! variants (Z and M are dropped). ESRI polygons are a flat list of rings, outer rings clockwise
//! and holes counter-clockwise; [`polygon`] groups each hole into the smallest outer ring that
//! contains it and writes RFC 7946 winding (outer rings counter-clockwise, holes clockwise).
//!
//! # Units
//! Whatever the file holds, as `[x, y]`; the caller has checked from the `.prj` that it is
//! longitude/latitude degrees.

use geojson::Value;

use crate::io::IoError;

/// One record's geometry: `Ok(None)` for a null shape, `Err` for a shape that cannot be used.
pub type Shape = Result<Option<Value>, String>;

type Ring = Vec<Vec<f64>>;

fn format(reason: impl Into<String>) -> IoError {
    IoError::Format(format!("the .shp {}", reason.into()))
}

/// Reads every record of a `.shp` file, in file order.
///
/// # Errors
/// When the header is not a shapefile's or a record runs past the end of the file; a record
/// whose content is malformed comes back as an `Err` shape instead.
pub fn read(bytes: &[u8]) -> Result<Vec<Shape>, IoError> {
    if bytes.len() < 100 || be_i32(bytes, 0) != Some(9994) {
        return Err(format("is not an ESRI shapefile (no 9994 file code)"));
    }
    let mut shapes = Vec::new();
    let mut at = 100;
    while at + 8 <= bytes.len() {
        let words = be_i32(bytes, at + 4).unwrap_or(-1);
        let len = usize::try_from(words)
            .ok()
            .and_then(|w| w.checked_mul(2))
            .filter(|len| at + 8 + len <= bytes.len())
            .ok_or_else(|| {
                format(format!(
                    "is truncated or corrupt at record {}",
                    shapes.len() + 1
                ))
            })?;
        shapes.push(shape(&bytes[at + 8..at + 8 + len]));
        at += 8 + len;
    }
    Ok(shapes)
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Little-endian fields of one record's content.
struct Content<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Content<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let slice = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or("the record is shorter than its shape needs")?;
        self.at += n;
        Ok(slice)
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| "short")?,
        ))
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| format!("negative number of {what}: {n}"))?;
        // Every part or point takes at least 4 bytes: a larger count cannot be right.
        if n > self.bytes.len() / 4 {
            return Err(format!("{n} {what} do not fit in the record"));
        }
        Ok(n)
    }

    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| "short")?,
        ))
    }

    fn point(&mut self) -> Result<Vec<f64>, String> {
        Ok(vec![self.f64()?, self.f64()?])
    }

    fn points(&mut self, n: usize) -> Result<Vec<Vec<f64>>, String> {
        (0..n).map(|_| self.point()).collect()
    }
}

fn shape(bytes: &[u8]) -> Shape {
    let mut c = Content { bytes, at: 0 };
    match c.i32()? {
        0 => Ok(None),
        // Point, PointZ, PointM: Z and M follow x and y and are dropped.
        1 | 11 | 21 => Ok(Some(Value::Point(c.point()?))),
        8 | 18 | 28 => {
            c.take(32)?; // bounding box
            let n = c.count("points")?;
            if n != 1 {
                return Err(format!(
                    "a MultiPoint of {n} points: one point per record is expected"
                ));
            }
            Ok(Some(Value::Point(c.point()?)))
        }
        t @ (3 | 13 | 23 | 5 | 15 | 25) => {
            c.take(32)?; // bounding box
            let n_parts = c.count("parts")?;
            let n_points = c.count("points")?;
            let starts = (0..n_parts)
                .map(|_| c.i32())
                .collect::<Result<Vec<_>, _>>()?;
            let points = c.points(n_points)?;
            let parts = split_parts(&starts, points)?;
            if t % 10 == 3 {
                Ok(Some(match <[Ring; 1]>::try_from(parts) {
                    Ok([line]) => Value::LineString(line),
                    Err(lines) => Value::MultiLineString(lines),
                }))
            } else {
                Ok(Some(polygon(parts)))
            }
        }
        31 => Err("MultiPatch shapes are not supported".into()),
        t => Err(format!("unknown shape type {t}")),
    }
}

/// Cuts the point list at the part starts, which must rise from 0 within the points.
fn split_parts(starts: &[i32], mut points: Vec<Vec<f64>>) -> Result<Vec<Ring>, String> {
    if starts.is_empty() {
        return Err("a shape without parts".into());
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate().rev() {
        let start = usize::try_from(start)
            .ok()
            // Splitting from the last part, `points` ends where the next part starts.
            .filter(|&s| s <= points.len() && (i > 0 || s == 0))
            .ok_or_else(|| format!("part {} starts at {start}, out of order", i + 1))?;
        parts.push(points.split_off(start));
    }
    parts.reverse();
    Ok(parts)
}

/// Twice the signed area of a ring: positive when counter-clockwise (x east, y north).
fn signed_area2(ring: &[Vec<f64>]) -> f64 {
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum()
}

/// Whether `p` is inside `ring` (even–odd); `None` when it lies on an edge.
fn ring_contains(ring: &[Vec<f64>], p: &[f64]) -> Option<bool> {
    let (x, y) = (p[0], p[1]);
    let mut inside = false;
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        let cross = (b[0] - a[0]) * (y - a[1]) - (x - a[0]) * (b[1] - a[1]);
        let within = x >= a[0].min(b[0])
            && x <= a[0].max(b[0])
            && y >= a[1].min(b[1])
            && y <= a[1].max(b[1]);
        if cross == 0.0 && within {
            return None;
        }
        if (a[1] > y) != (b[1] > y) && x < a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
            inside = !inside;
        }
    }
    Some(inside)
}

/// Whether `outer` contains the ring `hole`, judged by the first vertex of `hole` not on the
/// boundary of `outer` (a hole may touch its outer ring).
fn contains_ring(outer: &[Vec<f64>], hole: &[Vec<f64>]) -> bool {
    hole.iter()
        .find_map(|p| ring_contains(outer, p))
        .unwrap_or(true)
}

/// Builds a Polygon or MultiPolygon from ESRI rings: clockwise rings are outer rings, the others
/// holes, each given to the smallest outer ring that contains it. A hole that no outer ring
/// contains is taken as an outer ring of its own (as GDAL does with wrongly wound files). Rings
/// are closed if they are not, and written with RFC 7946 winding.
#[must_use]
pub fn polygon(rings: Vec<Ring>) -> Value {
    let mut outers: Vec<(f64, Ring, Vec<Ring>)> = Vec::new();
    let mut holes = Vec::new();
    for mut ring in rings {
        let Some(first) = ring.first().cloned() else {
            continue;
        };
        if ring.last() != Some(&first) {
            ring.push(first);
        }
        let area2 = signed_area2(&ring);
        if area2 > 0.0 {
            holes.push(ring);
        } else {
            outers.push((area2.abs(), ring, Vec::new()));
        }
    }
    for hole in holes {
        let container = outers
            .iter_mut()
            .filter(|(_, outer, _)| contains_ring(outer, &hole))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match container {
            Some((_, _, inner)) => inner.push(hole),
            None => outers.push((signed_area2(&hole).abs(), hole, Vec::new())),
        }
    }
    let mut polygons: Vec<Vec<Ring>> = outers
        .into_iter()
        .map(|(_, outer, inner)| {
            let mut poly = vec![wound(outer, true)];
            poly.extend(inner.into_iter().map(|h| wound(h, false)));
            poly
        })
        .collect();
    if polygons.len() == 1 {
        Value::Polygon(polygons.remove(0))
    } else {
        Value::MultiPolygon(polygons)
    }
}

/// `ring` turned counter-clockwise (`ccw`) or clockwise.
fn wound(mut ring: Ring, ccw: bool) -> Ring {
    if (signed_area2(&ring) > 0.0) != ccw {
        ring.reverse();
    }
    ring
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A `.shp` of records `(shape type, content after the type)`.
    pub fn shp(records: &[(i32, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(9994i32.to_be_bytes());
        out.resize(24, 0);
        let total: usize = 100 + records.iter().map(|r| 12 + r.1.len()).sum::<usize>();
        out.extend(i32::try_from(total / 2).expect("len").to_be_bytes());
        out.extend(1000i32.to_le_bytes());
        out.extend(records.first().map_or(0, |r| r.0).to_le_bytes());
        out.resize(100, 0);
        for (i, (kind, content)) in records.iter().enumerate() {
            out.extend(i32::try_from(i + 1).expect("n").to_be_bytes());
            out.extend(
                i32::try_from(content.len() / 2 + 2)
                    .expect("len")
                    .to_be_bytes(),
            );
            out.extend(kind.to_le_bytes());
            out.extend(content);
        }
        out
    }

    /// The content of a PolyLine/Polygon record of `parts` (with a zero bounding box).
    pub fn parts(parts: &[&[[f64; 2]]]) -> Vec<u8> {
        let mut out = vec![0; 32];
        let n: usize = parts.iter().map(|p| p.len()).sum();
        out.extend(i32::try_from(parts.len()).expect("parts").to_le_bytes());
        out.extend(i32::try_from(n).expect("points").to_le_bytes());
        let mut start = 0;
        for p in parts {
            out.extend(i32::try_from(start).expect("start").to_le_bytes());
            start += p.len();
        }
        for [x, y] in parts.iter().copied().flatten() {
            out.extend(x.to_le_bytes());
            out.extend(y.to_le_bytes());
        }
        out
    }

    fn xy(x: f64, y: f64) -> Vec<u8> {
        [x.to_le_bytes(), y.to_le_bytes()].concat()
    }

    const OUTER_CW: [[f64; 2]; 5] = [[0.0, 0.0], [0.0, 4.0], [4.0, 4.0], [4.0, 0.0], [0.0, 0.0]];
    const HOLE_CCW: [[f64; 2]; 5] = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]];
    const FAR_CW: [[f64; 2]; 5] = [
        [10.0, 0.0],
        [10.0, 1.0],
        [11.0, 1.0],
        [11.0, 0.0],
        [10.0, 0.0],
    ];

    fn ring(r: &[[f64; 2]]) -> Ring {
        r.iter().map(|p| p.to_vec()).collect()
    }

    #[test]
    fn polygon_holes_go_to_their_outer_ring_with_rfc7946_winding() {
        // The hole comes after an unrelated outer ring: containment, not order, decides.
        let value = polygon(vec![ring(&OUTER_CW), ring(&FAR_CW), ring(&HOLE_CCW)]);
        let Value::MultiPolygon(polys) = value else {
            panic!("two outer rings make a MultiPolygon");
        };
        assert_eq!(polys.len(), 2);
        assert_eq!(polys[0].len(), 2, "the square keeps its hole");
        assert_eq!(polys[1].len(), 1);
        assert!(signed_area2(&polys[0][0]) > 0.0, "outer counter-clockwise");
        assert!(signed_area2(&polys[0][1]) < 0.0, "hole clockwise");
        assert!(signed_area2(&polys[1][0]) > 0.0);
    }

    #[test]
    fn a_lone_counter_clockwise_ring_is_an_outer_ring() {
        let Value::Polygon(rings) = polygon(vec![ring(&HOLE_CCW[..4])]) else {
            panic!("one ring is a Polygon");
        };
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].len(), 5, "the open ring was closed");
        assert!(signed_area2(&rings[0]) > 0.0);
    }

    #[test]
    fn records_of_every_kind_are_read_and_z_m_dropped() {
        let mut point_z = xy(120.1, 29.1);
        point_z.extend([0u8; 16]); // z, m
        let mut polygon_m = parts(&[&OUTER_CW, &HOLE_CCW]);
        polygon_m.extend([0u8; 16 + 8 * 10]); // m range and values
        let bytes = shp(&[
            (1, xy(120.0, 29.0)),
            (11, point_z),
            (
                8,
                [vec![0; 32], 1i32.to_le_bytes().to_vec(), xy(1.0, 2.0)].concat(),
            ),
            (
                8,
                [
                    vec![0; 32],
                    2i32.to_le_bytes().to_vec(),
                    xy(1.0, 2.0),
                    xy(3.0, 4.0),
                ]
                .concat(),
            ),
            (0, Vec::new()),
            (3, parts(&[&[[0.0, 0.0], [1.0, 1.0]]])),
            (
                23,
                parts(&[&[[0.0, 0.0], [1.0, 1.0]], &[[2.0, 2.0], [3.0, 3.0]]]),
            ),
            (25, polygon_m),
            (31, Vec::new()),
            (5, parts(&[&[[0.0, 0.0], [1.0, 1.0]]])[..40].to_vec()),
        ]);
        let shapes = read(&bytes).expect("reads");
        assert_eq!(shapes.len(), 10);
        assert_eq!(shapes[0], Ok(Some(Value::Point(vec![120.0, 29.0]))));
        assert_eq!(shapes[1], Ok(Some(Value::Point(vec![120.1, 29.1]))));
        assert_eq!(shapes[2], Ok(Some(Value::Point(vec![1.0, 2.0]))));
        assert!(shapes[3].as_ref().is_err_and(|e| e.contains("2 points")));
        assert_eq!(shapes[4], Ok(None));
        assert!(matches!(shapes[5], Ok(Some(Value::LineString(ref l))) if l.len() == 2));
        assert!(matches!(shapes[6], Ok(Some(Value::MultiLineString(ref l))) if l.len() == 2));
        assert!(matches!(shapes[7], Ok(Some(Value::Polygon(ref r))) if r.len() == 2));
        assert!(shapes[8].as_ref().is_err_and(|e| e.contains("MultiPatch")));
        assert!(shapes[9].is_err(), "a short record is a bad row");
    }

    #[test]
    fn a_record_past_the_end_stops_the_file() {
        let mut bytes = shp(&[(1, xy(1.0, 2.0))]);
        bytes.truncate(bytes.len() - 4);
        let e = read(&bytes).expect_err("truncated");
        assert!(e.to_string().contains("record 1"), "{e}");
        assert!(read(b"not a shapefile").is_err());
    }
}
