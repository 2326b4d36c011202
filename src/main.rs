//! The `safegrid` binary: parse the command line, build the async runtime, hand over to
//! [`safegrid::cli::run`] and turn its error into an exit code.

use std::process::ExitCode;

use clap::Parser;

use safegrid::config::Cli;

/// mimalloc instead of the system allocator: loading a province's store allocates tens of
/// millions of small values on several threads at once, and glibc's malloc spent a quarter of
/// that start-up in its own bookkeeping.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "safegrid=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(safegrid::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
