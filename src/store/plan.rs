//! The one plan for applying [`Change`]s, written once for both backends: which statements run,
//! in which order, and what their failures mean. A backend only says, by implementing [`SqlTx`]
//! for its connection, where its SQL differs (geometry, `jsonb` and time values), how it runs a
//! statement and how it checks foreign keys early; nothing here knows a dialect.
//!
//! One change is applied in these steps:
//! 1. its precondition: `Insert` needs the key absent ([`StoreError::Conflict`]), `Replace` and
//!    `Delete` need it present ([`StoreError::NotFound`]); `Put` has none;
//! 2. a grid: the next version number, the grid row, the open version closed at `at`, and a new
//!    version opened from `at` as a copy of the row just written;
//! 3. a worker: its row, then its assignments replaced (all deleted, the new ones inserted);
//! 4. any other item: its row upserted. A camera's status change is recorded in the status
//!    history by the schema's trigger on that upsert (migrations `0003_camera_status`), inside the
//!    same transaction and savepoint, so it is rolled back with the write that caused it;
//! 5. a delete: the row, and for a grid its open version closed at `at`.
//!
//! A run of plain `Put`s of one layer (an import) is written as multi-row upserts of at most
//! [`batch_rows`] rows; of several rows with one key the last wins, as it would one by one.
//!
//! Two ways to commit, both holding the backend's writer lock for the whole transaction:
//! - [`apply`]: one batch, all or nothing. Foreign keys are checked at commit (they are
//!   `deferrable initially deferred`), so a batch may write children before parents.
//! - [`apply_group`]: many writes, one transaction and one commit (one fsync). Each write runs in
//!   its own savepoint and has its foreign keys checked before the savepoint is released; a write
//!   that fails is rolled back to its savepoint alone and gets its own error, the others commit.
//!
//! Driver errors become [`StoreError`]s here, in [`classify`], and nowhere else.
//!
//! Must not import a backend (`sqlite`, `postgres`). The SQL here is what both dialects spell
//! the same way (savepoints, lookups and deletes by key); the rest is each backend's.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Transaction};

use crate::domain::{AnyItem, Grid, Layer, Worker};

use super::row::{
    Arg, Dialect, Params, STATEMENT_PARAMS, Wrap, batch_rows, fmt_time, insert_assignments_sql,
    upsert_grid_sql, upsert_rows_sql,
};
use super::{Change, StoreError, StoreResult};

/// What one backend brings to the plan: where its SQL differs from the other's (how a bound
/// text becomes a PostGIS geometry, `jsonb` or `timestamptz`), how it runs a statement with
/// bound values, and how it checks deferred foreign keys before commit. It is implemented for
/// the connection a write transaction runs on.
///
/// The statements are written once, here and in `row`, with parameters numbered `$1`, `$2`, …
/// (SQLite takes `$NNN` too; its multi-row upserts get `?` in order instead, see [`Params`]);
/// the plan binds [`Arg`]s in that order, and a backend runs them
/// through [`execute_args`](super::row::execute_args).
#[async_trait]
pub(super) trait SqlTx: Send {
    /// How a bound JSON text becomes a value of a `props` column.
    const PROPS_IN: Wrap;

    /// How a bound RFC 3339 text becomes a value of a time column.
    const TIME_IN: Wrap;

    /// How the multi-row upserts name their parameters.
    const PARAMS: Params;

    /// How a bound GeoJSON text becomes a value of `layer`'s geometry column.
    fn geometry_in(layer: Layer) -> Wrap;

