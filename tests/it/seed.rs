//! The province seed on both stores, at a small scale: every county written, its codes its own,
//! the progress counted to the end, and the service answering in each county.

use std::sync::Arc;

use safegrid::domain::Layer;
use safegrid::domain::progress::Progress;
use safegrid::sample::province::{ProvinceScale, county_code};
use safegrid::service::Service;
use safegrid::service::seed::seed_province;
use safegrid::spatial::locate;
use safegrid::store::Store;

use crate::common::on_both_backends;

async fn a_small_province_seeds_county_by_county(store: Arc<dyn Store>) {
    let scale = ProvinceScale {
        counties: 2,
        cameras_per_county: 2_000,
        events_per_county: 400,
    };
    let progress = Progress::new();
    let written = seed_province(store.as_ref(), scale, &progress)
        .await
        .expect("seeded");
    let last = progress.state();
    assert_eq!(last.stage, "county 2/2: writing");
    assert_eq!(
        last.done, last.total,
        "every item of the last county counted"
    );
    assert_eq!(store.event_count().await.expect("count"), 800);

    let service = Service::start(store.clone()).await.expect("loads");
    let snapshot = service.snapshot();
    assert_eq!(snapshot.count(Layer::Camera), 4_000);
    assert_eq!(snapshot.count(Layer::Event), 800);
    let counted: usize = Layer::ALL.iter().map(|l| snapshot.count(*l)).sum();
    assert_eq!(counted, written);
    for i in 0..2 {
        let code = county_code(i);
        let county = snapshot.regions.get(&code).expect("the county region");
        assert!(county.name.starts_with("合成县"), "{}", county.name);
        // A grid of this county answers for a point inside it.
        let grid = snapshot
            .grids
            .iter()
            .find(|g| g.code.starts_with(&code) && g.parent_code.is_none())
            .expect("a grid");
        let inside = geo::InteriorPoint::interior_point(&grid.area).expect("a point inside");
        let found = locate::grid_at(&snapshot, inside.0).expect("located");
        assert!(found.code.starts_with(&code), "{} in {code}", found.code);
    }
    // `safegrid seed` refuses a database that is not empty, and this one is not.
    assert!(!store.is_empty().await.expect("is_empty"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_province() {
    on_both_backends("small_province", a_small_province_seeds_county_by_county).await;
}
