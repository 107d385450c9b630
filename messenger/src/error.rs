//! The messenger's errors: one closed, documented list of failure modes.
//!
//! Like Penpal's error codes, the *variant* is the contract (matching on it is stable); the
//! message text is for people and may change.

use thiserror::Error;

use crate::origin::OriginError;

/// Everything that can go wrong with a messenger, a send, or an interrupt channel.
///
/// Cheap to clone: one failure (say, the session closing) is reported to every pending send and
/// interrupt wait.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The messenger was closed or dropped by this side; nothing more can be sent or received.
    #[error("messenger closed")]
    Closed,
    /// The remote reloaded and answered anew (a [`Reconnector`](crate::Reconnector) saw its iframe
    /// load, a [`WindowKeeper`](crate::WindowKeeper) got an answer from its window): the old
    /// session ended and a new one is being made.
    #[error("session superseded by a reload of the remote")]
    Superseded,
    /// The window a [`WindowKeeper`](crate::WindowKeeper) keeps a session with was closed: the
    /// session, or the knock still waiting for an answer, ended as soon as the keeper saw it.
    #[error("the remote window was closed")]
    WindowClosed,
    /// The peer ended the session and said so with a close notice (it timed out, refused a
    /// message, was closed, or its page went away): this side ends at once instead of waiting
    /// out its own timeout. The reason is the peer's.
    #[error("the peer ended the session: {0}")]
    PeerClosed(CloseReason),
    /// The peer speaks another version of the wire format: found in the handshake, on both
    /// sides (the side that finds it tells the other with a close notice naming its own
    /// version). Nothing was exchanged; rolling out a new version is the application's to plan.
    #[error("wire format version mismatch: this side speaks version {ours}, the peer version {theirs}")]
    VersionMismatch {
        /// The version this side speaks ([`protocol::VERSION`](crate::protocol::VERSION)).
        ours: u32,
        /// The version the peer announced.
        theirs: u32,
    },
    /// The iframe a [`Reconnector`](crate::Reconnector) keeps a session with was removed from
    /// its document: the session (and any send waiting for a reply) ended as soon as the
    /// removal was seen, without waiting for a timeout.
    #[error("the remote's iframe was removed from the page")]
    FrameRemoved,
    /// This page was hidden for good or put in the back/forward cache (`pagehide`): every
    /// session of the page ends, telling its peer, since ports do not survive reliably in the
    /// cache. [`Reconnector`](crate::Reconnector) and [`WindowKeeper`](crate::WindowKeeper)
    /// connect again when the page is shown again (`pageshow`).
    #[error("this page was hidden (it navigated away or went into the back/forward cache)")]
    PageHidden,
    /// A step did not complete in time; the peer is gone, reloading, or not listening.
    #[error("timed out waiting for {0}")]
    TimedOut(Stage),
    /// The configured remote origin is not acceptable.
    #[error("origin refused: {0}")]
    OriginRefused(#[from] OriginError),
    /// The peer's handshake message was not a valid version-1 handshake.
    #[error("handshake failed: {0}")]
    HandshakeFailed(Violation),
    /// The peer broke the conversation's rules; the session was closed (it fails closed).
    #[error("protocol violation: {0}")]
    ProtocolViolation(Violation),
    /// An incoming payload did not decode into the expected type (unknown fields included).
    #[error("decode failed: {0}")]
    DecodeFailed(String),
    /// An outgoing payload could not be encoded.
    #[error("encode failed: {0}")]
    EncodeFailed(String),
    /// An incoming payload was larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("payload too large: {size} bytes, limit {limit}")]
    TooLarge {
        /// The payload's size as JSON text, in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// An incoming payload nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    #[error("payload nested too deeply: limit {limit}")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// An incoming payload carried more binary data than
    /// [`Limits::max_binary_bytes`](crate::Limits::max_binary_bytes), judged from its buffers'
    /// `byteLength` before any was read.
    #[error("binary data too large: {size} bytes, limit {limit}")]
    BinaryTooLarge {
        /// The payload's binary bytes counted up to and including the buffer that passed the
        /// limit (buffers are counted in the order `JSON.stringify` would meet them).
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// An incoming payload held binary data in a form this side does not read.
    #[error("binary data refused: {0}")]
    BadBinary(BinaryFault),
    /// A peer sent more than this side holds: an interrupt channel passed a bound (it is closed;
    /// the session goes on), or a send found the queue full (the value is handed back).
    #[error("overloaded: {0}")]
    Overloaded(Overload),
    /// A one-time interrupt channel was already used.
    #[error("interrupt channel already spent")]
    InterruptSpent,
    /// The browser refused an operation (for example `postMessage` threw a `DataCloneError`).
    #[error("browser error: {0}")]
    Browser(String),
    /// The environment lacks what the operation needs (no `window`, not inside a worker, ...).
    #[error("unsupported environment: {0}")]
    Unsupported(&'static str),
}

/// Why a peer ended the session, as its close notice said ([`Error::PeerClosed`]).
///
/// On the wire it is the notice's `$reason` code, given with each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// `"closed"`: the peer's application closed or dropped its messenger.
    Closed,
    /// `"timeout"`: the peer stopped waiting for this side (its handshake or reply timeout).
    TimedOut,
    /// `"refused"`: the peer refused a message of this side's (it broke a rule, did not decode
    /// or passed a limit).
    Refused,
    /// `"pagehide"`: the peer's page went away (navigated, reloaded, was removed, or went into
    /// the back/forward cache).
    PageHidden,
    /// A code this version does not know, from a newer peer.
    Other,
}

impl CloseReason {
    /// The `$reason` code on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            CloseReason::Closed => "closed",
            CloseReason::TimedOut => "timeout",
            CloseReason::Refused => "refused",
            CloseReason::PageHidden => "pagehide",
            CloseReason::Other => "other",
        }
    }

    /// The reason for a `$reason` code; an unknown code is [`CloseReason::Other`].
    pub fn from_code(code: &str) -> Self {
        [
            CloseReason::Closed,
            CloseReason::TimedOut,
            CloseReason::Refused,
            CloseReason::PageHidden,
        ]
        .into_iter()
        .find(|reason| reason.code() == code)
        .unwrap_or(CloseReason::Other)
    }

    /// What this side tells its peer when its session ends with `error`, if anything: nothing
    /// when the peer ended it, or is gone already (its page reloaded, its window closed, its
    /// iframe removed), or for a version mismatch (told with its own notice).
    pub fn telling(error: &Error) -> Option<Self> {
        match error {
            Error::Closed => Some(CloseReason::Closed),
            Error::TimedOut(_) => Some(CloseReason::TimedOut),
            Error::PageHidden => Some(CloseReason::PageHidden),
            // This side's own faults: nothing the peer sent was refused.
            Error::EncodeFailed(_) | Error::Browser(_) => Some(CloseReason::Closed),
            Error::HandshakeFailed(_)
            | Error::ProtocolViolation(_)
            | Error::DecodeFailed(_)
            | Error::TooLarge { .. }
            | Error::TooDeep { .. }
            | Error::BinaryTooLarge { .. }
            | Error::BadBinary(_)
            | Error::Overloaded(_)
            | Error::InterruptSpent => Some(CloseReason::Refused),
            Error::PeerClosed(_)
            | Error::VersionMismatch { .. }
            | Error::Superseded
            | Error::WindowClosed
            | Error::FrameRemoved
            | Error::OriginRefused(_)
            | Error::Unsupported(_) => None,
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CloseReason::Closed => "it was closed",
            CloseReason::TimedOut => "it stopped waiting for this side (timeout)",
            CloseReason::Refused => "it refused a message from this side",
            CloseReason::PageHidden => "its page went away",
            CloseReason::Other => "a reason this version does not know",
        })
    }
}

