//! A keyed, spatially indexed collection of one layer's items that takes changes at the cost
//! of what they change: an id index beside an R-tree of envelopes (as tile38 keeps both per
//! collection), both persistent, so that publishing a change copies no layer.
//!
//! # Design
//! - **Slots.** Every item lives in a slot, a stable `u32` that side tables (the rasters, the
//!   camera polygons) keep instead of the item: a replaced item keeps its slot, a new one takes
//!   the next, a deleted one leaves its slot empty. Slots are an `imbl::Vector` (an RRB tree):
//!   a change copies the one path to its slot, `O(log n)`, and shares the rest.
//! - **Keys.** An `imbl::OrdMap` from key to slot (a persistent B-tree) answers `get` and
//!   lists the items in key order for paging.
//! - **Space.** A base R-tree, bulk-loaded, holds the envelopes as they were at a past
//!   generation; the slots changed since have their base entries ignored, and their current
//!   envelopes in a delta: an open run that each change copies and extends (at most [`RUN`]
//!   entries), and sealed runs shared by `Arc`. Delta entries carry the generation they were
//!   put at, and an entry counts while its slot's last change is that generation, so a change
//!   never touches a sealed run: it costs `O(log n + RUN)` whatever the delta's size (copying
//!   one delta of 16,384 entries per change made a layer of a million events take writes
//!   30 % slower than one of ten thousand). Past [`MAX_RUNS`] sealed runs, they are merged into
//!   one of the current entries. Once the changed slots outgrow [`LayerIndex::needs_compaction`],
//!   the service builds a new base from a snapshot off the write path
//!   ([`LayerIndex::compacted`], `O(n log n)`) and installs it ([`LayerIndex::with_base`]),
//!   keeping in the delta what changed meanwhile.
//!
//! Readers hold an immutable index and never lock; every change returns a new index sharing
//! almost everything with the old. rstar and imbl types stay inside this module.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use geo::{BoundingRect, Coord, Intersects, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::{
    Building, Camera, Event, EventPoint, Grid, GridVersion, Item, KeyArea, Obstacle, ObstacleShape,
    PatrolRoute, Region, Road, Worker,
};

use super::measure::LocalFrame;

/// What the base R-tree stores for an item: its envelope and its slot.
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// What the delta runs store: an envelope, its slot and the generation of the change that put
/// it there.
type DeltaEntry = GeomWithData<Rectangle<[f64; 2]>, (u32, u64)>;

/// Entries of the open delta run before it is sealed: what one change copies at most.
const RUN: usize = 1_024;
/// Sealed delta runs before they are merged into one.
const MAX_RUNS: usize = 8;

/// Fewest changed slots that make a compaction worth it.
const MIN_DELTA: usize = 1_024;
/// Most changed slots kept in the delta before a compaction is due, whatever the layer size.
const MAX_DELTA: usize = 16_384;

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

/// Items of one layer in stable slots, with a key index and an R-tree of envelopes.
#[derive(Debug)]
pub struct LayerIndex<T> {
    slots: imbl::Vector<Option<Arc<T>>>,
    by_key: imbl::OrdMap<String, u32>,
    base: Arc<RTree<Entry>>,
    /// Sealed delta runs: envelopes put since the base was built, some no longer current.
    runs: Vec<Arc<RTree<DeltaEntry>>>,
    /// The open delta run.
    recent: Arc<RTree<DeltaEntry>>,
    /// Slots changed since the base was built, with the generation of their last change.
    changed: imbl::OrdMap<u32, u64>,
    generation: u64,
}

impl<T> Clone for LayerIndex<T> {
    fn clone(&self) -> Self {
        Self {
            slots: self.slots.clone(),
            by_key: self.by_key.clone(),
            base: self.base.clone(),
            runs: self.runs.clone(),
            recent: self.recent.clone(),
            changed: self.changed.clone(),
            generation: self.generation,
        }
    }
}

impl<T> Default for LayerIndex<T> {
    fn default() -> Self {
        Self {
            slots: imbl::Vector::new(),
            by_key: imbl::OrdMap::new(),
            base: Arc::new(RTree::new()),
            runs: Vec::new(),
            recent: Arc::new(RTree::new()),
            changed: imbl::OrdMap::new(),
            generation: next_generation(),
        }
    }
}

