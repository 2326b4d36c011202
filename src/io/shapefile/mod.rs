//! ESRI shapefiles in, as a `.zip` upload (or a `.zip`/`.shp` path on the command line).
//!
//! A shapefile is a `.shp` (geometry), a `.dbf` (one row of attributes per shape) and optional
//! `.prj` (coordinate system), `.cpg` (text encoding) and `.shx` (an index, not needed to read
//! the records in order). [`unzip`] finds them in a zip, also inside a folder, skipping macOS
//! `__MACOSX/` and `._` entries; several `.shp` need a `member` to choose one. Every record
//! becomes a GeoJSON Feature (the record's geometry, its row as properties) and then goes
//! through [`super::geojson_file::feature_to_item`], so names and checks are those of a GeoJSON
//! upload. Rows are numbered `record 1`, `record 2`, … in file order; a deleted dBASE row is
//! skipped but keeps its number.
//!
//! Columns: dBASE names hold at most 10 characters, so a column that is the first 10 characters
//! of a longer property (`parent_cod`, `azimuth_de`) means that property, and names match
//! without regard to case (`CODE`). A column `id` in a layer keyed by `code` is the Feature id
//! (GDAL's `ogr2ogr` turns the GeoJSON `id` of an export into such a column). Each cell is typed for the property it feeds (from the
//! domain types' schema): a numeric column feeding a text property (a code in an `N` field)
//! keeps its digits as text, a text column feeding a number is read as one, and JSON text
//! (`[...]`, `{...}`) in a character column is JSON. Blank cells are absent properties.
//!
//! Text encoding: the `.cpg` if there is one (UTF-8, GBK/GB2312/CP936/GB18030, or any label
//! the WHATWG Encoding Standard knows), else the dBASE language-driver byte (0x4D or 0x7A:
//! GBK, code page 936; a few other CJK code pages), else UTF-8. Text that is not valid in the
//! chosen encoding is a bad row that says to add a `.cpg`, never mojibake.
//!
//! Coordinate systems: nothing is reprojected. A `.prj` must be a geographic CRS on WGS 84 or
//! CGCS2000 (China Geodetic Coordinate System 2000, EPSG:4490; it differs from WGS 84 by a few
//! centimetres, below what a grid map shows, so it is taken as is); a projected CRS (`PROJCS`,
//! e.g. a Gauss–Krüger zone) or another datum refuses the whole file, naming it. Without a
//! `.prj` the file is taken as longitude/latitude. The caller's `crs` (GCJ-02, BD-09) applies
//! after reading, as for the other formats, since a `.prj` cannot say GCJ-02.
//!
//! Zip bombs: at most [`MAX_UNZIPPED_BYTES`] are decompressed in all, checked against the
//! sizes the zip declares and again while inflating, whatever they declare.
//!
//! Must not import: axum, sqlx (this is file parsing only).

mod dbf;
mod shp;

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;

use encoding_rs::Encoding;
use geojson::{Feature, JsonObject, JsonValue};

use crate::domain::{
    Building, Camera, DomainError, Event, Grid, KeyArea, Layer, Obstacle, PatrolRoute, Region,
    Road, Worker,
};
use crate::spatial::crs::Crs;

use super::{IoError, ParsedRow, geojson_file};
use dbf::{Cell, Dbf};

/// The most bytes decompressed from one zip: 256 MiB. Binary coordinates take 16 bytes a
/// point where GeoJSON text takes about 40, so this holds somewhat more than the largest
/// GeoJSON upload (`MAX_BATCH_BODY_BYTES`, 192 MiB) while keeping a zip bomb harmless.
pub const MAX_UNZIPPED_BYTES: u64 = 256 * 1024 * 1024;

/// The files of one shapefile, read into memory.
#[derive(Debug, Clone)]
pub struct Shapefile {
    /// The `.shp`'s name, for messages.
    pub name: String,
    pub shp: Vec<u8>,
    pub dbf: Vec<u8>,
    pub prj: Option<Vec<u8>>,
    pub cpg: Option<Vec<u8>>,
}

