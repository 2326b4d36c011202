//! Tests of the whole sample city: determinism, counts, validity, containment and partitions.
//!
//! The city is generated once per test binary and shared ([`city`]); the determinism test
//! generates a second one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Instant;

use geo::{BooleanOps, BoundingRect, Contains, Coord, MultiPolygon, Rect};

use super::geom::area_m2;
use super::{COUNTY_CODE, generate};
use crate::domain::{
    Building, Camera, Dataset, Duty, Event, Grid, GridKind, Item, KeyArea, KeyAreaCategory,
    PatrolRoute, Region, Road, Worker,
};

fn city() -> &'static Dataset {
    static CITY: OnceLock<Dataset> = OnceLock::new();
    CITY.get_or_init(|| {
        let t = Instant::now();
        let d = generate().expect("the sample generates");
        println!("sample::generate() took {:?}", t.elapsed());
        d
    })
}

fn rects_meet(a: Rect, b: Rect) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Asserts that `children` partition `parent`: their areas add up to the parent's within
/// 0.1 % and no two overlap by 1 m² or more.
fn assert_partition(what: &str, parent: &MultiPolygon, children: &[&MultiPolygon]) {
    let whole = area_m2(parent);
    let sum: f64 = children.iter().map(|c| area_m2(c)).sum();
    assert!(
        (sum / whole - 1.0).abs() < 1e-3,
        "{what}: children cover {sum} m² of {whole} m²"
    );
    let rects: Vec<Option<Rect>> = children.iter().map(|c| c.bounding_rect()).collect();
    for i in 0..children.len() {
        for j in i + 1..children.len() {
            let (Some(a), Some(b)) = (rects[i], rects[j]) else {
                continue;
            };
            if !rects_meet(a, b) {
                continue;
            }
            let overlap = area_m2(&children[i].intersection(children[j]));
            assert!(
                overlap < 1.0,
                "{what}: children {i} and {j} overlap by {overlap} m²"
            );
        }
    }
}

fn region<'a>(d: &'a Dataset, code: &str) -> &'a Region {
    d.regions
        .iter()
        .find(|r| r.code == code)
        .expect("region exists")
}

fn top_grids(d: &Dataset) -> Vec<&Grid> {
    d.grids.iter().filter(|g| g.parent_code.is_none()).collect()
}

/// The top-level grid strictly containing `c`, by brute force over bounding boxes.
fn grid_holding<'a>(grids: &[&'a Grid], rects: &[Rect], c: Coord) -> Option<&'a Grid> {
    grids
        .iter()
        .zip(rects)
        .find(|(g, r)| {
            r.min().x <= c.x
                && c.x <= r.max().x
                && r.min().y <= c.y
                && c.y <= r.max().y
                && g.area.contains(&c)
        })
        .map(|(g, _)| *g)
}

#[test]
fn generate_is_deterministic() {
    fn sample<T: Item>(items: &[T]) -> Vec<String> {
        let step = (items.len() / 50).max(1);
        items
            .iter()
            .step_by(step)
            .chain(items.last())
            .map(|i| serde_json::to_string(&i.to_feature()).expect("serializes"))
            .collect()
    }
    let a = city();
    let b = generate().expect("the sample generates");
    assert_eq!(sample(&a.regions), sample(&b.regions));
    assert_eq!(sample(&a.grids), sample(&b.grids));
    assert_eq!(sample(&a.workers), sample(&b.workers));
    assert_eq!(sample(&a.cameras), sample(&b.cameras));
    assert_eq!(sample(&a.patrol_routes), sample(&b.patrol_routes));
    assert_eq!(sample(&a.key_areas), sample(&b.key_areas));
    assert_eq!(sample(&a.events), sample(&b.events));
    assert_eq!(sample(&a.buildings), sample(&b.buildings));
    assert_eq!(sample(&a.roads), sample(&b.roads));
}

