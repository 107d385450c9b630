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
//! [`crate::core::MAX_DEPTH`]).
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

use js_sys::{Array, JsString, Object, Reflect};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, Unexpected, Visitor};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::{json_integer_len, json_string_len, Budget, Limits, MAX_SAFE_INTEGER};
use crate::Error;

/// What `null` costs: a hole or an `undefined` in an array, a non-finite number.
const NULL_BYTES: usize = 4;

const NOT_PLAIN: &str = "only arrays and plain objects are payloads (not a Map, Date, typed array, ...)";
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

/// A value as the walk met it, before any of it is counted.
enum Kind {
    Null,
    Bool(bool),
    Number(f64),
    Str(JsString),
    Array(Array),
    Object(Object),
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
            Unexpected::Str(text) => write!(f, "string {text:?}"),
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

/// The walk's state: the budget, the containers open from the top level down, and the first
/// limit passed.
struct Walk {
    budget: Budget,
    stack: Vec<Open>,
    failed: Option<Error>,
}

impl Walk {
    /// Records why the payload is refused; the walk stops here.
    fn fail(&mut self, error: Error) -> Stop {
        self.failed.get_or_insert(error);
        Stop::Walk
    }

    fn check(&mut self, judged: Result<(), Error>) -> Result<(), Stop> {
        judged.map_err(|error| self.fail(error))
    }

    /// Decoding goes on only while nothing has refused the payload yet.
    fn guard(&self) -> Result<(), Stop> {
        if self.failed.is_some() {
            Err(Stop::Walk)
        } else if self.budget.exact_passed() {
            Err(Stop::Exact)
        } else {
            Ok(())
        }
    }

    fn root(&mut self, value: &JsValue) -> Result<Node, Stop> {
        let node = match self.classify(value.clone())? {
            Kind::Absent => return Err(self.fail(decode_failed("the value has no JSON form"))),
            kind => self.enter(kind)?,
        };
        self.guard()?;
        Ok(node)
    }

    /// The outcome, in the order of the module's documentation.
    fn finish<T>(mut self, decoded: Result<T, Stop>) -> Result<T, Error> {
        if self.failed.is_none() {
            // What was not decoded is measured: a limit passed further on is the answer.
            let _ = self.drain_to(0);
        }
        if let Some(error) = self.failed {
            return Err(error);
        }
        self.budget.check_exact()?;
        decoded.map_err(|stop| match stop {
            Stop::Type(message) => Error::DecodeFailed(message),
            // Both are recorded and answered above.
            Stop::Walk | Stop::Exact => decode_failed("the payload could not be decoded"),
        })
    }

    fn classify(&mut self, value: JsValue) -> Result<Kind, Stop> {
        if value.is_string() {
            return Ok(Kind::Str(value.unchecked_into()));
        }
        if let Some(number) = value.as_f64() {
            return Ok(Kind::Number(number));
        }
        if value.is_object() {
            if Array::is_array(&value) {
                return Ok(Kind::Array(value.unchecked_into()));
            }
            let prototype = JsValue::from(Object::get_prototype_of(&value));
            if prototype.is_null() || OBJECT_PROTOTYPE.with(|plain| prototype == *plain) {
                return Ok(Kind::Object(value.unchecked_into()));
            }
            return Err(self.fail(decode_failed(NOT_PLAIN)));
        }
        if value.is_null() {
            return Ok(Kind::Null);
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Kind::Bool(flag));
        }
        if value.is_bigint() {
            return Err(self.fail(decode_failed("a BigInt has no JSON form")));
        }
        Ok(Kind::Absent)
    }

