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
/// when its group commits).
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
            service.report_status(safegrid::service::camera_health::StatusReport {
                code: CAMERA.into(),
                status,
                at: chrono::Utc::now(),
            }),
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

const FEED: &str = "/api/v1/cameras/status";

async fn feed(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let (status, _, answer) = app
        .call("POST", FEED, Some(Role::Planner), Some(body))
        .await;
    (status, answer)
}

/// The platforms' feed: `{code, status, at}` one at a time or in bulk; a report older than the
/// camera's last reported status is ignored and said so; the history keeps the report's time.
async fn status_feed_records_reports_at_their_time_and_ignores_older_ones(app: &TestApp) {
    let (status, answer) = feed(
        app,
        json!({"code": CAMERA, "status": "offline", "at": "2026-12-01T08:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"code": CAMERA, "outcome": "applied"}));
    let (_, answer) = feed(
        app,
        json!({"code": CAMERA, "status": "offline", "at": "2026-12-01T09:00:00Z"}),
    )
    .await;
    assert_eq!(answer["outcome"], "unchanged", "{answer}");
    // Sent late by a platform: older than what the camera has.
    let (_, answer) = feed(
        app,
        json!({"code": CAMERA, "status": "fault", "at": "2026-12-01T07:00:00Z"}),
    )
    .await;
    assert_eq!(answer["outcome"], "stale", "{answer}");
    assert_eq!(answer["last"], "2026-12-01T08:00:00Z", "{answer}");
    let (status, answer) = feed(
        app,
        json!({"code": "33078300001320099999", "status": "fault"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");

    // In bulk, in order: a later report of the same camera sees the earlier one.
    let (status, answer) = feed(
        app,
        json!({"reports": [
            {"code": CAMERA, "status": "fault", "at": "2026-12-02T08:00:00Z"},
            {"code": CAMERA, "status": "online", "at": "2026-12-02T09:00:00Z"},
            {"code": CAMERA, "status": "offline", "at": "2026-12-02T08:30:00Z"},
            {"code": "33078300001320099999", "status": "fault"},
            {"code": CAMERA, "status": "online", "at": "2026-12-02T10:00:00Z"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            &answer["count"],
            &answer["applied"],
            &answer["superseded"],
            &answer["stale"],
            &answer["unknown"],
            &answer["unchanged"]
        ),
        (
            &json!(5),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1)
        ),
        "{answer}"
    );
    assert_eq!(answer["outcomes"][0]["outcome"], "superseded");
    assert_eq!(answer["outcomes"][2]["outcome"], "stale");
    assert_eq!(answer["outcomes"][2]["last"], "2026-12-02T09:00:00Z");
    // One transaction keeps the state the bulk leaves, at its report's time.
    let body = health(app).await;
    assert_eq!(body["status"], "online");
    assert_eq!(statuses(&body)[..2], ["online", "offline"], "{body}");
    assert_eq!(body["history"][0]["at"], "2026-12-02T09:00:00Z", "{body}");
    assert_eq!(body["history"][1]["at"], "2026-12-01T08:00:00Z", "{body}");
    // The snapshot agrees with the store.
    let snapshot = app.service.snapshot();
    let camera = snapshot.cameras.get(CAMERA).expect("camera");
    assert_eq!(camera.status, CameraStatus::Online);
    assert_eq!(
        camera.status_since.map(|t| t.to_rfc3339()),
        Some("2026-12-02T09:00:00+00:00".to_owned())
    );
    // Only writers of cameras may feed statuses.
    let (status, _, _) = app
        .call(
            "POST",
            FEED,
            Some(Role::Viewer),
            Some(json!({"code": CAMERA, "status": "fault"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

both_backends!(
    camera_status_feed,
    status_feed_records_reports_at_their_time_and_ignores_older_ones
);

/// Single reports from many clients at once are group committed: each gets its own answer,
/// and the store, a restarted service and the live snapshot all agree afterwards.
async fn concurrent_reports_each_get_their_answer_and_all_are_stored(app: &TestApp) {
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let service = app.service.clone();
        tasks.push(tokio::spawn(async move {
            let status = if i % 2 == 0 {
                CameraStatus::Offline
            } else {
                CameraStatus::Online
            };
            let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z")
                .expect("time")
                .with_timezone(&chrono::Utc)
                + chrono::Duration::seconds(i64::from(i));
            service
                .report_status(safegrid::service::camera_health::StatusReport {
                    code: CAMERA.into(),
                    status,
                    at,
                })
                .await
        }));
    }
    let mut answered = 0;
    for t in tasks {
        t.await.expect("joined").expect("a report succeeds");
        answered += 1;
    }
    assert_eq!(answered, 40);
    // Whatever order the groups took, the camera ends on the latest report that was not stale.
    let live = app.service.snapshot();
    let live = live.cameras.get(CAMERA).expect("camera");
    let restarted = safegrid::service::Service::start(app.service.store().clone())
        .await
        .expect("restarts");
    let stored = restarted.snapshot();
    let stored = stored.cameras.get(CAMERA).expect("camera");
    assert_eq!(
        (live.status, live.status_since),
        (stored.status, stored.status_since)
    );
}

both_backends!(
    concurrent_status_reports,
    concurrent_reports_each_get_their_answer_and_all_are_stored
);
