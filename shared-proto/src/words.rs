//! Messenger errors in plain words for the person using either app: one function for both pages,
//! so the two cannot drift apart.

use messenger::{Error, Overload, Stage, Violation};

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
        (Error::Superseded, Side::Host) => "Eos reloaded; the old session was replaced by a new one.".into(),
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
        (Error::Overloaded(Overload::InterruptRate { limit }), _) => {
            format!("{peer_at_start} sent too many actions (more than {limit} within a second); the action channel was closed.")
        }
        (Error::Overloaded(Overload::PendingInterrupts { limit }), _) => format!(
            "{peer_at_start} sent actions faster than this page could take them (more than {limit} waiting); the action \
             channel was closed."
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
            "Eos reloaded; the old session was replaced by a new one."
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
}
