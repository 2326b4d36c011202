//! What a camera really sees, on SQLite and on PostGIS: the obstacles layer (CRUD), the
//! coverage endpoint, the tilt/vertical-view footprint, and occlusion in `/api/v1/locate`.
//!
//! The fixture camera stands at (120.02, 29.05), looks east (azimuth 90°) over 60° and 100 m.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::spatial::measure::LocalFrame;

use crate::both_backends;
use crate::common::{CAMERA, TestApp};

const PROBLEM: &str = "application/problem+json";
const GEOJSON: &str = "application/geo+json";

/// `[lon, lat]` of the point `east`, `north` metres from the fixture camera.
fn from_camera(east: f64, north: f64) -> [f64; 2] {
    let (lon, lat) = LocalFrame::new(120.02, 29.05).unproject([east, north]);
    [lon, lat]
}

/// A north–south wall `east` metres east of the camera, from `south` to `north` metres.
fn wall(id: &str, east: f64, south: f64, north: f64) -> Value {
    json!({"type": "Feature", "properties": {"id": id, "kind": "wall", "height_m": 2.2},
           "geometry": {"type": "LineString", "coordinates": [from_camera(east, south), from_camera(east, north)]}})
}

/// A building footprint, a rectangle in metres around the camera.
fn building(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    let ring = [
        from_camera(x0, y0),
        from_camera(x1, y0),
        from_camera(x1, y1),
        from_camera(x0, y1),
        from_camera(x0, y0),
    ];
    json!({"type": "Feature", "properties": {"id": id, "name": "3号楼", "kind": "building", "height_m": 18.0},
           "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

async fn cameras_at(app: &TestApp, east: f64, north: f64) -> Vec<String> {
    let [lon, lat] = from_camera(east, north);
    let (status, _, body) = app
        .call(
            "GET",
            &format!("/api/v1/locate?lon={lon}&lat={lat}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .map(|c| c["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn coverage(app: &TestApp) -> Value {
    let (status, ctype, body) = app
        .call(
            "GET",
            &format!("/api/v1/cameras/{CAMERA}/coverage"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ctype, GEOJSON);
    body
}

fn close(got: &Value, want: f64, rel: f64) -> bool {
    got.as_f64()
        .is_some_and(|g| (g - want).abs() <= want.abs() * rel)
}

async fn obstacles_have_full_crud(app: &TestApp) {
    let b = building("", 20.0, -10.0, 30.0, 10.0);
    // Viewers may not write; planners may.
    let (status, ctype, _) = app
        .call(
            "POST",
            "/api/v1/obstacles",
            Some(Role::Viewer),
            Some(b.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ctype, PROBLEM);
    let (status, _, created) = app
        .call("POST", "/api/v1/obstacles", Some(Role::Planner), Some(b))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"]
        .as_str()
        .expect("server-assigned id")
        .to_owned();
    assert!(id.starts_with("O-"), "{id}");
    assert_eq!(created["geometry"]["type"], "Polygon");
    assert_eq!(created["properties"]["kind"], "building");

    let (status, _, got) = app
        .call("GET", &format!("/api/v1/obstacles/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        got["geometry"], created["geometry"],
        "geometry round-trips exactly"
    );
    assert_eq!(got["properties"]["height_m"], 18.0);

    // Replace the footprint by a wall.
    let (status, _, replaced) = app
        .call(
            "PUT",
            &format!("/api/v1/obstacles/{id}"),
            Some(Role::Planner),
            Some(wall(&id, 25.0, -10.0, 10.0)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["geometry"]["type"], "LineString");
    let (_, _, listed) = app
        .call(
            "GET",
            "/api/v1/obstacles?bbox=120.0,29.0,120.1,29.1",
            None,
            None,
        )
        .await;
    assert_eq!(listed["numberMatched"], 1, "{listed}");
    assert_eq!(listed["features"][0]["properties"]["kind"], "wall");
    let (_, _, elsewhere) = app
        .call(
            "GET",
            "/api/v1/obstacles?bbox=121.0,30.0,121.1,30.1",
            None,
            None,
        )
        .await;
    assert_eq!(elsewhere["numberMatched"], 0);

    // A point is neither a footprint nor a wall; a negative height is refused.
    let point = json!({"type": "Feature", "properties": {"id": "p1"}, "geometry": {"type": "Point", "coordinates": [120.02, 29.05]}});
    let (status, ctype, problem) = app
        .call("POST", "/api/v1/obstacles", Some(Role::Admin), Some(point))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(ctype, PROBLEM);
    assert_eq!(problem["field"], "geometry.type");
    let mut low = wall("low", 25.0, -10.0, 10.0);
    low["properties"]["height_m"] = json!(-1.0);
    let (status, _, problem) = app
        .call("POST", "/api/v1/obstacles", Some(Role::Admin), Some(low))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "height_m");

    // The reload from the store gives the same layer.
    let reloaded =
        safegrid::spatial::Snapshot::build(app.service.store().load().await.expect("load"), 0);
    assert_eq!(reloaded.obstacles.len(), 1);
    assert_eq!(
        reloaded.obstacles.iter().next().map(|o| &o.shape),
        app.service
            .snapshot()
            .obstacles
            .iter()
            .next()
            .map(|o| &o.shape)
    );

    let (status, _, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/obstacles/{id}"),
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ctype, _) = app
        .call("GET", &format!("/api/v1/obstacles/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, PROBLEM);
}
both_backends!(obstacle_crud, obstacles_have_full_crud);

async fn coverage_is_the_sector_less_what_a_wall_hides(app: &TestApp) {
    // No obstacles: the plain 60° sector of 100 m, π·100²/6.
    let body = coverage(app).await;
    let sector = std::f64::consts::PI * 100.0 * 100.0 / 6.0;
    assert_eq!(body["type"], "Feature");
    assert_eq!(body["geometry"]["type"], "Polygon");
    assert_eq!(body["properties"]["code"], CAMERA);
    assert!(
        close(&body["properties"]["area_m2"], sector, 0.005),
        "{body}"
    );
    assert_eq!(body["properties"]["near_m"], 0.0);
    assert_eq!(body["properties"]["far_m"], 100.0);
    assert_eq!(body["properties"]["occluded_m2"], 0.0);
    assert_eq!(body["properties"]["obstacles_considered"], 0);
    assert_eq!(cameras_at(app, 70.0, 0.0).await, [CAMERA]);

    // A wall 50 m east, 20 m either side of the axis: the cone of half-angle atan(20/50)
    // beyond it is hidden, i.e. that sector of 100 m less the triangle camera–wall ends.
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/obstacles",
            Some(Role::Planner),
            Some(wall("w1", 50.0, -20.0, 20.0)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let shadow = 0.5 * 100.0 * 100.0 * 2.0 * 0.4f64.atan() - 0.5 * 40.0 * 50.0;
    let body = coverage(app).await;
    let props = &body["properties"];
    assert!(close(&props["area_m2"], sector - shadow, 0.005), "{body}");
    assert!(close(&props["occluded_m2"], shadow, 0.005), "{body}");
    assert!(
        close(&props["occluded_share"], shadow / sector, 0.01),
        "{body}"
    );
    assert_eq!(props["obstacles_considered"], 1);

    // Locate honours it: behind the wall hidden, in front of it and beside its shadow seen.
    assert!(
        cameras_at(app, 70.0, 0.0).await.is_empty(),
        "behind the wall"
    );
    assert!(
        cameras_at(app, 90.0, 30.0).await.is_empty(),
        "far behind, in the shadow"
    );
    assert_eq!(
        cameras_at(app, 30.0, 0.0).await,
        [CAMERA],
        "in front of the wall"
    );
    assert_eq!(
        cameras_at(app, 70.0, 35.0).await,
        [CAMERA],
        "beside the shadow"
    );

    // A building around the camera (it is mounted on it) hides nothing.
    let (status, _, _) = app
        .call(
            "POST",
            "/api/v1/obstacles",
            Some(Role::Planner),
            Some(building("home", -10.0, -5.0, 0.0, 5.0)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(cameras_at(app, 30.0, 0.0).await, [CAMERA]);
    assert_eq!(coverage(app).await["properties"]["obstacles_considered"], 1);

    // Without the wall the camera sees the point again.
    let (status, _, _) = app
        .call("DELETE", "/api/v1/obstacles/w1", Some(Role::Planner), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cameras_at(app, 70.0, 0.0).await, [CAMERA]);
}
both_backends!(
    coverage_with_wall,
    coverage_is_the_sector_less_what_a_wall_hides
);

async fn a_tilted_camera_has_a_blind_zone_and_a_far_edge(app: &TestApp) {
    // 10 m high, tilted 30° down, 30° vertical view: ground seen from 10 m to 37.32 m.
    let camera = |props: Value| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.05]}, "properties": props});
    let (status, _, body) = app
        .call(
            "PUT",
            &format!("/api/v1/cameras/{CAMERA}"),
            Some(Role::Planner),
            Some(camera(json!({"code": CAMERA, "azimuth_deg": 90.0, "hfov_deg": 60.0, "range_m": 100.0,
                               "kind": "fixed", "height_m": 10.0, "tilt_deg": 30.0, "vfov_deg": 30.0}))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["tilt_deg"], 30.0);
    let body = coverage(app).await;
    let far = 10.0 / 15f64.to_radians().tan();
    assert!(close(&body["properties"]["near_m"], 10.0, 1e-3), "{body}");
    assert!(close(&body["properties"]["far_m"], far, 1e-3), "{body}");
    let annulus = (far * far - 100.0) * std::f64::consts::PI / 6.0;
    assert!(
        close(&body["properties"]["area_m2"], annulus, 0.005),
        "{body}"
    );
    assert!(
        cameras_at(app, 5.0, 0.0).await.is_empty(),
        "in the blind zone"
    );
    assert_eq!(cameras_at(app, 20.0, 0.0).await, [CAMERA]);
    assert!(
        cameras_at(app, 40.0, 0.0).await.is_empty(),
        "beyond the far edge"
    );

    // Tilt without a vertical view, and a view that meets the ground beyond range, are refused.
    for (props, field) in [
        (
            json!({"code": CAMERA, "range_m": 100.0, "kind": "fixed", "tilt_deg": 30.0}),
            "vfov_deg",
        ),
        (
            json!({"code": CAMERA, "range_m": 100.0, "kind": "fixed", "tilt_deg": 95.0, "vfov_deg": 10.0}),
            "tilt_deg",
        ),
        (
            json!({"code": CAMERA, "range_m": 30.0, "kind": "fixed", "height_m": 20.0, "tilt_deg": 10.0, "vfov_deg": 4.0}),
            "tilt_deg",
        ),
    ] {
        let (status, ctype, problem) = app
            .call(
                "PUT",
                &format!("/api/v1/cameras/{CAMERA}"),
                Some(Role::Planner),
                Some(camera(props)),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(ctype, PROBLEM);
        assert_eq!(problem["field"], field, "{problem}");
    }
}
both_backends!(
    tilted_camera,
    a_tilted_camera_has_a_blind_zone_and_a_far_edge
);

async fn coverage_of_an_unknown_camera_is_404_problem(app: &TestApp) {
    let (status, ctype, body) = app
        .call(
            "GET",
            "/api/v1/cameras/33078300001320009999/coverage",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, PROBLEM);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("33078300001320009999"),
        "{body}"
    );
}
both_backends!(
    coverage_unknown,
    coverage_of_an_unknown_camera_is_404_problem
);

async fn a_low_wall_hides_only_a_strip_behind_it(app: &TestApp) {
    // The fixture camera is 4 m high (the default). A 1 m wall 20 m east of it, 10 m either side
    // of the axis, hides the strip 20 · 1 / (4 − 1) m deep behind it: the trapezoid from x = 20
    // (y ±10) to x = 26.67 (y ±13.33), 155.56 m².
    let mut low = wall("low", 20.0, -10.0, 10.0);
    low["properties"]["height_m"] = json!(1.0);
    let (status, _, body) = app
        .call("POST", "/api/v1/obstacles", Some(Role::Planner), Some(low))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Mean width (20 + 80/3) / 2 times depth 20/3.
    let strip = f64::midpoint(20.0, 80.0 / 3.0) * (20.0 / 3.0);
    let body = coverage(app).await;
    assert!(
        close(&body["properties"]["occluded_m2"], strip, 1e-3),
        "{body}"
    );
    assert_eq!(body["properties"]["obstacles_considered"], 1);
    assert!(cameras_at(app, 23.0, 0.0).await.is_empty(), "in the strip");
    assert_eq!(cameras_at(app, 28.0, 0.0).await, [CAMERA], "beyond it");
    assert_eq!(cameras_at(app, 90.0, 0.0).await, [CAMERA], "far beyond it");

    // As high as the camera, it hides everything behind it up to the range.
    let (status, _, _) = app
        .call("DELETE", "/api/v1/obstacles/low", Some(Role::Planner), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut high = wall("high", 20.0, -10.0, 10.0);
    high["properties"]["height_m"] = json!(4.0);
    let (status, _, body) = app
        .call("POST", "/api/v1/obstacles", Some(Role::Planner), Some(high))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let shadow = 0.5 * 100.0 * 100.0 * 2.0 * 0.5f64.atan() - 0.5 * 20.0 * 20.0;
    let body = coverage(app).await;
    assert!(
        close(&body["properties"]["occluded_m2"], shadow, 0.005),
        "{body}"
    );
    assert!(cameras_at(app, 90.0, 0.0).await.is_empty(), "far behind it");
}
both_backends!(low_wall, a_low_wall_hides_only_a_strip_behind_it);
