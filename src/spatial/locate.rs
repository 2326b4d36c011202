//! Point location: which regions, grid, micro-grid, workers, cameras, key areas and patrol
//! routes hold or see one point.
//!
//! # The shared-edge rule
//! A point exactly on the boundary between two grids is covered by both closed polygons. It is
//! assigned to exactly one: **the grid with the lowest code among those whose closed polygon
//! covers the point** (PostGIS `ST_Covers` semantics, then the lowest code). The same rule picks
//! one town, one village and one micro-grid.
//!
//! # Which cameras see a point
//! A camera sees a point when the point is in its ground footprint (the sector, annulus sector
//! or disc of [`crate::domain::Camera::ground_span_m`]) and, when an obstacles layer is loaded,
//! no obstacle blocks the sight line from the camera to the point, heights counted
//! ([`super::visibility::sight_blocked`]): exactly when the point is in the camera's visible
//! polygon, shadow outlines aside. Without obstacles the occlusion test is skipped entirely.
//!
//! # Units
//! Input and output coordinates are WGS84 degrees `[lon, lat]`; distances are metres measured in
//! a local tangent plane on the WGS84 ellipsoid (see [`super::measure`]), good to 0.1 % at the
//! distances involved (under 20 km).

use chrono::{DateTime, Utc};
use geo::{Coord, MultiPolygon, Rect};
use serde::Serialize;

use crate::domain::{
    Camera, CameraKind, CameraStatus, Duty, Grid, GridKind, Region, RegionLevel, WorkerRole,
};

use super::geom::covers;
use super::measure::{
    LocalFrame, angle_diff_deg, point_linestring_distance_m, point_rings_distance_m,
};
use super::raster::CellAnswer;
use super::snapshot::Snapshot;
use super::visibility::obstacles_hide;

/// Default search distance for patrol routes near a point, in metres.
pub const DEFAULT_ROUTE_WITHIN_M: f64 = 200.0;
/// Largest accepted search distance for patrol routes, in metres.
pub const MAX_ROUTE_WITHIN_M: f64 = 5_000.0;

/// Whether `camera` sees `p` on the ground, obstacles aside: within its ground footprint
/// (`near..=far` metres, [`Camera::ground_span_m`]) and, unless it is panoramic, within half its
/// field of view of its azimuth. A point at the camera itself is seen unless the camera has a
/// blind zone under it. Returns the distance. [`cameras_seeing`] adds the obstacles.
#[must_use]
pub fn camera_sees(camera: &Camera, p: Coord) -> Option<f64> {
    camera_sees_in(&LocalFrame::new(p.x, p.y), camera)
}

/// [`camera_sees`] for the point at the origin of `frame`, so that one frame serves every
/// candidate camera of a point. Distance and bearing are measured in the point's tangent plane:
/// over a camera's range (at most 2 km) that differs from the ellipsoid by far less than 0.1 %
/// and from the bearing at the camera by under 0.001°.
#[must_use]
pub fn camera_sees_in(frame: &LocalFrame, camera: &Camera) -> Option<f64> {
    let [cx, cy] = frame.project(camera.location.0.x, camera.location.0.y);
    // The vector from the camera to the point.
    let (east, north) = (-cx, -cy);
    let d2 = east * east + north * north;
    let (near, far) = camera.ground_span_m();
    if d2 > far * far || d2 < near * near {
        return None;
    }
    let d = d2.sqrt();
    if camera.is_panoramic() || d < 1e-6 {
        return Some(d);
    }
    let bearing = east.atan2(north).to_degrees().rem_euclid(360.0);
    (angle_diff_deg(bearing, camera.azimuth_deg) <= camera.hfov_deg / 2.0).then_some(d)
}

/// Distance from `p` to the nearest edge of `area` (any ring), in metres.
#[must_use]
pub fn edge_distance_m(area: &MultiPolygon, p: Coord) -> f64 {
    let rings: Vec<&[Coord]> = area
        .0
        .iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .map(|ring| ring.0.as_slice())
        .collect();
    point_rings_distance_m((p.x, p.y), &rings)
}

/// A region holding the point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionHit {
    pub code: String,
    pub name: String,
}

/// A worker of a grid.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkerHit {
    pub id: String,
    pub name: String,
    pub role: WorkerRole,
    pub duty: Duty,
    pub phone: Option<String>,
}

