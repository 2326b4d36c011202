//! The planner's grid edits: a dry-run check of a drawn grid ([`Service::check_grid`]), a split
//! along a line ([`Service::split_grid`]), a merge of neighbours ([`Service::merge_grids`]) and
//! the next free grid code ([`Service::next_grid_code`]).
//!
//! A split or a merge is one list of [`Change`]s — the new or enlarged grid(s), micro-grids
//! moved to their new parent, workers with their new assignments, the retired grids — checked
//! against the snapshot it leads to, committed by one [`Store::apply`](crate::store::Store::apply)
//! (one transaction: every new or enlarged grid opens a version, each retired grid's version
//! closes at the same instant) and published after the commit. A refused edit changes nothing.
//! The geometry is in [`crate::spatial::edit`].
//!
//! The rules, as a planner meets them:
//! - **split**: the old grid is retired (its history keeps it). The first code and name go to
//!   the piece left of the line as drawn (from its first position to its last). Every worker
//!   of the old grid serves both pieces with the same duty. Micro-grids move to the piece that
//!   holds them; a micro-grid the line cuts stops the split. Households and residents are
//!   shared in proportion to the households of the buildings in each piece, or by area when
//!   no building with households lies in the grid. Without codes, the pieces take the next two
//!   free serials of the village; without names, the old name with `-1` and `-2`.
//! - **merge**: grids of one village at one level (top-level grids, or micro-grids of one
//!   parent), each linked to the kept grid through boundaries shared over at least
//!   [`MIN_SHARED_EDGE_M`] (touching at a corner is not enough). Households and residents add
//!   up. Workers of the retired grids move to the kept grid: a worker already serving it keeps
//!   that duty; the others bring the duty they had in the first listed grid they served.
//! - **codes are never reused**: the next code follows the highest serial the village has
//!   ever used, retired grids included, and a split refuses a code a retired grid had.
//!
//! # Units
//! Areas in m², in one [`LocalFrame`] per edit so that pieces add up to the whole.

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{BooleanOps, BoundingRect, Intersects, LineString, MultiPolygon};
use geojson::{Feature, JsonValue};

use crate::analysis::division::short_name;
use crate::domain::codes::{check_grid_code, community_of_grid};
use crate::domain::geometry::parse_area;
use crate::domain::validity::check_area;
use crate::domain::{
    AnyItem, Assignment, DomainError, Duty, Grid, GridKind, Item, Layer, Problem, Region, Worker,
};
use crate::spatial::Snapshot;
use crate::spatial::edit::{MIN_SHARED_EDGE_M, shared_edge_m, split_by_line, union_all};
use crate::spatial::measure::LocalFrame;
use crate::spatial::topology::{self, AREA_TOLERANCE_M2, Gap, Overlap, area_m2, area_m2_in};
use crate::store::Change;

use super::reshape::{carried_neighbours, clipped_to_siblings};
use super::{Service, ServiceError, ServiceResult, checks};

pub(super) mod report;

pub use report::{Apportion, EditError, EditReport, EditResult, MicroGridMove, WorkerMove};
pub(super) use report::{frame_of, refused};

/// Most grids one merge may list.
pub const MAX_MERGE: usize = 50;

fn grid_not_found(code: &str) -> ServiceError {
    ServiceError::NotFound {
        layer: Layer::Grid,
        key: code.to_owned(),
    }
}

/// What saving a drawn grid would do, without saving it.
#[derive(Debug, Clone, Default)]
pub struct GridCheck {
    /// Whether the save would be accepted (`errors` is empty).
    pub valid: bool,
    /// Every reason the save would be refused, by field: validation (an invalid ring, a
    /// missing name), the code, references, and one per overlap.
    pub errors: Vec<DomainError>,
    /// Sibling grids the drawn grid overlaps, with the overlapping parts.
    pub overlaps: Vec<Overlap>,
    /// Parts of the village (or of the parent grid) left uncovered after the save.
    pub gaps: Vec<Gap>,
    /// Area of the drawn grid outside its village (or parent grid), m²: reported, as a save
    /// would, but not refused.
    pub outside_parent_m2: f64,
    /// With `carry_shared`: the neighbours a reshape would change, as they would become.
    pub carried: Vec<Grid>,
    /// When the grid overlaps siblings: its boundary without their parts (avoid overlap).
    pub clipped: Option<MultiPolygon>,
}

