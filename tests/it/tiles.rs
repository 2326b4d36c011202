//! Vector tiles through the real router, on SQLite and on PostGIS: tiles are decoded by a small
//! MVT reader written here (not the encoder's code), and their coordinates are projected back
//! with Web Mercator formulas written here too.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::f64::consts::PI;

use safegrid::domain::Role;

use crate::both_backends;
use crate::common::{
    CAMERA, GRID_A, GRID_B, MICRO_A, TestApp, VILLAGE, area_feature, exchange, rect,
};

const MVT: &str = "application/vnd.mapbox-vector-tile";
const PROBLEM: &str = "application/problem+json";
/// The z10 tile that holds the whole fixture (lon 120.0–120.1, lat 29.0–29.1).
const FIXTURE_TILE: (u32, u32, u32) = (10, 853, 425);

// ---------------------------------------------------------------------------------------------
// An independent MVT reader

/// A protobuf field: its number and its value.
enum Wire<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn more(&self) -> bool {
        self.pos < self.buf.len()
    }

    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.buf[self.pos];
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
        }
        panic!("varint longer than 10 bytes");
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    fn field(&mut self) -> (u64, Wire<'a>) {
        let key = self.varint();
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()),
            1 => Wire::Fixed64(self.take(8).try_into().expect("8 bytes")),
            2 => {
                let n = usize::try_from(self.varint()).expect("length");
                Wire::Bytes(self.take(n))
            }
            5 => Wire::Fixed32(self.take(4).try_into().expect("4 bytes")),
            w => panic!("unexpected wire type {w}"),
        };
        (key >> 3, wire)
    }
}

fn packed(bytes: &[u8]) -> Vec<u32> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while r.more() {
        out.push(u32::try_from(r.varint()).expect("u32"));
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Float(f32),
    Double(f64),
    Int(i64),
    Uint(u64),
    Bool(bool),
}

impl Val {
    fn str(&self) -> &str {
        match self {
            Val::Str(s) => s,
            other => panic!("{other:?} is not a string"),
        }
    }
}

#[derive(Debug)]
struct Feature {
    id: Option<u64>,
    tags: Vec<u32>,
    kind: u64,
    geometry: Vec<u32>,
}

#[derive(Debug)]
struct MvtLayer {
    name: String,
    version: u64,
    extent: u64,
    keys: Vec<String>,
    values: Vec<Val>,
    features: Vec<Feature>,
}

fn decode_value(bytes: &[u8]) -> Val {
    let mut r = Reader::new(bytes);
    let (field, wire) = r.field();
    assert!(!r.more(), "a Value holds exactly one field");
    match (field, wire) {
        (1, Wire::Bytes(b)) => Val::Str(String::from_utf8(b.to_vec()).expect("UTF-8")),
        (2, Wire::Fixed32(b)) => Val::Float(f32::from_le_bytes(b)),
        (3, Wire::Fixed64(b)) => Val::Double(f64::from_le_bytes(b)),
        (4, Wire::Varint(v)) => Val::Int(v.cast_signed()),
        (5, Wire::Varint(v)) => Val::Uint(v),
        (6, Wire::Varint(v)) => Val::Int((v >> 1).cast_signed() ^ -((v & 1).cast_signed())),
        (7, Wire::Varint(v)) => Val::Bool(v != 0),
        (f, _) => panic!("unexpected Value field {f}"),
    }
}

fn decode_feature(bytes: &[u8]) -> Feature {
    let mut r = Reader::new(bytes);
    let mut f = Feature {
        id: None,
        tags: Vec::new(),
        kind: 0,
        geometry: Vec::new(),
    };
    while r.more() {
        match r.field() {
            (1, Wire::Varint(v)) => f.id = Some(v),
            (2, Wire::Bytes(b)) => f.tags.extend(packed(b)),
            (3, Wire::Varint(v)) => f.kind = v,
            (4, Wire::Bytes(b)) => f.geometry.extend(packed(b)),
            (n, _) => panic!("unexpected Feature field {n}"),
        }
    }
    f
}

