//! The [`Item`] trait shared by every layer type, the [`Layer`] names and [`AnyItem`].

use geojson::{Feature, JsonObject, JsonValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::names::string_enum;
use super::{
    Building, Camera, DomainError, DomainResult, Event, Grid, KeyArea, Obstacle, PatrolRoute,
    Region, Road, Worker,
};

/// The layers of the map, in the order they depend on each other.
///
/// Named by the plural, kebab-case name of URLs and of the command line (`patrol-routes`),
/// listed parents first; parsed from that name or from the table name (`patrol_route`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Region,
    Grid,
    Worker,
    Camera,
    PatrolRoute,
    KeyArea,
    Event,
    Building,
    Obstacle,
    Road,
}

string_enum!(Layer, "layer", also Layer::table {
    Region => "regions",
    Grid => "grids",
    Worker => "workers",
    Camera => "cameras",
    PatrolRoute => "patrol-routes",
    KeyArea => "key-areas",
    Event => "events",
    Building => "buildings",
    Obstacle => "obstacles",
    Road => "roads",
});

impl Layer {
    /// The plural, kebab-case name used in URLs and on the command line (`patrol-routes`): its
    /// [`Layer::as_str`], under the name that says where it is used.
    #[must_use]
    pub const fn path(self) -> &'static str {
        self.as_str()
    }

    /// The singular, snake_case table name (`patrol_route`).
    #[must_use]
    pub fn table(self) -> &'static str {
        match self {
            Layer::Region => "region",
            Layer::Grid => "grid",
            Layer::Worker => "worker",
            Layer::Camera => "camera",
            Layer::PatrolRoute => "patrol_route",
            Layer::KeyArea => "key_area",
            Layer::Event => "event",
            Layer::Building => "building",
            Layer::Obstacle => "obstacle",
            Layer::Road => "road",
        }
    }

    /// The property that holds an item's key: `code` for layers with official codes, else `id`.
    #[must_use]
    pub fn key_field(self) -> &'static str {
        match self {
            Layer::Region | Layer::Grid | Layer::Camera => "code",
            _ => "id",
        }
    }
}

/// One item of a layer: its key, its geometry and its self-contained validation.
///
/// Items travel as GeoJSON Features: the key is the Feature `id` and also a property (`code`
/// or `id`), the geometry is the Feature geometry and every other field is a property.
pub trait Item:
    Clone + Send + Sync + Serialize + DeserializeOwned + schemars::JsonSchema + 'static
{
    /// The layer this item belongs to.
    const LAYER: Layer;

    /// The item's key (its code or id).
    fn key(&self) -> &str;

    /// Replaces the key (used when the server assigns ids).
    fn set_key(&mut self, key: String);

    /// The geometry as GeoJSON, `None` for layers without geometry (workers).
    fn geometry(&self) -> Option<geojson::Geometry>;

    /// Parses and validates `geometry` and stores it.
    ///
    /// # Errors
    /// A [`DomainError`] naming the bad coordinate when the geometry is missing or invalid.
    fn set_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()>;

    /// Parses a geometry the store returns and stores it. It was checked when it was written,
    /// so areas are not checked for validity again (that took minutes at start-up for big
    /// polygons); the structure (types, closed rings, finite positions) still is.
    ///
    /// # Errors
    /// A [`DomainError`] when the stored geometry no longer parses.
    fn set_stored_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()> {
        self.set_geometry(geometry)
    }

    /// Checks every field that can be checked without the rest of the map.
    ///
    /// # Errors
    /// The first [`DomainError`] found.
    fn validate(&self) -> DomainResult<()>;

    /// The item as a GeoJSON Feature.
    fn to_feature(&self) -> Feature {
        let properties = match serde_json::to_value(self) {
            Ok(JsonValue::Object(map)) => Some(map),
            _ => None,
        };
        Feature {
            bbox: None,
            geometry: self.geometry(),
            id: Some(geojson::feature::Id::String(self.key().to_owned())),
            properties,
            foreign_members: None,
        }
    }

    /// Builds and validates an item from a GeoJSON Feature. The key may come from the
    /// properties or, when they lack it, from the Feature `id`.
    ///
    /// # Errors
    /// A [`DomainError`] for an unknown or malformed property or an invalid geometry.
    fn from_feature(feature: &Feature) -> DomainResult<Self> {
        let mut props: JsonObject = feature.properties.clone().unwrap_or_default();
        let key_field = Self::LAYER.key_field();
        if !props.contains_key(key_field) {
            match &feature.id {
                Some(geojson::feature::Id::String(s)) => {
                    props.insert(key_field.into(), JsonValue::String(s.clone()));
                }
                Some(geojson::feature::Id::Number(n)) => {
                    props.insert(key_field.into(), JsonValue::String(n.to_string()));
                }
                None => {}
            }
        }
        let mut item = Self::from_properties(props)?;
        item.set_geometry(feature.geometry.as_ref())?;
        item.validate()?;
        Ok(item)
    }

    /// Deserializes the non-geometry fields; the geometry keeps a placeholder until
    /// [`Item::set_geometry`].
    ///
    /// # Errors
    /// A [`DomainError`] naming the property serde rejected.
    fn from_properties(props: JsonObject) -> DomainResult<Self> {
        serde_path_to_error::deserialize(JsonValue::Object(props)).map_err(|e| {
            let (field, problem) = super::problem::serde_refusal("properties", &e);
            DomainError::of(problem, field, e.inner().to_string())
        })
    }
}

