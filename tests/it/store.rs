//! The [`Store`] contract, checked with the same test bodies against both backends: SQLite (in
//! memory, always) and PostgreSQL + PostGIS (when `SAFEGRID_TEST_PG_URL` names a server).
//!
//! Each PostgreSQL run creates its own database (`safegrid_t_<random>`) through the server's
//! `postgres` maintenance database and drops it afterwards, so tests run in parallel. Without
//! `SAFEGRID_TEST_PG_URL` the PostgreSQL half is skipped with a note, unless `CI=true`, where
//! that is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::FutureExt;
use geojson::Feature;
use serde_json::{Value, json};

use safegrid::domain::{AnyItem, CameraStatus, Dataset, Duty, EventPoint, Item, Layer, Role};
use safegrid::store::{Change, PgStore, Store, StoreError, TokenRecord};

use crate::common::{TestDb, on_both_backends, on_both_backends_at, pg_url, with_database};

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                on_both_backends(stringify!($name), bodies::$name).await;
            }
        )*
    };
}

store_tests!(
    insert_replace_and_delete_follow_their_preconditions,
    failed_batch_leaves_nothing_behind,
    missing_parent_fails_the_batch_at_commit,
    grid_versions_close_and_open,
    worker_assignments_round_trip_and_protect_their_grids,
    geometry_round_trips_exactly,
    load_returns_what_was_written,
    later_put_of_a_key_in_one_batch_wins,
    tokens_are_found_by_hash,
    one_failing_write_in_a_group_leaves_the_others_committed,
    a_group_of_inserts_commits_together_and_a_taken_key_fails_alone,
    group_grid_writes_open_and_close_versions_as_single_writes_do,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_groups_keep_every_acknowledged_write_after_reopening() {
    let name = "concurrent_groups_keep_every_acknowledged_write_after_reopening";
    on_both_backends_at(
        name,
        Some("concurrent-groups"),
        bodies::concurrent_groups_keep_every_acknowledged_write_after_reopening,
    )
    .await;
}

/// Commits leave the copying of the write-ahead log into the database file to a background
/// checkpoint: the file grows within seconds of a write, long before SQLite's own threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_the_wal_in_the_background() {
    let dir = std::env::temp_dir().join(format!(
        "safegrid-checkpoint-{}-{:08x}",
        std::process::id(),
        getrandom::u32().expect("random name")
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("store.db");
    let store = safegrid::store::open(&format!("sqlite:{}", path.display()))
        .await
        .expect("opens");
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let before = std::fs::metadata(&path).expect("db file").len();
    let cameras: Vec<Change> = (0..3_000)
        .map(|i| {
            let code = format!("330783000013201{i:05}");
            Change::Put(camera(&code, 120.2 + f64::from(i) * 1e-5, 29.2))
        })
        .collect();
    store.apply(&cameras, t(0)).await.expect("cameras");
    let wal = std::fs::metadata(dir.join("store.db-wal"))
        .expect("wal")
        .len();
    assert!(wal > 200_000, "the write went to the WAL ({wal} bytes)");
    let started = std::time::Instant::now();
    loop {
        let now = std::fs::metadata(&path).expect("db file").len();
        if now > before + 200_000 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the database file stayed at {now} bytes (from {before}) with {wal} bytes of WAL"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(store);
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const COUNTY: &str = "330783";
const TOWN: &str = "330783001";
const VILLAGE: &str = "330783001014";
const GRID_A: &str = "330783001014001";
const GRID_B: &str = "330783001014002";

fn t(seconds: i64) -> DateTime<Utc> {
    // Microseconds on purpose: both stores keep them.
    Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0)
        .single()
        .expect("valid time")
        + Duration::seconds(seconds)
        + Duration::microseconds(123_456)
}

fn item(layer: Layer, feature: Value) -> AnyItem {
    let feature: Feature = serde_json::from_value(feature).expect("feature JSON");
    AnyItem::from_feature(layer, &feature).expect("valid feature")
}

/// A rectangle from its corners, written as literals so the fixtures hold short decimals.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

fn region(code: &str, parent: Option<&str>, name: &str) -> AnyItem {
    item(
        Layer::Region,
        json!({"type": "Feature", "geometry": rect(120.2, 29.2, 120.3, 29.3),
               "properties": {"code": code, "name": name, "parent_code": parent}}),
    )
}

fn regions() -> Vec<AnyItem> {
    vec![
        region(COUNTY, None, "东阳市"),
        region(TOWN, Some(COUNTY), "吴宁街道"),
        region(VILLAGE, Some(TOWN), "东街社区"),
    ]
}

fn grid(code: &str, name: &str, geometry: &Value) -> AnyItem {
    item(
        Layer::Grid,
        json!({"type": "Feature", "geometry": geometry,
               "properties": {"code": code, "name": name, "kind": "residential", "households": 120, "population": 350}}),
    )
}

fn worker(id: &str, grids: &[(&str, &str)]) -> AnyItem {
    let grids: Vec<Value> = grids
        .iter()
        .map(|(g, d)| json!({"grid": g, "duty": d}))
        .collect();
    item(
        Layer::Worker,
        json!({"type": "Feature", "geometry": null,
               "properties": {"id": id, "name": "张三", "phone": "+86 138-0000-0000", "role": "full_time", "grids": grids}}),
    )
}

fn camera(code: &str, lon: f64, lat: f64) -> AnyItem {
    item(
        Layer::Camera,
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"code": code, "name": "人民路口", "azimuth_deg": 45.5, "range_m": 80.25, "kind": "fixed"}}),
    )
}

/// A camera at a fixed place with its name and status set.
fn camera_as(code: &str, name: &str, status: CameraStatus) -> AnyItem {
    let mut item = camera(code, 120.215, 29.215);
    if let AnyItem::Camera(c) = &mut item {
        c.name = name.into();
        c.status = status;
    }
    item
}

