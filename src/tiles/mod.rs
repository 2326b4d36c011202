//! Mapbox Vector Tiles (MVT 2.1) of every layer, straight from the [`Snapshot`]: tile math,
//! clipping to the buffered tile, snapping, ring winding, feature properties and a small
//! protobuf encoder. The database is never asked: a tile is as fresh as the snapshot.
//!
//! Pure: no axum, no I/O. Used by [`crate::api`] only; reads [`crate::spatial`] (the layer
//! indexes). An analysis layer would read [`crate::analysis`] results; none is served yet. The
//! API wraps [`encode_tile`], [`layer_fields`] and [`layer_bounds`]
//! (`/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json`).
//!
//! # Files
//! One concern a file; imports between them run one way, `layers` → `clip` → `mvt` → `id`
//! (`layers` also imports `mvt` and `id`, `clip` imports `id`). This file only re-exports.
//! - [`id`]: tile addresses ([`TileId`], [`TileError`]) and the Web Mercator math under them,
//!   with the tile's size ([`EXTENT`], [`BUFFER`], [`MAX_ZOOM`]).
//! - [`clip`]: one feature's geometry in one tile, steps 2–5 below: projected, clipped,
//!   snapped, wound, and written as commands.
//! - [`mvt`]: the encoder, step 6: geometry commands, a layer's features with their keys and
//!   values tables, the protobuf wire format, and [`feature_id`] (why ids are made so, and why
//!   the encoder is hand-written).
//! - [`layers`]: step 1 and what each layer draws: [`TileItem`] for every layer type (its shape
//!   and properties, thinner below [`DETAIL_ZOOM`]), the camera clusters, and the entry points
//!   the API wraps.
//!
//! # Pipeline, per feature
//! 1. Candidates: the layer's R-tree ([`LayerIndex::intersecting`]) with the buffered tile in
//!    lon/lat ([`TileId::lonlat_bounds`]).
//! 2. Project lon/lat to Web Mercator tile coordinates ([`EXTENT`] units a side, y down).
//! 3. Clip to the buffered tile, `[-BUFFER, EXTENT + BUFFER]²`: Sutherland–Hodgman per ring,
//!    Liang–Barsky per segment for lines (a line leaving and re-entering becomes two parts), a
//!    box test for points.
//! 4. Snap to integer tile coordinates and simplify: repeated vertices go (and, in rings,
//!    vertices on a straight line between their neighbours); rings left with no area and lines
//!    left with one vertex are dropped, a polygon whose exterior is dropped goes whole. This is
//!    the zoom-dependent simplification: at low zoom many vertices snap onto one coordinate.
//!    Vertices shared by two grids snap identically, so neighbours stay gap-free.
//! 5. Wind rings as MVT 2.1 §4.3.4.4 says: an exterior ring has a *positive* area by the
//!    surveyor's formula in tile coordinates (y down, so it looks clockwise on screen), an
//!    interior ring a negative one. Input winding is not trusted: each ring is measured and
//!    reversed when needed.
//! 6. Encode the geometry commands (MoveTo, LineTo, ClosePath; zigzag deltas from a cursor that
//!    runs through the whole feature) and the properties (keys and values deduplicated in the
//!    layer's tables).
//!
//! # Units
//! Input in WGS84 lon/lat degrees; tile coordinates in units of 1/[`EXTENT`] of a tile side,
//! origin at the tile's top-left corner, y down; [`TileId::mercator_bounds`] in EPSG:3857
//! metres. Latitudes beyond ±85.0511° are clamped to the Web Mercator square.
//!
//! [`Snapshot`]: crate::spatial::Snapshot
//! [`encode_tile`]: crate::tiles::encode_tile
//! [`layer_fields`]: crate::tiles::layer_fields
//! [`layer_bounds`]: crate::tiles::layer_bounds
//! [`id`]: crate::tiles::id
//! [`TileId`]: crate::tiles::TileId
//! [`TileError`]: crate::tiles::TileError
//! [`EXTENT`]: crate::tiles::EXTENT
//! [`BUFFER`]: crate::tiles::BUFFER
//! [`MAX_ZOOM`]: crate::tiles::MAX_ZOOM
//! [`clip`]: crate::tiles::clip
//! [`mvt`]: crate::tiles::mvt
//! [`feature_id`]: crate::tiles::feature_id
//! [`layers`]: crate::tiles::layers
//! [`TileItem`]: crate::tiles::TileItem
//! [`LayerIndex::intersecting`]: crate::spatial::index::LayerIndex::intersecting
//! [`TileId::lonlat_bounds`]: crate::tiles::TileId::lonlat_bounds
//! [`DETAIL_ZOOM`]: crate::tiles::DETAIL_ZOOM
//! [`TileId::mercator_bounds`]: crate::tiles::TileId::mercator_bounds

pub mod clip;
pub mod id;
pub mod layers;
pub mod mvt;

pub use id::{BUFFER, EXTENT, MAX_ZOOM, MERCATOR_HALF_M, TileError, TileId};
pub use layers::{
    CLUSTER_CELL, CLUSTER_ZOOM, DETAIL_ZOOM, FieldType, GRID_LABELS, LABEL_FIELDS, LabelLayer,
    Props, REGION_LABELS, Shape, TileItem, VILLAGE_LABEL_ZOOM, encode_camera_clusters,
    encode_labels, encode_layer, encode_tile, label_layer, layer_bounds, layer_fields,
};
pub use mvt::{Value, feature_id};
