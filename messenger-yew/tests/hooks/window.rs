//! `use_window_session` with a window that stands in for a popup: a same-origin `srcdoc` iframe
//! running the hand-written listener, whose `contentWindow` is kept. As in the messenger's own
//! window-keeping tests (messenger/tests/web/window_keeping.rs), an iframe's window gives the
//! keeper the same signals as a popup's: reloading it (a new `srcdoc`) makes a page that listens
//! afresh, and removing it discards its browsing context, after which `closed` is `true`. A real
//! `window.open` is not used: WebKitGTK under the test runner returns no window without a user
//! gesture.

use messenger::{Error, HandshakeState, Step};
use messenger_yew::SessionState;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

use crate::components::*;
use crate::support::*;
use crate::{MOUNTS, PATIENT};

/// A loaded iframe running the listener, and its window.
async fn peer_window() -> (HtmlIFrameElement, web_sys::Window) {
    let document = window().document().unwrap();
    let iframe: HtmlIFrameElement = document.create_element("iframe").unwrap().unchecked_into();
    iframe.set_attribute("srcdoc", &listener_page()).unwrap();
    document.body().unwrap().append_child(&iframe).unwrap();
    until(STEP, "the peer's page loaded", || {
        iframe
            .content_document()
            .is_some_and(|page| page.ready_state() == "complete" && page.url().ok().as_deref() == Some("about:srcdoc"))
    })
    .await;
    let peer = iframe.content_window().expect("a loaded iframe has a window");
    (iframe, peer)
}

fn window_props(probe: ProbeProps, window: &web_sys::Window) -> WindowProps {
    WindowProps {
        probe,
        window: window.clone(),
        opens: Reports::default(),
    }
}

#[wasm_bindgen_test]
async fn hook_use_window_session_mounted_100_times_leaves_no_listener_and_one_session_at_a_time() {
    let before = live();
    for round in 0..MOUNTS {
        let (iframe, peer) = peer_window().await;
        let props = probe(PATIENT);
        let (recorder, interrupts, states) = (props.recorder.clone(), props.interrupts.clone(), props.states.clone());
        let mounted = mount::<Windowing>(window_props(props, &peer));
        if quiet_until(STEP, || interrupts.len() == 1).await.is_err() {
            panic!(
                "round {round}: no interrupt from the window; states {:?}, steps {:?}",
                states.all(),
                recorder.steps()
            );
        }
        assert_eq!(interrupts.all(), vec![Ok(7)], "round {round}");
        assert_eq!(states.last(), Some(SessionState::Connected), "round {round}");
        assert_eq!(recorder.live_sessions(), 1, "round {round}: exactly one live session");
        assert_eq!(recorder.handshakes(), 1, "round {round}: one handshake");
        mounted.unmount().await;
        assert_eq!(
            recorder.live_sessions(),
            0,
            "round {round}: the session ended with the component"
        );
        assert_eq!(live(), before, "round {round}: every listener removed");
        iframe.remove();
    }
}

#[wasm_bindgen_test]
async fn hook_use_window_session_rendered_twice_at_once_makes_one_handshake() {
    let before = live();
    let (iframe, peer) = peer_window().await;
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let mut mounted = mount::<Windowing>(window_props(same_probe(&props, 0), &peer));
    // Rendered again before the first render's effects ran, as a development double render does.
    mounted.handle.update(window_props(same_probe(&props, 1), &peer));
    mounted.handle.update(window_props(same_probe(&props, 2), &peer));
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    mounted.handle.update(window_props(same_probe(&props, 3), &peer));
    tick().await;
    mounted.handle.update(window_props(same_probe(&props, 4), &peer));
    tick().await;
    assert_eq!(
        recorder.count(&Step::Handshake(HandshakeState::Knocking)),
        1,
        "one knocking"
    );
    assert_eq!(recorder.handshakes(), 1, "one handshake");
    assert_eq!(recorder.live_sessions(), 1);
    mounted.unmount().await;
    assert_eq!(recorder.live_sessions(), 0);
    assert_eq!(live(), before);
    iframe.remove();
}

#[wasm_bindgen_test]
async fn hook_use_window_session_fails_with_window_closed_when_the_window_closes() {
    let before = live();
    let (iframe, peer) = peer_window().await;
    let props = probe(PATIENT);
    let (recorder, states) = (props.recorder.clone(), props.states.clone());
    let with_window = window_props(same_probe(&props, 0), &peer);
    let opens = with_window.opens.clone();
    let mounted = mount::<Windowing>(with_window);
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    assert_eq!(opens.last(), Some(true), "the kept window is open while connected");
    // The window closes: its browsing context goes with the iframe.
    iframe.remove();
    let closed = SessionState::Failed(Error::WindowClosed);
    until(STEP, "the close noticed", || states.last() == Some(closed.clone())).await;
    assert_eq!(
        states.all(),
        vec![
            SessionState::Idle,
            SessionState::Knocking,
            SessionState::Connected,
            closed
        ]
    );
    assert_eq!(opens.last(), Some(false), "the kept window is no longer open");
    assert_eq!(recorder.count(&Step::Failed(Error::WindowClosed)), 1);
    assert_eq!(recorder.live_sessions(), 0, "the session ended with the window");
    mounted.unmount().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn hook_use_window_session_state_goes_knocking_then_connected_again_when_the_window_reloads() {
    let before = live();
    let (iframe, peer) = peer_window().await;
    let props = probe(PATIENT);
    let (recorder, states, interrupts) = (props.recorder.clone(), props.states.clone(), props.interrupts.clone());
    let mounted = mount::<Windowing>(window_props(same_probe(&props, 0), &peer));
    until(STEP, "connected", || states.last() == Some(SessionState::Connected)).await;
    until(STEP, "the first page's interrupt", || interrupts.len() == 1).await;
    // The window reloads: the new page listens afresh and answers one of the background knocks.
    iframe.set_attribute("srcdoc", &listener_page()).unwrap();
    until(STEP, "knocking again", || states.len() >= 4).await;
    until(STEP, "connected again", || {
        states.last() == Some(SessionState::Connected)
    })
    .await;
    assert_eq!(
        states.all(),
        vec![
            SessionState::Idle,
            SessionState::Knocking,
            SessionState::Connected,
            SessionState::Knocking,
            SessionState::Connected
        ]
    );
    // The reloaded page is served: it got the handler's reply and its interrupt channel. The
    // first page's channel ended with its session.
    until(STEP, "the reloaded page's interrupt", || interrupts.len() == 3).await;
    assert_eq!(interrupts.all(), vec![Ok(7), Err(Error::Superseded), Ok(7)]);
    assert_eq!(
        recorder.count(&Step::Failed(Error::Superseded)),
        1,
        "the reload superseded the first session"
    );
    assert_eq!(recorder.handshakes(), 2, "a handshake per page");
    assert_eq!(recorder.live_sessions(), 1, "only the reloaded page's session is live");
    mounted.unmount().await;
    assert_eq!(recorder.live_sessions(), 0);
    assert_eq!(live(), before);
    iframe.remove();
}
