//! The grid raster accelerator gives exactly the answer of the plain R-tree + exact test, one
//! point at a time and in batches, on random points of the Dongyang sample and on the hardest
//! points: grid vertices and points on grid edges.

use geo::Coord;

use safegrid::spatial::{Snapshot, locate};

#[test]
fn raster_grid_lookup_equals_tree_lookup_everywhere() {
    let data = safegrid::sample::generate().expect("sample");
    let snapshot = Snapshot::build(data, 1);
    let mut next = crate::common::uniform(0xC0FFEE);
    let mut points: Vec<Coord> = (0..100_000)
        .map(|_| Coord {
            x: 120.05 + 0.72 * next(),
            y: 28.94 + 0.58 * next(),
        })
        .collect();
    for grid in snapshot.grids.iter().step_by(3) {
        for poly in &grid.area.0 {
            for seg in poly.exterior().0.windows(2) {
                points.push(seg[0]);
                let mid = Coord {
                    x: f64::midpoint(seg[0].x, seg[1].x),
                    y: f64::midpoint(seg[0].y, seg[1].y),
                };
                points.push(mid);
                // Just either side of the edge, and a little way in: mixed cells.
                for d in [1e-9, 1e-7, 1e-5, 2e-4] {
                    let (ex, ey) = (seg[1].x - seg[0].x, seg[1].y - seg[0].y);
                    let len = ex.hypot(ey).max(1e-12);
                    for side in [-1.0, 1.0] {
                        points.push(Coord {
                            x: mid.x - side * d * ey / len,
                            y: mid.y + side * d * ex / len,
                        });
                    }
                }
            }
        }
    }
    // Points off the raster and not numbers at all, and a count that is no whole number of
    // batches.
    points.extend([
        Coord { x: 0.0, y: 0.0 },
        Coord { x: 200.0, y: 95.0 },
        Coord {
            x: f64::NAN,
            y: 29.2,
        },
        Coord {
            x: f64::INFINITY,
            y: f64::NEG_INFINITY,
        },
        Coord { x: 120.4, y: 29.2 },
    ]);
    let mut found = 0;
    let batched: Vec<Option<&str>> = locate::grid_at_each(&snapshot, &points)
        .map(|g| g.map(|g| g.code.as_str()))
        .collect();
    assert_eq!(batched.len(), points.len());
    for (p, each) in points.iter().zip(batched) {
        let fast = locate::grid_at(&snapshot, *p).map(|g| g.code.as_str());
        let slow = locate::grid_at_by_tree(&snapshot, *p).map(|g| g.code.as_str());
        assert_eq!(fast, slow, "at ({}, {})", p.x, p.y);
        assert_eq!(each, fast, "batched, at ({}, {})", p.x, p.y);
        found += usize::from(fast.is_some());
    }
    assert!(found > points.len() / 3, "{found} of {}", points.len());
    let whole = snapshot.grid_raster.whole_share();
    assert!(whole > 0.5, "most cells are whole: {whole}");
}

#[test]
fn camera_raster_finds_exactly_the_cameras_the_tree_finds() {
    use safegrid::spatial::measure::LocalFrame;
    let data = safegrid::sample::generate().expect("sample");
    let snapshot = Snapshot::build(data, 1);
    let mut next = crate::common::uniform(0xCA4E5A);
    let mut points: Vec<Coord> = Vec::new();
    for (i, camera) in snapshot.cameras.iter().enumerate().step_by(7) {
        let c = camera.location.0;
        let frame = LocalFrame::new(c.x, c.y);
        let at = |metres: f64, bearing: f64| {
            let b = bearing.to_radians();
            let (x, y) = frame.unproject([metres * b.sin(), metres * b.cos()]);
            Coord { x, y }
        };
        // On the edges of the sector: the range arc and both sides of the field of view.
        for d in [camera.range_m - 0.05, camera.range_m + 0.05] {
            points.push(at(d, camera.azimuth_deg));
        }
        for side in [-1.0, 1.0] {
            for eps in [-0.01, 0.01] {
                let bearing = camera.azimuth_deg + side * (camera.hfov_deg / 2.0 + eps);
                points.push(at(camera.range_m * 0.7, bearing));
            }
        }
        // Random points around the camera.
        for _ in 0..10 {
            points.push(at(250.0 * next(), 360.0 * next()));
        }
        if i > 14_000 {
            break;
        }
    }
    let mut pairs = 0;
    for p in &points {
        let mut fast: Vec<&str> = locate::cameras_seeing(&snapshot, *p)
            .map(|(c, _)| c.code.as_str())
            .collect();
        let mut slow: Vec<&str> = locate::cameras_seeing_by_tree(&snapshot, *p)
            .map(|(c, _)| c.code.as_str())
            .collect();
        fast.sort_unstable();
        slow.sort_unstable();
        assert_eq!(fast, slow, "at ({}, {})", p.x, p.y);
        pairs += fast.len();
    }
    assert!(
        pairs > points.len() / 4,
        "{pairs} pairs over {} points",
        points.len()
    );
}
