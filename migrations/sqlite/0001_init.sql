-- safegrid schema for SQLite. Geometry is stored as GeoJSON text (RFC 7946, WGS84 lon/lat).

create table region (
    code        text primary key,
    parent_code text references region (code) deferrable initially deferred,
    geometry    text not null,
    props       text not null
);
create index region_parent on region (parent_code);

create table grid (
    code           text primary key,
    community_code text not null references region (code) deferrable initially deferred,
    parent_code    text references grid (code) deferrable initially deferred,
    version        integer not null,
    geometry       text not null,
    props          text not null
);
create index grid_community on grid (community_code);
create index grid_parent on grid (parent_code);

-- Every version of every grid, current ones included (valid_to is null). Times are RFC 3339 UTC
-- with a fixed format, so text order is time order.
create table grid_version (
    code       text not null,
    version    integer not null,
    geometry   text not null,
    props      text not null,
    valid_from text not null,
    valid_to   text,
    primary key (code, version)
);

create table worker (
    id    text primary key,
    props text not null
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
    geometry text not null,
    props    text not null
);

create table patrol_route (
    id       text primary key,
    geometry text not null,
    props    text not null
);

create table key_area (
    id       text primary key,
    geometry text not null,
    props    text not null
);

create table event (
    id       text primary key,
    geometry text not null,
    props    text not null
);

create table building (
    id       text primary key,
    geometry text not null,
    props    text not null
);

create table api_token (
    hash       text primary key,
    name       text not null,
    role       text not null,
    created_at text not null
);
