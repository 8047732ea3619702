//! Apply progress on stderr.
//!
//! On a terminal: a bar with done/total, rate, elapsed time, ETA, the tier being
//! applied and a note while requests wait on the rate limit, redrawn a few times a
//! second. Off a terminal (CI logs): one `progress:` line with the same figures every
//! interval (10 s by default) or every 5 % of the changes, whichever is rarer, and at
//! least every six intervals while nothing moves, so a log never goes silent for long.
//! Errors are printed as they happen; `-v` also prints each finished change; `-q`
//! prints none of this.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Style, Verbosity, describe};
use crate::client::ClientStats;
use crate::plan::{Change, Plan};
use crate::reconcile::Progress;

/// Where the figures for the rate-limit note come from.
pub(crate) type StatsSource = Box<dyn Fn() -> ClientStats + Send + Sync>;

/// How the progress is shown.
pub(crate) struct ProgressConfig {
    /// How much to print.
    pub verbosity: Verbosity,
    /// Draw a bar (stderr is a terminal) instead of printing lines.
    pub terminal: bool,
    /// Least time between two `progress:` lines off a terminal.
    pub interval: Duration,
    /// Colour on stderr.
    pub style: Style,
}

/// The figures of one moment.
#[derive(Debug, Clone, PartialEq)]
struct Figures {
    done: usize,
    total: usize,
    elapsed: Duration,
    tier: usize,
    tiers: usize,
    waiting: u64,
}

impl Figures {
    fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Done/total with percent, rate, elapsed, ETA.
    fn parts(&self) -> [String; 4] {
        let pct = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let rate = self.rate();
        let eta = if self.done >= self.total {
            "0:00".to_string()
        } else if rate > 0.0 {
            clock(Duration::from_secs_f64(
                (self.total - self.done) as f64 / rate,
            ))
        } else {
            "unknown".to_string()
        };
        [
            format!("{}/{} ({pct} %)", self.done, self.total),
            format!("{rate:.1}/s"),
            clock(self.elapsed),
            eta,
        ]
    }

    /// `40/200 (20 %), 3.2/s, elapsed 0:12, ETA 0:50, tier 2 of 4`, and the
    /// rate-limit note when requests are waiting.
    fn line(&self) -> String {
        let [count, rate, elapsed, eta] = self.parts();
        let mut line = format!(
            "{count}, {rate}, elapsed {elapsed}, ETA {eta}, tier {} of {}",
            self.tier, self.tiers
        );
        if self.waiting > 0 {
            line.push_str(&format!(
                "; waiting on the rate limit ({} request{})",
                self.waiting,
                if self.waiting == 1 { "" } else { "s" }
            ));
        }
        line
    }

    /// The same figures, short enough to sit beside a bar on an 80-column terminal.
    fn compact(&self) -> String {
        let [count, rate, elapsed, eta] = self.parts();
        let mut short = format!(
            "{count} {rate} {elapsed} ETA {eta} tier {}/{}",
            self.tier, self.tiers
        );
        if self.waiting > 0 {
            short.push_str(&format!(" · rate limit ({} waiting)", self.waiting));
        }
        short
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// When the last `progress:` line was printed, and at what count.
#[derive(Debug, Clone, Copy)]
struct LastLine {
    at: Duration,
    done: usize,
}

/// Whether to print a line now: the interval has passed and 5 % more are done, or
/// nothing was printed for six intervals.
fn line_due(now: &Figures, last: LastLine, interval: Duration) -> bool {
    if now.done >= now.total {
        return false;
    }
    let since = now.elapsed.saturating_sub(last.at);
    let step = now.total.div_ceil(20).max(1);
    (since >= interval && now.done >= last.done + step) || since >= interval * 6
}

struct Shared {
    config: ProgressConfig,
    stats: StatsSource,
    tiers: Vec<usize>,
    bar: Option<ProgressBar>,
    state: Mutex<Counters>,
}

struct Counters {
    started: Instant,
    total: usize,
    done: usize,
    tier: usize,
    current: String,
    last: LastLine,
}

impl Shared {
    fn figures(&self) -> Figures {
        let c = self.state.lock().expect("progress lock");
        Figures {
            done: c.done,
            total: c.total,
            elapsed: c.started.elapsed(),
            tier: c.tier,
            tiers: self.tiers.len(),
            waiting: (self.stats)().waiting_now,
        }
    }

    /// Redraw the bar, or print a line when one is due.
    fn tick(&self) {
        let f = self.figures();
        if let Some(bar) = &self.bar {
            let current = self.state.lock().expect("progress lock").current.clone();
            bar.set_position(f.done as u64);
            bar.set_prefix(f.compact());
            bar.set_message(current);
            return;
        }
        if self.config.verbosity == Verbosity::Quiet {
            return;
        }
        let mut c = self.state.lock().expect("progress lock");
        if line_due(&f, c.last, self.config.interval) {
            c.last = LastLine {
                at: f.elapsed,
                done: f.done,
            };
            drop(c);
            super::err(&format!("progress: {}\n", f.line()));
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => super::err(&format!("{line}\n")),
        }
    }
}

/// Progress on stderr for one apply.
pub(crate) struct ConsoleProgress {
    shared: Arc<Shared>,
    ticker: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
}

impl ConsoleProgress {
    /// Progress for `plan`'s changes; `stats` tells how many requests wait on the
    /// rate limit.
    pub(crate) fn new(plan: &Plan, config: ProgressConfig, stats: StatsSource) -> Self {
        let bar = (config.terminal && config.verbosity != Verbosity::Quiet).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:20} {prefix} {wide_msg}")
                    .expect("valid template"),
            );
            bar
        });
        let now = Instant::now();
        ConsoleProgress {
            shared: Arc::new(Shared {
                config,
                stats,
                tiers: plan.tiers(),
                bar,
                state: Mutex::new(Counters {
                    started: now,
                    total: 0,
                    done: 0,
                    tier: 0,
                    current: String::new(),
                    last: LastLine {
                        at: Duration::ZERO,
                        done: 0,
                    },
                }),
            }),
            ticker: Mutex::new(None),
        }
    }
}