/// What a write came to, by kind, for comparing outcomes.
fn outcome_kind(result: &Result<(), StoreError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(StoreError::Conflict { .. }) => "conflict",
        Err(StoreError::NotFound { .. }) => "not found",
        Err(StoreError::Reference(_)) => "reference",
        Err(_) => "other",
    }
}

/// The items a write puts, inserts or replaces.
fn written_items(changes: &[Change]) -> Vec<AnyItem> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Insert(i) | Change::Replace(i) | Change::Put(i) => Some(i.clone()),
            Change::Delete(..) => None,
        })
        .collect()
}

/// The statuses of camera `code` in its history, newest first.
async fn statuses(store: &dyn Store, code: &str) -> Vec<CameraStatus> {
    store
        .camera_status_history(code, 100)
        .await
        .expect("status history")
        .into_iter()
        .map(|c| c.status)
        .collect()
}

/// A grid version told by its number, name, valid from and valid to.
type VersionSpan = (u32, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// The versions of grid `code`, oldest first.
fn history(versions: &[safegrid::domain::GridVersion], code: &str) -> Vec<VersionSpan> {
    versions
        .iter()
        .filter(|v| v.grid.code == code)
        .map(|v| (v.version, v.grid.name.clone(), v.valid_from, v.valid_to))
        .collect()
}

fn puts(items: Vec<AnyItem>) -> Vec<Change> {
    items.into_iter().map(Change::Put).collect()
}

/// Every item of a dataset as a feature, keyed `layer/key`; workers' grids sorted (the
/// assignment table is a set).
fn snapshot(data: &Dataset) -> BTreeMap<String, Value> {
    fn add<T: Item>(out: &mut BTreeMap<String, Value>, items: &[T]) {
        for i in items {
            let mut v = serde_json::to_value(i.to_feature()).expect("feature serializes");
            if let Some(grids) = v
                .pointer_mut("/properties/grids")
                .and_then(Value::as_array_mut)
            {
                grids.sort_by_key(|g| g["grid"].as_str().unwrap_or_default().to_owned());
            }
            out.insert(format!("{}/{}", T::LAYER, i.key()), v);
        }
    }
    let mut out = BTreeMap::new();
    add(&mut out, &data.regions);
    add(&mut out, &data.grids);
    add(&mut out, &data.workers);
    add(&mut out, &data.cameras);
    add(&mut out, &data.patrol_routes);
    add(&mut out, &data.key_areas);
    add(&mut out, &data.events);
    add(&mut out, &data.buildings);
    out
}

/// Every layer as the store holds it: [`Store::load`] and the events it lists.
async fn load_everything(store: &dyn Store) -> Dataset {
    let mut data = store.load().await.expect("load");
    let all = safegrid::domain::EventQuery {
        limit: 10_000,
        ..safegrid::domain::EventQuery::default()
    };
    data.events = store
        .list_events(&all)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.event)
        .collect();
    data
}

fn snapshot_items(items: &[AnyItem]) -> BTreeMap<String, Value> {
    let mut data = Dataset::default();
    for i in items.iter().cloned() {
        data.push(i);
    }
    snapshot(&data)
}

/// Asserts two snapshots are equal, naming the backend and the first item that differs.
fn assert_same(store: &dyn Store, got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>) {
    let backend = store.backend();
    for (key, w) in want {
        assert_eq!(
            got.get(key),
            Some(w),
            "{backend}: {key} does not round-trip"
        );
    }
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(extra.is_empty(), "{backend}: unexpected items {extra:?}");
}

/// SplitMix64, so the random geometry is the same on every run.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with all 53 bits of mantissa used.
    fn unit(&mut self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "53-bit value, exact in f64")]
        let v = (self.next_u64() >> 11) as f64;
        v / (1u64 << 53) as f64
    }

    /// A coordinate in [-bound, bound) scaled by 10^-k for a random k in 0..12, so every
    /// decimal magnitude is exercised.
    fn coordinate(&mut self, bound: f64) -> f64 {
        let k = i32::try_from(self.next_u64() % 12).expect("small");
        (self.unit() * 2.0 - 1.0) * bound * 10f64.powi(-k)
    }
}

// ---------------------------------------------------------------------------------------------
// Test bodies, each run against both backends

mod bodies {
    use super::*;

    pub async fn insert_replace_and_delete_follow_their_preconditions(store: Arc<dyn Store>) {
        assert!(store.is_empty().await.expect("is_empty"));
        let inserts: Vec<Change> = regions().into_iter().map(Change::Insert).collect();
        store.apply(&inserts, t(0)).await.expect("insert regions");
        assert!(!store.is_empty().await.expect("is_empty"));

        let again = store
            .apply(&[Change::Insert(region(COUNTY, None, "again"))], t(1))
            .await;
        assert!(
            matches!(&again, Err(StoreError::Conflict { layer: Layer::Region, key }) if key == COUNTY),
            "{again:?}"
        );

        let missing = store
            .apply(&[Change::Replace(region("330784", None, "无"))], t(1))
            .await;
        assert!(
            matches!(&missing, Err(StoreError::NotFound { layer: Layer::Region, key }) if key == "330784"),
            "{missing:?}"
        );

        let missing = store
            .apply(
                &[Change::Delete(Layer::Camera, "33078300001320000001".into())],
                t(1),
            )
            .await;
        assert!(
            matches!(
                &missing,
                Err(StoreError::NotFound {
                    layer: Layer::Camera,
                    ..
                })
            ),
            "{missing:?}"
        );

        store
            .apply(
                &[Change::Replace(region(VILLAGE, Some(TOWN), "西街社区"))],
                t(2),
            )
            .await
            .expect("replace village");
        let data = store.load().await.expect("load");
        let village = data
            .regions
            .iter()
            .find(|r| r.code == VILLAGE)
            .expect("village kept");
        assert_eq!(village.name, "西街社区");

        // A town still referenced by its village cannot go.
        let referenced = store
            .apply(&[Change::Delete(Layer::Region, TOWN.into())], t(3))
            .await;
        assert!(
            matches!(referenced, Err(StoreError::Reference(_))),
            "{referenced:?}"
        );

        store
            .apply(
                &[
                    Change::Delete(Layer::Region, VILLAGE.into()),
                    Change::Delete(Layer::Region, TOWN.into()),
                ],
                t(3),
            )
            .await
            .expect("delete village then town");
        let data = store.load().await.expect("load");
        let codes: Vec<&str> = data.regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, [COUNTY]);

