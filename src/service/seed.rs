//! Seeding an empty database: the Dongyang sample in one transaction (what `serve` does on a
//! first start), or a province-sized synthetic set ([`crate::sample::province`]) county by
//! county, each county generated off the async threads and written in transactions of
//! [`SEED_CHUNK`] items, so that memory holds one county and `progress` moves steadily.
//!
//! A province seed is not one transaction: interrupted, it leaves the counties written so far.
//! It only starts on an empty database, and says so when it finds one that is not.

use chrono::Utc;

use crate::domain::Layer;
use crate::domain::progress::Progress;
use crate::sample::province::{ProvinceScale, county};
use crate::store::{Change, Store};

use super::{ServiceError, ServiceResult};

/// Items per transaction of a province seed, after each county's regions, grids and workers
/// (written together: they refer to each other).
pub const SEED_CHUNK: usize = 50_000;

/// Generates the Dongyang sample and writes it in one transaction; answers how many items.
///
/// # Errors
/// Generation or store failures; nothing is written then.
pub async fn seed_sample(store: &dyn Store) -> ServiceResult<usize> {
    let data = tokio::task::spawn_blocking(crate::sample::generate)
        .await
        .map_err(|e| ServiceError::Task(e.to_string()))?
        .map_err(|e| ServiceError::Task(format!("generating the sample: {e}")))?;
    let changes: Vec<Change> = data.into_items().into_iter().map(Change::Put).collect();
    store.apply(&changes, Utc::now()).await?;
    Ok(changes.len())
}

/// Generates and writes the province `scale` describes, county by county; answers how many
/// items.
///
/// # Errors
/// Generation or store failures; the counties written before stay.
pub async fn seed_province(
    store: &dyn Store,
    scale: ProvinceScale,
    progress: &Progress,
) -> ServiceResult<usize> {
    let mut written = 0;
    for i in 0..scale.counties {
        let label = format!("county {}/{}", i + 1, scale.counties);
        progress.stage(format!("{label}: generating"), 0);
        let data = tokio::task::spawn_blocking(move || county(&scale, i))
            .await
            .map_err(|e| ServiceError::Task(e.to_string()))?
            .map_err(|e| ServiceError::Task(format!("generating {label}: {e}")))?;
        let items = data.into_items();
        progress.stage(format!("{label}: writing"), items.len() as u64);
        // Regions, grids and workers refer to each other: one transaction; the rest refers to
        // nothing and goes in chunks.
        let linked = items
            .iter()
            .take_while(|i| matches!(i.layer(), Layer::Region | Layer::Grid | Layer::Worker))
            .count();
        let (first, rest) = items.split_at(linked);
        for chunk in std::iter::once(first).chain(rest.chunks(SEED_CHUNK)) {
            let changes: Vec<Change> = chunk.iter().cloned().map(Change::Put).collect();
            store.apply(&changes, Utc::now()).await?;
            progress.advance(chunk.len() as u64);
        }
        written += items.len();
        tracing::info!(
            county = i + 1,
            items = items.len(),
            "seeded a synthetic county"
        );
    }
    Ok(written)
}

/// Whether `items` is in the order [`crate::domain::Dataset::into_items`] gives (parents
/// first), which [`seed_province`] relies on.
#[cfg(test)]
fn parents_first(items: &[crate::domain::AnyItem]) -> bool {
    let rank = |l: Layer| matches!(l, Layer::Region | Layer::Grid | Layer::Worker);
    items
        .windows(2)
        .all(|w| rank(w[0].layer()) || !rank(w[1].layer()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_lists_its_regions_grids_and_workers_first() {
        let scale = ProvinceScale {
            counties: 1,
            cameras_per_county: 500,
            events_per_county: 500,
        };
        let items = county(&scale, 0).expect("county").into_items();
        assert!(parents_first(&items));
    }
}
