//! Every refusal carries a stable machine `code`, the `field` at fault in the request's own
//! terms and the figures its wording needs, so that the web map can say it in the user's
//! language: one request per kind of problem the map meets, on both stores.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::{CAMERA, GRID_A, GRID_B, MICRO_A, TestApp, area_feature, rect};

const PROBLEM: &str = "application/problem+json";

/// Sends `body` as it is (not re-encoded), with `content_type`, as the planner.
async fn raw(app: &TestApp, path: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::AUTHORIZATION, "Bearer test-token-planner")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let (status, ctype, value) = app.send(req).await;
    assert_eq!(ctype, PROBLEM, "{value}");
    (status, value)
}

/// A POST as the planner: the status and the body.
async fn planner_post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, body) = app
        .call("POST", path, Some(Role::Planner), Some(body))
        .await;
    (status, body)
}

fn camera(props: &Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.03, 29.03]}, "properties": props})
}

async fn each_problem_has_a_code_a_field_and_its_figures(app: &TestApp) {
    let grid = area_feature(
        &json!({"code": "330783001014009", "name": "新网格", "kind": "residential"}),
        &rect(120.0, 29.0, 120.01, 29.01),
    );

    // No token, an unknown one, a role that may not.
    let (status, _, body) = app
        .call("POST", "/api/v1/grids", None, Some(grid.clone()))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
        "{body}"
    );
    let req = Request::builder()
        .method("GET")
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, "Bearer not-a-token")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(req).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown-token")),
        "{body}"
    );
    let (status, _, body) = app
        .call("POST", "/api/v1/grids", Some(Role::Viewer), Some(grid))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["role"].as_str()),
        (Some("forbidden"), Some("viewer"))
    );

    // A number out of its range names its bounds and unit.
    let (status, body) = planner_post(
        app,
        "/api/v1/cameras/placement",
        json!({"target": {"grid": GRID_A}, "k": 3, "spacing_m": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "out-of-range", "{body}");
    assert_eq!(body["field"], "spacing_m");
    assert_eq!(
        (body["min"].as_f64(), body["max"].as_f64()),
        (Some(10.0), Some(500.0))
    );
    assert_eq!(body["unit"], "m");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("spacing_m")),
        "{body}"
    );

    // A missing member of the body is named by its path, not its parent's.
    let (status, body) = planner_post(
        app,
        "/api/v1/cameras/placement",
        json!({"target": {"grid": GRID_A}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("missing"), Some("k")),
        "{body}"
    );
    // A camera property missing or of the wrong type.
    let (status, body) = planner_post(
        app,
        "/api/v1/cameras",
        camera(&json!({"code": "33078300001320000009", "azimuth_deg": 10.0, "kind": "fixed"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("missing"), Some("properties.range_m")),
        "{body}"
    );
    let (status, body) = planner_post(app, "/api/v1/cameras", camera(&json!({"code": "33078300001320000009", "azimuth_deg": "east", "range_m": 50.0, "kind": "fixed"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("wrong-type"), Some("properties.azimuth_deg")),
        "{body}"
    );
    let (status, body) = planner_post(app, "/api/v1/cameras", camera(&json!({"code": "33078300001320000009", "azimuth_deg": 10.0, "range_m": 5000.0, "kind": "fixed"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["unit"].as_str()),
        (Some("out-of-range"), Some("m")),
        "{body}"
    );

    // A code that is taken: the store's refusal keeps its kind on both stores.
    let (status, body) = planner_post(
        app,
        "/api/v1/cameras",
        camera(&json!({"code": CAMERA, "azimuth_deg": 10.0, "range_m": 10.0, "kind": "fixed"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("exists"), Some("code")),
        "{body}"
    );

    // A self-crossing boundary, and an overlap that names the grid and its neighbours.
    let bow_tie = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.01, 29.01], [120.01, 29.0], [120.0, 29.01], [120.0, 29.0]]]}, "properties": {"code": "330783001014009", "name": "新网格", "kind": "residential"}});
    let (status, body) = planner_post(app, "/api/v1/grids", bow_tie).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("self-intersection"), Some("geometry")),
        "{body}"
    );
    let strip = area_feature(
        &json!({"code": "330783001014010", "name": "重叠网格", "kind": "residential"}),
        &rect(120.049, 29.0, 120.0505, 29.1),
    );
    let (status, body) = planner_post(app, "/api/v1/grids", strip).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["grid"].as_str()),
        (Some("grid-overlap"), Some("330783001014010")),
        "{body}"
    );
    assert!(
        body["overlaps"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["code"] == GRID_B)),
        "{body}"
    );

    // Not JSON at all, and not sent as JSON.
    let (status, body) = raw(
        app,
        "/api/v1/grids",
        "application/json",
        "{\"type\": \"Feature\",\n  oops",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["line"].as_u64()),
        (Some("malformed-json"), Some(2)),
        "{body}"
    );
    let (status, body) = raw(app, "/api/v1/grids", "text/plain", "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["code"], "unsupported-media-type", "{body}");

    // A grid edit refused for what it would do to the grids: its own code.
    let (status, body) = planner_post(
        app,
        "/api/v1/grids/merge",
        json!({"codes": [GRID_A, MICRO_A], "keep": GRID_A}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "different-levels", "{body}");

    // Not found names the layer and key; the grid check lists its errors with codes too.
    let (status, _, body) = app
        .call(
            "DELETE",
            "/api/v1/cameras/33078300001320009999",
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["key"].as_str()),
        (Some("not-found"), Some("33078300001320009999")),
        "{body}"
    );
    let unnamed = area_feature(
        &json!({"code": "330783001014011", "name": " ", "kind": "residential"}),
        &rect(120.0, 29.0, 120.001, 29.001),
    );
    let (status, body) = planner_post(app, "/api/v1/grids/check", unnamed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "name" && e["code"] == "missing"),
        "{body}"
    );
}

both_backends!(
    problems_each_has_a_code_a_field_and_its_figures,
    each_problem_has_a_code_a_field_and_its_figures
);

/// A write without a token is told to sign in before anything is said about its body: a
/// malformed body, a body of the wrong type and a good one all get the same 401.
async fn an_anonymous_write_is_refused_before_its_body_is_read(app: &TestApp) {
    for (method, path, content_type, body) in [
        ("POST", "/api/v1/grids", "application/json", "{not json"),
        (
            "PUT",
            &*format!("/api/v1/cameras/{CAMERA}"),
            "text/plain",
            "hello",
        ),
        (
            "DELETE",
            &*format!("/api/v1/grids/{GRID_B}"),
            "application/json",
            "",
        ),
        ("POST", "/api/v1/grids/check", "application/json", "[1, 2"),
        (
            "POST",
            &*format!("/api/v1/grids/{GRID_A}/split"),
            "application/json",
            "{}",
        ),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .expect("request");
        let (status, ctype, value) = app.send(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {value}");
        assert_eq!(ctype, PROBLEM);
        assert_eq!(value["code"], "unauthenticated", "{method} {path}: {value}");
    }
    // Reads stay open.
    let (status, _, _) = app.call("GET", "/api/v1/grids", None, None).await;
    assert_eq!(status, StatusCode::OK);
}
both_backends!(
    anonymous_writes_refused_first,
    an_anonymous_write_is_refused_before_its_body_is_read
);
