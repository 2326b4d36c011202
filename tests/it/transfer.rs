//! Whole-layer import and export over HTTP: downloads in both formats, a GeoJSON round trip into
//! a fresh app, dry runs that report bad rows by line and write nothing, GCJ-02 uploads converted
//! to WGS84, roles, formats and the batch body limit.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::service::{Service, hash_token};
use safegrid::spatial::crs::{Crs, to_wgs84};
use safegrid::store::TokenRecord;

use crate::both_backends;
use crate::common::{Backend, CAMERA, TestApp, exchange, open_store, token_for};

const PROBLEM: &str = "application/problem+json";

/// A request with a raw body of `content_type`, sent with the token of `role`.
fn upload(uri: &str, role: Option<Role>, content_type: &str, body: String) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(role) = role {
        req = req.header(header::AUTHORIZATION, format!("Bearer {}", token_for(role)));
    }
    req.body(Body::from(body)).expect("request")
}

/// `GET uri` through `router`: status, content type, disposition and body text.
async fn download(router: &Router, uri: &str) -> (StatusCode, String, String, String) {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let (status, headers, bytes) = exchange(router, req).await;
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    (
        status,
        text(header::CONTENT_TYPE),
        text(header::CONTENT_DISPOSITION),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// An app on an empty in-memory SQLite store with an admin token: the destination of a round
/// trip.
async fn empty_app() -> Router {
    let (store, _) = open_store(Backend::Sqlite).await.expect("sqlite");
    store
        .insert_token(
            &TokenRecord {
                hash: hash_token(&token_for(Role::Admin)),
                name: "admin".into(),
                role: Role::Admin,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("token");
    safegrid::api::app(Arc::new(Service::start(store).await.expect("service")))
}

async fn camera_count(app: &TestApp) -> u64 {
    let (_, _, list) = app.call("GET", "/api/v1/cameras", None, None).await;
    list["numberMatched"].as_u64().expect("numberMatched")
}

async fn export_downloads_and_geojson_round_trips(app: &TestApp) {
    let (status, ctype, disposition, csv) =
        download(&app.app, "/api/v1/grids/export?format=csv").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(ctype, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"grids.csv\"");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "header and three grids: {csv}");
    assert!(lines[0].starts_with("code,"), "{csv}");
    assert!(lines[0].ends_with(",geometry"), "{csv}");
    assert!(csv.contains(crate::common::GRID_A));

    let (status, ctype, disposition, grids) =
        download(&app.app, "/api/v1/grids/export?format=geojson").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(disposition, "attachment; filename=\"grids.geojson\"");
    let grids_json: Value = serde_json::from_str(&grids).expect("GeoJSON");
    assert_eq!(grids_json["type"], "FeatureCollection");
    assert_eq!(grids_json["features"].as_array().map(Vec::len), Some(3));

    // GeoJSON is the default format; regions go first because grids reference them.
    let (status, _, disposition, regions) = download(&app.app, "/api/v1/regions/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disposition, "attachment; filename=\"regions.geojson\"");

    let fresh = empty_app().await;
    for (layer, file, rows) in [("regions", regions, 3), ("grids", grids, 3)] {
        // The format comes from the content type.
        let req = upload(
            &format!("/api/v1/{layer}/import"),
            Some(Role::Admin),
            "application/geo+json",
            file,
        );
        let (status, ctype, body) = exchange(&fresh, req).await;
        let report: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            ctype.get(header::CONTENT_TYPE).expect("ctype"),
            "application/json"
        );
        assert_eq!(
            report,
            json!({"layer": layer, "rows": rows, "valid": rows, "bad": [], "imported": rows, "dry_run": false})
        );
    }
    let (status, _, _, again) = download(&fresh, "/api/v1/grids/export?format=geojson").await;
    assert_eq!(status, StatusCode::OK);
    let again: Value = serde_json::from_str(&again).expect("GeoJSON");
    assert_eq!(
        again, grids_json,
        "the round trip keeps every grid as it was"
    );
}
both_backends!(export_round_trip, export_downloads_and_geojson_round_trips);

const CAMERA_HEADER: &str = "code,name,azimuth_deg,hfov_deg,range_m,kind,lon,lat\n";

async fn dry_run_reports_bad_lines_and_imports_nothing(app: &TestApp) {
    let before = camera_count(app).await;
    let csv = format!(
        "{CAMERA_HEADER}33078300001320000011,好点位,90,60,80,fixed,120.0546,29.0476\n\
         33078300001320000012,坏方位,400,60,80,fixed,120.0546,29.0476\n"
    );
    let req = upload(
        "/api/v1/cameras/import?format=csv&crs=gcj02&dry_run=true",
        Some(Role::Planner),
        "text/csv",
        csv.clone(),
    );
    let (status, ctype, problem) = app.send(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(ctype, PROBLEM);
    assert_eq!(problem["rows"], 2);
    assert_eq!(problem["valid"], 1);
    assert_eq!(problem["imported"], 0);
    assert_eq!(problem["dry_run"], true);
    let bad = problem["bad"].as_array().expect("bad rows");
    assert_eq!(bad.len(), 1, "{problem}");
    assert_eq!(bad[0]["at"], "line 3");
    assert!(
        bad[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("azimuth")),
        "{problem}"
    );
    assert_eq!(camera_count(app).await, before);

    // Without the dry run a bad row still stops the whole file.
    let req = upload(
        "/api/v1/cameras/import?format=csv&crs=gcj02",
        Some(Role::Planner),
        "text/csv",
        csv,
    );
    let (status, _, problem) = app.send(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["bad"][0]["at"], "line 3");
    assert_eq!(camera_count(app).await, before);

    // A valid dry run answers 200 and still writes nothing.
    let good =
        format!("{CAMERA_HEADER}33078300001320000011,好点位,90,60,80,fixed,120.0546,29.0476\n");
    let req = upload(
        "/api/v1/cameras/import?dry_run=true",
        Some(Role::Planner),
        "text/csv",
        good,
    );
    let (status, _, report) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"layer": "cameras", "rows": 1, "valid": 1, "bad": [], "imported": 0, "dry_run": true})
    );
    assert_eq!(camera_count(app).await, before);
}
both_backends!(
    dry_run_with_a_bad_row,
    dry_run_reports_bad_lines_and_imports_nothing
);

