//! One cached analysis result per slot: the latest one asked for, with the stamp (the layer
//! generations, and whatever else it depends on) it was computed for. The analyses' caches
//! ([`super::coverage::CoverageCache`], [`super::region_summary::RegionSummaryCache`]) are made
//! of these.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A result computed once, shared by the requests that asked for it at once.
pub type Cell<T> = Arc<OnceLock<Arc<T>>>;

/// The latest result asked for, with its stamp. The value is a `OnceLock` handed out under the
/// lock and filled outside it, so that requests asking at once compute it once and a long
/// computation blocks no other slot.
#[derive(Debug)]
pub struct Slot<S, T>(Mutex<Option<(S, Cell<T>)>>);

impl<S, T> Default for Slot<S, T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<S: PartialEq, T> Slot<S, T> {
    /// The cell for `stamp`: the kept one when its stamp is `stamp`, else a new empty one that
    /// replaces it.
    pub fn cell(&self, stamp: S) -> Cell<T> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.as_ref() {
            Some((s, cell)) if *s == stamp => cell.clone(),
            _ => {
                let cell = Arc::new(OnceLock::new());
                *kept = Some((stamp, cell.clone()));
                cell
            }
        }
    }

    /// The value computed for `stamp`, if there is one.
    pub fn peek(&self, stamp: &S) -> Option<Arc<T>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.as_ref() {
            Some((s, cell)) if s == stamp => cell.get().cloned(),
            _ => None,
        }
    }

    /// The value for `stamp`, computed by `compute` when the slot holds none for it.
    pub fn get_or_compute(&self, stamp: S, compute: impl FnOnce() -> T) -> Arc<T> {
        self.cell(stamp).get_or_init(|| Arc::new(compute())).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_kept_for_its_stamp_and_replaced_for_another() {
        let slot: Slot<u64, u32> = Slot::default();
        let mut runs = 0;
        let first = slot.get_or_compute(1, || {
            runs += 1;
            10
        });
        let again = slot.get_or_compute(1, || {
            runs += 1;
            11
        });
        assert_eq!((*first, *again, runs), (10, 10, 1));
        assert_eq!(slot.peek(&1).as_deref(), Some(&10));
        let other = slot.get_or_compute(2, || {
            runs += 1;
            20
        });
        assert_eq!((*other, runs), (20, 2));
        assert!(slot.peek(&1).is_none(), "only the latest stamp is kept");
    }
}