    /// Counts `kind` and reads it: a scalar whole (a string is copied only after its lower bound
    /// was counted), a container by opening it on the stack (its elements come later).
    fn enter(&mut self, kind: Kind) -> Result<Node, Stop> {
        Ok(match kind {
            Kind::Null | Kind::Absent => {
                self.add(NULL_BYTES)?;
                Node::Null
            }
            Kind::Bool(flag) => {
                self.add(if flag { 4 } else { 5 })?;
                Node::Bool(flag)
            }
            Kind::Number(number) if !number.is_finite() => {
                self.add(NULL_BYTES)?;
                Node::Null
            }
            Kind::Number(number) => {
                let at_least = self.budget.add_at_least(1);
                self.check(at_least)?;
                let (read, bytes) = read_number(number);
                self.budget.add_exact(bytes);
                Node::Number(read, number)
            }
            Kind::Str(string) => {
                let (text, lone) = self.read_string(&string, 0)?;
                Node::Str(text, lone)
            }
            Kind::Array(array) => {
                let length = array.length();
                let reserved = self.budget.reserve(length as usize);
                self.check(reserved)?;
                Node::Array(self.open(Open::Array { array, length, next: 0 })?)
            }
            Kind::Object(object) => {
                let keys = Object::keys(&object);
                Node::Object(self.open(Open::Object {
                    length: keys.length(),
                    object,
                    keys,
                    next: 0,
                    written: false,
                    pending: None,
                })?)
            }
        })
    }

    fn add(&mut self, bytes: usize) -> Result<(), Stop> {
        let added = self.budget.add(bytes);
        self.check(added)
    }

    /// Copies a string into wasm after counting its lower bound (its UTF-16 length and the
    /// quotes, plus `extra` bytes around it), then counts its exact size and `extra`.
    fn read_string(&mut self, string: &JsString, extra: usize) -> Result<(String, bool), Stop> {
        let units = string.length() as usize;
        let at_least = self.budget.add_at_least(units.saturating_add(2).saturating_add(extra));
        self.check(at_least)?;
        let text = copy_string(string, units);
        let mut bytes = json_string_len(&text);
        // The copy has U+FFFD where the string had a lone surrogate (which is not Unicode text
        // and which JSON.stringify writes as a six-byte escape); count those it did not have.
        // Only a string with a character beyond ASCII (more bytes than code units) can.
        let mut lone = false;
        if text.len() != units && text.contains('\u{fffd}') {
            let replaced = text.matches('\u{fffd}').count();
            let had = (string.split("\u{fffd}").length() as usize).saturating_sub(1);
            let surrogates = replaced.saturating_sub(had);
            lone = surrogates > 0;
            bytes = bytes.saturating_add(3 * surrogates);
        }
        self.budget.add_exact(bytes.saturating_add(extra));
        Ok((text, lone))
    }

    /// Opens a container on the stack at the next level, refusing a cycle and a level too deep.
    fn open(&mut self, open: Open) -> Result<usize, Stop> {
        // Only an ancestor can make a cycle; a value met twice side by side is just written twice
        // (and counted twice, so a shared subtree cannot amplify past the budget).
        if self.stack.iter().any(|ancestor| ancestor.value() == open.value()) {
            return Err(self.fail(decode_failed("the value is cyclic")));
        }
        let opened = self.budget.open();
        self.check(opened)?;
        self.stack.push(open);
        Ok(self.stack.len() - 1)
    }

    /// Closes the container at `level` (the innermost) once all of it was counted.
    fn close(&mut self, level: usize) -> Result<(), Stop> {
        self.drain_to(level)
    }

    /// The next element of the array at `level` (the innermost), counting the comma before it;
    /// `None` after the last.
    fn next_element(&mut self, level: usize) -> Result<Option<Kind>, Stop> {
        let Some(Open::Array { array, length, next }) = self.stack.get_mut(level) else {
            return Ok(None);
        };
        if *next >= *length {
            return Ok(None);
        }
        let index = *next;
        *next += 1;
        let element = array.get(index);
        if index > 0 {
            self.add(1)?;
        }
        self.classify(element).map(Some)
    }

