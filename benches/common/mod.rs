//! What the benches share: the report they print — a markdown table (figure | safegrid |
//! PostGIS | ratio | target | met?), the machine and its load average when the run began (other
//! work on a shared machine skews every figure), and notes — and quantiles of timings.

#![allow(dead_code, reason = "each bench uses the part it needs")]

pub mod http;

use std::fmt::Write as _;

/// A bench's report, rendered as markdown.
pub struct Report {
    rows: Vec<[String; 6]>,
    /// Paragraphs printed under the table.
    pub notes: Vec<String>,
    load_at_start: String,
}

impl Report {
    /// An empty report; notes the load average now.
    pub fn new() -> Self {
        Self {
            rows: Vec::new(),
            notes: Vec::new(),
            load_at_start: load_average(),
        }
    }

    /// Adds a row as it is shown; `met` is the target's verdict, if it has one.
    pub fn push(
        &mut self,
        figure: impl Into<String>,
        ours: impl Into<String>,
        theirs: impl Into<String>,
        ratio: impl Into<String>,
        target: &str,
        met: Option<bool>,
    ) {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        self.rows.push([
            figure.into(),
            ours.into(),
            theirs.into(),
            ratio.into(),
            target.to_owned(),
            met.to_owned(),
        ]);
    }

    /// The table, the machine line and the notes.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "| figure | safegrid | PostGIS | ratio | target | met? |\n|---|---:|---:|---:|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let nproc = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let _ = writeln!(
            out,
            "\nMachine: nproc {nproc} ({cpu}), {}, load average at the start {}. \
             Ratio = how many times safegrid is better.",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            self.load_at_start
        );
        for n in &self.notes {
            let _ = writeln!(out, "\n- {n}");
        }
        out
    }
}

/// A ratio as the table shows it (`2.5×`), or `—`.
pub fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}×"))
}

/// The `q` quantile (0..=1, nearest rank) of `values`; NaN when empty.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a rank within the slice"
)]
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// The 1, 5 and 15 minute load averages, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// A database of its own for one bench run, on the PostgreSQL server of
/// `SAFEGRID_BENCH_PG_URL`, else `SAFEGRID_TEST_PG_URL`, else the local one; dropped by
/// [`ScratchDb::drop`].
pub struct ScratchDb {
    admin: sqlx::PgConnection,
    name: String,
    /// Where the scratch database is.
    pub url: String,
}

impl ScratchDb {
    /// Creates `safegrid_bench_<bench>_<random>`.
    ///
    /// # Errors
    /// No server answering within 5 s, or the database cannot be created.
    pub async fn create(bench: &str) -> anyhow::Result<Self> {
        use sqlx::Connection as _;
        let server = ["SAFEGRID_BENCH_PG_URL", "SAFEGRID_TEST_PG_URL"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let admin_url = format!("{base}/postgres");
        let mut admin = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin_url),
        )
        .await
        .map_err(|_| anyhow::anyhow!("no answer from {admin_url} within 5 s"))?
        .map_err(|e| anyhow::anyhow!("no PostgreSQL server at {admin_url}: {e}"))?;
        let rnd = getrandom::u32().map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
        let name = format!("safegrid_bench_{bench}_{rnd:08x}");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await?;
        eprintln!("PostGIS: created database {name}");
        Ok(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    /// Drops the database (closing whatever still uses it); a failure is only reported.
    pub async fn drop(mut self) {
        use sqlx::Connection as _;
        let name = &self.name;
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {name} with (force)"
        )))
        .execute(&mut self.admin)
        .await;
        if let Err(e) = dropped {
            eprintln!("could not drop database {name}: {e}");
        }
        self.admin.close().await.ok();
    }
}

/// A bench's `main`: runs `bench` on a multi-thread runtime, prints its report on stdout and
/// how long it all took on stderr.
pub fn run(bench: impl std::future::Future<Output = Report>) {
    let began = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    let report = runtime.block_on(bench);
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    print!("{}", report.render());
    eprintln!("bench finished in {:.0} s", began.elapsed().as_secs_f64());
}
