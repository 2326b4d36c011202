//! Accepting a division (合理划分网格, second step): every top-level grid of one
//! village/community is replaced by a new set — the division assistant's proposal as the planner
//! adjusted it, or any set of grids drawn elsewhere — in one transaction
//! ([`Service::accept_division`]). A dry run reports the same without writing, so that the map
//! can evaluate an adjusted proposal before it is accepted.
//!
//! The rules, as a planner meets them:
//! - **geometry**: each new grid is clipped to the village boundary (the area cut off is
//!   reported per grid); new grids may not overlap each other by more than
//!   [`AREA_TOLERANCE_M2`]; gaps left in the village are reported, not refused.
//! - **codes**: a new grid may keep the code of a current grid of the village (that grid gets a
//!   new version), take a new code of the village, or give none (the next free serials, in the
//!   order given). A code a retired grid had is refused: codes are never reused. Current grids
//!   whose codes are not in the new set are retired (their history keeps them).
//! - **names and kinds**: as given; else a kept code keeps its name, a new one is named
//!   `<village>第<serial>网格`; the kind is that of the old grid the new one overlaps most
//!   (residential when none).
//! - **households and residents** are counted from the buildings in each new grid (a building
//!   on an edge between two grids counts for the first listed); when no building with
//!   households lies in the village, the old grids' figures are shared out by overlapping area.
//! - **workers**: without `assignments`, each old grid's workers move, with their duty, to the
//!   new grid that overlaps the old one most. With `assignments`, they are the whole staffing of
//!   the new set: every worker who served an old grid loses those assignments and gets what is
//!   listed. New grids left with no worker (一格一员) are reported.
//! - **micro-grids** of the old grids move to the new grid that holds them; one that two new
//!   grids cut refuses the division, naming it.
//!
//! # Units
//! Areas in m², in one [`LocalFrame`] at the village.

use std::collections::BTreeMap;

use geo::{BooleanOps, BoundingRect, Intersects, MultiPolygon};

use crate::analysis::division::MAX_GRIDS;
use crate::domain::codes::{check_grid_code, community_of_grid};
use crate::domain::{
    AnyItem, Assignment, DomainError, Duty, Grid, GridKind, Item, Layer, Problem, RegionLevel,
};
use crate::spatial::Snapshot;
use crate::spatial::measure::LocalFrame;
use crate::spatial::topology::{self, AREA_TOLERANCE_M2, Gap, area_m2_in};
use crate::store::Change;

use super::grid_edit::{
    Apportion, EditResult, MicroGridMove, WorkerMove, check_valid_area, edited, frame_of,
    free_codes, refused, workers_of,
};
use super::{Service, ServiceError};

/// One grid of a division as the planner sends it.
#[derive(Debug, Clone)]
pub struct DivisionGrid {
    /// A code of the village; the next free serial when `None`.
    pub code: Option<String>,
    /// Display name; see the module documentation when `None`.
    pub name: Option<String>,
    /// Kind; that of the old grid it overlaps most when `None`.
    pub kind: Option<GridKind>,
    /// Boundary, clipped to the village.
    pub area: MultiPolygon,
}

/// One worker assignment of an explicit staffing.
#[derive(Debug, Clone)]
pub struct DivisionAssignment {
    /// Worker id.
    pub worker: String,
    /// Code of a grid of the new set.
    pub grid: String,
    /// Duty there.
    pub duty: Duty,
}

/// A division to accept.
#[derive(Debug, Clone)]
pub struct DivisionAccept {
    /// The village/community (12 digits).
    pub village: String,
    /// The new grids, in order.
    pub grids: Vec<DivisionGrid>,
    /// The whole staffing of the new grids; `None` moves the old grids' workers.
    pub assignments: Option<Vec<DivisionAssignment>>,
}

/// What accepting a division did, or would do.
#[derive(Debug, Clone)]
pub struct DivisionReport {
    /// Village code.
    pub village: String,
    /// Village name.
    pub village_name: String,
    /// Whether anything was written.
    pub committed: bool,
    /// The new grids, in the order given.
    pub grids: Vec<Grid>,
    /// Per new grid (same order): its area in m², the area clipped off outside the village,
    /// whether it is in one piece, and the workers serving it afterwards.
    pub details: Vec<GridDetail>,
    /// Codes of current grids kept with a new boundary.
    pub replaced: Vec<String>,
    /// Codes of the retired grids.
    pub retired: Vec<String>,
    /// How households and residents were found.
    pub households_from: Apportion,
    /// Workers whose assignments changed.
    pub workers: Vec<WorkerMove>,
    /// Workers who served an old grid and serve none of the new ones.
    pub unassigned_workers: Vec<String>,
    /// Micro-grids that moved to a new parent.
    pub micro_grids: Vec<MicroGridMove>,
    /// New grids without any worker.
    pub unstaffed: Vec<String>,
    /// Parts of the village no new grid covers.
    pub gaps: Vec<Gap>,
}