#[test]
fn counts_are_in_range() {
    let d = city();
    let n = |r: std::ops::RangeInclusive<usize>, got: usize, what: &str| {
        assert!(r.contains(&got), "{what}: {got} not in {r:?}");
    };
    let micro = d.grids.iter().filter(|g| g.parent_code.is_some()).count();
    let dedicated = d
        .grids
        .iter()
        .filter(|g| g.kind == GridKind::Dedicated)
        .count();
    let count = |c: KeyAreaCategory| d.key_areas.iter().filter(|k| k.category == c).count();
    println!(
        "regions {}, grids {} (micro {micro}, dedicated {dedicated}), workers {}, buildings {}, \
         cameras {}, key areas {} (schools {}, urban villages {}, fringe {}, spots {}), routes {}, events {}",
        d.regions.len(),
        d.grids.len(),
        d.workers.len(),
        d.buildings.len(),
        d.cameras.len(),
        d.key_areas.len(),
        count(KeyAreaCategory::SchoolSurroundings),
        count(KeyAreaCategory::UrbanVillage),
        count(KeyAreaCategory::UrbanRuralFringe),
        count(KeyAreaCategory::DisorderlySpot),
        d.patrol_routes.len(),
        d.events.len(),
    );
    let multi_regions = d.regions.iter().filter(|r| r.area.0.len() > 1).count();
    let multi_grids = d.grids.iter().filter(|g| g.area.0.len() > 1).count();
    let max_vertices = d
        .grids
        .iter()
        .map(|g| geo::CoordsIter::coords_count(&g.area))
        .max()
        .unwrap_or(0);
    println!(
        "multi-part regions {multi_regions}, multi-part grids {multi_grids}, most grid vertices {max_vertices}"
    );
    n(1 + 18 + 388..=1 + 18 + 388, d.regions.len(), "regions");
    n(1_500..=2_500, d.grids.len() - micro, "top-level grids");
    n(70..=150, micro, "micro-grids");
    n(30..=50, dedicated, "dedicated grids");
    n(80_000..=130_000, d.buildings.len(), "buildings");
    n(18_000..=22_000, d.cameras.len(), "cameras");
    n(
        60..=100,
        count(KeyAreaCategory::SchoolSurroundings),
        "school areas",
    );
    n(
        20..=30,
        count(KeyAreaCategory::UrbanVillage),
        "urban villages",
    );
    n(10..=20, count(KeyAreaCategory::UrbanRuralFringe), "fringe");
    n(
        15..=25,
        count(KeyAreaCategory::DisorderlySpot),
        "disorderly spots",
    );
    n(50..=70, d.patrol_routes.len(), "patrol routes");
    n(100_000..=100_000, d.events.len(), "events");
    n(
        d.grids.len()..=d.grids.len(),
        d.grid_versions.len(),
        "grid versions",
    );
}

#[test]
fn every_item_validates_and_round_trips_as_geojson() {
    // from_feature re-parses the geometry with the domain's checks (OGC validity included)
    // and runs validate().
    fn all<T: Item>(items: &[T], step: usize) {
        for item in items.iter().step_by(step) {
            item.validate()
                .unwrap_or_else(|e| panic!("{}: {e}", item.key()));
            let back = T::from_feature(&item.to_feature())
                .unwrap_or_else(|e| panic!("{} {}: {e}", T::LAYER, item.key()));
            assert_eq!(back.key(), item.key());
        }
    }
    fn unique<T: Item>(items: &[T]) {
        let keys: BTreeSet<&str> = items.iter().map(Item::key).collect();
        assert_eq!(keys.len(), items.len(), "duplicate keys in {}", T::LAYER);
    }
    let d = city();
    all::<Region>(&d.regions, 1);
    all::<Grid>(&d.grids, 1);
    all::<KeyArea>(&d.key_areas, 1);
    all::<PatrolRoute>(&d.patrol_routes, 1);
    all::<Worker>(&d.workers, 7);
    all::<Camera>(&d.cameras, 7);
    all::<Event>(&d.events, 31);
    all::<Building>(&d.buildings, 31);
    all::<Road>(&d.roads, 1);
    // Keys are unique within each layer.
    unique(&d.regions);
    unique(&d.grids);
    unique(&d.workers);
    unique(&d.cameras);
    unique(&d.patrol_routes);
    unique(&d.key_areas);
    unique(&d.events);
    unique(&d.buildings);
    unique(&d.roads);
}

