//! Topological editing through the real router, on SQLite and on PostGIS:
//! `POST /api/v1/grids/{code}/reshape` carries a vertex edit on a shared boundary into the
//! neighbour in the same transaction, and `POST /api/v1/grids/check` shows it (and the
//! avoid-overlap clip) before saving.

use axum::http::StatusCode;
use geo::{Area, BooleanOps, Coord, CoordsIter, MultiPolygon};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::domain::geometry::parse_area;
use safegrid::spatial::topology::area_m2;

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, MICRO_A, TestApp};

fn grid_a(ring: &[[f64; 2]]) -> Value {
    json!({"type": "Feature", "properties": {"code": GRID_A, "name": "东街社区第1网格", "kind": "residential"},
           "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

/// Grid A with its north-east corner, shared with grid B, moved east along the north edge.
fn corner_moved() -> Value {
    grid_a(&[
        [120.0, 29.0],
        [120.05, 29.0],
        [120.06, 29.1],
        [120.0, 29.1],
        [120.0, 29.0],
    ])
}

/// Grid A with a vertex added on the edge it shares with B, pushed into B.
fn edge_bent() -> Value {
    grid_a(&[
        [120.0, 29.0],
        [120.05, 29.0],
        [120.07, 29.05],
        [120.05, 29.1],
        [120.0, 29.1],
        [120.0, 29.0],
    ])
}

fn area_of(geometry: &Value) -> MultiPolygon {
    let g: geojson::Geometry = serde_json::from_value(geometry.clone()).expect("geometry");
    parse_area(Some(&g)).expect("area")
}

fn has_vertex(area: &MultiPolygon, x: f64, y: f64) -> bool {
    area.coords_iter()
        .any(|c: Coord| (c.x - x).abs() < 1e-9 && (c.y - y).abs() < 1e-9)
}

async fn a_moved_shared_corner_moves_in_the_neighbour(app: &TestApp) {
    let total = area_m2(&app.service.snapshot().grids.get(GRID_A).expect("A").area)
        + area_m2(&app.service.snapshot().grids.get(GRID_B).expect("B").area);
    // The check shows the neighbour as it would become, and no overlap.
    let mut check = corner_moved();
    check["replaces"] = json!(GRID_A);
    check["carry_shared"] = json!(true);
    let (status, _, report) = app
        .call(
            "POST",
            "/api/v1/grids/check",
            Some(Role::Planner),
            Some(check),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["carried"][0]["grid"], GRID_B);
    assert!(has_vertex(
        &area_of(&report["carried"][0]["geometry"]),
        120.06,
        29.1
    ));
    assert_eq!(report["clipped"], Value::Null);

    let (status, ctype, done) = app
        .call(
            "POST",
            &format!("/api/v1/grids/{GRID_A}/reshape"),
            Some(Role::Planner),
            Some(corner_moved()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(ctype, "application/geo+json");
    let codes: Vec<&str> = done["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [GRID_A, GRID_B],
        "the grid, then the neighbour carried"
    );
    assert_eq!(done["gaps"], json!([]));
    let snapshot = app.service.snapshot();
    let b = &snapshot.grids.get(GRID_B).expect("B").area;
    assert!(has_vertex(b, 120.06, 29.1) && !has_vertex(b, 120.05, 29.1));
    let a = &snapshot.grids.get(GRID_A).expect("A").area;
    let after = area_m2(a) + area_m2(b);
    assert!(
        (after - total).abs() < 1.0,
        "the two still tile the village: {after} vs {total}"
    );
    // Both have a new version; the micro-grid, which does not share the corner, does not.
    for (code, versions) in [(GRID_A, 2), (GRID_B, 2), (MICRO_A, 1)] {
        let (_, _, history) = app
            .call("GET", &format!("/api/v1/grids/{code}/history"), None, None)
            .await;
        assert_eq!(
            history["features"].as_array().map(Vec::len),
            Some(versions),
            "{code}"
        );
    }
    // The store has the carried neighbour too.
    let stored = app.service.store().load().await.expect("load");
    let b = stored
        .grids
        .iter()
        .find(|g| g.code == GRID_B)
        .expect("B stored");
    assert!(has_vertex(&b.area, 120.06, 29.1));
}
both_backends!(
    reshape_moves_corner,
    a_moved_shared_corner_moves_in_the_neighbour
);

async fn a_vertex_added_on_a_shared_edge_bends_both_grids(app: &TestApp) {
    let (status, _, done) = app
        .call(
            "POST",
            &format!("/api/v1/grids/{GRID_A}/reshape"),
            Some(Role::Planner),
            Some(edge_bent()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let snapshot = app.service.snapshot();
    let a = &snapshot.grids.get(GRID_A).expect("A").area;
    let b = &snapshot.grids.get(GRID_B).expect("B").area;
    assert!(
        has_vertex(b, 120.07, 29.05),
        "B gave way along the bent edge"
    );
    assert!(area_m2(&a.intersection(b)) < 1.0);
    // A grew by the triangle (0.02° × 0.1° / 2) that B lost.
    let triangle = 0.02 * 0.1 / 2.0;
    assert!((a.unsigned_area() - (0.005 + triangle)).abs() < 1e-9);
    assert!((b.unsigned_area() - (0.005 - triangle)).abs() < 1e-9);
}
both_backends!(
    reshape_bends_edge,
    a_vertex_added_on_a_shared_edge_bends_both_grids
);

async fn without_carrying_the_overlap_is_refused_and_the_check_offers_a_clip(app: &TestApp) {
    let (status, _, problem) = app
        .call(
            "POST",
            &format!("/api/v1/grids/{GRID_A}/reshape?carry_shared=false"),
            Some(Role::Planner),
            Some(corner_moved()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(GRID_B))
    );
    let b = &app
        .service
        .snapshot()
        .grids
        .get(GRID_B)
        .expect("B")
        .area
        .clone();
    assert!(has_vertex(b, 120.05, 29.1), "nothing was written");

    let mut check = corner_moved();
    check["replaces"] = json!(GRID_A);
    let (status, _, report) = app
        .call(
            "POST",
            "/api/v1/grids/check",
            Some(Role::Planner),
            Some(check),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], false);
    assert_eq!(report["overlaps"][0]["grid"], GRID_B);
    assert_eq!(report["carried"], json!([]));
    // Avoid overlap: the drawn shape without B's part is grid A as it was.
    let clipped = area_of(&report["clipped"]);
    assert!(
        (clipped.unsigned_area() - 0.005).abs() < 1e-9,
        "{}",
        clipped.unsigned_area()
    );
    let (status, _, problem) = app
        .call(
            "POST",
            "/api/v1/grids/check",
            Some(Role::Planner),
            Some(json!({"type": "Feature", "carry_shared": "yes", "properties": {}, "geometry": null})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "carry_shared");
}
both_backends!(
    reshape_refuses_overlap,
    without_carrying_the_overlap_is_refused_and_the_check_offers_a_clip
);
