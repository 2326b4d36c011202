//! Bulk camera registration from the files departments keep: CSV and XLSX spreadsheets with
//! their own (often Chinese) headers, and OpenStreetMap surveillance nodes exported as GeoJSON.
//!
//! A [`Table`] (header + cells, from CSV or the first/named XLSX sheet) becomes camera rows
//! through a [`ColumnMap`]: our field names → the file's headers. Headers not mapped explicitly
//! are recognised from [`SYNONYMS`] (设备编码, 经度, 方向角 …); other columns are ignored.
//! [`review`] then applies the checks that need the whole file or the current layer: GB/T 28181
//! codes inside the city, one code per file, and near-duplicate cameras (a warning).
//!
//! Defaults for a missing cell or tag (spreadsheets and OSM alike): `kind` fixed (ptz when
//! `hfov_deg` is 360), `range_m` 50, `height_m` 5, `hfov_deg` 90 (360 for ptz), `azimuth_deg` 0,
//! `status` online, no tilt (a tilt needs a vertical field of view, which neither source has).
//!
//! Nothing here writes: it parses and reports. It must not import `api` or `store`.
//!
//! # Units
//! Coordinates are lon/lat degrees in the file's [`Crs`], converted to WGS84; heights and ranges
//! in metres; angles in degrees clockwise from north. Near duplicates are within
//! [`NEAR_DUPLICATE_M`] metres (equirectangular distance, exact enough at that scale).

use std::collections::{BTreeMap, HashMap};

use geojson::{Feature, JsonObject, JsonValue};
use serde::{Deserialize, Serialize};

use crate::domain::codes::check_camera_code;
use crate::domain::{AnyItem, Camera, CameraKind, CameraStatus, DomainError, Layer, Region};
use crate::spatial::crs::Crs;

use super::{IoError, ParsedRow, geometry_to_wgs84};

/// Our camera fields that a column can be mapped to.
pub const FIELDS: [&str; 12] = [
    "code",
    "name",
    "lon",
    "lat",
    "height_m",
    "azimuth_deg",
    "hfov_deg",
    "range_m",
    "kind",
    "status",
    "tilt_deg",
    "vfov_deg",
];

/// Headers recognised without a mapping (compared trimmed, ASCII case ignored).
pub const SYNONYMS: [(&str, &[&str]); 12] = [
    (
        "code",
        &["code", "设备编码", "设备编号", "国标编码", "国标编号"],
    ),
    ("name", &["name", "设备名称", "点位名称", "名称"]),
    ("lon", &["lon", "longitude", "lng", "经度"]),
    ("lat", &["lat", "latitude", "纬度"]),
    ("height_m", &["height_m", "height", "安装高度", "高度"]),
    (
        "azimuth_deg",
        &[
            "azimuth_deg",
            "azimuth",
            "direction",
            "方向角",
            "朝向",
            "方位角",
        ],
    ),
    ("hfov_deg", &["hfov_deg", "hfov", "水平视场角", "视场角"]),
    (
        "range_m",
        &["range_m", "range", "可视距离", "监控距离", "覆盖半径"],
    ),
    ("kind", &["kind", "摄像机类型", "设备类型"]),
    ("status", &["status", "状态", "在线状态"]),
    ("tilt_deg", &["tilt_deg", "tilt", "俯仰角", "俯角"]),
    ("vfov_deg", &["vfov_deg", "vfov", "垂直视场角"]),
];

/// Two cameras closer than this (metres) and looking the same way are near duplicates.
pub const NEAR_DUPLICATE_M: f64 = 1.0;
/// Azimuths within this many degrees count as "the same way".
pub const NEAR_DUPLICATE_DEG: f64 = 5.0;

const DEFAULT_RANGE_M: f64 = 50.0;
const DEFAULT_HEIGHT_M: f64 = 5.0;

/// Our field → the file's header, e.g. `code → 设备编码`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap(pub BTreeMap<String, String>);

