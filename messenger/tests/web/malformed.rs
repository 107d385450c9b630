//! Malformed input from a raw JavaScript peer over real `MessageChannel`s: every bad message
//! yields its typed `messenger::Error`, closes the session, and never panics or hangs.

use crate::support::*;
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use messenger::protocol::IgnoreReason;
use messenger::{
    knock, listen, Config, Error, HandshakeState, InterruptRequest, Limits, Messenger, Overload, Source, Step, Target,
    Violation,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::MessagePort;

/// `count` fresh ports (the second ends of new channels), to transfer in a message.
fn fresh_ports(count: usize) -> Vec<MessagePort> {
    (0..count).map(|_| channel().port2()).collect()
}

fn refs(ports: &[MessagePort]) -> Vec<&MessagePort> {
    ports.iter().collect()
}

// ---------------------------------------------------------------------------------------------
// The listener's answer (🤝), seen by a Rust knocker.

/// A bad `🤝`: JSON (with `"@n"` for the n-th transferred port) and how many ports to transfer.
const BAD_LISTEN: &[(&str, &str, usize, Violation)] = &[
    ("a string instead of an object", r#""🤝""#, 0, Violation::NotAnObject),
    ("a number with a port", "1", 1, Violation::NotAnObject),
    // Also what Chromium delivers, without a messageerror, for a value it cannot deserialise.
    ("null", "null", 0, Violation::ArrivedNull),
    (
        // A whole number other than 1 is another version (`VersionMismatch`, lifecycle_version.rs).
        "$version 1.5",
        r#"{"$type":"🤝","$version":1.5,"$responsePort":"@0"}"#,
        1,
        Violation::WrongVersion,
    ),
    (
        "$version \"1\"",
        r#"{"$type":"🤝","$version":"1","$responsePort":"@0"}"#,
        1,
        Violation::WrongVersion,
    ),
    (
        "no $version",
        r#"{"$type":"🤝","$responsePort":"@0"}"#,
        1,
        Violation::WrongVersion,
    ),
    (
        "the knock's $type",
        r#"{"$type":"👋","$version":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "the acknowledgement's $type",
        r#"{"$type":"👂","$version":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "no $type",
        r#"{"$version":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "no $responsePort",
        r#"{"$type":"🤝","$version":1}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "a $responsePort that is a string",
        r#"{"$type":"🤝","$version":1,"$responsePort":"port"}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "a port not named $responsePort",
        r#"{"$type":"🤝","$version":1,"port":"@0"}"#,
        1,
        Violation::MissingResponsePort,
    ),
    (
        "an extra transferred port",
        r#"{"$type":"🤝","$version":1,"$responsePort":"@0"}"#,
        2,
        Violation::ExtraPorts,
    ),
    (
        "an $interruptPort",
        r#"{"$type":"🤝","$version":1,"$responsePort":"@0","$interruptPort":"@1"}"#,
        2,
        Violation::ExtraPorts,
    ),
];

#[wasm_bindgen_test]
async fn a_bad_listen_answer_fails_the_knocker_with_handshake_failed() {
    let window = window();
    for &(case, json, ports, violation) in BAD_LISTEN {
        let knocks = Inbox::on_target(&window, Some("👋"));
        let trace = Trace::default();
        // A steady 50 ms, without the fast first knocks: a knock posted just before the failure
        // may still be on its way when the test starts watching for knocks after it.
        let config = trace
            .observe(page_config())
            .knock_interval(std::time::Duration::from_millis(50))
            .first_knock_interval(None);
        let knocking = knock(config, vec![Target::Window(window.clone())]);
        let knock = js_receive_knock(&knocks).await;
        let ports = fresh_ports(ports);
        post(
            &knock.response_port(),
            &build(json, &refs(&ports), &JsValue::NULL),
            &refs(&ports),
        );
        let result = within(STEP, case, knocking).await;
        let expected = Error::HandshakeFailed(violation);
        assert_eq!(result.unwrap_err(), expected, "{case}");
        trace.assert_failed_with(&expected);
        // A failed knocker stops knocking at once.
        let seen = knocks.unread();
        TimeoutFuture::new(150).await;
        assert_eq!(knocks.unread(), seen, "{case}: no knock after the failure");
        knocks.close();
    }
}

#[wasm_bindgen_test]
async fn a_well_formed_answer_with_unknown_extension_fields_is_accepted() {
    // Version-1 peers ignore extra fields: extensions must not break the handshake.
    let window = window();
    let knocks = Inbox::on_target(&window, Some("👋"));
    let knocking = knock(page_config(), vec![Target::Window(window.clone())]);
    let knock = js_receive_knock(&knocks).await;
    knocks.close();
    let next = channel();
    let acks = Inbox::on_port(&next.port1());
    let listen = build(
        r#"{"$type":"🤝","$version":1,"$responsePort":"@0","$nonce":"abc","$future":{"x":[1]}}"#,
        &[&next.port2()],
        &JsValue::NULL,
    );
    post(&knock.response_port(), &listen, &[&next.port2()]);
    let answered = within(STEP, "the answer", knocking)
        .await
        .expect("extension fields are ignored");
    let finishing = answered.finish_handshake::<u8, u8>();
    let js_side = async {
        let ack = acks.next(STEP, "👂").await;
        assert_eq!(ack.field("$type").as_string().as_deref(), Some("👂"));
        assert_eq!(ack.field("$raw"), JsValue::TRUE, "the acknowledgement says $raw: true");
        let reply = channel();
        post(
            &ack.response_port(),
            &build(
                r#"{"message":5,"$responsePort":"@0"}"#,
                &[&reply.port2()],
                &JsValue::NULL,
            ),
            &[&reply.port2()],
        );
        reply
    };
    let (finished, _reply) = within(STEP, "the first message", futures::future::join(finishing, js_side)).await;
    let (messenger, first) = finished.expect("connected");
    assert_eq!(first.message, 5);
    assert_eq!(messenger.status().closed_with, None);
}

// ---------------------------------------------------------------------------------------------
// Knocks, seen by a Rust listener.

const BAD_KNOCK: &[(&str, &str, usize, Violation)] = &[
    (
        // A whole number other than 1 is another version (`VersionMismatch`, lifecycle_version.rs).
        "$version 1.5",
        r#"{"$type":"👋","$version":1.5,"$responsePort":"@0"}"#,
        1,
        Violation::WrongVersion,
    ),
    (
        "no $version",
        r#"{"$type":"👋","$responsePort":"@0"}"#,
        1,
        Violation::WrongVersion,
    ),
    (
        "no $responsePort",
        r#"{"$type":"👋","$version":1}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "a port not named $responsePort",
        r#"{"$type":"👋","$version":1,"p":"@0"}"#,
        1,
        Violation::MissingResponsePort,
    ),
    (
        "an extra transferred port",
        r#"{"$type":"👋","$version":1,"$responsePort":"@0"}"#,
        2,
        Violation::ExtraPorts,
    ),
];

#[wasm_bindgen_test]
async fn a_bad_knock_fails_the_listener_with_handshake_failed() {
    let window = window();
    for &(case, json, ports, violation) in BAD_KNOCK {
        let trace = Trace::default();
        let listening = listen::<u8, u8>(trace.observe(page_config()), Source::Window(window.clone()));
        let ports = fresh_ports(ports);
        post_to_window(
            &window,
            &build(json, &refs(&ports), &JsValue::NULL),
            &page_origin(),
            &refs(&ports),
        );
        let result = within(STEP, case, listening).await;
        let expected = Error::HandshakeFailed(violation);
        assert_eq!(result.unwrap_err(), expected, "{case}");
        trace.assert_failed_with(&expected);
    }
}

#[wasm_bindgen_test]
async fn messages_that_are_not_knocks_are_ignored_by_a_listener() {
    let window = window();
    let trace = Trace::default();
    let listening = listen::<u8, u8>(trace.observe(page_config()), Source::Window(window.clone()));
    // Other scripts' messages: not objects, or objects without the knock's $type.
    let ports = fresh_ports(1);
    for (json, transfer) in [
        ("42", vec![]),
        (r#""👋""#, vec![]),
        ("null", vec![]),
        (r#"{"hello":"world"}"#, vec![]),
        (r#"{"$type":"🤝","$version":1,"$responsePort":"@0"}"#, refs(&ports)),
        (r#"["👋",1]"#, vec![]),
    ] {
        post_to_window(
            &window,
            &build(json, &refs(&ports), &JsValue::NULL),
            &page_origin(),
            &transfer,
        );
    }
    trace
        .wait_for(6, "six ignored messages", |s| {
            matches!(
                s,
                Step::Ignored {
                    reason: IgnoreReason::NotAKnock
                }
            )
        })
        .await;
    // Still listening: a valid knock now connects.
    let answered = within(
        STEP,
        "an answer",
        knock(page_config(), vec![Target::Window(window.clone())]),
    )
    .await;
    let finishing = answered.expect("answered").finish_handshake::<u8, u8>();
    let listener_side = async {
        let listener = listening.await.expect("connected");
        let pending = listener.send(1);
        (listener, pending)
    };
    let ((listener, _pending), finished) =
        within(STEP, "connected", futures::future::join(listener_side, finishing)).await;
    assert_eq!(finished.expect("first message").1.message, 1);
    assert_eq!(listener.status().state, HandshakeState::Connected);
}

/// A bad `👂` after a valid knock.
const BAD_ACKNOWLEDGE: &[(&str, &str, usize, Violation)] = &[
    ("a non-object", "true", 0, Violation::NotAnObject),
    (
        "the listen $type",
        r#"{"$type":"🤝","$version":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "an application message",
        r#"{"message":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "no $responsePort",
        r#"{"$type":"👂","$raw":true}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "an extra transferred port",
        r#"{"$type":"👂","$raw":true,"$responsePort":"@0"}"#,
        2,
        Violation::ExtraPorts,
    ),
];

#[wasm_bindgen_test]
async fn a_bad_acknowledgement_fails_the_listener_with_handshake_failed() {
    let window = window();
    for &(case, json, ports, violation) in BAD_ACKNOWLEDGE {
        let trace = Trace::default();
        let listening = listen::<u8, u8>(trace.observe(page_config()), Source::Window(window.clone()));
        let answers = js_knock(&window);
        let answer = answers.next(STEP, "🤝").await;
        let ports = fresh_ports(ports);
        post(
            &answer.response_port(),
            &build(json, &refs(&ports), &JsValue::NULL),
            &refs(&ports),
        );
        let result = within(STEP, case, listening).await;
        let expected = Error::HandshakeFailed(violation);
        assert_eq!(result.unwrap_err(), expected, "{case}");
        trace.assert_failed_with(&expected);
        answers.close();
    }
}

// ---------------------------------------------------------------------------------------------
// Application messages, seen by a connected Rust listener whose peer is a raw JavaScript knocker.

/// A strict application type: unknown fields are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    id: u32,
    name: String,
}

/// Connects a Rust listener to a JavaScript knocker, sends one message, lets JavaScript answer
/// it with `json` (`"@n"`: the n-th of `ports` fresh transferred ports, `"@payload"`: `payload`),
/// and returns the send's error after checking that the session is closed with it.
async fn reply_fails_with<In: DeserializeOwned + std::fmt::Debug + 'static>(
    case: &str,
    config: Config,
    json: &str,
    ports: usize,
    payload: JsValue,
) -> (Error, Messenger<String, In>) {
    let trace = Trace::default();
    let (listener, inbox) = js_knocker_connected::<String, In>(trace.observe(config)).await;
    let pending = listener.send("question".into());
    let closed = listener.closed();
    let question = inbox.next(STEP, "the listener's message").await;
    assert_eq!(question.field("message").as_string().as_deref(), Some("question"));
    let ports = fresh_ports(ports);
    post(
        &question.response_port(),
        &build(json, &refs(&ports), &payload),
        &refs(&ports),
    );
    let failed = within(STEP, case, pending)
        .await
        .err()
        .unwrap_or_else(|| panic!("{case}: the send failed"));
    assert_eq!(failed.unsent, None, "{case}: the message had been posted");
    let error = failed.error;
    let status = listener.status();
    assert_eq!(
        status.closed_with,
        Some(error.clone()),
        "{case}: the session is closed with the error"
    );
    assert_eq!(status.state, HandshakeState::Closed, "{case}");
    assert_eq!(status.open_ports, 0, "{case}: every port was closed");
    assert_eq!(within(STEP, "closed()", closed).await, error, "{case}");
    trace.assert_failed_with(&error);
    let later = within(STEP, "a later send", listener.send("again".into()))
        .await
        .unwrap_err();
    assert_eq!(
        (later.error, later.unsent.as_deref()),
        (error.clone(), Some("again")),
        "{case}"
    );
    inbox.close();
    (error, listener)
}

const BAD_MESSAGE: &[(&str, &str, usize, Violation)] = &[
    ("a number", "42", 0, Violation::NotAnObject),
    ("null", "null", 0, Violation::ArrivedNull),
    ("a string with a port", r#""message""#, 1, Violation::NotAnObject),
    (
        "no $responsePort",
        r#"{"message":{"id":1,"name":"x"}}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "a $responsePort that is not a port",
        r#"{"message":{"id":1,"name":"x"},"$responsePort":{}}"#,
        0,
        Violation::MissingResponsePort,
    ),
    (
        "an extra transferred port",
        r#"{"message":{"id":1,"name":"x"},"$responsePort":"@0"}"#,
        2,
        Violation::ExtraPorts,
    ),
    (
        "no message field",
        r#"{"$responsePort":"@0"}"#,
        1,
        Violation::MissingMessage,
    ),
    (
        "a handshake $type",
        r#"{"$type":"👂","$raw":true,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "a replayed knock",
        r#"{"$type":"👋","$version":1,"message":1,"$responsePort":"@0"}"#,
        1,
        Violation::WrongType,
    ),
    (
        "an $interruptPort that is not a port",
        r#"{"message":{"id":1,"name":"x"},"$responsePort":"@0","$interruptPort":7}"#,
        1,
        Violation::MalformedInterruptPort,
    ),
    (
        "one port as both $responsePort and $interruptPort",
        r#"{"message":{"id":1,"name":"x"},"$responsePort":"@0","$interruptPort":"@0"}"#,
        1,
        Violation::MalformedInterruptPort,
    ),
    (
        "a port inside the payload",
        r#"{"message":{"id":1,"name":"x","p":"@1"},"$responsePort":"@0"}"#,
        2,
        Violation::ExtraPorts,
    ),
];

#[wasm_bindgen_test]
async fn a_malformed_reply_is_a_protocol_violation() {
    for &(case, json, ports, violation) in BAD_MESSAGE {
        let (error, _listener) = reply_fails_with::<Strict>(case, page_config(), json, ports, JsValue::NULL).await;
        assert_eq!(error, Error::ProtocolViolation(violation), "{case}");
    }
}

#[wasm_bindgen_test]
async fn a_payload_that_does_not_fit_the_type_fails_decoding() {
    for (case, payload, expected) in [
        (
            "an unknown field",
            r#"{"id":1,"name":"x","admin":true}"#,
            "unknown field `admin`, expected `id` or `name`",
        ),
        ("a missing field", r#"{"id":1}"#, "missing field `name`"),
        (
            "a wrong field type",
            r#"{"id":"1","name":"x"}"#,
            r#"invalid type: string "1", expected u32"#,
        ),
        (
            "a negative id",
            r#"{"id":-1,"name":"x"}"#,
            "invalid value: integer `-1`, expected u32",
        ),
        ("null", "null", "invalid type: null, expected struct Strict"),
        // (An array `[1, "x"]` *is* a valid `Strict`: serde's derive accepts structs as sequences.)
    ] {
        // serde's message, identical in every engine (serde_json's, without its position).
        let payload = js_sys::JSON::parse(payload).unwrap();
        let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
        let (error, _) = reply_fails_with::<Strict>(case, page_config(), json, 1, payload).await;
        assert_eq!(error, Error::DecodeFailed(expected.to_owned()), "{case}");
    }
}

#[wasm_bindgen_test]
async fn payloads_without_a_json_form_fail_decoding() {
    let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
    let cases = [
        ("a cyclic object", cyclic_object()),
        ("undefined", JsValue::UNDEFINED),
        ("a BigInt", js_sys::BigInt::from(5u32).into()),
    ];
    for (case, payload) in cases {
        let (error, _) = reply_fails_with::<serde_json::Value>(case, page_config(), json, 1, payload).await;
        assert!(matches!(error, Error::DecodeFailed(_)), "{case}: {error:?}");
    }
}

#[wasm_bindgen_test]
async fn an_oversized_payload_is_too_large() {
    let config = page_config().limits(Limits {
        max_bytes: 64,
        max_depth: 32,
        ..Limits::DEFAULT
    });
    let payload = JsValue::from_str(&"x".repeat(100));
    let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
    let (error, _) = reply_fails_with::<String>("100 characters", config, json, 1, payload).await;
    assert_eq!(
        error,
        Error::TooLarge { size: 102, limit: 64 },
        "the JSON text of the string is 102 bytes"
    );
    // Exactly at the limit is fine.
    let config = page_config().limits(Limits {
        max_bytes: 102,
        max_depth: 32,
        ..Limits::DEFAULT
    });
    let (listener, inbox) = js_knocker_connected::<String, String>(config).await;
    let pending = listener.send("q".into());
    let question = inbox.next(STEP, "the question").await;
    let reply = channel();
    let value = build(
        r#"{"message":"@payload","$responsePort":"@0"}"#,
        &[&reply.port2()],
        &JsValue::from_str(&"x".repeat(100)),
    );
    post(&question.response_port(), &value, &[&reply.port2()]);
    assert_eq!(
        within(STEP, "a reply at the limit", pending).await.unwrap().message,
        "x".repeat(100)
    );
}

#[wasm_bindgen_test]
async fn a_deeply_nested_payload_is_too_deep() {
    let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
    // Chromium's structured clone gives up somewhere below 10,000 levels (the *sender's*
    // postMessage throws a RangeError), so the deepest it can post stands in for "very deep".
    let deepest = deepest_postable(10_000);
    console_log!("posting {deepest} levels of arrays");
    assert!(
        deepest >= 1_000,
        "the browser posts at least 1,000 levels (it posts {deepest})"
    );
    for levels in [33, deepest] {
        let payload = deep_array(levels);
        let case = format!("{levels} levels of arrays");
        let (error, _) = reply_fails_with::<serde_json::Value>(&case, page_config(), json, 1, payload).await;
        assert_eq!(error, Error::TooDeep { limit: 32 }, "{case}");
    }
    // 32 levels are within the default limit.
    let (listener, inbox) = js_knocker_connected::<String, serde_json::Value>(page_config()).await;
    let pending = listener.send("q".into());
    let question = inbox.next(STEP, "the question").await;
    let reply = channel();
    post(
        &question.response_port(),
        &build(json, &[&reply.port2()], &deep_array(32)),
        &[&reply.port2()],
    );
    let got = within(STEP, "32 levels", pending).await.unwrap().message;
    let mut depth = 0;
    let mut value = &got;
    while let serde_json::Value::Array(items) = value {
        depth += 1;
        value = &items[0];
    }
    assert_eq!(depth, 32);
}

// ---------------------------------------------------------------------------------------------
// docs/PROTOCOL.md's table "Which error each bad input gives": one row per case, the same error (and
// message) in every engine.

const MIB: usize = 1 << 20;
const NOT_PLAIN: &str = "only arrays, plain objects and bytes are payloads (not a Map, a Date, a boxed primitive, ...)";

fn limits(max_bytes: usize, max_depth: usize) -> Limits {
    Limits {
        max_bytes,
        max_depth,
        ..Limits::DEFAULT
    }
}

fn decode_failed(message: &str) -> Error {
    Error::DecodeFailed(message.to_owned())
}

#[wasm_bindgen_test]
async fn every_bad_payload_gives_its_documented_error_in_every_engine() {
    let defaults = Limits::default();
    assert_eq!(defaults, limits(MIB, 32), "the documented defaults");
    let deepest = deepest_postable(10_000);
    let cases: Vec<(&str, Limits, JsValue, Error)> = vec![
        (
            "33 levels of arrays",
            defaults,
            deep_array(33),
            Error::TooDeep { limit: 32 },
        ),
        (
            "the deepest nesting the browser posts",
            defaults,
            deep_array(deepest),
            Error::TooDeep { limit: 32 },
        ),
        (
            "100 characters under a 64-byte limit",
            limits(64, 32),
            JsValue::from_str(&"x".repeat(100)),
            Error::TooLarge { size: 102, limit: 64 },
        ),
        (
            // 42 as a length, 82 bytes as text: the exact check on the text refuses it.
            "40 newlines under a 64-byte limit",
            limits(64, 32),
            js_value("newlines 40"),
            Error::TooLarge { size: 82, limit: 64 },
        ),
        (
            // Refused from its length alone: [0,0,...] would be 20,001 bytes.
            "10,000 zeros under a 64-byte limit",
            limits(64, 32),
            js_value("zeros 10,000"),
            Error::TooLarge {
                size: 20_001,
                limit: 64,
            },
        ),
        (
            // A few bytes on the wire in Chromium and Firefox, 83 MB as text: refused before any
            // text exists. (2^24, not more: WebKit's structured clone of a sparse array takes time
            // in its length, measured 0.5 s here for 2^24 and 2.5 s for 2^26, all of it spent
            // by the browser before the message is delivered.)
            "a sparse array of length 2^24",
            defaults,
            js_value("sparse 2^24"),
            Error::TooLarge {
                size: (1 << 25) + 1,
                limit: MIB,
            },
        ),
        (
            "a 4 MiB string",
            defaults,
            js_value("string 4 MiB"),
            Error::TooLarge {
                size: 4 * MIB + 2,
                limit: MIB,
            },
        ),
        (
            "a cyclic object",
            defaults,
            cyclic_object(),
            decode_failed("the value is cyclic"),
        ),
        (
            "undefined",
            defaults,
            JsValue::UNDEFINED,
            decode_failed("the value has no JSON form"),
        ),
        (
            "a BigInt",
            defaults,
            js_value("bigint"),
            decode_failed("a BigInt has no JSON form"),
        ),
        ("a Map", defaults, js_value("map"), decode_failed(NOT_PLAIN)),
        ("a Date", defaults, js_value("date"), decode_failed(NOT_PLAIN)),
        (
            // Bytes since issue 24 (binary.rs): within the binary limit, but not JSON.
            "a 1 MiB Uint8Array",
            defaults,
            js_value("uint8array"),
            decode_failed("invalid type: byte array, expected any valid JSON value"),
        ),
        (
            "a boxed string",
            defaults,
            js_value("boxed string"),
            decode_failed(NOT_PLAIN),
        ),
        (
            "a Map inside an object",
            defaults,
            js_value("nested map"),
            decode_failed(NOT_PLAIN),
        ),
    ];
    let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
    for (case, limits, payload, expected) in cases {
        let config = page_config().limits(limits);
        let (error, _) = reply_fails_with::<serde_json::Value>(case, config, json, 1, payload).await;
        assert_eq!(error, expected, "{case}");
    }
    // Amplification through structure: a budget passed somewhere in the middle of the walk.
    for (case, payload) in [
        // 2^30 leaves as text, a few hundred bytes on the wire: the walk counts every visit.
        ("a subtree shared 2^30 times", js_value("shared subtree")),
        ("an object with 100,000 members", js_value("wide object")),
    ] {
        let (error, _) = reply_fails_with::<serde_json::Value>(case, page_config(), json, 1, payload).await;
        assert!(
            matches!(error, Error::TooLarge { size, limit: MIB } if size > MIB && size <= MIB + 16),
            "{case}: refused as soon as the budget is passed, got {error:?}"
        );
    }
}

#[wasm_bindgen_test]
fn depth_is_judged_without_recursion_whatever_the_nesting() {
    // 100,000 levels cannot be posted (structured clone gives up first), so they are decoded
    // directly: no stack is exhausted, in any engine, and the limit names itself.
    let deep = deep_array(100_000);
    assert_eq!(
        messenger::decode::<serde_json::Value>(&deep, &Limits::default()),
        Err(Error::TooDeep { limit: 32 })
    );
    // A limit beyond what the decoder reads counts as MAX_DEPTH, so nothing deeper ever reaches
    // an engine's JSON.stringify (Firefox throws "too much recursion" on 100,000 levels).
    let unlimited = limits(usize::MAX, 1_000_000);
    assert_eq!(
        messenger::decode::<serde_json::Value>(&deep, &unlimited),
        Err(Error::TooDeep {
            limit: messenger::protocol::MAX_DEPTH
        })
    );
    let deepest_decodable = deep_array(messenger::protocol::MAX_DEPTH as u32);
    assert!(messenger::decode::<serde_json::Value>(&deepest_decodable, &unlimited).is_ok());
}

#[wasm_bindgen_test]
async fn huge_payloads_are_refused_before_anything_is_copied_into_wasm() {
    // The issue's figures before the walk: a 50 MB string grew wasm memory from 1 to 51 MB, a
    // sparse array of length 2^26 (335 MB as text) to 401 MB. Memory never shrinks, so growth
    // here would stay visible.
    let json = r#"{"message":"@payload","$responsePort":"@0"}"#;
    let cases: Vec<(&str, JsValue, Error)> = vec![
        (
            // Built in JavaScript: a Rust-built string would pass through (and grow) wasm memory.
            "a 50 MB string",
            js_value("string 50 MB"),
            Error::TooLarge {
                size: 50_000_002,
                limit: MIB,
            },
        ),
        (
            "a sparse array of length 2^26",
            js_value("sparse 2^26"),
            Error::TooLarge {
                size: (1 << 27) + 1,
                limit: MIB,
            },
        ),
    ];
    for (case, payload, expected) in cases {
        let (listener, inbox) = js_knocker_connected::<String, serde_json::Value>(page_config()).await;
        let pending = listener.send("question".into());
        let question = inbox.next(STEP, "the listener's message").await;
        let reply = channel();
        let message = build(json, &[&reply.port2()], &payload);
        drop(payload);
        let before = wasm_memory();
        post(&question.response_port(), &message, &[&reply.port2()]);
        // WebKit's structured clone of the sparse array takes seconds (time in its length).
        let failed = within(4 * LOAD, case, pending).await.unwrap_err();
        let grown = wasm_memory() - before;
        assert_eq!(failed.error, expected, "{case}");
        assert!(grown < MIB, "{case}: wasm memory grew by {grown} bytes");
        inbox.close();
    }
}

#[wasm_bindgen_test]
async fn interrupts_the_application_does_not_take_are_bounded() {
    let trace = Trace::default();
    let config = trace.observe(page_config()).limits(Limits {
        max_pending_interrupts: 20,
        ..Limits::DEFAULT
    });
    let (listener, inbox) = js_knocker_connected::<String, String>(config).await;
    let (request, mut stream) = InterruptRequest::multi_use::<u32>();
    let sent = listener.send_with_interrupt("watch".into(), request);
    let message = inbox.next(STEP, "the listener's message").await;
    let interrupt_port: MessagePort = wasm_bindgen::JsCast::unchecked_into(message.field("$interruptPort"));
    flood(&interrupt_port, 1_000);
    // Nothing takes them while they arrive, until the channel has ended.
    trace
        .wait_for(1, "the channel's end", |step| {
            matches!(step, Step::InterruptClosed { .. })
        })
        .await;
    for expected in 0..20 {
        assert_eq!(
            within(STEP, "a kept interrupt", stream.next()).await,
            Some(Ok(expected))
        );
    }
    assert_eq!(
        within(STEP, "the overload", stream.next()).await,
        Some(Err(Error::Overloaded(Overload::PendingInterrupts { limit: 20 })))
    );
    assert_eq!(within(STEP, "the stream's end", stream.next()).await, None);
    // The session goes on.
    assert_eq!(listener.status().closed_with, None);
    let next = channel();
    post(
        &message.response_port(),
        &build(
            r#"{"message":"ok","$responsePort":"@0"}"#,
            &[&next.port2()],
            &JsValue::NULL,
        ),
        &[&next.port2()],
    );
    assert_eq!(within(STEP, "the answer", sent).await.unwrap().message, "ok");
    inbox.close();
}

#[wasm_bindgen_test]
async fn interrupts_past_the_rate_bound_end_their_channel() {
    let config = page_config().limits(Limits {
        max_interrupts_per_second: 30,
        ..Limits::DEFAULT
    });
    let (listener, inbox) = js_knocker_connected::<String, String>(config).await;
    let (request, mut stream) = InterruptRequest::multi_use::<u32>();
    let _sent = listener.send_with_interrupt("watch".into(), request);
    let message = inbox.next(STEP, "the listener's message").await;
    let interrupt_port: MessagePort = wasm_bindgen::JsCast::unchecked_into(message.field("$interruptPort"));
    flood(&interrupt_port, 1_000);
    // Taken as they come: only the rate is passed.
    let mut taken = Vec::new();
    let overload = loop {
        match within(STEP, "the flood", stream.next()).await {
            Some(Ok(value)) => taken.push(value),
            Some(Err(error)) => break error,
            None => panic!("the stream ended without an error after {} interrupts", taken.len()),
        }
    };
    assert_eq!(taken, (0..30).collect::<Vec<u32>>(), "the first 30, in order");
    assert_eq!(overload, Error::Overloaded(Overload::InterruptRate { limit: 30 }));
    assert_eq!(listener.status().closed_with, None, "the session goes on");
    inbox.close();
}

#[wasm_bindgen_test]
async fn a_timeout_longer_than_a_browser_timer_does_not_spin() {
    // 40 days: beyond i32::MAX milliseconds, which a browser timer would wrap to "now".
    let timers = count_timers();
    let listening = listen::<u8, u8>(
        page_config().handshake_timeout(std::time::Duration::from_secs(40 * 24 * 3600)),
        Source::AnyWindow,
    );
    let mut listening = Box::pin(listening);
    assert!(quiet_for(QUIET, &mut listening).await.is_none(), "still listening");
    let set = timers.call0(&JsValue::NULL).unwrap().as_f64().unwrap();
    // One timer for the messenger's deadline (and a few for the test's own waits and the
    // runner), not a timer that fires at once and is set again: browsers clamp such a loop to
    // one round per 4 ms, about 75 in 300 ms.
    assert!(set <= 20.0, "{set} timers were set");
}

#[wasm_bindgen_test]
async fn the_knockers_first_message_is_checked_too() {
    // A Rust knocker, a JavaScript listener whose first message has an unknown field.
    let window = window();
    let knocks = Inbox::on_target(&window, Some("👋"));
    let trace = Trace::default();
    let knocking = knock(trace.observe(page_config()), vec![Target::Window(window.clone())]);
    let knock = js_receive_knock(&knocks).await;
    knocks.close();
    let next = channel();
    let acks = Inbox::on_port(&next.port1());
    post(
        &knock.response_port(),
        &build(
            r#"{"$type":"🤝","$version":1,"$responsePort":"@0"}"#,
            &[&next.port2()],
            &JsValue::NULL,
        ),
        &[&next.port2()],
    );
    let answered = within(STEP, "the answer", knocking).await.expect("answered");
    let finishing = answered.finish_handshake::<u8, Strict>();
    let js_side = async {
        let ack = acks.next(STEP, "👂").await;
        let reply = channel();
        let first = build(
            r#"{"message":{"id":1,"name":"x","extra":0},"$responsePort":"@0"}"#,
            &[&reply.port2()],
            &JsValue::NULL,
        );
        post(&ack.response_port(), &first, &[&reply.port2()]);
    };
    let (finished, ()) = within(STEP, "the first message", futures::future::join(finishing, js_side)).await;
    let error = finished.expect_err("the first message does not decode");
    assert!(matches!(error, Error::DecodeFailed(_)), "{error:?}");
    trace.assert_failed_with(&error);
}

// ---------------------------------------------------------------------------------------------
// Interrupts from a raw JavaScript peer.

#[wasm_bindgen_test]
async fn bad_interrupts_end_their_channel_with_a_typed_error_but_not_the_session() {
    // Large enough for the deep array's JSON text, so that its depth is what is refused.
    let config = page_config().limits(Limits {
        max_bytes: 8_192,
        max_depth: 4,
        ..Limits::DEFAULT
    });
    let (listener, inbox) = js_knocker_connected::<String, String>(config).await;
    type Expected = fn(&Error) -> bool;
    let cases: Vec<(&str, JsValue, Expected)> = vec![
        ("too large", JsValue::from_str(&"y".repeat(10_000)), |e| {
            matches!(
                e,
                Error::TooLarge {
                    size: 10_002,
                    limit: 8_192
                }
            )
        }),
        ("too deep", deep_array(deepest_postable(10_000)), |e| {
            *e == Error::TooDeep { limit: 4 }
        }),
        ("cyclic", cyclic_object(), |e| matches!(e, Error::DecodeFailed(_))),
        ("the wrong type", JsValue::from_f64(1.0), |e| {
            matches!(e, Error::DecodeFailed(_))
        }),
    ];
    let mut pending = None;
    for (case, payload, expected) in cases {
        let (request, mut stream) = InterruptRequest::multi_use::<String>();
        // It is the listener's turn: the first time after the handshake, later after each reply.
        let sent = listener.send_with_interrupt(format!("watch {case}"), request);
        let message = inbox_next(&inbox, &mut pending).await;
        let interrupt_port: MessagePort = wasm_bindgen::JsCast::unchecked_into(message.field("$interruptPort"));
        assert_eq!(
            message.ports.len(),
            2,
            "{case}: reply port and interrupt port are transferred"
        );
        post(&interrupt_port, &JsValue::from_str("fine"), &[]);
        post(&interrupt_port, &payload, &[]);
        post(&interrupt_port, &JsValue::from_str("never seen"), &[]);
        assert_eq!(
            within(STEP, "a good interrupt", stream.next()).await,
            Some(Ok("fine".to_owned())),
            "{case}"
        );
        let bad = within(STEP, case, stream.next()).await;
        assert!(
            matches!(&bad, Some(Err(error)) if expected(error)),
            "{case}: got {bad:?}"
        );
        assert_eq!(
            within(STEP, "the stream's end", stream.next()).await,
            None,
            "{case}: the channel ended"
        );
        assert_eq!(listener.status().closed_with, None, "{case}: the session goes on");
        // Answer the message so that it is the listener's turn again.
        let next = channel();
        let answer = build(
            r#"{"message":"ok","$responsePort":"@0"}"#,
            &[&next.port2()],
            &JsValue::NULL,
        );
        post(&message.response_port(), &answer, &[&next.port2()]);
        assert_eq!(within(STEP, "the answer", sent).await.unwrap().message, "ok");
        pending = Some(Inbox::on_port(&next.port1()));
    }
}

/// The inbox to read the listener's next message from: the first one, or the latest reply's.
async fn inbox_next(first: &Inbox, latest: &mut Option<Inbox>) -> Got {
    match latest.take() {
        Some(inbox) => {
            let got = inbox.next(STEP, "the listener's message").await;
            inbox.close();
            got
        }
        None => first.next(STEP, "the listener's message").await,
    }
}
