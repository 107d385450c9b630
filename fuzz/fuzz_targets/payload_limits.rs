//! Arbitrary JSON (raw bytes, or text built from tokens: deep nesting, long integers, escapes,
//! the protocol's own keys) with arbitrary `Limits`, walked the way the web layer's decoder walks
//! a received value (`messenger/src/web/decode/`), reporting to a `messenger::protocol::Budget`; and
//! arbitrary operation sequences through `Budget`.
//!
//! Checked:
//! - nothing panics;
//! - `json_string_len` is the length of every string's and key's JSON text (serde_json escapes
//!   as `JSON.stringify` does), `json_integer_len` of every integer's;
//! - the walk refuses `TooDeep` exactly when the nesting passes `min(max_depth, MAX_DEPTH)`;
//!   refuses `TooLarge` on its lower bound only when the text is larger than `max_bytes`, with a
//!   size between the limit and the text's; and when it passes, the exact size it counted is the
//!   text's, and `check_exact` refuses exactly when that is over `max_bytes`; the lower bound is
//!   never above the exact size of what was counted both ways;
//! - `Budget` against a model: `bytes()` and `exact_bytes()` never decrease, `depth()` never
//!   exceeds `min(max_depth, MAX_DEPTH)`, a refused level is not entered, `reserve` counts
//!   nothing, and every error names the right size and limit; `add_binary` counts `[]` (two
//!   bytes of text, refused as `TooLarge` first) and then the buffer's length against
//!   `min(max_binary_bytes, MAX_BINARY_BYTES)`, saturating.
//!
//! Binary data (issue 24): the built text may hold buffers, written `{"\u0000bytes": N}` (a
//! buffer of N bytes, which has no JSON text). The walk counts each with `Budget::add_binary`
//! where the web layer's decoder meets a `Uint8Array` or `ArrayBuffer`, in document order, and:
//! - a value whose buffers stay within the binary limit gives what the same value with each
//!   buffer as `""` (two bytes of text, like `[]`, and no level) gives, and its exact size is
//!   that text's;
//! - a value whose text is within the limits is refused `BinaryTooLarge` exactly when its
//!   buffers pass the binary limit, with the size counted up to the first buffer that passed;
//! - when both would refuse, the answer is one of the two (the one met first).
//!
//! Not fuzzed here, as it needs JavaScript: how the decoder tells bytes from the rest
//! (`BinaryFault`: shared, detached, partial views, other typed arrays) and reads them; the
//! browser tests (`messenger/tests/web/binary.rs`, the model comparison in `codec.rs`) cover it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use messenger::protocol::{json_integer_len, json_string_len, Budget, Limits, MAX_BINARY_BYTES, MAX_DEPTH};
use messenger::Error;
use serde_json::Value;

#[derive(Debug, Arbitrary)]
struct Input {
    max_bytes: Bytes,
    max_depth: Depth,
    text: Text,
    budget: Vec<BudgetOp>,
    max_binary_bytes: Amount,
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
    /// A buffer of this many bytes (binary data).
    Bytes(Amount),
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
    AddAtLeast(Amount),
    AddExact(Amount),
    Reserve(Amount),
    CheckExact,
    AddBinary(Amount),
}

/// The key of the one-member object that stands for a buffer in the built text.
const BYTES_KEY: &str = "\u{0}bytes";

