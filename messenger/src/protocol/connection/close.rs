//! Timeouts, failure and close: how a session ends, and what it fails on the way.

use super::super::trace::{HandshakeState, Step};
use super::super::{IgnoreReason, Instant, PortId, Timer};
use super::{Action, Connection, Event, State, Turn, Waiter};
use crate::{CloseReason, Error, Stage};

impl<P> Connection<P> {
    /// Fires every timer whose deadline is `<= now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::Handshake => {
                    let stage = match self.state {
                        State::AwaitingAcknowledgement { .. } => Stage::Acknowledgement,
                        _ => Stage::Handshake,
                    };
                    self.fail(Error::TimedOut(stage), now);
                }
                Timer::Reply => self.fail(Error::TimedOut(Stage::Reply), now),
                Timer::Knock => {
                    if matches!(self.state, State::Knocking { .. }) {
                        self.knock_all(now);
                    }
                }
            }
        }
    }

    /// Records that the web layer ignored a window message by rule (for the observer only).
    pub fn ignore(&mut self, reason: IgnoreReason, now: Instant) {
        self.observe(now, Step::Ignored { reason });
    }

    /// Closes the session from this side ([`Error::Closed`]). Closing twice is harmless.
    pub fn close(&mut self, now: Instant) {
        self.fail(Error::Closed, now);
    }

    /// Ends the session with `error`: every wait fails, every port closes, listening stops.
    /// Does nothing when already closed (the first error is the one reported).
    ///
    /// The core fails by itself on what it sees (violations, timeouts); this is for what only
    /// the web layer sees: a payload that does not decode, a post the browser refused.
    pub fn fail(&mut self, error: Error, now: Instant) {
        if self.closed_with().is_some() {
            return;
        }
        // The peer hears why, on the current channel, before its ports close below.
        if let (true, Some(via), Some(reason)) = (
            self.peer_takes_notices,
            self.current_channel(),
            CloseReason::telling(&error),
        ) {
            self.actions.push_back(Action::PostCloseNotice {
                via,
                reason: reason.code(),
            });
        }
        let previous = std::mem::replace(&mut self.state, State::Closed(error.clone()));
        if matches!(previous, State::Listening) {
            // Only a listener that never accepted a knock still has its window listeners.
            self.actions.push_back(Action::StopListening);
        }
        if let State::Connected(Turn::Theirs { waiter, .. }) = previous {
            self.events.push_back(Event::Failed {
                waiter,
                error: error.clone(),
                unsent: None,
            });
        }
        while let Some(queued) = self.queue.pop_front() {
            self.events.push_back(Event::Failed {
                waiter: Waiter::Send(queued.id),
                error: error.clone(),
                unsent: Some(queued.payload),
            });
        }
        let channels: Vec<PortId> = self.listening_on_interrupts.keys().copied().collect();
        for channel in channels {
            self.end_interrupt(channel, Some(error.clone()), now);
        }
        // Held interrupt ports close below with every other port; the observer must hear it, as
        // it does on a release, or it would show these channels open for ever.
        for (channel, _) in std::mem::take(&mut self.held_interrupts) {
            self.observe(now, Step::InterruptClosed { channel });
        }
        let ports: Vec<PortId> = self.open_ports.keys().copied().collect();
        ports.into_iter().for_each(|p| self.close_port(p));
        self.timers.stop_all();
        self.observe(now, Step::Failed(error.clone()));
        self.observe(now, Step::Handshake(HandshakeState::Closed));
        self.events.push_back(Event::Closed(error));
    }
}
