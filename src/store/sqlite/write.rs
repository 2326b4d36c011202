//! SQLite's part of the write plan: [`SqlTx`] for a connection inside a write transaction.
//! Geometry and props are bound as text and stored as they are; times are RFC 3339 text.
//!
//! SQLite cannot check deferred foreign keys before commit, and `pragma foreign_key_check`
//! reads a whole table (50,000 grids, 100,000 assignments in a province: 80 ms a grid edit).
//! So [`SqlTx::references_hold`] asks about the rows a write touched, from [`REFERENCES`], the
//! schema's foreign keys: that a row written has its parents, and that a parent deleted has no
//! children left. A unit test holds [`REFERENCES`] to the migrations.
//!
//! Must not import the PostgreSQL backend, and must not decide the order of steps (that is the
//! plan's).

use async_trait::async_trait;
use sqlx::SqliteConnection;

use crate::domain::{AnyItem, Layer};
use crate::store::Change;

use super::super::plan::SqlTx;
use super::super::row::{Arg, Params, Wrap, execute_args, fetch_int_args};

/// A foreign key: the child table and column, the parent table and column, and whether
/// deleting the parent deletes the children (`on delete cascade`).
struct Reference {
    child: &'static str,
    column: &'static str,
    parent: &'static str,
    parent_column: &'static str,
    cascades: bool,
}

/// Every foreign key of the schema (`migrations/sqlite`).
const REFERENCES: [Reference; 5] = [
    Reference {
        child: "region",
        column: "parent_code",
        parent: "region",
        parent_column: "code",
        cascades: false,
    },
    Reference {
        child: "grid",
        column: "community_code",
        parent: "region",
        parent_column: "code",
        cascades: false,
    },
    Reference {
        child: "grid",
        column: "parent_code",
        parent: "grid",
        parent_column: "code",
        cascades: false,
    },
    Reference {
        child: "assignment",
        column: "worker_id",
        parent: "worker",
        parent_column: "id",
        cascades: true,
    },
    Reference {
        child: "assignment",
        column: "grid_code",
        parent: "grid",
        parent_column: "code",
        cascades: false,
    },
];

/// The rows a change wrote, as (table, column, key): its own row, and a worker's assignments.
fn rows_written(change: &Change) -> Vec<(&'static str, &'static str, String)> {
    let (Change::Insert(item) | Change::Replace(item) | Change::Put(item)) = change else {
        return Vec::new();
    };
    let layer = item.layer();
    let mut rows = vec![(layer.table(), layer.key_field(), item.key().to_owned())];
    if let AnyItem::Worker(w) = item {
        rows.push(("assignment", "worker_id", w.id.clone()));
    }
    rows
}

#[async_trait]
impl SqlTx for SqliteConnection {
    const PROPS_IN: Wrap = Wrap::NONE;
    const TIME_IN: Wrap = Wrap::NONE;
    const PARAMS: Params = Params::InOrder;

    fn geometry_in(_layer: Layer) -> Wrap {
        Wrap::NONE
    }

    async fn execute(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<()> {
        execute_args(self, sql, args).await
    }

    async fn fetch_int(&mut self, sql: String, args: Vec<Arg>) -> sqlx::Result<i64> {
        fetch_int_args(self, sql, args).await
    }

    async fn references_hold(&mut self, changes: &[Change]) -> sqlx::Result<bool> {
        for change in changes {
            // A row written must find its parents.
            for (table, key_column, key) in rows_written(change) {
                for r in REFERENCES.iter().filter(|r| r.child == table) {
                    let sql = format!(
                        "select count(*) from {table} c where c.{key_column} = $1 \
                         and c.{column} is not null and not exists \
                         (select 1 from {parent} p where p.{parent_column} = c.{column})",
                        column = r.column,
                        parent = r.parent,
                        parent_column = r.parent_column,
                    );
                    if self.fetch_int(sql, vec![Arg::text(&key)]).await? > 0 {
                        return Ok(false);
                    }
                }
            }
            // A parent deleted must leave no child behind (but those that go with it).
            if let Change::Delete(layer, key) = change {
                for r in REFERENCES
                    .iter()
                    .filter(|r| r.parent == layer.table() && !r.cascades)
                {
                    let sql = format!(
                        "select count(*) from {child} where {column} = $1 and not exists \
                         (select 1 from {parent} where {parent_column} = $1)",
                        child = r.child,
                        column = r.column,
                        parent = r.parent,
                        parent_column = r.parent_column,
                    );
                    if self.fetch_int(sql, vec![Arg::text(key)]).await? > 0 {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sqlx::AssertSqlSafe;

    use super::super::SqliteStore;
    use super::*;

    #[tokio::test]
    async fn references_are_every_foreign_key_of_the_schema() {
        let store = SqliteStore::open("sqlite::memory:")
            .await
            .expect("in-memory store opens");
        let pool = store.pool();
        let tables: Vec<String> =
            sqlx::query_scalar("select name from sqlite_master where type = 'table'")
                .fetch_all(pool)
                .await
                .expect("tables");
        let mut keys = BTreeSet::new();
        for child in &tables {
            let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(AssertSqlSafe(
                format!(
                    "select \"table\", \"from\", \"to\", on_delete from pragma_foreign_key_list('{child}')"
                ),
            ))
            .fetch_all(pool)
            .await
            .expect("foreign keys");
            for (parent, from, to, on_delete) in rows {
                keys.insert((
                    child.clone(),
                    from,
                    parent,
                    to.unwrap_or_default(),
                    on_delete == "CASCADE",
                ));
            }
        }
        let ours: BTreeSet<(String, String, String, String, bool)> = REFERENCES
            .iter()
            .map(|r| {
                (
                    r.child.to_owned(),
                    r.column.to_owned(),
                    r.parent.to_owned(),
                    r.parent_column.to_owned(),
                    r.cascades,
                )
            })
            .collect();
        assert_eq!(ours, keys);
    }
}
