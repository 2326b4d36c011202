//! Bounds on long pure computations: a [`Budget`] (a deadline and a cancel flag) that the
//! request running the computation holds, and [`checkpoint`], which loops that may run long
//! (polygon validity, placement candidates) call every few thousand steps.
//!
//! The budget is carried by the running thread ([`Budget::run`]) rather than passed through
//! every signature: validity is checked deep inside `Item::set_geometry`, which has no room for
//! it, and code run without a budget (tests, the CLI's seed) is simply unbounded.
//!
//! Pure: no I/O, no async runtime.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a computation stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// It ran past its time limit.
    #[error("did not finish within {} s", .0.as_secs_f64())]
    Deadline(Duration),
    /// Whoever asked for it went away.
    #[error("cancelled: the client went away")]
    Cancelled,
}

/// A time limit and a cancel flag shared with whoever may cancel.
#[derive(Debug, Clone)]
pub struct Budget {
    limit: Duration,
    deadline: Instant,
    cancelled: Arc<AtomicBool>,
}

thread_local! {
    static CURRENT: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

impl Budget {
    /// A budget of `limit` from now.
    #[must_use]
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            deadline: Instant::now() + limit,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Stops the computation at its next [`checkpoint`].
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// `Ok` while the budget lasts.
    ///
    /// # Errors
    /// [`Interrupted`] once cancelled or past the deadline.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.cancelled.load(Ordering::Relaxed) {
            Err(Interrupted::Cancelled)
        } else if Instant::now() >= self.deadline {
            Err(Interrupted::Deadline(self.limit))
        } else {
            Ok(())
        }
    }

    /// Runs `f` on this thread with this budget in force for its [`checkpoint`]s (nested runs
    /// restore the outer budget afterwards).
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Budget>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let outer = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = outer);
            }
        }
        let outer = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        let _restore = Restore(outer);
        f()
    }
}

/// `Ok` unless the budget of the running computation is spent; always `Ok` without one.
///
/// # Errors
/// [`Interrupted`].
pub fn checkpoint() -> Result<(), Interrupted> {
    CURRENT.with(|c| c.borrow().as_ref().map_or(Ok(()), Budget::check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_pass_without_a_budget_and_stop_once_it_is_spent() {
        assert_eq!(checkpoint(), Ok(()));
        let spent = Budget::new(Duration::ZERO);
        assert_eq!(
            spent.run(checkpoint),
            Err(Interrupted::Deadline(Duration::ZERO))
        );
        let open = Budget::new(Duration::from_mins(1));
        assert_eq!(open.run(checkpoint), Ok(()));
        open.cancel();
        assert_eq!(open.run(checkpoint), Err(Interrupted::Cancelled));
        // The budget is gone once its run ends.
        assert_eq!(checkpoint(), Ok(()));
    }
}
