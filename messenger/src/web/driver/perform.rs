//! Performing the core's outputs: its actions on the browser, its events to the waiting handles.

use crate::web::encode::Payload;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessagePort;

use super::{Delivered, Delivery, Driver, WaitFailure};
use crate::protocol::{Action, Event, InterruptKind, PortId, Waiter};
use crate::web::codec::{self, js_error_text};
use crate::web::ports::{new_channel, Carries, PortSlot};
use crate::web::Target;
use crate::Error;

pub(super) fn perform(shared: &Rc<Driver>, action: Action<Payload>) -> Result<(), Error> {
    let browser = |e: JsValue| Error::Browser(js_error_text(&e));
    match action {
        Action::Knock { target, channel } => {
            let given = open_channel(shared, channel, Carries::Messages)?;
            let knock = codec::knock_object(&given);
            let target = shared.inner.borrow().targets.get(target.0).cloned();
            let transfer = Array::of1(&given);
            match target {
                Some(Target::Window(window)) => window
                    .post_message_with_transfer(&knock, shared.config_origin.as_str(), &transfer)
                    .map_err(browser),
                Some(Target::Worker(worker)) => worker.post_message_with_transfer(&knock, &transfer).map_err(browser),
                Some(Target::WorkerScope) => js_sys::global()
                    .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
                    .map_err(|_| Error::Unsupported("not inside a dedicated worker"))?
                    .post_message_with_transfer(&knock, &transfer)
                    .map_err(browser),
                None => Err(Error::Unsupported("no such knock target")),
            }
        }
        Action::Post {
            via,
            reply_channel,
            body,
            interrupt,
            send,
        } => {
            let Some(via) = port(shared, via) else {
                return Err(Error::Closed);
            };
            // Both channels are listened on only after the post: no event of theirs can run
            // before this task ends, and a port queues what arrives until it is started, so
            // nothing is lost, and the six calls that set up listening are off the way of the
            // reply.
            let reply = new_channel()?;
            let (reply_kept, reply_given) = (reply.port1(), reply.port2());
            // (channel, the port kept, the port given, one-time)
            let interrupt_ports = match interrupt {
                Some((channel, kind)) => {
                    let made = new_channel().inspect_err(|_| reply_kept.close())?;
                    let now = shared.now();
                    let mut inner = shared.inner.borrow_mut();
                    match send.and_then(|id| inner.unbound_sinks.remove(&id)) {
                        Some((sink, _)) if !sink.is_closed() => {
                            inner.sinks.insert(channel, sink);
                        }
                        _ => {
                            // The receiving half was dropped while the send was queued (the sweep
                            // then discarded its sink): nobody will ever listen here, so the
                            // channel is closed as soon as it exists. The core queues the
                            // `ClosePort`, which this same drive performs after the post.
                            inner.core.close_interrupt(channel, now);
                        }
                    }
                    Some((channel, made.port1(), made.port2(), kind == InterruptKind::OneTime))
                }
                None => None,
            };
            let interrupt_given = interrupt_ports.as_ref().map(|(_, _, given, once)| (given, *once));
            // Built in one call, without a Vec on the way of every message.
            let transfer = match interrupt_given {
                Some((given, _)) => Array::of2(&reply_given, given),
                None => Array::of1(&reply_given),
            };
            // The buffers of the payload's bytes are moved, not copied.
            if let crate::protocol::Body::Message(payload) = &body {
                payload.transfer.iter().for_each(|buffer| {
                    transfer.push(buffer);
                });
            }
            let object = codec::body_object(body, &reply_given, interrupt_given);
            let posted = via.post_message_with_transferable(&object, &transfer);
            keep_listening(shared, reply_channel, reply_kept, Carries::Messages);
            if let Some((channel, kept, _, _)) = interrupt_ports {
                keep_listening(shared, channel, kept, Carries::Interrupts);
            }
            posted.map_err(browser)
        }
        Action::PostInterrupt { via, payload } => match port(shared, via) {
            Some(via) => match payload.transfer.is_empty() {
                true => via.post_message(&payload.value),
                false => via.post_message_with_transferable(&payload.value, &transfer_list(&payload.transfer)),
            }
            .map_err(browser),
            None => Err(Error::Closed),
        },
        Action::PostCloseNotice { via, reason } => match port(shared, via) {
            Some(via) => via.post_message(&codec::close_notice_object(reason)).map_err(browser),
            None => Ok(()),
        },
        Action::WatchPort(id) => {
            let mut inner = shared.inner.borrow_mut();
            if let Some(slot) = inner.ports.remove(&id) {
                let port = slot.port().clone();
                drop(inner);
                drop(slot);
                keep_listening(shared, id, port, Carries::Messages);
            }
            Ok(())
        }
        Action::ClosePort(id) => {
            // Closed by `retire` at the end of this drive or, after a message was handed on, the
            // next one: from now on the port's events are not the session's.
            let mut inner = shared.inner.borrow_mut();
            if let Some(slot) = inner.ports.remove(&id) {
                inner.retired.push(slot);
            }
            Ok(())
        }
        Action::StopListening => {
            let listener = shared.inner.borrow_mut().knock_listener.take();
            drop(listener); // removes the listeners, outside the borrow
            Ok(())
        }
    }
}