/// Parses the shapefile in a zip: [`unzip`], then [`parse`].
///
/// # Errors
/// See [`unzip`] and [`parse`].
pub fn parse_zip(
    layer: Layer,
    zip: &[u8],
    member: Option<&str>,
    crs: Crs,
) -> Result<Vec<ParsedRow>, IoError> {
    parse(layer, &unzip(zip, member)?, crs)
}

/// One file entry of a zip: its index, its name and its name without the extension, lower-case.
struct Entry {
    index: usize,
    name: String,
    stem: String,
    ext: String,
}

/// Decodes a zip entry name: UTF-8, else GBK (what Chinese Windows writes without saying so).
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

/// Finds the shapefile in a zip and reads its files. With several `.shp` in the zip, `member`
/// names the one to read (its name with or without folder and `.shp`, any case).
///
/// # Errors
/// [`IoError::Format`] when the bytes are not a zip, hold no `.shp`, several `.shp` and no
/// `member`, or a `.shp` without its `.dbf`; [`IoError::TooLarge`] past
/// [`MAX_UNZIPPED_BYTES`].
pub fn unzip(zip: &[u8], member: Option<&str>) -> Result<Shapefile, IoError> {
    unzip_within(zip, member, MAX_UNZIPPED_BYTES)
}

/// [`unzip`], decompressing at most `budget` bytes.
fn unzip_within(zip: &[u8], member: Option<&str>, mut budget: u64) -> Result<Shapefile, IoError> {
    let limit = budget;
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))
        .map_err(|e| IoError::Format(format!("the upload is not a zip archive: {e}")))?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let Ok(file) = archive.by_index_raw(index) else {
            continue;
        };
        let name = entry_name(file.name_raw());
        let base = name.rsplit('/').next().unwrap_or_default();
        if file.is_dir() || name.starts_with("__MACOSX/") || base.starts_with("._") {
            continue;
        }
        let Some(dot) = name.rfind('.').filter(|&d| d > name.len() - base.len()) else {
            continue;
        };
        entries.push(Entry {
            index,
            stem: name[..dot].to_lowercase(),
            ext: name[dot + 1..].to_ascii_lowercase(),
            name,
        });
    }
    let shps: Vec<&Entry> = entries.iter().filter(|e| e.ext == "shp").collect();
    let list = |of: &[&Entry]| {
        of.iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shp = match member {
        Some(wanted) => {
            let wanted = wanted.trim().to_lowercase();
            let wanted = wanted.strip_suffix(".shp").unwrap_or(&wanted);
            let matches =
                |e: &&&Entry| e.stem == wanted || e.stem.rsplit('/').next() == Some(wanted);
            *shps.iter().find(matches).ok_or_else(|| {
                IoError::Format(format!(
                    "the zip has no shapefile `{wanted}`; it holds: {}",
                    list(&shps)
                ))
            })?
        }
        None => match shps.as_slice() {
            [one] => *one,
            [] => {
                let all: Vec<&Entry> = entries.iter().collect();
                return Err(IoError::Format(format!(
                    "the zip holds no .shp file (a shapefile needs its .shp, .dbf and, for the coordinate system, .prj); it holds: {}",
                    if all.is_empty() {
                        "nothing".into()
                    } else {
                        list(&all)
                    }
                )));
            }
            several => {
                return Err(IoError::Format(format!(
                    "the zip holds {} shapefiles ({}): choose one with `member=` (e.g. member={})",
                    several.len(),
                    list(several),
                    several[0].stem.rsplit('/').next().unwrap_or_default()
                )));
            }
        },
    };
    let sibling = |ext: &str| {
        entries
            .iter()
            .find(|e| e.stem == shp.stem && e.ext == ext)
            .map(|e| e.index)
    };
    let dbf = sibling("dbf").ok_or_else(|| {
        IoError::Format(format!(
            "`{}` has no .dbf beside it in the zip: a shapefile needs its .dbf (the attributes)",
            shp.name
        ))
    })?;
    let mut read = |index: usize| -> Result<Vec<u8>, IoError> {
        let file = archive
            .by_index(index)
            .map_err(|e| IoError::Format(format!("cannot read the zip: {e}")))?;
        let name = entry_name(file.name_raw());
        let too_large = || {
            IoError::TooLarge(format!(
                "the shapefile unzips to more than {} MiB; split it or upload GeoJSON",
                limit / (1024 * 1024)
            ))
        };
        if file.size() > budget {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        // Never trust the declared size: stop one byte past the budget.
        file.take(budget + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| IoError::Format(format!("cannot unzip `{name}`: {e}")))?;
        budget = budget
            .checked_sub(bytes.len() as u64)
            .ok_or_else(too_large)?;
        Ok(bytes)
    };
    Ok(Shapefile {
        name: shp.name.clone(),
        shp: read(shp.index)?,
        dbf: read(dbf)?,
        prj: sibling("prj").map(&mut read).transpose()?,
        cpg: sibling("cpg").map(&mut read).transpose()?,
    })
}

/// Reads a shapefile from disk: `path` is the `.shp`; its `.dbf`, `.prj` and `.cpg` are the files
/// beside it with the same name (extension in either case).
///
/// # Errors
/// When the `.shp` or `.dbf` cannot be read.
pub fn read_files(path: &Path) -> Result<Shapefile, IoError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| IoError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let sibling = |ext: &str| {
        [ext.to_owned(), ext.to_ascii_uppercase()]
            .into_iter()
            .map(|e| path.with_extension(e))
            .find(|p| p.is_file())
    };
    let dbf = sibling("dbf").ok_or_else(|| {
        IoError::Format(format!(
            "`{}` has no .dbf beside it: a shapefile needs its .dbf (the attributes)",
            path.display()
        ))
    })?;
    Ok(Shapefile {
        name: path.display().to_string(),
        shp: read(path)?,
        dbf: read(&dbf)?,
        prj: sibling("prj").map(|p| read(&p)).transpose()?,
        cpg: sibling("cpg").map(|p| read(&p)).transpose()?,
    })
}

