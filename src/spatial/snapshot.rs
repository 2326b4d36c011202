//! The immutable snapshot of every layer that readers share.
//!
//! Readers hold an `Arc<Snapshot>` and never lock; a committed write builds a new snapshot from
//! the old one and publishes it atomically. The new snapshot shares all but what the write
//! changed: a layer index takes the change in `O(log n)` ([`super::index`]), a raster rebuilds
//! the tiles the item touches ([`super::tiling`]). A reader therefore never sees half a change,
//! and a write costs what it changes.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{
    AnyItem, Building, Camera, Dataset, Duty, EventPoint, Grid, GridVersion, KeyArea, Layer,
    Obstacle, PatrolRoute, Region, Road, Worker,
};

use geo::Rect;

use super::camera_raster::{CameraRaster, same_view};
use super::index::{CompactedBase, KeyOf, LayerChange, LayerIndex, Spatial};
use super::raster::GridRaster;

/// Grid code → the workers of the grid: (worker key, duty), in key order. Persistent, so that
/// a worker's write patches the grids it leaves and joins without copying the map.
pub type GridWorkers = imbl::HashMap<String, Vec<(String, Duty)>>;

/// Every layer, indexed. Cheap to clone (all `Arc`s).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with every published change; part of cache keys.
    pub version: u64,
    pub regions: Arc<LayerIndex<Region>>,
    pub grids: Arc<LayerIndex<Grid>>,
    /// Accelerator for point → top-level grid, derived from `grids`.
    pub grid_raster: Arc<GridRaster>,
    /// Every grid version, current ones included.
    pub grid_history: Arc<LayerIndex<GridVersion>>,
    pub workers: Arc<LayerIndex<Worker>>,
    /// Grid code → its workers, derived from the workers' assignments.
    pub grid_workers: Arc<GridWorkers>,
    pub cameras: Arc<LayerIndex<Camera>>,
    /// Accelerator for point → cameras, derived from `cameras`.
    pub camera_raster: Arc<CameraRaster>,
    pub patrol_routes: Arc<LayerIndex<PatrolRoute>>,
    pub key_areas: Arc<LayerIndex<KeyArea>>,
    /// What reads need of each event (place, times, category, source, status); the events
    /// themselves are read from the store.
    pub events: Arc<LayerIndex<EventPoint>>,
    pub buildings: Arc<LayerIndex<Building>>,
    /// Footprints and walls that hide the ground from cameras (see [`super::visibility`]).
    pub obstacles: Arc<LayerIndex<Obstacle>>,
    /// The road network's lines (the graph for routing is derived from them).
    pub roads: Arc<LayerIndex<Road>>,
}

fn grid_workers(workers: &LayerIndex<Worker>) -> GridWorkers {
    let mut map: GridWorkers = imbl::HashMap::new();
    for w in workers.iter() {
        for a in &w.grids {
            map.entry(a.grid.clone())
                .or_default()
                .push((w.id.clone(), a.duty));
        }
    }
    map
}

/// `map` with worker `id`'s assignments as `old` had them taken out and as `new` has them put
/// in, each grid's list kept in key order: what [`grid_workers`] would build afresh.
fn patch_grid_workers(map: &mut GridWorkers, id: &str, old: Option<&Worker>, new: Option<&Worker>) {
    for a in old.into_iter().flat_map(|w| &w.grids) {
        if let Some(list) = map.get_mut(&a.grid) {
            list.retain(|(w, _)| w != id);
            if list.is_empty() {
                map.remove(&a.grid);
            }
        }
    }
    for a in new.into_iter().flat_map(|w| &w.grids) {
        let list = map.entry(a.grid.clone()).or_default();
        let at = list.partition_point(|(w, _)| w.as_str() <= id);
        list.insert(at, (id.to_owned(), a.duty));
    }
}

impl Snapshot {
    /// Top-level grids that no worker serves (一格一员 asks for at least one), in code order.
    /// Micro-grids are served by their parent grid's workers and are not listed.
    pub fn grids_without_worker(&self) -> impl Iterator<Item = &Grid> {
        self.grids.iter().filter(|g| {
            g.parent_code.is_none() && self.grid_workers.get(&g.code).is_none_or(Vec::is_empty)
        })
    }

