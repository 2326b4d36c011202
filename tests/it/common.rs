//! Shared helpers: fresh stores (SQLite in memory, PostgreSQL in a new database per test), a
//! small hand-made fixture with exact coordinates, and an HTTP caller over the real router.

#![allow(dead_code)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tower::ServiceExt;

use safegrid::domain::{AnyItem, Layer, Role};
use safegrid::service::{Service, hash_token};
use safegrid::store::{self, PgStore, SqliteStore, Store, TokenRecord};

/// A throwaway PostgreSQL database.
pub struct TestDb {
    admin_url: String,
    pub name: String,
    pub url: String,
}

/// `url` with its database (the path) replaced by `db`, query string kept.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

impl TestDb {
    pub async fn create(base_url: &str) -> TestDb {
        let admin_url = with_database(base_url, "postgres");
        let name = format!(
            "safegrid_t_{:016x}",
            getrandom::u64().expect("random database name")
        );
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to the postgres maintenance database");
        sqlx::query(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(base_url, &name);
        TestDb {
            admin_url,
            name,
            url,
        }
    }

    pub async fn drop_db(&self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let sql = format!("drop database if exists {} with (force)", self.name);
            if let Err(e) = sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
            admin.close().await.ok();
        }
    }
}

/// The PostgreSQL server for tests, or `None` to skip (refused when `CI=true`).
pub fn pg_url() -> Option<String> {
    match std::env::var("SAFEGRID_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true requires SAFEGRID_TEST_PG_URL (a PostgreSQL + PostGIS server)"
            );
            eprintln!("skipping the PostGIS half: SAFEGRID_TEST_PG_URL is not set");
            None
        }
    }
}

/// A fresh, empty PostgreSQL database on the test server; `None` to skip.
pub async fn new_pg_database() -> Option<TestDb> {
    Some(TestDb::create(&pg_url()?).await)
}

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store of `backend`, empty; `None` when PostgreSQL is not configured (outside CI).
pub async fn open_store(backend: Backend) -> Option<(Arc<dyn Store>, Option<TestDb>)> {
    match backend {
        Backend::Sqlite => Some((
            store::open("sqlite::memory:").await.expect("sqlite opens"),
            None,
        )),
        Backend::Postgres => {
            let db = new_pg_database().await?;
            let store = store::open(&db.url).await.expect("postgres opens");
            Some((store, Some(db)))
        }
    }
}

/// A polygon feature of `layer` from a ring of `[lon, lat]`.
pub fn area_feature(props: &Value, ring: &[[f64; 2]]) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

/// An axis-aligned rectangle ring.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
}

fn item(layer: Layer, feature: Value) -> AnyItem {
    let f: geojson::Feature = serde_json::from_value(feature).expect("fixture feature");
    AnyItem::from_feature(layer, &f).expect("fixture item is valid")
}

/// Community code of the fixture.
pub const VILLAGE: &str = "330783001014";
/// Left grid (west of lon 120.05).
pub const GRID_A: &str = "330783001014001";
/// Right grid (east of lon 120.05).
pub const GRID_B: &str = "330783001014002";
/// Micro-grid in the west half of grid A.
pub const MICRO_A: &str = "330783001014003";
/// The fixture camera: at (120.02, 29.05) looking east, 60° wide, 100 m.
pub const CAMERA: &str = "33078300001320000001";

/// The fixture: a 0.1° square county = town = village, two grids sharing the edge lon=120.05,
/// one micro-grid, two workers, one camera, one key area, one patrol route, one road (人民路,
/// along the grids' shared edge).
pub fn fixture() -> Vec<AnyItem> {
    let square = rect(120.0, 29.0, 120.1, 29.1);
    vec![
        item(
            Layer::Region,
            area_feature(&json!({"code": "330783", "name": "东阳市"}), &square),
        ),
        item(
            Layer::Region,
            area_feature(
                &json!({"code": "330783001", "name": "吴宁街道", "parent_code": "330783"}),
                &square,
            ),
        ),
        item(
            Layer::Region,
            area_feature(
                &json!({"code": VILLAGE, "name": "东街社区居委会", "parent_code": "330783001"}),
                &square,
            ),
        ),
        item(
            Layer::Grid,
            area_feature(
                &json!({"code": GRID_A, "name": "东街社区第1网格", "kind": "residential"}),
                &rect(120.0, 29.0, 120.05, 29.1),
            ),
        ),
        item(
            Layer::Grid,
            area_feature(
                &json!({"code": GRID_B, "name": "东街社区第2网格", "kind": "residential"}),
                &rect(120.05, 29.0, 120.1, 29.1),
            ),
        ),
        item(
            Layer::Grid,
            area_feature(
                &json!({"code": MICRO_A, "name": "第1网格第1微网格", "kind": "residential", "parent_code": GRID_A}),
                &rect(120.0, 29.0, 120.025, 29.1),
            ),
        ),
        item(
            Layer::Worker,
            json!({"type": "Feature", "geometry": null, "properties": {"id": "W1", "name": "张伟", "role": "full_time", "phone": "13800000001", "grids": [{"grid": GRID_A, "duty": "leader"}]}}),
        ),
        item(
            Layer::Worker,
            json!({"type": "Feature", "geometry": null, "properties": {"id": "W2", "name": "李娜", "role": "part_time", "grids": [{"grid": GRID_B, "duty": "leader"}, {"grid": GRID_A, "duty": "part_time"}]}}),
        ),
        item(
            Layer::Camera,
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.05]}, "properties": {"code": CAMERA, "name": "东街1号", "azimuth_deg": 90.0, "hfov_deg": 60.0, "range_m": 100.0, "kind": "fixed"}}),
        ),
        item(
            Layer::KeyArea,
            area_feature(
                &json!({"id": "K1", "name": "东街小学周边", "category": "school_surroundings", "listed_date": "2026-01-01", "deadline": "2026-06-30", "status": "rectifying"}),
                &rect(120.01, 29.04, 120.03, 29.06),
            ),
        ),
        item(
            Layer::PatrolRoute,
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[120.0, 29.051], [120.1, 29.051]]}, "properties": {"id": "R1", "name": "东街巡逻线", "team": "吴宁派出所一组", "windows": [{"days": [1, 2, 3, 4, 5], "start": "19:00", "end": "23:00"}]}}),
        ),
        item(
            Layer::Road,
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[120.05, 29.0], [120.05, 29.1]]}, "properties": {"id": "RD1", "name": "人民路", "class": "primary"}}),
        ),
    ]
}

