//! Row encoding shared by both backends: an item is stored as its key, its geometry as GeoJSON
//! text and its other fields as a JSON document. Rows read back decode into domain items; items
//! written encode into statements with numbered parameters and their [`Arg`]s, many of one
//! layer into one multi-row upsert ([`upsert_rows_sql`]), in which each dialect only says how a
//! bound text becomes a column value ([`Wrap`]); either backend runs them with
//! [`execute_args`] and [`fetch_int_args`].
//!
//! Must not import a backend (`sqlite`, `postgres`) or the plan: this is the shape of a row, not
//! when it is written.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::future::BoxFuture;
use geojson::JsonObject;
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type,
};

use crate::domain::{
    AnyItem, Building, Camera, Dataset, DomainError, DomainResult, Duty, Event, EventCursor,
    EventPoint, EventQuery, EventStatus, Grid, GridVersion, Item, KeyArea, Layer, ListedEvent,
    Obstacle, PatrolRoute, Region, Road, Worker,
};

use super::{StoreError, StoreResult};

/// Formats a time the way it is stored: RFC 3339 UTC with microseconds, so text order is
/// time order (SQLite keeps the text; PostgreSQL casts it to `timestamptz`, which holds
/// microseconds, so both backends keep the same instant).
#[must_use]
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored RFC 3339 time.
///
/// # Errors
/// [`StoreError::Setup`] when the text is not RFC 3339.
pub fn parse_time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Setup(format!("stored time `{s}` does not parse: {e}")))
}

/// One stored item as the database returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct LayerRow {
    pub key: String,
    pub geometry: Option<String>,
    pub props: String,
}

/// One stored worker assignment.
#[derive(Debug, sqlx::FromRow)]
pub struct AssignmentRow {
    pub worker_id: String,
    pub grid_code: String,
    pub duty: String,
}

fn decode<T: Item>(row: &LayerRow) -> DomainResult<T> {
    let props: JsonObject =
        serde_json::from_str(&row.props).map_err(|e| DomainError::new("props", e.to_string()))?;
    let mut item = T::from_properties(props)?;
    let geometry = row
        .geometry
        .as_deref()
        .map(geojson::Geometry::from_str)
        .transpose()
        .map_err(|e| DomainError::new("geometry", e.to_string()))?;
    item.set_stored_geometry(geometry.as_ref())?;
    Ok(item)
}

/// Decodes a row of `layer`.
///
/// # Errors
/// [`StoreError::Corrupt`] when the stored JSON no longer parses.
pub fn decode_row(layer: Layer, row: &LayerRow) -> StoreResult<AnyItem> {
    let item = match layer {
        Layer::Region => decode::<Region>(row).map(AnyItem::Region),
        Layer::Grid => decode::<Grid>(row).map(AnyItem::Grid),
        Layer::Worker => decode::<Worker>(row).map(AnyItem::Worker),
        Layer::Camera => decode::<Camera>(row).map(AnyItem::Camera),
        Layer::PatrolRoute => decode::<PatrolRoute>(row).map(AnyItem::PatrolRoute),
        Layer::KeyArea => decode::<KeyArea>(row).map(AnyItem::KeyArea),
        Layer::Event => decode::<Event>(row).map(AnyItem::Event),
        Layer::Building => decode::<Building>(row).map(AnyItem::Building),
        Layer::Obstacle => decode::<Obstacle>(row).map(AnyItem::Obstacle),
        Layer::Road => decode::<Road>(row).map(AnyItem::Road),
    };
    item.map_err(|source| StoreError::Corrupt {
        table: layer.table(),
        key: row.key.clone(),
        source,
    })
}

/// Decodes a grid row (for grid versions).
///
/// # Errors
/// [`StoreError::Corrupt`].
pub fn decode_grid(row: &LayerRow) -> StoreResult<Grid> {
    decode::<Grid>(row).map_err(|source| StoreError::Corrupt {
        table: "grid_version",
        key: row.key.clone(),
        source,
    })
}