/// The source of generations: one counter for the process, so that a generation names one
/// state of one index and a cache keyed on it never mistakes two datasets for each other.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// A base R-tree built off the write path for the index as it was at `generation`.
#[derive(Debug)]
pub struct CompactedBase {
    tree: RTree<Entry>,
    generation: u64,
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

fn query_box(rect: Rect) -> AABB<[f64; 2]> {
    AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
}

/// One change of a layer: put (insert or replace by key) or delete by key.
#[derive(Debug, Clone)]
pub enum LayerChange<T> {
    /// Insert, or replace the item of the same key.
    Put(T),
    /// Delete the item of this key (nothing when there is none).
    Delete(String),
}

impl<T: Spatial + KeyOf> LayerIndex<T> {
    /// Builds the index; a later item replaces an earlier one of the same key. Slots are
    /// given in key order.
    #[must_use]
    pub fn new(mut items: Vec<T>) -> Self {
        // Stable, so that of several items with one key the last stays last; sorted input (a
        // store reads most layers in key order) costs one pass.
        items.sort_by(|a, b| a.key_of().cmp(&b.key_of()));
        let mut by_key = imbl::OrdMap::new();
        let mut slots: Vec<Option<Arc<T>>> = Vec::with_capacity(items.len());
        for item in items {
            if let Some(last) = slots.last_mut()
                && last.as_ref().is_some_and(|l| l.key_of() == item.key_of())
            {
                // Keys are sorted: a repeated key follows its first.
                *last = Some(Arc::new(item));
                continue;
            }
            by_key.insert(item.key_of().into_owned(), index_u32(slots.len()));
            slots.push(Some(Arc::new(item)));
        }
        let entries = slots
            .iter()
            .enumerate()
            .filter_map(|(i, it)| Some(Entry::new(to_aabb(it.as_ref()?.envelope()?), index_u32(i))))
            .collect();
        Self {
            slots: slots.into_iter().collect(),
            by_key,
            base: Arc::new(RTree::bulk_load(entries)),
            runs: Vec::new(),
            recent: Arc::new(RTree::new()),
            changed: imbl::OrdMap::new(),
            generation: next_generation(),
        }
    }

    /// Every item, in key order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.by_key.values().filter_map(|&slot| self.item(slot))
    }

