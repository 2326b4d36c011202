//! Checkpoints of the write-ahead log, off the commit path. SQLite's automatic checkpoint runs
//! inside the commit that passes its threshold, so one write in a thousand waited for
//! thousands of pages to be copied into the database file and synced (a p99 of 36 ms for
//! event intake). Here a task checkpoints every [`PERIOD`] on a connection of the readers'
//! pool (`PASSIVE`: it never waits for or blocks a writer), and the automatic checkpoint stays
//! only as a backstop at [`BACKSTOP_PAGES`], should the task fall behind.

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::oneshot;

/// How often the task checkpoints.
const PERIOD: Duration = Duration::from_secs(1);

/// WAL pages at which a commit checkpoints all the same (`pragma wal_autocheckpoint`):
/// 256 MiB of 4 KiB pages.
pub(super) const BACKSTOP_PAGES: &str = "65536";

/// Held by every clone of the store; when the last goes, the task ends.
#[derive(Debug, Clone)]
pub(super) struct Checkpointer {
    _alive: Arc<oneshot::Sender<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database of `pool` every [`PERIOD`].
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (alive, mut gone) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut gone => break,
                    _ = tick.tick() => {}
                }
                if let Err(e) = sqlx::query("pragma wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the next commit past the backstop will do it");
                }
            }
        });
        Self {
            _alive: Arc::new(alive),
        }
    }
}