/// Parses a stored duty name.
///
/// # Errors
/// [`StoreError::Corrupt`].
pub fn parse_duty(row: &AssignmentRow) -> StoreResult<Duty> {
    row.duty.parse().map_err(|source| StoreError::Corrupt {
        table: "assignment",
        key: format!("{}/{}", row.worker_id, row.grid_code),
        source,
    })
}

/// Replaces each worker's `grids` by the stored assignments (the assignment table is the truth).
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown duty.
pub fn attach_assignments(data: &mut Dataset, rows: &[AssignmentRow]) -> StoreResult<()> {
    let mut by_worker: std::collections::HashMap<&str, Vec<crate::domain::Assignment>> =
        std::collections::HashMap::new();
    for row in rows {
        by_worker
            .entry(row.worker_id.as_str())
            .or_default()
            .push(crate::domain::Assignment {
                grid: row.grid_code.clone(),
                duty: parse_duty(row)?,
            });
    }
    for worker in &mut data.workers {
        worker.grids = by_worker.remove(worker.id.as_str()).unwrap_or_default();
    }
    Ok(())
}

/// Bound parameters per multi-row statement. Kept small: where parameters are numbered, SQLite
/// finds each by a linear scan of the statement's parameter names ([`Params::InOrder`] says
/// more); at 12,000 of them that scan took 60 % of a seed's time. Around 500, a statement's own
/// cost and any scan are both small.
pub const STATEMENT_PARAMS: usize = 500;

/// Rows of `layer` per multi-row upsert: as many as [`STATEMENT_PARAMS`] allows.
#[must_use]
pub fn batch_rows(layer: Layer) -> usize {
    let columns = match layer {
        Layer::Event => EVENT_COLUMNS.len(),
        Layer::Region => 4, // code, geometry, props, parent
        Layer::Worker => 2, // id, props
        _ => 3,             // key, geometry, props
    };
    (STATEMENT_PARAMS / columns).max(1)
}

/// Whether a layer's table has a geometry column.
#[must_use]
pub fn has_geometry(layer: Layer) -> bool {
    layer != Layer::Worker
}

/// A value bound to a statement parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text, or null.
    Text(Option<String>),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
}

impl Arg {
    /// Text from a borrowed string.
    #[must_use]
    pub fn text(s: &str) -> Arg {
        Arg::Text(Some(s.to_owned()))
    }
}

/// Binds `args` in order to a `Query` or a `QueryAs` (both have `bind`).
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(text) => query.bind(text),
                Arg::Int(n) => query.bind(n),
                Arg::Real(x) => query.bind(x),
            };
        }
        query
    }};
}

/// Binds `args` to `query` in order.
fn bind_args<DB>(
    query: Query<'static, DB, DB::Arguments>,
    args: Vec<Arg>,
) -> Query<'static, DB, DB::Arguments>
where
    DB: Database,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    bind_all!(query, args)
}

/// Runs `sql` with `args` bound to `$1`, `$2`, … on either backend. (A boxed future: an
/// `async fn` generic over the executor is not `Send` for every lifetime of the connection.)
pub fn execute_args<'c, E>(
    executor: E,
    sql: String,
    args: Vec<Arg>,
) -> BoxFuture<'c, sqlx::Result<()>>
where
    E: Executor<'c> + 'c,
    <E::Database as Database>::Arguments: IntoArguments<E::Database>,
    for<'t> Option<String>: Encode<'t, E::Database> + Type<E::Database>,
    for<'t> i64: Encode<'t, E::Database> + Type<E::Database>,
    for<'t> f64: Encode<'t, E::Database> + Type<E::Database>,
{
    Box::pin(async move {
        bind_args(sqlx::query(AssertSqlSafe(sql)), args)
            .execute(executor)
            .await?;
        Ok(())
    })
}

