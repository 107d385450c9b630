//! Moving values between the browser and the core: reading wire objects, building them, and
//! encoding/decoding payloads through JSON.
//!
//! Payloads are decoded through `JSON.stringify` + `serde_json` rather than serde-wasm-bindgen:
//! the JSON text can be measured against the [`Limits`] *before* anything is parsed,
//! `serde_json` honours `#[serde(deny_unknown_fields)]` and bounds recursion, and `JSON.stringify`
//! turns cycles and values without a JSON form into catchable errors instead of a crash.

use js_sys::{Array, Object, Reflect};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessagePort;

use crate::core::{
    field, Body, Limits, PortField, PortId, Scalar, WireObject, ACKNOWLEDGE, LISTEN, VERSION,
};
use crate::Error;

/// A port field before its port is registered with the core.
pub(crate) enum FoundPort {
    Absent,
    NotAPort,
    Port(MessagePort),
}

/// A wire object read from `event.data`, with its transferred ports not yet registered.
pub(crate) struct ReadWire {
    object: WireObject<JsValue>,
    response_port: FoundPort,
    interrupt_port: FoundPort,
    stray_ports: Vec<MessagePort>,
}

impl ReadWire {
    /// Hands every transferred port to `register` (which names it) and completes the object.
    pub fn register(self, mut register: impl FnMut(MessagePort) -> PortId) -> WireObject<JsValue> {
        let mut field = |found: FoundPort| match found {
            FoundPort::Absent => PortField::Absent,
            FoundPort::NotAPort => PortField::NotAPort,
            FoundPort::Port(port) => PortField::Port(register(port)),
        };
        let response_port = field(self.response_port);
        let interrupt_port = field(self.interrupt_port);
        let stray_ports = self.stray_ports.into_iter().map(&mut register).collect();
        WireObject { response_port, interrupt_port, stray_ports, ..self.object }
    }
}

fn scalar(object: &JsValue, key: &str) -> Scalar {
    let value = Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        Scalar::Absent
    } else if let Some(text) = value.as_string() {
        Scalar::Str(text)
    } else if let Some(number) = value.as_f64() {
        Scalar::Num(number)
    } else if let Some(flag) = value.as_bool() {
        Scalar::Bool(flag)
    } else {
        Scalar::Other
    }
}

/// Reads the fields the protocol knows from `data`; `ports` is `event.ports`.
///
/// Structured-clone data has no getters or proxies, so these reads run no foreign code.
pub(crate) fn read_wire(data: &JsValue, ports: &Array) -> ReadWire {
    let mut transferred: Vec<MessagePort> =
        ports.iter().filter_map(|port| port.dyn_into::<MessagePort>().ok()).collect();
    let mut take_port = |key: &str| -> FoundPort {
        let value = Reflect::get(data, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            return FoundPort::Absent;
        }
        // Only a port that really was transferred with this message counts.
        match transferred.iter().position(|port| JsValue::from(port.clone()) == value) {
            Some(index) => FoundPort::Port(transferred.swap_remove(index)),
            None => FoundPort::NotAPort,
        }
    };
    if !data.is_object() {
        return ReadWire {
            object: WireObject::default(),
            response_port: FoundPort::Absent,
            interrupt_port: FoundPort::Absent,
            stray_ports: transferred,
        };
    }
    let response_port = take_port(field::RESPONSE_PORT);
    let interrupt_port = take_port(field::INTERRUPT_PORT);
    let has_message = Reflect::has(data, &JsValue::from_str(field::MESSAGE)).unwrap_or(false);
    let object = WireObject {
        is_object: true,
        kind: scalar(data, field::TYPE),
        version: scalar(data, field::VERSION),
        message: has_message
            .then(|| Reflect::get(data, &JsValue::from_str(field::MESSAGE)).unwrap_or(JsValue::UNDEFINED)),
        interrupt_once: scalar(data, field::INTERRUPT_ONCE) == Scalar::Bool(true),
        ..WireObject::default()
    };
    ReadWire { object, response_port, interrupt_port, stray_ports: transferred }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot throw.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `{ $type: "👋", $version: 1, $responsePort }`.
pub(crate) fn knock_object(port: &MessagePort) -> Object {
    let object = Object::new();
    set(&object, field::TYPE, &JsValue::from_str(crate::core::KNOCK));
    set(&object, field::VERSION, &JsValue::from_f64(VERSION));
    set(&object, field::RESPONSE_PORT, port);
    object
}

/// The object for `body`, carrying `reply_port` and optionally an interrupt port.
pub(crate) fn body_object(
    body: Body<JsValue>,
    reply_port: &MessagePort,
    interrupt: Option<(&MessagePort, bool)>,
) -> Object {
    let object = Object::new();
    match body {
        Body::Listen => {
            set(&object, field::TYPE, &JsValue::from_str(LISTEN));
            set(&object, field::VERSION, &JsValue::from_f64(VERSION));
        }
        Body::Acknowledge => {
            set(&object, field::TYPE, &JsValue::from_str(ACKNOWLEDGE));
            set(&object, field::RAW, &JsValue::TRUE);
        }
        Body::Message(message) => set(&object, field::MESSAGE, &message),
    }
    set(&object, field::RESPONSE_PORT, reply_port);
    if let Some((port, once)) = interrupt {
        set(&object, field::INTERRUPT_PORT, port);
        if once {
            set(&object, field::INTERRUPT_ONCE, &JsValue::TRUE);
        }
    }
    object
}

/// Text of a thrown JavaScript value, for error messages.
pub(crate) fn js_error_text(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// Encodes an outgoing payload as a plain structured-clone value.
///
/// Refused with [`Error::EncodeFailed`]: integers beyond ±(2^53 − 1), which a JavaScript number
/// would silently round. Note that serde_json writes a non-finite float (NaN, ±∞) as `null`.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    let text = serde_json::to_string(value).map_err(|e| Error::EncodeFailed(e.to_string()))?;
    crate::core::check_safe_integers(&text)?;
    js_sys::JSON::parse(&text).map_err(|e| Error::EncodeFailed(js_error_text(&e)))
}

/// Decodes an incoming payload, checking [`Limits`] on its JSON text before parsing it.
pub fn decode<T: DeserializeOwned>(value: &JsValue, limits: &Limits) -> Result<T, Error> {
    let text = js_sys::JSON::stringify(value).map_err(|e| Error::DecodeFailed(js_error_text(&e)))?;
    let text = text
        .as_string()
        .ok_or_else(|| Error::DecodeFailed("value has no JSON form".to_owned()))?;
    crate::core::check_json(&text, limits)?;
    serde_json::from_str(&text).map_err(|e| Error::DecodeFailed(e.to_string()))
}
