//! The road network over HTTP, on both stores: an OpenStreetMap-derived GeoJSON is imported as
//! it comes (highway and oneway tags read, other tags ignored, what is not a road refused by
//! line), its streets are found by name, and only the roles that keep the network write it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::TestApp;

fn way(id: &str, tags: &Value, coords: &Value) -> Value {
    json!({"type": "Feature", "id": format!("way/{id}"), "geometry": {"type": "LineString", "coordinates": coords},
        "properties": tags})
}

async fn an_osm_export_is_imported_as_it_comes(app: &TestApp) {
    let osm = |bad: bool| {
        let mut features = vec![
            way(
                "1",
                &json!({"id": "W1001", "highway": "secondary_link", "name": "吴宁路", "oneway": "-1", "surface": "asphalt", "lanes": "2", "@id": "way/1001"}),
                &json!([[120.01, 29.01], [120.02, 29.01], [120.03, 29.012]]),
            ),
            way(
                "2",
                &json!({"id": "W1002", "highway": "unclassified", "osm_id": 1002}),
                &json!([[120.01, 29.03], [120.02, 29.03]]),
            ),
        ];
        if bad {
            features.push(way(
                "3",
                &json!({"id": "W1003", "highway": "construction", "name": "在建路"}),
                &json!([[120.01, 29.04], [120.02, 29.04]]),
            ));
        }
        json!({"type": "FeatureCollection", "features": features})
    };
    // A way still under construction is not a road: the file is refused, nothing written.
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/roads/import",
            Some(Role::Scheduler),
            Some(osm(true)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["bad"][0]["at"], "feature 3", "{body}");
    assert!(
        body["bad"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("construction")),
        "{body}"
    );
    let (_, _, list) = app.call("GET", "/api/v1/roads", None, None).await;
    assert_eq!(list["numberMatched"], 1, "only the fixture's road: {list}");

    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/roads/import",
            Some(Role::Scheduler),
            Some(osm(false)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], 2);
    let (status, _, road) = app.call("GET", "/api/v1/roads/W1001", None, None).await;
    assert_eq!(status, StatusCode::OK, "{road}");
    assert_eq!(
        road["properties"],
        json!({"id": "W1001", "name": "吴宁路", "class": "secondary", "oneway": "reverse"}),
        "the tags it knows, read; the others left out"
    );
    let (_, _, road) = app.call("GET", "/api/v1/roads/W1002", None, None).await;
    assert_eq!(road["properties"]["class"], "residential");
    assert_eq!(road["properties"]["oneway"], "no");

    // Found by its street name, pinned on its line.
    let (_, _, found) = app
        .call(
            "GET",
            "/api/v1/search?q=%E5%90%B4%E5%AE%81%E8%B7%AF",
            None,
            None,
        )
        .await;
    assert_eq!(found["results"][0]["key"], "W1001", "{found}");
    assert_eq!(found["results"][0]["layer"], "roads");

    // The roles that keep the network write it; a viewer or a worker does not.
    for (role, expected) in [
        (Role::Worker, StatusCode::FORBIDDEN),
        (Role::Viewer, StatusCode::FORBIDDEN),
        (Role::Planner, StatusCode::OK),
    ] {
        let (status, _, body) = app
            .call("DELETE", "/api/v1/roads/W1002", Some(role), None)
            .await;
        assert_eq!(status, expected, "{role:?}: {body}");
    }
}
both_backends!(osm_roads_import, an_osm_export_is_imported_as_it_comes);
