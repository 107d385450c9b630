//! The hooks around the back/forward cache (issue 23, case 2): `use_listen` listens again when
//! its page is shown from the cache after its session ended there. The page cannot enter the
//! cache from a test, so script-made `pagehide` and `pageshow` (with `persisted`) stand in for
//! the browser's; the real cache is driven end to end (e2e).

use std::time::Duration;

use messenger::{CloseReason, Error, HandshakeState, Step};
use messenger_yew::SessionState;
use wasm_bindgen_test::*;

use crate::components::*;
use crate::support::*;

const PATIENT: Duration = Duration::from_secs(60);

#[wasm_bindgen_test]
async fn lifecycle_use_listen_listens_again_when_the_page_comes_back_from_the_cache() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mounted = mount::<Listening>(props);
    until(STEP, "listening", || states.last() == Some(SessionState::Listening)).await;
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;

    // Into the cache: the session ends on the page's `pagehide` (the test's knocker too: it
    // is in the same page).
    dispatch_page_transition("pagehide", true);
    let hidden = SessionState::Failed(Error::PageHidden);
    until(STEP, "the session to end", || states.last() == Some(hidden.clone())).await;
    drop(knocker);
    assert_eq!(
        live().lifecycle,
        before.lifecycle + 1,
        "only the hook's pageshow is left"
    );
    // A `pageshow` that is not from the cache (a first load's) changes nothing.
    dispatch_page_transition("pageshow", false);
    tick().await;
    assert_eq!(states.last(), Some(hidden.clone()));

    // Back from the cache: listening again, and a new knock connects.
    dispatch_page_transition("pageshow", true);
    until(STEP, "listening again", || {
        states.last() == Some(SessionState::Listening)
    })
    .await;
    assert_eq!(recorder.count(&Step::Handshake(HandshakeState::Listening)), 2);
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "connected again", || {
        states.last() == Some(SessionState::Connected)
    })
    .await;
    assert_eq!(recorder.handshakes(), 2);
    assert_eq!(recorder.live_sessions(), 1);

    // A session that ended otherwise (the host closed it) is not restarted by a `pageshow`.
    drop(knocker);
    let closed = SessionState::Failed(Error::PeerClosed(CloseReason::Closed));
    until(STEP, "the host's close", || states.last() == Some(closed.clone())).await;
    dispatch_page_transition("pageshow", true);
    tick().await;
    assert_eq!(states.last(), Some(closed));
    assert_eq!(recorder.count(&Step::Handshake(HandshakeState::Listening)), 2);

    mounted.unmount().await;
    tick().await;
    assert_eq!(live(), before, "every listener removed");
}

#[wasm_bindgen_test]
async fn lifecycle_use_listen_listens_again_at_once_when_the_hosts_page_went_away() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mounted = mount::<Listening>(props);
    until(STEP, "listening", || states.last() == Some(SessionState::Listening)).await;
    let host = js_knocker_that_leaves(&page_origin());
    until(STEP, "the listener's first message", || host.state() == "spoken to").await;
    assert_eq!(states.last(), Some(SessionState::Connected));

    // The host's page goes away (its `pagehide` notice): the session ends with the peer's
    // reason, and the hook listens again at once, with no `pageshow` of this page.
    host.leave();
    // (The hook's state may go `Failed(PeerClosed(PageHidden))` → `Listening` within one render:
    // the observer has the reason.)
    let left = Step::Failed(Error::PeerClosed(CloseReason::PageHidden));
    until(STEP, "the host's notice, then listening again", || {
        recorder.count(&left) == 1 && recorder.count(&Step::Handshake(HandshakeState::Listening)) == 2
    })
    .await;
    until(STEP, "the state listening", || {
        states.last() == Some(SessionState::Listening)
    })
    .await;
    // The host is back (restored from its cache, it knocks again): a new session.
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "connected again", || {
        states.last() == Some(SessionState::Connected)
    })
    .await;
    assert_eq!(recorder.live_sessions(), 1);

    // An end for another reason (the host closed it) is not followed by listening again.
    drop(knocker);
    let closed = SessionState::Failed(Error::PeerClosed(CloseReason::Closed));
    until(STEP, "the host's close", || states.last() == Some(closed.clone())).await;
    tick().await;
    assert_eq!(states.last(), Some(closed));
    assert_eq!(recorder.count(&Step::Handshake(HandshakeState::Listening)), 2);

    mounted.unmount().await;
    tick().await;
    assert_eq!(live(), before, "every listener removed");
}

#[wasm_bindgen_test]
async fn lifecycle_use_iframe_session_knocks_again_when_the_page_comes_back_from_the_cache() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mounted = mount::<Framing>(props);
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    let knocks = recorder.count(&Step::Handshake(HandshakeState::Knocking));

    // Into the cache: the session ends on the page's `pagehide`; nothing knocks while hidden.
    dispatch_page_transition("pagehide", true);
    let hidden = SessionState::Failed(Error::PageHidden);
    until(STEP, "the session to end", || states.last() == Some(hidden.clone())).await;
    tick().await;
    assert_eq!(recorder.count(&Step::Handshake(HandshakeState::Knocking)), knocks);

    // Back from the cache: the state says `Knocking` and the reconnector knocks again (the
    // hand-written page in the iframe answers only its first knock, so it stays there).
    dispatch_page_transition("pageshow", true);
    until(STEP, "knocking again", || states.last() == Some(SessionState::Knocking)).await;
    until(STEP, "a new knock", || {
        recorder.count(&Step::Handshake(HandshakeState::Knocking)) == knocks + 1
    })
    .await;

    mounted.unmount().await;
    tick().await;
    assert_eq!(live(), before, "every listener removed");
}
