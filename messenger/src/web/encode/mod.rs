//! Encoding an outgoing payload straight into a JavaScript value: the value `JSON.parse` would
//! make of `serde_json`'s text of it, without the text.
//!
//! Structs and maps become plain objects (map keys as `serde_json` writes them: strings,
//! numbers and booleans as their text), sequences and tuples arrays, `None` and `()` `null`,
//! enums are externally tagged (`"Unit"`, `{"Variant": …}`), a non-finite float is `null`, and an
//! `f32` is the number its shortest decimal text reads as (`0.1f32` is `0.1`). Integers beyond
//! ±(2^53 − 1), which a JavaScript number would silently round, are refused with
//! [`Error::EncodeFailed`].
//!
//! Not `serde-wasm-bindgen`: its defaults differ from JSON where applications can tell (a
//! non-finite float stays `NaN`/`Infinity` where JSON has `null`, a map becomes a `Map`, a `u64`
//! beyond 2^53 is rounded or made a `BigInt`), so every payload would no longer be what the JSON
//! wire format and the decoder's limits assume. This serializer is small and has only JSON's
//! semantics.
//!
//! Bytes (`serialize_bytes`, as `serde_bytes` writes them) and a [`JsBytes`](crate::JsBytes)
//! become a `Uint8Array` that spans its own `ArrayBuffer`, [`BytesAs`] says how: transferred
//! (the buffer goes in the post's transfer list, moved in O(1) and detached here), cloned, or as
//! JSON has them, an array of numbers, for a peer that did not announce `$binary`.
//!
//! Members are own data properties, as `JSON.parse` makes them. A member whose name
//! `Object.prototype` also has is defined (`Reflect.defineProperty`): an assignment would call an
//! inherited setter (`__proto__` is one, so a key `"__proto__"` would change the object's
//! prototype instead of becoming a member) or fail under a frozen `Object.prototype` (for
//! `"toString"`). Every other field is assigned, which is the same and much cheaper; map keys,
//! made anew each time, are always defined.

use std::cell::RefCell;
use std::fmt;

use js_sys::{Array, ArrayBuffer, Object, Uint8Array};
use serde::ser::{self, Impossible, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::MAX_SAFE_INTEGER;
use crate::Error;

mod compound;
mod serializer;

use compound::*;
use serializer::*;

/// How bytes are written into the encoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BytesAs {
    /// A `Uint8Array` whose buffer is listed for the post to transfer.
    Transferred,
    /// A `Uint8Array` that the post copies (structured clone).
    Cloned,
    /// An array of numbers, one per byte: what a peer that did not announce `$binary` reads.
    Numbers,
}

/// A payload as it crosses: the value, and the buffers its post transfers (none for a
/// received one, whose buffers arrived with it).
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    pub value: JsValue,
    pub transfer: Vec<ArrayBuffer>,
}

impl Payload {
    /// A value that transfers nothing: a received payload, or a raw one.
    pub fn plain(value: JsValue) -> Self {
        Payload {
            value,
            transfer: Vec::new(),
        }
    }
}

/// The encoding under way on this thread: how bytes are written and the buffers to transfer.
struct Encoding {
    bytes_as: BytesAs,
    transfer: Vec<ArrayBuffer>,
}

thread_local! {
    static ENCODING: RefCell<Option<Encoding>> = const { RefCell::new(None) };
    /// While the encoder serializes a [`JS_BYTES`] newtype's inside: `Some`, and then the array
    /// the [`JsBytes`](crate::JsBytes) handed over ([`hand_over`]).
    static HANDED: RefCell<Option<Option<Uint8Array>>> = const { RefCell::new(None) };
}

/// Encodes `value` as a plain structured-clone value (see the module's documentation).
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, bytes_as: BytesAs) -> Result<Payload, Error> {
    let fresh = Encoding {
        bytes_as,
        transfer: Vec::new(),
    };
    // An encoding inside another (a `Serialize` impl that encodes) gets its own context.
    let outer = ENCODING.with(|encoding| encoding.replace(Some(fresh)));
    let value = value.serialize(Encoder);
    let done = ENCODING.with(|encoding| encoding.replace(outer));
    let value = value.map_err(|Failed(message)| Error::EncodeFailed(message))?;
    Ok(Payload {
        value,
        transfer: done.map(|done| done.transfer).unwrap_or_default(),
    })
}

