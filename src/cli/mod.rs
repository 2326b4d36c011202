//! The command line's commands, one file per command or group: `serve` (the HTTP service),
//! `admin` (seed, check, token), `transfer` (import, export), `coverage`, `placement` and
//! `camera`. [`run`](crate::cli::run) opens the store named by `--database-url` and hands the
//! parsed [`Cli`](crate::config::Cli) to its command; `main.rs` only parses, builds the runtime
//! and maps errors to an exit code.
//!
//! Commands are renderers: the work is in [`crate::service`] (the same functions the HTTP API
//! calls) and what they print is their answer. `anyhow` is used here and in `main.rs` only.
//! Must not import axum or sqlx: the HTTP service is started through [`crate::api`]'s
//! functions and the store is reached through [`crate::store::Store`].

mod admin;
mod camera;
mod coverage;
mod placement;
mod progress;
mod serve;
mod transfer;

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Cli, Command};
use crate::domain::names::one_of;
use crate::domain::progress::Progress;
use crate::service::Service;
use crate::store;

/// Runs the command of `cli`; the exit code is the command's (`check` exits 2 on findings, a
/// refused import 1).
///
/// # Errors
/// Whatever stops the command, with context for the terminal.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let store = store::open(&cli.database_url)
        .await
        .with_context(|| format!("opening {}", redact(&cli.database_url)))?;
    match cli.command {
        Command::Serve {
            bind,
            admin_token,
            no_seed,
            web_dir,
            basemap_url,
        } => {
            let mut web = crate::api::WebOptions::default();
            if let Some(dir) = web_dir {
                web.dir = dir;
            }
            web.basemap_url = basemap_url.filter(|url| !url.trim().is_empty());
            serve::serve(store, bind, admin_token, no_seed, web).await
        }
        Command::Seed { scale } => admin::seed_empty(&store, scale).await,
        Command::Import(args) => transfer::import(store, args).await,
        Command::Export { layer, format } => transfer::export(store, &layer, &format).await,
        Command::Check => admin::check(store).await,
        Command::Coverage(args) => coverage::coverage(store, args).await,
        Command::Placement(args) => placement::placement(store, args).await,
        Command::Camera { action } => camera::camera(store, action).await,
        Command::Token { role, name } => admin::token(&store, &role, &name).await,
    }
}

/// Loads the store into a running service, showing how far the loading has come (a bar in a
/// terminal, log lines otherwise): a province's database takes a while.
async fn start_service(store: std::sync::Arc<dyn store::Store>) -> anyhow::Result<Service> {
    let progress = std::sync::Arc::new(Progress::new());
    let _reporter = progress::Reporter::start(progress.clone());
    Ok(Service::start_with(store, &progress).await?)
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Parses a command-line word as the name of `T` (`ptz`, `offline`), one of `names`.
fn parse_word<T: std::str::FromStr>(flag: &str, raw: &str, names: &[&str]) -> anyhow::Result<T> {
    raw.parse()
        .map_err(|_| anyhow::anyhow!("{flag}: unknown value `{raw}`: use {}", one_of(names)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://sg:secret@db:5432/sg"),
            "postgres://sg:***@db:5432/sg"
        );
        assert_eq!(redact("postgres://sg@db/sg"), "postgres://sg@db/sg");
        assert_eq!(redact("sqlite:data/safegrid.db"), "sqlite:data/safegrid.db");
    }
}