/// Which wait timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// The handshake (knock → listen → acknowledge) as a whole: for a listener, no acceptable
    /// knock arrived; for a knocker, no valid answer.
    Handshake,
    /// The listener answered a knock, but the knocker's acknowledgement (👂) did not come: the
    /// knocking page went away or stopped mid-handshake.
    Acknowledgement,
    /// The peer's reply to a message this side sent.
    Reply,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Handshake => "the handshake",
            Stage::Acknowledgement => "the acknowledgement of this side's answer",
            Stage::Reply => "a reply",
        })
    }
}

/// Which bound of the [`Limits`](crate::Limits) was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Overload {
    /// More interrupts arrived on one channel than the application had taken
    /// ([`Limits::max_pending_interrupts`](crate::Limits::max_pending_interrupts)).
    #[error("more than {limit} interrupts waiting to be taken")]
    PendingInterrupts {
        /// The bound.
        limit: usize,
    },
    /// One channel delivered more interrupts within a second than
    /// [`Limits::max_interrupts_per_second`](crate::Limits::max_interrupts_per_second).
    #[error("more than {limit} interrupts within a second")]
    InterruptRate {
        /// The bound.
        limit: u32,
    },
    /// The interrupts waiting on one channel, arrived and not yet taken by the application, held
    /// more binary data together than
    /// [`Limits::max_binary_bytes`](crate::Limits::max_binary_bytes).
    #[error("more than {limit} bytes of binary data in interrupts waiting to be taken")]
    PendingBinary {
        /// The bound.
        limit: usize,
    },
    /// More sends were queued than [`Limits::max_queued_sends`](crate::Limits::max_queued_sends).
    #[error("more than {limit} sends queued")]
    QueuedSends {
        /// The bound.
        limit: usize,
    },
}