    /// Runs `sql` with `args` bound to `$1`, `$2`, …
    async fn execute(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<()>;

    /// Runs `sql`, which returns one integer, with `args` bound to `$1`, `$2`, …
    async fn fetch_int(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<i64>;

    /// Checks now the deferred foreign keys that `changes`, just written, may have broken:
    /// `false` when one is broken. Afterwards foreign keys are deferred again. The check costs
    /// what the changes touched, not the size of their tables.
    async fn references_hold(&mut self, changes: &[Change]) -> sqlx::Result<bool>;
}

/// How `C` writes the columns of `layer`.
fn dialect<C: SqlTx>(layer: Layer) -> Dialect {
    Dialect {
        geometry: C::geometry_in(layer),
        props: C::PROPS_IN,
        time: C::TIME_IN,
        params: C::PARAMS,
    }
}

/// Each write of a group runs between these (one name: writes do not nest).
const SAVEPOINT: &str = "savepoint safegrid_write";
const ROLLBACK_TO_SAVEPOINT: &str = "rollback to savepoint safegrid_write";
const RELEASE_SAVEPOINT: &str = "release savepoint safegrid_write";

/// The number the next version of grid `$1` gets: one more than the highest so far.
const NEXT_GRID_VERSION: &str =
    "select cast(coalesce(max(version), 0) + 1 as bigint) from grid_version where code = $1";

/// Deletes every assignment of worker `$1`.
const DELETE_ASSIGNMENTS: &str = "delete from assignment where worker_id = $1";

/// Ends the open version of grid `$1` (if any) at `$2`.
fn close_grid_version<C: SqlTx>() -> String {
    let Wrap(open, close) = C::TIME_IN;
    format!(
        "update grid_version set valid_to = {open}$2{close} where code = $1 and valid_to is null"
    )
}

/// Opens a version of grid `$1` from `$2`, a copy of its current row (so it holds the very same
/// geometry and props).
fn open_grid_version<C: SqlTx>() -> String {
    let Wrap(open, close) = C::TIME_IN;
    format!(
        "insert into grid_version (code, version, geometry, props, valid_from) \
         select code, version, geometry, props, {open}$2{close} from grid where code = $1"
    )
}

/// Applies `changes` in `tx` and commits: all or nothing.
///
/// # Errors
/// The first change that fails, or the commit (a broken reference shows there).
pub(super) async fn apply<DB>(
    mut tx: Transaction<'_, DB>,
    changes: &[Change],
    at: DateTime<Utc>,
) -> StoreResult<()>
where
    DB: Database,
    DB::Connection: SqlTx,
{
    write(&mut *tx, changes, &fmt_time(at)).await?;
    tx.commit().await.map_err(|e| {
        let (layer, key) = label(changes);
        classify(e, layer, key)
    })
}

/// Applies each write of `writes` in its own savepoint of `tx`, in order (a write sees the
/// writes before it that succeeded), and commits them all at once. The outcome of each write is
/// returned in its place; the outer error is for the transaction itself, and then nothing is
/// committed.
///
/// # Errors
/// A savepoint statement or the commit failed (the connection or the database gave out).
pub(super) async fn apply_group<DB>(
    mut tx: Transaction<'_, DB>,
    writes: &[Vec<Change>],
    at: DateTime<Utc>,
) -> StoreResult<Vec<StoreResult<()>>>
where
    DB: Database,
    DB::Connection: SqlTx,
{
    let at = fmt_time(at);
    let conn: &mut DB::Connection = &mut tx;
    if let Some((layer, items)) = plain_inserts(writes)
        && inserted_together(conn, layer, &items).await?
    {
        tx.commit().await?;
        return Ok(writes.iter().map(|_| Ok(())).collect());
    }
    let mut outcomes = Vec::with_capacity(writes.len());
    for changes in writes {
        conn.execute(SAVEPOINT.into(), vec![]).await?;
        let outcome = write_alone(conn, changes, &at).await;
        // A failure that undid more than the savepoint (SQLite rolls the whole transaction
        // back on some I/O errors) makes the rollback fail, and so the group.
        if outcome.is_err() {
            conn.execute(ROLLBACK_TO_SAVEPOINT.into(), vec![]).await?;
        }
        conn.execute(RELEASE_SAVEPOINT.into(), vec![]).await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The items of a group whose writes are each one insert of a plain row (no grid, no worker)
/// of one layer with keys of their own, as an intake of events is; `None` for any other group.
fn plain_inserts(writes: &[Vec<Change>]) -> Option<(Layer, Vec<&AnyItem>)> {
    let mut layer = None;
    let mut keys = HashSet::with_capacity(writes.len());
    let mut items = Vec::with_capacity(writes.len());
    for changes in writes {
        let [Change::Insert(item)] = changes.as_slice() else {
            return None;
        };
        let this = item.layer();
        if matches!(this, Layer::Grid | Layer::Worker)
            || *layer.get_or_insert(this) != this
            || !keys.insert(item.key())
        {
            return None;
        }
        items.push(item);
    }
    Some((layer?, items))
}

/// Tries a group of [`plain_inserts`] as a few multi-row statements instead of four statements
/// a write: one look for any key already taken, then the rows, then the references. `false`,
/// with nothing left behind, when any of it fails: the group then goes write by write, so
/// that each failure is its own write's. Only I/O failures of the savepoint itself are errors.
async fn inserted_together<C: SqlTx>(
    conn: &mut C,
    layer: Layer,
    items: &[&AnyItem],
) -> StoreResult<bool> {
    if items.len() < 2 {
        return Ok(false);
    }
    conn.execute(SAVEPOINT.into(), vec![]).await?;
    let written = async {
        for chunk in items.chunks(STATEMENT_PARAMS) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select count(*) from {} where {} in ({})",
                layer.table(),
                layer.key_field(),
                marks.join(", ")
            );
            let args = chunk.iter().map(|i| Arg::text(i.key())).collect();
            if conn.fetch_int(sql, args).await? > 0 {
                return Ok(false);
            }
        }
        for chunk in items.chunks(batch_rows(layer)) {
            let (sql, args) = upsert_rows_sql(layer, chunk, dialect::<C>(layer));
            conn.execute(sql, args).await?;
        }
        let changes: Vec<Change> = items.iter().map(|i| Change::Insert((*i).clone())).collect();
        conn.references_hold(&changes).await
    }
    .await;
    if !matches!(written, Ok(true)) {
        conn.execute(ROLLBACK_TO_SAVEPOINT.into(), vec![]).await?;
    }
    conn.execute(RELEASE_SAVEPOINT.into(), vec![]).await?;
    Ok(matches!(written, Ok(true)))
}

/// Applies one write of a group and checks its references, so that nothing it broke is left
/// for the commit to find.
async fn write_alone<C: SqlTx>(conn: &mut C, changes: &[Change], at: &str) -> StoreResult<()> {
    write(conn, changes, at).await?;
    let (layer, key) = label(changes);
    if conn
        .references_hold(changes)
        .await
        .map_err(|e| classify(e, layer, key))?
    {
        Ok(())
    } else {
        Err(broken_reference(layer, key))
    }
}

/// Applies `changes` in order, runs of plain puts as multi-row statements.
async fn write<C: SqlTx>(conn: &mut C, changes: &[Change], at: &str) -> StoreResult<()> {
    for step in steps(changes) {
        match step {
            Step::Rows(layer, items) => upsert_rows(conn, layer, &items).await?,
            Step::One(change) => apply_one(conn, change, at).await?,
        }
    }
    Ok(())
}

/// One step of a write: a run of plain puts of one layer, or one change on its own (grids with
/// their versions, workers with their assignments, and everything with a precondition).
#[derive(Debug)]
enum Step<'a> {
    /// Puts of one layer, written with multi-row statements.
    Rows(Layer, Vec<&'a AnyItem>),
    /// One change.
    One(&'a Change),
}

/// Splits a write into [`Step`]s, keeping its order.
fn steps(changes: &[Change]) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        if let Change::Put(first) = &changes[i]
            && !matches!(first.layer(), Layer::Grid | Layer::Worker)
        {
            let layer = first.layer();
            let run: Vec<&AnyItem> = changes[i..]
                .iter()
                .map_while(|c| match c {
                    Change::Put(item) if item.layer() == layer => Some(item),
                    _ => None,
                })
                .collect();
            i += run.len();
            steps.push(Step::Rows(layer, run));
        } else {
            steps.push(Step::One(&changes[i]));
            i += 1;
        }
    }
    steps
}

/// Upserts rows of one layer, [`batch_rows`] to a statement. Only the last of several items
/// with one key is written: PostgreSQL refuses to touch a row twice in one statement.
async fn upsert_rows<C: SqlTx>(conn: &mut C, layer: Layer, items: &[&AnyItem]) -> StoreResult<()> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&AnyItem> = items
        .iter()
        .rev()
        .filter(|i| seen.insert(i.key()))
        .copied()
        .collect();
    unique.reverse();
    for chunk in unique.chunks(batch_rows(layer)) {
        let (sql, args) = upsert_rows_sql(layer, chunk, dialect::<C>(layer));
        conn.execute(sql, args).await.map_err(|e| {
            let first = chunk.first().map_or("", |i| i.key());
            classify(e, layer, first)
        })?;
    }
    Ok(())
}

