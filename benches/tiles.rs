//! Vector-tile benchmark: safegrid's tiles from the in-memory snapshot beside PostGIS
//! `ST_AsMVT` on the same data, in the same run.
//!
//! Run it with `scripts/bench` (or `cargo bench --bench tiles`). It prints one markdown table
//! (figure | safegrid | PostGIS | ratio | target | met?) on stdout and its progress on stderr.
//! "ratio" is how many times safegrid is better (rates: ours / theirs; latencies and sizes:
//! theirs / ours).
//!
//! # Data and tiles
//! The Dongyang sample (`safegrid::sample::generate()`), indexed with `Snapshot::build` as the
//! service does at start. Layers: grids, cameras, buildings, events. Tiles: at each zoom
//! 10–17, the tiles that cover the county's bounding box (120.07–120.74 E, 28.96–29.50 N),
//! the [`TILES_PER_ZOOM`] nearest the city centre (120.24 E, 29.29 N) when there are more. The
//! same tiles for every layer and for both sides.
//!
//! # What is measured
//! - **safegrid**: `tiles::encode_tile` in process on one thread, each tile timed on
//!   its own; one warm-up pass, then [`PASSES`] passes. Rate = tiles / total time; p99 over
//!   every timed tile.
//! - **PostGIS**: per tile, on one connection,
//!   `ST_AsMVT(t, layer, 4096, 'geom', 'fid')` over
//!   `ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true)` with
//!   `geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0/4096), 4326)` on a GiST
//!   index, in a table per layer holding the same properties as safegrid's tile at that zoom
//!   (the same overview/detail split) and the same feature ids (none on point features below
//!   the detail zoom, as safegrid). Cameras below z13 are count bubbles on both sides: the
//!   same 8 × 8 cells a tile grouped in SQL (`PG_CAMERA_CLUSTERS_SQL`). One warm-up pass, then one
//!   timed pass; the time includes the loopback round trip, as a tile server would see it.
//! - **sizes and agreement**: bytes of the biggest z10 events tile on each side, and features
//!   per layer summed over every tile (decoded here with a few lines of protobuf reading).
//!
//! # PostgreSQL
//! The server URL comes from `SAFEGRID_BENCH_PG_URL` or `SAFEGRID_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The bench creates its own database, loads
//! the four layers with `unnest` and drops the database at the end. Without a reachable server
//! (or without PostGIS) it prints safegrid's figures and says that PostGIS was skipped.

// Tile numbers, quantile positions and counts are small positive floats turned into integers.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod common;

use common::{Report, quantile};
use std::time::Instant;

use geo::Coord;
use safegrid::domain::{Dataset, Item, Layer};
use safegrid::spatial::Snapshot;
use safegrid::tiles::{CLUSTER_ZOOM, DETAIL_ZOOM, TileId, encode_tile, feature_id};
use sqlx::Connection as _;

/// The layers compared.
const LAYERS: [Layer; 4] = [Layer::Grid, Layer::Camera, Layer::Building, Layer::Event];
/// Zooms compared.
const ZOOMS: std::ops::RangeInclusive<u8> = 10..=17;
/// Most tiles per zoom (the nearest the centre).
const TILES_PER_ZOOM: usize = 40;
/// County bounding box: west, south, east, north.
const BBOX: [f64; 4] = [120.07, 28.96, 120.74, 29.50];
/// The city centre (Wuning street).
const CENTRE: Coord = Coord {
    x: 120.24,
    y: 29.29,
};
/// Timed passes of safegrid over every tile (after one warm-up pass).
const PASSES: usize = 3;
/// Time limit of any one PostgreSQL statement.
const STATEMENT_TIMEOUT: &str = "120s";

fn main() {
    common::run(run());
}

/// One tile's figures on one side.
#[derive(Clone, Copy, Default)]
struct Sample {
    seconds: f64,
    bytes: usize,
    features: usize,
}