/// Why binary data in a payload was refused ([`Error::BadBinary`]). Bytes are read from a
/// `Uint8Array` that spans its whole `ArrayBuffer`, or from an `ArrayBuffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BinaryFault {
    /// A `SharedArrayBuffer`, or a typed array over one: the peer could change its bytes while
    /// this side reads them.
    #[error("a SharedArrayBuffer, which the sender can change while it is read")]
    Shared,
    /// A detached `ArrayBuffer` (or a typed array over one): its bytes were transferred away.
    #[error("a detached ArrayBuffer, whose bytes were transferred away")]
    Detached,
    /// A `Uint8Array` over part of its buffer: the whole buffer crossed (and is held here), so
    /// only a view of all of it is read.
    #[error("a Uint8Array over part of its buffer (send a view of the whole buffer)")]
    PartialView,
    /// A typed array or `DataView` other than a `Uint8Array`.
    #[error("a typed array other than Uint8Array")]
    NotBytes,
}

/// How a peer broke the wire format or the turn-taking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Violation {
    /// The message was not an object (and not `null`).
    #[error("message is not an object")]
    NotAnObject,
    /// The message arrived as `null`. Chromium delivers a message it cannot deserialise because
    /// it is nested too deeply (a few thousand levels) as `null`, without a `messageerror`; a
    /// peer may also have posted `null` itself.
    #[error(
        "message arrived as null: the browser could not deserialise it (nested too deeply?), or the peer posted null"
    )]
    ArrivedNull,
    /// `$type` was missing or not the one this step expects.
    #[error("wrong $type")]
    WrongType,
    /// `$version` was missing or not `1`.
    #[error("unsupported $version")]
    WrongVersion,
    /// `$responsePort` was missing or not a transferred `MessagePort`.
    #[error("missing $responsePort")]
    MissingResponsePort,
    /// `$interruptPort` was present but not a transferred `MessagePort`.
    #[error("malformed $interruptPort")]
    MalformedInterruptPort,
    /// More ports were transferred than the message refers to.
    #[error("unexpected extra ports")]
    ExtraPorts,
    /// An application message without its `message` field.
    #[error("missing message field")]
    MissingMessage,
    /// A message arrived on a port that was already used, or was never this side's to receive on.
    #[error("message on a used or unknown port")]
    UsedPort,
    /// The peer spoke when it was not its turn (for example a second reply).
    #[error("message out of turn")]
    OutOfTurn,
    /// The browser could not deserialise a message (`messageerror`); the ports it carried are lost.
    #[error("message could not be deserialised")]
    Undeserializable,
}

