//! Validity benchmark: how long the write path's polygon check takes
//! (`domain::geometry::parse_area`: GeoJSON to a checked `MultiPolygon`), beside PostGIS's
//! `ST_IsValid(ST_GeomFromGeoJSON(..))` on the same GeoJSON in the same run, and beside the
//! pairwise check it replaced (`geo`'s `Validation`) where that finishes in reasonable time.
//!
//! Run it with `scripts/bench validity` (or `cargo bench --bench validity`). It prints one
//! markdown table on stdout and its progress on stderr.
//!
//! # Inputs
//! Rings of `n` vertices on a circle of 1° around Dongyang with a small zig-zag (valid and
//! dense), one with 400 square holes, and a multipolygon of 2,000 squares. Each figure is the
//! median of [`REPEATS`] runs.

mod common;

use std::time::Instant;

use common::{Report, ScratchDb, quantile, ratio};
use geo::Validation;
use safegrid::domain::geometry::parse_area;
use serde_json::{Value, json};

/// Runs of each case; the median is shown.
const REPEATS: usize = 5;
/// The pairwise check is not run beyond this many vertices (99,990 took 96 s).
const PAIRWISE_MAX: usize = 20_000;

fn circle(n: usize, cx: f64, cy: f64, r: f64) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            let rr = r * (1.0 + 0.001 * (i % 2) as f64);
            [cx + rr * t.cos(), cy + rr * t.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn square(x: f64, y: f64, s: f64) -> Vec<[f64; 2]> {
    vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
}

fn cases() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for n in [1_000, 5_000, 20_000, 99_990] {
        out.push((
            format!("ring of {n} vertices"),
            json!({"type": "Polygon", "coordinates": [circle(n, 120.3, 29.2, 0.2)]}),
        ));
    }
    let mut rings = vec![circle(20_000, 120.3, 29.2, 0.2)];
    for i in 0..20 {
        for j in 0..20 {
            rings.push(square(
                120.2 + f64::from(i) * 0.01,
                29.1 + f64::from(j) * 0.01,
                0.004,
            ));
        }
    }
    out.push((
        "20,000-vertex ring with 400 holes".into(),
        json!({"type": "Polygon", "coordinates": rings}),
    ));
    let parts: Vec<Vec<Vec<[f64; 2]>>> = (0..2_000)
        .map(|k| {
            let (i, j) = (f64::from(k % 50), f64::from(k / 50));
            vec![square(120.0 + i * 0.01, 29.0 + j * 0.01, 0.005)]
        })
        .collect();
    out.push((
        "multipolygon of 2,000 squares".into(),
        json!({"type": "MultiPolygon", "coordinates": parts}),
    ));
    out
}

fn median_ms(mut run: impl FnMut()) -> f64 {
    let times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    quantile(&times, 0.5)
}

async fn postgis_ms(db: &sqlx::PgPool, text: &str) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..REPEATS {
        let t = Instant::now();
        let valid: bool = sqlx::query_scalar("select ST_IsValid(ST_GeomFromGeoJSON($1))")
            .bind(text)
            .fetch_one(db)
            .await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(valid, "PostGIS calls the input invalid");
    }
    Ok(quantile(&times, 0.5))
}

async fn bench() -> Report {
    let mut report = Report::new();
    let scratch = ScratchDb::create("validity").await;
    let pool = match &scratch {
        Ok(db) => {
            let pool = sqlx::PgPool::connect(&db.url).await.ok();
            if let Some(p) = &pool {
                let _ = sqlx::query("create extension if not exists postgis")
                    .execute(p)
                    .await;
            }
            pool
        }
        Err(e) => {
            report.notes.push(format!("PostGIS skipped: {e}"));
            None
        }
    };
    for (name, value) in cases() {
        eprintln!("{name}…");
        let geometry: geojson::Geometry = serde_json::from_value(value.clone()).expect("GeoJSON");
        let ours = median_ms(|| {
            parse_area(Some(&geometry)).expect("valid");
        });
        let theirs = match &pool {
            Some(p) => postgis_ms(p, &value.to_string()).await.ok(),
            None => None,
        };
        report.push(
            format!("{name}: check (ms)"),
            format!("{ours:.1}"),
            theirs.map_or("—".into(), |t| format!("{t:.1}")),
            ratio(theirs.map(|t| t / ours)),
            "≤ PostGIS",
            theirs.map(|t| ours <= t),
        );
        let vertices: usize = geo::CoordsIter::coords_count(
            &safegrid::domain::geometry::read_area(Some(&geometry)).expect("parses"),
        );
        if vertices <= PAIRWISE_MAX + 1_000 {
            let area = safegrid::domain::geometry::read_area(Some(&geometry)).expect("parses");
            let pairwise = median_ms(|| assert!(area.is_valid()));
            report.push(
                format!("{name}: the pairwise check it replaced (ms)"),
                format!("{pairwise:.1}"),
                "—",
                ratio(Some(pairwise / ours)),
                "—",
                None,
            );
        }
    }
    report.notes.push(
        "ratio: PostGIS (or the pairwise check) over safegrid; above 1 means safegrid is faster. \
         safegrid's figure includes reading the GeoJSON; PostGIS's includes the round trip and \
         ST_GeomFromGeoJSON."
            .into(),
    );
    if let Some(p) = pool {
        p.close().await;
    }
    if let Ok(db) = scratch {
        db.drop().await;
    }
    report
}

fn main() {
    common::run(bench());
}
