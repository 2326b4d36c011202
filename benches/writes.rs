//! Write-path benchmark: event intake, camera status reports and reads during writes over
//! HTTP, beside PostgreSQL + PostGIS doing the same work at the same concurrency, in the same
//! run, with synchronous commit on.
//!
//! Run it with `scripts/bench writes` (or `cargo bench --bench writes`). It prints one markdown
//! table on stdout and its progress on stderr.
//!
//! # What is measured
//! - **Event intake, 32 clients, SQLite**: `POST /api/v1/events` (a GeoJSON Feature; the
//!   service locates its grid, inserts it and answers once the group commit is durable) from
//!   [`CLIENTS`] keep-alive connections, with [`SMALL_LAYER`] and with [`LARGE_LAYER`] events
//!   stored. Rate, p50, p99. PostGIS: the same points from as many connections, each one
//!   `INSERT … SELECT` that finds the grid with `ST_Covers` on a GiST-indexed grid table,
//!   `synchronous_commit = on`, into the event table of safegrid's PostgreSQL store with its
//!   five indexes (as SQLite keeps its own); a note gives the rate into a table without them.
//! - **Camera status, 32 clients**: `POST /api/v1/cameras/status` with one report
//!   `{code, status, at}` each, over the sample's cameras. PostGIS: one `UPDATE` of the camera
//!   row and one `INSERT` into its history per report, in one transaction.
//! - **Bulk status**: one request of [`BULK`] reports.
//! - **Reads during writes**: `GET /api/v1/locate` from 8 connections while 16 more post
//!   events at about 1,070 a second (the target's 1,000 and some); the locate p99.
//!
//! Intake runs [`ROUNDS`] times on each layer and on PostGIS, all three taking turns,
//! and the reads during writes [`ROUNDS`] times: each row is the median round, with the
//! spread of the rounds beside it, as one phase of a second or two is at the mercy of
//! whatever else the machine does.
//!
//! The clients run on a runtime of their own on one thread; the server has two workers. Both
//! share the machine's two cores with PostgreSQL: the figures are ratios in one run.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::http::{
    Http, Load, event_body, http_phase, on_client_thread, paced_http_phase, request,
};
use common::{Report, ScratchDb, ratio};
use geo::{BoundingRect, Coord};
use safegrid::domain::{Dataset, Event, Role};
use safegrid::service::{Service, hash_token};
use safegrid::store::{self, Change, TokenRecord};

/// Concurrent clients of the intake figures.
const CLIENTS: usize = 32;
/// Requests per client in one intake phase.
const PER_CLIENT: usize = 200;
/// Events stored for the small-layer intake.
const SMALL_LAYER: usize = 10_000;
/// Events stored for the large-layer intake.
const LARGE_LAYER: usize = 1_000_000;
/// Rounds of the intake and of the reads during writes; each figure is the median round.
const ROUNDS: usize = 3;
/// Reports in the bulk status request.
const BULK: usize = 100_000;
/// The bench's token.
const TOKEN: &str = "sg_bench_writes_token_0123456789abcdef";

fn main() {
    common::run(bench());
}

/// Points inside the sample's grids (their box centres when covered), cycled by the clients.
fn intake_points(data: &Dataset) -> Vec<Coord> {
    data.grids
        .iter()
        .filter(|g| g.parent_code.is_none())
        .filter_map(|g| g.area.bounding_rect().map(geo::Rect::center))
        .collect()
}

/// `n` synthetic events near the sample's own (ids `S…`), for the large layer.
fn more_events(data: &Dataset, n: usize) -> Vec<Event> {
    let base = &data.events;
    (0..n)
        .map(|i| {
            let e = &base[i % base.len()];
            let mut e = e.clone();
            e.id = format!("S{i:08}");
            let k = (i / base.len()) as f64;
            e.location.0.x += 1e-5 * k;
            e
        })
        .collect()
}

