//! Arbitrary text (raw bytes, or JSON built from tokens, deep nesting and long integers
//! included) and arbitrary `Limits` through the payload checks of `messenger::core`, then into
//! `serde_json` and the demo's protocol types; and arbitrary operation sequences through
//! `messenger::core::Budget`.
//!
//! Checked:
//! - nothing panics;
//! - `check_json` refuses with `TooLarge` exactly when the text is longer than `max_bytes`, and
//!   otherwise, for valid JSON, with `TooDeep` exactly when its nesting is deeper than
//!   `max_depth`;
//! - whenever `check_json` accepts and `max_depth <= MAX_DEPTH`, `serde_json` never hits its
//!   recursion limit, into `Value` or into any `shared-proto` type;
//! - `check_safe_integers` refuses valid JSON exactly when it has an integer literal beyond
//!   `MAX_SAFE_INTEGER` (in both directions, as far as `serde_json::Value` can tell);
//! - a protocol value that decodes re-encodes to text that decodes to the same value;
//! - the web layer's walk (`messenger/src/web/walk.rs`), replayed over the decoded value with a
//!   `Budget`: refuses `TooDeep` exactly when the nesting passes `min(max_depth, MAX_DEPTH)`,
//!   counts a lower bound of the value's JSON text (so it refuses `TooLarge` only what
//!   `check_json` would refuse too), and agrees with `check_json` on depth;
//! - `Budget` against a model: `bytes()` never decreases, `depth()` never exceeds
//!   `min(max_depth, MAX_DEPTH)`, a refused level is not entered, `reserve` counts nothing, and
//!   every error names the right size and limit.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use messenger::core::{check_json, check_safe_integers, Budget, Limits, MAX_DEPTH, MAX_SAFE_INTEGER};
use messenger::Error;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use shared_proto::{
    Draft, EosAnswer, EosInterrupt, EosRequest, Failure, FieldError, Item, ItemSummary, PhosphorescenceReply, Question,
};

