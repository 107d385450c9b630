//! Eos in a window of its own: the host opens it with `window.open` and knocks on it as on its
//! iframe; the same notes protocol and interrupts then run between two top-level windows.
//!
//! Eos, opened this way, listens with `Source::Window(window.opener)`: it answers only a knock
//! from the window that opened it, at the host's exact origin, as it answers only its parent
//! when it is framed. The host knocks on the window it opened, with `targetOrigin` set to Eos's
//! origin, so the browser drops the knocks while the window still shows `about:blank` or any
//! other origin.
//!
//! A window gives its opener fewer signals than an iframe does. The iframe's
//! [`messenger::Reconnector`] watches the iframe element's `load` event, an element of the host's
//! own page; a window of another origin fires its `load` only inside itself. So:
//!
//! * **Reload.** The host keeps knocking on the window for as long as it is open, every
//!   [`WATCH_KNOCK_INTERVAL`]. Eos listens only until its first knock, so a running Eos never
//!   hears those knocks; a reloaded Eos listens afresh and answers the next one. The answer
//!   starts a new session and ends the old one ([`WINDOW_RELOADED`]). The steps of a knock
//!   nobody answers yet are held back ([`Held`]) and shown only once it is answered, so the
//!   inspector is not filled with knocks that go nowhere.
//! * **Close.** The host reads `window.closed` every [`CLOSED_CHECK`] (the one signal a closed
//!   window gives its opener; ports report nothing) and ends the session at once
//!   ([`WINDOW_CLOSED`]) instead of waiting for the reply timeout.
//! * **Anything else** (the window navigated to another site, or is hidden for long): Eos's
//!   silence passes the reply timeout of [`crate::serving`] and the session fails with
//!   `TimedOut(Reply)`, as with an iframe.
//!
//! Everything runs in one task owned by [`EosWindow`]: dropping it stops the knocks and the
//! checks and closes the session. Nothing is leaked.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, AbortHandle, Abortable};
use gloo_timers::future::sleep;
use messenger::{knock, Closer, HandshakeState, MessageKind, Observation, Step, Target};
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

/// How long the first knock on a new window may go unanswered: the window has to load Eos.
const FIRST_KNOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the host knocks on the window while a session runs, to find a reloaded Eos.
pub const WATCH_KNOCK_INTERVAL: Duration = Duration::from_millis(500);
/// How long one background knock lasts before a fresh one replaces it (nothing is shown).
const WATCH_KNOCK_TIMEOUT: Duration = Duration::from_secs(600);
/// How often the host checks whether the window was closed.
pub const CLOSED_CHECK: Duration = Duration::from_millis(250);
/// A pause after a knock that failed, so that one failing at once cannot spin.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// How many knock rows of a held knock are shown once it is answered: the messenger keeps that
/// many knock channels open, so the one answered is among them.
pub const KNOCKS_SHOWN: usize = 4;

/// The steps of one knock on Eos's window: shown at once, or held back until Eos answers.
///
/// Held, it keeps the handshake's start, Eos's answer and the latest [`KNOCKS_SHOWN`] knocks;
/// when the answer arrives, all of it is shown and everything after passes straight through.
/// A held knock that fails (it timed out unanswered) shows nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    live: bool,
    steps: Vec<Observation>,
}

impl Held {
    /// Shows every step at once: the first knock on a new window.
    pub fn live() -> Held {
        Held {
            live: true,
            steps: Vec::new(),
        }
    }

    /// Holds every step back until Eos answers: a knock while a session runs.
    pub fn until_answered() -> Held {
        Held {
            live: false,
            steps: Vec::new(),
        }
    }

    /// What of `observation` to show now: nothing while held, then everything held so far.
    pub fn pass(&mut self, observation: &Observation) -> Vec<Observation> {
        if self.live {
            return vec![observation.clone()];
        }
        match &observation.step {
            Step::Handshake(HandshakeState::Answered) => {
                self.live = true;
                let mut shown = std::mem::take(&mut self.steps);
                shown.push(observation.clone());
                return shown;
            }
            // Unanswered: nothing happened that the page needs to know.
            Step::Failed(_) | Step::Handshake(HandshakeState::Closed) => self.steps.clear(),
            // The page ignores these anyway.
            Step::KnockSent { .. } | Step::Ignored { .. } => {}
            Step::Message {
                kind: MessageKind::Knock,
                ..
            } => {
                let is_knock = |held: &Observation| {
                    matches!(
                        held.step,
                        Step::Message {
                            kind: MessageKind::Knock,
                            ..
                        }
                    )
                };
                if self.steps.iter().filter(|held| is_knock(held)).count() == KNOCKS_SHOWN {
                    if let Some(oldest) = self.steps.iter().position(is_knock) {
                        self.steps.remove(oldest);
                    }
                }
                self.steps.push(observation.clone());
            }
            _ => self.steps.push(observation.clone()),
        }
        Vec::new()
    }
}