    /// Items from the `offset`-th in key order, lazily.
    pub fn iter_from(&self, offset: usize) -> impl Iterator<Item = &T> + '_ {
        self.iter().skip(offset)
    }

    /// The item in `slot`, if the slot holds one.
    #[must_use]
    pub fn item(&self, slot: u32) -> Option<&T> {
        self.slots.get(slot as usize)?.as_deref()
    }

    /// The slot of the item with this key.
    #[must_use]
    pub fn slot_of(&self, key: &str) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    /// One past the highest slot: side tables indexed by slot need this many entries.
    #[must_use]
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the layer is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Increases with every change, and is unique in the process (no two indexes, even built
    /// apart, share one): caches of derived results key on it.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The item with this key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&T> {
        self.item(self.slot_of(key)?)
    }

    /// The items whose key starts with `prefix`, in key order (for versioned keys such as
    /// `code@version`).
    pub fn with_key_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        self.by_key
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .filter_map(|(_, &slot)| self.item(slot))
    }

    /// Whether some key starts with `prefix` (for versioned keys such as `code@version`).
    #[must_use]
    pub fn has_key_prefix(&self, prefix: &str) -> bool {
        self.by_key
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(prefix))
    }

    /// Base entries still current: their slot has not changed since the base was built.
    fn live_base<'a>(
        &'a self,
        hits: impl Iterator<Item = &'a Entry> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        let check = !self.changed.is_empty();
        hits.filter(move |e| !check || !self.changed.contains_key(&e.data))
            .map(|e| e.data)
    }

    /// Delta entries still current: put by their slot's last change.
    fn live_delta<'a>(
        &'a self,
        hits: impl Iterator<Item = &'a DeltaEntry> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        hits.filter(|e| self.changed.get(&e.data.0) == Some(&e.data.1))
            .map(|e| e.data.0)
    }

    /// The delta runs, sealed and open.
    fn delta_runs(&self) -> impl Iterator<Item = &RTree<DeltaEntry>> + '_ {
        self.runs
            .iter()
            .map(AsRef::as_ref)
            .chain(std::iter::once(self.recent.as_ref()))
    }

    /// Items whose envelope contains the point (candidates for an exact test).
    pub fn candidates_at(&self, p: Coord) -> impl Iterator<Item = &T> {
        let at = [p.x, p.y];
        let delta = self
            .delta_runs()
            .flat_map(move |run| run.locate_all_at_point(&at));
        self.live_base(self.base.locate_all_at_point(&at))
            .chain(self.live_delta(delta))
            .filter_map(|slot| self.item(slot))
    }

    /// Items whose geometry intersects `rect`, sorted by key.
    #[must_use]
    pub fn within(&self, rect: Rect) -> Vec<&T> {
        let mut hits: Vec<&T> = self
            .intersecting(rect)
            .filter(|it| it.intersects_rect(&rect))
            .collect();
        hits.sort_by(|a, b| a.key_of().cmp(&b.key_of()));
        hits
    }

    /// Items whose envelope intersects `rect`, in no particular order.
    pub fn intersecting(&self, rect: Rect) -> impl Iterator<Item = &T> {
        self.slots_intersecting(rect)
            .filter_map(|slot| self.item(slot))
    }

    /// Slots of the items whose envelope intersects `rect`, in no particular order: for side
    /// tables kept by slot, such as camera polygons.
    pub fn slots_intersecting(&self, rect: Rect) -> impl Iterator<Item = u32> + '_ {
        let env = query_box(rect);
        let delta = self
            .delta_runs()
            .flat_map(move |run| run.locate_in_envelope_intersecting(&env));
        self.live_base(self.base.locate_in_envelope_intersecting(&env))
            .chain(self.live_delta(delta))
    }

    /// A new index with `changes` applied in order; this one is unchanged. Costs
    /// `O(c log n + RUN)` for `c` changes (and, once in [`RUN`] × [`MAX_RUNS`] changes, a merge
    /// of the delta, `O(d log d)` for `d` slots changed since the base).
    #[must_use]
    pub fn with_changes(&self, changes: impl IntoIterator<Item = LayerChange<T>>) -> Self {
        let mut next = self.clone();
        next.generation = next_generation();
        let generation = next.generation;
        // The open run is copied once and extended; entries of earlier generations of a slot
        // stay where they are and no longer count.
        let mut recent = (*self.recent).clone();
        for change in changes {
            let (slot, item) = match change {
                LayerChange::Put(item) => {
                    let slot = if let Some(&slot) = next.by_key.get(item.key_of().as_ref()) {
                        slot
                    } else {
                        let slot = index_u32(next.slots.len());
                        next.by_key.insert(item.key_of().into_owned(), slot);
                        next.slots.push_back(None);
                        slot
                    };
                    (slot, Some(Arc::new(item)))
                }
                LayerChange::Delete(key) => match next.by_key.remove(&key) {
                    Some(slot) => (slot, None),
                    None => continue,
                },
            };
            // A slot changed twice by these changes: its first entry has this generation too.
            if next.changed.get(&slot) == Some(&generation)
                && let Some(old) = next.item(slot).and_then(Spatial::envelope)
            {
                recent.remove(&DeltaEntry::new(to_aabb(old), (slot, generation)));
            }
            if let Some(new) = item.as_ref().and_then(|i| i.envelope()) {
                recent.insert(DeltaEntry::new(to_aabb(new), (slot, generation)));
            }
            next.slots.set(slot as usize, item);
            next.changed.insert(slot, generation);
        }
        if recent.size() < RUN {
            next.recent = Arc::new(recent);
        } else if next.runs.len() < MAX_RUNS {
            next.runs.push(Arc::new(recent));
            next.recent = Arc::new(RTree::new());
        } else {
            next.runs = vec![Arc::new(next.delta_tree())];
            next.recent = Arc::new(RTree::new());
        }
        next
    }

    /// One delta run of the current envelopes of every slot changed since the base.
    fn delta_tree(&self) -> RTree<DeltaEntry> {
        RTree::bulk_load(
            self.changed
                .iter()
                .filter_map(|(&slot, &generation)| {
                    let envelope = self.item(slot)?.envelope()?;
                    Some(DeltaEntry::new(to_aabb(envelope), (slot, generation)))
                })
                .collect(),
        )
    }

    /// Whether the delta has grown enough that a new base would pay.
    #[must_use]
    pub fn needs_compaction(&self) -> bool {
        self.changed.len() > (self.len() / 16).clamp(MIN_DELTA, MAX_DELTA)
    }

    /// A base R-tree of every item as this index holds it: `O(n log n)`, for a worker off the
    /// write path.
    #[must_use]
    pub fn compacted(&self) -> CompactedBase {
        let entries = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, it)| Some(Entry::new(to_aabb(it.as_ref()?.envelope()?), index_u32(i))))
            .collect();
        CompactedBase {
            tree: RTree::bulk_load(entries),
            generation: self.generation,
        }
    }

    /// This index on `base` (built from an earlier or the same generation of it), keeping in
    /// the delta only what changed after that generation.
    #[must_use]
    pub fn with_base(&self, base: CompactedBase) -> Self {
        let mut next = self.clone();
        next.changed = self
            .changed
            .iter()
            .filter(|(_, g)| **g > base.generation)
            .map(|(s, g)| (*s, *g))
            .collect();
        next.base = Arc::new(base.tree);
        next.runs = vec![Arc::new(next.delta_tree())];
        next.recent = Arc::new(RTree::new());
        next
    }
}

fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The key an item is indexed by: unique within its layer.
pub trait KeyOf {
    /// The key.
    fn key_of(&self) -> Cow<'_, str>;
}

impl<T: Item> KeyOf for T {
    fn key_of(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.key())
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
/// Events are indexed by what the snapshot keeps of them, keyed by id.
impl KeyOf for EventPoint {
    fn key_of(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.id)
    }
}
impl Spatial for EventPoint {
    fn envelope(&self) -> Option<Rect> {
        Some(Rect::new(self.location, self.location))
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
impl Spatial for Road {
    fn envelope(&self) -> Option<Rect> {
        self.line.bounding_rect()
    }
    fn intersects_rect(&self, rect: &Rect) -> bool {
        self.line.intersects(rect)
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

/// Grid versions are keyed by `code@version` (the version zero-padded, so that key order is
/// code order, then version order).
impl KeyOf for GridVersion {
    fn key_of(&self) -> Cow<'_, str> {
        Cow::Owned(format!("{}@{:010}", self.grid.code, self.version))
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
    fn of_several_items_with_one_key_the_last_is_kept() {
        let index = LayerIndex::new(vec![
            building("a", 120.0, 29.0),
            building("b", 120.1, 29.1),
            building("a", 120.2, 29.2),
            building("a", 120.3, 29.3),
        ]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.slot_count(), 2);
        assert_eq!(index.get("a").map(|b| b.location.0.x), Some(120.3));
        let all = Rect::new(Coord { x: 119.0, y: 28.0 }, Coord { x: 121.0, y: 30.0 });
        assert_eq!(index.intersecting(all).count(), 2);
    }

    #[test]
    fn put_and_remove_keep_keys_unique_and_sorted() {
        let index = LayerIndex::new(vec![building("b", 120.0, 29.0), building("a", 120.1, 29.1)]);
        assert_eq!(index.iter().next().map(|b| b.id.as_str()), Some("a"));
        let index = index.with_changes([LayerChange::Put(building("a", 121.0, 29.5))]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.get("a").map(|b| b.location.0.x), Some(121.0));
        let index = index.with_changes([LayerChange::Delete("b".into())]);
        assert_eq!(index.len(), 1);
        assert!(index.get("b").is_none());
    }
}