/// Per-grid figures of a [`DivisionReport`].
#[derive(Debug, Clone)]
pub struct GridDetail {
    /// Area, m².
    pub area_m2: f64,
    /// Area cut off outside the village, m².
    pub clipped_m2: f64,
    /// One polygon (not several parts).
    pub contiguous: bool,
    /// Buildings counted in the grid.
    pub buildings: usize,
    /// Ids of the workers serving the grid afterwards.
    pub workers: Vec<String>,
}

impl Service {
    /// Replaces every top-level grid of a village by `request.grids` in one transaction, or,
    /// with `dry_run`, reports what that would do without writing; see the module
    /// documentation for the rules.
    ///
    /// # Errors
    /// [`super::EditError::Refused`] for overlapping new grids, a grid outside the village or
    /// a micro-grid cut in two; not found, invalid or used codes, unknown workers and store
    /// failures as [`super::EditError::Service`].
    pub async fn accept_division(
        &self,
        request: DivisionAccept,
        dry_run: bool,
    ) -> EditResult<DivisionReport> {
        if request.grids.is_empty() || request.grids.len() > MAX_GRIDS {
            return Err(DomainError::new(
                "grids",
                format!("give 1 to {MAX_GRIDS} grids, got {}", request.grids.len()),
            )
            .into());
        }
        let _guard = if dry_run {
            None
        } else {
            Some(self.writer.lock().await)
        };
        let current = self.snapshot.load_full();
        let plan = plan(&current, &request)?;
        let next = if dry_run {
            std::sync::Arc::new(current.with_changes(&plan.puts(), &plan.deletes()))
        } else {
            self.check_and_commit(&current, &plan.changes, &plan.report.grids)
                .await?
        };
        let mut report = plan.report;
        report.committed = !dry_run;
        report.gaps = topology::gaps_in(&next, &report.village, None);
        Ok(report)
    }
}

/// The changes of a division and its report (gaps still empty).
struct Plan {
    changes: Vec<Change>,
    report: DivisionReport,
}

impl Plan {
    fn puts(&self) -> Vec<AnyItem> {
        self.changes
            .iter()
            .filter_map(|c| match c {
                Change::Insert(i) | Change::Replace(i) | Change::Put(i) => Some(i.clone()),
                Change::Delete(..) => None,
            })
            .collect()
    }

    fn deletes(&self) -> Vec<(Layer, String)> {
        self.changes
            .iter()
            .filter_map(|c| match c {
                Change::Delete(l, k) => Some((*l, k.clone())),
                _ => None,
            })
            .collect()
    }
}

