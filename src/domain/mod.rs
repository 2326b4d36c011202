//! Domain types of safegrid and their validation: pure data, no I/O.
//!
//! Every layer of the map is one type here ([`Region`], [`Grid`], [`Worker`], [`Camera`],
//! [`PatrolRoute`], [`KeyArea`], [`Event`], [`Building`], [`Obstacle`], [`Road`]). Each converts to and from a GeoJSON
//! Feature through the [`Item`] trait and validates itself without looking at other items;
//! checks that need the rest of the map (overlaps, unknown parent codes) live in `spatial` and
//! in the service.
//!
//! Each enum takes its names (as the JSON, the store, URLs and the command line spell them) from
//! one list beside it: `as_str`, `FromStr`, `Display`, `ALL` and `NAMES` all come from that list
//! ([`crate::domain::names`]).
//!
//! This module must not import `sqlx`, `axum` or anything that does I/O.
//!
//! # Units
//! Coordinates are WGS84 longitude/latitude in degrees (EPSG:4326, GeoJSON order `[lon, lat]`);
//! lengths are metres; angles are degrees clockwise from north.

mod building;
pub mod calendar;
mod camera;
pub mod codes;
mod event;
pub mod geometry;
mod grid;
mod item;
mod key_area;
pub mod names;
mod obstacle;
mod patrol;
pub mod problem;
pub mod progress;
mod region;
mod road;
mod role;
pub mod validity;
pub mod work;
mod worker;

pub use building::Building;
pub use camera::{Camera, CameraKind, CameraStatus};
pub use event::{
    Event, EventCursor, EventPoint, EventQuery, EventStatus, ListedEvent, MAX_EVENT_PAGE,
};
pub use grid::{Grid, GridKind, GridVersion};
pub use item::{AnyItem, Item, Layer};
pub use key_area::{KeyArea, KeyAreaCategory, KeyAreaStatus};
pub use obstacle::{MAX_OBSTACLE_HEIGHT_M, Obstacle, ObstacleKind, ObstacleShape};
pub use patrol::{PatrolRoute, TimeWindow};
pub use problem::Problem;
pub use region::{Region, RegionLevel};
pub use road::{MAX_ROAD_NAME_CHARS, Oneway, Road, RoadClass};
pub use role::Role;
pub use worker::{Assignment, Duty, Worker, WorkerRole, mask_phone};

/// A validation failure: which field was wrong and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DomainError {
    /// JSON-pointer-like path of the offending field, e.g. `geometry.coordinates[0][3]`.
    pub field: String,
    /// Human-readable reason (English, for people reading the API).
    pub reason: String,
    /// What kind of wrong it is, for programs and for wording it in the user's language.
    pub problem: Problem,
}

impl DomainError {
    /// Builds an error for `field` with `reason`, of no finer kind than [`Problem::Invalid`].
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            problem: Problem::Invalid,
        }
    }

    /// Builds an error of kind `problem` for `field` with `reason`.
    pub fn of(problem: Problem, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            problem,
            ..Self::new(field, reason)
        }
    }

    /// The same error for another field (e.g. one nested in a request).
    #[must_use]
    pub fn at(self, field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            ..self
        }
    }
}

/// Result of a domain validation.
pub type DomainResult<T> = Result<T, DomainError>;

/// Everything a store holds, loaded at start to build the in-memory index.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    pub regions: Vec<Region>,
    pub grids: Vec<Grid>,
    /// Every grid version, the current ones included (`valid_to == None`).
    pub grid_versions: Vec<GridVersion>,
    pub workers: Vec<Worker>,
    pub cameras: Vec<Camera>,
    pub patrol_routes: Vec<PatrolRoute>,
    pub key_areas: Vec<KeyArea>,
    pub events: Vec<Event>,
    pub buildings: Vec<Building>,
    pub obstacles: Vec<Obstacle>,
    pub roads: Vec<Road>,
}

impl Dataset {
    /// Adds an item to the list of its layer.
    pub fn push(&mut self, item: AnyItem) {
        match item {
            AnyItem::Region(v) => self.regions.push(v),
            AnyItem::Grid(v) => self.grids.push(v),
            AnyItem::Worker(v) => self.workers.push(v),
            AnyItem::Camera(v) => self.cameras.push(v),
            AnyItem::PatrolRoute(v) => self.patrol_routes.push(v),
            AnyItem::KeyArea(v) => self.key_areas.push(v),
            AnyItem::Event(v) => self.events.push(v),
            AnyItem::Building(v) => self.buildings.push(v),
            AnyItem::Obstacle(v) => self.obstacles.push(v),
            AnyItem::Road(v) => self.roads.push(v),
        }
    }

    /// All items as one list of [`AnyItem`], parents before children (regions by level, grids
    /// before micro-grids, grids before workers), the order a store must insert them in.
    #[must_use]
    pub fn into_items(self) -> Vec<AnyItem> {
        let mut regions = self.regions;
        regions.sort_by_key(|r| r.code.len());
        let mut grids = self.grids;
        grids.sort_by_key(|g| g.parent_code.is_some());
        let mut out = Vec::new();
        out.extend(regions.into_iter().map(AnyItem::Region));
        out.extend(grids.into_iter().map(AnyItem::Grid));
        out.extend(self.workers.into_iter().map(AnyItem::Worker));
        out.extend(self.cameras.into_iter().map(AnyItem::Camera));
        out.extend(self.patrol_routes.into_iter().map(AnyItem::PatrolRoute));
        out.extend(self.key_areas.into_iter().map(AnyItem::KeyArea));
        out.extend(self.events.into_iter().map(AnyItem::Event));
        out.extend(self.buildings.into_iter().map(AnyItem::Building));
        out.extend(self.obstacles.into_iter().map(AnyItem::Obstacle));
        out.extend(self.roads.into_iter().map(AnyItem::Road));
        out
    }
}