fn decode(tile: &[u8]) -> Vec<MvtLayer> {
    let mut r = Reader::new(tile);
    let mut layers = Vec::new();
    while r.more() {
        let (3, Wire::Bytes(bytes)) = r.field() else {
            panic!("a Tile holds only layers (field 3)");
        };
        let mut l = MvtLayer {
            name: String::new(),
            version: 1,
            extent: 4096,
            keys: Vec::new(),
            values: Vec::new(),
            features: Vec::new(),
        };
        let mut lr = Reader::new(bytes);
        while lr.more() {
            match lr.field() {
                (1, Wire::Bytes(b)) => l.name = String::from_utf8(b.to_vec()).expect("UTF-8"),
                (2, Wire::Bytes(b)) => l.features.push(decode_feature(b)),
                (3, Wire::Bytes(b)) => l.keys.push(String::from_utf8(b.to_vec()).expect("UTF-8")),
                (4, Wire::Bytes(b)) => l.values.push(decode_value(b)),
                (5, Wire::Varint(v)) => l.extent = v,
                (15, Wire::Varint(v)) => l.version = v,
                (n, _) => panic!("unexpected Layer field {n}"),
            }
        }
        layers.push(l);
    }
    layers
}

impl MvtLayer {
    fn props(&self, f: &Feature) -> HashMap<String, Val> {
        assert_eq!(f.tags.len() % 2, 0, "tags come in pairs");
        f.tags
            .chunks(2)
            .map(|kv| {
                (
                    self.keys[kv[0] as usize].clone(),
                    self.values[kv[1] as usize].clone(),
                )
            })
            .collect()
    }

    /// The feature whose `field` is `value`.
    fn find(&self, field: &str, value: &str) -> Option<(&Feature, HashMap<String, Val>)> {
        self.features
            .iter()
            .map(|f| (f, self.props(f)))
            .find(|(_, p)| p.get(field) == Some(&Val::Str(value.to_owned())))
    }
}

/// A decoded geometry: parts (points, line parts or rings) in tile coordinates, and whether
/// each part was closed.
fn parts(geometry: &[u32]) -> Vec<(Vec<[i64; 2]>, bool)> {
    let dez = |v: u32| i64::from(v >> 1) ^ -i64::from(v & 1);
    let mut cursor = [0i64; 2];
    let mut out: Vec<(Vec<[i64; 2]>, bool)> = Vec::new();
    let mut i = 0;
    while i < geometry.len() {
        let (id, count) = (geometry[i] & 7, geometry[i] >> 3);
        i += 1;
        match id {
            1 | 2 => {
                for _ in 0..count {
                    cursor = [
                        cursor[0] + dez(geometry[i]),
                        cursor[1] + dez(geometry[i + 1]),
                    ];
                    i += 2;
                    if id == 1 {
                        out.push((vec![cursor], false));
                    } else {
                        let part = out.last_mut().expect("LineTo after MoveTo");
                        assert_ne!(part.0.last(), Some(&cursor), "zero-length LineTo");
                        part.0.push(cursor);
                    }
                }
            }
            7 => {
                assert_eq!(count, 1, "ClosePath has a count of 1");
                out.last_mut().expect("ClosePath after MoveTo").1 = true;
            }
            other => panic!("unknown command {other}"),
        }
    }
    out
}

/// Twice the surveyor's-formula area of a ring in tile coordinates.
fn area2(ring: &[[i64; 2]]) -> i64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Web Mercator, written independently of the crate

/// (lon, lat) → tile coordinates of tile (z, x, y) at extent 4096 (not rounded).
fn to_tile((z, x, y): (u32, u32, u32), lon: f64, lat: f64) -> [f64; 2] {
    let n = f64::from(1u32 << z);
    let wx = (lon + 180.0) / 360.0 * n;
    let phi = lat.to_radians();
    let wy = (1.0 - (PI / 4.0 + phi / 2.0).tan().ln() / PI) / 2.0 * n;
    [(wx - f64::from(x)) * 4096.0, (wy - f64::from(y)) * 4096.0]
}

/// Tile coordinates of tile (z, x, y) → (lon, lat).
fn to_lonlat((z, x, y): (u32, u32, u32), px: f64, py: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let wx = f64::from(x) + px / 4096.0;
    let wy = f64::from(y) + py / 4096.0;
    let lon = wx / n * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * wy / n)).sinh().atan().to_degrees();
    (lon, lat)
}

/// The tile of zoom `z` holding (lon, lat).
fn tile_of(z: u32, lon: f64, lat: f64) -> (u32, u32, u32) {
    let [px, py] = to_tile((z, 0, 0), lon, lat);
    let cell = |p: f64| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a tile number of a point on the map"
        )]
        let v = (p / 4096.0).floor() as u32;
        v
    };
    (z, cell(px), cell(py))
}