/// Runs `sql`, which returns one integer, with `args` bound to `$1`, `$2`, … on either backend.
pub fn fetch_int_args<'c, E>(
    executor: E,
    sql: String,
    args: Vec<Arg>,
) -> BoxFuture<'c, sqlx::Result<i64>>
where
    E: Executor<'c> + 'c,
    <E::Database as Database>::Arguments: IntoArguments<E::Database>,
    for<'t> Option<String>: Encode<'t, E::Database> + Type<E::Database>,
    for<'t> i64: Encode<'t, E::Database> + Type<E::Database> + Decode<'t, E::Database>,
    for<'t> f64: Encode<'t, E::Database> + Type<E::Database>,
    usize: ColumnIndex<<E::Database as Database>::Row>,
{
    Box::pin(async move {
        bind_args(sqlx::query(AssertSqlSafe(sql)), args)
            .fetch_one(executor)
            .await?
            .try_get(0)
    })
}

/// How a dialect makes a column's value of a bound text: the SQL before and after the
/// placeholder (nothing in SQLite; `ST_GeomFromGeoJSON(…)` around geometry and a `::jsonb` cast
/// after props in PostGIS).
#[derive(Debug, Clone, Copy)]
pub struct Wrap(pub &'static str, pub &'static str);

impl Wrap {
    /// The bound text as it is.
    pub const NONE: Wrap = Wrap("", "");
}

/// `insert into {table} ({columns}) values (…), …` over `rows`, each row's values in column
/// order, each placeholder wrapped as its column says; with `on conflict` on the first column
/// updating the others when `upsert`.
fn insert_sql(
    table: &str,
    columns: &[(&str, Wrap)],
    rows: Vec<Vec<Arg>>,
    upsert: bool,
    params: Params,
) -> (String, Vec<Arg>) {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let mut sql = format!("insert into {table} ({}) values ", names.join(", "));
    let mut args = Vec::with_capacity(rows.len() * columns.len());
    for (i, row) in rows.into_iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, (arg, (_, wrap))) in row.into_iter().zip(columns).enumerate() {
            args.push(arg);
            let sep = if j == 0 { "" } else { ", " };
            let _ = match params {
                Params::Numbered => write!(sql, "{sep}{}${}{}", wrap.0, args.len(), wrap.1),
                Params::InOrder => write!(sql, "{sep}{}?{}", wrap.0, wrap.1),
            };
        }
        sql.push(')');
    }
    if upsert {
        let sets: Vec<String> = names[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let _ = write!(
            sql,
            " on conflict ({}) do update set {}",
            names[0],
            sets.join(", ")
        );
    }
    (sql, args)
}

/// How one dialect turns bound texts into column values ([`Wrap`]s for geometry, props and
/// times).
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Around a GeoJSON text bound for the geometry column.
    pub geometry: Wrap,
    /// Around a JSON text bound for `props`.
    pub props: Wrap,
    /// Around an RFC 3339 text bound for a time column.
    pub time: Wrap,
    /// How the statement names its parameters.
    pub params: Params,
}

/// How a statement names its bound parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// `$1`, `$2`, … (PostgreSQL; SQLite takes them too).
    Numbered,
    /// `?`, `?`, … bound in order (SQLite). The SQLite driver asks each parameter's name, and
    /// SQLite finds a named one (`$1` is a name to it) by a linear scan of the statement's
    /// names, so binding numbered parameters costs the square of their count: 9 % of the CPU
    /// of event intake at 32 rows a statement. Anonymous ones have no name to look up.
    InOrder,
}