/// One side's figures for one layer: every timed tile, and per tile the last size and count.
#[derive(Default)]
struct Side {
    times: Vec<f64>,
    total_seconds: f64,
    per_tile: Vec<Sample>,
}

impl Side {
    fn rate(&self) -> f64 {
        self.times.len() as f64 / self.total_seconds
    }
    fn p99_ms(&self) -> f64 {
        quantile(&self.times, 0.99) * 1e3
    }
    fn features(&self) -> usize {
        self.per_tile.iter().map(|s| s.features).sum()
    }
}

async fn run() -> Report {
    let mut report = Report::new();
    let t = Instant::now();
    let sample = safegrid::sample::generate().expect("the Dongyang sample generates");
    let snapshot = Snapshot::build(sample.clone(), 1);
    eprintln!(
        "sample: {} grids, {} cameras, {} buildings, {} events; indexed in {:.1} s",
        sample.grids.len(),
        sample.cameras.len(),
        sample.buildings.len(),
        sample.events.len(),
        t.elapsed().as_secs_f64()
    );
    let tiles = tile_set();
    let per_zoom: Vec<String> = ZOOMS
        .map(|z| format!("z{z}: {}", tiles.iter().filter(|t| t.z == z).count()))
        .collect();
    eprintln!("{} tiles per layer ({})", tiles.len(), per_zoom.join(", "));

    let ours: Vec<Side> = LAYERS
        .iter()
        .map(|l| tokio::task::block_in_place(|| measure_ours(&snapshot, *l, &tiles)))
        .collect();
    let theirs = match postgis(&sample, &tiles).await {
        Ok(sides) => Some(sides),
        Err(e) => {
            eprintln!("PostGIS skipped: {e:#}");
            report.notes.push(format!("PostGIS was skipped: {e:#}."));
            None
        }
    };
    report.figures(&tiles, &ours, theirs.as_deref());
    report.notes.push(format!(
        "Tiles per layer: {} ({}), around lon {} lat {}; safegrid: {PASSES} timed passes after a \
         warm-up, one thread; PostGIS: one timed pass after a warm-up, one connection.",
        tiles.len(),
        per_zoom.join(", "),
        CENTRE.x,
        CENTRE.y
    ));
    report
}

/// The tiles of [`ZOOMS`] over [`BBOX`], at most [`TILES_PER_ZOOM`] a zoom, nearest the centre.
fn tile_set() -> Vec<TileId> {
    let mut out = Vec::new();
    for z in ZOOMS {
        let nw = TileId::containing(
            Coord {
                x: BBOX[0],
                y: BBOX[3],
            },
            z,
        );
        let se = TileId::containing(
            Coord {
                x: BBOX[2],
                y: BBOX[1],
            },
            z,
        );
        let centre = TileId::containing(CENTRE, z);
        let mut zoom: Vec<TileId> = (nw.x..=se.x)
            .flat_map(|x| (nw.y..=se.y).map(move |y| TileId { z, x, y }))
            .collect();
        let d = |t: &TileId| {
            let (dx, dy) = (
                f64::from(t.x) - f64::from(centre.x),
                f64::from(t.y) - f64::from(centre.y),
            );
            dx.hypot(dy)
        };
        zoom.sort_by(|a, b| d(a).total_cmp(&d(b)).then((a.x, a.y).cmp(&(b.x, b.y))));
        zoom.truncate(TILES_PER_ZOOM);
        out.extend(zoom);
    }
    out
}

fn measure_ours(snapshot: &Snapshot, layer: Layer, tiles: &[TileId]) -> Side {
    let mut side = Side::default();
    for pass in 0..=PASSES {
        let mut per_tile = Vec::with_capacity(tiles.len());
        let began = Instant::now();
        for tile in tiles {
            let t = Instant::now();
            let bytes = encode_tile(snapshot, layer, *tile).expect("a layer with geometry");
            let seconds = t.elapsed().as_secs_f64();
            per_tile.push(Sample {
                seconds,
                bytes: bytes.len(),
                features: count_features(&bytes),
            });
        }
        if pass > 0 {
            side.total_seconds += began.elapsed().as_secs_f64();
            side.times.extend(per_tile.iter().map(|s| s.seconds));
        }
        side.per_tile = per_tile;
    }
    eprintln!(
        "safegrid {layer}: {:.0} tiles/s, p99 {:.2} ms, {} features",
        side.rate(),
        side.p99_ms(),
        side.features()
    );
    side
}