impl Progress for ConsoleProgress {
    fn begin(&self, total: usize) {
        {
            let mut c = self.shared.state.lock().expect("progress lock");
            c.total = total;
            c.started = Instant::now();
        }
        if let Some(bar) = &self.shared.bar {
            bar.set_length(total as u64);
        }
        // Lines are checked often enough to keep to the interval within a few percent;
        // the bar is redrawn five times a second.
        let every = if self.shared.bar.is_some() {
            Duration::from_millis(200)
        } else {
            (self.shared.config.interval / 20)
                .clamp(Duration::from_millis(20), Duration::from_secs(1))
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = self.shared.clone();
        let handle = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                shared.tick();
            }
        });
        *self.ticker.lock().expect("progress lock") = Some((stop, handle));
    }

    fn started(&self, change: &Change) {
        let mut c = self.shared.state.lock().expect("progress lock");
        c.tier = self
            .shared
            .tiers
            .iter()
            .position(|t| *t == change.tier)
            .map_or(0, |i| i + 1);
        c.current = describe(change);
    }

    fn finished(&self, change: &Change, result: &Result<(), String>) {
        self.shared.state.lock().expect("progress lock").done += 1;
        let st = self.shared.config.style;
        match result {
            Err(e) if self.shared.config.verbosity != Verbosity::Quiet => {
                self.shared
                    .println(&format!("{} {}: {e}", st.red("error:"), describe(change)));
            }
            Ok(()) if self.shared.config.verbosity == Verbosity::Verbose => {
                self.shared.println(&format!(
                    "{} {} done",
                    st.action(change.action, change.action.symbol()),
                    describe(change)
                ));
            }
            _ => {}
        }
        if let Some(bar) = &self.shared.bar {
            bar.inc(1);
        }
    }

    fn end(&self) {
        if let Some((stop, handle)) = self.ticker.lock().expect("progress lock").take() {
            drop(stop);
            let _ = handle.join();
        }
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(done: usize, secs: u64) -> Figures {
        Figures {
            done,
            total: 200,
            elapsed: Duration::from_secs(secs),
            tier: 2,
            tiers: 4,
            waiting: 0,
        }
    }

    #[test]
    fn a_line_has_every_figure() {
        assert_eq!(
            at(40, 12).line(),
            "40/200 (20 %), 3.3/s, elapsed 0:12, ETA 0:48, tier 2 of 4"
        );
        let waiting = Figures {
            waiting: 3,
            ..at(0, 3725)
        };
        assert_eq!(
            waiting.line(),
            "0/200 (0 %), 0.0/s, elapsed 1:02:05, ETA unknown, tier 2 of 4; waiting on the rate limit (3 requests)"
        );
    }

    #[test]
    fn the_bar_shows_the_same_figures_in_short() {
        assert_eq!(
            at(40, 12).compact(),
            "40/200 (20 %) 3.3/s 0:12 ETA 0:48 tier 2/4"
        );
        let waiting = Figures {
            waiting: 1,
            ..at(40, 12)
        };
        assert_eq!(
            waiting.compact(),
            "40/200 (20 %) 3.3/s 0:12 ETA 0:48 tier 2/4 · rate limit (1 waiting)"
        );
    }

    #[test]
    fn lines_come_at_the_rarer_of_ten_seconds_and_five_percent() {
        let ten = Duration::from_secs(10);
        let start = LastLine {
            at: Duration::ZERO,
            done: 0,
        };
        // Fast run: 5 % (10 changes) after 2 s, but the interval has not passed.
        assert!(!line_due(&at(10, 2), start, ten));
        assert!(line_due(&at(50, 10), start, ten));
        // Slow run: 10 s passed, but less than 5 % more done.
        assert!(!line_due(&at(9, 30), start, ten));
        assert!(line_due(&at(10, 30), start, ten));
        // Nothing moves for a minute: a line anyway.
        assert!(line_due(&at(0, 60), start, ten));
        // Never once everything is done (the summary follows).
        assert!(!line_due(&at(200, 600), start, ten));
    }
}
