-- Events are the layer that grows (a county writes hundreds of thousands a year, a province
-- millions), so an event is stored as columns rather than as the GeoJSON geometry and JSON
-- `props` document the other layers keep: a lean row (about a third of the document's size)
-- that loads fast, and a column for everything its listings filter and sort on, each behind an
-- index, so that a listing reads what it returns and never scans the table:
--   - `seq`, the row's sequence number: it breaks ties between equal report times (listings
--     run newest report first, then highest `seq`) and keys the spatial index;
--   - `lon`, `lat` and the R*Tree `event_space` (kept by triggers) for a bounding box;
--   - `category`, `status`, `grid_code` and `reported_at`, each index ending in the report time.
-- Times are RFC 3339 UTC text with microseconds (`row::fmt_time`), so text order is time order.

create table event_v5 (
    seq         integer primary key,
    id          text not null unique,
    lon         real not null,
    lat         real not null,
    category    text not null,
    status      text not null,
    source      text not null,
    occurred_at text not null,
    reported_at text not null,
    grid_code   text,
    description text not null
);

-- Older rows in report order, so that `seq` follows it. Their times were written by serde in
-- a format of varying length; they are rewritten in the fixed one (milliseconds kept).
insert into event_v5 (id, lon, lat, category, status, source, occurred_at, reported_at,
                      grid_code, description)
select id,
       json_extract(geometry, '$.coordinates[0]'),
       json_extract(geometry, '$.coordinates[1]'),
       json_extract(props, '$.category'),
       json_extract(props, '$.status'),
       coalesce(json_extract(props, '$.source'), ''),
       strftime('%Y-%m-%dT%H:%M:%f', json_extract(props, '$.occurred_at')) || '000Z',
       strftime('%Y-%m-%dT%H:%M:%f', json_extract(props, '$.reported_at')) || '000Z',
       json_extract(props, '$.grid_code'),
       coalesce(json_extract(props, '$.description'), '')
from event
order by julianday(json_extract(props, '$.reported_at')), id;

drop table event;
alter table event_v5 rename to event;

create index event_reported on event (reported_at);
create index event_category on event (category, reported_at);
create index event_status on event (status, reported_at);
create index event_grid on event (grid_code, reported_at);

create virtual table event_space using rtree (seq, min_lon, max_lon, min_lat, max_lat);
insert into event_space (seq, min_lon, max_lon, min_lat, max_lat)
select seq, lon, lon, lat, lat from event;

create trigger event_space_on_insert after insert on event
begin
    insert into event_space (seq, min_lon, max_lon, min_lat, max_lat)
    values (new.seq, new.lon, new.lon, new.lat, new.lat);
end;

create trigger event_space_on_update after update of lon, lat on event
begin
    update event_space
    set min_lon = new.lon, max_lon = new.lon, min_lat = new.lat, max_lat = new.lat
    where seq = new.seq;
end;

create trigger event_space_on_delete after delete on event
begin
    delete from event_space where seq = old.seq;
end;
