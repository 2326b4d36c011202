//! What each layer draws: the [`TileItem`] impl of every layer type (its shape and the
//! properties its features carry, [`layer_fields`]), the camera clusters below
//! [`CLUSTER_ZOOM`], and the entry points the API wraps: [`encode_tile`] (one layer's tile
//! from the snapshot), [`layer_fields`] and [`layer_bounds`] (for the TileJSON).
//!
//! Step 1 of the pipeline (the candidates, in slot order) and the choice of what a feature
//! carries live here; the geometry goes through [`super::clip`], the bytes through
//! [`super::mvt`]. Reads [`crate::spatial`] (the snapshot's layer indexes) and
//! [`crate::domain`].
//!
//! # Properties
//! Named and valued as in the GeoJSON (`Item::to_feature`): enums by their names (`as_str`),
//! dates as `YYYY-MM-DD`, times as RFC 3339 UTC strings, counts as unsigned integers, measures
//! as doubles. Each layer lists a subset ([`layer_fields`]): the key, the name, kind/category/
//! status and the numbers the map styles with; free text stays in the GeoJSON API.
//! Below [`DETAIL_ZOOM`] the point layers (events, buildings, cameras) leave out what is unique
//! per item (id, key, name, address, source, mount height) and events carry `reported_at` cut to
//! its date (`2026-05-01`, a prefix of the full value, so string filters such as
//! `[">=", ["get", "reported_at"], "2026-05-01"]` mean the same at every zoom). Every point is
//! kept; the values table then holds a few hundred entries instead of one per point.

use geo::{Coord, LineString, MultiPolygon, Rect};

use crate::domain::{
    Building, Camera, CameraStatus, EventPoint, Grid, KeyArea, Layer, Obstacle, ObstacleShape,
    Oneway, PatrolRoute, Region, RegionLevel, Road, RoadClass,
};
use crate::spatial::Snapshot;
use crate::spatial::geom::label_point;
use crate::spatial::index::{KeyOf, LayerIndex, Spatial, rect_union};

use super::clip::{Scratch, encode_area, encode_line, encode_point, snap};
use super::id::{BUFFER, EXTENT, Projector, TileId};
use super::mvt::{GeomType, GeomWriter, LayerWriter, Value, feature_id};

/// From this zoom on, point layers carry every property (see the [module doc](self)).
pub const DETAIL_ZOOM: u8 = 14;
/// Below this zoom the cameras layer holds cluster points (see [`encode_camera_clusters`]).
pub const CLUSTER_ZOOM: u8 = 13;
/// Side of a cluster cell in tile units: 8 × 8 cells a tile, about 64 px on screen.
pub const CLUSTER_CELL: u32 = EXTENT / 8;
/// A layer of label points that an area layer's tiles carry beside the areas ([`encode_labels`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLayer {
    /// The MVT layer's name.
    pub name: &'static str,
    /// From this zoom on, the tiles carry it.
    pub min_zoom: u8,
}

/// Grid labels (the map labels grids from z13).
pub const GRID_LABELS: LabelLayer = LabelLayer {
    name: "grid-labels",
    min_zoom: 12,
};
/// Place names of the offline basemap: towns from z8, villages too from [`VILLAGE_LABEL_ZOOM`].
pub const REGION_LABELS: LabelLayer = LabelLayer {
    name: "region-labels",
    min_zoom: 8,
};
/// From this zoom on, region labels include villages (below it, the county and its towns).
pub const VILLAGE_LABEL_ZOOM: u8 = 12;
/// The fields of a label point.
pub const LABEL_FIELDS: &[(&str, FieldType)] =
    &[("code", FieldType::String), ("name", FieldType::String)];

/// The label layer the tiles of `layer` carry, if any.
#[must_use]
pub fn label_layer(layer: Layer) -> Option<LabelLayer> {
    match layer {
        Layer::Grid => Some(GRID_LABELS),
        Layer::Region => Some(REGION_LABELS),
        _ => None,
    }
}

/// The type of a field, as TileJSON `vector_layers[].fields` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
}

