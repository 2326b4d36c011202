//! SQLite's part of the write plan: [`SqlTx`] for a connection inside a write transaction.
//! Geometry and props are bound as text and stored as they are; times are RFC 3339 text.
//!
//! SQLite cannot check deferred foreign keys before commit, so [`SqlTx::references_hold`] asks
//! `pragma foreign_key_check` about the tables a write of each layer can break ([`fk_tables`]).
//!
//! Must not import the PostgreSQL backend, and must not decide the order of steps (that is the
//! plan's).

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, SqliteConnection};

use crate::domain::Layer;

use super::super::plan::SqlTx;
use super::super::row::{Arg, Wrap, execute_args, fetch_int_args};

/// The tables whose foreign keys a write of `layer` can break: its own table (a missing parent)
/// and the tables that reference it (a deleted parent). Mirrors the `references` clauses of the
/// migrations; a unit test holds the two together.
fn fk_tables(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Region => &["region", "grid"],
        Layer::Grid => &["grid", "assignment"],
        Layer::Worker => &["assignment"],
        _ => &[],
    }
}

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

    async fn references_hold(&mut self, layers: &[Layer]) -> sqlx::Result<bool> {
        let mut tables: Vec<&str> = layers.iter().flat_map(|l| fk_tables(*l)).copied().collect();
        tables.sort_unstable();
        tables.dedup();
        for table in tables {
            let sql = format!("pragma foreign_key_check({table})");
            let broken = sqlx::query(AssertSqlSafe(sql))
                .fetch_optional(&mut *self)
                .await?;
            if broken.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::SqliteStore;
    use super::*;

    #[tokio::test]
    async fn fk_tables_cover_every_foreign_key_of_the_schema() {
        let store = SqliteStore::open("sqlite::memory:")
            .await
            .expect("in-memory store opens");
        let pool = store.pool();
        let tables: Vec<String> =
            sqlx::query_scalar("select name from sqlite_master where type = 'table'")
                .fetch_all(pool)
                .await
                .expect("tables");
        // (child, parent) of every foreign key.
        let mut keys = Vec::new();
        for child in &tables {
            let parents: Vec<(String,)> = sqlx::query_as(AssertSqlSafe(format!(
                "select \"table\" from pragma_foreign_key_list('{child}')"
            )))
            .fetch_all(pool)
            .await
            .expect("foreign keys");
            keys.extend(parents.into_iter().map(|(p,)| (child.clone(), p)));
        }
        assert!(keys.len() >= 5, "{keys:?}");
        for layer in Layer::ALL {
            // The tables a write of `layer` writes rows of.
            let mut written = vec![layer.table()];
            if layer == Layer::Worker {
                written.push("assignment");
            }
            let want: BTreeSet<&str> = keys
                .iter()
                .filter(|(child, parent)| {
                    written.contains(&child.as_str()) || written.contains(&parent.as_str())
                })
                .map(|(child, _)| child.as_str())
                .collect();
            let got: BTreeSet<&str> = fk_tables(layer).iter().copied().collect();
            assert_eq!(got, want, "{layer}");
        }
    }
}
