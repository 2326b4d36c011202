//! Schools, key rectification areas, cameras and patrol routes.
//!
//! Grid boundaries stand in for streets (real grid lines follow roads), so cameras are strung
//! along them, a few metres inside a grid, looking along or across the street; schools get a
//! ring of cameras facing them. Key areas are school buffers (a 48-gon of 200 m, computed in
//! metres), whole village grids at the edge of the city (城中村) and small irregular blobs for
//! the urban-rural fringe and disorderly spots. Patrol routes loop around urban blocks or tour
//! the event hotspots of a town.

use chrono::{Months, NaiveDate};
use geo::{BooleanOps, Contains, Coord, InteriorPoint, LineString, MultiPolygon};

use super::geom::{bearing_deg, blob, circle, destination, distance_m, normalize_deg, sample_in};
use super::people::{SampleBuilding, person_name};
use super::rng::{Cumulative, Rng};
use super::{City, DedicatedUse, Hotspot, SampleError, SampleResult, Setting, Variant};
use crate::domain::{
    Camera, CameraKind, CameraStatus, KeyArea, KeyAreaCategory, KeyAreaStatus, PatrolRoute,
    TimeWindow,
};

const SEED_SCHOOLS: u64 = 0x5AFE_0201;
const SEED_KEY_AREAS: u64 = 0x5AFE_0202;
const SEED_CAMERAS: u64 = 0x5AFE_0203;
const SEED_ROUTES: u64 = 0x5AFE_0204;

/// Schools in all, the dedicated school grids included.
const SCHOOLS: usize = 80;
/// Cameras in all, school rings included.
/// Radius of a school-surroundings key area, metres.
const SCHOOL_BUFFER_M: f64 = 200.0;
/// The city centre of Dongyang (吴宁/江北), WGS84.
pub(crate) const CITY_CENTRE: Coord = Coord {
    x: 120.24,
    y: 29.28,
};
/// The day the sample is "as of": the last day of the event year.
pub(crate) fn as_of() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2026, 10, 31)
}

/// A school: a point in a grid, with a name.
#[derive(Debug, Clone)]
pub(crate) struct School {
    pub(crate) name: String,
    pub(crate) at: Coord,
}

/// Places the schools: one in each dedicated school grid, the rest mostly in the city.
pub(super) fn schools(
    city: &City,
    buildings: &[SampleBuilding],
    variant: &Variant,
) -> SampleResult<Vec<School>> {
    let mut rng = variant.rng(SEED_SCHOOLS);
    let mut out: Vec<School> = Vec::new();
    for &g in &city.top {
        if city.meta[g].dedicated != Some(DedicatedUse::School) {
            continue;
        }
        let area = &city.grids[g].area;
        let at = area
            .interior_point()
            .map(|p| p.0)
            .filter(|c| area.contains(c))
            .or_else(|| sample_in(&mut rng, area, 2_000))
            .ok_or_else(|| SampleError::Sampling(city.grids[g].name.clone()))?;
        push_school(city, &mut rng, &mut out, at, g);
    }
    // Other schools sit at a building of a grid drawn by how urban it is.
    let weight = |b: &SampleBuilding| match city.meta[b.grid].setting {
        Setting::StreetCommunity => 6.0,
        Setting::TownCommunity => 4.0,
        Setting::StreetVillage => 1.5,
        Setting::RuralVillage => 0.15,
    };
    let table = Cumulative::new(buildings.iter().map(weight));
    let mut attempts = 0;
    while out.len() < SCHOOLS && attempts < 10_000 {
        attempts += 1;
        let Some(b) = table.draw(&mut rng).and_then(|i| buildings.get(i)) else {
            break;
        };
        // Schools keep apart, as catchment areas do.
        if out.iter().any(|s| distance_m(s.at, b.at()) < 500.0) {
            continue;
        }
        push_school(city, &mut rng, &mut out, b.at(), b.grid);
    }
    Ok(out)
}

