-- Obstacles that hide the ground from cameras: building footprints (Polygon/MultiPolygon) and
-- walls (LineString) in one column of any geometry type.

create table obstacle (
    id       text primary key,
    geometry geometry(Geometry, 4326) not null,
    props    jsonb not null
);
create index obstacle_geometry on obstacle using gist (geometry);
