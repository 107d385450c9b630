//! The handshake and all its transitions: knocking (again, with fresh channels), a listener
//! taking a knock (👋, answered with 🤝), the knocker taking the answer (🤝), the knocker's
//! acknowledgement (👂) and the listener taking it.

use std::collections::VecDeque;
use std::time::Duration;

use super::super::gate::Admission;
use super::super::trace::{Direction, HandshakeState, MessageKind, Step};
use super::super::wire::{HandshakeStep, KnockCheck, WireObject, VERSION_NUMBER, VERSION_REASON};
use super::super::{IgnoreReason, Instant, PortId, TargetId, Timer};
use super::{Action, Body, Connection, Event, State, Turn, Waiter};
use crate::{Error, Violation};

/// How long a knocker that starts fast ([`Timing::first_knock_interval`](super::Timing)) knocks
/// at its steady `knock_interval` before it backs off further: the default handshake (10 s) ends
/// before that, and a remote that has not listened for this long is not about to.
pub const PATIENT_AFTER: Duration = Duration::from_secs(10);

/// The longest knock interval of a long-unanswered knocker, in steady intervals: 5 × 200 ms,
/// one knock a second with the default timing (60 a minute instead of 300), so a remote that
/// starts very late is still found within a second.
pub const PATIENT_FACTOR: u32 = 5;

impl<P> Connection<P> {
    /// A window (or worker) message as the gate ([`admit`](super::super::gate::admit)) judged it, seen by a listener.
    /// Returns how it counted; only a valid knock while listening changes the state (🤝). A
    /// message whose sender the gate refused is only observed and counts as no knock.
    pub fn handle_knock(&mut self, admission: Admission<P>, now: Instant) -> KnockCheck {
        let (message, check) = match admission {
            Admission::Ignore { reason, message: None } => {
                self.observe(now, Step::Ignored { reason });
                return KnockCheck::NotAKnock;
            }
            Admission::Ignore {
                message: Some(message), ..
            } => (message, KnockCheck::NotAKnock),
            Admission::Invalid { violation, message } => (message, KnockCheck::Invalid(violation)),
            Admission::Knock { port, message } => (message, KnockCheck::Valid(port)),
        };
        if !matches!(self.state, State::Listening) {
            // Listening already ended; the web layer removes its listeners at that moment, so
            // this is a message that was queued behind the accepted knock.
            self.reject(&message, None, now);
            self.observe(
                now,
                Step::Ignored {
                    reason: IgnoreReason::AfterListening,
                },
            );
            return KnockCheck::NotAKnock;
        }
        match check {
            KnockCheck::NotAKnock => {
                self.reject(&message, None, now);
                self.observe(
                    now,
                    Step::Ignored {
                        reason: IgnoreReason::NotAKnock,
                    },
                );
            }
            KnockCheck::Invalid(violation) => match message.other_version() {
                Some(theirs) => self.refuse_version(&message, theirs, now),
                None => self.reject(&message, Some(violation), now),
            },
            KnockCheck::Valid(knock_port) => {
                self.peer_takes_notices = message.close_notice;
                self.peer_takes_binary = message.binary;
                self.observe_message(now, Direction::Incoming, MessageKind::Knock);
                self.actions.push_back(Action::StopListening);
                let (on, _) = self.post_on_peer_port(knock_port, Body::Listen, None, None, false);
                self.observe_message(now, Direction::Outgoing, MessageKind::Listen);
                self.state = State::AwaitingAcknowledgement { on };
                self.observe(now, Step::Handshake(HandshakeState::AwaitingAcknowledgement));
            }
        }
        check
    }

    /// The knocker: the listener's answer (🤝) on one of its open knock channels.
    pub(super) fn handle_listen(&mut self, message: WireObject<P>, now: Instant) {
        match message.check_handshake(HandshakeStep::Listen) {
            Ok(reply_via) => {
                self.peer_takes_notices = message.close_notice;
                self.peer_takes_binary = message.binary;
                self.watch_reply_port(reply_via);
                self.observe_message(now, Direction::Incoming, MessageKind::Listen);
                let knocks = self.take_knock_ports();
                self.state = State::Answered { reply_via };
                // The first valid answer wins: every knock channel, this one included, is done.
                knocks.into_iter().for_each(|p| self.close_port(p));
                // The handshake timer keeps running until the acknowledgement: an
                // application that never finishes the handshake must not wait for ever.
                self.timers.stop(Timer::Knock);
                self.observe(now, Step::Handshake(HandshakeState::Answered));
                self.events.push_back(Event::Answered);
            }
            // Only a `🤝` (an object of the right `$type`) of another version is a peer of
            // another version; any other bad answer is a failed handshake, as for knocks.
            Err(Violation::WrongVersion) if message.other_version().is_some() => {
                let theirs = message.other_version().unwrap_or_default();
                self.refuse_version(&message, theirs, now);
            }
            Err(violation) => self.reject(&message, Some(violation), now),
        }
    }