/// The buffers to transfer, as the array `postMessage` takes.
fn transfer_list(buffers: &[js_sys::ArrayBuffer]) -> Array {
    buffers.iter().collect()
}

/// The port the session holds as `id`.
fn port(shared: &Driver, id: PortId) -> Option<MessagePort> {
    shared.inner.borrow().ports.get(&id).map(|slot| slot.port().clone())
}

/// Creates a channel, keeps and listens on its first port as `id`, and returns the second.
fn open_channel(shared: &Rc<Driver>, id: PortId, carries: Carries) -> Result<MessagePort, Error> {
    let channel = new_channel()?;
    keep_listening(shared, id, channel.port1(), carries);
    Ok(channel.port2())
}

/// Keeps `port` as `id` and listens on it.
fn keep_listening(shared: &Rc<Driver>, id: PortId, port: MessagePort, carries: Carries) {
    let slot = PortSlot::listen(port, carries, shared.port_handlers());
    shared.inner.borrow_mut().ports.insert(id, slot);
}

/// Hands one core event to whoever waits for it. Waiters are taken out under a short borrow and
/// woken after it is released: waking a task may call into JavaScript (to queue a microtask).
pub(super) fn dispatch(shared: &Rc<Driver>, event: Event<Payload>) {
    match event {
        Event::Answered | Event::Connected => {
            let handshake = shared.inner.borrow_mut().handshake.take();
            if let Some(tx) = handshake {
                let _ = tx.send(Ok(()));
            }
        }
        Event::Received {
            waiter,
            message,
            interrupt,
        } => {
            let waiting = shared.inner.borrow_mut().waiters.remove(&waiter);
            let delivered = waiting.is_some_and(|tx| {
                tx.send(Ok(Delivery {
                    message: message.value,
                    interrupt,
                }))
                .is_ok()
            });
            if let (false, Some(held)) = (delivered, interrupt) {
                // Nobody waits for this reply any more; its interrupt port is given up at once.
                let now = shared.now();
                shared.inner.borrow_mut().core.release_interrupt(held.port, now);
            }
        }
        Event::Failed { waiter, error, unsent } => {
            let (sink, waiting) = {
                let mut inner = shared.inner.borrow_mut();
                let sink = match waiter {
                    Waiter::Send(id) => inner.unbound_sinks.remove(&id).map(|(sink, _)| sink),
                    Waiter::FirstMessage => None,
                };
                (sink, inner.waiters.remove(&waiter))
            };
            if let Some(sink) = sink {
                let _ = sink.unbounded_send(Err(error.clone()));
            }
            if let Some(tx) = waiting {
                let _ = tx.send(Err(WaitFailure {
                    error,
                    never_posted: unsent.is_some(),
                }));
            }
        }
        Event::Interrupt { channel, payload } => {
            let sink = shared.inner.borrow().sinks.get(&channel).cloned();
            if sink.is_none_or(|sink| {
                sink.unbounded_send(Ok(Delivered {
                    channel,
                    payload: payload.value,
                }))
                .is_err()
            }) {
                // The receiving side was dropped: close the channel.
                let now = shared.now();
                shared.inner.borrow_mut().core.close_interrupt(channel, now);
            }
        }
        Event::InterruptEnded { channel, error } => {
            let sink = shared.inner.borrow_mut().sinks.remove(&channel);
            if let (Some(sink), Some(error)) = (sink, error) {
                let _ = sink.unbounded_send(Err(error));
            }
        }
        Event::Closed(error) => {
            let (handshake, waiters, sinks, watchers, pagehide) = {
                let mut inner = shared.inner.borrow_mut();
                let inner = &mut *inner;
                (
                    inner.handshake.take(),
                    std::mem::take(&mut inner.waiters),
                    std::mem::take(&mut inner.unbound_sinks),
                    std::mem::take(&mut inner.close_watchers),
                    inner.pagehide.take(),
                )
            };
            // A closed session keeps no window listener (removed outside the borrow).
            drop(pagehide);
            if let Some(tx) = handshake {
                let _ = tx.send(Err(error.clone()));
            }
            for (_, tx) in waiters {
                let _ = tx.send(Err(WaitFailure {
                    error: error.clone(),
                    never_posted: false,
                }));
            }
            for (_, (sink, _)) in sinks {
                let _ = sink.unbounded_send(Err(error.clone()));
            }
            for tx in watchers {
                let _ = tx.send(error.clone());
            }
        }
    }
}
