//! How far long work has come: a [`Progress`] that the work advances (the province seed, an
//! import, loading a big database at start-up) and that a reporter reads from another thread
//! to draw a bar in a terminal or write a line to the log every few seconds. The work only
//! counts; how it is shown is the reporter's (`cli`).
//!
//! Pure: atomics and a mutex, no I/O.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The stage long work is at and how much of it is done, shared between the work and a
/// reporter. Cheap to advance from any thread.
#[derive(Debug, Default)]
pub struct Progress {
    stage: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
    /// Increases with every new stage, so a reporter notices one even when its name repeats.
    generation: AtomicU64,
}

/// What a reporter reads of a [`Progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressState {
    /// The stage's name, e.g. `loading events`.
    pub stage: String,
    /// Units of the stage done.
    pub done: u64,
    /// Units of the stage in all; 0 when unknown.
    pub total: u64,
    /// Which stage this is (see [`Progress`]).
    pub generation: u64,
}

impl Progress {
    /// A tracker at no stage yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts stage `name` of `total` units (0 when unknown), none of them done.
    pub fn stage(&self, name: impl Into<String>, total: u64) {
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner) = name.into();
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` more units of the stage as done.
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Where the work is now.
    #[must_use]
    pub fn state(&self) -> ProgressState {
        ProgressState {
            stage: self
                .stage
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            generation: self.generation.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_starts_from_nothing_and_counts_from_every_thread() {
        let p = Progress::new();
        p.stage("writing", 400);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..100).for_each(|_| p.advance(1)));
            }
        });
        let state = p.state();
        assert_eq!(
            (state.stage.as_str(), state.done, state.total),
            ("writing", 400, 400)
        );
        p.stage("writing", 0);
        let next = p.state();
        assert_eq!((next.done, next.total), (0, 0));
        assert!(next.generation > state.generation);
    }
}
