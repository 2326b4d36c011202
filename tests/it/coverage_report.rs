//! Coverage analytics over HTTP on both stores: the layer table (ranking, summary, cache, CSV),
//! one feature's blind spots, the map's bbox endpoint, errors, and the cache dropped when a
//! camera goes offline.
//!
//! The fixture camera at (120.02, 29.05) looks east over 60° and 100 m, inside grid A, its
//! micro-grid and key area K1; grid B sees nothing.

use axum::http::StatusCode;
use geo::{LineString, MultiPolygon, Polygon, coord};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::spatial::topology::area_m2;

use crate::both_backends;
use crate::common::{CAMERA, GRID_A, GRID_B, MICRO_A, TestApp};

const PROBLEM: &str = "application/problem+json";
const GEOJSON: &str = "application/geo+json";

fn rect_area(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let ring = LineString(vec![
        coord! {x: x0, y: y0},
        coord! {x: x1, y: y0},
        coord! {x: x1, y: y1},
        coord! {x: x0, y: y1},
        coord! {x: x0, y: y0},
    ]);
    area_m2(&MultiPolygon(vec![Polygon::new(ring, Vec::new())]))
}

/// The fixture camera's sector, m².
fn sector_m2() -> f64 {
    std::f64::consts::PI * 100.0 * 100.0 / 6.0
}

async fn get(app: &TestApp, uri: &str) -> (StatusCode, String, Value) {
    app.call("GET", uri, None, None).await
}