// ---------------------------------------------------------------------------------------------
// Reading tiles

fn varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0;
    for shift in (0..64).step_by(7) {
        let b = buf[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
    }
    v
}

/// The fields of one protobuf message: (field number, length-delimited bytes or nothing).
fn fields(buf: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos);
        match key & 7 {
            0 => {
                varint(buf, &mut pos);
                out.push((key >> 3, &buf[..0]));
            }
            1 => pos += 8,
            2 => {
                let n = varint(buf, &mut pos) as usize;
                out.push((key >> 3, &buf[pos..pos + n]));
                pos += n;
            }
            5 => pos += 4,
            w => panic!("wire type {w}"),
        }
    }
    out
}

/// Features in every layer of an MVT.
fn count_features(tile: &[u8]) -> usize {
    fields(tile)
        .into_iter()
        .filter(|(f, _)| *f == 3)
        .map(|(_, layer)| fields(layer).iter().filter(|(f, _)| *f == 2).count())
        .sum()
}

// ---------------------------------------------------------------------------------------------
// PostGIS

async fn postgis(sample: &Dataset, tiles: &[TileId]) -> anyhow::Result<Vec<Side>> {
    let db = common::ScratchDb::create("tiles").await?;
    let result = postgis_in(&db.url, sample, tiles).await;
    db.drop().await;
    result
}

/// Signed 64-bit feature ids for PostgreSQL (they are below 2^53).
fn fid(key: &str) -> i64 {
    i64::try_from(feature_id(key)).unwrap_or_default()
}

