//! The immutable snapshot of every layer that readers share.
//!
//! Readers hold an `Arc<Snapshot>` and never lock; a committed write builds a new snapshot from
//! the old one (only the changed layer is rebuilt, the others are shared by `Arc`) and publishes
//! it atomically. A reader therefore never sees half a change.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::{
    AnyItem, Building, Camera, Dataset, Duty, Event, Grid, GridVersion, KeyArea, Layer, Obstacle,
    PatrolRoute, Region, Worker,
};

use super::camera_raster::CameraRaster;
use super::coverage::CoverageCache;
use super::index::{KeyOf, LayerIndex};
use super::raster::GridRaster;

/// Workers of one grid: (worker key, duty).
pub type GridWorkers = HashMap<String, Vec<(String, Duty)>>;

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
    pub events: Arc<LayerIndex<Event>>,
    pub buildings: Arc<LayerIndex<Building>>,
    /// Footprints and walls that hide the ground from cameras (see [`super::visibility`]).
    pub obstacles: Arc<LayerIndex<Obstacle>>,
    /// Camera polygons and coverage tables, built on first use (see [`super::coverage`]).
    pub coverage_cache: Arc<CoverageCache>,
}

fn grid_workers(workers: &LayerIndex<Worker>) -> GridWorkers {
    let mut map: GridWorkers = HashMap::new();
    for w in workers.items() {
        for a in &w.grids {
            map.entry(a.grid.clone())
                .or_default()
                .push((w.id.clone(), a.duty));
        }
    }
    map
}

impl Snapshot {
    /// Top-level grids that no worker serves (一格一员 asks for at least one), in code order.
    /// Micro-grids are served by their parent grid's workers and are not listed.
    pub fn grids_without_worker(&self) -> impl Iterator<Item = &Grid> {
        self.grids.items().iter().filter(|g| {
            g.parent_code.is_none() && self.grid_workers.get(&g.code).is_none_or(Vec::is_empty)
        })
    }

    /// The highest 3-digit grid serial `village` (12 digits) has ever used, current grids and
    /// retired versions alike (codes are never reused); 0 when it has none.
    #[must_use]
    pub fn highest_grid_serial(&self, village: &str) -> u16 {
        self.grids
            .items()
            .iter()
            .map(|g| g.code.as_str())
            .chain(
                self.grid_history
                    .items()
                    .iter()
                    .map(|v| v.grid.code.as_str()),
            )
            .filter_map(|c| c.strip_prefix(village))
            .filter(|serial| serial.len() == 3)
            .filter_map(|serial| serial.parse::<u16>().ok())
            .max()
            .unwrap_or(0)
    }

    /// Indexes a whole dataset.
    #[must_use]
    pub fn build(data: Dataset, version: u64) -> Self {
        let workers = LayerIndex::new(data.workers);
        let grids = LayerIndex::new(data.grids);
        let cameras = LayerIndex::new(data.cameras);
        Self {
            version,
            regions: Arc::new(LayerIndex::new(data.regions)),
            grid_raster: Arc::new(GridRaster::build(grids.items())),
            grids: Arc::new(grids),
            grid_history: Arc::new(LayerIndex::new(data.grid_versions)),
            grid_workers: Arc::new(grid_workers(&workers)),
            workers: Arc::new(workers),
            camera_raster: Arc::new(CameraRaster::build(cameras.items())),
            cameras: Arc::new(cameras),
            patrol_routes: Arc::new(LayerIndex::new(data.patrol_routes)),
            key_areas: Arc::new(LayerIndex::new(data.key_areas)),
            events: Arc::new(LayerIndex::new(data.events)),
            buildings: Arc::new(LayerIndex::new(data.buildings)),
            obstacles: Arc::new(LayerIndex::new(data.obstacles)),
            coverage_cache: Arc::default(),
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
        }
    }

