//! Towns, villages/communities, grids and micro-grids: the nested partition of the county.
//!
//! Towns partition the real boundary around their real seats. Communities (社区) are seeded
//! near their town's seat (normal spread, so urban communities come out small and central),
//! villages (村) uniformly over the town (large rural cells). Grids partition their village
//! with uniform seeds, more of them in the streets; serials run north to south. A few urban
//! grids become dedicated (专属, school/market) and some are split into micro-grids.

use chrono::NaiveDate;
use geo::{BoundingRect, Contains, Coord, MultiPolygon, Rect};

use super::geom::{Locator, offset, sample_in};
use super::partition::partition;
use super::rng::Rng;
use super::{
    City, DedicatedUse, GridMeta, RealData, SampleError, SampleResult, Setting, Town, Variant,
    Village, local_time,
};
use crate::domain::{Grid, GridKind};

const SEED_VILLAGES: u64 = 0x5AFE_0001;
const SEED_GRIDS: u64 = 0x5AFE_0002;
const SEED_SPECIAL: u64 = 0x5AFE_0003;

/// Dedicated grids around a school / a market.
const DEDICATED_SCHOOLS: usize = 28;
const DEDICATED_MARKETS: usize = 12;
/// Urban grids subdivided into 2–3 micro-grids each.
const MICRO_PARENTS: usize = 45;

/// Bucket size of the grid locator, degrees (~500 m).
const LOCATOR_CELL_DEG: f64 = 0.005;

/// Tries of rejection sampling before a placement is declared impossible.
const TRIES: usize = 2_000;

/// Builds the county, towns, villages and grids.
pub(super) fn build(data: &RealData, variant: &Variant) -> SampleResult<City> {
    let mut towns = towns(data)?;
    let seats: Vec<Coord> = towns.iter().map(|t| t.seat).collect();
    let areas = partition("county", &data.county, &seats)?;
    for (t, a) in towns.iter_mut().zip(areas) {
        t.area = a;
    }
    let villages = villages(data, &towns, variant)?;
    let (mut grids, mut meta) = grids(&villages, variant)?;
    let mut rng = variant.rng(SEED_SPECIAL);
    mark_dedicated(&mut rng, &mut grids, &mut meta);
    micro_grids(&mut rng, &villages, &mut grids, &mut meta)?;

    let top: Vec<usize> = (0..grids.len())
        .filter(|&i| meta[i].parent.is_none())
        .collect();
    let extent = data
        .county
        .bounding_rect()
        .ok_or_else(|| SampleError::Boundary("empty county".into()))?;
    let locator = Locator::new(
        extent,
        LOCATOR_CELL_DEG,
        top.iter().map(|&i| &grids[i].area),
    );
    Ok(City {
        county: data.county.clone(),
        towns,
        villages,
        grids,
        meta,
        top,
        locator,
    })
}

fn towns(data: &RealData) -> SampleResult<Vec<Town>> {
    data.towns
        .iter()
        .map(|row| {
            let seat = data
                .seats
                .iter()
                .find(|s| s.code == row.code)
                .ok_or_else(|| SampleError::Data(format!("town {} has no seat", row.code)))?;
            let seat = Coord {
                x: seat.lon,
                y: seat.lat,
            };
            if !data.county.contains(&seat) {
                return Err(SampleError::Data(format!(
                    "the seat of {} lies outside the county",
                    row.code
                )));
            }
            let serial: u32 = row
                .code
                .get(6..9)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| SampleError::Data(format!("bad town code {}", row.code)))?;
            let short = ["街道", "镇", "乡"]
                .iter()
                .find_map(|suf| row.name.strip_suffix(suf))
                .unwrap_or(&row.name)
                .to_owned();
            Ok(Town {
                code: row.code.clone(),
                name: row.name.clone(),
                short,
                seat,
                street: serial < 100,
                area: MultiPolygon(Vec::new()),
            })
        })
        .collect()
}