/// A grid holding the point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GridHit {
    pub code: String,
    pub name: String,
    pub kind: GridKind,
    pub parent_code: Option<String>,
    /// Distance to the grid's nearest edge: small values mean the point is near a boundary.
    pub edge_distance_m: f64,
    pub workers: Vec<WorkerHit>,
}

/// A camera that sees the point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CameraHit {
    pub code: String,
    pub name: String,
    pub kind: CameraKind,
    pub status: CameraStatus,
    pub distance_m: f64,
}

/// A key area holding the point, with who answers for it and by when (挂牌督办).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyAreaHit {
    pub id: String,
    pub name: String,
    pub category: crate::domain::KeyAreaCategory,
    pub status: crate::domain::KeyAreaStatus,
    /// Lead department (牵头单位); empty when not recorded.
    pub lead_department: String,
    /// Responsible person (责任人); empty when not recorded.
    pub responsible_person: String,
    pub listed_date: chrono::NaiveDate,
    pub deadline: chrono::NaiveDate,
}

/// A patrol route near the point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteHit {
    pub id: String,
    pub name: String,
    pub team: String,
    pub distance_m: f64,
}

/// Everything that holds or sees one point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Location {
    /// The point, WGS84 `[lon, lat]`.
    pub point: [f64; 2],
    pub town: Option<RegionHit>,
    pub village: Option<RegionHit>,
    /// The grid holding the point (by the shared-edge rule), if any.
    pub grid: Option<GridHit>,
    /// The micro-grid of that grid holding the point, if any.
    pub micro_grid: Option<GridHit>,
    /// Cameras whose field of view holds the point, nearest first (all statuses).
    pub cameras: Vec<CameraHit>,
    pub key_areas: Vec<KeyAreaHit>,
    /// Patrol routes within the requested distance, nearest first.
    pub patrol_routes: Vec<RouteHit>,
}

impl Location {
    /// The workers shown: the grid's, then the micro-grid's.
    pub fn workers(&self) -> impl Iterator<Item = &WorkerHit> {
        self.grid
            .iter()
            .chain(&self.micro_grid)
            .flat_map(|g| &g.workers)
    }

    /// Masks every worker's phone number ([`crate::domain::mask_phone`]).
    pub fn mask_phones(&mut self) {
        for grid in self.grid.iter_mut().chain(&mut self.micro_grid) {
            for w in &mut grid.workers {
                if let Some(phone) = &mut w.phone {
                    *phone = crate::domain::mask_phone(phone);
                }
            }
        }
    }
}

/// What to compute besides the grid.
#[derive(Debug, Clone, Copy)]
pub struct LocateOptions {
    /// Search distance for patrol routes, metres.
    pub route_within_m: f64,
    /// Answer with grid boundaries valid at this time instead of the current ones.
    pub at: Option<DateTime<Utc>>,
}

impl Default for LocateOptions {
    fn default() -> Self {
        Self {
            route_within_m: DEFAULT_ROUTE_WITHIN_M,
            at: None,
        }
    }
}

fn lowest<'a, T>(hits: impl Iterator<Item = &'a T>, code: impl Fn(&T) -> &str) -> Option<&'a T>
where
    T: 'a,
{
    hits.min_by(|a, b| code(a).cmp(code(b)))
}

/// The top-level grid holding `p`, by the shared-edge rule; the fast path used for bulk
/// assignment.
#[must_use]
pub fn grid_at(snapshot: &Snapshot, p: Coord) -> Option<&Grid> {
    grid_in(snapshot, snapshot.grid_raster.at(p), p)
}

/// [`grid_at`] for each of `points`, in order, with the raster read a batch of points at a
/// time ([`super::raster::GridRaster::at_each`]): the path for many points at once (batch
/// location, checks over a layer), several times faster over a province than one point after
/// another.
pub fn grid_at_each<'a>(
    snapshot: &'a Snapshot,
    points: &[Coord],
) -> impl Iterator<Item = Option<&'a Grid>> {
    snapshot
        .grid_raster
        .at_each(points)
        .zip(points)
        .map(|(answer, &p)| grid_in(snapshot, answer, p))
}

/// The top-level grid holding `p`, from what the raster says about `p`'s cell.
fn grid_in<'a>(snapshot: &'a Snapshot, answer: CellAnswer<'a>, p: Coord) -> Option<&'a Grid> {
    match answer {
        CellAnswer::Empty => None,
        CellAnswer::Whole(i) => snapshot.grids.item(i),
        // Candidates come in code order, so the first covering one has the lowest code.
        // A grid is only fetched once the local test keeps it (or cannot decide).
        CellAnswer::Mixed(cell) => cell.candidates(p).find_map(|(slot, local)| match local {
            Some(false) => None,
            Some(true) => snapshot.grids.item(slot),
            None => snapshot.grids.item(slot).filter(|g| covers(&g.area, p)),
        }),
    }
}

