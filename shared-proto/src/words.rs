//! Messenger errors in plain words for the person using either app: one function for both pages,
//! so the two cannot drift apart.

use messenger::{BinaryFault, CloseReason, Error, Overload, Stage, Violation};

use crate::{size_words, WrongAnswer, WrongReply};

/// Which app shows the words; each names the other as the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Phosphorescence, the host: it knocks and serves; its peer is "Eos".
    Host,
    /// Eos, the remote: it listens and asks; its peer is "the host".
    Eos,
}

impl Side {
    /// The peer's name inside a sentence.
    fn peer(self) -> &'static str {
        match self {
            Side::Host => "Eos",
            Side::Eos => "the host",
        }
    }

    /// The peer's name at the start of a sentence.
    fn peer_capitalised(self) -> &'static str {
        match self {
            Side::Host => "Eos",
            Side::Eos => "The host",
        }
    }
}

/// `error`, which ended a session, a send or an interrupt channel, in plain words for the person
/// looking at `side`'s page.
///
/// Where the two sides' roles differ (the host knocks and answers, Eos listens and asks), the
/// words differ too; everything else is one sentence naming the peer.
///
/// ```
/// use messenger::{Error, Stage};
/// use shared_proto::{plain_words, Side};
/// assert_eq!(
///     plain_words(&Error::TimedOut(Stage::Reply), Side::Eos),
///     "The host stopped answering: the session was closed."
/// );
/// ```
pub fn plain_words(error: &Error, side: Side) -> String {
    let (peer, peer_at_start) = (side.peer(), side.peer_capitalised());
    match (error, side) {
        (Error::Closed, _) => "The session was closed on this page.".into(),
        // Eos's reload shows as either, whichever the host hears first: its iframe's (or window's)
        // new answer, or the close notice of the old Eos's `pagehide`. Both read the same.
        (Error::Superseded, Side::Host) => "Eos reloaded or left; the old session was replaced by a new one.".into(),
        (Error::PeerClosed(CloseReason::PageHidden), Side::Host) => "Eos reloaded or left; its session ended.".into(),
        (Error::PeerClosed(CloseReason::PageHidden), Side::Eos) => {
            "The host page reloaded or left; the session ended.".into()
        }
        (Error::PeerClosed(CloseReason::Closed), _) => format!("{peer_at_start} closed the session."),
        (Error::PeerClosed(CloseReason::TimedOut), _) => {
            format!("{peer_at_start} stopped waiting for this page (its timeout ran out) and closed the session.")
        }
        (Error::PeerClosed(CloseReason::Refused), _) => {
            format!("{peer_at_start} refused a message from this page and closed the session.")
        }
        (Error::PeerClosed(reason), _) => format!("{peer_at_start} ended the session ({reason})."),
        (Error::VersionMismatch { ours, theirs }, _) => format!(
            "{peer_at_start} speaks version {theirs} of the messenger's wire format and this page version {ours}: \
             they cannot connect until both are updated to the same version."
        ),
        (Error::FrameRemoved, Side::Host) => "Eos's iframe was removed from the page; its session ended.".into(),
        (Error::FrameRemoved, Side::Eos) => "The frame of the session was removed from the page; it ended.".into(),
        (Error::PageHidden, _) => "This page was hidden (it navigated away or went into the back/forward cache); \
            the session ended, and a new one starts when the page is shown again."
            .into(),
        (Error::Superseded, Side::Eos) => "The session was replaced by a new one.".into(),
        (Error::WindowClosed, _) => format!("{peer_at_start}'s window was closed; its session ended."),
        (Error::TimedOut(Stage::Handshake), Side::Host) => "Eos did not answer the knock in time.".into(),
        (Error::TimedOut(Stage::Handshake), Side::Eos) => "No knock from the host arrived in time. Eos talks only \
            to its host, from inside the host's page or a window the host opened."
            .into(),
        (Error::TimedOut(Stage::Acknowledgement), Side::Host) => {
            "The handshake with Eos did not complete in time.".into()
        }
        (Error::TimedOut(Stage::Acknowledgement), Side::Eos) => "A knock from the host arrived and Eos answered it, \
            but the host never acknowledged the answer (it went away mid-handshake). Reload the host page to try \
            again."
            .into(),
        (Error::TimedOut(Stage::Reply), _) => format!("{peer_at_start} stopped answering: the session was closed."),
        (Error::TimedOut(stage), _) => format!("{peer_at_start} did not complete {stage} in time."),
        (Error::ProtocolViolation(Violation::ArrivedNull), _) => format!(
            "A message from {peer} arrived empty (null): the browser could not read it (nested too deeply?) or \
             {peer} posted null; the session was closed."
        ),
        (Error::HandshakeFailed(Violation::ArrivedNull), _) => format!(
            "A message from {peer} arrived empty (null): the browser could not read it (nested too deeply?) or \
             {peer} posted null; the handshake failed."
        ),
        (Error::ProtocolViolation(violation), _) => {
            format!("{peer_at_start} broke the protocol ({violation}); the session was closed.")
        }
        (Error::HandshakeFailed(violation), _) => format!("The handshake failed ({violation})."),
        (Error::DecodeFailed(why), _) => {
            format!("A message from {peer} could not be read ({why}); the session was closed.")
        }
        // Only a peer that skipped its own check of the size limit sends this: the limit is
        // shown on Eos's page beside its file picker.
        (Error::BinaryTooLarge { size, limit }, _) => format!(
            "{peer_at_start} sent a file of {} or more; this page takes files up to {}. The file was refused \
             unread and the session was closed.",
            size_words(*size),
            size_words(*limit)
        ),
        (Error::BadBinary(fault), _) => format!(
            "{peer_at_start} sent a file in a form this page does not read ({}); the session was closed.",
            binary_fault_words(*fault)
        ),
        (Error::Overloaded(Overload::InterruptRate { limit }), _) => {
            format!("{peer_at_start} sent too many actions (more than {limit} within a second); the action channel was closed.")
        }
        (Error::Overloaded(Overload::PendingInterrupts { limit }), _) => format!(
            "{peer_at_start} sent actions faster than this page could take them (more than {limit} waiting); the action \
             channel was closed."
        ),
        (Error::Overloaded(Overload::PendingBinary { limit }), _) => format!(
            "{peer_at_start} sent actions carrying more than {} of data before this page could take them; the action \
             channel was closed.",
            size_words(*limit)
        ),
        // The host's sends are its replies: one is refused and the session goes on. Eos's are its
        // requests: it stops when one cannot go out.
        (Error::Overloaded(Overload::QueuedSends { limit }), Side::Host) => {
            format!("More than {limit} messages waited to go to Eos; the latest was refused.")
        }
        (Error::Overloaded(Overload::QueuedSends { limit }), Side::Eos) => {
            format!("More than {limit} requests waited for the host; the session could not keep up.")
        }
        (Error::Overloaded(overload), _) => format!("{peer_at_start} sent more than this page holds ({overload})."),
        (other, _) => format!("The session ended: {other}."),
    }
}

