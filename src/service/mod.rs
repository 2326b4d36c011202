//! The service: the one place where reads meet the index and writes meet the store.
//!
//! Reads take the current [`Snapshot`] without locking. Writes are serialized by one async
//! mutex: validate against the current snapshot (references, sibling overlaps), commit to the
//! store in one transaction, then publish a new snapshot. A failed write changes neither the
//! store nor the index.

mod checks;
mod tokens;

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::Utc;

use crate::domain::{AnyItem, DomainError, Item, Layer};
use crate::spatial::Snapshot;
use crate::spatial::topology::{Gap, Overlap};
use crate::store::{Change, Store, StoreError};

pub use checks::check_batch as check_import;
pub use tokens::{hash_token, new_token};

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
    Conflict { field: String, message: String },
    /// A grid would overlap its siblings.
    #[error("grid `{code}` overlaps {}", describe_overlaps(.overlaps))]
    Overlap {
        code: String,
        overlaps: Vec<Overlap>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
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
            },
            StoreError::Reference(message) => ServiceError::Conflict {
                field: "references".into(),
                message,
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
    snapshot: ArcSwap<Snapshot>,
    writer: tokio::sync::Mutex<()>,
}

impl Service {
    /// Loads everything from the store and builds the index.
    ///
    /// # Errors
    /// Store failures.
    pub async fn start(store: Arc<dyn Store>) -> ServiceResult<Self> {
        let data = store.load().await?;
        Ok(Self {
            store,
            snapshot: ArcSwap::from_pointee(Snapshot::build(data, 1)),
            writer: tokio::sync::Mutex::new(()),
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

    /// Re-reads everything from the store and publishes it (after a bulk import or a seed).
    ///
    /// # Errors
    /// Store failures.
    pub async fn reload(&self) -> ServiceResult<()> {
        let _guard = self.writer.lock().await;
        let data = self.store.load().await?;
        let version = self.snapshot.load().version + 1;
        self.snapshot
            .store(Arc::new(Snapshot::build(data, version)));
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
        self.write(vec![Change::Insert(item.clone())], Some(item))
            .await
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
        self.write(vec![Change::Replace(item.clone())], Some(item))
            .await
    }

    /// Deletes the item of `key`.
    ///
    /// # Errors
    /// Not found, still referenced, store failures.
    pub async fn delete(&self, layer: Layer, key: &str) -> ServiceResult<WriteReport> {
        let (_, report) = self
            .write(vec![Change::Delete(layer, key.to_owned())], None)
            .await?;
        Ok(report)
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
        let changes: Vec<Change> = items.into_iter().map(Change::Put).collect();
        self.store.apply(&changes, Utc::now()).await?;
        let data = self.store.load().await?;
        self.snapshot
            .store(Arc::new(Snapshot::build(data, current.version + 1)));
        Ok(n)
    }

    async fn write(
        &self,
        changes: Vec<Change>,
        written: Option<AnyItem>,
    ) -> ServiceResult<(AnyItem, WriteReport)> {
        let _guard = self.writer.lock().await;
        let current = self.snapshot.load_full();
        for change in &changes {
            checks::check_change(&current, change)?;
        }
        self.store.apply(&changes, Utc::now()).await?;
        let puts: Vec<AnyItem> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Insert(i) | Change::Replace(i) | Change::Put(i) => Some(i.clone()),
                Change::Delete(..) => None,
            })
            .collect();
        let deletes: Vec<(Layer, String)> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Delete(l, k) => Some((*l, k.clone())),
                _ => None,
            })
            .collect();
        let touches_grids = changes.iter().any(|c| c.layer() == Layer::Grid);
        let history = if touches_grids {
            Some(self.store.grid_versions().await?)
        } else {
            None
        };
        let next = current.with_changes(&puts, &deletes, history);
        let report = WriteReport {
            gaps: grid_gaps(&next, &current, &changes),
        };
        self.snapshot.store(Arc::new(next));
        let item = match written {
            Some(item) => item,
            None => match changes.first() {
                Some(Change::Delete(layer, key)) => {
                    current
                        .get(*layer, key)
                        .ok_or_else(|| ServiceError::NotFound {
                            layer: *layer,
                            key: key.clone(),
                        })?
                }
                _ => return Err(ServiceError::Store(StoreError::Setup("empty write".into()))),
            },
        };
        Ok((item, report))
    }
}

/// Gaps left in the communities whose grids a write touched.
fn grid_gaps(next: &Snapshot, before: &Snapshot, changes: &[Change]) -> Vec<Gap> {
    let mut scopes: Vec<(String, Option<String>)> = Vec::new();
    for change in changes {
        let grid = match change {
            Change::Insert(AnyItem::Grid(g))
            | Change::Replace(AnyItem::Grid(g))
            | Change::Put(AnyItem::Grid(g)) => Some(g.clone()),
            Change::Delete(Layer::Grid, key) => before.grids.get(key).cloned(),
            _ => None,
        };
        if let Some(g) = grid {
            let scope = (g.community_code().to_owned(), g.parent_code.clone());
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    scopes
        .iter()
        .flat_map(|(community, parent)| next.gaps_in(community, parent.as_deref()))
        .collect()
}
