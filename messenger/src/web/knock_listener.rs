//! The listener's knock listener: a guard holding its temporary `message` and `messageerror`
//! listeners on a window, or on a dedicated worker (the `Worker` object or the worker's own
//! global scope), until it is dropped. It gathers each event's facts for the gate, has the gate
//! ([`gate::admit`]) judge them, and hands the [`Admission`] to a callback; it never knows the
//! session.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::codec::{self, ReadWire};
use super::ports::close_all;
use super::Source;
use crate::protocol::gate::{self, Admission};
use crate::protocol::{IgnoreReason, WireObject};
use crate::web::encode::Payload;
use crate::{Error, Origin};

/// Where a listener's knocks arrive, and what the gate can know of their sender.
struct KnockSource {
    /// The window or worker whose `message` events are heard.
    target: web_sys::EventTarget,
    /// The one window a knock may come from, when the [`Source`] names one.
    expected_window: Option<JsValue>,
    /// Whether the events carry an origin to check: a window's do; a dedicated worker's come
    /// from its one owner and carry none.
    has_origin: bool,
}

impl KnockSource {
    fn of(source: Source) -> Result<Self, Error> {
        let window = |expected_window: Option<JsValue>| -> Result<Self, Error> {
            Ok(KnockSource {
                target: window()?.into(),
                expected_window,
                has_origin: true,
            })
        };
        let worker = |target: web_sys::EventTarget| KnockSource {
            target,
            expected_window: None,
            has_origin: false,
        };
        match source {
            Source::AnyWindow => window(None),
            Source::Window(from) => window(Some(from.into())),
            Source::Worker(owned) => Ok(worker(owned.into())),
            Source::WorkerScope => Ok(worker(
                js_sys::global()
                    .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
                    .map_err(|_| Error::Unsupported("not inside a dedicated worker"))?
                    .into(),
            )),
        }
    }
}

thread_local! {
    /// How many knock listeners listen on this thread's window now.
    static WINDOW_LISTENERS: Cell<usize> = const { Cell::new(0) };
}

/// How many window `message` listeners the messenger holds on this page right now: one per
/// [`listen`](crate::listen) (or [`Reconnector`](crate::Reconnector)'s, [`WindowKeeper`]'s,
/// `messenger-yew`'s `use_listen`) waiting for a knock on the window, and none otherwise: a
/// knocker never listens on a window, and a listener removes its window listeners the moment it
/// accepts a knock. So after the handshake it is 0 and a message posted to the window reaches
/// nobody. Listeners on a dedicated worker are not counted.
///
/// In a page where no other code listens for window messages, this is the page's whole count
/// (the demo apps show it so): a person can see that after the handshake a posted message
/// reaches nobody.
///
/// [`WindowKeeper`]: crate::WindowKeeper
pub fn live_window_listeners() -> usize {
    WINDOW_LISTENERS.with(Cell::get)
}

/// Counts one window knock listener for as long as it lives.
struct CountedOnWindow;

impl CountedOnWindow {
    fn new() -> Self {
        WINDOW_LISTENERS.with(|count| count.set(count.get() + 1));
        CountedOnWindow
    }
}

impl Drop for CountedOnWindow {
    fn drop(&mut self) {
        WINDOW_LISTENERS.with(|count| count.set(count.get().saturating_sub(1)));
    }
}

/// A listener's temporary knock listeners; dropping the guard removes both.
#[must_use = "dropping the knock listener stops listening for knocks"]
pub(super) struct KnockListener {
    _on_message: EventListener,
    _on_error: EventListener,
    /// Present while the listeners are on a window: counted in [`live_window_listeners`].
    _counted: Option<CountedOnWindow>,
}

impl KnockListener {
    /// Listens on `source` for knocks from `expected` (the configured origin). For each message
    /// event the gate judges the sender's facts; only once they passed is the data read, its
    /// ports named by `register`. Every admission (a `messageerror` becomes one too: ignored as
    /// undeserialisable) goes to `on_admission`; the ports of a message refused unread are
    /// closed here, since nobody else will ever see them.
    pub fn new(
        source: Source,
        expected: Origin,
        register: impl Fn(ReadWire) -> WireObject<Payload> + 'static,
        on_admission: impl Fn(Admission<Payload>) + 'static,
    ) -> Result<Self, Error> {
        let KnockSource {
            target,
            expected_window,
            has_origin,
        } = KnockSource::of(source)?;
        let on_admission = Rc::new(on_admission);
        let on_knock = Rc::clone(&on_admission);
        let on_message = EventListener::new(&target, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let origin = has_origin.then(|| event.origin());
            let sender = gate::Sender {
                trusted: event.is_trusted(),
                expected_source: expected_window
                    .as_ref()
                    .is_none_or(|w| event.source().map(JsValue::from).as_ref() == Some(w)),
                origin: origin.as_deref(),
            };
            // The data is read (and its ports named) only once the sender has passed.
            let admission = gate::admit(&sender, &expected, || {
                register(codec::read_wire(&event.data(), &event.ports()))
            });
            if let Admission::Ignore { message: None, .. } = admission {
                // Ports it carried are nobody's: close them, as the core does for a message
                // that is not a knock.
                close_all(&event.ports());
            }
            on_knock(admission);
        });
        let on_error = EventListener::new(&target, "messageerror", move |_| {
            on_admission(Admission::Ignore {
                reason: IgnoreReason::Undeserializable,
                message: None,
            });
        });
        Ok(KnockListener {
            _on_message: on_message,
            _on_error: on_error,
            // Only a window's events carry an origin: `has_origin` tells a window from a worker.
            _counted: has_origin.then(CountedOnWindow::new),
        })
    }
}

fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or(Error::Unsupported("no window"))
}