/// Parses a shapefile into rows of `layer`, one per record (`record 1`, …), after checking its
/// `.prj`; geometries are converted from `crs` to WGS84.
///
/// # Errors
/// [`IoError::Format`] for a projected or non-WGS 84 `.prj`, an unknown `.cpg` encoding, a
/// malformed `.shp` or `.dbf`, or record counts that differ between them. Row-level problems
/// come back in the rows.
pub fn parse(layer: Layer, files: &Shapefile, crs: Crs) -> Result<Vec<ParsedRow>, IoError> {
    if let Some(prj) = &files.prj {
        check_prj(&String::from_utf8_lossy(prj))?;
    }
    let encoding = encoding(files.cpg.as_deref(), dbf::language_driver(&files.dbf))?;
    let shapes = shp::read(&files.shp)?;
    let table = Dbf::read(&files.dbf, encoding)?;
    if shapes.len() != table.len() {
        return Err(IoError::Format(format!(
            "the .shp has {} records but the .dbf {} rows: they must match one to one",
            shapes.len(),
            table.len()
        )));
    }
    let kinds = property_kinds(layer);
    let columns: Vec<(String, Kind)> = table
        .fields
        .iter()
        .map(|f| column_property(&f.name, &kinds))
        .collect();
    let mut rows = Vec::with_capacity(shapes.len());
    for (i, shape) in shapes.into_iter().enumerate() {
        if table.is_deleted(i) {
            continue;
        }
        let item = record_feature(layer, shape, table.row(i), &columns)
            .and_then(|f| geojson_file::feature_to_item(layer, f, crs));
        rows.push(ParsedRow {
            at: format!("record {}", i + 1),
            item,
        });
    }
    Ok(rows)
}