/// [`grid_at`] without the raster: R-tree candidates and exact tests only. The
/// reference the accelerator is tested against.
#[must_use]
pub fn grid_at_by_tree(snapshot: &Snapshot, p: Coord) -> Option<&Grid> {
    lowest(
        snapshot
            .grids
            .candidates_at(p)
            .filter(|g| g.parent_code.is_none() && covers(&g.area, p)),
        |g| &g.code,
    )
}

/// The current grid and micro-grid holding `p`.
#[must_use]
pub fn grids_at(snapshot: &Snapshot, p: Coord) -> (Option<&Grid>, Option<&Grid>) {
    let grid = grid_at(snapshot, p);
    let micro = grid.and_then(|g| {
        lowest(
            snapshot.grids.candidates_at(p).filter(|m| {
                m.parent_code.as_deref() == Some(g.code.as_str()) && covers(&m.area, p)
            }),
            |m| &m.code,
        )
    });
    (grid, micro)
}

/// The grid and micro-grid that held `p` at time `at`, from the version history.
#[must_use]
pub fn grids_at_time(
    snapshot: &Snapshot,
    p: Coord,
    at: DateTime<Utc>,
) -> (Option<&Grid>, Option<&Grid>) {
    let valid: Vec<&Grid> = snapshot
        .grid_history
        .candidates_at(p)
        .filter(|v| v.valid_at(at) && covers(&v.grid.area, p))
        .map(|v| &v.grid)
        .collect();
    let grid = lowest(
        valid.iter().copied().filter(|g| g.parent_code.is_none()),
        |g| &g.code,
    );
    let micro = grid.and_then(|g| {
        lowest(
            valid
                .iter()
                .copied()
                .filter(|m| m.parent_code.as_deref() == Some(g.code.as_str())),
            |m| &m.code,
        )
    });
    (grid, micro)
}

/// Cameras whose field of view holds `p` and from which no obstacle hides it, with their
/// distance in metres, in no particular order (through the camera raster; the obstacle
/// test, [`obstacles_hide`], only runs when obstacles exist and only for cameras
/// whose footprint holds the point).
pub fn cameras_seeing(snapshot: &Snapshot, p: Coord) -> impl Iterator<Item = (&Camera, f64)> {
    let frame = LocalFrame::new(p.x, p.y);
    snapshot
        .camera_raster
        .candidates(p)
        .iter()
        .filter_map(|&i| snapshot.cameras.item(i))
        .filter_map(move |c| {
            camera_sees_in(&frame, c)
                .filter(|_| !obstacles_hide(snapshot, c, p))
                .map(|d| (c, d))
        })
}

/// [`cameras_seeing`] without the raster: R-tree candidates and the exact test.
/// The reference the accelerator is tested against.
pub fn cameras_seeing_by_tree(
    snapshot: &Snapshot,
    p: Coord,
) -> impl Iterator<Item = (&Camera, f64)> {
    let frame = LocalFrame::new(p.x, p.y);
    snapshot.cameras.candidates_at(p).filter_map(move |c| {
        camera_sees_in(&frame, c)
            .filter(|_| !obstacles_hide(snapshot, c, p))
            .map(|d| (c, d))
    })
}

/// Codes of the grid and micro-grid holding `p`, now (`at = None`) or at a past time.
#[must_use]
pub fn grid_codes_at(
    snapshot: &Snapshot,
    p: Coord,
    at: Option<DateTime<Utc>>,
) -> (Option<&str>, Option<&str>) {
    let (grid, micro) = match at {
        None => grids_at(snapshot, p),
        Some(at) => grids_at_time(snapshot, p, at),
    };
    (
        grid.map(|g| g.code.as_str()),
        micro.map(|g| g.code.as_str()),
    )
}

/// The region of `level` holding `p`, by the shared-edge rule.
#[must_use]
pub fn region_at(snapshot: &Snapshot, p: Coord, level: RegionLevel) -> Option<&Region> {
    lowest(
        snapshot
            .regions
            .candidates_at(p)
            .filter(|r| r.level() == level && covers(&r.area, p)),
        |r| &r.code,
    )
}