async fn apply_one<C: SqlTx>(conn: &mut C, change: &Change, at: &str) -> StoreResult<()> {
    check_precondition(conn, change).await?;
    match change {
        Change::Insert(item) | Change::Replace(item) | Change::Put(item) => match item {
            AnyItem::Grid(grid) => put_grid(conn, grid, at).await,
            AnyItem::Worker(worker) => put_worker(conn, item, worker).await,
            other => upsert_rows(conn, other.layer(), &[other]).await,
        },
        Change::Delete(layer, key) => {
            let layer = *layer;
            let fail = |e| classify(e, layer, key);
            let sql = format!(
                "delete from {} where {} = $1",
                layer.table(),
                layer.key_field()
            );
            conn.execute(sql, vec![Arg::text(key)])
                .await
                .map_err(fail)?;
            if layer == Layer::Grid {
                conn.execute(
                    close_grid_version::<C>(),
                    vec![Arg::text(key), Arg::text(at)],
                )
                .await
                .map_err(fail)?;
            }
            Ok(())
        }
    }
}

/// Checks the create/replace/delete precondition of a change.
async fn check_precondition<C: SqlTx>(conn: &mut C, change: &Change) -> StoreResult<()> {
    let (layer, key, must_exist) = match change {
        Change::Insert(i) => (i.layer(), i.key(), false),
        Change::Replace(i) => (i.layer(), i.key(), true),
        Change::Delete(l, k) => (*l, k.as_str(), true),
        Change::Put(_) => return Ok(()),
    };
    let sql = format!(
        "select count(*) from {} where {} = $1",
        layer.table(),
        layer.key_field()
    );
    let found = conn
        .fetch_int(sql, vec![Arg::text(key)])
        .await
        .map_err(|e| classify(e, layer, key))?
        > 0;
    let key = key.to_owned();
    match (found, must_exist) {
        (true, false) => Err(StoreError::Conflict { layer, key }),
        (false, true) => Err(StoreError::NotFound { layer, key }),
        _ => Ok(()),
    }
}

