//! Accepting a division through the real router, on SQLite and on PostGIS:
//! `POST /api/v1/grids/divide/accept` replaces the village's grids, moves micro-grids and
//! workers in one transaction, and refuses what would break the grid layer.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, MICRO_A, TestApp, VILLAGE, rect};
use crate::divide::{BUILDINGS, add_buildings, households};

const ACCEPT: &str = "/api/v1/grids/divide/accept";
const PROBLEM: &str = "application/problem+json";

fn grid(props: &Value, x0: f64, x1: f64) -> Value {
    json!({"type": "Feature", "properties": props,
           "geometry": {"type": "Polygon", "coordinates": [rect(x0, 29.0, x1, 29.1)]}})
}

/// Three strips replacing the fixture's two grids: west (new code), middle (keeps grid A's
/// code), east (new code).
fn three_strips() -> Value {
    json!({"type": "FeatureCollection", "features": [
        grid(&json!({"name": "西片"}), 120.0, 120.03),
        grid(&json!({"code": GRID_A}), 120.03, 120.06),
        grid(&json!({"kind": "dedicated"}), 120.06, 120.1),
    ]})
}

/// Households of the lattice buildings whose column lies in `cols`.
fn households_of_columns(cols: std::ops::Range<usize>) -> u64 {
    (0..BUILDINGS)
        .filter(|i| cols.contains(&(i % 8)))
        .map(households)
        .sum()
}

fn codes(body: &Value) -> Vec<String> {
    body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["code"].as_str().expect("code").to_owned())
        .collect()
}

