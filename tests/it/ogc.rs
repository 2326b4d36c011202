//! OGC API – Features at `/ogc`, following the Abstract Test Suite of OGC 17-069r4 (Annex A) for
//! the classes claimed (Core, GeoJSON, OpenAPI 3.0): landing page, API definition, conformance,
//! collections and their metadata, items with limit, paging, bbox and datetime, single
//! features, unknown parameters and media types. Filters are checked against a brute-force
//! selection over the fixture plus 23 events with fixed-seed random positions.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use safegrid::domain::{AnyItem, Layer};

use crate::both_backends;
use crate::common::{CAMERA, GRID_A, GRID_B, MICRO_A, TestApp, uniform};

const CORE: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core";
const GEOJSON_CLASS: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson";
const OAS30: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const GEOJSON: &str = "application/geo+json";
const COLLECTIONS: [&str; 9] = [
    "regions",
    "grids",
    "cameras",
    "patrol-routes",
    "key-areas",
    "events",
    "buildings",
    "obstacles",
    "roads",
];

/// One test event: id, position and reported time.
struct TestEvent {
    id: String,
    lon: f64,
    lat: f64,
    reported: DateTime<Utc>,
}

fn first_report() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

/// 23 events inside the fixture square at fixed-seed random positions (six decimals), reported
/// every 36 hours from 2026-01-01.
fn test_events() -> Vec<TestEvent> {
    let mut next = uniform(17);
    let round = |v: f64| (v * 1e6).round() / 1e6;
    (0..23_i64)
        .map(|i| TestEvent {
            id: format!("E{i:02}"),
            lon: round(120.0 + 0.1 * next()),
            lat: round(29.0 + 0.1 * next()),
            reported: first_report() + Duration::hours(36 * i),
        })
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

async fn add_events(app: &TestApp) -> Vec<TestEvent> {
    let events = test_events();
    let items = events
        .iter()
        .map(|e| {
            let feature: geojson::Feature = serde_json::from_value(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
                "properties": {
                    "id": e.id, "category": "dispute", "source": "app", "status": "reported",
                    "occurred_at": rfc3339(e.reported - Duration::minutes(30)),
                    "reported_at": rfc3339(e.reported),
                }
            }))
            .expect("event feature");
            AnyItem::from_feature(Layer::Event, &feature).expect("valid event")
        })
        .collect();
    app.service.import(items).await.expect("events import");
    events
}

async fn get(app: &TestApp, uri: &str) -> (StatusCode, String, Value) {
    app.call("GET", uri, None, None).await
}

