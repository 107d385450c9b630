//! Issue 24: bytes cross as transferred buffers. Round trips of every size both ways and on
//! interrupts, the sender's buffer detached after the post, what a JavaScript version-1 peer may
//! send and what it is sent, and every refusal (through the public `decode` and through a live
//! session), with the same typed error in every engine.

use futures::StreamExt;
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use messenger::protocol::MAX_BINARY_BYTES;
use messenger::{
    decode, encode, knock, listen, BinaryFault, CloseReason, Config, Error, InterruptRequest, JsBytes, Limits,
    Messenger, Overload, Source, Target,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::MessagePort;

use crate::support::listeners::live;
use crate::support::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn binary_value(name: &str, n: u32) -> JsValue;
    fn make_shared(how: &str, n: u32) -> JsValue;
    fn cross_origin_isolated() -> bool;
    fn names_shared_array_buffer() -> bool;
    fn post_error(value: &JsValue) -> String;
    fn post_transferring(port: &MessagePort, value: &JsValue, transfer: &Array);
    fn is_uint8_array(value: &JsValue) -> bool;
    fn buffer_length(value: &JsValue) -> f64;
    fn holds_pattern(value: &JsValue, n: u32, seed: u32) -> bool;
    fn engine_name() -> String;
}

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;
/// The issue's sizes: 64 KiB, 1 MiB, 16 MiB.
const SIZES: [usize; 3] = [64 * KIB, MIB, 16 * MIB];
/// Moving 16 MiB takes longer than a step in a slow engine on a loaded machine (the content
/// check copies it into wasm on both sides).
const LARGE: u32 = 4 * LOAD;

/// Byte `i` is `(i * 31 + seed) & 255` (`pattern_bytes` in helpers.js is the same): a shifted,
/// truncated or reordered copy differs.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct File {
    name: String,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Buf {
    bytes: ByteBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Kept {
    bytes: JsBytes,
}

/// A `ByteBuf` and a `JsBytes` side by side, for what a JavaScript peer is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Mixed {
    buf: ByteBuf,
    kept: JsBytes,
}

/// The same `JsBytes` twice in one payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Twice {
    first: JsBytes,
    second: JsBytes,
}

fn file(n: usize, seed: u8) -> File {
    File {
        name: format!("{n} bytes, seed {seed}"),
        bytes: pattern(n, seed),
    }
}

fn limited(max_binary_bytes: usize) -> Limits {
    Limits {
        max_binary_bytes,
        ..Limits::DEFAULT
    }
}

fn js(name: &str, n: usize) -> JsValue {
    binary_value(name, n as u32)
}

fn js_array(values: &[JsValue]) -> JsValue {
    values.iter().collect::<Array>().into()
}

fn js_object(members: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in members {
        Reflect::set(&object, &JsValue::from_str(key), value).expect("a plain object takes a member");
    }
    object.into()
}

/// Sends `first` listener → knocker, then `reply` knocker → listener, over a fresh same-page
/// session (closed when this returns), and returns both as received.
async fn round_trip<T>(first: T, reply: T) -> (T, T)
where
    T: Serialize + DeserializeOwned + Clone + std::fmt::Debug + 'static,
{
    let pair = connect_pair::<T, T>(page_config(), page_config(), first).await;
    let sending = pair.knocker.send(reply);
    let back = within(LARGE, "the knocker's reply", pair.listener_pending)
        .await
        .expect("the listener receives the reply");
    drop(sending);
    (pair.knocker_first.message, back.message)
}

// ---------------------------------------------------------------------------------------------
// Round trips.

#[wasm_bindgen_test]
async fn binary_round_trips_serde_bytes_of_every_size_both_ways() {
    let before = live();
    for n in SIZES {
        let (there, back) = round_trip(file(n, 1), file(n, 2)).await;
        assert_eq!(there.name, format!("{n} bytes, seed 1"));
        assert!(there.bytes == pattern(n, 1), "{n}: listener → knocker content");
        assert!(back.bytes == pattern(n, 2), "{n}: knocker → listener content");

        let (there, back) = round_trip(
            Buf {
                bytes: ByteBuf::from(pattern(n, 3)),
            },
            Buf {
                bytes: ByteBuf::from(pattern(n, 4)),
            },
        )
        .await;
        assert!(there.bytes.as_slice() == pattern(n, 3).as_slice(), "{n}: ByteBuf there");
        assert!(back.bytes.as_slice() == pattern(n, 4).as_slice(), "{n}: ByteBuf back");
    }
    tick().await;
    assert_eq!(live(), before, "no listener left after the sessions");
}

