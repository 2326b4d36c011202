//! The region tree (区划树: county → town → village/community → grid → micro-grid) with each
//! node's figures for the map's summary cards: grids, grids without a worker, workers serving,
//! households and residents, cameras online and in all, key areas overdue and in all.
//!
//! The figures of every node are counted in one pass over a snapshot and kept in a
//! [`RegionSummaryCache`] while the layers they read keep their generations (and the day, which
//! decides what is overdue). A grid counts toward its own node and, by the prefixes of its code,
//! toward its village, town and county; a camera or a key area toward the grid (else the
//! region) holding its point (a key area's label point), and so up the tree. Workers count once
//! per node, however many of its grids they serve.
//!
//! Pure: reads a [`Snapshot`], no I/O.

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::Rect;
use serde::Serialize;

use crate::domain::{CameraStatus, RegionLevel};
use crate::spatial::Snapshot;
use crate::spatial::geom::label_point;
use crate::spatial::index::Spatial;
use crate::spatial::locate::{grids_at, region_at};

use super::cache::Slot;

/// Most children one answer lists (a village with more grids is cut, and says so).
pub const MAX_CHILDREN: usize = 2_000;

/// Code lengths of the county, town and village above a node, in that order.
const ANCESTOR_LENGTHS: [usize; 3] = [6, 9, 12];

/// What a node holds, with everything below it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Figures {
    /// Top-level grids (a grid node counts itself).
    pub grids: u32,
    /// Micro-grids (微网格) under those grids.
    pub micro_grids: u32,
    /// Top-level grids that no worker serves (一格一员 asks for at least one).
    pub grids_without_worker: u32,
    /// Workers serving at least one grid here, each counted once.
    pub workers: u32,
    /// Households (户) of the top-level grids.
    pub households: u64,
    /// Residents (人) of the top-level grids.
    pub population: u64,
    /// Cameras standing here.
    pub cameras: u32,
    /// Of those, online.
    pub cameras_online: u32,
    /// Key areas whose label point lies here.
    pub key_areas: u32,
    /// Of those, overdue ([`crate::domain::KeyArea::is_overdue`]).
    pub key_areas_overdue: u32,
}

/// A node's level in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeLevel {
    /// Several counties together (the root when the data holds more than one).
    All,
    County,
    Town,
    Village,
    Grid,
    MicroGrid,
}

/// One node of the tree.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Node {
    /// Region or grid code; empty for [`NodeLevel::All`].
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: NodeLevel,
    /// `[west, south, east, north]` in WGS84 degrees, when it has a geometry.
    pub bbox: Option<[f64; 4]>,
    /// A point inside it (`[lon, lat]`) for a pin or a label, when it has a geometry.
    pub anchor: Option<[f64; 2]>,
    /// What it holds.
    pub figures: Figures,
    /// How many nodes lie directly under it.
    pub children: u32,
}

/// A node with the nodes directly under it: one step of the tree, as the map unfolds it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Branch {
    /// The node asked for.
    #[serde(flatten)]
    pub node: Node,
    /// The nodes under it, in code order (at most [`MAX_CHILDREN`]).
    pub items: Vec<Node>,
    /// Whether `items` was cut at [`MAX_CHILDREN`].
    pub truncated: bool,
    /// Workers serving no grid at all, anywhere (on the root only: workers have no place but
    /// their grids). With the root's `workers` they make the whole roster (在岗 / 总数).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers_unassigned: Option<u32>,
}

/// Every node's figures in one snapshot.
#[derive(Debug, Default)]
pub struct RegionSummaries {
    figures: HashMap<String, Figures>,
    children: HashMap<String, u32>,
    workers_unassigned: u32,
}