/// The Feature of one record.
fn record_feature(
    layer: Layer,
    shape: shp::Shape,
    cells: Result<Vec<Option<Cell>>, (String, String)>,
    columns: &[(String, Kind)],
) -> Result<Feature, DomainError> {
    let geometry = match shape.map_err(|reason| DomainError::new("geometry", reason))? {
        Some(value) => Some(geojson::Geometry::new(value)),
        // Workers have no geometry; every other layer needs one.
        None if layer == Layer::Worker => None,
        None => {
            return Err(DomainError::new(
                "geometry",
                "null shape: the record has no geometry",
            ));
        }
    };
    let cells = cells.map_err(|(field, reason)| DomainError::new(field, reason))?;
    let mut properties = JsonObject::new();
    let mut id = None;
    for ((name, kind), cell) in columns.iter().zip(cells) {
        match (cell, kind) {
            (None, _) => {}
            (Some(Cell::Text(text) | Cell::Number { text, .. }), Kind::FeatureId) => {
                id = Some(geojson::feature::Id::String(text));
            }
            (Some(cell), _) => {
                properties.insert(name.clone(), json_value(cell, *kind));
            }
        }
    }
    Ok(Feature {
        bbox: None,
        geometry,
        id,
        properties: Some(properties),
        foreign_members: None,
    })
}

/// The JSON type a property of the layer takes, as far as typing a cell needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Number,
    /// Anything else (enums, booleans, arrays, objects), or not a property of the layer.
    Other,
    /// A column `id` in a layer without an `id` property: the Feature id, as GDAL writes the
    /// GeoJSON `id` member (the key, when no key column says otherwise).
    FeatureId,
}

/// Every property of `layer` and its kind, from the schema derived from the domain type.
fn property_kinds(layer: Layer) -> HashMap<String, Kind> {
    let mut generator = schemars::SchemaGenerator::default();
    let schema = match layer {
        Layer::Region => generator.root_schema_for::<Region>(),
        Layer::Grid => generator.root_schema_for::<Grid>(),
        Layer::Worker => generator.root_schema_for::<Worker>(),
        Layer::Camera => generator.root_schema_for::<Camera>(),
        Layer::PatrolRoute => generator.root_schema_for::<PatrolRoute>(),
        Layer::KeyArea => generator.root_schema_for::<KeyArea>(),
        Layer::Event => generator.root_schema_for::<Event>(),
        Layer::Building => generator.root_schema_for::<Building>(),
        Layer::Obstacle => generator.root_schema_for::<Obstacle>(),
        Layer::Road => generator.root_schema_for::<Road>(),
    };
    let Some(JsonValue::Object(properties)) = schema.get("properties") else {
        return HashMap::new();
    };
    properties
        .iter()
        .map(|(name, p)| {
            // `type` is a name, or a list such as ["string", "null"] for an Option.
            let types: Vec<&str> = match p.get("type") {
                Some(JsonValue::String(t)) => vec![t.as_str()],
                Some(JsonValue::Array(ts)) => ts.iter().filter_map(JsonValue::as_str).collect(),
                _ => Vec::new(),
            };
            let kind = if types.contains(&"string") {
                Kind::Text
            } else if types.contains(&"integer") {
                Kind::Integer
            } else if types.contains(&"number") {
                Kind::Number
            } else {
                Kind::Other
            };
            (name.clone(), kind)
        })
        .collect()
}

/// The property a dBASE column feeds: the property of that name in any case, else the one whose
/// first 10 characters the name is (dBASE truncates names to 10), else the column name as is
/// (which the layer then refuses as unknown, as it would in GeoJSON).
fn column_property(column: &str, kinds: &HashMap<String, Kind>) -> (String, Kind) {
    let lower = column.to_lowercase();
    if let Some((name, kind)) = kinds.get_key_value(&lower) {
        return (name.clone(), *kind);
    }
    if lower == "id" {
        return (column.to_owned(), Kind::FeatureId);
    }
    if lower.chars().count() == 10 {
        let mut longer = kinds.iter().filter(|(name, _)| name.starts_with(&lower));
        if let (Some((name, kind)), None) = (longer.next(), longer.next()) {
            return (name.clone(), *kind);
        }
    }
    (column.to_owned(), Kind::Other)
}

