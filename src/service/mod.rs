//! The service: the one place where reads meet the index and writes meet the store.
//!
//! Reads take the current [`Snapshot`] without locking. Writes go through one writer lock:
//! single writes are group committed ([`commit`]: checked in order, stored in one transaction
//! with one fsync, each failing on its own), imports and the planner's multi-grid edits commit
//! all or nothing; then the next snapshot is published, sharing all but what changed. A failed
//! write changes neither the store nor the index. [`compactor`] keeps the layer indexes' deltas
//! small off the write path. The planner's grid edits (dry-run check, split, merge, next code)
//! are in [`grid_edit`]; the file import that the CLI and the API share is in
//! [`import`](crate::service::import); tokens are issued by
//! [`issue_token`](crate::service::issue_token) and
//! [`register_admin_token`](crate::service::register_admin_token).

pub mod camera_health;
mod camera_status;
mod checks;
mod commit;
mod compactor;
pub mod coverage_report;
pub mod division;
pub mod export;
pub mod grid_edit;
pub mod import;
pub mod placement;
pub mod privacy;
pub mod reshape;
pub mod seed;
mod tokens;

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::Utc;

use crate::analysis::coverage::CoverageCache;
use crate::analysis::region_summary::RegionSummaryCache;
use crate::domain::progress::Progress;
use crate::domain::{AnyItem, DomainError, Item, Layer, Problem};
use crate::spatial::locate;
use crate::spatial::topology::{self, Gap, Overlap};
use crate::spatial::{ItemChange, Snapshot};
use crate::store::{Change, Store, StoreError};

pub use checks::check_batch as check_import;
pub use grid_edit::{EditError, EditResult};
pub use tokens::{hash_token, issue_token, new_token, register_admin_token};

/// Write failures, each with enough detail for a useful error message.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is malformed or breaks a rule of its own type.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The item does not exist.
    #[error("{layer} `{key}` does not exist")]
    NotFound { layer: Layer, key: String },
    /// The change conflicts with the current state (exists already, still referenced,
    /// parent missing).
    #[error("{message}")]
    Conflict {
        field: String,
        message: String,
        problem: Problem,
    },
    /// A grid would overlap its siblings.
    #[error("grid `{code}` overlaps {}", describe_overlaps(.overlaps))]
    Overlap {
        code: String,
        overlaps: Vec<Overlap>,
    },
    /// The OS random source failed (a new token needs it).
    #[error("reading the OS random source: {0}")]
    Random(getrandom::Error),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Work handed to another thread did not come back (it panicked: a bug).
    #[error("a background task failed: {0}")]
    Task(String),
}

fn describe_overlaps(overlaps: &[Overlap]) -> String {
    overlaps
        .iter()
        .map(|o| format!("grid `{}` by {:.1} m²", o.code, o.area_m2))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { layer, key } => ServiceError::NotFound { layer, key },
            StoreError::Conflict { layer, key } => ServiceError::Conflict {
                field: layer.key_field().into(),
                message: format!("{layer} `{key}` exists already"),
                problem: Problem::Exists,
            },
            StoreError::Reference(message) => ServiceError::Conflict {
                field: "references".into(),
                message,
                problem: Problem::InUse,
            },
            other => ServiceError::Store(other),
        }
    }
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// What a write did, beyond success.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WriteReport {
    /// For grid writes: parts of the community (or parent grid) left uncovered afterwards.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// The running service state shared by every request.
#[derive(Debug)]
pub struct Service {
    store: Arc<dyn Store>,
    snapshot: Arc<ArcSwap<Snapshot>>,
    /// Held while changes are checked, committed and published: one writer at a time.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Single writes waiting for the next group commit ([`commit`]).
    queue: Arc<commit::GroupQueue>,
    /// Wakes the compactor after a publish that left a layer due for compaction.
    compactor: Arc<tokio::sync::Notify>,
    /// Camera polygons and coverage tables for every snapshot this service publishes, kept
    /// while the layers they came from keep their generations.
    coverage: Arc<CoverageCache>,
    /// The region tree's figures, kept while the layers they count keep their generations.
    region_summaries: Arc<RegionSummaryCache>,
}

