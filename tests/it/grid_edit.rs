//! The planner's grid edits through the real router, on SQLite and on PostGIS: dry-run check,
//! split, merge and next code.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::geometry::parse_area;
use safegrid::domain::{Item as _, Role};
use safegrid::spatial::measure::LocalFrame;
use safegrid::spatial::topology::area_m2_in;

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, MICRO_A, TestApp, VILLAGE, area_feature, rect};

const PROBLEM: &str = "application/problem+json";

/// One frame for every area a test compares, so that pieces add up exactly.
fn area_of(geometry: &Value) -> f64 {
    let g: geojson::Geometry = serde_json::from_value(geometry.clone()).expect("geometry");
    let area = parse_area(Some(&g)).expect("valid area");
    area_m2_in(&area, &LocalFrame::new(120.05, 29.05))
}

fn ring_area(ring: &[[f64; 2]]) -> f64 {
    area_of(&json!({"type": "Polygon", "coordinates": [ring]}))
}

/// Longitudes (or latitudes, `axis` 1) of every position of a Polygon or MultiPolygon.
fn ordinates(geometry: &Value, axis: usize) -> Vec<f64> {
    fn walk(v: &Value, axis: usize, out: &mut Vec<f64>) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => {
                out.push(a[axis].as_f64().unwrap_or(f64::NAN));
            }
            Some(a) => a.iter().for_each(|x| walk(x, axis, out)),
            None => {}
        }
    }
    let mut out = Vec::new();
    walk(&geometry["coordinates"], axis, &mut out);
    out
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