    /// The key of the next member of the object at `level` (the innermost), counting it, the
    /// colon and the comma before it; its value waits in the object's `pending`. Members whose
    /// value is absent are skipped, as `JSON.stringify` omits them. `None` after the last.
    fn next_member(&mut self, level: usize) -> Result<Option<(String, bool)>, Stop> {
        // A value whose key was read but that nobody decoded is measured first.
        if let Some(kind) = self.take_pending(level) {
            self.enter(kind)?;
            self.drain_to(level + 1)?;
        }
        loop {
            let Some(Open::Object {
                object,
                keys,
                length,
                next,
                ..
            }) = self.stack.get_mut(level)
            else {
                return Ok(None);
            };
            if *next >= *length {
                return Ok(None);
            }
            let key = keys.get(*next);
            *next += 1;
            // Structured-clone data has no getters, but `decode` is public: a throwing getter is
            // an error, not an exception through wasm.
            let member = Reflect::get(object, &key);
            let member = match member {
                Ok(member) => member,
                Err(_) => return Err(self.fail(decode_failed("a member could not be read"))),
            };
            let kind = self.classify(member)?;
            if let Kind::Absent = kind {
                continue;
            }
            let comma = match self.stack.get_mut(level) {
                Some(Open::Object { written, .. }) => usize::from(std::mem::replace(written, true)),
                _ => 0,
            };
            // "key": and a comma before every member but the first.
            let key = self.read_string(key.unchecked_ref::<JsString>(), 1 + comma)?;
            if let Some(Open::Object { pending, .. }) = self.stack.get_mut(level) {
                *pending = Some(kind);
            }
            return Ok(Some(key));
        }
    }

    /// The value of the member whose key was read last in the object at `level`.
    fn take_pending(&mut self, level: usize) -> Option<Kind> {
        match self.stack.get_mut(level) {
            Some(Open::Object { pending, .. }) => pending.take(),
            _ => None,
        }
    }

    /// Measures, without decoding, the rest of every container above `level`, in document
    /// order, until `level` containers are open. Iterative: no recursion whatever the nesting.
    fn drain_to(&mut self, level: usize) -> Result<(), Stop> {
        while self.stack.len() > level {
            let top = self.stack.len() - 1;
            let child = match &self.stack[top] {
                Open::Array { .. } => self.next_element(top)?,
                Open::Object { .. } => match self.take_pending(top) {
                    Some(kind) => Some(kind),
                    None => self.next_member(top)?.and_then(|_| self.take_pending(top)),
                },
            };
            match child {
                Some(kind) => {
                    self.enter(kind)?;
                }
                None => {
                    self.stack.pop();
                    self.budget.close();
                }
            }
        }
        Ok(())
    }

    /// The next element of the array at `level`, counted and read, for a visitor.
    fn element(&mut self, level: usize) -> Result<Option<Node>, Stop> {
        self.guard()?;
        // Whatever the previous element's visitor left is measured first.
        self.drain_to(level + 1)?;
        let Some(kind) = self.next_element(level)? else {
            return Ok(None);
        };
        let node = self.enter(kind)?;
        self.guard()?;
        Ok(Some(node))
    }

    /// The key of the next member of the object at `level`, counted and read, for a visitor.
    fn key(&mut self, level: usize) -> Result<Option<Text>, Stop> {
        self.guard()?;
        self.drain_to(level + 1)?;
        let Some((text, lone)) = self.next_member(level)? else {
            return Ok(None);
        };
        self.guard()?;
        Ok(Some(Text { text, lone }))
    }

    /// The value of the member whose key was read last in the object at `level`, counted and
    /// read, for a visitor.
    fn value(&mut self, level: usize) -> Result<Node, Stop> {
        self.guard()?;
        let kind = self
            .take_pending(level)
            .ok_or_else(|| type_error("a member's value was asked for before its key"))?;
        let node = self.enter(kind)?;
        self.guard()?;
        Ok(node)
    }

    /// Ends the array at `level` once its visitor is done: every element must have been taken.
    fn end_array(&mut self, level: usize) -> Result<(), Stop> {
        self.drain_to(level + 1)?;
        if let Some(Open::Array { length, next, .. }) = self.stack.get(level) {
            if next < length {
                return Err(de::Error::invalid_length(
                    *length as usize,
                    &"fewer elements in the array",
                ));
            }
        }
        self.close(level)
    }

    /// Ends the object at `level` once its visitor is done: no member may be left.
    fn end_object(&mut self, level: usize, expected: &'static str) -> Result<(), Stop> {
        self.drain_to(level + 1)?;
        if self.next_member(level)?.is_some() {
            return Err(type_error(expected));
        }
        self.close(level)
    }
}