/// What is wrong with a peer's binary data, for a person: the messenger's own words name
/// JavaScript types.
fn binary_fault_words(fault: BinaryFault) -> &'static str {
    match fault {
        BinaryFault::Shared => "memory the sender can still change while it is read",
        BinaryFault::Detached => "a buffer already given away",
        BinaryFault::PartialView => "a view of part of a larger buffer",
        BinaryFault::NotBytes => "numbers of another kind than bytes",
        // `BinaryFault` is non-exhaustive: a fault a later messenger adds.
        _ => "a form this version does not know",
    }
}

/// An application protocol version mismatch (the host speaks `host`, Eos `eos`), in plain words
/// for the person looking at `side`'s page: both versions, and that the session ended.
///
/// ```
/// use shared_proto::{version_words, Side};
/// assert_eq!(
///     version_words(1, 2, Side::Host),
///     "Eos speaks protocol v2; this host speaks v1. The session was closed: update both to the same version."
/// );
/// ```
pub fn version_words(host: u32, eos: u32, side: Side) -> String {
    match side {
        Side::Host => format!(
            "Eos speaks protocol v{eos}; this host speaks v{host}. The session was closed: update both to the same version."
        ),
        Side::Eos => format!(
            "The host speaks protocol v{host}; Eos speaks v{eos}. Eos stopped: the two need to be updated to the same version."
        ),
    }
}

