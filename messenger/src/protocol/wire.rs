//! The version-1 wire format, and validation of wire objects already read into Rust values.
//!
//! | step | object |
//! | --- | --- |
//! | knock | `{ $type: "👋", $version: 1, $responsePort }` |
//! | listen | `{ $type: "🤝", $version: 1, $responsePort }` |
//! | acknowledge | `{ $type: "👂", $raw: true, $responsePort }` |
//! | application message | `{ message, $responsePort }` (+ `$interruptPort`, `$interruptOnce`) |
//! | interrupt | the payload itself |
//! | close notice | `{ $type: "🚪", $version: 1, $reason }`, no port |
//!
//! Extensions, ignored by version-1 peers: `$closeNotice: true` on knock and listen announces
//! that this side understands close notices; a side sends one on the current channel only to a
//! peer that announced it (a version-1 peer waiting for a reply would take it for one), except
//! the version notice, which answers a handshake step of another version in its place.
//!
//! Checks run in a fixed order — object, `$type`, `$version`, ports, payload — so the
//! [`Violation`] reported for a bad message is predictable.

use super::{HeldInterrupt, InterruptKind, PortId};
use crate::{CloseReason, Error, Violation};

/// `$type` of a knock.
pub const KNOCK: &str = "👋";
/// `$type` of the listener's answer.
pub const LISTEN: &str = "🤝";
/// `$type` of the knocker's acknowledgement.
pub const ACKNOWLEDGE: &str = "👂";
/// `$type` of a close notice: the sender's session ended, for `$reason`.
pub const CLOSE: &str = "🚪";
/// The only `$version` this implementation speaks, as [`Error::VersionMismatch`](crate::Error::VersionMismatch) names it.
pub const VERSION_NUMBER: u32 = 1;
/// [`VERSION_NUMBER`] as it travels (a JavaScript number).
pub const VERSION: f64 = VERSION_NUMBER as f64;
/// `$reason` of a close notice that answers a handshake step of another version.
pub const VERSION_REASON: &str = "version";

/// The three steps of the handshake, each with its `$type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeStep {
    /// `👋`, the knocker's first step.
    Knock,
    /// `🤝`, the listener's answer.
    Listen,
    /// `👂`, the knocker's acknowledgement.
    Acknowledge,
}

impl HandshakeStep {
    /// The step's `$type`.
    pub const fn wire_type(self) -> &'static str {
        match self {
            HandshakeStep::Knock => KNOCK,
            HandshakeStep::Listen => LISTEN,
            HandshakeStep::Acknowledge => ACKNOWLEDGE,
        }
    }

    /// Whether the step carries `$version`: the knock and its answer agree on the version, the
    /// acknowledgement only completes what they agreed (it carries `$raw` instead).
    pub const fn is_versioned(self) -> bool {
        !matches!(self, HandshakeStep::Acknowledge)
    }
}

/// Field names on the wire.
pub mod field {
    /// The handshake step: [`KNOCK`](super::KNOCK), [`LISTEN`](super::LISTEN) or
    /// [`ACKNOWLEDGE`](super::ACKNOWLEDGE).
    pub const TYPE: &str = "$type";
    /// The wire format version, on knock and listen.
    pub const VERSION: &str = "$version";
    /// Sent as `true` on the acknowledgement for compatibility with the JavaScript
    /// implementation; ignored on receipt.
    pub const RAW: &str = "$raw";
    /// The transferred port on which the single reply to this message must come.
    pub const RESPONSE_PORT: &str = "$responsePort";
    /// A transferred interrupt port riding along with an application message.
    pub const INTERRUPT_PORT: &str = "$interruptPort";
    /// Extension: `true` when the interrupt port is one-time. Version-1 peers ignore it.
    pub const INTERRUPT_ONCE: &str = "$interruptOnce";
    /// The application payload.
    pub const MESSAGE: &str = "message";
    /// Extension: `true` on knock and listen when the sender understands close notices.
    pub const CLOSE_NOTICE: &str = "$closeNotice";
    /// A close notice's reason code ([`CloseReason::code`](crate::CloseReason::code), or
    /// [`VERSION_REASON`](super::VERSION_REASON)).
    pub const REASON: &str = "$reason";
    /// `true` on a knock and a 🤝 from a side that reads bytes sent as a `Uint8Array`.
    pub const BINARY: &str = "$binary";
}

