//! Province benchmark: the synthetic province of `safegrid seed --scale province` (about
//! 49,000 grids, 1,000,000 cameras, 10,000,000 events, 95,000 workers) on SQLite, against the
//! write-path issue's province targets, each beside the Dongyang county doing the same work in
//! the same run where a ratio says more than a figure (the machine is shared and noisy).
//!
//! Run it with `scripts/bench province` (or `cargo bench --bench province`). The province's
//! database is `SAFEGRID_PROVINCE_DB` (default `target/bench/province.db`); when it is missing,
//! the bench seeds it first with the release binary (about 20 minutes on 2 cores, a few GB).
//! It prints one markdown table on stdout and its progress on stderr.
//!
//! # What is measured
//! - **Start-up**: `safegrid serve` on the province, from launch to listening (the log's
//!   stages say where the time goes), and its resident memory then (`VmHWM`, the peak).
//! - **Tiles z10–z17** over HTTP from that server: grids, cameras, events and buildings at
//!   [`TILES_PER_ZOOM`] tiles a zoom, each centred on a random event (where the map is busy);
//!   p50 and p99 of all.
//! - **Planner edit**: `PUT /api/v1/grids/{code}` of one grid (its name changed), one at a
//!   time, with every grid loaded; p50, beside the county.
//! - **Camera status**: single reports `{code, status}` from 32 clients over 10,000 of the
//!   1,000,000 cameras.
//! - **Event intake**: `POST /api/v1/events` from 32 clients with 10,000,000 events stored.
//! - **Point → grid in process**, one thread: random points in the province's counties
//!   against random points in the county, each answered one at a time (`locate::grid_at`) and
//!   in batches (`locate::grid_at_each`); the figure is the province's batched rate against
//!   the county's better rate. The bench allocates with mimalloc, as the `safegrid` binary
//!   does (its large allocations get transparent huge pages, which a raster bigger than the
//!   caches needs).
//! - **Grid coverage table**: `CoverageCache::layer_coverage(Grids)` cold, every camera's
//!   visible polygon built, on every core.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::http::{Http, Load, event_body, http_phase, request};
use common::{Report, quantile};
use geo::Coord;
use safegrid::analysis::coverage::{CoverageCache, CoverageLayer};
use safegrid::spatial::{Snapshot, locate};
use safegrid::tiles::TileId;

/// Tiles requested at each zoom of each layer.
const TILES_PER_ZOOM: usize = 40;
/// Concurrent clients of the write figures.
const CLIENTS: usize = 32;
/// Requests per client in one write phase.
const PER_CLIENT: usize = 200;
/// Planner edits timed.
const EDITS: usize = 40;
/// Points located in process.
const POINTS: usize = 1_000_000;
/// The bench's admin token.
const TOKEN: &str = "sg_bench_province_token_0123456789abcdef";

/// The allocator of the `safegrid` binary, so that the in-process figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    common::run(bench());
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_safegrid"))
}

/// The province's database, seeded first when missing.
fn province_db() -> PathBuf {
    let path = std::env::var_os("SAFEGRID_PROVINCE_DB").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/province.db"),
        PathBuf::from,
    );
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("bench folder");
        }
        eprintln!(
            "seeding the province into {} (about 20 minutes)",
            path.display()
        );
        let t = Instant::now();
        let status = Command::new(binary())
            .args(["--database-url", &format!("sqlite:{}", path.display())])
            .args(["seed", "--scale", "province"])
            .status()
            .expect("the seed runs");
        assert!(status.success(), "the province seed failed");
        eprintln!("seeded in {:.0} s", t.elapsed().as_secs_f64());
    }
    path
}

/// A `safegrid serve` of its own on `db`.
struct Server {
    child: Child,
    addr: SocketAddr,
    started: Duration,
}