fn push_school(city: &City, rng: &mut Rng, out: &mut Vec<School>, at: Coord, grid: usize) {
    let village = &city.villages[city.meta[grid].village];
    let kind = match rng.below(4) {
        0 => "幼儿园",
        1 => "中学",
        _ => "小学",
    };
    let mut name = format!("{}{kind}", village.short);
    if out.iter().any(|s| s.name == name) {
        name = format!("{}第二{kind}", village.short);
    }
    out.push(School { name, at });
}

/// Key areas: school surroundings, urban villages, urban-rural fringe, disorderly spots.
pub(super) fn key_areas(
    city: &City,
    schools: &[School],
    buildings: &[SampleBuilding],
    variant: &Variant,
) -> Vec<KeyArea> {
    let mut rng = variant.rng(SEED_KEY_AREAS);
    let mut out = Vec::new();
    let town_of = |g: usize| &city.towns[city.villages[city.meta[g].village].town];
    for s in schools {
        let ring = MultiPolygon(vec![circle(s.at, SCHOOL_BUFFER_M, 48)]);
        // Near the county line the buffer is clipped: the county's map ends there. (Vertices
        // 26 m apart are checked rather than the polygon: polygon-in-polygon is slow.)
        let area = if inside_county(city, &ring) {
            ring
        } else {
            city.county.intersection(&ring)
        };
        let dept = if rng.chance(0.6) {
            "县教育局"
        } else {
            "县公安局"
        };
        out.push(key_area(
            &mut rng,
            format!("{}周边", s.name),
            KeyAreaCategory::SchoolSurroundings,
            dept.to_owned(),
            area,
        ));
    }

    // 城中村: village grids in the streets or close to the city, nearest first.
    let mut near_city: Vec<(f64, usize)> = city
        .top
        .iter()
        .copied()
        .filter(|&g| {
            let m = &city.meta[g];
            // Block-sized: a whole rural village grid is not a 城中村.
            let (w, h) = (
                distance_m(
                    m.bbox.min(),
                    Coord {
                        x: m.bbox.max().x,
                        y: m.bbox.min().y,
                    },
                ),
                distance_m(
                    m.bbox.min(),
                    Coord {
                        x: m.bbox.min().x,
                        y: m.bbox.max().y,
                    },
                ),
            );
            m.dedicated.is_none()
                && w.max(h) < 1_500.0
                && match m.setting {
                    Setting::StreetVillage => true,
                    Setting::RuralVillage => distance_m(m.bbox.center(), CITY_CENTRE) < 8_000.0,
                    _ => false,
                }
        })
        .map(|g| (distance_m(city.meta[g].bbox.center(), CITY_CENTRE), g))
        .collect();
    near_city.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut pool: Vec<usize> = near_city.iter().take(80).map(|&(_, g)| g).collect();
    rng.shuffle(&mut pool);
    pool.truncate(25);
    pool.sort_unstable();
    for g in pool {
        let dept = if rng.chance(0.5) {
            town_of(g).name.clone()
        } else {
            "县住建局".to_owned()
        };
        out.push(key_area(
            &mut rng,
            format!("{}城中村", city.grids[g].name),
            KeyAreaCategory::UrbanVillage,
            dept,
            city.grids[g].area.clone(),
        ));
    }

    // Fringe: village buildings 3–9 km out; disorderly spots: in the built-up centres.
    let fringe: Vec<&SampleBuilding> = buildings
        .iter()
        .filter(|b| {
            matches!(
                city.meta[b.grid].setting,
                Setting::StreetVillage | Setting::RuralVillage
            ) && (3_000.0..9_000.0).contains(&distance_m(b.at(), CITY_CENTRE))
        })
        .collect();
    let central: Vec<&SampleBuilding> = buildings
        .iter()
        .filter(|b| {
            let m = &city.meta[b.grid];
            matches!(m.setting, Setting::StreetCommunity | Setting::TownCommunity)
                || m.dedicated == Some(DedicatedUse::Market)
        })
        .collect();
    let specs = [
        (
            15,
            &fringe,
            KeyAreaCategory::UrbanRuralFringe,
            100.0,
            300.0,
            "城乡结合部",
        ),
        (
            20,
            &central,
            KeyAreaCategory::DisorderlySpot,
            50.0,
            150.0,
            "治安乱点",
        ),
    ];
    for (count, pool, category, r_min, r_max, label) in specs {
        let mut made = 0;
        for _ in 0..count * 50 {
            if made == count {
                break;
            }
            let Some(b) = rng.pick(pool) else { break };
            let area = MultiPolygon(vec![blob(&mut rng, b.at(), r_min, r_max, 10)]);
            let clash = out.iter().any(|k: &KeyArea| {
                k.category == category
                    && k.name
                        .starts_with(&city.villages[city.meta[b.grid].village].short)
            });
            if clash || !inside_county(city, &area) {
                continue;
            }
            let dept = if category == KeyAreaCategory::DisorderlySpot || rng.chance(0.3) {
                "县公安局".to_owned()
            } else {
                town_of(b.grid).name.clone()
            };
            let village = &city.villages[city.meta[b.grid].village];
            out.push(key_area(
                &mut rng,
                format!("{}{label}", village.short),
                category,
                dept,
                area,
            ));
            made += 1;
        }
    }
    for (i, k) in out.iter_mut().enumerate() {
        k.id = format!("K{:04}", i + 1);
    }
    out
}