fn plan(current: &Snapshot, request: &DivisionAccept) -> EditResult<Plan> {
    let village = current
        .regions
        .get(&request.village)
        .filter(|r| r.level() == RegionLevel::Village)
        .ok_or_else(|| ServiceError::NotFound {
            layer: Layer::Region,
            key: request.village.clone(),
        })?;
    let code = village.code.as_str();
    let frame = frame_of(&village.area);
    let old: Vec<&Grid> = current
        .grids
        .iter()
        .filter(|g| g.community_code() == code && g.parent_code.is_none())
        .collect();

    let codes = new_codes(current, code, &old, &request.grids)?;

    // Clip to the village, measure, and refuse what is empty or invalid.
    let mut areas = Vec::with_capacity(request.grids.len());
    let mut details = Vec::with_capacity(request.grids.len());
    for (i, g) in request.grids.iter().enumerate() {
        let clipped = g.area.intersection(&village.area);
        let area_m2 = area_m2_in(&clipped, &frame);
        if area_m2 <= AREA_TOLERANCE_M2 {
            return Err(refused(
                Problem::OutsideParent,
                &format!("grids[{i}].geometry"),
                format!("grid `{}` lies outside village `{code}`", codes[i]),
            ));
        }
        check_valid_area(&clipped).map_err(|e| match e {
            super::EditError::Refused {
                reason, problem, ..
            } => refused(problem, &format!("grids[{i}].geometry"), reason),
            other @ super::EditError::Service(_) => other,
        })?;
        details.push(GridDetail {
            area_m2,
            clipped_m2: (area_m2_in(&g.area, &frame) - area_m2).max(0.0),
            contiguous: clipped.0.len() == 1,
            buildings: 0,
            workers: Vec::new(),
        });
        areas.push(clipped);
    }
    check_no_overlaps(&areas, &codes, &frame)?;

    // Overlap of every old grid with every new one, for kinds, workers and shares.
    let overlap: Vec<Vec<f64>> = old
        .iter()
        .map(|o| {
            areas
                .iter()
                .map(|a| overlap_m2(&o.area, a, &frame))
                .collect()
        })
        .collect();
    let most_of_old = |o: usize| argmax(&overlap[o]);
    let most_of_new = |n: usize| argmax(&overlap.iter().map(|row| row[n]).collect::<Vec<_>>());

    let (households, population, households_from) =
        count_people(current, &areas, &old, &overlap, &mut details);

    let short = super::grid_edit::grid_name_stem(current, village);
    let grids: Vec<Grid> = request
        .grids
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let kept = old.iter().find(|o| o.code == codes[n]);
            Grid {
                code: codes[n].clone(),
                name: g
                    .name
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| kept.map(|o| o.name.clone()))
                    .unwrap_or_else(|| format!("{short}第{}网格", serial(&codes[n]))),
                kind: g
                    .kind
                    .or_else(|| most_of_new(n).map(|o| old[o].kind))
                    .unwrap_or(GridKind::Residential),
                households: households[n],
                population: population[n],
                parent_code: None,
                area: areas[n].clone(),
            }
        })
        .collect();
    for (i, grid) in grids.iter().enumerate() {
        grid.validate()
            .map_err(|e| DomainError::new(format!("grids[{i}].{}", e.field), e.reason))?;
    }

    let (moved_micro, micro_grids) = move_micro_grids(current, &old, &grids, &frame)?;

    // Workers: the new assignments of everyone who served an old grid (or is listed).
    let old_codes: Vec<&str> = old.iter().map(|o| o.code.as_str()).collect();
    let is_old = |c: &str| old_codes.contains(&c) || codes.iter().any(|n| n == c);
    let mut staffing: BTreeMap<String, Vec<Assignment>> = BTreeMap::new();
    for worker in workers_of(current, &old_codes) {
        staffing.entry(worker.id.clone()).or_default();
    }
    match &request.assignments {
        None => {
            for (o, grid) in old.iter().enumerate() {
                let Some(n) = most_of_old(o) else { continue };
                for (id, duty) in current.grid_workers.get(&grid.code).into_iter().flatten() {
                    let list = staffing.entry(id.clone()).or_default();
                    if !list.iter().any(|a| a.grid == codes[n]) {
                        list.push(Assignment {
                            grid: codes[n].clone(),
                            duty: *duty,
                        });
                    }
                }
            }
        }
        Some(assignments) => {
            for (i, a) in assignments.iter().enumerate() {
                if current.workers.get(&a.worker).is_none() {
                    return Err(ServiceError::NotFound {
                        layer: Layer::Worker,
                        key: a.worker.clone(),
                    }
                    .into());
                }
                if !codes.contains(&a.grid) {
                    return Err(DomainError::new(
                        format!("assignments[{i}].grid"),
                        format!("`{}` is not one of the new grids", a.grid),
                    )
                    .into());
                }
                let list = staffing.entry(a.worker.clone()).or_default();
                if list.iter().any(|b| b.grid == a.grid) {
                    return Err(DomainError::new(
                        format!("assignments[{i}]"),
                        format!("worker `{}` is assigned to `{}` twice", a.worker, a.grid),
                    )
                    .into());
                }
                list.push(Assignment {
                    grid: a.grid.clone(),
                    duty: a.duty,
                });
            }
        }
    }
    let mut workers = Vec::new();
    let mut worker_moves = Vec::new();
    let mut unassigned_workers = Vec::new();
    for (id, new) in staffing {
        let Some(worker) = current.workers.get(&id) else {
            continue;
        };
        let mut worker = worker.clone();
        let before = worker.grids.clone();
        worker.grids.retain(|a| !is_old(&a.grid));
        worker.grids.extend(new.iter().cloned());
        for a in &new {
            if let Some(n) = codes.iter().position(|c| *c == a.grid) {
                details[n].workers.push(id.clone());
            }
        }
        if new.is_empty() {
            unassigned_workers.push(id.clone());
        }
        if worker.grids != before {
            worker_moves.push(WorkerMove {
                id: id.clone(),
                duty: new.first().map_or(Duty::PartTime, |a| a.duty),
                grids: new.iter().map(|a| a.grid.clone()).collect(),
            });
            workers.push(worker);
        }
    }
    let unstaffed = codes
        .iter()
        .zip(&details)
        .filter(|(_, d)| d.workers.is_empty())
        .map(|(c, _)| c.clone())
        .collect();

    let replaced: Vec<String> = codes
        .iter()
        .filter(|c| old_codes.contains(&c.as_str()))
        .cloned()
        .collect();
    let retired: Vec<String> = old_codes
        .iter()
        .filter(|c| !codes.iter().any(|n| n == *c))
        .map(|c| (*c).to_owned())
        .collect();
    let mut changes: Vec<Change> = grids
        .iter()
        .map(|g| {
            if replaced.contains(&g.code) {
                Change::Replace(AnyItem::Grid(g.clone()))
            } else {
                Change::Insert(AnyItem::Grid(g.clone()))
            }
        })
        .collect();
    changes.extend(edited(moved_micro, workers));
    changes.extend(
        retired
            .iter()
            .map(|c| Change::Delete(Layer::Grid, c.clone())),
    );
    Ok(Plan {
        changes,
        report: DivisionReport {
            village: code.to_owned(),
            village_name: village.name.clone(),
            committed: false,
            grids,
            details,
            replaced,
            retired,
            households_from,
            workers: worker_moves,
            unassigned_workers,
            micro_grids,
            unstaffed,
            gaps: Vec::new(),
        },
    })
}

