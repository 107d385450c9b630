//! The listener's temporary window (or worker) listeners: they gather each message event's
//! facts for the gate (`core::gate`) and hand what passes to the core as a knock.

use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::codec::{self};
use super::driver::Shared;
use super::ports::{close_all, register_ports};
use super::Source;
use crate::core::{gate, IgnoreReason};
use crate::Error;

/// The temporary window (or worker) listeners of a listener.
pub(super) fn window_listeners(shared: &Rc<Shared>, source: Source) -> Result<[EventListener; 2], Error> {
    let (target, expected_window, check_origin): (web_sys::EventTarget, Option<JsValue>, bool) = match source {
        Source::AnyWindow => (window()?.into(), None, true),
        Source::Window(from) => (window()?.into(), Some(from.into()), true),
        // A dedicated worker's messages come from its one owner; they carry no origin.
        Source::Worker(worker) => (worker.into(), None, false),
        Source::WorkerScope => (
            js_sys::global()
                .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
                .map_err(|_| Error::Unsupported("not inside a dedicated worker"))?
                .into(),
            None,
            false,
        ),
    };
    let weak = Rc::downgrade(shared);
    let on_message = EventListener::new(&target, "message", move |event| {
        let (Some(shared), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) else {
            return;
        };
        // The gate (core::gate) judges; this only gathers the event's facts. The data is read
        // only once the sender has passed.
        let origin = check_origin.then(|| event.origin());
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