/// The length of the buffer `value` stands for, if it is one.
fn buffer_length(value: &Value) -> Option<usize> {
    match value {
        Value::Object(members) if members.len() == 1 => {
            let length = members.get(BYTES_KEY)?.as_u64()?;
            Some(usize::try_from(length).unwrap_or(usize::MAX))
        }
        _ => None,
    }
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
        max_binary_bytes: input.max_binary_bytes.get(),
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
            Token::Bytes(length) => Some(format!("{{{}:{}}}", quote(BYTES_KEY), length.get())),
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

fn check_text(text: &[u8], limits: &Limits) {
    // serde_json's recursion limit (128 levels) bounds the values; the limits go beyond it.
    if let Ok(value) = serde_json::from_slice::<Value>(text) {
        check_walk(&value, limits);
    }
}

fn depth_of(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        if buffer_length(value).is_some() {
            continue;
        }
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

/// `value` with every buffer as `""`: two bytes of text, as a buffer counts, and no level.
fn text_only(value: &Value) -> Value {
    if buffer_length(value).is_some() {
        return Value::String(String::new());
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(text_only).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| (key.clone(), text_only(member)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The binary limit's verdict alone: the buffers' lengths summed in document order (saturating),
/// refused at the first sum past `limit`.
fn binary_verdict(value: &Value, limit: usize) -> (Result<(), Error>, usize) {
    fn visit(value: &Value, limit: usize, sum: &mut usize) -> Result<(), Error> {
        if let Some(length) = buffer_length(value) {
            *sum = sum.saturating_add(length);
            return match *sum > limit {
                true => Err(Error::BinaryTooLarge { size: *sum, limit }),
                false => Ok(()),
            };
        }
        match value {
            Value::Array(items) => items.iter().try_for_each(|item| visit(item, limit, sum)),
            Value::Object(members) => members.values().try_for_each(|member| visit(member, limit, sum)),
            _ => Ok(()),
        }
    }
    let mut sum = 0;
    let verdict = visit(value, limit, &mut sum);
    (verdict, sum)
}

fn check_walk(value: &Value, limits: &Limits) {
    let text_result = check_text_walk(&text_only(value), limits);
    let binary_limit = limits.max_binary_bytes.min(MAX_BINARY_BYTES);
    let (binary_result, binary_sum) = binary_verdict(value, binary_limit);
    let (walked, budget) = walk(value, limits);
    // The exact size is judged once the walk is over, as the decoder does.
    let walked = walked.and_then(|()| budget.check_exact());
    match (&text_result, &binary_result) {
        (Ok(()), _) => assert_eq!(walked, binary_result, "the text fits: the buffers decide"),
        (_, Ok(())) => assert_eq!(walked, text_result, "the buffers fit: the text decides"),
        _ => assert!(
            walked == text_result || walked == binary_result,
            "{walked:?}: neither {text_result:?} nor {binary_result:?}"
        ),
    }
    match walked {
        Ok(()) => {
            assert_eq!(budget.binary_bytes(), binary_sum, "every buffer counted");
            let compact = serde_json::to_string(&text_only(value)).expect("a value encodes");
            assert_eq!(budget.exact_bytes(), compact.len(), "buffers count as `[]`");
        }
        Err(Error::BinaryTooLarge { size, limit }) => {
            assert_eq!(limit, binary_limit);
            assert!(size > limit);
            assert_eq!(budget.binary_bytes(), size, "counted up to the buffer that passed");
        }
        _ => assert!(
            budget.binary_bytes() <= binary_limit,
            "a buffer past the limit went unrefused"
        ),
    }
}

/// The checks of a text without buffers; returns the walk's verdict.
fn check_text_walk(value: &Value, limits: &Limits) -> Result<(), Error> {
    let compact = serde_json::to_string(value).expect("a value encodes");
    let effective_depth = limits.max_depth.min(MAX_DEPTH);
    let depth = depth_of(value);
    let (walked, budget) = walk(value, limits);
    // Every part but one refused on its lower bound (whose exact size is never counted) is
    // counted both ways, the exact size never below the lower bound.
    if !matches!(walked, Err(Error::TooLarge { .. })) {
        assert!(
            budget.bytes() <= budget.exact_bytes(),
            "lower bound {} above the exact size {}",
            budget.bytes(),
            budget.exact_bytes()
        );
    }
    match walked.clone() {
        Ok(()) => {
            assert!(depth <= effective_depth, "walked depth {depth} past {effective_depth}");
            assert_eq!(budget.exact_bytes(), compact.len(), "the exact size of {compact}");
            let expected = match compact.len() > limits.max_bytes {
                true => Err(Error::TooLarge {
                    size: compact.len(),
                    limit: limits.max_bytes,
                }),
                false => Ok(()),
            };
            assert_eq!(budget.check_exact(), expected);
            return expected;
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
        }
        Err(other) => panic!("walk: {other:?}"),
    }
    walked
}

/// The web layer's accounting (`messenger/src/web/decode/walk.rs`) over a `serde_json::Value`, in document
/// order. A float's exact size is serde_json's text of it here (the web layer counts
/// JavaScript's); integers and strings are counted as the web layer counts them.
fn walk(value: &Value, limits: &Limits) -> (Result<(), Error>, Budget) {
    enum Open<'a> {
        Array(std::slice::Iter<'a, Value>, bool),
        Object(serde_json::map::Iter<'a>, bool),
    }
    fn string(budget: &mut Budget, text: &str, extra: usize) -> Result<(), Error> {
        let exact = json_string_len(text);
        assert_eq!(exact, quote(text).len(), "json_string_len of {text:?}");
        budget.add_at_least(text.encode_utf16().count() + 2 + extra)?;
        budget.add_exact(exact + extra);
        Ok(())
    }
    fn enter<'a>(value: &'a Value, budget: &mut Budget, stack: &mut Vec<Open<'a>>) -> Result<(), Error> {
        // A `Uint8Array` or `ArrayBuffer`, judged from its length before it is read.
        if let Some(length) = buffer_length(value) {
            return budget.add_binary(length);
        }
        let open = match value {
            Value::Null => return budget.add(4),
            Value::Bool(b) => return budget.add(if *b { 4 } else { 5 }),
            Value::Number(n) => {
                let text = n.to_string();
                let exact = match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => json_integer_len(u, false),
                    (None, Some(i)) => json_integer_len(i.unsigned_abs(), true),
                    _ => text.len(),
                };
                assert_eq!(exact, text.len(), "the length of {text}");
                budget.add_at_least(1)?;
                budget.add_exact(exact);
                return Ok(());
            }
            Value::String(s) => return string(budget, s, 0),
            Value::Array(items) => {
                budget.reserve(items.len())?;
                Open::Array(items.iter(), false)
            }
            Value::Object(members) => Open::Object(members.iter(), false),
        };
        budget.open()?;
        stack.push(open);
        Ok(())
    }
    let mut budget = Budget::new(*limits);
    let mut stack = Vec::new();
    let mut run = |budget: &mut Budget| -> Result<(), Error> {
        enter(value, budget, &mut stack)?;
        while let Some(top) = stack.last_mut() {
            let child = match top {
                Open::Array(items, started) => match items.next() {
                    Some(item) => {
                        if std::mem::replace(started, true) {
                            budget.add(1)?;
                        }
                        item
                    }
                    None => {
                        stack.pop();
                        budget.close();
                        continue;
                    }
                },
                Open::Object(members, started) => match members.next() {
                    Some((key, member)) => {
                        let comma = usize::from(std::mem::replace(started, true));
                        // "key": and a comma before every member but the first.
                        string(budget, key, 1 + comma)?;
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
            enter(child, budget, &mut stack)?;
        }
        Ok(())
    };
    let result = run(&mut budget);
    (result, budget)
}

// --- Budget against a model ----------------------------------------------------------------------

fn check_budget(limits: &Limits, ops: &[BudgetOp]) {
    let effective_depth = limits.max_depth.min(MAX_DEPTH);
    let mut budget = Budget::new(*limits);
    let (mut bytes, mut exact, mut depth, mut binary) = (0usize, 0usize, 0usize, 0usize);
    let binary_limit = limits.max_binary_bytes.min(MAX_BINARY_BYTES);
    let size_check = |size: usize| match size > limits.max_bytes {
        true => Err(Error::TooLarge {
            size,
            limit: limits.max_bytes,
        }),
        false => Ok(()),
    };
    for op in ops {
        let before = (budget.bytes(), budget.exact_bytes());
        match *op {
            BudgetOp::Open => {
                let expected = if depth >= effective_depth {
                    Err(Error::TooDeep { limit: effective_depth })
                } else {
                    depth += 1;
                    bytes = bytes.saturating_add(2);
                    exact = exact.saturating_add(2);
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
                exact = exact.saturating_add(amount.get());
                assert_eq!(budget.add(amount.get()), size_check(bytes), "add {}", amount.get());
            }
            BudgetOp::AddAtLeast(amount) => {
                bytes = bytes.saturating_add(amount.get());
                assert_eq!(
                    budget.add_at_least(amount.get()),
                    size_check(bytes),
                    "add_at_least {}",
                    amount.get()
                );
            }
            BudgetOp::AddExact(amount) => {
                exact = exact.saturating_add(amount.get());
                budget.add_exact(amount.get());
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
            BudgetOp::AddBinary(amount) => {
                bytes = bytes.saturating_add(2);
                exact = exact.saturating_add(2);
                let expected = size_check(bytes).and_then(|()| {
                    binary = binary.saturating_add(amount.get());
                    match binary > binary_limit {
                        true => Err(Error::BinaryTooLarge {
                            size: binary,
                            limit: binary_limit,
                        }),
                        false => Ok(()),
                    }
                });
                assert_eq!(budget.add_binary(amount.get()), expected, "add_binary {}", amount.get());
            }
            BudgetOp::CheckExact => {
                assert_eq!(budget.check_exact(), size_check(exact), "check_exact");
                assert_eq!(budget.exact_passed(), exact > limits.max_bytes, "exact_passed");
            }
        }
        assert!(budget.bytes() >= before.0, "bytes() went down");
        assert!(budget.exact_bytes() >= before.1, "exact_bytes() went down");
        assert_eq!(budget.bytes(), bytes, "bytes()");
        assert_eq!(budget.exact_bytes(), exact, "exact_bytes()");
        assert_eq!(budget.depth(), depth, "depth()");
        assert_eq!(budget.binary_bytes(), binary, "binary_bytes()");
        assert!(budget.depth() <= effective_depth, "depth() past the limit");
    }
}
