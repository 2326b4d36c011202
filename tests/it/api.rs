//! The HTTP API through the real router, on SQLite and on PostGIS: request → expected reply.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::spatial::crs::wgs84_to_gcj02;

use crate::both_backends;
use crate::common::{CAMERA, GRID_A, GRID_B, MICRO_A, TestApp, VILLAGE, area_feature, rect};

const PROBLEM: &str = "application/problem+json";

async fn locate(app: &TestApp, query: &str) -> (StatusCode, String, Value) {
    app.call("GET", &format!("/api/v1/locate?{query}"), None, None)
        .await
}

async fn locate_answers_grid_workers_camera_key_area_and_route(app: &TestApp) {
    // 50 m east of the camera: inside its sector, inside micro-grid A, inside key area K1,
    // 111 m from the patrol route at lat 29.051.
    let (status, _, body) = locate(app, "lon=120.0205&lat=29.05").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["town"]["code"], "330783001");
    assert_eq!(body["village"]["code"], VILLAGE);
    assert_eq!(body["grid"]["code"], GRID_A);
    assert_eq!(body["micro_grid"]["code"], MICRO_A);
    let workers: Vec<&str> = body["grid"]["workers"]
        .as_array()
        .expect("workers")
        .iter()
        .map(|w| w["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(workers.len(), 2, "{body}");
    assert!(workers.contains(&"W1") && workers.contains(&"W2"));
    assert_eq!(body["cameras"][0]["code"], CAMERA);
    let d = body["cameras"][0]["distance_m"].as_f64().expect("distance");
    assert!((d - 48.6).abs() < 1.0, "distance {d}");
    assert_eq!(body["key_areas"][0]["id"], "K1");
    assert_eq!(body["key_areas"][0]["deadline"], "2026-06-30");
    assert_eq!(body["key_areas"][0]["listed_date"], "2026-01-01");
    assert_eq!(body["key_areas"][0]["responsible_person"], "");
    assert_eq!(body["patrol_routes"][0]["id"], "R1");
    let edge = body["grid"]["edge_distance_m"].as_f64().expect("edge");
    // Nearest edge of grid A is its west side at lon 120.0: ~1,996 m away at this latitude.
    assert!((edge - 1996.0).abs() < 15.0, "edge {edge}");
}
both_backends!(
    locate_full_answer,
    locate_answers_grid_workers_camera_key_area_and_route
);

async fn camera_sees_only_within_its_sector(app: &TestApp) {
    // Behind the camera (west): not seen. North of it at 50 m: outside a 60° sector facing east.
    for q in ["lon=120.0195&lat=29.05", "lon=120.02&lat=29.0505"] {
        let (_, _, body) = locate(app, q).await;
        assert_eq!(body["cameras"], json!([]), "{q}: {body}");
    }
    // 150 m east: beyond range.
    let (_, _, body) = locate(app, "lon=120.02155&lat=29.05").await;
    assert_eq!(body["cameras"], json!([]));
}
both_backends!(camera_sector, camera_sees_only_within_its_sector);

async fn point_on_shared_edge_belongs_to_one_grid(app: &TestApp) {
    let (status, _, body) = locate(app, "lon=120.05&lat=29.07").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["grid"]["code"], GRID_A,
        "lowest code wins on a shared edge"
    );
    assert_eq!(body["grid"]["edge_distance_m"], 0.0);
    let (_, _, body) = locate(app, "lon=120.0500001&lat=29.07").await;
    assert_eq!(body["grid"]["code"], GRID_B);
}
both_backends!(shared_edge, point_on_shared_edge_belongs_to_one_grid);

