//! Event reads: `GET /api/v1/events` (a listing filtered by box, report time, category,
//! status and grid, newest report first, paged by cursor) and `GET /api/v1/events/{id}`. Both
//! are answered by the store, where events live with an index for every filter: the layer grows
//! by the hundred thousand a year, and the snapshot keeps of it only what maps and analyses
//! need. OGC API Features serves the same listing (`super::ogc`). Writes go through the generic
//! layer routes ([`super::layers`]).
//!
//! Paging is by cursor, not offset: a `next` link resumes after the last event returned (its
//! report time and store sequence number), so a page costs what it returns however deep it is,
//! and events reported meanwhile neither shift nor repeat what follows. No total is counted
//! (`numberMatched` would cost a pass over every match).
//!
//! # Units
//! `bbox` in WGS84 lon/lat degrees; `datetime` RFC 3339, on `reported_at`, both ends included.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::Response;
use geojson::Feature;

use crate::domain::{EventCursor, EventQuery, EventStatus, Item, Layer};
use crate::service::Service;

use super::AppState;
use super::answer::{FeaturePage, Link, geojson};
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::params::{DEFAULT_PAGE, MAX_PAGE};
use super::params::{encode_query_value, page_limit, parse_bbox_filter, parse_datetime};

/// The query parameters an event listing takes: its filters, `limit` and `cursor`.
pub(super) const LISTING_PARAMS: [&str; 7] = [
    "bbox", "datetime", "category", "status", "grid", "limit", "cursor",
];

/// An event listing's selection, checked, with each filter kept in a canonical form for the
/// paging links. The raw request is the query string as it came ([`Params`]): a name the
/// listing does not know is refused.
#[derive(Debug)]
pub(super) struct EventSelection {
    /// What the store is asked.
    pub query: EventQuery,
    /// `name=value` of each filter given, canonical, in the order of [`LISTING_PARAMS`].
    filters: Vec<(&'static str, String)>,
}

impl EventSelection {
    /// The selection of `GET /api/v1/events`: unknown names refused, `limit` within
    /// `1..=`[`MAX_PAGE`] ([`DEFAULT_PAGE`] when not given), then the filters and the cursor.
    pub fn check(params: &Params) -> ApiResult<Self> {
        if let Some(name) = params.unknown(&LISTING_PARAMS) {
            return Err(ApiError::bad_request(
                name,
                format!(
                    "unknown query parameter `{name}`; event listings take: {}",
                    LISTING_PARAMS.join(", ")
                ),
            ));
        }
        let limit = page_limit(params.raw("limit"), DEFAULT_PAGE, MAX_PAGE)?;
        Self::with_limit(params, limit)
    }

    /// Parses the filters and the cursor of `params`; `limit` is the caller's (the REST and
    /// OGC listings bound it differently).
    pub fn with_limit(params: &Params, limit: usize) -> ApiResult<Self> {
        let mut query = EventQuery {
            limit,
            ..EventQuery::default()
        };
        let mut filters = Vec::new();
        if let Some(raw) = params.raw("bbox") {
            let (rects, canonical) = parse_bbox_filter(raw)?;
            query.bbox = rects;
            filters.push(("bbox", canonical));
        }
        if let Some(raw) = params.raw("datetime") {
            let interval = parse_datetime(raw)?;
            query.reported_from = interval.start;
            query.reported_to = interval.end;
            filters.push(("datetime", interval.to_param()));
        }
        if let Some(category) = params.raw("category") {
            query.category = Some(non_empty("category", category)?);
            filters.push(("category", category.to_owned()));
        }
        if let Some(raw) = params.raw("status") {
            let status: EventStatus = raw.parse().map_err(|_| {
                ApiError::bad_request(
                    "status",
                    format!(
                        "`{raw}` is not an event status; use one of: {}",
                        EventStatus::ALL.map(EventStatus::as_str).join(", ")
                    ),
                )
            })?;
            query.status = Some(status);
            filters.push(("status", status.as_str().to_owned()));
        }
        if let Some(grid) = params.raw("grid") {
            query.grid_code = Some(non_empty("grid", grid)?);
            filters.push(("grid", grid.to_owned()));
        }
        query.after = params
            .raw("cursor")
            .map(|raw| EventCursor::parse(raw).map_err(|e| ApiError::bad_parameter(e.at("cursor"))))
            .transpose()?;
        Ok(Self { query, filters })
    }

    /// `path` with this selection's filters, its limit and `cursor` when given.
    pub fn href(&self, path: &str, cursor: Option<EventCursor>) -> String {
        let mut href = format!("{path}?limit={}", self.query.limit);
        for (name, value) in &self.filters {
            let _ = write!(href, "&{name}={}", encode_query_value(value));
        }
        if let Some(cursor) = cursor {
            let _ = write!(href, "&cursor={}", cursor.to_token());
        }
        href
    }
}

fn non_empty(name: &str, value: &str) -> ApiResult<String> {
    if value.trim().is_empty() {
        Err(ApiError::bad_request(
            name,
            format!("`{name}` must not be empty"),
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// One page of a listing: the events as Features, and the cursor of the next page when there
/// is one.
#[derive(Debug)]
pub(super) struct EventPage {
    pub features: Vec<Feature>,
    pub next: Option<EventCursor>,
}

/// Asks the store for the page `selection` names (one event more than the limit, to know
/// whether another page follows).
pub(super) async fn select(service: &Service, selection: &EventSelection) -> ApiResult<EventPage> {
    let limit = selection.query.limit;
    let query = EventQuery {
        limit: limit + 1,
        ..selection.query.clone()
    };
    let mut listed = service.store().list_events(&query).await?;
    let next = if listed.len() > limit {
        listed.truncate(limit);
        listed.last().map(|e| e.cursor)
    } else {
        None
    };
    Ok(EventPage {
        features: listed.iter().map(|e| e.event.to_feature()).collect(),
        next,
    })
}

/// `GET /api/v1/events?bbox=&datetime=&category=&status=&grid=&limit=&cursor=`.
pub(super) async fn list_events(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Response> {
    let selection = EventSelection::check(&params)?;
    let page = select(&state.service, &selection).await?;
    let path = format!("/api/v1/{}", Layer::Event.path());
    let mut links = vec![Link::plain(
        "self",
        selection.href(&path, selection.query.after),
    )];
    if let Some(next) = page.next {
        links.push(Link::plain("next", selection.href(&path, Some(next))));
    }
    geojson(&FeaturePage::new(page.features, None).with_links(links))
}

/// `GET /api/v1/events/{id}`.
pub(super) async fn get_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let event = state
        .service
        .store()
        .event(&id)
        .await?
        .ok_or_else(|| ApiError::missing_item(Layer::Event, &id))?;
    geojson(&event.to_feature())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_what_a_query_value_cannot_hold() {
        assert_eq!(encode_query_value("theft"), "theft");
        assert_eq!(encode_query_value("a b&c"), "a%20b%26c");
        assert_eq!(encode_query_value("盗窃"), "%E7%9B%97%E7%AA%83");
        assert_eq!(
            encode_query_value("2026-01-01T00:00:00Z/.."),
            "2026-01-01T00:00:00Z%2F.."
        );
    }
}
