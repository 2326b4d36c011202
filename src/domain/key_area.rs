//! Key rectification areas (重点整治区域) under listed supervision (挂牌督办).

use chrono::NaiveDate;
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::geometry::{area_to_geojson, no_area, parse_area, read_area};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// What kind of place is being rectified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyAreaCategory {
    /// 城中村.
    UrbanVillage,
    /// 校园周边.
    SchoolSurroundings,
    /// 城乡结合部.
    UrbanRuralFringe,
    /// 治安乱点.
    DisorderlySpot,
}

string_enum!(KeyAreaCategory, "category" {
    UrbanVillage => "urban_village",
    SchoolSurroundings => "school_surroundings",
    UrbanRuralFringe => "urban_rural_fringe",
    DisorderlySpot => "disorderly_spot",
});

/// Where the rectification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyAreaStatus {
    Listed,
    Rectifying,
    Review,
    Delisted,
    Overdue,
}

string_enum!(KeyAreaStatus, "status" {
    Listed => "listed",
    Rectifying => "rectifying",
    Review => "review",
    Delisted => "delisted",
    Overdue => "overdue",
});

/// A key area: a polygon with a lead department, a responsible person and a deadline.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyArea {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: KeyAreaCategory,
    /// Lead department (牵头单位).
    #[serde(default)]
    pub lead_department: String,
    /// Responsible person (责任人).
    #[serde(default)]
    pub responsible_person: String,
    /// Date listed for supervision.
    pub listed_date: NaiveDate,
    /// Deadline for rectification.
    pub deadline: NaiveDate,
    /// Status.
    pub status: KeyAreaStatus,
    /// Area.
    #[serde(skip, default = "no_area")]
    pub area: MultiPolygon,
}

impl KeyArea {
    /// Whether the area is overdue on `today`: marked so, or its deadline has passed before it
    /// was delisted.
    #[must_use]
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == KeyAreaStatus::Overdue
            || (self.status != KeyAreaStatus::Delisted && self.deadline < today)
    }
}

impl Item for KeyArea {
    item_fields!(Layer::KeyArea, key: id, geometry: area, parse_area, area_to_geojson, stored: read_area);

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::of(
                Problem::Missing,
                "name",
                "must not be empty",
            ));
        }
        if self.deadline < self.listed_date {
            return Err(DomainError::new(
                "deadline",
                format!(
                    "deadline {} is before the listed date {}",
                    self.deadline, self.listed_date
                ),
            ));
        }
        Ok(())
    }
}
