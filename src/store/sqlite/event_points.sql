-- What the in-memory index keeps of the events with seq in [$1, $2), packed into one text in
-- seq order: records separated by char(30), fields by char(31), in the order
-- id, lon, lat, status, occurred_at, reported_at (whole seconds since the Unix epoch),
-- source, category. Floats are printed with 17 significant digits (`%!.17g`), which gives every
-- double back exactly. One text for thousands of events spares the driver its per-row and
-- per-value work, which dominated loading ten million events row by row.
select group_concat(
           id || char(31) || printf('%!.17g', lon) || char(31) || printf('%!.17g', lat)
              || char(31) || status || char(31) || unixepoch(occurred_at)
              || char(31) || unixepoch(reported_at) || char(31) || source
              || char(31) || category,
           char(30) order by seq)
from event
where seq >= $1 and seq < $2
