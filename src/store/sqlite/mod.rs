//! The embedded SQLite store: one file, WAL mode, `synchronous=FULL`, foreign keys on and a busy
//! timeout, all set explicitly and checked at start (drivers' defaults differ between versions).
//! Geometry is GeoJSON text. This folder holds SQLite's connection setup, its read queries and,
//! in `write`, what its write statements have of their own (nothing but the early foreign-key
//! check); how a change is applied is the plan's (`store::plan`).
//!
//! Writers begin with `begin immediate`: the write lock is taken up front (waiting out the busy
//! timeout) rather than on the first write, where a second writer would fail at once with
//! `SQLITE_BUSY` instead of waiting. They run on one connection of their own, whose page cache
//! stays warm; readers have a pool. `checkpoint` copies the WAL into the file off the commit
//! path.
//!
//! Must not import the PostgreSQL backend.

mod checkpoint;
mod write;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt as _, TryStreamExt};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool, Transaction};

use crate::domain::progress::Progress;
use crate::domain::{
    AnyItem, Dataset, Event, EventPoint, EventQuery, GridVersion, Layer, ListedEvent,
};

use super::plan;
use super::row::{
    AssignmentRow, EventPoints, EventSql, LayerRow, VersionRow, attach_assignments, decode_row,
    decode_version, fetch_all_args, fetch_int_args, fmt_time, has_geometry, list_events_sql,
    token_from_row,
};
use super::{
    CameraStatusChange, Change, PersonalRead, Store, StoreError, StoreResult, TokenRecord,
};

/// How SQLite reads listed events: the box test runs on the R*Tree `event_space`.
const EVENT_SQL: EventSql = EventSql {
    select: "seq, id, lon, lat, category, status, source, occurred_at, reported_at, grid_code, \
             description",
    in_box: |w, s, e, n| {
        format!(
            "seq in (select seq from event_space where max_lon >= {w} and min_lon <= {e} \
             and max_lat >= {s} and min_lat <= {n})"
        )
    },
    time: super::row::Wrap::NONE,
};

/// Sequence numbers of events read in one packed text at start-up.
const EVENT_CHUNK: u16 = 8_192;

/// Rows a query may read ahead of its reader.
const ROW_BUFFER: usize = 4_096;

/// SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers, and writes outside the write path (tokens).
    pool: SqlitePool,
    /// The one connection that write transactions run on, so that its page cache stays
    /// warm: SQLite drops a connection's whole cache when another connection wrote since it
    /// last read, and groups of writes that took turns on the pool's connections re-read the
    /// pages of every index they touched (a layer of a million events wrote 30 % slower).
    writer: SqlitePool,
    /// Checkpoints the WAL off the commit path while the store lives (`None` in memory).
    _checkpointer: Option<checkpoint::Checkpointer>,
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
            .busy_timeout(Duration::from_secs(10))
            .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
            // Rows cross from the connection's thread to the reader through a bounded channel;
            // at the default 50 the two threads woke each other for nearly every row, and
            // start-up over 10 million events spent a third of its time switching between them.
            .row_buffer_size(ROW_BUFFER);
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives in one connection.
            .max_connections(if in_memory { 1 } else { 4 })
            .connect_with(options.clone())
            .await?;
        let writer = if in_memory {
            pool.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(1)
                // A page cache of 64 MiB (the default is 2 MiB): an intake of events touches
                // pages of every index of a layer of millions, and a page not cached is a read
                // from the file for each write. Readers scan, and keep the default.
                .connect_with(options.pragma("cache_size", "-65536"))
                .await?
        };
        let checkpointer = (!in_memory).then(|| checkpoint::Checkpointer::start(pool.clone()));
        let store = Self {
            pool,
            writer,
            _checkpointer: checkpointer,
        };
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

    /// The pool, for tests of the schema.
    #[cfg(test)]
    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction, holding SQLite's write lock.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("begin immediate").await?)
    }

    /// Reads the events with seq in `[start, end)` one row at a time into `points`: for a chunk
    /// whose packed text does not parse. Answers how many.
    async fn push_event_rows(
        &self,
        points: &mut EventPoints,
        start: i64,
        end: i64,
    ) -> StoreResult<usize> {
        let before = points.points.len();
        // The columns EventPoints::push reads, in its order.
        let mut rows = sqlx::query(
            "select id, lon, lat, category, status, source, \
             unixepoch(occurred_at) as occurred_at, unixepoch(reported_at) as reported_at \
             from event where seq >= $1 and seq < $2 order by seq",
        )
        .bind(start)
        .bind(end)
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            points.push(&row)?;
        }
        Ok(points.points.len() - before)
    }
}