/// `东街社区居委会` → `东街社区`, `横店村村委会` → `横店村`, `横店村委会` → `横店村`.
pub(super) fn short_village_name(name: &str) -> String {
    if let Some(s) = name.strip_suffix("居委会") {
        return s.to_owned();
    }
    if let Some(s) = name.strip_suffix("村委会") {
        return if s.ends_with('村') {
            s.to_owned()
        } else {
            format!("{s}村")
        };
    }
    name.to_owned()
}

fn villages(data: &RealData, towns: &[Town], variant: &Variant) -> SampleResult<Vec<Village>> {
    let mut rng = variant.rng(SEED_VILLAGES);
    let mut out = Vec::with_capacity(data.villages.len());
    for (ti, town) in towns.iter().enumerate() {
        let rows: Vec<_> = data
            .villages
            .iter()
            .filter(|v| v.township_code == town.code)
            .collect();
        let mut seeds = Vec::with_capacity(rows.len());
        for row in &rows {
            let community = row.name.ends_with("居委会");
            let seed = if community {
                // Communities cluster around the seat: that is where the town is built up.
                let sigma = if town.street { 1_000.0 } else { 700.0 };
                near(&mut rng, &town.area, town.seat, sigma)
            } else {
                None
            };
            let seed = match seed {
                Some(s) => s,
                None => sample_in(&mut rng, &town.area, TRIES)
                    .ok_or_else(|| SampleError::Sampling(town.name.clone()))?,
            };
            seeds.push(seed);
        }
        let areas = partition(&town.name, &town.area, &seeds)?;
        for (row, area) in rows.iter().zip(areas) {
            let community = row.name.ends_with("居委会");
            let setting = match (town.street, community) {
                (true, true) => Setting::StreetCommunity,
                (true, false) => Setting::StreetVillage,
                (false, true) => Setting::TownCommunity,
                (false, false) => Setting::RuralVillage,
            };
            out.push(Village {
                code: row.code.clone(),
                name: row.name.clone(),
                short: short_village_name(&row.name),
                town: ti,
                setting,
                area,
            });
        }
    }
    if out.len() != data.villages.len() {
        return Err(SampleError::Data(format!(
            "{} of {} villages belong to no known town",
            data.villages.len() - out.len(),
            data.villages.len()
        )));
    }
    Ok(out)
}

/// A point near `centre` (normal spread `sigma_m`) inside `area`, if one turns up soon.
fn near(rng: &mut Rng, area: &MultiPolygon, centre: Coord, sigma_m: f64) -> Option<Coord> {
    (0..200).find_map(|_| {
        let c = offset(centre, sigma_m * rng.normal(), sigma_m * rng.normal());
        area.contains(&c).then_some(c)
    })
}

/// How many grids a village gets.
fn grid_count(rng: &mut Rng, setting: Setting) -> u32 {
    match setting {
        Setting::StreetCommunity => rng.int(8, 15),
        Setting::StreetVillage => rng.int(4, 7),
        Setting::TownCommunity => rng.int(5, 9),
        Setting::RuralVillage => rng.int(2, 5),
    }
}

fn rect_of(area: &MultiPolygon) -> Rect {
    area.bounding_rect()
        .unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }))
}

fn grids(villages: &[Village], variant: &Variant) -> SampleResult<(Vec<Grid>, Vec<GridMeta>)> {
    let mut rng = variant.rng(SEED_GRIDS);
    let valid_from = date(2025, 7, 1)?;
    let mut grids = Vec::new();
    let mut meta = Vec::new();
    for (vi, v) in villages.iter().enumerate() {
        let n = grid_count(&mut rng, v.setting);
        let mut seeds = (0..n)
            .map(|_| {
                sample_in(&mut rng, &v.area, TRIES)
                    .ok_or_else(|| SampleError::Sampling(v.name.clone()))
            })
            .collect::<SampleResult<Vec<_>>>()?;
        // Serials run north to south, then west to east, as a planner would number them.
        seeds.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
        let areas = partition(&v.name, &v.area, &seeds)?;
        for (k, area) in areas.into_iter().enumerate() {
            let serial = k + 1;
            meta.push(GridMeta {
                village: vi,
                setting: v.setting,
                parent: None,
                children: Vec::new(),
                bbox: rect_of(&area),
                dedicated: None,
                valid_from,
            });
            grids.push(Grid {
                code: format!("{}{serial:03}", v.code),
                name: format!("{}第{serial}网格", v.short),
                kind: if v.setting.in_street() {
                    GridKind::Residential
                } else {
                    GridKind::Village
                },
                households: 0,
                population: 0,
                parent_code: None,
                area,
            });
        }
    }
    Ok((grids, meta))
}

