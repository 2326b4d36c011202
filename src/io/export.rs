//! A layer's export written in pieces: the opening, then any number of pages of features, then
//! the closing, so that a layer too large to hold as one text (a province's events) goes out
//! page by page in bounded memory. GeoJSON gives one FeatureCollection, CSV one header and a row
//! per feature, the same as [`super::geojson_file::to_string`] and [`super::csv::to_string`]
//! give for the whole at once.

use geojson::Feature;

use super::csv::{self, CsvGeometry};

/// The formats a layer is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One GeoJSON FeatureCollection.
    GeoJson,
    /// CSV with a header row.
    Csv,
}

impl ExportFormat {
    /// The format named by `word`: `geojson` (or `json`) or `csv`.
    ///
    /// # Errors
    /// [`super::IoError::Format`] naming the formats, also for the import-only ones.
    pub fn parse(word: &str) -> Result<Self, super::IoError> {
        match word.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "shapefile" | "shp" | "zip" | "xlsx" | "osm" => Err(super::IoError::Format(format!(
                "`{word}` is an import format; layers are exported as geojson or csv (ogr2ogr turns the GeoJSON into a shapefile)"
            ))),
            _ => Err(super::IoError::Format(format!(
                "unknown export format `{word}`: use geojson or csv"
            ))),
        }
    }

    /// The file extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::Csv => "csv",
        }
    }
}

/// Writes the pieces of one export of point features with fixed CSV `columns`.
#[derive(Debug)]
pub struct PagedExport {
    format: ExportFormat,
    columns: &'static [&'static str],
    written: usize,
}

impl PagedExport {
    /// An export in `format`; in CSV, `columns` are the key and the properties written, then
    /// `lon` and `lat`.
    #[must_use]
    pub fn new(format: ExportFormat, columns: &'static [&'static str]) -> Self {
        Self {
            format,
            columns,
            written: 0,
        }
    }

    /// The opening: the FeatureCollection's start, or the CSV header.
    #[must_use]
    pub fn begin(&self) -> String {
        match self.format {
            ExportFormat::GeoJson => r#"{"type":"FeatureCollection","features":["#.to_owned(),
            ExportFormat::Csv => csv::header(self.columns, CsvGeometry::Point),
        }
    }

    /// The next page of features.
    pub fn page(&mut self, features: &[Feature]) -> String {
        let out = match self.format {
            ExportFormat::GeoJson => {
                let mut out = String::new();
                for (i, f) in features.iter().enumerate() {
                    if self.written + i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(f).unwrap_or_default());
                }
                out
            }
            ExportFormat::Csv => csv::rows(self.columns, CsvGeometry::Point, features),
        };
        self.written += features.len();
        out
    }

    /// The closing.
    #[must_use]
    pub fn end(&self) -> String {
        match self.format {
            ExportFormat::GeoJson => "]}".to_owned(),
            ExportFormat::Csv => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Layer;

    fn point(id: &str, category: &str) -> Feature {
        serde_json::from_value(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [120.1, 29.2]},
            "properties": {"id": id, "category": category, "description": "a, \"b\"",
                           "grid_code": "330783001014001", "occurred_at": "2026-01-01T00:00:00Z",
                           "reported_at": "2026-01-01T00:10:00Z", "source": "app", "status": "reported"}
        }))
        .expect("feature")
    }

    #[test]
    fn pages_join_into_what_the_whole_gives_at_once() {
        let features: Vec<Feature> = (0..7).map(|i| point(&format!("E{i}"), "theft")).collect();
        for format in [ExportFormat::GeoJson, ExportFormat::Csv] {
            let mut export = PagedExport::new(format, &csv::EVENT_COLUMNS);
            let mut paged = export.begin();
            for page in features.chunks(3) {
                paged.push_str(&export.page(page));
            }
            paged.push_str(&export.page(&[]));
            paged.push_str(&export.end());
            match format {
                ExportFormat::GeoJson => {
                    let got: serde_json::Value = serde_json::from_str(&paged).expect("JSON");
                    let want: serde_json::Value =
                        serde_json::from_str(&crate::io::geojson_file::to_string(&features))
                            .expect("JSON");
                    assert_eq!(got, want);
                }
                ExportFormat::Csv => {
                    assert_eq!(paged, csv::to_string(Layer::Event, &features));
                }
            }
        }
    }
}
