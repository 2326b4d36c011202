//! PostgreSQL + PostGIS's part of the write plan: [`SqlTx`] for a connection inside a write
//! transaction. Geometry goes in through `ST_GeomFromGeoJSON` (made multi for the MultiPolygon
//! columns), props are cast to `jsonb` and times to `timestamptz`.
//!
//! Foreign keys are `deferrable initially deferred`; [`SqlTx::references_hold`] checks the
//! pending ones with `set constraints all immediate` (PostgreSQL keeps the rows each write
//! touched in its queue of deferred checks, so the check costs what the write touched) and
//! defers them again.
//!
//! Must not import the SQLite backend, and must not decide the order of steps (that is the
//! plan's).

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::domain::Layer;
use crate::store::Change;

use super::super::plan::SqlTx;
use super::super::row::{Arg, Params, Wrap, execute_args, fetch_int_args};

#[async_trait]
impl SqlTx for PgConnection {
    const PROPS_IN: Wrap = Wrap("", "::jsonb");
    const TIME_IN: Wrap = Wrap("", "::timestamptz");
    const PARAMS: Params = Params::Numbered;

    fn geometry_in(layer: Layer) -> Wrap {
        if matches!(layer, Layer::Region | Layer::Grid | Layer::KeyArea) {
            Wrap("ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(", "), 4326))")
        } else {
            Wrap("ST_SetSRID(ST_GeomFromGeoJSON(", "), 4326)")
        }
    }

    async fn execute(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<()> {
        execute_args(self, sql, args).await
    }

    async fn fetch_int(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<i64> {
        fetch_int_args(self, sql, args).await
    }

    async fn references_hold(&mut self, _changes: &[Change]) -> sqlx::Result<bool> {
        match sqlx::query("set constraints all immediate")
            .execute(&mut *self)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => return Ok(false),
            Err(e) => return Err(e),
        }
        sqlx::query("set constraints all deferred")
            .execute(self)
            .await?;
        Ok(true)
    }
}
