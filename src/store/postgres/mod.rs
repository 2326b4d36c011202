//! The PostgreSQL + PostGIS store: [`PgStore`] owns the connection pool, the `migrations/postgres`
//! schema and every PostGIS-specific piece of SQL of safegrid: connection setup, the PostGIS
//! check and the read queries here (the long ones in `.sql` files beside), and in `write` what
//! the write statements have of their own (geometry in, `jsonb`, `timestamptz`, the early
//! foreign-key check). It implements [`Store`] with exactly the semantics of
//! [`SqliteStore`](super::SqliteStore): how a change is applied is the plan's (`store::plan`),
//! the row encoding both share is in `row`.
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
//! item surfaces at commit (or, for each write of a group, when the plan checks it), where it
//! maps to [`StoreError::Reference`].
//!
//! Must not import the SQLite backend.

mod write;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Transaction};

use crate::domain::progress::Progress;
use crate::domain::{Dataset, Event, EventPoint, EventQuery, GridVersion, Layer, ListedEvent};

use super::plan;
use super::row::{
    AssignmentRow, EventPoints, EventSql, LayerRow, VersionRow, attach_assignments, decode_row,
    decode_version, fetch_all_args, fetch_int_args, fmt_time, has_geometry, list_events_sql,
    token_from_row,
};
use super::{
    CameraStatusChange, Change, PersonalRead, Store, StoreError, StoreResult, TokenRecord,
};

/// Connections in the pool.
const MAX_CONNECTIONS: u32 = 8;

/// Key of the advisory lock every writing transaction holds (`"safegrid"` in ASCII).
const WRITER_LOCK: i64 = 0x7361_6665_6772_6964;

/// GeoJSON out, exact: see the module doc for why 30 and not 15.
const GEOJSON_OUT: &str = "ST_AsGeoJSON(geometry, 30)";

/// Advice given when PostGIS is missing.
const INSTALL_POSTGIS: &str = "install PostGIS on the database server (Debian/Ubuntu: `apt-get install postgresql-15-postgis-3`, \
     matching the server's major version) and make sure the connecting role may run `create extension postgis` \
     (or have a superuser run it once in this database)";

/// How PostGIS reads listed events: the box test runs on the GiST index of `geometry`.
const EVENT_SQL: EventSql = EventSql {
    select: "seq, id, lon, lat, category, status, source, \
             to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') as occurred_at, \
             to_char(reported_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') as reported_at, \
             grid_code, description",
    in_box: |w, s, e, n| format!("geometry && ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326)"),
    time: super::row::Wrap("", "::timestamptz"),
};

/// PostgreSQL + PostGIS-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    postgis: String,
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

    /// A write transaction, holding the writer lock.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(WRITER_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
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
    let rows: Vec<VersionRow> = sqlx::query_as(include_str!("grid_versions.sql"))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(decode_version).collect()
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
        for layer in Layer::ALL.into_iter().filter(|l| *l != Layer::Event) {
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

    async fn event_count(&self) -> StoreResult<u64> {
        let n = fetch_int_args(&self.pool, "select count(*) from event".into(), vec![]).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn load_event_points(&self, progress: &Progress) -> StoreResult<Vec<EventPoint>> {
        let mut points = EventPoints::default();
        // The columns EventPoints::push reads, in its order.
        let mut rows = sqlx::query(
            "select id, lon, lat, category, status, source, \
             floor(extract(epoch from occurred_at))::bigint as occurred_at, \
             floor(extract(epoch from reported_at))::bigint as reported_at \
             from event order by seq",
        )
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            points.push(&row)?;
            progress.advance(1);
        }
        Ok(points.points)
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
        plan::apply(self.begin_write().await?, changes, at).await
    }

    async fn apply_group(
        &self,
        writes: &[Vec<Change>],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<()>>> {
        plan::apply_group(self.begin_write().await?, writes, at).await
    }

    async fn list_events(&self, query: &EventQuery) -> StoreResult<Vec<ListedEvent>> {
        EVENT_SQL.list(&self.pool, query).await
    }

    async fn explain_events(&self, query: &EventQuery) -> StoreResult<String> {
        let (sql, args) = list_events_sql(query, &EVENT_SQL);
        let rows: Vec<(String,)> =
            fetch_all_args(&self.pool, format!("explain {sql}"), args).await?;
        Ok(rows
            .into_iter()
            .map(|(line,)| line)
            .collect::<Vec<_>>()
            .join("\n"))
    }

    async fn event(&self, id: &str) -> StoreResult<Option<Event>> {
        EVENT_SQL.one(&self.pool, id).await
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

    async fn record_personal_read(&self, read: &PersonalRead) -> StoreResult<()> {
        sqlx::query(
            "insert into personal_read (at, token, role, what, subjects, sample) values ($1::timestamptz, $2, $3, $4, $5, $6)",
        )
        .bind(fmt_time(read.at))
        .bind(&read.token)
        .bind(read.role.as_str())
        .bind(&read.what)
        .bind(i64::try_from(read.subjects).unwrap_or(i64::MAX))
        .bind(read.sample.join(","))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn personal_reads(&self, limit: i64) -> StoreResult<Vec<PersonalRead>> {
        let rows: Vec<(String, String, String, String, i64, String)> = sqlx::query_as(
            r#"select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), token, role, what, subjects, sample
               from personal_read order by id desc limit $1"#,
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(super::personal_read).collect()
    }

    async fn camera_status_history(
        &self,
        code: &str,
        limit: i64,
    ) -> StoreResult<Vec<CameraStatusChange>> {
        let rows: Vec<(String, String)> = sqlx::query_as(include_str!("camera_status_history.sql"))
            .bind(code)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|(status, at)| super::status_change(status, at))
            .collect()
    }
}
