//! The checks that several endpoints' requests share, each turning a raw query value into a
//! checked one or a 400 naming the parameter: any `FromStr` value ([`parse_opt`],
//! [`parse_required`]), a page size within its bounds ([`page_limit`]), the input coordinate
//! system ([`parse_crs`]), `bbox` (as `/api/v1` lists take it, and as OGC API Features does,
//! across the antimeridian too) and `datetime` (an RFC 3339 instant or interval, OGC API
//! Features Req. 25).
//!
//! # Units
//! WGS84 longitude/latitude degrees; times in UTC.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use geo::{Coord, Rect};

use crate::domain::Problem;
use crate::domain::problem::Unit;
use crate::spatial::crs::Crs;

use super::error::{ApiError, ApiResult};

/// Items per page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;
/// Largest accepted `limit`.
pub const MAX_PAGE: usize = 10_000;

/// Parses the value of the query parameter `name`, when given (surrounding spaces ignored).
///
/// # Errors
/// A 400 naming the parameter.
pub(super) fn parse_opt<T: FromStr>(name: &str, raw: Option<&str>) -> ApiResult<Option<T>>
where
    T::Err: Display,
{
    raw.map(|v| {
        v.trim().parse::<T>().map_err(|e| {
            ApiError::bad_request(name, format!("`{name}={v}` does not parse: {e}"))
                .with_problem(Problem::WrongType)
        })
    })
    .transpose()
}

/// Parses the value of the required query parameter `name`.
///
/// # Errors
/// A 400 naming the parameter when it is missing or malformed.
pub(super) fn parse_required<T: FromStr>(name: &str, raw: Option<&str>) -> ApiResult<T>
where
    T::Err: Display,
{
    parse_opt(name, raw)?.ok_or_else(|| {
        ApiError::bad_request(name, format!("query parameter `{name}` is required"))
            .with_problem(Problem::Missing)
    })
}

/// A page size: `limit` parsed, `default` when not given.
///
/// # Errors
/// A 400 naming `limit` when it does not parse or is outside `1..=max`.
pub(super) fn page_limit(raw: Option<&str>, default: usize, max: usize) -> ApiResult<usize> {
    let limit = parse_opt("limit", raw)?.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(
            ApiError::bad_request("limit", format!("limit must be 1..={max}"))
                .with_problem(Problem::out_of_range(1.0..=max as f64, Unit::Count)),
        )
    }
}

/// The coordinate system input positions are in: `crs`, WGS84 when not given.
///
/// # Errors
/// A 400 naming `crs` for an unknown name.
pub(super) fn parse_crs(raw: Option<&str>) -> ApiResult<Crs> {
    Ok(parse_opt("crs", raw)?.unwrap_or(Crs::Wgs84))
}

