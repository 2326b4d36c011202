//! Coverage benchmark: the share of every grid seen by online cameras, computed in memory by
//! safegrid beside PostGIS computing the same figures from the same camera polygons, in the
//! same run.
//!
//! Run it with `scripts/bench coverage` (or `cargo bench --bench coverage`). It prints one
//! markdown table (figure | safegrid | PostGIS | ratio | target | met?) on stdout and its
//! progress on stderr. "ratio" is how many times safegrid is faster.
//!
//! # Data
//! The Dongyang sample (`safegrid::sample::generate()`, about 2,000 grids and 20,000 cameras),
//! indexed with `Snapshot::build` as the service does at start.
//!
//! # What is measured
//! - **safegrid, cold**: `CoverageCache::layer_coverage(Grids)` on a fresh snapshot: every camera's
//!   visible polygon built, then every grid's figures (≥ 1 and ≥ 2 online cameras, if all
//!   online, blind spots), on every core.
//! - **safegrid, polygons cached**: the same after a grid change (camera polygons kept, the
//!   grid table recomputed); **cached**: the table served from the snapshot.
//! - **villages, towns, key areas, patrol routes**: each layer's table after the grid table,
//!   camera polygons built; villages and towns are assembled from the grid and village tables
//!   (the row says how many were). Every eighth village is then computed directly and
//!   compared with its assembled row.
//! - **one grid**: `target_coverage_with` for [`SINGLE_GRIDS`] grids spread over the code
//!   order, one thread, with the polygons built (p50/p99); and cold, building only the nearby
//!   cameras' polygons (p50/p99).
//! - **PostGIS**: the online cameras' polygons, exported from safegrid as geometries (so both
//!   sides use identical sectors), in a table with a GiST index beside the grids;
//!   `ST_Area(ST_Intersection(grid, ST_Union(sectors that intersect it))::geography)` per grid
//!   in one statement, and per grid for the same sample grids as above (one connection,
//!   loopback round trip included).
//! - **agreement**: the largest difference in share (percentage points) between the two sides,
//!   and the largest relative difference of the seen area where it is over 100 m².
//!
//! # PostgreSQL
//! From `SAFEGRID_BENCH_PG_URL` or `SAFEGRID_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the bench creates and drops its own
//! database. Without a server it prints safegrid's figures and says PostGIS was skipped.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use common::{Report, quantile};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use safegrid::analysis::coverage::{self, CameraShapes, CoverageCache, CoverageLayer, Target};
use safegrid::domain::geometry::area_to_geojson;
use safegrid::domain::{Dataset, Item, Layer};
use safegrid::spatial::Snapshot;

/// One cache for the whole run, as a service holds one for all its snapshots.
static CACHE: std::sync::LazyLock<CoverageCache> = std::sync::LazyLock::new(CoverageCache::default);
use sqlx::Connection as _;

/// Grids timed one by one.
const SINGLE_GRIDS: usize = 200;
/// Every how many villages one is checked against the direct overlay.
const VILLAGE_STEP: usize = 8;
/// Time limit of any one PostgreSQL statement.
const STATEMENT_TIMEOUT: &str = "1200s";

fn main() {
    common::run(run());
}