impl FieldType {
    /// `String` or `Number`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "String",
            FieldType::Number => "Number",
        }
    }
}

/// An item's geometry, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    Point(Coord),
    Line(&'a LineString),
    Area(&'a MultiPolygon),
}

/// Properties of one feature, in the order of [`TileItem::FIELDS`].
pub type Props<'a> = Vec<(&'static str, Value<'a>)>;

/// An item that can be drawn in a vector tile.
pub trait TileItem: KeyOf + Spatial {
    /// Every field a feature may carry, with its type.
    const FIELDS: &'static [(&'static str, FieldType)];
    /// The geometry to draw.
    fn shape(&self) -> Shape<'_>;
    /// The properties; `detail` is false on the point layers below [`DETAIL_ZOOM`].
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>);
    /// Whether the item is drawn at zoom `z` (every item, unless a layer thins out).
    fn shown_at(&self, _z: u8) -> bool {
        true
    }
}

use FieldType::{Number as N, String as S};

impl TileItem for Region {
    const FIELDS: &'static [(&'static str, FieldType)] =
        &[("code", S), ("name", S), ("level", S), ("parent_code", S)];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("code", Value::Str(&self.code)),
            ("name", Value::Str(&self.name)),
            ("level", Value::Str(self.level().as_str())),
        ]);
        if let Some(p) = &self.parent_code {
            out.push(("parent_code", Value::Str(p)));
        }
    }
}

impl TileItem for Grid {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("code", S),
        ("name", S),
        ("kind", S),
        ("households", N),
        ("population", N),
        ("parent_code", S),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("code", Value::Str(&self.code)),
            ("name", Value::Str(&self.name)),
            ("kind", Value::Str(self.kind.as_str())),
            ("households", Value::Uint(self.households.into())),
            ("population", Value::Uint(self.population.into())),
        ]);
        if let Some(p) = &self.parent_code {
            out.push(("parent_code", Value::Str(p)));
        }
    }
}

impl TileItem for Camera {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("code", S),
        ("name", S),
        ("kind", S),
        ("status", S),
        ("azimuth_deg", N),
        ("hfov_deg", N),
        ("range_m", N),
        ("height_m", N),
        // Cluster points below CLUSTER_ZOOM carry only these.
        ("point_count", N),
        ("online", N),
        ("offline", N),
        ("fault", N),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.0)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.extend([
                ("code", Value::Str(&self.code)),
                ("name", Value::Str(&self.name)),
            ]);
        }
        out.extend([
            ("kind", Value::Str(self.kind.as_str())),
            ("status", Value::Str(self.status.as_str())),
            ("azimuth_deg", Value::Double(self.azimuth_deg)),
            ("hfov_deg", Value::Double(self.hfov_deg)),
            ("range_m", Value::Double(self.range_m)),
        ]);
        if detail {
            out.push(("height_m", Value::Double(self.height_m)));
        }
    }
}

impl TileItem for PatrolRoute {
    const FIELDS: &'static [(&'static str, FieldType)] = &[("id", S), ("name", S), ("team", S)];
    fn shape(&self) -> Shape<'_> {
        Shape::Line(&self.line)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
            ("team", Value::Str(&self.team)),
        ]);
    }
}

/// Roads thin out as the map zooms out: main roads from z8, district roads from z11, every
/// street and path from z13 (a county's streets at z9 are noise and bytes).
impl TileItem for Road {
    const FIELDS: &'static [(&'static str, FieldType)] =
        &[("id", S), ("name", S), ("class", S), ("oneway", S)];
    fn shape(&self) -> Shape<'_> {
        Shape::Line(&self.line)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
            ("class", Value::Str(self.class.as_str())),
        ]);
        match self.oneway {
            Oneway::No => {}
            Oneway::Yes => out.push(("oneway", Value::Str("yes"))),
            Oneway::Reverse => out.push(("oneway", Value::Str("reverse"))),
        }
    }
    fn shown_at(&self, z: u8) -> bool {
        let from = match self.class {
            RoadClass::Motorway | RoadClass::Trunk | RoadClass::Primary => 8,
            RoadClass::Secondary | RoadClass::Tertiary => 11,
            RoadClass::Residential | RoadClass::Service | RoadClass::Path => 13,
        };
        z >= from
    }
}