async fn postgis_in(url: &str, sample: &Dataset, tiles: &[TileId]) -> anyhow::Result<Vec<Side>> {
    let t = Instant::now();
    let mut conn = sqlx::PgConnection::connect(url).await?;
    for sql in [
        "create extension if not exists postgis".to_owned(),
        format!("set statement_timeout = '{STATEMENT_TIMEOUT}'"),
        "create unlogged table t_grid (fid int8, code text, name text, kind text, households int8,
           population int8, parent_code text, geom geometry(MultiPolygon, 4326))"
            .to_owned(),
        "create unlogged table t_camera (fid int8, code text, name text, kind text, status text,
           azimuth_deg float8, hfov_deg float8, range_m float8, height_m float8,
           geom geometry(Point, 4326))"
            .to_owned(),
        "create unlogged table t_building (fid int8, id text, address text, households int8,
           residents int8, geom geometry(Point, 4326))"
            .to_owned(),
        "create unlogged table t_event (fid int8, id text, category text, status text, source text,
           reported_at text, reported_on text, geom geometry(Point, 4326))"
            .to_owned(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    let version: String = sqlx::query_scalar("select postgis_lib_version()")
        .fetch_one(&mut conn)
        .await?;

    // Enum and time columns take the GeoJSON property values, so both sides write the same.
    let prop = |item: &serde_json::Map<String, serde_json::Value>, k: &str| -> String {
        item.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let props = |f: geojson::Feature| f.properties.unwrap_or_default();

    let grids = &sample.grids;
    let grid_props: Vec<_> = grids.iter().map(|x| props(x.to_feature())).collect();
    sqlx::query(
        "insert into t_grid select fid, code, name, kind, households, population, parent_code,
           st_multi(st_setsrid(st_geomfromgeojson(geom), 4326))
         from unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[],
                     $7::text[], $8::text[])
           as t(fid, code, name, kind, households, population, parent_code, geom)",
    )
    .bind(grids.iter().map(|x| fid(&x.code)).collect::<Vec<_>>())
    .bind(grids.iter().map(|x| x.code.clone()).collect::<Vec<_>>())
    .bind(grids.iter().map(|x| x.name.clone()).collect::<Vec<_>>())
    .bind(
        grid_props
            .iter()
            .map(|p| prop(p, "kind"))
            .collect::<Vec<_>>(),
    )
    .bind(
        grids
            .iter()
            .map(|x| i64::from(x.households))
            .collect::<Vec<_>>(),
    )
    .bind(
        grids
            .iter()
            .map(|x| i64::from(x.population))
            .collect::<Vec<_>>(),
    )
    .bind(
        grids
            .iter()
            .map(|x| x.parent_code.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        grids
            .iter()
            .map(|x| x.geometry().map(|g| g.to_string()).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .execute(&mut conn)
    .await?;

    let cameras = &sample.cameras;
    let camera_props: Vec<_> = cameras.iter().map(|x| props(x.to_feature())).collect();
    sqlx::query(
        "insert into t_camera select fid, code, name, kind, status, azimuth_deg, hfov_deg, range_m,
           height_m, st_setsrid(st_makepoint(lon, lat), 4326)
         from unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
                     $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[])
           as t(fid, code, name, kind, status, azimuth_deg, hfov_deg, range_m, height_m, lon, lat)",
    )
    .bind(cameras.iter().map(|x| fid(&x.code)).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.code.clone()).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.name.clone()).collect::<Vec<_>>())
    .bind(
        camera_props
            .iter()
            .map(|p| prop(p, "kind"))
            .collect::<Vec<_>>(),
    )
    .bind(
        camera_props
            .iter()
            .map(|p| prop(p, "status"))
            .collect::<Vec<_>>(),
    )
    .bind(cameras.iter().map(|x| x.azimuth_deg).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.hfov_deg).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.range_m).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.height_m).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.location.x()).collect::<Vec<_>>())
    .bind(cameras.iter().map(|x| x.location.y()).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;

    let buildings = &sample.buildings;
    sqlx::query(
        "insert into t_building select fid, id, address, households, residents,
           st_setsrid(st_makepoint(lon, lat), 4326)
         from unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::float8[],
                     $7::float8[]) as t(fid, id, address, households, residents, lon, lat)",
    )
    .bind(buildings.iter().map(|x| fid(&x.id)).collect::<Vec<_>>())
    .bind(buildings.iter().map(|x| x.id.clone()).collect::<Vec<_>>())
    .bind(
        buildings
            .iter()
            .map(|x| x.address.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        buildings
            .iter()
            .map(|x| i64::from(x.households))
            .collect::<Vec<_>>(),
    )
    .bind(
        buildings
            .iter()
            .map(|x| i64::from(x.residents))
            .collect::<Vec<_>>(),
    )
    .bind(buildings.iter().map(|x| x.location.x()).collect::<Vec<_>>())
    .bind(buildings.iter().map(|x| x.location.y()).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;

    let events = &sample.events;
    let event_props: Vec<_> = events.iter().map(|x| props(x.to_feature())).collect();
    sqlx::query(
        "insert into t_event select fid, id, category, status, source, reported_at, reported_on,
           st_setsrid(st_makepoint(lon, lat), 4326)
         from unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::float8[], $9::float8[])
           as t(fid, id, category, status, source, reported_at, reported_on, lon, lat)",
    )
    .bind(events.iter().map(|x| fid(&x.id)).collect::<Vec<_>>())
    .bind(events.iter().map(|x| x.id.clone()).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|x| x.category.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        event_props
            .iter()
            .map(|p| prop(p, "status"))
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|x| x.source.clone()).collect::<Vec<_>>())
    .bind(
        event_props
            .iter()
            .map(|p| prop(p, "reported_at"))
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|x| x.reported_at.date_naive().to_string())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|x| x.location.x()).collect::<Vec<_>>())
    .bind(events.iter().map(|x| x.location.y()).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;

    for table in ["t_grid", "t_camera", "t_building", "t_event"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "create index {table}_geom on {table} using gist (geom)"
        )))
        .execute(&mut conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("vacuum analyze {table}")))
            .execute(&mut conn)
            .await?;
    }
    eprintln!(
        "PostGIS {version}: loaded the four layers in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut sides = Vec::new();
    for layer in LAYERS {
        let mut side = Side::default();
        for pass in 0..2 {
            let mut per_tile = Vec::with_capacity(tiles.len());
            let began = Instant::now();
            for tile in tiles {
                let sql = if layer == Layer::Camera && tile.z < CLUSTER_ZOOM {
                    PG_CAMERA_CLUSTERS_SQL.to_owned()
                } else if layer == Layer::Event && tile.z < DETAIL_ZOOM {
                    PG_EVENT_CELLS_SQL.to_owned()
                } else {
                    pg_tile_sql(layer, tile.z >= DETAIL_ZOOM)
                };
                let t = Instant::now();
                let bytes: Option<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(i32::from(tile.z))
                    .bind(i32::try_from(tile.x)?)
                    .bind(i32::try_from(tile.y)?)
                    .fetch_one(&mut conn)
                    .await?;
                let seconds = t.elapsed().as_secs_f64();
                let bytes = bytes.unwrap_or_default();
                per_tile.push(Sample {
                    seconds,
                    bytes: bytes.len(),
                    features: count_features(&bytes),
                });
            }
            if pass > 0 {
                side.total_seconds = began.elapsed().as_secs_f64();
                side.times = per_tile.iter().map(|s| s.seconds).collect();
            }
            side.per_tile = per_tile;
        }
        eprintln!(
            "PostGIS {layer}: {:.0} tiles/s, p99 {:.2} ms, {} features",
            side.rate(),
            side.p99_ms(),
            side.features()
        );
        sides.push(side);
    }
    conn.close().await?;
    Ok(sides)
}