/// A scalar field as the web layer found it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar {
    /// The field is not there (or is `undefined`).
    #[default]
    Absent,
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// Anything else (object, null, ...).
    Other,
}

/// A port field as the web layer found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PortField {
    /// The field is not there.
    #[default]
    Absent,
    /// A transferred `MessagePort`, registered under this id.
    Port(PortId),
    /// Something that is not a transferred `MessagePort`.
    NotAPort,
}

impl PortField {
    /// The port, when the field held one.
    pub fn port(self) -> Option<PortId> {
        match self {
            PortField::Port(id) => Some(id),
            _ => None,
        }
    }
}

/// An incoming wire object, read field by field into plain Rust values by the web layer.
///
/// `P` is the payload as the web layer carries it (a `JsValue` in the browser, anything in tests).
#[derive(Debug, Clone, PartialEq)]
pub struct WireObject<P> {
    /// Whether the message was a (non-null) object at all.
    pub is_object: bool,
    /// Whether the message was `null`: what Chromium delivers (without a `messageerror`) for a
    /// value too deeply nested for it to deserialise, or what a peer posted literally.
    pub is_null: bool,
    /// `$type`.
    pub kind: Scalar,
    /// `$version`.
    pub version: Scalar,
    /// `message`, when present.
    pub message: Option<P>,
    /// `$responsePort`.
    pub response_port: PortField,
    /// `$interruptPort`.
    pub interrupt_port: PortField,
    /// `$interruptOnce` was `true`.
    pub interrupt_once: bool,
    /// `$closeNotice` was `true`: the sender understands close notices.
    pub close_notice: bool,
    /// `$binary` was `true`: the sender reads bytes as a `Uint8Array` (else it is sent them as
    /// an array of numbers).
    pub binary: bool,
    /// `$reason`, on a close notice.
    pub reason: Scalar,
    /// Transferred ports that no field refers to.
    pub stray_ports: Vec<PortId>,
}

impl<P> Default for WireObject<P> {
    fn default() -> Self {
        WireObject {
            is_object: false,
            is_null: false,
            kind: Scalar::Absent,
            version: Scalar::Absent,
            message: None,
            response_port: PortField::Absent,
            interrupt_port: PortField::Absent,
            interrupt_once: false,
            close_notice: false,
            binary: false,
            reason: Scalar::Absent,
            stray_ports: Vec::new(),
        }
    }
}

/// A valid application message, taken out of its wire object.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMessage<P> {
    /// The payload.
    pub payload: P,
    /// The peer's one-time port for the single reply.
    pub reply_port: PortId,
    /// An interrupt port that rode along, for this side to keep.
    pub interrupt: Option<HeldInterrupt>,
}

/// What a window message is, seen as a knock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnockCheck {
    /// Not a knock at all (no `$type: "👋"`): some other script's message, ignored by rule.
    NotAKnock,
    /// A knock that breaks the wire format: the handshake fails.
    Invalid(Violation),
    /// A valid knock; answer on this port.
    Valid(PortId),
}

impl<P> WireObject<P> {
    /// A well-formed handshake or application object, for tests and for the web layer's own
    /// round trips.
    pub fn handshake(kind: &str, version: Option<f64>, response_port: PortId) -> Self {
        WireObject {
            is_object: true,
            kind: Scalar::Str(kind.to_owned()),
            version: version.map_or(Scalar::Absent, Scalar::Num),
            response_port: PortField::Port(response_port),
            ..WireObject::default()
        }
    }

    /// A close notice for `reason` (a code of [`CloseReason`](crate::CloseReason), or
    /// [`VERSION_REASON`]).
    pub fn close_notice(reason: &str) -> Self {
        WireObject {
            is_object: true,
            kind: Scalar::Str(CLOSE.to_owned()),
            version: Scalar::Num(VERSION),
            reason: Scalar::Str(reason.to_owned()),
            ..WireObject::default()
        }
    }

