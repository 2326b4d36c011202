//! `safegrid coverage`: the coverage table of a layer (worst first, as a table, CSV or JSON)
//! or one feature's figures and blind spots as GeoJSON (`--key`), both from
//! [`crate::service::coverage_report`], the API's source too. Must not import axum or sqlx.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;

use crate::config::CoverageArgs;
use crate::service::coverage_report::{self, CoverageTable, TableQuery};
use crate::store::Store;

pub(super) async fn coverage(
    store: Arc<dyn Store>,
    args: CoverageArgs,
) -> anyhow::Result<ExitCode> {
    let service = super::start_service(store).await?;
    let (cache, snapshot) = (service.coverage_cache(), service.snapshot());
    if let Some(key) = &args.key {
        let layer = coverage_report::parse_layer(&args.layer)?;
        let Some(report) =
            coverage_report::feature_report(cache, &snapshot, layer, key, args.include_seen)
        else {
            bail!("{} `{key}` does not exist", layer.path());
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let query = TableQuery::parse(
        Some(&args.layer),
        args.category.as_deref(),
        Some(&args.sort),
        args.limit,
        args.lost_over,
    )?;
    let table = CoverageTable::compute(cache, &snapshot, &query);
    match args.format.as_str() {
        "table" => print!("{}", crate::console::coverage_table(&table.to_json())),
        "json" => println!("{}", serde_json::to_string_pretty(&table.to_json())?),
        "csv" => print!("{}", table.to_csv()?),
        other => bail!("unknown format `{other}`: use table, csv or json"),
    }
    Ok(ExitCode::SUCCESS)
}