impl Service {
    /// Loads everything from the store and builds the index; starts the compactor, which
    /// rebuilds the base of a layer index off the write path once its delta has grown
    /// ([`compactor`]).
    ///
    /// # Errors
    /// Store failures.
    pub async fn start(store: Arc<dyn Store>) -> ServiceResult<Self> {
        Self::start_with(store, &Progress::new()).await
    }

    /// [`Service::start`], saying in `progress` where the loading is (a province's store takes
    /// a while).
    ///
    /// # Errors
    /// Store failures.
    pub async fn start_with(store: Arc<dyn Store>, progress: &Progress) -> ServiceResult<Self> {
        let snapshot = Arc::new(ArcSwap::from_pointee(
            load(store.as_ref(), 1, progress).await?,
        ));
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        let compactor = Arc::new(tokio::sync::Notify::new());
        compactor::spawn(&snapshot, &writer, &compactor);
        Ok(Self {
            store,
            snapshot,
            writer,
            queue: Arc::default(),
            compactor,
            coverage: Arc::default(),
            region_summaries: Arc::default(),
        })
    }

    /// The store behind the service.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current snapshot; hold it for the whole request for a consistent view.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The coverage cache every request shares (see [`crate::analysis::coverage::CoverageCache`]).
    #[must_use]
    pub fn coverage_cache(&self) -> &Arc<CoverageCache> {
        &self.coverage
    }

    /// The region tree's figures every request shares (see
    /// [`crate::analysis::region_summary::RegionSummaryCache`]).
    #[must_use]
    pub fn region_summaries(&self) -> &Arc<RegionSummaryCache> {
        &self.region_summaries
    }

    /// What a group commit needs of the service.
    fn committer(&self) -> commit::Committer {
        commit::Committer {
            store: self.store.clone(),
            snapshot: self.snapshot.clone(),
            writer: self.writer.clone(),
            queue: self.queue.clone(),
            compactor: self.compactor.clone(),
        }
    }

    /// Publishes `next` (the caller holds the writer lock) and wakes the compactor when a
    /// layer index is due.
    fn publish(&self, next: Arc<Snapshot>) {
        self.committer().publish(next);
    }

    /// Re-reads everything from the store and publishes it (after a bulk import or a seed).
    ///
    /// # Errors
    /// Store failures.
    pub async fn reload(&self) -> ServiceResult<()> {
        let _guard = self.writer.lock().await;
        let version = self.snapshot.load().version + 1;
        self.publish(Arc::new(
            load(self.store.as_ref(), version, &Progress::new()).await?,
        ));
        Ok(())
    }

    /// Creates an item; an empty `id` is assigned by the server.
    ///
    /// # Errors
    /// Validation, conflicts and store failures.
    pub async fn create(&self, mut item: AnyItem) -> ServiceResult<(AnyItem, WriteReport)> {
        if item.key().is_empty() {
            let key = tokens::new_id(item.layer());
            crate::with_item!(&mut item, v => v.set_key(key));
        }
        // An event is routed at intake: the grid that holds it now is kept with it.
        if let AnyItem::Event(event) = &mut item
            && event.grid_code.is_none()
        {
            event.grid_code =
                locate::grid_at(&self.snapshot.load(), event.location.0).map(|g| g.code.clone());
        }
        let report = self.write(Change::Insert(item.clone())).await?;
        Ok((item, report))
    }

    /// Replaces the item of `key`; the body's key must match or be empty.
    ///
    /// # Errors
    /// Validation, not found, conflicts and store failures.
    pub async fn replace(
        &self,
        key: &str,
        mut item: AnyItem,
    ) -> ServiceResult<(AnyItem, WriteReport)> {
        if item.key().is_empty() {
            crate::with_item!(&mut item, v => v.set_key(key.to_owned()));
        }
        if item.key() != key {
            return Err(DomainError::new(
                item.layer().key_field(),
                format!(
                    "the body's {} `{}` differs from the URL's `{key}`",
                    item.layer().key_field(),
                    item.key()
                ),
            )
            .into());
        }
        let report = self.write(Change::Replace(item.clone())).await?;
        Ok((item, report))
    }

    /// Deletes the item of `key`.
    ///
    /// # Errors
    /// Not found, still referenced, store failures.
    pub async fn delete(&self, layer: Layer, key: &str) -> ServiceResult<WriteReport> {
        self.write(Change::Delete(layer, key.to_owned())).await
    }

