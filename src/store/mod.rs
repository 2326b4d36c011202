//! Persistence behind one trait, [`Store`], with two backends chosen by the `DATABASE_URL`
//! scheme: [`SqliteStore`] (embedded default) and [`PgStore`] (PostgreSQL + PostGIS).
//!
//! The store is the truth; the in-memory index is derived from it. A write is one call to
//! [`Store::apply`], one transaction in which a failed batch leaves nothing behind, or one write
//! among many of [`Store::apply_group`], which commits them all at once and each on its own.
//! Only this module knows `sqlx`.
//!
//! Layout: this file holds the trait, [`Change`] and the errors; `plan` is the one way a change is
//! applied (the order of steps, savepoints, what a failure means), generic over `SqlTx`, what each
//! backend's SQL has of its own; `row` is the row encoding both share and the statements built from
//! it; `sqlite/` and `postgres/` hold only their SQL and their connection setup.
//!
//! Must not import `service`, `api` or anything above it.

mod plan;
mod postgres;
mod row;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::progress::Progress;
use crate::domain::{
    AnyItem, Dataset, DomainError, Event, EventPoint, EventQuery, GridVersion, Layer, ListedEvent,
    Role,
};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// One change of a write batch.
#[derive(Debug, Clone)]
pub enum Change {
    /// Create; fails with [`StoreError::Conflict`] when the key exists.
    Insert(AnyItem),
    /// Replace; fails with [`StoreError::NotFound`] when the key does not exist.
    Replace(AnyItem),
    /// Insert or replace.
    Put(AnyItem),
    /// Delete; fails with [`StoreError::NotFound`] when the key does not exist.
    Delete(Layer, String),
}

impl Change {
    /// The layer changed.
    #[must_use]
    pub fn layer(&self) -> Layer {
        match self {
            Change::Insert(i) | Change::Replace(i) | Change::Put(i) => i.layer(),
            Change::Delete(l, _) => *l,
        }
    }
}

/// A stored API token (only its hash).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Who or what it is for.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// One answer that showed personal data unmasked (`migrations/*/0007_personal_read.sql`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonalRead {
    /// When it was answered.
    pub at: DateTime<Utc>,
    /// The name of the token that asked.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Through what: `locate`, `workers`, `workers/export` …
    pub what: String,
    /// How many people's data it showed.
    pub subjects: u64,
    /// The first of their keys (at most [`PERSONAL_READ_SAMPLE`]).
    pub sample: Vec<String>,
}