/// safegrid's figures.
struct Ours {
    cold: Duration,
    shapes: Duration,
    polygons_cached: Duration,
    cached: Duration,
    single: Vec<f64>,
    single_cold: Vec<f64>,
    /// Grid code → (area m², seen m²).
    shares: HashMap<String, (f64, f64)>,
    grids: usize,
    cameras: usize,
    lost_over_10: usize,
    /// Other layers: (name, features, assembled from parts, seconds with the camera polygons
    /// built).
    layers: Vec<(&'static str, usize, usize, f64)>,
    /// Villages assembled from grids against the direct overlay: (villages compared, largest
    /// share difference in points, largest relative difference of any seen area).
    villages_vs_direct: (usize, f64, f64),
}

/// PostGIS's figures.
struct Theirs {
    all: Duration,
    single: Vec<f64>,
    shares: HashMap<String, (f64, f64)>,
    version: String,
}

fn single_sample(n: usize) -> Vec<usize> {
    let step = (n / SINGLE_GRIDS).max(1);
    (0..n).step_by(step).take(SINGLE_GRIDS).collect()
}

fn measure_ours(sample: &Dataset) -> (Ours, Snapshot) {
    let snapshot = Snapshot::build(sample.clone(), 1);
    let t = Instant::now();
    let (table, cached) = CACHE.layer_coverage(&snapshot, CoverageLayer::Grids);
    let cold = t.elapsed();
    assert!(!cached);
    let shapes_built = CACHE.camera_shapes(&snapshot).built_in;
    eprintln!(
        "safegrid cold: {:.2} s ({:.2} s camera polygons) for {} grids",
        cold.as_secs_f64(),
        shapes_built.as_secs_f64(),
        table.rows.len()
    );
    let t = Instant::now();
    let (_, cached) = CACHE.layer_coverage(&snapshot, CoverageLayer::Grids);
    let cached_time = t.elapsed();
    assert!(cached);
    // A grid change keeps the camera polygons and drops the grid table.
    let after = snapshot.with_changes(&[], &[(Layer::Grid, "no-such-grid".to_owned())]);
    assert!(CACHE.camera_shapes_ready(&after));
    let t = Instant::now();
    let (again, cached) = CACHE.layer_coverage(&after, CoverageLayer::Grids);
    let polygons_cached = t.elapsed();
    assert!(!cached);
    // The cache keeps one table per layer: put back the one of `snapshot`, measured on next.
    let _ = CACHE.layer_coverage(&snapshot, CoverageLayer::Grids);
    eprintln!(
        "safegrid with polygons cached: {:.2} s",
        polygons_cached.as_secs_f64()
    );
    let grids: Vec<&safegrid::domain::Grid> = snapshot.grids.iter().collect();
    let shapes: std::sync::Arc<CameraShapes> = CACHE.camera_shapes(&snapshot);
    let mut single = Vec::new();
    for &i in &single_sample(grids.len()) {
        let t = Instant::now();
        let c = coverage::target_coverage_with(&snapshot, Target::Area(&grids[i].area), &shapes);
        single.push(t.elapsed().as_secs_f64());
        std::hint::black_box(c);
    }
    let fresh = Snapshot::build(sample.clone(), 2);
    let mut single_cold = Vec::new();
    for &i in &single_sample(grids.len()) {
        let t = Instant::now();
        let c = coverage::target_coverage(&fresh, Target::Area(&grids[i].area));
        single_cold.push(t.elapsed().as_secs_f64());
        std::hint::black_box(c);
    }
    let shares = again
        .rows
        .iter()
        .map(|r| (r.key.clone(), (r.coverage.size, r.coverage.seen)))
        .collect();
    let layers = [
        CoverageLayer::Villages,
        CoverageLayer::Towns,
        CoverageLayer::KeyAreas,
        CoverageLayer::PatrolRoutes,
    ]
    .into_iter()
    .map(|layer| {
        let t = Instant::now();
        let (table, _) = CACHE.layer_coverage(&snapshot, layer);
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "safegrid {}: {secs:.2} s for {} ({} from parts)",
            layer.path(),
            table.rows.len(),
            table.from_parts
        );
        (layer.path(), table.rows.len(), table.from_parts, secs)
    })
    .collect();
    let villages_vs_direct = villages_vs_direct(&snapshot, &shapes);
    let lost_over_10 = again
        .rows
        .iter()
        .filter(|r| r.coverage.lost_points() > 10.0)
        .count();
    (
        Ours {
            cold,
            shapes: shapes_built,
            polygons_cached,
            cached: cached_time,
            single,
            single_cold,
            shares,
            grids: grids.len(),
            cameras: snapshot.cameras.len(),
            lost_over_10,
            layers,
            villages_vs_direct,
        },
        snapshot,
    )
}

/// Every [`VILLAGE_STEP`]-th village of the (assembled) village table against the direct
/// overlay of the village polygon.
fn villages_vs_direct(snapshot: &Snapshot, shapes: &CameraShapes) -> (usize, f64, f64) {
    let t = Instant::now();
    let (table, _) = CACHE.layer_coverage(snapshot, CoverageLayer::Villages);
    let (mut n, mut points, mut rel) = (0, 0.0_f64, 0.0_f64);
    for row in table.rows.iter().step_by(VILLAGE_STEP) {
        let Some(region) = snapshot.regions.get(&row.key) else {
            continue;
        };
        let direct = coverage::target_coverage_with(snapshot, Target::Area(&region.area), shapes);
        let got = &row.coverage;
        n += 1;
        points = points
            .max((got.share() - direct.share()).abs())
            .max((got.share_2plus() - direct.share_2plus()).abs())
            .max((got.share_if_all_online() - direct.share_if_all_online()).abs());
        for (a, b) in [
            (got.size, direct.size),
            (got.seen, direct.seen),
            (got.seen_2plus, direct.seen_2plus),
            (got.seen_if_all_online, direct.seen_if_all_online),
            (
                got.seen_2plus_if_all_online,
                direct.seen_2plus_if_all_online,
            ),
        ] {
            if b > 100.0 {
                rel = rel.max((a - b).abs() / b);
            }
        }
    }
    eprintln!(
        "villages from grids vs direct: {n} villages in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    (n, points, rel)
}

async fn run() -> Report {
    let mut report = Report::new();
    let sample = safegrid::sample::generate().expect("the Dongyang sample generates");
    eprintln!(
        "sample: {} grids, {} cameras ({} online), {} obstacles",
        sample.grids.len(),
        sample.cameras.len(),
        sample
            .cameras
            .iter()
            .filter(|c| c.status == safegrid::domain::CameraStatus::Online)
            .count(),
        sample.obstacles.len()
    );
    let (ours, snapshot) = tokio::task::block_in_place(|| measure_ours(&sample));
    let theirs = match postgis(&snapshot).await {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("PostGIS skipped: {e:#}");
            None
        }
    };
    report.figures(&ours, theirs.as_ref());
    report
}

