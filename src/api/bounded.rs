//! Heavy request work (checking big geometry, placement advice) off the async threads, under a
//! time budget ([`WORK_LIMIT`]), and cancelled when the client goes away: hyper drops a
//! handler's future when its connection closes, and dropping [`off_thread`]'s future cancels
//! the budget that the work polls ([`crate::domain::work`]).

use std::time::Duration;

use crate::domain::work::Budget;

use super::error::{ApiError, ApiResult};

/// How much longer work may run in a debug build: its own code is unoptimised and runs 10 to
/// 50 times slower, and the tests run on such builds.
const DEBUG_SLOWDOWN: u32 = if cfg!(debug_assertions) { 10 } else { 1 };

/// Longest a request's heavy work may run (15 s in a release build).
pub const WORK_LIMIT: Duration = Duration::from_secs(15).saturating_mul(DEBUG_SLOWDOWN);

/// Longest the parsing and checking of one import file may run (a file of up to 192 MiB; two
/// minutes in a release build).
pub const IMPORT_WORK_LIMIT: Duration = Duration::from_mins(2).saturating_mul(DEBUG_SLOWDOWN);

/// Cancels its budget when dropped: when the request's future is dropped before the work
/// ends, or harmlessly after it ended.
struct CancelOnDrop(Budget);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Runs `work` on the blocking pool under a budget of `limit`.
///
/// # Errors
/// A 500 when the work panicked (the panic is contained there).
pub(super) async fn off_thread_for<R: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> R + Send + 'static,
) -> ApiResult<R> {
    let budget = Budget::new(limit);
    let _cancel = CancelOnDrop(budget.clone());
    tokio::task::spawn_blocking(move || budget.run(work))
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// [`off_thread_for`] with [`WORK_LIMIT`].
///
/// # Errors
/// As [`off_thread_for`].
pub(super) async fn off_thread<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> ApiResult<R> {
    off_thread_for(WORK_LIMIT, work).await
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use crate::domain::work::{Interrupted, checkpoint};

    use super::*;

    #[tokio::test]
    async fn work_stops_when_its_request_goes_away() {
        let (tx, rx) = mpsc::channel();
        let request = off_thread_for(Duration::from_mins(1), move || {
            let stopped = loop {
                if let Err(e) = checkpoint() {
                    break e;
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            let _ = tx.send(stopped);
        });
        // The client gives up after 50 ms: the request's future is dropped.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), request)
                .await
                .is_err()
        );
        let stopped = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)))
            .await
            .expect("joined");
        assert_eq!(stopped, Ok(Interrupted::Cancelled));
    }

    #[tokio::test]
    async fn work_past_its_limit_is_stopped() {
        let stopped = off_thread_for(Duration::from_millis(20), || {
            loop {
                if let Err(e) = checkpoint() {
                    break e;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .await
        .expect("no panic");
        assert_eq!(stopped, Interrupted::Deadline(Duration::from_millis(20)));
    }
}
