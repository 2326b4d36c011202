//! The grid division assistant through the real router, on SQLite and on PostGIS:
//! `POST /api/v1/grids/divide` → a proposal that partitions the village, or a problem.

use axum::http::StatusCode;
use geo::{BooleanOps, MultiPolygon};
use serde_json::{Value, json};

use safegrid::domain::geometry::parse_area;
use safegrid::domain::{AnyItem, Layer, Role};
use safegrid::spatial::topology::{AREA_TOLERANCE_M2, area_m2};

use crate::both_backends;
use crate::common::{TestApp, VILLAGE, area_feature, rect};

const PROBLEM: &str = "application/problem+json";
const DIVIDE: &str = "/api/v1/grids/divide";
/// A village/community with a boundary and no buildings.
const EMPTY_VILLAGE: &str = "330783001015";
/// Buildings added to the fixture village: an 8 × 8 lattice.
pub const BUILDINGS: usize = 64;

fn item(layer: Layer, feature: &Value) -> AnyItem {
    let f: geojson::Feature = serde_json::from_value(feature.clone()).expect("feature");
    AnyItem::from_feature(layer, &f).expect("valid item")
}

/// Households of lattice building `i`: 1..=16, uneven on purpose.
pub fn households(i: usize) -> u64 {
    (i * 7 % 16 + 1) as u64
}

/// Adds 64 buildings over the fixture village, 10 events in its south-west corner and a
/// second village without buildings; returns the village's households.
pub async fn add_buildings(app: &TestApp) -> u64 {
    let mut items = Vec::new();
    for i in 0..BUILDINGS {
        let (col, row) = ((i % 8) as f64, (i / 8) as f64);
        let lon = 120.00625 + 0.0125 * col;
        let lat = 29.00625 + 0.0125 * row;
        items.push(item(
            Layer::Building,
            &json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"id": format!("B{i:02}"), "households": households(i), "residents": 3 * households(i)}}),
        ));
    }
    for i in 0..10 {
        items.push(item(
            Layer::Event,
            &json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.001 + 0.001 * f64::from(i), 29.002]},
                    "properties": {"id": format!("E{i}"), "category": "dispute", "occurred_at": "2026-01-01T10:00:00Z",
                                   "reported_at": "2026-01-01T10:05:00Z", "status": "reported"}}),
        ));
    }
    items.push(item(
        Layer::Region,
        &area_feature(
            &json!({"code": EMPTY_VILLAGE, "name": "空地村委会", "parent_code": "330783001"}),
            &rect(120.2, 29.0, 120.3, 29.1),
        ),
    ));
    app.service.import(items).await.expect("import");
    (0..BUILDINGS).map(households).sum()
}

async fn divide(app: &TestApp, role: Option<Role>, body: &Value) -> (StatusCode, String, Value) {
    app.call("POST", DIVIDE, role, Some(body.clone())).await
}

fn village_area() -> MultiPolygon {
    let g: geojson::Geometry = serde_json::from_value(
        json!({"type": "Polygon", "coordinates": [rect(120.0, 29.0, 120.1, 29.1)]}),
    )
    .expect("geometry");
    parse_area(Some(&g)).expect("area")
}

/// The pieces of a proposal as areas; checks that they partition the fixture village.
fn assert_partitions_the_village(body: &Value) -> Vec<MultiPolygon> {
    let pieces: Vec<MultiPolygon> = body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let g: geojson::Geometry =
                serde_json::from_value(f["geometry"].clone()).expect("geometry");
            parse_area(Some(&g)).expect("every piece is a valid (multi)polygon")
        })
        .collect();
    let village = village_area();
    let union = pieces
        .iter()
        .fold(MultiPolygon(Vec::new()), |acc, p| acc.union(p));
    let gap = area_m2(&village.difference(&union));
    let outside = area_m2(&union.difference(&village));
    assert!(gap < AREA_TOLERANCE_M2, "{gap} m² of the village uncovered");
    assert!(
        outside < AREA_TOLERANCE_M2,
        "{outside} m² outside the village"
    );
    for (i, a) in pieces.iter().enumerate() {
        for b in &pieces[i + 1..] {
            let overlap = area_m2(&a.intersection(b));
            assert!(
                overlap < AREA_TOLERANCE_M2,
                "pieces overlap by {overlap} m²"
            );
        }
    }
    pieces
}