async fn postgis(snapshot: &Snapshot) -> anyhow::Result<Theirs> {
    let db = common::ScratchDb::create("coverage").await?;
    let result = postgis_in(&db.url, snapshot).await;
    db.drop().await;
    result
}

/// The per-grid coverage statement; `$1` restricts it to some grid codes (null: all).
const COVERAGE_SQL: &str = "
select g.code,
       st_area(g.geom::geography),
       coalesce(st_area(st_intersection(g.geom, u.geom)::geography), 0)
  from t_grid g
  left join lateral (select st_union(s.geom) as geom from t_sector s
                      where s.geom && g.geom and st_intersects(s.geom, g.geom)) u on true
 where $1::text[] is null or g.code = any($1)";

async fn postgis_in(url: &str, snapshot: &Snapshot) -> anyhow::Result<Theirs> {
    let t = Instant::now();
    let mut conn = sqlx::PgConnection::connect(url).await?;
    for sql in [
        "create extension if not exists postgis".to_owned(),
        format!("set statement_timeout = '{STATEMENT_TIMEOUT}'"),
        "create unlogged table t_grid (code text primary key, geom geometry(MultiPolygon, 4326))"
            .to_owned(),
        "create unlogged table t_sector (code text, geom geometry(MultiPolygon, 4326))".to_owned(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    let version: String = sqlx::query_scalar("select postgis_lib_version()")
        .fetch_one(&mut conn)
        .await?;
    let grids: Vec<&safegrid::domain::Grid> = snapshot.grids.iter().collect();
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
    .execute(&mut conn)
    .await?;
    // The online cameras' visible polygons, exactly as safegrid uses them.
    let shapes = CACHE.camera_shapes(snapshot);
    let (mut codes, mut geoms) = (Vec::new(), Vec::new());
    for (i, camera) in snapshot.cameras.iter().enumerate() {
        if let Some(s) = shapes.get(i).filter(|s| s.online) {
            codes.push(camera.code.clone());
            geoms.push(area_to_geojson(&s.area).to_string());
        }
    }
    for (codes, geoms) in codes.chunks(2000).zip(geoms.chunks(2000)) {
        sqlx::query(
            "insert into t_sector select code, st_multi(st_setsrid(st_geomfromgeojson(geom), 4326))
               from unnest($1::text[], $2::text[]) as t(code, geom)",
        )
        .bind(codes)
        .bind(geoms)
        .execute(&mut conn)
        .await?;
    }
    for sql in [
        "create index on t_grid using gist (geom)",
        "create index on t_sector using gist (geom)",
        "vacuum analyze t_grid",
        "vacuum analyze t_sector",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    eprintln!(
        "PostGIS {version}: loaded {} grids and {} sectors in {:.1} s",
        grids.len(),
        codes.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let rows: Vec<(String, f64, f64)> = sqlx::query_as(COVERAGE_SQL)
        .bind(None::<Vec<String>>)
        .fetch_all(&mut conn)
        .await?;
    let all = t.elapsed();
    eprintln!("PostGIS all grids: {:.2} s", all.as_secs_f64());
    let shares = rows.into_iter().map(|(c, a, s)| (c, (a, s))).collect();
    let mut single = Vec::new();
    for &i in &single_sample(grids.len()) {
        let t = Instant::now();
        let _: Vec<(String, f64, f64)> = sqlx::query_as(COVERAGE_SQL)
            .bind(Some(vec![grids[i].code.clone()]))
            .fetch_all(&mut conn)
            .await?;
        single.push(t.elapsed().as_secs_f64());
    }
    conn.close().await.ok();
    Ok(Theirs {
        all,
        single,
        shares,
        version,
    })
}

// ---------------------------------------------------------------------------------------------
// The table

impl Report {
    fn row(
        &mut self,
        figure: &str,
        ours: String,
        theirs: Option<String>,
        ratio: Option<f64>,
        target: &str,
        met: Option<bool>,
    ) {
        self.push(
            figure,
            ours,
            theirs.unwrap_or_else(|| "—".to_owned()),
            common::ratio(ratio),
            target,
            met,
        );
    }

    fn figures(&mut self, o: &Ours, t: Option<&Theirs>) {
        let s = |d: Duration| format!("{:.2}", d.as_secs_f64());
        self.row(
            &format!(
                "all {} grids, {} cameras, cold: camera polygons + overlay (s)",
                o.grids, o.cameras
            ),
            s(o.cold),
            t.map(|t| s(t.all)),
            t.map(|t| t.all.as_secs_f64() / o.cold.as_secs_f64()),
            "< 10 s",
            Some(o.cold.as_secs_f64() < 10.0),
        );
        self.row(
            "… of which camera polygons (s)",
            s(o.shapes),
            None,
            None,
            "—",
            None,
        );
        self.row(
            "all grids, camera polygons cached (s)",
            s(o.polygons_cached),
            t.map(|t| s(t.all)),
            t.map(|t| t.all.as_secs_f64() / o.polygons_cached.as_secs_f64()),
            "—",
            None,
        );
        self.row(
            "all grids, table cached in the snapshot (ms)",
            format!("{:.3}", o.cached.as_secs_f64() * 1e3),
            None,
            None,
            "—",
            None,
        );
        for (name, n, from_parts, secs) in &o.layers {
            let how = if *from_parts > 0 {
                format!(", {from_parts} assembled from the table below")
            } else {
                String::new()
            };
            self.row(
                &format!("all {n} {name}, camera polygons cached{how} (s)"),
                format!("{secs:.2}"),
                None,
                None,
                "—",
                None,
            );
        }
        let (n, points, rel) = o.villages_vs_direct;
        self.row(
            &format!("villages from grids vs direct overlay, {n} villages: largest share difference (points)"),
            format!("{points:.6}"),
            None,
            None,
            "float noise",
            Some(points < 1e-3),
        );
        self.row(
            "… largest relative difference of any area (> 100 m²)",
            format!("{rel:.2e}"),
            None,
            None,
            "float noise",
            Some(rel < 1e-5),
        );
        let ms = |v: &[f64], q: f64| quantile(v, q) * 1e3;
        for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
            self.row(
                &format!("one grid, polygons built, {name} (ms)"),
                format!("{:.2}", ms(&o.single, q)),
                t.map(|t| format!("{:.2}", ms(&t.single, q))),
                t.map(|t| ms(&t.single, q) / ms(&o.single, q)),
                "< 50 ms",
                Some(ms(&o.single, q) < 50.0),
            );
        }
        for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
            self.row(
                &format!("one grid, cold (nearby cameras' polygons built), {name} (ms)"),
                format!("{:.2}", ms(&o.single_cold, q)),
                t.map(|t| format!("{:.2}", ms(&t.single, q))),
                t.map(|t| ms(&t.single, q) / ms(&o.single_cold, q)),
                "< 50 ms",
                Some(ms(&o.single_cold, q) < 50.0),
            );
        }
        if let Some(t) = t {
            let (mut max_points, mut max_rel, mut worst) = (0.0_f64, 0.0_f64, String::new());
            let mut compared = 0;
            for (code, &(area, seen)) in &o.shares {
                let Some(&(their_area, their_seen)) = t.shares.get(code) else {
                    continue;
                };
                compared += 1;
                let points =
                    (100.0 * seen / area - 100.0 * their_seen / their_area.max(1e-9)).abs();
                if points > max_points {
                    max_points = points;
                    worst.clone_from(code);
                }
                if their_seen > 100.0 {
                    max_rel = max_rel.max((seen - their_seen).abs() / their_seen);
                }
            }
            self.row(
                &format!("agreement: largest share difference over {compared} grids (points)"),
                format!("{max_points:.4}"),
                None,
                None,
                "≤ 0.5",
                Some(max_points <= 0.5),
            );
            self.row(
                "agreement: largest relative difference of seen area (> 100 m²)",
                format!("{:.4} %", max_rel * 100.0),
                None,
                None,
                "≤ 0.5 %",
                Some(max_rel <= 0.005),
            );
            self.notes.push(format!(
                "PostGIS {}: `ST_Area(ST_Intersection(grid, ST_Union(sectors))::geography)` per \
                 grid over the online cameras' polygons exported from safegrid; largest share \
                 difference at grid {worst}.",
                t.version
            ));
        } else {
            self.notes.push("PostGIS skipped (no server).".to_owned());
        }
        self.notes.push(format!(
            "Grids that lost more than 10 points of coverage to offline cameras: {}.",
            o.lost_over_10
        ));
    }
}