impl RegionSummaries {
    /// Counts every node's figures in `snapshot`, deciding what is overdue on `today`.
    #[must_use]
    pub fn compute(snapshot: &Snapshot, today: NaiveDate) -> Self {
        let mut this = Self::default();
        for region in snapshot.regions.iter() {
            if let Some(parent) = &region.parent_code {
                *this.children.entry(parent.clone()).or_default() += 1;
            }
        }
        for grid in snapshot.grids.iter() {
            if let Some(parent) = &grid.parent_code {
                *this.children.entry(parent.clone()).or_default() += 1;
                this.add_up(with_ancestors(parent), |f| f.micro_grids += 1);
                let own = this.figures.entry(grid.code.clone()).or_default();
                own.households += u64::from(grid.households);
                own.population += u64::from(grid.population);
                continue;
            }
            *this
                .children
                .entry(grid.community_code().to_owned())
                .or_default() += 1;
            let unserved = snapshot
                .grid_workers
                .get(&grid.code)
                .is_none_or(Vec::is_empty);
            this.add_up(with_ancestors(&grid.code), |f| {
                f.grids += 1;
                f.grids_without_worker += u32::from(unserved);
                f.households += u64::from(grid.households);
                f.population += u64::from(grid.population);
            });
        }
        let mut places: Vec<&str> = Vec::new();
        for worker in snapshot.workers.iter() {
            if worker.grids.is_empty() {
                this.workers_unassigned += 1;
                continue;
            }
            places.clear();
            for a in &worker.grids {
                let parent = snapshot
                    .grids
                    .get(&a.grid)
                    .and_then(|g| g.parent_code.as_deref());
                places.extend(lineage(&a.grid, parent));
            }
            places.sort_unstable();
            places.dedup();
            for place in &places {
                this.figures.entry((*place).to_owned()).or_default().workers += 1;
            }
        }
        for camera in snapshot.cameras.iter() {
            let online = camera.status == CameraStatus::Online;
            if let Some(place) = place_of(snapshot, camera.location.0) {
                this.add_up(place.nodes(), |f| {
                    f.cameras += 1;
                    f.cameras_online += u32::from(online);
                });
            }
        }
        for area in snapshot.key_areas.iter() {
            let overdue = area.is_overdue(today);
            if let Some(place) = label_point(&area.area).and_then(|p| place_of(snapshot, p)) {
                this.add_up(place.nodes(), |f| {
                    f.key_areas += 1;
                    f.key_areas_overdue += u32::from(overdue);
                });
            }
        }
        this
    }

    /// Applies `add` to the figures of each of `nodes`.
    fn add_up<'a>(&mut self, nodes: impl Iterator<Item = &'a str>, add: impl Fn(&mut Figures)) {
        for node in nodes {
            add(self.figures.entry(node.to_owned()).or_default());
        }
    }

    /// The figures of the node `code` (zeros when nothing lies there).
    #[must_use]
    pub fn figures(&self, code: &str) -> Figures {
        self.figures.get(code).copied().unwrap_or_default()
    }

    /// How many nodes lie directly under `code`.
    fn children_of(&self, code: &str) -> u32 {
        self.children.get(code).copied().unwrap_or(0)
    }

    /// The node `code` (a 6-, 9- or 12-digit region or a 15-digit grid) with the nodes under
    /// it, or the root when `code` is `None`; `None` when no such node exists.
    #[must_use]
    pub fn branch(&self, snapshot: &Snapshot, code: Option<&str>) -> Option<Branch> {
        let Some(code) = code else {
            return Some(self.root(snapshot));
        };
        let node = self.node_at(snapshot, code)?;
        let items: Vec<Node> = match code.len() {
            ..12 => snapshot
                .regions
                .with_key_prefix(code)
                .filter(|r| r.code.len() == code.len() + 3)
                .map(|r| self.region_node(r))
                .take(MAX_CHILDREN + 1)
                .collect(),
            12 => snapshot
                .grids
                .with_key_prefix(code)
                .filter(|g| g.parent_code.is_none())
                .map(|g| self.grid_node(g))
                .take(MAX_CHILDREN + 1)
                .collect(),
            _ => snapshot
                .grids
                .with_key_prefix(&code[..12])
                .filter(|g| g.parent_code.as_deref() == Some(code))
                .map(|g| self.grid_node(g))
                .take(MAX_CHILDREN + 1)
                .collect(),
        };
        Some(cut(node, items, None))
    }

    /// The top region when there is one; else every top region under one [`NodeLevel::All`].
    fn root(&self, snapshot: &Snapshot) -> Branch {
        let tops: Vec<Node> = snapshot
            .regions
            .iter()
            .filter(|r| r.parent_code.is_none())
            .map(|r| self.region_node(r))
            .take(MAX_CHILDREN + 1)
            .collect();
        let unassigned = Some(self.workers_unassigned);
        if let [top] = tops.as_slice()
            && let Some(branch) = self.branch(snapshot, Some(&top.code))
        {
            return Branch {
                workers_unassigned: unassigned,
                ..branch
            };
        }
        let figures = tops
            .iter()
            .fold(Figures::default(), |sum, n| sum.plus(&n.figures));
        let bbox = tops.iter().filter_map(|n| n.bbox).reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        });
        let node = Node {
            code: String::new(),
            name: String::new(),
            level: NodeLevel::All,
            bbox,
            anchor: None,
            figures,
            children: u32::try_from(tops.len()).unwrap_or(u32::MAX),
        };
        cut(node, tops, unassigned)
    }

    fn node_at(&self, snapshot: &Snapshot, code: &str) -> Option<Node> {
        match code.len() {
            6 | 9 | 12 => snapshot.regions.get(code).map(|r| self.region_node(r)),
            15 => snapshot.grids.get(code).map(|g| self.grid_node(g)),
            _ => None,
        }
    }

    fn region_node(&self, region: &crate::domain::Region) -> Node {
        Node {
            code: region.code.clone(),
            name: region.name.clone(),
            level: match region.level() {
                RegionLevel::County => NodeLevel::County,
                RegionLevel::Town => NodeLevel::Town,
                RegionLevel::Village => NodeLevel::Village,
            },
            bbox: region.envelope().map(corners),
            anchor: label_point(&region.area).map(|p| [p.x, p.y]),
            figures: self.figures(&region.code),
            children: self.children_of(&region.code),
        }
    }

    fn grid_node(&self, grid: &crate::domain::Grid) -> Node {
        Node {
            code: grid.code.clone(),
            name: grid.name.clone(),
            level: if grid.parent_code.is_some() {
                NodeLevel::MicroGrid
            } else {
                NodeLevel::Grid
            },
            bbox: grid.envelope().map(corners),
            anchor: label_point(&grid.area).map(|p| [p.x, p.y]),
            figures: self.figures(&grid.code),
            children: self.children_of(&grid.code),
        }
    }
}

