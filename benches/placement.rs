//! Placement benchmark: how long camera placement advice takes on the Dongyang sample, and how
//! much work the lazy (CELF) evaluation saves over plain greedy, measured in the same run.
//!
//! Run it with `scripts/bench placement` (or `cargo bench --bench placement`). It prints one
//! markdown table on stdout and its progress on stderr.
//!
//! # What is measured
//! - **largest village, k = 10**: `analysis::placement::place_cameras` on the sample's largest
//!   village/community (about 45 km²), default fixed camera, with the default sites (along its
//!   patrol routes), with the most sites allowed (a lattice of about 5,000), and weighted by
//!   events; each the median of [`REPEATS`] runs.
//! - **one grid, k = 5** and **one key area, k = 3**: every [`SAMPLE_STEP`]-th grid and every
//!   key area, one thread (p50/p99).
//! - The baseline is plain greedy, which re-evaluates every option at every pick:
//!   `k × options` gain evaluations, against the lazy greedy's count for the same picks (the
//!   two pick the same options; `src/spatial/placement.rs` tests that). "saved" is their ratio.
//!
//! Camera visible polygons are built once before timing (as a running service has them in its
//! snapshot); their build time is a row of its own.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use geo::{BoundingRect, Coord};
use safegrid::analysis::coverage::CoverageCache;
use safegrid::analysis::placement::{
    MAX_SITES, Placement, PlacementRequest, Weight, place_cameras,
};
use safegrid::domain::RegionLevel;
use safegrid::spatial::Snapshot;
use safegrid::spatial::measure::LocalFrame;

/// One cache for the whole run, as a service holds one for all its snapshots.
static CACHE: std::sync::LazyLock<CoverageCache> = std::sync::LazyLock::new(CoverageCache::default);
use safegrid::spatial::topology::area_m2;

/// Runs of each village case; the median is shown.
const REPEATS: usize = 3;
/// Every this many grids is timed.
const SAMPLE_STEP: usize = 20;

fn main() {
    let began = Instant::now();
    eprintln!("generating the sample…");
    let snapshot = Snapshot::build(safegrid::sample::generate().expect("the sample"), 1);
    let t = Instant::now();
    let _ = CACHE.camera_shapes(&snapshot);
    let shapes = t.elapsed();
    let mut table = Table::default();
    table.row(
        &format!(
            "camera visible polygons, {} cameras (ms)",
            snapshot.cameras.len()
        ),
        ms(shapes),
        None,
    );

    let village = snapshot
        .regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Village)
        .max_by(|a, b| area_m2(&a.area).total_cmp(&area_m2(&b.area)))
        .expect("villages");
    let name = format!(
        "{} {} ({:.1} km²)",
        village.code,
        village.name,
        area_m2(&village.area) / 1e6
    );
    let mut request = PlacementRequest::new(village.area.clone(), 10);
    eprintln!("largest village: {name}");
    let (time, p) = median_run(&snapshot, &request);
    table.placement(
        &format!(
            "largest village {name}, k = 10, {} sites along its routes",
            p.sites
        ),
        time,
        &p,
        10,
    );
    request.weight = Weight::Events;
    let (time, p) = median_run(&snapshot, &request);
    table.placement("… weighted by events", time, &p, 10);
    request.weight = Weight::Area;
    request.candidates = Some(lattice(&village.area, area_m2(&village.area)));
    let (time, p) = median_run(&snapshot, &request);
    table.placement(
        &format!("… the most sites allowed: a lattice of {}", p.sites),
        time,
        &p,
        10,
    );

    eprintln!("grids…");
    let grids = snapshot.grids.iter().step_by(SAMPLE_STEP);
    let (times, lazy, plain) = sweep(&snapshot, grids.map(|g| &g.area), 5);
    table.quantiles(
        &format!("one grid, k = 5 ({} grids)", times.len()),
        &times,
        lazy,
        plain,
    );
    eprintln!("key areas…");
    let (times, lazy, plain) = sweep(&snapshot, snapshot.key_areas.iter().map(|k| &k.area), 3);
    table.quantiles(
        &format!("one key area, k = 3 ({} key areas)", times.len()),
        &times,
        lazy,
        plain,
    );

    print!("{}", table.render());
    eprintln!("bench finished in {:.0} s", began.elapsed().as_secs_f64());
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// Places `k` cameras in each area, one after the other: the times (s), and the lazy and
/// plain greedy evaluation counts summed.
fn sweep<'a>(
    snapshot: &Snapshot,
    areas: impl Iterator<Item = &'a geo::MultiPolygon>,
    k: usize,
) -> (Vec<f64>, usize, usize) {
    let mut times = Vec::new();
    let (mut lazy, mut plain) = (0usize, 0usize);
    for area in areas {
        let request = PlacementRequest::new(area.clone(), k);
        let t = Instant::now();
        if let Ok(p) = place_cameras(snapshot, &CACHE, &request) {
            times.push(t.elapsed().as_secs_f64());
            lazy += p.evaluations;
            plain += p.picks.len() * p.candidates_considered;
        }
    }
    (times, lazy, plain)
}

