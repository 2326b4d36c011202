//! Import and export of layers: GeoJSON FeatureCollections and CSV files (points as `lon`/`lat`
//! columns, other geometries as a `geometry` column of GeoJSON), and import of ESRI shapefiles
//! (zipped), with explicit coordinate system conversion on the way in; cameras also from XLSX
//! and OpenStreetMap surveillance GeoJSON with a column map ([`camera_import`]). Parsing reports
//! every bad row with where it is; nothing is written here.

pub mod camera_import;
pub mod csv;
pub mod export;
pub mod geojson_file;
pub mod shapefile;

use crate::domain::{AnyItem, DomainError};
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
    /// The file would unzip to more than the decompression limit.
    #[error("{0}")]
    TooLarge(String),
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