/// Whether every vertex of `area` lies inside a grid, hence inside the county.
fn inside_county(city: &City, area: &MultiPolygon) -> bool {
    geo::CoordsIter::coords_iter(area).all(|c| city.grid_at(c).is_some())
}

fn key_area(
    rng: &mut Rng,
    name: String,
    category: KeyAreaCategory,
    lead_department: String,
    area: MultiPolygon,
) -> KeyArea {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let today = as_of().unwrap_or_default();
    // Listed at least a month before the as-of day.
    let span = usize::try_from((today - first).num_days() - 30).unwrap_or(1);
    let listed_date = first + chrono::Days::new(u64::try_from(rng.below(span)).unwrap_or(0));
    let deadline = listed_date
        .checked_add_months(Months::new(rng.int(3, 12)))
        .unwrap_or(listed_date);
    let status = if deadline < today {
        if rng.chance(0.7) {
            KeyAreaStatus::Delisted
        } else {
            KeyAreaStatus::Overdue
        }
    } else if (today - listed_date).num_days() < 60 {
        KeyAreaStatus::Listed
    } else if rng.chance(0.65) {
        KeyAreaStatus::Rectifying
    } else {
        KeyAreaStatus::Review
    };
    KeyArea {
        id: String::new(),
        name,
        category,
        lead_department,
        responsible_person: person_name(rng),
        listed_date,
        deadline,
        status,
        area,
    }
}

/// A street segment cameras can be strung along: one edge of a top-level grid.
struct Edge {
    a: Coord,
    b: Coord,
    grid: usize,
}