async fn outside_every_grid_is_empty_and_bad_points_are_400(app: &TestApp) {
    let (status, _, body) = locate(app, "lon=121.5&lat=30.5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["grid"], Value::Null);
    assert_eq!(body["cameras"], json!([]));
    for (q, field, needle) in [
        ("lon=abc&lat=29", "lon", "does not parse"),
        ("lat=29", "lon", "required"),
        ("lon=29.05&lat=120.02", "lon,lat", "swapped"),
        ("lon=200&lat=29", "lon,lat", "longitude"),
        ("lon=NaN&lat=29", "lon,lat", "finite"),
        ("lon=120&lat=29&crs=epsg3857", "crs", "crs"),
        ("lon=120&lat=29&at=yesterday", "at", "RFC 3339"),
    ] {
        let (status, ctype, body) = locate(app, q).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(ctype, PROBLEM, "{q}");
        assert_eq!(body["field"], field, "{q}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains(&needle.to_lowercase()),
            "{q}: {body}"
        );
    }
}
both_backends!(
    locate_edge_cases,
    outside_every_grid_is_empty_and_bad_points_are_400
);

async fn gcj02_and_bd09_input_is_converted(app: &TestApp) {
    // A WGS84 point just east of the shared edge; sent as GCJ-02 it must land in the same grid,
    // while the raw GCJ-02 numbers read as WGS84 would land ~430 m away, in grid B.
    let (lon, lat) = (120.0497, 29.07);
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    let (_, _, body) = locate(app, &format!("lon={glon}&lat={glat}&crs=gcj02")).await;
    assert_eq!(body["grid"]["code"], GRID_A, "{body}");
    let (_, _, body) = locate(app, &format!("lon={glon}&lat={glat}")).await;
    assert_eq!(
        body["grid"]["code"], GRID_B,
        "unconverted input lands elsewhere"
    );
    let (blon, blat) = safegrid::spatial::crs::wgs84_to_bd09(lon, lat);
    let (_, _, body) = locate(app, &format!("lon={blon}&lat={blat}&crs=bd09")).await;
    assert_eq!(body["grid"]["code"], GRID_A);
}
both_backends!(crs_conversion, gcj02_and_bd09_input_is_converted);

async fn batch_locate_answers_in_order_as_json_and_ndjson(app: &TestApp) {
    let points = json!({"points": [[120.01, 29.05], [120.07, 29.05], [121.5, 30.5], [29.05, 120.01], [120.03, 29.02]]});
    let (status, _, body) = app
        .call("POST", "/api/v1/locate", None, Some(points.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 5);
    let r = &body["results"];
    assert_eq!(r[0]["grid"], GRID_A);
    assert_eq!(r[0]["micro_grid"], MICRO_A);
    assert_eq!(r[1]["grid"], GRID_B);
    assert_eq!(r[1]["micro_grid"], Value::Null);
    assert_eq!(r[2]["grid"], Value::Null);
    assert!(
        r[3]["error"].as_str().unwrap_or("").contains("swapped"),
        "{}",
        r[3]
    );
    assert_eq!(r[4]["grid"], GRID_A);
    assert_eq!(r[4]["village"], VILLAGE);

    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": 1}, "geometry": {"type": "Point", "coordinates": [120.07, 29.05]}},
        {"type": "Feature", "properties": null, "geometry": {"type": "LineString", "coordinates": [[120.0, 29.0], [120.1, 29.1]]}}
    ]});
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/locate?detail=full")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/x-ndjson")
        .body(Body::from(fc.to_string()))
        .expect("request");
    let (status, ctype, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/x-ndjson");
    let text = body.as_str().expect("ndjson is not one JSON value");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["grid"]["code"], GRID_B);
    assert!(lines[1]["error"].as_str().unwrap_or("").contains("Point"));

    let (status, ctype, body) = app
        .call("POST", "/api/v1/locate", None, Some(json!({"pts": []})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(ctype, PROBLEM);
}
both_backends!(
    batch_locate,
    batch_locate_answers_in_order_as_json_and_ndjson
);

async fn writes_need_a_token_with_the_right_role(app: &TestApp) {
    let grid = area_feature(
        &json!({"code": "330783001014009", "name": "新网格", "kind": "residential"}),
        &rect(120.0, 29.0, 120.01, 29.01),
    );
    let (status, ctype, _) = app
        .call("POST", "/api/v1/grids", None, Some(grid.clone()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(ctype, PROBLEM);
    let (status, _, _) = app
        .call(
            "POST",
            "/api/v1/grids",
            Some(Role::Viewer),
            Some(grid.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .call(
            "POST",
            "/api/v1/grids",
            Some(Role::Worker),
            Some(grid.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let req = Request::builder()
        .method("DELETE")
        .uri(format!("/api/v1/grids/{GRID_B}"))
        .header(header::AUTHORIZATION, "Bearer not-a-token")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = app.send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
both_backends!(auth_roles, writes_need_a_token_with_the_right_role);

async fn grid_overlapping_a_sibling_is_refused_with_its_name_and_area(app: &TestApp) {
    // 0.001° × 0.1° strip straddling the edge into grid B: overlaps both A and B.
    let grid = area_feature(
        &json!({"code": "330783001014010", "name": "重叠网格", "kind": "residential"}),
        &rect(120.049, 29.0, 120.0505, 29.1),
    );
    let (status, ctype, body) = app
        .call("POST", "/api/v1/grids", Some(Role::Planner), Some(grid))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(ctype, PROBLEM);
    let overlaps = body["overlaps"].as_array().expect("overlaps listed");
    let codes: Vec<&str> = overlaps.iter().filter_map(|o| o["code"].as_str()).collect();
    assert!(codes.contains(&GRID_A) && codes.contains(&GRID_B), "{body}");
    // Grid B part: 0.0005° × 0.1° ≈ 48.6 m × 11,070 m ≈ 538,000 m².
    let b = overlaps.iter().find(|o| o["code"] == GRID_B).expect("B");
    let area = b["area_m2"].as_f64().expect("area");
    assert!((area - 538_000.0).abs() / 538_000.0 < 0.01, "area {area}");
    assert!(body["detail"].as_str().unwrap_or("").contains(GRID_B));
    // Nothing was written.
    let (status, _, _) = app
        .call("GET", "/api/v1/grids/330783001014010", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_backends!(
    grid_overlap,
    grid_overlapping_a_sibling_is_refused_with_its_name_and_area
);

async fn replacing_a_grid_keeps_history_and_reports_gaps(app: &TestApp) {
    let before = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // Shrink grid B to its southern half: the northern half becomes a gap.
    let smaller = area_feature(
        &json!({"name": "东街社区第2网格", "kind": "residential"}),
        &rect(120.05, 29.0, 120.1, 29.05),
    );
    let (status, _, body) = app
        .call(
            "PUT",
            &format!("/api/v1/grids/{GRID_B}"),
            Some(Role::Planner),
            Some(smaller),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let gaps = body["gaps"].as_array().expect("gaps reported");
    assert_eq!(gaps.len(), 1, "{body}");
    let gap_area = gaps[0]["area_m2"].as_f64().expect("area");
    // 0.05° × 0.05° at lat ~29.07: ~4,865 m × 5,535 m ≈ 26.9 km².
    assert!(
        (gap_area - 26.93e6).abs() / 26.93e6 < 0.01,
        "gap {gap_area}"
    );

    let (_, _, body) = locate(app, "lon=120.07&lat=29.08").await;
    assert_eq!(body["grid"], Value::Null, "now a gap");
    let at = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, _, body) = locate(
        app,
        &format!("lon=120.07&lat=29.08&at={}", at.replace('+', "%2B")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["grid"]["code"], GRID_B,
        "history answers with the old boundary"
    );
    // Before the first version there was no grid; an unencoded `+08:00` offset is understood.
    let (status, _, body) = locate(app, "lon=120.07&lat=29.08&at=2000-01-01T08:00:00+08:00").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["grid"], Value::Null);

    let (status, _, body) = app
        .call(
            "GET",
            &format!("/api/v1/grids/{GRID_B}/history"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let versions = body["features"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["properties"]["version"], 1);
    assert!(versions[0]["properties"]["valid_to"].is_string());
    assert!(versions[1]["properties"]["valid_to"].is_null());
}
both_backends!(
    grid_history,
    replacing_a_grid_keeps_history_and_reports_gaps
);

async fn bad_geometry_and_fields_get_clear_errors(app: &TestApp) {
    let open_ring = json!({"type": "Feature", "properties": {"code": "330783001014011", "name": "x", "kind": "village"},
        "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.01, 29.0], [120.01, 29.01], [120.0, 29.01]]]}});
    let bowtie = json!({"type": "Feature", "properties": {"code": "330783001014011", "name": "x", "kind": "village"},
        "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.01, 29.01], [120.01, 29.0], [120.0, 29.01], [120.0, 29.0]]]}});
    let unknown_community = area_feature(
        &json!({"code": "330783001099001", "name": "x", "kind": "village"}),
        &rect(120.0, 29.0, 120.01, 29.01),
    );
    let camera = |props: Value| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.05]}, "properties": props});
    let cases = [
        (
            "/api/v1/grids",
            open_ring,
            StatusCode::UNPROCESSABLE_ENTITY,
            "geometry.coordinates[0]",
            "not closed",
        ),
        (
            "/api/v1/grids",
            bowtie,
            StatusCode::UNPROCESSABLE_ENTITY,
            "geometry",
            "invalid polygon",
        ),
        (
            "/api/v1/grids",
            unknown_community,
            StatusCode::CONFLICT,
            "code",
            "330783001099",
        ),
        (
            "/api/v1/cameras",
            camera(
                json!({"code": "33078300001320000009", "azimuth_deg": 400.0, "range_m": 50.0, "kind": "fixed"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "azimuth_deg",
            "0..360",
        ),
        (
            "/api/v1/cameras",
            camera(
                json!({"code": "33078300001320000009", "azimuth_deg": 10.0, "range_m": 0.0, "kind": "fixed"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "range_m",
            "range",
        ),
        (
            "/api/v1/cameras",
            camera(json!({"code": "123", "azimuth_deg": 10.0, "range_m": 10.0, "kind": "fixed"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "code",
            "20 digits",
        ),
        (
            "/api/v1/cameras",
            camera(json!({"code": CAMERA, "azimuth_deg": 10.0, "range_m": 10.0, "kind": "fixed"})),
            StatusCode::CONFLICT,
            "code",
            "exists",
        ),
        (
            "/api/v1/cameras",
            camera(
                json!({"code": "33078300001320000009", "azimuth": 10.0, "range_m": 10.0, "kind": "fixed"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "properties.azimuth",
            "unknown field",
        ),
    ];
    let mut cases = cases.to_vec();
    cases.push((
        "/api/v1/buildings",
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.05]},
               "properties": {"id": "a/b", "households": 1, "residents": 2}}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "id",
        "ids are",
    ));
    for (uri, body, want, field, needle) in cases {
        let (status, ctype, got) = app.call("POST", uri, Some(Role::Admin), Some(body)).await;
        assert_eq!(status, want, "{got}");
        assert_eq!(ctype, PROBLEM);
        assert_eq!(got["field"], field, "{got}");
        assert!(
            got["detail"].as_str().unwrap_or("").contains(needle),
            "{needle}: {got}"
        );
    }
    // Malformed JSON.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/cameras")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", crate::common::token_for(Role::Admin)),
        )
        .body(Body::from("{\"type\": \"Feature\", "))
        .expect("request");
    let (status, ctype, _) = app.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ctype, PROBLEM);
}
both_backends!(bad_input, bad_geometry_and_fields_get_clear_errors);

async fn deleting_a_grid_with_workers_is_refused_then_allowed(app: &TestApp) {
    let uri = format!("/api/v1/grids/{GRID_B}");
    let delete_b = || app.call("DELETE", &uri, Some(Role::Planner), None);
    let (status, _, body) = delete_b().await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["detail"].as_str().unwrap_or("").contains("W2"),
        "{body}"
    );
    // Move W2 off grid B, then delete it.
    let w2 = json!({"type": "Feature", "geometry": null, "properties": {"name": "李娜", "role": "part_time", "grids": [{"grid": GRID_A, "duty": "part_time"}]}});
    let (status, _, body) = app
        .call("PUT", "/api/v1/workers/W2", Some(Role::Planner), Some(w2))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = delete_b().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body["gaps"].as_array().expect("gaps").is_empty());
    let (status, _, _) = app
        .call("GET", &format!("/api/v1/grids/{GRID_B}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = delete_b().await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_backends!(
    delete_grid,
    deleting_a_grid_with_workers_is_refused_then_allowed
);

async fn list_pages_and_filters_by_bbox(app: &TestApp) {
    let (status, ctype, body) = app.call("GET", "/api/v1/grids?limit=2", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(body["numberMatched"], 3);
    assert_eq!(body["numberReturned"], 2);
    assert_eq!(body["features"][0]["id"], GRID_A);
    let next = body["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
        .and_then(|l| l["href"].as_str())
        .expect("next link")
        .to_owned();
    let (_, _, body) = app.call("GET", &next, None, None).await;
    assert_eq!(body["numberReturned"], 1);
    assert_eq!(body["features"][0]["id"], MICRO_A);
    let (_, _, body) = app
        .call(
            "GET",
            "/api/v1/grids?bbox=120.06,29.01,120.08,29.02",
            None,
            None,
        )
        .await;
    assert_eq!(body["numberMatched"], 1);
    assert_eq!(body["features"][0]["id"], GRID_B);
    // Workers by (part of) their name, with the filter kept in the paging links.
    let (status, _, body) = app
        .call("GET", "/api/v1/workers?q=%E5%BC%A0&limit=1", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["numberMatched"], 1);
    assert_eq!(body["features"][0]["properties"]["name"], "张伟");
    assert!(
        body["links"][0]["href"]
            .as_str()
            .is_some_and(|h| h.ends_with("&q=%E5%BC%A0")),
        "{body}"
    );
    let (_, _, body) = app.call("GET", "/api/v1/workers?q=W", None, None).await;
    assert_eq!(body["numberMatched"], 2, "ids match too: {body}");
    let (status, _, body) = app.call("GET", "/api/v1/grids?q=x", None, None).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q"))
    );
    for q in [
        "bbox=1,2,3",
        "bbox=120.1,29,120,29.1",
        "limit=0",
        "limit=100000",
        "offset=-1",
    ] {
        let (status, ctype, _) = app
            .call("GET", &format!("/api/v1/cameras?{q}"), None, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(ctype, PROBLEM);
    }
    let (status, _, body) = app
        .call("GET", &format!("/api/v1/cameras/{CAMERA}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["geometry"]["coordinates"], json!([120.02, 29.05]));
    let (status, ctype, _) = app.call("GET", "/api/v1/cameras/nope", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, PROBLEM);
}
both_backends!(list_and_get, list_pages_and_filters_by_bbox);

async fn server_assigns_ids_and_admin_issues_tokens(app: &TestApp) {
    let event = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.03, 29.03]},
        "properties": {"category": "theft", "occurred_at": "2026-11-01T12:00:00Z", "reported_at": "2026-11-01T12:10:00Z", "status": "reported"}});
    let (status, _, body) = app
        .call("POST", "/api/v1/events", Some(Role::Worker), Some(event))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().expect("id assigned").to_owned();
    assert!(id.starts_with("E-"));
    let (status, _, _) = app
        .call("GET", &format!("/api/v1/events/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(Role::Planner),
            Some(json!({"name": "x", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(Role::Admin),
            Some(json!({"name": "调度台", "role": "scheduler"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().expect("token shown once").to_owned();
    let route = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[120.0, 29.02], [120.1, 29.02]]},
        "properties": {"name": "南线", "team": "二组"}});
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/patrol-routes")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(route.to_string()))
        .expect("request");
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
both_backends!(ids_and_tokens, server_assigns_ids_and_admin_issues_tokens);

async fn a_failed_import_leaves_nothing_behind(app: &TestApp) {
    // A batch of two valid buildings and one grid overlapping grid A: nothing is written.
    let good = |id: &str| {
        let f: geojson::Feature = serde_json::from_value(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.03, 29.03]},
            "properties": {"id": id, "households": 3, "residents": 8}}),
        )
        .expect("feature");
        safegrid::domain::AnyItem::from_feature(safegrid::domain::Layer::Building, &f)
            .expect("valid")
    };
    let bad: geojson::Feature = serde_json::from_value(area_feature(
        &json!({"code": "330783001014012", "name": "x", "kind": "village"}),
        &rect(120.01, 29.01, 120.02, 29.02),
    ))
    .expect("feature");
    let bad = safegrid::domain::AnyItem::from_feature(safegrid::domain::Layer::Grid, &bad)
        .expect("valid alone");
    let before = app
        .service
        .snapshot()
        .count(safegrid::domain::Layer::Building);
    let result = app.service.import(vec![good("B1"), good("B2"), bad]).await;
    assert!(result.is_err());
    app.service.reload().await.expect("reload");
    assert_eq!(
        app.service
            .snapshot()
            .count(safegrid::domain::Layer::Building),
        before
    );
    let (status, _, _) = app.call("GET", "/api/v1/buildings/B1", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_backends!(atomic_import, a_failed_import_leaves_nothing_behind);

#[tokio::test]
async fn openapi_documents_every_route_and_every_documented_route_exists() {
    let app = TestApp::start(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite");
    let (status, _, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    for layer in safegrid::domain::Layer::ALL {
        assert!(paths.contains_key(&format!("/api/v1/{}", layer.path())));
        assert!(paths.contains_key(&format!("/api/v1/{}/{{key}}", layer.path())));
    }
    for (path, ops) in paths {
        for (method, _) in ops
            .as_object()
            .expect("ops")
            .iter()
            .filter(|(m, _)| *m != "parameters")
        {
            let uri = path.replace("{key}", "nope").replace("{code}", "nope");
            let uri = if path == "/api/v1/locate" {
                format!("{uri}?lon=120&lat=29")
            } else {
                uri
            };
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("request");
            let (_, _, body) = app.send(req).await;
            let detail = body["detail"].as_str().unwrap_or("");
            assert!(
                !detail.starts_with("no route"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(body, Value::String(String::new()), "{method} {path}: 405?");
        }
    }
    let (status, ctype, _) = app
        .call("GET", "/api/v1/nothing-here/x/y", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, PROBLEM);
}

#[tokio::test]
async fn oversized_body_is_413_problem() {
    let app = TestApp::start(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite");
    let big = "x".repeat(safegrid::api::MAX_BODY_BYTES + 10);
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/cameras")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", crate::common::token_for(Role::Admin)),
        )
        .body(Body::from(format!("{{\"p\":\"{big}\"}}")))
        .expect("request");
    let (status, ctype, _) = app.send(req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(ctype, PROBLEM);
}

#[tokio::test]
async fn nasty_geometries_never_cause_a_server_error() {
    let app = TestApp::start(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite");
    let rings: Vec<Value> = vec![
        json!([[[120.0, 29.0], [120.01, 29.0], [120.02, 29.0], [120.0, 29.0]]]),
        json!([[[120.0, 29.0], [120.0, 29.0], [120.0, 29.0], [120.0, 29.0]]]),
        json!([[
            [120.0, 29.0],
            [120.000000000001, 29.0],
            [120.000000000001, 29.000000000001],
            [120.0, 29.0]
        ]]),
        json!([
            [
                [120.0, 29.0],
                [120.01, 29.0],
                [120.01, 29.01],
                [120.0, 29.01],
                [120.0, 29.0]
            ],
            [
                [121.0, 30.0],
                [121.01, 30.0],
                [121.01, 30.01],
                [121.0, 30.0]
            ]
        ]),
        json!([[
            [120.0, 29.0],
            [120.02, 29.0],
            [120.02, 29.02],
            [120.01, 29.0],
            [120.0, 29.02],
            [120.0, 29.0]
        ]]),
        json!([[
            [-180.0, -90.0],
            [180.0, -90.0],
            [180.0, 90.0],
            [-180.0, 90.0],
            [-180.0, -90.0]
        ]]),
        json!([
            [
                [120.0, 29.0],
                [120.03, 29.0],
                [120.03, 29.03],
                [120.0, 29.03],
                [120.0, 29.0]
            ],
            [
                [120.0, 29.0],
                [120.03, 29.0],
                [120.03, 29.03],
                [120.0, 29.03],
                [120.0, 29.0]
            ]
        ]),
        json!([]),
        json!([[]]),
        json!([[[120.0]]]),
        json!("not coordinates"),
        json!([[
            [1e308, 29.0],
            [120.01, 29.0],
            [120.01, 29.01],
            [1e308, 29.0]
        ]]),
    ];
    for (i, coordinates) in rings.into_iter().enumerate() {
        let body = json!({"type": "Feature", "properties": {"code": format!("330783001014{:03}", 100 + i), "name": "x", "kind": "village"},
            "geometry": {"type": "Polygon", "coordinates": coordinates}});
        let (status, _, reply) = app
            .call("POST", "/api/v1/grids", Some(Role::Admin), Some(body))
            .await;
        assert!(
            status.is_client_error() || status == StatusCode::CREATED,
            "case {i}: {status} {reply}"
        );
    }
    for q in [
        "lon=1e308&lat=1e308",
        "lon=-0&lat=-0",
        "lon=180&lat=90",
        "lon=&lat=",
        "lon=120&lat=29&route_within_m=1e309",
    ] {
        let (status, _, body) = app
            .call("GET", &format!("/api/v1/locate?{q}"), None, None)
            .await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{q}: {status} {body}"
        );
    }
}

async fn two_planners_drawing_overlapping_grids_at_once_get_one_each(app: &TestApp) {
    // Both grids overlap each other (and neither overlaps A or B, which are shrunk first).
    let (status, _, body) = app
        .call(
            "PUT",
            &format!("/api/v1/grids/{GRID_B}"),
            Some(Role::Planner),
            Some(area_feature(
                &json!({"name": "东街社区第2网格", "kind": "residential"}),
                &rect(120.05, 29.0, 120.1, 29.05),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grid = |code: &str, x0: f64| {
        area_feature(
            &json!({"code": code, "name": code, "kind": "residential"}),
            &rect(x0, 29.06, x0 + 0.02, 29.09),
        )
    };
    let (first, second) = tokio::join!(
        app.call(
            "POST",
            "/api/v1/grids",
            Some(Role::Planner),
            Some(grid("330783001014020", 120.06))
        ),
        app.call(
            "POST",
            "/api/v1/grids",
            Some(Role::Planner),
            Some(grid("330783001014021", 120.07))
        ),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} {}",
        first.2,
        second.2
    );
    let (_, _, list) = app
        .call(
            "GET",
            "/api/v1/grids?bbox=120.06,29.06,120.09,29.09",
            None,
            None,
        )
        .await;
    let codes: Vec<&str> = list["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .filter(|c| c.ends_with("020") || c.ends_with("021"))
        .collect();
    assert_eq!(
        codes.len(),
        1,
        "exactly one of the two was stored: {codes:?}"
    );
}
both_backends!(
    concurrent_edits,
    two_planners_drawing_overlapping_grids_at_once_get_one_each
);

/// A ring of `n` vertices around (120.03, 29.03), 50 m across, with a small zig-zag.
fn dense_ring(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            let r = 0.00025 * (1.0 + 0.01 * (i % 2) as f64);
            [120.03 + r * t.cos(), 29.03 + r * t.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// The probe's 99,990-vertex obstacle took 96 s to validate on the request thread, and as
/// long again at every start-up. Now it is written, read back and loaded by a fresh service.
async fn a_hundred_thousand_vertex_obstacle_is_written_and_loaded(app: &TestApp) {
    let post = |id: &str, ring: Vec<[f64; 2]>| {
        let feature = json!({
            "type": "Feature",
            "properties": {"id": id, "kind": "building", "height_m": 12.0},
            "geometry": {"type": "Polygon", "coordinates": [ring]}
        });
        app.call(
            "POST",
            "/api/v1/obstacles",
            Some(Role::Planner),
            Some(feature),
        )
    };
    let (status, _, body) = post("OBIG", dense_ring(99_990)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Invalid at that size is still refused, with where.
    let mut bow = dense_ring(99_990);
    bow.swap(10, 50_000);
    let (status, _, problem) = post("OBAD", bow).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("self-intersection near"),
        "{problem}"
    );
    let restarted = safegrid::service::Service::start(app.service.store().clone())
        .await
        .expect("restarts");
    let snapshot = restarted.snapshot();
    let stored = snapshot.obstacles.get("OBIG").expect("loaded");
    assert_eq!(stored.shape.edges().count(), 99_990);
    assert!(snapshot.obstacles.get("OBAD").is_none());
}

both_backends!(
    big_obstacle_written_and_loaded,
    a_hundred_thousand_vertex_obstacle_is_written_and_loaded
);

/// An event is routed at intake: it keeps the grid that held it, even after the grid changes.
async fn an_event_keeps_the_grid_it_was_reported_in(app: &TestApp) {
    let event = |lon: f64| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 29.05]},
               "properties": {"category": "theft", "occurred_at": "2026-11-01T10:00:00Z",
                              "reported_at": "2026-11-01T10:05:00Z", "status": "reported"}})
    };
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(Role::Worker),
            Some(event(120.07)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["properties"]["grid_code"], GRID_B, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    // Outside every grid: no grid, still stored.
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(Role::Worker),
            Some(event(120.2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["properties"].get("grid_code").is_none(), "{body}");
    let (_, _, stored) = app
        .call("GET", &format!("/api/v1/events/{id}"), None, None)
        .await;
    assert_eq!(stored["properties"]["grid_code"], GRID_B, "{stored}");
}

both_backends!(
    event_grid_at_intake,
    an_event_keeps_the_grid_it_was_reported_in
);
