//! Property tests of the write path: after thousands of random incremental changes, each layer
//! index and each raster answers exactly as one built from scratch, and as the brute-force
//! reference — compactions installed late (as the service installs them) included.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};

use crate::domain::{AnyItem, Item};
use crate::domain::{Building, Camera, CameraKind, CameraStatus, Dataset, Grid, GridKind, Layer};

use super::Snapshot;
use super::index::{LayerChange, LayerIndex};
use super::locate::{
    cameras_seeing, cameras_seeing_by_tree, grid_at, grid_at_by_tree, grid_at_each,
};
use crate::sample::rng::Rng;

/// A point in a 0.05° square near Dongyang.
fn spot(rng: &mut Rng) -> Coord {
    Coord {
        x: 120.2 + 0.05 * rng.f64(),
        y: 29.2 + 0.05 * rng.f64(),
    }
}

fn building(id: usize, at: Coord) -> Building {
    Building {
        id: format!("B{id:04}"),
        address: String::new(),
        households: 1,
        residents: 1,
        location: Point(at),
    }
}

fn keys<'a>(items: impl Iterator<Item = &'a Building>) -> Vec<String> {
    let mut k: Vec<String> = items.map(|b| b.id.clone()).collect();
    k.sort();
    k
}

#[test]
fn a_layer_index_after_random_changes_answers_as_one_built_from_scratch() {
    random_changes_answer_as_built_from_scratch(Some(97));
}

/// Without compactions the delta's open run is sealed again and again (about 18,000 changes,
/// runs of `RUN`) and the sealed runs are merged past `MAX_RUNS`.
#[test]
fn a_layer_index_never_compacted_answers_as_one_built_from_scratch() {
    random_changes_answer_as_built_from_scratch(None);
}

/// Random puts and deletes over 600 keys, checked every 40 steps against the truth and an index
/// built from scratch; a compaction is taken every `compact_every` steps and installed five
/// steps later, as the service does.
fn random_changes_answer_as_built_from_scratch(compact_every: Option<usize>) {
    let mut rng = Rng::new(7);
    let mut index: LayerIndex<Building> = LayerIndex::new(Vec::new());
    let mut truth = std::collections::BTreeMap::<String, Building>::new();
    let mut pending = None;
    for step in 0..4_000 {
        let n = 1 + rng.below(8);
        let changes: Vec<LayerChange<Building>> = (0..n)
            .map(|_| {
                let id = rng.below(600);
                if rng.below(4) == 0 {
                    LayerChange::Delete(format!("B{id:04}"))
                } else {
                    LayerChange::Put(building(id, spot(&mut rng)))
                }
            })
            .collect();
        for c in &changes {
            match c {
                LayerChange::Put(b) => {
                    truth.insert(b.id.clone(), b.clone());
                }
                LayerChange::Delete(k) => {
                    truth.remove(k);
                }
            }
        }
        index = index.with_changes(changes);
        if let Some(every) = compact_every
            && step % every == 0
        {
            pending = Some(index.compacted());
        } else if compact_every.is_some_and(|every| step % every == 5)
            && let Some(base) = pending.take()
        {
            index = index.with_base(base);
        }
        if step % 40 != 0 {
            continue;
        }
        let fresh = LayerIndex::new(truth.values().cloned().collect());
        assert_eq!(index.len(), truth.len(), "step {step}");
        let listed: Vec<&str> = index.iter().map(|b| b.id.as_str()).collect();
        let want: Vec<&str> = truth.keys().map(String::as_str).collect();
        assert_eq!(listed, want, "step {step}: key order");
        for _ in 0..20 {
            let (a, b) = (spot(&mut rng), spot(&mut rng));
            let rect = Rect::new(a, b);
            let brute = keys(truth.values().filter(|b| {
                let c = b.location.0;
                c.x >= rect.min().x
                    && c.x <= rect.max().x
                    && c.y >= rect.min().y
                    && c.y <= rect.max().y
            }));
            assert_eq!(keys(index.intersecting(rect)), brute, "step {step}");
            assert_eq!(keys(fresh.intersecting(rect)), brute, "step {step}");
        }
        for b in truth.values().take(20) {
            assert_eq!(index.get(&b.id).map(|x| x.location), Some(b.location));
            let at: Vec<String> = keys(index.candidates_at(b.location.0));
            assert!(at.contains(&b.id), "step {step}: {} at its own point", b.id);
        }
    }
}

