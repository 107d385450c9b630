//! Interrupt channels: one-way side channels from the remote to the host, outside the turns.
//!
//! The receiving side makes an [`InterruptRequest`] together with its receiving half (an
//! [`InterruptStream`] for a multi-use channel, a [`OneTimeInterrupt`] for a one-time one) and
//! sends the request along with a message ([`Messenger::send_with_interrupt`]) or a handler-loop
//! reply ([`Reply::with_interrupt`]). The peer finds an [`InterruptSender`] on the
//! [`Received`] message and keeps it to emit on.
//!
//! [`Messenger::send_with_interrupt`]: super::Messenger::send_with_interrupt
//! [`Reply::with_interrupt`]: super::Reply::with_interrupt
//! [`Received`]: super::Received

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::{ready, Stream};
use serde::{de::DeserializeOwned, Serialize};

use super::codec::decode;
use super::driver::{Delivered, Driver, InterruptSink};
use crate::protocol::{HeldInterrupt, InterruptKind, Limits};
use crate::Error;

/// Set when the request is sent: which session the channel belongs to.
type Binding = Rc<RefCell<Option<(Weak<Driver>, Limits)>>>;

/// The half of an interrupt channel that rides along with a message.
pub struct InterruptRequest {
    kind: InterruptKind,
    sink: InterruptSink,
    binding: Binding,
}

impl InterruptRequest {
    /// A multi-use channel: interrupts arrive on the stream until it is dropped or the session ends.
    pub fn multi_use<I: DeserializeOwned>() -> (Self, InterruptStream<I>) {
        let (request, receiver) = Self::new(InterruptKind::MultiUse);
        (
            request,
            InterruptStream {
                receiver,
                ended: false,
                _type: PhantomData,
            },
        )
    }

    /// A one-time channel: the future resolves with the first interrupt; the port is then closed
    /// and a second emit on the other side fails with [`Error::InterruptSpent`].
    pub fn one_time<I: DeserializeOwned>() -> (Self, OneTimeInterrupt<I>) {
        let (request, receiver) = Self::new(InterruptKind::OneTime);
        (
            request,
            OneTimeInterrupt {
                receiver,
                _type: PhantomData,
            },
        )
    }

    fn new(kind: InterruptKind) -> (Self, ChannelReceiver) {
        let (sink, receiver) = mpsc::unbounded();
        let binding = Binding::default();
        (
            InterruptRequest {
                kind,
                sink,
                binding: binding.clone(),
            },
            ChannelReceiver { receiver, binding },
        )
    }

    /// Which kind of channel this requests.
    pub fn kind(&self) -> InterruptKind {
        self.kind
    }

    pub(crate) fn bind(self, shared: &Rc<Driver>) -> (InterruptSink, InterruptKind) {
        *self.binding.borrow_mut() = Some((Rc::downgrade(shared), shared.limits()));
        (self.sink, self.kind)
    }
}

impl fmt::Debug for InterruptRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptRequest")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The receiving end shared by both kinds; dropping it closes the channel's port at once.
struct ChannelReceiver {
    receiver: mpsc::UnboundedReceiver<Result<Delivered, Error>>,
    binding: Binding,
}