/// Called by a [`JsBytes`](crate::JsBytes)' inside as it is serialized: `true` when this crate's
/// encoder asked for it, which then takes `array` as it is; `false` for any other serializer,
/// which is given the bytes.
pub(crate) fn hand_over(array: &Uint8Array) -> bool {
    HANDED.with(|handed| match handed.borrow_mut().as_mut() {
        Some(slot) => {
            *slot = Some(array.clone());
            true
        }
        None => false,
    })
}

/// The name of the newtype a [`JsBytes`](crate::JsBytes) serializes and deserializes as: the
/// encoder and decoder recognise it and carry its array as it is.
pub(crate) const JS_BYTES: &str = "$messenger::JsBytes";

/// Bytes copied out of wasm memory into a fresh `Uint8Array`, written as the encoding says.
fn bytes_value(bytes: &[u8]) -> JsValue {
    let bytes_as = ENCODING.with(|encoding| encoding.borrow().as_ref().map(|e| e.bytes_as));
    match bytes_as {
        Some(BytesAs::Numbers) | None => Array::from(&Uint8Array::from(bytes)).into(),
        Some(_) => keep_array(Uint8Array::from(bytes)),
    }
}

/// A [`JS_BYTES`] newtype: the array its [`JsBytes`](crate::JsBytes) hands over, written as the
/// encoding says (or, if nothing was handed over, whatever the inside serialized as).
fn js_bytes_value<T: Serialize + ?Sized>(inside: &T) -> Result<JsValue, Failed> {
    let outer = HANDED.with(|handed| handed.replace(Some(None)));
    let serialized = inside.serialize(Encoder);
    let handed = HANDED.with(|handed| handed.replace(outer)).flatten();
    let Some(array) = handed else {
        return serialized;
    };
    if crate::web::buffers::is_detached(&array.buffer()) {
        return Err(failed(
            "a JsBytes whose buffer is detached (it was sent already: a sent JsBytes is empty)",
        ));
    }
    let bytes_as = ENCODING.with(|encoding| encoding.borrow().as_ref().map(|e| e.bytes_as));
    Ok(match bytes_as {
        Some(BytesAs::Numbers) => Array::from(&array).into(),
        _ => keep_array(array),
    })
}

/// `array` as the value, its buffer listed for transfer when the encoding transfers (once: a
/// buffer listed twice makes `postMessage` throw).
fn keep_array(array: Uint8Array) -> JsValue {
    ENCODING.with(|encoding| {
        if let Some(encoding) = encoding.borrow_mut().as_mut() {
            if encoding.bytes_as == BytesAs::Transferred {
                let buffer = array.buffer();
                if !encoding
                    .transfer
                    .iter()
                    .any(|listed| JsValue::from(listed) == JsValue::from(&buffer))
                {
                    encoding.transfer.push(buffer);
                }
            }
        }
    });
    array.into()
}

#[wasm_bindgen]
extern "C" {
    /// A property descriptor `{ value, writable: true, enumerable: true, configurable: true }`:
    /// what `JSON.parse` gives each member.
    #[wasm_bindgen(extends = Object)]
    type Descriptor;

    #[wasm_bindgen(method, setter = "value")]
    fn set_value(this: &Descriptor, value: &JsValue);
    #[wasm_bindgen(method, setter = "writable")]
    fn set_writable(this: &Descriptor, value: bool);
    #[wasm_bindgen(method, setter = "enumerable")]
    fn set_enumerable(this: &Descriptor, value: bool);
    #[wasm_bindgen(method, setter = "configurable")]
    fn set_configurable(this: &Descriptor, value: bool);

    /// A fresh plain object, for assignments.
    #[wasm_bindgen(extends = Object)]
    type Plain;
    /// `object[key] = value`.
    #[wasm_bindgen(method, indexing_setter)]
    fn assign(this: &Plain, key: &JsValue, value: &JsValue);

    /// `Reflect.defineProperty`: on a fresh plain object it cannot throw (it returns `false`
    /// where `Object.defineProperty` would throw, which a fresh extensible object never does).
    #[wasm_bindgen(js_namespace = Reflect, js_name = defineProperty)]
    fn define_property(target: &Object, key: &JsValue, descriptor: &Descriptor) -> bool;
}

