//! Obstacles (遮挡物): building footprints and walls that hide what lies behind them from a
//! camera.
//!
//! An obstacle is a `Polygon`/`MultiPolygon` (a building footprint, a solid fence around a yard)
//! or a `LineString` (a wall, a noise barrier). Its height decides how far behind it the ground
//! is hidden: from a camera `h` metres high, an obstacle `H < h` high at distance `x` hides the
//! ground up to `x · h / (h − H)`; one of unknown height, or at least as high as the camera,
//! hides everything behind it up to the camera's range (see `spatial::visibility`).

use geo::{LineString, MultiPolygon};
use serde::{Deserialize, Serialize};

use super::geometry::{
    area_to_geojson, line_to_geojson, no_area, parse_area, parse_line, read_area,
};
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer};

/// Tallest obstacle accepted, in metres.
pub const MAX_OBSTACLE_HEIGHT_M: f64 = 1_000.0;

/// What an obstacle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObstacleKind {
    /// A building footprint (建筑).
    Building,
    /// A wall (围墙).
    Wall,
    /// A fence or barrier that blocks the view (围挡).
    Fence,
    /// Anything else that blocks the view.
    Other,
}

string_enum!(ObstacleKind, "kind" {
    Building => "building",
    Wall => "wall",
    Fence => "fence",
    Other => "other",
});

/// The geometry of an obstacle: an area (footprint) or a line (wall).
#[derive(Debug, Clone, PartialEq)]
pub enum ObstacleShape {
    /// A footprint: every edge of every ring can hide what lies behind it.
    Area(MultiPolygon),
    /// A wall of zero thickness: every segment hides what lies behind it, from either side.
    Wall(LineString),
}

impl ObstacleShape {
    /// Every edge as a pair of `[lon, lat]` coordinates.
    #[must_use]
    pub fn edges(&self) -> Box<dyn Iterator<Item = (geo::Coord, geo::Coord)> + '_> {
        match self {
            ObstacleShape::Area(area) => Box::new(
                area.0
                    .iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .flat_map(|ring| ring.0.windows(2).map(|w| (w[0], w[1]))),
            ),
            ObstacleShape::Wall(line) => Box::new(line.0.windows(2).map(|w| (w[0], w[1]))),
        }
    }
}

fn no_shape() -> ObstacleShape {
    ObstacleShape::Area(no_area())
}

/// Parses a `Polygon`/`MultiPolygon` (a footprint, by `area`) or a `LineString` (a wall).
fn parse_shape(
    geometry: Option<&geojson::Geometry>,
    area: fn(Option<&geojson::Geometry>) -> DomainResult<MultiPolygon>,
) -> DomainResult<ObstacleShape> {
    match geometry.map(|g| &g.value) {
        Some(geojson::Value::LineString(_)) => parse_line(geometry).map(ObstacleShape::Wall),
        Some(geojson::Value::Polygon(_) | geojson::Value::MultiPolygon(_)) => {
            area(geometry).map(ObstacleShape::Area)
        }
        Some(other) => Err(DomainError::new(
            "geometry.type",
            format!(
                "expected Polygon or MultiPolygon (a footprint) or LineString (a wall), got {}",
                other.type_name()
            ),
        )),
        None => Err(DomainError::new(
            "geometry",
            "a Polygon, MultiPolygon or LineString geometry is required",
        )),
    }
}

fn shape_to_geojson(shape: &ObstacleShape) -> geojson::Geometry {
    match shape {
        ObstacleShape::Area(area) => area_to_geojson(area),
        ObstacleShape::Wall(line) => line_to_geojson(line),
    }
}

/// An obstacle that hides the ground behind it from cameras.
///
/// # Units
/// `height_m` in metres above ground; coordinates WGS84 `[lon, lat]`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Obstacle {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Display name, e.g. `人民路12号楼`.
    #[serde(default)]
    pub name: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ObstacleKind>,
    /// Height above ground; unknown means as high as any camera (it hides everything behind
    /// it up to the range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// Footprint or wall line.
    #[serde(skip, default = "no_shape")]
    pub shape: ObstacleShape,
}

impl Item for Obstacle {
    const LAYER: Layer = Layer::Obstacle;

    fn key(&self) -> &str {
        &self.id
    }
    fn set_key(&mut self, key: String) {
        self.id = key;
    }
    fn geometry(&self) -> Option<geojson::Geometry> {
        Some(shape_to_geojson(&self.shape))
    }
    fn set_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()> {
        self.shape = parse_shape(geometry, parse_area)?;
        Ok(())
    }

    fn set_stored_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()> {
        self.shape = parse_shape(geometry, read_area)?;
        Ok(())
    }

    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if let Some(h) = self.height_m
            && !(h.is_finite() && h > 0.0 && h <= MAX_OBSTACLE_HEIGHT_M)
        {
            return Err(DomainError::new(
                "height_m",
                format!("{h} must be in (0, {MAX_OBSTACLE_HEIGHT_M}] metres"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature(v: serde_json::Value) -> geojson::Feature {
        serde_json::from_value(v).expect("test feature parses")
    }

    #[test]
    fn footprint_and_wall_parse_and_round_trip() {
        let f = feature(
            json!({"type": "Feature", "properties": {"id": "o1", "kind": "building", "height_m": 12.5},
            "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.001, 29.0], [120.001, 29.001], [120.0, 29.0]]]}}),
        );
        let o = Obstacle::from_feature(&f).expect("valid footprint");
        assert!(matches!(o.shape, ObstacleShape::Area(_)));
        assert_eq!(o.shape.edges().count(), 3);
        let back = Obstacle::from_feature(&o.to_feature()).expect("round trip");
        assert_eq!(back.shape, o.shape);
        assert_eq!(back.height_m, Some(12.5));

        let f = feature(
            json!({"type": "Feature", "properties": {"id": "w1", "kind": "wall"},
            "geometry": {"type": "LineString", "coordinates": [[120.0, 29.0], [120.001, 29.0], [120.001, 29.001]]}}),
        );
        let o = Obstacle::from_feature(&f).expect("valid wall");
        assert!(matches!(o.shape, ObstacleShape::Wall(_)));
        assert_eq!(o.shape.edges().count(), 2);
    }

    #[test]
    fn points_and_bad_heights_are_refused_with_the_field() {
        let f = feature(json!({"type": "Feature", "properties": {"id": "o1"},
            "geometry": {"type": "Point", "coordinates": [120.0, 29.0]}}));
        let e = Obstacle::from_feature(&f).unwrap_err();
        assert_eq!(e.field, "geometry.type");
        assert!(e.reason.contains("LineString"), "{e}");
        let f = feature(
            json!({"type": "Feature", "properties": {"id": "o1", "height_m": -3.0},
            "geometry": {"type": "LineString", "coordinates": [[120.0, 29.0], [120.001, 29.0]]}}),
        );
        assert_eq!(Obstacle::from_feature(&f).unwrap_err().field, "height_m");
    }
}
