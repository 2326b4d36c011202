//! CSV in and out. A header row names the properties; point layers take `lon` and `lat`
//! columns (also `longitude`/`latitude`, `经度`/`纬度`), other layers a `geometry` column
//! holding GeoJSON. Numbers, booleans and JSON arrays/objects in cells are typed from their
//! text; empty cells are omitted.

use geojson::{Feature, JsonObject, JsonValue};

use crate::domain::{AnyItem, DomainError, Layer};
use crate::spatial::crs::Crs;

use super::{IoError, ParsedRow, geometry_to_wgs84};

const LON: [&str; 4] = ["lon", "longitude", "lng", "经度"];
const LAT: [&str; 3] = ["lat", "latitude", "纬度"];

/// Parses CSV text into rows; `at` gives the file line number (the header is line 1).
///
/// # Errors
/// When the header cannot be read.
pub fn parse(layer: Layer, text: &str, crs: Crs) -> Result<Vec<ParsedRow>, IoError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| IoError::Format(format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, item) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, ::csv::Position::line);
                (line, parse_record(layer, &headers, &record, crs))
            }
            Err(e) => {
                let line = e.position().map_or(0, ::csv::Position::line);
                (line, Err(DomainError::new("row", e.to_string())))
            }
        };
        rows.push(ParsedRow {
            at: format!("line {line}"),
            item,
        });
    }
    Ok(rows)
}

fn cell_value(raw: &str) -> JsonValue {
    let t = raw.trim();
    if let Ok(n) = t.parse::<i64>() {
        return JsonValue::from(n);
    }
    if let Ok(f) = t.parse::<f64>()
        && f.is_finite()
    {
        return JsonValue::from(f);
    }
    if (t.starts_with('[') || t.starts_with('{'))
        && let Ok(v) = serde_json::from_str::<JsonValue>(t)
    {
        return v;
    }
    match t {
        "true" => JsonValue::Bool(true),
        "false" => JsonValue::Bool(false),
        _ => JsonValue::String(t.to_owned()),
    }
}

fn parse_record(
    layer: Layer,
    headers: &[String],
    record: &::csv::StringRecord,
    crs: Crs,
) -> Result<AnyItem, DomainError> {
    let mut props = JsonObject::new();
    let (mut lon, mut lat, mut geometry) = (None, None, None);
    for (h, cell) in headers.iter().zip(record.iter()) {
        if cell.trim().is_empty() {
            continue;
        }
        let lower = h.to_lowercase();
        if LON.contains(&lower.as_str()) {
            lon = Some(parse_number(h, cell)?);
        } else if LAT.contains(&lower.as_str()) {
            lat = Some(parse_number(h, cell)?);
        } else if lower == "geometry" {
            geometry = Some(
                serde_json::from_str::<geojson::Geometry>(cell)
                    .map_err(|e| DomainError::new("geometry", format!("not GeoJSON: {e}")))?,
            );
        } else {
            // Codes keep their leading zeros and digits: keep key fields as text.
            let value =
                if lower == layer.key_field() || lower.ends_with("_code") || lower == "phone" {
                    JsonValue::String(cell.trim().to_owned())
                } else {
                    cell_value(cell)
                };
            props.insert(h.clone(), value);
        }
    }
    if let (Some(lon), Some(lat)) = (lon, lat) {
        geometry = Some(geojson::Geometry::new(geojson::Value::Point(vec![
            lon, lat,
        ])));
    } else if lon.is_some() != lat.is_some() {
        return Err(DomainError::new("lon,lat", "both lon and lat are needed"));
    }
    if let Some(g) = geometry.as_mut() {
        geometry_to_wgs84(g, crs);
    }
    let feature = Feature {
        bbox: None,
        geometry,
        id: None,
        properties: Some(props),
        foreign_members: None,
    };
    AnyItem::from_feature(layer, &feature)
}

fn parse_number(header: &str, cell: &str) -> Result<f64, DomainError> {
    cell.trim()
        .parse::<f64>()
        .map_err(|_| DomainError::new(header, format!("`{cell}` is not a number")))
}