/// GETs `uri`, requires a 200 and returns the body.
async fn get_ok(app: &TestApp, uri: &str, media_type: &str) -> Value {
    let (status, ctype, body) = get(app, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert!(ctype.starts_with(media_type), "{uri}: {ctype}");
    body
}

/// The links of `body` by relation; every link must carry `href`, `rel` and `type`.
fn links(body: &Value) -> BTreeMap<String, Value> {
    let list = body["links"].as_array().expect("links array");
    for l in list {
        for key in ["href", "rel", "type"] {
            assert!(l[key].is_string(), "link without {key}: {l}");
        }
    }
    list.iter()
        .map(|l| (l["rel"].as_str().unwrap_or_default().to_owned(), l.clone()))
        .collect()
}

fn href(link: &Value) -> &str {
    link["href"].as_str().expect("href")
}

fn ids(collection: &Value) -> Vec<String> {
    collection["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["id"].as_str().expect("string id").to_owned())
        .collect()
}

/// Every page of a selection, by following `next` from `uri`: the ids in order and the
/// numberMatched of each page.
async fn all_pages(app: &TestApp, uri: &str, limit: usize) -> (Vec<String>, Vec<u64>) {
    let mut uri = uri.to_owned();
    let (mut seen, mut matched) = (Vec::new(), Vec::new());
    for page in 0.. {
        assert!(page < 1000, "paging does not end");
        let body = get_ok(app, &uri, GEOJSON).await;
        assert_eq!(body["type"], "FeatureCollection");
        let page_ids = ids(&body);
        assert!(page_ids.len() <= limit, "{uri}: more than limit");
        assert_eq!(body["numberReturned"], json!(page_ids.len()), "{uri}");
        matched.push(body["numberMatched"].as_u64().expect("numberMatched"));
        let rels = links(&body);
        assert_eq!(rels["self"]["type"], GEOJSON);
        assert_eq!(rels.contains_key("prev"), page > 0, "{uri}: prev link");
        seen.extend(page_ids);
        match rels.get("next") {
            Some(next) => href(next).clone_into(&mut uri),
            None => break,
        }
    }
    (seen, matched)
}

/// Pages through `uri` and checks every feature comes exactly once, in key order, and that
/// numberMatched agrees on every page and with the count; returns the ids.
async fn every_feature_once(app: &TestApp, uri: &str, limit: usize) -> Vec<String> {
    let (seen, matched) = all_pages(app, uri, limit).await;
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{uri}: a feature came twice");
    assert!(seen.is_sorted(), "{uri}: not in key order");
    assert!(
        matched.iter().all(|m| *m == seen.len() as u64),
        "{uri}: numberMatched {matched:?} but {} features",
        seen.len()
    );
    seen
}

/// Pages through an event listing by its `next` links (events page by cursor, with no
/// `numberMatched` and no `prev`): every event comes once, newest report first; returns the ids.
async fn every_event_once(app: &TestApp, uri: &str, limit: usize) -> Vec<String> {
    let mut uri = uri.to_owned();
    let mut seen = Vec::new();
    for page in 0.. {
        assert!(page < 1000, "paging does not end");
        let body = get_ok(app, &uri, GEOJSON).await;
        assert_eq!(body["type"], "FeatureCollection");
        let page_ids = ids(&body);
        assert!(page_ids.len() <= limit, "{uri}: more than limit");
        assert_eq!(body["numberReturned"], json!(page_ids.len()), "{uri}");
        assert!(
            body.get("numberMatched").is_none(),
            "{uri}: events count no total"
        );
        let rels = links(&body);
        assert_eq!(rels["self"]["type"], GEOJSON);
        assert!(!rels.contains_key("prev"), "{uri}: no prev link");
        seen.extend(page_ids);
        match rels.get("next") {
            Some(next) => href(next).clone_into(&mut uri),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{uri}: an event came twice");
    seen
}

/// The ids of `events` that `keep` selects, newest report first (the order of event listings).
fn newest_first(events: &[TestEvent], keep: impl Fn(&TestEvent) -> bool) -> Vec<String> {
    let mut ids: Vec<(DateTime<Utc>, String)> = events
        .iter()
        .filter(|e| keep(e))
        .map(|e| (e.reported, e.id.clone()))
        .collect();
    ids.sort();
    ids.into_iter().rev().map(|(_, id)| id).collect()
}

async fn landing_page_links_definition_conformance_and_collections(app: &TestApp) {
    for uri in ["/ogc", "/ogc/", "/ogc?f=json"] {
        let body = get_ok(app, uri, "application/json").await;
        assert!(body["title"].is_string() && body["description"].is_string());
        let rels = links(&body);
        for (rel, media_type) in [
            ("self", "application/json"),
            (
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
            ),
            ("service-doc", "text/html"),
            ("conformance", "application/json"),
            ("data", "application/json"),
        ] {
            let link = &rels[rel];
            assert_eq!(link["type"], media_type, "{rel}");
            // Req. 4: the target answers in the media type the link announces.
            let req = Request::builder()
                .uri(href(link))
                .header(header::ACCEPT, media_type)
                .body(Body::empty())
                .expect("request");
            let (status, ctype, _) = app.send(req).await;
            assert_eq!(status, StatusCode::OK, "{rel}");
            assert!(ctype.starts_with(media_type), "{rel}: {ctype}");
        }
    }
}
both_backends!(
    landing_page,
    landing_page_links_definition_conformance_and_collections
);

async fn api_definition_is_openapi_30_in_json_and_html(app: &TestApp) {
    let doc = get_ok(
        app,
        "/ogc/api",
        "application/vnd.oai.openapi+json;version=3.0",
    )
    .await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.0."))
    );
    assert_eq!(doc["servers"][0]["url"], "/ogc");
    // Every documented path answers, with each collection and one feature of each.
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), 7);
    let documented_ids =
        &paths["/collections/{collectionId}"]["get"]["parameters"][0]["schema"]["enum"];
    assert_eq!(documented_ids, &json!(COLLECTIONS));
    let snapshot = app.service.snapshot();
    for path in paths.keys() {
        for id in COLLECTIONS {
            let layer: Layer = id.parse().expect("layer");
            let Some(feature) = snapshot.features(layer).into_iter().next() else {
                continue;
            };
            let Some(geojson::feature::Id::String(key)) = feature.id else {
                panic!("string ids")
            };
            let uri = format!(
                "/ogc{}",
                path.replace("{collectionId}", id)
                    .replace("{featureId}", &key)
            );
            let (status, _, body) = get(app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        }
    }
    // The items operation declares exactly the query parameters the server accepts.
    let declared: BTreeSet<&str> = paths["/collections/{collectionId}/items"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        declared,
        BTreeSet::from([
            "bbox", "datetime", "limit", "offset", "f", "cursor", "category", "status", "grid"
        ])
    );
    let limit = paths["/collections/{collectionId}/items"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .expect("limit");
    assert_eq!(limit["schema"]["default"], 10);
    assert_eq!(limit["schema"]["maximum"], 10_000);

    let (status, ctype, html) = get(app, "/ogc/api?f=html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    let html = html.as_str().expect("html text");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("/ogc/collections/{collectionId}/items"));
    let req = Request::builder()
        .uri("/ogc/api")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request");
    let (_, ctype, _) = app.send(req).await;
    assert!(
        ctype.starts_with("text/html"),
        "Accept: text/html gives HTML"
    );
    let (status, ctype, _) = get(app, "/ogc/api?f=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ctype, "application/problem+json");
}
both_backends!(
    api_definition,
    api_definition_is_openapi_30_in_json_and_html
);

async fn conformance_declares_core_geojson_and_oas30(app: &TestApp) {
    let body = get_ok(app, "/ogc/conformance", "application/json").await;
    let classes: BTreeSet<&str> = body["conformsTo"]
        .as_array()
        .expect("conformsTo")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(classes, BTreeSet::from([CORE, GEOJSON_CLASS, OAS30]));
}
both_backends!(conformance, conformance_declares_core_geojson_and_oas30);

async fn collections_describe_every_layer_with_geometry(app: &TestApp) {
    let events = add_events(app).await;
    let body = get_ok(app, "/ogc/collections", "application/json").await;
    assert_eq!(links(&body)["self"]["type"], "application/json");
    let list = body["collections"].as_array().expect("collections");
    let listed: Vec<&str> = list.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(listed, COLLECTIONS, "every layer with geometry, no workers");
    for c in list {
        let id = c["id"].as_str().expect("id");
        assert_eq!(c["itemType"], "feature", "{id}");
        assert!(
            c["title"].is_string() && c["description"].is_string(),
            "{id}"
        );
        assert_eq!(c["crs"], json!([CRS84]), "{id}");
        let rels = links(c);
        assert_eq!(rels["items"]["type"], GEOJSON, "{id}");
        assert!(href(&rels["items"]).ends_with(&format!("/collections/{id}/items")));
        // /collections/{id} agrees with its entry in /collections (Req. 18).
        let one = get_ok(app, href(&rels["self"]), "application/json").await;
        for key in ["id", "title", "description", "extent"] {
            assert_eq!(one[key], c[key], "{id}: {key}");
        }
        // The spatial extent holds every feature (Req. 16).
        let layer: Layer = id.parse().expect("layer");
        let features = if layer == Layer::Event {
            let all = get_ok(app, "/api/v1/events?limit=10000", GEOJSON).await;
            serde_json::from_value(all["features"].clone()).expect("features")
        } else {
            app.service.snapshot().features(layer)
        };
        if features.is_empty() {
            assert!(
                c["extent"]["spatial"].is_null(),
                "{id}: empty layer, no bbox"
            );
            continue;
        }
        assert_eq!(c["extent"]["spatial"]["crs"], CRS84);
        let bbox = c["extent"]["spatial"]["bbox"][0]
            .as_array()
            .expect("bbox")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect::<Vec<_>>();
        assert_eq!(bbox.len(), 4, "{id}");
        for f in &features {
            let geometry: geo::Geometry = f
                .geometry
                .clone()
                .expect("geometry")
                .try_into()
                .expect("geo");
            let rect = geo::BoundingRect::bounding_rect(&geometry).expect("bounds");
            assert!(
                rect.min().x >= bbox[0]
                    && rect.min().y >= bbox[1]
                    && rect.max().x <= bbox[2]
                    && rect.max().y <= bbox[3],
                "{id}: a feature outside the extent"
            );
        }
    }
    let by_id = |id: &str| list.iter().find(|c| c["id"] == id).expect("collection");
    assert_eq!(
        by_id("grids")["extent"]["spatial"]["bbox"],
        json!([[120.0, 29.0, 120.1, 29.1]])
    );
    // A camera's geometry is its mount point, not the box of its range.
    assert_eq!(
        by_id("cameras")["extent"]["spatial"]["bbox"],
        json!([[120.02, 29.05, 120.02, 29.05]])
    );
    // Events span their reported times; grids are valid from their first version, open-ended.
    let last = events.last().expect("events").reported;
    assert_eq!(
        by_id("events")["extent"]["temporal"]["interval"],
        json!([[rfc3339(first_report()), rfc3339(last)]])
    );
    let grids_time = &by_id("grids")["extent"]["temporal"]["interval"][0];
    assert!(
        grids_time[0].is_string() && grids_time[1].is_null(),
        "{grids_time}"
    );
    assert!(by_id("cameras")["extent"]["temporal"].is_null());

    for (uri, status) in [
        ("/ogc/collections/workers", StatusCode::NOT_FOUND),
        ("/ogc/collections/nope", StatusCode::NOT_FOUND),
        ("/ogc/collections/patrol_route", StatusCode::NOT_FOUND),
        ("/ogc/collections/workers/items", StatusCode::NOT_FOUND),
    ] {
        let (got, ctype, body) = get(app, uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
    }
}
both_backends!(collections, collections_describe_every_layer_with_geometry);

async fn paging_follows_next_links_until_every_feature_came_once(app: &TestApp) {
    let events = add_events(app).await;
    let want = newest_first(&events, |_| true);
    for limit in [1, 4, 10, 23, 50] {
        let got = every_event_once(
            app,
            &format!("/ogc/collections/events/items?limit={limit}"),
            limit,
        )
        .await;
        assert_eq!(got, want, "limit {limit}");
    }
    // The default page is 10 features.
    let body = get_ok(app, "/ogc/collections/events/items", GEOJSON).await;
    assert_eq!(body["numberReturned"], 10);
    let stamp = body["timeStamp"].as_str().expect("timeStamp");
    let stamp = DateTime::parse_from_rfc3339(stamp).expect("RFC 3339 timeStamp");
    assert!((Utc::now() - stamp.with_timezone(&Utc)).num_seconds().abs() < 60);
    assert_eq!(links(&body)["collection"]["type"], "application/json");
    // Events page by cursor, not offset; a cursor that is not one is a 400.
    for bad in ["offset=10", "cursor=abc", "cursor=1_x"] {
        let (status, _, body) = get(app, &format!("/ogc/collections/events/items?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // Other layers page by offset.
    let grids = every_feature_once(app, "/ogc/collections/grids/items?limit=2", 2).await;
    assert_eq!(grids, [GRID_A, GRID_B, MICRO_A]);
}
both_backends!(
    paging,
    paging_follows_next_links_until_every_feature_came_once
);

async fn limit_above_the_maximum_is_served_as_the_maximum(app: &TestApp) {
    add_events(app).await;
    for big in ["10001", "100000", "99999999999999999999999"] {
        let body = get_ok(
            app,
            &format!("/ogc/collections/events/items?limit={big}"),
            GEOJSON,
        )
        .await;
        assert_eq!(body["numberReturned"], 23, "limit={big}");
        assert!(!links(&body).contains_key("next"), "limit={big}: one page");
        assert!(
            href(&links(&body)["self"])
                .split(['?', '&'])
                .any(|p| p == "limit=10000"),
            "the self link states the limit applied"
        );
    }
    for bad in ["0", "-1", "ten", "1.5", ""] {
        let (status, ctype, body) =
            get(app, &format!("/ogc/collections/events/items?limit={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "limit={bad}: {body}");
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(body["field"], "limit");
    }
}
both_backends!(limit, limit_above_the_maximum_is_served_as_the_maximum);

async fn bbox_returns_exactly_the_features_that_intersect_it(app: &TestApp) {
    let events = add_events(app).await;
    let mut next = uniform(99);
    for _ in 0..25 {
        let (x0, y0) = (119.99 + 0.1 * next(), 28.99 + 0.1 * next());
        let (x1, y1) = (x0 + 0.06 * next(), y0 + 0.06 * next());
        let want = newest_first(&events, |e| {
            e.lon >= x0 && e.lon <= x1 && e.lat >= y0 && e.lat <= y1
        });
        let got = every_event_once(
            app,
            &format!("/ogc/collections/events/items?bbox={x0},{y0},{x1},{y1}&limit=3"),
            3,
        )
        .await;
        assert_eq!(got, want, "bbox {x0},{y0},{x1},{y1}");
        // Six numbers: the heights are ignored.
        let six = get_ok(
            app,
            &format!("/ogc/collections/events/items?bbox={x0},{y0},-5,{x1},{y1},5&limit=100"),
            GEOJSON,
        )
        .await;
        assert_eq!(ids(&six), want);
    }
    // Polygons are tested exactly: the box in grid A east of the micro-grid misses the
    // micro-grid, and a box touching the shared edge takes both neighbours.
    for (bbox, want) in [
        ("120.03,29.02,120.04,29.03", vec![GRID_A]),
        ("120.01,29.02,120.02,29.03", vec![GRID_A, MICRO_A]),
        ("120.05,29.02,120.07,29.03", vec![GRID_A, GRID_B]),
        ("120.2,29.2,120.3,29.3", vec![]),
    ] {
        let body = get_ok(
            app,
            &format!("/ogc/collections/grids/items?bbox={bbox}"),
            GEOJSON,
        )
        .await;
        assert_eq!(ids(&body), want, "grids in {bbox}");
    }
    // The camera's geometry is its point: a box its range reaches into but not holding the
    // point does not select it.
    for (bbox, want) in [
        ("120.0205,29.0495,120.03,29.06", vec![]),
        ("120.019,29.049,120.021,29.051", vec![CAMERA]),
    ] {
        let body = get_ok(
            app,
            &format!("/ogc/collections/cameras/items?bbox={bbox}"),
            GEOJSON,
        )
        .await;
        assert_eq!(ids(&body), want, "cameras in {bbox}");
    }
    // West greater than east spans the antimeridian: 170°E → 120.05°E holds grid A's half of
    // the city, 170°E → 170°W nothing.
    let across = get_ok(
        app,
        "/ogc/collections/events/items?bbox=170,28,120.05,30&limit=100",
        GEOJSON,
    )
    .await;
    assert_eq!(ids(&across), newest_first(&events, |e| e.lon <= 120.05));
    let none = get_ok(
        app,
        "/ogc/collections/grids/items?bbox=170,28,-170,30",
        GEOJSON,
    )
    .await;
    assert_eq!(none["numberMatched"], 0);

    for bad in [
        "1,2,3",
        "1,2,3,4,5",
        "120,29.1,120.1,29",
        "120,29,120.1,95",
        "a,b,c,d",
        "",
    ] {
        let (status, ctype, body) =
            get(app, &format!("/ogc/collections/grids/items?bbox={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "bbox={bad}: {body}");
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(body["field"], "bbox");
    }
}
both_backends!(bbox, bbox_returns_exactly_the_features_that_intersect_it);

async fn datetime_selects_events_by_reported_time(app: &TestApp) {
    let events = add_events(app).await;
    let t = |i: usize| events[i].reported;
    let selected = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| -> Vec<String> {
        newest_first(&events, |e| {
            from.is_none_or(|f| e.reported >= f) && to.is_none_or(|u| e.reported <= u)
        })
    };
    let in_shanghai = |i: usize| {
        t(i).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
            .to_rfc3339()
            .replace('+', "%2B")
    };
    let cases = [
        (rfc3339(t(5)), selected(Some(t(5)), Some(t(5)))),
        (in_shanghai(5), selected(Some(t(5)), Some(t(5)))),
        (
            rfc3339(t(5) + Duration::hours(1)),
            Vec::new(), // between two reports
        ),
        (
            format!("{}/{}", rfc3339(t(3)), rfc3339(t(10))),
            selected(Some(t(3)), Some(t(10))),
        ),
        (
            format!(
                "{}/{}",
                rfc3339(t(3) + Duration::seconds(1)),
                in_shanghai(10)
            ),
            selected(Some(t(4)), Some(t(10))),
        ),
        (format!("../{}", rfc3339(t(4))), selected(None, Some(t(4)))),
        (format!("/{}", rfc3339(t(4))), selected(None, Some(t(4)))),
        (
            format!("{}/..", rfc3339(t(20))),
            selected(Some(t(20)), None),
        ),
        (format!("{}/", rfc3339(t(20))), selected(Some(t(20)), None)),
        ("2020-01-01T00:00:00Z".to_owned(), Vec::new()),
    ];
    for (datetime, want) in cases {
        let got = every_event_once(
            app,
            &format!("/ogc/collections/events/items?datetime={datetime}&limit=4"),
            4,
        )
        .await;
        assert_eq!(got, want, "datetime={datetime}");
    }
    // datetime and bbox together, paged: the links carry both.
    let (from, to) = (t(2), t(18));
    let want = newest_first(&events, |e| {
        e.reported >= from && e.reported <= to && e.lon >= 120.05
    });
    let got = every_event_once(
        app,
        &format!(
            "/ogc/collections/events/items?bbox=120.05,29,120.1,29.1&datetime={}/{}&limit=2",
            rfc3339(from),
            rfc3339(to)
        ),
        2,
    )
    .await;
    assert_eq!(got, want);

    // Features without a temporal geometry match every datetime (Req. 25 C).
    for id in ["cameras", "key-areas", "regions"] {
        let all = get_ok(app, &format!("/ogc/collections/{id}/items"), GEOJSON).await;
        let old = get_ok(
            app,
            &format!("/ogc/collections/{id}/items?datetime=1999-01-01T00:00:00Z"),
            GEOJSON,
        )
        .await;
        assert_eq!(ids(&old), ids(&all), "{id}");
    }
    // A grid's current version is valid from when it was written, with no end.
    let grids = get_ok(app, "/ogc/collections/grids/items", GEOJSON).await;
    let valid_from = grids["features"][0]["properties"]["valid_from"]
        .as_str()
        .expect("grids carry valid_from");
    let valid_from = DateTime::parse_from_rfc3339(valid_from).expect("time");
    for (datetime, count) in [
        ("1999-01-01T00:00:00Z".to_owned(), 0),
        ("1999-01-01T00:00:00Z/..".to_owned(), 3),
        (rfc3339(Utc::now() + Duration::days(365)), 3),
        (
            format!(
                "../{}",
                rfc3339(valid_from.with_timezone(&Utc) - Duration::seconds(1))
            ),
            0,
        ),
    ] {
        let body = get_ok(
            app,
            &format!("/ogc/collections/grids/items?datetime={datetime}"),
            GEOJSON,
        )
        .await;
        assert_eq!(body["numberMatched"], count, "grids at {datetime}");
    }

    for bad in [
        "yesterday",
        "2026-01-01",
        "../..",
        "/",
        "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z",
    ] {
        for id in ["events", "cameras"] {
            let (status, ctype, body) =
                get(app, &format!("/ogc/collections/{id}/items?datetime={bad}")).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{id} datetime={bad}: {body}"
            );
            assert_eq!(ctype, "application/problem+json");
            assert_eq!(body["field"], "datetime");
        }
    }
}
both_backends!(datetime, datetime_selects_events_by_reported_time);

async fn one_feature_links_to_itself_and_its_collection(app: &TestApp) {
    add_events(app).await;
    for (collection, id, geometry) in [
        ("grids", GRID_A, "Polygon"),
        ("cameras", CAMERA, "Point"),
        ("events", "E07", "Point"),
        ("patrol-routes", "R1", "LineString"),
    ] {
        let body = get_ok(
            app,
            &format!("/ogc/collections/{collection}/items/{id}?f=json"),
            GEOJSON,
        )
        .await;
        assert_eq!(body["type"], "Feature");
        assert_eq!(body["id"], id);
        assert!(
            body["geometry"]["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(geometry)),
            "{collection}/{id}: {}",
            body["geometry"]
        );
        let rels = links(&body);
        assert_eq!(rels["self"]["type"], GEOJSON);
        assert!(href(&rels["self"]).ends_with(&format!("/collections/{collection}/items/{id}")));
        assert_eq!(rels["collection"]["type"], "application/json");
        // The feature is the one the collection lists.
        let listed = get_ok(
            app,
            &format!("/ogc/collections/{collection}/items?limit=100"),
            GEOJSON,
        )
        .await;
        let same = listed["features"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["id"] == id))
            .expect("listed");
        assert_eq!(same["properties"], body["properties"]);
        assert_eq!(same["geometry"], body["geometry"]);
    }
    for uri in [
        "/ogc/collections/grids/items/999999999999999",
        "/ogc/collections/events/items/E99",
        "/ogc/collections/nope/items/E01",
        // A worker key is no feature: workers are not a collection.
        "/ogc/collections/workers/items/W1",
    ] {
        let (status, ctype, body) = get(app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
        assert_eq!(body["status"], 404);
    }
}
both_backends!(
    single_feature,
    one_feature_links_to_itself_and_its_collection
);

async fn unknown_query_parameters_are_400(app: &TestApp) {
    for uri in [
        "/ogc?service=WFS",
        "/ogc/conformance?x=1",
        "/ogc/api?pretty=1",
        "/ogc/collections?limit=5",
        "/ogc/collections/grids?bbox=120,29,121,30",
        "/ogc/collections/grids/items?limit=5&filter=name",
        "/ogc/collections/grids/items?bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "/ogc/collections/grids/items?kind=village",
        "/ogc/collections/grids/items/330783001014001?limit=1",
        "/ogc/collections/grids/items?f=xml",
        "/ogc/collections?f=html",
        "/ogc/collections/grids/items?offset=-1",
    ] {
        let (status, ctype, body) = get(app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
        assert!(body["detail"].is_string(), "{uri}");
    }
    // Every declared parameter is accepted.
    get_ok(
        app,
        "/ogc/collections/grids/items?f=json&limit=5&offset=1&bbox=120,29,121,30&datetime=2026-01-01T00:00:00Z/..",
        GEOJSON,
    )
    .await;
}
both_backends!(unknown_parameters, unknown_query_parameters_are_400);

async fn links_are_absolute_from_the_host(app: &TestApp) {
    let request = |uri: &str, proto: Option<&str>| {
        let mut req = Request::builder()
            .uri(uri)
            .header(header::HOST, "gis.example.org:8080");
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        req.body(Body::empty()).expect("request")
    };
    let (_, _, body) = app.send(request("/ogc", None)).await;
    assert_eq!(
        href(&links(&body)["data"]),
        "http://gis.example.org:8080/ogc/collections"
    );
    let (_, _, body) = app
        .send(request(
            "/ogc/collections/grids/items?limit=1",
            Some("https"),
        ))
        .await;
    assert_eq!(
        href(&links(&body)["next"]),
        "https://gis.example.org:8080/ogc/collections/grids/items?limit=1&offset=1"
    );
    let (_, ctype, doc) = app.send(request("/ogc/api", None)).await;
    assert!(ctype.starts_with("application/vnd.oai.openapi+json"));
    assert_eq!(doc["servers"][0]["url"], "http://gis.example.org:8080/ogc");
}
both_backends!(absolute_links, links_are_absolute_from_the_host);
