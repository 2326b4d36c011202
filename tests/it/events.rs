//! Event listings, read from the store on both backends: every filter (box, report time,
//! category, status, grid) and their combinations agree with a scan of what was written, pages
//! chained by their `next` cursor give every match once, newest report first, while events are
//! written between pages; and every filter runs on an index.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use safegrid::domain::{AnyItem, EventPoint, EventQuery, Layer, Role};
use safegrid::store::Store as _;

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, TestApp, uniform};

const CATEGORIES: [&str; 5] = ["theft", "dispute", "fire_hazard", "noise", "盗窃"];
const STATUSES: [&str; 5] = ["reported", "claimed", "assigned", "resolved", "closed"];

/// Which written events a listing must return.
type Keep = Box<dyn Fn(&Written) -> bool>;

/// One written event, as a scan sees it.
#[derive(Debug, Clone)]
struct Written {
    id: String,
    /// Position in the order written: the store's sequence follows it.
    seq: usize,
    lon: f64,
    lat: f64,
    reported: DateTime<Utc>,
    category: String,
    status: String,
    grid: Option<&'static str>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn first_report() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "uniform numbers in [0, 1) scaled to small counts"
)]
/// `n` events in the fixture square, every fifth reported at the same time as the one before
/// (so that ties are broken by the sequence), with fixed-seed positions and attributes.
fn events(n: usize, seed: u64) -> Vec<Written> {
    let mut next = uniform(seed);
    let mut reported = first_report();
    (0..n)
        .map(|i| {
            if i % 5 != 4 {
                reported += Duration::minutes(1 + (next() * 600.0) as i64);
            }
            let pick = |k: usize, r: f64| ((r * k as f64) as usize).min(k - 1);
            Written {
                id: format!("E{i:05}"),
                seq: i,
                lon: 120.0 + 0.1 * next(),
                lat: 29.0 + 0.1 * next(),
                reported,
                category: CATEGORIES[pick(CATEGORIES.len(), next())].to_owned(),
                status: STATUSES[pick(STATUSES.len(), next())].to_owned(),
                grid: [Some(GRID_A), Some(GRID_B), None][pick(3, next())],
            }
        })
        .collect()
}

fn feature(e: &Written) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
        "properties": {
            "id": e.id, "category": e.category, "source": "app", "status": e.status,
            "occurred_at": rfc3339(e.reported - Duration::minutes(30)),
            "reported_at": rfc3339(e.reported),
            "grid_code": e.grid,
        }
    })
}

async fn write_events(app: &TestApp, events: &[Written]) {
    let items = events
        .iter()
        .map(|e| {
            let f: geojson::Feature = serde_json::from_value(feature(e)).expect("feature");
            AnyItem::from_feature(Layer::Event, &f).expect("valid event")
        })
        .collect();
    app.service.import(items).await.expect("events import");
}

