-- safegrid schema for PostgreSQL + PostGIS. Geometry is geometry(..., 4326), WGS84 lon/lat.

create extension if not exists postgis;

create table region (
    code        text primary key,
    parent_code text references region (code) deferrable initially deferred,
    geometry    geometry(MultiPolygon, 4326) not null,
    props       jsonb not null
);
create index region_parent on region (parent_code);
create index region_geometry on region using gist (geometry);

create table grid (
    code           text primary key,
    community_code text not null references region (code) deferrable initially deferred,
    parent_code    text references grid (code) deferrable initially deferred,
    version        integer not null,
    geometry       geometry(MultiPolygon, 4326) not null,
    props          jsonb not null
);
create index grid_community on grid (community_code);
create index grid_parent on grid (parent_code);
create index grid_geometry on grid using gist (geometry);

create table grid_version (
    code       text not null,
    version    integer not null,
    geometry   geometry(MultiPolygon, 4326) not null,
    props      jsonb not null,
    valid_from timestamptz not null,
    valid_to   timestamptz,
    primary key (code, version)
);
create index grid_version_geometry on grid_version using gist (geometry);

create table worker (
    id    text primary key,
    props jsonb not null
);

create table assignment (
    worker_id text not null references worker (id) on delete cascade deferrable initially deferred,
    grid_code text not null references grid (code) deferrable initially deferred,
    duty      text not null,
    primary key (worker_id, grid_code)
);
create index assignment_grid on assignment (grid_code);

create table camera (
    code     text primary key,
    geometry geometry(Point, 4326) not null,
    props    jsonb not null
);
create index camera_geometry on camera using gist (geometry);

create table patrol_route (
    id       text primary key,
    geometry geometry(LineString, 4326) not null,
    props    jsonb not null
);
create index patrol_route_geometry on patrol_route using gist (geometry);

create table key_area (
    id       text primary key,
    geometry geometry(MultiPolygon, 4326) not null,
    props    jsonb not null
);
create index key_area_geometry on key_area using gist (geometry);

create table event (
    id       text primary key,
    geometry geometry(Point, 4326) not null,
    props    jsonb not null
);
create index event_geometry on event using gist (geometry);

create table building (
    id       text primary key,
    geometry geometry(Point, 4326) not null,
    props    jsonb not null
);
create index building_geometry on building using gist (geometry);

create table api_token (
    hash       text primary key,
    name       text not null,
    role       text not null,
    created_at timestamptz not null
);