#[wasm_bindgen_test]
async fn binary_round_trips_js_bytes_of_every_size_both_ways_and_detaches_the_senders() {
    let before = live();
    for n in SIZES {
        let first = JsBytes::copy_from(&pattern(n, 5));
        let reply = JsBytes::copy_from(&pattern(n, 6));
        let (first_kept, reply_kept) = (first.clone(), reply.clone());
        let (there, back) = round_trip(Kept { bytes: first }, Kept { bytes: reply }).await;
        assert_eq!(there.bytes.len(), n, "{n}");
        assert_eq!(back.bytes.len(), n, "{n}");
        // Checked in JavaScript first (no copy), then as Rust reads it.
        assert!(holds_pattern(there.bytes.as_uint8_array(), n as u32, 5), "{n}: there");
        assert!(holds_pattern(back.bytes.as_uint8_array(), n as u32, 6), "{n}: back");
        assert!(there.bytes.to_vec() == pattern(n, 5), "{n}: there, copied into wasm");
        assert!(back.bytes.to_vec() == pattern(n, 6), "{n}: back, copied into wasm");
        // Moved, not copied: both senders' buffers are gone.
        assert!(
            first_kept.is_detached() && first_kept.is_empty(),
            "{n}: the listener's buffer moved"
        );
        assert!(
            reply_kept.is_detached() && reply_kept.is_empty(),
            "{n}: the knocker's buffer moved"
        );
        assert!(!there.bytes.is_detached() && !back.bytes.is_detached());
    }
    tick().await;
    assert_eq!(live(), before, "no listener left after the sessions");
}

#[wasm_bindgen_test]
async fn binary_received_js_bytes_are_not_copied_into_wasm() {
    // 256 MiB, lazily zeroed by the engine: wasm memory cannot have that much free by chance, so
    // a copy would show as growth.
    let n = 256 * MIB;
    let value = js_object(&[("bytes", js("zeroed ArrayBuffer", n))]);
    let before = wasm_memory();
    let kept: Kept = decode(&value, &limited(MAX_BINARY_BYTES)).expect("within the limit");
    let grown = wasm_memory() - before;
    assert_eq!(kept.bytes.len(), n);
    assert!(grown < MIB, "wasm memory grew by {grown} bytes");
}

// ---------------------------------------------------------------------------------------------
// Interrupts.