/// The multi-row upsert of `items`, rows of one layer that are not grids, with distinct keys:
/// key, geometry (but for workers) and props, and for regions their parent; events are their
/// columns (see [`EVENT_COLUMNS`]).
#[must_use]
pub fn upsert_rows_sql(layer: Layer, items: &[&AnyItem], dialect: Dialect) -> (String, Vec<Arg>) {
    if layer == Layer::Event {
        let columns =
            EVENT_COLUMNS.map(|(name, time)| (name, if time { dialect.time } else { Wrap::NONE }));
        let rows = items
            .iter()
            .filter_map(|item| match item {
                AnyItem::Event(e) => Some(event_column_args(e).to_vec()),
                _ => None,
            })
            .collect();
        return insert_sql(layer.table(), &columns, rows, true, dialect.params);
    }
    let mut columns = vec![(layer.key_field(), Wrap::NONE)];
    if has_geometry(layer) {
        columns.push(("geometry", dialect.geometry));
    }
    columns.push(("props", dialect.props));
    if layer == Layer::Region {
        columns.push(("parent_code", Wrap::NONE));
    }
    let rows = items
        .iter()
        .map(|item| {
            let mut row = vec![Arg::text(item.key())];
            if has_geometry(layer) {
                row.push(Arg::Text(item.geometry_json()));
            }
            row.push(Arg::Text(Some(item.properties_json())));
            if let AnyItem::Region(r) = item {
                row.push(Arg::Text(r.parent_code.clone()));
            }
            row
        })
        .collect();
    insert_sql(layer.table(), &columns, rows, true, dialect.params)
}

/// The columns an event is stored as (`migrations/*/0005_event_columns.sql`), in order, and
/// whether each is a time. The key comes first: upserts resolve conflicts on it.
pub const EVENT_COLUMNS: [(&str, bool); 10] = [
    ("id", false),
    ("lon", false),
    ("lat", false),
    ("category", false),
    ("status", false),
    ("source", false),
    ("occurred_at", true),
    ("reported_at", true),
    ("grid_code", false),
    ("description", false),
];

/// The values of [`EVENT_COLUMNS`] for `event`.
fn event_column_args(event: &Event) -> [Arg; 10] {
    [
        Arg::text(&event.id),
        Arg::Real(event.location.x()),
        Arg::Real(event.location.y()),
        Arg::text(&event.category),
        Arg::text(event.status.as_str()),
        Arg::text(&event.source),
        Arg::Text(Some(fmt_time(event.occurred_at))),
        Arg::Text(Some(fmt_time(event.reported_at))),
        Arg::Text(event.grid_code.clone()),
        Arg::text(&event.description),
    ]
}

/// How one backend reads event rows: its select list (the columns of an [`EventRow`], times as
/// RFC 3339 text in the format of [`fmt_time`]) and its box test on the indexed geometry, given
/// the placeholders of west, south, east and north.
pub struct EventSql {
    /// The columns of an [`EventRow`].
    pub select: &'static str,
    /// The indexed, possibly inexact, box test (the exact one on `lon` and `lat` is added).
    pub in_box: fn(&str, &str, &str, &str) -> String,
    /// How the backend writes a time.
    pub time: Wrap,
}

/// The statement listing the events `q` selects, newest report first, and its arguments.
#[must_use]
pub fn list_events_sql(query: &EventQuery, sql: &EventSql) -> (String, Vec<Arg>) {
    let mut args: Vec<Arg> = Vec::new();
    let mut param = |arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    let Wrap(t0, t1) = sql.time;
    let mut clauses: Vec<String> = Vec::new();
    if !query.bbox.is_empty() {
        let boxes: Vec<String> = query
            .bbox
            .iter()
            .map(|r| {
                let west = param(Arg::Real(r.min().x));
                let south = param(Arg::Real(r.min().y));
                let east = param(Arg::Real(r.max().x));
                let north = param(Arg::Real(r.max().y));
                format!(
                    "({} and lon between {west} and {east} and lat between {south} and {north})",
                    (sql.in_box)(&west, &south, &east, &north)
                )
            })
            .collect();
        clauses.push(format!("({})", boxes.join(" or ")));
    }
    if let Some(from) = query.reported_from {
        let p = param(Arg::Text(Some(fmt_time(from))));
        clauses.push(format!("reported_at >= {t0}{p}{t1}"));
    }
    if let Some(to) = query.reported_to {
        let p = param(Arg::Text(Some(fmt_time(to))));
        clauses.push(format!("reported_at <= {t0}{p}{t1}"));
    }
    for (column, value) in [
        ("category", query.category.as_deref()),
        ("status", query.status.map(EventStatus::as_str)),
        ("grid_code", query.grid_code.as_deref()),
    ] {
        if let Some(value) = value {
            let p = param(Arg::text(value));
            clauses.push(format!("{column} = {p}"));
        }
    }
    if let Some(after) = query.after {
        let t = param(Arg::Text(Some(fmt_time(after.reported_at))));
        let n = param(Arg::Int(after.seq));
        clauses.push(format!("(reported_at, seq) < ({t0}{t}{t1}, {n})"));
    }
    let limit = param(Arg::Int(i64::try_from(query.limit).unwrap_or(i64::MAX)));
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" where {}", clauses.join(" and "))
    };
    (
        format!(
            "select {} from event{filter} order by event.reported_at desc, event.seq desc limit {limit}",
            sql.select
        ),
        args,
    )
}