impl Server {
    /// Starts the server and waits until it listens.
    fn start(db: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let t = Instant::now();
        let mut child = Command::new(binary())
            .args(["--database-url", &format!("sqlite:{}", db.display())])
            .args(["serve", "--bind", &addr.to_string()])
            .env("SAFEGRID_NO_SEED", "1")
            .env("SAFEGRID_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "safegrid=info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("safegrid serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if !sent && line.contains("listening on") {
                    let _ = tx.send(());
                    sent = true;
                }
                if line.contains("loading") || line.contains("index") || line.contains("ERROR") {
                    eprintln!("  serve: {line}");
                }
            }
        });
        rx.recv_timeout(Duration::from_mins(10))
            .expect("the server listens within 10 minutes");
        Server {
            child,
            addr,
            started: t.elapsed(),
        }
    }

    /// `VmHWM` (peak resident memory) of the server, in GiB.
    fn peak_gib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / (1024.0 * 1024.0))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// One GET, its status and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut http = Http::connect(addr).await.expect("connect");
    http.exchange(&request("GET", path, TOKEN, ""), &[])
        .await
        .expect("an answer")
}

/// What `pick` finds in each feature of the listing at `path`.
async fn features<T>(
    addr: SocketAddr,
    path: &str,
    pick: impl Fn(&serde_json::Value) -> Option<T>,
) -> Vec<T> {
    let (status, body) = get(addr, path).await;
    assert_eq!(status, 200, "{path}");
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    json["features"]
        .as_array()
        .map(|fs| fs.iter().filter_map(&pick).collect())
        .unwrap_or_default()
}

/// Random points that events were reported at (where the map is busy), from the listing.
async fn event_points(addr: SocketAddr) -> Vec<Coord> {
    features(addr, "/api/v1/events?limit=2000", |f| {
        let c = f["geometry"]["coordinates"].as_array()?;
        Some(Coord {
            x: c.first()?.as_f64()?,
            y: c.get(1)?.as_f64()?,
        })
    })
    .await
}

/// Tiles of four layers at z10–z17 around `points`: every latency in ms, and the biggest tile.
async fn tiles(addr: SocketAddr, points: &[Coord]) -> (Vec<f64>, usize) {
    let mut latencies = Vec::new();
    let mut biggest = 0;
    let mut http = Http::connect(addr).await.expect("connect");
    for z in 10..=17u8 {
        for (i, p) in points.iter().cycle().take(TILES_PER_ZOOM).enumerate() {
            let tile = TileId::containing(*p, z);
            let layer = ["grids", "cameras", "events", "buildings"][i % 4];
            let path = format!("/tiles/{layer}/{}/{}/{}.mvt", tile.z, tile.x, tile.y);
            let t = Instant::now();
            let (status, body) = http
                .exchange(&request("GET", &path, TOKEN, ""), &[])
                .await
                .expect("a tile");
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(status == 200 || status == 204, "{path}: {status}");
            biggest = biggest.max(body.len());
        }
    }
    (latencies, biggest)
}

/// `EDITS` edits of one grid, one at a time; the latencies in ms.
async fn planner_edits(addr: SocketAddr, code: &str) -> Vec<f64> {
    let (status, body) = get(addr, &format!("/api/v1/grids/{code}")).await;
    assert_eq!(status, 200, "grid {code}");
    let mut feature: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let mut http = Http::connect(addr).await.expect("connect");
    let mut out = Vec::with_capacity(EDITS);
    for i in 0..EDITS {
        feature["properties"]["name"] = serde_json::json!(format!("基准网格{i}"));
        let body = feature.to_string();
        let t = Instant::now();
        let (status, answer) = http
            .exchange(
                &request("PUT", &format!("/api/v1/grids/{code}"), TOKEN, &body),
                &[],
            )
            .await
            .expect("an answer");
        out.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    }
    out
}

/// The codes of the first 10,000 cameras, each with the status it does not have now, so that
/// every report changes something whatever earlier runs left in the store.
async fn camera_codes(addr: SocketAddr) -> Vec<(String, &'static str)> {
    features(addr, "/api/v1/cameras?limit=10000", |f| {
        let code = f["properties"]["code"].as_str()?.to_owned();
        let other = if f["properties"]["status"].as_str() == Some("offline") {
            "online"
        } else {
            "offline"
        };
        Some((code, other))
    })
    .await
}

