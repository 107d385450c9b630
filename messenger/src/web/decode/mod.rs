//! Decoding a received payload straight from its JavaScript value: one walk that judges the
//! value against the [`Limits`] as it goes and hands what it reads to serde.
//!
//! The walk meets the value in the order `JSON.stringify` would write it and reports every part
//! to a [`Budget`] before reading it: a string's UTF-16 length before the string is copied into
//! wasm, an array's smallest text (`[0,0,…]`) before one element is visited, the depth before it
//! descends. It stops at the first limit passed, so the same value gives the same [`Error`] in
//! every engine, and no value can exhaust a stack or make this side copy what it is going to
//! refuse. Once read, a part's exact size in `JSON.stringify`'s text is counted too.
//!
//! The outcome is decided in the order the text-based decoder (`JSON.stringify` → `serde_json`)
//! had, so that every result stays what it was:
//!
//! 1. the first limit passed or value without a JSON form in document order ([`Error::TooDeep`],
//!    [`Error::TooLarge`] on the lower bound, [`Error::DecodeFailed`] for cycles, `BigInt`s,
//!    `undefined` at the top and objects that are neither arrays nor plain objects);
//! 2. then the exact size of the text ([`Error::TooLarge`] with the text's size);
//! 3. then whether the value fits the type ([`Error::DecodeFailed`]).
//!
//! So decoding stops at a type error or once the exact size has passed the limit, but the rest
//! of the value is still walked (measured, not decoded) for 1 and 2. Walking is iterative;
//! decoding recurses once per level, bounded by [`Limits::max_depth`] (at most
//! [`crate::protocol::MAX_DEPTH`]).
//!
//! Binary data is the one part without a JSON form: a `Uint8Array` over the whole of its
//! `ArrayBuffer`, or an `ArrayBuffer`, is bytes. It is judged from its `byteLength` against
//! [`Limits::max_binary_bytes`] ([`Error::BinaryTooLarge`]) and checked ([`Error::BadBinary`]:
//! shared, detached, a partial view, another typed array) when the walk meets it, in the same
//! document order, and counts as `[]` in the JSON text. It is read only by a type that asks for
//! bytes: copied into wasm for `serde_bytes` (`deserialize_bytes`, or `deserialize_any`), handed
//! over as it is for a [`JsBytes`](crate::JsBytes), refused as text (`String`), and never read
//! by anything that ignores it.
//!
//! What JSON would make of the value is what the type sees: `undefined` (or a function or a
//! symbol) in an object is an absent member and in an array `null`, a non-finite number is
//! `null`, an integral number that `JSON.stringify` writes without a fraction and that fits
//! `u64` or `i64` is an integer, any other number an `f64`. Objects are read through their own
//! enumerable string keys (`Object.keys`, `JSON.stringify`'s order), so
//! `#[serde(deny_unknown_fields)]` sees every member; enums are externally tagged
//! (`{"Variant": …}` or `"Variant"`).
//!
//! `serde-wasm-bindgen` is not used: it reads a struct's members by the type's own field names
//! (so `deny_unknown_fields` never sees an unknown one), has no limits and no cycle check, and
//! reads non-finite numbers and `undefined` differently from JSON.

use std::fmt;

use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect, Uint8Array};
use serde::de::{self, Deserialize, DeserializeOwned, DeserializeSeed, Expected, Unexpected, Visitor};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::{json_integer_len, json_string_len, Budget, Limits, MAX_SAFE_INTEGER};
use crate::web::encode::JS_BYTES;
use crate::{BinaryFault, Error};

mod deserializer;
mod read;
mod walk;

use deserializer::*;
use read::*;
use walk::*;

/// What `null` costs: a hole or an `undefined` in an array, a non-finite number.
const NULL_BYTES: usize = 4;

const NOT_PLAIN: &str = "only arrays, plain objects and bytes are payloads (not a Map, a Date, a boxed primitive, ...)";
const LONE_SURROGATE: &str = "a string holds a lone surrogate, which is not Unicode text";

/// Decodes `value` into `T`, judging it against `limits` first (see the module's documentation).
pub(crate) fn decode<T: DeserializeOwned>(value: &JsValue, limits: &Limits) -> Result<T, Error> {
    let mut walk = Walk {
        budget: Budget::new(*limits),
        stack: Vec::new(),
        failed: None,
    };
    let decoded = walk
        .root(value)
        .and_then(|node| T::deserialize(Value { walk: &mut walk, node }));
    walk.finish(decoded)
}

thread_local! {
    /// The array of binary data handed to a [`JsBytes`](crate::JsBytes) being decoded.
    static INCOMING: std::cell::RefCell<Option<Uint8Array>> = const { std::cell::RefCell::new(None) };
}