/// How a CSV file holds geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvGeometry {
    /// No geometry column.
    None,
    /// Points as `lon` and `lat` columns.
    Point,
    /// Any geometry as a `geometry` column of GeoJSON.
    GeoJson,
}

/// The columns of an event export, in the order [`to_string`] gives them (the key, then the
/// properties in name order), fixed so that an export written page by page has one header.
pub const EVENT_COLUMNS: [&str; 8] = [
    "id",
    "category",
    "description",
    "grid_code",
    "occurred_at",
    "reported_at",
    "source",
    "status",
];

/// Writes features as CSV: key first, then every property (arrays and objects as JSON), then
/// `lon`/`lat` for points or `geometry` as GeoJSON.
#[must_use]
pub fn to_string(layer: Layer, features: &[Feature]) -> String {
    let mut columns: Vec<String> = vec![layer.key_field().to_owned()];
    for f in features {
        for k in f.properties.iter().flat_map(|p| p.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let points = features.iter().all(|f| {
        matches!(
            f.geometry.as_ref().map(|g| &g.value),
            Some(geojson::Value::Point(_))
        )
    });
    let geometry = match (features.iter().any(|f| f.geometry.is_some()), points) {
        (false, _) => CsvGeometry::None,
        (true, true) => CsvGeometry::Point,
        (true, false) => CsvGeometry::GeoJson,
    };
    let mut out = header(&columns, geometry);
    out.push_str(&rows(&columns, geometry, features));
    out
}

/// The header row of [`rows`].
#[must_use]
pub fn header(columns: &[impl AsRef<str>], geometry: CsvGeometry) -> String {
    let mut header: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
    match geometry {
        CsvGeometry::None => {}
        CsvGeometry::Point => header.extend(["lon", "lat"]),
        CsvGeometry::GeoJson => header.push("geometry"),
    }
    records([header])
}

/// One CSV row per feature: the values of `columns` (empty when missing), then its geometry
/// as `geometry` says.
#[must_use]
pub fn rows(columns: &[impl AsRef<str>], geometry: CsvGeometry, features: &[Feature]) -> String {
    records(features.iter().map(|f| {
        let props = f.properties.clone().unwrap_or_default();
        let mut row: Vec<String> = columns
            .iter()
            .map(|c| match props.get(c.as_ref()) {
                None | Some(JsonValue::Null) => String::new(),
                Some(JsonValue::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        match (&f.geometry, geometry) {
            (_, CsvGeometry::None) => {}
            (Some(g), CsvGeometry::Point) => {
                if let geojson::Value::Point(p) = &g.value {
                    row.push(p.first().map(ToString::to_string).unwrap_or_default());
                    row.push(p.get(1).map(ToString::to_string).unwrap_or_default());
                }
            }
            (Some(g), CsvGeometry::GeoJson) => row.push(g.to_string()),
            (None, _) => row.push(String::new()),
        }
        row
    }))
}

fn records<R, F>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing into a Vec cannot fail for well-formed strings.
        let _ = writer.write_record(row);
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let text = "id,households,residents,lon,lat\nB1,3,7,120.24,29.28\nB2,3,7,29.28,120.24\nB3,x,7,120.24,29.28\n";
        let rows = parse(Layer::Building, text, Crs::Wgs84).expect("parses");
        assert_eq!(rows.len(), 3);
        assert!(rows[0].item.is_ok());
        assert_eq!(rows[1].at, "line 3");
        assert!(
            rows[1]
                .item
                .as_ref()
                .unwrap_err()
                .reason
                .contains("swapped")
        );
        assert_eq!(rows[2].at, "line 4");
        assert!(rows[2].item.is_err());
    }

    #[test]
    fn gcj02_rows_are_converted() {
        let text = "id,households,residents,lon,lat\nB1,3,7,120.2461,29.2870\n";
        let rows = parse(Layer::Building, text, Crs::Gcj02).expect("parses");
        let Ok(AnyItem::Building(b)) = &rows[0].item else {
            panic!("expected a building");
        };
        assert!((b.location.0.x - 120.2461).abs() > 0.003, "converted");
    }
}
