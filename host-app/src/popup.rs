//! Eos in a window of its own: the host opens it with `window.open` and keeps a session with it
//! through [`messenger::WindowKeeper`]; the same notes protocol and interrupts then run between
//! two top-level windows.
//!
//! Eos, opened this way, listens with `Source::Window(window.opener)`: it answers only a knock
//! from the window that opened it, at the host's exact origin, as it answers only its parent
//! when it is framed. The host knocks on the window it opened, with `targetOrigin` set to Eos's
//! origin, so the browser drops the knocks while the window still shows `about:blank` or any
//! other origin.
//!
//! The keeper does the window's part (knocking again to find a reloaded Eos, ending the session
//! when the window is closed, keeping unanswered knocks out of the trace; see its docs). What is
//! left here is the page's: the window's name and size, the session numbers, and the page's
//! words for a reload ([`WINDOW_RELOADED`]) and a close ([`WINDOW_CLOSED`]).

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use messenger::{CloseReason, Error, HandshakeState, Observation, Step, WindowKeeper};
use yew::platform::spawn_local;

use crate::config::REMOTE_ORIGIN;
use crate::peer::{Peer, SessionId};
use crate::serving::{serve, session_config, Common};
use crate::state::{SessionAction, WINDOW_CLOSED, WINDOW_RELOADED};

/// The window's name: "Open Eos in a window" on a page whose earlier window is still open (say,
/// after the host page reloaded) finds that window again instead of opening a second one.
const WINDOW_NAME: &str = "eos";
/// A small window of its own.
const WINDOW_FEATURES: &str = "popup,width=560,height=640";
/// How long after Eos's `pagehide` notice the host looks again whether the window was closed.
const CLOSE_SETTLES: std::time::Duration = std::time::Duration::from_millis(400);

/// Eos in a window this page opened, kept for as long as it is open.
///
/// Dropping it stops knocking and checking, and closes the window's session (the window itself
/// stays open; Eos notices the silence).
#[must_use = "dropping an EosWindow stops serving the window and closes its session"]
pub struct EosWindow {
    keeper: WindowKeeper,
    /// The window's latest session.
    session: Rc<Cell<Option<SessionId>>>,
}

impl EosWindow {
    /// Opens Eos in a window (or finds the one opened earlier under the same name, which then
    /// loads Eos anew) and starts knocking on it. Call it from a click: browsers block
    /// `window.open` without one.
    pub fn open(common: &Rc<Common>) -> Result<EosWindow, String> {
        let page = web_sys::window().ok_or("This page has no window.")?;
        let window = page
            .open_with_url_and_target_and_features(&format!("{REMOTE_ORIGIN}/"), WINDOW_NAME, WINDOW_FEATURES)
            .map_err(|error| format!("The browser refused to open a window: {error:?}."))?
            .ok_or("The browser blocked the window (a popup blocker?).")?;
        let session = Rc::new(Cell::new(None));
        let config = session_config(observer(Rc::clone(common), Rc::clone(&session), window.clone()))
            .map_err(|error| format!("Eos's window cannot be served: {error}."))?;
        let (serving, numbered) = (Rc::clone(common), Rc::clone(&session));
        let keeper = WindowKeeper::new(&window, config, move |answered| {
            // A failed knock or the window's close is on the page already, through the observer.
            if let (Ok(answered), Some(id)) = (answered, numbered.get()) {
                spawn_local(serve(answered, Rc::clone(&serving), id));
            }
        });
        Ok(EosWindow { keeper, session })
    }

    /// Whether the window is still open.
    pub fn is_open(&self) -> bool {
        self.keeper.is_open()
    }

    /// Brings the window to the front (browsers may decline).
    pub fn focus(&self) {
        let _ = self.keeper.window().focus();
    }
}

impl fmt::Debug for EosWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EosWindow")
            .field("open", &self.is_open())
            .field("session", &self.session.get())
            .finish_non_exhaustive()
    }
}

/// The observer of every session with Eos's window: numbers each session as its handshake starts
/// (the keeper shows a background knock only once Eos answered it, so unanswered knocks use up no
/// number, and an old session's end always comes before its successor's start), and says in the
/// page's words how a session the keeper ended went.
///
/// The old Eos's `pagehide` close notice (`PeerClosed(PageHidden)`) may come before the keeper
/// sees the window closed (its check runs every 250 ms) or a reloaded Eos answer, and before the
/// window's `closed` turns true when the user closes it: the host says which it was
/// [`CLOSE_SETTLES`] later, a close if the window is closed by then, else a reload or navigation.
fn observer(
    common: Rc<Common>,
    session: Rc<Cell<Option<SessionId>>>,
    window: web_sys::Window,
) -> impl FnMut(&Observation) {
    move |observation| {
        if observation.step == Step::Handshake(HandshakeState::Knocking) {
            session.set(Some(common.next_session(Peer::Window)));
        }
        let Some(id) = session.get() else { return };
        let action = match observation.step {
            Step::Failed(Error::PeerClosed(CloseReason::PageHidden)) if window.closed().unwrap_or(true) => {
                SessionAction::Ended(WINDOW_CLOSED.into())
            }
            Step::Failed(Error::PeerClosed(CloseReason::PageHidden)) => {
                // Said once it is clear which it was.
                let (common, window) = (Rc::clone(&common), window.clone());
                spawn_local(async move {
                    gloo_timers::future::sleep(CLOSE_SETTLES).await;
                    let words = match window.closed().unwrap_or(true) {
                        true => WINDOW_CLOSED,
                        false => WINDOW_RELOADED,
                    };
                    common.show(id, SessionAction::Ended(words.into()));
                });
                // Not shown as it is: the words above are its report.
                return;
            }
            Step::Failed(Error::Superseded) => SessionAction::Ended(WINDOW_RELOADED.into()),
            Step::Failed(Error::WindowClosed) => SessionAction::Ended(WINDOW_CLOSED.into()),
            _ => SessionAction::Observed(observation.clone()),
        };
        common.show(id, action);
    }
}
