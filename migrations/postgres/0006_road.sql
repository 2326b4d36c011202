-- The road network: centre lines with their class, direction and street name in props.

create table road (
    id       text primary key,
    geometry geometry(LineString, 4326) not null,
    props    jsonb not null
);
create index road_geometry on road using gist (geometry);