/// Seeds a fresh SQLite file with the sample (its events cut to `events`) and starts the
/// service on it.
async fn sqlite_service(dir: &std::path::Path, data: &Dataset, events: usize) -> Arc<Service> {
    let url = format!(
        "sqlite:{}",
        dir.join(format!("writes-{events}.db")).display()
    );
    let store = store::open(&url).await.expect("SQLite opens");
    let mut data = data.clone();
    data.events = if events <= data.events.len() {
        data.events.truncate(events);
        data.events
    } else {
        more_events(&data, events)
    };
    let items = data.into_items();
    for chunk in items.chunks(50_000) {
        let changes: Vec<Change> = chunk.iter().cloned().map(Change::Put).collect();
        store
            .apply(&changes, chrono::Utc::now())
            .await
            .expect("the sample stores");
    }
    store
        .insert_token(
            &TokenRecord {
                hash: hash_token(TOKEN),
                name: "bench".into(),
                role: Role::Admin,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("token");
    let t = Instant::now();
    let service = Arc::new(Service::start(store).await.expect("the service starts"));
    eprintln!(
        "service on {events} events started in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    service
}

/// Serves `service` on 127.0.0.1:0; returns the address.
async fn serve(service: Arc<Service>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(safegrid::api::serve(
        listener,
        service,
        std::future::pending(),
    ));
    addr
}

/// A POST with the bench's token.
fn post(path: &str, body: &str) -> Vec<u8> {
    request("POST", path, TOKEN, body)
}

async fn event_intake(addr: SocketAddr, points: Arc<Vec<Coord>>) -> Load {
    let request =
        Arc::new(move |i: usize| post("/api/v1/events", &event_body(points[i % points.len()])));
    http_phase(addr, CLIENTS, PER_CLIENT, request, |s| s == 201).await
}

async fn status_reports(addr: SocketAddr, codes: Arc<Vec<String>>) -> Load {
    let request = Arc::new(move |i: usize| {
        let status = if (i / codes.len()).is_multiple_of(2) {
            "offline"
        } else {
            "online"
        };
        post(
            "/api/v1/cameras/status",
            &format!(
                r#"{{"code":"{}","status":"{status}"}}"#,
                codes[i % codes.len()]
            ),
        )
    });
    http_phase(addr, CLIENTS, PER_CLIENT, request, |s| s == 200).await
}

/// Creates the PostGIS side of the figures in `db`: the sample's grids (GiST-indexed) and
/// cameras, an empty event table and a status history.
async fn postgis_setup(db: &ScratchDb, data: &Dataset) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await?;
    for sql in [
        "create extension if not exists postgis",
        "create table grid (code text primary key, geom geometry(MultiPolygon, 4326) not null)",
        "create table ev (id bigserial primary key, grid text, geom geometry(Point, 4326) not null, props jsonb not null)",
        // The event table of safegrid's own PostgreSQL store (migration 0005), with the
        // indexes that list events by place, time, category, status and grid.
        "create table event (seq bigserial primary key, id text not null unique, lon double precision not null, lat double precision not null,
           geometry geometry(Point, 4326) generated always as (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) stored,
           category text not null, status text not null, source text not null, occurred_at timestamptz not null,
           reported_at timestamptz not null, grid_code text, description text not null)",
        "create index event_geometry on event using gist (geometry)",
        "create index event_reported on event (reported_at, seq)",
        "create index event_category on event (category, reported_at, seq)",
        "create index event_status on event (status, reported_at, seq)",
        "create index event_grid on event (grid_code, reported_at, seq)",
        "create table camera (code text primary key, status text not null, props jsonb not null)",
        "create table camera_status_change (id bigserial primary key, code text not null, status text not null, changed_at timestamptz not null)",
    ] {
        sqlx::query(sql).execute(&pool).await?;
    }
    let (codes, shapes): (Vec<String>, Vec<String>) = data
        .grids
        .iter()
        .filter(|g| g.parent_code.is_none())
        .map(|g| {
            let geojson = safegrid::domain::geometry::area_to_geojson(&g.area);
            (
                g.code.clone(),
                serde_json::to_string(&geojson).unwrap_or_default(),
            )
        })
        .unzip();
    sqlx::query("insert into grid select code, st_multi(st_setsrid(st_geomfromgeojson(g), 4326)) from unnest($1::text[], $2::text[]) as t(code, g)")
        .bind(&codes)
        .bind(&shapes)
        .execute(&pool)
        .await?;
    sqlx::query("create index grid_geom on grid using gist (geom)")
        .execute(&pool)
        .await?;
    let cams: Vec<String> = data.cameras.iter().map(|c| c.code.clone()).collect();
    sqlx::query(
        "insert into camera select code, 'online', '{}'::jsonb from unnest($1::text[]) as t(code)",
    )
    .bind(&cams)
    .execute(&pool)
    .await?;
    sqlx::query("analyze").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// The event table PostGIS's intake writes to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PgEvents {
    /// The table of safegrid's PostgreSQL store, with its five indexes: the same work as
    /// safegrid's intake.
    Indexed,
    /// A table with no index but its key: a point and a JSON document per event.
    Bare,
}

/// PostGIS's intake: one `INSERT … SELECT` per event that finds its grid with `ST_Covers`,
/// into `table`; `round` keeps event ids unique over the rounds.
async fn postgis_intake(
    db: &ScratchDb,
    points: Arc<Vec<Coord>>,
    table: PgEvents,
    round: usize,
) -> Load {
    pg_phase(&db.url, move |pool, k| {
        let p = points[k % points.len()];
        async move {
            let (sql, third) = match table {
                PgEvents::Indexed => (
                    "insert into event (id, lon, lat, category, status, source, occurred_at, reported_at, grid_code, description)
                     select $3, $1, $2, 'theft', 'reported', 'citizen_app', now(), now(),
                            (select code from grid where st_covers(geom, st_setsrid(st_point($1, $2), 4326)) order by code limit 1),
                            'bench'",
                    format!("PG-{round}-{k}"),
                ),
                PgEvents::Bare => (
                    "insert into ev (grid, geom, props)
                     select (select code from grid where st_covers(geom, pt) order by code limit 1), pt, $3::jsonb
                       from (select st_setsrid(st_point($1, $2), 4326) as pt) as q",
                    r#"{"category":"theft","status":"reported"}"#.to_owned(),
                ),
            };
            sqlx::query(sql)
                .bind(p.x)
                .bind(p.y)
                .bind(third)
                .execute(&pool)
                .await
                .expect("insert");
        }
    })
    .await
}

/// PostGIS's status reports: the camera row updated and a history row inserted, in one
/// transaction per report.
async fn postgis_status(db: &ScratchDb, cams: Arc<Vec<String>>) -> Load {
    pg_phase(&db.url, move |pool, k| {
        let cams = cams.clone();
        async move {
            let code = &cams[k % cams.len()];
            let status = if (k / cams.len()).is_multiple_of(2) { "offline" } else { "online" };
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query("update camera set status = $2 where code = $1")
                .bind(code)
                .bind(status)
                .execute(&mut *tx)
                .await
                .expect("update");
            sqlx::query("insert into camera_status_change (code, status, changed_at) values ($1, $2, now())")
                .bind(code)
                .bind(status)
                .execute(&mut *tx)
                .await
                .expect("history");
            tx.commit().await.expect("commit");
        }
    })
    .await
}

/// `op(pool, k)` for `k` in `0..CLIENTS × PER_CLIENT`, from [`CLIENTS`] tasks on the client
/// thread, over a pool of as many connections opened there (a pool serves the runtime that
/// opened it).
async fn pg_phase<F, Fut>(url: &str, op: F) -> Load
where
    F: Fn(sqlx::PgPool, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let url = url.to_owned();
    on_client_thread(move || async move {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(CLIENTS as u32)
            .connect(&url)
            .await
            .expect("PostgreSQL");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (op, pool) = (op.clone(), pool.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(PER_CLIENT);
                for i in 0..PER_CLIENT {
                    let t = Instant::now();
                    op(pool.clone(), c * PER_CLIENT + i).await;
                    latencies.push(t.elapsed());
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.expect("client"));
        }
        let n = latencies.len();
        let load = Load::from_latencies(latencies, started.elapsed(), n);
        pool.close().await;
        load
    })
    .await
}

/// Clients posting events while locates are read, each one event every [`WRITE_EVERY`]: about
/// 1,070 writes a second in all, just over the 1,000 the target names.
const WRITERS: usize = 16;
const WRITE_EVERY: Duration = Duration::from_millis(15);

/// `GET /api/v1/locate` from 8 connections while [`WRITERS`] others post events at about 1,070
/// a second; the locate load and the write load.
async fn reads_during_writes(addr: SocketAddr, points: Arc<Vec<Coord>>) -> (Load, Load) {
    let writer_points = points.clone();
    let writes = tokio::spawn(async move {
        let request = Arc::new(move |i: usize| {
            post(
                "/api/v1/events",
                &event_body(writer_points[i % writer_points.len()]),
            )
        });
        paced_http_phase(addr, WRITERS, 250, Some(WRITE_EVERY), request, |s| s == 201).await
    });
    // Let the writers get going, then read.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let request = Arc::new(move |i: usize| {
        let p = points[(i * 7) % points.len()];
        format!(
            "GET /api/v1/locate?lon={}&lat={} HTTP/1.1\r\nHost: bench\r\n\r\n",
            p.x, p.y
        )
        .into_bytes()
    });
    let reads = http_phase(addr, 8, 500, request, |s| s == 200).await;
    let writes = writes.await.expect("writers");
    (reads, writes)
}

