//! SQLite's part of the write plan: [`SqlTx`] for a connection inside a write transaction.
//! Geometry and props are bound as text and stored as they are; times are RFC 3339 text.
//!
//! Must not import the PostgreSQL backend, and must not decide the order of steps (that is the
//! plan's).

use async_trait::async_trait;
use sqlx::SqliteConnection;

use crate::domain::Layer;

use super::super::plan::SqlTx;
use super::super::row::{Arg, Wrap, execute_args, fetch_int_args};

#[async_trait]
impl SqlTx for SqliteConnection {
    const PROPS_IN: Wrap = Wrap::NONE;
    const TIME_IN: Wrap = Wrap::NONE;

    fn geometry_in(_layer: Layer) -> Wrap {
        Wrap::NONE
    }

    async fn execute(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<()> {
        execute_args(self, sql, args).await
    }

    async fn fetch_int(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<i64> {
        fetch_int_args(self, sql, args).await
    }
}