    /// The listener: the knocker's acknowledgement (👂) on port `on`, after which the listener
    /// speaks first.
    pub(super) fn handle_acknowledgement(&mut self, on: PortId, message: WireObject<P>, now: Instant) {
        match message.check_handshake(HandshakeStep::Acknowledge) {
            Ok(reply_via) => {
                self.observe_message(now, Direction::Incoming, MessageKind::Acknowledge);
                self.close_port(on);
                self.timers.stop(Timer::Handshake);
                self.state = State::Connected(Turn::Ours { reply_via });
                self.watch_reply_port(reply_via);
                self.observe(now, Step::Handshake(HandshakeState::Connected));
                self.events.push_back(Event::Connected);
                self.pump(now);
            }
            Err(violation) => self.reject(&message, Some(violation), now),
        }
    }

    /// A handshake step (a knock, or the answer to one) of another wire version: the peer is
    /// told this side's version with a close notice on the step's port, whatever it announced
    /// (it must not wait for an answer that will not come), and the handshake ends with
    /// [`Error::VersionMismatch`].
    fn refuse_version(&mut self, message: &WireObject<P>, theirs: u32, now: Instant) {
        if let Some(via) = message.response_port.port() {
            self.actions.push_back(Action::PostCloseNotice {
                via,
                reason: VERSION_REASON,
            });
        }
        self.reject(message, None, now);
        self.fail(
            Error::VersionMismatch {
                ours: VERSION_NUMBER,
                theirs,
            },
            now,
        );
    }

    /// The knocker's third part: `👂`, after which the listener's first message is due.
    pub fn acknowledge(&mut self, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Answered { reply_via } => {
                let keep = self.peer_takes_notices;
                let (on, _) = self.post_on_peer_port(reply_via, Body::Acknowledge, None, None, keep);
                self.timers.stop(Timer::Handshake);
                self.observe_message(now, Direction::Outgoing, MessageKind::Acknowledge);
                self.state = State::Connected(Turn::Theirs {
                    on,
                    waiter: Waiter::FirstMessage,
                    since: now,
                    spent: keep.then_some(reply_via),
                });
                if let Some(timeout) = self.timing.reply_timeout {
                    self.timers.set(Timer::Reply, now, timeout);
                }
                self.observe(now, Step::Handshake(HandshakeState::Connected));
                self.events.push_back(Event::Connected);
                Ok(())
            }
            State::Closed(ref error) => Err(error.clone()),
            // The application's misuse, not the peer's: the session goes on, so this is no
            // handshake failure whatever the state.
            _ => Err(Error::ProtocolViolation(Violation::OutOfTurn)),
        }
    }

    /// Knocks on every target with a fresh channel, closes the knock channels that fell out of
    /// the kept window, and arms the next knock (the interval doubling from the first).
    pub(super) fn knock_all(&mut self, now: Instant) {
        self.knock_attempt += 1;
        for target in 0..self.targets {
            let channel = self.allocate_port();
            if let State::Knocking { open } = &mut self.state {
                open.push_back(channel);
            }
            self.actions.push_back(Action::Knock {
                target: TargetId(target),
                channel,
            });
            self.observe(
                now,
                Step::KnockSent {
                    target: TargetId(target),
                    attempt: self.knock_attempt,
                },
            );
            self.observe_message(now, Direction::Outgoing, MessageKind::Knock);
        }
        let keep = self.timing.knocks_kept_open.max(1).saturating_mul(self.targets);
        let mut stale = Vec::new();
        if let State::Knocking { open } = &mut self.state {
            while open.len() > keep {
                stale.extend(open.pop_front());
            }
        }
        for port in stale {
            self.close_port(port);
        }
        // A zero interval would re-arm the timer for `now` itself, and `handle_timeout` (which
        // fires every timer due at `now`) would knock for ever: knock at most once a millisecond.
        let interval = self.next_knock_interval(now);
        self.timers
            .set(Timer::Knock, now, interval.max(Duration::from_millis(1)));
    }

    /// How long after a knock at `now` the next one goes out.
    ///
    /// With [`Timing::first_knock_interval`](super::Timing::first_knock_interval) set: the first
    /// interval doubling after each knock up to `knock_interval` (a young remote is found
    /// early), and once the knocker has gone unanswered for [`PATIENT_AFTER`], the interval grows
    /// by the time past that mark, up to [`PATIENT_FACTOR`] times `knock_interval` (knocks on
    /// time: it doubles after each; the default timing then knocks once a second instead of five
    /// times). Without it: every interval is `knock_interval`, for as long as the knock lasts (a
    /// [`WindowKeeper`](crate::WindowKeeper)'s background knocks, which find a reload).
    fn next_knock_interval(&self, now: Instant) -> Duration {
        let steady = self.timing.knock_interval;
        let Some(first) = self.timing.first_knock_interval else {
            return steady;
        };
        // 2^(attempt - 1) times the first interval, without overflow.
        let doublings = (self.knock_attempt - 1).min(31);
        let young = first.saturating_mul(1u32 << doublings);
        let unanswered = now.saturating_duration_since(self.started);
        let patient = steady
            .saturating_add(unanswered.saturating_sub(PATIENT_AFTER))
            .min(steady.saturating_mul(PATIENT_FACTOR));
        young.min(patient)
    }

    /// The knock channels still open (empty unless knocking), leaving none behind.
    pub(super) fn take_knock_ports(&mut self) -> VecDeque<PortId> {
        match &mut self.state {
            State::Knocking { open } => std::mem::take(open),
            _ => VecDeque::new(),
        }
    }
}