impl TileItem for KeyArea {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("name", S),
        ("category", S),
        ("status", S),
        ("listed_date", S),
        ("deadline", S),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Area(&self.area)
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
            ("category", Value::Str(self.category.as_str())),
            ("status", Value::Str(self.status.as_str())),
            ("listed_date", Value::Date(self.listed_date)),
            ("deadline", Value::Date(self.deadline)),
        ]);
    }
}

impl TileItem for Obstacle {
    const FIELDS: &'static [(&'static str, FieldType)] =
        &[("id", S), ("name", S), ("kind", S), ("height_m", N)];
    fn shape(&self) -> Shape<'_> {
        match &self.shape {
            ObstacleShape::Area(area) => Shape::Area(area),
            ObstacleShape::Wall(line) => Shape::Line(line),
        }
    }
    fn properties<'a>(&'a self, _: bool, out: &mut Props<'a>) {
        out.extend([
            ("id", Value::Str(&self.id)),
            ("name", Value::Str(&self.name)),
        ]);
        if let Some(kind) = self.kind {
            out.push(("kind", Value::Str(kind.as_str())));
        }
        if let Some(h) = self.height_m {
            out.push(("height_m", Value::Double(h)));
        }
    }
}

/// An event as the snapshot keeps it ([`EventPoint`]).
impl TileItem for EventPoint {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("category", S),
        ("status", S),
        ("source", S),
        ("reported_at", S),
        // Heat cells below DETAIL_ZOOM carry only this.
        ("count", N),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.push(("id", Value::Str(&self.id)));
        }
        out.extend([
            ("category", Value::Str(&self.category)),
            ("status", Value::Str(self.status.as_str())),
        ]);
        if detail {
            out.extend([
                ("source", Value::Str(&self.source)),
                ("reported_at", Value::Time(self.reported())),
            ]);
        } else {
            out.push(("reported_at", Value::Date(self.reported().date_naive())));
        }
    }
}

impl TileItem for Building {
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", S),
        ("address", S),
        ("households", N),
        ("residents", N),
    ];
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.0)
    }
    fn properties<'a>(&'a self, detail: bool, out: &mut Props<'a>) {
        if detail {
            out.extend([
                ("id", Value::Str(&self.id)),
                ("address", Value::Str(&self.address)),
            ]);
        }
        out.extend([
            ("households", Value::Uint(self.households.into())),
            ("residents", Value::Uint(self.residents.into())),
        ]);
    }
}

/// The items of `hits` (slots of `index`) in slot order.
///
/// The R-tree yields items in tree order, which jumps about the layer: on a low-zoom tile of
/// 60,000 events nearly every item and key read missed the cache. Visiting them in slot order
/// (key order for what was loaded, then arrival order) streams through memory instead and
/// makes a tile's bytes independent of the trees' shape; a bit set over the slots sorts in
/// O(hits + slots / 64).
fn in_slot_order<T: Spatial + KeyOf>(
    index: &LayerIndex<T>,
    hits: impl Iterator<Item = u32>,
) -> Vec<&T> {
    let mut bits = vec![0u64; index.slot_count().div_ceil(64)];
    let mut n = 0;
    for slot in hits {
        let i = slot as usize;
        bits[i / 64] |= 1 << (i % 64);
        n += 1;
    }
    let mut out = Vec::with_capacity(n);
    for (w, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            let b = word.trailing_zeros();
            if let Some(item) = u32::try_from(w * 64).ok().and_then(|s| index.item(s + b)) {
                out.push(item);
            }
            word &= word - 1;
        }
    }
    out
}

