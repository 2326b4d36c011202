//! Coverage reports as users read them: the city-wide table of a layer (filtered, sorted, with a
//! summary of what offline cameras cost) and one feature's figures with its blind spots, as JSON,
//! GeoJSON or CSV. The HTTP API (`/api/v1/coverage…`) and the CLI (`safegrid coverage`) both
//! render through here, so they answer the same figures in the same columns.
//!
//! The figures come from [`crate::analysis::coverage`]; this module only chooses, orders and
//! formats them. Computing a layer's table is CPU-heavy on a cold cache: callers on an async
//! runtime run [`CoverageTable::compute`] off the async threads.
//!
//! # Units
//! Areas in m², lengths in m, shares in percent, `lost_points` in percentage points.

use serde_json::{Map, Value, json};

use crate::analysis::coverage::{CoverageCache, CoverageLayer, FeatureCoverage, TargetCoverage};
use crate::domain::names::one_of;
use crate::domain::{DomainError, KeyAreaCategory};
use crate::spatial::Snapshot;

/// Default `lost_over` threshold, percentage points.
pub const DEFAULT_LOST_OVER: f64 = 10.0;

/// How the table's rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableSort {
    /// Least seen first (ties by key).
    Worst,
    /// Most coverage lost to offline cameras first (ties by key).
    Lost,
    /// By key, as the layer lists them.
    Key,
}

impl TableSort {
    fn as_str(self) -> &'static str {
        match self {
            Self::Worst => "worst",
            Self::Lost => "lost",
            Self::Key => "key",
        }
    }
}

/// A validated request for a layer's coverage table.
#[derive(Debug, Clone)]
pub struct TableQuery {
    pub layer: CoverageLayer,
    /// Key areas only: keep one category.
    pub category: Option<KeyAreaCategory>,
    pub sort: TableSort,
    /// At most this many rows (the summary still counts every row).
    pub limit: Option<usize>,
    /// Rows that lost more than this many points to offline cameras are listed in the summary.
    pub lost_over: f64,
}

/// Parses a coverage layer name (`grids`, `villages`, `towns`, `key-areas`, `patrol-routes`).
///
/// # Errors
/// An unknown name, as a `layer` field error listing the known ones.
pub fn parse_layer(raw: &str) -> Result<CoverageLayer, DomainError> {
    CoverageLayer::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = CoverageLayer::ALL.iter().map(|l| l.path()).collect();
        DomainError::new(
            "layer",
            format!("unknown layer `{raw}`: use one of {}", known.join(", ")),
        )
    })
}

impl TableQuery {
    /// Validates the raw parameters (as the query string or the command line gives them);
    /// `None` takes the default (`grids`, every category, `worst`, no limit, 10 points).
    ///
    /// # Errors
    /// The first bad parameter, named as its field.
    pub fn parse(
        layer: Option<&str>,
        category: Option<&str>,
        sort: Option<&str>,
        limit: Option<usize>,
        lost_over: Option<f64>,
    ) -> Result<Self, DomainError> {
        let layer = parse_layer(layer.unwrap_or("grids"))?;
        let category = match category {
            None => None,
            Some(_) if layer != CoverageLayer::KeyAreas => {
                return Err(DomainError::new(
                    "category",
                    "category applies to layer=key-areas only",
                ));
            }
            Some(c) => Some(c.parse::<KeyAreaCategory>().map_err(|_| {
                DomainError::new(
                    "category",
                    format!(
                        "unknown category `{c}`: use {}",
                        one_of(&KeyAreaCategory::NAMES)
                    ),
                )
            })?),
        };
        let sort = match sort.unwrap_or("worst") {
            "worst" => TableSort::Worst,
            "lost" => TableSort::Lost,
            "key" => TableSort::Key,
            other => {
                return Err(DomainError::new(
                    "sort",
                    format!("unknown sort `{other}`: use worst, lost or key"),
                ));
            }
        };
        if limit == Some(0) {
            return Err(DomainError::new("limit", "limit must be at least 1"));
        }
        let lost_over = lost_over.unwrap_or(DEFAULT_LOST_OVER);
        if !lost_over.is_finite() {
            return Err(DomainError::new("lost_over", "lost_over must be a number"));
        }
        Ok(Self {
            layer,
            category,
            sort,
            limit,
            lost_over,
        })
    }
}

