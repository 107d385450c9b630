//! The public session handles: [`knock`], [`listen`], [`Answered`], [`Messenger`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::{Rc, Weak};

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;

use super::codec::decode;
use super::driver::{Delivery, Driver, WaitFailure};
use super::encode::Payload;
use super::interrupt::{InterruptRequest, InterruptSender};
use super::{Config, Source, Target};
use crate::protocol::{HandshakeState, HeldInterrupt};
use crate::{Error, SendError};

/// Knocks on `targets` until one answers: the first step of the handshake, for the knocker.
///
/// Knocking starts at once and repeats every knock interval with a fresh channel (a knock that
/// reaches the remote before its listener exists is lost). The future resolves with the
/// [`Answered`] session when a listener answered; its [`Answered::finish_handshake`] or
/// [`Answered::serve`] sends the third part. Dropping the future stops knocking and closes
/// every port. In a page, the page's `pagehide` ends the knock and its session with
/// [`Error::PageHidden`]; to connect again after the back/forward cache (and on the iframe's
/// reloads, moves and removal), use a [`Reconnector`](crate::Reconnector) or a
/// [`WindowKeeper`](crate::WindowKeeper).
pub fn knock(config: Config, targets: Vec<Target>) -> impl Future<Output = Result<Answered, Error>> {
    knock_closable(config, targets).1
}

/// [`knock`], with a [`Closer`] that can end the knock while it is unanswered, with the error
/// the keeper chooses ([`WindowKeeper`](crate::WindowKeeper): the window was closed). `None` when
/// the knock could not start; the future then resolves with why.
pub(crate) fn knock_closable(
    config: Config,
    targets: Vec<Target>,
) -> (Option<Closer>, impl Future<Output = Result<Answered, Error>>) {
    let started = Driver::knock(config, targets);
    let closer = started
        .as_ref()
        .ok()
        .map(|started| Closer(Rc::downgrade(started.driver())));
    let unfinished = Unfinished::of(&started);
    let knocked = async move {
        let shared = started?.handshake_done().await?;
        unfinished.handed_on();
        Ok(Answered { shared })
    };
    (closer, knocked)
}

/// Waits for a knock from `source` and completes the handshake: the listener's side.
///
/// The temporary window (or worker) listeners are installed at once and removed the moment a
/// valid knock arrives, on timeout, or when the future is dropped. Resolves with a connected
/// [`Messenger`] whose turn it is: the listener speaks first.
///
/// In a page, the session (and a listen still waiting for its knock) ends with
/// [`Error::PageHidden`] on the page's `pagehide`, telling the knocker. A page that can come
/// back from the back/forward cache listens again itself when it is shown (`pageshow` with
/// `persisted`): its host's [`Reconnector`](crate::Reconnector) or
/// [`WindowKeeper`](crate::WindowKeeper) knocks again then. `messenger_yew::use_listen` does
/// this; with `listen` alone, keep a [`PageRestored`](crate::PageRestored) that listens again.
pub fn listen<Out, In>(config: Config, source: Source) -> impl Future<Output = Result<Messenger<Out, In>, Error>> {
    let started = Driver::listen(config, source);
    let unfinished = Unfinished::of(&started);
    async move {
        let shared = started?.handshake_done().await?;
        unfinished.handed_on();
        Ok(Messenger::new(shared))
    }
}

/// Ends a session whose [`knock`] or [`listen`] future is dropped before it handed the session
/// on, with [`Error::Closed`], so that a peer already in the handshake hears of it (a close
/// notice, when it takes them) at once instead of waiting out its own timeout. Without it the
/// session would just be dropped, its ports closed silently. Held by the future from its
/// creation, so a future dropped unpolled is covered too.
struct Unfinished(Option<Rc<Driver>>);

impl Unfinished {
    fn of(started: &Result<super::driver::Started, Error>) -> Self {
        Unfinished(started.as_ref().ok().map(|started| started.driver().clone()))
    }

    /// The session was handed on (to an [`Answered`] or a [`Messenger`], which own it now).
    fn handed_on(mut self) {
        self.0 = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        // A no-op for a session that already ended (a failed handshake).
        if let Some(shared) = self.0.take() {
            shared.fail(Error::Closed);
        }
    }
}

/// A knocker whose knock was answered; the third part of the handshake is still due.
#[must_use = "dropping Answered closes the session before it is acknowledged"]
pub struct Answered {
    pub(crate) shared: Rc<Driver>,
}

impl Answered {
    /// Sends the acknowledgement and waits for the listener's first message.
    pub async fn finish_handshake<Out, In: DeserializeOwned>(
        self,
    ) -> Result<(Messenger<Out, In>, Received<In>), Error> {
        let first = self.shared.acknowledge()?;
        let messenger = Messenger::new(self.shared.clone());
        let receiver = Receiver::of(&self.shared);
        let received = receiver.receive(first).await.map_err(|failure| failure.error)?;
        Ok((messenger, received))
    }

