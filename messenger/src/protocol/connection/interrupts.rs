//! Interrupt channels: receiving (with their bounds), emitting and closing.

use std::time::Duration;

use super::super::trace::{Direction, Step};
use super::super::{IgnoreReason, Instant, InterruptKind, Limits, PortId, MAX_BINARY_BYTES};
use super::{Action, Connection, Event};
use crate::{Error, Overload};

/// How long an interrupt-rate window lasts.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// An interrupt channel this side listens on, with what its bounds count.
#[derive(Debug, Clone, Copy)]
pub(super) struct Inbound {
    kind: InterruptKind,
    /// Delivered as [`Event::Interrupt`] and not yet reported taken.
    pending: usize,
    /// The binary bytes of those.
    pending_binary: usize,
    /// Start of the current rate window and the interrupts counted in it.
    window: Option<(Instant, u32)>,
}

impl Inbound {
    pub(super) fn new(kind: InterruptKind) -> Self {
        Inbound {
            kind,
            pending: 0,
            pending_binary: 0,
            window: None,
        }
    }

    /// Counts one more arriving interrupt, of `binary_bytes` bytes of binary data, or names the
    /// bound it passes.
    fn admit(&mut self, limits: &Limits, binary_bytes: usize, now: Instant) -> Result<(), Overload> {
        let (start, count) = match self.window {
            Some((start, count)) if now < start + RATE_WINDOW => (start, count + 1),
            _ => (now, 1),
        };
        self.window = Some((start, count));
        if count > limits.max_interrupts_per_second {
            return Err(Overload::InterruptRate {
                limit: limits.max_interrupts_per_second,
            });
        }
        if self.pending >= limits.max_pending_interrupts {
            return Err(Overload::PendingInterrupts {
                limit: limits.max_pending_interrupts,
            });
        }
        let pending_binary = self.pending_binary.saturating_add(binary_bytes);
        if pending_binary > limits.max_binary_bytes.min(MAX_BINARY_BYTES) {
            return Err(Overload::PendingBinary {
                limit: limits.max_binary_bytes.min(MAX_BINARY_BYTES),
            });
        }
        self.pending += 1;
        self.pending_binary = pending_binary;
        Ok(())
    }
}

impl<P> Connection<P> {
    /// An interrupt's payload arrived on interrupt channel `on`, carrying `binary_bytes` bytes of
    /// binary data (the web layer measures the payload against the [`Limits`] on arrival; one
    /// that passes them goes to [`Connection::refuse_interrupt`] instead).
    ///
    /// The channel's bounds ([`Limits::max_interrupts_per_second`],
    /// [`Limits::max_pending_interrupts`], and [`Limits::max_binary_bytes`] for the binary data
    /// of all its interrupts not yet taken) are judged first: an interrupt past one ends the
    /// channel with [`Error::Overloaded`] instead of being delivered.
    pub fn handle_interrupt(&mut self, on: PortId, payload: P, binary_bytes: usize, now: Instant) {
        let limits = self.limits;
        let Some(inbound) = self.listening_on_interrupts.get_mut(&on) else {
            self.observe(
                now,
                Step::Ignored {
                    reason: IgnoreReason::ClosedInterruptChannel,
                },
            );
            return;
        };
        let kind = inbound.kind;
        if let Err(overload) = inbound.admit(&limits, binary_bytes, now) {
            self.end_interrupt(on, Some(Error::Overloaded(overload)), now);
            return;
        }
        self.observe(
            now,
            Step::Interrupt {
                channel: on,
                direction: Direction::Incoming,
            },
        );
        self.events.push_back(Event::Interrupt {
            channel: on,
            payload,
            binary_bytes,
        });
        if kind == InterruptKind::OneTime {
            self.end_interrupt(on, None, now);
        }
    }

    /// The application took one interrupt of `channel`, of `binary_bytes` bytes of binary data
    /// (the web layer reports it when the stream hands one out), making room under
    /// [`Limits::max_pending_interrupts`] and [`Limits::max_binary_bytes`].
    pub fn interrupt_taken(&mut self, channel: PortId, binary_bytes: usize) {
        if let Some(inbound) = self.listening_on_interrupts.get_mut(&channel) {
            inbound.pending = inbound.pending.saturating_sub(1);
            inbound.pending_binary = inbound.pending_binary.saturating_sub(binary_bytes);
        }
    }

    /// An interrupt arrived on channel `on` that the web layer refused on arrival (a payload
    /// past the [`Limits`]: [`Error::TooLarge`], [`Error::BinaryTooLarge`], ...): the channel
    /// ends with that error, which the application hears once; the session goes on.
    pub fn refuse_interrupt(&mut self, on: PortId, error: Error, now: Instant) {
        match self.listening_on_interrupts.contains_key(&on) {
            true => self.end_interrupt(on, Some(error), now),
            false => self.observe(
                now,
                Step::Ignored {
                    reason: IgnoreReason::ClosedInterruptChannel,
                },
            ),
        }
    }

    /// Closes an interrupt channel this side listens on (the application dropped its receiver).
    pub fn close_interrupt(&mut self, channel: PortId, now: Instant) {
        if self.listening_on_interrupts.contains_key(&channel) {
            self.end_interrupt(channel, Some(Error::Closed), now);
        }
    }

    /// Emits an interrupt on a held interrupt port (the side that received it with a message).
    pub fn emit_interrupt(&mut self, via: PortId, payload: P, now: Instant) -> Result<(), Error> {
        if let Some(error) = self.closed_with() {
            return Err(error.clone());
        }
        match self.held_interrupts.get(&via).copied() {
            None if self.open_ports.contains_key(&via) => Err(Error::Closed),
            None => Err(Error::InterruptSpent),
            Some(kind) => {
                self.actions.push_back(Action::PostInterrupt { via, payload });
                self.observe(
                    now,
                    Step::Interrupt {
                        channel: via,
                        direction: Direction::Outgoing,
                    },
                );
                if kind == InterruptKind::OneTime {
                    self.held_interrupts.remove(&via);
                    self.close_port(via);
                    self.observe(now, Step::InterruptClosed { channel: via });
                }
                Ok(())
            }
        }
    }

    /// Gives up a held interrupt port (the application dropped its sender).
    pub fn release_interrupt(&mut self, via: PortId, now: Instant) {
        if self.held_interrupts.remove(&via).is_some() {
            self.close_port(via);
            self.observe(now, Step::InterruptClosed { channel: via });
        }
    }

    /// Ends a channel this side listens on: its port closes and the application hears why.
    pub(super) fn end_interrupt(&mut self, channel: PortId, error: Option<Error>, now: Instant) {
        if self.listening_on_interrupts.remove(&channel).is_some() {
            self.close_port(channel);
            self.observe(now, Step::InterruptClosed { channel });
            self.events.push_back(Event::InterruptEnded { channel, error });
        }
    }
}