/// Each pass over the cameras flips them: to the status they lacked, then back.
async fn status_reports(addr: SocketAddr, codes: Arc<Vec<(String, &'static str)>>) -> Load {
    let request = Arc::new(move |i: usize| {
        let (code, other) = &codes[i % codes.len()];
        let status = match (i / codes.len()).is_multiple_of(2) {
            true => *other,
            false if *other == "offline" => "online",
            false => "offline",
        };
        request(
            "POST",
            "/api/v1/cameras/status",
            TOKEN,
            &format!(r#"{{"code":"{code}","status":"{status}"}}"#),
        )
    });
    http_phase(addr, CLIENTS, PER_CLIENT, request, |s| s == 200).await
}

async fn event_intake(addr: SocketAddr, points: Arc<Vec<Coord>>) -> Load {
    let request = Arc::new(move |i: usize| {
        request(
            "POST",
            "/api/v1/events",
            TOKEN,
            &event_body(points[i % points.len()]),
        )
    });
    http_phase(addr, CLIENTS, PER_CLIENT, request, |s| s == 201).await
}

/// Points in `snapshot`'s top-level grids: each a random grid's box centre nudged, so that
/// most fall in a grid (the county's and the province's are drawn alike).
fn random_points(snapshot: &Snapshot, n: usize, seed: u64) -> Vec<Coord> {
    use geo::BoundingRect;
    let boxes: Vec<geo::Rect> = snapshot
        .grids
        .iter()
        .filter(|g| g.parent_code.is_none())
        .filter_map(|g| g.area.bounding_rect())
        .collect();
    let mut rng = safegrid::sample::rng::Rng::new(seed);
    (0..n)
        .map(|_| {
            let b = boxes[rng.below(boxes.len())];
            Coord {
                x: b.min().x + b.width() * rng.f64(),
                y: b.min().y + b.height() * rng.f64(),
            }
        })
        .collect()
}

/// Points located per second on one thread (the better of two runs), one at a time and in
/// batches, and how many hit a grid (the same both ways, or the bench stops).
fn locate_rates(snapshot: &Snapshot, points: &[Coord]) -> (f64, f64, usize) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    let mut hits = (0, 0);
    for _ in 0..2 {
        let t = Instant::now();
        hits.0 = points
            .iter()
            .filter(|p| locate::grid_at(snapshot, **p).is_some())
            .count();
        best.0 = best.0.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        hits.1 = locate::grid_at_each(snapshot, points).flatten().count();
        best.1 = best.1.min(t.elapsed().as_secs_f64());
    }
    assert_eq!(hits.0, hits.1, "batches find what single points find");
    let n = points.len() as f64;
    (n / best.0, n / best.1, hits.0)
}

async fn bench() -> Report {
    let mut report = Report::new();
    let db = province_db();

    // --- The server on the province.
    let server = Server::start(&db);
    let started = server.started.as_secs_f64();
    let peak = server.peak_gib();
    eprintln!("province server: listening after {started:.1} s, peak {peak:.2} GiB");
    report.push(
        "province start-up on SQLite (s)",
        format!("{started:.1}"),
        "—",
        "—",
        "< 60 s",
        Some(started < 60.0),
    );
    report.push(
        "province resident memory after start-up (GiB, peak)",
        format!("{peak:.2}"),
        "—",
        "—",
        "< 8 GB",
        Some(peak * 1.073_741_824 < 8.0),
    );
    let addr = server.addr;
    let points = event_points(addr).await;
    let (tile_ms, biggest) = tiles(addr, &points).await;
    let (p50, p99) = (quantile(&tile_ms, 0.5), quantile(&tile_ms, 0.99));
    eprintln!("tiles: p50 {p50:.1} ms, p99 {p99:.1} ms, biggest {biggest} bytes");
    report.push(
        "tiles z10–z17, grids/cameras/events/buildings (ms)",
        format!("p50 {p50:.1}, p99 {p99:.1}"),
        "—",
        "—",
        "p99 < 100 ms",
        Some(p99 < 100.0),
    );

    let code = {
        let (_, body) = get(addr, "/api/v1/grids?limit=1&offset=25000").await;
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        json["features"][0]["properties"]["code"]
            .as_str()
            .expect("a grid")
            .to_owned()
    };
    let edits = planner_edits(addr, &code).await;
    let edit_p50 = quantile(&edits, 0.5);
    eprintln!("planner edit of {code}: p50 {edit_p50:.1} ms");

    let codes = Arc::new(camera_codes(addr).await);
    let status = status_reports(addr, codes).await;
    eprintln!("camera status: {status}");
    report.push(
        "camera status singles, 32 clients, 1,000,000 cameras",
        status.rate_cell(),
        "—",
        "—",
        "≥ 2,000/s",
        Some(status.rate >= 2_000.0 && status.hits == status.requests),
    );
    let intake = event_intake(addr, Arc::new(points.clone())).await;
    eprintln!("event intake: {intake}");
    report.push(
        "event intake, 32 clients, 10,000,000 events stored",
        intake.rate_cell(),
        "—",
        "—",
        "≥ 2,000/s",
        Some(intake.rate >= 2_000.0 && intake.hits == intake.requests),
    );
    server.stop();

    // --- The county, served the same way, for the planner edit's baseline.
    let county_dir = tempdir();
    let county_db = county_dir.join("county.db");
    let seeded = Command::new(binary())
        .args(["--database-url", &format!("sqlite:{}", county_db.display())])
        .arg("seed")
        .status()
        .expect("the county seed runs");
    assert!(seeded.success());
    let county = Server::start(&county_db);
    let (_, body) = get(county.addr, "/api/v1/grids?limit=1&offset=1000").await;
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let county_code = json["features"][0]["properties"]["code"]
        .as_str()
        .expect("a grid")
        .to_owned();
    let county_edits = planner_edits(county.addr, &county_code).await;
    let county_p50 = quantile(&county_edits, 0.5);
    county.stop();
    std::fs::remove_dir_all(&county_dir).ok();
    report.push(
        "planner edit of one grid, 50,000 grids loaded (ms, p50)",
        format!("{edit_p50:.1} (county: {county_p50:.1})"),
        "—",
        "—",
        "p50 < 100 ms",
        Some(edit_p50 < 100.0),
    );

    // --- In process: point → grid, and the grid coverage table.
    let store = safegrid::store::open(&format!("sqlite:{}", db.display()))
        .await
        .expect("the province opens");
    let t = Instant::now();
    let service = safegrid::service::Service::start(store)
        .await
        .expect("the province loads");
    eprintln!("in process: loaded in {:.1} s", t.elapsed().as_secs_f64());
    let province = service.snapshot();
    let county = Snapshot::build(safegrid::sample::generate().expect("the sample"), 1);
    let (county_single, county_batch, county_hits) =
        locate_rates(&county, &random_points(&county, POINTS, 5));
    let (province_single, province_batch, province_hits) =
        locate_rates(&province, &random_points(&province, POINTS, 5));
    eprintln!(
        "point → grid, one thread, single/batched: county {county_single:.0}/{county_batch:.0} per s ({county_hits} hits), province {province_single:.0}/{province_batch:.0} per s ({province_hits} hits)"
    );
    let county_rate = county_single.max(county_batch);
    let share = province_batch / county_rate;
    report.push(
        "point → grid in process, one core (M points/s, batched; one at a time)",
        format!(
            "{:.2}; {:.2} (county: {:.2}; {:.2})",
            province_batch / 1e6,
            province_single / 1e6,
            county_batch / 1e6,
            county_single / 1e6,
        ),
        "—",
        format!("{share:.2}×"),
        "≥ 0.5 × the county",
        Some(share >= 0.5),
    );
    let cache = CoverageCache::default();
    let t = Instant::now();
    let (table, _) = cache.layer_coverage(&province, CoverageLayer::Grids);
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "grid coverage table: {} rows in {secs:.0} s",
        table.rows.len()
    );
    report.push(
        "whole grid coverage table (s)",
        format!("{secs:.0} ({} grids)", table.rows.len()),
        "—",
        "—",
        "< 300 s",
        Some(secs < 300.0),
    );
    report.notes.push(format!(
        "Province: {} grids, {} cameras, {} events, {} workers ({}). Tiles: {TILES_PER_ZOOM} a zoom at z10–z17, four layers in turn, each centred on one of 2,000 recent events; the biggest was {biggest} bytes.",
        province.grids.len(),
        province.cameras.len(),
        province.events.len(),
        province.workers.len(),
        db.display()
    ));
    report
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "safegrid-province-bench-{:016x}",
        getrandom::u64().expect("random name")
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