/// The array the decoder handed over for the [`JsBytes`](crate::JsBytes) it is decoding, if any.
pub(crate) fn take_incoming() -> Option<Uint8Array> {
    INCOMING.with(|incoming| incoming.borrow_mut().take())
}

/// Judges `value` against `limits` as [`decode`] does, without a type to decode into: the first
/// limit passed, or the binary bytes it carries. Strings are read to count their exact size; bytes
/// are not read.
pub(crate) fn measure(value: &JsValue, limits: &Limits) -> Result<usize, Error> {
    let mut walk = Walk {
        budget: Budget::new(*limits),
        stack: Vec::new(),
        failed: None,
    };
    let measured = walk
        .root(value)
        .and_then(|node| de::IgnoredAny::deserialize(Value { walk: &mut walk, node }));
    // Whatever the walk has not met yet is met here, so every buffer is counted.
    let _ = walk.drain_to(0);
    let binary_bytes = walk.budget.binary_bytes();
    walk.finish(measured).map(|_| binary_bytes)
}

/// A value as the walk met it, before any of it is counted.
enum Kind {
    Null,
    Bool(bool),
    Number(f64),
    Str(JsString),
    Array(Array),
    Object(Object),
    /// A `Uint8Array` over the whole of an unshared, attached `ArrayBuffer`.
    Bytes(Uint8Array),
    /// `undefined`, a function or a symbol: omitted from an object, `null` in an array, no JSON
    /// form at the top level.
    Absent,
}

/// A value counted and read, ready for a visitor.
enum Node {
    Null,
    Bool(bool),
    /// As serde_json reads its text, and the number itself.
    Number(Number, f64),
    /// The text, and whether the JavaScript string had lone surrogates (then not Unicode text).
    Str(String, bool),
    /// An array or object open on the walk's stack at this level.
    Array(usize),
    Object(usize),
    /// Binary data, counted and judged, not read.
    Bytes(Uint8Array),
}

/// A number as `serde_json` would read `JSON.stringify`'s text of it.
#[derive(Clone, Copy)]
enum Number {
    U(u64),
    I(i64),
    F(f64),
}

impl Number {
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self {
            Number::U(n) => visitor.visit_u64(n),
            Number::I(n) => visitor.visit_i64(n),
            Number::F(n) => visitor.visit_f64(n),
        }
    }

    fn unexpected(self) -> Unexpected<'static> {
        match self {
            Number::U(n) => Unexpected::Unsigned(n),
            Number::I(n) => Unexpected::Signed(n),
            Number::F(n) => Unexpected::Float(n),
        }
    }
}

impl Node {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Node::Null => Unexpected::Unit,
            Node::Bool(flag) => Unexpected::Bool(*flag),
            Node::Number(number, _) => number.unexpected(),
            Node::Str(text, _) => Unexpected::Str(text),
            Node::Array(_) => Unexpected::Seq,
            Node::Object(_) => Unexpected::Map,
            Node::Bytes(_) => Unexpected::Bytes(&[]),
        }
    }
}

/// An array or object being walked, with the position of its next element or member.
enum Open {
    Array {
        array: Array,
        length: u32,
        next: u32,
    },
    Object {
        object: Object,
        keys: Array,
        length: u32,
        next: u32,
        /// Whether a member was counted (the next one needs a comma).
        written: bool,
        /// The value of the member whose key was read last, not yet counted.
        pending: Option<Kind>,
    },
}

impl Open {
    /// How many elements or members are still to come.
    fn remaining(&self) -> usize {
        let (Open::Array { length, next, .. } | Open::Object { length, next, .. }) = self;
        length.saturating_sub(*next) as usize
    }

    fn value(&self) -> &JsValue {
        match self {
            Open::Array { array, .. } => array,
            Open::Object { object, .. } => object,
        }
    }
}

/// Why decoding stopped.
#[derive(Debug)]
enum Stop {
    /// The walk passed a limit or met a value without a JSON form: [`Walk::failed`] says which.
    Walk,
    /// The exact size passed the limit: the payload is refused, nothing more is decoded.
    Exact,
    /// The value does not fit the type.
    Type(String),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Walk => "the payload passed a limit",
            Stop::Exact => "the payload is too large",
            Stop::Type(message) => message,
        })
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Stop::Type(message.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Stop::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Unexpected_(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Stop::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Unexpected_(unexpected)
        ))
    }
}

/// serde's wording of what was found, as serde_json says it (`null`, not "unit value"), with a
/// number as JavaScript writes it: so no float formatting is linked for error messages.
struct Unexpected_<'a>(Unexpected<'a>);

impl fmt::Display for Unexpected_<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Float(number) => write!(f, "floating point `{}`", number_text(number)),
            Unexpected::Bool(flag) => write!(f, "boolean `{flag}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(text) => write!(f, "string {}", crate::error::Quoted(text)),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

fn type_error(message: &str) -> Stop {
    Stop::Type(message.to_owned())
}
