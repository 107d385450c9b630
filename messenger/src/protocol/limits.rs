//! Bounds on incoming payloads, and on what a peer can make this side hold: [`Limits`].
//!
//! Payload size and depth are judged by the web layer while it decodes a received value, through
//! a [`Budget`](super::Budget); the interrupt and queue bounds by the
//! connection itself.

#[cfg(doc)]
use crate::Error;

/// Size and nesting limits for incoming payloads.
///
/// Checked before a payload is decoded: a peer must not be able to make this side allocate
/// without bound or overflow the stack with deeply nested input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted payload, in bytes of its JSON text. Binary data (bytes, which cross as
    /// transferred buffers) is not part of it: [`Limits::max_binary_bytes`] bounds that.
    pub max_bytes: usize,
    /// Most bytes of binary data one payload may carry, over all its buffers, judged from each
    /// buffer's `byteLength` before a byte of it is read or copied. One more is
    /// [`Error::BinaryTooLarge`].
    ///
    /// It bounds, too, the binary data of all the interrupts one channel holds that arrived and
    /// were not yet taken: one more byte closes the channel with [`Error::Overloaded`].
    ///
    /// At most [`MAX_BINARY_BYTES`]: a larger limit counts as [`MAX_BINARY_BYTES`].
    pub max_binary_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (a scalar has depth 0, `[]` depth 1).
    ///
    /// At most [`MAX_DEPTH`]: the decoder recurses once per level and goes no deeper, and a
    /// larger limit counts as [`MAX_DEPTH`] (so [`Error::TooDeep`] then names [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Most interrupts one multi-use channel may hold that arrived and were not yet taken by the
    /// application. One more closes the channel with [`Error::Overloaded`]; the session and the
    /// other channels go on.
    pub max_pending_interrupts: usize,
    /// Most interrupts one channel may deliver within one second (counted in windows of one
    /// second from the first interrupt of each). One more closes the channel with
    /// [`Error::Overloaded`].
    pub max_interrupts_per_second: u32,
    /// Most sends this side may queue while it waits for its turn. One more is refused with
    /// [`Error::Overloaded`], the value handed back: a peer that stops answering cannot make this
    /// side buffer without end.
    pub max_queued_sends: usize,
}

/// The deepest nesting any [`Limits`] admits. The decoder recurses once per level, so this bounds
/// its stack; it is `serde_json`'s recursion limit too (which refuses the 128th level), so a
/// payload within the limits can also be read as JSON text by a `serde_json` peer.
pub const MAX_DEPTH: usize = 127;

/// The most binary bytes any [`Limits`] admits in one payload: 1 GiB. A payload's buffers are
/// transferred, not copied, but one the application asks to read is copied into wasm memory,
/// whose whole address space is 4 GiB.
pub const MAX_BINARY_BYTES: usize = 1 << 30;

impl Limits {
    /// The defaults, usable in `const` items (`Limits { max_bytes: 64, ..Limits::DEFAULT }`):
    /// 1 MiB of JSON, 64 MiB of binary data and 32 levels per payload; per interrupt channel 1,000 waiting and 1,000 a second;
    /// 1,000 queued sends. Generous for an interactive application (a person clicks a few times a
    /// second; a pointer reports 60–120 times), and a flood passes every one of them at once.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 1 << 20,
        max_binary_bytes: 64 << 20,
        max_depth: 32,
        max_pending_interrupts: 1_000,
        max_interrupts_per_second: 1_000,
        max_queued_sends: 1_000,
    };
}

impl Default for Limits {
    /// [`Limits::DEFAULT`].
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
///
/// Payloads become plain JavaScript values on the wire, where every number is an `f64`: 2^53 + 1
/// would silently arrive as 2^53, so encoding an integer beyond ±`MAX_SAFE_INTEGER` is refused
/// ([`Error::EncodeFailed`]).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
