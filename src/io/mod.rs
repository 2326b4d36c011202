//! Import and export of layers: GeoJSON FeatureCollections and CSV files (points as `lon`/`lat`
//! columns, other geometries as a `geometry` column of GeoJSON), with explicit coordinate
//! system conversion on the way in. Parsing reports every bad row with where it is; nothing is
//! written here.

pub mod csv;
pub mod geojson_file;

use crate::domain::{AnyItem, DomainError, Layer};
use crate::spatial::crs::{Crs, to_wgs84};

/// One parsed row: where it came from and the item or what is wrong with it.
#[derive(Debug)]
pub struct ParsedRow {
    /// Human-readable position, e.g. `line 12` or `feature 3`.
    pub at: String,
    /// The item, or the error.
    pub item: Result<AnyItem, DomainError>,
}

/// I/O failures that stop a whole file.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Format(String),
}

/// Converts every position of a GeoJSON geometry from `crs` to WGS84, in place. Positions that
/// are not finite are left for validation to reject.
pub fn geometry_to_wgs84(geometry: &mut geojson::Geometry, crs: Crs) {
    use geojson::Value;
    if crs == Crs::Wgs84 {
        return;
    }
    let convert = |p: &mut Vec<f64>| {
        if let [lon, lat, ..] = p.as_mut_slice()
            && lon.is_finite()
            && lat.is_finite()
        {
            let (x, y) = to_wgs84(crs, *lon, *lat);
            *lon = x;
            *lat = y;
        }
    };
    match &mut geometry.value {
        Value::Point(p) => convert(p),
        Value::MultiPoint(ps) | Value::LineString(ps) => ps.iter_mut().for_each(convert),
        Value::MultiLineString(ls) | Value::Polygon(ls) => {
            ls.iter_mut().flatten().for_each(convert);
        }
        Value::MultiPolygon(polys) => polys.iter_mut().flatten().flatten().for_each(convert),
        Value::GeometryCollection(gs) => gs.iter_mut().for_each(|g| geometry_to_wgs84(g, crs)),
    }
}

/// Reads a file of `layer` items, choosing the format by extension.
///
/// # Errors
/// When the file cannot be read or is not a FeatureCollection / CSV at all; row-level problems
/// come back in the rows.
pub fn read_file(
    layer: Layer,
    path: &std::path::Path,
    crs: Crs,
) -> Result<Vec<ParsedRow>, IoError> {
    let text = std::fs::read_to_string(path).map_err(|source| IoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        csv::parse(layer, &text, crs)
    } else {
        geojson_file::parse(layer, &text, crs)
    }
}
