//! `safegrid camera health|status`: one camera's status history, availability and grids
//! served ([`crate::service::camera_health`]), and recording a status report. Must not import
//! axum or sqlx.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::config::CameraCommand;
use crate::domain::CameraStatus;
use crate::service::camera_health::StatusReport;
use crate::store::Store;

use super::parse_word;

pub(super) async fn camera(
    store: Arc<dyn Store>,
    action: CameraCommand,
) -> anyhow::Result<ExitCode> {
    let service = super::start_service(store).await?;
    match action {
        CameraCommand::Health { code, format } => {
            let health = service.camera_health(&code).await?.to_json();
            match format.as_str() {
                "table" => print!("{}", crate::console::camera_health(&health)),
                "json" => println!("{}", serde_json::to_string_pretty(&health)?),
                other => bail!("unknown format `{other}`: use table or json"),
            }
        }
        CameraCommand::Status { code, status } => {
            let status: CameraStatus = parse_word("status", &status, &CameraStatus::NAMES)?;
            let before = service.snapshot().cameras.get(&code).map(|c| c.status);
            let report = StatusReport {
                code: code.clone(),
                status,
                at: chrono::Utc::now(),
            };
            service.report_status(report).await?;
            let camera = service
                .snapshot()
                .cameras
                .get(&code)
                .cloned()
                .with_context(|| format!("camera `{code}` does not exist"))?;
            let word = |s: CameraStatus| serde_json::json!(s).as_str().unwrap_or("").to_owned();
            match before {
                Some(b) if b == camera.status => println!("{code} is already {}", word(b)),
                Some(b) => println!("{code}: {} -> {}", word(b), word(camera.status)),
                None => println!("{code}: {}", word(camera.status)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
