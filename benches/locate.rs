//! Point-location benchmark: safegrid beside PostGIS, on the same data, in the same run.
//!
//! Run it with `scripts/bench` (or `cargo bench --bench locate`). It prints one markdown table
//! (figure | safegrid | PostGIS | ratio | target | met?) on stdout and its progress on stderr.
//! "ratio" is always how many times safegrid is better (rates: ours / theirs; latencies:
//! theirs / ours).
//!
//! # Data and points
//! The Dongyang sample (`safegrid::sample::generate()`, ~2,000 grids, ~20,000 cameras) is
//! seeded into a temporary SQLite file, exactly as `safegrid seed` does. Query points are drawn
//! by a fixed-seed xorshift PRNG, uniformly over the county's bounding box (120.07–120.74 E,
//! 28.96–29.50 N; some fall outside the county). In-process figures use the first
//! [`IN_PROCESS_POINTS`]; PostGIS gets the first [`PG_POINTS`] of the same sequence, so the
//! hit counts on those can be compared one to one.
//!
//! # What is measured
//! - **point→grid in process**: `spatial::locate::grid_at` (the top-level grid by the shared-edge
//!   rule) on 1 and 2 threads (`std::thread::scope`), best of two runs. PostGIS: the same points
//!   in a table, counted against `grid` (the store's own table and GiST index) with `ST_Covers`
//!   under several plans (planner's choice, unindexed points, LATERAL per grid, LATERAL per
//!   point with the lowest code, no parallel workers); the best plan is the baseline.
//! - **point→cameras in process**: for each point, the cameras whose field of view holds it
//!   (`spatial::locate::cameras_seeing`: R-tree candidates + the sector test), counted as (point, camera) pairs. PostGIS:
//!   each camera's sector built here as a polygon (apex + an arc vertex every ≤5°, PTZ and 360°
//!   cameras a 72-gon), metres→degrees with `LocalFrame::metres_to_degrees`, in a table with a
//!   GiST index; pairs counted with `ST_Covers` under several plans. Both pair counts are
//!   printed: the inscribed polygonal arc makes PostGIS's count slightly smaller (~0.1 %).
//! - **HTTP single point**: the real app (`safegrid::api::app` served by `safegrid::api::serve` on
//!   127.0.0.1:0, two runtime workers) answering `GET /api/v1/locate` (the full answer) to a
//!   small keep-alive HTTP/1.1 client written here, at 2 and 8 concurrent connections; the
//!   client runs on its own one-thread runtime. PostGIS: the grid-only lookup
//!   (`select code from grid where parent_code is null and st_covers(...) order by code limit
//!   1`) over a sqlx `PgPool` with as many connections and over one dedicated connection per
//!   client, driven the same way; the table compares against the faster. Rate, p50, p99.
//! - **HTTP batch**: 1,000,000 points to `POST /api/v1/locate` as `{"points": [...]}`, end to
//!   end (serialize the request, send it, receive the whole body), JSON and NDJSON; best of two.
//! - **Start-up**: `Service::start` on the seeded SQLite file (load every layer + build the
//!   index) in a fresh child process (this same binary, re-run with an environment variable),
//!   which then reports its VmRSS from `/proc/self/status`; median time of three runs, the
//!   largest RSS.
//!
//! # PostgreSQL
//! The server URL comes from `SAFEGRID_BENCH_PG_URL` or `SAFEGRID_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The bench creates its own database, loads
//! regions and grids through `safegrid::store::open` + `Store::apply`, and drops the database
//! at the end. Without a reachable server (or without PostGIS) it prints the in-process and
//! HTTP figures and says that PostGIS was skipped.
//!
//! Only loopback traffic; every loop is bounded in count and in time.

// Rates, quantile positions and vertex counts are small positive floats turned into counts.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use common::Report;
use common::http::{Http, IO_TIMEOUT, Load, on_client_thread};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use geo::Coord;
use safegrid::domain::{Camera, Dataset, Layer};
use safegrid::service::Service;
use safegrid::spatial::measure::LocalFrame;
use safegrid::spatial::{Snapshot, locate};
use safegrid::store::{self, Change};
use sqlx::Connection as _;

/// Points for the in-process figures.
const IN_PROCESS_POINTS: usize = 2_000_000;
/// Points for the PostGIS bulk plans (the first ones of the same sequence).
const PG_POINTS: usize = 200_000;
/// Points in one HTTP batch.
const BATCH_POINTS: usize = 1_000_000;
/// Seed of the point generator.
const SEED: u64 = 0x5EED_B0A7;
/// Bounding box of the county: west, south, east, north.
const BBOX: [f64; 4] = [120.07, 28.96, 120.74, 29.50];
/// Measured duration of one single-lookup load phase, after a short warm-up.
const LOAD_SECONDS: f64 = 3.0;
const WARMUP_SECONDS: f64 = 0.3;
/// Upper bound of requests per connection and phase (the phase also ends on time).
const MAX_REQUESTS_PER_CONNECTION: usize = 1_000_000;
/// Concurrency levels of the single-lookup comparison.
const CONCURRENCY: [usize; 2] = [2, 8];
/// Start-up runs (each in a fresh process).
const STARTUP_RUNS: usize = 3;
/// Largest step between two arc vertices of a camera sector polygon, degrees.
const ARC_STEP_DEG: f64 = 5.0;
/// Set in the environment of the start-up child process: the SQLite URL to start from.
const CHILD_ENV: &str = "SAFEGRID_BENCH_STARTUP_CHILD";

