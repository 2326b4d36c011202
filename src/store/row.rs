//! Row encoding shared by both backends: an item is stored as its key, its geometry as GeoJSON
//! text and its other fields as a JSON document.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use geojson::JsonObject;

use crate::domain::{
    AnyItem, Building, Camera, Dataset, DomainError, DomainResult, Duty, Event, Grid, Item,
    KeyArea, Layer, Obstacle, PatrolRoute, Region, Worker,
};

use super::{StoreError, StoreResult};

/// Formats a time the way it is stored: RFC 3339 UTC with microseconds, so text order is
/// time order (SQLite keeps the text; PostgreSQL casts it to `timestamptz`, which holds
/// microseconds, so both backends keep the same instant).
#[must_use]
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored RFC 3339 time.
///
/// # Errors
/// [`StoreError::Setup`] when the text is not RFC 3339.
pub fn parse_time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Setup(format!("stored time `{s}` does not parse: {e}")))
}

/// Maps a unique violation to [`StoreError::Conflict`] and a foreign-key violation to
/// [`StoreError::Reference`]; both drivers report them through the same `sqlx` predicates.
#[must_use]
pub fn classify(e: sqlx::Error, layer: Layer, key: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Conflict {
                layer,
                key: key.to_owned(),
            };
        }
        if db.is_foreign_key_violation() {
            return StoreError::Reference(format!(
                "{layer} `{key}`: a referenced parent is missing or the item is still referenced"
            ));
        }
    }
    StoreError::Database(e)
}

/// One stored item as the database returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct LayerRow {
    pub key: String,
    pub geometry: Option<String>,
    pub props: String,
}

/// One stored worker assignment.
#[derive(Debug, sqlx::FromRow)]
pub struct AssignmentRow {
    pub worker_id: String,
    pub grid_code: String,
    pub duty: String,
}

fn decode<T: Item>(row: &LayerRow) -> DomainResult<T> {
    let props: JsonObject =
        serde_json::from_str(&row.props).map_err(|e| DomainError::new("props", e.to_string()))?;
    let mut item = T::from_properties(props)?;
    let geometry = row
        .geometry
        .as_deref()
        .map(geojson::Geometry::from_str)
        .transpose()
        .map_err(|e| DomainError::new("geometry", e.to_string()))?;
    item.set_stored_geometry(geometry.as_ref())?;
    Ok(item)
}

/// Decodes a row of `layer`.
///
/// # Errors
/// [`StoreError::Corrupt`] when the stored JSON no longer parses.
pub fn decode_row(layer: Layer, row: &LayerRow) -> StoreResult<AnyItem> {
    let item = match layer {
        Layer::Region => decode::<Region>(row).map(AnyItem::Region),
        Layer::Grid => decode::<Grid>(row).map(AnyItem::Grid),
        Layer::Worker => decode::<Worker>(row).map(AnyItem::Worker),
        Layer::Camera => decode::<Camera>(row).map(AnyItem::Camera),
        Layer::PatrolRoute => decode::<PatrolRoute>(row).map(AnyItem::PatrolRoute),
        Layer::KeyArea => decode::<KeyArea>(row).map(AnyItem::KeyArea),
        Layer::Event => decode::<Event>(row).map(AnyItem::Event),
        Layer::Building => decode::<Building>(row).map(AnyItem::Building),
        Layer::Obstacle => decode::<Obstacle>(row).map(AnyItem::Obstacle),
    };
    item.map_err(|source| StoreError::Corrupt {
        table: layer.table(),
        key: row.key.clone(),
        source,
    })
}

/// Decodes a grid row (for grid versions).
///
/// # Errors
/// [`StoreError::Corrupt`].
pub fn decode_grid(row: &LayerRow) -> StoreResult<Grid> {
    decode::<Grid>(row).map_err(|source| StoreError::Corrupt {
        table: "grid_version",
        key: row.key.clone(),
        source,
    })
}