async fn gcj02_csv_of_cameras_is_imported_in_wgs84(app: &TestApp) {
    let before = camera_count(app).await;
    let cameras = [
        ("33078300001320000021", 120.0546, 29.0476),
        ("33078300001320000022", 120.0712, 29.0833),
    ];
    let mut csv = CAMERA_HEADER.to_owned();
    for (code, lon, lat) in cameras {
        writeln!(csv, "{code},东街点位,90,60,80,fixed,{lon},{lat}").expect("write to a String");
    }
    let req = upload(
        "/api/v1/cameras/import?crs=gcj02",
        Some(Role::Planner),
        "text/csv; charset=utf-8",
        csv,
    );
    let (status, _, report) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2);
    assert_eq!(camera_count(app).await, before + 2);
    for (code, lon, lat) in cameras {
        let (status, _, feature) = app
            .call("GET", &format!("/api/v1/cameras/{code}"), None, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{feature}");
        let at = &feature["geometry"]["coordinates"];
        let (x, y) = (at[0].as_f64().expect("lon"), at[1].as_f64().expect("lat"));
        let (wx, wy) = to_wgs84(Crs::Gcj02, lon, lat);
        assert!(
            (x - wx).abs() < 1e-9 && (y - wy).abs() < 1e-9,
            "{code}: {x},{y}"
        );
        assert!((x - lon).abs() > 0.001, "{code} was converted");
    }
}
both_backends!(gcj02_cameras, gcj02_csv_of_cameras_is_imported_in_wgs84);

