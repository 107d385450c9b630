//! Yew hooks for the [`messenger`]: a session that lives exactly as long as the component that
//! uses it, with its state as hook state.
//!
//! | hook | role | for |
//! | --- | --- | --- |
//! | [`use_iframe_session`] | knocker | a host page: knocks on its iframe every time it loads and serves each session with a handler |
//! | [`use_window_session`] | knocker | a host page: keeps a session with a window it opened, across its reloads and until it is closed |
//! | [`use_listen`] | listener | a page in an iframe or a window: waits for its host's knock, then asks through [`ListenHandle::send`] |
//! | [`use_interrupts`] | receiver of interrupts | opens interrupt channels that ride along with a message or a reply; what arrives goes to a callback |
//!
//! Each session hook reports a [`SessionState`] (`Idle`, `Knocking`, `Listening`, `Connected`,
//! `Failed` with the [`messenger::Error`]) that re-renders the component when it changes.
//!
//! # Example
//!
//! A host that knocks on its iframe and answers each request with its double, and the page in the
//! iframe, which listens for its parent and asks:
//!
//! ```no_run
//! use messenger::{Config, Received, Reply, Source};
//! use messenger_yew::{use_iframe_session, use_listen};
//! use yew::prelude::*;
//!
//! #[component]
//! fn Host() -> Html {
//!     let frame = use_node_ref();
//!     let config = Config::new("https://remote.example");
//!     // One handler per session (each reload of the iframe is a new one).
//!     let session = use_iframe_session(frame.clone(), config, |_closer| {
//!         |received: Received<u32>| async move { Reply::new(received.message * 2) }
//!     });
//!     html! {
//!         <>
//!             <p>{ format!("{:?}", session.state) }</p>
//!             <iframe ref={frame} src="https://remote.example/" />
//!         </>
//!     }
//! }
//!
//! #[component]
//! fn Remote() -> Html {
//!     let parent = web_sys::window().and_then(|window| window.parent().ok().flatten());
//!     let config = Config::new("https://host.example");
//!     let session = use_listen::<u32, u32>(config, parent.map(Source::Window));
//!     let answer = use_state(|| None::<u32>);
//!     {
//!         let (session, answer) = (session.clone(), answer.clone());
//!         use_effect_with(session.state.is_connected(), move |connected| {
//!             if *connected {
//!                 // The listener speaks first. The send fails (and the task ends) if the
//!                 // component unmounts first.
//!                 yew::platform::spawn_local(async move {
//!                     if let Ok(reply) = session.send(21).await {
//!                         answer.set(Some(reply.message));
//!                     }
//!                 });
//!             }
//!         });
//!     }
//!     html! { <p>{ format!("{:?}: {:?}", session.state, *answer) }</p> }
//! }
//! ```
//!
//! # The rules every hook keeps
//!
//! - The session starts in an effect after the first render, never in the render itself: a
//!   component rendered again (new props, its own state, a development double render) keeps its
//!   session and makes no second handshake.
//! - The effect's cleanup ends everything the hook started: it drops the `Reconnector`, the
//!   `WindowKeeper` or the `Messenger` (which closes every port and removes every listener) and aborts the hook's
//!   `spawn_local` tasks, so nothing runs for an unmounted component.
//! - Callbacks and handlers given to a hook are the latest ones: each render stores them where the
//!   running session finds them, so passing a new closure each render does not restart anything.
//! - Configuration and where to knock or listen are read when the session starts; to start over
//!   with other ones, remount the component (give it a new `key`).
//!
//! # A window the host opens
//!
//! [`use_window_session`] keeps a session with a window (a popup) through the messenger's
//! [`WindowKeeper`](messenger::WindowKeeper): the component gives it the window from a click
//! handler ([`WindowSession::open`], or [`WindowSession::keep`] for a window it opened itself;
//! browsers block `window.open` without a click), and the state follows the window's reloads
//! (`Knocking` → `Connected` again) until it is closed (`Failed(Error::WindowClosed)`).
//!
//! ```no_run
//! use messenger::{Config, Received, Reply};
//! use messenger_yew::use_window_session;
//! use yew::prelude::*;
//!
//! #[component]
//! fn Opener() -> Html {
//!     let session = use_window_session(Config::new("https://remote.example"), |_closer| {
//!         |received: Received<u32>| async move { Reply::new(received.message * 2) }
//!     });
//!     let blocked = use_state(|| None::<messenger::Error>);
//!     let open = {
//!         let (session, blocked) = (session.clone(), blocked.clone());
//!         Callback::from(move |_: MouseEvent| {
//!             blocked.set(session.open("https://remote.example/", "remote", "popup").err());
//!         })
//!     };
//!     html! {
//!         <>
//!             <button onclick={open}>{ "open" }</button>
//!             <p>{ format!("{:?} {:?}", session.state, *blocked) }</p>
//!         </>
//!     }
//! }
//! ```
#![deny(missing_docs, missing_debug_implementations)]

mod iframe;
mod interrupts;
mod knocker;
mod listen;
mod tasks;
mod window;

pub use iframe::{use_iframe_session, IframeSession};
pub use interrupts::{use_interrupts, Interrupts};
pub use listen::{use_listen, ListenHandle};
pub use window::{use_window_session, use_window_session_with_timing, WindowSession};

use messenger::Error;

/// Where a hook's session is: hook state, cheap to clone and comparable (usable in props).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionState {
    /// Nothing started yet: before the first effect, while an iframe has not loaded, before a
    /// window is kept, or when there is no peer to listen to.
    #[default]
    Idle,
    /// Knocking on the peer and waiting for its answer.
    Knocking,
    /// Waiting for the peer's knock.
    Listening,
    /// The handshake is done: messages flow.
    Connected,
    /// The session or its handshake ended, with why ([`Error::Closed`] when this side closed it).
    Failed(Error),
}

impl SessionState {
    /// Whether the session is connected.
    pub fn is_connected(&self) -> bool {
        matches!(self, SessionState::Connected)
    }

    /// Why the session ended, once it has.
    pub fn error(&self) -> Option<&Error> {
        match self {
            SessionState::Failed(error) => Some(error),
            _ => None,
        }
    }
}
