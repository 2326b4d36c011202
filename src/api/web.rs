//! The web map's static files: `/` (the page), `/app/*` (our modules and CSS from `web/src`),
//! `/vendor/{package}/*` (MapLibre GL JS and terra-draw from `web/node_modules`, installed from
//! the npm registry by `scripts/run`), `/config.json` (the optional external basemap) and
//! `/favicon.ico` (the page's icon, where browsers and tools look for one).
//! Nothing on the page is loaded from outside this server. No route here takes input: the
//! files are served as they are.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tower_http::services::ServeDir;

use super::AppState;

/// npm packages the page imports, served from their `dist` folders.
const VENDOR_PACKAGES: [&str; 3] = [
    "maplibre-gl",
    "terra-draw",
    "terra-draw-maplibre-gl-adapter",
];

/// The page's icon (`web/src/icon.svg`), built in so that `/favicon.ico` answers wherever the
/// web folder is.
const ICON: &str = include_str!("../../web/src/icon.svg");

/// Where the web files are and what the page may load from elsewhere.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// The `web/` folder (holds `index.html`, `src/` and `node_modules/`).
    pub dir: PathBuf,
    /// An external raster basemap as a tile URL template (`{z}/{x}/{y}`); off when `None`.
    pub basemap_url: Option<String>,
}

impl Default for WebOptions {
    /// `./web` when it holds `index.html` (running from a checkout), else the `web/` folder of
    /// the source tree this binary was built from; no basemap.
    fn default() -> Self {
        let local = PathBuf::from("web");
        let dir = if local.join("index.html").is_file() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
        };
        Self {
            dir,
            basemap_url: None,
        }
    }
}

/// The routes for the page and its files.
pub fn routes(web: &WebOptions) -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(index))
        .route("/config.json", get(config))
        .route("/favicon.ico", get(favicon))
        .nest_service("/app", ServeDir::new(web.dir.join("src")));
    for package in VENDOR_PACKAGES {
        router = router.nest_service(
            &format!("/vendor/{package}"),
            ServeDir::new(web.dir.join("node_modules").join(package).join("dist")),
        );
    }
    router
}

/// `GET /`: the page, or a plain explanation when the npm packages are not installed yet.
async fn index(State(state): State<AppState>) -> Response {
    let dir = &state.web.dir;
    let maplibre = dir.join("node_modules/maplibre-gl/dist/maplibre-gl.mjs");
    if !maplibre.is_file() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><meta charset=utf-8><title>safegrid</title>\
                 <p>The web map's packages are not installed in <code>{}</code>. \
                 Run <code>scripts/run</code> (or <code>npm ci --prefix web</code>) and reload.\
                 <p>The API works without them: <a href=/api/openapi.json>/api/openapi.json</a>.",
                dir.join("node_modules").display()
            )),
        )
            .into_response();
    }
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(page) => ([(header::CACHE_CONTROL, "no-cache")], Html(page)).into_response(),
        Err(e) => super::ApiError::internal(&format!(
            "cannot read {}: {e}",
            dir.join("index.html").display()
        ))
        .into_response(),
    }
}

/// `GET /favicon.ico`: the page's icon (SVG, which browsers take at this path too).
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        ICON,
    )
        .into_response()
}

/// The answer of `GET /config.json`: what the page needs to know about this deployment.
#[derive(Debug, Serialize)]
struct PageConfig<'a> {
    /// The external raster basemap's tile URL template; `null` when off.
    basemap_url: Option<&'a str>,
}

/// `GET /config.json`: what the page needs to know about this deployment.
async fn config(State(state): State<AppState>) -> Response {
    let config = PageConfig {
        basemap_url: state.web.basemap_url.as_deref(),
    };
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(config)).into_response()
}