async fn put_grid<C: SqlTx>(conn: &mut C, grid: &Grid, at: &str) -> StoreResult<()> {
    let code = grid.code.as_str();
    let fail = |e| classify(e, Layer::Grid, code);
    let version = conn
        .fetch_int(NEXT_GRID_VERSION.into(), vec![Arg::text(code)])
        .await
        .map_err(fail)?;
    let (sql, args) = upsert_grid_sql(grid, version, C::geometry_in(Layer::Grid), C::PROPS_IN);
    conn.execute(sql, args).await.map_err(fail)?;
    for sql in [close_grid_version::<C>(), open_grid_version::<C>()] {
        conn.execute(sql, vec![Arg::text(code), Arg::text(at)])
            .await
            .map_err(fail)?;
    }
    Ok(())
}

async fn put_worker<C: SqlTx>(conn: &mut C, item: &AnyItem, worker: &Worker) -> StoreResult<()> {
    let fail = |e| classify(e, Layer::Worker, &worker.id);
    upsert_rows(conn, Layer::Worker, &[item]).await?;
    conn.execute(DELETE_ASSIGNMENTS.into(), vec![Arg::text(&worker.id)])
        .await
        .map_err(fail)?;
    if !worker.grids.is_empty() {
        let (sql, args) = insert_assignments_sql(worker);
        conn.execute(sql, args).await.map_err(fail)?;
    }
    Ok(())
}

/// The layer and key an error of a whole write is told by: its change's when it has one.
fn label(changes: &[Change]) -> (Layer, &str) {
    match changes {
        [Change::Insert(i) | Change::Replace(i) | Change::Put(i)] => (i.layer(), i.key()),
        [Change::Delete(layer, key)] => (*layer, key),
        _ => (
            changes.first().map_or(Layer::Region, Change::layer),
            "(batch)",
        ),
    }
}

/// A broken foreign key of a write of `key` in `layer`.
fn broken_reference(layer: Layer, key: &str) -> StoreError {
    StoreError::Reference(format!(
        "{layer} `{key}`: a referenced parent is missing or the item is still referenced"
    ))
}

