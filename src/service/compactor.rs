//! The compactor: a background task that gives a layer index a new base once its delta of
//! changed slots has grown ([`crate::spatial::index`]). The expensive half (bulk-loading an
//! R-tree of the whole layer) runs on the blocking pool from a snapshot, off the write path;
//! installing it takes the writer lock only to swap the base in, keeping in the delta what
//! was written meanwhile. Readers see the same answers before and after.

use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;
use tokio::sync::{Mutex, Notify};

use crate::spatial::Snapshot;

/// Starts the compactor for the service's snapshot; it stops when the service is dropped.
pub(super) fn spawn(
    snapshot: &Arc<ArcSwap<Snapshot>>,
    writer: &Arc<Mutex<()>>,
    wake: &Arc<Notify>,
) {
    let (snapshot, writer, wake) = (
        Arc::downgrade(snapshot),
        Arc::downgrade(writer),
        wake.clone(),
    );
    tokio::spawn(async move {
        loop {
            wake.notified().await;
            if !compact_once(&snapshot, &writer).await {
                break;
            }
        }
    });
}

/// Compacts every layer due; `false` once the service is gone.
async fn compact_once(snapshot: &Weak<ArcSwap<Snapshot>>, writer: &Weak<Mutex<()>>) -> bool {
    let Some(current) = snapshot.upgrade().map(|s| s.load_full()) else {
        return false;
    };
    let layers = current.layers_to_compact();
    if layers.is_empty() {
        return true;
    }
    let started = std::time::Instant::now();
    let built = tokio::task::spawn_blocking(move || {
        layers
            .into_iter()
            .map(|layer| current.compact(layer))
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(built) = built else {
        tracing::error!("a compaction panicked; the indexes keep their deltas");
        return true;
    };
    let (Some(snapshot), Some(writer)) = (snapshot.upgrade(), writer.upgrade()) else {
        return false;
    };
    let _guard = writer.lock().await;
    let mut next = (*snapshot.load_full()).clone();
    for compaction in built {
        tracing::debug!(layer = %compaction.layer, "layer index compacted");
        next = next.with_compaction(compaction);
    }
    snapshot.store(Arc::new(next));
    tracing::debug!(ms = started.elapsed().as_millis(), "compaction installed");
    true
}