async fn a_dry_run_writes_nothing_and_the_real_run_replaces_the_grids(app: &TestApp) {
    add_buildings(app).await;
    let version = app.service.snapshot().version;
    let body = json!({"village": VILLAGE, "grids": three_strips()});
    let (status, ctype, dry) = app
        .call(
            "POST",
            &format!("{ACCEPT}?dry_run=true"),
            Some(Role::Planner),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(dry["committed"], false);
    assert_eq!(
        app.service.snapshot().version,
        version,
        "a dry run writes nothing"
    );
    assert!(app.service.snapshot().grids.get(GRID_B).is_some());

    let (status, _, done) = app
        .call("POST", ACCEPT, Some(Role::Planner), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["committed"], true);
    for report in [&dry, &done] {
        // New codes continue after the fixture's 001-003; grid A's code is kept.
        let west = format!("{VILLAGE}004");
        let east = format!("{VILLAGE}005");
        assert_eq!(codes(report), [west.as_str(), GRID_A, east.as_str()]);
        assert_eq!(report["replaced"], json!([GRID_A]));
        assert_eq!(report["retired"], json!([GRID_B]));
        assert_eq!(report["households_from"], "buildings");
        let f = report["features"].as_array().expect("features");
        // Lattice columns: 0-1 west of 120.03, 2-4 up to 120.06, 5-7 east.
        for (feature, cols) in f.iter().zip([0..2, 2..5, 5..8]) {
            assert_eq!(
                feature["properties"]["households"].as_u64(),
                Some(households_of_columns(cols))
            );
            assert_eq!(feature["properties"]["clipped_m2"], 0.0);
            assert_eq!(feature["properties"]["contiguous"], true);
        }
        assert_eq!(f[0]["properties"]["name"], "西片");
        assert_eq!(
            f[1]["properties"]["name"], "东街社区第1网格",
            "a kept code keeps its name"
        );
        assert_eq!(f[2]["properties"]["name"], "东街社区第5网格");
        assert_eq!(f[2]["properties"]["kind"], "dedicated");
        // Grid A's workers follow grid A's largest overlap (the west strip); grid B's the east.
        assert_eq!(f[0]["properties"]["workers"], json!(["W1", "W2"]));
        assert_eq!(f[2]["properties"]["workers"], json!(["W2"]));
        assert_eq!(report["unstaffed"], json!([GRID_A]));
        assert_eq!(
            report["micro_grids"],
            json!([{"code": MICRO_A, "parent_code": west}])
        );
        assert_eq!(report["checks"]["no_gap"], true);
        assert_eq!(report["gaps"], json!([]));
    }

    let snapshot = app.service.snapshot();
    assert!(snapshot.grids.get(GRID_B).is_none());
    assert_eq!(
        snapshot
            .grids
            .get(MICRO_A)
            .and_then(|g| g.parent_code.clone()),
        Some(format!("{VILLAGE}004"))
    );
    let w2 = snapshot.workers.get("W2").expect("W2");
    let served: Vec<(&str, String)> = w2
        .grids
        .iter()
        .map(|a| (a.grid.as_str(), format!("{:?}", a.duty)))
        .collect();
    assert_eq!(
        served,
        [
            (format!("{VILLAGE}004").as_str(), "PartTime".to_owned()),
            (format!("{VILLAGE}005").as_str(), "Leader".to_owned())
        ]
    );
    // The store has it too: a fresh start reads the same grids, and the history keeps B.
    let (status, _, located) = app
        .call("GET", "/api/v1/locate?lon=120.045&lat=29.05", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(located["grid"]["code"], GRID_A);
    let (status, _, history) = app
        .call(
            "GET",
            &format!("/api/v1/grids/{GRID_A}/history"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["features"].as_array().map(Vec::len), Some(2));
    let stored = app.service.store().load().await.expect("load");
    let mut stored_codes: Vec<String> = stored
        .grids
        .iter()
        .filter(|g| g.parent_code.is_none())
        .map(|g| g.code.clone())
        .collect();
    stored_codes.sort();
    assert_eq!(
        stored_codes,
        [
            GRID_A.to_owned(),
            format!("{VILLAGE}004"),
            format!("{VILLAGE}005")
        ]
    );

    // Codes are never reused: grid B's code is retired now.
    let reuse =
        json!({"village": VILLAGE, "grids": [grid(&json!({"code": GRID_B}), 120.0, 120.1)]});
    let (status, _, problem) = app
        .call("POST", ACCEPT, Some(Role::Planner), Some(reuse))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["field"], "grids[0].code");
    // A grid drawn past the village boundary is clipped to it, and the cut-off area reported.
    let past = json!({"village": VILLAGE, "grids": [grid(&json!({}), 119.99, 120.1)]});
    let (status, _, clipped) = app
        .call(
            "POST",
            &format!("{ACCEPT}?dry_run=true"),
            Some(Role::Planner),
            Some(past),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{clipped}");
    let cut = clipped["features"][0]["properties"]["clipped_m2"]
        .as_f64()
        .expect("clipped_m2");
    let whole = clipped["features"][0]["properties"]["area_m2"]
        .as_f64()
        .expect("area_m2");
    // 0.01° of longitude beside 0.1° of village: a tenth of its area, within 0.5%.
    assert!((cut / whole - 0.1).abs() < 0.0005, "{cut} of {whole}");
    assert_eq!(clipped["checks"]["no_gap"], true);
}
both_backends!(
    accept_replaces,
    a_dry_run_writes_nothing_and_the_real_run_replaces_the_grids
);

async fn an_accepted_proposal_keeps_every_household_and_explicit_staffing(app: &TestApp) {
    let total = add_buildings(app).await;
    // The micro-grid would be cut by a four-way division: the division is refused, naming it.
    let (status, _, proposal) = app
        .call(
            "POST",
            "/api/v1/grids/divide",
            Some(Role::Planner),
            Some(json!({"village": VILLAGE, "grids": 4})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proposal}");
    let body = json!({"village": VILLAGE, "grids": proposal.clone()});
    let (status, ctype, problem) = app
        .call("POST", ACCEPT, Some(Role::Planner), Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(ctype, PROBLEM);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(MICRO_A)),
        "{problem}"
    );

    app.service
        .delete(safegrid::domain::Layer::Grid, MICRO_A)
        .await
        .expect("delete micro-grid");
    let first = codes(&proposal)[0].clone();
    let second = codes(&proposal)[1].clone();
    let staffed = json!({"village": VILLAGE, "grids": proposal, "assignments": [
        {"worker": "W1", "grid": first, "duty": "leader"},
        {"worker": "W2", "grid": second, "duty": "full_time"},
    ]});
    let (status, _, done) = app
        .call("POST", ACCEPT, Some(Role::Admin), Some(staffed))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let sum: u64 = done["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["households"].as_u64().expect("households"))
        .sum();
    assert_eq!(sum, total, "every household lands in one grid");
    assert_eq!(done["retired"], json!([GRID_A, GRID_B]));
    assert_eq!(done["checks"]["no_gap"], true);
    assert_eq!(done["unstaffed"].as_array().map(Vec::len), Some(2));
    let snapshot = app.service.snapshot();
    let w1 = snapshot.workers.get("W1").expect("W1");
    assert_eq!(w1.grids.len(), 1);
    assert_eq!(w1.grids[0].grid, first);
    assert_eq!(snapshot.grids.len(), 4);
}
both_backends!(
    accept_proposal,
    an_accepted_proposal_keeps_every_household_and_explicit_staffing
);

async fn refusals_name_what_is_wrong_and_change_nothing(app: &TestApp) {
    let version = app.service.snapshot().version;
    let cases: Vec<(Option<Role>, Value, StatusCode, &str, &str)> = vec![
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": {"type": "FeatureCollection", "features": [
                grid(&json!({}), 120.0, 120.06), grid(&json!({}), 120.05, 120.1)]}}),
            StatusCode::BAD_REQUEST,
            "grids",
            "overlap",
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": [grid(&json!({}), 120.0, 120.1), grid(&json!({}), 120.2, 120.3)]}),
            StatusCode::BAD_REQUEST,
            "grids[1].geometry",
            "outside",
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": [grid(&json!({"code": "330783001099001"}), 120.0, 120.1)]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "grids[0].code",
            "330783001099001",
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": [grid(&json!({"code": MICRO_A}), 120.0, 120.1)]}),
            StatusCode::CONFLICT,
            "grids[0].code",
            "micro-grid",
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": [grid(&json!({}), 120.0, 120.1)],
                   "assignments": [{"worker": "W1", "grid": GRID_B, "duty": "leader"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "assignments[0].grid",
            GRID_B,
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": [grid(&json!({"kind": "palace"}), 120.0, 120.1)]}),
            StatusCode::BAD_REQUEST,
            "grids[0].kind",
            "palace",
        ),
        (
            Some(Role::Planner),
            json!({"village": VILLAGE, "grids": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "grids",
            "1 to",
        ),
        (
            Some(Role::Planner),
            json!({"village": "330783001099", "grids": [grid(&json!({}), 120.0, 120.1)]}),
            StatusCode::NOT_FOUND,
            "",
            "330783001099",
        ),
        (
            Some(Role::Viewer),
            json!({"village": VILLAGE, "grids": [grid(&json!({}), 120.0, 120.1)]}),
            StatusCode::FORBIDDEN,
            "",
            "",
        ),
    ];
    for (role, body, status, field, needle) in cases {
        let (got, ctype, problem) = app.call("POST", ACCEPT, role, Some(body.clone())).await;
        assert_eq!(got, status, "{body} → {problem}");
        assert_eq!(ctype, PROBLEM, "{problem}");
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{problem}");
        }
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(needle)),
            "{problem}"
        );
    }
    assert_eq!(
        app.service.snapshot().version,
        version,
        "nothing was written"
    );
}
both_backends!(
    accept_refusals,
    refusals_name_what_is_wrong_and_change_nothing
);
