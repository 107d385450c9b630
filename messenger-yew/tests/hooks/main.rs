//! The hooks in real browsers: components that use them are mounted and unmounted, rendered
//! again, and watched through the observer, the listener counter and their own state reports.
//!
//! `cargo test -p messenger-yew --target wasm32-unknown-unknown --test hooks` with the engine's
//! driver variable (`./test.sh web` runs it in every engine). The peers live in the same page:
//! the test itself knocks on the page for `use_listen`, and a same-origin `srcdoc` iframe whose
//! page is a hand-written JavaScript listener answers `use_iframe_session` (a cross-origin
//! iframe cannot load in the runner's page in Firefox and WebKit); the same listener's iframe
//! window stands in for a popup for `use_window_session` (`window`). The components under test and
//! the knocker are in `components`, the waits and counters in `support`.
#![cfg(target_arch = "wasm32")]

mod components;
mod lifecycle;
mod support;
mod window;

use std::time::Duration;

use components::*;
use messenger::{knock, Error, HandshakeState, Stage, Step, Target};
use messenger_yew::SessionState;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// How often each component is mounted and unmounted.
const MOUNTS: usize = 100;
/// A reply timeout no test waits out.
const PATIENT: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------------------------------------
// Mount and unmount: listeners back at their baseline, exactly one live session while mounted

#[wasm_bindgen_test]
async fn hook_use_listen_mounted_100_times_leaves_no_listener_and_one_session_at_a_time() {
    let before = live();
    for round in 0..MOUNTS {
        let props = probe(PATIENT);
        let (recorder, interrupts) = (props.recorder.clone(), props.interrupts.clone());
        let mounted = mount::<Listening>(props);
        until(STEP, "listening", || {
            recorder.count(&Step::Handshake(HandshakeState::Listening)) == 1
        })
        .await;
        let knocker = knock_and_answer(knocker_config()).await;
        until(STEP, "the interrupt", || interrupts.len() == 1).await;
        assert_eq!(interrupts.all(), vec![Ok(7)], "round {round}");
        assert_eq!(recorder.live_sessions(), 1, "round {round}: exactly one live session");
        assert_eq!(recorder.handshakes(), 1, "round {round}: one handshake");
        mounted.unmount().await;
        assert_eq!(
            recorder.live_sessions(),
            0,
            "round {round}: the session ended with the component"
        );
        drop(knocker);
        tick().await;
        assert_eq!(live(), before, "round {round}: every listener removed");
    }
}

#[wasm_bindgen_test]
async fn hook_use_iframe_session_mounted_100_times_leaves_no_listener_and_one_session_at_a_time() {
    let before = live();
    for round in 0..MOUNTS {
        let props = probe(PATIENT);
        let (recorder, interrupts, states) = (props.recorder.clone(), props.interrupts.clone(), props.states.clone());
        let mounted = mount::<Framing>(props);
        if quiet_until(STEP, || interrupts.len() == 1).await.is_err() {
            panic!(
                "round {round}: no interrupt from the iframe; states {:?}, steps {:?}",
                states.all(),
                recorder.steps()
            );
        }
        assert_eq!(interrupts.all(), vec![Ok(7)], "round {round}");
        assert_eq!(recorder.live_sessions(), 1, "round {round}: exactly one live session");
        assert_eq!(recorder.handshakes(), 1, "round {round}: one handshake");
        mounted.unmount().await;
        assert_eq!(
            recorder.live_sessions(),
            0,
            "round {round}: the session ended with the component"
        );
        assert_eq!(live(), before, "round {round}: every listener removed");
    }
}