    /// The item of `layer` with `key`, as an [`AnyItem`].
    #[must_use]
    pub fn get(&self, layer: Layer, key: &str) -> Option<AnyItem> {
        Some(match layer {
            Layer::Region => AnyItem::Region(self.regions.get(key)?.clone()),
            Layer::Grid => AnyItem::Grid(self.grids.get(key)?.clone()),
            Layer::Worker => AnyItem::Worker(self.workers.get(key)?.clone()),
            Layer::Camera => AnyItem::Camera(self.cameras.get(key)?.clone()),
            Layer::PatrolRoute => AnyItem::PatrolRoute(self.patrol_routes.get(key)?.clone()),
            Layer::KeyArea => AnyItem::KeyArea(self.key_areas.get(key)?.clone()),
            Layer::Event => AnyItem::Event(self.events.get(key)?.clone()),
            Layer::Building => AnyItem::Building(self.buildings.get(key)?.clone()),
            Layer::Obstacle => AnyItem::Obstacle(self.obstacles.get(key)?.clone()),
        })
    }

    /// A new snapshot with `items` put (inserted or replaced) and `deleted` removed, and grid
    /// history extended by `new_versions` (which close the versions they replace).
    #[must_use]
    pub fn with_changes(
        &self,
        items: &[AnyItem],
        deleted: &[(Layer, String)],
        history: Option<Vec<GridVersion>>,
    ) -> Self {
        let mut next = self.clone();
        next.version += 1;
        let touched: std::collections::BTreeSet<Layer> = items
            .iter()
            .map(AnyItem::layer)
            .chain(deleted.iter().map(|(l, _)| *l))
            .collect();
        next.coverage_cache = Arc::new(self.coverage_cache.after_change(&touched));
        for layer in touched {
            let gone: Vec<&str> = deleted
                .iter()
                .filter(|(l, _)| *l == layer)
                .map(|(_, k)| k.as_str())
                .collect();
            macro_rules! rebuild {
                ($field:ident, $variant:ident) => {{
                    let mut map: std::collections::BTreeMap<String, _> = self
                        .$field
                        .items()
                        .iter()
                        .filter(|it| !gone.contains(&it.key_of()))
                        .map(|it| (it.key_of().to_owned(), it.clone()))
                        .collect();
                    for item in items {
                        if let AnyItem::$variant(v) = item {
                            map.insert(v.key_of().to_owned(), v.clone());
                        }
                    }
                    next.$field = Arc::new(LayerIndex::new(map.into_values().collect()));
                }};
            }
            match layer {
                Layer::Region => rebuild!(regions, Region),
                Layer::Grid => {
                    rebuild!(grids, Grid);
                    next.grid_raster = Arc::new(GridRaster::build(next.grids.items()));
                }
                Layer::Worker => {
                    rebuild!(workers, Worker);
                    next.grid_workers = Arc::new(grid_workers(&next.workers));
                }
                Layer::Camera => {
                    rebuild!(cameras, Camera);
                    next.camera_raster = Arc::new(CameraRaster::build(next.cameras.items()));
                }
                Layer::PatrolRoute => rebuild!(patrol_routes, PatrolRoute),
                Layer::KeyArea => rebuild!(key_areas, KeyArea),
                Layer::Event => rebuild!(events, Event),
                Layer::Building => rebuild!(buildings, Building),
                Layer::Obstacle => rebuild!(obstacles, Obstacle),
            }
        }
        if let Some(history) = history {
            next.grid_history = Arc::new(LayerIndex::new(history));
        }
        next
    }
}

impl Snapshot {
    /// Every item of `layer` as GeoJSON Features, sorted by key.
    #[must_use]
    pub fn features(&self, layer: Layer) -> Vec<geojson::Feature> {
        use crate::domain::Item;
        fn all<T: Item>(items: &[T]) -> Vec<geojson::Feature> {
            items.iter().map(Item::to_feature).collect()
        }
        match layer {
            Layer::Region => all(self.regions.items()),
            Layer::Grid => all(self.grids.items()),
            Layer::Worker => all(self.workers.items()),
            Layer::Camera => all(self.cameras.items()),
            Layer::PatrolRoute => all(self.patrol_routes.items()),
            Layer::KeyArea => all(self.key_areas.items()),
            Layer::Event => all(self.events.items()),
            Layer::Building => all(self.buildings.items()),
            Layer::Obstacle => all(self.obstacles.items()),
        }
    }
}
