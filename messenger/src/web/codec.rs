//! Moving values between the browser and the core: reading wire objects, building them, and
//! encoding/decoding payloads.
//!
//! Payloads are JSON-shaped JavaScript values, encoded and decoded straight from and into Rust
//! values without JSON text: [`super::encode`](mod@super::encode) builds the value `JSON.parse` would make of
//! `serde_json`'s text, [`super::decode`](mod@super::decode) reads a received value in one walk that judges it against
//! the [`Limits`] before anything of it is copied, so size and depth are refused the same way in
//! every engine.

use js_sys::{Array, Object, Reflect};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessagePort;

use crate::protocol::{
    field, Body, Limits, PortField, PortId, Scalar, WireObject, ACKNOWLEDGE, CLOSE, LISTEN, VERSION,
};
use crate::web::encode::{BytesAs, Payload};
use crate::Error;

/// A port field before its port is registered with the core.
pub(crate) enum FoundPort {
    Absent,
    NotAPort,
    Port(MessagePort),
}

/// A wire object read from `event.data`, with its transferred ports not yet registered.
pub(crate) struct ReadWire {
    object: WireObject<Payload>,
    response_port: FoundPort,
    interrupt_port: FoundPort,
    stray_ports: Vec<MessagePort>,
}

impl ReadWire {
    /// Hands every transferred port to `register` (which names it) and completes the object.
    pub fn register(self, mut register: impl FnMut(MessagePort) -> PortId) -> WireObject<Payload> {
        let mut field = |found: FoundPort| match found {
            FoundPort::Absent => PortField::Absent,
            FoundPort::NotAPort => PortField::NotAPort,
            FoundPort::Port(port) => PortField::Port(register(port)),
        };
        let response_port = field(self.response_port);
        let interrupt_port = field(self.interrupt_port);
        let stray_ports = self.stray_ports.into_iter().map(&mut register).collect();
        WireObject {
            response_port,
            interrupt_port,
            stray_ports,
            ..self.object
        }
    }
}

