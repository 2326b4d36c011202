//! Coverage figures agree with an independent computation in PostGIS: for the 40 grids of the
//! Dongyang sample nearest the city centre, the camera polygons that safegrid overlays are
//! exported as geometries, and PostGIS computes, per grid,
//! `ST_Area(ST_Intersection(grid, ST_Union(online sectors))::geography)` (seen by ≥ 1), the same
//! over the union of pairwise intersections (seen by ≥ 2) and over every sector (were every
//! camera online). Each area agrees within 0.5 %.

use geo::{BoundingRect, Coord};
use safegrid::analysis::coverage::{self, Target};
use safegrid::domain::geometry::area_to_geojson;
use safegrid::domain::{CameraStatus, Item};
use safegrid::spatial::{Snapshot, visibility};

use crate::common::new_pg_database;

/// Grids compared.
const GRIDS: usize = 40;

const SQL: &str = "
select g.code,
  st_area(g.geom::geography),
  coalesce((select st_area(st_intersection(g.geom, st_union(s.geom))::geography)
              from t_sector s where s.online and st_intersects(s.geom, g.geom)), 0),
  coalesce((select st_area(st_intersection(g.geom, st_union(st_collectionextract(st_intersection(a.geom, b.geom), 3)))::geography)
              from t_sector a join t_sector b on a.code < b.code and st_intersects(a.geom, b.geom)
             where a.online and b.online and st_intersects(a.geom, g.geom) and st_intersects(b.geom, g.geom)), 0),
  coalesce((select st_area(st_intersection(g.geom, st_union(s.geom))::geography)
              from t_sector s where st_intersects(s.geom, g.geom)), 0)
from t_grid g order by g.code";

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 0.005 * theirs.max(ours) + 0.5
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_agrees_with_postgis_st_area_of_the_intersection() {
    let Some(db) = new_pg_database().await else {
        return;
    };
    let data = safegrid::sample::generate().expect("sample");
    let snapshot = Snapshot::build(data, 1);
    let centre = Coord {
        x: 120.24,
        y: 29.29,
    };
    let mut grids: Vec<_> = snapshot.grids.iter().collect();
    grids.sort_by(|a, b| {
        let d = |g: &&safegrid::domain::Grid| {
            let c = g.area.bounding_rect().map_or(centre, geo::Rect::center);
            (c.x - centre.x).hypot(c.y - centre.y)
        };
        d(a).total_cmp(&d(b))
    });
    grids.truncate(GRIDS);
    let ours: Vec<_> = grids
        .iter()
        .map(|g| coverage::target_coverage(&snapshot, Target::Area(&g.area)))
        .collect();
    let offline_somewhere = ours.iter().any(|c| c.cameras_offline > 0);
    let overlapping = ours.iter().filter(|c| c.seen_2plus > 0.0).count();

    // Every camera whose reach meets one of the grids, with the polygon safegrid overlays.
    let mut sectors: Vec<(String, bool, String)> = Vec::new();
    for camera in snapshot.cameras.iter() {
        let Some(reach) = safegrid::spatial::index::Spatial::envelope(camera) else {
            continue;
        };
        if !grids.iter().any(|g| {
            g.area
                .bounding_rect()
                .is_some_and(|r| geo::Intersects::intersects(&r, &reach))
        }) {
            continue;
        }
        let area = visibility::camera_coverage(&snapshot, camera).area;
        if area.0.is_empty() {
            continue;
        }
        sectors.push((
            camera.code.clone(),
            camera.status == CameraStatus::Online,
            area_to_geojson(&area).to_string(),
        ));
    }
    assert!(sectors.len() > 50, "{} sectors", sectors.len());

    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    for sql in [
        "create extension if not exists postgis",
        "create table t_grid (code text primary key, geom geometry(MultiPolygon, 4326))",
        "create table t_sector (code text primary key, online bool, geom geometry(MultiPolygon, 4326))",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    sqlx::query(
        "insert into t_grid select code, st_multi(st_setsrid(st_geomfromgeojson(geom), 4326))
           from unnest($1::text[], $2::text[]) as t(code, geom)",
    )
    .bind(grids.iter().map(|g| g.code.clone()).collect::<Vec<_>>())
    .bind(
        grids
            .iter()
            .map(|g| g.geometry().map(|x| x.to_string()).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .execute(&pool)
    .await
    .expect("grids");
    sqlx::query(
        "insert into t_sector select code, online, st_multi(st_setsrid(st_geomfromgeojson(geom), 4326))
           from unnest($1::text[], $2::bool[], $3::text[]) as t(code, online, geom)",
    )
    .bind(sectors.iter().map(|s| s.0.clone()).collect::<Vec<_>>())
    .bind(sectors.iter().map(|s| s.1).collect::<Vec<_>>())
    .bind(sectors.iter().map(|s| s.2.clone()).collect::<Vec<_>>())
    .execute(&pool)
    .await
    .expect("sectors");
    let rows: Vec<(String, f64, f64, f64, f64)> = sqlx::query_as(SQL)
        .fetch_all(&pool)
        .await
        .expect("postgis coverage");
    pool.close().await;

    assert_eq!(rows.len(), grids.len());
    let mut seen_somewhere = 0;
    for (code, area, seen, seen2, seen_all) in rows {
        let i = grids
            .iter()
            .position(|g| g.code == code)
            .expect("same grids");
        let c = &ours[i];
        assert!(close(c.size, area), "{code}: area {} vs {area}", c.size);
        assert!(close(c.seen, seen), "{code}: seen {} vs {seen}", c.seen);
        assert!(
            close(c.seen_2plus, seen2),
            "{code}: seen by 2+ {} vs {seen2}",
            c.seen_2plus
        );
        assert!(
            close(c.seen_if_all_online, seen_all),
            "{code}: seen if all online {} vs {seen_all}",
            c.seen_if_all_online
        );
        let share = 100.0 * seen / area;
        assert!(
            (c.share() - share).abs() <= 0.005 * share.max(1.0),
            "{code}: share {} vs {share}",
            c.share()
        );
        seen_somewhere += usize::from(seen > 0.0);
    }
    assert!(
        seen_somewhere > GRIDS / 2,
        "most central grids have cameras: {seen_somewhere}"
    );
    assert!(overlapping > 5, "some grids are seen twice: {overlapping}");
    eprintln!(
        "{GRIDS} grids, {} sectors, offline cameras present: {offline_somewhere}",
        sectors.len()
    );
    db.drop_db().await;
}
