//! The half-duplex conversation: messages on one-time ports, the turns, and the FIFO send queue.

use super::super::trace::{Direction, MessageKind, Step};
use super::super::wire::{CheckedMessage, WireObject};
use super::super::{IgnoreReason, Instant, InterruptKind, PortId, SendId, Timer};
use super::{Body, Connection, Event, Queued, State, Turn, Waiter};
use crate::{Error, Overload, SendError, Violation};

impl<P> Connection<P> {
    /// A message that arrived on port `on`. Routed by the state: the handshake's steps on ports
    /// (🤝 and 👂) are [`handshake`](super::handshake)'s; the turns are this file's.
    pub fn handle_message(&mut self, on: PortId, mut message: WireObject<P>, now: Instant) {
        if let Some(error) = message.check_close_notice() {
            return self.handle_close_notice(on, &message, error, now);
        }
        match self.state {
            State::Closed(_) => self.reject(&message, None, now),
            // The handshake's two steps on ports, owned by its file.
            State::Knocking { ref open } if open.contains(&on) => self.handle_listen(message, now),
            State::AwaitingAcknowledgement { on: expected } if expected == on => {
                self.handle_acknowledgement(on, message, now)
            }
            State::Connected(Turn::Theirs {
                on: expected,
                waiter,
                since,
                spent,
            }) if expected == on => match message.check_message() {
                Ok(CheckedMessage {
                    payload,
                    reply_port,
                    interrupt,
                }) => {
                    self.observe_message_with(
                        now,
                        Direction::Incoming,
                        MessageKind::Message,
                        Some(now - since),
                        interrupt.map(|i| i.kind),
                    );
                    self.close_port(on);
                    if let Some(spent) = spent {
                        // The peer spoke after this side's message reached it: no notice can
                        // come on the older port any more.
                        self.close_port(spent);
                    }
                    self.timers.stop(Timer::Reply);
                    self.state = State::Connected(Turn::Ours { reply_via: reply_port });
                    self.watch_reply_port(reply_port);
                    if let Some(held) = interrupt {
                        self.held_interrupts.insert(held.port, held.kind);
                        self.observe(
                            now,
                            Step::InterruptOpened {
                                channel: held.port,
                                kind: held.kind,
                                direction: Direction::Outgoing,
                            },
                        );
                    }
                    self.events.push_back(Event::Received {
                        waiter,
                        message: payload,
                        interrupt,
                    });
                    self.pump(now);
                }
                Err(violation) => self.reject(&message, Some(violation), now),
            },
            State::Connected(Turn::Ours { .. }) if self.open_ports.contains_key(&on) => {
                self.reject(&message, Some(Violation::OutOfTurn), now)
            }
            State::Knocking { .. } | State::Listening => {
                // A port this side no longer listens on; in a browser it cannot deliver, and
                // before a session exists there is nothing to fail.
                self.reject(&message, None, now);
                self.observe(
                    now,
                    Step::Ignored {
                        reason: IgnoreReason::ClosedKnockPort,
                    },
                );
            }
            _ => self.reject(&message, Some(Violation::UsedPort), now),
        }
    }

    /// A close notice on port `on`: on the current channel (or, while knocking, a knock
    /// channel: a listener of another version answers with one) it ends the session with the
    /// peer's reason, and nothing is told back; anywhere else it is ignored.
    fn handle_close_notice(&mut self, on: PortId, message: &WireObject<P>, error: Error, now: Instant) {
        let current = self.takes_notice_on(on);
        self.reject(message, None, now);
        if current {
            self.fail(error, now);
        }
    }

    /// The browser could not deserialise a message on port `on`: the ports it carried are lost,
    /// so the session cannot go on when `on` was the current port.
    pub fn handle_message_error(&mut self, on: PortId, now: Instant) {
        if self.listening_on_interrupts.contains_key(&on) {
            self.end_interrupt(on, Some(Error::ProtocolViolation(Violation::Undeserializable)), now);
            return;
        }
        if self.open_ports.contains_key(&on) && self.closed_with().is_none() {
            let error = self.violation_error(Violation::Undeserializable);
            self.fail(error, now);
        }
    }

    /// Queues `payload`; it is posted when it is this side's turn, FIFO. Its reply arrives as
    /// [`Event::Received`] with `Waiter::Send(id)`.
    pub fn send(&mut self, payload: P, interrupt: Option<InterruptKind>, now: Instant) -> Result<SendId, SendError<P>> {
        if let Some(error) = self.closed_with() {
            return Err(SendError {
                error: error.clone(),
                unsent: Some(payload),
            });
        }
        if self.queue.len() >= self.limits.max_queued_sends {
            return Err(SendError {
                error: Error::Overloaded(Overload::QueuedSends {
                    limit: self.limits.max_queued_sends,
                }),
                unsent: Some(payload),
            });
        }
        self.next_send += 1;
        let id = SendId(self.next_send);
        self.queue.push_back(Queued { id, payload, interrupt });
        self.pump(now);
        Ok(id)
    }

    /// Posts the next queued send if it is this side's turn.
    pub(super) fn pump(&mut self, now: Instant) {
        let State::Connected(Turn::Ours { reply_via }) = self.state else {
            return;
        };
        let Some(next) = self.queue.pop_front() else { return };
        let keep = self.peer_takes_notices;
        let (on, interrupt_channel) = self.post_on_peer_port(
            reply_via,
            Body::Message(next.payload),
            next.interrupt,
            Some(next.id),
            keep,
        );
        self.observe_message_with(now, Direction::Outgoing, MessageKind::Message, None, next.interrupt);
        if let Some((channel, kind)) = interrupt_channel {
            self.observe(
                now,
                Step::InterruptOpened {
                    channel,
                    kind,
                    direction: Direction::Incoming,
                },
            );
        }
        self.state = State::Connected(Turn::Theirs {
            on,
            waiter: Waiter::Send(next.id),
            since: now,
            spent: keep.then_some(reply_via),
        });
        if let Some(timeout) = self.timing.reply_timeout {
            self.timers.set(Timer::Reply, now, timeout);
        }
    }
}