impl Figures {
    /// The figures of two disjoint places together.
    #[must_use]
    pub fn plus(self, other: &Self) -> Self {
        Self {
            grids: self.grids + other.grids,
            micro_grids: self.micro_grids + other.micro_grids,
            grids_without_worker: self.grids_without_worker + other.grids_without_worker,
            workers: self.workers + other.workers,
            households: self.households + other.households,
            population: self.population + other.population,
            cameras: self.cameras + other.cameras,
            cameras_online: self.cameras_online + other.cameras_online,
            key_areas: self.key_areas + other.key_areas,
            key_areas_overdue: self.key_areas_overdue + other.key_areas_overdue,
        }
    }
}

/// `node` with `items` cut at [`MAX_CHILDREN`] (saying so).
fn cut(node: Node, mut items: Vec<Node>, unassigned: Option<u32>) -> Branch {
    let truncated = items.len() > MAX_CHILDREN;
    items.truncate(MAX_CHILDREN);
    Branch {
        node,
        items,
        truncated,
        workers_unassigned: unassigned,
    }
}

/// `code` and the codes of the regions above it (by prefix: county 6, town 9, village 12).
fn with_ancestors(code: &str) -> impl Iterator<Item = &str> {
    ANCESTOR_LENGTHS
        .iter()
        .filter(move |&&n| n < code.len())
        .filter_map(move |&n| code.get(..n))
        .chain(std::iter::once(code))
}

/// The grid (or micro-grid) `code` and every node above it: its parent grid when it is a
/// micro-grid (`parent`), then its village, town and county.
fn lineage<'a>(code: &'a str, parent: Option<&'a str>) -> impl Iterator<Item = &'a str> {
    with_ancestors(parent.unwrap_or(code)).chain(parent.map(|_| code))
}

/// Where a point lies: its grid and micro-grid, else the lowest region holding it.
enum Place<'a> {
    Grid(&'a str, Option<&'a str>),
    Region(&'a str),
}

impl<'a> Place<'a> {
    /// The nodes holding the place, from the county down.
    fn nodes(&self) -> impl Iterator<Item = &'a str> + 'a {
        match *self {
            Place::Grid(grid, None) | Place::Region(grid) => lineage(grid, None),
            Place::Grid(grid, Some(micro)) => lineage(micro, Some(grid)),
        }
    }
}