/// A split as asked.
#[derive(Debug, Clone)]
pub struct SplitRequest {
    /// The cut, crossing the grid from outside to outside.
    pub line: LineString,
    /// Codes of the pieces left and right of the line; the next free serials when `None`.
    pub codes: Option<Vec<String>>,
    /// Names of the pieces left and right of the line; the old name with `-1`, `-2` when
    /// `None`.
    pub names: Option<Vec<String>>,
}

impl Service {
    /// What saving `feature` would do — errors, overlaps (with their parts), gaps left, area
    /// outside the parent — without writing. `replaces` names the grid the feature would
    /// replace (`PUT /grids/{replaces}`); without it the feature is checked as a new grid.
    /// An invalid feature is a result (`valid: false`), not an error, so that the map can show
    /// why while the planner draws. With `carry_shared` (and `replaces`), the vertex edits on
    /// shared boundaries are carried into the neighbours first, as
    /// [`Service::reshape_grid`] would, and the overlaps and gaps are those after it.
    #[must_use]
    pub fn check_grid(
        &self,
        feature: &Feature,
        replaces: Option<&str>,
        carry_shared: bool,
    ) -> GridCheck {
        let mut snapshot = self.snapshot();
        let mut feature = feature.clone();
        if let Some(code) = replaces
            && feature.id.is_none()
        {
            // As a PUT fills the code in from the URL.
            feature
                .properties
                .get_or_insert_with(Default::default)
                .entry("code")
                .or_insert_with(|| JsonValue::String(code.to_owned()));
        }
        let mut errors = Vec::new();
        let grid = match Grid::from_feature(&feature) {
            Ok(grid) => Some(grid),
            Err(e) => {
                errors.push(e);
                probe_grid(&feature, &mut errors)
            }
        };
        let Some(grid) = grid else {
            return GridCheck {
                valid: false,
                errors,
                ..GridCheck::default()
            };
        };
        match replaces {
            Some(old) if snapshot.grids.get(old).is_none() => errors.push(DomainError::new(
                "replaces",
                format!("grid `{old}` does not exist"),
            )),
            Some(old) if old != grid.code => errors.push(DomainError::new(
                "code",
                format!(
                    "a changed grid keeps its code: `{}` differs from `{old}`, the grid it replaces",
                    grid.code
                ),
            )),
            None if snapshot.grids.get(&grid.code).is_some() => errors.push(DomainError::new(
                "code",
                format!(
                    "grid `{0}` exists already; send \"replaces\": \"{0}\" to check a change to it",
                    grid.code
                ),
            )),
            _ => {}
        }
        if let Err(e) =
            checks::check_references(&snapshot, &AnyItem::Grid(grid.clone()), &HashSet::new())
        {
            errors.push(as_field_error(e));
        }
        let carried = match replaces.and_then(|old| snapshot.grids.get(old)) {
            Some(old) if carry_shared => carried_neighbours(&snapshot, old, &grid.area),
            _ => Vec::new(),
        };
        for n in &carried {
            if let Err(e) = check_area(&n.area) {
                errors.push(DomainError::new(
                    "geometry",
                    format!(
                        "carrying the edit into neighbouring grid `{}` would make its boundary invalid: {e}",
                        n.code
                    ),
                ));
            }
        }
        if !carried.is_empty() {
            let puts: Vec<AnyItem> = carried.iter().cloned().map(AnyItem::Grid).collect();
            snapshot = std::sync::Arc::new(snapshot.with_changes(&puts, &[]));
        }
        let removed: Vec<&str> = replaces.into_iter().collect();
        let overlaps = topology::sibling_overlaps_ignoring(&snapshot, &grid, &removed);
        let clipped = clipped_to_siblings(&snapshot, &grid, &removed);
        errors.extend(overlaps.iter().map(|o| {
            DomainError::new(
                "geometry",
                format!("overlaps grid `{}` by {:.1} m²", o.code, o.area_m2),
            )
        }));
        let gaps = topology::gaps_with(
            &snapshot,
            grid.community_code(),
            grid.parent_code.as_deref(),
            Some(&grid),
            &removed,
        );
        let outside = container(&snapshot, &grid)
            .map_or(0.0, |parent| area_m2(&grid.area.difference(parent)));
        GridCheck {
            valid: errors.is_empty(),
            errors,
            overlaps,
            gaps,
            outside_parent_m2: if outside > AREA_TOLERANCE_M2 {
                (outside * 10.0).round() / 10.0
            } else {
                0.0
            },
            carried,
            clipped,
        }
    }