    /// The highest 3-digit grid serial `village` (12 digits) has ever used, current grids and
    /// retired versions alike (codes are never reused); 0 when it has none.
    #[must_use]
    pub fn highest_grid_serial(&self, village: &str) -> u16 {
        self.grids
            .iter()
            .map(|g| g.code.as_str())
            .chain(self.grid_history.iter().map(|v| v.grid.code.as_str()))
            .filter_map(|c| c.strip_prefix(village))
            .filter(|serial| serial.len() == 3)
            .filter_map(|serial| serial.parse::<u16>().ok())
            .max()
            .unwrap_or(0)
    }

    /// Indexes a whole dataset, events included (a generated sample, a test fixture).
    #[must_use]
    pub fn build(mut data: Dataset, version: u64) -> Self {
        let events = std::mem::take(&mut data.events)
            .iter()
            .map(EventPoint::from)
            .collect();
        Self::build_loaded(data, events, version)
    }

    /// Indexes what a store loads: every layer but events from `data`, and `events` as the
    /// store keeps them for the index ([`crate::store::Store::load_event_points`]).
    #[must_use]
    pub fn build_loaded(data: Dataset, events: Vec<EventPoint>, version: u64) -> Self {
        // The events are most of a big store: their index builds on a thread of its own while
        // this one builds the rest.
        std::thread::scope(|scope| {
            let events = scope.spawn(|| LayerIndex::new(events));
            let mut snapshot = Self::build_layers(data, version);
            match events.join() {
                Ok(events) => snapshot.events = Arc::new(events),
                Err(panic) => std::panic::resume_unwind(panic),
            }
            snapshot
        })
    }

    /// Every layer of `data` indexed, events aside.
    fn build_layers(data: Dataset, version: u64) -> Self {
        let workers = LayerIndex::new(data.workers);
        let grids = LayerIndex::new(data.grids);
        let cameras = LayerIndex::new(data.cameras);
        Self {
            version,
            regions: Arc::new(LayerIndex::new(data.regions)),
            grid_raster: Arc::new(GridRaster::build(&grids)),
            grids: Arc::new(grids),
            grid_history: Arc::new(LayerIndex::new(data.grid_versions)),
            grid_workers: Arc::new(grid_workers(&workers)),
            workers: Arc::new(workers),
            camera_raster: Arc::new(CameraRaster::build(&cameras)),
            cameras: Arc::new(cameras),
            patrol_routes: Arc::new(LayerIndex::new(data.patrol_routes)),
            key_areas: Arc::new(LayerIndex::new(data.key_areas)),
            events: Arc::default(),
            buildings: Arc::new(LayerIndex::new(data.buildings)),
            obstacles: Arc::new(LayerIndex::new(data.obstacles)),
            roads: Arc::new(LayerIndex::new(data.roads)),
        }
    }

    /// Number of items in `layer`.
    #[must_use]
    pub fn count(&self, layer: Layer) -> usize {
        match layer {
            Layer::Region => self.regions.len(),
            Layer::Grid => self.grids.len(),
            Layer::Worker => self.workers.len(),
            Layer::Camera => self.cameras.len(),
            Layer::PatrolRoute => self.patrol_routes.len(),
            Layer::KeyArea => self.key_areas.len(),
            Layer::Event => self.events.len(),
            Layer::Building => self.buildings.len(),
            Layer::Obstacle => self.obstacles.len(),
            Layer::Road => self.roads.len(),
        }
    }

    /// The item of `layer` with `key`, as an [`AnyItem`]. Always `None` for events: the
    /// snapshot keeps only what maps and analyses need of them (the store has them whole).
    #[must_use]
    pub fn get(&self, layer: Layer, key: &str) -> Option<AnyItem> {
        Some(match layer {
            Layer::Region => AnyItem::Region(self.regions.get(key)?.clone()),
            Layer::Grid => AnyItem::Grid(self.grids.get(key)?.clone()),
            Layer::Worker => AnyItem::Worker(self.workers.get(key)?.clone()),
            Layer::Camera => AnyItem::Camera(self.cameras.get(key)?.clone()),
            Layer::PatrolRoute => AnyItem::PatrolRoute(self.patrol_routes.get(key)?.clone()),
            Layer::KeyArea => AnyItem::KeyArea(self.key_areas.get(key)?.clone()),
            Layer::Event => return None,
            Layer::Building => AnyItem::Building(self.buildings.get(key)?.clone()),
            Layer::Obstacle => AnyItem::Obstacle(self.obstacles.get(key)?.clone()),
            Layer::Road => AnyItem::Road(self.roads.get(key)?.clone()),
        })
    }

