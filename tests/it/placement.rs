//! `POST /api/v1/cameras/placement`: placement advice on the fixture (a grid with a patrol
//! route and one online camera), request errors named by field, and who may ask.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::{GRID_A, TestApp, rect};

const PLACEMENT: &str = "/api/v1/cameras/placement";

/// About 195 m × 111 m around the fixture camera (120.02, 29.05), which looks east.
fn around_camera() -> Value {
    json!({"type": "Polygon", "coordinates": [rect(120.019, 29.0495, 120.021, 29.0505)]})
}

fn features_with_role<'a>(body: &'a Value, role: &str) -> Vec<&'a Value> {
    body["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["role"] == role)
        .collect()
}

async fn grid_target_gets_cameras_along_its_patrol_route(app: &TestApp) {
    let (status, ctype, body) = app
        .call(
            "POST",
            PLACEMENT,
            Some(Role::Planner),
            Some(json!({"target": {"grid": GRID_A}, "k": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(body["target"]["key"], GRID_A);
    let summary = &body["summary"];
    assert_eq!(summary["sites_from"], "patrol_routes", "{summary}");
    assert_eq!(summary["k"], 3);
    assert_eq!(summary["k_asked"], 3);
    assert!(
        summary["algorithm"]
            .as_str()
            .expect("text")
            .contains("(1 - 1/e)")
    );
    let before = summary["covered_before"].as_f64().expect("before");
    let after = summary["covered_after"].as_f64().expect("after");
    assert!(after > before, "{summary}");
    assert!(summary["cells"].as_u64().expect("cells") > 1000);
    assert!(summary["candidates_considered"].as_u64().expect("n") > 0);
    let cameras = features_with_role(&body, "camera");
    let sectors = features_with_role(&body, "sector");
    assert_eq!((cameras.len(), sectors.len()), (3, 3));
    let mut last_gain = f64::INFINITY;
    for (i, c) in cameras.iter().enumerate() {
        let p = &c["properties"];
        assert_eq!(p["rank"], i + 1);
        assert_eq!(c["geometry"]["type"], "Point");
        // The patrol route runs along lat 29.051, inside the grid (lon 120.0..120.05).
        let lat = p["lat"].as_f64().expect("lat");
        let lon = p["lon"].as_f64().expect("lon");
        assert!(
            (lat - 29.051).abs() < 1e-6 && (120.0..=120.05).contains(&lon),
            "{p}"
        );
        assert_eq!(p["kind"], "fixed");
        assert_eq!(p["hfov_deg"], 90.0);
        let gain = p["gain_m2"].as_f64().expect("gain");
        assert!(
            gain > 0.0 && gain <= last_gain + 1e-6,
            "gains never grow: {p}"
        );
        last_gain = gain;
        assert_eq!(sectors[i]["properties"]["rank"], i + 1);
        assert_eq!(sectors[i]["geometry"]["type"], "Polygon");
    }
    // The last camera's cumulative share is the summary's.
    let last = &cameras[2]["properties"];
    assert!((last["covered_after"].as_f64().expect("after") - after).abs() < 0.02);
}

async fn the_existing_camera_counts_and_ptz_candidates_are_taken(app: &TestApp) {
    let (status, _, body) = app
        .call(
            "POST",
            PLACEMENT,
            Some(Role::Rectification),
            Some(json!({
                "target": {"geometry": around_camera()},
                "k": 2,
                "candidates": [[120.0195, 29.05], [120.0205, 29.05]],
                "camera": {"kind": "ptz", "range_m": 60},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summary = &body["summary"];
    assert_eq!(summary["existing_cameras"], 1, "{summary}");
    assert!(
        summary["covered_before"].as_f64().expect("before") > 10.0,
        "{summary}"
    );
    assert_eq!(summary["sites_from"], "candidates");
    let cameras = features_with_role(&body, "camera");
    assert!(!cameras.is_empty());
    // West of the camera is what it does not see: the west candidate goes first.
    assert_eq!(cameras[0]["properties"]["lon"], 120.0195);
    assert_eq!(cameras[0]["properties"]["kind"], "ptz");
    assert_eq!(cameras[0]["properties"]["hfov_deg"], 360.0);
}

async fn request_errors_name_their_field(app: &TestApp) {
    let cases = [
        (
            json!({"target": {"grid": GRID_A}, "k": 0}),
            StatusCode::BAD_REQUEST,
            "k",
        ),
        (
            json!({"target": {"grid": GRID_A}, "k": 51}),
            StatusCode::BAD_REQUEST,
            "k",
        ),
        (
            json!({"target": {"grid": GRID_A}, "k": -1}),
            StatusCode::BAD_REQUEST,
            "k",
        ),
        (
            json!({"target": {"grid": "330783001014999"}, "k": 1}),
            StatusCode::NOT_FOUND,
            "target.grid",
        ),
        (
            json!({"target": {"village": "330783001099"}, "k": 1}),
            StatusCode::NOT_FOUND,
            "target.village",
        ),
        (
            json!({"target": {"grid": GRID_A, "key_area": "K1"}, "k": 1}),
            StatusCode::BAD_REQUEST,
            "target",
        ),
        (
            json!({"target": {}, "k": 1}),
            StatusCode::BAD_REQUEST,
            "target",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "candidates": []}),
            StatusCode::BAD_REQUEST,
            "candidates",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "candidates": vec![[120.02, 29.05]; 5001]}),
            StatusCode::BAD_REQUEST,
            "candidates",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "candidates": [[200.0, 29.05]]}),
            StatusCode::BAD_REQUEST,
            "candidates[0]",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "weight": "people"}),
            StatusCode::BAD_REQUEST,
            "weight",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "weight": "events"}),
            StatusCode::BAD_REQUEST,
            "weight",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "spacing_m": 5}),
            StatusCode::BAD_REQUEST,
            "spacing_m",
        ),
        (
            json!({"target": {"key_area": "K1"}, "k": 1, "camera": {"hfov_deg": 0}}),
            StatusCode::BAD_REQUEST,
            "camera.hfov_deg",
        ),
        (
            json!({"target": {"geometry": {"type": "Point", "coordinates": [120.0, 29.0]}}, "k": 1}),
            StatusCode::BAD_REQUEST,
            "target.geometry.type",
        ),
    ];
    for (body, status, field) in cases {
        let (got, ctype, problem) = app
            .call("POST", PLACEMENT, Some(Role::Planner), Some(body.clone()))
            .await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
}

