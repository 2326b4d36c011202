//! Grids (网格) and micro-grids (微网格), with their version history.

use chrono::{DateTime, Utc};
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::codes::{check_grid_code, community_of_grid};
use super::geometry::{area_to_geojson, no_area, parse_area, read_area};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// What a grid is drawn around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// Urban residential grid (城镇社区网格).
    Residential,
    /// Rural village grid (农村网格).
    Village,
    /// Dedicated grid (专属网格) around an enterprise, school, market or park.
    Dedicated,
}

string_enum!(GridKind, "kind" {
    Residential => "residential",
    Village => "village",
    Dedicated => "dedicated",
});

/// A grid: a polygon under one village/community with a 15-digit code.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// 15 digits: the 12-digit community code and a 3-digit serial.
    pub code: String,
    /// Display name, e.g. `东街社区第3网格`.
    pub name: String,
    /// Kind of grid.
    pub kind: GridKind,
    /// Households (户) in the grid.
    #[serde(default)]
    pub households: u32,
    /// Residents (人) in the grid.
    #[serde(default)]
    pub population: u32,
    /// For a micro-grid, the code of the grid it subdivides.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// Boundary.
    #[serde(skip, default = "no_area")]
    pub area: MultiPolygon,
}

impl Grid {
    /// The 12-digit code of the village/community this grid belongs to.
    #[must_use]
    pub fn community_code(&self) -> &str {
        community_of_grid(&self.code)
    }
}

impl Item for Grid {
    item_fields!(Layer::Grid, key: code, geometry: area, parse_area, area_to_geojson, stored: read_area);

    fn validate(&self) -> DomainResult<()> {
        check_grid_code("code", &self.code)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::of(
                Problem::Missing,
                "name",
                "must not be empty",
            ));
        }
        if let Some(parent) = &self.parent_code {
            check_grid_code("parent_code", parent)?;
            if parent == &self.code {
                return Err(DomainError::new(
                    "parent_code",
                    "a grid cannot be its own parent",
                ));
            }
            if community_of_grid(parent) != self.community_code() {
                return Err(DomainError::new(
                    "parent_code",
                    format!(
                        "micro-grid `{}` and its parent `{parent}` must belong to the same community",
                        self.code
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// One version of a grid's boundary and attributes, valid over `[valid_from, valid_to)`.
#[derive(Debug, Clone)]
pub struct GridVersion {
    /// The grid as it was.
    pub grid: Grid,
    /// Version number, from 1.
    pub version: u32,
    /// When this version took effect.
    pub valid_from: DateTime<Utc>,
    /// When it was replaced or deleted; `None` while current.
    pub valid_to: Option<DateTime<Utc>>,
}

impl GridVersion {
    /// Whether this version was in force at `at`.
    #[must_use]
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && self.valid_to.is_none_or(|to| at < to)
    }
}
