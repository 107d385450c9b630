//! Which Eos the host talks to, and which of its sessions an event belongs to.
//!
//! The host can talk to two Eoses at once: the one in its iframe and one in a window it opened.
//! Sessions are numbered across both, in the order they start, so `session 3` names one session
//! wherever it is shown; [`SessionId`] carries the number with the peer.

use std::fmt;

/// Which Eos: the page's iframe, or a window the page opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Eos in the host page's iframe (`#remote-frame`).
    Frame,
    /// Eos in a top-level window the host opened with `window.open`.
    Window,
}

impl Peer {
    /// The word the inspector shows (`data-peer`).
    pub fn word(self) -> &'static str {
        match self {
            Peer::Frame => "iframe",
            Peer::Window => "window",
        }
    }
}

/// One session with one Eos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId {
    /// Which Eos.
    pub peer: Peer,
    /// The session's number, counting up across both peers from 1.
    pub number: u32,
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {} · {}", self.number, self.peer.word())
    }
}

/// Session ids for tests, shorter than the struct literal.
#[cfg(test)]
pub(crate) mod test_ids {
    use super::{Peer, SessionId};

    /// Session `number` with the iframe's Eos.
    pub(crate) fn frame(number: u32) -> SessionId {
        SessionId {
            peer: Peer::Frame,
            number,
        }
    }

    /// Session `number` with the window's Eos.
    pub(crate) fn window(number: u32) -> SessionId {
        SessionId {
            peer: Peer::Window,
            number,
        }
    }
}
