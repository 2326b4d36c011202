//! Zipped ESRI shapefiles imported over HTTP and from the command line. The shapefiles are
//! written here, byte by byte, by a small SHP/SHX/DBF writer that follows the ESRI whitepaper
//! and dBASE III: polygon grids with a hole (winding and hole grouping checked through the
//! stored geometry and point location), cameras with GBK names declared by a `.cpg` or by the
//! dBASE language driver, a dry run with bad records, a projected `.prj`, a missing `.dbf`,
//! several shapefiles in one zip and GCJ-02 coordinates.

use std::io::{Cursor, Write as _};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::spatial::crs::{Crs, to_wgs84};

use crate::both_backends;
use crate::common::{GRID_A, GRID_B, TestApp, token_for};

const PROBLEM: &str = "application/problem+json";

/// One record's shape, as ESRI stores it (polygon rings: outer clockwise, holes anticlockwise).
#[derive(Clone)]
enum Shape {
    Null,
    Point(f64, f64),
    MultiPoint(Vec<[f64; 2]>),
    Polygon(Vec<Vec<[f64; 2]>>),
}

impl Shape {
    fn kind(&self) -> i32 {
        match self {
            Shape::Null => 0,
            Shape::Point(..) => 1,
            Shape::MultiPoint(_) => 8,
            Shape::Polygon(_) => 5,
        }
    }

    /// The record content, shape type included.
    fn content(&self) -> Vec<u8> {
        let mut out = self.kind().to_le_bytes().to_vec();
        let n = |v: usize| i32::try_from(v).expect("count").to_le_bytes();
        let put = |out: &mut Vec<u8>, [x, y]: [f64; 2]| {
            out.extend(x.to_le_bytes());
            out.extend(y.to_le_bytes());
        };
        match self {
            Shape::Null => {}
            Shape::Point(x, y) => put(&mut out, [*x, *y]),
            Shape::MultiPoint(points) => {
                out.extend(bbox(points));
                out.extend(n(points.len()));
                for p in points {
                    put(&mut out, *p);
                }
            }
            Shape::Polygon(rings) => {
                let all: Vec<[f64; 2]> = rings.iter().flatten().copied().collect();
                out.extend(bbox(&all));
                out.extend(n(rings.len()));
                out.extend(n(all.len()));
                let mut start = 0;
                for ring in rings {
                    out.extend(n(start));
                    start += ring.len();
                }
                for p in &all {
                    put(&mut out, *p);
                }
            }
        }
        out
    }
}

fn bbox(points: &[[f64; 2]]) -> Vec<u8> {
    let fold =
        |f: fn(f64, f64) -> f64, i: usize, init: f64| points.iter().map(|p| p[i]).fold(init, f);
    [
        fold(f64::min, 0, f64::INFINITY),
        fold(f64::min, 1, f64::INFINITY),
        fold(f64::max, 0, f64::NEG_INFINITY),
        fold(f64::max, 1, f64::NEG_INFINITY),
    ]
    .iter()
    .flat_map(|v| v.to_le_bytes())
    .collect()
}

/// The `.shp` and `.shx` of `shapes` (the header's shape type is the first non-null one).
fn shp_and_shx(shapes: &[Shape]) -> (Vec<u8>, Vec<u8>) {
    let kind = shapes
        .iter()
        .map(Shape::kind)
        .find(|&k| k != 0)
        .unwrap_or(0);
    let header = |len_bytes: usize| {
        let mut h = 9994i32.to_be_bytes().to_vec();
        h.resize(24, 0);
        h.extend(i32::try_from(len_bytes / 2).expect("len").to_be_bytes());
        h.extend(1000i32.to_le_bytes());
        h.extend(kind.to_le_bytes());
        h.resize(100, 0);
        h
    };
    let contents: Vec<Vec<u8>> = shapes.iter().map(Shape::content).collect();
    let shp_len = 100 + contents.iter().map(|c| 8 + c.len()).sum::<usize>();
    let mut shp = header(shp_len);
    let mut shx = header(100 + 8 * shapes.len());
    for (i, content) in contents.iter().enumerate() {
        let words = |v: usize| i32::try_from(v / 2).expect("words").to_be_bytes();
        shx.extend(words(shp.len()));
        shx.extend(words(content.len()));
        shp.extend(i32::try_from(i + 1).expect("n").to_be_bytes());
        shp.extend(words(content.len()));
        shp.extend(content);
    }
    (shp, shx)
}