/// The parts of an [`Item`] impl that only differ by names: the layer, the key field, and the
/// geometry field with its parse and render functions.
macro_rules! item_fields {
    ($layer:expr, key: $key:ident, geometry: $geom:ident, $parse:path, $render:path
     $(, stored: $read:path)?) => {
        const LAYER: Layer = $layer;

        fn key(&self) -> &str {
            &self.$key
        }
        fn set_key(&mut self, key: String) {
            self.$key = key;
        }
        fn geometry(&self) -> Option<geojson::Geometry> {
            Some($render(&self.$geom))
        }
        fn set_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()> {
            self.$geom = $parse(geometry)?;
            Ok(())
        }
        $(
            fn set_stored_geometry(
                &mut self,
                geometry: Option<&geojson::Geometry>,
            ) -> DomainResult<()> {
                self.$geom = $read(geometry)?;
                Ok(())
            }
        )?
    };
}
pub(crate) use item_fields;

/// An item of any layer, for batch writes that mix layers.
#[derive(Debug, Clone)]
pub enum AnyItem {
    Region(Region),
    Grid(Grid),
    Worker(Worker),
    Camera(Camera),
    PatrolRoute(PatrolRoute),
    KeyArea(KeyArea),
    Event(Event),
    Building(Building),
    Obstacle(Obstacle),
    Road(Road),
}

/// Calls `$body` with `$v` bound to the inner item of any [`AnyItem`].
#[macro_export]
macro_rules! with_item {
    ($any:expr, $v:ident => $body:expr) => {
        match $any {
            $crate::domain::AnyItem::Region($v) => $body,
            $crate::domain::AnyItem::Grid($v) => $body,
            $crate::domain::AnyItem::Worker($v) => $body,
            $crate::domain::AnyItem::Camera($v) => $body,
            $crate::domain::AnyItem::PatrolRoute($v) => $body,
            $crate::domain::AnyItem::KeyArea($v) => $body,
            $crate::domain::AnyItem::Event($v) => $body,
            $crate::domain::AnyItem::Building($v) => $body,
            $crate::domain::AnyItem::Obstacle($v) => $body,
            $crate::domain::AnyItem::Road($v) => $body,
        }
    };
}

impl AnyItem {
    /// The item's layer.
    #[must_use]
    pub fn layer(&self) -> Layer {
        fn layer_of<T: Item>(_: &T) -> Layer {
            T::LAYER
        }
        with_item!(self, v => layer_of(v))
    }

    /// The item's key.
    #[must_use]
    pub fn key(&self) -> &str {
        with_item!(self, v => v.key())
    }

    /// The item as a GeoJSON Feature.
    #[must_use]
    pub fn to_feature(&self) -> Feature {
        with_item!(self, v => v.to_feature())
    }

    /// Parses a Feature of `layer` into an item.
    ///
    /// # Errors
    /// As [`Item::from_feature`].
    pub fn from_feature(layer: Layer, feature: &Feature) -> DomainResult<Self> {
        Ok(match layer {
            Layer::Region => AnyItem::Region(Region::from_feature(feature)?),
            Layer::Grid => AnyItem::Grid(Grid::from_feature(feature)?),
            Layer::Worker => AnyItem::Worker(Worker::from_feature(feature)?),
            Layer::Camera => AnyItem::Camera(Camera::from_feature(feature)?),
            Layer::PatrolRoute => AnyItem::PatrolRoute(PatrolRoute::from_feature(feature)?),
            Layer::KeyArea => AnyItem::KeyArea(KeyArea::from_feature(feature)?),
            Layer::Event => AnyItem::Event(Event::from_feature(feature)?),
            Layer::Building => AnyItem::Building(Building::from_feature(feature)?),
            Layer::Obstacle => AnyItem::Obstacle(Obstacle::from_feature(feature)?),
            Layer::Road => AnyItem::Road(Road::from_feature(feature)?),
        })
    }

    /// The properties as stored (everything but the geometry), as a JSON string.
    #[must_use]
    pub fn properties_json(&self) -> String {
        with_item!(self, v => serde_json::to_string(v).unwrap_or_else(|_| "{}".into()))
    }

    /// The geometry as a GeoJSON string, `None` for workers.
    #[must_use]
    pub fn geometry_json(&self) -> Option<String> {
        with_item!(self, v => v.geometry().map(|g| g.to_string()))
    }
}
