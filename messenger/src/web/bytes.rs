//! [`JsBytes`]: binary data that stays in JavaScript, sent without a copy.

use std::fmt;

use js_sys::{ArrayBuffer, Uint8Array};
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use wasm_bindgen::{JsCast, JsValue};

use super::buffers::is_detached;
use super::decode::take_incoming;
use super::encode::{hand_over, JS_BYTES};

/// Bytes kept in JavaScript: a `Uint8Array` over the whole of its own `ArrayBuffer`, sent by
/// moving the buffer (O(1), whatever its size) and received without copying it into wasm.
///
/// Use it in a payload for files, images, audio or model outputs that the application hands
/// to a browser API (a `Blob`, an `<img>`, a canvas, `fetch`) rather than reads in Rust:
///
/// ```no_run
/// # use messenger::JsBytes;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Picture {
///     name: String,
///     png: JsBytes,
/// }
/// # fn show(picture: Picture) {
/// // Received: the peer's Uint8Array itself, for a Blob or a canvas, not copied into wasm.
/// let png: &js_sys::Uint8Array = picture.png.as_uint8_array();
/// # }
/// ```
///
/// **Sending moves the buffer.** Once a payload holding it is posted, the buffer is detached on
/// this side: this value and every other view of that buffer read as empty (`len() == 0`), and
/// sending it again fails with [`Error::EncodeFailed`](crate::Error::EncodeFailed). Keep a copy
/// ([`JsBytes::copy`]) to send the same bytes twice. A peer that did not announce `$binary` (a
/// JavaScript peer written before it) is sent an array of numbers instead, and nothing is
/// detached.
///
/// Received, it is the peer's buffer itself, judged against
/// [`Limits::max_binary_bytes`](crate::Limits::max_binary_bytes) from its `byteLength`. A peer may
/// send a `Uint8Array`, an `ArrayBuffer` or (like any JSON peer) an array of numbers; what else
/// is refused is listed in [`BinaryFault`](crate::BinaryFault). Copy it into wasm with
/// [`JsBytes::to_vec`] where Rust needs the bytes. For bytes Rust reads anyway, a
/// `serde_bytes::ByteBuf` field crosses as a transferred `Uint8Array` too, copied once on each
/// side (out of and into wasm memory).
///
/// Clones share the buffer, like an `Rc`; equality is identity (the same buffer), so a large
/// payload is never compared byte by byte by accident. Outside this crate's encoder (say,
/// `serde_json`) it serializes as bytes.
#[derive(Clone)]
pub struct JsBytes {
    array: Uint8Array,
}

impl JsBytes {
    /// Bytes that stay in `array`'s buffer when `array` spans the whole of an `ArrayBuffer`;
    /// otherwise (a view of part of a buffer, or of a `SharedArrayBuffer`) a copy of the viewed
    /// bytes, so that sending it never detaches more than these bytes.
    pub fn from_uint8_array(array: Uint8Array) -> Self {
        let buffer: JsValue = array.buffer().into();
        let whole = buffer.is_instance_of::<ArrayBuffer>()
            && array.byte_offset() == 0
            && array.byte_length() == buffer.unchecked_ref::<ArrayBuffer>().byte_length();
        match whole {
            true => JsBytes { array },
            false => JsBytes {
                array: array.slice(0, array.length()),
            },
        }
    }

    /// The bytes of `buffer`, kept in it (no copy).
    pub fn from_array_buffer(buffer: &ArrayBuffer) -> Self {
        JsBytes {
            array: Uint8Array::new(buffer),
        }
    }

    /// A copy of `bytes` in a new JavaScript buffer.
    pub fn copy_from(bytes: &[u8]) -> Self {
        JsBytes {
            array: Uint8Array::from(bytes),
        }
    }

    /// A copy of these bytes in a buffer of its own (to send the same bytes twice); empty once
    /// the buffer was sent.
    pub fn copy(&self) -> Self {
        // `slice` throws on a detached buffer (it would be an exception through wasm).
        let array = match self.is_detached() {
            true => Uint8Array::new_with_length(0),
            false => self.array.slice(0, self.array.length()),
        };
        JsBytes { array }
    }

    /// How many bytes there are: 0 once the buffer was sent (detached).
    pub fn len(&self) -> usize {
        self.array.byte_length() as usize
    }

    /// Whether there are no bytes (also once the buffer was sent).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer was transferred away (sent): its bytes are gone from this side.
    pub fn is_detached(&self) -> bool {
        is_detached(&self.array.buffer())
    }

    /// The bytes, copied into wasm memory.
    pub fn to_vec(&self) -> Vec<u8> {
        self.array.to_vec()
    }

    /// The `Uint8Array` (over the whole of its buffer).
    pub fn as_uint8_array(&self) -> &Uint8Array {
        &self.array
    }

    /// The `Uint8Array` (over the whole of its buffer).
    pub fn into_uint8_array(self) -> Uint8Array {
        self.array
    }

    /// Wraps an array the decoder has already judged (a whole, unshared, attached buffer).
    pub(crate) fn judged(array: Uint8Array) -> Self {
        JsBytes { array }
    }
}

impl From<Vec<u8>> for JsBytes {
    /// A copy of the bytes in a new JavaScript buffer.
    fn from(bytes: Vec<u8>) -> Self {
        JsBytes::copy_from(&bytes)
    }
}

impl From<&[u8]> for JsBytes {
    /// A copy of the bytes in a new JavaScript buffer.
    fn from(bytes: &[u8]) -> Self {
        JsBytes::copy_from(bytes)
    }
}

impl From<Uint8Array> for JsBytes {
    /// [`JsBytes::from_uint8_array`].
    fn from(array: Uint8Array) -> Self {
        JsBytes::from_uint8_array(array)
    }
}

impl PartialEq for JsBytes {
    /// The same bytes in JavaScript: views of the same buffer (contents are not compared).
    fn eq(&self, other: &Self) -> bool {
        JsValue::from(self.array.buffer()) == JsValue::from(other.array.buffer())
    }
}

impl fmt::Debug for JsBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsBytes").field("len", &self.len()).finish()
    }
}

impl Serialize for JsBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(JS_BYTES, &Inside(self))
    }
}

/// A [`JsBytes`] inside its newtype: handed over as it is to this crate's encoder, which asks for
/// it; serialized as bytes by any other serializer.
struct Inside<'a>(&'a JsBytes);

impl Serialize for Inside<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match hand_over(&self.0.array) {
            true => serializer.serialize_unit(),
            false => serializer.serialize_bytes(&self.0.to_vec()),
        }
    }
}

impl<'de> Deserialize<'de> for JsBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(JS_BYTES, JsBytesVisitor)
    }
}

struct JsBytesVisitor;

impl<'de> Visitor<'de> for JsBytesVisitor {
    type Value = JsBytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsBytes, D::Error> {
        // This crate's decoder hands the received array over as it is (see `decode`).
        if let Some(array) = take_incoming() {
            de::IgnoredAny::deserialize(deserializer)?;
            return Ok(JsBytes::judged(array));
        }
        deserializer.deserialize_byte_buf(self)
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<JsBytes, E> {
        Ok(JsBytes::copy_from(bytes))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsBytes, A::Error> {
        // An array of numbers, as JSON writes bytes.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(JsBytes::from(bytes))
    }
}