#[test]
fn streets_follow_grid_boundaries_and_carry_the_cameras() {
    let d = city();
    let mut classes = BTreeMap::<&str, (usize, f64)>::new();
    for r in &d.roads {
        let entry = classes.entry(r.class.as_str()).or_default();
        entry.0 += 1;
        entry.1 += r
            .line
            .0
            .windows(2)
            .map(|w| super::geom::distance_m(w[0], w[1]))
            .sum::<f64>();
    }
    let named = d.roads.iter().filter(|r| !r.name.is_empty()).count();
    println!("roads {} ({named} named): {classes:?}", d.roads.len());
    assert!(
        (1_500..=8_000).contains(&d.roads.len()),
        "{} roads",
        d.roads.len()
    );
    assert!(named * 2 > d.roads.len(), "most streets have a name");
    for class in ["primary", "secondary", "tertiary", "residential"] {
        assert!(classes.contains_key(class), "{class} roads: {classes:?}");
    }
    // 人民路 is a main road of the city centre, and every named street's name is unique in its
    // town.
    let renmin: Vec<&Road> = d.roads.iter().filter(|r| r.name == "人民路").collect();
    assert_eq!(renmin.len(), 1);
    assert_eq!(renmin[0].class, crate::domain::RoadClass::Primary);
    let centre = region(d, "330783001");
    // (A main road often follows a town boundary: on it, up to rounding.)
    let mid = renmin[0].line.0[renmin[0].line.0.len() / 2];
    let off_m = geo::Distance::distance(&geo::Euclidean, &centre.area, &geo::Point(mid)) * 1e5;
    assert!(off_m < 1.0, "人民路 runs through 吴宁街道 ({off_m} m off)");
    // Every vertex of every road is a vertex of a top-level grid (streets are grid lines).
    let vertices: BTreeSet<(i64, i64)> = top_grids(d)
        .iter()
        .flat_map(|g| g.area.0.iter().flat_map(|p| p.exterior().0.iter()))
        .map(|c| key(*c))
        .collect();
    for r in &d.roads {
        assert!(
            r.line.0.iter().all(|c| vertices.contains(&key(*c))),
            "{} leaves the grid lines",
            r.id
        );
    }
    // Street cameras stand on the kerb: most are within 10 m of a road.
    let segments: Vec<(Coord, Coord)> = d
        .roads
        .iter()
        .flat_map(|r| r.line.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let near = d
        .cameras
        .iter()
        .step_by(20)
        .filter(|c| {
            segments
                .iter()
                .any(|(a, b)| super::geom::point_segment_m(c.location.0, *a, *b) <= 10.0)
        })
        .count();
    let asked = d.cameras.len().div_ceil(20);
    assert!(
        near * 10 >= asked * 7,
        "{near} of {asked} cameras stand by a road"
    );
}

#[expect(clippy::cast_possible_truncation, reason = "degrees × 1e7 fit an i64")]
fn key(c: Coord) -> (i64, i64) {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

#[test]
fn towns_contain_their_real_seats_and_partition_the_county() {
    let d = city();
    let county = region(d, COUNTY_CODE);
    assert_eq!(county.area.0.len(), 1);
    let towns: Vec<&Region> = d.regions.iter().filter(|r| r.code.len() == 9).collect();
    assert_eq!(towns.len(), 18);
    for row in super::SEATS.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        let seat = Coord {
            x: f[2].parse().expect("lon"),
            y: f[3].parse().expect("lat"),
        };
        assert!(
            region(d, f[0]).area.contains(&seat),
            "{} does not contain its seat",
            f[1]
        );
    }
    let areas: Vec<&MultiPolygon> = towns.iter().map(|t| &t.area).collect();
    assert_partition("county", &county.area, &areas);
}

#[test]
fn villages_partition_their_towns() {
    let d = city();
    let mut by_town: BTreeMap<&str, Vec<&MultiPolygon>> = BTreeMap::new();
    for v in d.regions.iter().filter(|r| r.code.len() == 12) {
        let parent = v.parent_code.as_deref().expect("a village has a parent");
        by_town.entry(parent).or_default().push(&v.area);
    }
    assert_eq!(by_town.len(), 18);
    for (town, villages) in by_town {
        assert_partition(town, &region(d, town).area, &villages);
    }
}

#[test]
fn grids_partition_their_villages() {
    let d = city();
    let mut by_village: BTreeMap<&str, Vec<&MultiPolygon>> = BTreeMap::new();
    for g in top_grids(d) {
        by_village
            .entry(g.community_code())
            .or_default()
            .push(&g.area);
    }
    // Every village has grids, and every grid code starts with an existing village code.
    let villages: BTreeSet<&str> = d
        .regions
        .iter()
        .filter(|r| r.code.len() == 12)
        .map(|r| r.code.as_str())
        .collect();
    assert!(
        d.grids
            .iter()
            .all(|g| villages.contains(g.community_code()))
    );
    assert_eq!(by_village.len(), villages.len());
    for (village, grids) in by_village {
        assert_partition(village, &region(d, village).area, &grids);
    }
}

#[test]
fn micro_grids_partition_their_parent() {
    let d = city();
    let by_code: BTreeMap<&str, &Grid> = d.grids.iter().map(|g| (g.code.as_str(), g)).collect();
    let mut children: BTreeMap<&str, Vec<&MultiPolygon>> = BTreeMap::new();
    for g in d.grids.iter().filter(|g| g.parent_code.is_some()) {
        let parent_code = g.parent_code.as_deref().expect("micro-grid");
        let parent = by_code.get(parent_code).expect("the parent grid exists");
        assert!(
            parent.parent_code.is_none(),
            "micro-grids nest one level only"
        );
        let inside = area_m2(&g.area.intersection(&parent.area));
        assert!(
            inside >= 0.999 * area_m2(&g.area),
            "{} lies outside its parent",
            g.code
        );
        children.entry(parent_code).or_default().push(&g.area);
    }
    for (parent, kids) in &children {
        assert!((2..=3).contains(&kids.len()));
        assert_partition(parent, &by_code[parent].area, kids);
        let households: u32 = d
            .grids
            .iter()
            .filter(|g| g.parent_code.as_deref() == Some(*parent))
            .map(|g| g.households)
            .sum();
        assert_eq!(
            households, by_code[parent].households,
            "{parent}: households"
        );
    }
}

#[test]
fn buildings_and_events_lie_inside_grids() {
    let d = city();
    let grids = top_grids(d);
    let rects: Vec<Rect> = grids
        .iter()
        .map(|g| g.area.bounding_rect().expect("grid has an area"))
        .collect();
    let county = &region(d, COUNTY_CODE).area;
    for b in d.buildings.iter().step_by(25) {
        assert!(
            grid_holding(&grids, &rects, b.location.0).is_some(),
            "building {} is in no grid",
            b.id
        );
    }
    for e in d.events.iter().step_by(25) {
        assert!(
            county.contains(&e.location),
            "event {} outside the county",
            e.id
        );
        assert!(
            grid_holding(&grids, &rects, e.location.0).is_some(),
            "event {} is in no grid",
            e.id
        );
    }
    for c in d.cameras.iter().step_by(10) {
        assert!(
            county.contains(&c.location),
            "camera {} outside the county",
            c.code
        );
    }
}

#[test]
fn grid_totals_are_the_sums_of_their_buildings() {
    let d = city();
    let top = top_grids(d);
    let households: u64 = top.iter().map(|g| u64::from(g.households)).sum();
    let population: u64 = top.iter().map(|g| u64::from(g.population)).sum();
    assert_eq!(
        households,
        d.buildings
            .iter()
            .map(|b| u64::from(b.households))
            .sum::<u64>()
    );
    assert_eq!(
        population,
        d.buildings
            .iter()
            .map(|b| u64::from(b.residents))
            .sum::<u64>()
    );
    assert!(top.iter().all(|g| g.households > 0));
}

#[test]
fn every_grid_has_a_leader_and_streets_have_police() {
    let d = city();
    let mut leaders: BTreeMap<&str, usize> = BTreeMap::new();
    let mut police = 0;
    for w in &d.workers {
        for a in &w.grids {
            match a.duty {
                Duty::Leader => *leaders.entry(a.grid.as_str()).or_default() += 1,
                Duty::Police => police += 1,
                _ => {}
            }
        }
    }
    assert!(
        d.grids
            .iter()
            .all(|g| leaders.get(g.code.as_str()) == Some(&1))
    );
    assert!(police >= top_grids(d).len());
}

#[test]
fn events_cover_one_year_with_an_evening_peak() {
    let d = city();
    let first = d.events.first().expect("events").occurred_at;
    let last = d.events.last().expect("events").occurred_at;
    assert_eq!(first.format("%Y-%m").to_string(), "2025-10"); // 2025-11-01 local is still Oct 31 UTC
    assert!(last.format("%Y-%m-%d").to_string().as_str() <= "2026-10-31");
    let local_hour = |e: &Event| {
        (e.occurred_at
            .format("%H")
            .to_string()
            .parse::<u32>()
            .expect("hour")
            + 8)
            % 24
    };
    let evening = d
        .events
        .iter()
        .filter(|e| (18..=23).contains(&local_hour(e)))
        .count();
    let small_hours = d
        .events
        .iter()
        .filter(|e| (2..=5).contains(&local_hour(e)))
        .count();
    assert!(
        evening > 5 * small_hours,
        "evening {evening}, small hours {small_hours}"
    );
}

/// Run with `--nocapture` to see the timing (printed when the shared city is built).
#[test]
fn generate_timing() {
    let t = Instant::now();
    let d = generate().expect("the sample generates");
    println!(
        "generate() took {:?} ({} events)",
        t.elapsed(),
        d.events.len()
    );
}