/// Encodes one layer's tile: a `Tile` message with one layer named `name`, or an empty vector
/// when no feature reaches the tile.
#[must_use]
pub fn encode_layer<T: TileItem>(index: &LayerIndex<T>, name: &str, tile: TileId) -> Vec<u8> {
    let proj = Projector::new(tile);
    let detail = tile.z >= DETAIL_ZOOM;
    let mut layer = LayerWriter::new(name);
    let mut geom = GeomWriter::default();
    let mut scratch = Scratch::default();
    let mut props: Props<'_> = Vec::with_capacity(T::FIELDS.len());
    let hits = in_slot_order(index, index.slots_intersecting(tile.lonlat_bounds(BUFFER)));
    // About 30 bytes a point feature: grow once or twice, not twenty times.
    layer.reserve(hits.len() * 32);
    for item in hits {
        if !item.shown_at(tile.z) {
            continue;
        }
        geom.clear();
        let kind = match item.shape() {
            Shape::Point(c) => {
                encode_point(c, proj, &mut geom);
                GeomType::Point
            }
            Shape::Line(line) => {
                encode_line(line, proj, &mut scratch, &mut geom);
                GeomType::LineString
            }
            Shape::Area(area) => {
                encode_area(area, proj, &mut scratch, &mut geom);
                GeomType::Polygon
            }
        };
        if geom.commands().is_empty() {
            continue;
        }
        props.clear();
        item.properties(detail, &mut props);
        let id = (detail || kind != GeomType::Point).then(|| feature_id(&item.key_of()));
        layer.feature(id, kind, geom.commands(), &props);
    }
    layer.finish()
}

/// The tile of `layer`: `None` for a layer without geometry (workers); an empty vector when no
/// feature reaches the tile. The MVT layer is named after the layer's URL name (`grids`,
/// `patrol-routes`).
#[must_use]
pub fn encode_tile(snapshot: &Snapshot, layer: Layer, tile: TileId) -> Option<Vec<u8>> {
    let name = layer.path();
    Some(match layer {
        Layer::Worker => return None,
        // A Tile is a repeated `layers` field: two encoded tiles concatenated are one.
        Layer::Region => {
            let mut bytes = encode_layer(&snapshot.regions, name, tile);
            if tile.z >= REGION_LABELS.min_zoom {
                let villages = tile.z >= VILLAGE_LABEL_ZOOM;
                bytes.extend(encode_labels(&snapshot.regions, REGION_LABELS, tile, |r| {
                    (villages || r.level() != RegionLevel::Village).then_some((
                        r.code.as_str(),
                        r.name.as_str(),
                        &r.area,
                    ))
                }));
            }
            bytes
        }
        Layer::Grid => {
            let mut bytes = encode_layer(&snapshot.grids, name, tile);
            if tile.z >= GRID_LABELS.min_zoom {
                bytes.extend(encode_labels(&snapshot.grids, GRID_LABELS, tile, |g| {
                    Some((g.code.as_str(), g.name.as_str(), &g.area))
                }));
            }
            bytes
        }
        Layer::Camera if tile.z < CLUSTER_ZOOM => {
            encode_camera_clusters(&snapshot.cameras, name, tile)
        }
        Layer::Camera => encode_layer(&snapshot.cameras, name, tile),
        Layer::PatrolRoute => encode_layer(&snapshot.patrol_routes, name, tile),
        Layer::KeyArea => encode_layer(&snapshot.key_areas, name, tile),
        Layer::Event if tile.z < DETAIL_ZOOM => encode_event_cells(&snapshot.events, name, tile),
        Layer::Event => encode_layer(&snapshot.events, name, tile),
        Layer::Building => encode_layer(&snapshot.buildings, name, tile),
        Layer::Obstacle => encode_layer(&snapshot.obstacles, name, tile),
        Layer::Road => encode_layer(&snapshot.roads, name, tile),
    })
}

