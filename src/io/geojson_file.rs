//! GeoJSON FeatureCollections in and out.

use geojson::{Feature, JsonValue};

use crate::domain::{AnyItem, DomainError, Layer};
use crate::spatial::crs::Crs;

use super::{IoError, ParsedRow, geometry_to_wgs84};

/// Parses a FeatureCollection into rows, one per feature (numbered from 1).
///
/// # Errors
/// When the text is not a GeoJSON FeatureCollection.
pub fn parse(layer: Layer, text: &str, crs: Crs) -> Result<Vec<ParsedRow>, IoError> {
    rows(text, |raw| parse_feature(layer, raw, crs))
}

/// One row per feature of a FeatureCollection (`feature N`, numbered from 1), each made by
/// `item` from the raw feature JSON.
///
/// # Errors
/// When the text is not a GeoJSON FeatureCollection.
pub(crate) fn rows(
    text: &str,
    item: impl Fn(&JsonValue) -> Result<AnyItem, DomainError>,
) -> Result<Vec<ParsedRow>, IoError> {
    let value: JsonValue =
        serde_json::from_str(text).map_err(|e| IoError::Format(format!("not JSON: {e}")))?;
    let features = value
        .get("features")
        .and_then(JsonValue::as_array)
        .ok_or_else(|| IoError::Format("not a GeoJSON FeatureCollection".into()))?;
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, raw)| ParsedRow {
            at: format!("feature {}", i + 1),
            item: item(raw),
        })
        .collect())
}

fn parse_feature(layer: Layer, raw: &JsonValue, crs: Crs) -> Result<AnyItem, DomainError> {
    let feature: Feature = serde_json::from_value(raw.clone())
        .map_err(|e| DomainError::new("feature", e.to_string()))?;
    feature_to_item(layer, feature, crs)
}

/// The item of one Feature of `layer` whose geometry is in `crs`: converted to WGS84, then
/// parsed and validated. Every file format ends here (shapefile records become Features), so
/// property names and checks are the same whatever the upload's format.
///
/// # Errors
/// A [`DomainError`] for an unknown or malformed property or an invalid geometry.
pub fn feature_to_item(
    layer: Layer,
    mut feature: Feature,
    crs: Crs,
) -> Result<AnyItem, DomainError> {
    if let Some(g) = feature.geometry.as_mut() {
        geometry_to_wgs84(g, crs);
    }
    AnyItem::from_feature(layer, &feature)
}

/// Writes items as a FeatureCollection.
#[must_use]
pub fn to_string(features: &[Feature]) -> String {
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}
