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
//! Members are own data properties, as `JSON.parse` makes them. A member whose name
//! `Object.prototype` also has is defined (`Reflect.defineProperty`): an assignment would call an
//! inherited setter (`__proto__` is one, so a key `"__proto__"` would change the object's
//! prototype instead of becoming a member) or fail under a frozen `Object.prototype` (for
//! `"toString"`). Every other field is assigned, which is the same and much cheaper; map keys,
//! made anew each time, are always defined.

use std::cell::RefCell;
use std::fmt;

use js_sys::{Array, Object};
use serde::ser::{self, Impossible, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::MAX_SAFE_INTEGER;
use crate::Error;

/// Encodes `value` as a plain structured-clone value (see the module's documentation).
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    value
        .serialize(Encoder)
        .map_err(|Failed(message)| Error::EncodeFailed(message))
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
#[derive(Clone)]
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
    static NAMES: RefCell<Vec<Option<Name>>> = RefCell::new(vec![None; NAME_SLOTS]);
}

/// `text` as a [`Name`].
fn name(text: &'static str) -> Name {
    let slot = (text.as_ptr() as usize ^ text.len()) % NAME_SLOTS;
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        match &names[slot] {
            Some(name) if std::ptr::eq(name.text, text) => name.clone(),
            _ => {
                let value = JsValue::from_str(text);
                let prototype = Object::get_prototype_of(&Object::new());
                let inherited = js_sys::Reflect::has(&prototype, &value).unwrap_or(true);
                let name = Name { text, value, inherited };
                names[slot] = Some(name.clone());
                name
            }
        }
    })
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

/// The serializer of values.
struct Encoder;

impl ser::Serializer for Encoder {
    type Ok = JsValue;
    type Error = Failed;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Variant<Elements>;
    type SerializeMap = Members;
    type SerializeStruct = Members;
    type SerializeStructVariant = Variant<Members>;

    fn serialize_bool(self, value: bool) -> Result<JsValue, Failed> {
        Ok(JsValue::from_bool(value))
    }

    fn serialize_i8(self, value: i8) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i16(self, value: i16) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i32(self, value: i32) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_i64(self, value: i64) -> Result<JsValue, Failed> {
        integer(value.into())
    }

    fn serialize_i128(self, value: i128) -> Result<JsValue, Failed> {
        integer(value)
    }

    fn serialize_u8(self, value: u8) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u16(self, value: u16) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u32(self, value: u32) -> Result<JsValue, Failed> {
        Ok(JsValue::from_f64(value.into()))
    }

    fn serialize_u64(self, value: u64) -> Result<JsValue, Failed> {
        integer(value.into())
    }

    fn serialize_u128(self, value: u128) -> Result<JsValue, Failed> {
        match i128::try_from(value) {
            Ok(value) => integer(value),
            Err(_) => Err(beyond_safe(value)),
        }
    }