/// Cameras along grid edges (streets), denser in the city, plus rings around schools.
pub(super) fn cameras(city: &City, schools: &[School], variant: &Variant) -> Vec<Camera> {
    let mut rng = variant.rng(SEED_CAMERAS);
    let mut edges = Vec::new();
    let mut weights = Vec::new();
    for &g in &city.top {
        let w = match city.meta[g].setting {
            Setting::StreetCommunity => 8.0,
            Setting::TownCommunity => 4.0,
            Setting::StreetVillage => 3.0,
            Setting::RuralVillage => 0.5,
        };
        for p in &city.grids[g].area.0 {
            for s in p.exterior().0.windows(2) {
                let (a, b) = (s[0], s[1]);
                weights.push(w * distance_m(a, b));
                edges.push(Edge { a, b, grid: g });
            }
        }
    }
    let table = Cumulative::new(weights);
    let mut per_village = vec![0u32; city.villages.len()];
    let mut out = Vec::with_capacity(variant.cameras);

    // School rings first in the plan, but numbered after the street cameras.
    let mut rings = Vec::new();
    for s in schools {
        let n = rng.int(4, 8);
        let start = rng.range(0.0, 360.0);
        for k in 0..n {
            let angle = start + 360.0 * f64::from(k) / f64::from(n) + rng.range(-10.0, 10.0);
            let at = destination(s.at, angle, rng.range(40.0, 90.0));
            if let Some(g) = city.grid_at(at) {
                rings.push((at, g, bearing_deg(at, s.at)));
            }
        }
    }
    let street_target = variant.cameras.saturating_sub(rings.len());
    let mut attempts = 0;
    while out.len() < street_target && attempts < variant.cameras * 10 {
        attempts += 1;
        let Some(e) = table.draw(&mut rng).and_then(|i| edges.get(i)) else {
            break;
        };
        let t = rng.f64();
        let on = Coord {
            x: e.a.x + t * (e.b.x - e.a.x),
            y: e.a.y + t * (e.b.y - e.a.y),
        };
        let street = bearing_deg(e.a, e.b);
        let side = if rng.chance(0.5) { 90.0 } else { -90.0 };
        let set_back = rng.range(3.0, 8.0);
        // Mounted on the kerb inside the grid: try one side of the street, then the other.
        let at = [side, -side]
            .into_iter()
            .map(|s| destination(on, street + s, set_back))
            .find(|c| city.grids[e.grid].area.contains(c));
        let Some(at) = at else { continue };
        let look = street + [0.0, 180.0, 90.0, 270.0][rng.below(4)] + 8.0 * rng.normal();
        out.push(camera(
            &mut rng,
            city,
            &mut per_village,
            out.len(),
            at,
            e.grid,
            look,
            false,
        ));
    }
    for (at, g, facing) in rings {
        let look = facing + 5.0 * rng.normal();
        out.push(camera(
            &mut rng,
            city,
            &mut per_village,
            out.len(),
            at,
            g,
            look,
            true,
        ));
    }
    out
}

#[expect(
    clippy::too_many_arguments,
    reason = "a private constructor with named call sites"
)]
fn camera(
    rng: &mut Rng,
    city: &City,
    per_village: &mut [u32],
    index: usize,
    at: Coord,
    grid: usize,
    look: f64,
    facing_school: bool,
) -> Camera {
    let vi = city.meta[grid].village;
    per_village[vi] += 1;
    let ptz = !facing_school && rng.chance(0.2);
    // GB/T 28181: admin prefix 33078300, industry 00, type 132 (IPC) or 131 (camera),
    // network 0, then a serial.
    let device_type = if rng.chance(0.85) { "132" } else { "131" };
    let status = match rng.f64() {
        x if x < 0.93 => CameraStatus::Online,
        x if x < 0.98 => CameraStatus::Offline,
        _ => CameraStatus::Fault,
    };
    // Registries keep tenths of a degree and of a metre, not float noise.
    let tenth = |v: f64| (v * 10.0).round() / 10.0;
    Camera {
        code: format!("3307830000{device_type}0{:06}", index + 1),
        name: format!("{}-{}号点位", city.villages[vi].short, per_village[vi]),
        height_m: tenth(if ptz {
            rng.range(5.0, 8.0)
        } else {
            rng.range(3.0, 6.5)
        }),
        azimuth_deg: tenth(normalize_deg(look)) % 360.0,
        hfov_deg: if ptz {
            360.0
        } else {
            rng.range(60.0, 100.0).round()
        },
        range_m: if ptz {
            rng.range(80.0, 200.0)
        } else {
            rng.range(30.0, 120.0)
        }
        .round(),
        tilt_deg: None,
        vfov_deg: None,
        kind: if ptz {
            CameraKind::Ptz
        } else {
            CameraKind::Fixed
        },
        status,
        status_since: None,
        location: at.into(),
    }
}

const TEAM_NO: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

fn window(days: &[u8], start: &str, end: &str) -> TimeWindow {
    TimeWindow {
        days: days.to_vec(),
        start: start.to_owned(),
        end: end.to_owned(),
    }
}