/// The events tile below `DETAIL_ZOOM`: the same heat cells as safegrid's (128 × 128 cells a
/// tile, a point at the mean tile position of each cell's events with their count; an event
/// counts in the tile whose square holds it).
const PG_EVENT_CELLS_SQL: &str = "
    with env as (select st_tileenvelope($1, $2, $3) as e),
    pts as (
      select (st_x(c.p) - st_xmin(env.e)) / (st_xmax(env.e) - st_xmin(env.e)) * 4096 as tx,
             (st_ymax(env.e) - st_y(c.p)) / (st_ymax(env.e) - st_ymin(env.e)) * 4096 as ty
        from env, lateral (
          select st_transform(geom, 3857) as p from t_event
           where geom && st_transform(env.e, 4326)) c
    ),
    cells as (
      select avg(tx) as ax, avg(ty) as ay, count(*) as count
        from pts
       where tx >= 0 and tx < 4096 and ty >= 0 and ty < 4096
       group by floor(ty / 32), floor(tx / 32)
    )
    select st_asmvt(t, 'events', 4096, 'geom') from (
      select count,
             st_asmvtgeom(st_setsrid(st_point(
                 st_xmin(env.e) + ax / 4096 * (st_xmax(env.e) - st_xmin(env.e)),
                 st_ymax(env.e) - ay / 4096 * (st_ymax(env.e) - st_ymin(env.e))), 3857),
               env.e, 4096, 64, true) as geom
        from cells, env
    ) t";

