//! The PostgreSQL + PostGIS store: [`PgStore`] owns the connection pool, the `migrations/postgres`
//! schema and every PostGIS SQL statement of safegrid. It implements [`Store`] with exactly the
//! semantics of [`SqliteStore`](super::SqliteStore); the row encoding both share is in `row`.
//!
//! Geometry crosses the wire as GeoJSON text: in through `ST_GeomFromGeoJSON` (wrapped in
//! `ST_Multi` for the MultiPolygon columns), out through `ST_AsGeoJSON(geometry, 30)`. The
//! precision matters: an `f64` may need 17 significant digits, so 15 decimals (the usual choice)
//! lose the last digits of any coordinate below 10 in magnitude, e.g. `1.2345678901234567` comes
//! back as `1.234567890123457`. PostGIS prints the shortest text that round-trips, capped at the
//! given number of decimals, and switches to exponent notation below 1e-8, so 30 decimals give
//! every `f64` back bit for bit without padding ordinary coordinates (`120.1` stays `120.1`).
//! Reading that text back exactly also needs `serde_json`'s correctly rounded float parser (its
//! `float_roundtrip` feature); the default parser is off by one unit in the last place for many
//! 17-digit numbers, in both backends alike.
//!
//! Props are `jsonb`, bound as text and cast (`$n::jsonb`); `jsonb` keeps numbers as exact
//! decimals, so they come back as written. Times are `timestamptz`, bound and read as RFC 3339
//! text with microseconds (sqlx is built without `chrono`).
//!
//! Writers take one transaction-scoped advisory lock, so batches apply one at a time as they do
//! in SQLite: without it two concurrent batches could both compute the same next grid version.
//! Foreign keys are `deferrable initially deferred`, so a missing parent or a still-referenced
//! item surfaces at commit, where it maps to [`StoreError::Reference`].

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, QueryBuilder, Transaction};

use crate::domain::{AnyItem, Dataset, Grid, GridVersion, Item, Layer, Worker};

use super::row::{
    AssignmentRow, BATCH_ROWS, LayerRow, Step, attach_assignments, classify, decode_grid,
    decode_row, duty_name, fmt_time, has_geometry, link_columns, parse_time, plan, region_parent,
    token_from_row,
};
use super::{CameraStatusChange, Change, Store, StoreError, StoreResult, TokenRecord};

/// Connections in the pool.
const MAX_CONNECTIONS: u32 = 8;

/// Key of the advisory lock every writing transaction holds (`"safegrid"` in ASCII).
const WRITER_LOCK: i64 = 0x7361_6665_6772_6964;

/// GeoJSON out, exact: see the module doc for why 30 and not 15.
const GEOJSON_OUT: &str = "ST_AsGeoJSON(geometry, 30)";

/// A `timestamptz` as RFC 3339 UTC text with microseconds, the format of `row::fmt_time`.
macro_rules! time_text {
    ($col:literal) => {
        concat!(
            "to_char(",
            $col,
            " at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        )
    };
}

/// Advice given when PostGIS is missing.
const INSTALL_POSTGIS: &str = "install PostGIS on the database server (Debian/Ubuntu: `apt-get install postgresql-15-postgis-3`, \
     matching the server's major version) and make sure the connecting role may run `create extension postgis` \
     (or have a superuser run it once in this database)";

/// PostgreSQL + PostGIS-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    postgis: String,
}

/// Whether a layer's geometry column is `geometry(MultiPolygon, 4326)`.
fn is_area(layer: Layer) -> bool {
    matches!(layer, Layer::Region | Layer::Grid | Layer::KeyArea)
}