    /// A handle that can close this session from elsewhere (a UI button, a reconnect).
    pub fn closer(&self) -> Closer {
        Closer(Rc::downgrade(&self.shared))
    }
}

impl Drop for Answered {
    fn drop(&mut self) {
        // Only the `Answered` itself owns the session here; a messenger made from it has its own
        // clone of the `Rc` and is unaffected.
        if Rc::strong_count(&self.shared) == 1 {
            self.shared.fail(Error::Closed);
        }
    }
}

impl fmt::Debug for Answered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answered").finish_non_exhaustive()
    }
}

/// An incoming application message, with the interrupt port that rode along, if any.
pub struct Received<In> {
    /// The decoded message.
    pub message: In,
    interrupt: Option<InterruptSender<JsValue>>,
}

impl<In> Received<In> {
    /// Takes the interrupt channel the peer attached, typed for the interrupts it expects.
    /// Keep the sender as long as interrupts may be emitted; dropping it closes the port.
    pub fn take_interrupt<I: Serialize>(&mut self) -> Option<InterruptSender<I>> {
        self.interrupt.take().map(InterruptSender::retype)
    }

    /// Whether an interrupt channel came with the message.
    pub fn has_interrupt(&self) -> bool {
        self.interrupt.is_some()
    }

    /// The message, giving up any interrupt channel.
    pub fn into_message(self) -> In {
        self.message
    }
}

impl<In: fmt::Debug> fmt::Debug for Received<In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("message", &self.message)
            .field("interrupt", &self.interrupt.as_ref().map(|i| i.kind()))
            .finish()
    }
}

/// A snapshot of a session for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Where the handshake is.
    pub state: HandshakeState,
    /// Why the session ended, once it has.
    pub closed_with: Option<Error>,
    /// How many ports the session holds open.
    pub open_ports: usize,
}

/// A connected, half-duplex session: `Out` is what this side sends, `In` what it receives.
///
/// Every [`Messenger::send`] queues (FIFO) and resolves with the peer's next message; the queue
/// goes out one message per turn, each on the peer's one-time reply port and carrying a fresh
/// one for the answer. Dropping the messenger closes the session.
#[must_use = "dropping a Messenger closes the session"]
pub struct Messenger<Out, In> {
    shared: Rc<Driver>,
    _types: PhantomData<fn(Out) -> In>,
}

impl<Out, In> Messenger<Out, In> {
    fn new(shared: Rc<Driver>) -> Self {
        Messenger {
            shared,
            _types: PhantomData,
        }
    }

    /// Closes the session: pending sends and interrupt waits fail with [`Error::Closed`], every
    /// port is closed and every listener removed. Closing twice is harmless.
    pub fn close(&self) {
        self.shared.fail(Error::Closed);
    }

    /// A handle that can close this session from elsewhere without owning it.
    pub fn closer(&self) -> Closer {
        Closer(Rc::downgrade(&self.shared))
    }

    /// Resolves when the session ends, with the reason.
    pub fn closed(&self) -> impl Future<Output = Error> + 'static {
        let closed = self.shared.closed();
        async move { closed.await.unwrap_or(Error::Closed) }
    }

    /// The session's state for display.
    pub fn status(&self) -> Status {
        Status {
            state: self.shared.handshake_state(),
            closed_with: self.shared.closed_with(),
            open_ports: self.shared.open_port_count(),
        }
    }

    /// Sends a raw JavaScript value (the escape hatch: no encoding, no limits); resolves with the
    /// peer's next message, also raw.
    pub fn send_raw(&self, message: JsValue) -> impl Future<Output = Result<JsValue, Error>> + 'static {
        let reply = self.shared.send(Payload::plain(message), None);
        async move {
            match reply.await {
                Ok(Ok(delivery)) => Ok(delivery.message),
                Ok(Err(failure)) => Err(failure.error),
                Err(_) => Err(Error::Closed),
            }
        }
    }
}

