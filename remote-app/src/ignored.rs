//! What reached Eos's window and was ignored while it listened for its host's knock: every
//! [`Step::Ignored`](messenger::Step::Ignored) the messenger's observer reports, folded into
//! runs of one reason ("wrong origin ×1000") and bounded, so a flood of window messages costs a
//! counter, not a row each.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use messenger::IgnoreReason;

/// How many runs the log keeps (the oldest go first).
pub const KEPT_RUNS: usize = 20;

/// One run of window messages ignored for the same reason, one after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IgnoredRun {
    /// Why.
    pub reason: IgnoreReason,
    /// How many in a row.
    pub count: u64,
}

/// The ignored window messages, newest run last.
#[derive(Debug, Default, PartialEq)]
pub struct IgnoredLog {
    runs: VecDeque<IgnoredRun>,
    total: u64,
}

/// Shared between the messenger's observer (which writes) and the inspector (which reads).
pub type SharedIgnoredLog = Rc<RefCell<IgnoredLog>>;

impl IgnoredLog {
    /// Adds one ignored message: to the last run when it has the same reason, else as a new run.
    pub fn record(&mut self, reason: IgnoreReason) {
        self.total += 1;
        match self.runs.back_mut() {
            Some(last) if last.reason == reason => last.count += 1,
            _ => {
                if self.runs.len() == KEPT_RUNS {
                    self.runs.pop_front();
                }
                self.runs.push_back(IgnoredRun { reason, count: 1 });
            }
        }
    }

    /// The kept runs, oldest first.
    pub fn runs(&self) -> impl DoubleEndedIterator<Item = &IgnoredRun> {
        self.runs.iter()
    }

    /// How many were ignored in all, including runs no longer kept.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Why a window message was ignored, in plain words.
pub fn plain_reason(reason: IgnoreReason) -> String {
    match reason {
        IgnoreReason::Untrusted => "dispatched by a script, not delivered by the browser".into(),
        IgnoreReason::WrongSource => "from another window than Eos's host".into(),
        IgnoreReason::WrongOrigin => "from another origin than the host's (never read)".into(),
        IgnoreReason::NotAKnock => "from the host's origin, but not a knock".into(),
        IgnoreReason::Undeserializable => "a message the browser could not read".into(),
        IgnoreReason::AfterListening => "a knock after Eos had accepted one".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_reason_fold_and_the_log_stays_bounded() {
        let mut log = IgnoredLog::default();
        for _ in 0..1000 {
            log.record(IgnoreReason::WrongOrigin);
        }
        log.record(IgnoreReason::WrongSource);
        log.record(IgnoreReason::WrongOrigin);
        let runs: Vec<_> = log.runs().map(|run| (run.reason, run.count)).collect();
        assert_eq!(
            runs,
            [
                (IgnoreReason::WrongOrigin, 1000),
                (IgnoreReason::WrongSource, 1),
                (IgnoreReason::WrongOrigin, 1)
            ]
        );
        for i in 0..100 {
            log.record(if i % 2 == 0 {
                IgnoreReason::Untrusted
            } else {
                IgnoreReason::NotAKnock
            });
        }
        assert_eq!(log.runs().count(), KEPT_RUNS);
        assert_eq!(log.total(), 1102);
    }
}