#[wasm_bindgen_test]
async fn hook_unmounted_before_connecting_leaves_no_listener() {
    let before = live();
    for _ in 0..10 {
        // Unmounted while listening: the pending listen's window listeners go with it.
        let props = probe(PATIENT);
        let recorder = props.recorder.clone();
        let mounted = mount::<Listening>(props);
        until(STEP, "listening", || {
            recorder.count(&Step::Handshake(HandshakeState::Listening)) == 1
        })
        .await;
        assert_eq!(
            live().window,
            before.window + 2,
            "message and messageerror on the window"
        );
        mounted.unmount().await;
        assert_eq!(live(), before);
        // Unmounted before the iframe loaded or while knocking.
        let mounted = mount::<Framing>(probe(PATIENT));
        tick().await;
        mounted.unmount().await;
        assert_eq!(live(), before);
    }
}

// ------------------------------------------------------------------------------------------------
// Rendered again: no second handshake

#[wasm_bindgen_test]
async fn hook_use_listen_rendered_twice_at_once_makes_one_handshake() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mut mounted = mount::<Listening>(same_probe(&props, 0));
    // Rendered again before the first render's effects ran, as a development double render does.
    mounted.handle.update(same_probe(&props, 1));
    mounted.handle.update(same_probe(&props, 2));
    until(STEP, "listening", || states.last() == Some(SessionState::Listening)).await;
    assert_eq!(
        recorder.count(&Step::Handshake(HandshakeState::Listening)),
        1,
        "one listen"
    );
    assert_eq!(live().window, before.window + 2, "one listener's window listeners");
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    // Rendered again while connected: still the same session.
    mounted.handle.update(same_probe(&props, 3));
    tick().await;
    mounted.handle.update(same_probe(&props, 4));
    tick().await;
    assert_eq!(recorder.handshakes(), 1, "one handshake");
    assert_eq!(
        recorder.count(&Step::Handshake(HandshakeState::Listening)),
        1,
        "no second listen"
    );
    assert_eq!(recorder.live_sessions(), 1);
    mounted.unmount().await;
    drop(knocker);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn hook_use_iframe_session_rendered_twice_at_once_makes_one_handshake() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mut mounted = mount::<Framing>(same_probe(&props, 0));
    mounted.handle.update(same_probe(&props, 1));
    mounted.handle.update(same_probe(&props, 2));
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    mounted.handle.update(same_probe(&props, 3));
    tick().await;
    mounted.handle.update(same_probe(&props, 4));
    tick().await;
    assert_eq!(
        recorder.count(&Step::Handshake(HandshakeState::Knocking)),
        1,
        "one knocking"
    );
    assert_eq!(recorder.handshakes(), 1, "one handshake");
    assert_eq!(recorder.live_sessions(), 1);
    mounted.unmount().await;
    assert_eq!(live(), before);
}

// ------------------------------------------------------------------------------------------------
// State transitions

