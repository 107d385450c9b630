//! The listener's temporary window listeners go the moment it accepts a knock (so nothing else on
//! the page can reach it through the global `postMessage`), or when it closes before that, and not
//! a moment earlier.

use crate::support::*;

#[test]
fn listener_stops_listening_exactly_when_it_accepts() {
    let mut pair = Pair::new(steady());
    pair.listener_up = false;
    pair.drive();
    pair.listener_up = true;
    pair.post_window(Data::Value(1));
    pair.drive();
    assert!(
        pair.listener.window_listening,
        "ignoring a stranger's message keeps listening"
    );
    assert_eq!(pair.listener.stop_listening_count(), 0);

    pair.advance_undelivered(steady().knock_interval);
    pair.step();
    assert!(matches!(pair.knock_checks.last(), Some(KnockCheck::Valid(_))));
    assert!(!pair.listener.window_listening);
    // StopListening comes first, before the answer is posted.
    let accepted = &pair.listener.performed;
    assert!(
        matches!(
            accepted[..],
            [
                Action::StopListening,
                Action::Post { body: Body::Listen, .. },
                Action::ClosePort(_)
            ]
        ),
        "{accepted:?}"
    );
    assert_eq!(pair.listener.stop_listening_count(), 1);

    // A knock arriving later is not even heard.
    pair.advance_undelivered(steady().knock_interval);
    let heard = pair.knock_checks.len();
    pair.auto_acknowledge = true;
    pair.drive();
    assert_eq!(pair.knock_checks.len(), heard);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.stop_listening_count(), 1);
}

#[test]
fn knock_queued_behind_the_accepted_one_is_ignored() {
    // Should a knock event queued behind the accepted one still be dispatched (the web layer
    // removes its listeners synchronously, so it should not), the core ignores it and closes its
    // port.
    let mut pair = Pair::new(steady());
    pair.advance_undelivered(steady().knock_interval);
    pair.step();
    pair.listener.window_listening = true; // pretend the listener was still there
    pair.step();
    assert_eq!(pair.knock_checks.len(), 2);
    assert_eq!(pair.knock_checks[1], KnockCheck::NotAKnock);
    assert!(pair.listener.observations.iter().any(|o| o.step
        == Step::Ignored {
            reason: IgnoreReason::AfterListening
        }));
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    assert_eq!(
        pair.listener.open_ports().len(),
        1,
        "only the reply channel; the late knock's port is closed"
    );
}

#[test]
fn listener_stops_listening_when_closed_before_any_knock() {
    let mut pair = Pair::new(steady());
    pair.close(Side::Listener);
    assert!(!pair.listener.window_listening);
    assert_eq!(pair.listener.performed, [Action::StopListening]);
    pair.drive();
    assert!(pair.knock_checks.is_empty(), "the knock found no listener");
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
}