/// Sends `req` through `router`: status, headers and the whole body.
pub async fn exchange(
    router: &Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
    let response = router.clone().oneshot(req).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, bytes)
}

/// A running app on `backend` with the fixture and tokens per role; `None` to skip.
pub struct TestApp {
    pub app: Router,
    pub service: Arc<Service>,
    pg_database: Option<TestDb>,
}

impl TestApp {
    pub async fn start(backend: Backend) -> Option<Self> {
        let (store, pg_database) = open_store(backend).await?;
        for role in Role::ALL {
            store
                .insert_token(
                    &TokenRecord {
                        hash: hash_token(&token_for(role)),
                        name: role.as_str().into(),
                        role,
                    },
                    chrono::Utc::now(),
                )
                .await
                .expect("token");
        }
        let service = Arc::new(Service::start(store).await.expect("service starts"));
        service.import(fixture()).await.expect("fixture imports");
        Some(Self {
            app: safegrid::api::app(service.clone()),
            service,
            pg_database,
        })
    }

    /// Sends a request; returns status, content type and the body as JSON (or a string).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        role: Option<Role>,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(role) = role {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", token_for(role)));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, String, Value) {
        let (status, headers, bytes) = exchange(&self.app, req).await;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, content_type, value)
    }

    pub async fn finish(self) {
        if let Some(db) = self.pg_database {
            drop(self.app);
            drop(self.service);
            db.drop_db().await;
        }
    }
}

/// The fixed test token of a role.
pub fn token_for(role: Role) -> String {
    format!("test-token-{}", role.as_str())
}

/// Runs one async test body on both backends.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::start($crate::common::Backend::Sqlite)
                    .await
                    .expect("sqlite always runs");
                $body(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::common::TestApp::start($crate::common::Backend::Postgres).await
                {
                    $body(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

/// A fixed-seed xorshift64 source of uniform numbers in [0, 1), for repeatable random points.
pub fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed.max(1);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL database if one is
/// configured. Both halves run even when the first fails, so one run reports both backends.
pub async fn on_both_backends<F, Fut>(name: &str, body: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    on_both_backends_at(name, None, |store, _| body(store)).await;
}

/// [`on_both_backends`] with the URL of each store passed to `body` too, so that it can open
/// the same database again: SQLite in a file of `CARGO_TARGET_TMPDIR` (removed afterwards)
/// when `sqlite_file` names one, else in memory, which cannot be reopened.
pub async fn on_both_backends_at<F, Fut>(name: &str, sqlite_file: Option<&str>, body: F)
where
    F: Fn(Arc<dyn Store>, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let sqlite_path = sqlite_file.map(|file| {
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{file}-{:016x}.sqlite",
            getrandom::u64().expect("random file name")
        ))
    });
    let sqlite = AssertUnwindSafe(async {
        let url = sqlite_path
            .as_ref()
            .map_or_else(|| "sqlite::memory:".to_owned(), |p| p.display().to_string());
        let store = SqliteStore::open(&url).await.expect("open SQLite");
        body(Arc::new(store), url).await;
    })
    .catch_unwind()
    .await;
    if let Some(path) = &sqlite_path {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            std::fs::remove_file(file).ok();
        }
    }

    let pg = match pg_url() {
        None => {
            eprintln!("{name}: PostgreSQL half skipped (set SAFEGRID_TEST_PG_URL to run it)");
            Ok(())
        }
        Some(url) => {
            let db = TestDb::create(&url).await;
            let outcome = AssertUnwindSafe(async {
                let store = PgStore::open(&db.url).await.expect("open PgStore");
                assert!(!store.postgis_version().is_empty());
                body(Arc::new(store), db.url.clone()).await;
            })
            .catch_unwind()
            .await;
            db.drop_db().await;
            outcome
        }
    };
    match (sqlite, pg) {
        (Ok(()), Ok(())) => {}
        (Err(panic), Ok(())) => {
            eprintln!("{name}: failed on SQLite only");
            std::panic::resume_unwind(panic);
        }
        (Ok(()), Err(panic)) => {
            eprintln!("{name}: failed on PostgreSQL only");
            std::panic::resume_unwind(panic);
        }
        (Err(panic), Err(_)) => {
            eprintln!("{name}: failed on both backends");
            std::panic::resume_unwind(panic);
        }
    }
}
