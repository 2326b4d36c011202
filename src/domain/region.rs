//! Administrative regions (行政区划): county/city, town/street (乡镇街道), village/community (村/社区).

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::codes::check_region_code;
use super::geometry::{area_to_geojson, no_area, parse_area, read_area};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// The level of a region, given by the length of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 6 digits: county or county-level city.
    County,
    /// 9 digits: town (镇/乡) or street (街道).
    Town,
    /// 12 digits: village (村) or community (社区).
    Village,
}

string_enum!(RegionLevel, "level" {
    County => "county",
    Town => "town",
    Village => "village",
});

/// A region with its official code, name and boundary.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Official code: 6, 9 or 12 digits.
    pub code: String,
    /// Official name, e.g. `吴宁街道`.
    pub name: String,
    /// The parent region's code (`None` for the top region).
    #[serde(default)]
    pub parent_code: Option<String>,
    /// Boundary.
    #[serde(skip, default = "no_area")]
    pub area: MultiPolygon,
}

impl Region {
    /// The level implied by the code length.
    #[must_use]
    pub fn level(&self) -> RegionLevel {
        match self.code.len() {
            6 => RegionLevel::County,
            9 => RegionLevel::Town,
            _ => RegionLevel::Village,
        }
    }
}

impl Item for Region {
    item_fields!(Layer::Region, key: code, geometry: area, parse_area, area_to_geojson, stored: read_area);

    fn validate(&self) -> DomainResult<()> {
        check_region_code("code", &self.code)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::of(
                Problem::Missing,
                "name",
                "must not be empty",
            ));
        }
        match (&self.parent_code, self.code.len()) {
            (None, 6) => Ok(()),
            (None, _) => Err(DomainError::new(
                "parent_code",
                "a town or village needs its parent region's code",
            )),
            (Some(p), n) => {
                check_region_code("parent_code", p)?;
                if p.len() + 3 != n || !self.code.starts_with(p.as_str()) {
                    return Err(DomainError::new(
                        "parent_code",
                        format!(
                            "`{p}` cannot be the parent of `{}`: a child code extends its parent's by 3 digits",
                            self.code
                        ),
                    ));
                }
                Ok(())
            }
        }
    }
}