/// Percent-encodes what a query value may not hold as it is, for the links of a listing (RFC
/// 3986 unreserved characters and `,` `:` stay; a category or a name may be Chinese).
pub(super) fn encode_query_value(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A time as links and bodies write it: RFC 3339 UTC, fractional seconds only when there are.
pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A time interval with both ends included; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Interval {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Interval {
    pub fn instant(t: DateTime<Utc>) -> Self {
        Self {
            start: Some(t),
            end: Some(t),
        }
    }

    pub fn intersects(&self, other: &Interval) -> bool {
        let before = |start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>| {
            start.zip(end).is_none_or(|(s, e)| s <= e)
        };
        before(self.start, other.end) && before(other.start, self.end)
    }

    /// The smallest interval holding both.
    pub fn hull(self, other: Interval) -> Interval {
        Interval {
            // `None` orders first, which is right for an open start.
            start: self.start.min(other.start),
            end: self.end.zip(other.end).map(|(a, b)| a.max(b)),
        }
    }

    /// The `datetime` form: an instant, or `start/end` with `..` for an open end.
    pub fn to_param(self) -> String {
        let end = |t: Option<DateTime<Utc>>| t.map_or_else(|| "..".to_owned(), rfc3339);
        match (self.start, self.end) {
            (Some(s), Some(e)) if s == e => rfc3339(s),
            (s, e) => format!("{}/{}", end(s), end(e)),
        }
    }
}

/// Parses `datetime`: an RFC 3339 instant, or an interval `start/end` whose open end is `..`
/// or empty (Req. 25 D–F).
pub(super) fn parse_datetime(raw: &str) -> ApiResult<Interval> {
    let instant = |s: &str| {
        // An unencoded `+` of an offset arrives as a space; a date-time has no spaces.
        let s = s.trim().replace(' ', "+");
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::bad_request(
                    "datetime",
                    format!("`{s}` is not an RFC 3339 date-time such as 2026-01-01T00:00:00Z: {e}"),
                )
            })
    };
    let end = |s: &str| match s.trim() {
        "" | ".." => Ok(None),
        s => instant(s).map(Some),
    };
    let Some((start, finish)) = raw.split_once('/') else {
        return instant(raw).map(Interval::instant);
    };
    let interval = Interval {
        start: end(start)?,
        end: end(finish)?,
    };
    match (interval.start, interval.end) {
        (None, None) => Err(ApiError::bad_request(
            "datetime",
            "an interval needs at least one end: `start/..`, `../end` or `start/end`",
        )),
        (Some(s), Some(e)) if s > e => Err(ApiError::bad_request(
            "datetime",
            format!("`{raw}`: the interval starts after it ends"),
        )),
        _ => Ok(interval),
    }
}

/// The comma-separated numbers of a `bbox` value, each finite.
fn bbox_numbers(raw: &str) -> ApiResult<Vec<f64>> {
    let nums: Vec<f64> = raw
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::bad_request("bbox", format!("`{raw}`: {e}")))?;
    if nums.iter().all(|v| v.is_finite()) {
        Ok(nums)
    } else {
        Err(ApiError::bad_request(
            "bbox",
            format!("`{raw}`: every number must be finite"),
        ))
    }
}

/// The rectangle with these edges, checked: within lon/lat range, west before east, south
/// before north.
pub(super) fn lon_lat_rect(west: f64, south: f64, east: f64, north: f64) -> ApiResult<Rect> {
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    if !lon.contains(&west)
        || !lon.contains(&east)
        || !lat.contains(&south)
        || !lat.contains(&north)
        || west > east
        || south > north
    {
        return Err(ApiError::bad_request(
            "bbox",
            "bbox must be minLon,minLat,maxLon,maxLat within lon/lat range, min before max",
        ));
    }
    Ok(Rect::new(
        Coord { x: west, y: south },
        Coord { x: east, y: north },
    ))
}

/// Parses `bbox=minLon,minLat,maxLon,maxLat`.
pub(super) fn parse_bbox(raw: &str) -> ApiResult<Rect> {
    let nums = bbox_numbers(raw)?;
    let [west, south, east, north] = nums[..] else {
        return Err(ApiError::bad_request(
            "bbox",
            "bbox needs four numbers: minLon,minLat,maxLon,maxLat",
        ));
    };
    lon_lat_rect(west, south, east, north)
}

/// A `bbox` filter as the event listings and OGC API Features take it ([`parse_bbox_rects`]),
/// with its numbers written back in a canonical form for paging links.
pub(super) fn parse_bbox_filter(raw: &str) -> ApiResult<(Vec<Rect>, String)> {
    let rects = parse_bbox_rects(raw)?;
    let nums: Vec<String> = bbox_numbers(raw)?.iter().map(ToString::to_string).collect();
    Ok((rects, nums.join(",")))
}