/// The cameras tile below `CLUSTER_ZOOM`: the same clusters as safegrid's (8 × 8 cells a tile,
/// a point at the mean tile position of each cell's cameras, counts by status; a camera counts
/// in the tile whose square holds it).
const PG_CAMERA_CLUSTERS_SQL: &str = "
    with env as (select st_tileenvelope($1, $2, $3) as e),
    pts as (
      select c.status,
             (st_x(c.p) - st_xmin(env.e)) / (st_xmax(env.e) - st_xmin(env.e)) * 4096 as tx,
             (st_ymax(env.e) - st_y(c.p)) / (st_ymax(env.e) - st_ymin(env.e)) * 4096 as ty
        from env, lateral (
          select status, st_transform(geom, 3857) as p from t_camera
           where geom && st_transform(env.e, 4326)) c
    ),
    cells as (
      select avg(tx) as ax, avg(ty) as ay, count(*) as point_count,
             count(*) filter (where status = 'online') as online,
             count(*) filter (where status = 'offline') as offline,
             count(*) filter (where status = 'fault') as fault
        from pts
       where tx >= 0 and tx < 4096 and ty >= 0 and ty < 4096
       group by floor(ty / 512), floor(tx / 512)
    )
    select st_asmvt(t, 'cameras', 4096, 'geom') from (
      select point_count, online, offline, fault,
             st_asmvtgeom(st_setsrid(st_point(
                 st_xmin(env.e) + ax / 4096 * (st_xmax(env.e) - st_xmin(env.e)),
                 st_ymax(env.e) - ay / 4096 * (st_ymax(env.e) - st_ymin(env.e))), 3857),
               env.e, 4096, 64, true) as geom
        from cells, env
    ) t";

/// The `ST_AsMVT` query of `layer`, with the columns safegrid writes at that detail.
fn pg_tile_sql(layer: Layer, detail: bool) -> String {
    let (table, columns) = match (layer, detail) {
        (Layer::Grid, _) => (
            "t_grid",
            "code, name, kind, households, population, parent_code",
        ),
        (Layer::Camera, true) => (
            "t_camera",
            "code, name, kind, status, azimuth_deg, hfov_deg, range_m, height_m",
        ),
        (Layer::Camera, false) => ("t_camera", "kind, status, azimuth_deg, hfov_deg, range_m"),
        (Layer::Building, true) => ("t_building", "id, address, households, residents"),
        (Layer::Building, false) => ("t_building", "households, residents"),
        (Layer::Event, true) => ("t_event", "id, category, status, source, reported_at"),
        (Layer::Event, false) => ("t_event", "category, status, reported_on as reported_at"),
        (other, _) => panic!("no PostGIS table for {other}"),
    };
    // Point features below the detail zoom carry no id on either side.
    let (fid_arg, fid_col) = if detail || layer == Layer::Grid {
        (", 'fid'", "fid, ")
    } else {
        ("", "")
    };
    format!(
        "select st_asmvt(t, '{name}', 4096, 'geom'{fid_arg}) from (
           select {fid_col}{columns},
                  st_asmvtgeom(st_transform(geom, 3857), st_tileenvelope($1, $2, $3), 4096, 64, true)
                    as geom
             from {table}
            where geom && st_transform(st_tileenvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
         ) t where geom is not null",
        name = layer.path()
    )
}

// ---------------------------------------------------------------------------------------------
// The table

impl Report {
    fn row(
        &mut self,
        figure: String,
        ours: String,
        theirs: Option<String>,
        ratio: Option<f64>,
        target: &str,
        met: Option<bool>,
    ) {
        self.push(
            figure,
            ours,
            theirs.unwrap_or_else(|| "skipped".to_owned()),
            common::ratio(ratio),
            target,
            met,
        );
    }

