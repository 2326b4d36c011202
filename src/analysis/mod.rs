//! Analytics over a [`crate::spatial::Snapshot`]: camera coverage of grids, regions, key areas
//! and patrol routes ([`crate::analysis::coverage`]), camera placement advice ([`crate::analysis::placement`]) and grid division
//! proposals ([`crate::analysis::division`]). Each takes `&Snapshot` in and gives typed results out.
//!
//! The analyses' caches live here, not in the snapshot: see
//! [`crate::analysis::coverage::CoverageCache`] for how they are keyed and where they are held.
//!
//! Pure: no store, no `axum`, no `tokio`, no `sqlx`; it reads [`crate::spatial`] and
//! [`crate::domain`] and nothing above them.

pub mod cache;
pub mod coverage;
pub mod division;
pub mod placement;
pub mod region_summary;