/// A dBASE III table: `fields` are (name, type, width), cells are text already encoded.
fn dbf(ldid: u8, fields: &[(&str, u8, u8)], rows: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let record_len = 1 + fields.iter().map(|f| usize::from(f.2)).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    let mut out = vec![0x03, 126, 11, 25];
    out.extend(u32::try_from(rows.len()).expect("rows").to_le_bytes());
    out.extend(u16::try_from(header_len).expect("header").to_le_bytes());
    out.extend(u16::try_from(record_len).expect("record").to_le_bytes());
    out.resize(32, 0);
    out[29] = ldid;
    for (name, kind, width) in fields {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = *kind;
        d[16] = *width;
        out.extend(d);
    }
    out.push(0x0D);
    for row in rows {
        out.push(b' ');
        for ((_, kind, width), cell) in fields.iter().zip(row) {
            let width = usize::from(*width);
            assert!(cell.len() <= width, "cell wider than its field");
            let pad = vec![b' '; width - cell.len()];
            // Numbers are right-aligned, text left-aligned, as dBASE writes them.
            if *kind == b'N' {
                out.extend(&pad);
                out.extend(cell);
            } else {
                out.extend(cell);
                out.extend(&pad);
            }
        }
    }
    out.push(0x1A);
    out
}

/// A zip of `(name, bytes)`, deflated.
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        writer.start_file(*name, options).expect("start");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn utf8(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const CGCS2000_PRJ: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const GAUSS_KRUGER_PRJ: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

/// Camera columns; `azimuth_de` is how dBASE's 10-character names cut `azimuth_deg`.
const CAMERA_FIELDS: [(&str, u8, u8); 6] = [
    ("code", b'C', 20),
    ("name", b'C', 40),
    ("azimuth_de", b'N', 6),
    ("hfov_deg", b'N', 6),
    ("range_m", b'N', 8),
    ("kind", b'C', 8),
];

/// A camera row: code, name (encoded by `encode`), azimuth, 60° wide, 80 m, fixed.
fn camera_row(code: &str, name: &str, azimuth: &str, encode: fn(&str) -> Vec<u8>) -> Vec<Vec<u8>> {
    vec![
        utf8(code),
        encode(name),
        utf8(azimuth),
        utf8("60"),
        utf8("80.0"),
        utf8("fixed"),
    ]
}

/// A zipped shapefile (in a folder, Chinese file names) of cameras `(code, name, shape)`, names
/// encoded by `encode`, with `extra` files.
fn cameras_zip(
    cameras: &[(&str, &str, Shape)],
    ldid: u8,
    encode: fn(&str) -> Vec<u8>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let shapes: Vec<Shape> = cameras.iter().map(|c| c.2.clone()).collect();
    let (shp, shx) = shp_and_shx(&shapes);
    let rows: Vec<Vec<Vec<u8>>> = cameras
        .iter()
        .map(|(code, name, _)| camera_row(code, name, "90", encode))
        .collect();
    let table = dbf(ldid, &CAMERA_FIELDS, &rows);
    let mut files: Vec<(&str, &[u8])> = vec![
        ("cameras/摄像机.shp", &shp),
        ("cameras/摄像机.shx", &shx),
        ("cameras/摄像机.dbf", &table),
    ];
    files.extend_from_slice(extra);
    zip_of(&files)
}

/// `POST uri` with a zip body as a planner.
fn upload_zip(uri: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", token_for(Role::Planner)),
        )
        .body(Body::from(body))
        .expect("request")
}

