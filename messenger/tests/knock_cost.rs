//! What a remote that never answers costs its knocker (issue 23, case 6): the knocks the core
//! sends with the default timing, counted over the handshake and per minute, so the numbers the
//! docs give (docs/PROTOCOL.md, "Knock") are checked. A knocker alone, driven at every deadline
//! it asks for, as a running page's timers would (never late, so the late-timer rule never
//! applies). Its own test binary, apart from the core's rule-by-rule tests in `tests/core/`.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use messenger::protocol::{Action, Connection, Instant, Limits, Timing, PATIENT_AFTER, PATIENT_FACTOR};
use messenger::{Error, Stage};

/// What one knocker did until `until` (or its end): when each knock went out, when it ended and
/// how, and the most knock channels it held open at once.
struct Run {
    knocks: Vec<Duration>,
    ended: Option<(Duration, Error)>,
    most_open: usize,
}

impl Run {
    /// The knocks sent in `[from, to)`.
    fn knocks_between(&self, from: Duration, to: Duration) -> usize {
        self.knocks.iter().filter(|at| **at >= from && **at < to).count()
    }
}

/// A knocker on one target that nobody answers, with `timing`, driven until `until`.
fn unanswered(timing: Timing, until: Duration) -> Run {
    let start = Instant::default();
    let mut core = Connection::<()>::knocker(timing, Limits::default(), 1, start);
    let mut run = Run {
        knocks: Vec::new(),
        ended: None,
        most_open: 0,
    };
    let mut now = start;
    loop {
        while let Some(action) = core.poll_action() {
            if let Action::Knock { .. } = action {
                run.knocks.push(now - start);
            }
        }
        run.most_open = run.most_open.max(core.open_port_count());
        if let Some(error) = core.closed_with() {
            run.ended = Some((now - start, error.clone()));
            return run;
        }
        match core.poll_timeout() {
            Some(next) if next - start <= until => now = next,
            _ => return run,
        }
        core.handle_timeout(now);
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[test]
fn lifecycle_default_knocker_sends_54_knocks_then_times_out_at_10_s() {
    let run = unanswered(Timing::default(), Duration::from_secs(60));
    // 0, 10, 30, 70, 150, 310 ms, then every 200 ms: 510 ... 9,910 ms.
    assert_eq!(run.knocks.len(), 54, "{:?}", run.knocks);
    assert_eq!(&run.knocks[..7], &[0, 10, 30, 70, 150, 310, 510].map(ms));
    assert_eq!(run.knocks.last(), Some(&ms(9_910)));
    // The handshake timeout ends it exactly on time, and no knock follows.
    assert_eq!(
        run.ended,
        Some((Duration::from_secs(10), Error::TimedOut(Stage::Handshake)))
    );
    // At most the newest four knock channels are open at any time.
    assert_eq!(run.most_open, Timing::default().knocks_kept_open);
}

#[test]
fn lifecycle_a_long_unanswered_knocker_backs_off_to_one_knock_a_second() {
    let timing = Timing {
        handshake_timeout: Duration::from_secs(600),
        ..Timing::default()
    };
    let run = unanswered(timing, Duration::from_secs(180));
    assert!(run.ended.is_none(), "still knocking at 3 min");
    // The first 10 s as in a default handshake.
    assert_eq!(run.knocks_between(Duration::ZERO, PATIENT_AFTER), 54);
    // Past 10 s the interval grows (doubling while on time) to 5 × 200 ms.
    let longest = timing.knock_interval * PATIENT_FACTOR;
    assert_eq!(longest, Duration::from_secs(1));
    let after: Vec<Duration> = run
        .knocks
        .windows(2)
        .filter(|pair| pair[0] >= PATIENT_AFTER)
        .map(|pair| pair[1] - pair[0])
        .collect();
    assert_eq!(&after[..4], &[310, 620, 1_000, 1_000].map(ms), "{after:?}");
    assert!(after.iter().all(|gap| *gap <= longest), "{after:?}");
    // So the first minute costs 54 + 51 knocks, and every minute after it 60.
    let minute = Duration::from_secs(60);
    assert_eq!(run.knocks_between(Duration::ZERO, minute), 105);
    assert_eq!(run.knocks_between(minute, minute * 2), 60);
    assert_eq!(run.knocks_between(minute * 2, minute * 3), 60);
    assert_eq!(run.most_open, timing.knocks_kept_open);
}

#[test]
fn lifecycle_a_window_keepers_first_knock_costs_75_knocks_over_its_30_s() {
    // `WindowKeeperTiming`'s default first knock: the default timing with a 30 s handshake.
    let timing = Timing {
        handshake_timeout: Duration::from_secs(30),
        ..Timing::default()
    };
    let run = unanswered(timing, Duration::from_secs(60));
    assert_eq!(run.knocks.len(), 54 + 21, "{:?}", run.knocks);
    assert_eq!(
        run.ended,
        Some((Duration::from_secs(30), Error::TimedOut(Stage::Handshake)))
    );
}

#[test]
fn lifecycle_a_steady_knocker_keeps_its_pace() {
    // `first_knock_interval: None` (a window keeper's background knocks, every 500 ms to find a
    // reloaded window): no back-off, 120 knocks a minute for as long as the knock lasts.
    let timing = Timing {
        handshake_timeout: Duration::from_secs(600),
        knock_interval: ms(500),
        first_knock_interval: None,
        ..Timing::default()
    };
    let run = unanswered(timing, Duration::from_secs(120));
    let minute = Duration::from_secs(60);
    assert_eq!(run.knocks_between(Duration::ZERO, minute), 120);
    assert_eq!(run.knocks_between(minute, minute * 2), 120);
}
