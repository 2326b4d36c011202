//! Shows how far long work has come ([`Progress`]: the province seed, an import, loading a big
//! database at start-up) while it runs: in a terminal a bar with the stage, the counts, the rate
//! and the time left ([`indicatif`]); otherwise, as in a service's log, one line every few
//! seconds and one when a stage starts. A reporter thread reads the tracker; the work only
//! counts.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::domain::progress::{Progress, ProgressState};

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(120);
/// How often a log line is written when not in a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Reports a [`Progress`] until dropped.
pub(super) struct Reporter {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts reporting `progress` on standard error (or the log).
    pub fn start(progress: Arc<Progress>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let terminal = std::io::stderr().is_terminal();
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                if terminal {
                    draw_bar(&progress, &flag);
                } else {
                    write_lines(&progress, &flag);
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn style(total: u64) -> ProgressStyle {
    let template = if total > 0 {
        "{msg:<28} [{bar:30}] {human_pos}/{human_len} {per_sec:>12} {eta:>4} left"
    } else {
        "{msg:<28} {spinner} {human_pos} {per_sec:>12} {elapsed:>4}"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn draw_bar(progress: &Progress, stop: &AtomicBool) {
    let mut generation = 0;
    let mut bar: Option<ProgressBar> = None;
    loop {
        let done = stop.load(Ordering::Relaxed);
        let state = progress.state();
        if state.generation != generation {
            generation = state.generation;
            if let Some(old) = bar.take() {
                old.finish();
            }
            if !state.stage.is_empty() {
                let b = ProgressBar::new(state.total).with_style(style(state.total));
                b.set_message(state.stage.clone());
                bar = Some(b);
            }
        }
        if let Some(b) = &bar {
            b.set_position(state.done);
        }
        if done {
            if let Some(b) = bar {
                b.finish();
            }
            return;
        }
        std::thread::sleep(TICK);
    }
}

/// One line of the log for `state`, with the rate since the stage began.
fn line(state: &ProgressState, since: Instant) -> String {
    let secs = since.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        state.done as f64 / secs
    } else {
        0.0
    };
    if state.total > 0 {
        let left = if rate > 0.0 {
            format!(
                ", about {:.0} s left",
                (state.total.saturating_sub(state.done)) as f64 / rate
            )
        } else {
            String::new()
        };
        format!(
            "{}: {} of {} ({:.0} %, {rate:.0}/s{left})",
            state.stage,
            state.done,
            state.total,
            100.0 * state.done as f64 / state.total as f64
        )
    } else {
        format!("{}: {} ({rate:.0}/s)", state.stage, state.done)
    }
}

fn write_lines(progress: &Progress, stop: &AtomicBool) {
    let mut generation = 0;
    let mut since = Instant::now();
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let state = progress.state();
        if state.generation != generation && !state.stage.is_empty() {
            generation = state.generation;
            since = Instant::now();
            last = since;
            tracing::info!("{}", line(&state, since));
        } else if last.elapsed() >= LOG_EVERY && !state.stage.is_empty() {
            last = Instant::now();
            tracing::info!("{}", line(&state, since));
        }
        std::thread::sleep(TICK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_give_counts_share_and_time_left() {
        let state = ProgressState {
            stage: "loading events".into(),
            done: 250,
            total: 1_000,
            generation: 1,
        };
        let second_ago = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .expect("uptime");
        let text = line(&state, second_ago);
        assert!(
            text.starts_with("loading events: 250 of 1000 (25 %"),
            "{text}"
        );
        assert!(text.contains("left"), "{text}");
        let open = ProgressState { total: 0, ..state };
        assert!(line(&open, Instant::now()).starts_with("loading events: 250 ("));
    }
}
