//! Reported events (事件): a located report routed to its grid.

use chrono::{DateTime, Utc};
use geo::Point;
use serde::{Deserialize, Serialize};

use super::geometry::{no_point, parse_point, point_to_geojson};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer};

/// Workflow state: reported → claimed → assigned → resolved → closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Reported,
    Claimed,
    Assigned,
    Resolved,
    Closed,
}

string_enum!(EventStatus, "status" {
    Reported => "reported",
    Claimed => "claimed",
    Assigned => "assigned",
    Resolved => "resolved",
    Closed => "closed",
});

/// An event with its category, place, times and source.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Category, e.g. `theft`, `dispute`, `fire_hazard`.
    pub category: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Where the report came from: `worker`, `hotline_12345`, `police_110`, `app`, `camera`.
    #[serde(default)]
    pub source: String,
    /// Workflow state.
    pub status: EventStatus,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The top-level grid that held the location when the event was reported (set by the
    /// service at intake and kept as it was, whatever later edits do to the grids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_code: Option<String>,
    /// Location.
    #[serde(skip, default = "no_point")]
    pub location: Point,
}

impl Item for Event {
    item_fields!(Layer::Event, key: id, geometry: location, parse_point, point_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.category.trim().is_empty() {
            return Err(DomainError::new("category", "must not be empty"));
        }
        if self.reported_at < self.occurred_at {
            return Err(DomainError::new(
                "reported_at",
                "an event cannot be reported before it occurred",
            ));
        }
        Ok(())
    }
}