/// Patrol routes: loops around urban blocks and tours of a town's hotspots.
pub(super) fn patrol_routes(
    city: &City,
    hotspots: &[Hotspot],
    variant: &Variant,
) -> Vec<PatrolRoute> {
    let mut rng = variant.rng(SEED_ROUTES);
    let mut out = Vec::new();
    for (ti, town) in city.towns.iter().enumerate() {
        let communities = city
            .villages
            .iter()
            .filter(|v| {
                v.town == ti
                    && v.setting != Setting::RuralVillage
                    && v.setting != Setting::StreetVillage
            })
            .count();
        let n = if town.street { 5 } else { 2 }
            + usize::from(communities >= 10)
            + usize::from(!town.street && communities > 0);
        // Blocks to loop around: village or grid rings of 4–15 vertices in this town.
        let mut loops: Vec<(String, LineString, f64)> = Vec::new();
        for v in city.villages.iter().filter(|v| v.town == ti) {
            if let [p] = v.area.0.as_slice()
                && (4..=15).contains(&p.exterior().0.len())
            {
                loops.push((
                    v.short.clone(),
                    p.exterior().clone(),
                    v.setting.urban_weight(),
                ));
            }
        }
        for &g in &city.top {
            let m = &city.meta[g];
            if city.villages[m.village].town != ti {
                continue;
            }
            if let [p] = city.grids[g].area.0.as_slice()
                && (4..=15).contains(&p.exterior().0.len())
            {
                loops.push((
                    city.grids[g].name.clone(),
                    p.exterior().clone(),
                    m.setting.urban_weight(),
                ));
            }
        }
        // A tour stays within a night's drive of the town seat.
        let mut spots: Vec<Coord> = hotspots
            .iter()
            .filter(|h| h.town == ti && distance_m(h.at, town.seat) < 5_000.0)
            .map(|h| h.at)
            .collect();
        // Several hotspots can share a centre (the same school drawn twice).
        spots.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        spots.dedup();
        for k in 0..n {
            let team = format!("{}派出所巡逻{}组", town.short, TEAM_NO[k % TEAM_NO.len()]);
            let tour = k % 2 == 1 && spots.len() >= 3;
            let (name, line) = if tour || loops.is_empty() {
                (
                    format!("{}热点巡线{}", town.short, k + 1),
                    hotspot_tour(&mut rng, &spots, town.seat),
                )
            } else {
                let w: Vec<f64> = loops.iter().map(|l| l.2).collect();
                let i = rng.weighted(&w).unwrap_or(0);
                (format!("{}环线", loops[i].0), loops[i].1.clone())
            };
            if !line.0.iter().any(|c| *c != line.0[0]) {
                continue;
            }
            let mut windows = vec![if rng.chance(0.6) {
                window(&[1, 2, 3, 4, 5, 6, 7], "19:00", "23:00")
            } else {
                window(&[5, 6, 7], "21:00", "02:00")
            }];
            if rng.chance(0.4) {
                windows.push(if rng.chance(0.5) {
                    window(&[1, 2, 3, 4, 5], "07:00", "08:30")
                } else {
                    window(&[1, 2, 3, 4, 5, 6, 7], "09:00", "11:30")
                });
            }
            out.push(PatrolRoute {
                id: String::new(),
                name,
                team,
                windows,
                line,
            });
        }
    }
    for (i, r) in out.iter_mut().enumerate() {
        r.id = format!("R{:03}", i + 1);
    }
    out
}

/// A nearest-neighbour walk over 3–8 hotspots from a random start (or the town seat and the
/// spots there are, if fewer).
fn hotspot_tour(rng: &mut Rng, spots: &[Coord], seat: Coord) -> LineString {
    let mut left: Vec<Coord> = spots.to_vec();
    if left.is_empty() {
        return LineString(vec![]);
    }
    let take = usize::try_from(rng.int(3, 8)).unwrap_or(3).min(left.len());
    let mut here = if left.len() < 3 {
        seat
    } else {
        left.swap_remove(rng.below(left.len()))
    };
    let mut line = vec![here];
    while line.len() < take && !left.is_empty() {
        let (i, _) = left
            .iter()
            .enumerate()
            .min_by(|a, b| distance_m(here, *a.1).total_cmp(&distance_m(here, *b.1)))
            .unwrap_or((0, &here));
        here = left.swap_remove(i);
        line.push(here);
    }
    LineString(line)
}
