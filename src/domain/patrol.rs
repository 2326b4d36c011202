//! Patrol routes (巡逻路线) with their team and time windows.

use geo::LineString;
use serde::{Deserialize, Serialize};

use super::geometry::{line_to_geojson, no_line, parse_line};
use super::item::item_fields;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// A weekly time window: the days it applies (1 = Monday … 7 = Sunday) and `HH:MM` bounds.
/// A window whose end is before its start runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// ISO weekdays, 1–7.
    pub days: Vec<u8>,
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
}

fn check_hhmm(field: &str, s: &str) -> DomainResult<()> {
    let ok = s.len() == 5
        && s.as_bytes()[2] == b':'
        && s[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u8>().is_ok_and(|m| m < 60);
    if ok {
        Ok(())
    } else {
        Err(DomainError::new(
            field,
            format!("`{s}` is not a time HH:MM"),
        ))
    }
}

/// A patrol route: a line walked or driven by a team in given time windows.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolRoute {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// The team that patrols it.
    #[serde(default)]
    pub team: String,
    /// When it is patrolled.
    #[serde(default)]
    pub windows: Vec<TimeWindow>,
    /// The route.
    #[serde(skip, default = "no_line")]
    pub line: LineString,
}

impl Item for PatrolRoute {
    item_fields!(Layer::PatrolRoute, key: id, geometry: line, parse_line, line_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::of(
                Problem::Missing,
                "name",
                "must not be empty",
            ));
        }
        for (i, w) in self.windows.iter().enumerate() {
            if w.days.is_empty() || w.days.iter().any(|d| !(1..=7).contains(d)) {
                return Err(DomainError::new(
                    format!("windows[{i}].days"),
                    "days are ISO weekdays 1 (Monday) to 7 (Sunday), at least one",
                ));
            }
            check_hhmm(&format!("windows[{i}].start"), &w.start)?;
            check_hhmm(&format!("windows[{i}].end"), &w.end)?;
        }
        Ok(())
    }
}