async fn planner_gets_a_balanced_exact_partition_and_nothing_is_written(app: &TestApp) {
    let total = add_buildings(app).await;
    let grids_before = app.service.snapshot().grids.len();
    let (status, ctype, body) = divide(
        app,
        Some(Role::Planner),
        &json!({"village": VILLAGE, "grids": 4}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(body["village"]["code"], VILLAGE);
    let features = body["features"].as_array().expect("features");
    assert_eq!(features.len(), 4);
    let pieces = assert_partitions_the_village(&body);
    // Codes continue after the fixture's 001-003; names drop the committee suffix.
    let codes: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "330783001014004",
            "330783001014005",
            "330783001014006",
            "330783001014007"
        ]
    );
    assert_eq!(features[0]["properties"]["name"], "东街社区第4网格");
    let mut sum = 0;
    let mut buildings = 0;
    for (f, area) in features.iter().zip(&pieces) {
        let p = &f["properties"];
        let h = p["households"].as_u64().expect("households");
        sum += h;
        buildings += p["buildings"].as_u64().expect("buildings");
        assert!(p["buildings"].as_u64() >= Some(1));
        assert_eq!(p["population"].as_u64(), Some(3 * h));
        assert_eq!(p["weight"].as_f64(), Some(h as f64), "weight = households");
        let m2 = p["area_m2"].as_f64().expect("area");
        assert!((m2 - area_m2(area)).abs() / m2 < 1e-3, "{m2}");
        let c = p["compactness"].as_f64().expect("compactness");
        assert!(c > 0.3 && c <= 1.0, "compactness {c}");
        assert_eq!(p["parts"].as_u64(), Some(area.0.len() as u64));
        // Balanced up to about one building (at most 16 households) per level of cuts.
        assert!(h.abs_diff(total / 4) <= 2 * 16, "{h} vs {}", total / 4);
    }
    assert_eq!(sum, total, "every building counts once");
    assert_eq!(buildings, BUILDINGS as u64);
    let s = &body["summary"];
    assert_eq!(s["grids"], 4);
    assert_eq!(s["households"].as_u64(), Some(total));
    assert_eq!(s["buildings"].as_u64(), Some(BUILDINGS as u64));
    assert_eq!(s["events"], 0, "events count only with event_weight");
    let (max, min) = (
        s["max_households"].as_u64().expect("max"),
        s["min_households"].as_u64().expect("min"),
    );
    let balance = s["balance"]["max_over_min"].as_f64().expect("balance");
    assert!((balance - max as f64 / min as f64).abs() < 1e-3);
    let over_mean = s["balance"]["max_over_mean"].as_f64().expect("balance");
    assert!((over_mean - max as f64 * 4.0 / total as f64).abs() < 1e-3);
    assert!(s["mean_compactness"].as_f64() > Some(0.5), "{s}");
    assert!(
        s["algorithm"]
            .as_str()
            .is_some_and(|a| a.contains("bisection"))
    );
    assert_eq!(
        app.service.snapshot().grids.len(),
        grids_before,
        "a proposal writes nothing"
    );

    // About 100 households per grid: round(total / 100) grids.
    let (status, _, body) = divide(
        app,
        Some(Role::Admin),
        &json!({"village": VILLAGE, "households_per_grid": 100}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let k = usize::try_from((total + 50) / 100).expect("small");
    assert_eq!(body["features"].as_array().map(Vec::len), Some(k));
    assert_partitions_the_village(&body);

    // Events weigh in: the 10 events in the south-west corner count, and the piece that holds
    // them has fewer households than it would without them.
    let (status, _, body) = divide(
        app,
        Some(Role::Planner),
        &json!({"village": VILLAGE, "grids": 2, "event_weight": 20}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["summary"]["events"], 10);
    let busy = body["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["events"] == 10)
        .expect("one piece holds every event")
        .clone();
    let h = busy["properties"]["households"]
        .as_u64()
        .expect("households");
    let w = busy["properties"]["weight"].as_f64().expect("weight");
    assert!((w - (h as f64 + 200.0)).abs() < 1e-9, "{busy}");
    assert!(
        h < total / 2,
        "{h} households beside 10 events weighing 200"
    );
}
both_backends!(
    divide_success,
    planner_gets_a_balanced_exact_partition_and_nothing_is_written
);

async fn only_planners_and_admins_may_ask(app: &TestApp) {
    add_buildings(app).await;
    let body = json!({"village": VILLAGE, "grids": 2});
    for (role, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(Role::Viewer), StatusCode::FORBIDDEN),
        (Some(Role::Worker), StatusCode::FORBIDDEN),
        (Some(Role::Scheduler), StatusCode::FORBIDDEN),
        (Some(Role::Planner), StatusCode::OK),
        (Some(Role::Admin), StatusCode::OK),
    ] {
        let (status, ctype, reply) = divide(app, role, &body).await;
        assert_eq!(status, want, "{role:?}: {reply}");
        if want != StatusCode::OK {
            assert_eq!(ctype, PROBLEM);
        }
    }
}
both_backends!(divide_roles, only_planners_and_admins_may_ask);

async fn bad_requests_are_problems_naming_the_field(app: &TestApp) {
    add_buildings(app).await;
    let cases = [
        (
            json!({"village": "330783001099", "grids": 2}),
            StatusCode::NOT_FOUND,
            None,
            "does not exist",
        ),
        (
            json!({"village": "330783001", "grids": 2}),
            StatusCode::BAD_REQUEST,
            Some("village"),
            "12 digits",
        ),
        (
            json!({"village": EMPTY_VILLAGE, "households_per_grid": 300}),
            StatusCode::BAD_REQUEST,
            Some("village"),
            "no buildings",
        ),
        (
            json!({"village": EMPTY_VILLAGE, "grids": 1}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "there are 0",
        ),
        (
            json!({"village": VILLAGE, "grids": BUILDINGS + 1}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "there are 64",
        ),
        (
            json!({"village": VILLAGE, "grids": 2, "households_per_grid": 300}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "not both",
        ),
        (
            json!({"village": VILLAGE}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "households_per_grid",
        ),
        (
            json!({"village": VILLAGE, "grids": 0}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "1..=200",
        ),
        (
            json!({"village": VILLAGE, "grids": 201}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "1..=200",
        ),
        (
            json!({"village": VILLAGE, "grids": -3}),
            StatusCode::BAD_REQUEST,
            Some("grids"),
            "1..=200",
        ),
        (
            json!({"village": VILLAGE, "households_per_grid": 0}),
            StatusCode::BAD_REQUEST,
            Some("households_per_grid"),
            "positive",
        ),
        (
            json!({"village": VILLAGE, "households_per_grid": 1}),
            StatusCode::BAD_REQUEST,
            Some("households_per_grid"),
            "at most 200",
        ),
        (
            json!({"village": VILLAGE, "grids": 2, "event_weight": -1}),
            StatusCode::BAD_REQUEST,
            Some("event_weight"),
            "event_weight",
        ),
        (
            json!({"village": VILLAGE, "grids": 2.5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("grids"),
            "grids",
        ),
        (
            json!({"village": VILLAGE, "grids": 2, "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("colour"),
            "colour",
        ),
    ];
    for (body, status, field, says) in cases {
        let (got, ctype, reply) = divide(app, Some(Role::Planner), &body).await;
        assert_eq!(got, status, "{body}: {reply}");
        assert_eq!(ctype, PROBLEM, "{body}");
        if let Some(field) = field {
            assert_eq!(reply["field"], field, "{body}: {reply}");
        }
        let detail = reply["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains(says),
            "{body}: `{detail}` should say `{says}`"
        );
    }
}
both_backends!(
    divide_bad_requests,
    bad_requests_are_problems_naming_the_field
);

/// Real boundaries: the Dongyang sample's largest community (35,000 households, 117 grids at
/// 300 each) and its most concave villages, checked with the service's own topology checks.
#[test]
fn sample_villages_are_partitioned_without_gaps_or_overlaps() {
    use safegrid::analysis::division::{self, DivisionRequest, Target};
    use safegrid::domain::RegionLevel;
    use safegrid::spatial::{Snapshot, topology};

    let snapshot = Snapshot::build(safegrid::sample::generate().expect("sample"), 1);
    let villages: Vec<_> = snapshot
        .regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Village)
        .collect();
    // The community with the most buildings, and the three least convex villages (area over
    // the area of their bounding box).
    let mut by_buildings: Vec<_> = villages
        .iter()
        .map(|v| {
            (
                snapshot
                    .buildings
                    .intersecting(geo::BoundingRect::bounding_rect(&v.area).expect("bbox"))
                    .count(),
                *v,
            )
        })
        .collect();
    by_buildings.sort_by_key(|(n, v)| (std::cmp::Reverse(*n), v.code.clone()));
    let mut by_fill: Vec<_> = villages
        .iter()
        .map(|v| {
            let bbox = geo::BoundingRect::bounding_rect(&v.area).expect("bbox");
            let fill = area_m2(&v.area) / area_m2(&MultiPolygon(vec![bbox.to_polygon()]));
            (fill, *v)
        })
        .collect();
    by_fill.sort_by(|a, b| a.0.total_cmp(&b.0));
    let chosen = std::iter::once(by_buildings[0].1).chain(by_fill.iter().take(3).map(|(_, v)| *v));
    for village in chosen {
        let request = DivisionRequest {
            village: village.code.clone(),
            target: Target::HouseholdsPerGrid(300),
            event_weight: 0.0,
        };
        let proposal = division::propose_division(&snapshot, &request).expect("proposal");
        let s = &proposal.summary;
        let households: u64 = proposal.grids.iter().map(|g| g.piece.households).sum();
        assert_eq!(households, s.households, "{}", village.code);
        if s.grids > 1 {
            assert!(
                s.max_over_mean.is_some_and(|r| r < 1.15),
                "{}: {s:?}",
                village.code
            );
        }
        // Replace the village's grids by the proposal and ask the topology checks.
        let old: Vec<(Layer, String)> = snapshot
            .grids
            .iter()
            .filter(|g| g.community_code() == village.code)
            .map(|g| (Layer::Grid, g.code.clone()))
            .collect();
        let new: Vec<AnyItem> = proposal
            .grids
            .iter()
            .map(|g| {
                item(
                    Layer::Grid,
                    &json!({"type": "Feature", "geometry": safegrid::domain::geometry::area_to_geojson(&g.piece.area),
                            "properties": {"code": g.code, "name": g.name, "kind": "residential"}}),
                )
            })
            .collect();
        let after = snapshot.with_changes(&new, &old);
        assert!(
            topology::gaps_in(&after, &village.code, None).is_empty(),
            "{}: gaps",
            village.code
        );
        for g in &proposal.grids {
            let grid = after.grids.get(&g.code).expect("grid");
            assert!(
                topology::sibling_overlaps(&after, grid).is_empty(),
                "{}: overlaps",
                g.code
            );
        }
    }
}