#[wasm_bindgen_test]
async fn binary_multi_use_interrupts_carry_bytes_of_every_size() {
    let before = live();
    let pair = connect_pair::<String, String>(page_config(), page_config(), "ready".into()).await;
    // The knocker asks the listener for a stream of files, then of kept bytes.
    let (files_request, mut files) = InterruptRequest::multi_use::<File>();
    let knocker_pending = pair.knocker.send_with_interrupt("files".into(), files_request);
    let mut got = within(STEP, "the request", pair.listener_pending).await.unwrap();
    let emitter = got.take_interrupt::<File>().expect("an interrupt sender rode along");
    for n in SIZES {
        emitter.emit(&file(n, 8)).unwrap();
    }
    for n in SIZES {
        let received = within(LARGE, "a file interrupt", files.next()).await;
        let received = received.expect("the stream goes on").expect("the file decodes");
        assert!(received.bytes == pattern(n, 8), "{n}: the interrupt's content");
    }

    let (kept_request, mut kept) = InterruptRequest::multi_use::<Kept>();
    let listener_pending = pair.listener.send_with_interrupt("kept".into(), kept_request);
    let mut got = within(STEP, "the listener's request", knocker_pending).await.unwrap();
    let emitter = got.take_interrupt::<Kept>().expect("an interrupt sender rode along");
    for n in SIZES {
        let bytes = JsBytes::copy_from(&pattern(n, 9));
        emitter.emit(&Kept { bytes: bytes.clone() }).unwrap();
        assert!(bytes.is_detached(), "{n}: an emitted JsBytes moves too");
    }
    for n in SIZES {
        let received = within(LARGE, "a kept interrupt", kept.next()).await;
        let received = received.expect("the stream goes on").expect("the bytes decode");
        assert!(holds_pattern(received.bytes.as_uint8_array(), n as u32, 9), "{n}");
    }
    drop((files, kept, emitter, listener_pending));
    drop(pair.knocker);
    drop(pair.listener);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_one_time_interrupts_carry_bytes() {
    let before = live();
    let pair = connect_pair::<String, String>(page_config(), page_config(), "ready".into()).await;
    let (request, answer) = InterruptRequest::one_time::<Mixed>();
    let knocker_pending = pair
        .knocker
        .send_with_interrupt("confirm with a picture".into(), request);
    let mut got = within(STEP, "the question", pair.listener_pending).await.unwrap();
    let emitter = got.take_interrupt::<Mixed>().unwrap();
    let kept = JsBytes::copy_from(&pattern(MIB, 10));
    let mixed = Mixed {
        buf: ByteBuf::from(pattern(MIB, 11)),
        kept: kept.clone(),
    };
    assert_eq!(emitter.emit(&mixed), Ok(()));
    assert!(kept.is_detached());
    let received = within(LARGE, "the one-time interrupt", answer).await.unwrap();
    assert!(received.kept.to_vec() == pattern(MIB, 10));
    assert!(received.buf.as_slice() == pattern(MIB, 11).as_slice());
    drop((emitter, knocker_pending, pair.knocker, pair.listener));
    tick().await;
    assert_eq!(live(), before);
}

// ---------------------------------------------------------------------------------------------
// The sender's buffer after the post.

#[wasm_bindgen_test]
async fn binary_sent_js_bytes_is_detached_and_cannot_be_sent_again() {
    let bytes = JsBytes::copy_from(&pattern(1000, 12));
    let kept = bytes.clone();
    // Another JavaScript view of the same buffer, made before the post.
    let other_view = Uint8Array::new(&bytes.as_uint8_array().buffer());
    assert_eq!(other_view.byte_length(), 1000);
    let pair = connect_pair::<Kept, Kept>(page_config(), page_config(), Kept { bytes }).await;
    assert!(pair.knocker_first.message.bytes.to_vec() == pattern(1000, 12));
    assert!(kept.is_detached());
    assert_eq!(kept.len(), 0);
    assert_eq!(other_view.byte_length(), 0, "every view of the moved buffer is empty");
    assert_eq!(other_view.buffer().byte_length(), 0);

    // Sending it again: refused before anything is posted, and handed back.
    let again = Kept { bytes: kept.clone() };
    let failed = within(STEP, "the refused send", pair.knocker.send(again))
        .await
        .unwrap_err();
    assert!(
        matches!(&failed.error, Error::EncodeFailed(message) if message.contains("detached")),
        "{:?}",
        failed.error
    );
    assert_eq!(failed.unsent.map(|kept| kept.bytes), Some(kept.clone()), "handed back");
    // The public encoder refuses it too.
    assert!(matches!(
        encode(&Kept { bytes: kept.clone() }),
        Err(Error::EncodeFailed(_))
    ));
    // A copy made before the post would have been sendable; a copy of the empty one is empty.
    assert_eq!(kept.copy().len(), 0);
    // The session is untouched by a send that never left.
    assert_eq!(pair.knocker.status().closed_with, None);
    let fresh = Kept {
        bytes: JsBytes::copy_from(&[1, 2, 3]),
    };
    let _next = pair.knocker.send(fresh);
    assert_eq!(
        within(STEP, "the next send", pair.listener_pending)
            .await
            .unwrap()
            .message
            .bytes
            .to_vec(),
        vec![1, 2, 3]
    );
}

#[wasm_bindgen_test]
async fn binary_the_same_js_bytes_twice_in_a_payload_is_transferred_once_and_arrives_twice() {
    let bytes = JsBytes::copy_from(&pattern(4096, 13));
    let twice = Twice {
        first: bytes.clone(),
        second: bytes.clone(),
    };
    // A buffer listed twice in a transfer list makes postMessage throw a DataCloneError: the
    // send going through shows it was listed once.
    let pair = connect_pair::<Twice, Twice>(page_config(), page_config(), twice).await;
    let got = pair.knocker_first.message;
    assert!(got.first.to_vec() == pattern(4096, 13));
    assert!(got.second.to_vec() == pattern(4096, 13));
    // Structured clone keeps the one buffer one object on the other side, in every engine.
    assert_eq!(got.first, got.second, "one buffer, arrived once, met twice");
    assert!(bytes.is_detached());
}

#[wasm_bindgen_test]
async fn binary_public_encode_clones_and_detaches_nothing() {
    let bytes = JsBytes::copy_from(&pattern(100, 14));
    let value = encode(&Mixed {
        buf: ByteBuf::from(pattern(50, 15)),
        kept: bytes.clone(),
    })
    .unwrap();
    assert!(is_uint8_array(&get(&value, "buf")));
    assert!(holds_pattern(&get(&value, "buf"), 50, 15));
    assert!(is_uint8_array(&get(&value, "kept")));
    // Posting the value copies it: the original stays.
    assert_eq!(post_error(&value), "");
    assert!(!bytes.is_detached());
    assert_eq!(bytes.len(), 100);
    let back: Mixed = decode(&value, &Limits::DEFAULT).unwrap();
    assert!(back.kept.to_vec() == pattern(100, 14));
}

#[wasm_bindgen_test]
async fn binary_constructors_keep_whole_buffers_and_copy_partial_views() {
    let whole: Uint8Array = js("Uint8Array", 16).unchecked_into();
    let kept = JsBytes::from_uint8_array(whole.clone());
    assert_eq!(
        JsValue::from(kept.as_uint8_array().buffer()),
        JsValue::from(whole.buffer()),
        "kept as it is"
    );
    let partial: Uint8Array = js("Uint8Array at an offset", 16).unchecked_into();
    let copied = JsBytes::from_uint8_array(partial.clone());
    assert_ne!(
        JsValue::from(copied.as_uint8_array().buffer()),
        JsValue::from(partial.buffer())
    );
    assert_eq!(copied.len(), 16, "only the viewed bytes");
    let buffer: ArrayBuffer = js("ArrayBuffer", 16).unchecked_into();
    assert!(JsBytes::from_array_buffer(&buffer).to_vec() == pattern(16, 7));
    assert!(JsBytes::from(pattern(16, 7)).copy().to_vec() == pattern(16, 7));
}

// ---------------------------------------------------------------------------------------------
// A JavaScript version-1 peer.

/// What a JavaScript knock says about binary data: `$binary: true`.
const ANNOUNCES_BINARY: &str = r#""$binary":true,"#;
/// A version-1 knock: nothing.
const SAYS_NOTHING: &str = "";

/// A raw JavaScript knocker connected to a Rust listener on this page's window, its knock
/// carrying `binary` (JSON members, each followed by a comma). Returns the listener and the
/// inbox of its first message.
async fn js_knocker<Out, In>(config: Config, binary: &str) -> (Messenger<Out, In>, Inbox) {
    let window = window();
    let listening = listen::<Out, In>(config, Source::Window(window.clone()));
    let answers = js_knock_saying(&window, binary);
    let answer = answers.next(STEP, "🤝").await;
    assert_eq!(answer.field("$type").as_string().as_deref(), Some("🤝"));
    assert_eq!(
        answer.field("$binary"),
        JsValue::TRUE,
        "a Rust listener announces $binary"
    );
    let (_next, inbox) = js_acknowledge(&answer);
    answers.close();
    let listener = within(STEP, "the listener to connect", listening)
        .await
        .expect("listener connects");
    (listener, inbox)
}

/// The JavaScript peer answers the listener's first message with `payload` (its buffers copied
/// by the post, or transferred when `transfer` lists them); returns the listener's result.
async fn js_answers<In: DeserializeOwned + 'static>(
    config: Config,
    payload: &JsValue,
    transfer: &[JsValue],
) -> (Result<In, Error>, Messenger<String, In>) {
    let (listener, inbox) = js_knocker::<String, In>(config, SAYS_NOTHING).await;
    let pending = listener.send("question".into());
    let question = inbox.next(STEP, "the listener's message").await;
    let next = channel();
    let message = build(
        r#"{"message":"@payload","$responsePort":"@0"}"#,
        &[&next.port2()],
        payload,
    );
    let list: Array = std::iter::once(JsValue::from(next.port2()))
        .chain(transfer.iter().cloned())
        .collect();
    post_transferring(&question.response_port(), &message, &list);
    let result = within(LARGE, "the answer", pending).await;
    inbox.close();
    (result.map(|got| got.message).map_err(|failed| failed.error), listener)
}