/// Codes of the town and village holding `p`.
#[must_use]
pub fn regions_at(snapshot: &Snapshot, p: Coord) -> (Option<&str>, Option<&str>) {
    (
        region_at(snapshot, p, RegionLevel::Town).map(|r| r.code.as_str()),
        region_at(snapshot, p, RegionLevel::Village).map(|r| r.code.as_str()),
    )
}

/// Everything at `p`.
#[must_use]
pub fn locate(snapshot: &Snapshot, p: Coord, options: LocateOptions) -> Location {
    let region = |level: RegionLevel| {
        region_at(snapshot, p, level).map(|r| RegionHit {
            code: r.code.clone(),
            name: r.name.clone(),
        })
    };
    let (grid, micro_grid) = match options.at {
        None => grids_at(snapshot, p),
        Some(at) => grids_at_time(snapshot, p, at),
    };
    let mut cameras: Vec<CameraHit> = cameras_seeing(snapshot, p)
        .map(|(c, d)| CameraHit {
            code: c.code.clone(),
            name: c.name.clone(),
            kind: c.kind,
            status: c.status,
            distance_m: round_cm(d),
        })
        .collect();
    cameras.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.code.cmp(&b.code))
    });
    let mut key_areas: Vec<KeyAreaHit> = snapshot
        .key_areas
        .candidates_at(p)
        .filter(|k| covers(&k.area, p))
        .map(|k| KeyAreaHit {
            id: k.id.clone(),
            name: k.name.clone(),
            category: k.category,
            status: k.status,
            lead_department: k.lead_department.clone(),
            responsible_person: k.responsible_person.clone(),
            listed_date: k.listed_date,
            deadline: k.deadline,
        })
        .collect();
    key_areas.sort_by(|a, b| a.id.cmp(&b.id));
    Location {
        point: [p.x, p.y],
        town: region(RegionLevel::Town),
        village: region(RegionLevel::Village),
        grid: grid.map(|g| grid_hit(snapshot, g, p)),
        micro_grid: micro_grid.map(|g| grid_hit(snapshot, g, p)),
        cameras,
        key_areas,
        patrol_routes: routes_near(snapshot, p, options.route_within_m),
    }
}