/// A reply Eos refused ([`crate::check_reply`]), in plain words for Eos's page.
pub fn wrong_reply_words(wrong: &WrongReply) -> String {
    format!("The host sent {wrong}: Eos refused it at once and closed the session.")
}

/// An answer the host refused ([`crate::check_answer`]), in plain words for the host's page.
pub fn wrong_answer_words(wrong: &WrongAnswer) -> String {
    format!("Eos sent {wrong}: the host refused it at once and closed the session.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_names_the_other() {
        let violation = Error::ProtocolViolation(Violation::OutOfTurn);
        assert_eq!(
            plain_words(&violation, Side::Host),
            "Eos broke the protocol (message out of turn); the session was closed."
        );
        assert_eq!(
            plain_words(&violation, Side::Eos),
            "The host broke the protocol (message out of turn); the session was closed."
        );
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Reply), Side::Host),
            "Eos stopped answering: the session was closed."
        );
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Reply), Side::Eos),
            "The host stopped answering: the session was closed."
        );
    }

    #[test]
    fn the_roles_words_differ_where_the_roles_do() {
        // The host knocks: a missing answer is Eos's; Eos listens: a missing knock is the host's.
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Handshake), Side::Host),
            "Eos did not answer the knock in time."
        );
        assert!(plain_words(&Error::TimedOut(Stage::Handshake), Side::Eos).starts_with("No knock from the host"));
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Acknowledgement), Side::Host),
            "The handshake with Eos did not complete in time."
        );
        assert!(
            plain_words(&Error::TimedOut(Stage::Acknowledgement), Side::Eos).contains("never acknowledged the answer")
        );
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::QueuedSends { limit: 1000 }), Side::Host),
            "More than 1000 messages waited to go to Eos; the latest was refused."
        );
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::QueuedSends { limit: 1000 }), Side::Eos),
            "More than 1000 requests waited for the host; the session could not keep up."
        );
        assert_eq!(
            plain_words(&Error::Superseded, Side::Host),
            "Eos reloaded or left; the old session was replaced by a new one."
        );
        // Only an opener keeps a window: the host.
        assert_eq!(
            plain_words(&Error::WindowClosed, Side::Host),
            "Eos's window was closed; its session ended."
        );
    }

    #[test]
    fn an_empty_message_is_explained_in_both_stages() {
        for side in [Side::Host, Side::Eos] {
            let from = format!("A message from {} arrived empty (null)", side.peer());
            let session = plain_words(&Error::ProtocolViolation(Violation::ArrivedNull), side);
            let handshake = plain_words(&Error::HandshakeFailed(Violation::ArrivedNull), side);
            assert!(
                session.starts_with(&from) && session.ends_with("the session was closed."),
                "{session}"
            );
            assert!(
                handshake.starts_with(&from) && handshake.ends_with("the handshake failed."),
                "{handshake}"
            );
        }
    }

    #[test]
    fn floods_and_unreadable_messages_say_what_was_closed() {
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::InterruptRate { limit: 1000 }), Side::Host),
            "Eos sent too many actions (more than 1000 within a second); the action channel was closed."
        );
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::PendingInterrupts { limit: 1000 }), Side::Host),
            "Eos sent actions faster than this page could take them (more than 1000 waiting); the action channel was closed."
        );
        assert_eq!(
            plain_words(&Error::DecodeFailed("missing field `id`".into()), Side::Eos),
            "A message from the host could not be read (missing field `id`); the session was closed."
        );
        assert_eq!(
            plain_words(&Error::Closed, Side::Eos),
            "The session was closed on this page."
        );
        assert_eq!(
            plain_words(&Error::InterruptSpent, Side::Host),
            "The session ended: interrupt channel already spent."
        );
    }

    #[test]
    fn binary_refusals_say_the_limit_and_what_was_closed() {
        let too_large = Error::BinaryTooLarge {
            size: 9 << 20,
            limit: 8 << 20,
        };
        assert_eq!(
            plain_words(&too_large, Side::Host),
            "Eos sent a file of 9 MiB or more; this page takes files up to 8 MiB. The file was refused unread and \
             the session was closed."
        );
        assert!(plain_words(&too_large, Side::Eos).starts_with("The host sent a file of 9 MiB or more;"));
        for (fault, words) in [
            (
                BinaryFault::Shared,
                "memory the sender can still change while it is read",
            ),
            (BinaryFault::Detached, "a buffer already given away"),
            (BinaryFault::PartialView, "a view of part of a larger buffer"),
            (BinaryFault::NotBytes, "numbers of another kind than bytes"),
        ] {
            assert_eq!(
                plain_words(&Error::BadBinary(fault), Side::Host),
                format!("Eos sent a file in a form this page does not read ({words}); the session was closed.")
            );
        }
    }

    #[test]
    fn lifecycle_a_reload_reads_the_same_whichever_the_host_hears_first() {
        let replaced = plain_words(&Error::Superseded, Side::Host);
        let hidden = plain_words(&Error::PeerClosed(CloseReason::PageHidden), Side::Host);
        assert!(replaced.starts_with("Eos reloaded or left;"), "{replaced}");
        assert_eq!(hidden, "Eos reloaded or left; its session ended.");
        assert_eq!(
            plain_words(&Error::PeerClosed(CloseReason::PageHidden), Side::Eos),
            "The host page reloaded or left; the session ended."
        );
    }

    #[test]
    fn lifecycle_a_close_notice_says_why_the_peer_ended_naming_it() {
        for (reason, host, eos) in [
            (
                CloseReason::Closed,
                "Eos closed the session.",
                "The host closed the session.",
            ),
            (
                CloseReason::TimedOut,
                "Eos stopped waiting for this page (its timeout ran out) and closed the session.",
                "The host stopped waiting for this page (its timeout ran out) and closed the session.",
            ),
            (
                CloseReason::Refused,
                "Eos refused a message from this page and closed the session.",
                "The host refused a message from this page and closed the session.",
            ),
            (
                CloseReason::Other,
                "Eos ended the session (a reason this version does not know).",
                "The host ended the session (a reason this version does not know).",
            ),
        ] {
            assert_eq!(plain_words(&Error::PeerClosed(reason), Side::Host), host);
            assert_eq!(plain_words(&Error::PeerClosed(reason), Side::Eos), eos);
        }
    }

    #[test]
    fn lifecycle_new_errors_have_plain_words_naming_both_versions() {
        let mismatch = Error::VersionMismatch { ours: 1, theirs: 2 };
        assert_eq!(
            plain_words(&mismatch, Side::Host),
            "Eos speaks version 2 of the messenger's wire format and this page version 1: they cannot connect \
             until both are updated to the same version."
        );
        assert!(plain_words(&mismatch, Side::Eos).starts_with("The host speaks version 2"));
        assert_eq!(
            plain_words(&Error::FrameRemoved, Side::Host),
            "Eos's iframe was removed from the page; its session ended."
        );
        for side in [Side::Host, Side::Eos] {
            assert!(plain_words(&Error::PageHidden, side).starts_with("This page was hidden"));
            // None of the new errors falls through to the generic sentence.
            for error in [
                Error::PeerClosed(CloseReason::Closed),
                mismatch.clone(),
                Error::FrameRemoved,
                Error::PageHidden,
            ] {
                assert!(
                    !plain_words(&error, side).starts_with("The session ended:"),
                    "{error:?}"
                );
            }
        }
    }

    #[test]
    fn lifecycle_app_version_words_name_both_versions_on_both_pages() {
        assert_eq!(
            version_words(2, 1, Side::Eos),
            "The host speaks protocol v2; Eos speaks v1. Eos stopped: the two need to be updated to the same version."
        );
        assert!(version_words(1, 2, Side::Host).starts_with("Eos speaks protocol v2; this host speaks v1."));
    }
}