/// Builds [`EventPoint`]s from rows, sharing one allocation per category and source name.
#[derive(Debug, Default)]
pub struct EventPoints {
    names: std::collections::HashMap<String, Arc<str>>,
    /// The points built so far, in the order of their rows.
    pub points: Vec<EventPoint>,
}

impl EventPoints {
    fn name(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.names.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = name.into();
        self.names.insert(name.to_owned(), shared.clone());
        shared
    }

    /// Adds the point of `row`, whose columns are, in order, `id`, `lon`, `lat`, `category`,
    /// `status`, `source` and the times `occurred_at` and `reported_at` in whole seconds since
    /// the Unix epoch; its text is read in place (a province loads ten million rows).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for an unknown status, [`StoreError::Database`] for a column of
    /// the wrong type.
    pub fn push<R>(&mut self, row: &R) -> StoreResult<()>
    where
        R: Row,
        usize: ColumnIndex<R>,
        for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    {
        let id: &str = row.try_get(0)?;
        let status: &str = row.try_get(4)?;
        let status = status.parse().map_err(|source| StoreError::Corrupt {
            table: "event",
            key: id.to_owned(),
            source,
        })?;
        let category = self.name(row.try_get(3)?);
        let source = self.name(row.try_get(5)?);
        self.points.push(EventPoint {
            id: id.into(),
            location: geo::Coord {
                x: row.try_get(1)?,
                y: row.try_get(2)?,
            },
            occurred_at: row.try_get(6)?,
            reported_at: row.try_get(7)?,
            category,
            source,
            status,
        });
        Ok(())
    }
}

impl EventPoints {
    /// Adds the points of `packed`, records separated by `\x1e` and fields by `\x1f`: id, lon,
    /// lat, status, occurred_at, reported_at (whole seconds since the Unix epoch), source and
    /// category (see `sqlite/event_points.sql`). Answers how many; `None`, with nothing added,
    /// when a record does not parse (a category or source holding a separator): read those
    /// rows one by one then.
    pub fn push_packed(&mut self, packed: &str) -> Option<usize> {
        let before = self.points.len();
        for record in packed.split('\x1e') {
            if self.push_record(record).is_none() {
                self.points.truncate(before);
                return None;
            }
        }
        Some(self.points.len() - before)
    }

    fn push_record(&mut self, record: &str) -> Option<()> {
        let mut f = record.splitn(8, '\x1f');
        let id = f.next()?;
        let lon: f64 = f.next()?.parse().ok()?;
        let lat: f64 = f.next()?.parse().ok()?;
        let status = f.next()?.parse().ok()?;
        let occurred_at: i64 = f.next()?.parse().ok()?;
        let reported_at: i64 = f.next()?.parse().ok()?;
        let source = f.next()?;
        let category = f.next()?;
        if category.contains('\x1f') {
            return None;
        }
        let source = self.name(source);
        let category = self.name(category);
        self.points.push(EventPoint {
            id: id.into(),
            location: geo::Coord { x: lon, y: lat },
            occurred_at,
            reported_at,
            category,
            source,
            status,
        });
        Some(())
    }
}

