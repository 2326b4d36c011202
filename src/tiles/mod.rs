//! Mapbox Vector Tiles of every layer from the snapshot (for now all in `layers.rs`).

mod layers;

pub use layers::*;
