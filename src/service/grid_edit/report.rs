//! What a grid edit answers and how it fails: the report of a split or a merge, the edit
//! error and the helpers every edit shares ([`refused`], [`frame_of`]). Its own file so that
//! the edits ([`super`]) and the reshape of a grid ([`crate::service::reshape`]) share it
//! without importing each other.

use geo::{BoundingRect, MultiPolygon};
use serde::Serialize;

use crate::domain::{DomainError, Duty, Grid, Problem};
use crate::service::ServiceError;
use crate::spatial::measure::LocalFrame;
use crate::spatial::topology::Gap;
use crate::store::StoreError;

/// Why a grid edit failed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The edit cannot be done as asked (a line that does not cross the grid, grids that are
    /// not neighbours): a 400 naming the field.
    #[error("{field}: {reason}")]
    Refused {
        field: String,
        reason: String,
        problem: Problem,
    },
    /// Any other failure, as for ordinary writes.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<DomainError> for EditError {
    fn from(e: DomainError) -> Self {
        Self::Service(e.into())
    }
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// Result of a grid edit.
pub type EditResult<T> = Result<T, EditError>;

pub(in crate::service) fn refused(
    problem: Problem,
    field: &str,
    reason: impl Into<String>,
) -> EditError {
    EditError::Refused {
        field: field.into(),
        reason: reason.into(),
        problem,
    }
}

/// How households and residents were shared between the pieces of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Apportion {
    /// In proportion to the households of the buildings in each piece.
    Buildings,
    /// In proportion to the pieces' areas (no building with households in the grid).
    Area,
}

/// A worker whose assignments an edit changed.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerMove {
    /// Worker id.
    pub id: String,
    /// Duty in the edited grids.
    pub duty: Duty,
    /// The edited grids the worker now serves.
    pub grids: Vec<String>,
}

/// A micro-grid that moved to a new parent.
#[derive(Debug, Clone, Serialize)]
pub struct MicroGridMove {
    /// Code of the micro-grid.
    pub code: String,
    /// Its new parent.
    pub parent_code: String,
}

/// What a split or a merge did.
#[derive(Debug, Clone)]
pub struct EditReport {
    /// Split: the pieces left and right of the line; merge: the kept grid.
    pub grids: Vec<Grid>,
    /// Codes of the retired grids (their history keeps them, closed now).
    pub retired: Vec<String>,
    /// Areas in m² of the grids edited, by code, as they were; measured in one frame with
    /// `areas_after_m2`, so that the pieces of a split add up to the old grid.
    pub areas_before_m2: Vec<(String, f64)>,
    /// Areas in m² of the resulting grids, by code.
    pub areas_after_m2: Vec<(String, f64)>,
    /// Split only: how households and residents were shared.
    pub apportioned_by: Option<Apportion>,
    /// Workers whose assignments changed.
    pub workers: Vec<WorkerMove>,
    /// Micro-grids that moved to a new parent.
    pub micro_grids: Vec<MicroGridMove>,
    /// Gaps left in the village (or parent grid) afterwards.
    pub gaps: Vec<Gap>,
}

pub(in crate::service) fn frame_of(area: &MultiPolygon) -> LocalFrame {
    let c = area
        .bounding_rect()
        .map_or(geo::Coord { x: 0.0, y: 0.0 }, geo::Rect::center);
    LocalFrame::new(c.x, c.y)
}