/// The duty name as stored.
#[must_use]
pub fn duty_name(duty: Duty) -> String {
    match serde_json::to_value(duty) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parses a stored duty name.
///
/// # Errors
/// [`StoreError::Corrupt`].
pub fn parse_duty(row: &AssignmentRow) -> StoreResult<Duty> {
    serde_json::from_value(serde_json::Value::String(row.duty.clone())).map_err(|e| {
        StoreError::Corrupt {
            table: "assignment",
            key: format!("{}/{}", row.worker_id, row.grid_code),
            source: DomainError::new("duty", e.to_string()),
        }
    })
}

/// Replaces each worker's `grids` by the stored assignments (the assignment table is the truth).
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown duty.
pub fn attach_assignments(data: &mut Dataset, rows: &[AssignmentRow]) -> StoreResult<()> {
    let mut by_worker: std::collections::HashMap<&str, Vec<crate::domain::Assignment>> =
        std::collections::HashMap::new();
    for row in rows {
        by_worker
            .entry(row.worker_id.as_str())
            .or_default()
            .push(crate::domain::Assignment {
                grid: row.grid_code.clone(),
                duty: parse_duty(row)?,
            });
    }
    for worker in &mut data.workers {
        worker.grids = by_worker.remove(worker.id.as_str()).unwrap_or_default();
    }
    Ok(())
}

/// Rows per multi-row insert: well under SQLite's 32,766 bound parameters at 6 columns.
pub const BATCH_ROWS: usize = 1_000;

/// The extra, referenced columns of a layer's table beside key, geometry and props.
#[must_use]
pub fn link_columns(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Region => &["parent_code"],
        Layer::Grid => &["community_code", "parent_code", "version"],
        _ => &[],
    }
}

/// Whether a layer's table has a geometry column.
#[must_use]
pub fn has_geometry(layer: Layer) -> bool {
    layer != Layer::Worker
}

/// Values of the link columns of a region (parent code).
#[must_use]
pub fn region_parent(item: &AnyItem) -> Option<String> {
    match item {
        AnyItem::Region(r) => r.parent_code.clone(),
        _ => None,
    }
}

/// One step of applying a batch: a run of plain puts of one layer (written with multi-row
/// statements), or one change written on its own (grids with their versions, workers with their
/// assignments, and everything with a precondition).
#[derive(Debug)]
pub enum Step<'a> {
    /// Puts of one layer.
    Batch(crate::domain::Layer, Vec<&'a AnyItem>),
    /// One change.
    One(&'a super::Change),
}

/// Splits a batch into [`Step`]s, keeping its order.
#[must_use]
pub fn plan(changes: &[super::Change]) -> Vec<Step<'_>> {
    use super::Change;
    let mut steps = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        if let Change::Put(first) = &changes[i]
            && !matches!(first.layer(), Layer::Grid | Layer::Worker)
        {
            let layer = first.layer();
            let run: Vec<&AnyItem> = changes[i..]
                .iter()
                .map_while(|c| match c {
                    Change::Put(item) if item.layer() == layer => Some(item),
                    _ => None,
                })
                .collect();
            i += run.len();
            steps.push(Step::Batch(layer, run));
        } else {
            steps.push(Step::One(&changes[i]));
            i += 1;
        }
    }
    steps
}

/// Builds a token record from its stored columns.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown role.
pub fn token_from_row(
    (hash, name, role): (String, String, String),
) -> StoreResult<super::TokenRecord> {
    let role = crate::domain::Role::parse(&role).map_err(|source| StoreError::Corrupt {
        table: "api_token",
        key: name.clone(),
        source,
    })?;
    Ok(super::TokenRecord { hash, name, role })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_areas_are_not_checked_for_validity_again() {
        // A bow-tie could never have been written; were one stored, loading it must not pay
        // for a validity check (it took minutes for big polygons at start-up).
        let row = LayerRow {
            key: "K9".into(),
            geometry: Some(
                r#"{"type":"Polygon","coordinates":[[[120,29],[120.01,29.01],[120.01,29],[120,29.01],[120,29]]]}"#
                    .into(),
            ),
            props: r#"{"id":"K9","name":"x","category":"urban_village","listed_date":"2026-01-01","deadline":"2026-06-30","status":"listed"}"#.into(),
        };
        let AnyItem::KeyArea(k) = decode_row(Layer::KeyArea, &row).expect("loads") else {
            panic!("a key area");
        };
        assert_eq!(k.area.0[0].exterior().0.len(), 5);
        // The same geometry through the write path is refused.
        assert!(KeyArea::from_feature(&k.to_feature()).is_err());
        // The structure is still checked: an open ring does not load.
        let open = LayerRow {
            geometry: Some(
                r#"{"type":"Polygon","coordinates":[[[120,29],[120.01,29.01],[120.01,29],[120,29.01]]]}"#
                    .into(),
            ),
            ..row
        };
        assert!(decode_row(Layer::KeyArea, &open).is_err());
    }
}
