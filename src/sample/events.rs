//! Event hotspots and a year of events (2025-11-01 … 2026-10-31, China local time).
//!
//! Places: ~200 hotspot centres (at city buildings mostly, schools, urban villages and the
//! other key areas), each with a normal spread of 50–300 m and its own intensity and favoured
//! category; 20 % of events are background noise at random buildings. Every event is redrawn
//! until it falls strictly inside a top-level grid, hence inside the county.
//!
//! Times: an hourly weight over the year with an evening peak (18–23 h), a morning bump,
//! busier Friday and Saturday nights, a summer swell and a Spring Festival lull. Recent events
//! are still open (reported/claimed/assigned); older ones are closed.

use chrono::{Datelike, Days, Duration, NaiveDate};
use geo::{Coord, InteriorPoint};

use super::devices::{School, as_of};
use super::geom::offset;
use super::people::SampleBuilding;
use super::rng::Cumulative;
use super::{City, Hotspot, Setting, Variant, local_time};
use crate::domain::{Event, EventStatus, KeyArea, KeyAreaCategory};

const SEED_HOTSPOTS: u64 = 0x5AFE_0301;
const SEED_EVENTS: u64 = 0x5AFE_0302;

const HOTSPOTS: usize = 200;
/// Share of events at random buildings rather than at a hotspot.
const BACKGROUND: f64 = 0.2;

/// Categories with their base weights.
const CATEGORIES: [(&str, f64); 7] = [
    ("dispute", 0.26),
    ("theft", 0.15),
    ("fire_hazard", 0.10),
    ("traffic", 0.15),
    ("environment", 0.12),
    ("public_order", 0.14),
    ("fraud", 0.08),
];
const DISPUTE: usize = 0;
const THEFT: usize = 1;
const FIRE: usize = 2;
const TRAFFIC: usize = 3;
const PUBLIC_ORDER: usize = 5;
const FRAUD: usize = 6;

const PHRASES: [&[&str]; 7] = [
    &[
        "邻里纠纷",
        "家庭矛盾",
        "物业纠纷",
        "劳资纠纷",
        "土地山林纠纷",
    ],
    &["电动车被盗", "入室盗窃", "商铺失窃", "电缆被盗"],
    &["楼道堆放杂物", "电动车违规充电", "消防通道堵塞", "私拉电线"],
    &["交通事故", "乱停乱放", "占道经营影响通行", "信号灯故障"],
    &["垃圾堆放", "污水外溢", "噪声扰民", "焚烧秸秆"],
    &["酒后滋事", "聚众斗殴苗头", "深夜喧哗", "可疑人员徘徊"],
    &["电信诈骗", "冒充客服诈骗", "刷单诈骗", "保健品推销诈骗"],
];

const SOURCES: [&str; 5] = ["worker", "hotline_12345", "police_110", "app", "camera"];