/// A layer's coverage table, ready to render.
#[derive(Debug, Clone)]
pub struct CoverageTable {
    layer: CoverageLayer,
    /// The shown rows (after filter, sort and limit), each as the table's columns.
    rows: Vec<Map<String, Value>>,
    /// Everything but the rows: layer, timing, cache, sort and the summary.
    head: Value,
}

impl CoverageTable {
    /// Computes (or takes from the snapshot's cache) the layer's coverage and builds the table.
    #[must_use]
    pub fn compute(cache: &CoverageCache, snapshot: &Snapshot, query: &TableQuery) -> Self {
        let layer = query.layer;
        let (table, cached) = cache.layer_coverage(snapshot, layer);
        let mut rows: Vec<&FeatureCoverage> = table
            .rows
            .iter()
            .filter(|r| query.category.is_none_or(|c| r.category == Some(c)))
            .collect();
        match query.sort {
            TableSort::Worst => rows.sort_by(|a, b| {
                a.coverage
                    .share()
                    .total_cmp(&b.coverage.share())
                    .then_with(|| a.key.cmp(&b.key))
            }),
            TableSort::Lost => rows.sort_by(|a, b| {
                b.coverage
                    .lost_points()
                    .total_cmp(&a.coverage.lost_points())
                    .then_with(|| a.key.cmp(&b.key))
            }),
            TableSort::Key => {}
        }
        let lost: Vec<&str> = rows
            .iter()
            .filter(|r| r.coverage.lost_points() > query.lost_over)
            .map(|r| r.key.as_str())
            .collect();
        let total: f64 = rows.iter().map(|r| r.coverage.size).sum();
        let seen: f64 = rows.iter().map(|r| r.coverage.seen).sum();
        let seen_all: f64 = rows.iter().map(|r| r.coverage.seen_if_all_online).sum();
        let pct = |part: f64| {
            if total > 0.0 {
                r2(100.0 * part / total)
            } else {
                0.0
            }
        };
        let head = json!({
            "layer": layer.path(),
            "computed_in_ms": r2(table.computed_in.as_secs_f64() * 1e3),
            "cached": cached,
            "sort": query.sort.as_str(),
            "summary": {
                "features": rows.len(),
                "share": pct(seen),
                "share_if_all_online": pct(seen_all),
                "lost_points": r2((pct(seen_all) - pct(seen)).max(0.0)),
                "without_any_camera": rows.iter().filter(|r| r.coverage.seen <= 0.0).count(),
                "lost_over": query.lost_over,
                "lost_over_count": lost.len(),
                "lost_over_keys": lost,
            },
        });
        let rows = rows
            .iter()
            .take(query.limit.unwrap_or(usize::MAX))
            .map(|r| figures(layer, r))
            .collect();
        Self { layer, rows, head }
    }

    /// The table as JSON: layer, `computed_in_ms`, `cached`, `sort`, `summary` and `rows`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut body = self.head.clone();
        body["rows"] = Value::Array(self.rows.iter().cloned().map(Value::Object).collect());
        body
    }

    /// The rows as CSV (with a byte-order mark, so that spreadsheets read the Chinese names as
    /// UTF-8), in the columns of [`columns`].
    ///
    /// # Errors
    /// Only if the CSV writer fails in memory.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let cols = columns(self.layer);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&cols)?;
        for row in &self.rows {
            w.write_record(cols.iter().map(|c| match row.get(*c) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            }))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
    }

    /// The layer the table is of.
    #[must_use]
    pub fn layer(&self) -> CoverageLayer {
        self.layer
    }
}

/// One feature's figures (as the collection's `properties`) and its blind spots
/// (`part: blind`), with `include_seen` also what online cameras see (`part: seen`), as a
/// GeoJSON FeatureCollection; `None` when the feature does not exist.
#[must_use]
pub fn feature_report(
    cache: &CoverageCache,
    snapshot: &Snapshot,
    layer: CoverageLayer,
    key: &str,
    include_seen: bool,
) -> Option<Value> {
    let row = cache.feature_coverage(snapshot, layer, key)?;
    let props = figures(layer, &row);
    let mut features = Vec::new();
    if let Some(g) = geometry_json(&row.coverage.blind) {
        features.push(json!({"type": "Feature", "geometry": g,
            "properties": {"part": "blind", key_field(layer): row.key}}));
    }
    if include_seen && let Some(g) = geometry_json(&row.coverage.seen_geometry) {
        features.push(json!({"type": "Feature", "geometry": g,
            "properties": {"part": "seen", key_field(layer): row.key}}));
    }
    Some(
        json!({"type": "FeatureCollection", "layer": layer.path(), "properties": props, "features": features}),
    )
}

