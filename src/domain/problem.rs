//! What kind of wrong a refused input is, as a stable machine code beside the English reason:
//! programs branch on the code, the web map words it in the user's language (naming the field
//! in the user's terms), and the reason stays for people reading the API directly.
//!
//! The codes are part of the API (`code` in every problem+json answer): add new ones, never
//! rename one.

/// The kind of a validation failure or conflict, with the figures a message needs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Problem {
    /// Wrong for a reason without a finer code: the reason says why.
    #[default]
    Invalid,
    /// Required and not given (or empty).
    Missing,
    /// Not of the expected type: text where a number belongs, an unknown name of a list.
    WrongType,
    /// A member the request does not take (a misspelt name, most often).
    UnknownField,
    /// A number outside `min..=max`, in `unit`.
    OutOfRange { min: f64, max: f64, unit: Unit },
    /// More positions, items or bytes than `limit`.
    TooMany { limit: u64 },
    /// A position that is not a longitude/latitude pair on the Earth.
    BadPosition,
    /// A shape that is not one: an open ring, too few positions, another geometry type.
    BadShape,
    /// A polygon whose boundary crosses itself, or whose parts or holes overlap.
    SelfIntersection,
    /// A shape too complex to check within the request's time budget.
    TooComplex,
    /// An area larger than the work it asks for may cover.
    AreaTooLarge,
    /// A place outside the city (or across the 180° meridian).
    OutsideCity,
    /// A code or name that is taken.
    Exists,
    /// A code that belonged to a retired grid: codes are never reused.
    CodeRetired,
    /// A reference to something that does not exist (a parent region, a worker, a grid).
    UnknownReference,
    /// Still referenced by others, so it cannot go.
    InUse,
    /// A value given twice where each must be unique.
    Duplicate,
    /// Grids of one edit that overlap each other.
    Overlap,
    /// A grid outside the village (or a micro-grid outside the grid) it belongs to.
    OutsideParent,
    /// A boundary that cuts a micro-grid in two.
    CutsMicroGrid,
    /// A micro-grid left in none of the new grids.
    LeavesMicroGrid,
    /// A split line that does not cut the grid into exactly two pieces.
    BadCutLine,
    /// Grids of different villages, which never merge.
    DifferentVillages,
    /// A top-level grid and a micro-grid (or micro-grids of different parents), which never merge.
    DifferentLevels,
    /// Grids that share no edge, which do not merge.
    NotAdjacent,
}

/// What the figures of a range count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain count (cameras, grids, items).
    Count,
    Metres,
    Degrees,
}

impl Unit {
    /// The symbol as problem+json writes it (`unit`): `m`, `deg`; `None` for a count.
    #[must_use]
    pub fn symbol(self) -> Option<&'static str> {
        match self {
            Unit::Count => None,
            Unit::Metres => Some("m"),
            Unit::Degrees => Some("deg"),
        }
    }
}

impl Problem {
    /// The stable code (`code` in problem+json).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Problem::Invalid => "invalid",
            Problem::Missing => "missing",
            Problem::WrongType => "wrong-type",
            Problem::UnknownField => "unknown-field",
            Problem::OutOfRange { .. } => "out-of-range",
            Problem::TooMany { .. } => "too-many",
            Problem::BadPosition => "bad-position",
            Problem::BadShape => "bad-shape",
            Problem::SelfIntersection => "self-intersection",
            Problem::TooComplex => "too-complex",
            Problem::AreaTooLarge => "area-too-large",
            Problem::OutsideCity => "outside-city",
            Problem::Exists => "exists",
            Problem::CodeRetired => "code-retired",
            Problem::UnknownReference => "unknown-reference",
            Problem::InUse => "in-use",
            Problem::Duplicate => "duplicate",
            Problem::Overlap => "overlap",
            Problem::OutsideParent => "outside-parent",
            Problem::CutsMicroGrid => "cuts-micro-grid",
            Problem::LeavesMicroGrid => "leaves-micro-grid",
            Problem::BadCutLine => "bad-cut-line",
            Problem::DifferentVillages => "different-villages",
            Problem::DifferentLevels => "different-levels",
            Problem::NotAdjacent => "not-adjacent",
        }
    }

    /// An out-of-range problem over `range` in `unit`.
    #[must_use]
    pub fn out_of_range(range: std::ops::RangeInclusive<f64>, unit: Unit) -> Self {
        Problem::OutOfRange {
            min: *range.start(),
            max: *range.end(),
            unit,
        }
    }
}

