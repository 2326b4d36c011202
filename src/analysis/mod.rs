//! Analytics over a [`crate::spatial::Snapshot`]: camera coverage of grids, regions, key areas
//! and patrol routes ([`coverage`]), camera placement advice ([`placement`]) and grid division
//! proposals ([`division`]). Each takes `&Snapshot` in and gives typed results out.
//!
//! Pure: no store, no `axum`, no `tokio`, no `sqlx`; it reads [`crate::spatial`] and
//! [`crate::domain`] and nothing above them.

pub mod coverage;
pub mod division;
pub mod placement;
