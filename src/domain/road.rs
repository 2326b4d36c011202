//! Roads (道路): the lines of the road network, with a class, a direction and a street name.
//! They are the map's offline basemap, make streets (人民路) findable by name, and are the
//! graph patrols are routed on.
//!
//! A road network usually comes from OpenStreetMap, so a road takes OSM's tags as they are: a
//! `highway` tag is read as the class (`primary_link` as `primary`, `unclassified` and
//! `living_street` as `residential`, `footway` and `cycleway` as `path` ...), and `oneway` as
//! `yes`/`no`/`-1`/`true`/`false`. Other tags (an OSM export carries dozens) are ignored, where
//! every other layer refuses a member it does not know.

use geo::LineString;
use serde::{Deserialize, Deserializer, Serialize};

use super::geometry::{line_to_geojson, no_line, parse_line};
use super::item::item_fields;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// The class of a road, from the fastest to the slowest (OSM's `highway` values, grouped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    /// 高速公路.
    Motorway,
    /// 快速路 / national road.
    Trunk,
    /// 主干路.
    Primary,
    /// 次干路.
    Secondary,
    /// 支路 between villages and districts.
    Tertiary,
    /// 街巷: residential, unclassified and living streets.
    Residential,
    /// Service roads, tracks.
    Service,
    /// Footways, pedestrian streets, cycleways, paths and steps.
    Path,
}

string_enum!(RoadClass, "class" {
    Motorway => "motorway",
    Trunk => "trunk",
    Primary => "primary",
    Secondary => "secondary",
    Tertiary => "tertiary",
    Residential => "residential",
    Service => "service",
    Path => "path",
});

impl RoadClass {
    /// The class of an OSM `highway` value, links with their road; `None` for a value that is
    /// not a road for traffic or people on foot (`construction`, `proposed`, `platform` ...).
    #[must_use]
    pub fn from_osm(highway: &str) -> Option<Self> {
        let class = match highway.trim_end_matches("_link") {
            "motorway" => Self::Motorway,
            "trunk" => Self::Trunk,
            "primary" => Self::Primary,
            "secondary" => Self::Secondary,
            "tertiary" => Self::Tertiary,
            "residential" | "unclassified" | "living_street" | "road" => Self::Residential,
            "service" | "track" => Self::Service,
            "footway" | "pedestrian" | "path" | "cycleway" | "steps" | "bridleway" => Self::Path,
            _ => return None,
        };
        Some(class)
    }
}

/// Which way traffic may go along the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Oneway {
    /// Both ways.
    #[default]
    No,
    /// Only from the line's first position to its last.
    Yes,
    /// Only from its last position to its first (OSM's `oneway=-1`).
    Reverse,
}

/// A road of the network.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Road {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Street name, e.g. `人民路`; empty for an unnamed road.
    #[serde(default)]
    pub name: String,
    /// Class (an OSM `highway` tag is read as one).
    #[serde(alias = "highway", deserialize_with = "class_or_highway")]
    pub class: RoadClass,
    /// Direction of traffic.
    #[serde(default, deserialize_with = "oneway_tag")]
    pub oneway: Oneway,
    /// The centre line.
    #[serde(skip, default = "no_line")]
    pub line: LineString,
}

/// A class by its own name or by an OSM `highway` value.
fn class_or_highway<'de, D: Deserializer<'de>>(d: D) -> Result<RoadClass, D::Error> {
    let raw = String::deserialize(d)?;
    RoadClass::from_osm(&raw).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`{raw}` is not a road class: motorway, trunk, primary, secondary, tertiary, residential, service or path (or an OSM highway value such as unclassified or footway)"
        ))
    })
}

/// `oneway` as OSM writes it (`yes`, `no`, `-1`, `1`) or as a boolean.
fn oneway_tag<'de, D: Deserializer<'de>>(d: D) -> Result<Oneway, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tag {
        Flag(bool),
        Number(i64),
        Text(String),
    }
    let oneway = match Tag::deserialize(d)? {
        Tag::Flag(true) | Tag::Number(1) => Some(Oneway::Yes),
        Tag::Flag(false) | Tag::Number(0) => Some(Oneway::No),
        Tag::Number(-1) => Some(Oneway::Reverse),
        Tag::Number(_) => None,
        Tag::Text(text) => match text.as_str() {
            "yes" | "true" | "1" => Some(Oneway::Yes),
            "no" | "false" | "0" | "" => Some(Oneway::No),
            "-1" | "reverse" => Some(Oneway::Reverse),
            _ => None,
        },
    };
    oneway.ok_or_else(|| serde::de::Error::custom("oneway is yes, no or -1 (or true/false)"))
}

impl Item for Road {
    item_fields!(Layer::Road, key: id, geometry: line, parse_line, line_to_geojson);

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.name.chars().count() > MAX_ROAD_NAME_CHARS {
            return Err(DomainError::of(
                Problem::TooMany {
                    limit: MAX_ROAD_NAME_CHARS as u64,
                },
                "name",
                format!("a road name is at most {MAX_ROAD_NAME_CHARS} characters"),
            ));
        }
        Ok(())
    }
}

/// Longest road name accepted, in characters.
pub const MAX_ROAD_NAME_CHARS: usize = 100;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn road(props: &serde_json::Value) -> DomainResult<Road> {
        let feature: geojson::Feature = serde_json::from_value(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[120.24, 29.28], [120.25, 29.28]]},
            "properties": props
        }))
        .expect("a Feature");
        Road::from_feature(&feature)
    }

    #[test]
    fn osm_tags_are_read_as_a_class_and_a_direction() {
        let r = road(&json!({"name": "人民路", "highway": "primary_link", "oneway": "-1", "surface": "asphalt", "lanes": "4"}))
            .expect("an OSM road");
        assert_eq!(
            (r.class, r.oneway, r.name.as_str()),
            (RoadClass::Primary, Oneway::Reverse, "人民路")
        );
        let r = road(&json!({"highway": "unclassified"})).expect("an unnamed road");
        assert_eq!((r.class, r.oneway), (RoadClass::Residential, Oneway::No));
        let r = road(&json!({"class": "path", "oneway": true})).expect("a path");
        assert_eq!((r.class, r.oneway), (RoadClass::Path, Oneway::Yes));
    }

    #[test]
    fn what_is_not_a_road_is_refused() {
        let e = road(&json!({"highway": "construction"})).expect_err("not a road yet");
        assert!(e.reason.contains("construction"), "{e:?}");
        assert!(road(&json!({"highway": "primary", "oneway": "alternating"})).is_err());
        assert!(
            road(&json!({"name": "人民路"})).is_err(),
            "a class is needed"
        );
    }
}