impl ColumnMap {
    /// Parses `code=设备编码,lon=经度` (or `code:设备编码`, the form that needs no escaping in a
    /// URL query).
    ///
    /// # Errors
    /// A [`DomainError`] on `map` for a pair without `=`/`:` or an unknown field.
    pub fn parse(spec: &str) -> Result<Self, DomainError> {
        let mut map = BTreeMap::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, header) = pair
                .split_once('=')
                .or_else(|| pair.split_once(':'))
                .ok_or_else(|| DomainError::new("map", format!("`{pair}`: write field=header")))?;
            let field = field.trim();
            if !FIELDS.contains(&field) {
                return Err(DomainError::new(
                    "map",
                    format!("`{field}` is not a camera field: {}", FIELDS.join(", ")),
                ));
            }
            map.insert(field.to_owned(), header.trim().to_owned());
        }
        Ok(Self(map))
    }

    /// `self` with the pairs of `over` replacing its own.
    #[must_use]
    pub fn merged(mut self, over: &ColumnMap) -> Self {
        self.0
            .extend(over.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }
}

/// A saved import setting: the column map, and optionally the coordinate system and sheet.
/// Stored by the CLI as `<dir>/<NAME>.json` (default dir `data/import-profiles`): a file, so it
/// works the same whichever store is in use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Field → header.
    #[serde(default)]
    pub map: ColumnMap,
    /// `wgs84`, `gcj02` or `bd09`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// The sheet of an XLSX file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

fn profile_path(dir: &std::path::Path, name: &str) -> Result<std::path::PathBuf, IoError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(dir.join(format!("{name}.json")))
    } else {
        Err(IoError::Format(format!(
            "profile name `{name}`: use letters, digits, - _ ."
        )))
    }
}

/// Reads the profile `name` from `dir`.
///
/// # Errors
/// When the file is missing or not a profile.
pub fn load_profile(dir: &std::path::Path, name: &str) -> Result<Profile, IoError> {
    let path = profile_path(dir, name)?;
    let text = std::fs::read_to_string(&path).map_err(|source| IoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| IoError::Format(format!("profile {}: {e}", path.display())))
}

/// Writes `profile` as `dir/name.json`, creating `dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn save_profile(
    dir: &std::path::Path,
    name: &str,
    profile: &Profile,
) -> Result<std::path::PathBuf, IoError> {
    let path = profile_path(dir, name)?;
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(profile).map_err(std::io::Error::other)?;
        std::fs::write(&path, text)
    };
    write().map_err(|source| IoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(path)
}

/// One spreadsheet cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// A header and its rows, each with the number the user sees (CSV line, spreadsheet row).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    /// `line` (CSV) or `row` (XLSX).
    pub unit: &'static str,
    pub rows: Vec<(usize, Result<Vec<Cell>, String>)>,
}

impl Table {
    /// A CSV file; the header is line 1.
    ///
    /// # Errors
    /// When the header cannot be read.
    pub fn from_csv(text: &str) -> Result<Self, IoError> {
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| IoError::Format(format!("CSV header: {e}")))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let rows = reader
            .records()
            .map(|record| match record {
                Ok(r) => (
                    usize::try_from(r.position().map_or(0, ::csv::Position::line))
                        .unwrap_or(usize::MAX),
                    Ok(r.iter()
                        .map(|c| {
                            if c.trim().is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(c.trim().to_owned())
                            }
                        })
                        .collect()),
                ),
                Err(e) => (
                    usize::try_from(e.position().map_or(0, ::csv::Position::line))
                        .unwrap_or(usize::MAX),
                    Err(e.to_string()),
                ),
            })
            .collect();
        Ok(Self {
            headers,
            unit: "line",
            rows,
        })
    }

    /// The first sheet of an XLSX workbook, or the sheet named `sheet`. The first row of the
    /// sheet's used range is the header; row numbers are the ones the spreadsheet shows.
    ///
    /// # Errors
    /// When the bytes are not a workbook or the sheet does not exist.
    pub fn from_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Self, IoError> {
        use calamine::{Data, Reader, Xlsx};
        check_unzipped_size(bytes)?;
        let mut book = Xlsx::new(std::io::Cursor::new(bytes))
            .map_err(|e| IoError::Format(format!("not an XLSX workbook: {e}")))?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) if names.iter().any(|n| n == s) => s.to_owned(),
            Some(s) => {
                return Err(IoError::Format(format!(
                    "no sheet `{s}`; the workbook has: {}",
                    names.join(", ")
                )));
            }
            None => names
                .first()
                .cloned()
                .ok_or_else(|| IoError::Format("the workbook has no sheet".into()))?,
        };
        let range = book
            .worksheet_range(&name)
            .map_err(|e| IoError::Format(format!("sheet `{name}`: {e}")))?;
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let mut rows = range.rows();
        let headers = rows
            .next()
            .map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect())
            .unwrap_or_default();
        let rows = rows
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)))
            .map(|(i, r)| {
                let cells = r
                    .iter()
                    .map(|c| match c {
                        Data::Empty => Cell::Empty,
                        #[expect(clippy::cast_precision_loss, reason = "a code is refused anyway")]
                        Data::Int(i) => Cell::Number(*i as f64),
                        Data::Float(f) => Cell::Number(*f),
                        Data::String(s) if s.trim().is_empty() => Cell::Empty,
                        other => Cell::Text(other.to_string().trim().to_owned()),
                    })
                    .collect();
                // Sheet rows count from 1, and the header is the range's first row.
                (first_row + i + 2, Ok(cells))
            })
            .collect();
        Ok(Self {
            headers,
            unit: "row",
            rows,
        })
    }
}