async fn camera_count(app: &TestApp) -> u64 {
    let (_, _, list) = app.call("GET", "/api/v1/cameras", None, None).await;
    list["numberMatched"].as_u64().expect("numberMatched")
}

/// Twice the signed area of a GeoJSON ring: positive when counter-clockwise.
fn signed_area2(ring: &Value) -> f64 {
    let points: Vec<(f64, f64)> = ring
        .as_array()
        .expect("ring")
        .iter()
        .map(|p| (p[0].as_f64().expect("x"), p[1].as_f64().expect("y")))
        .collect();
    points
        .iter()
        .zip(points.iter().cycle().skip(1))
        .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
        .sum()
}

/// The code of the grid that holds a point, if any.
async fn grid_at(app: &TestApp, lon: f64, lat: f64) -> Option<String> {
    let (status, _, answer) = app
        .call(
            "GET",
            &format!("/api/v1/locate?lon={lon}&lat={lat}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["grid"]["code"].as_str().map(str::to_owned)
}

async fn polygon_grids_with_a_hole_keep_it_with_rfc7946_winding(app: &TestApp) {
    // Grid B gets a hole, wound anticlockwise and listed before its outer ring: the reader must
    // group it by containment, not by order. Grid A is a plain clockwise square.
    let a_outer = vec![
        [120.0, 29.0],
        [120.0, 29.1],
        [120.05, 29.1],
        [120.05, 29.0],
        [120.0, 29.0],
    ];
    let b_outer = vec![
        [120.05, 29.0],
        [120.05, 29.1],
        [120.1, 29.1],
        [120.1, 29.0],
        [120.05, 29.0],
    ];
    let b_hole = vec![
        [120.07, 29.04],
        [120.08, 29.04],
        [120.08, 29.06],
        [120.07, 29.06],
        [120.07, 29.04],
    ];
    let (shp, shx) = shp_and_shx(&[
        Shape::Polygon(vec![a_outer]),
        Shape::Polygon(vec![b_hole, b_outer]),
    ]);
    let fields = [
        ("CODE", b'C', 15),
        ("NAME", b'C', 60),
        ("KIND", b'C', 12),
        ("HOUSEHOLDS", b'N', 10),
        ("POPULATION", b'N', 10),
    ];
    let rows = vec![
        vec![
            utf8(GRID_A),
            utf8("东街社区第1网格"),
            utf8("residential"),
            utf8("120"),
            utf8(""),
        ],
        vec![
            utf8(GRID_B),
            utf8("东街社区第2网格（有空洞）"),
            utf8("residential"),
            utf8(""),
            utf8("300"),
        ],
    ];
    let table = dbf(0, &fields, &rows);
    let zip = zip_of(&[
        ("grids.shp", &shp),
        ("grids.shx", &shx),
        ("grids.dbf", &table),
        ("grids.cpg", b"UTF-8"),
        ("grids.prj", CGCS2000_PRJ.as_bytes()),
    ]);
    let (status, _, report) = app
        .send(upload_zip(
            "/api/v1/grids/import?format=shapefile",
            "application/octet-stream",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"layer": "grids", "rows": 2, "valid": 2, "bad": [], "imported": 2, "dry_run": false})
    );

    let (status, _, b) = app
        .call("GET", &format!("/api/v1/grids/{GRID_B}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["properties"]["name"], "东街社区第2网格（有空洞）");
    assert_eq!(b["properties"]["households"], 0, "a blank number is absent");
    assert_eq!(b["properties"]["population"], 300);
    assert_eq!(b["geometry"]["type"], "Polygon");
    let rings = b["geometry"]["coordinates"].as_array().expect("rings");
    assert_eq!(rings.len(), 2, "the hole stays with its outer ring: {b}");
    assert!(
        signed_area2(&rings[0]) > 0.0,
        "outer ring counter-clockwise"
    );
    assert!(signed_area2(&rings[1]) < 0.0, "hole clockwise");
    let (_, _, a) = app
        .call("GET", &format!("/api/v1/grids/{GRID_A}"), None, None)
        .await;
    assert_eq!(a["properties"]["households"], 120);
    assert!(signed_area2(&a["geometry"]["coordinates"][0]) > 0.0);

    assert_eq!(grid_at(app, 120.075, 29.05).await, None, "in the hole");
    assert_eq!(grid_at(app, 120.09, 29.05).await.as_deref(), Some(GRID_B));
}
both_backends!(
    grids_with_a_hole,
    polygon_grids_with_a_hole_keep_it_with_rfc7946_winding
);

const CAM_1: &str = "33078300001320000031";
const CAM_2: &str = "33078300001320000032";

async fn gbk_names_are_read_from_cpg_and_from_the_language_driver(app: &TestApp) {
    let cameras = [
        (CAM_1, "东街路口东", Shape::Point(120.03, 29.05)),
        (
            CAM_2,
            "吴宁派出所门口",
            Shape::MultiPoint(vec![[120.04, 29.06]]),
        ),
    ];
    // The .cpg says GBK; the language driver says nothing.
    let zip = cameras_zip(&cameras, 0, gbk, &[("cameras/摄像机.cpg", b"GBK\r\n")]);
    let (status, _, report) = app
        .send(upload_zip("/api/v1/cameras/import", "application/zip", zip))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2);
    let (_, _, one) = app
        .call("GET", &format!("/api/v1/cameras/{CAM_1}"), None, None)
        .await;
    assert_eq!(one["properties"]["name"], "东街路口东");
    assert_eq!(one["properties"]["azimuth_deg"], 90.0);
    assert_eq!(one["properties"]["range_m"], 80.0);
    assert_eq!(one["geometry"]["coordinates"], json!([120.03, 29.05]));
    let (_, _, two) = app
        .call("GET", &format!("/api/v1/cameras/{CAM_2}"), None, None)
        .await;
    assert_eq!(two["properties"]["name"], "吴宁派出所门口");
    assert_eq!(two["geometry"]["coordinates"], json!([120.04, 29.06]));

    // No .cpg: the dBASE language driver 0x4D (code page 936) says GBK. Renamed to see the
    // second import win.
    let renamed = [
        (CAM_1, "东街路口西", Shape::Point(120.03, 29.05)),
        (CAM_2, "吴宁派出所后门", Shape::Point(120.04, 29.06)),
    ];
    let zip = cameras_zip(&renamed, 0x4D, gbk, &[]);
    let (status, _, report) = app
        .send(upload_zip(
            "/api/v1/cameras/import?format=zip",
            "application/x-zip-compressed",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, _, one) = app
        .call("GET", &format!("/api/v1/cameras/{CAM_2}"), None, None)
        .await;
    assert_eq!(one["properties"]["name"], "吴宁派出所后门");

    // Neither: GBK bytes are not UTF-8, and the report says to add a .cpg.
    let zip = cameras_zip(&renamed, 0, gbk, &[]);
    let (status, ctype, problem) = app
        .send(upload_zip(
            "/api/v1/cameras/import?format=shp&dry_run=true",
            "application/zip",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(ctype, PROBLEM);
    assert_eq!(problem["bad"][0]["at"], "record 1");
    let reason = problem["bad"][0]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("name") && reason.contains(".cpg"),
        "{reason}"
    );
}
both_backends!(
    gbk_names,
    gbk_names_are_read_from_cpg_and_from_the_language_driver
);

async fn dry_run_lists_bad_records_by_number_and_writes_nothing(app: &TestApp) {
    let before = camera_count(app).await;
    let shapes = [
        Shape::Point(120.03, 29.05),
        Shape::Null,
        Shape::Point(120.03, 29.05),
        Shape::MultiPoint(vec![[120.03, 29.05], [120.04, 29.05]]),
    ];
    let (shp, shx) = shp_and_shx(&shapes);
    let rows = vec![
        camera_row("33078300001320000041", "好点位", "90", utf8),
        camera_row("33078300001320000042", "没有位置", "90", utf8),
        camera_row("33078300001320000043", "坏方位", "400", utf8),
        camera_row("33078300001320000044", "两个点", "90", utf8),
    ];
    let table = dbf(0, &CAMERA_FIELDS, &rows);
    let zip = zip_of(&[("c.shp", &shp), ("c.shx", &shx), ("c.dbf", &table)]);
    let (status, ctype, problem) = app
        .send(upload_zip(
            "/api/v1/cameras/import?format=shapefile&dry_run=true",
            "application/zip",
            zip.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(ctype, PROBLEM);
    assert_eq!(problem["rows"], 4);
    assert_eq!(problem["valid"], 1);
    assert_eq!(problem["imported"], 0);
    assert_eq!(problem["dry_run"], true);
    let bad = problem["bad"].as_array().expect("bad");
    let at: Vec<&str> = bad.iter().filter_map(|b| b["at"].as_str()).collect();
    assert_eq!(at, ["record 2", "record 3", "record 4"], "{problem}");
    let reason = |i: usize| bad[i]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason(0).contains("null shape"), "{problem}");
    assert!(reason(1).contains("azimuth"), "{problem}");
    assert!(reason(2).contains("2 points"), "{problem}");
    assert_eq!(camera_count(app).await, before);

    // Without the dry run the bad records still stop the whole file.
    let (status, _, _) = app
        .send(upload_zip(
            "/api/v1/cameras/import?format=shapefile",
            "application/zip",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(camera_count(app).await, before);

    // A valid dry run answers 200 and still writes nothing.
    let (shp, shx) = shp_and_shx(&shapes[..1]);
    let table = dbf(0, &CAMERA_FIELDS, &rows[..1]);
    let zip = zip_of(&[("c.shp", &shp), ("c.shx", &shx), ("c.dbf", &table)]);
    let (status, _, report) = app
        .send(upload_zip(
            "/api/v1/cameras/import?dry_run=true",
            "application/zip",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"layer": "cameras", "rows": 1, "valid": 1, "bad": [], "imported": 0, "dry_run": true})
    );
    assert_eq!(camera_count(app).await, before);
}
both_backends!(
    dry_run_bad_records,
    dry_run_lists_bad_records_by_number_and_writes_nothing
);

async fn a_gcj02_shapefile_is_stored_in_wgs84(app: &TestApp) {
    let (lon, lat) = (120.0546, 29.0476);
    let zip = cameras_zip(
        &[(CAM_1, "东街点位", Shape::Point(lon, lat))],
        0,
        utf8,
        &[("cameras/摄像机.prj", WGS84_PRJ.as_bytes())],
    );
    let (status, _, report) = app
        .send(upload_zip(
            "/api/v1/cameras/import?format=shapefile&crs=gcj02",
            "application/zip",
            zip,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, _, camera) = app
        .call("GET", &format!("/api/v1/cameras/{CAM_1}"), None, None)
        .await;
    let at = &camera["geometry"]["coordinates"];
    let (x, y) = (at[0].as_f64().expect("lon"), at[1].as_f64().expect("lat"));
    let (wx, wy) = to_wgs84(Crs::Gcj02, lon, lat);
    assert!((x - wx).abs() < 1e-9 && (y - wy).abs() < 1e-9, "{x},{y}");
    assert!((x - lon).abs() > 0.001, "converted");
}
both_backends!(gcj02_shapefile, a_gcj02_shapefile_is_stored_in_wgs84);

#[tokio::test]
async fn unreadable_shapefiles_are_refused_with_what_is_wrong() {
    let app = TestApp::start(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite");
    let cameras = [(CAM_1, "东街点位", Shape::Point(120.03, 29.05))];
    let refused = |uri: &'static str, zip: Vec<u8>| {
        let app = &app;
        async move {
            let (status, ctype, problem) = app.send(upload_zip(uri, "application/zip", zip)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
            assert_eq!(ctype, PROBLEM);
            assert_eq!(problem["field"], "body");
            problem["detail"].as_str().unwrap_or_default().to_owned()
        }
    };

    let projected = cameras_zip(
        &cameras,
        0,
        utf8,
        &[("cameras/摄像机.prj", GAUSS_KRUGER_PRJ.as_bytes())],
    );
    let detail = refused("/api/v1/cameras/import", projected).await;
    assert!(detail.contains("CGCS2000_3_Degree_GK_CM_120E"), "{detail}");
    assert!(detail.contains("longitude/latitude"), "{detail}");

    let (shp, shx) = shp_and_shx(&[Shape::Point(120.03, 29.05)]);
    let no_dbf = zip_of(&[("data/cams.shp", &shp), ("data/cams.shx", &shx)]);
    let detail = refused("/api/v1/cameras/import", no_dbf).await;
    assert!(
        detail.contains("data/cams.shp") && detail.contains(".dbf"),
        "{detail}"
    );

    let table = dbf(0, &CAMERA_FIELDS, &[camera_row(CAM_1, "东街", "90", utf8)]);
    let no_shp = zip_of(&[("cams.dbf", &table)]);
    let detail = refused("/api/v1/cameras/import", no_shp).await;
    assert!(detail.contains("no .shp"), "{detail}");

    let two = zip_of(&[
        ("a.shp", &shp),
        ("a.dbf", &table),
        ("b.shp", &shp),
        ("b.dbf", &table),
    ]);
    let detail = refused("/api/v1/cameras/import", two.clone()).await;
    assert!(
        detail.contains("a.shp, b.shp") && detail.contains("member="),
        "{detail}"
    );
    let (status, _, report) = app
        .send(upload_zip(
            "/api/v1/cameras/import?member=b&dry_run=true",
            "application/zip",
            two,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], 1);

    let detail = refused("/api/v1/cameras/import", b"not a zip at all".to_vec()).await;
    assert!(detail.contains("not a zip"), "{detail}");
    app.finish().await;
}

fn safegrid(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_safegrid"))
        .args(args)
        .env("DATABASE_URL", format!("sqlite:{}", db.display()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_imports_a_zip_and_a_loose_shp() {
    let dir = std::env::temp_dir().join(format!("safegrid-shp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("shp.db");

    let bad = cameras_zip(
        &[
            (CAM_1, "东街路口东", Shape::Point(120.03, 29.05)),
            (CAM_2, "没有位置", Shape::Null),
        ],
        0x4D,
        gbk,
        &[],
    );
    let bad_file = dir.join("bad.zip");
    std::fs::write(&bad_file, bad).expect("write");
    let path = |p: &std::path::Path| p.to_str().expect("path").to_owned();
    let (code, out, err) = safegrid(&db, &["import", "cameras", &path(&bad_file), "--dry-run"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("record 2") && err.contains("null shape"),
        "{err}"
    );
    assert!(err.contains("nothing imported"), "{err}");

    let good = cameras_zip(
        &[(CAM_1, "东街路口东", Shape::Point(120.03, 29.05))],
        0x4D,
        gbk,
        &[],
    );
    let good_file = dir.join("CAMERAS.ZIP");
    std::fs::write(&good_file, good).expect("write");
    let (code, out, err) = safegrid(&db, &["import", "cameras", &path(&good_file)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 1 cameras"), "{out}");

    // A loose .shp reads the .dbf and .cpg beside it.
    let (shp, _) = shp_and_shx(&[Shape::Point(120.04, 29.06)]);
    let table = dbf(
        0,
        &CAMERA_FIELDS,
        &[camera_row(CAM_2, "吴宁派出所门口", "90", gbk)],
    );
    std::fs::write(dir.join("loose.shp"), shp).expect("write");
    std::fs::write(dir.join("loose.DBF"), table).expect("write");
    std::fs::write(dir.join("loose.cpg"), "GB2312").expect("write");
    let (code, out, err) = safegrid(&db, &["import", "cameras", &path(&dir.join("loose.shp"))]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = safegrid(&db, &["export", "cameras", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("东街路口东") && out.contains("吴宁派出所门口"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