    /// A new snapshot with `items` put (inserted or replaced) and `deleted` removed, and grid
    /// history replaced by `history` when given: [`Snapshot::with_ordered`] with the puts
    /// first.
    #[must_use]
    pub fn with_changes(&self, items: &[AnyItem], deleted: &[(Layer, String)]) -> Self {
        let ordered: Vec<ItemChange> = items
            .iter()
            .cloned()
            .map(ItemChange::Put)
            .chain(
                deleted
                    .iter()
                    .map(|(l, k)| ItemChange::Delete(*l, k.clone())),
            )
            .collect();
        self.with_ordered(&ordered)
    }

    /// A new snapshot with `changes` applied in order (a later change of the same key wins).
    /// Each layer index takes the changes at the cost of what they change
    /// ([`LayerIndex::with_changes`]), and the rasters rebuild only the tiles the changed items
    /// touch; nothing else is copied. The grid history is left as it is: a committed write moves
    /// it on with [`Snapshot::with_grid_history`].
    #[must_use]
    pub fn with_ordered(&self, changes: &[ItemChange]) -> Self {
        let mut next = self.clone();
        next.version += 1;
        let touched: std::collections::BTreeSet<Layer> =
            changes.iter().map(ItemChange::layer).collect();
        macro_rules! changes {
            ($variant:ident, $layer:expr) => {
                changes
                    .iter()
                    .filter_map(|c| match c {
                        ItemChange::Put(AnyItem::$variant(v)) => Some(LayerChange::Put(v.clone())),
                        ItemChange::Delete(l, k) if *l == $layer => {
                            Some(LayerChange::Delete(k.clone()))
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            };
        }
        for layer in touched {
            match layer {
                Layer::Region => {
                    next.regions = Arc::new(self.regions.with_changes(changes!(Region, layer)));
                }
                Layer::Grid => {
                    let changes = changes!(Grid, layer);
                    let boxes = changed_boxes(&self.grids, &changes, |old, new| {
                        old.parent_code.is_some() && new.is_none_or(|n| n.parent_code.is_some())
                    });
                    next.grids = Arc::new(self.grids.with_changes(changes));
                    if !boxes.is_empty() {
                        next.grid_raster = Arc::new(self.grid_raster.patched(&next.grids, &boxes));
                    }
                }
                Layer::Worker => {
                    let changes = changes!(Worker, layer);
                    next.workers = Arc::new(self.workers.with_changes(changes.iter().cloned()));
                    let mut map = (*self.grid_workers).clone();
                    let keys: std::collections::BTreeSet<String> = changes
                        .iter()
                        .map(|c| match c {
                            LayerChange::Put(w) => w.id.clone(),
                            LayerChange::Delete(key) => key.clone(),
                        })
                        .collect();
                    for key in &keys {
                        patch_grid_workers(
                            &mut map,
                            key,
                            self.workers.get(key),
                            next.workers.get(key),
                        );
                    }
                    next.grid_workers = Arc::new(map);
                }
                Layer::Camera => {
                    let changes = changes!(Camera, layer);
                    let boxes = changed_boxes(&self.cameras, &changes, |old, new| {
                        new.is_some_and(|n| same_view(old, n))
                    });
                    next.cameras = Arc::new(self.cameras.with_changes(changes));
                    if !boxes.is_empty() {
                        next.camera_raster =
                            Arc::new(self.camera_raster.patched(&next.cameras, &boxes));
                    }
                }
                Layer::PatrolRoute => {
                    next.patrol_routes = Arc::new(
                        self.patrol_routes
                            .with_changes(changes!(PatrolRoute, layer)),
                    );
                }
                Layer::KeyArea => {
                    next.key_areas =
                        Arc::new(self.key_areas.with_changes(changes!(KeyArea, layer)));
                }
                Layer::Event => {
                    let changes = changes!(Event, layer).into_iter().map(|c| match c {
                        LayerChange::Put(event) => LayerChange::Put(EventPoint::from(&event)),
                        LayerChange::Delete(key) => LayerChange::Delete(key),
                    });
                    next.events = Arc::new(self.events.with_changes(changes));
                }
                Layer::Building => {
                    next.buildings =
                        Arc::new(self.buildings.with_changes(changes!(Building, layer)));
                }
                Layer::Obstacle => {
                    next.obstacles =
                        Arc::new(self.obstacles.with_changes(changes!(Obstacle, layer)));
                }
                Layer::Road => {
                    next.roads = Arc::new(self.roads.with_changes(changes!(Road, layer)));
                }
            }
        }
        next
    }

    /// This snapshot with the grid history moved on as the store moves it for `changes`
    /// committed at `at` (`store::plan`): a grid put closes the grid's open version at `at`
    /// and opens the next version, a copy of the grid, from `at`; a grid delete closes the
    /// open version. Costs what the changes touch, not the history's length.
    #[must_use]
    pub fn with_grid_history(&self, changes: &[ItemChange], at: DateTime<Utc>) -> Self {
        let mut history = (*self.grid_history).clone();
        let mut touched = false;
        for change in changes {
            let (code, put) = match change {
                ItemChange::Put(AnyItem::Grid(g)) => (g.code.as_str(), Some(g)),
                ItemChange::Delete(Layer::Grid, code) => (code.as_str(), None),
                _ => continue,
            };
            touched = true;
            let prefix = format!("{code}@");
            let (open, last) = history
                .with_key_prefix(&prefix)
                .fold((None, 0), |(open, _), v| {
                    (
                        if v.valid_to.is_none() {
                            Some(v.clone())
                        } else {
                            open
                        },
                        v.version,
                    )
                });
            let mut versions = Vec::with_capacity(2);
            if let Some(open) = open {
                versions.push(LayerChange::Put(GridVersion {
                    valid_to: Some(at),
                    ..open
                }));
            }
            if let Some(grid) = put {
                versions.push(LayerChange::Put(GridVersion {
                    grid: grid.clone(),
                    version: last + 1,
                    valid_from: at,
                    valid_to: None,
                }));
            }
            history = history.with_changes(versions);
        }
        if !touched {
            return self.clone();
        }
        Self {
            grid_history: Arc::new(history),
            ..self.clone()
        }
    }

    /// Layers whose index has changed enough since its base that a compaction would pay.
    #[must_use]
    pub fn layers_to_compact(&self) -> Vec<Layer> {
        Layer::ALL
            .into_iter()
            .filter(|l| self.needs_compaction(*l))
            .collect()
    }

    fn needs_compaction(&self, layer: Layer) -> bool {
        match layer {
            Layer::Region => self.regions.needs_compaction(),
            Layer::Grid => self.grids.needs_compaction(),
            Layer::Worker => self.workers.needs_compaction(),
            Layer::Camera => self.cameras.needs_compaction(),
            Layer::PatrolRoute => self.patrol_routes.needs_compaction(),
            Layer::KeyArea => self.key_areas.needs_compaction(),
            Layer::Event => self.events.needs_compaction(),
            Layer::Building => self.buildings.needs_compaction(),
            Layer::Obstacle => self.obstacles.needs_compaction(),
            Layer::Road => self.roads.needs_compaction(),
        }
    }

    /// A new base for `layer`'s index as this snapshot holds it: the expensive half of a
    /// compaction, for a worker off the write path.
    #[must_use]
    pub fn compact(&self, layer: Layer) -> Compaction {
        let base = match layer {
            Layer::Region => self.regions.compacted(),
            Layer::Grid => self.grids.compacted(),
            Layer::Worker => self.workers.compacted(),
            Layer::Camera => self.cameras.compacted(),
            Layer::PatrolRoute => self.patrol_routes.compacted(),
            Layer::KeyArea => self.key_areas.compacted(),
            Layer::Event => self.events.compacted(),
            Layer::Building => self.buildings.compacted(),
            Layer::Obstacle => self.obstacles.compacted(),
            Layer::Road => self.roads.compacted(),
        };
        Compaction { layer, base }
    }

    /// This snapshot with a compaction built from it or an earlier one installed: the same
    /// answers, from a smaller delta.
    #[must_use]
    pub fn with_compaction(&self, c: Compaction) -> Self {
        let mut next = self.clone();
        let base = c.base;
        match c.layer {
            Layer::Region => next.regions = Arc::new(self.regions.with_base(base)),
            Layer::Grid => next.grids = Arc::new(self.grids.with_base(base)),
            Layer::Worker => next.workers = Arc::new(self.workers.with_base(base)),
            Layer::Camera => next.cameras = Arc::new(self.cameras.with_base(base)),
            Layer::PatrolRoute => next.patrol_routes = Arc::new(self.patrol_routes.with_base(base)),
            Layer::KeyArea => next.key_areas = Arc::new(self.key_areas.with_base(base)),
            Layer::Event => next.events = Arc::new(self.events.with_base(base)),
            Layer::Building => next.buildings = Arc::new(self.buildings.with_base(base)),
            Layer::Obstacle => next.obstacles = Arc::new(self.obstacles.with_base(base)),
            Layer::Road => next.roads = Arc::new(self.roads.with_base(base)),
        }
        next
    }
}

/// One change of a snapshot: put an item (insert or replace by key), or delete one.
#[derive(Debug, Clone)]
pub enum ItemChange {
    /// Insert, or replace the item of the same layer and key.
    Put(AnyItem),
    /// Delete the item of this layer and key.
    Delete(Layer, String),
}

impl ItemChange {
    /// The layer changed.
    #[must_use]
    pub fn layer(&self) -> Layer {
        match self {
            ItemChange::Put(item) => item.layer(),
            ItemChange::Delete(layer, _) => *layer,
        }
    }
}

/// A compacted base for one layer's index ([`Snapshot::compact`]).
#[derive(Debug)]
pub struct Compaction {
    /// The layer it is for.
    pub layer: Layer,
    base: CompactedBase,
}

/// The boxes a raster must rebuild for `changes` of `index`: each changed item's box before
/// and after, except where `unchanged(old, new)` says the raster holds the same for both.
fn changed_boxes<T: Spatial + KeyOf>(
    index: &LayerIndex<T>,
    changes: &[LayerChange<T>],
    unchanged: impl Fn(&T, Option<&T>) -> bool,
) -> Vec<Rect> {
    let mut boxes = Vec::new();
    for change in changes {
        let (key, new) = match change {
            LayerChange::Put(item) => (item.key_of(), Some(item)),
            LayerChange::Delete(key) => (std::borrow::Cow::Borrowed(key.as_str()), None),
        };
        let old = index.get(&key);
        if let Some(old) = old
            && unchanged(old, new)
        {
            continue;
        }
        boxes.extend(old.and_then(Spatial::envelope));
        boxes.extend(new.and_then(Spatial::envelope));
    }
    boxes
}

impl Snapshot {
    /// Every item of `layer` as GeoJSON Features, sorted by key; none for events, which are
    /// read from the store.
    #[must_use]
    pub fn features(&self, layer: Layer) -> Vec<geojson::Feature> {
        use crate::domain::Item;
        fn all<T: Item + Spatial + KeyOf>(index: &LayerIndex<T>) -> Vec<geojson::Feature> {
            index.iter().map(Item::to_feature).collect()
        }
        match layer {
            Layer::Region => all(&self.regions),
            Layer::Grid => all(&self.grids),
            Layer::Worker => all(&self.workers),
            Layer::Camera => all(&self.cameras),
            Layer::PatrolRoute => all(&self.patrol_routes),
            Layer::KeyArea => all(&self.key_areas),
            Layer::Event => Vec::new(),
            Layer::Building => all(&self.buildings),
            Layer::Obstacle => all(&self.obstacles),
            Layer::Road => all(&self.roads),
        }
    }
}