/// Refuses a workbook whose parts declare more than
/// [`MAX_UNZIPPED_BYTES`](super::shapefile::MAX_UNZIPPED_BYTES) unzipped in all: sheet XML
/// compresses a hundredfold, and calamine holds a sheet in memory.
fn check_unzipped_size(bytes: &[u8]) -> Result<(), IoError> {
    let limit = super::shapefile::MAX_UNZIPPED_BYTES;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| IoError::Format(format!("not an XLSX workbook: {e}")))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let size = archive
            .by_index_raw(i)
            .map_err(|e| IoError::Format(format!("not an XLSX workbook: {e}")))?
            .size();
        total = total.saturating_add(size);
    }
    if total > limit {
        return Err(IoError::TooLarge(format!(
            "the workbook unzips to {total} bytes, more than {limit}"
        )));
    }
    Ok(())
}

/// Which column holds each field: explicit mappings first, then [`SYNONYMS`].
fn resolve(headers: &[String], map: &ColumnMap) -> Result<Vec<Option<&'static str>>, IoError> {
    let norm = |s: &str| s.trim().to_lowercase();
    let mut fields: Vec<Option<&'static str>> = vec![None; headers.len()];
    for (field, header) in &map.0 {
        let Some(field) = FIELDS.iter().find(|f| *f == field) else {
            continue;
        };
        let i = headers
            .iter()
            .position(|h| norm(h) == norm(header))
            .ok_or_else(|| {
                IoError::Format(format!(
                    "column `{header}` (mapped to {field}) is not in the header: {}",
                    headers.join(", ")
                ))
            })?;
        fields[i] = Some(field);
    }
    for (field, names) in SYNONYMS {
        if fields.contains(&Some(field)) {
            continue;
        }
        if let Some(i) = headers
            .iter()
            .enumerate()
            .position(|(i, h)| fields[i].is_none() && names.contains(&norm(h).as_str()))
        {
            fields[i] = Some(field);
        }
    }
    Ok(fields)
}

/// Parses a table into camera rows (`at` = `line 7` or `row 7`), coordinates converted from
/// `crs`.
///
/// # Errors
/// When an explicitly mapped column is not in the header.
pub fn parse_table(table: &Table, map: &ColumnMap, crs: Crs) -> Result<Vec<ParsedRow>, IoError> {
    let fields = resolve(&table.headers, map)?;
    Ok(table
        .rows
        .iter()
        .map(|(n, cells)| ParsedRow {
            at: format!("{} {n}", table.unit),
            item: match cells {
                Ok(cells) => parse_cells(&fields, &table.headers, cells, crs),
                Err(e) => Err(DomainError::new("row", e.clone())),
            },
        })
        .collect())
}

