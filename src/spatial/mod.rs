//! In-memory spatial index of every layer and the geometry that runs on it: point location,
//! camera sectors and what obstacles hide from them, topology checks (overlaps and gaps), metric
//! measurement and Chinese coordinate systems.
//!
//! Pure: no I/O, no `sqlx`, no `axum`. rstar types stay inside [`index`].

pub mod camera_raster;
pub mod crs;
pub mod edit;
pub mod geom;
pub mod index;
pub mod locate;
pub mod measure;
pub mod raster;
pub mod search;
pub mod shared_vertices;
pub mod snapshot;
mod tiling;

#[cfg(test)]
mod incremental_tests;
pub mod topology;
pub mod visibility;

pub use locate::{LocateOptions, Location};
pub use snapshot::{ItemChange, Snapshot};
