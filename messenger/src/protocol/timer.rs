//! Time as a value, and the core's small timer table.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, measured from an origin the caller chooses (the web layer uses
/// `performance.now()`; tests start at zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The instant `millis` milliseconds after the origin; negative or NaN input counts as zero.
    pub fn from_millis_f64(millis: f64) -> Self {
        Instant(Duration::try_from_secs_f64(millis / 1000.0).unwrap_or_default())
    }

    /// Milliseconds since the origin.
    pub fn as_millis_f64(self) -> f64 {
        self.0.as_secs_f64() * 1000.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// The core's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Fires when the handshake has not completed in time: the connection fails with
    /// [`Error::TimedOut`](crate::Error::TimedOut). Set at creation, stopped when the
    /// acknowledgement is received (the listener) or sent (the knocker).
    Handshake,
    /// Fires every knock interval while the knocker waits for an answer: it knocks again on
    /// every target with a fresh channel, since a knock that reached the remote before its
    /// listener existed is lost without a trace.
    Knock,
    /// Fires when the peer has not replied within the reply timeout: the connection fails, since
    /// in a half-duplex conversation a missing reply means the peer is gone.
    Reply,
}

const TIMERS: [Timer; 3] = [Timer::Handshake, Timer::Knock, Timer::Reply];

/// One armed timer: when it fires, how long it was set for, and whether it was already
/// deferred once (see [`Timers::take_expired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Armed {
    deadline: Instant,
    length: Duration,
    deferred: bool,
}

/// Deadlines of the [`Timer`]s: `set`, `stop`, and the earliest via `next_timeout`.
#[derive(Debug, Clone, Default)]
pub struct Timers([Option<Armed>; 3]);

impl Timers {
    fn slot(timer: Timer) -> usize {
        timer as usize
    }

    /// Arms `timer` to fire `length` after `now`, replacing any earlier deadline.
    pub fn set(&mut self, timer: Timer, now: Instant, length: Duration) {
        self.0[Self::slot(timer)] = Some(Armed {
            deadline: now + length,
            length,
            deferred: false,
        });
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.0[Self::slot(timer)] = None;
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.0 = [None; 3];
    }

    /// Whether `timer` is armed.
    pub fn is_set(&self, timer: Timer) -> bool {
        self.0[Self::slot(timer)].is_some()
    }

    /// The earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.0.iter().flatten().map(|armed| armed.deadline).min()
    }

    /// Disarms and returns the first timer (in declaration order) whose deadline is `<= now`.
    ///
    /// A [`Timer::Handshake`] or [`Timer::Reply`] that is found [late](LATE_FRACTION) is not
    /// taken the first time: it is re-armed once for its whole length from `now`. Such a timer
    /// means this side could not run (its thread was blocked, its page frozen or throttled), and
    /// the peer's answer may be waiting in a queue behind it; the peer is not blamed for time this
    /// side did not run. A peer that really is gone is judged after at most twice the timeout
    /// plus the pause.
    pub fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        loop {
            let timer = TIMERS
                .into_iter()
                .find(|t| self.0[Self::slot(*t)].is_some_and(|armed| armed.deadline <= now))?;
            let slot = &mut self.0[Self::slot(timer)];
            let armed = slot.take()?;
            let late = now.saturating_duration_since(armed.deadline);
            let deferrable = matches!(timer, Timer::Handshake | Timer::Reply) && !armed.deferred;
            if deferrable && late >= armed.length / LATE_FRACTION && late > Duration::ZERO {
                *slot = Some(Armed {
                    deadline: now + armed.length,
                    length: armed.length,
                    deferred: true,
                });
                continue;
            }
            return Some(timer);
        }
    }
}

/// A deadline timer counts as late once it fires a quarter of its length (or more) after its
/// deadline: far beyond a browser timer's ordinary lateness (a few milliseconds, or up to a
/// second in a hidden tab, against timeouts of seconds), well within a pause of the page.
pub const LATE_FRACTION: u32 = 4;
