//! The names of the domain's enums, from one list each: `string_enum!` reads
//! `Type, "field" { Variant => "name", ... }` and gives the type
//! - `ALL`, every variant in the list's order, and `NAMES`, their names in the same order;
//! - `as_str`, the name: what the JSON, the database rows, the vector tiles, URLs and the
//!   command line carry;
//! - `FromStr`, the name back, or a [`DomainError`] on `field` that lists the names accepted;
//! - `Display`, the name.
//!
//! The enum itself is declared as usual, beside the list. `as_str` matches on every variant,
//! so a variant added to the enum without a name does not compile.
//!
//! Serde and schemars keep their own `#[serde(rename_all = "snake_case")]`: the JSON Schema
//! derives one entry per variant with its doc comment, which a hand-written `Serialize` would
//! have to reproduce. The tests below hold serde to the lists instead, for every variant of
//! every enum, both ways.
//!
//! Imports nothing but [`DomainError`]; every file of `domain` that declares an enum uses it.

use super::DomainError;

/// Gives an enum its names; see the [module doc](self).
///
/// `string_enum!(Layer, "layer", also Layer::table { ... })` also accepts, when parsing, the
/// name that `Layer::table` gives each variant.
macro_rules! string_enum {
    ($ty:ident, $field:literal $(, also $alias:path)? {
        $($variant:ident => $name:literal),+ $(,)?
    }) => {
        impl $ty {
            /// Every variant, in the order of [`Self::NAMES`].
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];
            /// The name of every variant, in the order of [`Self::ALL`].
            pub const NAMES: [&'static str; [$($name),+].len()] = [$($name),+];

            /// The name, as the JSON, the store and URLs spell it.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::domain::DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s $(|| $alias(*v) == s)?)
                    .ok_or_else(|| $crate::domain::names::unknown($field, s, &Self::NAMES))
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

/// The error of a name that is none of `known`: `unknown {field} `{value}`; known: a, b, c`.
pub(super) fn unknown(field: &str, value: &str, known: &[&str]) -> DomainError {
    DomainError::new(
        field,
        format!("unknown {field} `{value}`; known: {}", known.join(", ")),
    )
}

/// `names` as the end of a sentence saying what is accepted: `a, b or c`.
///
/// ```
/// use safegrid::domain::{CameraStatus, names::one_of};
/// assert_eq!(one_of(&CameraStatus::NAMES), "online, offline or fault");
/// ```
#[must_use]
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::one_of;
    use crate::domain::{
        CameraKind, CameraStatus, Duty, EventStatus, GridKind, KeyAreaCategory, KeyAreaStatus,
        Layer, ObstacleKind, RegionLevel, Role, WorkerRole,
    };

    /// Serde writes every variant as its listed name, and reads the name back to it; so does
    /// `FromStr`.
    fn agrees_with_serde<T>(all: &[T], as_str: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned + std::str::FromStr,
    {
        for &v in all {
            let name = as_str(v);
            assert_eq!(serde_json::to_value(v).ok(), Some(name.into()), "{v:?}");
            assert_eq!(serde_json::from_value::<T>(name.into()).ok(), Some(v));
            assert_eq!(name.parse::<T>().ok(), Some(v), "{name}");
        }
    }

    #[test]
    fn region_level_names_are_serde_names() {
        agrees_with_serde(&RegionLevel::ALL, RegionLevel::as_str);
    }

    #[test]
    fn grid_kind_names_are_serde_names() {
        agrees_with_serde(&GridKind::ALL, GridKind::as_str);
    }

    #[test]
    fn camera_kind_and_status_names_are_serde_names() {
        agrees_with_serde(&CameraKind::ALL, CameraKind::as_str);
        agrees_with_serde(&CameraStatus::ALL, CameraStatus::as_str);
    }

    #[test]
    fn key_area_category_and_status_names_are_serde_names() {
        agrees_with_serde(&KeyAreaCategory::ALL, KeyAreaCategory::as_str);
        agrees_with_serde(&KeyAreaStatus::ALL, KeyAreaStatus::as_str);
    }

    #[test]
    fn event_status_names_are_serde_names() {
        agrees_with_serde(&EventStatus::ALL, EventStatus::as_str);
    }

    #[test]
    fn obstacle_kind_names_are_serde_names() {
        agrees_with_serde(&ObstacleKind::ALL, ObstacleKind::as_str);
    }

    #[test]
    fn worker_role_and_duty_names_are_serde_names() {
        agrees_with_serde(&WorkerRole::ALL, WorkerRole::as_str);
        agrees_with_serde(&Duty::ALL, Duty::as_str);
    }

    #[test]
    fn role_names_are_serde_names() {
        agrees_with_serde(&Role::ALL, Role::as_str);
    }

    #[test]
    fn layers_parse_from_url_and_table_names_and_display_the_url_name() {
        for layer in Layer::ALL {
            assert_eq!(layer.path().parse::<Layer>(), Ok(layer));
            assert_eq!(layer.table().parse::<Layer>(), Ok(layer));
            assert_eq!(layer.to_string(), layer.path());
        }
        assert_eq!(Layer::NAMES[4], "patrol-routes");
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_names_accepted() {
        let e = "dome".parse::<CameraKind>().expect_err("unknown");
        assert_eq!(e.field, "kind");
        assert_eq!(e.reason, "unknown kind `dome`; known: fixed, ptz");
        let e = "streets".parse::<Layer>().expect_err("unknown");
        assert_eq!(
            e.reason,
            "unknown layer `streets`; known: regions, grids, workers, cameras, patrol-routes, \
             key-areas, events, buildings, obstacles, roads"
        );
    }

    #[test]
    fn one_of_ends_with_or() {
        assert_eq!(one_of(&[]), "");
        assert_eq!(one_of(&["json"]), "json");
        assert_eq!(
            one_of(&GridKind::NAMES),
            "residential, village or dedicated"
        );
    }
}