/// Every item of `layer`.
async fn load_layer(pool: &SqlitePool, layer: Layer) -> StoreResult<Vec<AnyItem>> {
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
    let rows: Vec<LayerRow> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await?;
    rows.iter().map(|row| decode_row(layer, row)).collect()
}

/// The outcome of a loading task; a task that panicked is a setup failure.
fn joined<T>(outcome: Result<StoreResult<T>, tokio::task::JoinError>) -> StoreResult<T> {
    outcome.map_err(|e| StoreError::Setup(format!("a loading task failed: {e}")))?
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// Loads the layers side by side, each on a connection and a task of its own, so that the
    /// decoding of a big layer (a province's million cameras, its buildings) runs on every core.
    async fn load(&self) -> StoreResult<Dataset> {
        let tasks: Vec<_> = Layer::ALL
            .into_iter()
            .filter(|l| *l != Layer::Event)
            .map(|layer| {
                let pool = self.pool.clone();
                tokio::spawn(async move { load_layer(&pool, layer).await })
            })
            .collect();
        let versions = {
            let store = self.clone();
            tokio::spawn(async move { store.grid_versions().await })
        };
        let mut data = Dataset::default();
        for task in tasks {
            for item in joined(task.await)? {
                data.push(item);
            }
        }
        let assignments: Vec<AssignmentRow> =
            sqlx::query_as("select worker_id, grid_code, duty from assignment")
                .fetch_all(&self.pool)
                .await?;
        attach_assignments(&mut data, &assignments)?;
        data.grid_versions = joined(versions.await)?;
        Ok(data)
    }

    async fn event_count(&self) -> StoreResult<u64> {
        let n = fetch_int_args(&self.pool, "select count(*) from event".into(), vec![]).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn load_event_points(&self, progress: &Progress) -> StoreResult<Vec<EventPoint>> {
        let (first, last): (Option<i64>, Option<i64>) =
            sqlx::query_as("select min(seq), max(seq) from event")
                .fetch_one(&self.pool)
                .await?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        // Chunks of seq, packed by SQLite into one text each (`event_points.sql`), two read at
        // a time on two connections and parsed in order. A chunk that does not parse is read
        // again row by row, once the reads ahead of it are dropped (an in-memory database has
        // a single connection).
        let mut points = EventPoints::default();
        let mut from = first;
        while from <= last {
            let mut redo = None;
            let chunks = (from..=last)
                .step_by(usize::from(EVENT_CHUNK))
                .map(|start| (start, start.saturating_add(i64::from(EVENT_CHUNK))));
            let mut packed = futures_util::stream::iter(chunks)
                .map(|(start, end)| async move {
                    let text: Option<String> = sqlx::query_scalar(include_str!("event_points.sql"))
                        .bind(start)
                        .bind(end)
                        .fetch_one(&self.pool)
                        .await?;
                    Ok::<_, StoreError>((start, end, text))
                })
                .buffered(2);
            while let Some((start, end, text)) = packed.try_next().await? {
                match text.map(|t| points.push_packed(&t)) {
                    Some(Some(n)) => progress.advance(n as u64),
                    Some(None) => {
                        redo = Some((start, end));
                        break;
                    }
                    None => {}
                }
            }
            drop(packed);
            let Some((start, end)) = redo else { break };
            let n = self.push_event_rows(&mut points, start, end).await?;
            progress.advance(n as u64);
            from = end;
        }
        Ok(points.points)
    }

    async fn grid_versions(&self) -> StoreResult<Vec<GridVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(include_str!("grid_versions.sql"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(decode_version).collect()
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("select count(*) from region")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
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
        let rows: Vec<(i64, i64, i64, String)> =
            fetch_all_args(&self.pool, format!("explain query plan {sql}"), args).await?;
        Ok(rows
            .into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("\n"))
    }

    async fn event(&self, id: &str) -> StoreResult<Option<Event>> {
        EVENT_SQL.one(&self.pool, id).await
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

    async fn record_personal_read(&self, read: &PersonalRead) -> StoreResult<()> {
        sqlx::query(
            "insert into personal_read (at, token, role, what, subjects, sample) values (?, ?, ?, ?, ?, ?)",
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
            "select at, token, role, what, subjects, sample from personal_read order by id desc limit ?",
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
