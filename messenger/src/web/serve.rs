//! The knocker's handler loop: each incoming message → the handler → its reply.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::StreamExt;
use serde::{de::DeserializeOwned, Serialize};

use super::interrupt::InterruptRequest;
use super::session::{Answered, Messenger, Received};
use crate::{Error, SendError};

/// What a handler answers: the message, optionally an interrupt channel riding along, and
/// whether it is the loop's last.
pub struct Reply<Out> {
    message: Out,
    interrupt: Option<InterruptRequest>,
    last: bool,
}

impl<Out> Reply<Out> {
    /// A reply carrying `message`.
    pub fn new(message: Out) -> Self {
        Reply {
            message,
            interrupt: None,
            last: false,
        }
    }

    /// Attaches an interrupt channel the peer may emit on (see [`InterruptRequest`]).
    pub fn with_interrupt(mut self, request: InterruptRequest) -> Self {
        self.interrupt = Some(request);
        self
    }

    /// Makes this the loop's last reply: the loop ends after posting it and hands the messenger
    /// back ([`LoopEnd::Finished`]).
    pub fn last(mut self) -> Self {
        self.last = true;
        self
    }
}

impl<Out: fmt::Debug> fmt::Debug for Reply<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("message", &self.message)
            .field("interrupt", &self.interrupt)
            .field("last", &self.last)
            .finish()
    }
}

/// The peer's next message, still to come.
pub type NextMessage<Out, In> = Pin<Box<dyn Future<Output = Result<Received<In>, SendError<Out>>>>>;

/// How a handler loop ended without the session failing.
pub enum LoopEnd<Out, In> {
    /// [`Serving::stopper`] was used; the reply that was awaited (if any) will be discarded.
    Stopped(Messenger<Out, In>),
    /// A [`Reply::last`] was posted; `next` resolves with the peer's answer to it.
    Finished {
        /// The session, still open.
        messenger: Messenger<Out, In>,
        /// The answer to the last reply.
        next: NextMessage<Out, In>,
    },
    /// The handler failed and the error handler supplied no reply.
    GaveUp(Messenger<Out, In>),
}

impl<Out, In> fmt::Debug for LoopEnd<Out, In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoopEnd::Stopped(_) => "Stopped",
            LoopEnd::Finished { .. } => "Finished",
            LoopEnd::GaveUp(_) => "GaveUp",
        })
    }
}

type LoopFuture<Out, In> = Pin<Box<dyn Future<Output = Result<LoopEnd<Out, In>, Error>>>>;

/// A running handler loop: a future of how it ended. Dropping it closes the session.
#[must_use = "dropping Serving closes the session; await it"]
pub struct Serving<Out, In> {
    future: LoopFuture<Out, In>,
    stop: mpsc::UnboundedSender<()>,
}

impl<Out, In> Serving<Out, In> {
    /// A handle that stops the loop at its next step (between messages, or while waiting).
    pub fn stopper(&self) -> LoopStopper {
        LoopStopper(self.stop.clone())
    }
}

impl<Out, In> Future for Serving<Out, In> {
    type Output = Result<LoopEnd<Out, In>, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<Out, In> fmt::Debug for Serving<Out, In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serving").finish_non_exhaustive()
    }
}

/// Stops a handler loop; see [`Serving::stopper`].
#[derive(Debug, Clone)]
pub struct LoopStopper(mpsc::UnboundedSender<()>);

impl LoopStopper {
    /// Asks the loop to stop.
    pub fn stop(&self) {
        let _ = self.0.unbounded_send(());
    }
}

impl Answered {
    /// Completes the handshake and serves the listener: every incoming message goes to
    /// `handler`, whose reply is posted on the message's one-time port; the reply's answer is
    /// the next incoming message.
    ///
    /// For a handler that cannot fail. Session failures (closed, timed out, protocol
    /// violations, undecodable messages) end the loop with the error; a [`Reply::last`] or the
    /// [`Serving::stopper`] end it with the messenger handed back ([`LoopEnd`]).
    pub fn serve<Out, In, H, Fut>(self, mut handler: H) -> Serving<Out, In>
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        H: FnMut(Received<In>) -> Fut + 'static,
        Fut: Future<Output = Reply<Out>>,
    {
        self.try_serve(
            move |received| {
                let reply = handler(received);
                async move { Ok::<_, Infallible>(reply.await) }
            },
            |never| match never {},
        )
    }

    /// [`Answered::serve`] for a handler that can fail: when it does, `on_error` may supply the
    /// reply, or end the loop ([`LoopEnd::GaveUp`]) by returning `None`.
    pub fn try_serve<Out, In, H, Fut, E, OnError>(self, mut handler: H, mut on_error: OnError) -> Serving<Out, In>
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        H: FnMut(Received<In>) -> Fut + 'static,
        Fut: Future<Output = Result<Reply<Out>, E>>,
        E: 'static,
        OnError: FnMut(E) -> Option<Reply<Out>> + 'static,
    {
        let (stop, mut stopped) = mpsc::unbounded::<()>();
        let future = async move {
            let (messenger, first) = {
                let finishing = pin!(self.finish_handshake::<Out, In>());
                match select(finishing, stopped.next()).await {
                    Either::Left((finished, _)) => finished?,
                    // Stopped before the first message: there is no messenger to hand back yet.
                    Either::Right(_) => return Err(Error::Closed),
                }
            };
            let mut incoming = first;
            loop {
                let outcome = match select(pin!(handler(incoming)), stopped.next()).await {
                    Either::Left((outcome, _)) => outcome,
                    Either::Right(_) => return Ok(LoopEnd::Stopped(messenger)),
                };
                let reply = match outcome.map_or_else(&mut on_error, Some) {
                    Some(reply) => reply,
                    None => return Ok(LoopEnd::GaveUp(messenger)),
                };
                let next = messenger.send_inner(reply.message, reply.interrupt);
                if reply.last {
                    return Ok(LoopEnd::Finished {
                        messenger,
                        next: Box::pin(next),
                    });
                }
                incoming = match select(pin!(next), stopped.next()).await {
                    Either::Left((received, _)) => received.map_err(SendError::into_error)?,
                    Either::Right(_) => return Ok(LoopEnd::Stopped(messenger)),
                };
            }
        };
        Serving {
            future: Box::pin(future),
            stop,
        }
    }
}
