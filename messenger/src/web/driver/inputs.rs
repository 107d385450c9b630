//! Browser events into the core: the callbacks of the session's shared port handlers and of its
//! knock listener, and naming the ports that came with a message.

use crate::web::encode::Payload;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::MessageEvent;

use super::Driver;
use crate::protocol::{PortId, WireObject};
use crate::web::codec::{self, ReadWire};
use crate::web::knock_listener::KnockListener;
use crate::web::ports::{close_all, Carries, PortHandlers, PortSlot};
use crate::web::Source;
use crate::Error;

impl Driver {
    /// The session's one pair of port handlers, made at the first port it listens on.
    pub(super) fn port_handlers(self: &Rc<Self>) -> &PortHandlers {
        self.port_handlers.get_or_init(|| {
            let weak = Rc::downgrade(self);
            let on_message = move |event: MessageEvent| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_port_message(&event);
                }
            };
            let weak = Rc::downgrade(self);
            let on_error = move |event: MessageEvent| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_port_error(&event);
                }
            };
            PortHandlers::new(on_message, on_error)
        })
    }

    fn on_port_message(self: &Rc<Self>, event: &MessageEvent) {
        let Some((id, carries)) = self.listened_port(event) else {
            return;
        };
        if carries == Carries::Interrupts {
            let payload = Payload::plain(event.data());
            // Interrupts carry no ports; any that came along are closed unread.
            close_all(&event.ports());
            // Judged on arrival, not only when the application takes it: a channel holds up to
            // `max_pending_interrupts` of them, which must not be any size.
            match crate::web::decode::measure(&payload.value, &self.limits()) {
                Ok(binary_bytes) => self.with_core(|core, now| core.handle_interrupt(id, payload, binary_bytes, now)),
                Err(error) => self.with_core(|core, now| core.refuse_interrupt(id, error, now)),
            }
        } else {
            let read = codec::read_wire(&event.data(), &event.ports());
            let object = self.register_ports(read);
            self.with_core(|core, now| core.handle_message(id, object, now));
        }
    }

    fn on_port_error(self: &Rc<Self>, event: &MessageEvent) {
        if let Some((id, _)) = self.listened_port(event) {
            self.with_core(|core, now| core.handle_message_error(id, now));
        }
    }

    /// The listened port an event arrived on, and what it carries.
    fn listened_port(&self, event: &MessageEvent) -> Option<(PortId, Carries)> {
        let target = JsValue::from(event.current_target()?);
        let inner = self.inner.borrow();
        inner
            .ports
            .iter()
            .find_map(|(id, slot)| slot.listened_as(&target).map(|carries| (*id, carries)))
    }

    /// Names every port that came with a message and keeps it (to post on, or to close).
    fn register_ports(&self, read: ReadWire) -> WireObject<Payload> {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        read.register(|port| {
            let id = inner.core.register_port();
            inner.ports.insert(id, PortSlot::kept(port));
            id
        })
    }

    /// The listener's knock listener on `source`, reporting to this session.
    pub(super) fn knock_listener(self: &Rc<Self>, source: Source) -> Result<KnockListener, Error> {
        let weak = Rc::downgrade(self);
        let register = move |read: ReadWire| match weak.upgrade() {
            Some(shared) => shared.register_ports(read),
            // The session is gone (its listener goes with it; this is an event already under
            // way): the ports are nobody's, and the admission goes nowhere either.
            None => read.register(|port| {
                port.close();
                PortId::from_raw(0)
            }),
        };
        let weak = Rc::downgrade(self);
        let on_admission = move |admission| {
            if let Some(shared) = weak.upgrade() {
                shared.with_core(|core, now| {
                    core.handle_knock(admission, now);
                });
            }
        };
        KnockListener::new(source, self.config_origin.clone(), register, on_admission)
    }
}
