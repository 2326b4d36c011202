-- Times as RFC 3339 UTC text with microseconds, the format of `row::fmt_time`; geometry out
-- with 30 decimals (see the module doc).
select code as key,
       ST_AsGeoJSON(geometry, 30) as geometry,
       props::text as props,
       version::bigint as version,
       to_char(valid_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as valid_from,
       to_char(valid_to at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as valid_to
from grid_version
order by code, version