impl ChannelReceiver {
    fn poll_decoded<I: DeserializeOwned>(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<I, Error>>> {
        let item = match ready!(Pin::new(&mut self.receiver).poll_next(cx)) {
            Some(Ok(Delivered {
                channel,
                payload,
                binary_bytes,
            })) => {
                let (shared, limits) = match self.binding.borrow().as_ref() {
                    Some((shared, limits)) => (shared.upgrade(), *limits),
                    None => (None, Limits::default()),
                };
                if let Some(shared) = shared {
                    shared.interrupt_taken(channel, binary_bytes);
                }
                Some(decode(&payload, &limits))
            }
            Some(Err(error)) => Some(Err(error)),
            None => None,
        };
        Poll::Ready(item)
    }

    fn close(&mut self) {
        self.receiver.close();
        let shared = self.binding.borrow().as_ref().and_then(|(shared, _)| shared.upgrade());
        if let Some(shared) = shared {
            shared.sweep_interrupts();
        }
    }
}

impl Drop for ChannelReceiver {
    fn drop(&mut self) {
        self.close();
    }
}

/// The interrupts of a multi-use channel, in the order they were emitted.
///
/// Yields `Err` once if the channel failed (the session closed, or an interrupt did not decode,
/// which closes this channel but not the session), then ends. Dropping it closes the port.
#[must_use = "dropping an InterruptStream closes its channel"]
pub struct InterruptStream<I> {
    receiver: ChannelReceiver,
    ended: bool,
    _type: PhantomData<fn() -> I>,
}

impl<I> InterruptStream<I> {
    /// Closes the channel now; the stream ends.
    pub fn close(&mut self) {
        self.receiver.close();
    }
}

impl<I: DeserializeOwned> Stream for InterruptStream<I> {
    type Item = Result<I, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let item = this.receiver.poll_decoded(cx);
        if let Poll::Ready(Some(Err(_)) | None) = item {
            this.ended = true;
            this.receiver.close();
        }
        item
    }
}

impl<I> fmt::Debug for InterruptStream<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptStream")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// The first (and only) interrupt of a one-time channel.
///
/// Fails if the channel ended without one: with the session's error when it closed, with
/// [`Error::Closed`] when the request was dropped unsent. A peer that drops its sender cannot be
/// noticed (ports have no close event), so the wait then lasts until the session ends.
/// Dropping it closes the port.
#[must_use = "dropping a OneTimeInterrupt closes its channel"]
pub struct OneTimeInterrupt<I> {
    receiver: ChannelReceiver,
    _type: PhantomData<fn() -> I>,
}

impl<I: DeserializeOwned> Future for OneTimeInterrupt<I> {
    type Output = Result<I, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.receiver.poll_decoded(cx).map(|item| {
            this.receiver.close();
            item.unwrap_or(Err(Error::Closed))
        })
    }
}

impl<I> fmt::Debug for OneTimeInterrupt<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeInterrupt").finish_non_exhaustive()
    }
}

/// Gives the port up when the sender goes away.
struct Held {
    shared: Weak<Driver>,
    held: HeldInterrupt,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let port = self.held.port;
            shared.with_core(|core, now| core.release_interrupt(port, now));
        }
    }
}

/// The emitting end of an interrupt channel, typed for its payload `I`.
///
/// Keep it for as long as interrupts may be sent; dropping it closes the port.
#[must_use = "dropping an InterruptSender closes its port"]
pub struct InterruptSender<I> {
    held: Held,
    _type: PhantomData<fn(I)>,
}

impl<I> InterruptSender<I> {
    pub(crate) fn new(shared: Weak<Driver>, held: HeldInterrupt) -> Self {
        InterruptSender {
            held: Held { shared, held },
            _type: PhantomData,
        }
    }

    pub(crate) fn retype<J>(self) -> InterruptSender<J> {
        InterruptSender {
            held: self.held,
            _type: PhantomData,
        }
    }

    /// One-time or multi-use.
    pub fn kind(&self) -> InterruptKind {
        self.held.held.kind
    }
}

impl<I: Serialize> InterruptSender<I> {
    /// Emits one interrupt. Fails with [`Error::InterruptSpent`] on a one-time channel that was
    /// already used, and with the session's error once it has ended.
    pub fn emit(&self, interrupt: &I) -> Result<(), Error> {
        let shared = self.held.shared.upgrade().ok_or(Error::Closed)?;
        let value = shared.encode(interrupt)?;
        let port = self.held.held.port;
        shared.with_core(|core, now| core.emit_interrupt(port, value, now))
    }
}

impl<I> fmt::Debug for InterruptSender<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptSender")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}