/// Parses the OGC `bbox`: west,south,east,north, or six numbers with the heights (third and
/// sixth) ignored. A west edge east of the east edge spans the antimeridian and gives two
/// rectangles.
pub(super) fn parse_bbox_rects(raw: &str) -> ApiResult<Vec<Rect>> {
    let nums = bbox_numbers(raw)?;
    let ([west, south, east, north] | [west, south, _, east, north, _]) = nums[..] else {
        return Err(ApiError::bad_request(
            "bbox",
            "bbox needs four numbers (west,south,east,north) or six (with heights)",
        ));
    };
    if west > east {
        Ok(vec![
            lon_lat_rect(west, south, 180.0, north)?,
            lon_lat_rect(-180.0, south, east, north)?,
        ])
    } else {
        Ok(vec![lon_lat_rect(west, south, east, north)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test time")
            .with_timezone(&Utc)
    }

    #[test]
    fn datetime_takes_instants_and_closed_and_half_bounded_intervals() {
        let a = t("2026-01-01T00:00:00Z");
        let b = t("2026-02-01T00:00:00Z");
        let cases = [
            ("2026-01-01T00:00:00Z", Some(a), Some(a)),
            ("2026-01-01T08:00:00+08:00", Some(a), Some(a)),
            // An unencoded `+` arrives as a space.
            ("2026-01-01T08:00:00 08:00", Some(a), Some(a)),
            (
                "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z",
                Some(a),
                Some(b),
            ),
            ("../2026-02-01T00:00:00Z", None, Some(b)),
            ("/2026-02-01T00:00:00Z", None, Some(b)),
            ("2026-01-01T00:00:00Z/..", Some(a), None),
            ("2026-01-01T00:00:00Z/", Some(a), None),
        ];
        for (raw, start, end) in cases {
            let got = parse_datetime(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(got, Interval { start, end }, "{raw}");
        }
        for bad in [
            "",
            "2026-01-01",
            "yesterday",
            "../..",
            "/",
            "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z/..",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn datetime_canonical_form_parses_back_to_the_same_interval() {
        for raw in [
            "2026-01-01T08:00:00+08:00",
            "../2026-02-01T00:00:00Z",
            "2026-01-01T00:00:00.5Z/..",
            "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z",
        ] {
            let once = parse_datetime(raw).expect("parses");
            assert_eq!(parse_datetime(&once.to_param()).expect("again"), once);
        }
    }

    #[test]
    fn intervals_intersect_with_open_ends_and_touching_bounds() {
        let a = t("2026-01-01T00:00:00Z");
        let b = t("2026-02-01T00:00:00Z");
        let since_a = Interval {
            start: Some(a),
            end: None,
        };
        assert!(since_a.intersects(&Interval::instant(a)));
        assert!(since_a.intersects(&Interval::instant(b)));
        assert!(!Interval::instant(b).intersects(&Interval::instant(a)));
        let until_a = Interval {
            start: None,
            end: Some(a),
        };
        assert!(until_a.intersects(&since_a), "they share the instant a");
        assert!(!until_a.intersects(&Interval::instant(b)));
        assert_eq!(
            until_a.hull(Interval::instant(b)),
            Interval {
                start: None,
                end: Some(b)
            }
        );
    }

    #[test]
    fn bbox_takes_four_or_six_numbers_and_splits_at_the_antimeridian() {
        let four = parse_bbox_rects("120,29,121,30").expect("four");
        let six = parse_bbox_rects("120,29,-10,121,30,100").expect("six");
        assert_eq!(four, six);
        let across = parse_bbox_rects("170,-10,-170,10").expect("antimeridian");
        assert_eq!(across.len(), 2);
        assert_eq!((across[0].min().x, across[0].max().x), (170.0, 180.0));
        assert_eq!((across[1].min().x, across[1].max().x), (-180.0, -170.0));
        for bad in [
            "1,2,3",
            "1,2,3,4,5",
            "120,30,121,29",
            "120,29,121,91",
            "200,29,210,30",
            "NaN,29,121,30",
        ] {
            assert!(parse_bbox_rects(bad).is_err(), "{bad} must be refused");
        }
    }
}
