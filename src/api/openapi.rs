//! The OpenAPI 3.1 document, generated from the code: paths from the same layer list the router
//! is built from, property schemas derived (schemars) from the domain types' serde definitions.
//! A test checks that every documented operation is routed.

use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::analysis::division::{CUT_DIRECTIONS, MAX_EVENT_WEIGHT, MAX_GRIDS};
use crate::analysis::placement::{
    ALGORITHM, DEFAULT_SPACING_M, EVENT_EPSILON, FIXED_AZIMUTHS, MAX_CELLS, MAX_HEIGHT_M, MAX_K,
    MAX_RANGE_M as PLACEMENT_MAX_RANGE_M, MAX_SITES, MIN_CELL_M, SPACING_LIMITS_M, TARGET_CELLS,
};
use crate::domain::{
    Building, Camera, CameraKind, CameraStatus, Duty, Event, Grid, KeyArea, KeyAreaCategory, Layer,
    Obstacle, PatrolRoute, Region, Road, Role, Worker,
};

use super::params::{DEFAULT_PAGE, MAX_PAGE};
use super::{MAX_BATCH_BODY_BYTES, MAX_BATCH_POINTS, MAX_BODY_BYTES};
use crate::io::shapefile::MAX_UNZIPPED_BYTES;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    json!(generator.root_schema_for::<T>())
}

fn properties_schema(layer: Layer, generator: &mut SchemaGenerator) -> Value {
    match layer {
        Layer::Region => schema_of::<Region>(generator),
        Layer::Grid => schema_of::<Grid>(generator),
        Layer::Worker => schema_of::<Worker>(generator),
        Layer::Camera => schema_of::<Camera>(generator),
        Layer::PatrolRoute => schema_of::<PatrolRoute>(generator),
        Layer::KeyArea => schema_of::<KeyArea>(generator),
        Layer::Event => schema_of::<Event>(generator),
        Layer::Building => schema_of::<Building>(generator),
        Layer::Obstacle => schema_of::<Obstacle>(generator),
        Layer::Road => schema_of::<Road>(generator),
    }
}

fn geometry_type(layer: Layer) -> &'static str {
    match layer {
        Layer::Region | Layer::Grid | Layer::KeyArea => "Polygon or MultiPolygon",
        Layer::PatrolRoute | Layer::Road => "LineString",
        Layer::Camera | Layer::Event | Layer::Building => "Point",
        Layer::Obstacle => "Polygon or MultiPolygon (a footprint), or LineString (a wall)",
        Layer::Worker => "null",
    }
}

fn problem() -> Value {
    json!({"description": "Problem (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn feature_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}Feature")})
}

