//! Buildings (实有房屋) and grid workers (网格员).
//!
//! Buildings are address points scattered uniformly inside each top-level grid, many and large
//! in the city (high-rises), few and small in villages; a grid's households and population are
//! the sums over its buildings, and so are a micro-grid's. Workers follow 一格一员/一格多员:
//! every grid has a leader, most have a full-time and some a part-time member, each micro-grid
//! a volunteer leader, and a police liaison serves a run of neighbouring grids.

use geo::{Contains, Coord};

use super::geom::sample_in_bbox;
use super::rng::Rng;
use super::{City, SampleError, SampleResult, Setting, Variant};
use crate::domain::{Assignment, Building, Duty, Worker, WorkerRole};

const SEED_BUILDINGS: u64 = 0x5AFE_0101;
const SEED_WORKERS: u64 = 0x5AFE_0102;

/// A building with the top-level grid (index into `City::grids`) it stands in.
#[derive(Debug, Clone)]
pub(crate) struct SampleBuilding {
    pub(crate) item: Building,
    pub(crate) grid: usize,
}

impl SampleBuilding {
    pub(crate) fn at(&self) -> Coord {
        self.item.location.0
    }
}

/// Places the buildings and fills in every grid's households and population.
pub(super) fn buildings(city: &mut City, variant: &Variant) -> SampleResult<Vec<SampleBuilding>> {
    let mut rng = variant.rng(SEED_BUILDINGS);
    let mut out = Vec::with_capacity(110_000);
    let mut house_no = vec![0u32; city.villages.len()];
    for ti in 0..city.top.len() {
        let g = city.top[ti];
        let meta = &city.meta[g];
        let village = &city.villages[meta.village];
        let town = &city.towns[village.town];
        let n = match meta.setting {
            Setting::StreetCommunity => rng.int(100, 150),
            Setting::StreetVillage => rng.int(50, 80),
            Setting::TownCommunity => rng.int(60, 100),
            Setting::RuralVillage => rng.int(20, 40),
        };
        for _ in 0..n {
            let at = sample_in_bbox(&mut rng, &city.grids[g].area, meta.bbox, 2_000)
                .ok_or_else(|| SampleError::Sampling(city.grids[g].name.clone()))?;
            let households = match meta.setting {
                // A third of city addresses are high-rise blocks.
                Setting::StreetCommunity if rng.chance(0.35) => rng.int(20, 60),
                Setting::StreetCommunity => rng.int(1, 12),
                // Self-built houses let out room by room.
                Setting::StreetVillage | Setting::TownCommunity => rng.int(1, 10),
                Setting::RuralVillage => rng.int(1, 3),
            };
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a few hundred residents"
            )]
            let residents = (f64::from(households) * rng.range(2.0, 3.2)).round() as u32;
            house_no[meta.village] += 1;
            out.push(SampleBuilding {
                item: Building {
                    id: String::new(),
                    address: format!("{}{}{}号", town.name, village.short, house_no[meta.village]),
                    households,
                    residents,
                    location: at.into(),
                },
                grid: g,
            });
        }
    }
    for (i, b) in out.iter_mut().enumerate() {
        b.item.id = format!("B{:07}", i + 1);
        let g = b.grid;
        let (h, r) = (b.item.households, b.item.residents);
        city.grids[g].households += h;
        city.grids[g].population += r;
        let child = city.meta[g]
            .children
            .iter()
            .copied()
            .find(|&c| city.grids[c].area.contains(&b.item.location));
        if let Some(c) = child {
            city.grids[c].households += h;
            city.grids[c].population += r;
        }
    }
    Ok(out)
}

const SURNAMES: &[&str] = &[
    "卢", "吴", "陈", "王", "张", "金", "徐", "杜", "楼", "厉", "郭", "蒋", "葛", "胡", "李", "赵",
    "何", "马", "韦", "单", "贾", "包", "许", "黄", "周", "杨", "刘", "朱", "孙", "应", "郑", "严",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "海", "燕", "红", "文", "晓", "春",
    "志", "永", "俊", "佳", "宇", "浩", "婷", "欣", "斌", "林", "鹏", "颖", "琳", "萍", "东", "阳",
];

/// A plausible Chinese name: a common local surname and one or two given-name characters.
pub(crate) fn person_name(rng: &mut Rng) -> String {
    let mut s = String::new();
    s.push_str(rng.pick(SURNAMES).copied().unwrap_or("陈"));
    s.push_str(rng.pick(GIVEN).copied().unwrap_or("伟"));
    if rng.chance(0.7) {
        s.push_str(rng.pick(GIVEN).copied().unwrap_or("华"));
    }
    s
}

fn phone(rng: &mut Rng) -> String {
    format!("13{:09}", rng.below(1_000_000_000))
}

/// Workers for every grid, then police liaisons over runs of grids.
pub(super) fn workers(city: &City, variant: &Variant) -> Vec<Worker> {
    let mut rng = variant.rng(SEED_WORKERS);
    let mut out = Vec::new();
    let person = |rng: &mut Rng, role: WorkerRole, grids: Vec<Assignment>| Worker {
        id: String::new(),
        name: person_name(rng),
        phone: Some(phone(rng)),
        role,
        grids,
    };
    let one = |code: &str, duty: Duty| {
        vec![Assignment {
            grid: code.to_owned(),
            duty,
        }]
    };
    for (g, grid) in city.grids.iter().enumerate() {
        if city.meta[g].parent.is_some() {
            // A micro-grid leader is a resident volunteer (楼道长/微网格长).
            out.push(person(
                &mut rng,
                WorkerRole::Volunteer,
                one(&grid.code, Duty::Leader),
            ));
            continue;
        }
        // The leader of a grid is a village/community cadre.
        out.push(person(
            &mut rng,
            WorkerRole::Cadre,
            one(&grid.code, Duty::Leader),
        ));
        if rng.chance(0.6) {
            out.push(person(
                &mut rng,
                WorkerRole::FullTime,
                one(&grid.code, Duty::FullTime),
            ));
        }
        if rng.chance(0.3) {
            out.push(person(
                &mut rng,
                WorkerRole::PartTime,
                one(&grid.code, Duty::PartTime),
            ));
        }
    }
    // Police liaisons: one officer per ~5 neighbouring grids in the streets, per ~12 in the
    // towns, never across a town line (they belong to the town's police station).
    for (ti, town) in city.towns.iter().enumerate() {
        let grids: Vec<&str> = city
            .top
            .iter()
            .filter(|&&g| city.villages[city.meta[g].village].town == ti)
            .map(|&g| city.grids[g].code.as_str())
            .collect();
        let run = if town.street { 5 } else { 12 };
        for chunk in grids.chunks(run) {
            let assignments = chunk
                .iter()
                .map(|code| Assignment {
                    grid: (*code).to_owned(),
                    duty: Duty::Police,
                })
                .collect();
            out.push(person(&mut rng, WorkerRole::PoliceLiaison, assignments));
        }
    }
    for (i, w) in out.iter_mut().enumerate() {
        w.id = format!("W{:06}", i + 1);
    }
    out
}