    fn figures(&mut self, tiles: &[TileId], ours: &[Side], theirs: Option<&[Side]>) {
        let all = |sides: &[Side]| Side {
            times: sides.iter().flat_map(|s| s.times.clone()).collect(),
            total_seconds: sides.iter().map(|s| s.total_seconds).sum(),
            per_tile: sides.iter().flat_map(|s| s.per_tile.clone()).collect(),
        };
        let ours_all = all(ours);
        let theirs_all = theirs.map(all);
        let mut groups: Vec<(String, &Side, Option<&Side>)> = LAYERS
            .iter()
            .enumerate()
            .map(|(i, l)| (l.path().to_owned(), &ours[i], theirs.map(|t| &t[i])))
            .collect();
        groups.push(("all four layers".to_owned(), &ours_all, theirs_all.as_ref()));
        for (name, o, t) in &groups {
            let ratio = t.map(|t| o.rate() / t.rate());
            self.row(
                format!("{name}: tiles/s, z10–17, one thread"),
                format!("{:.0}", o.rate()),
                t.map(|t| format!("{:.0}", t.rate())),
                ratio,
                "≥ 5× PostGIS",
                ratio.map(|r| r >= 5.0),
            );
            self.row(
                format!("{name}: p99 per tile (ms)"),
                format!("{:.2}", o.p99_ms()),
                t.map(|t| format!("{:.2}", t.p99_ms())),
                t.map(|t| t.p99_ms() / o.p99_ms()),
                "< 20 ms",
                Some(o.p99_ms() < 20.0),
            );
        }
        // The biggest z10 events tile.
        let events = LAYERS
            .iter()
            .position(|l| *l == Layer::Event)
            .expect("events are compared");
        let (i, biggest) = ours[events]
            .per_tile
            .iter()
            .enumerate()
            .filter(|(i, _)| tiles[*i].z == 10)
            .max_by_key(|(_, s)| s.bytes)
            .expect("z10 tiles");
        let tile = tiles[i];
        let theirs_tile = theirs.map(|t| t[events].per_tile[i]);
        self.row(
            format!(
                "biggest z10 events tile, 10/{}/{}: {} features (kB)",
                tile.x, tile.y, biggest.features
            ),
            format!("{:.0}", biggest.bytes as f64 / 1e3),
            theirs_tile.map(|t| format!("{:.0}", t.bytes as f64 / 1e3)),
            theirs_tile.map(|t| t.bytes as f64 / biggest.bytes as f64),
            "—",
            None,
        );
        self.row(
            "… time to build it (ms)".to_owned(),
            format!("{:.1}", biggest.seconds * 1e3),
            theirs_tile.map(|t| format!("{:.1}", t.seconds * 1e3)),
            theirs_tile.map(|t| t.seconds / biggest.seconds),
            "—",
            None,
        );
        if let Some(theirs) = theirs {
            let counts: Vec<String> = LAYERS
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{l} {} / {}", ours[i].features(), theirs[i].features()))
                .collect();
            let (o, t) = (
                ours_all.features(),
                theirs_all.as_ref().map_or(0, Side::features),
            );
            let diff = (o as f64 - t as f64).abs() / (t as f64).max(1.0);
            self.row(
                "agreement: features over every tile and layer".to_owned(),
                o.to_string(),
                Some(t.to_string()),
                None,
                "within 1 %",
                Some(diff <= 0.01),
            );
            self.notes.push(format!(
                "Features per layer over every tile, safegrid / PostGIS: {}.",
                counts.join("; ")
            ));
        }
        for (i, layer) in LAYERS.iter().enumerate() {
            let by_zoom: Vec<String> = ZOOMS
                .map(|z| {
                    let idx: Vec<usize> = (0..tiles.len()).filter(|&k| tiles[k].z == z).collect();
                    let mean = |s: &Side| {
                        idx.iter().map(|&k| s.per_tile[k].seconds).sum::<f64>() / idx.len() as f64
                    };
                    let bytes = idx
                        .iter()
                        .map(|&k| ours[i].per_tile[k].bytes)
                        .max()
                        .unwrap_or(0);
                    match theirs {
                        Some(t) => format!(
                            "z{z} {:.2} / {:.2} ms, ≤{:.0} kB",
                            mean(&ours[i]) * 1e3,
                            mean(&t[i]) * 1e3,
                            bytes as f64 / 1e3
                        ),
                        None => format!(
                            "z{z} {:.2} ms, ≤{:.0} kB",
                            mean(&ours[i]) * 1e3,
                            bytes as f64 / 1e3
                        ),
                    }
                })
                .collect();
            self.notes.push(format!(
                "{layer}, mean time per tile by zoom (safegrid / PostGIS) and safegrid's biggest \
                 tile: {}.",
                by_zoom.join("; ")
            ));
        }
    }
}