/// The lowest nodes holding `p`: its grid and micro-grid, else its village, town or county.
fn place_of(snapshot: &Snapshot, p: geo::Coord) -> Option<Place<'_>> {
    if let (Some(grid), micro) = grids_at(snapshot, p) {
        return Some(Place::Grid(&grid.code, micro.map(|m| m.code.as_str())));
    }
    [RegionLevel::Village, RegionLevel::Town, RegionLevel::County]
        .into_iter()
        .find_map(|level| region_at(snapshot, p, level))
        .map(|r| Place::Region(&r.code))
}

fn corners(r: Rect) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

/// The generations of the layers the figures read, and the day that decides what is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    layers: [u64; 5],
    today: NaiveDate,
}

/// The figures of the latest snapshot asked for, kept while its regions, grids, workers,
/// cameras and key areas keep their generations and the day stays the same. The service holds
/// one ([`crate::service::Service::region_summaries`]).
#[derive(Debug, Default)]
pub struct RegionSummaryCache {
    slot: Slot<Stamp, RegionSummaries>,
}

impl RegionSummaryCache {
    /// The figures of `snapshot` on `today`, counted on first use.
    #[must_use]
    pub fn get(&self, snapshot: &Snapshot, today: NaiveDate) -> std::sync::Arc<RegionSummaries> {
        let stamp = Stamp {
            layers: [
                snapshot.regions.generation(),
                snapshot.grids.generation(),
                snapshot.workers.generation(),
                snapshot.cameras.generation(),
                snapshot.key_areas.generation(),
            ],
            today,
        };
        self.slot
            .get_or_compute(stamp, || RegionSummaries::compute(snapshot, today))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::OnceLock;

    use crate::domain::{AnyItem, CameraStatus, Dataset, KeyAreaStatus};

    use super::*;

    fn city() -> &'static Snapshot {
        static CITY: OnceLock<Snapshot> = OnceLock::new();
        CITY.get_or_init(|| Snapshot::build(crate::sample::generate().expect("sample"), 1))
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date")
    }

    #[test]
    fn a_code_comes_with_the_regions_above_it() {
        let grid: Vec<&str> = with_ancestors("330783001001002").collect();
        assert_eq!(
            grid,
            ["330783", "330783001", "330783001001", "330783001001002"]
        );
        let town: Vec<&str> = with_ancestors("330783001").collect();
        assert_eq!(town, ["330783", "330783001"]);
        assert_eq!(with_ancestors("330783").collect::<Vec<_>>(), ["330783"]);
    }

    #[test]
    fn the_root_holds_what_a_scan_of_each_layer_counts() {
        let s = city();
        let summaries = RegionSummaries::compute(s, today());
        let root = summaries.branch(s, None).expect("a root");
        assert_eq!(root.node.level, NodeLevel::County);
        let f = root.node.figures;
        let top: Vec<_> = s.grids.iter().filter(|g| g.parent_code.is_none()).collect();
        assert_eq!(f.grids as usize, top.len());
        assert_eq!(
            f.micro_grids as usize,
            s.grids.len() - top.len(),
            "every micro-grid counts"
        );
        assert_eq!(
            f.grids_without_worker as usize,
            s.grids_without_worker().count()
        );
        let households: u64 = top.iter().map(|g| u64::from(g.households)).sum();
        assert_eq!(f.households, households);
        let serving = s.workers.iter().filter(|w| !w.grids.is_empty()).count();
        assert_eq!(f.workers as usize, serving);
        assert_eq!(
            root.workers_unassigned,
            Some(u32::try_from(s.workers.len() - serving).expect("fits"))
        );
        let inside: Vec<_> = s
            .cameras
            .iter()
            .filter(|c| place_of(s, c.location.0).is_some())
            .collect();
        assert!(!inside.is_empty());
        assert_eq!(f.cameras as usize, inside.len());
        let online = inside
            .iter()
            .filter(|c| c.status == CameraStatus::Online)
            .count();
        assert_eq!(f.cameras_online as usize, online);
        let overdue = s.key_areas.iter().filter(|a| a.is_overdue(today())).count();
        assert_eq!(f.key_areas as usize, s.key_areas.len());
        assert_eq!(f.key_areas_overdue as usize, overdue);
    }

