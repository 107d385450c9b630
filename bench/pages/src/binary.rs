//! The messenger's side of the binary series (see `BENCHMARKS.md`, "Binary payloads"): round
//! trips whose request and reply both carry `size` bytes, host → iframe → host.
//!
//! * [`Knocker::run_bytes`]: the bytes are a [`JsBytes`] made by the page (a new `ArrayBuffer`
//!   per round trip), moved to the iframe, which sends the same buffer back; neither side copies
//!   them into wasm.
//! * [`Knocker::run_copied`]: the bytes are a `serde_bytes::ByteBuf` made in wasm; the encoder
//!   copies them out into a new `Uint8Array` (transferred), the iframe's decoder copies them into
//!   wasm and its encoder out again, and the host's decoder into wasm: the figure of an
//!   application that reads its bytes in Rust.
//!
//! What is timed, per round trip: from just before `send` (the request is encoded there) until
//! the reply is decoded and in the host's hands; making the request's bytes before and checking
//! the reply's bytes after are outside it, as in the JavaScript variants. A run resolves with
//! the sum of its round trips' times in milliseconds.

use messenger::JsBytes;
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{js_error, Knocker, Reply, Request};

/// Bytes of round trip `seq`: each little-endian 32-bit word `i` is `seq × 0x9E3779B1 + i`
/// (mod 2³²), as `freshBytes` in `bench.js` makes them, so a reply with another round trip's
/// bytes, or with bytes moved or cut, fails [`pattern_right`].
pub fn pattern(size: u32, seq: u32) -> Vec<u8> {
    let base = seq.wrapping_mul(0x9E37_79B1);
    let mut bytes = Vec::with_capacity(size as usize);
    for i in 0..size / 4 {
        bytes.extend_from_slice(&base.wrapping_add(i).to_le_bytes());
    }
    bytes
}

/// Whether `bytes` are [`pattern`]`(size, seq)`.
pub fn pattern_right(bytes: &[u8], size: u32, seq: u32) -> bool {
    let base = seq.wrapping_mul(0x9E37_79B1);
    bytes.len() == size as usize
        && bytes
            .chunks_exact(4)
            .zip(0u32..)
            .all(|(word, i)| word == base.wrapping_add(i).to_le_bytes())
}

/// A reply that is not the echo asked for, in words (for the run's error).
pub fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Ready => "Ready".to_owned(),
        Reply::Echoed { seq, data } => format!("Echoed {{ seq: {seq}, data: {} bytes }}", data.len()),
        Reply::EchoedBytes { seq, data } => format!("EchoedBytes {{ seq: {seq}, data: {} bytes }}", data.len()),
        Reply::EchoedCopied { seq, data } => format!("EchoedCopied {{ seq: {seq}, data: {} bytes }}", data.len()),
    }
}

/// The page's clock (`performance.now()`, in milliseconds).
fn clock() -> Result<web_sys::Performance, JsError> {
    web_sys::window()
        .and_then(|window| window.performance())
        .ok_or_else(|| JsError::new("no performance clock"))
}

#[wasm_bindgen]
impl Knocker {
    /// `count` round trips of `size` bytes kept in JavaScript ([`JsBytes`]), numbered from
    /// `first_seq`. `fresh(size, seq)` makes each request's bytes (a `Uint8Array` over a new
    /// `ArrayBuffer`) and `check(array, size, seq)` says whether a reply's bytes are right; both
    /// run outside the timed part. Resolves with the time of the round trips in milliseconds,
    /// or rejects at the first wrong reply.
    #[wasm_bindgen(js_name = runBytes)]
    pub fn run_bytes(
        &self,
        count: u32,
        size: u32,
        first_seq: u32,
        fresh: js_sys::Function,
        check: js_sys::Function,
    ) -> js_sys::Promise {
        let messenger = self.messenger.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let clock = clock()?;
            let mut timed = 0.0;
            for seq in first_seq..first_seq.wrapping_add(count) {
                let array = fresh.call2(&JsValue::NULL, &size.into(), &seq.into())?;
                let data = JsBytes::from_uint8_array(array.dyn_into()?);
                let started = clock.now();
                let received = messenger
                    .send(Request::EchoBytes { seq, data })
                    .await
                    .map_err(|e| js_error(&format!("binary round trip {seq}"), e.error))?;
                timed += clock.now() - started;
                let right = match &received.message {
                    Reply::EchoedBytes { seq: got, data } if *got == seq => check
                        .call3(&JsValue::NULL, data.as_uint8_array(), &size.into(), &seq.into())?
                        .is_truthy(),
                    _ => false,
                };
                if !right {
                    let got = describe(&received.message);
                    return Err(JsError::new(&format!(
                        "binary round trip {seq}: wrong reply {got}, expected EchoedBytes {{ seq: {seq}, data: the {size} bytes sent }}"
                    ))
                    .into());
                }
            }
            Ok(JsValue::from(timed))
        })
    }

    /// `count` round trips of `size` bytes the application holds in wasm
    /// (`serde_bytes::ByteBuf`), numbered from `first_seq`: made in Rust before and checked in
    /// Rust after each timed round trip. Resolves like [`Knocker::run_bytes`].
    #[wasm_bindgen(js_name = runCopied)]
    pub fn run_copied(&self, count: u32, size: u32, first_seq: u32) -> js_sys::Promise {
        let messenger = self.messenger.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let clock = clock()?;
            let mut timed = 0.0;
            for seq in first_seq..first_seq.wrapping_add(count) {
                let data = ByteBuf::from(pattern(size, seq));
                let started = clock.now();
                let received = messenger
                    .send(Request::EchoCopied { seq, data })
                    .await
                    .map_err(|e| js_error(&format!("binary round trip {seq}"), e.error))?;
                timed += clock.now() - started;
                let right = matches!(
                    &received.message,
                    Reply::EchoedCopied { seq: got, data } if *got == seq && pattern_right(data, size, seq)
                );
                if !right {
                    let got = describe(&received.message);
                    return Err(JsError::new(&format!(
                        "binary round trip {seq}: wrong reply {got}, expected EchoedCopied {{ seq: {seq}, data: the {size} bytes sent }}"
                    ))
                    .into());
                }
            }
            Ok(JsValue::from(timed))
        })
    }
}
