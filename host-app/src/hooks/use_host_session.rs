//! The host's sessions with Eos: the one in its iframe, reconnected on every iframe load
//! (`messenger_yew::use_iframe_session`), and the one in a window the user opens
//! ([`crate::popup`]). Each is served by the handler of [`crate::serving`]; the user's question
//! goes out on the next turn of the Eos the user chose.
//!
//! What the messenger reports reaches the page through a [`crate::frame::FrameDispatcher`] (one
//! batched dispatch per animation frame); what the user does on this page is shown at once.

use std::cell::Cell;
use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use messenger::{Closer, HandshakeState, Observation, Step};
use messenger_yew::use_iframe_session;
use shared_proto::{ItemId, Question};
use web_sys::HtmlIFrameElement;
use yew::prelude::*;

use crate::config::STORE_KEY;
use crate::frame::FrameDispatcher;
use crate::handler;
use crate::peer::{Peer, SessionId};
use crate::popup::EosWindow;
use crate::serving::{save, session_config, Common};
use crate::state::{HostAction, HostState, SessionAction};
use crate::store::Store;

/// What the page can do with its sessions.
#[derive(Clone, PartialEq)]
pub struct HostControls {
    /// Closes the iframe's current session (Eos notices when its next request goes unanswered).
    pub close: Callback<()>,
    /// Reloads the iframe; the host reconnects when it has loaded.
    pub reload: Callback<()>,
    /// Opens Eos in a window of its own and knocks on it (or brings the open one to the front).
    pub open_window: Callback<()>,
    /// Queues a question for the user inside the chosen Eos; it goes out on that Eos's next turn.
    pub ask: Callback<Peer>,
    /// Marks a note as reviewed on the host's side (a new revision Eos has not seen yet).
    pub review: Callback<ItemId>,
}

/// Connects to Eos in `frame` and keeps the connection across reloads for the component's life;
/// serves Eos in a window once the user opens one.
#[hook]
pub fn use_host_session(frame: NodeRef, dispatch: UseReducerDispatcher<HostState>) -> HostControls {
    let common: Rc<Common> = use_memo((), |_| {
        // A missing or unreadable entry starts a fresh store with sample notes.
        let store = LocalStorage::get::<Store>(STORE_KEY).unwrap_or_default();
        Common::new(store, FrameDispatcher::new(dispatch.clone()))
    });
    // The iframe's current session. Every session of the iframe shares one configuration, and so
    // one observer: a session is numbered when it starts knocking, the first step it reports, and
    // its handler is made (on the answer) under the same number.
    let latest: Rc<Cell<Option<SessionId>>> = use_memo((), |_| Cell::new(None));
    let eos_window = use_mut_ref(|| None::<EosWindow>);

    let config = {
        let (common, latest) = (Rc::clone(&common), Rc::clone(&latest));
        session_config(move |observation: &Observation| {
            if observation.step == Step::Handshake(HandshakeState::Knocking) {
                latest.set(Some(common.next_session(Peer::Frame)));
            }
            if let Some(id) = latest.get() {
                common.show(id, SessionAction::Observed(observation.clone()));
            }
        })
    };
    let session = {
        let (common, latest) = (Rc::clone(&common), Rc::clone(&latest));
        use_iframe_session(frame.clone(), config, move |closer: &Closer| {
            // Numbered already by the observer (knocking comes before any answer).
            let id = latest.get().unwrap_or_else(|| common.next_session(Peer::Frame));
            crate::serving::handler(Rc::clone(&common), id, closer.clone())
        })
    };

    {
        let (common, frame, eos_window) = (Rc::clone(&common), frame.clone(), eos_window.clone());
        use_effect_with((), move |_| {
            common
                .page
                .dispatch_now(HostAction::Notes(common.store.borrow().summaries()));
            if frame.cast::<HtmlIFrameElement>().is_none() {
                common
                    .page
                    .dispatch_now(HostAction::Problem("The iframe for Eos is missing.".into()));
            }
            move || drop(eos_window.borrow_mut().take())
        });
    }

    let close = Callback::from(move |()| session.close());
    let reload = Callback::from(move |()| {
        if let Some(iframe) = frame.cast::<HtmlIFrameElement>() {
            // Setting `src` again navigates the iframe anew: a real reload of a cross-origin frame.
            iframe.set_src(&iframe.src());
        }
    });
    let open_window = {
        let common = Rc::clone(&common);
        Callback::from(move |()| {
            let mut eos_window = eos_window.borrow_mut();
            match eos_window.as_ref() {
                Some(open) if open.is_open() => open.focus(),
                _ => {
                    // A closed window's watch ended already; its replacement starts afresh.
                    drop(eos_window.take());
                    match EosWindow::open(&common) {
                        Ok(opened) => *eos_window = Some(opened),
                        Err(problem) => common.page.dispatch_now(HostAction::Problem(problem)),
                    }
                }
            }
        })
    };
    let review = {
        let common = Rc::clone(&common);
        Callback::from(move |id: ItemId| {
            // Kept only if `localStorage` took it, like Eos's edits.
            let page = handler::review(&mut common.store.borrow_mut(), id, save);
            common.page.dispatch_now(HostAction::Batch(page));
        })
    };
    let ask = Callback::from(move |to: Peer| {
        let id = common.next_question.get();
        common.next_question.set(id + 1);
        common.question.borrow_mut().put(
            to,
            Question {
                id,
                prompt: "Which note should Phosphorescence share?".into(),
            },
        );
        common.page.dispatch_now(HostAction::QuestionQueued { id, to });
    });
    HostControls {
        close,
        reload,
        open_window,
        ask,
        review,
    }
}
