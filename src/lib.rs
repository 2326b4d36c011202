pub mod api;
pub mod config;
pub mod domain;
pub mod io;
pub mod sample;
pub mod service;
pub mod spatial;
pub mod store;