/// A probe of the release build found that these targets built candidate sites until the
/// process died (8 GiB asked for in one allocation); each is now refused before any work.
async fn targets_beyond_the_budget_are_refused_with_how_to_narrow_them(app: &TestApp) {
    let polygon = |ring: Vec<[f64; 2]>| json!({"type": "Polygon", "coordinates": [ring]});
    let cases = [
        (
            "across the 180° meridian",
            polygon(vec![
                [179.9, 29.0],
                [-179.9, 29.0],
                [-179.9, 29.1],
                [179.9, 29.1],
                [179.9, 29.0],
            ]),
            json!({}),
            "crosses the 180° meridian",
        ),
        (
            "the world",
            polygon(vec![
                [-180.0, -85.0],
                [180.0, -85.0],
                [180.0, 85.0],
                [-180.0, 85.0],
                [-180.0, -85.0],
            ]),
            json!({}),
            "crosses the 180° meridian",
        ),
        (
            "another city",
            polygon(rect(116.3, 39.9, 116.4, 40.0)),
            json!({}),
            "outside the city",
        ),
        (
            "the whole county for 10 m cameras",
            polygon(rect(120.0, 29.0, 120.1, 29.1)),
            json!({"range_m": 10}),
            "narrow the target",
        ),
    ];
    for (what, geometry, camera, says) in cases {
        let body =
            json!({"target": {"geometry": geometry}, "k": 3, "spacing_m": 10, "camera": camera});
        let (status, ctype, problem) = app
            .call("POST", PLACEMENT, Some(Role::Planner), Some(body))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {problem}"
        );
        assert_eq!(ctype, "application/problem+json");
        assert!(
            problem["field"]
                .as_str()
                .expect("field")
                .starts_with("target"),
            "{what}: {problem}"
        );
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(says), "{what}: {detail}");
    }
    // The service is still there and still plans a target of the right size.
    let (status, _, problem) = app
        .call(
            "POST",
            PLACEMENT,
            Some(Role::Planner),
            Some(json!({"target": {"geometry": around_camera()}, "k": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{problem}");
}

async fn only_planners_rectification_and_admins_may_ask(app: &TestApp) {
    let body = json!({"target": {"key_area": "K1"}, "k": 1});
    let (status, _, _) = app.call("POST", PLACEMENT, None, Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for role in [Role::Viewer, Role::Worker, Role::Scheduler] {
        let (status, _, problem) = app
            .call("POST", PLACEMENT, Some(role), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {problem}");
    }
    for role in [Role::Admin, Role::Planner, Role::Rectification] {
        let (status, _, problem) = app
            .call("POST", PLACEMENT, Some(role), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "{role:?}: {problem}");
    }
}

both_backends!(
    placement_grid_target_gets_cameras_along_its_patrol_route,
    grid_target_gets_cameras_along_its_patrol_route
);
both_backends!(
    placement_the_existing_camera_counts_and_ptz_candidates_are_taken,
    the_existing_camera_counts_and_ptz_candidates_are_taken
);
both_backends!(
    placement_request_errors_name_their_field,
    request_errors_name_their_field
);
both_backends!(
    placement_only_planners_rectification_and_admins_may_ask,
    only_planners_rectification_and_admins_may_ask
);
both_backends!(
    placement_targets_beyond_the_budget_are_refused_with_how_to_narrow_them,
    targets_beyond_the_budget_are_refused_with_how_to_narrow_them
);