fn main() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        startup_child(&url);
        return;
    }
    common::run(run());
}

// ---------------------------------------------------------------------------------------------
// The run

async fn run() -> Report {
    let mut report = Report::new();
    let t = Instant::now();
    let sample = safegrid::sample::generate().expect("the Dongyang sample generates");
    eprintln!(
        "sample: {} grids, {} cameras, generated in {:.2} s",
        sample.grids.len(),
        sample.cameras.len(),
        t.elapsed().as_secs_f64()
    );
    let points = Arc::new(random_points(IN_PROCESS_POINTS));

    // A seeded SQLite file: the HTTP service and the start-up figure load from it.
    let dir = std::env::temp_dir().join(format!("safegrid-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    let sqlite_url = format!("sqlite:{}", dir.join("bench.db").display());
    {
        let t = Instant::now();
        let store = store::open(&sqlite_url).await.expect("SQLite opens");
        let changes: Vec<Change> = sample
            .clone()
            .into_items()
            .into_iter()
            .map(Change::Put)
            .collect();
        store
            .apply(&changes, chrono::Utc::now())
            .await
            .expect("the sample seeds into SQLite");
        eprintln!(
            "seeded {} items into {sqlite_url} in {:.1} s",
            changes.len(),
            t.elapsed().as_secs_f64()
        );
    }

    startup(&mut report, &sqlite_url).await;

    let service = Arc::new(
        Service::start(store::open(&sqlite_url).await.expect("SQLite opens"))
            .await
            .expect("the service starts"),
    );
    let snapshot = service.snapshot();

    let inproc = tokio::task::block_in_place(|| in_process(&snapshot, &points));
    let pg = match postgis(
        &sample,
        &snapshot.cameras.iter().cloned().collect::<Vec<_>>(),
        &points,
    )
    .await
    {
        Ok(pg) => Some(pg),
        Err(e) => {
            eprintln!("PostGIS skipped: {e:#}");
            report.notes.push(format!("PostGIS was skipped: {e:#}."));
            None
        }
    };
    drop(sample);
    let http = http_figures(service.clone(), &points).await;

    inproc.report(pg.as_ref(), &mut report);
    http.report(pg.as_ref(), &mut report);
    if let Some(pg) = &pg {
        pg.notes(&mut report);
    }
    drop((service, snapshot));
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {e}", dir.display());
    }
    report
}

/// Fixed-seed points, uniform over [`BBOX`].
fn random_points(n: usize) -> Vec<Coord> {
    let mut s = SEED;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| Coord {
            x: BBOX[0] + (BBOX[2] - BBOX[0]) * next(),
            y: BBOX[1] + (BBOX[3] - BBOX[1]) * next(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Start-up, in a child process

/// The child: open the store, time `Service::start`, print one line for the parent.
fn startup_child(url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    runtime.block_on(async {
        let t = Instant::now();
        let store = store::open(url)
            .await
            .expect("the seeded SQLite store opens");
        let open_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let service = Service::start(store).await.expect("Service::start");
        let start_ms = t.elapsed().as_secs_f64() * 1e3;
        let grids = service.snapshot().count(Layer::Grid);
        println!(
            "STARTUP open_ms={open_ms:.1} start_ms={start_ms:.1} rss_kb={} hwm_kb={} grids={grids}",
            proc_status_kb("VmRSS:"),
            proc_status_kb("VmHWM:"),
        );
    });
}

/// Runs this binary as the start-up child; kills it after [`IO_TIMEOUT`].
fn run_child(exe: &std::path::Path, sqlite_url: &str) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(exe)
        .env(CHILD_ENV, sqlite_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the start-up child runs");
    let started = Instant::now();
    while child.try_wait().expect("waiting for the child").is_none() {
        if started.elapsed() > IO_TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("the child's output")
}

/// A `kB` field of `/proc/self/status` (0 when unavailable).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn startup(report: &mut Report, sqlite_url: &str) {
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let mut runs: Vec<(f64, f64, f64, f64)> = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let output = tokio::task::block_in_place(|| run_child(&exe, sqlite_url));
        let text = String::from_utf8_lossy(&output.stdout);
        let Some(line) = text.lines().find(|l| l.starts_with("STARTUP ")) else {
            panic!(
                "the start-up child failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let field = |name: &str| -> f64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .expect("the child reports every field")
        };
        runs.push((
            field("open_ms"),
            field("start_ms"),
            field("rss_kb"),
            field("hwm_kb"),
        ));
    }
    let mut starts: Vec<f64> = runs.iter().map(|r| r.1).collect();
    starts.sort_by(f64::total_cmp);
    let median_ms = starts[starts.len() / 2];
    let rss_mb = runs.iter().map(|r| r.2).fold(0.0, f64::max) / 1024.0;
    let hwm_mb = runs.iter().map(|r| r.3).fold(0.0, f64::max) / 1024.0;
    eprintln!("start-up runs (open ms, start ms, rss kB, hwm kB): {runs:?}");
    report.row(
        "start-up: `Service::start` from the seeded SQLite file (s, median of 3)",
        format!("{:.2}", median_ms / 1e3),
        "—",
        "—",
        "< 2 s",
        Some(median_ms < 2000.0),
    );
    report.row(
        "start-up: resident memory after start, VmRSS (MB)",
        format!("{rss_mb:.0}"),
        "—",
        "—",
        "< 500 MB",
        Some(rss_mb < 500.0),
    );
    report.notes.push(format!(
        "Start-up: `Service::start` took {} ms in {STARTUP_RUNS} fresh processes; opening the \
         store (pool + migration check) took a further {} ms; peak RSS (VmHWM) {hwm_mb:.0} MB.",
        starts
            .iter()
            .map(|s| format!("{s:.0}"))
            .collect::<Vec<_>>()
            .join(" / "),
        runs.iter()
            .map(|r| format!("{:.0}", r.0))
            .collect::<Vec<_>>()
            .join(" / "),
    ));
}

// ---------------------------------------------------------------------------------------------
// In process

struct InProcess {
    /// Points per second, by thread count (1, 2).
    grid: [f64; 2],
    cameras: [f64; 2],
    /// Points of the PostGIS subset that fall in a grid.
    grid_hits_pg_subset: usize,
    /// (point, camera) pairs on the PostGIS subset.
    camera_pairs_pg_subset: usize,
    grid_hits: usize,
    camera_pairs: usize,
}

/// Runs `f` over every point on `threads` threads, twice; the better rate and the sum of `f`.
fn throughput(points: &[Coord], threads: usize, f: impl Fn(Coord) -> usize + Sync) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut total = 0;
    for _ in 0..2 {
        let t = Instant::now();
        total = std::thread::scope(|scope| {
            let handles: Vec<_> = points
                .chunks(points.len().div_ceil(threads))
                .map(|chunk| {
                    let f = &f;
                    scope.spawn(move || chunk.iter().map(|p| f(*p)).sum::<usize>())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a worker thread panicked"))
                .sum()
        });
        best = best.min(t.elapsed().as_secs_f64());
    }
    (points.len() as f64 / best, total)
}

fn in_process(snapshot: &Snapshot, points: &[Coord]) -> InProcess {
    let grid_of = |p: Coord| usize::from(locate::grid_at(snapshot, p).is_some());
    let cameras_of = |p: Coord| locate::cameras_seeing(snapshot, p).count();
    let (g1, grid_hits) = throughput(points, 1, grid_of);
    let (g2, _) = throughput(points, 2, grid_of);
    let (c1, camera_pairs) = throughput(points, 1, cameras_of);
    let (c2, _) = throughput(points, 2, cameras_of);
    let subset = &points[..PG_POINTS.min(points.len())];
    let grid_hits_pg_subset = subset.iter().map(|p| grid_of(*p)).sum();
    let camera_pairs_pg_subset = subset.iter().map(|p| cameras_of(*p)).sum();
    eprintln!(
        "in process: grid {:.2} / {:.2} M points/s (1 / 2 threads), {grid_hits} of {} points in a grid; \
         cameras {:.2} / {:.2} M points/s, {camera_pairs} pairs",
        g1 / 1e6,
        g2 / 1e6,
        points.len(),
        c1 / 1e6,
        c2 / 1e6
    );
    InProcess {
        grid: [g1, g2],
        cameras: [c1, c2],
        grid_hits_pg_subset,
        camera_pairs_pg_subset,
        grid_hits,
        camera_pairs,
    }
}

impl InProcess {
    fn report(&self, pg: Option<&PgFigures>, report: &mut Report) {
        let grid_pg = pg.map(|pg| best(&pg.grid_plans));
        let cam_pg = pg.map(|pg| best(&pg.camera_plans));
        for (i, threads) in [1, 2].into_iter().enumerate() {
            report.compare_rate(
                &format!("point→grid, in process, {threads} thread(s) (M points/s)"),
                self.grid[i] / 1e6,
                grid_pg.map(|p| p.rate / 1e6),
                20.0,
            );
        }
        for (i, threads) in [1, 2].into_iter().enumerate() {
            report.compare_rate(
                &format!(
                    "point→cameras (sector test), in process, {threads} thread(s) (M points/s)"
                ),
                self.cameras[i] / 1e6,
                cam_pg.map(|p| p.rate / 1e6),
                10.0,
            );
        }
        if let Some(pg) = pg {
            let agree = |ours: usize, theirs: i64, tolerance: f64| {
                let theirs = theirs as f64;
                let diff = (ours as f64 - theirs).abs() / theirs.max(1.0);
                (
                    format!("{:.4}", ours as f64 / theirs.max(1.0)),
                    diff <= tolerance,
                )
            };
            let (ratio, ok) = agree(self.grid_hits_pg_subset, pg.grid_count, 0.0);
            report.row(
                &format!("agreement: points in a grid, of the {PG_POINTS} PostGIS points"),
                self.grid_hits_pg_subset.to_string(),
                pg.grid_count.to_string(),
                &format!("{ratio} (count ratio)"),
                "equal",
                Some(ok),
            );
            let (ratio, ok) = agree(self.camera_pairs_pg_subset, pg.camera_pairs, 0.005);
            report.row(
                &format!("agreement: (point, camera) pairs on the {PG_POINTS} PostGIS points"),
                self.camera_pairs_pg_subset.to_string(),
                pg.camera_pairs.to_string(),
                &format!("{ratio} (count ratio)"),
                "within 0.5 %",
                Some(ok),
            );
        }
        report.notes.push(format!(
            "In process: {} points ({} in a grid, {} (point, camera) pairs); rates are the better of two runs.",
            IN_PROCESS_POINTS, self.grid_hits, self.camera_pairs
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// PostGIS

struct Plan {
    name: &'static str,
    seconds: f64,
    rate: f64,
    count: i64,
}

struct PgFigures {
    grid_plans: Vec<Plan>,
    camera_plans: Vec<Plan>,
    grid_count: i64,
    camera_pairs: i64,
    camera_vertices: usize,
    planner_grid: String,
    planner_camera: String,
    /// Single grid lookups over a pool, by concurrency.
    single_pooled: Vec<(usize, Load)>,
    /// The same over one dedicated connection per client (no pool), by concurrency.
    single_direct: Vec<(usize, Load)>,
    /// The better of the two by rate, by concurrency: the table's baseline.
    single: Vec<(usize, Load)>,
    postgis_version: String,
}

/// The plan with the highest rate.
fn best(plans: &[Plan]) -> &Plan {
    plans
        .iter()
        .max_by(|a, b| a.rate.total_cmp(&b.rate))
        .expect("at least one plan ran")
}

impl PgFigures {
    fn notes(&self, report: &mut Report) {
        for (what, plans, planner) in [
            ("point→grid", &self.grid_plans, &self.planner_grid),
            ("point→cameras", &self.camera_plans, &self.planner_camera),
        ] {
            let best = best(plans);
            let list = plans
                .iter()
                .map(|p| {
                    format!(
                        "{} {:.3} M/s ({:.2} s, count {})",
                        p.name,
                        p.rate / 1e6,
                        p.seconds,
                        p.count
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            report.notes.push(format!(
                "PostGIS {what} plans on {PG_POINTS} points (better of two runs each): {list}. \
                 Best: **{}**. The planner's own choice: `{planner}`.",
                best.name
            ));
        }
        report.notes.push(format!(
            "PostGIS camera sectors: {} vertices in all (arc vertex every ≤{ARC_STEP_DEG}°, inscribed, \
             so PostGIS's pair count runs a little low). PostGIS {}.",
            self.camera_vertices, self.postgis_version
        ));
    }
}

async fn postgis(
    sample: &Dataset,
    cameras: &[Camera],
    points: &Arc<Vec<Coord>>,
) -> anyhow::Result<PgFigures> {
    let db = common::ScratchDb::create("locate").await?;
    let result = postgis_in(&db.url, sample, cameras, points).await;
    db.drop().await;
    result
}

async fn postgis_in(
    url: &str,
    sample: &Dataset,
    cameras: &[Camera],
    points: &Arc<Vec<Coord>>,
) -> anyhow::Result<PgFigures> {
    let t = Instant::now();
    {
        let store = store::open(url).await?;
        let changes: Vec<Change> = sample
            .clone()
            .into_items()
            .into_iter()
            .filter(|i| matches!(i.layer(), Layer::Region | Layer::Grid))
            .map(Change::Put)
            .collect();
        store.apply(&changes, chrono::Utc::now()).await?;
    }
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("set statement_timeout = '120s'")
        .execute(&mut conn)
        .await?;
    let postgis_version: String = sqlx::query_scalar("select postgis_lib_version()")
        .fetch_one(&mut conn)
        .await?;

    // The points, indexed and not.
    let subset = &points[..PG_POINTS.min(points.len())];
    let lons: Vec<f64> = subset.iter().map(|p| p.x).collect();
    let lats: Vec<f64> = subset.iter().map(|p| p.y).collect();
    for sql in [
        "create unlogged table pts (i int4 primary key, geom geometry(Point, 4326) not null)",
        "create unlogged table pts_plain (i int4 primary key, geom geometry(Point, 4326) not null)",
    ] {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    sqlx::query(
        "insert into pts (i, geom) select i::int4, st_setsrid(st_makepoint(lon, lat), 4326)
           from unnest($1::float8[], $2::float8[]) with ordinality as t(lon, lat, i)",
    )
    .bind(&lons)
    .bind(&lats)
    .execute(&mut conn)
    .await?;
    for sql in [
        "insert into pts_plain select * from pts",
        "create index pts_geom on pts using gist (geom)",
        // The sectors of every camera, as polygons.
        "create unlogged table cam_fov (code text primary key, geom geometry(Polygon, 4326) not null)",
    ] {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    let mut codes = Vec::with_capacity(cameras.len());
    let mut wkts = Vec::with_capacity(cameras.len());
    let mut camera_vertices = 0;
    for c in cameras {
        let ring = sector_ring(c);
        camera_vertices += ring.len() - 1;
        let mut wkt = String::from("POLYGON((");
        for (i, v) in ring.iter().enumerate() {
            if i > 0 {
                wkt.push(',');
            }
            write!(wkt, "{} {}", v.x, v.y).expect("writing to a String");
        }
        wkt.push_str("))");
        codes.push(c.code.clone());
        wkts.push(wkt);
    }
    sqlx::query(
        "insert into cam_fov (code, geom) select code, st_geomfromtext(wkt, 4326)
           from unnest($1::text[], $2::text[]) as t(code, wkt)",
    )
    .bind(&codes)
    .bind(&wkts)
    .execute(&mut conn)
    .await?;
    for sql in [
        "create index cam_fov_geom on cam_fov using gist (geom)",
        "vacuum analyze pts",
        "vacuum analyze pts_plain",
        "vacuum analyze cam_fov",
        "vacuum analyze grid",
    ] {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    eprintln!(
        "PostGIS {postgis_version}: loaded regions, grids, {} points and {} camera sectors in {:.1} s",
        subset.len(),
        cameras.len(),
        t.elapsed().as_secs_f64()
    );

    let grid_join = "select count(*) from pts p join grid g on st_covers(g.geometry, p.geom)
                      where g.parent_code is null";
    let grid_sql: [(&'static str, &'static str, bool); 5] = [
        ("(a) join, planner's choice", grid_join, true),
        ("(b) (a) without parallel workers", grid_join, false),
        (
            "(c) join, points unindexed",
            "select count(*) from pts_plain p join grid g on st_covers(g.geometry, p.geom)
              where g.parent_code is null",
            true,
        ),
        (
            "(d) LATERAL per grid over the indexed points",
            "select coalesce(sum(x.n), 0)::int8 from grid g
               cross join lateral (select count(*) as n from pts p
                                    where st_covers(g.geometry, p.geom)) x
              where g.parent_code is null",
            true,
        ),
        (
            "(e) LATERAL per point, lowest code",
            "select count(x.code) from pts_plain p
               cross join lateral (select g.code from grid g
                                    where g.parent_code is null and st_covers(g.geometry, p.geom)
                                    order by g.code limit 1) x",
            true,
        ),
    ];
    let camera_join = "select count(*) from pts p join cam_fov c on st_covers(c.geom, p.geom)";
    let camera_sql: [(&'static str, &'static str, bool); 4] = [
        ("(a) join, planner's choice", camera_join, true),
        ("(b) (a) without parallel workers", camera_join, false),
        (
            "(c) join, points unindexed",
            "select count(*) from pts_plain p join cam_fov c on st_covers(c.geom, p.geom)",
            true,
        ),
        (
            "(d) LATERAL per camera over the indexed points",
            "select coalesce(sum(x.n), 0)::int8 from cam_fov c
               cross join lateral (select count(*) as n from pts p
                                    where st_covers(c.geom, p.geom)) x",
            true,
        ),
    ];
    let planner_grid = explain(&mut conn, grid_join).await?;
    let planner_camera = explain(&mut conn, camera_join).await?;
    let grid_plans = run_plans(&mut conn, &grid_sql, subset.len()).await?;
    let camera_plans = run_plans(&mut conn, &camera_sql, subset.len()).await?;
    conn.close().await?;
    for (what, plans) in [("grid", &grid_plans), ("camera", &camera_plans)] {
        let counts: Vec<i64> = plans.iter().map(|p| p.count).collect();
        if counts.windows(2).any(|w| w[0] != w[1]) {
            eprintln!("warning: PostGIS {what} plans disagree on the count: {counts:?}");
        }
    }
    let grid_count = grid_plans[0].count;
    let camera_pairs = camera_plans[0].count;

    // Single grid lookups over a pool and over dedicated connections, driven like the HTTP
    // load; the table compares against the faster of the two.
    let mut single_pooled: Vec<(usize, Load)> = Vec::new();
    let mut single_direct: Vec<(usize, Load)> = Vec::new();
    for c in CONCURRENCY {
        for pooled in [true, false] {
            let url = url.to_owned();
            let points = points.clone();
            let load =
                on_client_thread(move || async move { pg_load(&url, c, points, pooled).await })
                    .await?;
            let how = if pooled {
                "PgPool"
            } else {
                "dedicated connections"
            };
            eprintln!("PostGIS single lookups, {how}, c={c}: {load}");
            if pooled {
                single_pooled.push((c, load));
            } else {
                single_direct.push((c, load));
            }
        }
    }
    let single = single_pooled
        .iter()
        .zip(&single_direct)
        .map(|((c, a), (_, b))| {
            (
                *c,
                if a.rate >= b.rate {
                    a.clone()
                } else {
                    b.clone()
                },
            )
        })
        .collect();
    Ok(PgFigures {
        grid_plans,
        camera_plans,
        grid_count,
        camera_pairs,
        camera_vertices,
        planner_grid,
        planner_camera,
        single_pooled,
        single_direct,
        single,
        postgis_version,
    })
}

/// The ring of a camera's field of view: apex + arc, or a 72-gon for a panoramic camera.
fn sector_ring(c: &Camera) -> Vec<Coord> {
    let apex = c.location.0;
    let (per_m_lon, per_m_lat) = LocalFrame::new(apex.x, apex.y).metres_to_degrees(1.0);
    let at = |bearing_deg: f64| {
        let (s, co) = bearing_deg.to_radians().sin_cos();
        Coord {
            x: apex.x + c.range_m * s * per_m_lon,
            y: apex.y + c.range_m * co * per_m_lat,
        }
    };
    if c.is_panoramic() {
        let n = (360.0 / ARC_STEP_DEG).ceil() as usize;
        let mut ring: Vec<Coord> = (0..n).map(|i| at(360.0 * i as f64 / n as f64)).collect();
        ring.push(ring[0]);
        return ring;
    }
    let n = (c.hfov_deg / ARC_STEP_DEG).ceil().max(1.0) as usize;
    let from = c.azimuth_deg - c.hfov_deg / 2.0;
    let mut ring = vec![apex];
    ring.extend((0..=n).map(|i| at(from + c.hfov_deg * i as f64 / n as f64)));
    ring.push(apex);
    ring
}

/// The planner's plan for `sql`, on one line.
async fn explain(conn: &mut sqlx::PgConnection, sql: &str) -> anyhow::Result<String> {
    let lines: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("explain (costs off) {sql}")))
            .fetch_all(&mut *conn)
            .await?;
    Ok(lines
        .iter()
        .map(|l| l.trim().trim_start_matches("-> ").trim())
        .filter(|l| !l.starts_with("Filter:") && !l.starts_with("Index Cond:"))
        .collect::<Vec<_>>()
        .join(" → "))
}

/// Runs each plan twice; keeps the better time.
async fn run_plans(
    conn: &mut sqlx::PgConnection,
    plans: &[(&'static str, &'static str, bool)],
    points: usize,
) -> anyhow::Result<Vec<Plan>> {
    let mut out = Vec::new();
    for &(name, sql, parallel) in plans {
        let workers = if parallel { "default" } else { "0" };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "set max_parallel_workers_per_gather = {workers}"
        )))
        .execute(&mut *conn)
        .await?;
        let mut best = f64::INFINITY;
        let mut count = 0;
        for _ in 0..2 {
            let t = Instant::now();
            count = sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut *conn)
                .await?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        let rate = points as f64 / best;
        eprintln!(
            "PostGIS {name}: {:.3} M points/s ({best:.2} s), count {count}",
            rate / 1e6
        );
        out.push(Plan {
            name,
            seconds: best,
            rate,
            count,
        });
    }
    sqlx::query("reset max_parallel_workers_per_gather")
        .execute(&mut *conn)
        .await?;
    Ok(out)
}

/// Single grid lookups by `c` clients at a time, over a pool of `c` connections or (`pooled`
/// false) over one dedicated connection per client.
async fn pg_load(
    url: &str,
    c: usize,
    points: Arc<Vec<Coord>>,
    pooled: bool,
) -> anyhow::Result<Load> {
    const SQL: &str = "select code from grid where parent_code is null and \
        st_covers(geometry, st_setsrid(st_makepoint($1, $2), 4326)) order by code limit 1";
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(c)?)
        .min_connections(u32::try_from(c)?)
        // A tuned service does not ping the server before every checkout.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    let mut load = Load::default();
    for (seconds, keep) in [(WARMUP_SECONDS, false), (LOAD_SECONDS, true)] {
        let started = Instant::now();
        let stop = started + Duration::from_secs_f64(seconds);
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..c {
            let (pool, points, url) = (pool.clone(), points.clone(), url.to_owned());
            tasks.spawn(async move {
                let mut direct = if pooled {
                    None
                } else {
                    Some(sqlx::PgConnection::connect(&url).await?)
                };
                let mut latencies = Vec::new();
                let mut hits = 0usize;
                let mut i = k;
                while latencies.len() < MAX_REQUESTS_PER_CONNECTION && Instant::now() < stop {
                    let p = points[i % points.len()];
                    i += c;
                    let t = Instant::now();
                    let query = sqlx::query_scalar(SQL).bind(p.x).bind(p.y);
                    let code: Option<String> = match direct.as_mut() {
                        Some(conn) => {
                            tokio::time::timeout(IO_TIMEOUT, query.fetch_optional(conn)).await??
                        }
                        None => {
                            tokio::time::timeout(IO_TIMEOUT, query.fetch_optional(&pool)).await??
                        }
                    };
                    latencies.push(t.elapsed());
                    hits += usize::from(code.is_some());
                }
                anyhow::Ok((latencies, hits))
            });
        }
        let mut all = Vec::new();
        let mut hits = 0;
        while let Some(done) = tasks.join_next().await {
            let (latencies, h) = done??;
            all.extend(latencies);
            hits += h;
        }
        if keep {
            load = Load::from_latencies(all, started.elapsed(), hits);
        }
    }
    pool.close().await;
    Ok(load)
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// Loads by client concurrency, on one line: `c=2: ...; c=8: ...`.
fn by_concurrency(loads: &[(usize, Load)]) -> String {
    loads
        .iter()
        .map(|(c, l)| format!("c={c}: {l}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GET /api/v1/locate` from `c` keep-alive connections.
async fn http_load(addr: SocketAddr, c: usize, points: Arc<Vec<Coord>>) -> Load {
    let mut load = Load::default();
    for (seconds, keep) in [(WARMUP_SECONDS, false), (LOAD_SECONDS, true)] {
        let started = Instant::now();
        let stop = started + Duration::from_secs_f64(seconds);
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..c {
            let points = points.clone();
            tasks.spawn(async move {
                let mut http = Http::connect(addr).await.expect("connect to the app");
                let mut latencies = Vec::new();
                let mut hits = 0usize;
                let mut i = k;
                let mut head = String::new();
                while latencies.len() < MAX_REQUESTS_PER_CONNECTION && Instant::now() < stop {
                    let p = points[i % points.len()];
                    i += c;
                    head.clear();
                    write!(
                        head,
                        "GET /api/v1/locate?lon={}&lat={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                        p.x, p.y
                    )
                    .expect("writing to a String");
                    let t = Instant::now();
                    let (status, body) = http
                        .exchange(head.as_bytes(), &[])
                        .await
                        .expect("the app answers");
                    latencies.push(t.elapsed());
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    hits += usize::from(!body.windows(9).any(|w| w == b"\"grid\":nu"));
                }
                (latencies, hits)
            });
        }
        let mut all = Vec::new();
        let mut hits = 0;
        while let Some(done) = tasks.join_next().await {
            let (latencies, h) = done.expect("a client task panicked");
            all.extend(latencies);
            hits += h;
        }
        if keep {
            load = Load::from_latencies(all, started.elapsed(), hits);
        }
    }
    load
}

/// One batch of `points` to `POST /api/v1/locate`, end to end: (seconds, serialize seconds,
/// response bytes, results).
async fn http_batch(addr: SocketAddr, points: &[Coord], ndjson: bool) -> (f64, f64, usize, usize) {
    let mut http = Http::connect(addr).await.expect("connect to the app");
    let t = Instant::now();
    let pairs: Vec<[f64; 2]> = points.iter().map(|p| [p.x, p.y]).collect();
    let mut body = Vec::with_capacity(points.len() * 42);
    body.extend_from_slice(b"{\"points\":");
    serde_json::to_writer(&mut body, &pairs).expect("points serialize");
    body.push(b'}');
    let serialize = t.elapsed().as_secs_f64();
    let head = format!(
        "POST /api/v1/locate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: {}\r\nContent-Length: {}\r\n\r\n",
        if ndjson {
            "application/x-ndjson"
        } else {
            "application/json"
        },
        body.len()
    );
    let (status, answer) = http
        .exchange(head.as_bytes(), &body)
        .await
        .expect("the app answers the batch");
    let seconds = t.elapsed().as_secs_f64();
    assert_eq!(
        status,
        200,
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(500)])
    );
    let results = if ndjson {
        answer.split(|&b| b == b'\n').count() - 1
    } else {
        let prefix = b"{\"count\":";
        assert!(answer.starts_with(prefix) && answer.ends_with(b"]}"));
        let digits = answer[prefix.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| char::from(b))
            .collect::<String>();
        digits.parse().expect("a count")
    };
    (seconds, serialize, answer.len(), results)
}

struct HttpFigures {
    single: Vec<(usize, Load)>,
    batch: Vec<Batch>,
}

/// The runs of one batch format.
struct Batch {
    label: &'static str,
    best: f64,
    runs: Vec<f64>,
    serialize: f64,
    bytes: usize,
}

async fn http_figures(service: Arc<Service>, points: &Arc<Vec<Coord>>) -> HttpFigures {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a local address");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        safegrid::api::serve(listener, service, async {
            let _ = stop_rx.await;
        })
        .await
    });
    eprintln!("app listening on http://{addr}");

    let mut single = Vec::new();
    for c in CONCURRENCY {
        let points = points.clone();
        let load = on_client_thread(move || async move { http_load(addr, c, points).await }).await;
        eprintln!("HTTP GET /api/v1/locate, c={c}: {load}");
        single.push((c, load));
    }

    let mut batch = Vec::new();
    for (label, ndjson) in [("JSON", false), ("NDJSON", true)] {
        let mut runs = Vec::new();
        let mut last = (0.0, 0);
        for _ in 0..2 {
            let points = points.clone();
            let (seconds, serialize, bytes, results) = on_client_thread(move || async move {
                http_batch(addr, &points[..BATCH_POINTS.min(points.len())], ndjson).await
            })
            .await;
            assert_eq!(results, BATCH_POINTS, "one result per point");
            eprintln!(
                "HTTP batch {label}: {seconds:.2} s (serialize {serialize:.2} s), {bytes} response bytes"
            );
            runs.push(seconds);
            last = (serialize, bytes);
        }
        let best = runs.iter().copied().fold(f64::INFINITY, f64::min);
        batch.push(Batch {
            label,
            best,
            runs,
            serialize: last.0,
            bytes: last.1,
        });
    }

    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(()))) => {}
        other => eprintln!("the app did not stop cleanly: {other:?}"),
    }
    HttpFigures { single, batch }
}

impl HttpFigures {
    fn report(&self, pg: Option<&PgFigures>, report: &mut Report) {
        for (c, ours) in &self.single {
            let theirs = pg.and_then(|pg| pg.single.iter().find(|(k, _)| k == c).map(|(_, l)| l));
            report.compare_rate(
                &format!("GET /api/v1/locate (full answer) vs PostGIS grid lookup, {c} clients (k requests/s)"),
                ours.rate / 1e3,
                theirs.map(|l| l.rate / 1e3),
                1.5,
            );
            for (what, of) in [
                ("p50", (|l: &Load| l.p50_ms) as fn(&Load) -> f64),
                ("p99", |l: &Load| l.p99_ms),
            ] {
                let ours_ms = of(ours);
                let theirs_ms = theirs.map(of);
                let is_p99 = what == "p99";
                report.row(
                    &format!("… {c} clients, {what} latency (ms)"),
                    format!("{ours_ms:.3}"),
                    theirs_ms.map_or_else(|| "skipped".to_owned(), |t| format!("{t:.3}")),
                    &theirs_ms.map_or_else(|| "—".to_owned(), |t| format!("{:.1}×", t / ours_ms)),
                    if is_p99 { "< 2 ms" } else { "—" },
                    is_p99.then_some(ours_ms < 2.0),
                );
            }
        }
        for Batch {
            label,
            best,
            runs,
            serialize,
            bytes,
        } in &self.batch
        {
            report.row(
                &format!(
                    "batch of {BATCH_POINTS} points, POST /api/v1/locate → {label}, end to end (s)"
                ),
                format!("{best:.2}"),
                "—",
                "—",
                "< 2 s",
                Some(*best < 2.0),
            );
            report.notes.push(format!(
                "Batch {label}: runs {} s (best reported); building the request body took {serialize:.2} s; \
                 the answer was {:.0} MB.",
                runs.iter()
                    .map(|s| format!("{s:.2}"))
                    .collect::<Vec<_>>()
                    .join(" / "),
                *bytes as f64 / 1e6
            ));
        }
        let single = by_concurrency(&self.single);
        report.notes.push(format!(
            "HTTP single lookups (the same uniform points, {LOAD_SECONDS} s each after a {WARMUP_SECONDS} s warm-up; \
             client on its own thread, server on 2 runtime workers): {single}."
        ));
        if let Some(pg) = pg {
            let single = by_concurrency(&pg.single);
            let pooled = by_concurrency(&pg.single_pooled);
            let direct = by_concurrency(&pg.single_direct);
            report.notes.push(format!(
                "PostGIS single grid lookups over a sqlx PgPool: {pooled}. Over one dedicated sqlx \
                 connection per client: {direct}. The table compares against the faster: {single}."
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The table

impl Report {
    fn row(
        &mut self,
        figure: &str,
        ours: String,
        theirs: impl Into<String>,
        ratio: &str,
        target: &str,
        met: Option<bool>,
    ) {
        self.push(figure, ours, theirs, ratio, target, met);
    }

    /// A rate row: ours beside theirs (when PostGIS ran), target `min_ratio`×.
    fn compare_rate(&mut self, figure: &str, ours: f64, theirs: Option<f64>, min_ratio: f64) {
        let target = format!("≥ {min_ratio}× PostGIS");
        match theirs {
            Some(theirs) => {
                let ratio = ours / theirs;
                self.row(
                    figure,
                    format!("{ours:.3}"),
                    format!("{theirs:.3}"),
                    &format!("{ratio:.1}×"),
                    &target,
                    Some(ratio >= min_ratio),
                );
            }
            None => self.row(figure, format!("{ours:.3}"), "skipped", "—", &target, None),
        }
    }
}