/// One stored event as a backend selects it ([`EventSql::select`]).
#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub category: String,
    pub status: String,
    pub source: String,
    pub occurred_at: String,
    pub reported_at: String,
    pub grid_code: Option<String>,
    pub description: String,
}

/// Decodes a stored event with the cursor that resumes a listing after it.
///
/// # Errors
/// [`StoreError::Corrupt`] or [`StoreError::Setup`] for data that no longer parses.
pub fn decode_event_row(row: EventRow) -> StoreResult<ListedEvent> {
    let status = row.status.parse().map_err(|source| StoreError::Corrupt {
        table: "event",
        key: row.id.clone(),
        source,
    })?;
    let reported_at = parse_time(&row.reported_at)?;
    Ok(ListedEvent {
        cursor: EventCursor {
            reported_at,
            seq: row.seq,
        },
        event: Event {
            id: row.id,
            category: row.category,
            occurred_at: parse_time(&row.occurred_at)?,
            reported_at,
            source: row.source,
            status,
            description: row.description,
            grid_code: row.grid_code,
            location: geo::Point::new(row.lon, row.lat),
        },
    })
}

/// Runs `sql` with `args` bound and decodes its rows as `R`, on either backend.
pub fn fetch_all_args<'c, E, R>(
    executor: E,
    sql: String,
    args: Vec<Arg>,
) -> BoxFuture<'c, sqlx::Result<Vec<R>>>
where
    E: Executor<'c> + 'c,
    <E::Database as Database>::Arguments: IntoArguments<E::Database>,
    for<'t> Option<String>: Encode<'t, E::Database> + Type<E::Database>,
    for<'t> i64: Encode<'t, E::Database> + Type<E::Database>,
    for<'t> f64: Encode<'t, E::Database> + Type<E::Database>,
    R: for<'r> sqlx::FromRow<'r, <E::Database as Database>::Row> + Send + Unpin + 'c,
{
    Box::pin(async move {
        bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args)
            .fetch_all(executor)
            .await
    })
}

impl EventSql {
    /// The events `query` lists, newest report first, on either backend.
    pub async fn list<'c, E>(
        &self,
        executor: E,
        query: &EventQuery,
    ) -> StoreResult<Vec<ListedEvent>>
    where
        E: Executor<'c> + 'c,
        <E::Database as Database>::Arguments: IntoArguments<E::Database>,
        for<'t> Option<String>: Encode<'t, E::Database> + Type<E::Database>,
        for<'t> i64: Encode<'t, E::Database> + Type<E::Database>,
        for<'t> f64: Encode<'t, E::Database> + Type<E::Database>,
        EventRow: for<'r> sqlx::FromRow<'r, <E::Database as Database>::Row>,
    {
        let (sql, args) = list_events_sql(query, self);
        let rows: Vec<EventRow> = fetch_all_args(executor, sql, args).await?;
        rows.into_iter().map(decode_event_row).collect()
    }

    /// The event `id`, when there is one, on either backend.
    pub async fn one<'c, E>(&self, executor: E, id: &str) -> StoreResult<Option<Event>>
    where
        E: Executor<'c> + 'c,
        <E::Database as Database>::Arguments: IntoArguments<E::Database>,
        for<'t> Option<String>: Encode<'t, E::Database> + Type<E::Database>,
        for<'t> i64: Encode<'t, E::Database> + Type<E::Database>,
        for<'t> f64: Encode<'t, E::Database> + Type<E::Database>,
        EventRow: for<'r> sqlx::FromRow<'r, <E::Database as Database>::Row>,
    {
        let sql = format!("select {} from event where id = $1", self.select);
        let rows: Vec<EventRow> = fetch_all_args(executor, sql, vec![Arg::text(id)]).await?;
        let first = rows.into_iter().next().map(decode_event_row).transpose()?;
        Ok(first.map(|listed| listed.event))
    }
}