/// A non-empty geometry as GeoJSON.
#[must_use]
pub fn geometry_json(g: &geo::Geometry) -> Option<Value> {
    let empty = match g {
        geo::Geometry::MultiPolygon(mp) => mp.0.is_empty(),
        geo::Geometry::MultiLineString(ml) => ml.0.is_empty(),
        _ => false,
    };
    (!empty).then(|| json!(geojson::Geometry::new(geojson::Value::from(g))))
}

/// Rounds to 0.01.
#[must_use]
pub fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn key_field(layer: CoverageLayer) -> &'static str {
    match layer {
        CoverageLayer::Grids | CoverageLayer::Villages | CoverageLayer::Towns => "code",
        CoverageLayer::KeyAreas | CoverageLayer::PatrolRoutes => "id",
    }
}

/// The figures of one feature, as a JSON object (the columns of the table and the CSV).
fn figures(layer: CoverageLayer, row: &FeatureCoverage) -> Map<String, Value> {
    let c: &TargetCoverage = &row.coverage;
    let mut m = Map::new();
    m.insert(key_field(layer).into(), json!(row.key));
    m.insert("name".into(), json!(row.name));
    if let Some(cat) = row.category {
        m.insert("category".into(), json!(cat.as_str()));
    }
    let (size, seen, seen2) = if layer.is_line() {
        ("length_m", "seen_m", "seen_2plus_m")
    } else {
        ("area_m2", "seen_m2", "seen_2plus_m2")
    };
    m.insert(size.into(), json!(r2(c.size)));
    m.insert(seen.into(), json!(r2(c.seen)));
    m.insert(seen2.into(), json!(r2(c.seen_2plus)));
    m.insert("share".into(), json!(r2(c.share())));
    m.insert("share_2plus".into(), json!(r2(c.share_2plus())));
    m.insert(
        "share_if_all_online".into(),
        json!(r2(c.share_if_all_online())),
    );
    m.insert("lost_points".into(), json!(r2(c.lost_points())));
    m.insert("cameras_online".into(), json!(c.cameras_online));
    m.insert("cameras_offline".into(), json!(c.cameras_offline));
    m
}

/// CSV columns, in order, for `layer`.
#[must_use]
pub fn columns(layer: CoverageLayer) -> Vec<&'static str> {
    let mut cols = vec![key_field(layer), "name"];
    if layer == CoverageLayer::KeyAreas {
        cols.push("category");
    }
    if layer.is_line() {
        cols.extend(["length_m", "seen_m", "seen_2plus_m"]);
    } else {
        cols.extend(["area_m2", "seen_m2", "seen_2plus_m2"]);
    }
    cols.extend([
        "share",
        "share_2plus",
        "share_if_all_online",
        "lost_points",
        "cameras_online",
        "cameras_offline",
    ]);
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_name_their_field() {
        let field = |r: Result<TableQuery, DomainError>| r.err().map(|e| e.field);
        assert_eq!(
            field(TableQuery::parse(Some("streets"), None, None, None, None)),
            Some("layer".into())
        );
        assert_eq!(
            field(TableQuery::parse(
                Some("grids"),
                Some("urban_village"),
                None,
                None,
                None
            )),
            Some("category".into())
        );
        assert_eq!(
            field(TableQuery::parse(
                Some("key-areas"),
                Some("market"),
                None,
                None,
                None
            )),
            Some("category".into())
        );
        assert_eq!(
            field(TableQuery::parse(None, None, Some("best"), None, None)),
            Some("sort".into())
        );
        assert_eq!(
            field(TableQuery::parse(None, None, None, Some(0), None)),
            Some("limit".into())
        );
        assert_eq!(
            field(TableQuery::parse(None, None, None, None, Some(f64::NAN))),
            Some("lost_over".into())
        );
        let q = TableQuery::parse(None, None, None, None, None).expect("defaults");
        assert_eq!(
            (q.layer, q.sort, q.limit, q.lost_over),
            (
                CoverageLayer::Grids,
                TableSort::Worst,
                None,
                DEFAULT_LOST_OVER
            )
        );
    }

    #[test]
    fn csv_columns_follow_the_layer_kind() {
        assert!(columns(CoverageLayer::PatrolRoutes).contains(&"length_m"));
        assert!(columns(CoverageLayer::Grids).contains(&"area_m2"));
        assert_eq!(
            columns(CoverageLayer::KeyAreas)[..3],
            ["id", "name", "category"]
        );
    }
}
