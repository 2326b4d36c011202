//! Shared helpers: fresh stores (SQLite in memory, PostgreSQL in a new database per test), a
//! small hand-made fixture with exact coordinates, and an HTTP caller over the real router.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use safegrid::domain::{AnyItem, Layer, Role};
use safegrid::service::{Service, hash_token};
use safegrid::store::{self, Store, TokenRecord};

/// The PostgreSQL server URL for tests, or `None` to skip (refused when `CI=true`).
pub fn pg_server_url() -> Option<String> {
    match std::env::var("SAFEGRID_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true requires SAFEGRID_TEST_PG_URL (a PostgreSQL + PostGIS server)"
            );
            eprintln!("skipping PostGIS test: SAFEGRID_TEST_PG_URL is not set");
            None
        }
    }
}

/// A fresh, empty PostgreSQL database on the test server; dropped by [`drop_pg_database`].
pub async fn new_pg_database() -> Option<(String, String)> {
    let server = pg_server_url()?;
    let (base, _) = server.rsplit_once('/').unwrap_or((server.as_str(), ""));
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).expect("random");
    let name = format!("safegrid_t_{:016x}", u64::from_le_bytes(rnd));
    let admin = sqlx::PgPool::connect(&format!("{base}/postgres"))
        .await
        .expect("connect to the maintenance database");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    Some((format!("{base}/{name}"), name))
}

/// Drops a database made by [`new_pg_database`].
pub async fn drop_pg_database(name: &str) {
    let Some(server) = pg_server_url() else {
        return;
    };
    let (base, _) = server.rsplit_once('/').unwrap_or((server.as_str(), ""));
    if let Ok(admin) = sqlx::PgPool::connect(&format!("{base}/postgres")).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {name} with (force)"
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store of `backend`, empty; `None` when PostgreSQL is not configured (outside CI).
pub async fn open_store(backend: Backend) -> Option<(Arc<dyn Store>, Option<String>)> {
    match backend {
        Backend::Sqlite => Some((
            store::open("sqlite::memory:").await.expect("sqlite opens"),
            None,
        )),
        Backend::Postgres => {
            let (url, name) = new_pg_database().await?;
            Some((store::open(&url).await.expect("postgres opens"), Some(name)))
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
/// one micro-grid, two workers, one camera, one key area, one patrol route.
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
    ]
}

/// A running app on `backend` with the fixture and tokens per role; `None` to skip.
pub struct TestApp {
    pub app: Router,
    pub service: Arc<Service>,
    pg_database: Option<String>,
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
        let response = self.app.clone().oneshot(req).await.expect("router answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, content_type, value)
    }

    pub async fn finish(self) {
        if let Some(name) = self.pg_database {
            drop(self.app);
            drop(self.service);
            drop_pg_database(&name).await;
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