/// The field and kind of wrong of a value `serde` refused, under `prefix` (`properties`,
/// `body`): a missing field is named itself (`camera.range_m`), not its parent.
#[must_use]
pub fn serde_refusal(
    prefix: &str,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> (String, Problem) {
    let path = e.path().to_string();
    let under = |name: &str| match (prefix, path.as_str()) {
        ("", ".") => name.to_owned(),
        (_, ".") => format!("{prefix}.{name}"),
        ("", _) => format!("{path}.{name}"),
        _ => format!("{prefix}.{path}.{name}"),
    };
    let message = e.inner().to_string();
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return (under(name), Problem::Missing);
    }
    let field = match (prefix, path.as_str()) {
        (_, ".") => prefix.to_owned(),
        ("", _) => path,
        _ => format!("{prefix}.{path}"),
    };
    let problem = if message.starts_with("invalid type") {
        Problem::WrongType
    } else if message.starts_with("unknown field") {
        Problem::UnknownField
    } else {
        Problem::Invalid
    };
    (field, problem)
}

/// Serialized as the members that word it: `code`, and `min`, `max`, `unit` for a range or
/// `limit` for a count (flattened beside `field` and `reason` where it is reported).
impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", self.code())?;
        match *self {
            Problem::OutOfRange { min, max, unit } => {
                map.serialize_entry("min", &min)?;
                map.serialize_entry("max", &max)?;
                if let Some(symbol) = unit.symbol() {
                    map.serialize_entry("unit", symbol)?;
                }
            }
            Problem::TooMany { limit } => map.serialize_entry("limit", &limit)?,
            _ => {}
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        prefix: &str,
        json: &str,
    ) -> (String, Problem) {
        let mut de = serde_json::Deserializer::from_str(json);
        let e = serde_path_to_error::deserialize::<_, T>(&mut de).expect_err("refused");
        serde_refusal(prefix, &e)
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Camera {
        range_m: f64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        k: u32,
        camera: Option<Camera>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        k: Option<u32>,
    }

    #[test]
    fn serde_refusals_name_the_field_and_kind() {
        assert_eq!(
            refusal::<Body>("", "{}"),
            ("k".to_owned(), Problem::Missing)
        );
        assert_eq!(
            refusal::<Body>("", r#"{"k": 1, "camera": {}}"#),
            ("camera.range_m".to_owned(), Problem::Missing)
        );
        assert_eq!(
            refusal::<Body>("properties", r#"{"k": 1, "camera": {"range_m": "far"}}"#),
            ("properties.camera.range_m".to_owned(), Problem::WrongType)
        );
        assert_eq!(
            refusal::<Body>("body", r#"{"k": -1}"#),
            ("body.k".to_owned(), Problem::Invalid)
        );
        assert_eq!(
            refusal::<Strict>("", r#"{"colour": 1}"#),
            ("colour".to_owned(), Problem::UnknownField)
        );
    }

    #[test]
    fn codes_are_distinct_kebab_case() {
        let all = [
            Problem::Invalid,
            Problem::Missing,
            Problem::WrongType,
            Problem::UnknownField,
            Problem::out_of_range(0.0..=1.0, Unit::Metres),
            Problem::TooMany { limit: 1 },
            Problem::BadPosition,
            Problem::BadShape,
            Problem::SelfIntersection,
            Problem::TooComplex,
            Problem::AreaTooLarge,
            Problem::OutsideCity,
            Problem::Exists,
            Problem::CodeRetired,
            Problem::UnknownReference,
            Problem::InUse,
            Problem::Duplicate,
            Problem::Overlap,
            Problem::OutsideParent,
            Problem::CutsMicroGrid,
            Problem::LeavesMicroGrid,
            Problem::BadCutLine,
            Problem::DifferentVillages,
            Problem::DifferentLevels,
            Problem::NotAdjacent,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|p| p.code()).collect();
        assert_eq!(codes.len(), all.len());
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        );
    }
}