/// A send that failed, handing back the value when it never left this side.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("send failed: {error}")]
pub struct SendError<T> {
    /// Why it failed.
    pub error: Error,
    /// The value, when it was still queued and never posted.
    pub unsent: Option<T>,
}

impl<T> SendError<T> {
    /// Drops the value and keeps the error.
    pub fn into_error(self) -> Error {
        self.error
    }
}

/// Lets `?` turn a failed send into the session's [`Error`](enum@Error) where the unsent value is not wanted.
impl<T> From<SendError<T>> for Error {
    fn from(failed: SendError<T>) -> Self {
        failed.error
    }
}

/// `text` in double quotes, for error messages that show what a peer (or a caller) sent.
///
/// It is what `{:?}` writes for every string but those with combining or unassigned characters,
/// which `{:?}` escapes and this writes as they are: `"` and `\` are escaped, and so is every
/// character that would not show or would move the text around it (controls as `\t`, `\r`,
/// `\n`, `\0` or `\u{…}`; whitespace other than the space, format characters such as the
/// bidirectional overrides and zero-width ones, and private-use characters as `\u{…}`), so a
/// message never breaks a line or reorders what follows it. `{:?}` itself links Rust's tables of
/// printable and combining characters and its string-slicing panics: 3.9 KB of gzip-compressed
/// wasm in every application.
pub(crate) struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                '\n' => f.write_str("\\n")?,
                '\0' => f.write_str("\\0")?,
                c if needs_escape(c) => {
                    f.write_str("\\u{")?;
                    let code = u32::from(c);
                    // Hex digits without leading zeros, as `{:?}` writes them.
                    let digits = (32 - code.leading_zeros()).div_ceil(4).max(1);
                    for shift in (0..digits).rev() {
                        let digit = (code >> (4 * shift)) & 0xf;
                        f.write_char(char::from_digit(digit, 16).unwrap_or('0'))?;
                    }
                    f.write_char('}')?;
                }
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Whether [`Quoted`] writes `c` as `\u{…}`, as `{:?}` does (the cases with a short escape aside).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || (c != ' ' && c.is_whitespace())
        || matches!(
            c,
            // Format characters (Unicode's Cf): soft hyphen, Arabic and Syriac marks, zero-width
            // and bidirectional controls, invisible operators, the byte order mark.
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                // Private use.
                | '\u{e000}'..='\u{f8ff}'
                | '\u{f0000}'..='\u{ffffd}'
                | '\u{100000}'..='\u{10fffd}'
        )
}

#[cfg(test)]
mod tests {
    use super::Quoted;

    #[test]
    fn quoted_is_debug_for_what_peers_send() {
        for text in [
            "",
            "1",
            "plain text",
            "a \"quote\" and a \\",
            "tab\tcr\rlf\n nul\0",
            "\u{1}\u{1f}\u{7f}\u{85}",
            "it's",
            "émoji 👋 🤝 👂, 日本語, \u{fffd}",
            "separators \u{a0}\u{1680}\u{2000}\u{2028}\u{2029}\u{3000}",
            "format \u{ad}\u{200b}\u{200e}\u{202e}\u{2066}\u{feff}",
            "private \u{e000}\u{10fffd}",
        ] {
            assert_eq!(Quoted(text).to_string(), format!("{text:?}"), "{text:?}");
        }
    }

    #[test]
    fn quoted_writes_combining_and_unassigned_characters_as_they_are() {
        // Where `{:?}` says "e\u{301}" and "\u{378}".
        assert_eq!(Quoted("e\u{301}").to_string(), "\"e\u{301}\"");
        assert_eq!(Quoted("\u{378}").to_string(), "\"\u{378}\"");
    }
}
