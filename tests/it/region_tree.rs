//! `GET /api/v1/regions/tree`: the region tree unfolds county → town → village → grid →
//! micro-grid, each node with figures that follow the writes, on both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, MICRO_A, TestApp, VILLAGE};

async fn tree(app: &TestApp, code: Option<&str>) -> (StatusCode, Value) {
    let path = code.map_or_else(
        || "/api/v1/regions/tree".to_owned(),
        |c| format!("/api/v1/regions/tree?code={c}"),
    );
    let (status, _, body) = app.call("GET", &path, None, None).await;
    (status, body)
}

fn codes(branch: &Value) -> Vec<&str> {
    branch["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["code"].as_str().expect("a code"))
        .collect()
}

async fn the_tree_unfolds_with_figures_that_follow_writes(app: &TestApp) {
    let (status, root) = tree(app, None).await;
    assert_eq!(status, StatusCode::OK, "{root}");
    assert_eq!(root["code"], "330783");
    assert_eq!(root["level"], "county");
    assert_eq!(root["workers_unassigned"], 0);
    assert_eq!(codes(&root), ["330783001"]);
    assert_eq!(root["items"][0]["children"], 1, "{root}");

    let (_, town) = tree(app, Some("330783001")).await;
    assert_eq!(codes(&town), [VILLAGE]);
    assert!(town.get("workers_unassigned").is_none(), "only on the root");

    let (_, village) = tree(app, Some(VILLAGE)).await;
    assert_eq!(village["level"], "village");
    assert_eq!(codes(&village), [GRID_A, GRID_B]);
    let f = &village["figures"];
    assert_eq!(
        (
            f["grids"].clone(),
            f["micro_grids"].clone(),
            f["grids_without_worker"].clone()
        ),
        (json!(2), json!(1), json!(0)),
        "{village}"
    );
    assert_eq!(f["workers"], 2, "W2 serves two grids and counts once");
    assert_eq!(
        (f["cameras"].clone(), f["cameras_online"].clone()),
        (json!(1), json!(1))
    );
    // K1's deadline (2026-06-30) passed while it was still being rectified.
    assert_eq!(
        (f["key_areas"].clone(), f["key_areas_overdue"].clone()),
        (json!(1), json!(1))
    );
    let grid_a = &village["items"][0];
    assert_eq!(grid_a["children"], 1);
    assert_eq!(grid_a["figures"]["workers"], 2);
    assert_eq!(
        grid_a["figures"]["cameras"], 1,
        "the camera stands in grid A"
    );
    let bbox = grid_a["bbox"].as_array().expect("a bbox");
    assert_eq!(bbox.len(), 4);

    let (_, grid) = tree(app, Some(GRID_A)).await;
    assert_eq!(grid["level"], "grid");
    assert_eq!(codes(&grid), [MICRO_A]);
    assert_eq!(grid["items"][0]["level"], "micro_grid");

    // W1 leaves, W2 keeps only grid B: grid A has no worker any more, and W1 serves nothing.
    let (status, _, body) = app
        .call(
            "PUT",
            "/api/v1/workers/W1",
            Some(Role::Admin),
            Some(json!({"type": "Feature", "geometry": null, "properties": {"name": "张伟", "role": "full_time", "grids": []}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = app
        .call(
            "PUT",
            "/api/v1/workers/W2",
            Some(Role::Admin),
            Some(json!({"type": "Feature", "geometry": null, "properties": {"name": "李娜", "role": "part_time", "grids": [{"grid": GRID_B, "duty": "leader"}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, root) = tree(app, None).await;
    assert_eq!(root["workers_unassigned"], 1, "{root}");
    assert_eq!(root["figures"]["workers"], 1);
    assert_eq!(root["figures"]["grids_without_worker"], 1);
    let (_, village) = tree(app, Some(VILLAGE)).await;
    assert_eq!(village["items"][0]["figures"]["workers"], 0);
    assert_eq!(village["items"][0]["figures"]["grids_without_worker"], 1);
}

async fn a_bad_or_unknown_code_is_refused_plainly(app: &TestApp) {
    let (status, body) = tree(app, Some("12")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "code");
    let (status, body) = tree(app, Some("330783999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not-found");
    assert_eq!(body["key"], "330783999");
}

both_backends!(
    region_tree_unfolds_with_figures_that_follow_writes,
    the_tree_unfolds_with_figures_that_follow_writes
);
both_backends!(
    region_tree_refuses_bad_codes,
    a_bad_or_unknown_code_is_refused_plainly
);