    #[test]
    fn each_level_adds_up_to_the_one_above() {
        let s = city();
        let summaries = RegionSummaries::compute(s, today());
        let root = summaries.branch(s, None).expect("a root");
        assert_eq!(root.items.len(), root.node.children as usize);
        assert!(root.items.iter().all(|n| n.level == NodeLevel::Town));
        let sum = |items: &[Node]| {
            items
                .iter()
                .fold(Figures::default(), |a, n| a.plus(&n.figures))
        };
        let additive = |f: Figures| Figures { workers: 0, ..f };
        assert_eq!(additive(sum(&root.items)), additive(root.node.figures));
        let town = &root.items[0];
        let villages = summaries.branch(s, Some(&town.code)).expect("a town");
        assert!(villages.items.iter().all(|n| n.level == NodeLevel::Village));
        assert_eq!(villages.items.len(), town.children as usize);
        let in_villages = sum(&villages.items);
        // Cameras and key areas outside every village stay with the town.
        assert_eq!(in_villages.grids, town.figures.grids);
        assert_eq!(in_villages.households, town.figures.households);
        assert!(in_villages.cameras <= town.figures.cameras);
        let village = villages
            .items
            .iter()
            .find(|v| v.figures.grids > 0)
            .expect("a village with grids");
        let grids = summaries.branch(s, Some(&village.code)).expect("a village");
        assert_eq!(grids.items.len(), village.figures.grids as usize);
        assert!(grids.items.iter().all(|n| n.level == NodeLevel::Grid));
        assert_eq!(additive(sum(&grids.items)).grids, village.figures.grids);
        let workers: HashSet<&str> = s
            .grids
            .with_key_prefix(&village.code)
            .flat_map(|g| s.grid_workers.get(&g.code).into_iter().flatten())
            .map(|(w, _)| w.as_str())
            .collect();
        assert_eq!(village.figures.workers as usize, workers.len());
    }

    #[test]
    fn a_grid_unfolds_into_its_micro_grids_and_an_unknown_code_into_nothing() {
        let s = city();
        let summaries = RegionSummaries::compute(s, today());
        let micro = s
            .grids
            .iter()
            .find(|g| g.parent_code.is_some())
            .expect("the sample has micro-grids");
        let parent = micro.parent_code.as_deref().expect("a parent");
        let branch = summaries.branch(s, Some(parent)).expect("the parent grid");
        assert_eq!(branch.node.level, NodeLevel::Grid);
        assert!(branch.items.iter().any(|n| n.code == micro.code));
        assert!(branch.items.iter().all(|n| n.level == NodeLevel::MicroGrid));
        assert_eq!(branch.node.figures.micro_grids as usize, branch.items.len());
        let serving = |code: &str| s.grid_workers.get(code).map_or(0, Vec::len);
        let micro_node = branch
            .items
            .iter()
            .find(|n| n.code == micro.code)
            .expect("the micro-grid");
        assert_eq!(micro_node.figures.workers as usize, serving(&micro.code));
        assert!(
            branch.node.figures.workers as usize >= serving(parent),
            "a grid's workers include its micro-grids'"
        );
        assert_eq!(micro_node.figures.households, u64::from(micro.households));
        assert!(summaries.branch(s, Some("330783999")).is_none());
        assert!(summaries.branch(s, Some("12")).is_none());
    }

    #[test]
    fn a_deadline_passing_makes_an_area_overdue_and_a_change_is_counted_afresh() {
        let s = city();
        let cache = RegionSummaryCache::default();
        let area = s
            .key_areas
            .iter()
            .find(|a| !a.is_overdue(today()))
            .expect("an area on time");
        let mut late = area.clone();
        late.status = KeyAreaStatus::Rectifying;
        late.deadline = today().pred_opt().expect("a day before");
        let before = cache.get(s, today()).figures("330783").key_areas_overdue;
        let changed = s.with_changes(&[AnyItem::KeyArea(late.clone())], &[]);
        let after = cache
            .get(&changed, today())
            .figures("330783")
            .key_areas_overdue;
        assert_eq!(after, before + 1);
        let mut delisted = late;
        delisted.status = KeyAreaStatus::Delisted;
        let done = changed.with_changes(&[AnyItem::KeyArea(delisted)], &[]);
        assert_eq!(
            cache
                .get(&done, today())
                .figures("330783")
                .key_areas_overdue,
            before
        );
        let empty = Snapshot::build(Dataset::default(), 1);
        let nothing = cache
            .get(&empty, today())
            .branch(&empty, None)
            .expect("a root");
        assert_eq!(nothing.node.level, NodeLevel::All);
        assert!(nothing.items.is_empty());
    }
}
