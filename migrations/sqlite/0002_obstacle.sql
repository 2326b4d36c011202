-- Obstacles that hide the ground from cameras: building footprints (Polygon/MultiPolygon) and
-- walls (LineString), as GeoJSON text.

create table obstacle (
    id       text primary key,
    geometry text not null,
    props    text not null
);