/// The SQL around a bound GeoJSON text that makes it a geometry of `layer`'s column type.
fn geometry_in(layer: Layer) -> (&'static str, &'static str) {
    if is_area(layer) {
        ("ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(", "), 4326))")
    } else {
        ("ST_SetSRID(ST_GeomFromGeoJSON(", "), 4326)")
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`), applies migrations (the first
    /// creates the `postgis` extension) and checks that PostGIS answers.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the server cannot be reached, [`StoreError::Setup`] when
    /// PostGIS is not installed or cannot be created, [`StoreError::Migrate`] for other
    /// migration failures.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let available: bool = sqlx::query_scalar(
            "select exists (select 1 from pg_available_extensions where name = 'postgis')",
        )
        .fetch_one(&pool)
        .await?;
        if !available {
            return Err(StoreError::Setup(format!(
                "the PostgreSQL server has no PostGIS extension: {INSTALL_POSTGIS}"
            )));
        }
        if let Err(e) = sqlx::migrate!("migrations/postgres").run(&pool).await {
            let installed: bool = sqlx::query_scalar(
                "select exists (select 1 from pg_extension where extname = 'postgis')",
            )
            .fetch_one(&pool)
            .await?;
            return Err(if installed {
                StoreError::Migrate(e)
            } else {
                StoreError::Setup(format!(
                    "`create extension postgis` failed ({e}): {INSTALL_POSTGIS}"
                ))
            });
        }
        let postgis: String = sqlx::query_scalar("select postgis_version()")
            .fetch_one(&pool)
            .await
            .map_err(|e| {
                StoreError::Setup(format!("PostGIS does not answer ({e}): {INSTALL_POSTGIS}"))
            })?;
        Ok(Self { pool, postgis })
    }

    /// The PostGIS version the server reported at [`PgStore::open`], e.g. `3.3 USE_GEOS=1 …`.
    #[must_use]
    pub fn postgis_version(&self) -> &str {
        &self.postgis
    }
}

async fn load_layer(conn: &mut PgConnection, layer: Layer, data: &mut Dataset) -> StoreResult<()> {
    let geometry = if has_geometry(layer) {
        GEOJSON_OUT
    } else {
        "null::text"
    };
    let key = layer.key_field();
    let sql = format!(
        "select {key} as key, {geometry} as geometry, props::text as props from {} order by {key}",
        layer.table()
    );
    let rows: Vec<LayerRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    for row in &rows {
        data.push(decode_row(layer, row)?);
    }
    Ok(())
}

async fn load_grid_versions(conn: &mut PgConnection) -> StoreResult<Vec<GridVersion>> {
    #[derive(sqlx::FromRow)]
    struct VersionRow {
        key: String,
        geometry: Option<String>,
        props: String,
        version: i32,
        valid_from: String,
        valid_to: Option<String>,
    }
    let sql = format!(
        "select code as key, {GEOJSON_OUT} as geometry, props::text as props, version, {} as valid_from, {} as valid_to \
         from grid_version order by code, version",
        time_text!("valid_from"),
        time_text!("valid_to"),
    );
    let rows: Vec<VersionRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let grid = decode_grid(&LayerRow {
                key: r.key,
                geometry: r.geometry,
                props: r.props,
            })?;
            Ok(GridVersion {
                grid,
                version: u32::try_from(r.version).unwrap_or(u32::MAX),
                valid_from: parse_time(&r.valid_from)?,
                valid_to: r.valid_to.as_deref().map(parse_time).transpose()?,
            })
        })
        .collect()
}

/// Inserts (or upserts) items of one layer with multi-row statements.
///
/// Only the last of several items with one key is written: PostgreSQL refuses to upsert a row
/// twice in one statement, while SQLite lets the later row win, and this keeps SQLite's result.
async fn insert_batch(
    tx: &mut Transaction<'_, Postgres>,
    layer: Layer,
    items: &[&AnyItem],
    upsert: bool,
) -> StoreResult<()> {
    let key = layer.key_field();
    let mut seen = HashSet::new();
    let mut unique: Vec<&AnyItem> = items
        .iter()
        .rev()
        .filter(|i| seen.insert(i.key()))
        .copied()
        .collect();
    unique.reverse();
    let mut cols = vec![key];
    if has_geometry(layer) {
        cols.push("geometry");
    }
    cols.push("props");
    if layer == Layer::Region {
        cols.extend_from_slice(link_columns(layer));
    }
    let (geom_open, geom_close) = geometry_in(layer);
    for chunk in unique.chunks(BATCH_ROWS) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "insert into {} ({}) ",
            layer.table(),
            cols.join(", ")
        ));
        qb.push_values(chunk, |mut b, item| {
            b.push_bind(item.key().to_owned());
            if has_geometry(layer) {
                b.push(geom_open)
                    .push_bind_unseparated(item.geometry_json())
                    .push_unseparated(geom_close);
            }
            b.push_bind(item.properties_json())
                .push_unseparated("::jsonb");
            if layer == Layer::Region {
                b.push_bind(region_parent(item));
            }
        });
        if upsert {
            let sets: Vec<String> = cols[1..]
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            qb.push(format!(
                " on conflict ({key}) do update set {}",
                sets.join(", ")
            ));
        }
        qb.build().execute(&mut **tx).await.map_err(|e| {
            let first = chunk.first().map_or("", |i| i.key());
            classify(e, layer, first)
        })?;
    }
    Ok(())
}

async fn exists(tx: &mut Transaction<'_, Postgres>, layer: Layer, key: &str) -> StoreResult<bool> {
    let sql = format!(
        "select exists (select 1 from {} where {} = $1)",
        layer.table(),
        layer.key_field()
    );
    Ok(sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(key)
        .fetch_one(&mut **tx)
        .await?)
}

/// Checks the create/replace/delete precondition of a change.
async fn check_precondition(
    tx: &mut Transaction<'_, Postgres>,
    change: &Change,
) -> StoreResult<()> {
    let (layer, key, must_exist) = match change {
        Change::Insert(i) => (i.layer(), i.key(), false),
        Change::Replace(i) => (i.layer(), i.key(), true),
        Change::Delete(l, k) => (*l, k.as_str(), true),
        Change::Put(_) => return Ok(()),
    };
    let found = exists(tx, layer, key).await?;
    if found && !must_exist {
        return Err(StoreError::Conflict {
            layer,
            key: key.to_owned(),
        });
    }
    if !found && must_exist {
        return Err(StoreError::NotFound {
            layer,
            key: key.to_owned(),
        });
    }
    Ok(())
}

async fn close_grid_version(
    tx: &mut Transaction<'_, Postgres>,
    code: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "update grid_version set valid_to = $1::timestamptz where code = $2 and valid_to is null",
    )
    .bind(at)
    .bind(code)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn put_grid(tx: &mut Transaction<'_, Postgres>, grid: &Grid, at: &str) -> StoreResult<()> {
    let version: i32 = sqlx::query_scalar(
        "select coalesce(max(version), 0) + 1 from grid_version where code = $1",
    )
    .bind(&grid.code)
    .fetch_one(&mut **tx)
    .await?;
    let geometry = grid.geometry().map(|g| g.to_string());
    let props = serde_json::to_string(grid).unwrap_or_default();
    sqlx::query(
        "insert into grid (code, community_code, parent_code, version, geometry, props) \
         values ($1, $2, $3, $4, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)), $6::jsonb) \
         on conflict (code) do update set community_code = excluded.community_code, parent_code = excluded.parent_code, \
         version = excluded.version, geometry = excluded.geometry, props = excluded.props",
    )
    .bind(&grid.code)
    .bind(grid.community_code())
    .bind(&grid.parent_code)
    .bind(version)
    .bind(geometry)
    .bind(props)
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, Layer::Grid, &grid.code))?;
    close_grid_version(tx, &grid.code, at).await?;
    // The version copies the row just written, so it holds the very same geometry and props.
    sqlx::query(
        "insert into grid_version (code, version, geometry, props, valid_from) \
         select code, version, geometry, props, $2::timestamptz from grid where code = $1",
    )
    .bind(&grid.code)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn put_worker(tx: &mut Transaction<'_, Postgres>, worker: &Worker) -> StoreResult<()> {
    sqlx::query(
        "insert into worker (id, props) values ($1, $2::jsonb) on conflict (id) do update set props = excluded.props",
    )
    .bind(&worker.id)
    .bind(serde_json::to_string(worker).unwrap_or_default())
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from assignment where worker_id = $1")
        .bind(&worker.id)
        .execute(&mut **tx)
        .await?;
    if worker.grids.is_empty() {
        return Ok(());
    }
    let grids: Vec<String> = worker.grids.iter().map(|a| a.grid.clone()).collect();
    let duties: Vec<String> = worker.grids.iter().map(|a| duty_name(a.duty)).collect();
    sqlx::query(
        "insert into assignment (worker_id, grid_code, duty) \
         select $1, grid_code, duty from unnest($2::text[], $3::text[]) as a (grid_code, duty)",
    )
    .bind(&worker.id)
    .bind(grids)
    .bind(duties)
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, Layer::Worker, &worker.id))?;
    Ok(())
}

async fn apply_one(
    tx: &mut Transaction<'_, Postgres>,
    change: &Change,
    at: &str,
) -> StoreResult<()> {
    check_precondition(tx, change).await?;
    match change {
        Change::Insert(item) | Change::Replace(item) | Change::Put(item) => match item {
            AnyItem::Grid(g) => put_grid(tx, g, at).await,
            AnyItem::Worker(w) => put_worker(tx, w).await,
            other => insert_batch(tx, other.layer(), &[other], true).await,
        },
        Change::Delete(layer, key) => {
            let sql = format!(
                "delete from {} where {} = $1",
                layer.table(),
                layer.key_field()
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(key)
                .execute(&mut **tx)
                .await
                .map_err(|e| classify(e, *layer, key))?;
            if *layer == Layer::Grid {
                close_grid_version(tx, key, at).await?;
            }
            Ok(())
        }
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Loads every layer from one snapshot (a read-only, repeatable-read transaction), so a
    /// batch committed meanwhile is seen whole or not at all.
    async fn load(&self) -> StoreResult<Dataset> {
        let mut tx = self
            .pool
            .begin_with("begin isolation level repeatable read, read only")
            .await?;
        let mut data = Dataset::default();
        for layer in Layer::ALL {
            load_layer(&mut tx, layer, &mut data).await?;
        }
        let assignments: Vec<AssignmentRow> = sqlx::query_as(
            "select worker_id, grid_code, duty from assignment order by worker_id, grid_code",
        )
        .fetch_all(&mut *tx)
        .await?;
        attach_assignments(&mut data, &assignments)?;
        data.grid_versions = load_grid_versions(&mut tx).await?;
        tx.commit().await?;
        Ok(data)
    }

    async fn grid_versions(&self) -> StoreResult<Vec<GridVersion>> {
        let mut conn = self.pool.acquire().await?;
        load_grid_versions(&mut conn).await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let any: bool = sqlx::query_scalar("select exists (select 1 from region)")
            .fetch_one(&self.pool)
            .await?;
        Ok(!any)
    }

    async fn apply(&self, changes: &[Change], at: DateTime<Utc>) -> StoreResult<()> {
        let at = fmt_time(at);
        let mut tx = self.pool.begin().await?;
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(WRITER_LOCK)
            .execute(&mut *tx)
            .await?;
        for step in plan(changes) {
            match step {
                Step::Batch(layer, run) => insert_batch(&mut tx, layer, &run, true).await?,
                Step::One(change) => apply_one(&mut tx, change, &at).await?,
            }
        }
        tx.commit().await.map_err(|e| {
            let layer = changes.first().map_or(Layer::Region, Change::layer);
            classify(e, layer, "(batch)")
        })?;
        Ok(())
    }

    async fn find_token(&self, hash: &str) -> StoreResult<Option<TokenRecord>> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("select hash, name, role from api_token where hash = $1")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(token_from_row).transpose()
    }

    async fn insert_token(&self, token: &TokenRecord, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "insert into api_token (hash, name, role, created_at) values ($1, $2, $3, $4::timestamptz)",
        )
        .bind(&token.hash)
        .bind(&token.name)
        .bind(token.role.as_str())
        .bind(fmt_time(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("select count(*) from api_token")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn camera_status_history(
        &self,
        code: &str,
        limit: i64,
    ) -> StoreResult<Vec<CameraStatusChange>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select status, to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
               from camera_status_change where code = $1 order by id desc limit $2",
        )
        .bind(code)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|(status, at)| super::status_change(status, at))
            .collect()
    }
}