    /// Splits grid `code` in two along `request.line` in one transaction; see the module
    /// documentation for the rules.
    ///
    /// # Errors
    /// [`EditError::Refused`] for a line that does not leave exactly two pieces or that cuts a
    /// micro-grid; not found, invalid or used codes and names, overlaps and store failures as
    /// [`EditError::Service`].
    pub async fn split_grid(&self, code: &str, request: SplitRequest) -> EditResult<EditReport> {
        let names = request.names.map(|n| exactly_two("names", n)).transpose()?;
        if let Some(names) = &names {
            for (i, name) in names.iter().enumerate() {
                if name.trim().is_empty() {
                    return Err(DomainError::of(
                        Problem::Missing,
                        format!("names[{i}]"),
                        "must not be empty",
                    )
                    .into());
                }
            }
        }
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        let old = current
            .grids
            .get(code)
            .ok_or_else(|| grid_not_found(code))?
            .clone();
        let village = old.community_code();
        let codes = if let Some(codes) = request.codes {
            let codes = exactly_two("codes", codes)?;
            check_new_codes(&current, village, &codes)?;
            codes
        } else {
            let mut free = free_codes(&current, village, 2)?.into_iter();
            [
                free.next().unwrap_or_default(),
                free.next().unwrap_or_default(),
            ]
        };
        let names = names.unwrap_or_else(|| [format!("{}-1", old.name), format!("{}-2", old.name)]);
        let split = split_by_line(&old.area, &request.line)
            .map_err(|e| refused(Problem::BadCutLine, "line", e.to_string()))?;
        let pieces = [split.left, split.right];
        for piece in &pieces {
            check_valid_area(piece)?;
        }
        let frame = frame_of(&old.area);
        let (left_share, apportioned_by) = apportion(&current, &pieces, &frame);
        let households = share_out(old.households, left_share);
        let population = share_out(old.population, left_share);
        let grids: Vec<Grid> = (0..2)
            .map(|i| Grid {
                code: codes[i].clone(),
                name: names[i].clone(),
                kind: old.kind,
                households: households[i],
                population: population[i],
                parent_code: old.parent_code.clone(),
                area: pieces[i].clone(),
            })
            .collect();
        for grid in &grids {
            grid.validate()?;
        }

        let mut micro_grids = Vec::new();
        let mut moved_micro = Vec::new();
        for micro in current
            .grids
            .iter()
            .filter(|g| g.parent_code.as_deref() == Some(code))
        {
            let inside = pieces
                .each_ref()
                .map(|p| area_m2_in(&micro.area.intersection(p), &frame));
            if inside.iter().all(|&a| a > AREA_TOLERANCE_M2) {
                return Err(refused(
                    Problem::CutsMicroGrid,
                    "line",
                    format!(
                        "the line cuts micro-grid `{}` ({:.1} m² left of it, {:.1} m² right); split that micro-grid first or draw the line along its edge",
                        micro.code, inside[0], inside[1]
                    ),
                ));
            }
            let to = usize::from(inside[1] > inside[0]);
            let mut moved = micro.clone();
            moved.parent_code = Some(codes[to].clone());
            micro_grids.push(MicroGridMove {
                code: micro.code.clone(),
                parent_code: codes[to].clone(),
            });
            moved_micro.push(moved);
        }

        let mut workers = Vec::new();
        let mut worker_moves = Vec::new();
        for worker in workers_of(&current, &[code]) {
            let mut worker = worker.clone();
            let Some(i) = worker.grids.iter().position(|a| a.grid == code) else {
                continue;
            };
            let duty = worker.grids[i].duty;
            worker.grids.splice(
                i..=i,
                codes.iter().map(|c| Assignment {
                    grid: c.clone(),
                    duty,
                }),
            );
            worker_moves.push(WorkerMove {
                id: worker.id.clone(),
                duty,
                grids: codes.to_vec(),
            });
            workers.push(worker);
        }

        let mut changes: Vec<Change> = grids
            .iter()
            .map(|g| Change::Insert(AnyItem::Grid(g.clone())))
            .collect();
        changes.extend(edited(moved_micro, workers));
        changes.push(Change::Delete(Layer::Grid, code.to_owned()));
        let next = self.check_and_commit(&current, &changes, &grids).await?;

        Ok(EditReport {
            gaps: topology::gaps_in(&next, village, old.parent_code.as_deref()),
            areas_before_m2: vec![(code.to_owned(), area_m2_in(&old.area, &frame))],
            areas_after_m2: areas_in(&grids, &frame),
            grids,
            retired: vec![code.to_owned()],
            apportioned_by: Some(apportioned_by),
            workers: worker_moves,
            micro_grids,
        })
    }