/// The ids of the `events` that `keep` selects, newest report first, the later written first
/// among equal times: the order of every event listing.
fn newest_first(events: &[Written], keep: impl Fn(&Written) -> bool) -> Vec<String> {
    let mut hits: Vec<&Written> = events.iter().filter(|e| keep(e)).collect();
    hits.sort_by_key(|e| (e.reported, e.seq));
    hits.into_iter().rev().map(|e| e.id.clone()).collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

fn next_link(body: &Value) -> Option<String> {
    body["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .map(|l| l["href"].as_str().expect("href").to_owned())
}

async fn get_ok(app: &TestApp, uri: &str) -> Value {
    let (status, ctype, body) = app.call("GET", uri, None, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(ctype, "application/geo+json", "{uri}");
    body
}

/// Follows `next` links from `uri`; every page holds at most `limit` events.
async fn all_pages(app: &TestApp, uri: &str, limit: usize) -> Vec<String> {
    let mut uri = uri.to_owned();
    let mut seen = Vec::new();
    for page in 0.. {
        assert!(page < 10_000, "paging does not end");
        let body = get_ok(app, &uri).await;
        let page_ids = ids(&body);
        assert!(page_ids.len() <= limit, "{uri}");
        assert_eq!(body["numberReturned"], json!(page_ids.len()));
        seen.extend(page_ids);
        match next_link(&body) {
            Some(next) => uri = next,
            None => break,
        }
    }
    seen
}

async fn listings_agree_with_a_scan_and_page_by_cursor(app: &TestApp) {
    let events = events(600, 7);
    write_events(app, &events).await;
    let times: std::sync::Arc<Vec<DateTime<Utc>>> =
        std::sync::Arc::new(events.iter().map(|e| e.reported).collect());
    let t = |i: usize| times[i];
    let (from, to) = (t(120), t(480));
    let in_box =
        |e: &Written| e.lon >= 120.02 && e.lon <= 120.07 && e.lat >= 29.03 && e.lat <= 29.06;
    let cases: Vec<(String, Keep)> = vec![
        (String::new(), Box::new(|_| true)),
        (
            "&category=dispute".into(),
            Box::new(|e| e.category == "dispute"),
        ),
        (
            "&category=%E7%9B%97%E7%AA%83".into(),
            Box::new(|e| e.category == "盗窃"),
        ),
        (
            "&status=claimed".into(),
            Box::new(|e| e.status == "claimed"),
        ),
        (
            format!("&grid={GRID_B}"),
            Box::new(|e| e.grid == Some(GRID_B)),
        ),
        ("&bbox=120.02,29.03,120.07,29.06".into(), Box::new(in_box)),
        (
            format!("&datetime={}/{}", rfc3339(from), rfc3339(to)),
            Box::new(move |e| e.reported >= from && e.reported <= to),
        ),
        (
            format!("&datetime=../{}", rfc3339(t(100))),
            Box::new({
                let until = t(100);
                move |e| e.reported <= until
            }),
        ),
        (
            format!("&datetime={}", rfc3339(t(9))),
            Box::new({
                let at = t(9);
                move |e| e.reported == at
            }),
        ),
        (
            format!(
                "&category=theft&status=reported&bbox=120.02,29.03,120.07,29.06&datetime={}/..",
                rfc3339(from)
            ),
            Box::new(move |e| {
                e.category == "theft" && e.status == "reported" && in_box(e) && e.reported >= from
            }),
        ),
        (
            format!("&grid={GRID_A}&status=closed"),
            Box::new(|e| e.grid == Some(GRID_A) && e.status == "closed"),
        ),
        ("&category=none-such".into(), Box::new(|_| false)),
    ];
    for (filters, keep) in &cases {
        let want = newest_first(&events, keep);
        for limit in [37, 1000] {
            let got = all_pages(
                app,
                &format!("/api/v1/events?limit={limit}{filters}"),
                limit,
            )
            .await;
            assert_eq!(got.len(), want.len(), "{filters} limit {limit}");
            assert_eq!(got, want, "{filters} limit {limit}");
        }
        // OGC API Features serves the same listing.
        let got = all_pages(
            app,
            &format!("/ogc/collections/events/items?limit=50{filters}"),
            50,
        )
        .await;
        assert_eq!(got, want, "OGC {filters}");
    }
    // The default page is 100.
    let body = get_ok(app, "/api/v1/events").await;
    assert_eq!(ids(&body).len(), 100);
    // One event by id, as listed.
    let body = get_ok(app, "/api/v1/events/E00042").await;
    assert_eq!(body["properties"]["category"], json!(events[42].category));
    let (status, ctype, _) = app.call("GET", "/api/v1/events/E99999", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ctype, "application/problem+json");
    for (bad, field) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("status=lost", "status"),
        ("cursor=yesterday", "cursor"),
        ("category=", "category"),
        ("bbox=1,2,3", "bbox"),
        ("datetime=2026-13-01T00:00:00Z", "datetime"),
        ("offset=100", "offset"),
        ("categroy=theft", "categroy"),
    ] {
        let (status, ctype, body) = app
            .call("GET", &format!("/api/v1/events?{bad}"), None, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(ctype, "application/problem+json", "{bad}");
        assert_eq!(body["field"], field, "{bad}: {body}");
    }
}
both_backends!(listings, listings_agree_with_a_scan_and_page_by_cursor);

async fn pages_hold_still_while_events_are_written(app: &TestApp) {
    let mut events = events(200, 11);
    write_events(app, &events).await;
    let limit = 25;
    let first = get_ok(app, &format!("/api/v1/events?limit={limit}")).await;
    let mut seen = ids(&first);
    // Meanwhile: a newer event comes in, an event already listed changes status, one not yet
    // listed is deleted, and one not yet listed changes category.
    let newest = Written {
        id: "E-new".into(),
        seq: events.len(),
        reported: Utc::now(),
        ..events[0].clone()
    };
    let (status, _, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(Role::Worker),
            Some(feature(&newest)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let listed = events.iter().position(|e| e.id == seen[3]).expect("listed");
    events[listed].status = "closed".into();
    let unlisted = newest_first(&events, |_| true)[limit + 10].clone();
    let deleted = events.iter().position(|e| e.id == unlisted).expect("event");
    let changed = events
        .iter()
        .position(|e| e.id == newest_first(&events, |_| true)[limit + 20])
        .expect("event");
    events[changed].category = "noise".into();
    for (method, e) in [("PUT", &events[listed]), ("PUT", &events[changed])] {
        let (status, _, body) = app
            .call(
                method,
                &format!("/api/v1/events/{}", e.id),
                Some(Role::Admin),
                Some(feature(e)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _, body) = app
        .call(
            "DELETE",
            &format!("/api/v1/events/{unlisted}"),
            Some(Role::Admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (closed_id, noise_id) = (events[listed].id.clone(), events[changed].id.clone());
    let removed = events.remove(deleted);
    // The rest of the listing resumes where the first page ended.
    let next = next_link(&first).expect("more pages");
    seen.extend(all_pages(app, &next, limit).await);
    let want: Vec<String> = newest_first(&events, |_| true);
    assert_eq!(
        seen, want,
        "no event twice, none skipped, the new one not in the old listing"
    );
    // The columns follow the writes: the new status, the new category, the deleted box entry.
    let closed = all_pages(app, "/api/v1/events?status=closed&limit=1000", 1000).await;
    assert_eq!(closed, newest_first(&events, |e| e.status == "closed"));
    assert!(closed.contains(&closed_id));
    let noise = all_pages(app, "/api/v1/events?category=noise&limit=1000", 1000).await;
    assert_eq!(noise, newest_first(&events, |e| e.category == "noise"));
    assert!(noise.contains(&noise_id));
    let boxed = all_pages(
        app,
        &format!(
            "/api/v1/events?bbox={},{},{},{}&limit=1000",
            removed.lon - 1e-9,
            removed.lat - 1e-9,
            removed.lon + 1e-9,
            removed.lat + 1e-9
        ),
        1000,
    )
    .await;
    assert!(
        boxed.is_empty(),
        "a deleted event leaves the spatial index: {boxed:?}"
    );
    let all = all_pages(app, "/api/v1/events?limit=1000", 1000).await;
    assert_eq!(all[0], "E-new");
    assert_eq!(all.len(), events.len() + 1);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
}
both_backends!(concurrent_writes, pages_hold_still_while_events_are_written);

async fn every_filter_runs_on_an_index(app: &TestApp) {
    write_events(app, &events(20_000, 3)).await;
    let store = app.service.store();
    let sqlite = store.backend() == "sqlite";
    let t = first_report() + Duration::days(30);
    let query = |f: &dyn Fn(&mut EventQuery)| {
        let mut q = EventQuery {
            limit: 101,
            ..EventQuery::default()
        };
        f(&mut q);
        q
    };
    let cases: Vec<(&str, EventQuery, &str)> = vec![
        ("no filter", query(&|_| {}), "event_reported"),
        (
            "category",
            query(&|q| q.category = Some("dispute".into())),
            "event_category",
        ),
        (
            "status",
            query(&|q| q.status = Some("claimed".parse().expect("status"))),
            "event_status",
        ),
        (
            "grid",
            query(&|q| q.grid_code = Some(GRID_A.into())),
            "event_grid",
        ),
        (
            "time",
            query(&|q| {
                q.reported_from = Some(t);
                q.reported_to = Some(t + Duration::days(7));
            }),
            "event_reported",
        ),
        (
            "box",
            query(&|q| {
                q.bbox = vec![geo::Rect::new(
                    geo::coord! {x: 120.02, y: 29.02},
                    geo::coord! {x: 120.025, y: 29.025},
                )];
            }),
            if sqlite {
                "event_space"
            } else {
                "event_geometry"
            },
        ),
        (
            "category after a cursor",
            query(&|q| {
                q.category = Some("theft".into());
                q.after = Some(safegrid::domain::EventCursor {
                    reported_at: t,
                    seq: 500,
                });
            }),
            "event_category",
        ),
    ];
    for (name, q, index) in cases {
        let plan = store.explain_events(&q).await.expect("explain");
        assert!(plan.contains(index), "{name}: expected {index} in\n{plan}");
        if sqlite {
            for line in plan.lines() {
                let line = line.trim();
                assert!(
                    !line.starts_with("SCAN")
                        || line.contains("USING INDEX")
                        || line.contains("VIRTUAL TABLE INDEX"),
                    "{name}: a table scan in\n{plan}"
                );
            }
        } else {
            assert!(
                !plan.contains("Seq Scan on event"),
                "{name}: a table scan in\n{plan}"
            );
        }
    }
}
both_backends!(indexes, every_filter_runs_on_an_index);

/// Applies the migrations of `backend` before `0005_event_columns` to the database at `url`,
/// as a release before it would have.
async fn migrate_to_0004(backend: &str, url: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "migrations-0004-{backend}-{:016x}",
        getrandom::u64().expect("random name")
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.as_bytes().first().is_some_and(u8::is_ascii_digit) && name < "0005" {
            std::fs::copy(&path, dir.join(name)).expect("copy");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("migrator");
    if backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
        migrator.run(&pool).await.expect("0001-0004");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        migrator.run(&pool).await.expect("0001-0004");
        pool.close().await;
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Events written by a release before `0005_event_columns` (in its row shape: id, geometry,
/// props) are moved into the indexed table, in report order, and listed as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_an_older_release_move_into_the_indexed_table() {
    let events = events(40, 5);
    let insert = |e: &Written| {
        let f = feature(e);
        (
            e.id.clone(),
            f["geometry"].to_string(),
            f["properties"].to_string(),
        )
    };
    let want = newest_first(&events, |_| true);
    let query = EventQuery {
        limit: 100,
        ..EventQuery::default()
    };
    let listed = |got: Vec<safegrid::domain::ListedEvent>| -> Vec<String> {
        got.into_iter().map(|l| l.event.id).collect()
    };

    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "old-events-{:016x}.sqlite",
        getrandom::u64().expect("random name")
    ));
    let url = format!("sqlite:{}?mode=rwc", path.display());
    migrate_to_0004("sqlite", &url).await;
    let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
    for e in &events {
        let (id, geometry, props) = insert(e);
        sqlx::query("insert into event (id, geometry, props) values (?, ?, ?)")
            .bind(id)
            .bind(geometry)
            .bind(props)
            .execute(&pool)
            .await
            .expect("old row");
    }
    pool.close().await;
    let store = safegrid::store::SqliteStore::open(&url)
        .await
        .expect("migrates");
    assert_eq!(listed(store.list_events(&query).await.expect("list")), want);
    let theft = EventQuery {
        category: Some("theft".into()),
        ..query.clone()
    };
    assert_eq!(
        listed(store.list_events(&theft).await.expect("list")),
        newest_first(&events, |e| e.category == "theft")
    );
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        std::fs::remove_file(file).ok();
    }

    let Some(db) = crate::common::new_pg_database().await else {
        return;
    };
    migrate_to_0004("postgres", &db.url).await;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
    for e in &events {
        let (id, geometry, props) = insert(e);
        sqlx::query(
            "insert into event (id, geometry, props) \
             values ($1, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326), $3::jsonb)",
        )
        .bind(id)
        .bind(geometry)
        .bind(props)
        .execute(&pool)
        .await
        .expect("old row");
    }
    pool.close().await;
    let store = safegrid::store::PgStore::open(&db.url)
        .await
        .expect("migrates");
    assert_eq!(listed(store.list_events(&query).await.expect("list")), want);
    assert_eq!(
        listed(store.list_events(&theft).await.expect("list")),
        newest_first(&events, |e| e.category == "theft")
    );
    drop(store);
    db.drop_db().await;
}

/// An export of more events than one page of the store holds comes out whole, newest report
/// first, in both formats, and reads back as valid events.
async fn exports_page_through_the_store_and_round_trip(app: &TestApp) {
    let events = events(safegrid::service::export::EXPORT_PAGE * 2 + 345, 23);
    write_events(app, &events).await;
    let want = newest_first(&events, |_| true);

    let (status, ctype, body) = app
        .call("GET", "/api/v1/events/export?format=geojson", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(ids(&body), want);

    let (status, ctype, csv) = app
        .call("GET", "/api/v1/events/export?format=csv", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "text/csv; charset=utf-8");
    let csv = csv.as_str().expect("CSV text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,category,description,grid_code,occurred_at,reported_at,source,status,lon,lat"
    );
    assert_eq!(lines.len(), want.len() + 1, "one header");
    let csv_ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    assert_eq!(csv_ids, want);

    // The GeoJSON imports into an empty map as the same events.
    let (status, _, report) = app
        .call(
            "POST",
            "/api/v1/events/import?dry_run=true&format=geojson",
            Some(Role::Admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], json!(want.len()));
    assert_eq!(report["bad"], json!([]));
}
both_backends!(export, exports_page_through_the_store_and_round_trip);

/// What the index keeps of every event is what was written, however the store reads it back:
/// SQLite packs thousands of events into one text, and reads a chunk row by row when a name in
/// it holds one of the packing's separators.
async fn event_points_load_as_written(app: &TestApp) {
    let mut events = events(20_000, 29);
    events[7_000].category = "odd\u{1f}category".into();
    events[12_345].category = "odd\u{1e}category".into();
    events[100].category = "盗窃".into();
    write_events(app, &events).await;
    let store = app.service.store();
    let progress = safegrid::domain::progress::Progress::new();
    let points = store
        .load_event_points(&progress)
        .await
        .expect("event points");
    assert_eq!(progress.state().done, 20_000);
    let want: Vec<EventPoint> = events
        .iter()
        .map(|e| {
            let f: geojson::Feature = serde_json::from_value(feature(e)).expect("feature");
            let AnyItem::Event(event) = AnyItem::from_feature(Layer::Event, &f).expect("event")
            else {
                panic!("an event");
            };
            EventPoint::from(&event)
        })
        .collect();
    assert_eq!(points.len(), want.len());
    for (got, want) in points.iter().zip(&want) {
        assert_eq!(got, want);
        assert_eq!(
            got.location.x.to_bits(),
            want.location.x.to_bits(),
            "{}",
            got.id
        );
    }
}
both_backends!(event_points, event_points_load_as_written);
