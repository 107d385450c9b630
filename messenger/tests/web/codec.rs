//! The payload codec against the text-based codec it replaced, in a real browser.
//!
//! `decode` reads the received value directly and `encode` builds one directly; before, a value
//! went through `JSON.stringify` → `serde_json` and `serde_json` → `JSON.parse`. Every result
//! must stay what it was, errors included: here the old decoder (a bounded walk judging the
//! limits on a lower bound, then `JSON.stringify`, the text's exact size, then `serde_json`) is
//! kept as a model and both run on thousands of generated values (lone surrogates, holes,
//! `undefined`, non-finite and huge numbers, shared subtrees, cycles, `Map`s, `BigInt`s, keys
//! like `__proto__` or `"10"`, bytes and other typed arrays) under random limits, into
//! `serde_json::Value` and typed targets.
//!
//! Bytes (issue 24) have no JSON text: the model judges them as the new rules say (`[]` in the
//! text, their `byteLength` against the binary limit, the other views refused with
//! [`Error::BadBinary`]) and reads the rest of the value from a text where they are `[]`. None of
//! the typed targets takes bytes, so where one reads them the new decoder's answer is `invalid
//! type: byte array` while the model, which saw `[]`, may have read further.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect, Uint8Array};
use messenger::protocol::{Budget, Limits};
use messenger::{BinaryFault, Error};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn random_value(seed: u32, budget: u32) -> JsValue;
    fn parse(text: &str) -> JsValue;
    fn stringify(value: &JsValue) -> JsValue;
    fn stringify_bytes_as_empty(value: &JsValue) -> JsValue;
    fn stringify_bytes_as_numbers(value: &JsValue) -> JsValue;
    fn same_value(a: &JsValue, b: &JsValue) -> bool;
    fn own_keys(value: &JsValue) -> Array;
    fn prototype_is_object(value: &JsValue) -> bool;
    fn lone_surrogate_string() -> JsValue;
}

// ---------------------------------------------------------------------------------------------
// The model: the decoder before this one, verbatim in behaviour.

const NOT_PLAIN: &str = "only arrays, plain objects and bytes are payloads (not a Map, a Date, a boxed primitive, ...)";
const LONE_SURROGATE: &str = "a string holds a lone surrogate, which is not Unicode text";
/// serde_json's messages that speak of its text (where the new ones speak of the value) ...
const TEXT_WORDING: &[&str] = &[
    "expected value",
    "trailing characters",
    "trailing comma",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "invalid type: map, expected variant identifier",
    "invalid type: sequence, expected variant identifier",
    "invalid type: null, expected variant identifier",
    // Its i128 and u128 read the text's digits.
    "invalid number",
    "number out of range",
    "invalid value: expected key to be a number in quotes",
    "expected `\"`",
];
/// ... and the new ones in those cases.
const NEW_WORDING: &[&str] = &[
    "one member, naming the variant",
    "fewer elements in the array",
    "more members than the type reads",
    ", expected enum ",
    "invalid type: ",
    "invalid value: ",
    "number out of range",
    LONE_SURROGATE,
];
/// The walk's own messages: they must match exactly.
const WALK_MESSAGES: &[&str] = &[
    NOT_PLAIN,
    "the value is cyclic",
    "the value has no JSON form",
    "a BigInt has no JSON form",
];

/// The old decoder: walk (depth, lower bound, JSON form, bytes), `JSON.stringify` (bytes as
/// `[]`), exact size, serde_json.
fn model_decode<T: DeserializeOwned>(value: &JsValue, limits: &Limits) -> Result<T, Error> {
    model_walk(value, limits)?;
    let text = stringify_bytes_as_empty(value)
        .as_string()
        .ok_or_else(|| Error::DecodeFailed("value has no JSON form".to_owned()))?;
    if text.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    serde_json::from_str(&text).map_err(|e| Error::DecodeFailed(e.to_string()))
}

enum Kind {
    Scalar(usize),
    /// Bytes, of this `byteLength`.
    Bytes(usize),
    Absent,
    Array(Array),
    Object(Object),
}