    /// A well-formed application message.
    pub fn message(payload: P, response_port: PortId, interrupt: Option<HeldInterrupt>) -> Self {
        WireObject {
            is_object: true,
            message: Some(payload),
            response_port: PortField::Port(response_port),
            interrupt_port: interrupt.map_or(PortField::Absent, |held| PortField::Port(held.port)),
            interrupt_once: interrupt.is_some_and(|held| held.kind == InterruptKind::OneTime),
            ..WireObject::default()
        }
    }

    /// Every port this object carried, so a rejected object's ports can all be closed.
    pub fn ports(&self) -> impl Iterator<Item = PortId> + '_ {
        [self.response_port.port(), self.interrupt_port.port()]
            .into_iter()
            .flatten()
            .chain(self.stray_ports.iter().copied())
    }

    fn has_type(&self, expected: &str) -> bool {
        matches!(&self.kind, Scalar::Str(kind) if kind == expected)
    }

    /// When this is a close notice: what it means for this side. A notice that says the peer
    /// speaks another version ends the session with [`Error::VersionMismatch`]; any other with
    /// [`Error::PeerClosed`].
    pub fn check_close_notice(&self) -> Option<Error> {
        if !self.is_object || !self.has_type(CLOSE) {
            return None;
        }
        let reason = match &self.reason {
            Scalar::Str(code) => code.as_str(),
            _ => "",
        };
        if reason == VERSION_REASON {
            if let Some(theirs) = self.other_version() {
                return Some(Error::VersionMismatch {
                    ours: VERSION_NUMBER,
                    theirs,
                });
            }
        }
        Some(Error::PeerClosed(CloseReason::from_code(reason)))
    }

    /// The peer's `$version` when it is a whole number other than this side's: a peer of
    /// another version, not a malformed message.
    pub fn other_version(&self) -> Option<u32> {
        match self.version {
            Scalar::Num(n) if n != VERSION && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                // Whole and in range, so the conversion is exact.
                Some(n as u32)
            }
            _ => None,
        }
    }

    /// Classifies a window message as a knock.
    pub fn check_knock(&self) -> KnockCheck {
        if !self.is_object || !self.has_type(KNOCK) {
            return KnockCheck::NotAKnock;
        }
        match self.check_handshake(HandshakeStep::Knock) {
            Ok(port) => KnockCheck::Valid(port),
            Err(violation) => KnockCheck::Invalid(violation),
        }
    }

    /// The violation of a message that is not an object at all.
    fn not_an_object(&self) -> Violation {
        match self.is_null {
            true => Violation::ArrivedNull,
            false => Violation::NotAnObject,
        }
    }

    /// Validates a handshake step (`$type`, `$version` where the step has one, exactly one
    /// port) and returns the port for the answer.
    pub fn check_handshake(&self, step: HandshakeStep) -> Result<PortId, Violation> {
        if !self.is_object {
            return Err(self.not_an_object());
        }
        if !self.has_type(step.wire_type()) {
            return Err(Violation::WrongType);
        }
        if step.is_versioned() && self.version != Scalar::Num(VERSION) {
            return Err(Violation::WrongVersion);
        }
        let port = self.response_port.port().ok_or(Violation::MissingResponsePort)?;
        if self.interrupt_port != PortField::Absent || !self.stray_ports.is_empty() {
            return Err(Violation::ExtraPorts);
        }
        Ok(port)
    }

    /// Validates an application message, taking its payload.
    pub fn check_message(&mut self) -> Result<CheckedMessage<P>, Violation> {
        if !self.is_object {
            return Err(self.not_an_object());
        }
        // A handshake object arriving after the handshake is a replay, not a message.
        if self.kind != Scalar::Absent {
            return Err(Violation::WrongType);
        }
        let port = self.response_port.port().ok_or(Violation::MissingResponsePort)?;
        let interrupt = match self.interrupt_port {
            PortField::Absent => None,
            PortField::Port(port) => Some(HeldInterrupt {
                port,
                kind: match self.interrupt_once {
                    true => InterruptKind::OneTime,
                    false => InterruptKind::MultiUse,
                },
            }),
            PortField::NotAPort => return Err(Violation::MalformedInterruptPort),
        };
        if !self.stray_ports.is_empty() {
            return Err(Violation::ExtraPorts);
        }
        let payload = self.message.take().ok_or(Violation::MissingMessage)?;
        Ok(CheckedMessage {
            payload,
            reply_port: port,
            interrupt,
        })
    }
}