fn number(header: &str, cell: &Cell) -> Result<f64, DomainError> {
    match cell {
        Cell::Number(n) => Ok(*n),
        Cell::Text(t) => t
            .trim_end_matches(['°', '度', 'm', '米'])
            .trim()
            .parse::<f64>()
            .map_err(|_| DomainError::new(header, format!("`{t}` is not a number"))),
        Cell::Empty => Err(DomainError::new(header, "empty")),
    }
}

/// `fixed` or `ptz` from English or Chinese names (枪机 → fixed; 球机, 云台, 半球 → ptz).
fn kind_value(t: &str) -> Option<CameraKind> {
    let t = t.trim().to_lowercase();
    if t.contains("球") || t.contains("云台") || ["ptz", "dome", "panning"].contains(&t.as_str())
    {
        Some(CameraKind::Ptz)
    } else if t.contains("枪") || t.contains("固定") || ["fixed", "bullet"].contains(&t.as_str())
    {
        Some(CameraKind::Fixed)
    } else {
        None
    }
}

/// `online`, `offline` or `fault` from English or Chinese (在线/正常, 离线, 故障/损坏).
fn status_value(t: &str) -> Option<CameraStatus> {
    match t.trim().to_lowercase().as_str() {
        "online" | "在线" | "正常" => Some(CameraStatus::Online),
        "offline" | "离线" => Some(CameraStatus::Offline),
        "fault" | "故障" | "损坏" => Some(CameraStatus::Fault),
        _ => None,
    }
}