/// Checks that tile point `p` is (lon, lat) to within one tile pixel, both ways: in tile
/// units, and back in degrees against the size of one pixel there.
fn assert_within_a_pixel(tile: (u32, u32, u32), p: [i64; 2], lon: f64, lat: f64) {
    let want = to_tile(tile, lon, lat);
    let (px, py) = (p[0] as f64, p[1] as f64);
    assert!(
        (px - want[0]).abs() <= 1.0 && (py - want[1]).abs() <= 1.0,
        "{p:?} vs {want:?}"
    );
    let (got_lon, got_lat) = to_lonlat(tile, px, py);
    let (next_lon, next_lat) = to_lonlat(tile, px + 1.0, py + 1.0);
    assert!(
        (got_lon - lon).abs() <= (next_lon - got_lon).abs(),
        "lon {got_lon} vs {lon}"
    );
    assert!(
        (got_lat - lat).abs() <= (next_lat - got_lat).abs(),
        "lat {got_lat} vs {lat}"
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP

async fn get(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Bytes) {
    let mut req = Request::builder().method("GET").uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    exchange(&app.app, req.body(Body::empty()).expect("request")).await
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn tile_uri(layer: &str, (z, x, y): (u32, u32, u32)) -> String {
    format!("/tiles/{layer}/{z}/{x}/{y}.mvt")
}

/// The layer named after `layer` of a 200 tile answer (grids tiles from z12 also hold
/// `grid-labels`; every other tile one layer).
async fn fetch_layer(app: &TestApp, layer: &str, tile: (u32, u32, u32)) -> MvtLayer {
    let mut layers = fetch_layers(app, layer, tile).await;
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    let expected: &[&str] = match layer {
        "grids" if tile.0 >= 12 => &["grids", "grid-labels"],
        "regions" if tile.0 >= 8 => &["regions", "region-labels"],
        _ => &[layer],
    };
    assert!(
        names.len() <= expected.len() && names[0] == layer,
        "{names:?}"
    );
    let l = layers.remove(0);
    assert_eq!(l.version, 2);
    assert_eq!(l.extent, 4096);
    l
}

/// Every layer of a 200 tile answer.
async fn fetch_layers(app: &TestApp, layer: &str, tile: (u32, u32, u32)) -> Vec<MvtLayer> {
    let (status, headers, body) = get(app, &tile_uri(layer, tile), &[]).await;
    assert_eq!(status, StatusCode::OK, "{layer} {tile:?}");
    assert_eq!(header_str(&headers, header::CONTENT_TYPE), MVT);
    decode(&body)
}

// ---------------------------------------------------------------------------------------------
// Tests

async fn grid_tile_holds_the_fixture_grids_with_their_properties(app: &TestApp) {
    let layer = fetch_layer(app, "grids", FIXTURE_TILE).await;
    assert_eq!(layer.features.len(), 3);
    let ids: std::collections::HashSet<_> = layer.features.iter().map(|f| f.id).collect();
    assert_eq!(ids.len(), 3, "distinct feature ids");
    assert!(
        ids.iter()
            .all(|id| id.is_some_and(|id| id > 0 && id < 1 << 53))
    );

    let (a, props) = layer.find("code", GRID_A).expect("grid A in its tile");
    assert_eq!(props["name"].str(), "东街社区第1网格");
    assert_eq!(props["kind"].str(), "residential");
    assert_eq!(props["households"], Val::Uint(0));
    assert_eq!(props["population"], Val::Uint(0));
    assert!(!props.contains_key("parent_code"));
    assert_eq!(a.kind, 3, "POLYGON");
    let rings = parts(&a.geometry);
    assert_eq!(rings.len(), 1, "{rings:?}");
    let (ring, closed) = &rings[0];
    assert!(closed);
    assert!(area2(ring) > 0, "exterior rings have a positive area");
    assert_eq!(ring.len(), 4, "{ring:?}");
    for (lon, lat) in [(120.0, 29.0), (120.05, 29.0), (120.05, 29.1), (120.0, 29.1)] {
        let want = to_tile(FIXTURE_TILE, lon, lat);
        let p = ring
            .iter()
            .min_by(|p, q| {
                let d = |p: &[i64; 2]| (p[0] as f64 - want[0]).hypot(p[1] as f64 - want[1]);
                d(p).total_cmp(&d(q))
            })
            .expect("a vertex");
        assert_within_a_pixel(FIXTURE_TILE, *p, lon, lat);
    }
    let (_, micro) = layer.find("code", MICRO_A).expect("micro-grid");
    assert_eq!(micro["parent_code"].str(), GRID_A);
    assert!(layer.find("code", GRID_B).is_some());

    // A tile wholly inside micro-grid A: grid A and the micro-grid, each cut to the buffered
    // tile, clockwise on screen.
    let inner = tile_of(16, 120.0125, 29.05);
    let layer = fetch_layer(app, "grids", inner).await;
    let mut codes: Vec<String> = layer
        .features
        .iter()
        .map(|f| layer.props(f)["code"].str().to_owned())
        .collect();
    codes.sort();
    assert_eq!(codes, [GRID_A, MICRO_A]);
    for f in &layer.features {
        let rings = parts(&f.geometry);
        assert_eq!(rings.len(), 1);
        let mut ring = rings[0].0.clone();
        assert!(area2(&ring) > 0);
        ring.sort_unstable();
        assert_eq!(ring, [[-64, -64], [-64, 4160], [4160, -64], [4160, 4160]]);
    }

    // Far away: nothing, as 204 without a body.
    for far in [
        (10, FIXTURE_TILE.1 + 5, FIXTURE_TILE.2),
        tile_of(14, 121.0, 30.0),
        tile_of(14, 120.2, 29.05),
    ] {
        let (status, headers, body) = get(app, &tile_uri("grids", far), &[]).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{far:?}");
        assert!(body.is_empty());
        assert!(!header_str(&headers, header::ETAG).is_empty());
    }
}
both_backends!(
    grid_tiles,
    grid_tile_holds_the_fixture_grids_with_their_properties
);

/// At a working zoom the fixture's grids cross several tiles each; every grid gets exactly one
/// label point over all of them, and the point is inside the grid.
async fn each_grid_is_labelled_once_inside_it(app: &TestApp) {
    let z = 13;
    let (_, x0, y0) = tile_of(z, 120.0, 29.1);
    let (_, x1, y1) = tile_of(z, 120.1, 29.0);
    let mut labels: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
    let mut polygon_pieces: HashMap<String, usize> = HashMap::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let tile = (z, x, y);
            for layer in fetch_layers(app, "grids", tile).await {
                for f in &layer.features {
                    let code = layer.props(f)["code"].str().to_owned();
                    if layer.name == "grid-labels" {
                        assert_eq!(f.kind, 1, "POINT");
                        let (points, _) = &parts(&f.geometry)[0];
                        let [px, py] = points[0];
                        #[expect(clippy::cast_precision_loss, reason = "tile units")]
                        labels
                            .entry(code)
                            .or_default()
                            .push(to_lonlat(tile, px as f64, py as f64));
                    } else {
                        *polygon_pieces.entry(code).or_default() += 1;
                    }
                }
            }
        }
    }
    for code in [GRID_A, GRID_B, MICRO_A] {
        assert!(polygon_pieces[code] >= 2, "{code} crosses several tiles");
        let points = &labels[code];
        assert_eq!(points.len(), 1, "{code}: {points:?}");
        let (lon, lat) = points[0];
        let (west, east) = match code {
            GRID_A => (120.0, 120.05),
            GRID_B => (120.05, 120.1),
            _ => (120.0, 120.025),
        };
        assert!(
            (west..=east).contains(&lon) && (29.0..=29.1).contains(&lat),
            "{code}: {lon}, {lat}"
        );
    }
    // Below z12 grids tiles carry no labels.
    let low = fetch_layers(app, "grids", tile_of(11, 120.05, 29.05)).await;
    assert_eq!(low.len(), 1);
}
both_backends!(grid_labels, each_grid_is_labelled_once_inside_it);

/// Place names for the offline basemap: the county and its towns from z8, villages from z12,
/// each once, inside its area.
async fn regions_are_labelled_by_level(app: &TestApp) {
    let codes = |layers: &[MvtLayer]| -> Vec<String> {
        let labels = layers
            .iter()
            .find(|l| l.name == "region-labels")
            .expect("region labels");
        let mut codes: Vec<String> = labels
            .features
            .iter()
            .map(|f| labels.props(f)["code"].str().to_owned())
            .collect();
        codes.sort();
        codes
    };
    let town_zoom = fetch_layers(app, "regions", tile_of(10, 120.05, 29.05)).await;
    assert_eq!(codes(&town_zoom), ["330783", "330783001"]);
    let village_zoom = fetch_layers(app, "regions", tile_of(12, 120.05, 29.05)).await;
    assert_eq!(codes(&village_zoom), ["330783", "330783001", VILLAGE]);
    let low = fetch_layers(app, "regions", tile_of(7, 120.05, 29.05)).await;
    assert_eq!(low.len(), 1, "no labels below z8");
}
both_backends!(region_labels, regions_are_labelled_by_level);

async fn point_line_and_area_layers_carry_their_fields(app: &TestApp) {
    // The camera: at z10 in a cluster of one, at z13 the overview fields only, at z15 its code
    // and name too.
    let layer = fetch_layer(app, "cameras", FIXTURE_TILE).await;
    assert_eq!(layer.features.len(), 1);
    let props = layer.props(&layer.features[0]);
    assert_eq!(props["point_count"], Val::Uint(1));
    assert_eq!(props["online"], Val::Uint(1));
    assert!(!props.contains_key("status"), "a cluster, not a camera");
    let overview = tile_of(13, 120.02, 29.05);
    let layer = fetch_layer(app, "cameras", overview).await;
    assert_eq!(layer.features.len(), 1);
    let f = &layer.features[0];
    assert_eq!(f.kind, 1, "POINT");
    let props = layer.props(f);
    assert_eq!(props["status"].str(), "online");
    assert_eq!(props["kind"].str(), "fixed");
    assert_eq!(props["azimuth_deg"], Val::Double(90.0));
    assert_eq!(props["hfov_deg"], Val::Double(60.0));
    assert_eq!(props["range_m"], Val::Double(100.0));
    assert!(!props.contains_key("code"), "no per-item fields below z14");
    assert_eq!(f.id, None, "nor a feature id");
    let p = parts(&f.geometry);
    assert_eq!(p.len(), 1);
    assert_within_a_pixel(overview, p[0].0[0], 120.02, 29.05);

    let near = tile_of(15, 120.02, 29.05);
    let layer = fetch_layer(app, "cameras", near).await;
    let (f, props) = layer.find("code", CAMERA).expect("camera by code at z15");
    assert!(f.id.is_some());
    assert_eq!(props["name"].str(), "东街1号");
    assert_eq!(props["height_m"], Val::Double(4.0));
    assert_within_a_pixel(near, parts(&f.geometry)[0].0[0], 120.02, 29.05);

    // The patrol route crosses the whole fixture along lat 29.051: one two-vertex line.
    let layer = fetch_layer(app, "patrol-routes", FIXTURE_TILE).await;
    let (f, props) = layer.find("id", "R1").expect("route");
    assert_eq!(props["name"].str(), "东街巡逻线");
    assert_eq!(props["team"].str(), "吴宁派出所一组");
    assert_eq!(f.kind, 2, "LINESTRING");
    let p = parts(&f.geometry);
    assert_eq!(p.len(), 1);
    assert!(!p[0].1, "lines are not closed");
    assert_eq!(p[0].0.len(), 2);
    assert_within_a_pixel(FIXTURE_TILE, p[0].0[0], 120.0, 29.051);
    assert_within_a_pixel(FIXTURE_TILE, p[0].0[1], 120.1, 29.051);
    // At z14 the route runs through several tiles, cut at each tile's buffer.
    let mid = tile_of(14, 120.05, 29.051);
    let layer = fetch_layer(app, "patrol-routes", mid).await;
    let p = parts(&layer.features[0].geometry);
    let xs: Vec<i64> = p[0].0.iter().map(|q| q[0]).collect();
    assert_eq!(xs.len(), 2);
    assert_eq!(xs.iter().min(), Some(&-64));
    assert_eq!(xs.iter().max(), Some(&4160));

    let layer = fetch_layer(app, "key-areas", FIXTURE_TILE).await;
    let (_, props) = layer.find("id", "K1").expect("key area");
    assert_eq!(props["category"].str(), "school_surroundings");
    assert_eq!(props["status"].str(), "rectifying");
    assert_eq!(props["deadline"].str(), "2026-06-30");
    assert_eq!(props["listed_date"].str(), "2026-01-01");

    let layer = fetch_layer(app, "regions", FIXTURE_TILE).await;
    assert_eq!(layer.features.len(), 3);
    let (_, props) = layer.find("code", "330783001").expect("town");
    assert_eq!(props["level"].str(), "town");
    assert_eq!(props["parent_code"].str(), "330783");

    // The fixture has no events or buildings.
    for layer in ["events", "buildings"] {
        let (status, _, _) = get(app, &tile_uri(layer, FIXTURE_TILE), &[]).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{layer}");
    }
}
both_backends!(layer_tiles, point_line_and_area_layers_carry_their_fields);

async fn bad_addresses_are_400_and_layers_without_tiles_404(app: &TestApp) {
    for (uri, status, field) in [
        (
            "/tiles/grids/23/0/0.mvt",
            StatusCode::BAD_REQUEST,
            Some("z"),
        ),
        ("/tiles/grids/3/8/0.mvt", StatusCode::BAD_REQUEST, Some("x")),
        ("/tiles/grids/3/0/8.mvt", StatusCode::BAD_REQUEST, Some("y")),
        ("/tiles/grids/3/0/1.png", StatusCode::BAD_REQUEST, Some("y")),
        ("/tiles/grids/3/0/1", StatusCode::BAD_REQUEST, Some("y")),
        ("/tiles/grids/a/0/1.mvt", StatusCode::BAD_REQUEST, Some("z")),
        (
            "/tiles/grids/3/-1/1.mvt",
            StatusCode::BAD_REQUEST,
            Some("x"),
        ),
        ("/tiles/workers/3/0/1.mvt", StatusCode::NOT_FOUND, None),
        ("/tiles/nope/3/0/1.mvt", StatusCode::NOT_FOUND, None),
        ("/tiles/patrol_route/3/0/1.mvt", StatusCode::NOT_FOUND, None),
        ("/tiles/workers.json", StatusCode::NOT_FOUND, None),
        ("/tiles/nope.json", StatusCode::NOT_FOUND, None),
        ("/tiles/grids", StatusCode::NOT_FOUND, None),
    ] {
        let (got, headers, body) = get(app, uri, &[]).await;
        assert_eq!(got, status, "{uri}");
        assert_eq!(header_str(&headers, header::CONTENT_TYPE), PROBLEM, "{uri}");
        let body: Value = serde_json::from_slice(&body).expect("problem JSON");
        assert_eq!(body["status"], status.as_u16(), "{uri}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{uri}: {body}");
        }
    }
    // The deepest zoom and the last tile of a zoom are fine.
    let (status, _, _) = get(app, "/tiles/grids/22/4194303/4194303.mvt", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
both_backends!(
    tile_errors,
    bad_addresses_are_400_and_layers_without_tiles_404
);

async fn etag_revalidates_and_changes_when_a_write_lands(app: &TestApp) {
    let uri = tile_uri("grids", FIXTURE_TILE);
    let (status, headers, body) = get(app, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = header_str(&headers, header::ETAG).to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(header_str(&headers, header::CACHE_CONTROL), "no-cache");

    let (status, headers, empty) = get(app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(empty.is_empty());
    assert_eq!(header_str(&headers, header::ETAG), etag);
    assert_eq!(header_str(&headers, header::CACHE_CONTROL), "no-cache");
    let (status, _, again) = get(app, &uri, &[("if-none-match", "\"other\"")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, body, "the same snapshot gives the same bytes");
    // Another tile has another tag.
    let other = tile_uri("grids", tile_of(16, 120.0125, 29.05));
    let (_, headers, _) = get(app, &other, &[]).await;
    assert_ne!(header_str(&headers, header::ETAG), etag);

    // A new micro-grid in grid B, written through the API.
    let new_code = "330783001014004";
    let micro = area_feature(
        &json!({"code": new_code, "name": "第2网格第1微网格", "kind": "residential", "households": 120, "parent_code": GRID_B}),
        &rect(120.06, 29.06, 120.07, 29.07),
    );
    let (status, _, reply) = app
        .call("POST", "/api/v1/grids", Some(Role::Planner), Some(micro))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");

    let (status, headers, body) = get(app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::OK, "the old tag no longer matches");
    let new_etag = header_str(&headers, header::ETAG).to_owned();
    assert_ne!(new_etag, etag);
    let layer = decode(&body).remove(0);
    assert_eq!(layer.features.len(), 4);
    let (f, props) = layer.find("code", new_code).expect("the new grid is drawn");
    assert_eq!(props["parent_code"].str(), GRID_B);
    assert_eq!(props["households"], Val::Uint(120));
    let ring = &parts(&f.geometry)[0].0;
    for p in ring {
        let (lon, lat) = to_lonlat(FIXTURE_TILE, p[0] as f64, p[1] as f64);
        assert!(
            (120.0599..=120.0701).contains(&lon) && (29.0599..=29.0701).contains(&lat),
            "{lon} {lat}"
        );
    }
    let (status, _, _) = get(app, &uri, &[("if-none-match", &new_etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}
both_backends!(tile_etags, etag_revalidates_and_changes_when_a_write_lands);

async fn tilejson_names_versioned_absolute_urls_bounds_and_fields(app: &TestApp) {
    let version = app.service.snapshot().version;
    let (status, headers, body) = get(app, "/tiles/grids.json", &[("host", "map.test:8080")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header_str(&headers, header::CONTENT_TYPE),
        "application/json"
    );
    assert_eq!(header_str(&headers, header::CACHE_CONTROL), "no-cache");
    let etag = header_str(&headers, header::ETAG).to_owned();
    let tj: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"],
        json!([format!(
            "http://map.test:8080/tiles/grids/{{z}}/{{x}}/{{y}}.mvt?v={version}"
        )])
    );
    assert_eq!(tj["minzoom"], 0);
    assert_eq!(tj["maxzoom"], 22);
    let bounds: Vec<f64> = tj["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert_eq!(bounds, [120.0, 29.0, 120.1, 29.1]);
    assert_eq!(tj["vector_layers"][1]["id"], "grid-labels");
    assert_eq!(tj["vector_layers"][1]["minzoom"], 12);
    let vl = &tj["vector_layers"][0];
    assert_eq!(vl["id"], "grids");
    for field in ["code", "name", "kind", "parent_code"] {
        assert_eq!(vl["fields"][field], "String", "{field}");
    }
    for field in ["households", "population"] {
        assert_eq!(vl["fields"][field], "Number", "{field}");
    }

    let (status, _, _) = get(
        app,
        "/tiles/grids.json",
        &[("host", "map.test:8080"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Behind a proxy: its scheme and host.
    let (_, _, body) = get(
        app,
        "/tiles/events.json",
        &[
            ("host", "10.0.0.2:8080"),
            ("x-forwarded-host", "map.example.org"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    let tj: Value = serde_json::from_slice(&body).expect("JSON");
    let url = tj["tiles"][0].as_str().expect("a URL");
    assert!(
        url.starts_with("https://map.example.org/tiles/events/"),
        "{url}"
    );
    assert_eq!(tj["vector_layers"][0]["fields"]["reported_at"], "String");

    // After a write, the URL carries the new version.
    let (status, _, reply) = app
        .call(
            "DELETE",
            &format!("/api/v1/grids/{MICRO_A}"),
            Some(Role::Planner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (status, _, body) = get(
        app,
        "/tiles/grids.json",
        &[("host", "map.test:8080"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tj: Value = serde_json::from_slice(&body).expect("JSON");
    let url = tj["tiles"][0].as_str().expect("a URL");
    assert!(url.ends_with(&format!("?v={}", version + 1)), "{url}");
}
both_backends!(
    tilejson,
    tilejson_names_versioned_absolute_urls_bounds_and_fields
);

/// Below z13 the cameras layer holds count bubbles: every camera counts in exactly one cluster
/// of one tile, with its status, and a cluster sits at its cameras' mean position.
async fn cameras_cluster_below_z13_and_every_camera_counts_once(app: &TestApp) {
    // 60 more cameras on a 6 × 10 lattice over the fixture village; every fifth offline, every
    // seventh at fault.
    let mut items = Vec::new();
    for i in 0..60u32 {
        let lon = 120.005 + 0.015 * f64::from(i % 6);
        let lat = 29.005 + 0.009 * f64::from(i / 6);
        let status = if i % 5 == 0 {
            "offline"
        } else if i % 7 == 0 {
            "fault"
        } else {
            "online"
        };
        let f: geojson::Feature = serde_json::from_value(json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"code": format!("3307830000132001{i:04}"), "range_m": 50.0, "kind": "ptz", "status": status}}))
        .expect("feature");
        items.push(
            safegrid::domain::AnyItem::from_feature(safegrid::domain::Layer::Camera, &f)
                .expect("camera"),
        );
    }
    app.service.import(items).await.expect("import");
    let (want_offline, want_fault) = (12, 7);
    for z in [8u32, 10, 12] {
        let (x0, y0) = (tile_of(z, 120.0, 29.1).1, tile_of(z, 120.0, 29.1).2);
        let (x1, y1) = (tile_of(z, 120.1, 29.0).1, tile_of(z, 120.1, 29.0).2);
        let (mut count, mut offline, mut fault, mut features) = (0, 0, 0, 0);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let (status, _, body) = get(app, &tile_uri("cameras", (z, x, y)), &[]).await;
                if status == StatusCode::NO_CONTENT {
                    continue;
                }
                let layers = decode(&body);
                for f in &layers[0].features {
                    let props = layers[0].props(f);
                    let n = |k: &str| match props[k] {
                        Val::Uint(v) => v,
                        ref other => panic!("{k}: {other:?}"),
                    };
                    assert_eq!(n("point_count"), n("online") + n("offline") + n("fault"));
                    assert_eq!(f.id, None);
                    count += n("point_count");
                    offline += n("offline");
                    fault += n("fault");
                    features += 1;
                }
            }
        }
        assert_eq!(count, 61, "z{z}: every camera once");
        assert_eq!((offline, fault), (want_offline, want_fault), "z{z}");
        assert!(features < 61, "z{z}: {features} clusters for 61 cameras");
    }
    // At z13 they are cameras again, one feature each.
    let tile = tile_of(13, 120.02, 29.05);
    let layer = fetch_layer(app, "cameras", tile).await;
    assert!(
        layer
            .features
            .iter()
            .all(|f| !layer.props(f).contains_key("point_count"))
    );
}
both_backends!(
    camera_clusters,
    cameras_cluster_below_z13_and_every_camera_counts_once
);

async fn events_are_heat_cells_below_z14_and_every_event_counts_once(app: &TestApp) {
    // 500 events in three tight clusters and a scatter over the fixture village.
    let mut next = crate::common::uniform(41);
    let mut items = Vec::new();
    for i in 0..500u32 {
        let (lon, lat) = match i % 4 {
            0 => (120.02 + 0.0005 * next(), 29.02 + 0.0005 * next()),
            1 => (120.07 + 0.0005 * next(), 29.08 + 0.0005 * next()),
            2 => (120.05 + 0.0002 * next(), 29.05 + 0.0002 * next()),
            _ => (120.0 + 0.1 * next(), 29.0 + 0.1 * next()),
        };
        let f: geojson::Feature = serde_json::from_value(json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": format!("EV{i:04}"), "category": "theft", "status": "reported",
                           "occurred_at": "2026-11-01T10:00:00Z", "reported_at": "2026-11-01T10:05:00Z"}}))
        .expect("feature");
        items.push(
            safegrid::domain::AnyItem::from_feature(safegrid::domain::Layer::Event, &f)
                .expect("event"),
        );
    }
    app.service.import(items).await.expect("import");
    for z in [9u32, 11, 13] {
        let (x0, y0) = (tile_of(z, 120.0, 29.1).1, tile_of(z, 120.0, 29.1).2);
        let (x1, y1) = (tile_of(z, 120.1, 29.0).1, tile_of(z, 120.1, 29.0).2);
        let (mut count, mut features) = (0, 0);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let (status, _, body) = get(app, &tile_uri("events", (z, x, y)), &[]).await;
                if status == StatusCode::NO_CONTENT {
                    continue;
                }
                let layers = decode(&body);
                for f in &layers[0].features {
                    let props = layers[0].props(f);
                    let Val::Uint(n) = props["count"] else {
                        panic!("a heat cell has a count: {props:?}");
                    };
                    assert_eq!(props.len(), 1, "a heat cell carries only its count");
                    assert_eq!(f.id, None);
                    count += n;
                    features += 1;
                }
            }
        }
        assert_eq!(count, 500, "z{z}: every event once");
        assert!(features < 500, "z{z}: {features} cells for 500 events");
    }
    // At z14 they are events again, one feature each, with their properties.
    let tile = tile_of(14, 120.05, 29.05);
    let layer = fetch_layer(app, "events", tile).await;
    assert!(!layer.features.is_empty());
    assert!(layer.features.iter().all(|f| {
        let props = layer.props(f);
        !props.contains_key("count") && props.contains_key("category")
    }));
}
both_backends!(
    event_heat_cells,
    events_are_heat_cells_below_z14_and_every_event_counts_once
);

/// Roads thin out as the map zooms out: 人民路 (primary) is drawn from z8, a lane only from
/// z13, each with its name and class.
async fn roads_thin_out_by_class(app: &TestApp) {
    let lane = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[120.01, 29.02], [120.04, 29.02]]},
        "properties": {"id": "RD2", "name": "东街一巷", "class": "residential", "oneway": "yes"}});
    let (status, _, body) = app
        .call("POST", "/api/v1/roads", Some(Role::Planner), Some(lane))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ids = |layer: &MvtLayer| -> Vec<String> {
        let mut ids: Vec<String> = layer
            .features
            .iter()
            .map(|f| layer.props(f)["id"].str().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let city = fetch_layer(app, "roads", tile_of(10, 120.03, 29.03)).await;
    assert_eq!(ids(&city), ["RD1"], "only the main road at z10");
    let (_, renmin) = city.find("id", "RD1").expect("人民路");
    assert_eq!(renmin["name"].str(), "人民路");
    assert_eq!(renmin["class"].str(), "primary");
    let street = fetch_layer(app, "roads", tile_of(13, 120.05, 29.02)).await;
    assert_eq!(ids(&street), ["RD1", "RD2"]);
    let (_, lane) = street.find("id", "RD2").expect("the lane");
    assert_eq!(lane["oneway"].str(), "yes");
    assert!(
        !street
            .find("id", "RD1")
            .expect("人民路")
            .1
            .contains_key("oneway"),
        "two-way roads say nothing"
    );
}
both_backends!(road_tiles, roads_thin_out_by_class);