    /// Merges the grids of `codes` into `keep` in one transaction; see the module
    /// documentation for the rules. `name` renames the kept grid.
    ///
    /// # Errors
    /// [`EditError::Refused`] for grids of different villages or levels, or not linked by
    /// shared edges (naming the pair); not found, invalid lists, overlaps and store failures as
    /// [`EditError::Service`].
    pub async fn merge_grids(
        &self,
        codes: &[String],
        keep: &str,
        name: Option<String>,
    ) -> EditResult<EditReport> {
        if codes.len() < 2 || codes.len() > MAX_MERGE {
            return Err(DomainError::new(
                "codes",
                format!("list 2 to {MAX_MERGE} grids to merge, got {}", codes.len()),
            )
            .into());
        }
        for (i, c) in codes.iter().enumerate() {
            if codes[..i].contains(c) {
                return Err(DomainError::new(
                    format!("codes[{i}]"),
                    format!("grid `{c}` is listed twice"),
                )
                .into());
            }
        }
        if !codes.iter().any(|c| c == keep) {
            return Err(DomainError::new(
                "keep",
                format!("`{keep}` must be one of the grids listed in `codes`"),
            )
            .into());
        }
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        let grids = codes
            .iter()
            .map(|c| current.grids.get(c).ok_or_else(|| grid_not_found(c)))
            .collect::<ServiceResult<Vec<&Grid>>>()?;
        let kept_at = codes.iter().position(|c| c == keep).unwrap_or(0);
        let kept = grids[kept_at];
        for other in &grids {
            if other.community_code() != kept.community_code() {
                return Err(refused(
                    Problem::DifferentVillages,
                    "codes",
                    format!(
                        "grids `{}` and `{}` belong to different villages (`{}`, `{}`); only grids of one village merge",
                        kept.code,
                        other.code,
                        kept.community_code(),
                        other.community_code()
                    ),
                ));
            }
            if other.parent_code != kept.parent_code {
                return Err(refused(
                    Problem::DifferentLevels,
                    "codes",
                    format!(
                        "grids `{}` ({}) and `{}` ({}) are at different levels; only top-level grids, or micro-grids of one parent, merge",
                        kept.code,
                        level(kept),
                        other.code,
                        level(other)
                    ),
                ));
            }
        }
        check_linked(&grids, kept_at)?;

        let areas: Vec<&MultiPolygon> = grids.iter().map(|g| &g.area).collect();
        let union = union_all(&areas);
        check_valid_area(&union)?;
        let merged = Grid {
            code: kept.code.clone(),
            name: name.unwrap_or_else(|| kept.name.clone()),
            kind: kept.kind,
            households: grids
                .iter()
                .fold(0u32, |n, g| n.saturating_add(g.households)),
            population: grids
                .iter()
                .fold(0u32, |n, g| n.saturating_add(g.population)),
            parent_code: kept.parent_code.clone(),
            area: union,
        };
        merged.validate()?;
        let retired: Vec<String> = codes.iter().filter(|c| *c != keep).cloned().collect();
        let is_retired = |c: &str| retired.iter().any(|r| r == c);

        let mut micro_grids = Vec::new();
        let mut moved_micro = Vec::new();
        for micro in current.grids.iter() {
            if micro.parent_code.as_deref().is_some_and(is_retired) {
                let mut moved = micro.clone();
                moved.parent_code = Some(keep.to_owned());
                micro_grids.push(MicroGridMove {
                    code: micro.code.clone(),
                    parent_code: keep.to_owned(),
                });
                moved_micro.push(moved);
            }
        }

        let retired_refs: Vec<&str> = retired.iter().map(String::as_str).collect();
        let mut workers = Vec::new();
        let mut worker_moves = Vec::new();
        for worker in workers_of(&current, &retired_refs) {
            let mut worker = worker.clone();
            let brought = codes
                .iter()
                .filter(|c| is_retired(c))
                .find_map(|c| worker.grids.iter().find(|a| &a.grid == c))
                .map_or(Duty::PartTime, |a| a.duty);
            worker.grids.retain(|a| !is_retired(&a.grid));
            let duty = if let Some(a) = worker.grids.iter().find(|a| a.grid == keep) {
                a.duty
            } else {
                worker.grids.push(Assignment {
                    grid: keep.to_owned(),
                    duty: brought,
                });
                brought
            };
            worker_moves.push(WorkerMove {
                id: worker.id.clone(),
                duty,
                grids: vec![keep.to_owned()],
            });
            workers.push(worker);
        }

        let frame = frame_of(&merged.area);
        let areas_before_m2 = grids
            .iter()
            .map(|g| (g.code.clone(), area_m2_in(&g.area, &frame)))
            .collect();

        let mut changes = vec![Change::Replace(AnyItem::Grid(merged.clone()))];
        changes.extend(edited(moved_micro, workers));
        changes.extend(
            retired
                .iter()
                .map(|c| Change::Delete(Layer::Grid, c.clone())),
        );
        let next = self
            .check_and_commit(&current, &changes, std::slice::from_ref(&merged))
            .await?;
        Ok(EditReport {
            gaps: topology::gaps_in(
                &next,
                merged.community_code(),
                merged.parent_code.as_deref(),
            ),
            areas_after_m2: areas_in(std::slice::from_ref(&merged), &frame),
            areas_before_m2,
            grids: vec![merged],
            retired,
            apportioned_by: None,
            workers: worker_moves,
            micro_grids,
        })
    }

