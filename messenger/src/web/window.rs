//! The listener's temporary window (or worker) listeners: they gather each message event's
//! facts for the gate (`core::gate`) and hand what passes to the core as a knock.

use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::codec::{self};
use super::driver::Driver;
use super::ports::{close_all, register_ports};
use super::Source;
use crate::protocol::{gate, IgnoreReason};
use crate::Error;

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

/// The temporary window (or worker) listeners of a listener.
pub(super) fn window_listeners(shared: &Rc<Driver>, source: Source) -> Result<[EventListener; 2], Error> {
    let KnockSource {
        target,
        expected_window,
        has_origin,
    } = KnockSource::of(source)?;
    let weak = Rc::downgrade(shared);
    let on_message = EventListener::new(&target, "message", move |event| {
        let (Some(shared), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) else {
            return;
        };
        // The gate (core::gate) judges; this only gathers the event's facts. The data is read
        // only once the sender has passed.
        let origin = has_origin.then(|| event.origin());
        let sender = gate::Sender {
            trusted: event.is_trusted(),
            expected_source: expected_window
                .as_ref()
                .is_none_or(|w| event.source().map(JsValue::from).as_ref() == Some(w)),
            origin: origin.as_deref(),
        };
        if let Err(reason) = gate::admit_sender(&sender, &shared.config_origin) {
            // Ports it carried are nobody's: close them, as the core does for a message that is
            // not a knock.
            close_all(&event.ports());
            shared.with_core(|core, now| core.ignore(reason, now));
            return;
        }
        let read = codec::read_wire(&event.data(), &Array::from(&event.ports()));
        let object = register_ports(&shared, read);
        shared.with_core(|core, now| {
            core.handle_knock(object, now);
        });
    });
    let weak = Rc::downgrade(shared);
    let on_error = EventListener::new(&target, "messageerror", move |_| {
        if let Some(shared) = weak.upgrade() {
            shared.with_core(|core, now| core.ignore(IgnoreReason::Undeserializable, now));
        }
    });
    Ok([on_message, on_error])
}

pub(super) fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or(Error::Unsupported("no window"))
}