/// Keys kept with a [`PersonalRead`].
pub const PERSONAL_READ_SAMPLE: usize = 20;

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item to replace or delete does not exist.
    #[error("{layer} `{key}` does not exist")]
    NotFound { layer: Layer, key: String },
    /// The item to create exists already.
    #[error("{layer} `{key}` exists already")]
    Conflict { layer: Layer, key: String },
    /// A reference is broken: a missing parent, or an item still referenced.
    #[error("broken reference: {0}")]
    Reference(String),
    /// Stored data that no longer parses (a bug or a hand edit).
    #[error("corrupt row in {table} `{key}`: {source}")]
    Corrupt {
        table: &'static str,
        key: String,
        source: DomainError,
    },
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database is not set up as required (e.g. SQLite not in WAL mode, no PostGIS).
    #[error("database setup: {0}")]
    Setup(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// The persistence capability the service needs.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Loads every layer but events, which are many: see [`Store::load_event_points`].
    async fn load(&self) -> StoreResult<Dataset>;

    /// What the in-memory index keeps of every event, in the order they were written (category
    /// and source names shared). Read from columns, without decoding each event's document;
    /// `progress` counts the events read.
    async fn load_event_points(&self, progress: &Progress) -> StoreResult<Vec<EventPoint>>;

    /// How many events are stored.
    async fn event_count(&self) -> StoreResult<u64>;

    /// Every version of every grid, ordered by code then version.
    async fn grid_versions(&self) -> StoreResult<Vec<GridVersion>>;

    /// Whether no region exists yet (an empty database, to be seeded).
    async fn is_empty(&self) -> StoreResult<bool>;

    /// Applies `changes` in one transaction, all or nothing (imports, seeding). Grid changes
    /// close the current version and open a new one at `at`. Foreign keys are checked at
    /// commit, so children may come before their parents.
    async fn apply(&self, changes: &[Change], at: DateTime<Utc>) -> StoreResult<()>;

    /// Applies `writes` in one transaction with one commit (group commit: one fsync for all),
    /// each write all or nothing in its own savepoint, in order. A write that fails (conflict,
    /// not found, broken reference, constraint) is rolled back alone and its error is returned
    /// in its place; the others commit. Each write's references are checked before the next
    /// starts, so within one write children may come before their parents, across writes not.
    /// All writes share the time `at`: grid writes open and close versions at it exactly as
    /// [`Store::apply`] does.
    ///
    /// To use it, queue the writes that arrive while a commit is in flight, check each against
    /// the snapshot the ones before it lead to, apply them together, and publish the snapshot
    /// of those that came back `Ok` (a write checked against one that failed must be checked
    /// again).
    ///
    /// # Errors
    /// The outer error is a failure of the transaction itself (begin, a savepoint, commit);
    /// then nothing was committed.
    async fn apply_group(
        &self,
        writes: &[Vec<Change>],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<()>>>;

    /// The events `query` selects, newest report first, each with the cursor that resumes
    /// after it. Every filter runs on an index (see the `event_columns` migrations).
    async fn list_events(&self, query: &EventQuery) -> StoreResult<Vec<ListedEvent>>;

    /// The event with this id.
    async fn event(&self, id: &str) -> StoreResult<Option<Event>>;

    /// The plan the database chooses for [`Store::list_events`] with `query`, as its `explain`
    /// prints it: for operators and tests to check that each filter runs on an index.
    async fn explain_events(&self, query: &EventQuery) -> StoreResult<String>;

    /// The token with this hash, if any.
    async fn find_token(&self, hash: &str) -> StoreResult<Option<TokenRecord>>;

    /// Stores a new token.
    async fn insert_token(&self, token: &TokenRecord, at: DateTime<Utc>) -> StoreResult<()>;

    /// Number of tokens stored.
    async fn token_count(&self) -> StoreResult<i64>;

    /// Records an answer that showed personal data unmasked.
    async fn record_personal_read(&self, read: &PersonalRead) -> StoreResult<()>;

    /// The latest `limit` unmasked reads, newest first.
    async fn personal_reads(&self, limit: i64) -> StoreResult<Vec<PersonalRead>>;

    /// The statuses camera `code` has taken (recorded by the store on every camera write that
    /// sets or changes the status), newest first, at most `limit`.
    async fn camera_status_history(
        &self,
        code: &str,
        limit: i64,
    ) -> StoreResult<Vec<CameraStatusChange>>;
}

/// One status a camera took, and when.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CameraStatusChange {
    /// The status from then on.
    pub status: crate::domain::CameraStatus,
    /// When the write that set it committed (the store's clock).
    pub at: DateTime<Utc>,
}

/// A `personal_read` row as both stores read it (the time as RFC 3339 text).
fn personal_read(
    (at, token, role, what, subjects, sample): (String, String, String, String, i64, String),
) -> StoreResult<PersonalRead> {
    Ok(PersonalRead {
        at: row::parse_time(&at)?,
        token,
        role: role
            .parse()
            .map_err(|_| StoreError::Setup(format!("unknown role `{role}` in personal_read")))?,
        what,
        subjects: u64::try_from(subjects).unwrap_or(0),
        sample: sample
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// A stored status change from its text columns.
fn status_change(status: &str, at: &str) -> StoreResult<CameraStatusChange> {
    let status = status.parse().map_err(|_| {
        StoreError::Setup(format!("unknown camera status `{status}` in the history"))
    })?;
    Ok(CameraStatusChange {
        status,
        at: row::parse_time(at)?,
    })
}

/// Opens the store named by `url`: `sqlite:` URLs (or a plain path) open SQLite,
/// `postgres://` / `postgresql://` open PostgreSQL. Migrations are applied.
///
/// # Errors
/// Connection, setup or migration failures.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    }
}