        // Insert after delete works again.
        store
            .apply(
                &[Change::Insert(region(TOWN, Some(COUNTY), "吴宁街道"))],
                t(4),
            )
            .await
            .expect("re-insert town");
    }

    pub async fn failed_batch_leaves_nothing_behind(store: Arc<dyn Store>) {
        let mut batch = puts(regions());
        batch.push(Change::Insert(grid(
            GRID_A,
            "第1网格",
            &rect(120.21, 29.21, 120.22, 29.22),
        )));
        batch.push(Change::Put(camera("33078300001320000001", 120.215, 29.215)));
        batch.push(Change::Put(worker("w1", &[(GRID_A, "leader")])));
        // The last change conflicts with the first.
        batch.push(Change::Insert(region(COUNTY, None, "东阳市")));
        let result = store.apply(&batch, t(0)).await;
        assert!(
            matches!(&result, Err(StoreError::Conflict { layer: Layer::Region, key }) if key == COUNTY),
            "{result:?}"
        );
        assert!(store.is_empty().await.expect("is_empty"));
        let data = store.load().await.expect("load");
        assert!(snapshot(&data).is_empty(), "{:?}", snapshot(&data));
        assert!(data.grid_versions.is_empty());
        assert!(store.grid_versions().await.expect("versions").is_empty());

        // The same batch without the conflicting change goes through whole.
        batch.pop();
        store.apply(&batch, t(1)).await.expect("batch");
        let data = store.load().await.expect("load");
        assert_eq!(data.regions.len(), 3);
        assert_eq!(data.grids.len(), 1);
        assert_eq!(data.cameras.len(), 1);
        assert_eq!(data.workers.len(), 1);
        assert_eq!(data.grid_versions.len(), 1);
    }

    pub async fn missing_parent_fails_the_batch_at_commit(store: Arc<dyn Store>) {
        // Children before parents inside one batch are fine (foreign keys are checked at commit) ...
        let mut reversed = puts(regions());
        reversed.reverse();
        store
            .apply(&reversed, t(0))
            .await
            .expect("children before parents");

        // ... but a parent that never comes fails the whole batch.
        let batch = vec![
            Change::Put(camera("33078300001320000009", 120.0, 29.0)),
            Change::Insert(region("330784001", Some("330784"), "孤儿")),
        ];
        let result = store.apply(&batch, t(1)).await;
        assert!(
            matches!(result, Err(StoreError::Reference(_))),
            "{result:?}"
        );
        let data = store.load().await.expect("load");
        assert!(data.cameras.is_empty());
        assert_eq!(data.regions.len(), 3);

        // A grid whose community does not exist fails the same way.
        let result = store
            .apply(
                &[Change::Insert(grid(
                    "330783001099001",
                    "无主",
                    &rect(120.0, 29.0, 120.01, 29.01),
                ))],
                t(2),
            )
            .await;
        assert!(
            matches!(result, Err(StoreError::Reference(_))),
            "{result:?}"
        );
        assert!(store.grid_versions().await.expect("versions").is_empty());
    }

    pub async fn grid_versions_close_and_open(store: Arc<dyn Store>) {
        store.apply(&puts(regions()), t(0)).await.expect("regions");
        store
            .apply(
                &[Change::Insert(grid(
                    GRID_A,
                    "第1网格",
                    &rect(120.21, 29.21, 120.22, 29.22),
                ))],
                t(10),
            )
            .await
            .expect("insert grid");
        store
            .apply(
                &[Change::Replace(grid(
                    GRID_A,
                    "第1网格（调整）",
                    &rect(120.21, 29.21, 120.23, 29.23),
                ))],
                t(20),
            )
            .await
            .expect("replace grid");

        let versions = store.grid_versions().await.expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].version, 1);
        assert_eq!(versions[0].grid.name, "第1网格");
        assert_eq!(versions[0].valid_from, t(10));
        assert_eq!(versions[0].valid_to, Some(t(20)));
        assert_eq!(versions[1].version, 2);
        assert_eq!(versions[1].grid.name, "第1网格（调整）");
        assert_eq!(versions[1].valid_from, t(20));
        assert_eq!(versions[1].valid_to, None);
        assert!(versions[0].valid_at(t(15)) && !versions[0].valid_at(t(20)));
        assert!(versions[1].valid_at(t(20)));
        // The version keeps its own geometry.
        assert_eq!(
            serde_json::to_value(versions[0].grid.geometry()).expect("json"),
            rect(120.21, 29.21, 120.22, 29.22),
            "{}",
            store.backend()
        );
        assert_eq!(
            serde_json::to_value(versions[1].grid.geometry()).expect("json"),
            rect(120.21, 29.21, 120.23, 29.23),
            "{}",
            store.backend()
        );

        // The current grid carries the latest version.
        let data = store.load().await.expect("load");
        assert_eq!(data.grids.len(), 1);
        assert_eq!(data.grids[0].name, "第1网格（调整）");
        assert_eq!(data.grid_versions.len(), 2);

        // A micro-grid referencing its parent keeps the parent from being deleted.
        let mut micro = grid(GRID_B, "第1微网格", &rect(120.21, 29.21, 120.215, 29.215));
        if let AnyItem::Grid(g) = &mut micro {
            g.parent_code = Some(GRID_A.into());
        }
        store
            .apply(&[Change::Insert(micro)], t(25))
            .await
            .expect("micro-grid");
        let result = store
            .apply(&[Change::Delete(Layer::Grid, GRID_A.into())], t(26))
            .await;
        assert!(
            matches!(result, Err(StoreError::Reference(_))),
            "{result:?}"
        );
        store
            .apply(&[Change::Delete(Layer::Grid, GRID_B.into())], t(27))
            .await
            .expect("delete micro-grid");

        // Deleting closes the current version; putting it back opens version 3.
        store
            .apply(&[Change::Delete(Layer::Grid, GRID_A.into())], t(30))
            .await
            .expect("delete grid");
        let data = store.load().await.expect("load");
        assert!(data.grids.is_empty());
        let versions: Vec<_> = data
            .grid_versions
            .iter()
            .filter(|v| v.grid.code == GRID_A)
            .collect();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].valid_to, Some(t(30)));

        store
            .apply(
                &[Change::Put(grid(
                    GRID_A,
                    "第1网格（恢复）",
                    &rect(120.21, 29.21, 120.22, 29.22),
                ))],
                t(40),
            )
            .await
            .expect("put grid back");
        let versions = store.grid_versions().await.expect("versions");
        let a: Vec<_> = versions.iter().filter(|v| v.grid.code == GRID_A).collect();
        assert_eq!(a.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(a[2].valid_from, t(40));
        assert_eq!(a[2].valid_to, None);
        let b: Vec<_> = versions.iter().filter(|v| v.grid.code == GRID_B).collect();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].valid_to, Some(t(27)));
        // Ordered by code, then version.
        let order: Vec<(String, u32)> = versions
            .iter()
            .map(|v| (v.grid.code.clone(), v.version))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    pub async fn worker_assignments_round_trip_and_protect_their_grids(store: Arc<dyn Store>) {
        let mut batch = puts(regions());
        batch.push(Change::Put(grid(
            GRID_A,
            "第1网格",
            &rect(120.21, 29.21, 120.22, 29.22),
        )));
        batch.push(Change::Put(grid(
            GRID_B,
            "第2网格",
            &rect(120.22, 29.21, 120.23, 29.22),
        )));
        batch.push(Change::Insert(worker(
            "w1",
            &[(GRID_B, "part_time"), (GRID_A, "leader")],
        )));
        batch.push(Change::Insert(worker("w2", &[])));
        store.apply(&batch, t(0)).await.expect("seed");

        let data = store.load().await.expect("load");
        let w1 = data.workers.iter().find(|w| w.id == "w1").expect("w1");
        let mut grids: Vec<(String, Duty)> =
            w1.grids.iter().map(|a| (a.grid.clone(), a.duty)).collect();
        grids.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            grids,
            [
                (GRID_A.to_owned(), Duty::Leader),
                (GRID_B.to_owned(), Duty::PartTime)
            ]
        );
        let w2 = data.workers.iter().find(|w| w.id == "w2").expect("w2");
        assert!(w2.grids.is_empty());

        // A grid still served by a worker cannot be deleted, and the failed batch changes nothing.
        let result = store
            .apply(&[Change::Delete(Layer::Grid, GRID_A.into())], t(1))
            .await;
        assert!(
            matches!(result, Err(StoreError::Reference(_))),
            "{result:?}"
        );
        let data = store.load().await.expect("load");
        assert_eq!(data.grids.len(), 2);
        assert!(data.grid_versions.iter().all(|v| v.valid_to.is_none()));

        // Replacing the worker rewrites the assignments.
        store
            .apply(
                &[Change::Replace(worker("w1", &[(GRID_B, "police")]))],
                t(2),
            )
            .await
            .expect("replace worker");
        let data = store.load().await.expect("load");
        let w1 = data.workers.iter().find(|w| w.id == "w1").expect("w1");
        assert_eq!(w1.grids.len(), 1);
        assert_eq!(w1.grids[0].grid, GRID_B);
        assert_eq!(w1.grids[0].duty, Duty::Police);
        store
            .apply(&[Change::Delete(Layer::Grid, GRID_A.into())], t(3))
            .await
            .expect("GRID_A is free now");

        // An assignment to an unknown grid is a broken reference.
        let result = store
            .apply(
                &[Change::Put(worker("w3", &[("330783001014099", "leader")]))],
                t(4),
            )
            .await;
        assert!(
            matches!(result, Err(StoreError::Reference(_))),
            "{result:?}"
        );

        // Deleting a worker drops its assignments with it.
        store
            .apply(
                &[
                    Change::Delete(Layer::Worker, "w1".into()),
                    Change::Delete(Layer::Grid, GRID_B.into()),
                ],
                t(5),
            )
            .await
            .expect("delete worker, then its grid");
        let data = store.load().await.expect("load");
        assert_eq!(
            data.workers
                .iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>(),
            ["w2"]
        );
        assert!(data.grids.is_empty());
    }

    pub async fn geometry_round_trips_exactly(store: Arc<dyn Store>) {
        // Both stores read geometry back as GeoJSON text, so exactness needs a correctly
        // rounding JSON float parser; serde_json's default one is off by one ulp here.
        let probe: f64 = serde_json::from_str("29.220000000000002").expect("a number");
        assert_eq!(
            probe.to_bits(),
            29.220000000000002_f64.to_bits(),
            "serde_json parses floats inexactly: enable its `float_roundtrip` feature in Cargo.toml"
        );
        let mut rng = Rng(0x5AFE_6121D);
        let mut items = regions();
        // Full-precision polygons, one part and two parts.
        items.push(grid(
            GRID_A,
            "精度网格",
            &json!({"type": "Polygon", "coordinates": [[
                [120.12345678901234, 29.123456789012345],
                [120.22345678901235, 29.123456789012348],
                [120.22345678901237, 29.223456789012343],
                [120.12345678901233, 29.223456789012341],
                [120.12345678901234, 29.123456789012345]]]}),
        ));
        items.push(item(
            Layer::KeyArea,
            json!({"type": "Feature",
                   "geometry": {"type": "MultiPolygon", "coordinates": [
                       [[[0.1, 0.1], [0.30000000000000004, 0.1], [0.30000000000000004, 0.7], [0.1, 0.1]]],
                       [[[1.2345678901234567e-7, -1.0], [2.0000000000000004, -1.0], [2.0000000000000004, -0.000123456789012345], [1.2345678901234567e-7, -1.0]]]
                   ]},
                   "properties": {"id": "ka1", "name": "校园周边", "category": "school_surroundings",
                                  "listed_date": "2024-01-02", "deadline": "2024-06-30", "status": "rectifying"}}),
        ));
        items.push(item(
            Layer::PatrolRoute,
            json!({"type": "Feature",
                   "geometry": {"type": "LineString", "coordinates": [[-179.99999999999997, -89.99999999999999], [180.0, 90.0], [1e-300, 5e-324]]},
                   "properties": {"id": "r1", "name": "夜巡", "windows": [{"days": [1, 2, 3], "start": "22:00", "end": "02:00"}]}}),
        ));
        // Enough random points for several multi-row statements, every magnitude covered.
        for i in 0..2_500 {
            let lon = rng.coordinate(180.0);
            let lat = rng.coordinate(90.0);
            items.push(camera(&format!("3307830000132{i:07}"), lon, lat));
        }
        store
            .apply(&puts(items.clone()), t(0))
            .await
            .expect("write");
        let data = store.load().await.expect("load");
        let want = snapshot_items(&items);
        assert_same(store.as_ref(), &snapshot(&data), &want);
        // The grid version holds the exact geometry too.
        assert_eq!(
            serde_json::to_value(data.grid_versions[0].grid.geometry()).expect("json"),
            want[&format!("grids/{GRID_A}")]["geometry"]
        );
    }

    pub async fn load_returns_what_was_written(store: Arc<dyn Store>) {
        let mut items = regions();
        items.push(grid(GRID_A, "第1网格", &rect(120.21, 29.21, 120.22, 29.22)));
        items.push(grid(GRID_B, "第2网格", &rect(120.22, 29.21, 120.23, 29.22)));
        items.push(worker("w1", &[(GRID_A, "leader"), (GRID_B, "full_time")]));
        items.push(camera("33078300001320000001", 120.215, 29.215));
        items.push(item(
            Layer::PatrolRoute,
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[120.21, 29.21], [120.22, 29.22]]},
                   "properties": {"id": "r1", "name": "日巡", "team": "一中队"}}),
        ));
        items.push(item(
            Layer::KeyArea,
            json!({"type": "Feature", "geometry": rect(120.23, 29.23, 120.232, 29.232),
                   "properties": {"id": "ka1", "name": "城中村", "category": "urban_village", "lead_department": "吴宁街道",
                                  "responsible_person": "李四", "listed_date": "2024-01-02", "deadline": "2024-06-30", "status": "listed"}}),
        ));
        items.push(item(
            Layer::Event,
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.2151, 29.2152]},
                   "properties": {"id": "e1", "category": "dispute", "occurred_at": "2024-03-01T07:59:00.123456Z",
                                  "reported_at": "2024-03-01T08:05:00Z", "source": "hotline_12345", "status": "reported",
                                  "description": "邻里纠纷 \"quoted\" \\ 🙂"}}),
        ));
        items.push(item(
            Layer::Building,
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.2153, 29.2154]},
                   "properties": {"id": "b1", "address": "东街 1 号", "households": 24, "residents": 61}}),
        ));
        store
            .apply(&puts(items.clone()), t(0))
            .await
            .expect("write");
        let data = load_everything(store.as_ref()).await;
        assert_same(store.as_ref(), &snapshot(&data), &snapshot_items(&items));
        assert_eq!(data.grid_versions.len(), 2);
        assert!(!store.is_empty().await.expect("is_empty"));
        // What the index keeps of an event is what was written of it.
        let progress = safegrid::domain::progress::Progress::new();
        progress.stage("loading events", store.event_count().await.expect("count"));
        let points = store
            .load_event_points(&progress)
            .await
            .expect("event points");
        let counted = progress.state();
        assert_eq!(
            (counted.done, counted.total),
            (1, 1),
            "the one event, counted"
        );
        let want: Vec<EventPoint> = data.events.iter().map(EventPoint::from).collect();
        assert_eq!(points, want);

        // Writing what was loaded changes nothing.
        let reloaded: Vec<AnyItem> = data.clone().into_items();
        store.apply(&puts(reloaded), t(1)).await.expect("rewrite");
        let again = load_everything(store.as_ref()).await;
        assert_same(store.as_ref(), &snapshot(&again), &snapshot(&data));
    }

    pub async fn later_put_of_a_key_in_one_batch_wins(store: Arc<dyn Store>) {
        let code = "33078300001320000001";
        let batch = vec![
            Change::Put(camera(code, 120.1, 29.1)),
            Change::Put(camera("33078300001320000002", 120.3, 29.3)),
            Change::Put(camera(code, 120.2, 29.2)),
        ];
        store.apply(&batch, t(0)).await.expect("batch");
        let data = store.load().await.expect("load");
        assert_eq!(data.cameras.len(), 2);
        let cam = data
            .cameras
            .iter()
            .find(|c| c.code == code)
            .expect("camera");
        assert_eq!((cam.location.x(), cam.location.y()), (120.2, 29.2));
    }

    pub async fn tokens_are_found_by_hash(store: Arc<dyn Store>) {
        assert_eq!(store.token_count().await.expect("count"), 0);
        assert!(store.find_token("abc").await.expect("find").is_none());
        let token = TokenRecord {
            hash: "ab".repeat(32),
            name: "调度台".into(),
            role: Role::Scheduler,
        };
        store.insert_token(&token, t(0)).await.expect("insert");
        let found = store
            .find_token(&token.hash)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(found.hash, token.hash);
        assert_eq!(found.name, token.name);
        assert_eq!(found.role, Role::Scheduler);
        assert!(store.insert_token(&token, t(1)).await.is_err());
        assert_eq!(store.token_count().await.expect("count"), 1);
    }

    pub async fn one_failing_write_in_a_group_leaves_the_others_committed(store: Arc<dyn Store>) {
        let (c1, c2, c3) = (
            "33078300001320000001",
            "33078300001320000002",
            "33078300001320000003",
        );
        let mut seed = puts(regions());
        seed.push(Change::Put(grid(
            GRID_A,
            "第1网格",
            &rect(120.21, 29.21, 120.22, 29.22),
        )));
        seed.push(Change::Put(camera(c1, 120.215, 29.215)));
        seed.push(Change::Put(worker("w1", &[(GRID_A, "leader")])));
        store.apply(&seed, t(0)).await.expect("seed");

        let missing_grid = "330783001014099";
        let other_village = "330783001015";
        let other_grid = "330783001015001";
        let writes = vec![
            vec![Change::Insert(camera(c2, 120.216, 29.216))],
            // A grid, then a camera that exists: the grid and its version go with the camera.
            vec![
                Change::Put(grid(GRID_B, "第2网格", &rect(120.22, 29.21, 120.23, 29.22))),
                Change::Insert(camera(c1, 120.0, 29.0)),
            ],
            vec![Change::Replace(grid(
                missing_grid,
                "无",
                &rect(120.21, 29.21, 120.22, 29.22),
            ))],
            vec![Change::Put(worker("w2", &[(missing_grid, "leader")]))],
            // A new camera, then a conflict: the camera's status history row goes too.
            vec![
                Change::Put(camera(c3, 120.217, 29.217)),
                Change::Insert(region(COUNTY, None, "东阳市")),
            ],
            vec![Change::Replace(grid(
                GRID_A,
                "第1网格（调整）",
                &rect(120.21, 29.21, 120.23, 29.23),
            ))],
            // Still referenced by its village.
            vec![Change::Delete(Layer::Region, TOWN.into())],
            // Still served by w1: its open version stays open.
            vec![Change::Delete(Layer::Grid, GRID_A.into())],
            vec![],
            // Within one write a child may come before its parent.
            vec![
                Change::Put(grid(
                    other_grid,
                    "第3网格",
                    &rect(120.24, 29.21, 120.25, 29.22),
                )),
                Change::Put(region(other_village, Some(TOWN), "西街社区")),
            ],
            vec![Change::Replace(camera_as(
                c1,
                "人民路口",
                CameraStatus::Offline,
            ))],
        ];
        let results = store
            .apply_group(&writes, t(10))
            .await
            .expect("the group commits");
        let backend = store.backend();
        let kinds: Vec<&str> = results.iter().map(outcome_kind).collect();
        assert_eq!(
            kinds,
            [
                "ok",
                "conflict",
                "not found",
                "reference",
                "conflict",
                "ok",
                "reference",
                "reference",
                "ok",
                "ok",
                "ok"
            ],
            "{backend}: {results:?}"
        );
        assert!(
            matches!(&results[1], Err(StoreError::Conflict { layer: Layer::Camera, key }) if key == c1),
            "{backend}: {:?}",
            results[1]
        );
        assert!(
            matches!(&results[2], Err(StoreError::NotFound { layer: Layer::Grid, key }) if key == missing_grid),
            "{backend}: {:?}",
            results[2]
        );

        let data = store.load().await.expect("load");
        let cameras: BTreeSet<&str> = data.cameras.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(cameras, BTreeSet::from([c1, c2]), "{backend}");
        let first = data.cameras.iter().find(|c| c.code == c1).expect("c1");
        assert_eq!((first.location.x(), first.location.y()), (120.215, 29.215));
        assert_eq!(first.status, CameraStatus::Offline);
        let grids: BTreeSet<&str> = data.grids.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(grids, BTreeSet::from([GRID_A, other_grid]), "{backend}");
        let workers: Vec<&str> = data.workers.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(workers, ["w1"], "{backend}");
        let regions: BTreeSet<&str> = data.regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            regions,
            BTreeSet::from([COUNTY, TOWN, VILLAGE, other_village]),
            "{backend}"
        );

        // Versions only of the writes that committed.
        let versions = store.grid_versions().await.expect("versions");
        assert_eq!(
            history(&versions, GRID_A),
            [
                (1, "第1网格".to_owned(), t(0), Some(t(10))),
                (2, "第1网格（调整）".to_owned(), t(10), None)
            ],
            "{backend}"
        );
        assert_eq!(
            history(&versions, other_grid),
            [(1, "第3网格".to_owned(), t(10), None)],
            "{backend}"
        );
        assert_eq!(versions.len(), 3, "{backend}: {versions:?}");

        // Status history only of the writes that committed.
        let store = store.as_ref();
        assert_eq!(
            statuses(store, c1).await,
            [CameraStatus::Offline, CameraStatus::Online],
            "{backend}"
        );
        assert_eq!(
            statuses(store, c2).await,
            [CameraStatus::Online],
            "{backend}"
        );
        assert!(statuses(store, c3).await.is_empty(), "{backend}");
    }

    /// A group of single inserts of one layer (an intake) is written as multi-row statements;
    /// a key already taken, or taken twice in the group, must still fail that write alone.
    pub async fn a_group_of_inserts_commits_together_and_a_taken_key_fails_alone(
        store: Arc<dyn Store>,
    ) {
        let backend = store.backend();
        let code = |i: u32| format!("330783000013200{i:05}");
        store
            .apply(&[Change::Put(camera(&code(0), 120.2, 29.2))], t(0))
            .await
            .expect("seed");

        // All new: they commit together, each with its first status in the history.
        let fresh: Vec<Vec<Change>> = (1..=40)
            .map(|i| {
                let lon = 120.2 + f64::from(i) * 1e-4;
                vec![Change::Insert(camera(&code(i), lon, 29.2))]
            })
            .collect();
        let results = store.apply_group(&fresh, t(10)).await.expect("commits");
        assert!(results.iter().all(Result::is_ok), "{backend}: {results:?}");

        // One taken before the group, one taken twice in it: those two fail, the rest commit.
        let mixed = vec![
            vec![Change::Insert(camera(&code(41), 120.3, 29.3))],
            vec![Change::Insert(camera(&code(0), 120.0, 29.0))],
            vec![Change::Insert(camera(&code(42), 120.31, 29.3))],
            vec![Change::Insert(camera(&code(42), 120.0, 29.0))],
            vec![Change::Insert(camera(&code(43), 120.32, 29.3))],
        ];
        let results = store.apply_group(&mixed, t(20)).await.expect("commits");
        let kinds: Vec<&str> = results.iter().map(outcome_kind).collect();
        assert_eq!(
            kinds,
            ["ok", "conflict", "ok", "conflict", "ok"],
            "{backend}: {results:?}"
        );

        let data = store.load().await.expect("load");
        assert_eq!(data.cameras.len(), 44, "{backend}");
        for camera in &data.cameras {
            assert!(
                camera.location.x() >= 120.2,
                "{backend}: {} was overwritten by a refused insert",
                camera.code
            );
        }
        for i in [1, 40, 41, 42, 43] {
            assert_eq!(
                statuses(store.as_ref(), &code(i)).await,
                [CameraStatus::Online],
                "{backend}: camera {i}"
            );
        }
    }

    pub async fn group_grid_writes_open_and_close_versions_as_single_writes_do(
        store: Arc<dyn Store>,
    ) {
        store.apply(&puts(regions()), t(0)).await.expect("regions");
        // One script of grid writes, in groups on two grids and one write at a time on two
        // others.
        let script = |x: &str, y: &str| -> Vec<(DateTime<Utc>, Vec<Vec<Change>>)> {
            let g = |code: &str, name: &str| grid(code, name, &rect(120.21, 29.21, 120.22, 29.22));
            vec![
                (
                    t(10),
                    vec![
                        vec![Change::Insert(g(x, "甲"))],
                        vec![Change::Insert(g(y, "乙"))],
                        vec![Change::Insert(g(x, "甲又"))],
                    ],
                ),
                (
                    t(20),
                    vec![
                        vec![Change::Replace(g(x, "甲2"))],
                        vec![Change::Delete(Layer::Grid, y.into())],
                        // The delete before it in the group is seen.
                        vec![Change::Replace(g(y, "乙2"))],
                        vec![Change::Put(g(y, "乙3"))],
                    ],
                ),
                (
                    t(30),
                    vec![
                        vec![Change::Delete(Layer::Grid, x.into())],
                        vec![Change::Put(g(x, "甲3"))],
                        // Fails as a whole: x keeps version 3.
                        vec![Change::Put(g(x, "甲4")), Change::Insert(g(y, "乙4"))],
                    ],
                ),
            ]
        };
        let (x1, y1) = (GRID_A, GRID_B);
        let (x2, y2) = ("330783001014003", "330783001014004");
        let mut grouped = Vec::new();
        for (at, writes) in script(x1, y1) {
            let results = store.apply_group(&writes, at).await.expect("group commits");
            grouped.extend(results.iter().map(outcome_kind));
        }
        let mut single = Vec::new();
        for (at, writes) in script(x2, y2) {
            for write in writes {
                single.push(outcome_kind(&store.apply(&write, at).await));
            }
        }
        let backend = store.backend();
        assert_eq!(grouped, single, "{backend}");
        assert_eq!(
            grouped,
            [
                "ok",
                "ok",
                "conflict",
                "ok",
                "ok",
                "not found",
                "ok",
                "ok",
                "ok",
                "conflict"
            ],
            "{backend}"
        );
        let versions = store.grid_versions().await.expect("versions");
        assert_eq!(history(&versions, x1), history(&versions, x2), "{backend}");
        assert_eq!(history(&versions, y1), history(&versions, y2), "{backend}");
        assert_eq!(
            history(&versions, x1),
            [
                (1, "甲".to_owned(), t(10), Some(t(20))),
                (2, "甲2".to_owned(), t(20), Some(t(30))),
                (3, "甲3".to_owned(), t(30), None)
            ],
            "{backend}"
        );
        assert_eq!(
            history(&versions, y1),
            [
                (1, "乙".to_owned(), t(10), Some(t(20))),
                (2, "乙3".to_owned(), t(20), None)
            ],
            "{backend}"
        );
        let data = store.load().await.expect("load");
        let names: BTreeMap<&str, &str> = data
            .grids
            .iter()
            .map(|g| (g.code.as_str(), g.name.as_str()))
            .collect();
        assert_eq!(
            names,
            BTreeMap::from([(x1, "甲3"), (y1, "乙3"), (x2, "甲3"), (y2, "乙3")]),
            "{backend}"
        );
    }

    /// Tasks racing with groups: per group, a camera of its own, a camera every task tries to
    /// insert, a grid and a worker on it, and three writes that fail in different ways.
    const TASKS: u64 = 4;
    const GROUPS: u64 = 5;
    const WANT: [&str; 7] = [
        "ok",
        "ok or conflict",
        "ok",
        "not found",
        "reference",
        "conflict",
        "ok",
    ];

    fn racing_group(task: u64, group: u64) -> Vec<Vec<Change>> {
        let n = task * GROUPS + group;
        let grid_code = format!("330783001014{:03}", 100 + n);
        vec![
            vec![Change::Insert(camera_as(
                &format!("3307830000132{n:07}"),
                "own",
                CameraStatus::Online,
            ))],
            vec![Change::Insert(camera_as(
                &format!("3307830000133{group:07}"),
                &format!("task {task}"),
                CameraStatus::Online,
            ))],
            vec![Change::Put(grid(
                &grid_code,
                &format!("网格{n}"),
                &rect(120.21, 29.21, 120.22, 29.22),
            ))],
            vec![Change::Replace(camera(
                &format!("3307830000134{n:07}"),
                120.2,
                29.2,
            ))],
            vec![Change::Put(worker(
                &format!("lost{n}"),
                &[("330783001014999", "leader")],
            ))],
            vec![
                Change::Put(camera_as(
                    &format!("3307830000135{n:07}"),
                    "lost",
                    CameraStatus::Fault,
                )),
                Change::Insert(region(COUNTY, None, "重复的东阳市")),
            ],
            vec![Change::Put(worker(
                &format!("w{n}"),
                &[(&grid_code, "leader")],
            ))],
        ]
    }

    pub async fn concurrent_groups_keep_every_acknowledged_write_after_reopening(
        store: Arc<dyn Store>,
        url: String,
    ) {
        store.apply(&puts(regions()), t(0)).await.expect("regions");
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    for group in 0..GROUPS {
                        let writes = racing_group(task, group);
                        let at = t(i64::try_from(group).expect("small") + 1);
                        let results = store
                            .apply_group(&writes, at)
                            .await
                            .expect("the group commits");
                        assert_eq!(results.len(), writes.len());
                        done.extend(writes.into_iter().zip(results));
                    }
                    done
                })
            })
            .collect();
        let mut done = Vec::new();
        for task in tasks {
            done.extend(task.await.expect("task finishes"));
        }
        let backend = store.backend();
        drop(store);

        let reopened = safegrid::store::open(&url).await.expect("store reopens");
        let data = reopened.load().await.expect("load");
        let stored = snapshot(&data);
        let mut contested_wins: BTreeMap<String, usize> = BTreeMap::new();
        for (i, (write, result)) in done.iter().enumerate() {
            let kind = outcome_kind(result);
            let want = WANT[i % WANT.len()];
            assert!(
                want.contains(kind),
                "{backend}: write {i} is {result:?}, want {want}"
            );
            for (key, value) in snapshot_items(&written_items(write)) {
                if result.is_ok() {
                    assert_eq!(
                        stored.get(&key),
                        Some(&value),
                        "{backend}: {key} was acknowledged"
                    );
                } else {
                    assert_ne!(stored.get(&key), Some(&value), "{backend}: {key} failed");
                }
                if i % WANT.len() == 1 {
                    *contested_wins.entry(key).or_default() += usize::from(result.is_ok());
                }
            }
        }
        let groups = usize::try_from(GROUPS).expect("small");
        let tasks = usize::try_from(TASKS).expect("small");
        assert_eq!(contested_wins.len(), groups, "{backend}");
        assert!(
            contested_wins.values().all(|&n| n == 1),
            "{backend}: {contested_wins:?}"
        );
        assert_eq!(data.cameras.len(), tasks * groups + groups, "{backend}");
        assert_eq!(data.grids.len(), tasks * groups, "{backend}");
        assert_eq!(data.workers.len(), tasks * groups, "{backend}");
        // One open version per grid, one history row per camera, none for the failed ones.
        assert_eq!(data.grid_versions.len(), tasks * groups, "{backend}");
        assert!(data.grid_versions.iter().all(|v| v.valid_to.is_none()));
        for camera in &data.cameras {
            assert_eq!(
                statuses(reopened.as_ref(), &camera.code).await,
                [CameraStatus::Online],
                "{backend}: {}",
                camera.code
            );
        }
        for n in 0..TASKS * GROUPS {
            let lost = format!("3307830000135{n:07}");
            assert!(
                statuses(reopened.as_ref(), &lost).await.is_empty(),
                "{backend}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL only

#[test]
fn database_is_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
        "postgresql://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

#[tokio::test]
async fn pg_store_opens_twice_on_one_database() {
    let Some(url) = pg_url() else {
        eprintln!("pg_store_opens_twice_on_one_database: skipped (set SAFEGRID_TEST_PG_URL)");
        return;
    };
    let db = TestDb::create(&url).await;
    let outcome = AssertUnwindSafe(async {
        let first = PgStore::open(&db.url).await.expect("first open migrates");
        assert_eq!(first.backend(), "postgres");
        first.apply(&puts(regions()), t(0)).await.expect("write");
        let second = PgStore::open(&db.url)
            .await
            .expect("second open finds migrations applied");
        assert_eq!(second.load().await.expect("load").regions.len(), 3);
    })
    .catch_unwind()
    .await;
    db.drop_db().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
