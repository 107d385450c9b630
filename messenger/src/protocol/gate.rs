//! The gate: which window (or worker) messages a listener may take for a knock.
//!
//! This is the most security-critical decision of the crate, so it is a pure function here, tested
//! natively and fuzzed, and the web layer only gathers the facts of each message event. The
//! order, the only one (docs/PROTOCOL.md describes it):
//!
//! 1. **trust**: an event dispatched by script (`isTrusted == false`) is ignored;
//! 2. **source**: when the listener was told which window to expect, an event from any other
//!    `event.source` is ignored;
//! 3. **origin**: an event from any other origin than the configured one is ignored (exact string
//!    equality with the normalised origin: no prefix, substring or pattern). A dedicated worker's
//!    messages carry no origin and come from its one owner, so they are not checked here;
//! 4. **shape**: a message without `$type: "👋"` is not a knock (another script's message) and is
//!    ignored; a knock that breaks the wire format fails the handshake
//!    ([`Admission::Invalid`]); a valid knock is admitted.
//!
//! Steps 1–3 need only the event: [`admit`] reads a message's data (through the closure the web
//! layer gives it) only once its sender has passed, and the web layer closes the ports of a
//! message refused unread. The web layer's knock listener calls [`admit`] for every event, and
//! the core takes its [`Admission`]
//! ([`Connection::handle_knock`](super::Connection::handle_knock)).

use std::fmt;

use super::wire::{KnockCheck, WireObject};
use super::PortId;
use crate::{Origin, Violation};

/// Why a message was ignored by rule. The listener keeps listening; the observer sees
/// [`Step::Ignored`](super::Step::Ignored) with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// Dispatched by script (`isTrusted == false`), as injected code could.
    Untrusted,
    /// From another window than the one the listener was told to expect.
    WrongSource,
    /// From another origin than the configured one.
    WrongOrigin,
    /// Not a knock (no `$type: "👋"`): some other script's message.
    NotAKnock,
    /// A window message the browser could not deserialise (`messageerror`).
    Undeserializable,
    /// A knock that was queued behind the one the listener accepted.
    AfterListening,
    /// A message on a knock channel the knocker had already closed.
    ClosedKnockPort,
    /// An interrupt on a channel this side had already closed.
    ClosedInterruptChannel,
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IgnoreReason::Untrusted => "untrusted event",
            IgnoreReason::WrongSource => "wrong source",
            IgnoreReason::WrongOrigin => "wrong origin",
            IgnoreReason::NotAKnock => "not a knock",
            IgnoreReason::Undeserializable => "undeserialisable window message",
            IgnoreReason::AfterListening => "knock after listening ended",
            IgnoreReason::ClosedKnockPort => "message on a closed knock port",
            IgnoreReason::ClosedInterruptChannel => "interrupt on a closed channel",
        })
    }
}

/// The facts of a message event that decide who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender<'a> {
    /// `event.isTrusted`.
    pub trusted: bool,
    /// Whether `event.source` is the window the listener expects; `true` when it was told to
    /// expect any window of the origin.
    pub expected_source: bool,
    /// `event.origin`; `None` for a dedicated worker's message, which carries none.
    pub origin: Option<&'a str>,
}

/// What the gate made of a window (or worker) message, with what was read of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission<P> {
    /// A valid knock: answer on `port`.
    Knock {
        /// The knock's response port.
        port: PortId,
        /// The knock as read.
        message: WireObject<P>,
    },
    /// A knock that breaks the wire format: the handshake fails.
    Invalid {
        /// The rule it broke.
        violation: Violation,
        /// The message as read (its ports are closed).
        message: WireObject<P>,
    },
    /// Ignored by rule.
    Ignore {
        /// Why.
        reason: IgnoreReason,
        /// The message as read; `None` when its sender was refused (steps 1–3): its data was
        /// never read, and the ports that came with it are the web layer's to close unread.
        message: Option<WireObject<P>>,
    },
}

/// Steps 1–3 of the gate: trust, source, origin. Private: [`admit`] is the one entry point, so
/// the gate production runs is the gate the tests run.
fn admit_sender(sender: &Sender<'_>, expected: &Origin) -> Result<(), IgnoreReason> {
    if !sender.trusted {
        return Err(IgnoreReason::Untrusted);
    }
    if !sender.expected_source {
        return Err(IgnoreReason::WrongSource);
    }
    match sender.origin {
        Some(origin) if !expected.matches(origin) => Err(IgnoreReason::WrongOrigin),
        _ => Ok(()),
    }
}