fn grid_hit(snapshot: &Snapshot, g: &Grid, p: Coord) -> GridHit {
    let workers = snapshot
        .grid_workers
        .get(&g.code)
        .map(|ws| {
            ws.iter()
                .filter_map(|(id, duty)| {
                    snapshot.workers.get(id).map(|w| WorkerHit {
                        id: w.id.clone(),
                        name: w.name.clone(),
                        role: w.role,
                        duty: *duty,
                        phone: w.phone.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    GridHit {
        code: g.code.clone(),
        name: g.name.clone(),
        kind: g.kind,
        parent_code: g.parent_code.clone(),
        edge_distance_m: round_cm(edge_distance_m(&g.area, p)),
        workers,
    }
}

fn routes_near(snapshot: &Snapshot, p: Coord, within_m: f64) -> Vec<RouteHit> {
    let frame = LocalFrame::new(p.x, p.y);
    let (dlon, dlat) = frame.metres_to_degrees(within_m);
    let search = Rect::new(
        Coord {
            x: p.x - dlon,
            y: p.y - dlat,
        },
        Coord {
            x: p.x + dlon,
            y: p.y + dlat,
        },
    );
    let mut hits: Vec<RouteHit> = snapshot
        .patrol_routes
        .intersecting(search)
        .filter_map(|r| {
            let d = point_linestring_distance_m((p.x, p.y), &r.line.0);
            (d <= within_m).then(|| RouteHit {
                id: r.id.clone(),
                name: r.name.clone(),
                team: r.team.clone(),
                distance_m: round_cm(d),
            })
        })
        .collect();
    hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
    hits
}

/// Rounds metres to centimetres for output.
fn round_cm(m: f64) -> f64 {
    (m * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CameraKind, CameraStatus};
    use geo::Point;
    use geo::coordinate_position::CoordPos;

    fn camera(azimuth_deg: f64, hfov_deg: f64, range_m: f64, kind: CameraKind) -> Camera {
        Camera {
            code: "33078300001320000001".into(),
            name: String::new(),
            height_m: 5.0,
            azimuth_deg,
            hfov_deg,
            range_m,
            tilt_deg: None,
            vfov_deg: None,
            kind,
            status: CameraStatus::Online,
            status_since: None,
            location: Point::new(120.24, 29.29),
        }
    }

    /// The point `metres` away from the camera at `bearing_deg`.
    fn at(metres: f64, bearing_deg: f64) -> Coord {
        let frame = LocalFrame::new(120.24, 29.29);
        let b = bearing_deg.to_radians();
        let (lon, lat) = frame.unproject([metres * b.sin(), metres * b.cos()]);
        Coord { x: lon, y: lat }
    }

    #[test]
    fn covers_agrees_with_geo_on_random_vertex_and_edge_points() {
        use geo::CoordinatePosition;
        // A concave polygon with a hole and a horizontal edge, plus a second part.
        let area: MultiPolygon = geo::wkt!(MULTIPOLYGON(
            ((0. 0., 10. 0., 10. 10., 6. 10., 5. 4., 4. 10., 0. 10., 0. 0.),
             (2. 2., 3. 2., 3. 3., 2. 3., 2. 2.)),
            ((20. 0., 25. 0., 22. 5., 20. 0.))
        ));
        let mut points: Vec<Coord> = Vec::new();
        let mut s: u64 = 7;
        for _ in 0..20_000 {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let x = ((s >> 33) % 2700) as f64 / 100.0 - 1.0;
            let y = ((s >> 13) % 1200) as f64 / 100.0 - 1.0;
            points.push(Coord { x, y });
        }
        for poly in &area.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for seg in ring.0.windows(2) {
                    points.push(seg[0]);
                    points.push(Coord {
                        x: f64::midpoint(seg[0].x, seg[1].x),
                        y: f64::midpoint(seg[0].y, seg[1].y),
                    });
                }
            }
        }
        for p in points {
            let want = area.coordinate_position(&p) != CoordPos::Outside;
            assert_eq!(covers(&area, p), want, "({}, {})", p.x, p.y);
        }
    }

    #[test]
    fn sector_wraps_through_north() {
        let cam = camera(350.0, 40.0, 100.0, CameraKind::Fixed);
        assert!(
            camera_sees(&cam, at(50.0, 5.0)).is_some(),
            "15° from the azimuth"
        );
        assert!(
            camera_sees(&cam, at(50.0, 331.0)).is_some(),
            "19° from the azimuth"
        );
        assert!(
            camera_sees(&cam, at(50.0, 11.0)).is_none(),
            "21° from the azimuth"
        );
        assert!(
            camera_sees(&cam, at(50.0, 329.0)).is_none(),
            "21° the other way"
        );
        assert!(camera_sees(&cam, at(50.0, 170.0)).is_none(), "behind");
    }

    #[test]
    fn range_boundary_is_inclusive_and_ptz_sees_all_around() {
        let cam = camera(90.0, 60.0, 100.0, CameraKind::Fixed);
        let d = camera_sees(&cam, at(99.9, 90.0)).expect("inside range");
        assert!((d - 99.9).abs() < 0.1, "{d}");
        assert!(camera_sees(&cam, at(100.2, 90.0)).is_none());
        let ptz = camera(0.0, 60.0, 100.0, CameraKind::Ptz);
        for bearing in [0.0, 90.0, 180.0, 270.0, 359.0] {
            assert!(camera_sees(&ptz, at(80.0, bearing)).is_some(), "{bearing}");
        }
        assert!(camera_sees(&ptz, at(120.0, 0.0)).is_none());
        assert!(
            camera_sees(
                &cam,
                Coord {
                    x: 120.24,
                    y: 29.29
                }
            )
            .is_some(),
            "its own spot"
        );
    }

    #[test]
    fn edge_distance_is_zero_on_the_edge_and_metres_inside() {
        let frame = LocalFrame::new(120.0, 29.0);
        let (dlon, dlat) = frame.metres_to_degrees(1000.0);
        let square = MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (120.0, 29.0),
                (120.0 + dlon, 29.0),
                (120.0 + dlon, 29.0 + dlat),
                (120.0, 29.0 + dlat),
                (120.0, 29.0),
            ]),
            vec![],
        )]);
        let centre = Coord {
            x: 120.0 + dlon / 2.0,
            y: 29.0 + dlat / 2.0,
        };
        assert!((edge_distance_m(&square, centre) - 500.0).abs() < 1.0);
        assert!(
            edge_distance_m(
                &square,
                Coord {
                    x: 120.0,
                    y: 29.0 + dlat / 3.0
                }
            ) < 1e-6
        );
        assert!(covers(
            &square,
            Coord {
                x: 120.0,
                y: 29.0 + dlat / 3.0
            }
        ));
    }
}
