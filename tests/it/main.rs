//! All integration tests in one binary (one link, shared helpers): the HTTP API through the real
//! router against both stores, the stores themselves, and in-memory locate against PostGIS.

mod api;
mod camera_health;
mod camera_import;
mod cli;
mod common;
mod coverage;
mod coverage_agreement;
mod coverage_report;
mod divide;
mod division_accept;
mod events;
mod grid_edit;
mod ogc;
mod placement;
mod postgis_agreement;
mod privacy;
mod problems;
mod raster_exact;
mod region_tree;
mod reshape;
mod roads;
mod seed;
mod shapefile;
mod shutdown;
mod store;
mod tiles;
mod transfer;
mod web;