/// Maps a unique violation to [`StoreError::Conflict`] and a foreign-key violation to
/// [`StoreError::Reference`]; both drivers report them through the same `sqlx` predicates.
fn classify(e: sqlx::Error, layer: Layer, key: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Conflict {
                layer,
                key: key.to_owned(),
            };
        }
        if db.is_foreign_key_violation() {
            return broken_reference(layer, key);
        }
    }
    StoreError::Database(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that records what it is asked to run and finds nothing.
    #[derive(Default)]
    struct Recorder(Vec<(String, Vec<Arg>)>);

    #[async_trait]
    impl SqlTx for Recorder {
        const PROPS_IN: Wrap = Wrap::NONE;
        const TIME_IN: Wrap = Wrap::NONE;
        const PARAMS: Params = Params::Numbered;

        fn geometry_in(_layer: Layer) -> Wrap {
            Wrap::NONE
        }

        async fn execute(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<()> {
            self.0.push((sql, args));
            Ok(())
        }

        async fn fetch_int(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<i64> {
            self.0.push((sql, args));
            Ok(0)
        }

        async fn references_hold(&mut self, _changes: &[Change]) -> sqlx::Result<bool> {
            Ok(true)
        }
    }

    impl Recorder {
        /// The first words of each statement run, up to its first parenthesis or parameter.
        fn heads(&self) -> Vec<&str> {
            self.0
                .iter()
                .map(|(sql, _)| sql.split(['(', '$']).next().unwrap_or_default().trim())
                .collect()
        }
    }

    fn item(layer: Layer, feature: &serde_json::Value) -> AnyItem {
        let feature: geojson::Feature =
            serde_json::from_value(feature.clone()).expect("feature JSON");
        AnyItem::from_feature(layer, &feature).expect("valid item")
    }

    fn camera(code: &str, lon: f64) -> AnyItem {
        item(
            Layer::Camera,
            &serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 29.2]},
                "properties": {"code": code, "name": "路口", "azimuth_deg": 45.0, "range_m": 80.0, "kind": "fixed"}}),
        )
    }

    #[tokio::test]
    async fn a_grid_insert_checks_then_writes_its_row_then_closes_and_opens_a_version() {
        let grid = item(
            Layer::Grid,
            &serde_json::json!({"type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.1, 29.0], [120.1, 29.1], [120.0, 29.0]]]},
                "properties": {"code": "330783001014001", "name": "第1网格", "kind": "residential"}}),
        );
        let mut tx = Recorder::default();
        write(
            &mut tx,
            &[Change::Insert(grid)],
            "2024-03-01T08:00:00.000000Z",
        )
        .await
        .expect("applies");
        assert_eq!(
            tx.heads(),
            [
                "select count",
                "select cast",
                "insert into grid",
                "update grid_version set valid_to =",
                "insert into grid_version"
            ]
        );
    }

    #[tokio::test]
    async fn a_run_of_puts_is_written_in_statements_of_bounded_rows_the_last_of_a_key_winning() {
        let mut changes: Vec<Change> = (0..1_500)
            .map(|i| Change::Put(camera(&format!("3307830000132{i:07}"), 120.0)))
            .collect();
        changes.push(Change::Put(camera("33078300001320000000", 121.5)));
        let mut tx = Recorder::default();
        write(&mut tx, &changes, "2024-03-01T08:00:00.000000Z")
            .await
            .expect("applies");
        let rows: Vec<usize> = tx.0.iter().map(|(_, args)| args.len() / 3).collect();
        let per = batch_rows(Layer::Camera);
        assert!((100..1_000).contains(&per), "{per}");
        assert_eq!(rows.iter().sum::<usize>(), 1_500);
        assert!(rows[..rows.len() - 1].iter().all(|&n| n == per), "{rows:?}");
        // The first key is written once, with its last geometry, in the last statement.
        let first = Arg::text("33078300001320000000");
        let (_, last) = tx.0.last().expect("statements");
        let at = last
            .iter()
            .position(|a| matches!((a, &first), (Arg::Text(a), Arg::Text(b)) if a == b))
            .expect("the repeated key is in the last statement");
        let Arg::Text(Some(geometry)) = &last[at + 1] else {
            panic!("geometry text");
        };
        assert!(geometry.contains("121.5"), "{geometry}");
        assert!(
            tx.0[0]
                .1
                .iter()
                .all(|a| !matches!((a, &first), (Arg::Text(a), Arg::Text(b)) if a == b))
        );
    }
}