fn date(y: i32, m: u32, d: u32) -> SampleResult<chrono::DateTime<chrono::Utc>> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|day| local_time(day, 0, 0, 0))
        .ok_or_else(|| SampleError::Data(format!("bad date {y}-{m}-{d}")))
}

/// Flags ordinary urban cells as dedicated school or market grids.
fn mark_dedicated(rng: &mut Rng, grids: &mut [Grid], meta: &mut [GridMeta]) {
    let mut candidates: Vec<usize> = (0..grids.len())
        .filter(|&i| meta[i].setting != Setting::RuralVillage)
        .collect();
    rng.shuffle(&mut candidates);
    for (n, &i) in candidates
        .iter()
        .take(DEDICATED_SCHOOLS + DEDICATED_MARKETS)
        .enumerate()
    {
        grids[i].kind = GridKind::Dedicated;
        meta[i].dedicated = Some(if n < DEDICATED_SCHOOLS {
            DedicatedUse::School
        } else {
            DedicatedUse::Market
        });
    }
}

/// Splits some dense urban grids into 2–3 micro-grids, with the next free serials of their
/// community.
fn micro_grids(
    rng: &mut Rng,
    villages: &[Village],
    grids: &mut Vec<Grid>,
    meta: &mut Vec<GridMeta>,
) -> SampleResult<()> {
    let valid_from = date(2026, 3, 1)?;
    let mut candidates: Vec<usize> = (0..grids.len())
        .filter(|&i| meta[i].setting == Setting::StreetCommunity && meta[i].dedicated.is_none())
        .collect();
    rng.shuffle(&mut candidates);
    candidates.truncate(MICRO_PARENTS);
    candidates.sort_unstable();
    let mut next_serial = vec![0usize; villages.len()];
    for m in meta.iter() {
        next_serial[m.village] += 1;
    }
    for parent in candidates {
        let vi = meta[parent].village;
        let n = rng.int(2, 3);
        let seeds = (0..n)
            .map(|_| {
                sample_in(rng, &grids[parent].area, TRIES)
                    .ok_or_else(|| SampleError::Sampling(grids[parent].name.clone()))
            })
            .collect::<SampleResult<Vec<_>>>()?;
        let areas = partition(&grids[parent].name, &grids[parent].area, &seeds)?;
        for (k, area) in areas.into_iter().enumerate() {
            next_serial[vi] += 1;
            let child = grids.len();
            meta[parent].children.push(child);
            meta.push(GridMeta {
                village: vi,
                setting: meta[parent].setting,
                parent: Some(parent),
                children: Vec::new(),
                bbox: rect_of(&area),
                dedicated: None,
                valid_from,
            });
            grids.push(Grid {
                code: format!("{}{:03}", villages[vi].code, next_serial[vi]),
                name: format!("{}第{}微网格", grids[parent].name, k + 1),
                kind: grids[parent].kind,
                households: 0,
                population: 0,
                parent_code: Some(grids[parent].code.clone()),
                area,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::short_village_name;

    #[test]
    fn village_names_lose_their_committee_suffix() {
        assert_eq!(short_village_name("东街社区居委会"), "东街社区");
        assert_eq!(short_village_name("横店村村委会"), "横店村");
        assert_eq!(short_village_name("横店村委会"), "横店村");
    }
}