/// Draws the hotspot centres.
pub(super) fn hotspots(
    city: &City,
    buildings: &[SampleBuilding],
    schools: &[School],
    key_areas: &[KeyArea],
    variant: &Variant,
) -> Vec<Hotspot> {
    let mut rng = variant.rng(SEED_HOTSPOTS);
    let table = Cumulative::new(buildings.iter().map(|b| match city.meta[b.grid].setting {
        Setting::StreetCommunity => 4.0,
        Setting::StreetVillage | Setting::TownCommunity => 2.5,
        Setting::RuralVillage => 0.4,
    }));
    let centre_of = |k: &KeyArea| k.area.interior_point().map(|p| p.0);
    let urban_villages: Vec<Coord> = key_areas
        .iter()
        .filter(|k| k.category == KeyAreaCategory::UrbanVillage)
        .filter_map(centre_of)
        .collect();
    let others: Vec<(Coord, KeyAreaCategory)> = key_areas
        .iter()
        .filter(|k| {
            matches!(
                k.category,
                KeyAreaCategory::DisorderlySpot | KeyAreaCategory::UrbanRuralFringe
            )
        })
        .filter_map(|k| centre_of(k).map(|c| (c, k.category)))
        .collect();
    let mut out = Vec::with_capacity(HOTSPOTS);
    for _ in 0..HOTSPOTS * 20 {
        if out.len() == HOTSPOTS {
            break;
        }
        let r = rng.f64();
        let (at, favoured) = if r < 0.55 {
            let Some(b) = table.draw(&mut rng).and_then(|i| buildings.get(i)) else {
                continue;
            };
            (b.at(), rng.below(CATEGORIES.len()))
        } else if r < 0.70 {
            let Some(s) = rng.pick(schools) else { continue };
            (
                s.at,
                if rng.chance(0.6) {
                    TRAFFIC
                } else {
                    PUBLIC_ORDER
                },
            )
        } else if r < 0.85 {
            let Some(c) = rng.pick(&urban_villages) else {
                continue;
            };
            (*c, [FIRE, PUBLIC_ORDER, DISPUTE, THEFT][rng.below(4)])
        } else {
            let Some((c, cat)) = rng.pick(&others) else {
                continue;
            };
            let fav = if *cat == KeyAreaCategory::DisorderlySpot {
                [PUBLIC_ORDER, THEFT][rng.below(2)]
            } else {
                [DISPUTE, FIRE, THEFT][rng.below(3)]
            };
            (*c, fav)
        };
        let Some(g) = city.grid_at(at) else { continue };
        out.push(Hotspot {
            at,
            sigma_m: rng.range(50.0, 300.0),
            weight: (0.8 * rng.normal()).exp(),
            town: city.villages[city.meta[g].village].town,
            favoured,
        });
    }
    out
}

/// Relative event rate by local hour, before the weekend and season factors.
const HOURLY: [f64; 24] = [
    0.55, 0.4, 0.28, 0.2, 0.16, 0.2, 0.4, 0.8, 1.15, 1.0, 0.9, 0.95, 0.85, 0.8, 0.9, 1.0, 1.1, 1.3,
    1.8, 2.2, 2.4, 2.3, 2.0, 1.2,
];

/// Weight of each hour slot of the year (day-major).
fn slot_weights(first: NaiveDate, days: u32) -> Vec<f64> {
    let festival = (
        NaiveDate::from_ymd_opt(2026, 2, 14),
        NaiveDate::from_ymd_opt(2026, 2, 22),
    );
    let mut w = Vec::with_capacity(days as usize * 24);
    for d in 0..days {
        let date = first + Days::new(u64::from(d));
        let weekday = date.weekday().number_from_monday();
        // Summer peak in July (≈ 250 days after 1 November), 15 % swing.
        let season = 1.0 + 0.15 * (std::f64::consts::TAU * (f64::from(d) - 250.0) / 365.0).cos();
        let lull = match festival {
            (Some(a), Some(b)) if a <= date && date <= b => 0.7,
            _ => 1.0,
        };
        for (h, base) in HOURLY.iter().enumerate() {
            // Friday and Saturday nights, including the small hours after them.
            let night_out = match (weekday, h) {
                (5 | 6, 18..) => 1.5,
                (6 | 7, ..=2) => 1.6,
                _ => 1.0,
            };
            w.push(base * night_out * season * lull);
        }
    }
    w
}