/// The median time of [`REPEATS`] runs, and the last answer.
fn median_run(snapshot: &Snapshot, request: &PlacementRequest) -> (Duration, Placement) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let p = place_cameras(snapshot, &CACHE, request).expect("a placement");
        times.push(t.elapsed());
        last = Some(p);
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}

/// A square lattice of [`MAX_SITES`] points at most inside `area`.
fn lattice(area: &geo::MultiPolygon, area_m2: f64) -> Vec<Coord> {
    let bbox = area.bounding_rect().expect("a box");
    let frame = LocalFrame::new(bbox.center().x, bbox.center().y);
    let step = (area_m2 / MAX_SITES as f64).sqrt();
    let [x0, y0] = frame.project(bbox.min().x, bbox.min().y);
    let [x1, y1] = frame.project(bbox.max().x, bbox.max().y);
    let mut sites = Vec::new();
    let mut north = y0 + step / 2.0;
    while north < y1 {
        let mut east = x0 + step / 2.0;
        while east < x1 {
            let (lon, lat) = frame.unproject([east, north]);
            let c = Coord { x: lon, y: lat };
            if sites.len() < MAX_SITES && safegrid::spatial::geom::covers(area, c) {
                sites.push(c);
            }
            east += step;
        }
        north += step;
    }
    sites
}

/// The markdown table: figure | time | lazy evaluations | plain greedy evaluations | saved.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    fn row(&mut self, figure: &str, time: String, evaluations: Option<(usize, usize)>) {
        let (lazy, plain, saved) = match evaluations {
            Some((lazy, plain)) => (
                lazy.to_string(),
                plain.to_string(),
                format!("{:.1}×", plain as f64 / lazy.max(1) as f64),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        self.rows
            .push([figure.to_owned(), time, lazy, plain, saved]);
    }

    fn placement(&mut self, figure: &str, time: Duration, p: &Placement, k: usize) {
        self.row(
            &format!(
                "{figure}: {} options, {} cells of {:.1} m, covered {:.2}% → {:.2}% (ms)",
                p.candidates_considered, p.cells, p.cell_m, p.covered_before, p.covered_after
            ),
            ms(time),
            Some((
                p.evaluations,
                k.min(p.picks.len().max(1)) * p.candidates_considered,
            )),
        );
    }

    fn quantiles(&mut self, figure: &str, times: &[f64], lazy: usize, plain: usize) {
        for (q, name, work) in [(0.5, "p50", Some((lazy, plain))), (0.99, "p99", None)] {
            self.row(
                &format!("{figure}, {name} (ms)"),
                format!("{:.1}", common::quantile(times, q) * 1e3),
                work,
            );
        }
    }

    fn render(&self) -> String {
        let load = common::load_average();
        let mut out = format!(
            "\n### Camera placement advice (release build, load average at the end {load})\n\n\
             | figure | time | lazy evaluations | plain greedy evaluations | saved |\n\
             |---|---:|---:|---:|---:|\n"
        );
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out
    }
}
