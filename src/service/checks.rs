//! Checks of a write against the rest of the map: references that must exist, references that
//! must not dangle after a delete, and grid overlaps with siblings.

use std::collections::HashSet;

use crate::domain::{AnyItem, DomainError, Grid, Layer, Problem, Region, Worker};
use crate::spatial::Snapshot;
use crate::spatial::topology;
use crate::store::Change;

use super::{ServiceError, ServiceResult};

fn conflict(problem: Problem, field: &str, message: String) -> ServiceError {
    ServiceError::Conflict {
        field: field.into(),
        message,
        problem,
    }
}

/// Checks one change of an interactive write.
///
/// # Errors
/// The first broken reference or overlap.
pub fn check_change(snapshot: &Snapshot, change: &Change) -> ServiceResult<()> {
    match change {
        Change::Insert(item) | Change::Replace(item) | Change::Put(item) => {
            check_references(snapshot, item, &HashSet::new())?;
            if let AnyItem::Grid(grid) = item {
                check_overlaps(snapshot, grid)?;
            }
            Ok(())
        }
        Change::Delete(layer, key) => check_delete(snapshot, *layer, key),
    }
}

/// Checks a batch (import): references may point at items of the batch itself.
///
/// # Errors
/// The first broken reference or overlap, naming the item.
pub fn check_batch(snapshot: &Snapshot, items: &[AnyItem]) -> ServiceResult<()> {
    let in_batch: HashSet<(Layer, &str)> = items.iter().map(|i| (i.layer(), i.key())).collect();
    let mut seen = HashSet::new();
    for item in items {
        if !seen.insert((item.layer(), item.key())) {
            return Err(conflict(
                Problem::Duplicate,
                item.layer().key_field(),
                format!(
                    "{} `{}` appears twice in the batch",
                    item.layer(),
                    item.key()
                ),
            ));
        }
        check_references(snapshot, item, &in_batch)?;
    }
    if items.iter().any(|i| matches!(i, AnyItem::Grid(_))) {
        let after = snapshot.with_changes(items, &[]);
        for item in items {
            if let AnyItem::Grid(grid) = item {
                check_overlaps(&after, grid)?;
            }
        }
    }
    Ok(())
}

fn check_overlaps(snapshot: &Snapshot, grid: &Grid) -> ServiceResult<()> {
    let overlaps = topology::sibling_overlaps(snapshot, grid);
    if overlaps.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Overlap {
            code: grid.code.clone(),
            overlaps,
        })
    }
}

pub(super) fn check_references(
    snapshot: &Snapshot,
    item: &AnyItem,
    batch: &HashSet<(Layer, &str)>,
) -> ServiceResult<()> {
    let known = |layer: Layer, key: &str| {
        batch.contains(&(layer, key))
            || match layer {
                Layer::Region => snapshot.regions.get(key).is_some(),
                Layer::Grid => snapshot.grids.get(key).is_some(),
                _ => true,
            }
    };
    match item {
        AnyItem::Region(Region {
            parent_code: Some(parent),
            ..
        }) if !known(Layer::Region, parent) => Err(conflict(
            Problem::UnknownReference,
            "parent_code",
            format!("unknown parent region `{parent}`"),
        )),
        AnyItem::Grid(grid) => {
            let community = grid.community_code();
            if !known(Layer::Region, community) {
                return Err(conflict(
                    Problem::UnknownReference,
                    "code",
                    format!(
                        "grid `{}` starts with `{community}`, which is not a known village/community code",
                        grid.code
                    ),
                ));
            }
            if let Some(parent) = &grid.parent_code {
                if !known(Layer::Grid, parent) {
                    return Err(conflict(
                        Problem::UnknownReference,
                        "parent_code",
                        format!("unknown parent grid `{parent}`"),
                    ));
                }
                if snapshot
                    .grids
                    .get(parent)
                    .is_some_and(|p| p.parent_code.is_some())
                {
                    return Err(DomainError::new(
                        "parent_code",
                        format!("`{parent}` is itself a micro-grid; micro-grids do not nest"),
                    )
                    .into());
                }
            }
            Ok(())
        }
        AnyItem::Worker(Worker { grids, .. }) => {
            for (i, a) in grids.iter().enumerate() {
                if !known(Layer::Grid, &a.grid) {
                    return Err(conflict(
                        Problem::UnknownReference,
                        &format!("grids[{i}].grid"),
                        format!("unknown grid `{}`", a.grid),
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_delete(snapshot: &Snapshot, layer: Layer, key: &str) -> ServiceResult<()> {
    // Nothing refers to an event, and whether it exists is the store's to say (the snapshot
    // does not hold events whole).
    if layer == Layer::Event {
        return Ok(());
    }
    if snapshot.get(layer, key).is_none() {
        return Err(ServiceError::NotFound {
            layer,
            key: key.to_owned(),
        });
    }
    match layer {
        Layer::Region => {
            let children: Vec<&str> = snapshot
                .regions
                .iter()
                .filter(|r| r.parent_code.as_deref() == Some(key))
                .map(|r| r.code.as_str())
                .take(5)
                .collect();
            let grids = snapshot
                .grids
                .iter()
                .filter(|g| g.community_code() == key)
                .count();
            if !children.is_empty() || grids > 0 {
                return Err(conflict(
                    Problem::InUse,
                    "code",
                    format!(
                        "region `{key}` still has {} child region(s) (e.g. {}) and {grids} grid(s); delete or move them first",
                        children.len(),
                        children.join(", ")
                    ),
                ));
            }
            Ok(())
        }
        Layer::Grid => {
            if let Some(workers) = snapshot.grid_workers.get(key).filter(|w| !w.is_empty()) {
                let ids: Vec<&str> = workers.iter().map(|(id, _)| id.as_str()).collect();
                return Err(conflict(
                    Problem::InUse,
                    "code",
                    format!(
                        "grid `{key}` still has workers assigned ({}); reassign them first",
                        ids.join(", ")
                    ),
                ));
            }
            let micro: Vec<&str> = snapshot
                .grids
                .iter()
                .filter(|g| g.parent_code.as_deref() == Some(key))
                .map(|g| g.code.as_str())
                .collect();
            if !micro.is_empty() {
                return Err(conflict(
                    Problem::InUse,
                    "code",
                    format!(
                        "grid `{key}` still has micro-grids ({}); delete them first",
                        micro.join(", ")
                    ),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