/// Generates the events, sorted by time, with ids `E0000001`….
pub(super) fn events(
    city: &City,
    buildings: &[SampleBuilding],
    hotspots: &[Hotspot],
    variant: &Variant,
) -> Vec<Event> {
    let mut rng = variant.rng(SEED_EVENTS);
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(2025, 11, 1), as_of()) else {
        return Vec::new();
    };
    let days = u32::try_from((last - first).num_days() + 1).unwrap_or(365);
    let slots = Cumulative::new(slot_weights(first, days));
    let spots = Cumulative::new(hotspots.iter().map(|h| h.weight));
    let Some(now) = last.succ_opt().and_then(|d| local_time(d, 0, 0, 0)) else {
        return Vec::new();
    };
    let mut out: Vec<Event> = Vec::with_capacity(variant.events);
    while out.len() < variant.events {
        // Where.
        let spot = if rng.chance(BACKGROUND) {
            None
        } else {
            spots.draw(&mut rng).and_then(|i| hotspots.get(i))
        };
        let (centre, sigma) = match spot {
            Some(h) => (h.at, h.sigma_m),
            None => match rng.pick(buildings) {
                Some(b) => (b.at(), 15.0),
                None => break,
            },
        };
        let mut place = None;
        for _ in 0..20 {
            let c = offset(centre, sigma * rng.normal(), sigma * rng.normal());
            if let Some(g) = city.grid_at(c) {
                place = Some((c, g));
                break;
            }
        }
        // Hotspot centres and buildings lie inside grids, so this only misses near the
        // county line; fall back to the centre itself.
        let Some((at, grid)) = place.or_else(|| city.grid_at(centre).map(|g| (centre, g))) else {
            continue;
        };

        // What.
        let weights: Vec<f64> = CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, (_, w))| {
                if spot.is_some_and(|h| h.favoured == i) {
                    w * 4.0
                } else {
                    *w
                }
            })
            .collect();
        let cat = rng.weighted(&weights).unwrap_or(DISPUTE);

        // When.
        let slot = slots.draw(&mut rng).unwrap_or(0);
        let (day, hour) = (slot / 24, slot % 24);
        let date = first + Days::new(u64::try_from(day).unwrap_or(0));
        let Some(occurred_at) = local_time(
            date,
            u32::try_from(hour).unwrap_or(0),
            rng.int(0, 59),
            rng.int(0, 59),
        ) else {
            continue;
        };

        // Who reported it, and how long that took.
        let mut src_w = [0.34, 0.24, 0.20, 0.12, 0.10];
        match cat {
            THEFT | PUBLIC_ORDER | TRAFFIC | FRAUD => src_w[2] *= 2.5,
            _ => src_w[0] *= 1.5,
        }
        if matches!(cat, TRAFFIC | PUBLIC_ORDER) {
            src_w[4] *= 2.0;
        }
        let src = rng.weighted(&src_w).unwrap_or(0);
        let median_min: f64 = match src {
            0 => 20.0,
            2 => 8.0,
            4 => 5.0,
            _ => 90.0,
        };
        let minutes = (median_min.ln() + 0.9 * rng.normal())
            .exp()
            .clamp(1.0, 2_880.0);
        #[expect(
            clippy::cast_possible_truncation,
            reason = "clamped to two days of seconds"
        )]
        let delay = Duration::seconds((minutes * 60.0) as i64);
        // Nothing is reported after the as-of moment; late reports of the last night are cut.
        let reported_at = (occurred_at + delay).min(now.max(occurred_at));

        // Where it stands now.
        let age_days = (now - reported_at).num_days();
        let u = rng.f64();
        let status = if age_days > 30 {
            if u < 0.96 {
                EventStatus::Closed
            } else {
                EventStatus::Resolved
            }
        } else if age_days >= 7 {
            match u {
                x if x < 0.70 => EventStatus::Closed,
                x if x < 0.88 => EventStatus::Resolved,
                _ => EventStatus::Assigned,
            }
        } else {
            match u {
                x if x < 0.35 => EventStatus::Reported,
                x if x < 0.65 => EventStatus::Claimed,
                x if x < 0.85 => EventStatus::Assigned,
                _ => EventStatus::Resolved,
            }
        };
        let village = &city.villages[city.meta[grid].village];
        let phrase = rng.pick(PHRASES[cat]).copied().unwrap_or("");
        out.push(Event {
            id: String::new(),
            category: CATEGORIES[cat].0.to_owned(),
            occurred_at,
            reported_at,
            source: SOURCES[src].to_owned(),
            status,
            description: format!("{}：{phrase}", village.short),
            grid_code: None,
            location: at.into(),
        });
    }
    // Ids in time order; the sort is stable, so equal times keep their drawing order.
    out.sort_by_key(|e| e.occurred_at);
    for (i, e) in out.iter_mut().enumerate() {
        e.id = format!("E{:07}", i + 1);
    }
    out
}
