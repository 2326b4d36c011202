//! Plain-text renderings for the terminal of the reports the CLI prints: a layer's coverage
//! table, placement advice and a camera's health. Each takes the JSON document the HTTP API
//! answers for the same question (built by [`crate::service`]), so the two never disagree on a
//! figure; only the layout is the terminal's. English labels, the features' own (Chinese) names.
//!
//! # Units
//! As in the JSON: shares in percent, lengths and areas in metres and m², angles in degrees.

use std::fmt::Write as _;

use serde_json::Value;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A layer's coverage table ([`crate::service::coverage_report::CoverageTable::to_json`]):
/// the summary, then one line per row.
#[must_use]
pub fn coverage_table(table: &Value) -> String {
    let s = &table["summary"];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {:.2}% seen by online cameras ({:.2}% if all were online, {:.2} points lost); \
         {} without any camera; {} lost more than {} points",
        s["features"],
        text(&table["layer"]),
        num(&s["share"]),
        num(&s["share_if_all_online"]),
        num(&s["lost_points"]),
        s["without_any_camera"],
        s["lost_over_count"],
        s["lost_over"],
    );
    let _ = writeln!(
        out,
        "{:>8} {:>8} {:>8} {:>7} {:>7}  {:<20} name",
        "seen%", "2+ %", "lost", "online", "offline", "key"
    );
    for row in table["rows"].as_array().into_iter().flatten() {
        let key = row
            .get("code")
            .or_else(|| row.get("id"))
            .unwrap_or(&Value::Null);
        let _ = writeln!(
            out,
            "{:>8.2} {:>8.2} {:>8.2} {:>7} {:>7}  {:<20} {}",
            num(&row["share"]),
            num(&row["share_2plus"]),
            num(&row["lost_points"]),
            row["cameras_online"].as_u64().unwrap_or(0),
            row["cameras_offline"].as_u64().unwrap_or(0),
            text(key),
            text(&row["name"]),
        );
    }
    out
}

/// Placement advice ([`crate::service::placement::advise`]): the target and the coverage before
/// and after, then one line per proposed camera in pick order, then the algorithm.
#[must_use]
pub fn placement(answer: &Value) -> String {
    let s = &answer["summary"];
    let t = &answer["target"];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {}: {} camera(s), weight {}: covered {:.2}% -> {:.2}% \
         ({} sites from {}, {} cells of {} m, {} ms)",
        text(&t["layer"]),
        text(&t["key"]),
        text(&t["name"]),
        s["k"],
        text(&s["weight"]),
        num(&s["covered_before"]),
        num(&s["covered_after"]),
        s["sites"],
        text(&s["sites_from"]),
        s["cells"],
        s["cell_m"],
        s["computed_in_ms"],
    );
    let _ = writeln!(
        out,
        "{:>4} {:>12} {:>11} {:>8} {:>6} {:>7} {:>10} {:>8}",
        "rank", "lon", "lat", "azimuth", "hfov", "range", "gain m2", "gain %"
    );
    let cameras = answer["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["properties"]["role"] == "camera");
    for f in cameras {
        let p = &f["properties"];
        let _ = writeln!(
            out,
            "{:>4} {:>12.7} {:>11.7} {:>8.1} {:>6.1} {:>7.1} {:>10.1} {:>8.2}",
            p["rank"].as_u64().unwrap_or(0),
            num(&p["lon"]),
            num(&p["lat"]),
            num(&p["azimuth_deg"]),
            num(&p["hfov_deg"]),
            num(&p["range_m"]),
            num(&p["gain_m2"]),
            num(&p["gain_share"]),
        );
    }
    let _ = writeln!(out, "{}", text(&s["algorithm"]));
    out
}

/// A camera's health ([`crate::service::camera_health::CameraHealth::to_json`]).
#[must_use]
pub fn camera_health(health: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {} since {}",
        text(&health["code"]),
        text(&health["name"]),
        text(&health["status"]),
        health["since"].as_str().unwrap_or("(no record)"),
    );
    let a = &health["availability"];
    match a["online_share"].as_f64() {
        Some(share) => {
            let _ = writeln!(
                out,
                "online {:.2}% of the last {} days",
                share * 100.0,
                a["days"]
            );
        }
        None => {
            let _ = writeln!(out, "no status history in the last {} days", a["days"]);
        }
    }
    let _ = writeln!(out, "history (newest first):");
    for change in health["history"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {}  {}",
            text(&change["at"]),
            text(&change["status"])
        );
    }
    let _ = writeln!(out, "grids served:");
    for g in health["grids"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {}  {:>9.1} m2  {:>6.2}%  {}",
            text(&g["code"]),
            num(&g["seen_m2"]),
            num(&g["share"]) * 100.0,
            text(&g["name"]),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_coverage_row_shows_its_figures_and_name() {
        let table = json!({"layer": "grids", "summary": {"features": 1, "share": 40.0,
            "share_if_all_online": 55.5, "lost_points": 15.5, "without_any_camera": 0,
            "lost_over": 10.0, "lost_over_count": 1},
            "rows": [{"code": "330783001001001", "name": "一网格", "share": 40.0,
                "share_2plus": 12.25, "lost_points": 15.5, "cameras_online": 3,
                "cameras_offline": 2}]});
        let out = coverage_table(&table);
        assert!(out.starts_with("1 grids: 40.00% seen"), "{out}");
        assert!(out.contains("15.50 points lost"), "{out}");
        let row = out.lines().nth(2).expect("a row");
        assert!(
            row.contains("12.25") && row.contains("330783001001001") && row.ends_with("一网格"),
            "{row}"
        );
    }

    #[test]
    fn placement_lists_cameras_not_sectors() {
        let answer = json!({"target": {"layer": "grids", "key": "g", "name": "n"},
            "summary": {"k": 1, "weight": "area", "covered_before": 10.0, "covered_after": 30.0,
                "algorithm": "lazy greedy"},
            "features": [
                {"properties": {"role": "camera", "rank": 1, "lon": 120.1, "lat": 29.2,
                    "azimuth_deg": 90.0, "hfov_deg": 60.0, "range_m": 50.0, "gain_m2": 700.0,
                    "gain_share": 20.0}},
                {"properties": {"role": "sector", "rank": 1}}]});
        let out = placement(&answer);
        assert!(out.contains("10.00% -> 30.00%"), "{out}");
        assert_eq!(out.lines().count(), 4, "{out}");
        assert!(out.ends_with("lazy greedy\n"), "{out}");
    }
}
