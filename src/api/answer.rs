//! How answers leave: an answer type (`Serialize`) as JSON ([`json()`]) or GeoJSON
//! ([`geojson()`], [`geojson_response`]), the links of listings ([`Link`]) and the page of
//! features that every listing answers ([`FeaturePage`]).
//!
//! An answer is written through a [`serde_json::Value`], whose objects sort their keys: the
//! answers were built as such values before they had types, and this keeps each of them byte
//! for byte what clients have been getting, nested structs included. (A location,
//! `/api/v1/locate`, has always been written straight from its struct, and still is.)

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use geojson::Feature;
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult};

/// The media type of GeoJSON (RFC 7946).
pub(super) const GEOJSON: &str = "application/geo+json";

/// `answer` as a JSON value, its keys sorted.
///
/// # Errors
/// A 500 when it does not serialize (only a map whose keys are not strings fails).
fn to_value(answer: &impl Serialize) -> ApiResult<Value> {
    serde_json::to_value(answer).map_err(|e| ApiError::internal(&e))
}

/// `body` as a GeoJSON answer with `status`.
pub(super) fn geojson_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response()
}

/// `answer` as a 200 GeoJSON answer.
///
/// # Errors
/// As [`to_value`].
pub(super) fn geojson(answer: &impl Serialize) -> ApiResult<Response> {
    Ok(geojson_response(StatusCode::OK, &to_value(answer)?))
}

/// `answer` as a JSON answer with `status`.
///
/// # Errors
/// As [`to_value`].
pub(super) fn json_with(status: StatusCode, answer: &impl Serialize) -> ApiResult<Response> {
    Ok((status, axum::Json(to_value(answer)?)).into_response())
}

/// `answer` as a 200 JSON answer.
///
/// # Errors
/// As [`to_value`].
pub(super) fn json(answer: &impl Serialize) -> ApiResult<Response> {
    json_with(StatusCode::OK, answer)
}

/// A link of a listing: `self`, `next`, `prev`, `collection`; OGC API Features gives each its
/// media type and a title.
#[derive(Debug, Serialize)]
pub(super) struct Link {
    href: String,
    rel: &'static str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    media_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

impl Link {
    /// A link with its relation only (as `/api/v1` lists give them).
    pub fn plain(rel: &'static str, href: String) -> Self {
        Self {
            href,
            rel,
            media_type: None,
            title: None,
        }
    }

    /// A link with its media type and title (as OGC API Features asks).
    pub fn typed(href: &str, rel: &'static str, media_type: &'static str, title: &str) -> Self {
        Self {
            href: href.to_owned(),
            rel,
            media_type: Some(media_type),
            title: Some(title.to_owned()),
        }
    }
}

/// One page of a listing as a GeoJSON FeatureCollection. `numberMatched` only where the total
/// is counted (not for events, paged by cursor), `timeStamp` only for OGC API Features,
/// `links` only when there are.
#[derive(Debug, Serialize)]
pub(super) struct FeaturePage<F: Serialize = Feature> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<F>,
    #[serde(rename = "numberMatched", skip_serializing_if = "Option::is_none")]
    number_matched: Option<usize>,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    #[serde(rename = "timeStamp", skip_serializing_if = "Option::is_none")]
    time_stamp: Option<String>,
}

impl<F: Serialize> FeaturePage<F> {
    /// The page of `features`, of `matched` in all when counted.
    pub fn new(features: Vec<F>, matched: Option<usize>) -> Self {
        Self {
            kind: "FeatureCollection",
            number_returned: features.len(),
            features,
            number_matched: matched,
            links: Vec::new(),
            time_stamp: None,
        }
    }

    /// With these links.
    #[must_use]
    pub fn with_links(mut self, links: Vec<Link>) -> Self {
        self.links = links;
        self
    }

    /// Stamped with the time of the answer (RFC 3339).
    #[must_use]
    pub fn stamped(mut self, time_stamp: String) -> Self {
        self.time_stamp = Some(time_stamp);
        self
    }
}
