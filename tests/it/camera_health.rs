//! Camera health through the real router, on SQLite and on PostGIS: every write that sets or
//! changes a camera's status enters its history (API report, PUT, import), and
//! `GET /api/v1/cameras/{code}/health` answers it with the grids the camera serves.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::{AnyItem, CameraStatus, Layer, Role};

use crate::both_backends;
use crate::common::{CAMERA, GRID_A, MICRO_A, TestApp};

async fn health(app: &TestApp) -> Value {
    let (status, _, body) = app
        .call(
            "GET",
            &format!("/api/v1/cameras/{CAMERA}/health"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn report(app: &TestApp, status: &str) -> (StatusCode, String, Value) {
    app.call(
        "POST",
        &format!("/api/v1/cameras/{CAMERA}/status"),
        Some(Role::Admin),
        Some(json!({"status": status})),
    )
    .await
}

fn statuses(body: &Value) -> Vec<&str> {
    body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["status"].as_str().expect("status"))
        .collect()
}

async fn every_status_change_enters_the_history(app: &TestApp) {
    let body = health(app).await;
    assert_eq!(body["status"], "online");
    assert_eq!(statuses(&body), ["online"], "the insert is the first entry");
    assert_eq!(body["since"], body["history"][0]["at"]);
    // The fixture camera looks east from inside micro-grid A: 60° of a 100 m disc.
    let mut grids: Vec<&str> = body["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| g["code"].as_str().expect("code"))
        .collect();
    grids.sort_unstable();
    assert_eq!(grids, [GRID_A, MICRO_A]);
    let sector = std::f64::consts::PI * 100.0 * 100.0 / 6.0;
    let seen = body["grids"][0]["seen_m2"].as_f64().expect("seen_m2");
    assert!((seen / sector - 1.0).abs() < 0.005, "{seen} m² of {sector}");
    assert!(body["availability"]["online_share"].as_f64().is_some());

    // A status report.
    let (status, _, body) = report(app, "offline").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "offline");
    assert_eq!(statuses(&body), ["offline", "online"]);
    assert_eq!(body["since"], body["history"][0]["at"]);
    assert_eq!(
        app.service.snapshot().cameras.get(CAMERA).map(|c| c.status),
        Some(safegrid::domain::CameraStatus::Offline)
    );
    // The same status again, and a write that keeps the status: no new entry.
    let (status, _, _) = report(app, "offline").await;
    assert_eq!(status, StatusCode::OK);
    let mut camera = app
        .service
        .snapshot()
        .cameras
        .get(CAMERA)
        .expect("camera")
        .clone();
    camera.name = "东街1号（改）".into();
    app.service
        .replace(CAMERA, AnyItem::Camera(camera.clone()))
        .await
        .expect("rename");
    assert_eq!(statuses(&health(app).await), ["offline", "online"]);
    // An import that changes the status is recorded too.
    camera.status = safegrid::domain::CameraStatus::Fault;
    app.service
        .import(vec![AnyItem::Camera(camera)])
        .await
        .expect("import");
    let body = health(app).await;
    assert_eq!(statuses(&body), ["fault", "offline", "online"]);
    let share = body["availability"]["online_share"]
        .as_f64()
        .expect("share");
    assert!((0.0..1.0).contains(&share), "{share}: online only at first");
    // The history outlives the camera's deletion in the store.
    app.service
        .delete(Layer::Camera, CAMERA)
        .await
        .expect("delete");
    let kept = app
        .service
        .store()
        .camera_status_history(CAMERA, 10)
        .await
        .expect("history");
    assert_eq!(kept.len(), 3);
}
both_backends!(camera_history, every_status_change_enters_the_history);

async fn reports_need_a_writer_a_known_camera_and_a_known_status(app: &TestApp) {
    let path = format!("/api/v1/cameras/{CAMERA}/status");
    let (status, ctype, _) = app
        .call(
            "POST",
            &path,
            Some(Role::Viewer),
            Some(json!({"status": "fault"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ctype, "application/problem+json");
    let (status, _, _) = app
        .call("POST", &path, None, Some(json!({"status": "fault"})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, ctype, problem) = app
        .call(
            "POST",
            &path,
            Some(Role::Admin),
            Some(json!({"status": "broken"})),
        )
        .await;
    assert!(status.is_client_error(), "{status} {problem}");
    assert_eq!(ctype, "application/problem+json");
    let (status, _, _) = app
        .call(
            "POST",
            "/api/v1/cameras/33078300001320099999/status",
            Some(Role::Admin),
            Some(json!({"status": "fault"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .call(
            "GET",
            "/api/v1/cameras/33078300001320099999/health",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        statuses(&health(app).await),
        ["online"],
        "nothing was recorded"
    );
}
both_backends!(
    camera_status_refusals,
    reports_need_a_writer_a_known_camera_and_a_known_status
);

/// A status report and an edit of the same camera at the same time: whichever commits first,
/// the report never writes back the azimuth the edit just changed (the report reads the camera
/// under the writer lock).
async fn a_status_report_keeps_a_concurrent_edit(app: &TestApp) {
    let service = &app.service;
    for round in 0..20u32 {
        let mut edited = service
            .snapshot()
            .cameras
            .get(CAMERA)
            .expect("camera")
            .clone();
        edited.azimuth_deg = f64::from(10 + round);
        let status = if round % 2 == 0 {
            CameraStatus::Offline
        } else {
            CameraStatus::Online
        };
        let (edit, report) = tokio::join!(
            service.replace(CAMERA, AnyItem::Camera(edited.clone())),
            service.set_camera_status(CAMERA, status),
        );
        edit.expect("the edit");
        report.expect("the report");
        let now = service
            .snapshot()
            .cameras
            .get(CAMERA)
            .expect("camera")
            .clone();
        assert!(
            (now.azimuth_deg - edited.azimuth_deg).abs() < 1e-12,
            "round {round}: azimuth {} after the edit set {}",
            now.azimuth_deg,
            edited.azimuth_deg
        );
    }
}
both_backends!(
    concurrent_status_and_edit,
    a_status_report_keeps_a_concurrent_edit
);