    /// The next free grid code of `village` (12 digits): the village code and the serial after
    /// the highest it has ever used, retired grids included.
    ///
    /// # Errors
    /// An unknown village; a village whose serials are used up to 999.
    pub fn next_grid_code(&self, village: &str) -> ServiceResult<(String, String)> {
        let snapshot = self.snapshot();
        let Some(region) = snapshot.regions.get(village) else {
            return Err(ServiceError::NotFound {
                layer: Layer::Region,
                key: village.to_owned(),
            });
        };
        let code = free_codes(&snapshot, village, 1)?.remove(0);
        let serial: u32 = code[12..].parse().unwrap_or_default();
        let name = format!("{}第{serial}网格", grid_name_stem(&snapshot, region));
        Ok((code, name))
    }

    /// Builds the snapshot `changes` lead to, refuses overlaps of the `written` grids in it,
    /// commits and publishes. The caller holds the writer lock.
    pub(super) async fn check_and_commit(
        &self,
        current: &Snapshot,
        changes: &[Change],
        written: &[Grid],
    ) -> ServiceResult<std::sync::Arc<Snapshot>> {
        let mut puts = Vec::new();
        let mut deletes = Vec::new();
        for change in changes {
            match change {
                Change::Insert(i) | Change::Replace(i) | Change::Put(i) => puts.push(i.clone()),
                Change::Delete(l, k) => deletes.push((*l, k.clone())),
            }
        }
        let next = current.with_changes(&puts, &deletes);
        for grid in written {
            let overlaps = topology::sibling_overlaps(&next, grid);
            if !overlaps.is_empty() {
                return Err(ServiceError::Overlap {
                    code: grid.code.clone(),
                    overlaps,
                });
            }
        }
        self.commit(changes, next).await
    }
}