/// A cell as the JSON value of a property of `kind`.
fn json_value(cell: Cell, kind: Kind) -> JsonValue {
    match (cell, kind) {
        (Cell::Number { text, .. }, Kind::Text) => JsonValue::String(text),
        (Cell::Number { value, .. }, _) => number(value),
        (Cell::Text(text), Kind::Integer | Kind::Number) => match text.parse::<f64>() {
            Ok(value) if value.is_finite() => number(value),
            _ => JsonValue::String(text),
        },
        (Cell::Text(text), Kind::Other) if text.starts_with(['[', '{']) => {
            serde_json::from_str(&text).unwrap_or(JsonValue::String(text))
        }
        (Cell::Text(text) | Cell::Date(text), _) => JsonValue::String(text),
        (Cell::Bool(b), _) => JsonValue::Bool(b),
    }
}

/// A JSON number, integral when the value is (`12.000` in a float column can fill a count).
#[expect(
    clippy::cast_possible_truncation,
    reason = "an integral value below 2^53 converts exactly"
)]
fn number(value: f64) -> JsonValue {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        JsonValue::from(value as i64)
    } else {
        JsonValue::from(value)
    }
}

/// The encoding of the `.dbf` text: the `.cpg`, else the language-driver byte, else UTF-8.
fn encoding(cpg: Option<&[u8]>, ldid: u8) -> Result<&'static Encoding, IoError> {
    if let Some(cpg) = cpg {
        let label = String::from_utf8_lossy(cpg).trim().to_ascii_uppercase();
        let label = label.strip_prefix("ANSI ").unwrap_or(&label);
        if !label.is_empty() {
            return match label {
                "UTF-8" | "UTF8" | "65001" => Ok(encoding_rs::UTF_8),
                // The GB18030 decoder reads GBK and GB2312 too (they are its subsets).
                "GBK" | "GB2312" | "CP936" | "936" | "MS936" | "GB18030" | "54936" => {
                    Ok(encoding_rs::GB18030)
                }
                "950" | "CP950" => Ok(encoding_rs::BIG5),
                "1252" | "88591" | "8859_1" => Ok(encoding_rs::WINDOWS_1252),
                other => Encoding::for_label(other.as_bytes()).ok_or_else(|| {
                    IoError::Format(format!(
                        "the .cpg names an encoding safegrid does not know: `{other}`; use UTF-8 or GBK"
                    ))
                }),
            };
        }
    }
    Ok(match ldid {
        0x4D | 0x7A => encoding_rs::GB18030,
        0x4F | 0x78 => encoding_rs::BIG5,
        0x13 | 0x7B => encoding_rs::SHIFT_JIS,
        0x4E | 0x79 => encoding_rs::EUC_KR,
        _ => encoding_rs::UTF_8,
    })
}

/// The first quoted name after `keyword[` in WKT, if any.
fn wkt_name<'a>(wkt: &'a str, keyword: &str) -> Option<&'a str> {
    let upper = wkt.to_ascii_uppercase();
    let start = upper.find(&format!("{keyword}["))? + keyword.len() + 1;
    let rest = &wkt[start..];
    let open = rest.find('"')? + 1;
    let close = rest[open..].find('"')? + open;
    Some(&rest[open..close])
}