async fn roles_and_formats_are_checked(app: &TestApp) {
    let csv = format!("{CAMERA_HEADER}{CAMERA},东街1号,90,60,100,fixed,120.02,29.05\n");
    let uri = "/api/v1/cameras/import?format=csv";
    let (status, ctype, _) = app
        .send(upload(uri, Some(Role::Viewer), "text/csv", csv.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ctype, PROBLEM);
    let (status, _, _) = app.send(upload(uri, None, "text/csv", csv.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A worker may write events, not cameras.
    let (status, _, _) = app
        .send(upload(uri, Some(Role::Worker), "text/csv", csv.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, ctype, problem) = app
        .send(upload(
            "/api/v1/cameras/import?format=kml",
            Some(Role::Planner),
            "text/csv",
            csv.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ctype, PROBLEM);
    assert_eq!(problem["field"], "format");
    // A CSV body sent as a shapefile is not a zip.
    let (status, _, problem) = app
        .send(upload(
            "/api/v1/cameras/import?format=shapefile",
            Some(Role::Planner),
            "text/csv",
            csv.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "body");
    let (status, _, problem) = app
        .send(upload(
            "/api/v1/cameras/import",
            Some(Role::Planner),
            "text/plain",
            csv,
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "format");
    let (status, _, problem) = app
        .send(upload(
            "/api/v1/cameras/import?crs=mercator",
            Some(Role::Planner),
            "text/csv",
            String::new(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "crs");
    let (status, _, problem) = app
        .send(upload(
            "/api/v1/cameras/import",
            Some(Role::Planner),
            "application/json",
            "[1, 2]".into(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a FeatureCollection");
    assert_eq!(problem["field"], "body");

    let (status, ctype, _, body) = download(&app.app, "/api/v1/cameras/export?format=kml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(ctype, PROBLEM);
    // Shapefiles are imported, not exported.
    let (status, _, _, body) = download(&app.app, "/api/v1/cameras/export?format=shapefile").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
both_backends!(roles_and_formats, roles_and_formats_are_checked);

#[tokio::test]
async fn import_takes_bodies_over_the_ordinary_limit() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite");
    // An empty FeatureCollection padded past MAX_BODY_BYTES: JSON allows trailing whitespace.
    let mut body = String::from(r#"{"type": "FeatureCollection", "features": []}"#);
    body.push_str(&" ".repeat(safegrid::api::MAX_BODY_BYTES + 10));
    let req = upload(
        "/api/v1/cameras/import?dry_run=true",
        Some(Role::Planner),
        "application/geo+json",
        body,
    );
    let (status, _, report) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 0);
    app.finish().await;
}

/// The features (GeoJSON) or data lines (CSV) of an export, and its file name.
async fn exported(app: &TestApp, uri: &str) -> (StatusCode, String, Vec<String>) {
    let (status, _, disposition, body) = download(&app.app, uri).await;
    if status != StatusCode::OK {
        return (status, body, Vec::new());
    }
    let collection: Value = serde_json::from_str(&body).expect("GeoJSON");
    let keys = collection["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            p["code"]
                .as_str()
                .or(p["id"].as_str())
                .expect("a key")
                .to_owned()
        })
        .collect();
    (status, disposition, keys)
}

async fn export_takes_the_view_or_a_village(app: &TestApp) {
    use crate::common::{GRID_A, GRID_B, MICRO_A, VILLAGE};
    let event = |lon: f64| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 29.03]},
        "properties": {"category": "theft", "occurred_at": "2026-11-01T12:00:00Z", "reported_at": "2026-11-01T12:10:00Z", "status": "reported"}})
    };
    let mut events = Vec::new();
    for lon in [120.02, 120.08, 120.2] {
        let (status, _, body) = app
            .call(
                "POST",
                "/api/v1/events",
                Some(Role::Admin),
                Some(event(lon)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        events.push(body["id"].as_str().expect("an id").to_owned());
    }

    // The east half of the village: grid B, its worker, no camera, the route across it.
    let east = "bbox=120.06,29.0,120.09,29.1";
    let (status, disposition, grids) = exported(app, &format!("/api/v1/grids/export?{east}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disposition, "attachment; filename=\"grids-view.geojson\"");
    assert_eq!(grids, [GRID_B]);
    let (_, _, workers) = exported(app, &format!("/api/v1/workers/export?{east}")).await;
    assert_eq!(workers, ["W2"]);
    let (_, _, cameras) = exported(app, &format!("/api/v1/cameras/export?{east}")).await;
    assert!(
        cameras.is_empty(),
        "a camera whose reach misses the view stays out"
    );
    let (_, _, routes) = exported(app, &format!("/api/v1/patrol-routes/export?{east}")).await;
    assert_eq!(routes, ["R1"]);
    let (_, _, in_view) = exported(app, &format!("/api/v1/events/export?{east}")).await;
    assert_eq!(in_view, [events[1].clone()]);

    // The west edge: grid A, its micro-grid, both workers, the camera, the key area.
    let west = "bbox=120.0,29.0,120.03,29.1";
    let (_, _, grids) = exported(app, &format!("/api/v1/grids/export?{west}")).await;
    assert_eq!(grids, [GRID_A, MICRO_A]);
    let (_, _, workers) = exported(app, &format!("/api/v1/workers/export?{west}")).await;
    assert_eq!(workers, ["W1", "W2"]);
    let (_, _, cameras) = exported(app, &format!("/api/v1/cameras/export?{west}")).await;
    assert_eq!(cameras, [CAMERA]);
    let (_, _, areas) = exported(app, &format!("/api/v1/key-areas/export?{west}")).await;
    assert_eq!(areas, ["K1"]);

    // The village: its own grids, its workers, what stands in it; not the event outside.
    let village = format!("village={VILLAGE}");
    let (_, disposition, grids) = exported(app, &format!("/api/v1/grids/export?{village}")).await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"grids-{VILLAGE}.geojson\"")
    );
    assert_eq!(grids, [GRID_A, GRID_B, MICRO_A]);
    let (_, _, regions) = exported(app, &format!("/api/v1/regions/export?{village}")).await;
    assert_eq!(regions, [VILLAGE]);
    let (_, _, mut inside) = exported(app, &format!("/api/v1/events/export?{village}")).await;
    inside.sort();
    let mut expected = events[..2].to_vec();
    expected.sort();
    assert_eq!(inside, expected);
    let (status, _, disposition, csv) = download(
        &app.app,
        &format!("/api/v1/cameras/export?format=csv&{village}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        disposition,
        format!("attachment; filename=\"cameras-{VILLAGE}.csv\"")
    );
    assert_eq!(csv.lines().count(), 2, "header and the camera: {csv}");

    // A town is not a village, an unknown village is not found, and one extent at a time.
    let (status, body, _) = exported(app, "/api/v1/grids/export?village=330783001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body, _) = exported(app, "/api/v1/grids/export?village=330783001099").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body, _) = exported(app, &format!("/api/v1/grids/export?{west}&{village}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body, _) = exported(app, "/api/v1/grids/export?bbox=1,2,3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
both_backends!(
    export_of_view_or_village,
    export_takes_the_view_or_a_village
);