fn layer_paths(layer: Layer, paths: &mut serde_json::Map<String, Value>) {
    let name = layer.table();
    let key = layer.key_field();
    let write_security = json!([{"bearer": []}]);
    paths.insert(
        format!("/api/v1/{}", layer.path()),
        json!({
            "get": {
                "operationId": format!("list_{name}"),
                "summary": format!("List {} as a GeoJSON FeatureCollection, sorted by {key}", layer.path()),
                "parameters": [
                    {"name": "bbox", "in": "query", "schema": {"type": "string"}, "description": "minLon,minLat,maxLon,maxLat (WGS84)"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}
                ],
                "responses": {"200": {"description": "FeatureCollection with numberMatched, numberReturned and links", "content": {"application/geo+json": {}}}, "400": problem()}
            },
            "post": {
                "operationId": format!("create_{name}"),
                "summary": format!("Create one item of {} (geometry: {})", layer.path(), geometry_type(layer)),
                "security": write_security,
                "requestBody": {"required": true, "content": {"application/json": {"schema": feature_ref(name)}}},
                "responses": {"201": {"description": "Created; grids carry `gaps` left in their community", "content": {"application/geo+json": {"schema": feature_ref(name)}}},
                              "400": problem(), "401": problem(), "403": problem(), "409": problem(), "422": problem()}
            }
        }),
    );
    paths.insert(
        format!("/api/v1/{}/{{key}}", layer.path()),
        json!({
            "parameters": [{"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "description": format!("the item's {key}")}],
            "get": {"operationId": format!("get_{name}"), "summary": "Get one item", "responses": {"200": {"description": "Feature", "content": {"application/geo+json": {"schema": feature_ref(name)}}}, "404": problem()}},
            "put": {"operationId": format!("replace_{name}"), "summary": "Replace one item", "security": write_security,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": feature_ref(name)}}},
                    "responses": {"200": {"description": "Replaced", "content": {"application/geo+json": {}}}, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem()}},
            "delete": {"operationId": format!("delete_{name}"), "summary": "Delete one item", "security": write_security,
                       "responses": {"200": {"description": "Deleted"}, "401": problem(), "403": problem(), "404": problem(), "409": problem()}}
        }),
    );
}

/// Whole-layer import and export (see `transfer`).
fn transfer_paths(layer: Layer, paths: &mut serde_json::Map<String, Value>) {
    let name = layer.table();
    let path = layer.path();
    let format = |formats: &[&str], default: Option<&str>| {
        let mut schema = json!({"type": "string", "enum": formats});
        if let Some(d) = default {
            schema["default"] = json!(d);
        }
        schema
    };
    paths.insert(format!("/api/v1/{path}/import"), json!({
        "post": {
            "operationId": format!("import_{name}"),
            "summary": format!("Import a GeoJSON FeatureCollection, a CSV file or a zipped ESRI shapefile of {path} (the raw body, at most {MAX_BATCH_BODY_BYTES} bytes; a zip at most {MAX_UNZIPPED_BYTES} bytes unzipped) in one transaction; nothing is written unless every row is valid"),
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "format", "in": "query", "schema": format(&["geojson", "csv", "shapefile", "xlsx", "osm"], None), "description": "default: from the Content-Type (application/geo+json or application/json: geojson; text/csv: csv; application/zip or application/x-zip-compressed: shapefile; application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: xlsx). `xlsx` (first sheet, header = row 1, rows reported as `row 7`) and `osm` (OpenStreetMap `man_made=surveillance` nodes as GeoJSON; code from `ref` or `surveillance:ref`) are for cameras only. `shp` and `zip` also mean shapefile: a .zip with one .shp and its .dbf (.prj, .cpg, .shx optional; in a folder or not), the .prj longitude/latitude on WGS 84 or CGCS2000 (a projected CRS is refused), text encoding from the .cpg, else the dBASE language driver (0x4D: GBK), else UTF-8"},
                {"name": "crs", "in": "query", "schema": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}, "description": "coordinate system of the file; converted to WGS84"},
                {"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "validate rows and references only; nothing is written"},
                {"name": "member", "in": "query", "schema": {"type": "string"}, "description": "shapefile only: which .shp to read (name with or without folder and extension) when the zip holds several; without it such a zip is refused with their list"},
                {"name": "map", "in": "query", "schema": {"type": "string"}, "description": "cameras, csv and xlsx only: our fields to the file's headers, `code:设备编码,lon:经度,lat:纬度` (`=` also accepted). Unmapped headers are recognised (设备编码/设备编号/国标编码, 设备名称/点位名称, 经度, 纬度, 安装高度/高度, 方向角/朝向/方位角, 水平视场角/视场角, 可视距离/监控距离/覆盖半径, 摄像机类型/设备类型, 状态/在线状态, and our own field names); other columns are ignored"},
                {"name": "sheet", "in": "query", "schema": {"type": "string"}, "description": "xlsx only: the sheet to read; default the first"}
            ],
            "requestBody": {"required": true, "content": {"application/geo+json": {}, "application/json": {}, "text/csv": {}, "application/zip": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
            "responses": {
                "200": {"description": "`{layer, rows, valid, bad: [], imported, dry_run}`; cameras also `replaces: [code]` (codes already registered, updated by the import) and `duplicates: [{at, code, other_at, other_code, distance_m}]` (within 1 m looking within ±5° or both PTZ: a warning), each only when not empty", "content": {"application/json": {}}},
                "400": problem(), "401": problem(), "403": problem(), "409": problem(), "413": problem(),
                "422": {"description": "Bad rows: problem+json with the report's members, `bad: [{at: \"line 7\" | \"row 7\" | \"feature 3\" | \"record 12\", reason}]` (cameras: a GB/T 28181 code with a camera type 131/132 and the city's 6-digit division, one row per code; a code stored as a spreadsheet number is refused); nothing imported", "content": {"application/problem+json": {}}}
            }
        }
    }));
    paths.insert(format!("/api/v1/{path}/export"), json!({
        "get": {
            "operationId": format!("export_{name}"),
            "summary": format!("Download the items of {path} as `{path}.geojson` or `{path}.csv` (Content-Disposition: attachment): all of them, those in a box (`bbox`, the map's view: `{path}-view.csv`) or those of a village (`village`: `{path}-<code>.csv`). Grids of a village are its own by code; workers those serving the grids exported; cameras, buildings and events those standing inside; areas and lines those meeting it"),
            "parameters": [{"name": "format", "in": "query", "schema": format(&["geojson", "csv"], Some("geojson"))},
                {"name": "bbox", "in": "query", "schema": {"type": "string"}, "description": "minLon,minLat,maxLon,maxLat"},
                {"name": "village", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{12}$"}, "description": "a village's code; not with bbox"}],
            "responses": {"200": {"description": "The items", "content": {"application/geo+json": {}, "text/csv": {}}}, "400": problem(), "404": problem()}
        }
    }));
}

/// The planner's grid edits (see `grid_edit`).
fn grid_edit_paths(paths: &mut serde_json::Map<String, Value>) {
    let security = json!([{"bearer": []}]);
    let edited = json!({"description": "FeatureCollection of the resulting grids with `retired`, `area_m2` {before, after}, `workers`, `micro_grids`, `gaps` (and `apportioned_by` for a split)", "content": {"application/geo+json": {}}});
    paths.insert("/api/v1/grids/check".into(), json!({
        "post": {"operationId": "check_grid", "summary": "Dry run of a grid save: errors, overlaps and gaps with their geometry, area outside the parent; nothing is written",
                 "security": security,
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"description": "a grid Feature, with an optional top-level `replaces`: the code of the grid it would replace, and `carry_shared` (boolean): check as a reshape that carries shared-vertex edits into the neighbours"}}}},
                 "responses": {"200": {"description": "`{valid, errors: [{field, reason}], overlaps: [{grid, area_m2, geometry}], gaps: [{area_m2, near, geometry}], outside_parent_m2, carried: [{grid, geometry}], clipped}`; an invalid ring is `valid: false`; `carried` lists the neighbours a reshape would change, `clipped` is the boundary without its siblings' parts when it overlaps them (avoid overlap)"},
                               "400": problem(), "401": problem(), "403": problem()}}
    }));
    paths.insert("/api/v1/grids/{code}/reshape".into(), json!({
        "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}},
                       {"name": "carry_shared", "in": "query", "schema": {"type": "boolean", "default": true}, "description": "carry vertex edits on shared boundaries into the neighbours"}],
        "post": {"operationId": "reshape_grid", "summary": "Replace a grid's boundary (as PUT) with topological editing: a moved, added or deleted vertex on a boundary shared with a sibling or a micro-grid is moved, added or deleted there too, in the same transaction",
                 "security": security,
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"description": "the grid Feature, as for PUT /api/v1/grids/{code}"}}}},
                 "responses": {"200": edited, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem()}}
    }));
    paths.insert("/api/v1/grids/{code}/split".into(), json!({
        "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
        "post": {"operationId": "split_grid", "summary": "Split a grid in two along a line crossing it; the old grid is retired, its workers serve both pieces",
                 "security": security,
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["line"], "properties": {
                     "line": {"description": "GeoJSON LineString (or a Feature holding one) from outside the grid to outside it"},
                     "codes": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2, "description": "codes of the pieces left and right of the line; default: the next free serials"},
                     "names": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}}}}}},
                 "responses": {"200": edited, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem()}}
    }));
    paths.insert("/api/v1/grids/merge".into(), json!({
        "post": {"operationId": "merge_grids", "summary": "Merge grids of one village that share edges into the kept one; the others are retired, their workers move",
                 "security": security,
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["codes", "keep"], "properties": {
                     "codes": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                     "keep": {"type": "string"}, "name": {"type": "string"}}}}}},
                 "responses": {"200": edited, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem()}}
    }));
    paths.insert("/api/v1/grids/next-code".into(), json!({
        "get": {"operationId": "next_grid_code", "summary": "The next free 15-digit grid code of a village: the serial after the highest ever used, retired grids included",
                "security": security,
                "parameters": [{"name": "village", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{12}$"}}],
                "responses": {"200": {"description": "`{code}`"}, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem()}}
    }));
}

/// The whole document.
#[must_use]
pub fn document() -> Value {
    let mut generator = SchemaGenerator::default();
    let mut paths = serde_json::Map::new();
    paths.insert("/api/v1/locate".into(), json!({
        "get": {
            "operationId": "locate_point",
            "summary": "Which town, village, grid, micro-grid, workers, cameras, key areas and patrol routes hold or see one point. Workers' phone numbers are masked (138****1768) without a token and for viewers; whole for other roles, and then recorded (see /api/v1/audit/personal-reads)",
            "parameters": [
                {"name": "lon", "in": "query", "required": true, "schema": {"type": "number"}},
                {"name": "lat", "in": "query", "required": true, "schema": {"type": "number"}},
                {"name": "crs", "in": "query", "schema": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}, "description": "coordinate system of lon/lat; converted to WGS84"},
                {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "answer with the grid boundaries valid at this time"},
                {"name": "route_within_m", "in": "query", "schema": {"type": "number", "default": 200, "maximum": 5000}}
            ],
            "responses": {"200": {"description": "Location (empty lists outside every grid)", "content": {"application/json": {}}}, "400": problem()}
        },
        "post": {
            "operationId": "locate_batch",
            "summary": format!("Locate up to {MAX_BATCH_POINTS} points; one result per point in order. Accept: application/x-ndjson streams one line per point."),
            "parameters": [
                {"name": "crs", "in": "query", "schema": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]}},
                {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {"name": "detail", "in": "query", "schema": {"type": "string", "enum": ["codes", "full"], "default": "codes"}}
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"description": "{\"points\": [[lon, lat], ...]} or a GeoJSON FeatureCollection of Points"}}}},
            "responses": {"200": {"description": "{count, results}", "content": {"application/json": {}, "application/x-ndjson": {}}}, "400": problem(), "413": problem()}
        }
    }));
    paths.insert("/api/v1/grids/{code}/history".into(), json!({
        "get": {"operationId": "grid_history", "summary": "Every version of a grid with valid_from/valid_to",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "FeatureCollection", "content": {"application/geo+json": {}}}, "404": problem()}}
    }));
    paths.insert("/api/v1/cameras/{code}/health".into(), json!({
        "get": {"operationId": "camera_health", "summary": "A camera's health: status, since when, its status history (newest first, recorded by the store on every write that sets or changes the status), the share of the last 30 days it was online, and the grids it serves (seen area and share)",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "`{code, name, status, since, availability: {days, online_share}, history: [{status, at}], grids: [{code, name, seen_m2, share}]}`"}, "404": problem()}}
    }));
    paths.insert("/api/v1/cameras/{code}/status".into(), json!({
        "post": {"operationId": "set_camera_status", "summary": "Report a camera's status (from a device platform or a health monitor); the change enters its history in the same transaction. Roles that may write cameras.",
                 "security": [{"bearer": []}],
                 "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "additionalProperties": false,
                     "properties": {"status": {"type": "string", "enum": CameraStatus::NAMES}}}}}},
                 "responses": {"200": {"description": "the camera's health after the report, as GET .../health"}, "400": problem(), "401": problem(), "403": problem(), "404": problem(), "422": problem()}}
    }));
    paths.insert("/api/v1/cameras/{code}/coverage".into(), json!({
        "get": {"operationId": "camera_coverage", "summary": "What a camera sees: its ground footprint (sector from near_m to far_m, or disc for PTZ) less what obstacles hide, as a GeoJSON Feature (geometry null when nothing is visible)",
                "description": "An obstacle lower than the camera (height_m H < the camera's h) hides the ground behind its point at distance x only up to x·h/(h−H), plus the ground under a footprint; one of unknown height or at least h hides everything behind it up to far_m. An obstacle holding the camera hides nothing. /api/v1/locate uses the same rule for each point.",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Feature with properties code, near_m, far_m, footprint_m2, area_m2, occluded_m2, occluded_share, obstacles_considered", "content": {"application/geo+json": {}}}, "404": problem()}}
    }));
    paths.insert("/api/v1/cameras/placement".into(), json!({
        "post": {
            "operationId": "propose_placement",
            "summary": "Placement advice: where k new cameras, facing which way, would add the most covered weight (area, or events: cover where incidents happen) to a grid, village, key area or drawn polygon; nothing is written",
            "description": format!("Algorithm: {ALGORITHM} Method: the target is cut into square cells (about {TARGET_CELLS}, never under {MIN_CELL_M} m, at most {MAX_CELLS}); a cell counts when its centre is in the target; weight = cell area, or events located in the cell + {EVENT_EPSILON}. Cells that an online camera already sees (its visible polygon: footprint less obstacle shadows) add nothing. Candidate sites: `candidates`, else points every `spacing_m` along the patrol routes in the target, else a square lattice of `spacing_m` inside it (generated sets are thinned by widening the spacing to stay under {MAX_SITES} sites). Each site is tried at {FIXED_AZIMUTHS} azimuths 45° apart (fixed) or as one disc (ptz); an option sees the cells within range and field of view whose sight line no obstacle blocks. With `one_per_site` (default true) a site holds at most one new camera. Fewer than k cameras are proposed when no option adds anything. Planner, rectification or admin role (a read-only but CPU-heavy computation)."),
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "crs", "in": "query", "schema": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}, "description": "coordinate system of target.geometry and candidates; converted to WGS84"}
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["target", "k"], "additionalProperties": false,
                "properties": {
                    "target": {"type": "object", "additionalProperties": false, "description": "exactly one member",
                               "properties": {"grid": {"type": "string"}, "village": {"type": "string", "description": "12-digit village/community code"},
                                              "key_area": {"type": "string"}, "geometry": {"description": "GeoJSON Polygon or MultiPolygon"}}},
                    "k": {"type": "integer", "minimum": 1, "maximum": MAX_K},
                    "weight": {"type": "string", "enum": ["area", "events"], "default": "area"},
                    "candidates": {"type": "array", "minItems": 1, "maxItems": MAX_SITES, "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}, "description": "candidate sites [[lon, lat], ...]; default: generated"},
                    "spacing_m": {"type": "number", "minimum": SPACING_LIMITS_M.0, "maximum": SPACING_LIMITS_M.1, "default": DEFAULT_SPACING_M},
                    "camera": {"type": "object", "additionalProperties": false, "properties": {
                        "kind": {"type": "string", "enum": CameraKind::NAMES, "default": CameraKind::Fixed.as_str()},
                        "hfov_deg": {"type": "number", "exclusiveMinimum": 0, "maximum": 360, "default": 90},
                        "range_m": {"type": "number", "exclusiveMinimum": 0, "maximum": PLACEMENT_MAX_RANGE_M, "default": 50},
                        "height_m": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HEIGHT_M, "default": 6}}},
                    "one_per_site": {"type": "boolean", "default": true}
                }
            }}}},
            "responses": {
                "200": {"description": "FeatureCollection: per proposed camera, in pick order, a Point with `role: camera` and its visible polygon with `role: sector`, both with properties rank, lon, lat, azimuth_deg, hfov_deg, range_m, height_m, kind, gain (weight added), gain_m2, gain_share, covered_before, covered_after (percent of the target's weight); top-level `target` {layer, key, name} and `summary` {algorithm, weight, k, covered_before, covered_after, covered_m2_before, covered_m2_after, target_m2, total_weight, events, existing_cameras, cells, cell_m, sites, sites_from (candidates | patrol_routes | lattice), spacing_m, candidates_considered, evaluations, computed_in_ms}", "content": {"application/geo+json": {}}},
                "400": problem(), "401": problem(), "403": problem(), "404": problem()
            }
        }
    }));
    let coverage_layers = json!({"type": "string", "enum": ["grids", "villages", "towns", "key-areas", "patrol-routes"]});
    paths.insert("/api/v1/coverage".into(), json!({
        "get": {"operationId": "coverage_table", "summary": "Camera coverage of every feature of a layer: share of its area (routes: length) seen by at least one online camera and by two or more, the share were every camera online and the percentage points lost to offline cameras; worst first, with a summary. Computed once per snapshot and cached until a camera, an obstacle or the layer changes (`cached`, `computed_in_ms`)",
                "parameters": [
                    {"name": "layer", "in": "query", "schema": coverage_layers.clone(), "description": "default grids; villages and towns are 12- and 9-digit regions"},
                    {"name": "category", "in": "query", "schema": {"type": "string", "enum": KeyAreaCategory::NAMES}, "description": "key-areas only"},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["worst", "lost", "key"], "default": "worst"}, "description": "worst: lowest share first; lost: most points lost first; key: by code/id"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "rows returned (the summary counts every row)"},
                    {"name": "lost_over", "in": "query", "schema": {"type": "number", "default": crate::service::coverage_report::DEFAULT_LOST_OVER}, "description": "summary.lost_over_count: features that lost more than this many percentage points to offline cameras"},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}, "description": "csv: the same columns, UTF-8 with a byte-order mark, as an attachment"}
                ],
                "responses": {"200": {"description": "`{layer, computed_in_ms, cached, sort, summary: {features, share, share_if_all_online, lost_points, without_any_camera, lost_over, lost_over_count, lost_over_keys}, rows: [{code|id, name, category?, area_m2|length_m, seen_m2|seen_m, seen_2plus_m2|seen_2plus_m, share, share_2plus, share_if_all_online, lost_points, cameras_online, cameras_offline}]}`; shares in percent", "content": {"application/json": {}, "text/csv": {}}}, "400": problem()}}
    }));
    paths.insert("/api/v1/coverage/{layer}/{key}".into(), json!({
        "get": {"operationId": "feature_coverage", "summary": "One feature's camera coverage: its figures as the collection's `properties` and its blind spots (what no online camera sees) as Features with `part: blind` (MultiPolygon; MultiLineString for a route)",
                "parameters": [
                    {"name": "layer", "in": "path", "required": true, "schema": coverage_layers},
                    {"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "description": "grid or region code, key-area or route id"},
                    {"name": "include", "in": "query", "schema": {"type": "string", "enum": ["seen"]}, "description": "also what online cameras see (`part: seen`)"}
                ],
                "responses": {"200": {"description": "FeatureCollection", "content": {"application/geo+json": {}}}, "400": problem(), "404": problem()}}
    }));
    paths.insert("/api/v1/coverage/blind-spots".into(), json!({
        "get": {"operationId": "coverage_blind_spots", "summary": "Blind spots of the grids that intersect a box, one Feature per grid (properties code, name, share, lost_points, blind_m2), by code; for shading on the map",
                "parameters": [
                    {"name": "bbox", "in": "query", "required": true, "schema": {"type": "string"}, "description": "minLon,minLat,maxLon,maxLat (WGS84)"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": super::coverage_report::MAX_BLIND_SPOT_GRIDS, "default": super::coverage_report::DEFAULT_BLIND_SPOT_GRIDS}}
                ],
                "responses": {"200": {"description": "FeatureCollection with numberMatched and numberReturned", "content": {"application/geo+json": {}}}, "400": problem()}}
    }));
    paths.insert("/api/v1/grids/divide".into(), json!({
        "post": {
            "operationId": "divide_village",
            "summary": "Propose a division of a village/community into grids balanced by households (合理划分网格); nothing is written",
            "description": format!("Recursive weighted bisection: the village is cut by a straight line at the weighted quantile ⌊k/2⌋/k of its buildings (weight = households + event_weight × events located in the village), along whichever of {CUT_DIRECTIONS} directions gives the most compact pieces, and each side is divided again. Guarantees: the grids partition the village exactly (every grid is the village intersected with half-planes; overlaps and gaps are floating-point slivers under 1 m²); every building in the village counts in exactly one grid (a building on a cut line too); each cut misses its share by at most half an average building where any direction can, so grids are balanced up to about one building per level of cuts; every grid has at least one building; a grid may be a MultiPolygon where a cut crosses a concave boundary (`parts`). Codes continue after the highest serial the village has used. Planner or admin role."),
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["village"], "additionalProperties": false,
                "description": "exactly one of `grids` and `households_per_grid`",
                "properties": {
                    "village": {"type": "string", "pattern": "^[0-9]{12}$", "description": "12-digit village/community code"},
                    "grids": {"type": "integer", "minimum": 1, "maximum": MAX_GRIDS, "description": "how many grids; at most the number of buildings"},
                    "households_per_grid": {"type": "integer", "minimum": 1, "description": "about this many households per grid: grids = round(households / households_per_grid), at least 1"},
                    "event_weight": {"type": "number", "minimum": 0, "maximum": MAX_EVENT_WEIGHT, "default": 0, "description": "weight of each event located in the village, in households"}
                }
            }}}},
            "responses": {
                "200": {"description": "FeatureCollection of the proposed grids (properties code, name, households, population, buildings, events, weight, area_m2, perimeter_m, compactness = Polsby–Popper 4πA/P², parts) with `village` and `summary` (grids, households, buildings, events, max_households, min_households, balance {max_over_min, max_over_mean}, mean_compactness, algorithm)", "content": {"application/geo+json": {}}},
                "400": problem(), "401": problem(), "403": problem(), "404": problem(), "422": problem()
            }
        }
    }));
    paths.insert("/api/v1/grids/divide/accept".into(), json!({
        "post": {
            "operationId": "accept_division",
            "summary": "Replace every top-level grid of a village/community by the grids given (an adjusted proposal) in one transaction",
            "description": "Each grid is clipped to the village (`clipped_m2`); new grids may not overlap (400 naming the pairs); gaps are reported. A grid may keep the code of a current grid of the village (a new version), take a new code of the village, or none (the next free serials); codes of retired grids are refused (409). Grids not in the set retire (their history keeps them). Households and residents are counted from the buildings in each grid (a building on a shared edge counts for the first listed), else shared out from the old grids by area. Without `assignments`, each old grid's workers move with their duty to the new grid overlapping it most; with `assignments`, they are the whole staffing of the new grids. Micro-grids move to the new grid holding them; one cut by two new grids refuses the division. `dry_run=true` answers the same report without writing. Planner or admin role.",
            "security": [{"bearer": []}],
            "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "report only; nothing is written"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["village", "grids"], "additionalProperties": false,
                "properties": {
                    "village": {"type": "string", "pattern": "^[0-9]{12}$"},
                    "grids": {"description": "a FeatureCollection (such as a proposal of /api/v1/grids/divide) or an array of Features; properties `code`, `name`, `kind` are read, others ignored", "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
                    "assignments": {"type": "array", "items": {"type": "object", "required": ["worker", "grid", "duty"], "properties": {
                        "worker": {"type": "string"}, "grid": {"type": "string"},
                        "duty": {"type": "string", "enum": Duty::NAMES}}}}
                }
            }}}},
            "responses": {
                "200": {"description": "FeatureCollection of the new grids (code, name, kind, households, population, buildings, area_m2, clipped_m2, contiguous, workers) with village, committed, replaced, retired, households_from, workers, unassigned_workers, micro_grids, unstaffed, gaps, checks {no_overlap, no_gap, contiguous, staffed} and summary", "content": {"application/geo+json": {}}},
                "400": problem(), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem()
            }
        }
    }));
    grid_edit_paths(&mut paths);
    paths.insert("/api/v1/tokens".into(), json!({
        "post": {"operationId": "create_token", "summary": "Issue a bearer token with a role (admin only); shown once, stored hashed",
                 "security": [{"bearer": []}],
                 "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "role"], "properties": {"name": {"type": "string"}, "role": {"type": "string", "enum": Role::NAMES}}}}}},
                 "responses": {"201": {"description": "The token"}, "401": problem(), "403": problem()}}
    }));
    let layer_param = json!({"name": "layer", "in": "path", "required": true,
        "schema": {"type": "string", "enum": ["regions", "grids", "cameras", "patrol-routes", "key-areas", "events", "buildings", "obstacles"]}});
    paths.insert("/tiles/{layer}.json".into(), json!({
        "get": {"operationId": "tilejson", "summary": "TileJSON 3.0 for a layer; its tile URLs carry the data version",
                "parameters": [layer_param],
                "responses": {"200": {"description": "TileJSON"}, "404": problem()}}
    }));
    paths.insert("/tiles/{layer}/{z}/{x}/{y}.mvt".into(), json!({
        "get": {"operationId": "tile", "summary": "A Mapbox Vector Tile 2.1 of a layer from the in-memory index (ETag, 304, no-cache; 204 when empty)",
                "parameters": [layer_param,
                    {"name": "z", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": 22}},
                    {"name": "x", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "y", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "MVT", "content": {"application/vnd.mapbox-vector-tile": {}}}, "204": {"description": "no feature reaches the tile"}, "304": {"description": "not modified"}, "400": problem(), "404": problem()}}
    }));
    paths.insert("/api/v1/grids/without-worker".into(), json!({
        "get": {"operationId": "grids_without_worker", "summary": "Top-level grids no worker serves (一格一员), with village and bbox",
                "responses": {"200": {"description": "`{count, grids: [{code, name, village, bbox}]}`"}}}
    }));
    paths.insert("/api/v1/me".into(), json!({
        "get": {"operationId": "me", "summary": "Who the bearer token belongs to, its role and the layers it may change",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "`{name, role, writes: [layer, ...]}`"}, "401": problem()}}
    }));
    paths.insert("/api/v1/search".into(), json!({
        "get": {"operationId": "search", "summary": "Find grids and regions by code or name, cameras by device code or name, key areas, patrol routes, streets by name (人民路), buildings by address; best match first",
                "parameters": [
                    {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 100}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}}],
                "responses": {"200": {"description": "`{query, results: [{layer, key, name, bbox}]}`"}, "400": problem()}}
    }));
    paths.insert("/api/v1/regions/tree".into(), json!({
        "get": {"operationId": "region_tree", "summary": "One step of the region tree (区划树): a node (the county when `code` is left out; a town, village or grid) with its figures — grids, micro-grids, grids without a worker, workers serving, households, residents, cameras online and in all, key areas overdue and in all — and the nodes directly under it with theirs",
                "parameters": [
                    {"name": "code", "in": "query", "schema": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$"}}],
                "responses": {"200": {"description": "The node's `code, name, level, bbox, figures, children` with `items` (the nodes under it, at most 2,000; `truncated`) and, on the root, `workers_unassigned`", "content": {"application/json": {"schema": schema_of::<crate::analysis::region_summary::Branch>(&mut generator)}}}, "400": problem(), "404": problem()}}
    }));
    paths.insert("/api/v1/audit/personal-reads".into(), json!({
        "get": {"operationId": "personal_reads", "summary": "Every answer that showed workers' phone numbers unmasked (to a role other than viewer): when, the token's name and role, through what (`locate`, `workers`, `workers/{id}`, `workers/export`), how many people and the first 20 keys; newest first. Admins only",
                "security": [{"bearer": []}],
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}],
                "responses": {"200": {"description": "`{reads: [{at, token, role, what, subjects, sample}]}`"}, "401": problem(), "403": problem()}}
    }));
    paths.insert("/healthz".into(), json!({"get": {"operationId": "health", "summary": "Liveness and layer counts", "responses": {"200": {"description": "ok"}}}}));
    paths.insert("/api/openapi.json".into(), json!({"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}}));
    let mut schemas = serde_json::Map::new();
    for layer in Layer::ALL {
        layer_paths(layer, &mut paths);
        transfer_paths(layer, &mut paths);
        schemas.insert(
            format!("{}Feature", layer.table()),
            json!({
                "type": "object",
                "description": format!("GeoJSON Feature; geometry {} in WGS84 [lon, lat]", geometry_type(layer)),
                "required": ["type", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "id": {"type": "string"},
                    "geometry": {"description": geometry_type(layer)},
                    "properties": properties_schema(layer, &mut generator)
                }
            }),
        );
    }
    schemas.insert("Problem".into(), json!({
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string", "description": "English, for people reading the API"},
                       "code": {"type": "string", "description": "Stable machine code of what was wrong: unauthenticated, unknown-token, forbidden, not-found, grid-overlap, malformed-json, unsupported-media-type, too-large, rows-invalid, internal, or a field's problem: invalid, missing, wrong-type, unknown-field, out-of-range, too-many, bad-position, bad-shape, self-intersection, too-complex, area-too-large, outside-city, exists, code-retired, unknown-reference, in-use, duplicate; or a grid edit's: overlap, outside-parent, cuts-micro-grid, leaves-micro-grid, bad-cut-line, different-villages, different-levels, not-adjacent"},
                       "field": {"type": "string", "description": "The field at fault, by its path in the request (`camera.range_m`, `properties.name`)"},
                       "reason": {"type": "string"},
                       "min": {"type": "number"}, "max": {"type": "number"},
                       "unit": {"type": "string", "enum": ["m", "deg"], "description": "out-of-range: the unit of min and max (absent for a count)"},
                       "limit": {"type": "integer", "description": "too-many: the most allowed"},
                       "role": {"type": "string", "description": "forbidden: the caller's role"},
                       "layer": {"type": "string"}, "key": {"type": "string", "description": "not-found: what was not found"},
                       "line": {"type": "integer"}, "column": {"type": "integer"}}
    }));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "safegrid",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Grid-based community safety management and video-point mapping. Coordinates are WGS84 [lon, lat] (RFC 7946); distances in metres. Writes need a bearer token whose role may change the layer. Request bodies are limited to {MAX_BODY_BYTES} bytes (batch locate: more).")
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    axum::Json(document()).into_response()
}