/// Accepts a `.prj` that is longitude/latitude on WGS 84 or CGCS2000; refuses anything else,
/// naming it.
fn check_prj(prj: &str) -> Result<(), IoError> {
    let wkt = prj.trim().trim_start_matches('\u{feff}');
    if wkt.is_empty() {
        return Ok(());
    }
    let upper = wkt.to_ascii_uppercase();
    if upper.starts_with("PROJCS[") || upper.starts_with("PROJCRS[") {
        let name = wkt_name(wkt, "PROJCS")
            .or_else(|| wkt_name(wkt, "PROJCRS"))
            .unwrap_or("unnamed");
        return Err(IoError::Format(format!(
            "the .prj is a projected coordinate system (`{name}`): safegrid does not reproject; export the layer in longitude/latitude (WGS 84, EPSG:4326, or CGCS2000, EPSG:4490)"
        )));
    }
    if !(upper.starts_with("GEOGCS[")
        || upper.starts_with("GEOGCRS[")
        || upper.starts_with("GEODCRS["))
    {
        return Err(IoError::Format(format!(
            "the .prj is not a coordinate system safegrid can read: `{}`; export in longitude/latitude (WGS 84 or CGCS2000)",
            wkt.chars().take(60).collect::<String>()
        )));
    }
    let crs_name = ["GEOGCS", "GEOGCRS", "GEODCRS"]
        .iter()
        .find_map(|k| wkt_name(wkt, k))
        .unwrap_or_default();
    let datum = wkt_name(wkt, "DATUM").unwrap_or_default();
    let known = [crs_name, datum].iter().any(|name| {
        let squashed: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        [
            "wgs1984",
            "wgs84",
            "china2000",
            "chinageodeticcoordinatesystem2000",
            "cgcs2000",
        ]
        .iter()
        .any(|k| squashed.contains(k))
    });
    if known {
        Ok(())
    } else {
        Err(IoError::Format(format!(
            "the .prj is longitude/latitude on another datum (`{crs_name}`, datum `{datum}`): only WGS 84 and CGCS2000 are read; convert the layer to WGS 84 (EPSG:4326) first"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::domain::AnyItem;

    const WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    const CGCS2000: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    const GAUSS: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],UNIT["Meter",1.0]]"#;
    const XIAN80: &str = r#"GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    #[test]
    fn prj_accepts_wgs84_and_cgcs2000_and_names_what_it_refuses() {
        assert!(check_prj(WGS84).is_ok());
        assert!(check_prj(CGCS2000).is_ok());
        assert!(check_prj("").is_ok());
        let e = check_prj(GAUSS).expect_err("projected").to_string();
        assert!(e.contains("CGCS2000_3_Degree_GK_CM_120E"), "{e}");
        assert!(e.contains("longitude/latitude"), "{e}");
        let e = check_prj(XIAN80).expect_err("other datum").to_string();
        assert!(e.contains("GCS_Xian_1980"), "{e}");
    }

    #[test]
    fn encoding_comes_from_cpg_then_language_driver_then_utf8() {
        assert_eq!(
            encoding(Some(b"GBK\r\n"), 0).ok(),
            Some(encoding_rs::GB18030)
        );
        assert_eq!(encoding(Some(b"cp936"), 0).ok(), Some(encoding_rs::GB18030));
        assert_eq!(
            encoding(Some(b"UTF-8"), 0x4D).ok(),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(encoding(None, 0x4D).ok(), Some(encoding_rs::GB18030));
        assert_eq!(encoding(Some(b"  "), 0x4D).ok(), Some(encoding_rs::GB18030));
        assert_eq!(encoding(None, 0x57).ok(), Some(encoding_rs::UTF_8));
        assert_eq!(encoding(None, 0).ok(), Some(encoding_rs::UTF_8));
        assert!(encoding(Some(b"KLINGON"), 0).is_err());
    }

    #[test]
    fn truncated_column_names_and_cell_types_follow_the_layer() {
        let kinds = property_kinds(Layer::Grid);
        assert_eq!(kinds.get("code"), Some(&Kind::Text));
        assert_eq!(kinds.get("households"), Some(&Kind::Integer));
        assert_eq!(
            column_property("PARENT_COD", &kinds),
            ("parent_code".into(), Kind::Text)
        );
        assert_eq!(column_property("Name", &kinds), ("name".into(), Kind::Text));
        assert_eq!(
            column_property("ID", &kinds),
            ("ID".into(), Kind::FeatureId)
        );
        let buildings = property_kinds(Layer::Building);
        assert_eq!(column_property("ID", &buildings), ("id".into(), Kind::Text));
        assert_eq!(
            column_property("OBJECTID", &kinds),
            ("OBJECTID".into(), Kind::Other)
        );
        let camera = property_kinds(Layer::Camera);
        assert_eq!(column_property("azimuth_de", &camera).0, "azimuth_deg");
        assert_eq!(camera.get("range_m"), Some(&Kind::Number));

        let code = Cell::Number {
            text: "330783001014001".into(),
            value: 330_783_001_014_001.0,
        };
        assert_eq!(json_value(code, Kind::Text), "330783001014001");
        let households = Cell::Number {
            text: "12.000".into(),
            value: 12.0,
        };
        assert_eq!(json_value(households, Kind::Integer), 12);
        assert_eq!(json_value(Cell::Text("80.5".into()), Kind::Number), 80.5);
        assert_eq!(
            json_value(Cell::Text("[1, 2]".into()), Kind::Other),
            serde_json::json!([1, 2])
        );
    }

    /// A zip of `(name, bytes)`.
    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            writer.start_file(*name, options).expect("start");
            writer.write_all(bytes).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    fn one_building() -> (Vec<u8>, Vec<u8>) {
        let shp = shp::tests::shp(&[(
            1,
            [120.24f64.to_le_bytes(), 29.28f64.to_le_bytes()].concat(),
        )]);
        let dbf = dbf::tests::table(
            0,
            &[
                (b"id", b'C', 4),
                (b"households", b'N', 4),
                (b"residents", b'N', 4),
            ],
            &[(false, vec![b"B1", b"3", b"7"])],
        );
        (shp, dbf)
    }

    #[test]
    fn the_shapefile_is_found_in_a_folder_and_macos_entries_are_skipped() {
        let (shp, dbf) = one_building();
        let zip = zip_of(&[
            ("__MACOSX/export/._b.shp", b"junk"),
            ("export/B.SHP", &shp),
            ("export/B.dbf", &dbf),
            ("export/B.prj", WGS84.as_bytes()),
        ]);
        let rows = parse_zip(Layer::Building, &zip, None, Crs::Wgs84).expect("parses");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].at, "record 1");
        let Ok(AnyItem::Building(b)) = &rows[0].item else {
            panic!("a building: {:?}", rows[0].item);
        };
        assert_eq!((b.id.as_str(), b.households, b.residents), ("B1", 3, 7));
    }

    #[test]
    fn several_shapefiles_need_a_member_and_a_missing_dbf_is_named() {
        let (shp, dbf) = one_building();
        let zip = zip_of(&[("a.shp", &shp), ("a.dbf", &dbf), ("b/c.shp", &shp)]);
        let e = unzip(&zip, None).expect_err("two").to_string();
        assert!(e.contains("a.shp, b/c.shp") && e.contains("member="), "{e}");
        assert_eq!(unzip(&zip, Some("A")).expect("a").name, "a.shp");
        let e = unzip(&zip, Some("c.shp")).expect_err("no dbf").to_string();
        assert!(e.contains("`b/c.shp` has no .dbf"), "{e}");
        let e = unzip(&zip, Some("d")).expect_err("unknown").to_string();
        assert!(e.contains("no shapefile `d`"), "{e}");
        let e = unzip(&zip_of(&[("a.dbf", &dbf)]), None).expect_err("no shp");
        assert!(e.to_string().contains("no .shp file"), "{e}");
        assert!(unzip(b"PK not really", None).is_err());
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_inflated() {
        // 8 MiB of zeros deflate to about 8 KiB; the budget here is 4 MiB.
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let (shp, _) = one_building();
        let zip = zip_of(&[("a.shp", &shp), ("a.dbf", &zeros)]);
        assert!(zip.len() < 64 * 1024, "{}", zip.len());
        let e = unzip_within(&zip, None, 4 * 1024 * 1024).expect_err("too large");
        assert!(matches!(e, IoError::TooLarge(_)), "{e}");
        assert!(e.to_string().contains("more than 4 MiB"), "{e}");
        assert!(unzip_within(&zip, None, 9 * 1024 * 1024).is_ok());
    }
}