/// The session with Eos's window that runs now, if any.
type Current = Rc<RefCell<Option<(SessionId, Closer)>>>;

/// Eos in a window this page opened, knocked on for as long as it is open.
///
/// Dropping it stops knocking and checking, and closes the window's session (the window itself
/// stays open; Eos notices the silence).
#[must_use = "dropping an EosWindow stops serving the window and closes its session"]
pub struct EosWindow {
    window: web_sys::Window,
    watch: AbortHandle,
    current: Current,
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
        let current = Current::default();
        let (watch, registration) = AbortHandle::new_pair();
        let watching = watch_window(window.clone(), Rc::clone(common), Rc::clone(&current));
        spawn_local(async move {
            let _ = Abortable::new(watching, registration).await;
        });
        Ok(EosWindow { window, watch, current })
    }

    /// Whether the window is still open.
    pub fn is_open(&self) -> bool {
        !self.window.closed().unwrap_or(true)
    }

    /// Brings the window to the front (browsers may decline).
    pub fn focus(&self) {
        let _ = self.window.focus();
    }
}

impl Drop for EosWindow {
    fn drop(&mut self) {
        self.watch.abort();
        if let Some((_, closer)) = self.current.borrow_mut().take() {
            closer.close();
        }
    }
}

impl fmt::Debug for EosWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EosWindow")
            .field("open", &self.is_open())
            .field("session", &self.current.borrow().as_ref().map(|(id, _)| *id))
            .finish_non_exhaustive()
    }
}

/// Knocks on `window` until it is closed, then ends its session in words.
async fn watch_window(window: web_sys::Window, common: Rc<Common>, current: Current) {
    // The first knock's session while it is unanswered: a window closed before Eos answered
    // ends it too.
    let unanswered = Rc::new(Cell::new(None));
    let knocking = Box::pin(knock_on(
        window.clone(),
        Rc::clone(&common),
        Rc::clone(&current),
        Rc::clone(&unanswered),
    ));
    let closed = Box::pin(until_closed(window));
    // `knock_on` never ends: this returns when the window was closed.
    let _ = select(knocking, closed).await;
    let ended = current.borrow_mut().take();
    match ended {
        Some((id, closer)) => {
            common.show(id, SessionAction::Ended(WINDOW_CLOSED.into()));
            closer.close();
        }
        None => {
            if let Some(id) = unanswered.get() {
                common.show(id, SessionAction::Ended(WINDOW_CLOSED.into()));
            }
        }
    }
}

/// Resolves once `window` is closed.
async fn until_closed(window: web_sys::Window) {
    // A window that cannot even say whether it is closed counts as closed.
    while !window.closed().unwrap_or(true) {
        sleep(CLOSED_CHECK).await;
    }
}

/// Knocks on `window` for ever: the first knock shown as it goes, every later one held until a
/// (reloaded) Eos answers it; each answer starts a session that replaces the current one.
async fn knock_on(
    window: web_sys::Window,
    common: Rc<Common>,
    current: Current,
    unanswered: Rc<Cell<Option<SessionId>>>,
) {
    let mut first = true;
    loop {
        // The session's number: at once for the first knock, which shows from the start; for a
        // held one when Eos answers it, so that unanswered knocks use up no number.
        let numbered: Rc<Cell<Option<SessionId>>> = Rc::default();
        let gate = if first {
            numbered.set(Some(common.next_session(Peer::Window)));
            unanswered.set(numbered.get());
            Held::live()
        } else {
            Held::until_answered()
        };
        let config = session_config(observer(Rc::clone(&common), gate, Rc::clone(&numbered))).map(|config| {
            if first {
                config.handshake_timeout(FIRST_KNOCK_TIMEOUT)
            } else {
                config
                    .handshake_timeout(WATCH_KNOCK_TIMEOUT)
                    .first_knock_interval(None)
                    .knock_interval(WATCH_KNOCK_INTERVAL)
            }
        });
        let answered = match config {
            Ok(config) => knock(config, vec![Target::Window(window.clone())]).await,
            Err(error) => Err(error),
        };
        unanswered.set(None);
        first = false;
        match answered {
            Ok(answered) => {
                let id = numbered.get().unwrap_or_else(|| common.next_session(Peer::Window));
                let previous = current.borrow_mut().replace((id, answered.closer()));
                if let Some((old, closer)) = previous {
                    common.show(old, SessionAction::Ended(WINDOW_RELOADED.into()));
                    closer.close();
                }
                spawn_local(serve(answered, Rc::clone(&common), id));
            }
            // The first knock's failure is on the page through its observer; a held one that
            // timed out is simply renewed.
            Err(_) => sleep(RETRY_PAUSE).await,
        }
    }
}