fn decode_failed(message: &str) -> Error {
    Error::DecodeFailed(message.to_owned())
}

/// Strings at least this long are copied into wasm with one `TextEncoder.encodeInto`; shorter
/// ones through wasm-bindgen, whose JavaScript copies ASCII a character at a time (for a few
/// characters cheaper than the native call, for 64 KB about 2.5 times slower).
const NATIVE_COPY_FROM: usize = 256;

/// `string` (of `units` UTF-16 code units) as Rust text, a lone surrogate as U+FFFD.
fn copy_string(string: &JsString, units: usize) -> String {
    if units < NATIVE_COPY_FROM {
        return string.as_string().unwrap_or_default();
    }
    // At most three UTF-8 bytes per UTF-16 code unit (four for the two of a pair).
    let mut bytes: Vec<u8> = Vec::with_capacity(units.saturating_mul(3));
    let written = UTF8.with(|encoder| {
        // SAFETY: the view covers exactly the vector's allocation, and nothing allocates in
        // wasm (which could move the vector or grow the memory and detach the view) until
        // `encodeInto` has returned.
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(bytes.as_mut_ptr(), bytes.capacity()) };
        encoder.encode_into(string, &view).written() as usize
    });
    // SAFETY: `encodeInto` wrote `written` bytes from the start, at most the view's length.
    unsafe { bytes.set_len(written.min(bytes.capacity())) };
    bytes.shrink_to_fit();
    // SAFETY: `encodeInto` writes UTF-8 (a lone surrogate as U+FFFD): wasm-bindgen's own
    // string passing, which `as_string` uses, relies on the same call the same way.
    unsafe { String::from_utf8_unchecked(bytes) }
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `TextEncoder`.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    /// `encodeInto(source, destination)`: `source` as UTF-8 into `destination`.
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Utf8Encoder, source: &JsString, destination: &js_sys::Uint8Array) -> Encoded;

    /// What `encodeInto` did.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> f64;
}

thread_local! {
    static UTF8: Utf8Encoder = Utf8Encoder::new();
}

#[wasm_bindgen]
extern "C" {
    /// `String(number)`: JavaScript's text of a number, the one `JSON.stringify` writes.
    #[wasm_bindgen(js_name = String)]
    fn number_text(number: f64) -> String;
}

thread_local! {
    /// `Object.prototype` of this realm, which every received plain object has.
    static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}

/// `number` as `serde_json` would read `JSON.stringify`'s text of it, and that text's length.
fn read_number(number: f64) -> (Number, usize) {
    let magnitude = number.abs();
    let integral = number.fract() == 0.0;
    if integral && magnitude <= MAX_SAFE_INTEGER as f64 {
        let whole = magnitude as u64;
        let read = match number < 0.0 && whole != 0 {
            true => Number::I(-(whole as i64)),
            false => Number::U(whole),
        };
        return (read, json_integer_len(whole, number < 0.0));
    }
    // JavaScript's own text: beyond 2^53 an integer is written as the shortest digits that
    // round-trip, padded with zeros (2^60 is 1152921504606847000), from 1e21 on with an exponent.
    let text = number_text(number);
    let read = match integral && magnitude < 1e21 {
        true => integer_text(&text).unwrap_or(Number::F(number)),
        false => Number::F(number),
    };
    (read, text.len())
}

/// An integer literal as `serde_json` reads it: `u64`, else `i64`, else (beyond both) `None`.
fn integer_text(text: &str) -> Option<Number> {
    match text.strip_prefix('-') {
        Some(digits) => {
            let magnitude: u64 = digits.parse().ok()?;
            match magnitude {
                0 => Some(Number::F(-0.0)),
                m if m <= 1 << 63 => Some(Number::I((m as i64).wrapping_neg())),
                _ => None,
            }
        }
        None => text.parse().ok().map(Number::U),
    }
}