#[derive(Debug, Arbitrary)]
struct Input {
    max_bytes: Bytes,
    max_depth: Depth,
    text: Text,
    budget: Vec<BudgetOp>,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Bytes {
    Small(u16),
    Any(usize),
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Depth {
    /// 0 to 255: around `MAX_DEPTH` and below.
    Small(u8),
    Any(usize),
}

#[derive(Debug, Arbitrary)]
enum Text {
    Raw(Vec<u8>),
    Json(Vec<Token>),
    /// JSON from tokens with raw bytes spliced in at an arbitrary offset.
    Spliced {
        tokens: Vec<Token>,
        at: u16,
        bytes: Vec<u8>,
    },
}

/// Builds JSON text; the builder adds commas, keys and closing brackets where needed.
#[derive(Debug, Arbitrary)]
enum Token {
    OpenArray,
    OpenObject,
    Close,
    /// This many arrays at once (depths around `MAX_DEPTH` quickly).
    Deep(u8),
    /// The key of the next object member, from the protocol's own names.
    KnownKey(u8),
    Key(String),
    KnownStr(u8),
    Str(String),
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// An integer literal of `16 + len % 30` digits starting with a non-zero digit.
    LongInt {
        len: u8,
        negative: bool,
        digit: u8,
    },
    Space,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Amount {
    Small(u16),
    Any(usize),
}

impl Amount {
    fn get(self) -> usize {
        match self {
            Amount::Small(n) => n.into(),
            Amount::Any(n) => n,
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum BudgetOp {
    Open,
    Close,
    Add(Amount),
    Reserve(Amount),
}

/// Field names and tags of `shared-proto`, so built objects reach its decoders' deeper paths.
const KEYS: &[&str] = &[
    "kind",
    "app",
    "protocol_version",
    "greeting",
    "id",
    "draft",
    "title",
    "body",
    "revision",
    "host",
    "offers",
    "items",
    "item",
    "question",
    "prompt",
    "failure",
    "reason",
    "errors",
    "field",
    "problem",
    "max",
    "current",
    "eos",
    "action",
    "answer",
];
const STRINGS: &[&str] = &[
    "introduce",
    "list_items",
    "get_item",
    "create_item",
    "update_item",
    "delete_item",
    "poll",
    "welcome",
    "items",
    "item",
    "deleted",
    "polled",
    "failed",
    "not_found",
    "invalid",
    "stale",
    "version_mismatch",
    "not_introduced",
    "share",
    "pin",
    "ask_for_attention",
    "chose",
    "declined",
    "read",
    "write",
    "actions",
    "questions",
    "title",
    "body",
    "empty",
    "too_long",
];

fuzz_target!(|input: Input| run(input));

fn run(input: Input) {
    let limits = Limits {
        max_bytes: match input.max_bytes {
            Bytes::Small(n) => n.into(),
            Bytes::Any(n) => n,
        },
        max_depth: match input.max_depth {
            Depth::Small(n) => n.into(),
            Depth::Any(n) => n,
        },
        ..Limits::DEFAULT
    };
    let text = match input.text {
        Text::Raw(bytes) => bytes,
        Text::Json(tokens) => build(&tokens).into_bytes(),
        Text::Spliced { tokens, at, bytes } => {
            let mut text = build(&tokens).into_bytes();
            let at = usize::from(at).min(text.len());
            text.splice(at..at, bytes);
            text
        }
    };
    check_text(&text, &limits);
    check_budget(&limits, &input.budget);
}

// --- text ----------------------------------------------------------------------------------------

enum Container {
    Array { count: usize },
    Object { count: usize, key: Option<String> },
}

fn build(tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut stack: Vec<Container> = Vec::new();
    let mut done = false;
    for token in tokens {
        if done {
            break;
        }
        let value: Option<String> = match token {
            Token::OpenArray | Token::OpenObject | Token::Deep(_) => {
                let opens = match token {
                    Token::Deep(n) => usize::from(*n).max(1),
                    _ => 1,
                };
                for _ in 0..opens {
                    before_value(&mut out, &mut stack);
                    if matches!(token, Token::OpenObject) {
                        out.push('{');
                        stack.push(Container::Object { count: 0, key: None });
                    } else {
                        out.push('[');
                        stack.push(Container::Array { count: 0 });
                    }
                }
                None
            }
            Token::Close => {
                close(&mut out, &mut stack);
                done = stack.is_empty();
                None
            }
            Token::KnownKey(i) => {
                set_key(&mut stack, KEYS[usize::from(*i) % KEYS.len()].to_owned());
                None
            }
            Token::Key(key) => {
                set_key(&mut stack, key.clone());
                None
            }
            Token::Space => {
                out.push(' ');
                None
            }
            Token::KnownStr(i) => Some(quote(STRINGS[usize::from(*i) % STRINGS.len()])),
            Token::Str(s) => Some(quote(s)),
            Token::Null => Some("null".to_owned()),
            Token::Bool(b) => Some(b.to_string()),
            Token::Int(n) => Some(n.to_string()),
            Token::UInt(n) => Some(n.to_string()),
            Token::Float(f) => Some(serde_json::to_string(f).expect("a float encodes")),
            Token::LongInt { len, negative, digit } => {
                let mut literal = String::from(if *negative { "-" } else { "" });
                literal.push(char::from(b'1' + digit % 9));
                for i in 0..(15 + usize::from(*len % 30)) {
                    literal.push(char::from(b'0' + ((usize::from(*digit) + i * 7) % 10) as u8));
                }
                Some(literal)
            }
        };
        if let Some(value) = value {
            before_value(&mut out, &mut stack);
            out.push_str(&value);
            done = stack.is_empty();
        }
    }
    while !stack.is_empty() {
        close(&mut out, &mut stack);
    }
    if out.is_empty() {
        out.push_str("null");
    }
    out
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string encodes")
}

fn set_key(stack: &mut [Container], key: String) {
    if let Some(Container::Object { key: slot, .. }) = stack.last_mut() {
        *slot = Some(key);
    }
}

/// Writes the comma and, in an object, the key before a value.
fn before_value(out: &mut String, stack: &mut [Container]) {
    match stack.last_mut() {
        None => {}
        Some(Container::Array { count }) => {
            if *count > 0 {
                out.push(',');
            }
            *count += 1;
        }
        Some(Container::Object { count, key }) => {
            if *count > 0 {
                out.push(',');
            }
            let key = key.take().unwrap_or_else(|| format!("k{count}"));
            out.push_str(&quote(&key));
            out.push(':');
            *count += 1;
        }
    }
}

fn close(out: &mut String, stack: &mut Vec<Container>) {
    match stack.pop() {
        Some(Container::Array { .. }) => out.push(']'),
        Some(Container::Object { .. }) => out.push('}'),
        None => {}
    }
}

fn is_recursion_limit(error: &serde_json::Error) -> bool {
    error.to_string().contains("recursion limit")
}

fn check_text(text: &[u8], limits: &Limits) {
    let checked = check_json(text, limits);
    // Exactly the length decides TooLarge, and it is judged first.
    if text.len() > limits.max_bytes {
        assert_eq!(
            checked,
            Err(Error::TooLarge {
                size: text.len(),
                limit: limits.max_bytes
            })
        );
    } else {
        match &checked {
            Ok(()) => {}
            Err(Error::TooDeep { limit }) => assert_eq!(*limit, limits.max_depth),
            Err(other) => panic!("check_json: {other:?}"),
        }
    }
    let bounded = checked.is_ok() && limits.max_depth <= MAX_DEPTH;

    let utf8 = std::str::from_utf8(text).ok();
    let safe = utf8.map(|text| {
        let safe = check_safe_integers(text);
        assert!(matches!(safe, Ok(()) | Err(Error::EncodeFailed(_))), "{safe:?}");
        safe.is_ok()
    });

    let parsed = serde_json::from_slice::<Value>(text);
    match &parsed {
        Err(error) => assert!(
            !(bounded && is_recursion_limit(error)),
            "check_json let through what serde_json cannot nest: {error}"
        ),
        Ok(value) => check_value(value, text, limits, &checked, safe),
    }

    decode::<EosRequest>(text, bounded);
    decode::<PhosphorescenceReply>(text, bounded);
    decode::<EosInterrupt>(text, bounded);
    decode::<EosAnswer>(text, bounded);
    decode::<Failure>(text, bounded);
    decode::<Item>(text, bounded);
    decode::<ItemSummary>(text, bounded);
    decode::<Question>(text, bounded);
    decode::<FieldError>(text, bounded);
    if let Some(draft) = decode::<Draft>(text, bounded) {
        let _ = draft.validate();
    }
    if let Some(failure) = decode::<Failure>(text, bounded) {
        let _ = failure.to_string();
    }
    if let Some(interrupt) = decode::<EosInterrupt>(text, bounded) {
        let _ = interrupt.to_string();
    }
}

/// Decodes as the messenger does (`serde_json::from_str` after the checks); a decoded value
/// must survive a round trip.
fn decode<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(text: &[u8], bounded: bool) -> Option<T> {
    match serde_json::from_slice::<T>(text) {
        Err(error) => {
            assert!(
                !(bounded && is_recursion_limit(&error)),
                "check_json let through what {} cannot nest: {error}",
                std::any::type_name::<T>()
            );
            None
        }
        Ok(value) => {
            let again = serde_json::to_string(&value).expect("a decoded value encodes");
            let back: T = serde_json::from_str(&again).expect("re-encoded text decodes");
            assert_eq!(back, value, "round trip of {again}");
            Some(value)
        }
    }
}

fn depth_of(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(depth + 1);
                stack.extend(items.iter().map(|v| (v, depth + 1)));
            }
            Value::Object(members) => {
                deepest = deepest.max(depth + 1);
                stack.extend(members.values().map(|v| (v, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// What the numbers of a JSON text are, seen through `serde_json`'s own reading of each literal
/// (duplicate object keys included, which `serde_json::Value` would collapse).
#[derive(Debug, Default, Clone, Copy)]
struct Numbers {
    /// Some integer literal is beyond `MAX_SAFE_INTEGER`: serde_json reads an integer literal as
    /// `u64` or `i64` when it fits, else as `f64`.
    unsafe_integer: bool,
    /// Some number's magnitude is.
    unsafe_magnitude: bool,
}

impl Numbers {
    fn merge(&mut self, other: Numbers) {
        self.unsafe_integer |= other.unsafe_integer;
        self.unsafe_magnitude |= other.unsafe_magnitude;
    }
}

impl<'de> serde::Deserialize<'de> for Numbers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scan;
        impl<'de> serde::de::Visitor<'de> for Scan {
            type Value = Numbers;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Numbers, E> {
                let beyond = n > MAX_SAFE_INTEGER;
                Ok(Numbers {
                    unsafe_integer: beyond,
                    unsafe_magnitude: beyond,
                })
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Numbers, E> {
                self.visit_u64(n.unsigned_abs())
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Numbers, E> {
                Ok(Numbers {
                    unsafe_integer: false,
                    unsafe_magnitude: n.abs() > MAX_SAFE_INTEGER as f64,
                })
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Numbers, E> {
                Ok(Numbers::default())
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Numbers, E> {
                Ok(Numbers::default())
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Numbers, E> {
                Ok(Numbers::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Numbers, A::Error> {
                let mut numbers = Numbers::default();
                while let Some(item) = seq.next_element::<Numbers>()? {
                    numbers.merge(item);
                }
                Ok(numbers)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Numbers, A::Error> {
                let mut numbers = Numbers::default();
                while let Some((_, value)) = map.next_entry::<serde::de::IgnoredAny, Numbers>()? {
                    numbers.merge(value);
                }
                Ok(numbers)
            }
        }
        deserializer.deserialize_any(Scan)
    }
}

fn check_value(value: &Value, text: &[u8], limits: &Limits, checked: &Result<(), Error>, safe: Option<bool>) {
    let depth = depth_of(value);
    if text.len() <= limits.max_bytes {
        assert_eq!(
            matches!(checked, Err(Error::TooDeep { .. })),
            depth > limits.max_depth,
            "check_json on valid JSON of depth {depth}: {checked:?}"
        );
    }
    if let Some(safe) = safe {
        let numbers: Numbers = serde_json::from_slice(text).expect("valid JSON scans");
        if numbers.unsafe_integer {
            assert!(!safe, "check_safe_integers let an unsafe integer through");
        }
        if !safe {
            assert!(
                numbers.unsafe_magnitude,
                "check_safe_integers refused valid JSON without a large number"
            );
        }
    }

    // The web layer's walk, over the same value.
    let compact = serde_json::to_string(value).expect("a value encodes");
    let effective_depth = limits.max_depth.min(MAX_DEPTH);
    let (walked, counted) = walk(value, limits);
    assert!(
        counted <= compact.len(),
        "counted {counted} bytes of a {}-byte text",
        compact.len()
    );
    match walked {
        Ok(()) => {
            assert!(depth <= effective_depth, "walked depth {depth} past {effective_depth}");
            if limits.max_depth <= MAX_DEPTH {
                assert!(
                    !matches!(check_json(&compact, limits), Err(Error::TooDeep { .. })),
                    "walk and check_json disagree on depth"
                );
            }
        }
        Err(Error::TooDeep { limit }) => {
            assert_eq!(limit, effective_depth);
            assert!(
                depth > effective_depth,
                "refused depth {depth} within {effective_depth}"
            );
        }
        Err(Error::TooLarge { size, limit }) => {
            assert_eq!(limit, limits.max_bytes);
            assert!(
                size > limit && size <= compact.len(),
                "refused size {size} of a {}-byte text",
                compact.len()
            );
            assert_eq!(
                check_json(&compact, limits),
                Err(Error::TooLarge {
                    size: compact.len(),
                    limit
                }),
                "the walk refused what check_json accepts"
            );
        }
        Err(other) => panic!("walk: {other:?}"),
    }
}

/// `messenger/src/web/walk.rs`'s accounting over a `serde_json::Value`, in document order.
fn walk(value: &Value, limits: &Limits) -> (Result<(), Error>, usize) {
    enum Open<'a> {
        Array(std::slice::Iter<'a, Value>, bool),
        Object(serde_json::map::Iter<'a>, usize),
    }
    fn enter<'a>(value: &'a Value, budget: &mut Budget, stack: &mut Vec<Open<'a>>) -> Result<(), Error> {
        let open = match value {
            Value::Null => return budget.add(4),
            Value::Bool(b) => return budget.add(if *b { 4 } else { 5 }),
            Value::Number(_) => return budget.add(1),
            Value::String(s) => return budget.add(s.encode_utf16().count().saturating_add(2)),
            Value::Array(items) => {
                budget.reserve(items.len())?;
                Open::Array(items.iter(), false)
            }
            Value::Object(members) => Open::Object(members.iter(), 0),
        };
        budget.open()?;
        stack.push(open);
        Ok(())
    }
    let mut budget = Budget::new(*limits);
    let mut stack = Vec::new();
    let mut run = || -> Result<(), Error> {
        enter(value, &mut budget, &mut stack)?;
        while let Some(top) = stack.last_mut() {
            let child = match top {
                Open::Array(items, started) => match items.next() {
                    Some(item) => {
                        if *started {
                            budget.add(1)?;
                        }
                        *started = true;
                        item
                    }
                    None => {
                        stack.pop();
                        budget.close();
                        continue;
                    }
                },
                Open::Object(members, written) => match members.next() {
                    Some((key, member)) => {
                        let key_length = key.encode_utf16().count();
                        budget.add(key_length + 3 + usize::from(*written > 0))?;
                        *written += 1;
                        member
                    }
                    None => {
                        stack.pop();
                        budget.close();
                        continue;
                    }
                },
            };
            assert!(budget.depth() <= limits.max_depth.min(MAX_DEPTH));
            enter(child, &mut budget, &mut stack)?;
        }
        Ok(())
    };
    let result = run();
    (result, budget.bytes())
}

// --- Budget against a model ----------------------------------------------------------------------

fn check_budget(limits: &Limits, ops: &[BudgetOp]) {
    let effective_depth = limits.max_depth.min(MAX_DEPTH);
    let mut budget = Budget::new(*limits);
    let (mut bytes, mut depth) = (0usize, 0usize);
    let size_check = |size: usize| match size > limits.max_bytes {
        true => Err(Error::TooLarge {
            size,
            limit: limits.max_bytes,
        }),
        false => Ok(()),
    };
    for op in ops {
        let before = budget.bytes();
        match *op {
            BudgetOp::Open => {
                let expected = if depth >= effective_depth {
                    Err(Error::TooDeep { limit: effective_depth })
                } else {
                    depth += 1;
                    bytes = bytes.saturating_add(2);
                    size_check(bytes)
                };
                assert_eq!(budget.open(), expected, "open at depth {depth}");
            }
            BudgetOp::Close => {
                budget.close();
                depth = depth.saturating_sub(1);
            }
            BudgetOp::Add(amount) => {
                bytes = bytes.saturating_add(amount.get());
                assert_eq!(budget.add(amount.get()), size_check(bytes), "add {}", amount.get());
            }
            BudgetOp::Reserve(elements) => {
                let elements = elements.get();
                let smallest = if elements == 0 {
                    2
                } else {
                    elements.saturating_mul(2).saturating_add(1)
                };
                assert_eq!(
                    budget.reserve(elements),
                    size_check(bytes.saturating_add(smallest)),
                    "reserve {elements}"
                );
            }
        }
        assert!(budget.bytes() >= before, "bytes() went down");
        assert_eq!(budget.bytes(), bytes, "bytes()");
        assert_eq!(budget.depth(), depth, "depth()");
        assert!(budget.depth() <= effective_depth, "depth() past the limit");
    }
}
