-- The road network: centre lines (LineString, as GeoJSON text) with their class, direction and
-- street name in props.

create table road (
    id       text primary key,
    geometry text not null,
    props    text not null
);