/// Replace changes for moved micro-grids and re-assigned workers.
pub(super) fn edited(micro: Vec<Grid>, workers: Vec<Worker>) -> impl Iterator<Item = Change> {
    micro
        .into_iter()
        .map(|g| Change::Replace(AnyItem::Grid(g)))
        .chain(
            workers
                .into_iter()
                .map(|w| Change::Replace(AnyItem::Worker(w))),
        )
}

/// A [`DomainError`] for a check result from any service error.
fn as_field_error(e: ServiceError) -> DomainError {
    match e {
        ServiceError::Invalid(d) => d,
        ServiceError::Conflict {
            field,
            message,
            problem,
        } => DomainError::of(problem, field, message),
        other => DomainError::new("grid", other.to_string()),
    }
}

/// The code, parent and geometry of a feature whose other properties are invalid, so that a
/// check can still report overlaps and gaps; `None` (with the reason added to `errors`) when
/// the geometry or the code is unusable.
fn probe_grid(feature: &Feature, errors: &mut Vec<DomainError>) -> Option<Grid> {
    let mut note = |e: DomainError| {
        if !errors.contains(&e) {
            errors.push(e);
        }
    };
    let area = parse_area(feature.geometry.as_ref())
        .map_err(&mut note)
        .ok()?;
    let props = feature.properties.as_ref();
    let text = |key: &str| props.and_then(|p| p.get(key)).and_then(JsonValue::as_str);
    let code = text("code").or(match &feature.id {
        Some(geojson::feature::Id::String(s)) => Some(s.as_str()),
        _ => None,
    })?;
    check_grid_code("code", code).map_err(&mut note).ok()?;
    let parent_code = text("parent_code")
        .filter(|p| check_grid_code("parent_code", p).is_ok())
        .map(str::to_owned);
    Some(Grid {
        code: code.to_owned(),
        name: String::new(),
        kind: GridKind::Residential,
        households: 0,
        population: 0,
        parent_code,
        area,
    })
}

/// The area a grid must lie in: its parent grid's, or its village's.
fn container<'a>(snapshot: &'a Snapshot, grid: &Grid) -> Option<&'a MultiPolygon> {
    match &grid.parent_code {
        Some(parent) => snapshot.grids.get(parent).map(|g| &g.area),
        None => snapshot.regions.get(grid.community_code()).map(|r| &r.area),
    }
}

fn areas_in(grids: &[Grid], frame: &LocalFrame) -> Vec<(String, f64)> {
    grids
        .iter()
        .map(|g| (g.code.clone(), area_m2_in(&g.area, frame)))
        .collect()
}

fn level(grid: &Grid) -> String {
    match &grid.parent_code {
        Some(parent) => format!("a micro-grid of `{parent}`"),
        None => "a top-level grid".into(),
    }
}