#[wasm_bindgen_test]
async fn binary_a_js_peer_may_send_uint8_array_array_buffer_or_numbers_as_bytes() {
    let before = live();
    let n = 64 * KIB;
    for name in ["Uint8Array", "ArrayBuffer", "array of numbers"] {
        let (got, _listener) = js_answers::<Buf>(page_config(), &js_object(&[("bytes", js(name, n))]), &[]).await;
        assert!(
            got.unwrap().bytes.as_slice() == pattern(n, 7).as_slice(),
            "ByteBuf from {name}"
        );

        let (got, _listener) = js_answers::<Kept>(page_config(), &js_object(&[("bytes", js(name, n))]), &[]).await;
        let got = got.unwrap();
        assert!(
            holds_pattern(got.bytes.as_uint8_array(), n as u32, 7),
            "JsBytes from {name}"
        );

        let (got, _listener) = js_answers::<File>(
            page_config(),
            &js_object(&[("name", "f".into()), ("bytes", js(name, n))]),
            &[],
        )
        .await;
        assert!(got.unwrap().bytes == pattern(n, 7), "serde_bytes Vec<u8> from {name}");
    }
    // Transferred by the JavaScript peer: the same, and its buffer is gone on its side.
    let array = js("Uint8Array", n);
    let buffer: JsValue = array.unchecked_ref::<Uint8Array>().buffer().into();
    let (got, listener) = js_answers::<Kept>(page_config(), &js_object(&[("bytes", array.clone())]), &[buffer]).await;
    assert!(holds_pattern(got.unwrap().bytes.as_uint8_array(), n as u32, 7));
    assert_eq!(buffer_length(&array), 0.0, "the JavaScript peer's buffer moved");
    drop(listener);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_a_plain_vec_of_u8_takes_numbers_and_refuses_a_buffer() {
    #[derive(Debug, Deserialize)]
    struct Plain {
        #[allow(dead_code)]
        bytes: Vec<u8>,
    }
    let numbers = js_object(&[("bytes", js("array of numbers", 8))]);
    assert!(decode::<Plain>(&numbers, &Limits::DEFAULT).is_ok());
    let array = js_object(&[("bytes", js("Uint8Array", 8))]);
    assert_eq!(
        decode::<Plain>(&array, &Limits::DEFAULT).unwrap_err(),
        Error::DecodeFailed("invalid type: byte array, expected a sequence".into())
    );
}

#[wasm_bindgen_test]
async fn binary_a_js_peer_without_binary_is_sent_numbers_and_nothing_is_detached() {
    let before = live();
    // Only `true` announces it: a string or a number is a peer that did not.
    for knock in [
        SAYS_NOTHING,
        r#""$binary":"true","#,
        r#""$binary":1,"#,
        r#""$binary":false,"#,
    ] {
        let (listener, inbox) = js_knocker::<Mixed, String>(page_config(), knock).await;
        let kept = JsBytes::copy_from(&pattern(1000, 16));
        let pending = listener.send(Mixed {
            buf: ByteBuf::from(pattern(500, 17)),
            kept: kept.clone(),
        });
        let got = inbox.next(STEP, "the listener's message").await;
        let message = got.field("message");
        for (field, n, seed) in [("buf", 500, 17), ("kept", 1000, 16)] {
            let value = get(&message, field);
            assert!(
                Array::is_array(&value),
                "{knock} {field}: an array of numbers for a version-1 peer"
            );
            assert!(holds_pattern(&value, n, seed), "{knock} {field}");
        }
        assert!(!kept.is_detached(), "{knock}: nothing was transferred");
        assert!(kept.to_vec() == pattern(1000, 16));
        inbox.close();
        drop((pending, listener));
    }
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_a_js_peer_with_binary_is_sent_transferred_uint8_arrays() {
    let before = live();
    let (listener, inbox) = js_knocker::<Mixed, String>(page_config(), ANNOUNCES_BINARY).await;
    let kept = JsBytes::copy_from(&pattern(1000, 18));
    let _pending = listener.send(Mixed {
        buf: ByteBuf::from(pattern(500, 19)),
        kept: kept.clone(),
    });
    let got = inbox.next(STEP, "the listener's message").await;
    let message = got.field("message");
    for (field, n, seed) in [("buf", 500, 19), ("kept", 1000, 18)] {
        let value = get(&message, field);
        assert!(
            is_uint8_array(&value),
            "{field}: a Uint8Array for a peer that announced $binary"
        );
        assert_eq!(
            buffer_length(&value),
            f64::from(n),
            "{field}: over the whole of its buffer"
        );
        assert!(holds_pattern(&value, n, seed), "{field}");
    }
    assert!(kept.is_detached(), "the buffer was transferred, not copied");
    inbox.close();
    drop(listener);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_a_rust_knocker_announces_binary() {
    let window = window();
    let knocks = Inbox::on_target(&window, Some("👋"));
    let knocking = Box::pin(knock(page_config(), vec![Target::Window(window.clone())]));
    let watched = Box::pin(async {
        let knock = js_receive_knock(&knocks).await;
        assert_eq!(knock.field("$binary"), JsValue::TRUE);
    });
    // The knock is posted when the future first runs; it is dropped (unanswered) once seen.
    match within(STEP, "the knock", futures::future::select(knocking, watched)).await {
        futures::future::Either::Right(_) => {}
        futures::future::Either::Left((knocked, _)) => panic!("the knock ended first: {knocked:?}"),
    }
    knocks.close();
}

// ---------------------------------------------------------------------------------------------
// Refusals through the public decoder: the same inputs, the same typed error, in every engine.

fn too_large(size: usize, limit: usize) -> Error {
    Error::BinaryTooLarge { size, limit }
}

#[wasm_bindgen_test]
async fn binary_refusals_are_the_same_typed_error_in_every_engine() {
    let limit = 1000;
    let limits = limited(limit);
    // (case, value, what decoding it as a `Vec<ByteBuf>` or a `ByteBuf` gives)
    let sequences: Vec<(&str, JsValue, Result<usize, Error>)> = vec![
        ("limit - 1", js_array(&[js("Uint8Array", limit - 1)]), Ok(1)),
        ("limit", js_array(&[js("Uint8Array", limit)]), Ok(1)),
        (
            "limit + 1",
            js_array(&[js("Uint8Array", limit + 1)]),
            Err(too_large(limit + 1, limit)),
        ),
        (
            "an ArrayBuffer of limit + 1",
            js_array(&[js("ArrayBuffer", limit + 1)]),
            Err(too_large(limit + 1, limit)),
        ),
        (
            "buffers summing to the limit",
            js_array(&[js("Uint8Array", 400), js("ArrayBuffer", 400), js("Uint8Array", 200)]),
            Ok(3),
        ),
        (
            // The size counts up to the buffer that passed: the last is never looked at.
            "buffers summing past it",
            js_array(&[
                js("Uint8Array", 400),
                js("ArrayBuffer", 400),
                js("Uint8Array", 201),
                js("Int16Array", 4),
            ]),
            Err(too_large(1001, limit)),
        ),
        (
            "an empty buffer",
            js_array(&[js("Uint8Array", 0), js("ArrayBuffer", 0)]),
            Ok(2),
        ),
        (
            "a Uint8Array at an offset",
            js_array(&[js("Uint8Array at an offset", 8)]),
            Err(Error::BadBinary(BinaryFault::PartialView)),
        ),
        (
            "a Uint8Array over a prefix",
            js_array(&[js("Uint8Array over a prefix", 8)]),
            Err(Error::BadBinary(BinaryFault::PartialView)),
        ),
        (
            "an Int16Array",
            js_array(&[js("Int16Array", 8)]),
            Err(Error::BadBinary(BinaryFault::NotBytes)),
        ),
        (
            "a Uint8ClampedArray",
            js_array(&[js("Uint8ClampedArray", 8)]),
            Err(Error::BadBinary(BinaryFault::NotBytes)),
        ),
        (
            "a DataView",
            js_array(&[js("DataView", 8)]),
            Err(Error::BadBinary(BinaryFault::NotBytes)),
        ),
        (
            "a Float64Array",
            js_array(&[js("Float64Array", 8)]),
            Err(Error::BadBinary(BinaryFault::NotBytes)),
        ),
        (
            "a detached ArrayBuffer",
            js_array(&[js("detached ArrayBuffer", 8)]),
            Err(Error::BadBinary(BinaryFault::Detached)),
        ),
        (
            "a Uint8Array over a detached buffer",
            js_array(&[js("Uint8Array over a detached buffer", 8)]),
            Err(Error::BadBinary(BinaryFault::Detached)),
        ),
        (
            "an empty detached ArrayBuffer",
            js_array(&[js("detached ArrayBuffer", 0)]),
            Err(Error::BadBinary(BinaryFault::Detached)),
        ),
        (
            // What the decoder goes by: Object.prototype.toString's tag.
            "an object tagged SharedArrayBuffer",
            js_array(&[js("object tagged SharedArrayBuffer", 0)]),
            Err(Error::BadBinary(BinaryFault::Shared)),
        ),
        (
            // Refused in document order: the first fault met is the answer.
            "a partial view, then too many bytes",
            js_array(&[js("Uint8Array at an offset", 8), js("Uint8Array", limit + 1)]),
            Err(Error::BadBinary(BinaryFault::PartialView)),
        ),
        (
            "too many bytes, then a DataView",
            js_array(&[js("Uint8Array", limit + 1), js("DataView", 8)]),
            Err(too_large(limit + 1, limit)),
        ),
    ];
    for (case, value, expected) in sequences {
        let got = decode::<Vec<ByteBuf>>(&value, &limits).map(|buffers| buffers.len());
        assert_eq!(got, expected, "{case} as Vec<ByteBuf>");
        let got = decode::<Vec<JsBytes>>(&value, &limits).map(|buffers| buffers.len());
        assert_eq!(got, expected, "{case} as Vec<JsBytes>");
    }

    // Bytes where the type wants text, or a sequence; judged (refusals first) before the type.
    let text = |value: JsValue| decode::<String>(&value, &limits);
    let not_text = Error::DecodeFailed("invalid type: byte array, expected a string".into());
    assert_eq!(text(js("Uint8Array", 8)), Err(not_text.clone()));
    assert_eq!(text(js("ArrayBuffer", 8)), Err(not_text.clone()));
    assert_eq!(text(js("Uint8Array", limit + 1)), Err(too_large(limit + 1, limit)));
    assert_eq!(text(js("DataView", 8)), Err(Error::BadBinary(BinaryFault::NotBytes)));
    assert_eq!(
        decode::<File>(
            &js_object(&[("name", js("Uint8Array", 4)), ("bytes", js("Uint8Array", 4))]),
            &limits
        ),
        Err(not_text)
    );
    // A member the type ignores is judged all the same.
    assert_eq!(
        decode::<File>(
            &js_object(&[
                ("name", "f".into()),
                ("bytes", js("Uint8Array", 4)),
                ("extra", js("Int16Array", 4)),
            ]),
            &limits
        ),
        Err(Error::BadBinary(BinaryFault::NotBytes))
    );
    // The JSON text limit comes first where it is passed first (document order), and a buffer
    // counts as `[]` in it.
    let tight = Limits {
        max_bytes: 20,
        ..limits
    };
    assert_eq!(
        decode::<Vec<ByteBuf>>(
            &js_array(&[js("Uint8Array", limit)]),
            &Limits { max_bytes: 4, ..limits }
        ),
        Ok(vec![ByteBuf::from(pattern(limit, 7))]),
        "[[]] is 4 bytes of text, whatever the buffer's size"
    );
    assert!(matches!(
        decode::<(String, ByteBuf)>(&js_array(&["x".repeat(30).into(), js("DataView", 8)]), &tight),
        Err(Error::TooLarge { .. })
    ));
    // A larger limit counts as MAX_BINARY_BYTES.
    assert_eq!(
        decode::<ByteBuf>(&js("Uint8Array", 10), &limited(usize::MAX)).map(|b| b.len()),
        Ok(10)
    );
    assert_eq!(
        decode::<Vec<ByteBuf>>(&js_array(&[js("Uint8Array", 10)]), &limited(0)),
        Err(too_large(10, 0))
    );
}

#[wasm_bindgen_test]
async fn binary_too_large_is_judged_before_a_byte_is_read() {
    // 256 MiB past the default 64 MiB: refused from byteLength, nothing copied into wasm.
    let n = 256 * MIB;
    let value = js_array(&[js("zeroed ArrayBuffer", n)]);
    for limits in [Limits::DEFAULT, limited(usize::MAX)] {
        let before = wasm_memory();
        let as_buf = decode::<Vec<ByteBuf>>(&value, &limits);
        let as_kept = decode::<Vec<JsBytes>>(&value, &limits);
        let grown = wasm_memory() - before;
        let limit = limits.max_binary_bytes.min(MAX_BINARY_BYTES);
        match limit < n {
            true => {
                assert_eq!(as_buf.map(|_| ()), Err(too_large(n, limit)));
                assert_eq!(as_kept.map(|_| ()), Err(too_large(n, limit)));
                assert!(grown < MIB, "refused: wasm memory grew by {grown} bytes");
            }
            // Accepted (1 GiB cap): the ByteBuf copy is the one that grows memory.
            false => {
                assert_eq!(as_kept.map(|kept| kept[0].len()), Ok(n));
                assert_eq!(as_buf.map(|buf| buf[0].len()), Ok(n));
            }
        }
    }
}

#[wasm_bindgen_test]
async fn binary_a_limit_above_the_cap_refuses_one_byte_past_a_gib() {
    // 1 GiB + 1, lazily zeroed: every engine here allocates it without touching its pages.
    let value = js_array(&[js("zeroed ArrayBuffer", MAX_BINARY_BYTES + 1)]);
    assert_eq!(buffer_length(&get(&value, "0")), (MAX_BINARY_BYTES + 1) as f64);
    let before = wasm_memory();
    assert_eq!(
        decode::<Vec<JsBytes>>(&value, &limited(usize::MAX)).map(|_| ()),
        Err(too_large(MAX_BINARY_BYTES + 1, MAX_BINARY_BYTES))
    );
    assert_eq!(
        decode::<Vec<ByteBuf>>(&value, &limited(usize::MAX)).map(|_| ()),
        Err(too_large(MAX_BINARY_BYTES + 1, MAX_BINARY_BYTES))
    );
    let grown = wasm_memory() - before;
    assert!(grown < MIB, "wasm memory grew by {grown} bytes");
}

#[wasm_bindgen_test]
async fn binary_shared_buffers_are_refused_where_the_page_can_make_one() {
    // The test page is served without cross-origin isolation (.cargo/config.toml), so no engine
    // names SharedArrayBuffer; a shared WebAssembly.Memory's buffer is what a page may still hold.
    assert!(!cross_origin_isolated());
    assert!(
        !names_shared_array_buffer(),
        "SharedArrayBuffer is gated on cross-origin isolation"
    );
    let made = make_shared("wasm memory", 0);
    assert!(
        made.is_object(),
        "every engine makes a shared WebAssembly.Memory here, got {made:?}"
    );
    let view = Uint8Array::new(&made);
    for (case, value) in [("the buffer", made.clone()), ("a Uint8Array over it", view.into())] {
        assert_eq!(
            decode::<ByteBuf>(&value, &Limits::DEFAULT).map(|_| ()),
            Err(Error::BadBinary(BinaryFault::Shared)),
            "{case}"
        );
        assert_eq!(
            decode::<JsBytes>(&value, &Limits::DEFAULT).map(|_| ()),
            Err(Error::BadBinary(BinaryFault::Shared)),
            "{case}"
        );
        // A peer cannot send one: posting shared memory needs cross-origin isolation.
        assert_eq!(post_error(&value), "DataCloneError", "{case}");
    }
    // Nor can a detached buffer be posted, so `Detached` comes only through `decode`. WebKit
    // throws a TypeError where the HTML standard's structured serialize says DataCloneError.
    let detached_post = match engine_name().as_str() {
        "webkit" => "TypeError",
        _ => "DataCloneError",
    };
    assert_eq!(post_error(&js("detached ArrayBuffer", 8)), detached_post);
}

// ---------------------------------------------------------------------------------------------
// Refusals in a live session: the receiver ends with the typed error, the peer is told `refused`.

/// The knocker posts `value` raw (copied by the post) to a listener reading `In` under `limits`.
async fn refused_in_session<In: Serialize + DeserializeOwned + std::fmt::Debug + 'static>(
    case: &str,
    limits: Limits,
    value: JsValue,
    expected: Error,
) {
    let before = live();
    let trace = Trace::default();
    let pair = connect_pair::<u8, In>(trace.observe(page_config().limits(limits)), page_config(), 0).await;
    let raw = pair.knocker.send_raw(value);
    let failed = within(STEP, case, pair.listener_pending).await.unwrap_err();
    assert_eq!(failed.error, expected, "{case}");
    trace.assert_failed_with(&expected);
    assert_eq!(
        within(STEP, "the sender to be told", raw).await,
        Err(Error::PeerClosed(CloseReason::Refused)),
        "{case}"
    );
    assert_eq!(pair.listener.status().open_ports, 0, "{case}");
    assert_eq!(pair.knocker.status().open_ports, 0, "{case}");
    drop(pair.knocker);
    drop(pair.listener);
    tick().await;
    assert_eq!(live(), before, "{case}");
}

#[wasm_bindgen_test]
async fn binary_refusals_in_a_session_end_it_and_tell_the_peer_refused() {
    let limit = 1000;
    let cases: Vec<(&str, JsValue, Error)> = vec![
        (
            "limit + 1",
            js_array(&[js("Uint8Array", limit + 1)]),
            too_large(limit + 1, limit),
        ),
        (
            "buffers summing past the limit",
            js_array(&[js("ArrayBuffer", 600), js("Uint8Array", 600)]),
            too_large(1200, limit),
        ),
        (
            "a partial view",
            js_array(&[js("Uint8Array at an offset", 8)]),
            Error::BadBinary(BinaryFault::PartialView),
        ),
        (
            "an Int16Array",
            js_array(&[js("Int16Array", 8)]),
            Error::BadBinary(BinaryFault::NotBytes),
        ),
        (
            "a DataView",
            js_array(&[js("DataView", 8)]),
            Error::BadBinary(BinaryFault::NotBytes),
        ),
        (
            "a Uint8ClampedArray",
            js_array(&[js("Uint8ClampedArray", 8)]),
            Error::BadBinary(BinaryFault::NotBytes),
        ),
    ];
    for (case, value, expected) in cases {
        refused_in_session::<Vec<ByteBuf>>(case, limited(limit), value.clone(), expected.clone()).await;
        refused_in_session::<Vec<JsBytes>>(case, limited(limit), value, expected).await;
    }
    // Within the limit it is accepted, as the same raw post.
    let pair = connect_pair::<u8, Vec<ByteBuf>>(page_config().limits(limited(limit)), page_config(), 0).await;
    let raw = pair.knocker.send_raw(js_array(&[js("Uint8Array", limit)]));
    let got = within(STEP, "the accepted post", pair.listener_pending).await.unwrap();
    assert!(got.message[0].as_slice() == pattern(limit, 7).as_slice());
    drop((raw, pair.knocker, pair.listener));

    refused_in_session::<String>(
        "bytes where the type wants text",
        Limits::DEFAULT,
        js("Uint8Array", 8),
        Error::DecodeFailed("invalid type: byte array, expected a string".into()),
    )
    .await;
}

#[wasm_bindgen_test]
async fn binary_a_refused_interrupt_ends_its_channel_but_not_the_session() {
    let before = live();
    let limit = 1000;
    let cases: Vec<(&str, JsValue, Error)> = vec![
        ("limit + 1", js("Uint8Array", limit + 1), too_large(limit + 1, limit)),
        (
            "a partial view",
            js("Uint8Array at an offset", 8),
            Error::BadBinary(BinaryFault::PartialView),
        ),
        ("a DataView", js("DataView", 8), Error::BadBinary(BinaryFault::NotBytes)),
        (
            "a Uint8ClampedArray",
            js("Uint8ClampedArray", 8),
            Error::BadBinary(BinaryFault::NotBytes),
        ),
    ];
    for (case, bad, expected) in cases {
        let (listener, inbox) =
            js_knocker::<String, String>(page_config().limits(limited(limit)), ANNOUNCES_BINARY).await;
        let (request, mut stream) = InterruptRequest::multi_use::<ByteBuf>();
        let sent = listener.send_with_interrupt("watch".into(), request);
        let message = inbox.next(STEP, "the listener's message").await;
        let interrupt_port: MessagePort = message.field("$interruptPort").unchecked_into();
        post(&interrupt_port, &js("Uint8Array", 10), &[]);
        post(&interrupt_port, &bad, &[]);
        post(&interrupt_port, &js("Uint8Array", 10), &[]);
        let good = within(STEP, "the good interrupt", stream.next()).await;
        assert!(good.unwrap().unwrap().as_slice() == pattern(10, 7).as_slice(), "{case}");
        assert_eq!(
            within(STEP, "the refused interrupt", stream.next()).await,
            Some(Err(expected)),
            "{case}: the channel yields the typed error"
        );
        assert_eq!(
            within(STEP, "the stream's end", stream.next()).await,
            None,
            "{case}: then ends (what came after the refused one is not read)"
        );
        assert_eq!(listener.status().closed_with, None, "{case}: the session goes on");
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
        assert_eq!(within(STEP, "the answer", sent).await.unwrap().message, "ok", "{case}");
        inbox.close();
        drop(listener);
    }
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_a_refused_one_time_interrupt_fails_it_and_the_session_goes_on() {
    let before = live();
    let limit = 1000;
    let knocker_config = page_config().limits(limited(limit));
    let pair = connect_pair::<String, String>(page_config(), knocker_config, "ready".into()).await;
    let (request, answer) = InterruptRequest::one_time::<ByteBuf>();
    let knocker_pending = pair.knocker.send_with_interrupt("a picture?".into(), request);
    let mut got = within(STEP, "the question", pair.listener_pending).await.unwrap();
    let emitter = got.take_interrupt::<ByteBuf>().unwrap();
    assert_eq!(emitter.emit(&ByteBuf::from(pattern(limit + 1, 20))), Ok(()));
    assert_eq!(
        within(STEP, "the one-time interrupt", answer).await,
        Err(too_large(limit + 1, limit))
    );
    assert_eq!(pair.knocker.status().closed_with, None);
    let listener_pending = pair.listener.send("fine".into());
    assert_eq!(
        within(STEP, "the reply", knocker_pending).await.unwrap().message,
        "fine"
    );
    drop((emitter, listener_pending, pair.knocker, pair.listener));
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn binary_interrupts_not_taken_hold_at_most_the_binary_limit_together() {
    let before = live();
    let limit = 1000;
    let (listener, inbox) = js_knocker::<String, String>(page_config().limits(limited(limit)), ANNOUNCES_BINARY).await;
    let (request, mut stream) = InterruptRequest::multi_use::<ByteBuf>();
    let sent = listener.send_with_interrupt("watch".into(), request);
    let message = inbox.next(STEP, "the listener's message").await;
    let interrupt_port: MessagePort = message.field("$interruptPort").unchecked_into();
    // Each fits the limit; the application takes none while they arrive. The third passes the
    // limit together with the two waiting: the channel ends on its arrival.
    for _ in 0..3 {
        post(&interrupt_port, &js("Uint8Array", 400), &[]);
    }
    // Every post has arrived (a round trip on the same page's task queue comes after them).
    quiet_for(100, futures::future::pending::<()>()).await;
    for taken in 0..2 {
        let got = within(STEP, "a waiting interrupt", stream.next()).await;
        assert!(
            got.unwrap().unwrap().as_slice() == pattern(400, 7).as_slice(),
            "interrupt {taken}"
        );
    }
    assert_eq!(
        within(STEP, "the channel's end", stream.next()).await,
        Some(Err(Error::Overloaded(Overload::PendingBinary { limit }))),
        "judged on arrival, before the application took any"
    );
    assert_eq!(within(STEP, "the stream's end", stream.next()).await, None);
    assert_eq!(listener.status().closed_with, None, "the session goes on");
    drop(sent);
    inbox.close();
    drop(listener);
    tick().await;
    assert_eq!(live(), before);
}
