//! The command line, run as a real process: import (with a dry run that reports every bad row
//! with its line and imports nothing), export, check and token; coverage, placement advice and
//! camera health.

use std::process::Command;

use serde_json::json;

use crate::common::{CAMERA, GRID_A, VILLAGE, area_feature, rect};

fn safegrid(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_safegrid"))
        .args(args)
        .env("DATABASE_URL", format!("sqlite:{}", db.display()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_export_check_and_token_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("safegrid-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("cli.db");
    let square = rect(120.0, 29.0, 120.1, 29.1);
    let regions = json!({"type": "FeatureCollection", "features": [
        area_feature(&json!({"code": "330783", "name": "东阳市"}), &square),
        area_feature(&json!({"code": "330783001", "name": "吴宁街道", "parent_code": "330783"}), &square),
        area_feature(&json!({"code": VILLAGE, "name": "东街社区居委会", "parent_code": "330783001"}), &square),
    ]});
    let regions_file = dir.join("regions.geojson");
    std::fs::write(&regions_file, regions.to_string()).expect("write");
    let (code, out, err) = safegrid(
        &db,
        &["import", "regions", regions_file.to_str().expect("path")],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 3 regions"), "{out}");

    let cameras = dir.join("cameras.csv");
    std::fs::write(
        &cameras,
        "code,name,azimuth_deg,hfov_deg,range_m,kind,经度,纬度\n\
         33078300001320000001,好点位,90,60,80,fixed,120.0546,29.0476\n\
         33078300001320000002,坏方位,400,60,80,fixed,120.0546,29.0476\n\
         33078300001320000003,经纬颠倒,90,60,80,fixed,29.0476,120.0546\n",
    )
    .expect("write");
    let (code, _, err) = safegrid(
        &db,
        &[
            "import",
            "cameras",
            cameras.to_str().expect("path"),
            "--crs",
            "gcj02",
            "--dry-run",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("line 3: azimuth_deg"), "{err}");
    assert!(err.contains("line 4:") && err.contains("swapped"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    let (_, out, _) = safegrid(&db, &["export", "cameras"]);
    let exported: serde_json::Value = serde_json::from_str(&out).expect("GeoJSON");
    assert_eq!(exported["features"], json!([]), "nothing was imported");

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "code,name,azimuth_deg,hfov_deg,range_m,kind,lon,lat\n\
         33078300001320000001,好点位,90,60,80,fixed,120.0546,29.0476\n",
    )
    .expect("write");
    let (code, out, err) = safegrid(
        &db,
        &[
            "import",
            "cameras",
            good.to_str().expect("path"),
            "--crs",
            "gcj02",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = safegrid(&db, &["export", "cameras", "--format", "csv"]);
    let row = out.lines().nth(1).expect("one camera");
    assert!(row.starts_with("33078300001320000001,"), "{out}");
    // GCJ-02 → WGS84 moved the point by about 0.0045° west.
    let lon: f64 = row
        .split(',')
        .rev()
        .nth(1)
        .expect("lon")
        .parse()
        .expect("number");
    assert!((lon - 120.0501).abs() < 0.001, "{lon}");

    let (code, out, _) = safegrid(&db, &["check"]);
    assert_eq!(code, 2, "a camera outside every grid is a finding: {out}");
    assert!(out.contains("33078300001320000001"), "{out}");

    let (code, out, _) = safegrid(&db, &["token", "--role", "planner", "--name", "规划科"]);
    assert_eq!(code, 0);
    assert!(
        out.trim().starts_with("sg_") && out.trim().len() == 67,
        "{out}"
    );
    let (code, _, err) = safegrid(&db, &["token", "--role", "root", "--name", "x"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown role"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `features` as a FeatureCollection file and imports it as `layer`.
fn import_features(
    db: &std::path::Path,
    dir: &std::path::Path,
    layer: &str,
    features: &[serde_json::Value],
) {
    let file = dir.join(format!("{layer}.geojson"));
    std::fs::write(
        &file,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .expect("write");
    let (code, out, err) = safegrid(db, &["import", layer, file.to_str().expect("path")]);
    assert_eq!(code, 0, "{layer}: {out}{err}");
}

#[test]
fn coverage_placement_and_camera_health_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("safegrid-cli-cov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("cov.db");
    // A 0.004° square community (about 390 m × 445 m) that is one grid, with a PTZ camera of
    // 50 m range in its middle.
    let square = rect(120.0, 29.0, 120.004, 29.004);
    import_features(
        &db,
        &dir,
        "regions",
        &[
            area_feature(&json!({"code": "330783", "name": "东阳市"}), &square),
            area_feature(
                &json!({"code": "330783001", "name": "吴宁街道", "parent_code": "330783"}),
                &square,
            ),
            area_feature(
                &json!({"code": VILLAGE, "name": "东街社区居委会", "parent_code": "330783001"}),
                &square,
            ),
        ],
    );
    import_features(
        &db,
        &dir,
        "grids",
        &[area_feature(
            &json!({"code": GRID_A, "name": "东街社区第1网格", "kind": "residential"}),
            &square,
        )],
    );
    import_features(
        &db,
        &dir,
        "cameras",
        &[json!({"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.002, 29.002]},
        "properties": {"code": CAMERA, "name": "东街球机", "azimuth_deg": 0.0, "hfov_deg": 360.0,
            "range_m": 50.0, "kind": "ptz"}})],
    );

    // The table: the grid, seen about π·50² of its area.
    let (code, out, err) = safegrid(&db, &["coverage", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let table: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let row = &table["rows"][0];
    assert_eq!(row["code"], GRID_A, "{table}");
    let (area, seen) = (
        row["area_m2"].as_f64().expect("area"),
        row["seen_m2"].as_f64().expect("seen"),
    );
    let circle = std::f64::consts::PI * 50.0 * 50.0;
    assert!(
        (seen - circle).abs() < 0.01 * circle,
        "seen {seen} m² vs circle {circle}"
    );
    assert!(
        (row["share"].as_f64().expect("share") - 100.0 * seen / area).abs() < 0.01,
        "{row}"
    );
    assert_eq!(
        (row["cameras_online"].as_u64(), row["lost_points"].as_f64()),
        (Some(1), Some(0.0))
    );
    let (code, out, _) = safegrid(&db, &["coverage"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("1 grids: ") && out.contains(GRID_A) && out.contains("东街社区第1网格"),
        "{out}"
    );
    let (_, out, _) = safegrid(&db, &["coverage", "--layer", "villages", "--format", "csv"]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "\u{feff}code,name,area_m2,seen_m2,seen_2plus_m2,share,share_2plus,share_if_all_online,lost_points,cameras_online,cameras_offline"
        )
    );
    assert!(
        lines
            .next()
            .expect("the village")
            .starts_with(&format!("{VILLAGE},东街社区居委会,")),
        "{out}"
    );
    // One feature: its blind spots, the grid less the circle.
    let (code, out, err) = safegrid(&db, &["coverage", "--key", GRID_A]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("GeoJSON");
    assert_eq!(
        report["features"][0]["properties"]["part"], "blind",
        "{report}"
    );
    assert_eq!(report["properties"]["seen_m2"], row["seen_m2"]);
    let (code, _, err) = safegrid(&db, &["coverage", "--layer", "streets"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown layer `streets`"), "{err}");

    // The camera goes offline: its history records it, and the grid lost all it saw.
    let (code, out, err) = safegrid(&db, &["camera", "status", CAMERA, "offline"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("{CAMERA}: online -> offline"));
    let (code, out, _) = safegrid(&db, &["camera", "health", CAMERA, "--format", "json"]);
    assert_eq!(code, 0);
    let health: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(health["status"], "offline");
    let history: Vec<&str> = health["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(history, ["offline", "online"], "{health}");
    assert_eq!(health["grids"][0]["code"], GRID_A, "{health}");
    let (_, out, _) = safegrid(&db, &["camera", "health", CAMERA]);
    assert!(
        out.starts_with(&format!("{CAMERA} 东街球机: offline since ")),
        "{out}"
    );
    let (code, _, err) = safegrid(&db, &["camera", "status", CAMERA, "broken"]);
    assert_ne!(code, 0);
    assert!(err.contains("online, offline or fault"), "{err}");
    let (_, out, _) = safegrid(&db, &["coverage", "--format", "json", "--lost-over", "1"]);
    let table: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(table["rows"][0]["seen_m2"], json!(0.0), "{table}");
    assert_eq!(
        table["rows"][0]["share_if_all_online"], row["share"],
        "{table}"
    );
    assert_eq!(
        table["summary"]["lost_over_keys"],
        json!([GRID_A]),
        "{table}"
    );

    // Placement: two cameras on a lattice, the first gaining at least as much as the second;
    // the table and the GeoJSON agree.
    let (code, out, err) = safegrid(
        &db,
        &[
            "placement",
            "--grid",
            GRID_A,
            "-k",
            "2",
            "--range-m",
            "60",
            "--format",
            "geojson",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let answer: serde_json::Value = serde_json::from_str(&out).expect("GeoJSON");
    let cameras: Vec<&serde_json::Value> = answer["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["role"] == "camera")
        .collect();
    assert_eq!(cameras.len(), 2, "{answer}");
    let gain = |i: usize| cameras[i]["properties"]["gain_m2"].as_f64().expect("gain");
    assert!(gain(0) >= gain(1) && gain(1) > 0.0, "{answer}");
    assert_eq!(answer["summary"]["sites_from"], "lattice");
    let (code, out, _) = safegrid(
        &db,
        &["placement", "--grid", GRID_A, "-k", "2", "--range-m", "60"],
    );
    assert_eq!(code, 0);
    let first = out.lines().nth(2).expect("rank 1");
    assert!(
        first.trim_start().starts_with("1 ")
            && first.contains(&format!(
                "{:.7}",
                cameras[0]["properties"]["lon"].as_f64().expect("lon")
            )),
        "{out}"
    );
    let (code, _, err) = safegrid(&db, &["placement", "--grid", "330783001014999", "-k", "2"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("grid `330783001014999` does not exist"),
        "{err}"
    );
    let (code, _, err) = safegrid(&db, &["placement", "-k", "2"]);
    assert_eq!(code, 2, "clap refuses a missing target: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}