fn exactly_two(field: &str, values: Vec<String>) -> ServiceResult<[String; 2]> {
    let n = values.len();
    <[String; 2]>::try_from(values).map_err(|_| {
        DomainError::new(
            field,
            format!("give exactly two, for the pieces left and right of the line; got {n}"),
        )
        .into()
    })
}

/// Refuses an edit result that is not a valid polygon (a numerical accident of the overlay).
pub(super) fn check_valid_area(area: &MultiPolygon) -> EditResult<()> {
    if area.0.is_empty() {
        return Err(refused(
            Problem::BadShape,
            "geometry",
            "the result would be empty",
        ));
    }
    check_area(area).map_err(|e| {
        refused(
            Problem::SelfIntersection,
            "geometry",
            format!("the result would not be a valid polygon: {e}"),
        )
    })
}

/// Checks the codes asked for the pieces of a split of a grid in `village`.
fn check_new_codes(snapshot: &Snapshot, village: &str, codes: &[String; 2]) -> ServiceResult<()> {
    for (i, code) in codes.iter().enumerate() {
        let field = format!("codes[{i}]");
        check_grid_code(&field, code)?;
        if community_of_grid(code) != village {
            return Err(DomainError::new(
                field,
                format!("`{code}` is not a code of village `{village}`, where the grid lies"),
            )
            .into());
        }
        if i == 1 && codes[0] == *code {
            return Err(DomainError::new(field, "the two codes must differ").into());
        }
        if snapshot.grids.get(code).is_some() {
            return Err(ServiceError::Conflict {
                field,
                message: format!("grid `{code}` exists already"),
                problem: Problem::Exists,
            });
        }
        if snapshot.grid_history.get(code).is_some() {
            return Err(ServiceError::Conflict {
                field,
                message: format!(
                    "`{code}` was the code of a retired grid and codes are not reused; GET /api/v1/grids/next-code?village={village} gives a free one"
                ),
                problem: Problem::CodeRetired,
            });
        }
    }
    Ok(())
}

/// The stem the grid names of `village` share: the prefix before `第N网格` that most of its
/// top-level grids use (`凤凰社区` of `凤凰社区第3网格`), else the village's name without its
/// committee suffix (`凤凰社区居委会` → `凤凰社区`).
pub(super) fn grid_name_stem(snapshot: &Snapshot, village: &Region) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for grid in snapshot
        .grids
        .iter()
        .filter(|g| g.parent_code.is_none() && g.community_code() == village.code)
    {
        if let Some(stem) = stem_of(&grid.name) {
            *counts.entry(stem).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map_or_else(|| short_name(&village.name), |(stem, _)| stem.to_owned())
}

/// `凤凰社区` of `凤凰社区第3网格`; `None` for a name of another form.
fn stem_of(name: &str) -> Option<&str> {
    let numbered = name.strip_suffix("网格")?;
    let stem = numbered.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() == numbered.len() {
        return None;
    }
    stem.strip_suffix('第').filter(|s| !s.is_empty())
}

/// The next `n` free codes of `village`, after the highest serial it has ever used.
pub(super) fn free_codes(snapshot: &Snapshot, village: &str, n: u16) -> ServiceResult<Vec<String>> {
    let highest = snapshot.highest_grid_serial(village);
    if highest + n > 999 {
        return Err(ServiceError::Conflict {
            field: "code".into(),
            message: format!(
                "village `{village}` has used grid serials up to {highest:03}; {n} more would pass 999"
            ),
            problem: Problem::TooMany { limit: 999 },
        });
    }
    Ok((1..=n)
        .map(|i| format!("{village}{:03}", highest + i))
        .collect())
}

/// The workers serving any of `codes`, each once, by id.
pub(super) fn workers_of<'a>(snapshot: &'a Snapshot, codes: &[&str]) -> Vec<&'a Worker> {
    let ids: BTreeSet<&str> = codes
        .iter()
        .filter_map(|c| snapshot.grid_workers.get(*c))
        .flatten()
        .map(|(id, _)| id.as_str())
        .collect();
    ids.into_iter()
        .filter_map(|id| snapshot.workers.get(id))
        .collect()
}

