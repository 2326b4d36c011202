//! The embedded SQLite store: one file, WAL mode, `synchronous=FULL`, foreign keys on and a busy
//! timeout, all set explicitly and checked at start (drivers' defaults differ between versions).
//! Geometry is GeoJSON text.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqlitePool, Transaction};

use crate::domain::{AnyItem, Dataset, Grid, GridVersion, Item, Layer, Worker};

use super::row::{
    AssignmentRow, BATCH_ROWS, LayerRow, Step, attach_assignments, classify, decode_grid,
    decode_row, duty_name, fmt_time, has_geometry, link_columns, parse_time, plan, region_parent,
    token_from_row,
};
use super::{CameraStatusChange, Change, Store, StoreError, StoreResult, TokenRecord};

/// SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:PATH`, `sqlite::memory:` or a
    /// plain path) and applies migrations.
    ///
    /// # Errors
    /// Connection, pragma check or migration failures.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            let path = options.get_filename();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Setup(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives in one connection.
            .max_connections(if in_memory { 1 } else { 4 })
            .connect_with(options)
            .await?;
        let store = Self { pool };
        store.check_pragmas(in_memory).await?;
        sqlx::migrate!("migrations/sqlite").run(&store.pool).await?;
        Ok(store)
    }

    async fn check_pragmas(&self, in_memory: bool) -> StoreResult<()> {
        let journal: String = sqlx::query_scalar("pragma journal_mode")
            .fetch_one(&self.pool)
            .await?;
        let fk: i64 = sqlx::query_scalar("pragma foreign_keys")
            .fetch_one(&self.pool)
            .await?;
        let sync: i64 = sqlx::query_scalar("pragma synchronous")
            .fetch_one(&self.pool)
            .await?;
        let want_journal = if in_memory { "memory" } else { "wal" };
        if journal != want_journal || fk != 1 || sync != 2 {
            return Err(StoreError::Setup(format!(
                "SQLite pragmas are journal_mode={journal}, foreign_keys={fk}, synchronous={sync}; expected {want_journal}, 1, 2 (FULL)"
            )));
        }
        Ok(())
    }

    async fn load_layer(&self, layer: Layer, data: &mut Dataset) -> StoreResult<()> {
        let geometry = if has_geometry(layer) {
            "geometry"
        } else {
            "null"
        };
        let sql = format!(
            "select {} as key, {geometry} as geometry, props from {}",
            layer.key_field(),
            layer.table()
        );
        let rows: Vec<LayerRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            data.push(decode_row(layer, row)?);
        }
        Ok(())
    }
}

