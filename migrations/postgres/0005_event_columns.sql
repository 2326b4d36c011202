-- Events are the layer that grows (a county writes hundreds of thousands a year, a province
-- millions). Besides the geometry and the `props` document every layer has, an event row keeps
-- what its listings filter and sort on as columns, each behind an index, so that a listing reads
-- what it returns and never scans the table:
--   - `seq`, the row's sequence number: it breaks ties between equal report times (listings
--     run newest report first, then highest `seq`);
--   - `lon`, `lat` beside the GiST-indexed geometry (the exact box test, and a cheap load);
--   - `category`, `status`, `grid_code` and `reported_at`, each index ending in the report time
--     and `seq`, the listing order.
-- The columns are written by the same statement as `props`, from the same event.

alter table event rename to event_v4;
alter index event_pkey rename to event_v4_pkey;
alter index event_geometry rename to event_v4_geometry;

create table event (
    seq         bigserial primary key,
    id          text not null unique,
    geometry    geometry(Point, 4326) not null,
    props       jsonb not null,
    lon         double precision not null,
    lat         double precision not null,
    category    text not null,
    status      text not null,
    source      text not null,
    occurred_at timestamptz not null,
    reported_at timestamptz not null,
    grid_code   text
);

-- Older rows in report order, so that `seq` follows it.
insert into event (id, geometry, props, lon, lat, category, status, source, occurred_at,
                   reported_at, grid_code)
select id, geometry, props, ST_X(geometry), ST_Y(geometry),
       props ->> 'category', props ->> 'status', coalesce(props ->> 'source', ''),
       (props ->> 'occurred_at')::timestamptz, (props ->> 'reported_at')::timestamptz,
       props ->> 'grid_code'
from event_v4
order by (props ->> 'reported_at')::timestamptz, id;

drop table event_v4;

create index event_geometry on event using gist (geometry);
create index event_reported on event (reported_at, seq);
create index event_category on event (category, reported_at, seq);
create index event_status on event (status, reported_at, seq);
create index event_grid on event (grid_code, reported_at, seq);
