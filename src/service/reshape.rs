//! Reshaping a grid with topological editing ([`Service::reshape_grid`]): the planner's new
//! boundary for one grid, with every vertex edit on a boundary it shares carried into the
//! neighbours (sibling grids, and its own micro-grids) in the same transaction, as QGIS's
//! topological editing does. The vertex edits are read and replayed by
//! [`crate::spatial::shared_vertices`]; [`carried_neighbours`] is also what the dry-run check
//! shows before saving.
//!
//! And the other half of the UX rule, "avoid overlap": [`clipped_to_siblings`], a drawn grid
//! without the parts its siblings already hold, offered by the check as a one-click fix.

use std::collections::HashSet;

use geo::{BooleanOps, BoundingRect, MultiPolygon};

use crate::domain::validity::check_area;
use crate::domain::{AnyItem, Grid, Item, Layer, Problem};
use crate::spatial::Snapshot;
use crate::spatial::edit::cleaned;
use crate::spatial::shared_vertices::{apply_edits, vertex_edits};
use crate::spatial::topology::{self, area_m2_in};
use crate::store::Change;

use super::grid_edit::report::{EditReport, EditResult, frame_of, refused};
use super::{Service, ServiceError, checks};

/// The neighbours of `old` — siblings at its level and its own micro-grids — with the vertex
/// edits that turn `old` into `new` replayed on the vertices and edges they share. Only the
/// neighbours that change are listed.
#[must_use]
pub fn carried_neighbours(snapshot: &Snapshot, old: &Grid, new: &MultiPolygon) -> Vec<Grid> {
    let edits = vertex_edits(&old.area, new);
    let Some(rect) = old.area.bounding_rect() else {
        return Vec::new();
    };
    if edits.is_empty() {
        return Vec::new();
    }
    snapshot
        .grids
        .intersecting(rect)
        .filter(|g| {
            g.code != old.code
                && ((g.community_code() == old.community_code()
                    && g.parent_code == old.parent_code)
                    || g.parent_code.as_deref() == Some(old.code.as_str()))
        })
        .filter_map(|g| {
            let area = apply_edits(&g.area, &edits)?;
            let mut carried = g.clone();
            carried.area = area;
            Some(carried)
        })
        .collect()
}

/// `grid`'s boundary without what its siblings hold, inside its village (or parent grid);
/// `None` when it overlaps no sibling (or nothing valid is left). Slivers and spikes the
/// overlay leaves are dropped ([`cleaned`]).
#[must_use]
pub fn clipped_to_siblings(
    snapshot: &Snapshot,
    grid: &Grid,
    ignore: &[&str],
) -> Option<MultiPolygon> {
    let overlaps = topology::sibling_overlaps_ignoring(snapshot, grid, ignore);
    if overlaps.is_empty() {
        return None;
    }
    let mut area = grid.area.clone();
    for o in &overlaps {
        if let Some(sibling) = snapshot.grids.get(&o.code) {
            area = area.difference(&sibling.area);
        }
    }
    let container = match &grid.parent_code {
        Some(parent) => snapshot.grids.get(parent).map(|g| &g.area),
        None => snapshot.regions.get(grid.community_code()).map(|r| &r.area),
    };
    if let Some(container) = container {
        area = area.intersection(container);
    }
    cleaned(&area)
}

impl Service {
    /// Replaces grid `code` by `grid` (parsed from a Feature, as `PUT /grids/{code}` does) and, with
    /// `carry_shared`, carries every vertex edit on a shared boundary into the neighbours, all
    /// in one transaction. The report lists the grid first, then the neighbours that changed.
    ///
    /// # Errors
    /// Not found, invalid features, a code that differs from `code`, a neighbour the edit
    /// would make invalid, overlaps (with neighbours as carried) and store failures.
    pub async fn reshape_grid(
        &self,
        code: &str,
        grid: Grid,
        carry_shared: bool,
    ) -> EditResult<EditReport> {
        if grid.code != code {
            return Err(refused(
                Problem::Invalid,
                "code",
                format!(
                    "a reshaped grid keeps its code: `{}` differs from `{code}`",
                    grid.code
                ),
            ));
        }
        grid.validate()?;
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        let old = current
            .grids
            .get(code)
            .ok_or_else(|| ServiceError::NotFound {
                layer: Layer::Grid,
                key: code.to_owned(),
            })?;
        checks::check_references(&current, &AnyItem::Grid(grid.clone()), &HashSet::new())?;
        let neighbours = if carry_shared {
            carried_neighbours(&current, old, &grid.area)
        } else {
            Vec::new()
        };
        for n in &neighbours {
            check_area(&n.area).map_err(|e| {
                refused(
                    Problem::SelfIntersection,
                    "geometry",
                    format!(
                        "carrying the edit into neighbouring grid `{}` would make its boundary invalid: {e}",
                        n.code
                    ),
                )
            })?;
        }
        let mut written = vec![grid.clone()];
        written.extend(neighbours);
        let changes: Vec<Change> = written
            .iter()
            .map(|g| Change::Replace(AnyItem::Grid(g.clone())))
            .collect();
        let frame = frame_of(&old.area);
        let areas_before_m2 = written
            .iter()
            .filter_map(|g| current.grids.get(&g.code))
            .map(|g| (g.code.clone(), area_m2_in(&g.area, &frame)))
            .collect();
        let next = self.check_and_commit(&current, &changes, &written).await?;
        Ok(EditReport {
            gaps: topology::gaps_in(&next, grid.community_code(), grid.parent_code.as_deref()),
            areas_before_m2,
            areas_after_m2: written
                .iter()
                .map(|g| (g.code.clone(), area_m2_in(&g.area, &frame)))
                .collect(),
            grids: written,
            retired: Vec::new(),
            apportioned_by: None,
            workers: Vec::new(),
            micro_grids: Vec::new(),
        })
    }
}
