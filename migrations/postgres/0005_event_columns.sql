-- Events are the layer that grows (a county writes hundreds of thousands a year, a province
-- millions), so an event is stored as columns rather than as the geometry and `props` document
-- the other layers keep: a lean row that loads fast, and a column for everything its listings
-- filter and sort on, each behind an index, so that a listing reads what it returns and never
-- scans the table:
--   - `seq`, the row's sequence number: it breaks ties between equal report times (listings
--     run newest report first, then highest `seq`);
--   - `lon`, `lat` and the point made of them (a generated column) with its GiST index;
--   - `category`, `status`, `grid_code` and `reported_at`, each index ending in the report time
--     and `seq`, the listing order.

alter table event rename to event_v4;
alter index event_pkey rename to event_v4_pkey;
alter index event_geometry rename to event_v4_geometry;

create table event (
    seq         bigserial primary key,
    id          text not null unique,
    lon         double precision not null,
    lat         double precision not null,
    geometry    geometry(Point, 4326) generated always as (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) stored,
    category    text not null,
    status      text not null,
    source      text not null,
    occurred_at timestamptz not null,
    reported_at timestamptz not null,
    grid_code   text,
    description text not null
);

-- Older rows in report order, so that `seq` follows it.
insert into event (id, lon, lat, category, status, source, occurred_at, reported_at, grid_code,
                   description)
select id, ST_X(geometry), ST_Y(geometry),
       props ->> 'category', props ->> 'status', coalesce(props ->> 'source', ''),
       (props ->> 'occurred_at')::timestamptz, (props ->> 'reported_at')::timestamptz,
       props ->> 'grid_code', coalesce(props ->> 'description', '')
from event_v4
order by (props ->> 'reported_at')::timestamptz, id;

drop table event_v4;

create index event_geometry on event using gist (geometry);
create index event_reported on event (reported_at, seq);
create index event_category on event (category, reported_at, seq);
create index event_status on event (status, reported_at, seq);
create index event_grid on event (grid_code, reported_at, seq);
