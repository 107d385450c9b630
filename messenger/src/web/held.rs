//! The steps of a background knock, held back from the observer until the knock is answered.
//!
//! A [`WindowKeeper`](crate::WindowKeeper) knocks on its window every half second for as long as
//! the window is open, and nearly every knock goes unanswered: a running remote listens only until
//! its first knock. An observer shown each of those would be filled with knocks that go nowhere,
//! so a background knock's steps are held ([`Held::until_answered`]) and shown only if the knock
//! is answered, as a short handshake: its start, the latest few knocks (the answered one among
//! them), the answer.

use crate::protocol::{HandshakeState, MessageKind, Observation, Step};

/// How many knock rows of a held knock are shown once it is answered: the messenger keeps that
/// many knock channels open (`Timing::knocks_kept_open`), so the knock answered is among them.
pub(super) const KNOCKS_SHOWN: usize = 4;

/// The steps of one knock: shown at once, or held back until the knock is answered.
///
/// Held, it keeps the handshake's start, everything but knocks and ignored messages, and the
/// latest [`KNOCKS_SHOWN`] knocks; when the answer arrives, all of it is shown and everything
/// after passes straight through. A held knock that fails (it timed out unanswered, or was
/// given up) shows nothing and keeps nothing.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Held {
    live: bool,
    steps: Vec<Observation>,
}

impl Held {
    /// Shows every step at once: the first knock on a window.
    pub(super) fn live() -> Held {
        Held {
            live: true,
            steps: Vec::new(),
        }
    }

    /// Holds every step back until the knock is answered: a knock while a session runs.
    pub(super) fn until_answered() -> Held {
        Held {
            live: false,
            steps: Vec::new(),
        }
    }

    /// Hands `show` what of `observation` to show now: nothing while held, then everything held
    /// so far. A live gate passes the observation straight on, without a copy: once a session
    /// runs, every message's step goes through here.
    pub(super) fn pass(&mut self, observation: &Observation, mut show: impl FnMut(&Observation)) {
        if self.live {
            return show(observation);
        }
        match &observation.step {
            Step::Handshake(HandshakeState::Answered) => {
                self.live = true;
                std::mem::take(&mut self.steps).iter().for_each(&mut show);
                show(observation);
            }
            // Unanswered: nothing happened that the observer needs to know.
            Step::Failed(_) | Step::Handshake(HandshakeState::Closed) => self.steps.clear(),
            // One per knock and per stray message: what a held knock is kept from flooding.
            Step::KnockSent { .. } | Step::Ignored { .. } => {}
            Step::Message {
                kind: MessageKind::Knock,
                ..
            } => {
                if self.steps.iter().filter(|held| is_knock(held)).count() == KNOCKS_SHOWN {
                    if let Some(oldest) = self.steps.iter().position(is_knock) {
                        self.steps.remove(oldest);
                    }
                }
                self.steps.push(observation.clone());
            }
            _ => self.steps.push(observation.clone()),
        }
    }
}

fn is_knock(held: &Observation) -> bool {
    matches!(
        held.step,
        Step::Message {
            kind: MessageKind::Knock,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Direction, IgnoreReason, Instant, TargetId, Timing};
    use crate::{Error, Stage};

    fn at(ms: u64, step: Step) -> Observation {
        Observation {
            at: Instant::from_millis_f64(ms as f64),
            step,
        }
    }

    fn wire(ms: u64, direction: Direction, kind: MessageKind, generation: u64) -> Observation {
        at(
            ms,
            Step::Message {
                direction,
                kind,
                generation,
                reply_after: None,
                interrupt: None,
            },
        )
    }

    /// What the gate shows of `observation`, collected.
    fn shown(gate: &mut Held, observation: &Observation) -> Vec<Observation> {
        let mut shown = Vec::new();
        gate.pass(observation, |passed| shown.push(passed.clone()));
        shown
    }

    fn knock_row(ms: u64) -> Observation {
        wire(ms, Direction::Outgoing, MessageKind::Knock, 0)
    }

    /// A knock answered after `knocks` knocks: what the gate lets through at each step.
    fn answered_after(gate: &mut Held, knocks: u64) -> Vec<Vec<Observation>> {
        let mut steps = vec![at(0, Step::Handshake(HandshakeState::Knocking))];
        for n in 0..knocks {
            steps.push(at(
                n * 500,
                Step::KnockSent {
                    target: TargetId(0),
                    attempt: n as u32 + 1,
                },
            ));
            steps.push(knock_row(n * 500));
        }
        steps.push(wire(knocks * 500, Direction::Incoming, MessageKind::Listen, 1));
        steps.push(at(knocks * 500, Step::Handshake(HandshakeState::Answered)));
        steps.iter().map(|step| shown(gate, step)).collect()
    }

    #[test]
    fn the_knocks_shown_are_the_knock_channels_kept_open() {
        assert_eq!(KNOCKS_SHOWN, Timing::default().knocks_kept_open);
    }

    #[test]
    fn the_first_knock_shows_as_it_goes() {
        let mut gate = Held::live();
        let passed = answered_after(&mut gate, 3);
        assert!(passed.iter().all(|shown| shown.len() == 1), "{passed:?}");
    }

    #[test]
    fn a_held_knock_shows_nothing_until_answered_then_its_handshake() {
        let mut gate = Held::until_answered();
        let passed = answered_after(&mut gate, 1_000);
        let (last, before) = passed.split_last().unwrap();
        assert!(before.iter().all(Vec::is_empty), "shown before the answer");
        let steps: Vec<&Step> = last.iter().map(|shown| &shown.step).collect();
        assert_eq!(steps.len(), 1 + KNOCKS_SHOWN + 2, "{steps:?}");
        assert_eq!(steps[0], &Step::Handshake(HandshakeState::Knocking));
        // The latest knocks, in order; the one answered is among them.
        let knock_times: Vec<f64> = last[1..=KNOCKS_SHOWN].iter().map(|o| o.at.as_millis_f64()).collect();
        assert_eq!(knock_times, [498_000.0, 498_500.0, 499_000.0, 499_500.0]);
        assert!(matches!(
            steps[KNOCKS_SHOWN + 1],
            Step::Message {
                kind: MessageKind::Listen,
                ..
            }
        ));
        assert_eq!(steps[KNOCKS_SHOWN + 2], &Step::Handshake(HandshakeState::Answered));
        // From now on everything passes.
        let acknowledged = wire(1, Direction::Outgoing, MessageKind::Acknowledge, 2);
        assert_eq!(shown(&mut gate, &acknowledged), [acknowledged]);
    }

    #[test]
    fn a_held_knock_that_times_out_shows_nothing() {
        let mut gate = Held::until_answered();
        let mut passed = Vec::new();
        passed.extend(shown(&mut gate, &at(0, Step::Handshake(HandshakeState::Knocking))));
        for n in 0..10 {
            passed.extend(shown(&mut gate, &knock_row(n)));
        }
        passed.extend(shown(
            &mut gate,
            &at(
                11,
                Step::Ignored {
                    reason: IgnoreReason::WrongOrigin,
                },
            ),
        ));
        passed.extend(shown(
            &mut gate,
            &at(12, Step::Failed(Error::TimedOut(Stage::Handshake))),
        ));
        passed.extend(shown(&mut gate, &at(12, Step::Handshake(HandshakeState::Closed))));
        assert!(passed.is_empty(), "{passed:?}");
        assert_eq!(gate, Held::until_answered(), "nothing is kept");
    }
}