impl<Out: Serialize + 'static, In: DeserializeOwned + 'static> Messenger<Out, In> {
    /// Queues `message`; resolves with the peer's reply. On failure the message is handed back
    /// when it never left this side. A reply that does not decode fails the session.
    pub fn send(&self, message: Out) -> impl Future<Output = Result<Received<In>, SendError<Out>>> + 'static {
        self.send_inner(message, None)
    }

    /// Like [`Messenger::send`], with an interrupt channel riding along (see [`InterruptRequest`]).
    pub fn send_with_interrupt(
        &self,
        message: Out,
        interrupt: InterruptRequest,
    ) -> impl Future<Output = Result<Received<In>, SendError<Out>>> + 'static {
        self.send_inner(message, Some(interrupt))
    }

    /// Sends `message` as this side's last word: nothing waits for the peer's answer, which is
    /// dropped when it comes (with any interrupt port it carries). The session stays open, its
    /// interrupt channels included, until it is closed or dropped; a later [`Messenger::send`]
    /// still works and goes out once that answer has handed the turn back.
    ///
    /// It is the listener's counterpart of the knocker's [`Reply::last`](super::Reply::last): a
    /// side that has said all it will ask, but keeps the session for the interrupts it emits or
    /// receives. Fails at once, handing the message back, when it cannot be encoded or queued
    /// (the session ended, or too many sends wait); a failure after it was queued ends the
    /// session, which [`Messenger::closed`] reports.
    ///
    /// ```no_run
    /// # async fn example(messenger: messenger::Messenger<String, String>) -> Result<(), messenger::Error> {
    /// messenger.send_last("done".to_owned())?;
    /// // Keep the session (say, for its interrupt channels) until it ends.
    /// let why = messenger.closed().await;
    /// # Ok(()) }
    /// ```
    pub fn send_last(&self, message: Out) -> Result<(), SendError<Out>> {
        let value = match self.shared.encode(&message) {
            Ok(value) => value,
            Err(error) => {
                return Err(SendError {
                    error,
                    unsent: Some(message),
                })
            }
        };
        // The reply's receiver is dropped here, so the answer finds nobody waiting and is let go.
        let mut reply = self.shared.send(value, None);
        match reply.try_recv() {
            Ok(Some(Err(failure))) if failure.never_posted => Err(SendError {
                error: failure.error,
                unsent: Some(message),
            }),
            Ok(Some(Err(failure))) => Err(SendError {
                error: failure.error,
                unsent: None,
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn send_inner(
        &self,
        message: Out,
        interrupt: Option<InterruptRequest>,
    ) -> impl Future<Output = Result<Received<In>, SendError<Out>>> + 'static {
        let encoded = self.shared.encode(&message);
        let queued = encoded.map(|value| {
            let sink = interrupt.map(|request| request.bind(&self.shared));
            self.shared.send(value, sink)
        });
        let receiver = Receiver::of(&self.shared);
        async move {
            let reply = match queued {
                Ok(reply) => reply,
                Err(error) => {
                    return Err(SendError {
                        error,
                        unsent: Some(message),
                    })
                }
            };
            receiver.receive(reply).await.map_err(|failure| SendError {
                error: failure.error,
                unsent: failure.never_posted.then_some(message),
            })
        }
    }
}

/// Decodes a delivery without keeping the session alive.
struct Receiver {
    shared: Weak<Driver>,
    limits: crate::Limits,
}

impl Receiver {
    fn of(shared: &Rc<Driver>) -> Self {
        Receiver {
            shared: Rc::downgrade(shared),
            limits: shared.limits(),
        }
    }

    async fn receive<In: DeserializeOwned>(
        self,
        reply: futures::channel::oneshot::Receiver<Result<Delivery, WaitFailure>>,
    ) -> Result<Received<In>, WaitFailure> {
        let delivery = reply.await.unwrap_or(Err(WaitFailure {
            error: Error::Closed,
            never_posted: false,
        }))?;
        let interrupt = delivery
            .interrupt
            .map(|held: HeldInterrupt| InterruptSender::new(self.shared.clone(), held));
        match decode::<In>(&delivery.message, &self.limits) {
            Ok(message) => Ok(Received { message, interrupt }),
            Err(error) => {
                // Fails closed: an undecodable message ends the session.
                if let Some(shared) = self.shared.upgrade() {
                    shared.fail(error.clone());
                }
                Err(WaitFailure {
                    error,
                    never_posted: false,
                })
            }
        }
    }
}

impl<Out, In> Drop for Messenger<Out, In> {
    fn drop(&mut self) {
        self.shared.fail(Error::Closed);
    }
}

impl<Out, In> fmt::Debug for Messenger<Out, In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messenger")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// A weak handle that closes a session without keeping it alive.
#[derive(Clone)]
pub struct Closer(pub(crate) Weak<Driver>);

impl Closer {
    /// Closes the session with [`Error::Closed`] if it still exists.
    pub fn close(&self) {
        self.close_with(Error::Closed);
    }

    /// Ends the session because this side's application refused the peer's last message, which
    /// decoded but means nothing here (a reply of the wrong kind for its request, say): pending
    /// sends and interrupt waits fail with [`Error::DecodeFailed`]`(why)`, and a peer that takes
    /// close notices hears `refused` at once ([`CloseReason::Refused`](crate::CloseReason)),
    /// as when the messenger itself refuses a message.
    pub fn refuse(&self, why: impl Into<String>) {
        self.close_with(Error::DecodeFailed(why.into()));
    }

    pub(crate) fn close_with(&self, error: Error) {
        if let Some(shared) = self.0.upgrade() {
            shared.fail(error);
        }
    }

    /// Whether the session still exists and has not ended.
    pub fn is_open(&self) -> bool {
        self.0.upgrade().is_some_and(|shared| shared.closed_with().is_none())
    }
}

impl fmt::Debug for Closer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closer").field("open", &self.is_open()).finish()
    }
}