fn model_walk(value: &JsValue, limits: &Limits) -> Result<(), Error> {
    enum Open {
        Array(Array, u32),
        Object(Object, Array, u32, u32),
    }
    fn value_of(open: &Open) -> &JsValue {
        match open {
            Open::Array(array, _) => array,
            Open::Object(object, ..) => object,
        }
    }
    fn enter(kind: Kind, budget: &mut Budget, stack: &mut Vec<Open>) -> Result<(), Error> {
        let open = match kind {
            Kind::Scalar(bytes) => return budget.add(bytes),
            Kind::Bytes(length) => return budget.add_binary(length),
            Kind::Absent => return budget.add(4),
            Kind::Array(array) => {
                budget.reserve(array.length() as usize)?;
                Open::Array(array, 0)
            }
            Kind::Object(object) => {
                let keys = Object::keys(&object);
                Open::Object(object, keys, 0, 0)
            }
        };
        if stack.iter().any(|a| value_of(a) == value_of(&open)) {
            return Err(Error::DecodeFailed("the value is cyclic".to_owned()));
        }
        budget.open()?;
        stack.push(open);
        Ok(())
    }
    let mut budget = Budget::new(*limits);
    let mut stack: Vec<Open> = Vec::new();
    match classify(value)? {
        Kind::Absent => return Err(Error::DecodeFailed("the value has no JSON form".to_owned())),
        kind => enter(kind, &mut budget, &mut stack)?,
    }
    while let Some(top) = stack.last_mut() {
        let child = match top {
            Open::Array(array, next) if *next < array.length() => {
                let index = *next;
                *next += 1;
                if index > 0 {
                    budget.add(1)?;
                }
                match classify(&array.get(index))? {
                    Kind::Absent => {
                        budget.add(4)?;
                        continue;
                    }
                    kind => kind,
                }
            }
            Open::Object(object, keys, next, written) if *next < keys.length() => {
                let key = keys.get(*next);
                *next += 1;
                let member = Reflect::get(object, &key).unwrap();
                match classify(&member)? {
                    Kind::Absent => continue,
                    kind => {
                        let key_length = key.unchecked_ref::<JsString>().length() as usize;
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

fn classify(value: &JsValue) -> Result<Kind, Error> {
    if value.is_null() {
        return Ok(Kind::Scalar(4));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Kind::Scalar(if flag { 4 } else { 5 }));
    }
    if let Some(number) = value.as_f64() {
        return Ok(Kind::Scalar(if number.is_finite() { 1 } else { 4 }));
    }
    if value.is_string() {
        let units = value.unchecked_ref::<JsString>().length() as usize;
        return Ok(Kind::Scalar(units + 2));
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
    if prototype.is_null() || prototype == JsValue::from(Object::get_prototype_of(&Object::new())) {
        return Ok(Kind::Object(value.clone().unchecked_into()));
    }
    // The new rules for binary data (the generator makes no shared or detached buffers).
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Kind::Bytes(buffer.byte_length() as usize));
    }
    if let Some(view) = value.dyn_ref::<Uint8Array>() {
        return match view.byte_offset() == 0 && view.byte_length() == view.buffer().byte_length() {
            true => Ok(Kind::Bytes(view.byte_length() as usize)),
            false => Err(Error::BadBinary(BinaryFault::PartialView)),
        };
    }
    if ArrayBuffer::is_view(value) {
        return Err(Error::BadBinary(BinaryFault::NotBytes));
    }
    Err(Error::DecodeFailed(NOT_PLAIN.to_owned()))
}

/// Whether `value` holds bytes anywhere (a shared subtree counts once; cycles are skipped).
fn holds_bytes(value: &JsValue) -> bool {
    let mut seen: Vec<JsValue> = Vec::new();
    let mut todo = vec![value.clone()];
    while let Some(value) = todo.pop() {
        if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<ArrayBuffer>() {
            return true;
        }
        if !value.is_object() || seen.contains(&value) {
            continue;
        }
        seen.push(value.clone());
        if Array::is_array(&value) {
            todo.extend(value.unchecked_ref::<Array>().iter());
        } else if prototype_is_object(&value) || JsValue::from(Object::get_prototype_of(&value)).is_null() {
            let keys = Object::keys(value.unchecked_ref::<Object>());
            todo.extend(keys.iter().filter_map(|key| Reflect::get(&value, &key).ok()));
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Comparing the two.

/// serde_json's message without its position ("… at line 1 column 7").
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}

/// Equal, or equal but for a float found, which serde_json writes with `zmij` and the new
/// decoder as JavaScript writes it (`5e-324` / `5e-324`, `-9.223372036854776e+18` /
/// `-9223372036854776000`): the same number.
fn same_but_float(new: &str, old: &str) -> bool {
    let split = |message: &str| -> Option<(String, f64, String)> {
        let start = message.find("floating point `")? + "floating point `".len();
        let end = start + message[start..].find('`')?;
        Some((
            message[..start].to_owned(),
            message[start..end].parse().ok()?,
            message[end..].to_owned(),
        ))
    };
    new == old || matches!((split(new), split(old)), (Some(a), Some(b)) if a == b)
}

/// What is allowed to differ: only `DecodeFailed`'s text for a value that does not fit the type,
/// where serde_json names a position or speaks of its text, and the walk's lone-surrogate
/// message. Returns whether the messages were compared as equal.
fn assert_same<T: PartialEq + Debug>(case: &str, new: &Result<T, Error>, old: &Result<T, Error>) -> bool {
    match (new, old) {
        (Err(Error::DecodeFailed(new)), Err(Error::DecodeFailed(old))) => {
            let old = without_position(old);
            if WALK_MESSAGES.contains(&old) || WALK_MESSAGES.contains(&new.as_str()) {
                assert_eq!(new, old, "{case}: the walk's message");
                return true;
            }
            if old.contains("surrogate") || old == "unexpected end of hex escape" {
                assert_eq!(new, LONE_SURROGATE, "{case}");
                return true;
            }
            // serde's messages about the type are the same; where serde_json's differ, they
            // speak of its text ("trailing characters", "expected value"...).
            same_but_float(new, old)
                || (TEXT_WORDING.iter().any(|w| old.starts_with(w)) && NEW_WORDING.iter().any(|w| new.contains(w)))
        }
        _ => {
            assert_eq!(new, old, "{case}");
            true
        }
    }
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    id: u32,
    name: String,
}

#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    Unit,
    Newtype(i64),
    Tuple(u8, String),
    Struct { id: Option<u64> },
}

#[derive(Debug, PartialEq, Deserialize)]
struct Loose {
    id: Option<f64>,
    #[serde(default)]
    name: Vec<Option<String>>,
}

/// The message of a type that met bytes (none of the targets takes them).
const BYTES_READ: &str = "invalid type: byte array, expected ";

/// How many comparisons met bytes where the type read them (the generator must make some).
static BYTES_READ_CASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn compare_all(case: &str, value: &JsValue, limits: &Limits, unequal_messages: &mut Vec<String>) {
    fn one<T: DeserializeOwned + PartialEq + Debug>(
        case: &str,
        value: &JsValue,
        limits: &Limits,
        unequal: &mut Vec<String>,
    ) {
        let new = messenger::decode::<T>(value, limits);
        let old = model_decode::<T>(value, limits);
        // Bytes where the type reads them: refused there, where the model read `[]` (and may
        // have gone on). Every limit and walk error is still the same, compared below.
        if let Err(Error::DecodeFailed(message)) = &new {
            if message.starts_with(BYTES_READ) && holds_bytes(value) {
                assert!(
                    matches!(&old, Ok(_) | Err(Error::DecodeFailed(_))),
                    "{case}: {new:?} / {old:?}"
                );
                BYTES_READ_CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            }
        }
        if !assert_same(case, &new, &old) {
            unequal.push(format!("{case} as {}: {new:?} / {old:?}", std::any::type_name::<T>()));
        }
    }
    one::<serde_json::Value>(case, value, limits, unequal_messages);
    one::<Strict>(case, value, limits, unequal_messages);
    one::<Shape>(case, value, limits, unequal_messages);
    one::<Option<Shape>>(case, value, limits, unequal_messages);
    one::<Loose>(case, value, limits, unequal_messages);
    one::<Vec<Option<f64>>>(case, value, limits, unequal_messages);
    one::<(bool, Option<String>)>(case, value, limits, unequal_messages);
    one::<HashMap<u32, serde_json::Value>>(case, value, limits, unequal_messages);
    one::<BTreeMap<String, i64>>(case, value, limits, unequal_messages);
    one::<String>(case, value, limits, unequal_messages);
    one::<u64>(case, value, limits, unequal_messages);
    one::<i8>(case, value, limits, unequal_messages);
    one::<f32>(case, value, limits, unequal_messages);
    one::<Vec<i128>>(case, value, limits, unequal_messages);
    one::<Option<u128>>(case, value, limits, unequal_messages);
    one::<BTreeMap<i128, f32>>(case, value, limits, unequal_messages);
    one::<()>(case, value, limits, unequal_messages);
}

fn limits(max_bytes: usize, max_depth: usize) -> Limits {
    Limits {
        max_bytes,
        max_depth,
        ..Limits::DEFAULT
    }
}

#[wasm_bindgen_test]
fn decoding_gives_what_the_text_based_decoder_gave_on_generated_values() {
    let byte_limits = [0, 3, 8, 20, 40, 90, 200, 1_000, 1 << 20];
    let depth_limits = [0, 1, 2, 3, 5, 32, 1_000];
    // The generator's buffers hold 0 to 3 bytes.
    let binary_limits = [0, 1, 2, 3, 64 << 20];
    let mut unequal = Vec::new();
    let mut seed = 1u32;
    for round in 0..3_000u32 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let value = random_value(seed, 4 + round % 40);
        let limits = Limits {
            max_binary_bytes: binary_limits[(seed >> 24) as usize % binary_limits.len()],
            ..limits(
                byte_limits[(seed >> 8) as usize % byte_limits.len()],
                depth_limits[(seed >> 16) as usize % depth_limits.len()],
            )
        };
        let case = format!(
            "seed {seed} under {}/{}/{}",
            limits.max_bytes, limits.max_depth, limits.max_binary_bytes
        );
        compare_all(&case, &value, &limits, &mut unequal);
    }
    assert!(unequal.is_empty(), "different messages: {unequal:#?}");
    assert!(
        BYTES_READ_CASES.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the generator made values whose bytes a type read"
    );
}

#[wasm_bindgen_test]
fn decoding_gives_what_the_text_based_decoder_gave_on_chosen_values() {
    let texts = [
        "null",
        "true",
        "0",
        "-1",
        "1.5",
        "\"Unit\"",
        "\"Newtype\"",
        r#"{"Unit":null}"#,
        r#"{"Unit":1}"#,
        r#"{"Newtype":-3}"#,
        r#"{"Newtype":3,"Unit":null}"#,
        r#"{"Tuple":[1,"x"]}"#,
        r#"{"Tuple":[1,"x",2]}"#,
        r#"{"Tuple":[1]}"#,
        r#"{"Struct":{"id":5}}"#,
        r#"{"Struct":{}}"#,
        r#"{"Struct":{"id":null,"other":1}}"#,
        r#"{"Other":1}"#,
        "{}",
        r#"{"id":1,"name":"x"}"#,
        r#"{"id":1,"name":"x","admin":true}"#,
        r#"{"id":1,"name":"x","id":2}"#,
        r#"{"name":"x","id":1.5}"#,
        r#"{"id":4294967296,"name":"x"}"#,
        r#"[1,"x"]"#,
        r#"[1,"x",3]"#,
        r#"[true,null]"#,
        r#"[true,"s",1]"#,
        r#"{"1":2,"10":{"a":[]},"-5":1}"#,
        r#"{"1.5":1}"#,
        r#"{"a":1,"b":-2}"#,
        r#"[1.5,null,2,-0.0]"#,
        "[[[[[[]]]]]]",
        r#"{"id":null,"name":["a",null]}"#,
        r#""\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n""#,
    ];
    let mut unequal = Vec::new();
    for text in texts {
        for limits in [limits(1 << 20, 32), limits(30, 3), limits(12, 2)] {
            let case = format!("{text} under {}/{}", limits.max_bytes, limits.max_depth);
            compare_all(&case, &parse(text), &limits, &mut unequal);
        }
    }
    assert!(unequal.is_empty(), "different messages: {unequal:#?}");
}

#[wasm_bindgen_test]
fn the_exact_size_is_that_of_the_whole_text_unless_a_lower_bound_passes_later() {
    let tight = limits(64, 32);
    // 40 newlines (82 bytes as text) and a short string: the whole text, 97 bytes, not the 84
    // counted when the exact size first passed the limit.
    let value =
        parse(r#"["\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n","xxxxxxxxxx"]"#);
    assert_eq!(
        messenger::decode::<Vec<String>>(&value, &tight),
        Err(Error::TooLarge { size: 97, limit: 64 })
    );
    assert_eq!(
        model_decode::<Vec<String>>(&value, &tight),
        Err(Error::TooLarge { size: 97, limit: 64 })
    );
    // Then a long string whose length alone passes: the lower bound's count at that point.
    let value = parse(&format!(r#"["{}","{}"]"#, "\\n".repeat(40), "x".repeat(30)));
    assert_eq!(
        messenger::decode::<Vec<String>>(&value, &tight),
        Err(Error::TooLarge {
            size: 2 + 42 + 1 + 32,
            limit: 64
        })
    );
    // A type error before a limit passed further on: the limit is the answer.
    let value = parse(&format!(r#"[1,"{}"]"#, "x".repeat(100)));
    assert_eq!(
        messenger::decode::<Vec<u8>>(&value, &tight),
        Err(Error::TooLarge {
            size: 2 + 1 + 1 + 102,
            limit: 64
        })
    );
    let value = parse(r#"{"id":1,"name":"x","admin":[[[[[[]]]]]]}"#);
    assert_eq!(
        messenger::decode::<Strict>(&value, &limits(1 << 20, 3)),
        Err(Error::TooDeep { limit: 3 })
    );
}

#[wasm_bindgen_test]
fn a_lone_surrogate_fails_as_text_and_counts_as_its_escape() {
    // "ab\ud800\n": JSON.stringify writes "ab\ud800\n" in 2 + 2 + 6 + 2 = 12 bytes.
    let value = lone_surrogate_string();
    assert_eq!(stringify(&value).as_string().unwrap().len(), 12);
    assert_eq!(
        messenger::decode::<String>(&value, &limits(11, 32)),
        Err(Error::TooLarge { size: 12, limit: 11 })
    );
    assert_eq!(
        messenger::decode::<String>(&value, &limits(12, 32)),
        Err(Error::DecodeFailed(LONE_SURROGATE.to_owned()))
    );
    // Ignored, it is fine (serde_json does not check what it skips either).
    #[derive(Debug, PartialEq, Deserialize)]
    struct Ignoring {
        id: u32,
    }
    let object: Object = parse(r#"{"id":1}"#).unchecked_into();
    Reflect::set(&object, &"note".into(), &value).unwrap();
    assert_eq!(
        messenger::decode::<Ignoring>(&object, &Limits::DEFAULT),
        Ok(Ignoring { id: 1 })
    );
    assert_eq!(
        model_decode::<Ignoring>(&object, &Limits::DEFAULT),
        Ok(Ignoring { id: 1 })
    );
    // As a key, likewise: a failure when read as text, nothing when ignored.
    let object = Object::new();
    Reflect::set(&object, &value, &JsValue::from_f64(1.0)).unwrap();
    assert_eq!(
        messenger::decode::<BTreeMap<String, u8>>(&object, &Limits::DEFAULT),
        Err(Error::DecodeFailed(LONE_SURROGATE.to_owned()))
    );
    assert!(matches!(
        model_decode::<BTreeMap<String, u8>>(&object, &Limits::DEFAULT),
        Err(Error::DecodeFailed(_))
    ));
}

#[wasm_bindgen_test]
fn numbers_read_as_serde_json_reads_their_json_text() {
    let unlimited = Limits::DEFAULT;
    // Beyond 2^53 JSON.stringify writes the shortest digits that round-trip, padded with zeros.
    assert_eq!(
        messenger::decode::<u64>(&JsValue::from_f64(2f64.powi(60)), &unlimited),
        Ok(1_152_921_504_606_847_000)
    );
    assert_eq!(
        messenger::decode::<i64>(&JsValue::from_f64(-(2f64.powi(62))), &unlimited),
        Ok(-4_611_686_018_427_388_000)
    );
    // -0 is written 0; a non-finite number null.
    assert_eq!(messenger::decode::<u8>(&JsValue::from_f64(-0.0), &unlimited), Ok(0));
    assert_eq!(
        messenger::decode::<Option<f64>>(&JsValue::from_f64(f64::NAN), &unlimited),
        Ok(None)
    );
    assert_eq!(
        messenger::decode::<serde_json::Value>(&JsValue::from_f64(f64::INFINITY), &unlimited),
        Ok(serde_json::Value::Null)
    );
    // Integral but from 1e21 on written with an exponent: a float.
    let big = messenger::decode::<u64>(&JsValue::from_f64(1e21), &unlimited);
    assert!(
        matches!(&big, Err(Error::DecodeFailed(message)) if message.starts_with("invalid type: floating point")),
        "{big:?}"
    );
    // An i128 reads the digits JSON.stringify writes, also beyond u64.
    assert_eq!(
        messenger::decode::<i128>(&JsValue::from_f64(-(2f64.powi(68))), &unlimited),
        Ok(-295_147_905_179_352_830_000)
    );
    // Sizes as JavaScript writes them: "1e+21" is 5 bytes, 0.1 is 3, 2^60's digits 19.
    for (number, bytes) in [(1e21, 5), (0.1, 3), (2f64.powi(60), 19), (-5e-324, 7), (-0.0, 1)] {
        let tight = limits(bytes - 1, 1);
        assert_eq!(
            messenger::decode::<serde_json::Value>(&JsValue::from_f64(number), &tight),
            Err(Error::TooLarge {
                size: bytes,
                limit: bytes - 1
            }),
            "{number}"
        );
        assert!(messenger::decode::<serde_json::Value>(&JsValue::from_f64(number), &limits(bytes, 1)).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding: the value JSON.parse made of serde_json's text.

/// The value the old encoder gave: serde_json's text, refused with an integer literal beyond
/// 2^53 − 1 (the old text check, verbatim), parsed by `JSON.parse`.
fn model_encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, ()> {
    let text = serde_json::to_string(value).map_err(|_| ())?;
    let mut in_string = false;
    let mut escaped = false;
    let mut token = String::new();
    for byte in text.bytes().chain([b' ']) {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            token.push(char::from(byte));
            continue;
        }
        let integer = !token.is_empty() && !token.contains(['.', 'e', 'E']);
        if integer
            && token
                .trim_start_matches('-')
                .parse::<u64>()
                .map_or(true, |n| n > messenger::protocol::MAX_SAFE_INTEGER)
        {
            return Err(());
        }
        token.clear();
        in_string = byte == b'"';
    }
    Ok(parse(&text))
}

/// Same text, same own keys in the same order, plain prototypes, same numbers (-0 included);
/// bytes (`serialize_bytes`) are a `Uint8Array` over its own buffer where the text had an array
/// of numbers.
fn assert_same_value(case: &str, new: &JsValue, old: &JsValue) {
    assert_eq!(stringify_bytes_as_numbers(new), stringify(old), "{case}: text");
    if let Some(bytes) = new.dyn_ref::<Uint8Array>() {
        assert!(Array::is_array(old), "{case}: bytes where the text had an array");
        assert_eq!(bytes.byte_offset(), 0, "{case}");
        assert_eq!(
            bytes.byte_length(),
            bytes.buffer().byte_length(),
            "{case}: its own buffer"
        );
        let numbers: Vec<JsValue> = bytes.to_vec().into_iter().map(JsValue::from).collect();
        assert_eq!(numbers, old.unchecked_ref::<Array>().to_vec(), "{case}");
    } else if Array::is_array(old) {
        let (new, old): (&Array, &Array) = (new.unchecked_ref(), old.unchecked_ref());
        assert_eq!(new.length(), old.length(), "{case}");
        for i in 0..old.length() {
            assert_same_value(case, &new.get(i), &old.get(i));
        }
    } else if old.is_object() {
        assert!(prototype_is_object(new), "{case}: a plain object");
        let keys = own_keys(old);
        assert_eq!(own_keys(new).to_vec(), keys.to_vec(), "{case}: own keys");
        for key in keys.iter() {
            assert_same_value(
                case,
                &Reflect::get(new, &key).unwrap(),
                &Reflect::get(old, &key).unwrap(),
            );
        }
    } else {
        assert!(same_value(new, old), "{case}: {new:?} is {old:?}");
    }
}

fn compare_encode<T: Serialize + Debug + ?Sized>(value: &T) {
    let case = format!("{value:?}");
    match (messenger::encode(value), model_encode(value)) {
        (Ok(new), Ok(old)) => assert_same_value(&case, &new, &old),
        (Err(Error::EncodeFailed(_)), Err(())) => {}
        (new, old) => panic!("{case}: {new:?}, before {old:?}"),
    }
}

#[derive(Debug, Serialize)]
enum Every {
    Unit,
    Newtype(Option<i32>),
    Tuple(u8, char, Vec<u8>),
    Struct { a: f32, b: (), c: Option<Box<Every>> },
}

#[derive(Debug, Serialize)]
struct Record {
    id: u64,
    name: &'static str,
    #[serde(rename = "__proto__")]
    proto: Vec<i16>,
    #[serde(rename = "toString")]
    to_string: bool,
    unit: (),
    every: Vec<Every>,
    #[serde(with = "serde_bytes_as_bytes")]
    bytes: Vec<u8>,
}

/// `serialize_bytes` without a crate for it.
mod serde_bytes_as_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }
}

#[derive(Debug, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyName {
    Alpha,
    Beta,
}

#[derive(Debug, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Wrapped(u64);

#[wasm_bindgen_test]
fn encoding_gives_what_json_parse_made_of_serde_jsons_text() {
    compare_encode(&());
    compare_encode(&true);
    compare_encode(&-0.0f64);
    compare_encode(&f64::NAN);
    compare_encode(&vec![f64::INFINITY, f64::NEG_INFINITY, 1e300, 5e-324, 0.1 + 0.2]);
    compare_encode(&vec![0.1f32, 1e-7, 3.4e38, 16_777_217.0, f32::NAN, -0.0, 1.0 / 3.0]);
    compare_encode(&(u64::MAX >> 11, -(i64::MAX >> 10), i128::from(i64::MIN >> 10)));
    compare_encode(&(1u64 << 53));
    compare_encode(&-(1i64 << 53));
    compare_encode(&u128::MAX);
    compare_encode(&vec![Some("é€😀\u{2028}\n\"\\"), None]);
    compare_encode(&'x');
    compare_encode(&Record {
        id: 7,
        name: "n",
        proto: vec![1, -2],
        to_string: true,
        unit: (),
        every: vec![
            Every::Unit,
            Every::Newtype(None),
            Every::Newtype(Some(-4)),
            Every::Tuple(1, 'c', vec![0, 255]),
            Every::Struct {
                a: 0.3,
                b: (),
                c: Some(Box::new(Every::Unit)),
            },
        ],
        bytes: vec![1, 2, 3],
    });
    let mut keys = BTreeMap::new();
    keys.insert(KeyName::Alpha, 1);
    keys.insert(KeyName::Beta, 2);
    compare_encode(&keys);
    let mut keys = BTreeMap::new();
    keys.insert(Wrapped(u64::MAX), "huge keys are text");
    keys.insert(Wrapped(2), "two");
    compare_encode(&keys);
    let mut keys = BTreeMap::new();
    keys.insert(true, 1);
    compare_encode(&keys);
    let mut keys = BTreeMap::new();
    keys.insert(-3i8, [1u8; 3]);
    compare_encode(&keys);
    let mut keys = BTreeMap::new();
    keys.insert(Some('k'), 1);
    compare_encode(&keys);
    let mut keys = HashMap::new();
    keys.insert("10", 1);
    compare_encode(&keys);
    // Refused both ways: keys JSON cannot write as text, integers a number would round.
    let mut keys = BTreeMap::new();
    keys.insert(vec![1u8], 1);
    compare_encode(&keys);
    let mut keys = BTreeMap::new();
    keys.insert((), 1);
    compare_encode(&keys);
    compare_encode(&vec![1u64, 1 << 60]);
    assert_eq!(
        messenger::encode(&(1u64 << 53)),
        Err(Error::EncodeFailed(
            "integer 9007199254740992 is beyond what a JavaScript number holds exactly".to_owned()
        ))
    );
}

#[wasm_bindgen_test]
fn a_proto_key_is_a_member_not_a_prototype() {
    let mut map = BTreeMap::new();
    map.insert("__proto__", vec![1]);
    let value = messenger::encode(&map).unwrap();
    assert!(prototype_is_object(&value));
    assert_eq!(own_keys(&value).to_vec(), vec![JsValue::from_str("__proto__")]);
    // And it comes back as it went.
    assert_eq!(
        messenger::decode::<BTreeMap<String, Vec<u8>>>(&value, &Limits::DEFAULT),
        Ok(BTreeMap::from([("__proto__".to_owned(), vec![1])]))
    );
}
