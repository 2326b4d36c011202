//! Personal data over HTTP, on both stores: workers' phone numbers reach unmasked only the roles
//! that need them, and every such answer is on the record (`/api/v1/audit/personal-reads`);
//! anyone without a token, a viewer and every batch get them masked, and nothing is recorded.

use axum::http::StatusCode;
use serde_json::Value;

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::TestApp;

/// W1's phone in the fixture, and as it is shown masked.
const PHONE: &str = "13800000001";
const MASKED: &str = "138****0001";

/// The phones of the grid workers a locate answer shows.
fn phones(location: &Value) -> Vec<String> {
    location["grid"]["workers"]
        .as_array()
        .expect("workers")
        .iter()
        .filter_map(|w| w["phone"].as_str().map(str::to_owned))
        .collect()
}

async fn reads(app: &TestApp) -> Vec<Value> {
    let (status, _, body) = app
        .call(
            "GET",
            "/api/v1/audit/personal-reads",
            Some(Role::Admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["reads"].as_array().expect("reads").clone()
}

async fn phones_reach_only_the_roles_that_need_them_and_on_the_record(app: &TestApp) {
    let point = "/api/v1/locate?lon=120.02&lat=29.05";
    for role in [None, Some(Role::Viewer)] {
        let (status, _, body) = app.call("GET", point, role, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(phones(&body), [MASKED], "{role:?}");
        let (_, _, list) = app.call("GET", "/api/v1/workers", role, None).await;
        let w1 = list["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["properties"]["id"] == "W1")
            .expect("W1");
        assert_eq!(w1["properties"]["phone"], MASKED, "{role:?}");
        let (_, _, one) = app.call("GET", "/api/v1/workers/W1", role, None).await;
        assert_eq!(one["properties"]["phone"], MASKED);
        let (_, _, csv) = app
            .call("GET", "/api/v1/workers/export?format=csv", role, None)
            .await;
        let csv = csv.as_str().expect("CSV text");
        assert!(csv.contains(MASKED) && !csv.contains(PHONE), "{csv}");
    }
    // A batch never carries phones unmasked, whoever asks.
    let (_, _, batch) = app
        .call(
            "POST",
            "/api/v1/locate?detail=full",
            Some(Role::Admin),
            Some(serde_json::json!({"points": [[120.02, 29.05]]})),
        )
        .await;
    assert_eq!(phones(&batch["results"][0]), [MASKED], "{batch}");
    assert!(reads(app).await.is_empty(), "nothing unmasked yet");

    // A planner staffing grids sees them, and the answer is recorded.
    let (_, _, body) = app.call("GET", point, Some(Role::Planner), None).await;
    assert_eq!(phones(&body), [PHONE]);
    let (_, _, list) = app
        .call(
            "GET",
            "/api/v1/workers?q=%E5%BC%A0",
            Some(Role::Admin),
            None,
        )
        .await;
    assert_eq!(list["features"][0]["properties"]["phone"], PHONE);
    let (_, _, csv) = app
        .call(
            "GET",
            "/api/v1/workers/export?format=csv",
            Some(Role::Scheduler),
            None,
        )
        .await;
    assert!(csv.as_str().is_some_and(|c| c.contains(PHONE)));
    let recorded = reads(app).await;
    let summary: Vec<(String, String, String, u64)> = recorded
        .iter()
        .map(|r| {
            (
                r["what"].as_str().unwrap_or("").to_owned(),
                r["token"].as_str().unwrap_or("").to_owned(),
                r["role"].as_str().unwrap_or("").to_owned(),
                r["subjects"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "workers/export".into(),
                "scheduler".into(),
                "scheduler".into(),
                1
            ),
            ("workers".into(), "admin".into(), "admin".into(), 1),
            ("locate".into(), "planner".into(), "planner".into(), 1),
        ],
        "newest first, one per answer, W2 has no phone: {recorded:?}"
    );
    assert_eq!(recorded[2]["sample"], serde_json::json!(["W1"]));
    assert!(recorded[2]["at"].as_str().is_some_and(|t| t.ends_with('Z')));

    // The record is the admin's to read.
    for (role, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(Role::Planner), StatusCode::FORBIDDEN),
    ] {
        let (got, _, body) = app
            .call("GET", "/api/v1/audit/personal-reads", role, None)
            .await;
        assert_eq!(got, status, "{role:?}: {body}");
    }
}
both_backends!(
    phones_masked_and_recorded,
    phones_reach_only_the_roles_that_need_them_and_on_the_record
);
