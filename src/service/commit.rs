//! Group commit of single writes: concurrent writes that arrive together are checked in
//! order and committed in one transaction with one fsync ([`crate::store::Store::apply_group`]),
//! each still succeeding or failing on its own, and answered only once the commit is durable
//! and the snapshot that holds them is published.
//!
//! A write joins the [`GroupQueue`] and starts a drain task. The first task to take the writer
//! lock drains the whole queue — its own write and every write queued meanwhile — so while one
//! group commits, the next one gathers. The drain runs as a task of its own, not in the request:
//! a client that goes away cannot cancel a commit halfway (committed but never published). A
//! write whose client goes away before its group is drained is taken out of the queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use tokio::sync::{Notify, oneshot};

use std::collections::HashMap;

use crate::domain::{AnyItem, Camera, Layer};
use crate::spatial::{ItemChange, Snapshot};
use crate::store::{Change, Store, StoreError};

use super::camera_status::{StatusOutcome, StatusReport, resolve_report};
use super::{ServiceError, ServiceResult, WriteReport, checks, commit_time, grid_gaps};

/// A single write: a change, or a camera status report (resolved against the camera as the
/// group finds it, so that it never writes back fields an edit of the group changed).
#[derive(Debug)]
pub(super) enum Write {
    Change(Change),
    Status(StatusReport),
}

/// What a single write did.
#[derive(Debug)]
pub(super) enum Outcome {
    Written(WriteReport),
    Status(StatusOutcome),
}

/// One queued write and where its answer goes.
struct Queued {
    id: u64,
    write: Write,
    reply: oneshot::Sender<ServiceResult<Outcome>>,
}

impl Queued {
    fn answer(self, result: ServiceResult<Outcome>) {
        // The client may have gone away; the write is decided all the same.
        let _ = self.reply.send(result);
    }
}

/// Writes waiting for the next group.
#[derive(Debug, Default)]
pub(super) struct GroupQueue {
    next_id: AtomicU64,
    waiting: Mutex<Vec<Queued>>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued")
            .field("id", &self.id)
            .field("write", &self.write)
            .finish_non_exhaustive()
    }
}

/// A queued write's claim on its answer; dropping it before the write was taken into a group
/// takes the write out of the queue.
pub(super) struct Waiting<'a> {
    queue: &'a GroupQueue,
    id: u64,
    answer: oneshot::Receiver<ServiceResult<Outcome>>,
}

impl GroupQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        // A panic while holding this lock leaves the vector whole: go on with it.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write`.
    pub fn push(&self, write: Write) -> Waiting<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.lock().push(Queued { id, write, reply });
        Waiting {
            queue: self,
            id,
            answer,
        }
    }

    fn take(&self) -> Vec<Queued> {
        std::mem::take(&mut *self.lock())
    }
}

impl Waiting<'_> {
    /// The write's outcome, once its group is durable and published.
    pub async fn answer(mut self) -> ServiceResult<Outcome> {
        (&mut self.answer).await.unwrap_or_else(|_| {
            Err(ServiceError::Store(StoreError::Setup(
                "the commit of this write was interrupted; it may or may not have been stored"
                    .into(),
            )))
        })
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let id = self.id;
        self.queue.lock().retain(|q| q.id != id);
    }
}

/// What a drain task needs of the service.
#[derive(Clone)]
pub(super) struct Committer {
    pub store: Arc<dyn Store>,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub writer: Arc<tokio::sync::Mutex<()>>,
    pub queue: Arc<GroupQueue>,
    pub compactor: Arc<Notify>,
}

impl Committer {
    /// Publishes `next` (the caller holds the writer lock) and wakes the compactor when a
    /// layer index is due for compaction.
    pub fn publish(&self, next: Arc<Snapshot>) {
        let due = !next.layers_to_compact().is_empty();
        self.snapshot.store(next);
        if due {
            self.compactor.notify_one();
        }
    }

    /// Takes the writer lock and commits everything queued, as one group.
    pub async fn drain(self) {
        let _guard = self.writer.clone().lock_owned().await;
        let group = self.queue.take();
        if !group.is_empty() {
            self.commit_group(group).await;
        }
    }

    async fn commit_group(&self, group: Vec<Queued>) {
        let current = self.snapshot.load_full();
        // Later writes of the group are checked against the earlier ones that passed; only
        // regions and grids are what other checks look at, and cameras what reports read.
        let mut checked: Arc<Snapshot> = current.clone();
        let mut cameras: HashMap<String, Camera> = HashMap::new();
        let mut accepted: Vec<(Queued, Change)> = Vec::with_capacity(group.len());
        for q in group {
            let decided: Result<Change, ServiceResult<Outcome>> = match &q.write {
                Write::Change(change) => checks::check_change(&checked, change)
                    .map(|()| change.clone())
                    .map_err(Err),
                Write::Status(report) => {
                    let camera = cameras
                        .get(&report.code)
                        .or_else(|| checked.cameras.get(&report.code));
                    match resolve_report(camera, report) {
                        Ok(camera) => Ok(Change::Put(AnyItem::Camera(camera))),
                        Err(StatusOutcome::Unknown) => Err(Err(ServiceError::NotFound {
                            layer: Layer::Camera,
                            key: report.code.clone(),
                        })),
                        Err(outcome) => Err(Ok(Outcome::Status(outcome))),
                    }
                }
            };
            let change = match decided {
                Ok(change) => change,
                Err(answer) => {
                    q.answer(answer);
                    continue;
                }
            };
            match &change {
                Change::Insert(AnyItem::Camera(c))
                | Change::Replace(AnyItem::Camera(c))
                | Change::Put(AnyItem::Camera(c)) => {
                    cameras.insert(c.code.clone(), c.clone());
                }
                _ => {}
            }
            if matches!(change.layer(), Layer::Region | Layer::Grid) {
                checked = Arc::new(checked.with_ordered(&[item_change(&change)]));
            }
            accepted.push((q, change));
        }
        if accepted.is_empty() {
            return;
        }
        let writes: Vec<Vec<Change>> = accepted.iter().map(|(_, c)| vec![c.clone()]).collect();
        let at = commit_time();
        let outcomes = match self.store.apply_group(&writes, at).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, writes = writes.len(), "group commit failed");
                let reason = e.to_string();
                for (q, _) in accepted {
                    q.answer(Err(ServiceError::Store(StoreError::Setup(format!(
                        "the commit failed and nothing was stored: {reason}"
                    )))));
                }
                return;
            }
        };
        let mut stored = Vec::with_capacity(accepted.len());
        for ((q, change), outcome) in accepted.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => stored.push((q, change)),
                Err(e) => q.answer(Err(e.into())),
            }
        }
        if stored.is_empty() {
            return;
        }
        let changes: Vec<ItemChange> = stored.iter().map(|(_, c)| item_change(c)).collect();
        let next = Arc::new(
            current
                .with_ordered(&changes)
                .with_grid_history(&changes, at),
        );
        self.publish(next.clone());
        for (q, change) in stored {
            let outcome = match q.write {
                Write::Status(_) => Outcome::Status(StatusOutcome::Applied),
                Write::Change(_) => Outcome::Written(WriteReport {
                    gaps: grid_gaps(&next, &current, &change),
                }),
            };
            q.answer(Ok(outcome));
        }
    }
}

/// The snapshot's view of a stored change.
pub(super) fn item_change(change: &Change) -> ItemChange {
    match change {
        Change::Insert(i) | Change::Replace(i) | Change::Put(i) => ItemChange::Put(i.clone()),
        Change::Delete(l, k) => ItemChange::Delete(*l, k.clone()),
    }
}