/// One label point per area that `label` gives (its code, name and area), in the one tile whose
/// square holds the point: a point inside the area ([`label_point`], the same whichever tile
/// asks), with its `code` and `name`. A polygon labelled by the map itself gets one label per
/// tile it crosses (two to four per grid at working zooms); these points give one.
#[must_use]
pub fn encode_labels<'a, T: TileItem>(
    index: &'a LayerIndex<T>,
    labels: LabelLayer,
    tile: TileId,
    label: impl Fn(&'a T) -> Option<(&'a str, &'a str, &'a MultiPolygon)>,
) -> Vec<u8> {
    let proj = Projector::new(tile);
    let extent = f64::from(EXTENT);
    let mut layer = LayerWriter::new(labels.name);
    let mut geom = GeomWriter::default();
    for item in in_slot_order(index, index.slots_intersecting(tile.lonlat_bounds(0))) {
        let Some((code, name, area)) = label(item) else {
            continue;
        };
        let Some(point) = label_point(area) else {
            continue;
        };
        let [x, y] = proj.project(point);
        if !(0.0..extent).contains(&x) || !(0.0..extent).contains(&y) {
            continue;
        }
        geom.clear();
        geom.points(&[snap([x, y])]);
        layer.feature(
            Some(feature_id(code)),
            GeomType::Point,
            geom.commands(),
            &[("code", Value::Str(code)), ("name", Value::Str(name))],
        );
    }
    layer.finish()
}

/// The cameras of a tile below [`CLUSTER_ZOOM`] as cluster points, as map users expect when
/// zoomed out (count bubbles instead of 20,000 dots): the tile is cut into cells of
/// [`CLUSTER_CELL`] units, and each cell holding cameras becomes one point at their mean
/// position with `point_count` and the counts by status (`online`, `offline`, `fault`).
/// A camera counts in the one tile whose square (without the buffer) holds it, so the counts of
/// all tiles of a zoom add up to the layer. Cells are aligned to the tile, so a cluster never
/// straddles a tile edge. Features are in cell order (row by row) and carry no id.
#[must_use]
pub fn encode_camera_clusters(index: &LayerIndex<Camera>, name: &str, tile: TileId) -> Vec<u8> {
    let cameras = index.intersecting(tile.lonlat_bounds(0));
    let cells = bin_points(
        tile,
        CLUSTER_CELL,
        cameras,
        |camera| camera.location.0,
        |camera, by_status: &mut [u64; 3]| {
            by_status[match camera.status {
                CameraStatus::Online => 0,
                CameraStatus::Offline => 1,
                CameraStatus::Fault => 2,
            }] += 1;
        },
    );
    encode_cells(name, &cells, |count, by_status: &[u64; 3]| {
        vec![
            ("point_count", Value::Uint(count)),
            ("online", Value::Uint(by_status[0])),
            ("offline", Value::Uint(by_status[1])),
            ("fault", Value::Uint(by_status[2])),
        ]
    })
}

/// Side of a heat cell in tile units: 128 × 128 cells a tile, about 4 px on screen.
pub const HEAT_CELL: u32 = EXTENT / 128;

/// The events of a tile below [`DETAIL_ZOOM`] as heat cells: the tile is cut into cells of
/// [`HEAT_CELL`] units, and each cell holding events becomes one point at their mean position
/// with their `count`, which the map's heat layer takes as the point's weight. Drawn as a heat
/// map, the cells look as the events would; but a province's z10 tile holds a quarter of a
/// million events, and its cells at most 16,384 points. An event counts in the one tile whose
/// square holds it.
#[must_use]
pub fn encode_event_cells(index: &LayerIndex<EventPoint>, name: &str, tile: TileId) -> Vec<u8> {
    let events = index.intersecting(tile.lonlat_bounds(0));
    let cells = bin_points(tile, HEAT_CELL, events, |e| e.location, |_, (): &mut ()| {});
    encode_cells(name, &cells, |count, ()| {
        vec![("count", Value::Uint(count))]
    })
}

/// One cell of [`bin_points`]: the sum of its points' tile coordinates, their count and what
/// the caller adds up of them.
#[derive(Debug, Default, Clone, Copy)]
struct Cell<A> {
    x: f64,
    y: f64,
    count: u64,
    sum: A,
}