    fn serialize_f32(self, value: f32) -> Result<JsValue, Failed> {
        match value.is_finite() {
            // serde_json writes an f32's own shortest text, which JSON.parse reads as an f64.
            true => Ok(JsValue::from_f64(js_sys::parse_float(
                zmij::Buffer::new().format_finite(value),
            ))),
            false => Ok(JsValue::NULL),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<JsValue, Failed> {
        match value.is_finite() {
            true => Ok(JsValue::from_f64(value)),
            false => Ok(JsValue::NULL),
        }
    }

    fn serialize_char(self, value: char) -> Result<JsValue, Failed> {
        Ok(JsValue::from_str(value.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, value: &str) -> Result<JsValue, Failed> {
        Ok(JsValue::from_str(value))
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<JsValue, Failed> {
        // An array of numbers, as serde_json writes bytes.
        Ok(Array::from(&js_sys::Uint8Array::from(value)).into())
    }

    fn serialize_none(self) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<JsValue, Failed> {
        Ok(JsValue::NULL)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<JsValue, Failed> {
        Ok(name(variant).value)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<JsValue, Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsValue, Failed> {
        let object = Object::new();
        name(variant).set(&object, &value.serialize(self)?);
        Ok(object.into())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Elements, Failed> {
        Ok(Elements(Array::new()))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Elements>, Failed> {
        Ok(Variant {
            variant,
            inner: Elements(Array::new()),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Members, Failed> {
        Ok(Members::new())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Members, Failed> {
        Ok(Members::new())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Members>, Failed> {
        Ok(Variant {
            variant,
            inner: Members::new(),
        })
    }
}

/// An array being filled.
struct Elements(Array);

impl Elements {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.0.push(&value.serialize(Encoder)?);
        Ok(())
    }
}

impl ser::SerializeSeq for Elements {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.0.into())
    }
}

impl ser::SerializeTuple for Elements {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.0.into())
    }
}

impl ser::SerializeTupleStruct for Elements {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.push(value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.0.into())
    }
}

/// An object being filled; `key` is a map's key waiting for its value.
struct Members {
    object: Object,
    key: Option<JsValue>,
}

impl Members {
    fn new() -> Self {
        Members {
            object: Object::new(),
            key: None,
        }
    }
}

impl ser::SerializeMap for Members {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        self.key = Some(JsValue::from_str(&key.serialize(KeyEncoder)?));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let key = self
            .key
            .take()
            .ok_or_else(|| failed("a map's value came before its key"))?;
        define(&self.object, &key, &value.serialize(Encoder)?);
        Ok(())
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.object.into())
    }
}

impl ser::SerializeStruct for Members {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        name(key).set(&self.object, &value.serialize(Encoder)?);
        Ok(())
    }

    fn end(self) -> Result<JsValue, Failed> {
        Ok(self.object.into())
    }
}

/// An enum variant with content: `{ variant: inner }` once the inner array or object is full.
struct Variant<T> {
    variant: &'static str,
    inner: T,
}

impl<T> Variant<T> {
    fn wrap(variant: &'static str, inner: JsValue) -> Result<JsValue, Failed> {
        let object = Object::new();
        name(variant).set(&object, &inner);
        Ok(object.into())
    }
}

impl ser::SerializeTupleVariant for Variant<Elements> {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.inner.push(value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Self::wrap(self.variant, self.inner.0.into())
    }
}

impl ser::SerializeStructVariant for Variant<Members> {
    type Ok = JsValue;
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Failed> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<JsValue, Failed> {
        Self::wrap(self.variant, self.inner.object.into())
    }
}

/// The serializer of map keys: JSON keys are strings, and `serde_json` writes a number or a
/// boolean key as its text (an integer key of any size is fine: it stays text).
struct KeyEncoder;

fn not_a_string<T>() -> Result<T, Failed> {
    Err(failed("key must be a string"))
}

impl ser::Serializer for KeyEncoder {
    type Ok = String;
    type Error = Failed;
    type SerializeSeq = Impossible<String, Failed>;
    type SerializeTuple = Impossible<String, Failed>;
    type SerializeTupleStruct = Impossible<String, Failed>;
    type SerializeTupleVariant = Impossible<String, Failed>;
    type SerializeMap = Impossible<String, Failed>;
    type SerializeStruct = Impossible<String, Failed>;
    type SerializeStructVariant = Impossible<String, Failed>;

    fn serialize_bool(self, value: bool) -> Result<String, Failed> {
        Ok(if value { "true" } else { "false" }.to_owned())
    }

    fn serialize_i8(self, value: i8) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_i16(self, value: i16) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_i32(self, value: i32) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_i64(self, value: i64) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_i128(self, value: i128) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_u8(self, value: u8) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_u16(self, value: u16) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_u32(self, value: u32) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_u64(self, value: u64) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_u128(self, value: u128) -> Result<String, Failed> {
        Ok(value.to_string())
    }

    fn serialize_f32(self, value: f32) -> Result<String, Failed> {
        match value.is_finite() {
            true => Ok(zmij::Buffer::new().format_finite(value).to_owned()),
            false => Err(failed("float key must be finite (got NaN or +/-inf)")),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<String, Failed> {
        match value.is_finite() {
            true => Ok(zmij::Buffer::new().format_finite(value).to_owned()),
            false => Err(failed("float key must be finite (got NaN or +/-inf)")),
        }
    }

    fn serialize_char(self, value: char) -> Result<String, Failed> {
        Ok(value.into())
    }

    fn serialize_str(self, value: &str) -> Result<String, Failed> {
        Ok(value.to_owned())
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_none(self) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<String, Failed> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<String, Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Failed> {
        not_a_string()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Failed> {
        not_a_string()
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Failed> {
        not_a_string()
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Failed> {
        not_a_string()
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Failed> {
        not_a_string()
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Failed> {
        not_a_string()
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Failed> {
        not_a_string()
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Failed> {
        not_a_string()
    }
}