thread_local! {
    /// One descriptor for every member: only its `value` changes.
    static DESCRIPTOR: Descriptor = {
        let descriptor: Descriptor = Object::new().unchecked_into();
        descriptor.set_value(&JsValue::NULL);
        descriptor.set_writable(true);
        descriptor.set_enumerable(true);
        descriptor.set_configurable(true);
        descriptor
    };
}

/// Gives `object` the member `key: value`, as `JSON.parse` does.
fn define(object: &Object, key: &JsValue, value: &JsValue) {
    DESCRIPTOR.with(|descriptor| {
        descriptor.set_value(value);
        define_property(object, key, descriptor);
        // Not kept alive by the descriptor until the next member.
        descriptor.set_value(&JsValue::NULL);
    });
}

/// A field or variant name as a JavaScript string, and whether `Object.prototype` has a
/// property of that name (then an assignment could reach it, and the member is defined).
struct Name {
    text: &'static str,
    value: JsValue,
    inherited: bool,
}

impl Name {
    /// Gives `object` the member `self: value`: assigned, as cheap as `JSON.parse`'s own (a
    /// definition costs about seven times as much), where that is the same.
    fn set(&self, object: &Object, value: &JsValue) {
        match self.inherited {
            false => object.unchecked_ref::<Plain>().assign(&self.value, value),
            true => define(object, &self.value, value),
        }
    }
}

/// Slots of [`NAMES`].
const NAME_SLOTS: usize = 64;

thread_local! {
    /// Field and variant names (`&'static str`, the same few in every message), by address:
    /// making a JavaScript string from Rust text (a `TextDecoder` call) costs more than the
    /// rest of a small message's encoding. A name that loses its slot is made again.
    static NAMES: RefCell<Vec<Option<Name>>> = RefCell::new(std::iter::repeat_with(|| None).take(NAME_SLOTS).collect());
}

/// Runs `f` on `text` as a [`Name`], made and kept in [`NAMES`] if it is not there. `f` must
/// not encode (the table is borrowed while it runs): encode the value first.
fn with_name<R>(text: &'static str, f: impl FnOnce(&Name) -> R) -> R {
    let slot = (text.as_ptr() as usize ^ text.len()) % NAME_SLOTS;
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let entry = &mut names[slot];
        if !matches!(entry, Some(name) if std::ptr::eq(name.text, text)) {
            *entry = None; // another name had the slot
        }
        let name = entry.get_or_insert_with(|| {
            let value = JsValue::from_str(text);
            let prototype = Object::get_prototype_of(&Object::new());
            let inherited = js_sys::Reflect::has(&prototype, &value).unwrap_or(true);
            Name { text, value, inherited }
        });
        f(name)
    })
}

/// Gives `object` the member `text: value`. The name's JavaScript string is used where it is
/// kept: a copy of a `JsValue` and its drop are two calls into JavaScript, per member.
fn set_member(object: &Object, text: &'static str, value: &JsValue) {
    with_name(text, |name| name.set(object, value));
}

/// `text` as a JavaScript string (a unit variant's value).
fn name_value(text: &'static str) -> JsValue {
    with_name(text, |name| name.value.clone())
}

/// Why a value could not be encoded.
#[derive(Debug)]
struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Failed(message.to_string())
    }
}

fn failed(message: &str) -> Failed {
    Failed(message.to_owned())
}

/// An integer, refused beyond what a JavaScript number holds exactly.
fn integer(value: i128) -> Result<JsValue, Failed> {
    match value.unsigned_abs() <= u128::from(MAX_SAFE_INTEGER) {
        true => Ok(JsValue::from_f64(value as f64)),
        false => Err(beyond_safe(value)),
    }
}

fn beyond_safe(value: impl fmt::Display) -> Failed {
    Failed(format!(
        "integer {value} is beyond what a JavaScript number holds exactly"
    ))
}