fn row<'a>(table: &'a Value, key: &str) -> &'a Value {
    table["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == key || r["id"] == key)
        .unwrap_or_else(|| panic!("row {key} in {table}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

async fn table_ranks_worst_first_with_figures(app: &TestApp) {
    let (status, ctype, table) = get(app, "/api/v1/coverage?layer=grids").await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    assert_eq!(table["layer"], "grids");
    assert_eq!(table["cached"], false);
    let codes: Vec<&str> = table["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, [GRID_B, GRID_A, MICRO_A], "worst first");
    let a = row(&table, GRID_A);
    let grid_a = rect_area(120.0, 29.0, 120.05, 29.1);
    assert!((num(&a["area_m2"]) - grid_a).abs() < 1.0, "{a}");
    assert!((num(&a["seen_m2"]) - sector_m2()).abs() < 1.0, "{a}");
    let share = 100.0 * sector_m2() / grid_a;
    assert!((num(&a["share"]) - share).abs() < 0.01, "{a}");
    assert_eq!(a["share_2plus"], 0.0);
    assert_eq!(a["lost_points"], 0.0);
    assert_eq!(a["cameras_online"], 1);
    assert_eq!(a["cameras_offline"], 0);
    assert_eq!(a["name"], "东街社区第1网格");
    let b = row(&table, GRID_B);
    assert_eq!(b["share"], 0.0);
    assert_eq!(b["cameras_online"], 0);
    assert_eq!(table["summary"]["features"], 3);
    assert_eq!(table["summary"]["without_any_camera"], 1);
    assert_eq!(table["summary"]["lost_over_count"], 0);

    // The second answer comes from the cache; limit and sort shape the rows only.
    let (_, _, again) = get(app, "/api/v1/coverage?layer=grids&sort=key&limit=2").await;
    assert_eq!(again["cached"], true);
    assert_eq!(again["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(again["rows"][0]["code"], GRID_A);
    assert_eq!(again["summary"]["features"], 3);

    // Other layers.
    let (status, _, villages) = get(app, "/api/v1/coverage?layer=villages").await;
    assert_eq!(status, StatusCode::OK, "{villages}");
    assert_eq!(villages["rows"].as_array().map(Vec::len), Some(1));
    let (_, _, towns) = get(app, "/api/v1/coverage?layer=towns").await;
    assert_eq!(towns["rows"][0]["code"], "330783001");
    let (_, _, schools) = get(
        app,
        "/api/v1/coverage?layer=key-areas&category=school_surroundings",
    )
    .await;
    let k1 = row(&schools, "K1");
    assert_eq!(k1["category"], "school_surroundings");
    let k1_share = 100.0 * sector_m2() / rect_area(120.01, 29.04, 120.03, 29.06);
    assert!((num(&k1["share"]) - k1_share).abs() < 0.01, "{k1}");
    let (_, _, none) = get(
        app,
        "/api/v1/coverage?layer=key-areas&category=urban_village",
    )
    .await;
    assert_eq!(none["rows"], json!([]));
    let (_, _, routes) = get(app, "/api/v1/coverage?layer=patrol-routes").await;
    let r1 = row(&routes, "R1");
    assert!(num(&r1["length_m"]) > 9_000.0, "{r1}");
    assert_eq!(
        r1["seen_m"], 0.0,
        "the route runs 111 m north of the camera"
    );
}

async fn csv_has_the_same_columns(app: &TestApp) {
    let (status, ctype, body) = get(app, "/api/v1/coverage?layer=grids&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "text/csv; charset=utf-8");
    let text = body.as_str().expect("text");
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "code,name,area_m2,seen_m2,seen_2plus_m2,share,share_2plus,share_if_all_online,lost_points,cameras_online,cameras_offline"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with(GRID_B), "worst first: {text}");
    assert!(text.contains("东街社区第1网格"), "{text}");
}

async fn one_feature_has_blind_spots_and_errors_are_problems(app: &TestApp) {
    let (status, ctype, fc) = get(app, &format!("/api/v1/coverage/grids/{GRID_A}")).await;
    assert_eq!(status, StatusCode::OK, "{fc}");
    assert_eq!(ctype, GEOJSON);
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["properties"]["code"], GRID_A);
    assert_eq!(fc["features"].as_array().map(Vec::len), Some(1));
    assert_eq!(fc["features"][0]["properties"]["part"], "blind");
    // The blind spot is the grid with a sector-shaped hole.
    let geometry = &fc["features"][0]["geometry"];
    assert_eq!(geometry["type"], "MultiPolygon");
    assert_eq!(geometry["coordinates"][0].as_array().map(Vec::len), Some(2));
    let (_, _, with_seen) = get(
        app,
        &format!("/api/v1/coverage/grids/{GRID_A}?include=seen"),
    )
    .await;
    assert_eq!(with_seen["features"][1]["properties"]["part"], "seen");
    let (status, _, route) = get(app, "/api/v1/coverage/patrol-routes/R1").await;
    assert_eq!(status, StatusCode::OK, "{route}");
    assert_eq!(route["features"][0]["geometry"]["type"], "MultiLineString");

    let (status, ctype, problem) = get(app, "/api/v1/coverage?layer=roads").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ctype, PROBLEM);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("grids") && detail.contains("patrol-routes"),
        "{problem}"
    );
    let (status, ctype, _) = get(app, "/api/v1/coverage/roads/1").await;
    assert_eq!((status, ctype.as_str()), (StatusCode::BAD_REQUEST, PROBLEM));
    let (status, ctype, _) = get(app, "/api/v1/coverage/grids/330783001014999").await;
    assert_eq!((status, ctype.as_str()), (StatusCode::NOT_FOUND, PROBLEM));
    let (status, _, _) = get(app, "/api/v1/coverage/towns/330783001014").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a village is not a town");
    for bad in [
        "/api/v1/coverage?layer=grids&format=xlsx",
        "/api/v1/coverage?layer=grids&category=school_surroundings",
        "/api/v1/coverage?layer=key-areas&category=park",
        "/api/v1/coverage?layer=grids&sort=best",
        "/api/v1/coverage?layer=grids&limit=0",
        "/api/v1/coverage/blind-spots",
        "/api/v1/coverage/blind-spots?bbox=120,29,120.1,29.1&limit=100000",
    ] {
        let (status, ctype, _) = get(app, bad).await;
        assert_eq!(
            (status, ctype.as_str()),
            (StatusCode::BAD_REQUEST, PROBLEM),
            "{bad}"
        );
    }
}

async fn blind_spots_in_a_box(app: &TestApp) {
    let (status, ctype, fc) = get(app, "/api/v1/coverage/blind-spots?bbox=120,29,120.1,29.1").await;
    assert_eq!(status, StatusCode::OK, "{fc}");
    assert_eq!(ctype, GEOJSON);
    assert_eq!(fc["numberMatched"], 3);
    let a = fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["id"] == GRID_A)
        .expect("grid A");
    assert!(num(&a["properties"]["share"]) > 0.0);
    let (_, _, east) = get(
        app,
        "/api/v1/coverage/blind-spots?bbox=120.06,29.0,120.1,29.1&limit=10",
    )
    .await;
    assert_eq!(east["numberMatched"], 1);
    assert_eq!(east["features"][0]["id"], GRID_B);
}

async fn a_camera_going_offline_drops_the_cache_and_the_share(app: &TestApp) {
    let (_, _, before) = get(app, "/api/v1/coverage?layer=grids").await;
    let share = num(&row(&before, GRID_A)["share"]);
    assert!(share > 0.0);
    let (_, _, cached) = get(app, "/api/v1/coverage?layer=grids").await;
    assert_eq!(cached["cached"], true);

    let offline = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.05]},
        "properties": {"code": CAMERA, "name": "东街1号", "azimuth_deg": 90.0, "hfov_deg": 60.0,
                       "range_m": 100.0, "kind": "fixed", "status": "offline"}});
    let (status, _, body) = app
        .call(
            "PUT",
            &format!("/api/v1/cameras/{CAMERA}"),
            Some(Role::Planner),
            Some(offline),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, _, after) = get(app, "/api/v1/coverage?layer=grids&lost_over=0.001").await;
    assert_eq!(after["cached"], false, "a camera change drops the cache");
    let a = row(&after, GRID_A);
    assert_eq!(a["share"], 0.0, "{a}");
    assert_eq!(a["cameras_online"], 0);
    assert_eq!(a["cameras_offline"], 1);
    assert!(
        (num(&a["share_if_all_online"]) - share).abs() < 0.011,
        "{a}"
    );
    assert!((num(&a["lost_points"]) - share).abs() < 0.011, "{a}");
    assert_eq!(
        after["summary"]["lost_over_count"], 2,
        "grid A and its micro-grid"
    );
    let (_, _, fc) = get(app, &format!("/api/v1/coverage/grids/{GRID_A}")).await;
    assert_eq!(fc["properties"]["share"], 0.0);
    assert_eq!(
        fc["features"][0]["geometry"]["coordinates"][0]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the whole grid is blind"
    );
}

both_backends!(
    coverage_table_ranks_worst_first_with_figures,
    table_ranks_worst_first_with_figures
);
both_backends!(coverage_csv_has_the_same_columns, csv_has_the_same_columns);
both_backends!(
    coverage_of_one_feature_and_errors,
    one_feature_has_blind_spots_and_errors_are_problems
);
both_backends!(coverage_blind_spots_in_a_box, blind_spots_in_a_box);
both_backends!(
    coverage_cache_dropped_when_a_camera_goes_offline,
    a_camera_going_offline_drops_the_cache_and_the_share
);
