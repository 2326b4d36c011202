//! The in-memory index agrees with PostGIS: on thousands of random points of the Dongyang
//! sample, the grid found in memory is the lowest-coded grid PostGIS `ST_Covers`.

use std::sync::Arc;

use safegrid::service::Service;
use safegrid::spatial::locate;

use crate::common::new_pg_database;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_locate_agrees_with_postgis_st_covers() {
    let Some(db) = new_pg_database().await else {
        return;
    };
    let url = db.url.clone();
    let store = safegrid::store::open(&url).await.expect("postgres opens");
    let data = safegrid::sample::generate().expect("sample");
    let changes: Vec<_> = data
        .into_items()
        .into_iter()
        .filter(|i| {
            matches!(
                i.layer(),
                safegrid::domain::Layer::Region | safegrid::domain::Layer::Grid
            )
        })
        .map(safegrid::store::Change::Put)
        .collect();
    store
        .apply(&changes, chrono::Utc::now())
        .await
        .expect("seed");
    let service = Arc::new(Service::start(store).await.expect("start"));
    let snapshot = service.snapshot();

    // Fixed-seed random points over the county's bounding box (some fall outside).
    let mut next = crate::common::uniform(0x5EED);
    let points: Vec<(f64, f64)> = (0..5000)
        .map(|_| (120.07 + 0.67 * next(), 28.96 + 0.54 * next()))
        .collect();
    let lons: Vec<f64> = points.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = points.iter().map(|p| p.1).collect();
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let rows: Vec<(i32, Option<String>)> = sqlx::query_as(
        "select p.i::int4, (select min(g.code) from grid g
                     where g.parent_code is null and st_covers(g.geometry, st_setsrid(st_makepoint(p.lon, p.lat), 4326)))
           from unnest($1::float8[], $2::float8[]) with ordinality as p(lon, lat, i) order by p.i",
    )
    .bind(&lons)
    .bind(&lats)
    .fetch_all(&pool)
    .await
    .expect("postgis query");
    pool.close().await;
    let mut inside = 0;
    for ((i, want), (lon, lat)) in rows.iter().zip(&points) {
        let got =
            locate::grid_at(&snapshot, geo::Coord { x: *lon, y: *lat }).map(|g| g.code.clone());
        assert_eq!(&got, want, "point {i} ({lon}, {lat})");
        inside += usize::from(got.is_some());
    }
    assert!(inside > 2000, "most points fall in some grid: {inside}");
    drop(service);
    db.drop_db().await;
}