fn rect_area(a: Coord, w: f64, h: f64) -> MultiPolygon {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![
            (a.x, a.y),
            (a.x + w, a.y),
            (a.x + w, a.y + h),
            (a.x, a.y + h),
            (a.x, a.y),
        ]),
        vec![],
    )])
}

fn triangle(a: Coord, s: f64) -> MultiPolygon {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![
            (a.x, a.y),
            (a.x + s, a.y + 0.3 * s),
            (a.x + 0.4 * s, a.y + s),
            (a.x, a.y),
        ]),
        vec![],
    )])
}

fn grid(serial: usize, rng: &mut Rng) -> Grid {
    let at = spot(rng);
    let size = 0.001 + 0.01 * rng.f64();
    Grid {
        code: format!("330783001014{serial:03}"),
        name: String::new(),
        kind: GridKind::Residential,
        households: 0,
        population: 0,
        // Some micro-grids, which the raster leaves out.
        parent_code: (rng.below(10) == 0).then(|| "330783001014999".to_owned()),
        area: if rng.below(2) == 0 {
            rect_area(at, size, size * (0.5 + rng.f64()))
        } else {
            triangle(at, size)
        },
    }
}

fn camera(serial: usize, rng: &mut Rng) -> Camera {
    let ptz = rng.below(4) == 0;
    Camera {
        code: format!("330783000013200{serial:05}"),
        name: String::new(),
        height_m: 6.0,
        azimuth_deg: 360.0 * rng.f64(),
        hfov_deg: 30.0 + 90.0 * rng.f64(),
        range_m: 30.0 + 150.0 * rng.f64(),
        tilt_deg: None,
        vfov_deg: None,
        kind: if ptz {
            CameraKind::Ptz
        } else {
            CameraKind::Fixed
        },
        status: CameraStatus::Online,
        status_since: None,
        location: Point(spot(rng)),
    }
}

/// The snapshot's fast answers (rasters) against its reference answers (R-tree and exact
/// tests) at random points and at the items' own places.
fn assert_rasters_exact(s: &Snapshot, rng: &mut Rng, step: usize) {
    let mut points: Vec<Coord> = (0..300).map(|_| spot(rng)).collect();
    points.extend(
        s.grids
            .iter()
            .filter_map(|g| g.area.0[0].exterior().0.first().copied()),
    );
    points.extend(s.cameras.iter().map(|c| c.location.0));
    let batched: Vec<Option<&Grid>> = grid_at_each(s, &points).collect();
    for (p, each) in points.into_iter().zip(batched) {
        assert_eq!(
            each.map(|g| g.code.as_str()),
            grid_at(s, p).map(|g| g.code.as_str()),
            "step {step}: batched grid at ({}, {})",
            p.x,
            p.y
        );
        assert_eq!(
            grid_at(s, p).map(|g| g.code.as_str()),
            grid_at_by_tree(s, p).map(|g| g.code.as_str()),
            "step {step}: grid at ({}, {})",
            p.x,
            p.y
        );
        let mut fast: Vec<&str> = cameras_seeing(s, p).map(|(c, _)| c.code.as_str()).collect();
        let mut slow: Vec<&str> = cameras_seeing_by_tree(s, p)
            .map(|(c, _)| c.code.as_str())
            .collect();
        fast.sort_unstable();
        slow.sort_unstable();
        assert_eq!(fast, slow, "step {step}: cameras at ({}, {})", p.x, p.y);
    }
}