/// A member's key read as a number, as `serde_json` reads a map's numeric keys (`{"1": …}` into
/// a `HashMap<u32, _>`): the whole key must be a JSON number.
fn number_key(text: &str) -> Option<Number> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |text: &str| text.bytes().take_while(u8::is_ascii_digit).count();
    let integer = digits(unsigned);
    if integer == 0 || (integer > 1 && unsigned.starts_with('0')) {
        return None;
    }
    let mut rest = &unsigned[integer..];
    if rest.is_empty() {
        return integer_text(text).or_else(|| text.parse().ok().map(Number::F));
    }
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = digits(fraction);
        if count == 0 {
            return None;
        }
        rest = &fraction[count..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let count = digits(exponent);
        if count == 0 {
            return None;
        }
        rest = &exponent[count..];
    }
    match rest.is_empty() {
        true => text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Number::F),
        false => None,
    }
}

/// Whether a key is a JSON integer literal (what serde_json reads into an `i128` or `u128`).
fn integer_key(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !(digits.len() > 1 && digits.starts_with('0'))
}

/// A number's text read as an `f32` (correctly rounded from the text, as serde_json's
/// `float_roundtrip` reads it; an `f32` cannot hold every finite `f64`).
fn single<'de, V: Visitor<'de>>(text: &str, visitor: V) -> Result<V::Value, Stop> {
    match text.parse::<f32>() {
        Ok(number) if number.is_finite() => visitor.visit_f64(number.into()),
        _ => Err(type_error("number out of range")),
    }
}

/// A number into an `i128` or `u128`: its integer text parsed by `parse` (`None` when out of
/// range), a number with a fraction or an exponent refused.
fn wide<'de, V: Visitor<'de>>(
    read: Number,
    number: f64,
    visitor: V,
    parse: impl FnOnce(&str, V) -> Option<Result<V::Value, Stop>>,
) -> Result<V::Value, Stop> {
    match read {
        Number::U(n) => visitor.visit_u64(n),
        Number::I(n) => visitor.visit_i64(n),
        Number::F(_) if number.fract() == 0.0 && number.abs() < 1e21 => {
            parse(&number_text(number), visitor).unwrap_or_else(|| Err(type_error("number out of range")))
        }
        Number::F(_) => Err(de::Error::invalid_type(read.unexpected(), &visitor)),
    }
}