/// The upsert of a grid's row as `version`.
#[must_use]
pub fn upsert_grid_sql(
    grid: &Grid,
    version: i64,
    geometry: Wrap,
    props: Wrap,
) -> (String, Vec<Arg>) {
    let columns = [
        ("code", Wrap::NONE),
        ("community_code", Wrap::NONE),
        ("parent_code", Wrap::NONE),
        ("version", Wrap::NONE),
        ("geometry", geometry),
        ("props", props),
    ];
    let row = vec![
        Arg::text(&grid.code),
        Arg::text(grid.community_code()),
        Arg::Text(grid.parent_code.clone()),
        Arg::Int(version),
        Arg::Text(grid.geometry().map(|g| g.to_string())),
        Arg::Text(Some(serde_json::to_string(grid).unwrap_or_default())),
    ];
    insert_sql("grid", &columns, vec![row], true, Params::Numbered)
}

/// The multi-row insert of a worker's assignments (at least one).
#[must_use]
pub fn insert_assignments_sql(worker: &Worker) -> (String, Vec<Arg>) {
    let columns = [
        ("worker_id", Wrap::NONE),
        ("grid_code", Wrap::NONE),
        ("duty", Wrap::NONE),
    ];
    let rows = worker
        .grids
        .iter()
        .map(|a| {
            vec![
                Arg::text(&worker.id),
                Arg::text(&a.grid),
                Arg::text(a.duty.as_str()),
            ]
        })
        .collect();
    insert_sql("assignment", &columns, rows, false, Params::Numbered)
}

/// One stored grid version as the database returns it, times as RFC 3339 text.
#[derive(Debug, sqlx::FromRow)]
pub struct VersionRow {
    pub key: String,
    pub geometry: Option<String>,
    pub props: String,
    pub version: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

/// Decodes a grid version row.
///
/// # Errors
/// [`StoreError::Corrupt`] or [`StoreError::Setup`] for data that no longer parses.
pub fn decode_version(row: VersionRow) -> StoreResult<GridVersion> {
    let grid = decode_grid(&LayerRow {
        key: row.key,
        geometry: row.geometry,
        props: row.props,
    })?;
    Ok(GridVersion {
        grid,
        version: u32::try_from(row.version).unwrap_or(u32::MAX),
        valid_from: parse_time(&row.valid_from)?,
        valid_to: row.valid_to.as_deref().map(parse_time).transpose()?,
    })
}

/// Builds a token record from its stored columns.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown role.
pub fn token_from_row(
    (hash, name, role): (String, String, String),
) -> StoreResult<super::TokenRecord> {
    let role = role.parse().map_err(|source| StoreError::Corrupt {
        table: "api_token",
        key: name.clone(),
        source,
    })?;
    Ok(super::TokenRecord { hash, name, role })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_areas_are_not_checked_for_validity_again() {
        // A bow-tie could never have been written; were one stored, loading it must not pay
        // for a validity check (it took minutes for big polygons at start-up).
        let row = LayerRow {
            key: "K9".into(),
            geometry: Some(
                r#"{"type":"Polygon","coordinates":[[[120,29],[120.01,29.01],[120.01,29],[120,29.01],[120,29]]]}"#
                    .into(),
            ),
            props: r#"{"id":"K9","name":"x","category":"urban_village","listed_date":"2026-01-01","deadline":"2026-06-30","status":"listed"}"#.into(),
        };
        let AnyItem::KeyArea(k) = decode_row(Layer::KeyArea, &row).expect("loads") else {
            panic!("a key area");
        };
        assert_eq!(k.area.0[0].exterior().0.len(), 5);
        // The same geometry through the write path is refused.
        assert!(KeyArea::from_feature(&k.to_feature()).is_err());
        // The structure is still checked: an open ring does not load.
        let open = LayerRow {
            geometry: Some(
                r#"{"type":"Polygon","coordinates":[[[120,29],[120.01,29.01],[120.01,29],[120,29.01]]]}"#
                    .into(),
            ),
            ..row
        };
        assert!(decode_row(Layer::KeyArea, &open).is_err());
    }
}
