//! In-memory spatial index of every layer and the geometry that runs on it: point location,
//! camera sectors and what obstacles hide from them, topology checks (overlaps and gaps), metric
//! measurement and Chinese coordinate systems.
//!
//! `snapshot.rs` owns the data and how it changes; a question asked of it is a function of the
//! module that answers it, taking the snapshot first ([`crate::spatial::locate::grid_at`],
//! [`crate::spatial::topology::gaps_in`], [`crate::spatial::visibility::camera_coverage`]), and
//! so are the analyses in [`crate::analysis`].
//!
//! Pure: no I/O, no `sqlx`, no `axum`. rstar types stay inside [`index`].

pub mod camera_raster;
pub mod crs;
pub mod edit;
pub mod extent;
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