/// The left piece's share of households and residents, and how it was found: from the
/// households of the buildings in each piece, else from the areas.
fn apportion(
    snapshot: &Snapshot,
    pieces: &[MultiPolygon; 2],
    frame: &LocalFrame,
) -> (f64, Apportion) {
    let mut households = [0u64; 2];
    for (i, piece) in pieces.iter().enumerate() {
        let Some(rect) = piece.bounding_rect() else {
            continue;
        };
        for building in snapshot.buildings.within(rect) {
            // A building on the cut counts for the left piece only.
            if piece.intersects(&building.location)
                && (i == 0 || !pieces[0].intersects(&building.location))
            {
                households[i] += u64::from(building.households);
            }
        }
    }
    let total = households[0] + households[1];
    if total > 0 {
        (households[0] as f64 / total as f64, Apportion::Buildings)
    } else {
        let [left, right] = pieces.each_ref().map(|p| area_m2_in(p, frame));
        let whole = left + right;
        (
            if whole > 0.0 { left / whole } else { 0.5 },
            Apportion::Area,
        )
    }
}

/// `total` shared as `[left, right]`, the left getting `left_share` of it, rounded; the two
/// add up to `total`.
fn share_out(total: u32, left_share: f64) -> [u32; 2] {
    let left = (f64::from(total) * left_share)
        .round()
        .clamp(0.0, f64::from(total));
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=total, which fits a u32"
    )]
    let left = left as u32;
    [left, total - left]
}

/// Refuses a merge whose grids are not all linked to the kept one through shared edges,
/// naming a pair that fails.
fn check_linked(grids: &[&Grid], kept_at: usize) -> EditResult<()> {
    let n = grids.len();
    let mut linked = vec![false; n];
    linked[kept_at] = true;
    let mut queue = vec![kept_at];
    while let Some(i) = queue.pop() {
        for j in 0..n {
            if !linked[j] && shared_edge_m(&grids[i].area, &grids[j].area) >= MIN_SHARED_EDGE_M {
                linked[j] = true;
                queue.push(j);
            }
        }
    }
    let Some(lone) = linked.iter().position(|l| !l) else {
        return Ok(());
    };
    let lone = grids[lone];
    let reached: Vec<&&Grid> = grids
        .iter()
        .zip(&linked)
        .filter(|(_, l)| **l)
        .map(|(g, _)| g)
        .collect();
    let reason = if let [only] = reached.as_slice() {
        let how = if only.area.intersects(&lone.area) {
            "touch at a point at most"
        } else {
            "do not touch"
        };
        format!(
            "grids `{}` and `{}` share no edge (they {how}); only grids that share an edge merge",
            only.code, lone.code
        )
    } else {
        let names: Vec<String> = reached.iter().map(|g| format!("`{}`", g.code)).collect();
        format!(
            "grid `{}` shares no edge with any of {}; only grids that share an edge merge",
            lone.code,
            names.join(", ")
        )
    };
    Err(refused(Problem::NotAdjacent, "codes", reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_round() {
        assert_eq!(share_out(100, 0.75), [75, 25]);
        assert_eq!(share_out(3, 0.5), [2, 1]);
        assert_eq!(share_out(0, 0.3), [0, 0]);
        assert_eq!(share_out(u32::MAX, 1.0), [u32::MAX, 0]);
    }

    #[test]
    fn grid_name_stems_are_what_precedes_the_serial() {
        assert_eq!(stem_of("凤凰社区第11网格"), Some("凤凰社区"));
        assert_eq!(stem_of("横店村第3网格"), Some("横店村"));
        assert_eq!(stem_of("凤凰社区网格"), None);
        assert_eq!(stem_of("第3网格"), None);
        assert_eq!(stem_of("凤凰社区第三网格"), None);
    }
}