// The wire's fields as plain property accesses (`object.$type`, `object.$responsePort = port`).
// Every message reads and writes them, and these bindings neither hand a field name from Rust
// to JavaScript (which decodes it anew on every call) nor go through `Reflect`'s exception
// handling: they are used only on non-null objects (reading a missing property gives
// `undefined`), and structured-clone data and the fresh plain objects built here have no
// getters, setters or proxies that could run code or throw. The names are those of
// [`field`], spelled out because the attributes need literals.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = Object)]
    type Fields;

    #[wasm_bindgen(method, getter = "$type")]
    fn kind(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$type")]
    fn set_kind(this: &Fields, value: &str);
    #[wasm_bindgen(method, getter = "$version")]
    fn version(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$version")]
    fn set_version(this: &Fields, value: f64);
    #[wasm_bindgen(method, setter = "$raw")]
    fn set_raw(this: &Fields, value: bool);
    #[wasm_bindgen(method, getter = "$responsePort")]
    fn response_port(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$responsePort")]
    fn set_response_port(this: &Fields, port: &MessagePort);
    #[wasm_bindgen(method, getter = "$interruptPort")]
    fn interrupt_port(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$interruptPort")]
    fn set_interrupt_port(this: &Fields, port: &MessagePort);
    #[wasm_bindgen(method, getter = "$interruptOnce")]
    fn interrupt_once(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$interruptOnce")]
    fn set_interrupt_once(this: &Fields, value: bool);
    #[wasm_bindgen(method, getter = "message")]
    fn message(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, getter = "$closeNotice")]
    fn close_notice(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$closeNotice")]
    fn set_close_notice(this: &Fields, value: bool);
    #[wasm_bindgen(method, getter = "$binary")]
    fn binary(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$binary")]
    fn set_binary(this: &Fields, value: bool);
    #[wasm_bindgen(method, getter = "$reason")]
    fn reason(this: &Fields) -> JsValue;
    #[wasm_bindgen(method, setter = "$reason")]
    fn set_reason(this: &Fields, value: &str);
    #[wasm_bindgen(method, setter = "message")]
    fn set_message(this: &Fields, value: &JsValue);
}

thread_local! {
    /// `"message"` as a JavaScript string, for the `in` test (made once, not per message).
    static MESSAGE_KEY: JsValue = JsValue::from_str(field::MESSAGE);
}

fn scalar(value: JsValue) -> Scalar {
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
    let mut transferred: Vec<MessagePort> = ports
        .iter()
        .filter_map(|port| port.dyn_into::<MessagePort>().ok())
        .collect();
    let mut take_port = |value: JsValue| -> FoundPort {
        if value.is_undefined() {
            return FoundPort::Absent;
        }
        // Only a port that really was transferred with this message counts.
        match transferred
            .iter()
            .position(|port| AsRef::<JsValue>::as_ref(port) == &value)
        {
            Some(index) => FoundPort::Port(transferred.swap_remove(index)),
            None => FoundPort::NotAPort,
        }
    };
    if !data.is_object() {
        return ReadWire {
            object: WireObject {
                is_null: data.is_null(),
                ..WireObject::default()
            },
            response_port: FoundPort::Absent,
            interrupt_port: FoundPort::Absent,
            stray_ports: transferred,
        };
    }
    let fields: &Fields = data.unchecked_ref();
    let response_port = take_port(fields.response_port());
    let interrupt_port = take_port(fields.interrupt_port());
    let has_message = MESSAGE_KEY.with(|key| Reflect::has(data, key).unwrap_or(false));
    let kind = scalar(fields.kind());
    // Only handshake steps and close notices have a `$type`, and only they the fields below:
    // an application message is spared the two reads.
    let (close_notice, binary, reason) = match kind {
        Scalar::Absent => (false, false, Scalar::Absent),
        _ => (
            scalar(fields.close_notice()) == Scalar::Bool(true),
            scalar(fields.binary()) == Scalar::Bool(true),
            scalar(fields.reason()),
        ),
    };
    let object = WireObject {
        is_object: true,
        kind,
        version: scalar(fields.version()),
        message: has_message.then(|| Payload::plain(fields.message())),
        interrupt_once: scalar(fields.interrupt_once()) == Scalar::Bool(true),
        close_notice,
        binary,
        reason,
        ..WireObject::default()
    };
    ReadWire {
        object,
        response_port,
        interrupt_port,
        stray_ports: transferred,
    }
}

/// `{ $type: "👋", $version: 1, $closeNotice: true, $binary: true, $responsePort }`.
pub(crate) fn knock_object(port: &MessagePort) -> Object {
    let object: Fields = Object::new().unchecked_into();
    object.set_kind(crate::protocol::KNOCK);
    object.set_version(VERSION);
    object.set_close_notice(true);
    object.set_binary(true);
    object.set_response_port(port);
    object.into()
}

/// `{ $type: "🚪", $version: 1, $reason }`: a close notice, which carries no port.
pub(crate) fn close_notice_object(reason: &str) -> Object {
    let object: Fields = Object::new().unchecked_into();
    object.set_kind(CLOSE);
    object.set_version(VERSION);
    object.set_reason(reason);
    object.into()
}

/// The object for `body`, carrying `reply_port` and optionally an interrupt port.
pub(crate) fn body_object(
    body: Body<Payload>,
    reply_port: &MessagePort,
    interrupt: Option<(&MessagePort, bool)>,
) -> Object {
    let object: Fields = Object::new().unchecked_into();
    match body {
        Body::Listen => {
            object.set_kind(LISTEN);
            object.set_version(VERSION);
            object.set_close_notice(true);
            object.set_binary(true);
        }
        Body::Acknowledge => {
            object.set_kind(ACKNOWLEDGE);
            object.set_raw(true);
        }
        Body::Message(message) => object.set_message(&message.value),
    }
    object.set_response_port(reply_port);
    if let Some((port, once)) = interrupt {
        object.set_interrupt_port(port);
        if once {
            object.set_interrupt_once(true);
        }
    }
    object.into()
}

/// Text of a thrown JavaScript value, for error messages.
pub(crate) fn js_error_text(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// Encodes an outgoing payload as a plain structured-clone value: what `JSON.parse` would make
/// of `serde_json`'s text of it (objects for structs and maps, arrays, `null` for `None` and
/// `()`, externally tagged enums; a non-finite float becomes `null`, as JSON has no such number).
///
/// Refused with [`Error::EncodeFailed`]: integers beyond ±(2^53 − 1), which a JavaScript number
/// would silently round, and map keys that JSON cannot write as a string.
///
/// Bytes (`serde_bytes`, [`JsBytes`](crate::JsBytes)) become `Uint8Array`s, which a post of the
/// value copies; the messenger's own sends transfer them instead.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    super::encode::encode(value, BytesAs::Cloned).map(|payload| payload.value)
}

/// Decodes an incoming payload, judging it against the [`Limits`] before anything is copied.
///
/// One walk of the value, in the order `JSON.stringify` would write it, decides in this order:
/// [`Error::TooDeep`], [`Error::TooLarge`] on a lower bound of the JSON text's size (counted
/// before a string is copied or an array visited), or [`Error::DecodeFailed`] for cycles,
/// `BigInt`s, `undefined` and objects that are neither arrays nor plain objects, whichever comes
/// first; then [`Error::TooLarge`] with the exact size of the JSON text; then
/// [`Error::DecodeFailed`] when the value does not fit `T` (unknown fields included when `T`
/// denies them). The same value gives the same error in every engine.
///
/// `value` is expected to be structured-clone data (what `postMessage` delivers): it has no
/// getters or proxies, so judging it runs no foreign code.
pub fn decode<T: DeserializeOwned>(value: &JsValue, limits: &Limits) -> Result<T, Error> {
    super::decode::decode(value, limits)
}
