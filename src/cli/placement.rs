//! `safegrid placement`: where `k` new cameras would add the most coverage to a grid,
//! village, key area or a drawn area (`--area`, a GeoJSON polygon), among given sites
//! (`--sites`, GeoJSON points) or generated ones; [`crate::service::placement::advise`] does
//! the work, as for the API. Writes nothing. Must not import axum or sqlx.
//!
//! # Units
//! `--area` and `--sites` are lon/lat degrees in `--crs` (converted to WGS84); spacing, range
//! and height in metres, the field of view in degrees.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::config::PlacementArgs;
use crate::domain::CameraKind;
use crate::service::placement::{self, CameraBody, PlacementBody, TargetBody};
use crate::spatial::crs::Crs;
use crate::store::Store;

use super::parse_word;

pub(super) async fn placement(
    store: Arc<dyn Store>,
    args: PlacementArgs,
) -> anyhow::Result<ExitCode> {
    let crs: Crs = args.crs.parse()?;
    let geometry = match &args.area {
        Some(path) => Some(area_geometry(&read_json(path)?)?),
        None => None,
    };
    let candidates = match &args.sites {
        Some(path) => {
            let sites = site_positions(&read_json(path)?);
            if sites.is_empty() {
                bail!("--sites: {} holds no Point", path.display());
            }
            Some(sites)
        }
        None => None,
    };
    let kind = match &args.kind {
        Some(k) => Some(parse_word::<CameraKind>("--kind", k, &CameraKind::NAMES)?),
        None => None,
    };
    let body = PlacementBody {
        target: TargetBody {
            grid: args.grid,
            village: args.village,
            key_area: args.key_area,
            geometry,
        },
        k: args.k,
        weight: args.weight,
        candidates,
        spacing_m: args.spacing_m,
        camera: Some(CameraBody {
            kind,
            hfov_deg: args.hfov_deg,
            range_m: args.range_m,
            height_m: args.height_m,
        }),
        one_per_site: Some(!args.stack),
    };
    let service = super::start_service(store).await?;
    let snapshot = service.snapshot();
    let answer = placement::advise(service.coverage_cache(), &snapshot, body, crs)?;
    match args.format.as_str() {
        "table" => print!("{}", crate::console::placement(&answer)),
        "geojson" | "json" => println!("{}", serde_json::to_string_pretty(&answer)?),
        other => bail!("unknown format `{other}`: use table or geojson"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a GeoJSON file as JSON.
fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The geometries of a GeoJSON geometry, Feature or FeatureCollection.
fn geometries(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    match doc["type"].as_str() {
        Some("FeatureCollection") => doc["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| &f["geometry"])
            .collect(),
        Some("Feature") => vec![&doc["geometry"]],
        _ => vec![doc],
    }
}

/// The single Polygon or MultiPolygon of a GeoJSON geometry, Feature or FeatureCollection.
fn area_geometry(doc: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let mut polygons: Vec<&serde_json::Value> = geometries(doc)
        .into_iter()
        .filter(|g| matches!(g["type"].as_str(), Some("Polygon" | "MultiPolygon")))
        .collect();
    match polygons.len() {
        1 => Ok(polygons.remove(0).clone()),
        n => bail!("--area: expected one Polygon or MultiPolygon, found {n}"),
    }
}

/// The `[lon, lat]` of every Point (and MultiPoint member) of a GeoJSON document.
fn site_positions(doc: &serde_json::Value) -> Vec<Vec<f64>> {
    let position = |p: &serde_json::Value| -> Vec<f64> {
        p.as_array()
            .into_iter()
            .flatten()
            .map(|c| c.as_f64().unwrap_or(f64::NAN))
            .collect()
    };
    let mut out = Vec::new();
    for g in geometries(doc) {
        match g["type"].as_str() {
            Some("Point") => out.push(position(&g["coordinates"])),
            Some("MultiPoint") => out.extend(
                g["coordinates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(position),
            ),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn area_and_sites_come_from_any_geojson_shape() {
        let square = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]});
        let collection = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": square},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0.5, 0.5]}},
            {"type": "Feature", "properties": {}, "geometry":
                {"type": "MultiPoint", "coordinates": [[0.1, 0.2], [0.3, 0.4]]}},
        ]});
        assert_eq!(area_geometry(&collection).expect("one polygon"), square);
        assert_eq!(
            area_geometry(&json!({"type": "Feature", "geometry": square})).expect("a feature"),
            square
        );
        let two = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": square}, {"type": "Feature", "geometry": square},
        ]});
        assert!(area_geometry(&two).is_err());
        assert_eq!(
            site_positions(&collection),
            vec![vec![0.5, 0.5], vec![0.1, 0.2], vec![0.3, 0.4]]
        );
        assert_eq!(site_positions(&square), Vec::<Vec<f64>>::new());
    }
}