/// The code of every new grid: checked when given, the next free serials when not.
fn new_codes(
    current: &Snapshot,
    village: &str,
    old: &[&Grid],
    grids: &[DivisionGrid],
) -> EditResult<Vec<String>> {
    for (i, g) in grids.iter().enumerate() {
        let Some(c) = &g.code else { continue };
        let field = format!("grids[{i}].code");
        check_grid_code(&field, c)?;
        if community_of_grid(c) != village {
            return Err(DomainError::new(
                field,
                format!("`{c}` is not a code of village `{village}`"),
            )
            .into());
        }
        if grids[..i].iter().any(|o| o.code.as_ref() == Some(c)) {
            return Err(DomainError::new(field, format!("code `{c}` is given twice")).into());
        }
        if current.grids.get(c).is_some() && !old.iter().any(|o| o.code == *c) {
            return Err(ServiceError::Conflict {
                field,
                message: format!(
                    "`{c}` is a micro-grid; a division replaces the village's top-level grids"
                ),
                problem: Problem::Invalid,
            }
            .into());
        }
        if current.grids.get(c).is_none() && current.grid_history.has_key_prefix(&format!("{c}@")) {
            return Err(ServiceError::Conflict {
                field,
                message: format!("`{c}` was the code of a retired grid and codes are not reused"),
                problem: Problem::CodeRetired,
            }
            .into());
        }
    }
    let missing = grids.iter().filter(|g| g.code.is_none()).count();
    let mut free = if missing == 0 {
        Vec::new().into_iter()
    } else {
        let missing = u16::try_from(missing).unwrap_or(u16::MAX);
        free_codes(current, village, missing)?.into_iter()
    };
    Ok(grids
        .iter()
        .map(|g| {
            g.code
                .clone()
                .unwrap_or_else(|| free.next().unwrap_or_default())
        })
        .collect())
}

/// Refuses new grids that overlap each other, naming every overlapping pair.
fn check_no_overlaps(
    areas: &[MultiPolygon],
    codes: &[String],
    frame: &LocalFrame,
) -> EditResult<()> {
    let mut pairs = Vec::new();
    for i in 0..areas.len() {
        for j in i + 1..areas.len() {
            let a = overlap_m2(&areas[i], &areas[j], frame);
            if a > AREA_TOLERANCE_M2 {
                pairs.push(format!("`{}` and `{}` by {a:.1} m²", codes[i], codes[j]));
            }
        }
    }
    if pairs.is_empty() {
        Ok(())
    } else {
        Err(refused(
            Problem::Overlap,
            "grids",
            format!("new grids overlap: {}", pairs.join(", ")),
        ))
    }
}