async fn bulk_status(addr: SocketAddr, codes: &[String]) -> (f64, u16) {
    let reports: Vec<String> = (0..BULK)
        .map(|i| {
            format!(
                r#"{{"code":"{}","status":"fault","at":"2026-12-0{}T00:00:00Z"}}"#,
                codes[i % codes.len()],
                1 + (i / codes.len()).min(8)
            )
        })
        .collect();
    let body = format!(r#"{{"reports":[{}]}}"#, reports.join(","));
    on_client_thread(move || async move {
        let mut http = Http::connect(addr).await.expect("connect");
        let t = Instant::now();
        let (status, _) = http
            .exchange(&post("/api/v1/cameras/status", &body), &[])
            .await
            .expect("an answer");
        (t.elapsed().as_secs_f64(), status)
    })
    .await
}

fn rate_row(
    report: &mut Report,
    figure: &str,
    ours: &Load,
    theirs: Option<&Load>,
    target: &str,
    met: bool,
) {
    report.push(
        figure,
        ours.rate_cell(),
        theirs.map_or("—".into(), Load::rate_cell),
        ratio(theirs.map(|t| ours.rate / t.rate)),
        target,
        Some(met),
    );
}

/// The run with the median `key` of an odd number of `runs`, with the least and the most
/// `key` of all.
fn median_by<T>(mut runs: Vec<T>, key: impl Fn(&T) -> f64) -> (T, (f64, f64)) {
    runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let spread = (
        runs.first().map_or(f64::NAN, &key),
        runs.last().map_or(f64::NAN, &key),
    );
    (runs.swap_remove(runs.len() / 2), spread)
}

async fn bench() -> Report {
    let mut report = Report::new();
    let data = safegrid::sample::generate().expect("the sample");
    let points = Arc::new(intake_points(&data));
    let codes: Arc<Vec<String>> = Arc::new(data.cameras.iter().map(|c| c.code.clone()).collect());
    let dir = std::env::temp_dir().join(format!("safegrid-bench-writes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    eprintln!("PostGIS…");
    let pg = match ScratchDb::create("writes").await {
        Ok(db) => match postgis_setup(&db, &data).await {
            Ok(()) => Some(db),
            Err(e) => {
                report.notes.push(format!("PostGIS skipped: {e:#}"));
                db.drop().await;
                None
            }
        },
        Err(e) => {
            report.notes.push(format!("PostGIS skipped: {e:#}"));
            None
        }
    };

    eprintln!("SQLite, {SMALL_LAYER} and {LARGE_LAYER} events…");
    let small = sqlite_service(&dir, &data, SMALL_LAYER).await;
    let large = sqlite_service(&dir, &data, LARGE_LAYER).await;
    let (addr, large_addr) = (serve(small.clone()).await, serve(large.clone()).await);
    // PostGIS and the two layers take turns, so that all meet the machine in the same moods.
    let (mut pg_runs, mut bare_runs) = (Vec::new(), Vec::new());
    let (mut small_runs, mut large_runs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if let Some(db) = &pg {
            pg_runs.push(postgis_intake(db, points.clone(), PgEvents::Indexed, round).await);
            bare_runs.push(postgis_intake(db, points.clone(), PgEvents::Bare, round).await);
        }
        small_runs.push(event_intake(addr, points.clone()).await);
        large_runs.push(event_intake(large_addr, points.clone()).await);
    }
    let (intake_small, small_spread) = median_by(small_runs, |l| l.rate);
    let (intake_large, large_spread) = median_by(large_runs, |l| l.rate);
    let pg_intake = (!pg_runs.is_empty()).then(|| median_by(pg_runs, |l| l.rate));
    let pg_bare = (!bare_runs.is_empty()).then(|| median_by(bare_runs, |l| l.rate));
    eprintln!(
        "intake rates over {ROUNDS} rounds: small {:.0}–{:.0}/s, large {:.0}–{:.0}/s{}",
        small_spread.0,
        small_spread.1,
        large_spread.0,
        large_spread.1,
        pg_intake
            .as_ref()
            .map(|(_, (lo, hi))| format!(", PostGIS {lo:.0}–{hi:.0}/s"))
            .unwrap_or_default()
    );
    if let Some((bare, (lo, hi))) = &pg_bare {
        eprintln!("PostGIS into a table without indexes: {lo:.0}–{hi:.0}/s");
        report.notes.push(format!(
            "PostGIS's intake writes the event table of safegrid's PostgreSQL store, with its \
             indexes by place, time, category, status and grid (the same work as safegrid's \
             intake). Into a table with no index but its key it runs at {} (median of the \
             rounds; {lo:.0}–{hi:.0}/s).",
            bare.rate_cell()
        ));
    }
    let pg_status = match &pg {
        Some(db) => Some(postgis_status(db, codes.clone()).await),
        None => None,
    };
    let status = status_reports(addr, codes.clone()).await;
    let (bulk_s, bulk_status_code) = bulk_status(addr, &codes).await;
    let mut read_runs = Vec::new();
    for _ in 0..ROUNDS {
        read_runs.push(reads_during_writes(addr, points.clone()).await);
    }
    let ((reads, writes), read_spread) = median_by(read_runs, |(r, _)| r.p99_ms);
    let stored = small.snapshot().count(safegrid::domain::Layer::Event);
    if let Some(db) = pg {
        db.drop().await;
    }

    let pg_intake = pg_intake.as_ref().map(|(l, _)| l);
    let pg_status = pg_status.as_ref();
    rate_row(
        &mut report,
        &format!("event intake, {CLIENTS} clients, {SMALL_LAYER} events stored"),
        &intake_small,
        pg_intake,
        "≥ 2,000/s, ≥ PostGIS, p99 < 25 ms",
        intake_small.rate >= 2_000.0
            && pg_intake.is_none_or(|t| intake_small.rate >= t.rate)
            && intake_small.p99_ms < 25.0,
    );
    rate_row(
        &mut report,
        &format!("event intake, {CLIENTS} clients, {LARGE_LAYER} events stored"),
        &intake_large,
        pg_intake,
        "within 20 % of the small layer",
        intake_large.rate >= 0.8 * intake_small.rate,
    );
    rate_row(
        &mut report,
        &format!("camera status, {CLIENTS} clients, {} cameras", codes.len()),
        &status,
        pg_status,
        "≥ 2,000/s",
        status.rate >= 2_000.0,
    );
    report.push(
        format!(
            "bulk status, {BULK} reports over {} cameras (s)",
            codes.len()
        ),
        format!("{bulk_s:.2} (HTTP {bulk_status_code})"),
        "—",
        "—",
        "< 2 s",
        Some(bulk_s < 2.0 && bulk_status_code == 200),
    );
    report.push(
        "locate p99 at 8 clients during writes (ms)",
        format!(
            "{:.2} (p50 {:.2}; writes {:.0}/s alongside; rounds {:.2}–{:.2})",
            reads.p99_ms, reads.p50_ms, writes.rate, read_spread.0, read_spread.1
        ),
        "—",
        "—",
        "< 2 ms at 1,000 writes/s",
        Some(reads.p99_ms < 2.0 && writes.rate >= 1_000.0),
    );
    report.notes.push(format!(
        "Intake and reads during writes ran {ROUNDS} rounds each, PostGIS and the small and the \
         large layer taking turns; each row is the round with the median rate (intake: small {:.0}–{:.0}/s, \
         large {:.0}–{:.0}/s over the rounds) or the median p99 (reads). Every intake of those \
         rows answered 201 ({} of {} small, {} of {} large); {} events were in the small \
         layer's snapshot at the end. Single status reports alternate offline/online over the \
         sample's cameras; the bulk repeats each camera up to five times (later reports \
         supersede earlier ones). Clients, server and PostgreSQL share the machine's two cores.",
        small_spread.0,
        small_spread.1,
        large_spread.0,
        large_spread.1,
        intake_small.hits,
        intake_small.requests,
        intake_large.hits,
        intake_large.requests,
        stored
    ));
    drop((small, large));
    let _ = std::fs::remove_dir_all(&dir);
    report
}