/// The observer of one knock on Eos's window: shows its steps as `gate` lets them through,
/// numbering the session when the first one is shown.
fn observer(common: Rc<Common>, mut gate: Held, numbered: Rc<Cell<Option<SessionId>>>) -> impl FnMut(&Observation) {
    move |observation| {
        for shown in gate.pass(observation) {
            let id = match numbered.get() {
                Some(id) => id,
                None => {
                    let id = common.next_session(Peer::Window);
                    numbered.set(Some(id));
                    id
                }
            };
            common.show(id, SessionAction::Observed(shown));
        }
    }
}

#[cfg(test)]
mod tests {
    use messenger::protocol::{IgnoreReason, Instant, TargetId};
    use messenger::{Direction, Error, Stage};

    use super::*;

    fn at(ms: u64, step: Step) -> Observation {
        Observation {
            at: Instant::from_millis_f64(ms as f64),
            step,
        }
    }

    fn wire(ms: u64, direction: Direction, kind: MessageKind, generation: u64) -> Observation {
        at(
            ms,
            Step::Message {
                direction,
                kind,
                generation,
                reply_after: None,
                interrupt: None,
            },
        )
    }

    fn knock_row(ms: u64) -> Observation {
        wire(ms, Direction::Outgoing, MessageKind::Knock, 0)
    }

    /// A knock answered after `knocks` knocks: what the gate lets through at each step.
    fn answered_after(gate: &mut Held, knocks: u64) -> Vec<Vec<Observation>> {
        let mut steps = vec![at(0, Step::Handshake(HandshakeState::Knocking))];
        for n in 0..knocks {
            steps.push(at(
                n * 500,
                Step::KnockSent {
                    target: TargetId(0),
                    attempt: n as u32 + 1,
                },
            ));
            steps.push(knock_row(n * 500));
        }
        steps.push(wire(knocks * 500, Direction::Incoming, MessageKind::Listen, 1));
        steps.push(at(knocks * 500, Step::Handshake(HandshakeState::Answered)));
        steps.iter().map(|step| gate.pass(step)).collect()
    }

    #[test]
    fn the_first_knock_shows_as_it_goes() {
        let mut gate = Held::live();
        let passed = answered_after(&mut gate, 3);
        assert!(passed.iter().all(|shown| shown.len() == 1), "{passed:?}");
    }

    #[test]
    fn a_held_knock_shows_nothing_until_eos_answers_then_its_handshake() {
        let mut gate = Held::until_answered();
        let passed = answered_after(&mut gate, 1_000);
        let (last, before) = passed.split_last().unwrap();
        assert!(before.iter().all(Vec::is_empty), "shown before the answer");
        let steps: Vec<&Step> = last.iter().map(|shown| &shown.step).collect();
        assert_eq!(steps.len(), 1 + KNOCKS_SHOWN + 2, "{steps:?}");
        assert_eq!(steps[0], &Step::Handshake(HandshakeState::Knocking));
        // The latest knocks, in order; the one answered is among them.
        let knock_times: Vec<f64> = last[1..=KNOCKS_SHOWN].iter().map(|o| o.at.as_millis_f64()).collect();
        assert_eq!(knock_times, [498_000.0, 498_500.0, 499_000.0, 499_500.0]);
        assert!(matches!(
            steps[KNOCKS_SHOWN + 1],
            Step::Message {
                kind: MessageKind::Listen,
                ..
            }
        ));
        assert_eq!(steps[KNOCKS_SHOWN + 2], &Step::Handshake(HandshakeState::Answered));
        // From now on everything passes.
        let acknowledged = wire(1, Direction::Outgoing, MessageKind::Acknowledge, 2);
        assert_eq!(gate.pass(&acknowledged), [acknowledged]);
    }

    #[test]
    fn a_held_knock_that_times_out_shows_nothing() {
        let mut gate = Held::until_answered();
        let mut shown = Vec::new();
        shown.extend(gate.pass(&at(0, Step::Handshake(HandshakeState::Knocking))));
        for n in 0..10 {
            shown.extend(gate.pass(&knock_row(n)));
        }
        shown.extend(gate.pass(&at(
            11,
            Step::Ignored {
                reason: IgnoreReason::WrongOrigin,
            },
        )));
        shown.extend(gate.pass(&at(12, Step::Failed(Error::TimedOut(Stage::Handshake)))));
        shown.extend(gate.pass(&at(12, Step::Handshake(HandshakeState::Closed))));
        assert!(shown.is_empty(), "{shown:?}");
        assert_eq!(gate, Held::until_answered(), "nothing is kept");
    }
}