/// Adds the items of `items` whose `point` is inside `tile`'s square into cells of `cell` units
/// a side; `add` adds an item to its cell's sum.
fn bin_points<T, A: Default + Copy>(
    tile: TileId,
    cell: u32,
    items: impl Iterator<Item = T>,
    point: impl Fn(&T) -> geo::Coord,
    add: impl Fn(&T, &mut A),
) -> Vec<Cell<A>> {
    let side = (EXTENT / cell) as usize;
    let mut cells = vec![Cell::<A>::default(); side * side];
    let proj = Projector::new(tile);
    let extent = f64::from(EXTENT);
    for item in items {
        let [x, y] = proj.project(point(&item));
        if !(0.0..extent).contains(&x) || !(0.0..extent).contains(&y) {
            continue;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "x and y are in 0..EXTENT, checked above"
        )]
        let i = (y as u32 / cell) as usize * side + (x as u32 / cell) as usize;
        let c = &mut cells[i];
        c.x += x;
        c.y += y;
        c.count += 1;
        add(&item, &mut c.sum);
    }
    cells
}

/// One point feature per non-empty cell, at its points' mean, with the properties `props`
/// gives for its count and sum.
fn encode_cells<A>(
    name: &str,
    cells: &[Cell<A>],
    props: impl Fn(u64, &A) -> Props<'static>,
) -> Vec<u8> {
    let mut layer = LayerWriter::new(name);
    let mut geom = GeomWriter::default();
    for cell in cells.iter().filter(|c| c.count > 0) {
        let n = cell.count as f64;
        geom.clear();
        geom.points(&[snap([cell.x / n, cell.y / n])]);
        layer.feature(
            None,
            GeomType::Point,
            geom.commands(),
            &props(cell.count, &cell.sum),
        );
    }
    layer.finish()
}

/// The fields features of `layer` may carry, `None` for a layer without geometry.
#[must_use]
pub fn layer_fields(layer: Layer) -> Option<&'static [(&'static str, FieldType)]> {
    Some(match layer {
        Layer::Worker => return None,
        Layer::Region => Region::FIELDS,
        Layer::Grid => Grid::FIELDS,
        Layer::Camera => Camera::FIELDS,
        Layer::PatrolRoute => PatrolRoute::FIELDS,
        Layer::KeyArea => KeyArea::FIELDS,
        Layer::Event => EventPoint::FIELDS,
        Layer::Building => Building::FIELDS,
        Layer::Obstacle => Obstacle::FIELDS,
        Layer::Road => Road::FIELDS,
    })
}

fn bounds_of<T: TileItem>(index: &LayerIndex<T>) -> Option<Rect> {
    use geo::BoundingRect;
    rect_union(index.iter().filter_map(|it| match it.shape() {
        Shape::Point(c) => Some(Rect::new(c, c)),
        Shape::Line(l) => l.bounding_rect(),
        Shape::Area(a) => a.bounding_rect(),
    }))
}

/// The lon/lat box of every geometry of `layer`; `None` when it has no geometry or no items.
#[must_use]
pub fn layer_bounds(snapshot: &Snapshot, layer: Layer) -> Option<Rect> {
    match layer {
        Layer::Worker => None,
        Layer::Region => bounds_of(&snapshot.regions),
        Layer::Grid => bounds_of(&snapshot.grids),
        Layer::Camera => bounds_of(&snapshot.cameras),
        Layer::PatrolRoute => bounds_of(&snapshot.patrol_routes),
        Layer::KeyArea => bounds_of(&snapshot.key_areas),
        Layer::Event => bounds_of(&snapshot.events),
        Layer::Building => bounds_of(&snapshot.buildings),
        Layer::Obstacle => bounds_of(&snapshot.obstacles),
        Layer::Road => bounds_of(&snapshot.roads),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_come_back_in_slot_order() {
        use crate::domain::Building;
        let items: Vec<Building> = (0..200)
            .map(|i| Building {
                id: format!("B{i:03}"),
                address: String::new(),
                households: 1,
                residents: 1,
                location: geo::Point::new(120.0, 29.0),
            })
            .collect();
        let index = LayerIndex::new(items);
        let got: Vec<String> = in_slot_order(&index, [150u32, 3, 64, 199, 0, 63, 65].into_iter())
            .into_iter()
            .map(|b| b.id.clone())
            .collect();
        assert_eq!(
            got,
            ["B000", "B003", "B063", "B064", "B065", "B150", "B199"]
        );
        assert!(in_slot_order(&index, std::iter::empty()).is_empty());
    }
}
