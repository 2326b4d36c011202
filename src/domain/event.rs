//! Reported events (事件): a located report routed to its grid.

use chrono::{DateTime, Utc};
use geo::Point;
use serde::{Deserialize, Serialize};

use super::geometry::{no_point, parse_point, point_to_geojson};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

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
            return Err(DomainError::of(
                Problem::Missing,
                "category",
                "must not be empty",
            ));
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

/// What the in-memory index keeps of an event: enough to draw it on the map and to count it by
/// place, time, category and status, not to show it (its description and grid are read from
/// the store). A county's five years of events, or a province's, fit in memory this way: about
/// 100 bytes an event, with category and source names shared between events loaded together.
///
/// # Units
/// `location` in WGS84 lon/lat degrees; times in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct EventPoint {
    /// The event's id.
    pub id: std::sync::Arc<str>,
    /// Where it happened.
    pub location: geo::Coord,
    /// When it happened.
    pub occurred_at: i64,
    /// When it was reported.
    pub reported_at: i64,
    /// Its category.
    pub category: std::sync::Arc<str>,
    /// Where the report came from.
    pub source: std::sync::Arc<str>,
    /// Its workflow state.
    pub status: EventStatus,
}

impl EventPoint {
    /// When it was reported, as a time.
    #[must_use]
    pub fn reported(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.reported_at, 0).unwrap_or_default()
    }

    /// When it happened, as a time.
    #[must_use]
    pub fn occurred(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.occurred_at, 0).unwrap_or_default()
    }
}

impl From<&Event> for EventPoint {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.as_str().into(),
            location: e.location.0,
            occurred_at: e.occurred_at.timestamp(),
            reported_at: e.reported_at.timestamp(),
            category: e.category.as_str().into(),
            source: e.source.as_str().into(),
            status: e.status,
        }
    }
}

/// Largest page of one event listing.
pub const MAX_EVENT_PAGE: usize = 10_000;

/// What an event listing asks for: filters (all optional, all must hold), where to resume and
/// how many. Listings run newest report first (`reported_at`, then the store's sequence number),
/// so that a cursor resumes exactly where the previous page ended, whatever is written
/// meanwhile.
///
/// # Units
/// `bbox` in WGS84 lon/lat degrees; every bound is inclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Boxes (more than one for a box across the antimeridian); an event in any of them matches.
    pub bbox: Vec<geo::Rect>,
    /// Reported at or after.
    pub reported_from: Option<DateTime<Utc>>,
    /// Reported at or before.
    pub reported_to: Option<DateTime<Utc>>,
    /// Exactly this category.
    pub category: Option<String>,
    /// Exactly this status.
    pub status: Option<EventStatus>,
    /// Routed to this grid at intake.
    pub grid_code: Option<String>,
    /// Resume after this event (the last of the previous page).
    pub after: Option<EventCursor>,
    /// Most events to return, `1..=`[`MAX_EVENT_PAGE`].
    pub limit: usize,
}

/// Where an event listing resumes: the report time and store sequence number of the last event
/// of the previous page. Written as `{unix microseconds}_{sequence}` in links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    /// The report time of the last event returned.
    pub reported_at: DateTime<Utc>,
    /// Its sequence number in the store.
    pub seq: i64,
}

impl EventCursor {
    /// The cursor as written in a link.
    #[must_use]
    pub fn to_token(self) -> String {
        format!("{}_{}", self.reported_at.timestamp_micros(), self.seq)
    }

    /// Reads a cursor written by [`EventCursor::to_token`].
    ///
    /// # Errors
    /// A [`DomainError`] on `cursor` for anything else.
    pub fn parse(token: &str) -> DomainResult<Self> {
        let bad = || {
            DomainError::new(
                "cursor",
                format!("`{token}` is not a cursor of this listing; use the `next` link as given"),
            )
        };
        let (micros, seq) = token.split_once('_').ok_or_else(bad)?;
        let micros: i64 = micros.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let reported_at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
        Ok(Self { reported_at, seq })
    }
}

/// An event as a listing returns it, with where the listing resumes after it.
#[derive(Debug, Clone)]
pub struct ListedEvent {
    /// The event.
    pub event: Event,
    /// The cursor that resumes after it.
    pub cursor: EventCursor,
}
