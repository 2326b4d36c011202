//! The command line, run as a real process: import (with a dry run that reports every bad row
//! with its line and imports nothing), export, check and token.

use std::process::Command;

use serde_json::json;

use crate::common::{VILLAGE, area_feature, rect};

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
