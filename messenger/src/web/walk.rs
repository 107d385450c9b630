//! The bounded walk over a received value that judges it against the [`Limits`] before
//! anything engine-specific (`JSON.stringify`, a copy into wasm) touches it.
//!
//! Iterative, with an explicit stack no deeper than [`Limits::max_depth`], in the order
//! `JSON.stringify` would write the value, and stopping at the first limit passed: so the same
//! value gives the same [`Error`] in every engine, and no value can exhaust a stack or make this
//! side build text it is going to refuse. The byte count is a lower bound of the JSON text
//! ([`Budget`] says how each part is counted); strings are measured by their length, never
//! copied.
//!
//! It also refuses what `JSON.stringify` would throw on or silently reshape, with messages of our
//! own (the engines' messages differ): cycles, `BigInt`s, and objects that are neither arrays nor
//! plain objects (a `Map`, `Date`, typed array, `Blob`, boxed primitive ...). Those can be
//! structured-cloned, but a typed array would expand into an object with a key per element,
//! and none of them is a JSON-shaped payload.

use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::{Budget, Limits};
use crate::Error;

/// What `"null"` costs: a hole or an `undefined` in an array, a non-finite number.
const NULL_BYTES: usize = 4;

/// An array or object being walked, with the position of the next element or member.
enum Open {
    Array {
        array: Array,
        next: u32,
    },
    Object {
        object: Object,
        keys: Array,
        next: u32,
        written: u32,
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

/// How one value counts.
enum Kind {
    /// Has a JSON text of at least this many bytes.
    Scalar(usize),
    /// Omitted from an object, `null` in an array, nothing at the top level.
    Absent,
    Array(Array),
    Object(Object),
}

/// Judges `value` against `limits`: `Ok` when its JSON text may be built and checked exactly.
pub(crate) fn measure(value: &JsValue, limits: &Limits) -> Result<(), Error> {
    let mut budget = Budget::new(*limits);
    let mut stack: Vec<Open> = Vec::new();
    match classify(value)? {
        Kind::Absent => return Err(Error::DecodeFailed("the value has no JSON form".to_owned())),
        kind => enter(kind, &mut budget, &mut stack)?,
    }
    while let Some(top) = stack.last_mut() {
        let child = match top {
            Open::Array { array, next } if *next < array.length() => {
                let index = *next;
                *next += 1;
                if index > 0 {
                    budget.add(1)?; // ,
                }
                match classify(&array.get(index))? {
                    Kind::Absent => {
                        budget.add(NULL_BYTES)?;
                        continue;
                    }
                    kind => kind,
                }
            }
            Open::Object {
                object,
                keys,
                next,
                written,
            } if *next < keys.length() => {
                let key = keys.get(*next);
                *next += 1;
                let member = Reflect::get(object, &key).map_err(|_| unreadable())?;
                match classify(&member)? {
                    Kind::Absent => continue,
                    kind => {
                        let key_length = key.unchecked_ref::<JsString>().length() as usize;
                        // "key": and a comma before every member but the first.
                        budget.add(key_length + 3 + usize::from(*written > 0))?;
                        *written += 1;
                        kind
                    }
                }
            }
            _ => {
                stack.pop();
                budget.close();
                continue;
            }
        };
        enter(child, &mut budget, &mut stack)?;
    }
    Ok(())
}

/// Counts a scalar, or opens a container (refusing a cycle) and pushes it.
fn enter(kind: Kind, budget: &mut Budget, stack: &mut Vec<Open>) -> Result<(), Error> {
    let open = match kind {
        Kind::Scalar(bytes) => return budget.add(bytes),
        Kind::Absent => return budget.add(NULL_BYTES),
        Kind::Array(array) => {
            budget.reserve(array.length() as usize)?;
            Open::Array { array, next: 0 }
        }
        Kind::Object(object) => {
            let keys = Object::keys(&object);
            Open::Object {
                object,
                keys,
                next: 0,
                written: 0,
            }
        }
    };
    // Only an ancestor can make a cycle; a value met twice side by side is just written twice
    // (and counted twice, so a shared subtree cannot amplify past the budget).
    if stack.iter().any(|ancestor| ancestor.value() == open.value()) {
        return Err(Error::DecodeFailed("the value is cyclic".to_owned()));
    }
    budget.open()?;
    stack.push(open);
    Ok(())
}

fn classify(value: &JsValue) -> Result<Kind, Error> {
    if value.is_null() {
        return Ok(Kind::Scalar(4));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Kind::Scalar(if flag { 4 } else { 5 }));
    }
    if let Some(number) = value.as_f64() {
        // A finite number is at least one digit; NaN and ±∞ are written as null.
        return Ok(Kind::Scalar(if number.is_finite() { 1 } else { NULL_BYTES }));
    }
    if value.is_string() {
        // UTF-16 code units: never more than the UTF-8 bytes, plus the two quotes.
        let units = value.unchecked_ref::<JsString>().length() as usize;
        return Ok(Kind::Scalar(units.saturating_add(2)));
    }
    if value.is_undefined() || value.is_function() || value.is_symbol() {
        return Ok(Kind::Absent);
    }
    if value.is_bigint() {
        return Err(Error::DecodeFailed("a BigInt has no JSON form".to_owned()));
    }
    if Array::is_array(value) {
        return Ok(Kind::Array(value.clone().unchecked_into()));
    }
    let prototype = JsValue::from(Object::get_prototype_of(value));
    if prototype.is_null() || OBJECT_PROTOTYPE.with(|plain| prototype == *plain) {
        return Ok(Kind::Object(value.clone().unchecked_into()));
    }
    Err(Error::DecodeFailed(
        "only arrays and plain objects are payloads (not a Map, Date, typed array, ...)".to_owned(),
    ))
}

fn unreadable() -> Error {
    Error::DecodeFailed("a member could not be read".to_owned())
}

thread_local! {
    /// `Object.prototype` of this realm, which every received plain object has.
    static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}
