//! What part of a layer an export covers ([`Extent`]): all of it, the items in a box (the map's
//! current view), or the items of one village or community. Which items fall in an extent is
//! decided here, once, for every layer:
//! * grids: those meeting the box, or the village's own grids (by code, micro-grids included);
//! * workers: those serving a grid that falls in the extent;
//! * cameras and buildings: those standing in it (not those whose reach touches it);
//! * regions: those meeting the box, or the village itself;
//! * key areas, patrol routes and obstacles: those whose geometry meets it.
//!
//! Events are read from the store page by page; [`Extent::holds_point`] filters them.

use std::collections::HashSet;

use geo::{Coord, Intersects, LineString, MultiPolygon, Rect};

use crate::domain::{Grid, Item, Layer, ObstacleShape, Region, Worker};

use super::geom::covers;
use super::index::{KeyOf, LayerIndex, Spatial};
use super::snapshot::Snapshot;

/// The part of a layer to export.
#[derive(Debug, Clone)]
pub enum Extent {
    /// The whole layer.
    All,
    /// Items meeting this box (WGS84 degrees).
    Rect(Rect),
    /// Items of this village or community.
    Village(Region),
}

impl Extent {
    /// The village `code` as an extent; `None` when it is not a village of `snapshot`.
    #[must_use]
    pub fn village(snapshot: &Snapshot, code: &str) -> Option<Self> {
        snapshot
            .regions
            .get(code)
            .filter(|r| r.code.len() == 12)
            .map(|r| Self::Village(r.clone()))
    }

    /// The box to read from an index, `None` for the whole layer.
    #[must_use]
    pub fn rect(&self) -> Option<Rect> {
        match self {
            Self::All => None,
            Self::Rect(r) => Some(*r),
            Self::Village(v) => v.envelope(),
        }
    }

    /// Whether a point (a camera, a building, an event) falls in the extent.
    #[must_use]
    pub fn holds_point(&self, p: Coord) -> bool {
        match self {
            Self::All => true,
            Self::Rect(r) => r.intersects(&p),
            Self::Village(v) => covers(&v.area, p),
        }
    }

    fn meets_area(&self, area: &MultiPolygon) -> bool {
        match self {
            Self::All => true,
            Self::Rect(r) => area.intersects(r),
            Self::Village(v) => v.area.intersects(area),
        }
    }

    fn meets_line(&self, line: &LineString) -> bool {
        match self {
            Self::All => true,
            Self::Rect(r) => line.intersects(r),
            Self::Village(v) => v.area.intersects(line),
        }
    }

    /// The workers in the extent, in key order: those serving one of its grids (every worker
    /// for the whole layer).
    #[must_use]
    pub fn workers<'a>(&'a self, snapshot: &'a Snapshot) -> Vec<&'a Worker> {
        if matches!(self, Self::All) {
            return snapshot.workers.iter().collect();
        }
        let grids: HashSet<&str> = self
            .grids(snapshot)
            .into_iter()
            .map(|g| g.code.as_str())
            .collect();
        snapshot
            .workers
            .iter()
            .filter(|w| w.grids.iter().any(|a| grids.contains(a.grid.as_str())))
            .collect()
    }

    /// The grids in the extent, in code order: the village's own (by code, micro-grids
    /// included), or those meeting the box.
    fn grids<'a>(&'a self, snapshot: &'a Snapshot) -> Vec<&'a Grid> {
        if let Self::Village(v) = self {
            return snapshot.grids.with_key_prefix(&v.code).collect();
        }
        let mut grids: Vec<&Grid> = self
            .candidates(&snapshot.grids)
            .filter(|g| self.meets_area(&g.area))
            .collect();
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        grids
    }

    /// The items of `layer` in the extent as GeoJSON Features, in key order; none for events,
    /// which are read from the store.
    #[must_use]
    pub fn features(&self, snapshot: &Snapshot, layer: Layer) -> Vec<geojson::Feature> {
        if matches!(self, Self::All) {
            return snapshot.features(layer);
        }
        match layer {
            Layer::Region => self.pick(&snapshot.regions, |r| match self {
                Self::Village(v) => r.code == v.code,
                _ => self.meets_area(&r.area),
            }),
            Layer::Grid => self
                .grids(snapshot)
                .into_iter()
                .map(Item::to_feature)
                .collect(),
            Layer::Worker => self
                .workers(snapshot)
                .into_iter()
                .map(Item::to_feature)
                .collect(),
            Layer::Camera => self.pick(&snapshot.cameras, |c| self.holds_point(c.location.0)),
            Layer::Building => self.pick(&snapshot.buildings, |b| self.holds_point(b.location.0)),
            Layer::KeyArea => self.pick(&snapshot.key_areas, |a| self.meets_area(&a.area)),
            Layer::PatrolRoute => self.pick(&snapshot.patrol_routes, |r| self.meets_line(&r.line)),
            Layer::Obstacle => self.pick(&snapshot.obstacles, |o| match &o.shape {
                ObstacleShape::Area(area) => self.meets_area(area),
                ObstacleShape::Wall(line) => self.meets_line(line),
            }),
            Layer::Road => self.pick(&snapshot.roads, |r| self.meets_line(&r.line)),
            Layer::Event => Vec::new(),
        }
    }

    /// Items whose index box meets the extent's box (every item for the whole layer).
    fn candidates<'a, T: Spatial + KeyOf>(
        &self,
        index: &'a LayerIndex<T>,
    ) -> Box<dyn Iterator<Item = &'a T> + 'a> {
        match self.rect() {
            None => Box::new(index.iter()),
            Some(rect) => Box::new(index.intersecting(rect)),
        }
    }

    /// The items of `index` in the extent (`keep` decides exactly), in key order.
    fn pick<T: Item + Spatial + KeyOf>(
        &self,
        index: &LayerIndex<T>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<geojson::Feature> {
        let mut items: Vec<&T> = self.candidates(index).filter(|it| keep(it)).collect();
        items.sort_by(|a, b| a.key_of().cmp(&b.key_of()));
        items.into_iter().map(Item::to_feature).collect()
    }
}