fn parse_cells(
    fields: &[Option<&'static str>],
    headers: &[String],
    cells: &[Cell],
    crs: Crs,
) -> Result<AnyItem, DomainError> {
    let mut props = JsonObject::new();
    let (mut lon, mut lat) = (None, None);
    for ((field, header), cell) in fields.iter().zip(headers).zip(cells) {
        let Some(field) = *field else { continue };
        if *cell == Cell::Empty {
            continue;
        }
        let at = format!("{field} ({header})");
        match (field, cell) {
            ("code", Cell::Number(n)) => {
                return Err(DomainError::new(
                    at,
                    format!(
                        "stored as a number ({n:e}), 20 digits do not fit: format the column as text"
                    ),
                ));
            }
            ("code" | "name", Cell::Text(t)) => {
                props.insert(field.into(), JsonValue::String(t.clone()));
            }
            ("name", Cell::Number(n)) => {
                props.insert(field.into(), JsonValue::String(n.to_string()));
            }
            ("lon", c) => lon = Some(number(&at, c)?),
            ("lat", c) => lat = Some(number(&at, c)?),
            ("kind", c) => {
                let t = match c {
                    Cell::Text(t) => t.clone(),
                    other => format!("{other:?}"),
                };
                let v = kind_value(&t).ok_or_else(|| {
                    DomainError::new(&at, format!("`{t}`: use fixed/枪机 or ptz/球机/云台/半球"))
                })?;
                props.insert(field.into(), v.as_str().into());
            }
            ("status", c) => {
                let t = match c {
                    Cell::Text(t) => t.clone(),
                    other => format!("{other:?}"),
                };
                let v = status_value(&t).ok_or_else(|| {
                    DomainError::new(
                        &at,
                        format!("`{t}`: use online/在线, offline/离线 or fault/故障"),
                    )
                })?;
                props.insert(field.into(), v.as_str().into());
            }
            (_, c) => {
                props.insert(field.into(), JsonValue::from(number(&at, c)?));
            }
        }
    }
    let (Some(lon), Some(lat)) = (lon, lat) else {
        return Err(DomainError::new("lon,lat", "both lon and lat are needed"));
    };
    camera_item(props, lon, lat, crs)
}

/// Fills the documented defaults and validates.
fn camera_item(
    mut props: JsonObject,
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<AnyItem, DomainError> {
    if !props.contains_key("code") {
        return Err(DomainError::new("code", "no device code"));
    }
    let hfov = props.get("hfov_deg").and_then(JsonValue::as_f64);
    let kind = props
        .entry("kind")
        .or_insert_with(|| {
            if hfov.is_some_and(|h| h >= 360.0) {
                CameraKind::Ptz
            } else {
                CameraKind::Fixed
            }
            .as_str()
            .into()
        })
        .clone();
    if kind == CameraKind::Ptz.as_str() {
        props.entry("hfov_deg").or_insert_with(|| 360.0.into());
    }
    props
        .entry("range_m")
        .or_insert_with(|| DEFAULT_RANGE_M.into());
    props
        .entry("height_m")
        .or_insert_with(|| DEFAULT_HEIGHT_M.into());
    let mut geometry = geojson::Geometry::new(geojson::Value::Point(vec![lon, lat]));
    geometry_to_wgs84(&mut geometry, crs);
    let feature = Feature {
        bbox: None,
        geometry: Some(geometry),
        id: None,
        properties: Some(props),
        foreign_members: None,
    };
    AnyItem::from_feature(Layer::Camera, &feature)
}

/// Degrees from a number or a compass point (N, NNE, NE … 16 points).
fn direction(raw: &str) -> Option<f64> {
    const POINTS: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let t = raw.trim();
    if let Ok(d) = t.trim_end_matches('°').parse::<f64>() {
        return Some(d.rem_euclid(360.0));
    }
    let upper = t.to_ascii_uppercase();
    POINTS
        .iter()
        .position(|p| *p == upper)
        .map(|i| i as f64 * 22.5)
}

/// Parses OpenStreetMap surveillance nodes exported as GeoJSON (overpass turbo; tags as
/// properties, or under `tags`). Each feature is a row `feature N`:
/// - `man_made=surveillance` and a Point, else the row is bad;
/// - the code from `ref`, else `surveillance:ref`; without one the row is bad (we need a
///   GB/T 28181 code);
/// - `camera:type` fixed → fixed, dome/panning → ptz; `camera:direction` degrees or a compass
///   point; `height` metres (`5`, `5 m`); `name`, else `OSM <surveillance:zone>`;
/// - missing fields take the module defaults.
///
/// # Errors
/// When the text is not a FeatureCollection.
pub fn parse_osm(text: &str, crs: Crs) -> Result<Vec<ParsedRow>, IoError> {
    super::geojson_file::rows(text, |f| osm_feature(f, crs))
}

fn osm_feature(raw: &JsonValue, crs: Crs) -> Result<AnyItem, DomainError> {
    let mut tags = raw
        .get("properties")
        .and_then(JsonValue::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(JsonValue::Object(nested)) = tags.remove("tags") {
        tags.extend(nested);
    }
    let tag = |k: &str| match tags.get(k) {
        Some(JsonValue::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(JsonValue::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if tag("man_made").as_deref() != Some("surveillance") {
        return Err(DomainError::new(
            "man_made",
            "not a surveillance node (man_made=surveillance)",
        ));
    }
    let point = raw
        .get("geometry")
        .filter(|g| g.get("type") == Some(&JsonValue::from("Point")))
        .and_then(|g| g.get("coordinates"))
        .and_then(JsonValue::as_array)
        .and_then(|c| Some((c.first()?.as_f64()?, c.get(1)?.as_f64()?)));
    let Some((lon, lat)) = point else {
        return Err(DomainError::new(
            "geometry",
            "a surveillance node is a Point",
        ));
    };
    let code = tag("ref")
        .or_else(|| tag("surveillance:ref"))
        .ok_or_else(|| {
            DomainError::new(
                "ref",
                "no device code: put the 20-digit GB/T 28181 code in `ref` or `surveillance:ref`",
            )
        })?;
    let mut props = JsonObject::new();
    props.insert("code".into(), code.into());
    let name = tag("name")
        .or_else(|| tag("surveillance:zone").map(|z| format!("OSM {z}")))
        .unwrap_or_default();
    props.insert("name".into(), name.into());
    if let Some(t) = tag("camera:type") {
        let kind = match t.to_ascii_lowercase().as_str() {
            "fixed" => CameraKind::Fixed,
            "dome" | "panning" => CameraKind::Ptz,
            _ => {
                return Err(DomainError::new(
                    "camera:type",
                    format!("`{t}`: fixed, dome or panning"),
                ));
            }
        };
        props.insert("kind".into(), kind.as_str().into());
    }
    if let Some(d) = tag("camera:direction") {
        let deg = direction(&d).ok_or_else(|| {
            DomainError::new(
                "camera:direction",
                format!("`{d}`: degrees or a compass point (N, NE, …)"),
            )
        })?;
        props.insert("azimuth_deg".into(), deg.into());
    }
    if let Some(h) = tag("height") {
        let m = number("height", &Cell::Text(h))?;
        props.insert("height_m".into(), m.into());
    }
    camera_item(props, lon, lat, crs)
}

/// Two cameras that may be one: within [`NEAR_DUPLICATE_M`] and looking the same way.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    /// Where the first is: a row (`row 7`) or `layer` for a camera already stored.
    pub at: String,
    pub code: String,
    /// Where the second is (always a row of the file).
    pub other_at: String,
    pub other_code: String,
    /// Metres apart.
    pub distance_m: f64,
}

/// What [`review`] found beyond bad rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    /// Near duplicates: a warning, the import goes on.
    pub duplicates: Vec<Duplicate>,
    /// Codes already in the layer: an import replaces these cameras.
    pub replaces: Vec<String>,
}

/// The 6-digit city/county codes of a regions layer (its county-level regions, else the
/// prefixes of all its codes). Empty when there is no region: then only the code's structure
/// is checked.
#[must_use]
pub fn city_codes<'a>(regions: impl IntoIterator<Item = &'a Region>) -> Vec<String> {
    let regions: Vec<&Region> = regions.into_iter().collect();
    let mut codes: Vec<String> = regions
        .iter()
        .filter(|r| r.code.len() == 6)
        .map(|r| r.code.clone())
        .collect();
    if codes.is_empty() {
        codes = regions
            .iter()
            .filter_map(|r| r.code.get(..6).map(str::to_owned))
            .collect();
    }
    codes.sort();
    codes.dedup();
    codes
}

fn metres_apart(a: geo::Point, b: geo::Point) -> f64 {
    const M_PER_DEG: f64 = 111_320.0;
    let dx = (a.x() - b.x()) * M_PER_DEG * a.y().to_radians().cos();
    let dy = (a.y() - b.y()) * M_PER_DEG;
    dx.hypot(dy)
}

fn same_way(a: &Camera, b: &Camera) -> bool {
    if a.is_panoramic() && b.is_panoramic() {
        return true;
    }
    let d = (a.azimuth_deg - b.azimuth_deg).rem_euclid(360.0);
    d.min(360.0 - d) <= NEAR_DUPLICATE_DEG
}

/// Whole-file checks on parsed camera rows, turning rows bad in place:
/// - each code must be a GB/T 28181 camera code inside the city ([`check_camera_code`]);
/// - a code on two rows makes both bad, each naming the other;
///
/// and reporting: codes already in `existing` (the import replaces them), and near duplicates
/// (within 1 m, azimuths within ±5° or both panoramic) among the rows and against `existing`
/// cameras that the import does not replace.
pub fn review(rows: &mut [ParsedRow], existing: &[&Camera], cities: &[String]) -> Review {
    let mut first_at: HashMap<String, usize> = HashMap::new();
    let mut clash: Vec<(usize, usize)> = Vec::new();
    for (i, row) in rows.iter_mut().enumerate() {
        let Ok(AnyItem::Camera(c)) = &row.item else {
            continue;
        };
        if let Err(e) = check_camera_code("code", &c.code, cities) {
            row.item = Err(e);
            continue;
        }
        match first_at.get(&c.code) {
            Some(&j) => clash.push((j, i)),
            None => {
                first_at.insert(c.code.clone(), i);
            }
        }
    }
    for (j, i) in clash {
        let code = match &rows[i].item {
            Ok(AnyItem::Camera(c)) => c.code.clone(),
            _ => continue,
        };
        let (at_i, at_j) = (rows[i].at.clone(), rows[j].at.clone());
        rows[i].item = Err(DomainError::new(
            "code",
            format!("`{code}` is also on {at_j}: one row per camera"),
        ));
        if rows[j].item.is_ok() || matches!(&rows[j].item, Err(e) if e.field == "code") {
            rows[j].item = Err(DomainError::new(
                "code",
                format!("`{code}` is also on {at_i}: one row per camera"),
            ));
        }
    }
    let new: Vec<(&str, &Camera)> = rows
        .iter()
        .filter_map(|r| match &r.item {
            Ok(AnyItem::Camera(c)) => Some((r.at.as_str(), c)),
            _ => None,
        })
        .collect();
    let by_code: HashMap<&str, &Camera> = existing.iter().map(|c| (c.code.as_str(), *c)).collect();
    let mut review = Review {
        replaces: new
            .iter()
            .filter(|(_, c)| by_code.contains_key(c.code.as_str()))
            .map(|(_, c)| c.code.clone())
            .collect(),
        ..Review::default()
    };
    // Buckets of ~1.1 m: a near pair is in the same or a neighbouring bucket.
    let bucket = |c: &Camera| {
        #[expect(clippy::cast_possible_truncation, reason = "lon/lat are validated")]
        let key = (
            (c.location.x() * 1e5).floor() as i64,
            (c.location.y() * 1e5).floor() as i64,
        );
        key
    };
    let replaced: std::collections::HashSet<&str> =
        new.iter().map(|(_, c)| c.code.as_str()).collect();
    let mut grid: HashMap<(i64, i64), Vec<(&str, &Camera)>> = HashMap::new();
    for &c in existing
        .iter()
        .filter(|c| !replaced.contains(c.code.as_str()))
    {
        grid.entry(bucket(c)).or_default().push(("layer", c));
    }
    for &(at, c) in &new {
        let (bx, by) = bucket(c);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &(other_at, o) in grid.get(&(bx + dx, by + dy)).into_iter().flatten() {
                    let d = metres_apart(c.location, o.location);
                    if d <= NEAR_DUPLICATE_M && same_way(c, o) {
                        review.duplicates.push(Duplicate {
                            at: other_at.to_owned(),
                            code: o.code.clone(),
                            other_at: at.to_owned(),
                            other_code: c.code.clone(),
                            distance_m: (d * 100.0).round() / 100.0,
                        });
                    }
                }
            }
        }
        grid.entry((bx, by)).or_default().push((at, c));
    }
    review
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_headers_and_values_are_recognised() {
        let text = "设备编码,点位名称,经度,纬度,方向角,摄像机类型,在线状态,备注\n\
                    33078300001320000001,东街口,120.24,29.28,90,球机,离线,x\n";
        let table = Table::from_csv(text).expect("csv");
        let rows = parse_table(&table, &ColumnMap::default(), Crs::Wgs84).expect("rows");
        let Ok(AnyItem::Camera(c)) = &rows[0].item else {
            panic!("{:?}", rows[0].item);
        };
        assert_eq!(rows[0].at, "line 2");
        assert_eq!(c.kind, crate::domain::CameraKind::Ptz);
        assert_eq!(c.status, crate::domain::CameraStatus::Offline);
        assert!((c.hfov_deg - 360.0).abs() < 1e-9 && (c.range_m - 50.0).abs() < 1e-9);
    }

    #[test]
    fn map_parses_both_separators_and_refuses_unknown_fields() {
        let m = ColumnMap::parse("code=编号, lon:X").expect("map");
        assert_eq!(m.0["code"], "编号");
        assert_eq!(m.0["lon"], "X");
        assert!(ColumnMap::parse("colour=红").is_err());
    }

    #[test]
    fn a_non_workbook_is_refused() {
        assert!(matches!(
            Table::from_xlsx(b"not a zip", None),
            Err(IoError::Format(_))
        ));
    }

    #[test]
    fn compass_points() {
        assert_eq!(direction("NE"), Some(45.0));
        assert_eq!(direction("wsw"), Some(247.5));
        assert_eq!(direction("-90"), Some(270.0));
        assert_eq!(direction("up"), None);
    }
}