#[test]
fn patched_rasters_answer_exactly_after_random_grid_and_camera_changes() {
    let mut rng = Rng::new(2026);
    let data = Dataset {
        grids: (0..40).map(|i| grid(i, &mut rng)).collect(),
        cameras: (0..60).map(|i| camera(i, &mut rng)).collect(),
        ..Dataset::default()
    };
    let mut s = Snapshot::build(data, 1);
    for step in 0..1_500 {
        let (mut puts, mut deletes): (Vec<AnyItem>, Vec<(Layer, String)>) = (vec![], vec![]);
        for _ in 0..=rng.below(3) {
            match rng.below(6) {
                0 => puts.push(AnyItem::Grid(grid(rng.below(80), &mut rng))),
                1 => deletes.push((Layer::Grid, format!("330783001014{:03}", rng.below(80)))),
                2 | 3 => puts.push(AnyItem::Camera(camera(rng.below(120), &mut rng))),
                4 => {
                    // A status report: the same view, another status.
                    let key = format!("330783000013200{:05}", rng.below(120));
                    if let Some(c) = s.cameras.get(&key) {
                        let mut c = c.clone();
                        c.status = CameraStatus::Offline;
                        puts.push(AnyItem::Camera(c));
                    }
                }
                _ => deletes.push((
                    Layer::Camera,
                    format!("330783000013200{:05}", rng.below(120)),
                )),
            }
        }
        s = s.with_changes(&puts, &deletes);
        if step % 150 == 0 {
            for layer in s.layers_to_compact() {
                s = s.with_compaction(s.compact(layer));
            }
        }
        if step % 50 == 0 {
            assert_rasters_exact(&s, &mut rng, step);
            // And the same as a snapshot built from scratch from the same items.
            let fresh = Dataset {
                grids: s.grids.iter().cloned().collect(),
                cameras: s.cameras.iter().cloned().collect(),
                ..Dataset::default()
            };
            let fresh = Snapshot::build(fresh, 1);
            for _ in 0..200 {
                let p = spot(&mut rng);
                assert_eq!(
                    grid_at(&s, p).map(Item::key),
                    grid_at(&fresh, p).map(Item::key),
                    "step {step}"
                );
                let mut a: Vec<&str> = cameras_seeing(&s, p)
                    .map(|(c, _)| c.code.as_str())
                    .collect();
                let mut b: Vec<&str> = cameras_seeing(&fresh, p)
                    .map(|(c, _)| c.code.as_str())
                    .collect();
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "step {step}");
            }
        }
    }
    assert!(s.grids.len() > 10 && s.cameras.len() > 10);
}

#[test]
fn a_camera_far_outside_the_raster_builds_it_anew_and_stays_exact() {
    let mut rng = Rng::new(11);
    let data = Dataset {
        cameras: (0..20).map(|i| camera(i, &mut rng)).collect(),
        ..Dataset::default()
    };
    let s = Snapshot::build(data, 1);
    let mut far = camera(99, &mut rng);
    far.location = Point::new(121.5, 30.5);
    let s = s.with_changes(&[AnyItem::Camera(far.clone())], &[]);
    let seen: Vec<&str> = cameras_seeing(
        &s,
        Coord {
            x: 121.5001,
            y: 30.5,
        },
    )
    .map(|(c, _)| c.code.as_str())
    .collect();
    let by_tree: Vec<&str> = cameras_seeing_by_tree(
        &s,
        Coord {
            x: 121.5001,
            y: 30.5,
        },
    )
    .map(|(c, _)| c.code.as_str())
    .collect();
    assert_eq!(seen, by_tree);
    assert_rasters_exact(&s, &mut rng, 0);
}

fn worker(id: usize, grids: &[(usize, crate::domain::Duty)]) -> crate::domain::Worker {
    crate::domain::Worker {
        id: format!("W{id:03}"),
        name: format!("网格员{id}"),
        role: crate::domain::WorkerRole::FullTime,
        phone: None,
        grids: grids
            .iter()
            .map(|&(g, duty)| crate::domain::Assignment {
                grid: format!("330783001014{g:03}"),
                duty,
            })
            .collect(),
    }
}

#[test]
fn grid_workers_patched_by_random_worker_changes_are_those_built_from_scratch() {
    use crate::domain::Duty;
    let duties = [Duty::Leader, Duty::FullTime, Duty::PartTime];
    let mut rng = Rng::new(11);
    let mut s = Snapshot::default();
    for step in 0..2_000 {
        let n = 1 + rng.below(4);
        let mut puts = Vec::new();
        let mut deletes = Vec::new();
        for _ in 0..n {
            let id = rng.below(80);
            if rng.below(5) == 0 {
                deletes.push((Layer::Worker, format!("W{id:03}")));
            } else {
                let grids: Vec<(usize, Duty)> = (0..rng.below(4))
                    .map(|_| (1 + rng.below(12), duties[rng.below(3)]))
                    .collect();
                puts.push(AnyItem::Worker(worker(id, &grids)));
            }
        }
        s = s.with_changes(&puts, &deletes);
        let fresh = Snapshot::build(
            Dataset {
                workers: s.workers.iter().cloned().collect(),
                ..Dataset::default()
            },
            0,
        );
        assert_eq!(*s.grid_workers, *fresh.grid_workers, "step {step}");
    }
    assert!(!s.grid_workers.is_empty());
}