/// A value for serde: a scalar read, or a container open at its level.
struct Value<'w> {
    walk: &'w mut Walk,
    node: Node,
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        let Value { walk, node } = self;
        match node {
            Node::Null => visitor.visit_unit(),
            Node::Bool(flag) => visitor.visit_bool(flag),
            Node::Number(number, _) => number.visit(visitor),
            Node::Str(text, lone) => Text { text, lone }.deserialize_any(visitor),
            Node::Array(level) => {
                let value = visitor.visit_seq(Seq {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_array(level)?;
                Ok(value)
            }
            Node::Object(level) => {
                let value = visitor.visit_map(Members {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_object(level, "more members than the type reads")?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        let Value { walk, node } = self;
        match node {
            Node::Str(text, lone) => Text { text, lone }.deserialize_enum(_name, _variants, visitor),
            Node::Object(level) => {
                let value = visitor.visit_enum(Variant {
                    walk: &mut *walk,
                    level,
                })?;
                walk.end_object(level, "an enum's object has one member, naming the variant")?;
                Ok(value)
            }
            other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Str(text, lone) => Text { text, lone }.deserialize_bytes(visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // serde_json (float_roundtrip) reads a fraction or an exponent straight as an f32.
            Node::Number(Number::F(_), number) => single(&number_text(number), visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            // serde_json reads any integer literal as an i128, also beyond u64.
            Node::Number(read, number) => wide(read, number, visitor, |text, visitor| {
                text.parse().ok().map(|n| visitor.visit_i128(n))
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.node {
            Node::Number(read, number) => wide(read, number, visitor, |text, visitor| {
                text.parse().ok().map(|n| visitor.visit_u128(n))
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        // Measured like everything else, decoded into nothing.
        if let Node::Array(level) | Node::Object(level) = self.node {
            self.walk.drain_to(level)?;
            self.walk.guard()?;
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f64 char str string unit unit_struct seq tuple
        tuple_struct map struct identifier
    }
}

/// The elements of an array, for a visitor.
struct Seq<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_> {
    type Error = Stop;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Stop> {
        match self.walk.element(self.level)? {
            Some(node) => seed
                .deserialize(Value {
                    walk: &mut *self.walk,
                    node,
                })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        match self.walk.stack.get(self.level) {
            Some(Open::Array { length, next, .. }) => Some(length.saturating_sub(*next) as usize),
            _ => Some(0),
        }
    }
}

/// The members of an object, for a visitor.
struct Members<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'de> de::MapAccess<'de> for Members<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Stop> {
        match self.walk.key(self.level)? {
            Some(key) => seed.deserialize(key).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        let node = self.walk.value(self.level)?;
        seed.deserialize(Value {
            walk: &mut *self.walk,
            node,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        match self.walk.stack.get(self.level) {
            Some(Open::Object { length, next, .. }) => Some(length.saturating_sub(*next) as usize),
            _ => Some(0),
        }
    }
}

/// An enum written as an object with one member: the key names the variant, the value holds it.
struct Variant<'w> {
    walk: &'w mut Walk,
    level: usize,
}

impl<'w> Variant<'w> {
    /// The member's value, counted and read.
    fn value(self) -> Result<Value<'w>, Stop> {
        let node = self.walk.value(self.level)?;
        Ok(Value { walk: self.walk, node })
    }
}

impl<'de> de::EnumAccess<'de> for Variant<'_> {
    type Error = Stop;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Stop> {
        let key = self
            .walk
            .key(self.level)?
            .ok_or_else(|| type_error("an enum's object has one member, naming the variant"))?;
        let variant = seed.deserialize(key)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        // `{"Variant": null}`, as serde_json accepts it.
        de::Deserialize::deserialize(self.value()?)
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Stop> {
        seed.deserialize(self.value()?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Stop> {
        de::Deserializer::deserialize_seq(self.value()?, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Stop> {
        de::Deserializer::deserialize_struct(self.value()?, "", fields, visitor)
    }
}

/// A string already read: a string value, a member's key, or a unit variant's name.
///
/// As a key it also reads as what `serde_json` reads from a key: a number (`{"1": …}` into a
/// `HashMap<u32, _>`) or a boolean.
struct Text {
    text: String,
    /// The JavaScript string had lone surrogates: it fails as text, and is fine when ignored.
    lone: bool,
}

impl Text {
    fn checked(self) -> Result<String, Stop> {
        match self.lone {
            true => Err(type_error(LONE_SURROGATE)),
            false => Ok(self.text),
        }
    }

    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match number_key(&self.text) {
            Some(number) => number.visit(visitor),
            None => Err(de::Error::invalid_type(Unexpected::Str(&self.text), &visitor)),
        }
    }
}

macro_rules! number_keys {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            self.number(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Text {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_string(self.checked()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match self.text.as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(de::Error::invalid_type(Unexpected::Str(other), &visitor)),
        }
    }

    number_keys!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match number_key(&self.text) {
            Some(Number::F(_)) => single(&self.text, visitor),
            _ => self.number(visitor),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match (integer_key(&self.text), self.text.parse()) {
            (true, Ok(n)) => visitor.visit_i128(n),
            _ => self.number(visitor),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        match (integer_key(&self.text), self.text.parse()) {
            (true, Ok(n)) => visitor.visit_u128(n),
            _ => self.number(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_enum(UnitVariant(self))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_byte_buf(self.checked()?.into_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// An enum written as a string: the variant's name, and nothing more.
struct UnitVariant(Text);

impl<'de> de::EnumAccess<'de> for UnitVariant {
    type Error = Stop;
    type Variant = UnitOnly;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, UnitOnly), Stop> {
        seed.deserialize(self.0).map(|variant| (variant, UnitOnly))
    }
}

/// The variant named by a string: only a unit variant can be one (as in serde_json).
struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _seed: S) -> Result<S::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value, Stop> {
        Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant"))
    }
}
