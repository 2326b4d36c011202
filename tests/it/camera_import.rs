//! Bulk camera registration (issue 4): CSV and XLSX with Chinese headers or an explicit column
//! map, GCJ-02 input, GB/T 28181 code checks (numbers, city, type), duplicate codes and near
//! duplicates, dry runs, one transaction, OSM surveillance GeoJSON with defaults, and the CLI
//! with `--map` and a saved profile. XLSX fixtures are written here by hand (a zip of XML).

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use safegrid::domain::Role;
use safegrid::spatial::crs::{Crs, to_wgs84};

use crate::both_backends;
use crate::common::{CAMERA, TestApp, token_for};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A cell of a hand-written sheet.
enum X<'a> {
    S(&'a str),
    N(f64),
}

fn column(i: usize) -> char {
    char::from(b'A' + u8::try_from(i).expect("few columns"))
}

/// A minimal XLSX workbook with one sheet `name`: strings inline, numbers as numbers.
fn xlsx(name: &str, rows: &[Vec<X<'_>>]) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        let _ = write!(sheet, r#"<row r="{}">"#, r + 1);
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", column(c), r + 1);
            match cell {
                X::S(s) => {
                    let _ = write!(
                        sheet,
                        r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                        esc(s)
                    );
                }
                X::N(n) => {
                    let _ = write!(sheet, r#"<c r="{at}"><v>{n:?}</v></c>"#);
                }
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
                esc(name)
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in files {
        writer.start_file(path, options).expect("start");
        writer.write_all(text.as_bytes()).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

async fn import(app: &TestApp, query: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/cameras/import?{query}"))
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", token_for(Role::Admin)),
        )
        .body(Body::from(body))
        .expect("request");
    let (status, _, value) = app.send(req).await;
    (status.as_u16(), value)
}

async fn camera(app: &TestApp, code: &str) -> Option<Value> {
    let (status, _, value) = app
        .call("GET", &format!("/api/v1/cameras/{code}"), None, None)
        .await;
    (status == 200).then_some(value)
}

fn reasons(report: &Value) -> String {
    report["bad"].to_string()
}

const C1: &str = "33078300001320000101";
const C2: &str = "33078300001310000102";

fn header_row() -> Vec<X<'static>> {
    [
        "设备编码",
        "点位名称",
        "经度",
        "纬度",
        "方向角",
        "摄像机类型",
        "在线状态",
        "备注",
    ]
    .into_iter()
    .map(X::S)
    .collect()
}

async fn xlsx_with_chinese_headers_is_mapped_and_reviewed(app: &TestApp) {
    // Chinese headers recognised, Chinese enum values, an unknown column ignored.
    let book = xlsx(
        "点位",
        &[
            header_row(),
            vec![
                X::S(C1),
                X::S("东街口"),
                X::N(120.03),
                X::N(29.03),
                X::N(90.0),
                X::S("枪机"),
                X::S("离线"),
                X::S("x"),
            ],
            vec![
                X::S(C2),
                X::S("西街口"),
                X::N(120.04),
                X::N(29.04),
                X::N(0.0),
                X::S("球机"),
                X::S("在线"),
                X::S(""),
            ],
        ],
    );
    let (status, report) = import(app, "format=xlsx&dry_run=true", XLSX, book.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], 2);
    assert_eq!(report["imported"], 0);
    assert!(camera(app, C1).await.is_none(), "a dry run imports nothing");
    let (status, report) = import(app, "", XLSX, book).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 2);
    let c1 = camera(app, C1).await.expect("imported");
    assert_eq!(c1["properties"]["status"], "offline");
    assert_eq!(c1["properties"]["kind"], "fixed");
    assert_eq!(c1["properties"]["range_m"], 50.0, "the documented default");
    let c2 = camera(app, C2).await.expect("imported");
    assert_eq!(c2["properties"]["kind"], "ptz");

    // Bad rows, each with its spreadsheet row (header = row 1): a code stored as a number, a
    // code of another city, a type code that is no camera, one code twice.
    let book = xlsx(
        "Sheet1",
        &[
            header_row(),
            vec![
                X::N(3.307_830_000_132e19),
                X::S("数字编码"),
                X::N(120.03),
                X::N(29.03),
            ],
            vec![
                X::S("33010200001320000001"),
                X::S("杭州"),
                X::N(120.03),
                X::N(29.03),
            ],
            vec![
                X::S("33078300001180000001"),
                X::S("门禁"),
                X::N(120.03),
                X::N(29.03),
            ],
            vec![
                X::S("33078300001320000201"),
                X::S("甲"),
                X::N(120.05),
                X::N(29.05),
            ],
            vec![
                X::S("33078300001320000201"),
                X::S("乙"),
                X::N(120.06),
                X::N(29.06),
            ],
            vec![
                X::S("33078300001320000202"),
                X::S("好"),
                X::N(120.07),
                X::N(29.07),
            ],
        ],
    );
    let (status, report) = import(app, "format=xlsx", XLSX, book).await;
    assert_eq!(status, 422, "{report}");
    let bad = reasons(&report);
    assert!(
        bad.contains(r#""at":"row 2""#)
            && bad.contains("stored as a number")
            && bad.contains("format the column as text"),
        "{bad}"
    );
    assert!(
        bad.contains(r#""at":"row 3""#) && bad.contains("outside the city"),
        "{bad}"
    );
    assert!(
        bad.contains(r#""at":"row 4""#) && bad.contains("not a camera"),
        "{bad}"
    );
    assert!(
        bad.contains("is also on row 6") && bad.contains("is also on row 5"),
        "{bad}"
    );
    assert_eq!(report["bad"].as_array().map(Vec::len), Some(5));
    assert_eq!(report["imported"], 0);
    assert!(
        camera(app, "33078300001320000202").await.is_none(),
        "one transaction: the good row is not imported either"
    );
}
both_backends!(
    xlsx_chinese_headers,
    xlsx_with_chinese_headers_is_mapped_and_reviewed
);

async fn csv_with_a_map_in_gcj02_and_near_duplicates(app: &TestApp) {
    let csv = "编号,X,Y,朝向,距离\n\
               33078300001320000301,120.0246,29.0270,91,80\n";
    // 距离 is no known header: without the map the row takes the default range.
    let (status, report) = import(
        app,
        "format=csv&crs=gcj02&map=code:%E7%BC%96%E5%8F%B7,lon:X,lat:Y,range_m:%E8%B7%9D%E7%A6%BB",
        "text/csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let c = camera(app, "33078300001320000301").await.expect("imported");
    assert_eq!(c["properties"]["range_m"], 80.0);
    let (lon, lat) = to_wgs84(Crs::Gcj02, 120.0246, 29.0270);
    let at = &c["geometry"]["coordinates"];
    assert!((at[0].as_f64().expect("lon") - lon).abs() < 1e-9, "{at}");
    assert!((at[1].as_f64().expect("lat") - lat).abs() < 1e-9, "{at}");

    // A camera 0.3 m east of the one just imported (azimuth 91) looking 93°: a near
    // duplicate, a warning. The fixture camera's code: replaced, reported.
    let near_lon = lon + 0.3 / (111_320.0 * lat.to_radians().cos());
    let csv = format!(
        "code,lon,lat,azimuth_deg\n33078300001320000302,{near_lon},{lat},93\n{CAMERA},120.08,29.08,90\n"
    );
    let (status, report) =
        import(app, "format=csv&dry_run=true", "text/csv", csv.into_bytes()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["replaces"], json!([CAMERA]));
    let dups = report["duplicates"].as_array().expect("duplicates");
    assert_eq!(dups.len(), 1, "{report}");
    assert_eq!(dups[0]["at"], "layer");
    assert_eq!(dups[0]["code"], "33078300001320000301");
    assert_eq!(dups[0]["other_at"], "line 2");
    assert!(dups[0]["distance_m"].as_f64().expect("m") < 0.5, "{report}");

    // A mapped column that is not in the file.
    let (status, report) = import(
        app,
        "format=csv&map=code:nope",
        "text/csv",
        b"code,lon,lat\n".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{report}");
}
both_backends!(
    csv_map_gcj02_duplicates,
    csv_with_a_map_in_gcj02_and_near_duplicates
);

async fn osm_surveillance_nodes_take_defaults(app: &TestApp) {
    let osm = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.01, 29.01]},
         "properties": {"man_made": "surveillance", "surveillance:zone": "street", "camera:type": "fixed",
                        "camera:direction": "NE", "ref": "33078300001320000401"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.015, 29.01]},
         "properties": {"tags": {"man_made": "surveillance", "camera:type": "dome", "height": "7 m",
                        "surveillance:ref": "33078300001320000402", "name": "路口球机"}}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.02, 29.01]},
         "properties": {"man_made": "surveillance"}},
    ]});
    let (status, report) = import(
        app,
        "format=osm",
        "application/geo+json",
        osm.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{report}");
    assert!(
        reasons(&report).contains("feature 3") && reasons(&report).contains("surveillance:ref"),
        "{report}"
    );

    let mut osm = osm;
    osm["features"].as_array_mut().expect("features").pop();
    let (status, report) = import(
        app,
        "format=osm",
        "application/geo+json",
        osm.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let fixed = camera(app, "33078300001320000401").await.expect("imported");
    let p = &fixed["properties"];
    assert_eq!(
        (p["azimuth_deg"].clone(), p["hfov_deg"].clone()),
        (json!(45.0), json!(90.0))
    );
    assert_eq!(
        (p["height_m"].clone(), p["range_m"].clone()),
        (json!(5.0), json!(50.0))
    );
    assert_eq!(
        (p["status"].clone(), p["name"].clone()),
        (json!("online"), json!("OSM street"))
    );
    let dome = camera(app, "33078300001320000402").await.expect("imported");
    let p = &dome["properties"];
    assert_eq!(
        (p["kind"].clone(), p["hfov_deg"].clone()),
        (json!("ptz"), json!(360.0))
    );
    assert_eq!(p["height_m"], 7.0);
}
both_backends!(osm_defaults, osm_surveillance_nodes_take_defaults);

#[test]
fn cli_imports_xlsx_with_a_map_and_a_saved_profile() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("safegrid-camimp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("cli.db");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_safegrid"))
            .args(args)
            .current_dir(&dir)
            .env("DATABASE_URL", format!("sqlite:{}", db.display()))
            .env("RUST_LOG", "warn")
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let book = xlsx(
        "台账",
        &[
            vec![X::S("编号"), X::S("东经"), X::S("北纬"), X::S("类型")],
            vec![
                X::S("33078300001320000501"),
                X::N(120.03),
                X::N(29.03),
                X::S("半球"),
            ],
            vec![X::S("bad"), X::N(120.03), X::N(29.03), X::S("枪机")],
        ],
    );
    let file = dir.join("cams.xlsx");
    std::fs::write(&file, book).expect("write");
    let file = file.to_str().expect("path");
    let (code, out) = run(&[
        "import",
        "cameras",
        file,
        "--map",
        "code=编号,lon=东经,lat=北纬,kind=类型",
        "--save-profile",
        "county",
        "--dry-run",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 3: code"), "{out}");
    assert!(out.contains("nothing imported"), "{out}");
    assert!(
        dir.join("data/import-profiles/county.json").exists(),
        "{out}"
    );

    let book = xlsx(
        "台账",
        &[
            vec![X::S("编号"), X::S("东经"), X::S("北纬"), X::S("类型")],
            vec![
                X::S("33078300001320000501"),
                X::N(120.03),
                X::N(29.03),
                X::S("半球"),
            ],
        ],
    );
    std::fs::write(dir.join("cams.xlsx"), book).expect("write");
    let (code, out) = run(&["import", "cameras", file, "--profile", "county"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported 1 cameras"), "{out}");
    let (_, out) = run(&["export", "cameras", "--format", "csv"]);
    assert!(
        out.contains("33078300001320000501") && out.contains("ptz"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