/// The whole gate: steps 1–3 on `sender`, then, only once the sender has passed, `read` reads the
/// message's data and step 4 judges its shape. A refused sender's data is never read.
pub fn admit<P>(sender: &Sender<'_>, expected: &Origin, read: impl FnOnce() -> WireObject<P>) -> Admission<P> {
    if let Err(reason) = admit_sender(sender, expected) {
        return Admission::Ignore { reason, message: None };
    }
    let message = read();
    match message.check_knock() {
        KnockCheck::NotAKnock => Admission::Ignore {
            reason: IgnoreReason::NotAKnock,
            message: Some(message),
        },
        KnockCheck::Invalid(violation) => Admission::Invalid { violation, message },
        KnockCheck::Valid(port) => Admission::Knock { port, message },
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::{PortField, Scalar, KNOCK, VERSION};
    use super::*;

    const REMOTE: &str = "http://localhost:8080";

    fn expected() -> Origin {
        Origin::parse(REMOTE).unwrap()
    }

    fn from(origin: &str) -> Sender<'_> {
        Sender {
            trusted: true,
            expected_source: true,
            origin: Some(origin),
        }
    }

    fn knock() -> WireObject<()> {
        WireObject::handshake(KNOCK, Some(VERSION), PortId(7))
    }

    /// The gate's verdict on `data` from `sender`, as it was before the gate handed the message
    /// on: the port to answer on, the broken rule, or the reason to ignore.
    fn verdict(sender: &Sender<'_>, data: WireObject<()>) -> Result<PortId, Result<Violation, IgnoreReason>> {
        match admit(sender, &expected(), || data) {
            Admission::Knock { port, .. } => Ok(port),
            Admission::Invalid { violation, .. } => Err(Ok(violation)),
            Admission::Ignore { reason, .. } => Err(Err(reason)),
        }
    }

    #[test]
    fn a_trusted_knock_from_the_origin_and_source_is_admitted() {
        assert_eq!(
            admit(&from(REMOTE), &expected(), knock),
            Admission::Knock {
                port: PortId(7),
                message: knock()
            }
        );
    }

    #[test]
    fn every_reason_to_ignore_a_message() {
        let cases = [
            (
                "script-made",
                Sender {
                    trusted: false,
                    ..from(REMOTE)
                },
                IgnoreReason::Untrusted,
            ),
            (
                "another window",
                Sender {
                    expected_source: false,
                    ..from(REMOTE)
                },
                IgnoreReason::WrongSource,
            ),
            ("another port", from("http://localhost:8081"), IgnoreReason::WrongOrigin),
            (
                "another scheme",
                from("https://localhost:8080"),
                IgnoreReason::WrongOrigin,
            ),
            (
                "a longer host",
                from("http://localhost:8080.evil.example"),
                IgnoreReason::WrongOrigin,
            ),
            (
                "a longer port",
                from("http://localhost:80801"),
                IgnoreReason::WrongOrigin,
            ),
            ("a prefix", from("http://localhost:808"), IgnoreReason::WrongOrigin),
            ("an opaque origin", from("null"), IgnoreReason::WrongOrigin),
            (
                "a trailing slash",
                from("http://localhost:8080/"),
                IgnoreReason::WrongOrigin,
            ),
            ("another case", from("http://LOCALHOST:8080"), IgnoreReason::WrongOrigin),
            ("no origin at all", from(""), IgnoreReason::WrongOrigin),
        ];
        for (case, sender, reason) in cases {
            assert_eq!(
                admit(&sender, &expected(), knock),
                Admission::Ignore { reason, message: None },
                "{case}"
            );
        }
        let not_a_knock = WireObject::<()> {
            is_object: true,
            kind: Scalar::Str("hello".into()),
            ..WireObject::default()
        };
        assert_eq!(verdict(&from(REMOTE), not_a_knock), Err(Err(IgnoreReason::NotAKnock)));
        assert_eq!(
            verdict(&from(REMOTE), WireObject::<()>::default()),
            Err(Err(IgnoreReason::NotAKnock)),
            "not an object"
        );
    }

    #[test]
    fn the_checks_run_in_one_order_trust_source_origin_shape() {
        let everything_wrong = Sender {
            trusted: false,
            expected_source: false,
            origin: Some("http://evil.example"),
        };
        assert_eq!(
            admit_sender(&everything_wrong, &expected()),
            Err(IgnoreReason::Untrusted)
        );
        let wrong_source_and_origin = Sender {
            trusted: true,
            ..everything_wrong
        };
        assert_eq!(
            admit_sender(&wrong_source_and_origin, &expected()),
            Err(IgnoreReason::WrongSource)
        );
        // The sender is judged before the data: a wrong origin with a perfect knock is ignored.
        assert_eq!(
            verdict(&from("http://evil.example"), knock()),
            Err(Err(IgnoreReason::WrongOrigin))
        );
    }

    #[test]
    fn a_refused_senders_data_is_never_read() {
        let refused = [
            Sender {
                trusted: false,
                ..from(REMOTE)
            },
            Sender {
                expected_source: false,
                ..from(REMOTE)
            },
            from("http://evil.example"),
        ];
        for sender in refused {
            let mut read = false;
            let admission = admit(&sender, &expected(), || {
                read = true;
                knock()
            });
            assert!(
                matches!(admission, Admission::Ignore { message: None, .. }),
                "{sender:?}"
            );
            assert!(!read, "{sender:?}: the data was read");
        }
        let mut read = false;
        let admission = admit(&from(REMOTE), &expected(), || {
            read = true;
            knock()
        });
        assert!(read, "a passed sender's data is read");
        assert!(matches!(admission, Admission::Knock { .. }));
    }

    #[test]
    fn a_workers_message_carries_no_origin_and_is_not_judged_by_one() {
        let worker = Sender {
            trusted: true,
            expected_source: true,
            origin: None,
        };
        assert_eq!(verdict(&worker, knock()), Ok(PortId(7)));
    }

    #[test]
    fn a_knock_that_breaks_the_wire_format_is_invalid_not_ignored() {
        let wrong_version = WireObject::<()> {
            version: Scalar::Num(2.0),
            ..knock()
        };
        assert_eq!(verdict(&from(REMOTE), wrong_version), Err(Ok(Violation::WrongVersion)));
        let no_port = WireObject::<()> {
            response_port: PortField::Absent,
            ..knock()
        };
        assert_eq!(verdict(&from(REMOTE), no_port), Err(Ok(Violation::MissingResponsePort)));
    }
}