/// Area of `a ∩ b` in m²; 0 without computing it when the boxes are apart.
fn overlap_m2(a: &MultiPolygon, b: &MultiPolygon, frame: &LocalFrame) -> f64 {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(ra), Some(rb)) if ra.intersects(&rb) => area_m2_in(&a.intersection(b), frame),
        _ => 0.0,
    }
}

/// Index of the largest value above [`AREA_TOLERANCE_M2`].
fn argmax(values: &[f64]) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > AREA_TOLERANCE_M2)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
}

fn serial(code: &str) -> u16 {
    code.get(12..).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Households and residents of each new grid: from the buildings in it, else the old grids'
/// figures shared by overlapping area.
fn count_people(
    current: &Snapshot,
    areas: &[MultiPolygon],
    old: &[&Grid],
    overlap: &[Vec<f64>],
    details: &mut [GridDetail],
) -> (Vec<u32>, Vec<u32>, Apportion) {
    let n = areas.len();
    let mut households = vec![0u32; n];
    let mut population = vec![0u32; n];
    for (i, area) in areas.iter().enumerate() {
        let Some(rect) = area.bounding_rect() else {
            continue;
        };
        for b in current.buildings.within(rect) {
            // A building on a shared edge counts for the first grid listed.
            if area.intersects(&b.location) && !areas[..i].iter().any(|a| a.intersects(&b.location))
            {
                households[i] = households[i].saturating_add(b.households);
                population[i] = population[i].saturating_add(b.residents);
                details[i].buildings += 1;
            }
        }
    }
    if households.iter().any(|h| *h > 0) {
        return (households, population, Apportion::Buildings);
    }
    let mut h = vec![0.0; n];
    let mut p = vec![0.0; n];
    for (o, grid) in old.iter().enumerate() {
        let whole: f64 = overlap[o].iter().sum();
        if whole <= 0.0 {
            continue;
        }
        for k in 0..n {
            h[k] += f64::from(grid.households) * overlap[o][k] / whole;
            p[k] += f64::from(grid.population) * overlap[o][k] / whole;
        }
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "shares of u32 totals, rounded and clamped"
    )]
    let round = |v: &Vec<f64>| -> Vec<u32> {
        v.iter()
            .map(|x| x.round().clamp(0.0, f64::from(u32::MAX)) as u32)
            .collect()
    };
    (round(&h), round(&p), Apportion::Area)
}

/// Micro-grids of the old grids, moved to the new grid holding each.
fn move_micro_grids(
    current: &Snapshot,
    old: &[&Grid],
    grids: &[Grid],
    frame: &LocalFrame,
) -> EditResult<(Vec<Grid>, Vec<MicroGridMove>)> {
    let mut moved = Vec::new();
    let mut moves = Vec::new();
    for micro in current.grids.iter() {
        let Some(parent) = micro.parent_code.as_deref() else {
            continue;
        };
        if !old.iter().any(|o| o.code == parent) {
            continue;
        }
        let inside: Vec<f64> = grids
            .iter()
            .map(|g| overlap_m2(&micro.area, &g.area, frame))
            .collect();
        let holders: Vec<usize> = (0..grids.len())
            .filter(|&n| inside[n] > AREA_TOLERANCE_M2)
            .collect();
        let to = match holders.as_slice() {
            [one] => *one,
            [] => {
                return Err(refused(
                    Problem::LeavesMicroGrid,
                    "grids",
                    format!(
                        "micro-grid `{}` would lie in none of the new grids",
                        micro.code
                    ),
                ));
            }
            [a, b, ..] => {
                return Err(refused(
                    Problem::CutsMicroGrid,
                    "grids",
                    format!(
                        "new grids `{}` and `{}` cut micro-grid `{}`; draw the boundary along its edge",
                        grids[*a].code, grids[*b].code, micro.code
                    ),
                ));
            }
        };
        if grids[to].code != parent {
            let mut m = micro.clone();
            m.parent_code = Some(grids[to].code.clone());
            moves.push(MicroGridMove {
                code: micro.code.clone(),
                parent_code: grids[to].code.clone(),
            });
            moved.push(m);
        }
    }
    Ok((moved, moves))
}