    /// Inserts or replaces many items in one transaction (imports, seeding).
    ///
    /// # Errors
    /// The first validation error, or a store failure; nothing is written then.
    pub async fn import(&self, items: Vec<AnyItem>) -> ServiceResult<usize> {
        let n = items.len();
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        checks::check_batch(&current, &items)?;
        let changes: Vec<Change> = items.iter().cloned().map(Change::Put).collect();
        let at = commit_time();
        self.store.apply(&changes, at).await?;
        // Publish from what was just committed, the grid history moved on as the store did.
        let changes: Vec<ItemChange> = changes.iter().map(commit::item_change).collect();
        self.publish(Arc::new(
            current
                .with_ordered(&changes)
                .with_grid_history(&changes, at),
        ));
        Ok(n)
    }

    /// One write, committed with whatever other single writes arrive meanwhile: the group
    /// shares one transaction and one fsync, each write still succeeding or failing on its
    /// own ([`commit`]). Answers only once the commit is durable.
    async fn write(&self, change: Change) -> ServiceResult<WriteReport> {
        match self.write_grouped(commit::Write::Change(change)).await? {
            commit::Outcome::Written(report) => Ok(report),
            commit::Outcome::Status(_) => Ok(WriteReport::default()),
        }
    }

    /// Queues `write` for the next group commit and waits for its outcome.
    async fn write_grouped(&self, write: commit::Write) -> ServiceResult<commit::Outcome> {
        let waiting = self.queue.push(write);
        tokio::spawn(self.committer().drain());
        waiting.answer().await
    }

    /// Commits `changes` in one transaction (grid changes open and close versions), then
    /// publishes `next`, the snapshot they lead to, with the grid history moved on as the store
    /// moved it. The caller holds the writer lock and has checked `changes` against `next`.
    async fn commit(&self, changes: &[Change], next: Snapshot) -> ServiceResult<Arc<Snapshot>> {
        let at = commit_time();
        self.store.apply(changes, at).await?;
        let changes: Vec<ItemChange> = changes.iter().map(commit::item_change).collect();
        let next = Arc::new(next.with_grid_history(&changes, at));
        self.publish(next.clone());
        Ok(next)
    }
}

/// The time a commit is stamped with: now, to the microsecond, which is what both stores keep
/// of a time, so that the grid history published from memory is the one a restart loads.
fn commit_time() -> chrono::DateTime<Utc> {
    use chrono::SubsecRound as _;
    Utc::now().trunc_subsecs(6)
}

/// Reads every layer from `store` and indexes it as snapshot `version`, stage by stage in
/// `progress`. The index is built off the async threads.
async fn load(store: &dyn Store, version: u64, progress: &Progress) -> ServiceResult<Snapshot> {
    // The layers and the events load side by side; the events, by far the most rows, are
    // counted.
    progress.stage("loading (events counted)", store.event_count().await?);
    let started = std::time::Instant::now();
    let ((data, layers_took), (events, events_took)) =
        tokio::join!(async { (store.load().await, started.elapsed()) }, async {
            (store.load_event_points(progress).await, started.elapsed())
        },);
    let (data, events) = (data?, events?);
    progress.stage("building the index", 0);
    let built = std::time::Instant::now();
    let snapshot =
        tokio::task::spawn_blocking(move || Snapshot::build_loaded(data, events, version))
            .await
            .map_err(|e| ServiceError::Task(e.to_string()))?;
    tracing::info!(
        layers_ms = layers_took.as_millis(),
        events_ms = events_took.as_millis(),
        index_ms = built.elapsed().as_millis(),
        "loaded the store"
    );
    Ok(snapshot)
}

/// Gaps left in the community (or parent grid) of the grid a write touched.
fn grid_gaps(next: &Snapshot, before: &Snapshot, change: &Change) -> Vec<Gap> {
    let grid = match change {
        Change::Insert(AnyItem::Grid(g))
        | Change::Replace(AnyItem::Grid(g))
        | Change::Put(AnyItem::Grid(g)) => Some(g),
        Change::Delete(Layer::Grid, key) => before.grids.get(key),
        _ => None,
    };
    grid.map(|g| topology::gaps_in(next, g.community_code(), g.parent_code.as_deref()))
        .unwrap_or_default()
}
