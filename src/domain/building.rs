//! Buildings and addresses (实有房屋): the base for balanced grids and worker load.

use geo::Point;
use serde::{Deserialize, Serialize};

use super::geometry::{no_point, parse_point, point_to_geojson};
use super::item::item_fields;
use super::{DomainError, DomainResult, Item, Layer};

/// An address point with households and residents.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Building {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Address, e.g. `吴宁街道东街社区人民路12号`.
    #[serde(default)]
    pub address: String,
    /// Households (户).
    pub households: u32,
    /// Residents (人).
    pub residents: u32,
    /// Location.
    #[serde(skip, default = "no_point")]
    pub location: Point,
}

impl Item for Building {
    item_fields!(Layer::Building, key: id, geometry: location, parse_point, point_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.households > 10_000 {
            return Err(DomainError::new(
                "households",
                "more than 10,000 households at one address",
            ));
        }
        Ok(())
    }
}
