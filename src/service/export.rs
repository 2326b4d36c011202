//! A layer's export as a stream of text pieces, shared by `GET /api/v1/{layer}/export` and
//! `safegrid export`: the whole layer, or the part in an [`Extent`] (the map's view, a
//! village). Events are read from the store a page at a time (newest report first), so an
//! export of millions holds one page in memory, not the layer; every other layer is written
//! from the snapshot in one piece, off the async threads.

use std::sync::Arc;

use futures_util::Stream;
use futures_util::stream;

use crate::domain::{EventCursor, EventQuery, Item, Layer};
use crate::io::csv::EVENT_COLUMNS;
use crate::io::export::{ExportFormat, PagedExport};
use crate::io::{csv, geojson_file};
use crate::spatial::extent::Extent;

use super::privacy::mask_worker_feature;
use super::{Service, ServiceError, ServiceResult};

/// Events read from the store per page of an export.
pub const EXPORT_PAGE: usize = 5_000;

/// Where an export stands.
enum Step {
    Begin,
    Events(PagedExport, Option<EventCursor>),
    End(PagedExport),
    Whole,
    Done,
}

/// The export of the items of `layer` in `extent`, in `format`, piece by piece; workers'
/// phone numbers masked when `mask_phones` ([`super::privacy`]).
pub fn export(
    service: Arc<Service>,
    layer: Layer,
    format: ExportFormat,
    extent: Extent,
    mask_phones: bool,
) -> impl Stream<Item = ServiceResult<String>> + Send {
    let extent = Arc::new(extent);
    let first = if layer == Layer::Event {
        Step::Begin
    } else {
        Step::Whole
    };
    stream::unfold(first, move |step| {
        let service = service.clone();
        let extent = extent.clone();
        async move {
            match step {
                Step::Done => None,
                Step::Whole => {
                    let snapshot = service.snapshot();
                    let text = tokio::task::spawn_blocking(move || {
                        let mut features = extent.features(&snapshot, layer);
                        if mask_phones && layer == Layer::Worker {
                            features.iter_mut().for_each(mask_worker_feature);
                        }
                        match format {
                            ExportFormat::Csv => csv::to_string(layer, &features),
                            ExportFormat::GeoJson => geojson_file::to_string(&features),
                        }
                    })
                    .await
                    .map_err(|e| ServiceError::Task(e.to_string()));
                    Some((text, Step::Done))
                }
                Step::Begin => {
                    let export = PagedExport::new(format, &EVENT_COLUMNS);
                    Some((Ok(export.begin()), Step::Events(export, None)))
                }
                Step::Events(mut export, after) => {
                    let query = EventQuery {
                        bbox: extent.rect().into_iter().collect(),
                        after,
                        limit: EXPORT_PAGE,
                        ..EventQuery::default()
                    };
                    match service.store().list_events(&query).await {
                        Err(e) => Some((Err(e.into()), Step::Done)),
                        Ok(page) => {
                            let features: Vec<_> = page
                                .iter()
                                .filter(|e| extent.holds_point(e.event.location.0))
                                .map(|e| e.event.to_feature())
                                .collect();
                            let text = export.page(&features);
                            let next = match page.last() {
                                Some(last) if page.len() == EXPORT_PAGE => {
                                    Step::Events(export, Some(last.cursor))
                                }
                                _ => Step::End(export),
                            };
                            Some((Ok(text), next))
                        }
                    }
                }
                Step::End(export) => Some((Ok(export.end()), Step::Done)),
            }
        }
    })
}
