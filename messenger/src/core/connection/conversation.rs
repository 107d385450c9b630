//! The half-duplex conversation: messages on one-time ports, the turns, and the FIFO send queue.

use super::super::trace::{Direction, HandshakeState, MessageKind, Step};
use super::super::wire::{WireObject, ACKNOWLEDGE, LISTEN};
use super::super::{IgnoreReason, Instant, InterruptKind, PortId, SendId, Timer};
use super::interrupts::Inbound;
use super::{Action, Body, Connection, Event, HeldInterrupt, Queued, State, Turn, Waiter};
use crate::{Error, Overload, SendError, Violation};

impl<P> Connection<P> {
    /// A message that arrived on port `on`.
    pub fn handle_message(&mut self, on: PortId, mut message: WireObject<P>, now: Instant) {
        let carried: Vec<PortId> = message.ports().collect();
        let reject = |this: &mut Self, error: Option<Error>| {
            carried.iter().for_each(|p| this.close_port(*p));
            if let Some(error) = error {
                this.fail(error, now);
            }
        };
        match self.state {
            State::Closed(_) => reject(self, None),
            State::Knocking { ref open } if open.contains(&on) => {
                match message.check_handshake(LISTEN, true) {
                    Ok(reply_via) => {
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
                    Err(violation) => reject(self, Some(Error::HandshakeFailed(violation))),
                }
            }
            State::AwaitingAcknowledgement { on: expected } if expected == on => {
                match message.check_handshake(ACKNOWLEDGE, false) {
                    Ok(reply_via) => {
                        self.observe_message(now, Direction::Incoming, MessageKind::Acknowledge);
                        self.close_port(on);
                        self.timers.stop(Timer::Handshake);
                        self.state = State::Connected(Turn::Ours { reply_via });
                        self.observe(now, Step::Handshake(HandshakeState::Connected));
                        self.events.push_back(Event::Connected);
                        self.pump(now);
                    }
                    Err(violation) => reject(self, Some(Error::HandshakeFailed(violation))),
                }
            }
            State::Connected(Turn::Theirs {
                on: expected,
                waiter,
                since,
            }) if expected == on => match message.check_message() {
                Ok((payload, reply_via, interrupt)) => {
                    let interrupt = interrupt.map(|(port, once)| HeldInterrupt {
                        port,
                        kind: if once {
                            InterruptKind::OneTime
                        } else {
                            InterruptKind::MultiUse
                        },
                    });
                    self.observe_message_with(
                        now,
                        Direction::Incoming,
                        MessageKind::Message,
                        Some(now - since),
                        interrupt.map(|i| i.kind),
                    );
                    self.close_port(on);
                    self.timers.stop(Timer::Reply);
                    self.state = State::Connected(Turn::Ours { reply_via });
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
                Err(violation) => reject(self, Some(Error::ProtocolViolation(violation))),
            },
            State::Connected(Turn::Ours { .. }) if self.open_ports.contains(&on) => {
                reject(self, Some(Error::ProtocolViolation(Violation::OutOfTurn)))
            }
            State::Knocking { .. } | State::Listening => {
                // A port this side no longer listens on; in a browser it cannot deliver, and
                // before a session exists there is nothing to fail.
                reject(self, None);
                self.observe(
                    now,
                    Step::Ignored {
                        reason: IgnoreReason::ClosedKnockPort,
                    },
                );
            }
            _ => {
                let handshake = matches!(
                    self.state,
                    State::Answered { .. } | State::AwaitingAcknowledgement { .. }
                );
                let violation = Violation::UsedPort;
                reject(
                    self,
                    Some(if handshake {
                        Error::HandshakeFailed(violation)
                    } else {
                        Error::ProtocolViolation(violation)
                    }),
                )
            }
        }
    }

    /// The browser could not deserialise a message on port `on`: the ports it carried are lost,
    /// so the session cannot go on when `on` was the current port.
    pub fn handle_message_error(&mut self, on: PortId, now: Instant) {
        if self.listening_on_interrupts.contains_key(&on) {
            self.end_interrupt(on, Some(Error::ProtocolViolation(Violation::Undeserializable)), now);
            return;
        }
        if self.open_ports.contains(&on) && self.closed_with().is_none() {
            let error = match self.state {
                State::Knocking { .. } | State::AwaitingAcknowledgement { .. } => {
                    Error::HandshakeFailed(Violation::Undeserializable)
                }
                _ => Error::ProtocolViolation(Violation::Undeserializable),
            };
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
        let on = self.allocate_port();
        let interrupt = next.interrupt.map(|kind| {
            let channel = self.allocate_port();
            self.listening_on_interrupts.insert(channel, Inbound::new(kind));
            (channel, kind)
        });
        self.actions.push_back(Action::Post {
            via: reply_via,
            reply_channel: on,
            body: Body::Message(next.payload),
            interrupt,
            send: Some(next.id),
        });
        self.close_port(reply_via);
        self.observe_message_with(now, Direction::Outgoing, MessageKind::Message, None, next.interrupt);
        if let Some((channel, kind)) = interrupt {
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
        });
        if let Some(timeout) = self.timing.reply_timeout {
            self.timers.set(Timer::Reply, now + timeout);
        }
    }
}
