//! The web map's server side: the page and its files, the deployment config, and the search
//! endpoint behind the map's search box. (The page itself is tested in a real browser by
//! `web/tests/`.)

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use safegrid::api::{WebOptions, app_with};

use crate::common::{Backend, CAMERA, GRID_A, GRID_B, TestApp, exchange};

/// A throwaway `web/` folder; removed on drop.
struct WebDir(PathBuf);

impl WebDir {
    fn new(with_packages: bool) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "safegrid-web-{:016x}",
            getrandom::u64().expect("random folder name")
        ));
        std::fs::create_dir_all(dir.join("src")).expect("web/src");
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>map page</title>",
        )
        .expect("index.html");
        std::fs::write(dir.join("src/main.js"), "export const answer = 42;\n").expect("main.js");
        if with_packages {
            let dist = dir.join("node_modules/maplibre-gl/dist");
            std::fs::create_dir_all(&dist).expect("dist");
            std::fs::write(dist.join("maplibre-gl.mjs"), "export {};\n").expect("maplibre");
        }
        Self(dir)
    }
}

impl Drop for WebDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let (status, headers, body) =
        exchange(app, Request::get(uri).body(Body::empty()).expect("request")).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn serves_the_page_its_modules_vendor_files_and_config() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let web = WebDir::new(true);
    let router = app_with(
        app.service.clone(),
        WebOptions {
            dir: web.0.clone(),
            basemap_url: Some("https://tiles.example/{z}/{x}/{y}.png".into()),
        },
    );
    let (status, content_type, body) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("map page"));
    let (status, content_type, body) = get(&router, "/app/main.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
    assert!(body.contains("answer = 42"));
    let (status, _, _) = get(&router, "/vendor/maplibre-gl/maplibre-gl.mjs").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&router, "/app/../index.html").await;
    assert_ne!(status, StatusCode::OK, "no path traversal out of web/src");
    let (status, _, _) = get(&router, "/vendor/not-a-package/x.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Browsers ask for /favicon.ico on every page: an answer, not a 404 in the console.
    let (status, content_type, body) = get(&router, "/favicon.ico").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/svg+xml");
    assert!(body.starts_with("<svg"), "{body}");
    let (status, _, body) = get(&router, "/config.json").await;
    assert_eq!(status, StatusCode::OK);
    let config: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        config["basemap_url"],
        "https://tiles.example/{z}/{x}/{y}.png"
    );
    app.finish().await;
}

#[tokio::test]
async fn without_npm_packages_the_page_says_what_to_install_and_the_api_still_works() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let web = WebDir::new(false);
    let router = app_with(
        app.service.clone(),
        WebOptions {
            dir: web.0.clone(),
            basemap_url: None,
        },
    );
    let (status, _, body) = get(&router, "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("npm ci --prefix web"), "{body}");
    let (status, _, body) = get(&router, "/config.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"basemap_url\":null"), "{body}");
    let (status, _, _) = get(&router, &format!("/api/v1/grids/{GRID_A}")).await;
    assert_eq!(status, StatusCode::OK);
    app.finish().await;
}

#[tokio::test]
async fn search_ranks_exact_codes_first_and_finds_names_and_device_codes() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let (status, _, body) = app
        .call("GET", &format!("/api/v1/search?q={GRID_A}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["results"][0];
    assert_eq!(first["layer"], "grids");
    assert_eq!(first["key"], GRID_A);
    assert_eq!(first["name"], "东街社区第1网格");
    assert_eq!(
        first["bbox"],
        serde_json::json!([120.0, 29.0, 120.05, 29.1]),
        "the grid's box, to zoom to"
    );
    let [lon, lat] =
        [&first["anchor"][0], &first["anchor"][1]].map(|v| v.as_f64().expect("anchor"));
    assert!(
        (120.0..=120.05).contains(&lon) && (29.0..=29.1).contains(&lat),
        "the anchor is inside the grid: {first}"
    );

    // A name prefix finds both fixture grids, and nothing that does not match.
    let (_, _, body) = app
        .call(
            "GET",
            "/api/v1/search?q=%E4%B8%9C%E8%A1%97%E7%A4%BE%E5%8C%BA",
            None,
            None,
        )
        .await;
    let keys: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["key"].as_str().unwrap_or(""))
        .collect();
    assert!(keys.contains(&GRID_A) && keys.contains(&GRID_B), "{body}");
    assert!(!keys.contains(&CAMERA));

    let (_, _, body) = app
        .call(
            "GET",
            &format!("/api/v1/search?q={CAMERA}&limit=1"),
            None,
            None,
        )
        .await;
    assert_eq!(body["results"][0]["layer"], "cameras");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        body["results"][0]["anchor"],
        serde_json::json!([120.02, 29.05]),
        "a camera is pinned where it stands"
    );

    // A street by its name: the road, pinned on its line.
    let (_, _, body) = app
        .call(
            "GET",
            "/api/v1/search?q=%E4%BA%BA%E6%B0%91%E8%B7%AF",
            None,
            None,
        )
        .await;
    assert_eq!(body["results"][0]["layer"], "roads", "{body}");
    assert_eq!(body["results"][0]["name"], "人民路");
    assert_eq!(
        body["results"][0]["anchor"][0], 120.05,
        "on the line: {body}"
    );

    for (query, field) in [
        ("q=", "q"),
        ("q=%20", "q"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=101", "limit"),
        ("q=x&limit=ten", "limit"),
    ] {
        let (status, content_type, body) = app
            .call("GET", &format!("/api/v1/search?{query}"), None, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(content_type, "application/problem+json");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn grids_without_a_worker_are_listed_until_someone_is_assigned() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let (status, _, body) = app
        .call("GET", "/api/v1/grids/without-worker", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 0, "every fixture grid has a worker: {body}");

    // W2 stops serving grid B, its only worker: B is now flagged (its micro-grid never is).
    let w2 = serde_json::json!({"type": "Feature", "geometry": null, "properties": {"id": "W2", "name": "李娜", "role": "part_time", "grids": [{"grid": GRID_A, "duty": "part_time"}]}});
    let (status, _, body) = app
        .call(
            "PUT",
            "/api/v1/workers/W2",
            Some(safegrid::domain::Role::Planner),
            Some(w2),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, body) = app
        .call("GET", "/api/v1/grids/without-worker", None, None)
        .await;
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["grids"][0]["code"], GRID_B);
    assert_eq!(body["grids"][0]["village"], &GRID_B[..12]);
    assert_eq!(
        body["grids"][0]["bbox"],
        serde_json::json!([120.05, 29.0, 120.1, 29.1])
    );
    app.finish().await;
}