#[wasm_bindgen_test]
async fn hook_use_listen_state_goes_listening_connected_then_failed_when_the_peer_goes_away() {
    let before = live();
    let props = probe(Duration::from_millis(300));
    let states = props.states.clone();
    let mounted = mount::<Listening>(same_probe(&props, 0));
    until(STEP, "listening", || states.last() == Some(SessionState::Listening)).await;
    // The peer takes the first message and never answers it. (A peer that closes or drops its
    // messenger says so now: the state would be `Failed(PeerClosed(Closed))` at once. The peer
    // is kept open, silent, so that the reply timeout is what ends the session.)
    let answered = within(
        STEP,
        "an answer",
        knock(knocker_config(), vec![Target::Window(window())]),
    )
    .await
    .unwrap();
    let (messenger, _first) = within(STEP, "the first message", answered.finish_handshake::<u32, u32>())
        .await
        .unwrap();
    let failed = SessionState::Failed(Error::TimedOut(Stage::Reply));
    until(STEP, "the reply timeout", || states.last() == Some(failed.clone())).await;
    // The side that gave up told the peer.
    assert_eq!(
        within(STEP, "the peer's session to end", messenger.closed()).await,
        Error::PeerClosed(messenger::CloseReason::TimedOut)
    );
    drop(messenger);
    assert_eq!(
        states.all(),
        vec![
            SessionState::Idle,
            SessionState::Listening,
            SessionState::Connected,
            failed
        ]
    );
    mounted.unmount().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn hook_use_iframe_session_state_follows_reloads_and_fails_when_the_peer_goes_silent() {
    let before = live();
    let props = probe(Duration::from_millis(1_000));
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mounted = mount::<Framing>(same_probe(&props, 0));
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    // A reload supersedes the session and knocks again; the superseded one's end is not shown.
    let iframe = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .query_selector("iframe")
        .unwrap()
        .expect("the component's iframe");
    iframe.set_attribute("srcdoc", &listener_page()).unwrap();
    until(STEP, "knocking again", || states.len() >= 4).await;
    until(STEP, "connected again", || {
        states.last() == Some(SessionState::Connected)
    })
    .await;
    assert_eq!(
        recorder.count(&Step::Failed(Error::Superseded)),
        1,
        "the reload superseded the first session"
    );
    // The iframe's listener never answers the host's reply: the session fails when its reply
    // timeout passes.
    let failed = SessionState::Failed(Error::TimedOut(Stage::Reply));
    until(STEP, "the reply timeout", || states.last() == Some(failed.clone())).await;
    assert_eq!(
        states.all(),
        vec![
            SessionState::Idle,
            SessionState::Knocking,
            SessionState::Connected,
            SessionState::Knocking,
            SessionState::Connected,
            failed
        ]
    );
    mounted.unmount().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn hook_use_iframe_session_close_ends_the_session_with_closed() {
    let before = live();
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mounted = mount::<Closing>(ClosingProps {
        probe: same_probe(&props, 0),
    });
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    close_button().click();
    until(STEP, "closed", || {
        states.last() == Some(SessionState::Failed(Error::Closed))
    })
    .await;
    assert_eq!(recorder.live_sessions(), 0);
    mounted.unmount().await;
    assert_eq!(live(), before);
}

// ------------------------------------------------------------------------------------------------
// Interrupts

#[wasm_bindgen_test]
async fn hook_use_interrupts_delivers_a_one_time_interrupt_and_counts_its_channel() {
    let before = live();
    let props = ProbeProps {
        one_time: true,
        ..probe(PATIENT)
    };
    let (interrupts, open_channels) = (props.interrupts.clone(), props.open_channels.clone());
    let mounted = mount::<Listening>(same_probe(&props, 0));
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "the interrupt", || interrupts.len() == 1).await;
    assert_eq!(interrupts.all(), vec![Ok(7)]);
    until(STEP, "the spent channel counted as closed", || {
        open_channels.last() == Some(0)
    })
    .await;
    assert_eq!(open_channels.all(), vec![0, 1, 0], "opened once, then spent");
    mounted.unmount().await;
    drop(knocker);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn hook_use_interrupts_closes_its_channels_when_the_component_unmounts() {
    let before = live();
    let props = probe(PATIENT);
    let (interrupts, open_channels) = (props.interrupts.clone(), props.open_channels.clone());
    let mounted = mount::<Listening>(same_probe(&props, 0));
    let knocker = knock_and_answer(knocker_config()).await;
    until(STEP, "the interrupt", || interrupts.len() == 1).await;
    assert_eq!(open_channels.last(), Some(1), "the multi-use channel stays open");
    let listened = live().ports;
    mounted.unmount().await;
    // The component's end of the channel is closed and no longer listened on; what the peer
    // emits now goes nowhere (ports report no close to the other end).
    assert!(
        live().ports < listened,
        "the component's ports are no longer listened on"
    );
    knocker.emit(8);
    gloo_timers::future::TimeoutFuture::new(100).await;
    assert_eq!(interrupts.all(), vec![Ok(7)], "nothing reached the unmounted component");
    drop(knocker);
    tick().await;
    assert_eq!(live(), before);
}