/// Inserts (or upserts) items of one layer with multi-row statements.
async fn insert_batch(
    tx: &mut Transaction<'_, Sqlite>,
    layer: Layer,
    items: &[&AnyItem],
    upsert: bool,
) -> StoreResult<()> {
    let key = layer.key_field();
    let links = link_columns(layer);
    for chunk in items.chunks(BATCH_ROWS) {
        let mut cols = vec![key];
        if has_geometry(layer) {
            cols.push("geometry");
        }
        cols.push("props");
        cols.extend_from_slice(links);
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "insert into {} ({}) ",
            layer.table(),
            cols.join(", ")
        ));
        qb.push_values(chunk, |mut b, item| {
            b.push_bind(item.key().to_owned());
            if has_geometry(layer) {
                b.push_bind(item.geometry_json());
            }
            b.push_bind(item.properties_json());
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

async fn exists(tx: &mut Transaction<'_, Sqlite>, layer: Layer, key: &str) -> StoreResult<bool> {
    let sql = format!(
        "select count(*) from {} where {} = ?",
        layer.table(),
        layer.key_field()
    );
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

/// Checks the create/replace precondition of a change.
async fn check_precondition(tx: &mut Transaction<'_, Sqlite>, change: &Change) -> StoreResult<()> {
    let (layer, key, must_exist) = match change {
        Change::Insert(i) => (i.layer(), i.key(), Some(false)),
        Change::Replace(i) => (i.layer(), i.key(), Some(true)),
        Change::Delete(l, k) => (*l, k.as_str(), Some(true)),
        Change::Put(i) => (i.layer(), i.key(), None),
    };
    if let Some(must_exist) = must_exist {
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
    }
    Ok(())
}

async fn close_grid_version(
    tx: &mut Transaction<'_, Sqlite>,
    code: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query("update grid_version set valid_to = ? where code = ? and valid_to is null")
        .bind(at)
        .bind(code)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn put_grid(tx: &mut Transaction<'_, Sqlite>, grid: &Grid, at: &str) -> StoreResult<()> {
    let version: i64 =
        sqlx::query_scalar("select coalesce(max(version), 0) + 1 from grid_version where code = ?")
            .bind(&grid.code)
            .fetch_one(&mut **tx)
            .await?;
    let geometry = grid.geometry().map(|g| g.to_string());
    let props = serde_json::to_string(grid).unwrap_or_default();
    sqlx::query(
        "insert into grid (code, community_code, parent_code, version, geometry, props) values (?, ?, ?, ?, ?, ?) \
         on conflict (code) do update set community_code = excluded.community_code, parent_code = excluded.parent_code, \
         version = excluded.version, geometry = excluded.geometry, props = excluded.props",
    )
    .bind(&grid.code)
    .bind(grid.community_code())
    .bind(&grid.parent_code)
    .bind(version)
    .bind(&geometry)
    .bind(&props)
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, Layer::Grid, &grid.code))?;
    close_grid_version(tx, &grid.code, at).await?;
    sqlx::query(
        "insert into grid_version (code, version, geometry, props, valid_from) values (?, ?, ?, ?, ?)",
    )
    .bind(&grid.code)
    .bind(version)
    .bind(&geometry)
    .bind(&props)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn put_worker(tx: &mut Transaction<'_, Sqlite>, worker: &Worker) -> StoreResult<()> {
    sqlx::query(
        "insert into worker (id, props) values (?, ?) on conflict (id) do update set props = excluded.props",
    )
    .bind(&worker.id)
    .bind(serde_json::to_string(worker).unwrap_or_default())
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from assignment where worker_id = ?")
        .bind(&worker.id)
        .execute(&mut **tx)
        .await?;
    for a in &worker.grids {
        sqlx::query("insert into assignment (worker_id, grid_code, duty) values (?, ?, ?)")
            .bind(&worker.id)
            .bind(&a.grid)
            .bind(duty_name(a.duty))
            .execute(&mut **tx)
            .await
            .map_err(|e| classify(e, Layer::Worker, &worker.id))?;
    }
    Ok(())
}

async fn apply_one(tx: &mut Transaction<'_, Sqlite>, change: &Change, at: &str) -> StoreResult<()> {
    check_precondition(tx, change).await?;
    match change {
        Change::Insert(item) | Change::Replace(item) | Change::Put(item) => match item {
            AnyItem::Grid(g) => put_grid(tx, g, at).await,
            AnyItem::Worker(w) => put_worker(tx, w).await,
            other => insert_batch(tx, other.layer(), &[other], true).await,
        },
        Change::Delete(layer, key) => {
            let sql = format!(
                "delete from {} where {} = ?",
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
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn load(&self) -> StoreResult<Dataset> {
        let mut data = Dataset::default();
        for layer in Layer::ALL {
            self.load_layer(layer, &mut data).await?;
        }
        let assignments: Vec<AssignmentRow> =
            sqlx::query_as("select worker_id, grid_code, duty from assignment")
                .fetch_all(&self.pool)
                .await?;
        attach_assignments(&mut data, &assignments)?;
        data.grid_versions = self.grid_versions().await?;
        Ok(data)
    }

    async fn grid_versions(&self) -> StoreResult<Vec<GridVersion>> {
        #[derive(sqlx::FromRow)]
        struct VersionRow {
            key: String,
            geometry: Option<String>,
            props: String,
            version: i64,
            valid_from: String,
            valid_to: Option<String>,
        }
        let rows: Vec<VersionRow> = sqlx::query_as(
            "select code as key, geometry, props, version, valid_from, valid_to from grid_version order by code, version",
        )
        .fetch_all(&self.pool)
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

    async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("select count(*) from region")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    async fn apply(&self, changes: &[Change], at: DateTime<Utc>) -> StoreResult<()> {
        let at = fmt_time(at);
        let mut tx = self.pool.begin().await?;
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
            sqlx::query_as("select hash, name, role from api_token where hash = ?")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(token_from_row).transpose()
    }

    async fn insert_token(&self, token: &TokenRecord, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("insert into api_token (hash, name, role, created_at) values (?, ?, ?, ?)")
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
            "select status, changed_at from camera_status_change where code = ? order by id desc limit ?",
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
