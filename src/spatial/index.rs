//! A keyed, spatially indexed collection of one layer's items: an id index beside an R-tree of
//! envelopes (as tile38 keeps both per collection). rstar types stay inside this module.

use std::collections::HashMap;

use geo::{BoundingRect, Coord, Intersects, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::{
    Building, Camera, Event, Grid, GridVersion, Item, KeyArea, Obstacle, ObstacleShape,
    PatrolRoute, Region, Worker,
};

use super::measure::LocalFrame;

/// What the R-tree stores for an item: its envelope and its position in the item vector.
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// An item that may have a bounding box to index.
pub trait Spatial {
    /// The box to index, in degrees; `None` keeps the item out of the R-tree.
    fn envelope(&self) -> Option<Rect>;

    /// Whether the item's geometry intersects `rect` (exactly; the default tests the envelope,
    /// which is exact for points).
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.envelope().is_some_and(|e| e.intersects(rect))
    }
}

/// Items of one layer, sorted by key, with an id index and an R-tree of envelopes.
#[derive(Debug)]
pub struct LayerIndex<T> {
    items: Vec<T>,
    by_key: HashMap<String, u32>,
    tree: RTree<Entry>,
}

impl<T> Default for LayerIndex<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_key: HashMap::new(),
            tree: RTree::new(),
        }
    }
}

/// The smallest rectangle holding both `a` and `b`.
#[must_use]
pub fn rect_hull(a: Rect, b: Rect) -> Rect {
    Rect::new(
        Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

/// The smallest rectangle holding every rectangle of `rects`; `None` when there are none.
pub fn rect_union(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
    rects.into_iter().reduce(rect_hull)
}

fn to_aabb(r: Rect) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

impl<T: Spatial + KeyOf> LayerIndex<T> {
    /// Builds the index; items are sorted by key so that listing and paging are stable.
    #[must_use]
    pub fn new(mut items: Vec<T>) -> Self {
        items.sort_by(|a, b| a.key_of().cmp(b.key_of()));
        let by_key = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.key_of().to_owned(), index_u32(i)))
            .collect();
        let entries = items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| it.envelope().map(|r| Entry::new(to_aabb(r), index_u32(i))))
            .collect();
        Self {
            items,
            by_key,
            tree: RTree::bulk_load(entries),
        }
    }

    /// Every item, sorted by key.
    #[must_use]
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The item at position `i` of [`LayerIndex::items`].
    #[must_use]
    pub fn item(&self, i: u32) -> &T {
        &self.items[i as usize]
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the layer is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item with this key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&T> {
        self.by_key.get(key).map(|&i| &self.items[i as usize])
    }

    /// Items whose envelope contains the point (candidates for an exact test).
    pub fn candidates_at(&self, p: Coord) -> impl Iterator<Item = &T> {
        self.tree
            .locate_all_at_point(&[p.x, p.y])
            .map(|e| &self.items[e.data as usize])
    }

    /// Items whose geometry intersects `rect`, sorted by key.
    #[must_use]
    pub fn within(&self, rect: Rect) -> Vec<&T> {
        let mut hits: Vec<&T> = self
            .intersecting(rect)
            .filter(|it| it.intersects_rect(&rect))
            .collect();
        hits.sort_by(|a, b| a.key_of().cmp(b.key_of()));
        hits
    }

    /// Items whose envelope intersects `rect`, in no particular order.
    pub fn intersecting(&self, rect: Rect) -> impl Iterator<Item = &T> {
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| &self.items[e.data as usize])
    }

    /// Positions (in [`LayerIndex::items`]) of the items whose envelope intersects `rect`, in
    /// no particular order: for side tables kept by position, such as camera polygons.
    pub fn positions_intersecting(&self, rect: Rect) -> impl Iterator<Item = u32> {
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
    }

    /// A copy with `item` inserted or replaced.
    #[must_use]
    pub fn with_put(&self, item: T) -> Self
    where
        T: Clone,
    {
        let mut items: Vec<T> = self
            .items
            .iter()
            .filter(|it| it.key_of() != item.key_of())
            .cloned()
            .collect();
        items.push(item);
        Self::new(items)
    }

    /// A copy without the item of `key`.
    #[must_use]
    pub fn with_removed(&self, key: &str) -> Self
    where
        T: Clone,
    {
        Self::new(
            self.items
                .iter()
                .filter(|it| it.key_of() != key)
                .cloned()
                .collect(),
        )
    }
}

fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The key an item is indexed by.
pub trait KeyOf {
    /// The key.
    fn key_of(&self) -> &str;
}

impl<T: Item> KeyOf for T {
    fn key_of(&self) -> &str {
        self.key()
    }
}

impl Spatial for Region {
    fn envelope(&self) -> Option<Rect> {
        self.area.bounding_rect()
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.area.intersects(rect)
    }
}
impl Spatial for Grid {
    fn envelope(&self) -> Option<Rect> {
        self.area.bounding_rect()
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.area.intersects(rect)
    }
}
impl Spatial for KeyArea {
    fn envelope(&self) -> Option<Rect> {
        self.area.bounding_rect()
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.area.intersects(rect)
    }
}
impl Spatial for PatrolRoute {
    fn envelope(&self) -> Option<Rect> {
        self.line.bounding_rect()
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.line.intersects(rect)
    }
}
impl Spatial for Event {
    fn envelope(&self) -> Option<Rect> {
        Some(Rect::new(self.location.0, self.location.0))
    }
}
impl Spatial for Building {
    fn envelope(&self) -> Option<Rect> {
        Some(Rect::new(self.location.0, self.location.0))
    }
}
impl Spatial for Obstacle {
    fn envelope(&self) -> Option<Rect> {
        match &self.shape {
            ObstacleShape::Area(area) => area.bounding_rect(),
            ObstacleShape::Wall(line) => line.bounding_rect(),
        }
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        match &self.shape {
            ObstacleShape::Area(area) => area.intersects(rect),
            ObstacleShape::Wall(line) => line.intersects(rect),
        }
    }
}
impl Spatial for Worker {
    fn envelope(&self) -> Option<Rect> {
        None
    }
}
/// A camera is indexed by the box around its full range circle, so a point query returns
/// every camera that might see the point.
impl Spatial for Camera {
    fn envelope(&self) -> Option<Rect> {
        let c = self.location.0;
        let (dlon, dlat) = LocalFrame::new(c.x, c.y).metres_to_degrees(self.range_m * 1.001);
        Some(Rect::new(
            Coord {
                x: c.x - dlon,
                y: c.y - dlat,
            },
            Coord {
                x: c.x + dlon,
                y: c.y + dlat,
            },
        ))
    }
}

/// Grid versions are keyed by `code@version`.
impl KeyOf for GridVersion {
    fn key_of(&self) -> &str {
        &self.grid.code
    }
}
impl Spatial for GridVersion {
    fn envelope(&self) -> Option<Rect> {
        self.grid.area.bounding_rect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;

    fn building(id: &str, lon: f64, lat: f64) -> Building {
        Building {
            id: id.into(),
            address: String::new(),
            households: 1,
            residents: 2,
            location: Point::new(lon, lat),
        }
    }

    #[test]
    fn bbox_query_matches_brute_force() {
        // Fixed-seed LCG so the test is repeatable.
        let mut s: u64 = 42;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let items: Vec<_> = (0..2000)
            .map(|i| building(&format!("B{i:05}"), 120.0 + next(), 29.0 + next()))
            .collect();
        let index = LayerIndex::new(items.clone());
        for _ in 0..50 {
            let (x, y) = (120.0 + next(), 29.0 + next());
            let rect = Rect::new(
                Coord { x, y },
                Coord {
                    x: x + 0.1,
                    y: y + 0.1,
                },
            );
            let mut got: Vec<_> = index.intersecting(rect).map(|b| b.id.clone()).collect();
            got.sort();
            let mut want: Vec<_> = items
                .iter()
                .filter(|b| {
                    let c = b.location.0;
                    c.x >= x && c.x <= x + 0.1 && c.y >= y && c.y <= y + 0.1
                })
                .map(|b| b.id.clone())
                .collect();
            want.sort();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn put_and_remove_keep_keys_unique_and_sorted() {
        let index = LayerIndex::new(vec![building("b", 120.0, 29.0), building("a", 120.1, 29.1)]);
        assert_eq!(index.items()[0].id, "a");
        let index = index.with_put(building("a", 121.0, 29.5));
        assert_eq!(index.len(), 2);
        assert_eq!(index.get("a").map(|b| b.location.0.x), Some(121.0));
        let index = index.with_removed("b");
        assert_eq!(index.len(), 1);
        assert!(index.get("b").is_none());
    }
}