async fn check(app: &TestApp, body: Value) -> Value {
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/grids/check",
            Some(Role::Planner),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn get_status(app: &TestApp, uri: &str) -> StatusCode {
    app.call("GET", uri, None, None).await.0
}

async fn history(app: &TestApp, code: &str) -> Vec<Value> {
    let (status, _, body) = app
        .call("GET", &format!("/api/v1/grids/{code}/history"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{code}: {body}");
    body["features"].as_array().expect("features").clone()
}

async fn next_code(app: &TestApp) -> String {
    let (status, _, body) = app
        .call(
            "GET",
            &format!("/api/v1/grids/next-code?village={VILLAGE}"),
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let code = body["code"].as_str().expect("code").to_owned();
    // Named as the village's grids are (东街社区第1网格), not after the committee (东街社区居委会).
    let serial: u32 = code[12..].parse().expect("serial");
    assert_eq!(body["name"], format!("东街社区第{serial}网格"), "{body}");
    code
}

async fn put_grid(app: &TestApp, code: &str, props: Value, ring: &[[f64; 2]]) {
    let (status, _, body) = app
        .call(
            "PUT",
            &format!("/api/v1/grids/{code}"),
            Some(Role::Planner),
            Some(area_feature(&props, ring)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn worker_grids(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let (status, _, body) = app
        .call("GET", &format!("/api/v1/workers/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["properties"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|a| {
            (
                a["grid"].as_str().unwrap_or("").to_owned(),
                a["duty"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn check_draws_overlaps_gaps_and_reports_invalid_rings(app: &TestApp) {
    // A strip straddling the A|B edge: overlaps both, drawn as polygons.
    let strip = area_feature(
        &json!({"code": "330783001014010", "name": "重叠网格", "kind": "residential"}),
        &rect(120.049, 29.0, 120.0505, 29.1),
    );
    let body = check(app, strip).await;
    assert_eq!(body["valid"], false, "{body}");
    let overlaps = body["overlaps"].as_array().expect("overlaps");
    assert_eq!(overlaps.len(), 2, "{body}");
    let b = overlaps.iter().find(|o| o["grid"] == GRID_B).expect("B");
    let expected_b = ring_area(&rect(120.05, 29.0, 120.0505, 29.1));
    let area_b = b["area_m2"].as_f64().expect("area");
    assert!(
        (area_b - expected_b).abs() / expected_b < 1e-3,
        "{area_b} vs {expected_b}"
    );
    let (west, east) = min_max(&ordinates(&b["geometry"], 0));
    assert!(
        (west - 120.05).abs() < 1e-9 && (east - 120.0505).abs() < 1e-9,
        "overlap with B drawn at {west}..{east}"
    );
    let a = overlaps.iter().find(|o| o["grid"] == GRID_A).expect("A");
    assert!(
        a["area_m2"].as_f64().expect("area") > area_b,
        "A's part is twice B's"
    );
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(
            |e| e["field"] == "geometry" && e["reason"].as_str().unwrap_or("").contains(GRID_B)
        ),
        "{body}"
    );
    assert_eq!(
        get_status(app, "/api/v1/grids/330783001014010").await,
        StatusCode::NOT_FOUND,
        "a check writes nothing"
    );

    // Shrinking B to its southern half would leave its northern half uncovered.
    let smaller = json!({
        "type": "Feature",
        "replaces": GRID_B,
        "properties": {"name": "东街社区第2网格", "kind": "residential"},
        "geometry": {"type": "Polygon", "coordinates": [rect(120.05, 29.0, 120.1, 29.05)]}
    });
    let body = check(app, smaller).await;
    assert_eq!(body["valid"], true, "{body}");
    assert_eq!(body["errors"], json!([]));
    assert_eq!(body["overlaps"], json!([]));
    let gaps = body["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 1, "{body}");
    let expected_gap = ring_area(&rect(120.05, 29.05, 120.1, 29.1));
    let gap = gaps[0]["area_m2"].as_f64().expect("area");
    assert!(
        (gap - expected_gap).abs() / expected_gap < 1e-3,
        "{gap} vs {expected_gap}"
    );
    let (south, north) = min_max(&ordinates(&gaps[0]["geometry"], 1));
    assert!((south - 29.05).abs() < 1e-9 && (north - 29.1).abs() < 1e-9);
    assert_eq!(body["outside_parent_m2"], 0.0);
    assert_eq!(history(app, GRID_B).await.len(), 1, "B is unchanged");

    // A bow-tie: 200 with the domain's reason, so the map can show it while drawing.
    let bow_tie = json!({
        "type": "Feature",
        "properties": {"code": "330783001014010", "name": "自相交", "kind": "residential"},
        "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.01, 29.01], [120.01, 29.0], [120.0, 29.01], [120.0, 29.0]]]}
    });
    let body = check(app, bow_tie).await;
    assert_eq!(body["valid"], false);
    assert_eq!(body["errors"][0]["field"], "geometry", "{body}");
    let reason = body["errors"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("self-intersection"), "{reason}");

    // A missing name is reported, and the overlaps are still drawn.
    let unnamed = area_feature(
        &json!({"code": "330783001014010", "kind": "residential"}),
        &rect(120.049, 29.0, 120.0505, 29.1),
    );
    let body = check(app, unnamed).await;
    assert_eq!(body["valid"], false);
    assert_eq!(body["overlaps"].as_array().map(Vec::len), Some(2), "{body}");

    // Outside the village: allowed, as a save allows it, but measured.
    let outside = area_feature(
        &json!({"code": "330783001014011", "name": "村外", "kind": "village"}),
        &rect(120.1, 29.0, 120.11, 29.1),
    );
    let body = check(app, outside).await;
    assert_eq!(body["valid"], true, "{body}");
    let expected = ring_area(&rect(120.1, 29.0, 120.11, 29.1));
    let out = body["outside_parent_m2"].as_f64().expect("area");
    assert!(
        (out - expected).abs() / expected < 1e-3,
        "{out} vs {expected}"
    );

    // Checking an existing code as new says how to check a change instead.
    let same = area_feature(
        &json!({"code": GRID_A, "name": "东街社区第1网格", "kind": "residential"}),
        &rect(120.0, 29.0, 120.05, 29.1),
    );
    let body = check(app, same).await;
    assert_eq!(body["valid"], false);
    assert_eq!(body["errors"][0]["field"], "code", "{body}");

    // Malformed JSON is still a 400.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/grids/check")
        .header("authorization", "Bearer test-token-planner")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"type\": \"Feature\", "))
        .expect("request");
    let (status, ctype, _) = app.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ctype, PROBLEM);
}
both_backends!(
    check_grid,
    check_draws_overlaps_gaps_and_reports_invalid_rings
);

async fn split_by_a_north_south_line_retires_the_grid_and_carries_workers(app: &TestApp) {
    put_grid(
        app,
        GRID_A,
        json!({"name": "东街社区第1网格", "kind": "residential", "households": 100, "population": 300}),
        &rect(120.0, 29.0, 120.05, 29.1),
    )
    .await;
    // 30 households west of lon 120.03, 10 east: the west piece gets three quarters.
    for (i, lon) in [120.01, 120.02, 120.025, 120.04].into_iter().enumerate() {
        let building = json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, 29.05]},
            "properties": {"id": format!("B{i}"), "households": 10, "residents": 30}});
        let (status, _, body) = app
            .call(
                "POST",
                "/api/v1/buildings",
                Some(Role::Planner),
                Some(building),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(next_code(app).await, format!("{VILLAGE}004"));

    let (status, ctype, body) = app
        .call(
            "POST",
            &format!("/api/v1/grids/{GRID_A}/split"),
            Some(Role::Planner),
            Some(json!({
                "line": {"type": "LineString", "coordinates": [[120.03, 28.99], [120.03, 29.11]]},
                "names": ["东街社区第1网格西", "东街社区第1网格东"]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ctype, "application/geo+json");
    let (west, east) = (format!("{VILLAGE}004"), format!("{VILLAGE}005"));
    let features = body["features"].as_array().expect("features");
    assert_eq!(features.len(), 2);
    let (w, e) = (&features[0], &features[1]);
    assert_eq!(
        w["properties"]["code"],
        west.as_str(),
        "left of a northward line is west"
    );
    assert_eq!(e["properties"]["code"], east.as_str());
    assert_eq!(w["properties"]["name"], "东街社区第1网格西");
    assert_eq!(w["properties"]["households"], 75, "{body}");
    assert_eq!(e["properties"]["households"], 25);
    assert_eq!(w["properties"]["population"], 225);
    assert_eq!(e["properties"]["population"], 75);
    assert_eq!(body["apportioned_by"], "buildings");
    assert_eq!(body["retired"], json!([GRID_A]));

    let whole = ring_area(&rect(120.0, 29.0, 120.05, 29.1));
    let pieces = area_of(&w["geometry"]) + area_of(&e["geometry"]);
    assert!((pieces - whole).abs() < 1.0, "{pieces} vs {whole}");
    // Corners and the cut are exact, not moved by the overlay's integer grid.
    let (west_start, west_edge) = min_max(&ordinates(&w["geometry"], 0));
    assert!(
        (west_start - 120.0).abs() < 1e-12 && (west_edge - 120.03).abs() < 1e-12,
        "west piece spans {west_start}..{west_edge}"
    );
    let before = body["area_m2"]["before"][GRID_A].as_f64().expect("before");
    let after: f64 = [&west, &east]
        .iter()
        .map(|c| {
            body["area_m2"]["after"][c.as_str()]
                .as_f64()
                .expect("after")
        })
        .sum();
    assert!((before - after).abs() < 1.0, "{before} vs {after}");

    // Workers serve both pieces with their old duty; the micro-grid follows its piece.
    let moved: Vec<&str> = body["workers"]
        .as_array()
        .expect("workers")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(moved, ["W1", "W2"], "{body}");
    assert_eq!(
        worker_grids(app, "W1").await,
        [
            (west.clone(), "leader".to_owned()),
            (east.clone(), "leader".to_owned())
        ]
    );
    let w2 = worker_grids(app, "W2").await;
    assert!(
        w2.contains(&(GRID_B.to_owned(), "leader".to_owned())),
        "{w2:?}"
    );
    assert!(
        w2.contains(&(east.clone(), "part_time".to_owned())),
        "{w2:?}"
    );
    assert!(!w2.iter().any(|(g, _)| g == GRID_A));
    assert_eq!(
        body["micro_grids"],
        json!([{"code": MICRO_A, "parent_code": west}])
    );
    let (_, _, micro) = app
        .call("GET", &format!("/api/v1/grids/{MICRO_A}"), None, None)
        .await;
    assert_eq!(micro["properties"]["parent_code"], west.as_str());

    // The old grid is retired: gone from the map, closed in its history.
    assert_eq!(
        get_status(app, &format!("/api/v1/grids/{GRID_A}")).await,
        StatusCode::NOT_FOUND
    );
    let versions = history(app, GRID_A).await;
    assert_eq!(versions.len(), 2);
    assert!(
        versions
            .iter()
            .all(|v| !v["properties"]["valid_to"].is_null())
    );
    assert_eq!(history(app, &west).await.len(), 1);
    let (_, _, here) = app
        .call("GET", "/api/v1/locate?lon=120.04&lat=29.05", None, None)
        .await;
    assert_eq!(here["grid"]["code"], east.as_str(), "{here}");

    // Serials continue after the split, and a retired serial is never handed out again.
    assert_eq!(next_code(app).await, format!("{VILLAGE}006"));
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/grids/merge",
            Some(Role::Planner),
            Some(json!({"codes": [west, east], "keep": west})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let merged = area_of(&body["features"][0]["geometry"]);
    assert!((merged - whole).abs() < 1.0, "{merged} vs {whole}");
    assert_eq!(body["features"][0]["properties"]["households"], 100);
    assert_eq!(next_code(app).await, format!("{VILLAGE}006"));

    // A delete closes the open version too.
    let (status, _, body) = app
        .call(
            "DELETE",
            &format!("/api/v1/grids/{MICRO_A}"),
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The history the service moved on in memory after every write (put, split, merge,
    // delete) is, version for version and to the microsecond, the one the store keeps.
    let stored = app.service.store().grid_versions().await.expect("versions");
    let published: Vec<_> = app
        .service
        .snapshot()
        .grid_history
        .iter()
        .cloned()
        .collect();
    assert_eq!(published.len(), stored.len());
    for (p, s) in published.iter().zip(&stored) {
        assert_eq!(
            (&p.grid.code, p.version, p.valid_from, p.valid_to),
            (&s.grid.code, s.version, s.valid_from, s.valid_to)
        );
        assert_eq!(p.grid.to_feature(), s.grid.to_feature(), "{}", p.grid.code);
    }
}
both_backends!(
    split_grid,
    split_by_a_north_south_line_retires_the_grid_and_carries_workers
);

async fn split_lines_that_do_not_cut_cleanly_are_refused_and_change_nothing(app: &TestApp) {
    let cases = [
        // Ends in the middle of the grid.
        (json!([[120.03, 28.99], [120.03, 29.05]]), "inside the grid"),
        // Passes beside it.
        (json!([[120.2, 28.99], [120.2, 29.11]]), "does not cross"),
        // Cuts the micro-grid (lon 120.0–120.025).
        (json!([[120.02, 28.99], [120.02, 29.11]]), MICRO_A),
    ];
    for (coordinates, says) in cases {
        let (status, ctype, body) = app
            .call(
                "POST",
                &format!("/api/v1/grids/{GRID_A}/split"),
                Some(Role::Planner),
                Some(json!({"line": {"type": "LineString", "coordinates": coordinates}})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(ctype, PROBLEM);
        assert_eq!(body["field"], "line");
        let detail = body["detail"].as_str().unwrap_or("");
        assert!(detail.contains(says), "{detail}");
    }
    assert_eq!(
        get_status(app, &format!("/api/v1/grids/{GRID_A}")).await,
        StatusCode::OK
    );
    assert_eq!(history(app, GRID_A).await.len(), 1);
    assert_eq!(
        worker_grids(app, "W1").await,
        [(GRID_A.to_owned(), "leader".to_owned())]
    );
    assert_eq!(next_code(app).await, format!("{VILLAGE}004"));

    // A code a grid already has is a conflict.
    let (status, _, body) = app
        .call(
            "POST",
            &format!("/api/v1/grids/{GRID_A}/split"),
            Some(Role::Planner),
            Some(json!({"line": {"type": "LineString", "coordinates": [[120.03, 28.99], [120.03, 29.11]]},
                        "codes": [format!("{VILLAGE}007"), GRID_B]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["field"], "codes[1]");
    assert_eq!(history(app, GRID_A).await.len(), 1);
}
both_backends!(
    split_refused,
    split_lines_that_do_not_cut_cleanly_are_refused_and_change_nothing
);

async fn merge_of_neighbours_sums_households_and_moves_workers(app: &TestApp) {
    put_grid(
        app,
        GRID_A,
        json!({"name": "东街社区第1网格", "kind": "residential", "households": 120, "population": 300}),
        &rect(120.0, 29.0, 120.05, 29.1),
    )
    .await;
    put_grid(
        app,
        GRID_B,
        json!({"name": "东街社区第2网格", "kind": "residential", "households": 80, "population": 200}),
        &rect(120.05, 29.0, 120.1, 29.1),
    )
    .await;
    let (status, ctype, body) = app
        .call(
            "POST",
            "/api/v1/grids/merge",
            Some(Role::Admin),
            Some(json!({"codes": [GRID_A, GRID_B], "keep": GRID_A, "name": "东街社区合并网格"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ctype, "application/geo+json");
    let grid = &body["features"][0];
    assert_eq!(grid["properties"]["code"], GRID_A);
    assert_eq!(grid["properties"]["name"], "东街社区合并网格");
    assert_eq!(grid["properties"]["households"], 200);
    assert_eq!(grid["properties"]["population"], 500);
    let union = area_of(&grid["geometry"]);
    let sum =
        ring_area(&rect(120.0, 29.0, 120.05, 29.1)) + ring_area(&rect(120.05, 29.0, 120.1, 29.1));
    assert!((union - sum).abs() < 1.0, "{union} vs {sum}");
    assert_eq!(grid["geometry"]["type"], "Polygon", "one piece");
    let (west, east) = min_max(&ordinates(&grid["geometry"], 0));
    assert!(
        (west - 120.0).abs() < 1e-12 && (east - 120.1).abs() < 1e-12,
        "{west}..{east}"
    );
    assert_eq!(body["retired"], json!([GRID_B]));

    // B is retired; its leader W2 already served A part-time and keeps that duty, once.
    assert_eq!(
        get_status(app, &format!("/api/v1/grids/{GRID_B}")).await,
        StatusCode::NOT_FOUND
    );
    let b_versions = history(app, GRID_B).await;
    assert!(!b_versions.last().expect("version")["properties"]["valid_to"].is_null());
    assert_eq!(history(app, GRID_A).await.len(), 3, "fixture, PUT, merge");
    assert_eq!(
        worker_grids(app, "W2").await,
        [(GRID_A.to_owned(), "part_time".to_owned())]
    );
    assert_eq!(
        worker_grids(app, "W1").await,
        [(GRID_A.to_owned(), "leader".to_owned())]
    );
    let (_, _, here) = app
        .call("GET", "/api/v1/locate?lon=120.07&lat=29.05", None, None)
        .await;
    assert_eq!(here["grid"]["code"], GRID_A);
    let (_, _, micro) = app
        .call("GET", &format!("/api/v1/grids/{MICRO_A}"), None, None)
        .await;
    assert_eq!(micro["properties"]["parent_code"], GRID_A);
}
both_backends!(
    merge_grids,
    merge_of_neighbours_sums_households_and_moves_workers
);

async fn merge_of_grids_without_a_shared_edge_is_refused(app: &TestApp) {
    // Three micro-grids of B: 009 and 010 far apart, 011 touching 009 at one corner.
    for (serial, ring) in [
        ("009", rect(120.06, 29.0, 120.07, 29.01)),
        ("010", rect(120.08, 29.0, 120.09, 29.01)),
        ("011", rect(120.07, 29.01, 120.08, 29.02)),
    ] {
        let micro = area_feature(
            &json!({"code": format!("{VILLAGE}{serial}"), "name": format!("微网格{serial}"),
                    "kind": "residential", "parent_code": GRID_B}),
            &ring,
        );
        let (status, _, body) = app
            .call("POST", "/api/v1/grids", Some(Role::Planner), Some(micro))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let cases = [
        (["009", "010"], "do not touch"),
        (["009", "011"], "touch at a point"),
    ];
    for ([a, b], says) in cases {
        let (a, b) = (format!("{VILLAGE}{a}"), format!("{VILLAGE}{b}"));
        let (status, ctype, body) = app
            .call(
                "POST",
                "/api/v1/grids/merge",
                Some(Role::Planner),
                Some(json!({"codes": [a, b], "keep": a})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(ctype, PROBLEM);
        let detail = body["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains(&a) && detail.contains(&b) && detail.contains(says),
            "{detail}"
        );
    }
    // A grid and a micro-grid are at different levels.
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/grids/merge",
            Some(Role::Planner),
            Some(json!({"codes": [GRID_A, MICRO_A], "keep": GRID_A})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap_or("").contains("levels"));
    for code in ["009", "010", "011"] {
        assert_eq!(history(app, &format!("{VILLAGE}{code}")).await.len(), 1);
    }
    assert_eq!(history(app, GRID_A).await.len(), 1);
    // Deleted grids keep their serials: 009–011 are used, so the next is 012.
    let (status, _, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/grids/{VILLAGE}011"),
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(next_code(app).await, format!("{VILLAGE}012"));
}
both_backends!(
    merge_refused,
    merge_of_grids_without_a_shared_edge_is_refused
);

async fn only_planners_and_admins_edit_grids(app: &TestApp) {
    let line =
        json!({"line": {"type": "LineString", "coordinates": [[120.03, 28.99], [120.03, 29.11]]}});
    let merge = json!({"codes": [GRID_A, GRID_B], "keep": GRID_A});
    let feature = area_feature(
        &json!({"code": "330783001014010", "name": "x", "kind": "residential"}),
        &rect(120.0, 29.0, 120.01, 29.01),
    );
    let next = format!("/api/v1/grids/next-code?village={VILLAGE}");
    let split = format!("/api/v1/grids/{GRID_A}/split");
    let calls = [
        ("POST", "/api/v1/grids/check", Some(feature)),
        ("POST", split.as_str(), Some(line)),
        ("POST", "/api/v1/grids/merge", Some(merge)),
        ("GET", next.as_str(), None),
    ];
    for (method, uri, body) in calls {
        for (role, expected) in [
            (Some(Role::Viewer), StatusCode::FORBIDDEN),
            (Some(Role::Worker), StatusCode::FORBIDDEN),
            (None, StatusCode::UNAUTHORIZED),
        ] {
            let (status, ctype, answer) = app.call(method, uri, role, body.clone()).await;
            assert_eq!(status, expected, "{method} {uri} as {role:?}: {answer}");
            assert_eq!(ctype, PROBLEM);
        }
    }
    assert_eq!(history(app, GRID_A).await.len(), 1);
    assert_eq!(history(app, GRID_B).await.len(), 1);
    // Unknown and malformed villages.
    let (status, _, _) = app
        .call(
            "GET",
            "/api/v1/grids/next-code?village=330783001099",
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = app
        .call(
            "GET",
            "/api/v1/grids/next-code?village=3307",
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "village");
}
both_backends!(grid_edit_roles, only_planners_and_admins_edit_grids);
