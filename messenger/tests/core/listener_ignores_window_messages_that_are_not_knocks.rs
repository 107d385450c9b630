//! The listener's temporary window listener hears every same-origin script on the page. Anything
//! that is not a knock (`$type: "👋"`) is somebody else's message: it is ignored by rule, the
//! ports it carried are closed, and listening goes on until a real knock arrives.
//!
//! A message with another `$type` is therefore ignored too rather than failing the handshake: on
//! the window, a wrong `$type` means "not for us". (A wrong `$type` on the knock's *port*, where
//! only a `🤝` may come, does fail: see `invalid_answer_fails_the_handshake`.)

use crate::support::*;

/// A pair whose first knock was lost (the listener's page had not loaded), so the test can put
/// other window messages ahead of the next knock.
fn listener_not_knocked_yet() -> Pair {
    let mut pair = Pair::new(steady());
    pair.listener_up = false;
    pair.drive();
    pair.listener_up = true;
    pair
}

#[test]
fn listener_ignores_window_messages_that_are_not_knocks() {
    let mut pair = listener_not_knocked_yet();
    let mut strangers = Vec::new();
    let mut with_port = |pair: &mut Pair, build: fn(End) -> WireObject<Payload>| {
        let (kept, given) = pair.outsider_channel();
        strangers.push(kept);
        Data::Wire(build(given))
    };
    let not_knocks = [
        Data::Value(7),
        Data::Undeserializable,
        Data::Wire(WireObject::default()),
        with_port(&mut pair, listen),
        with_port(&mut pair, acknowledgement),
        with_port(&mut pair, |p| message(1, p)),
        with_port(&mut pair, |p| WireObject {
            kind: Scalar::Num(1.0),
            ..knock(p)
        }),
        with_port(&mut pair, |p| WireObject {
            kind: Scalar::Str("👋 ".into()),
            ..knock(p)
        }),
        with_port(&mut pair, |p| WireObject {
            is_object: false,
            ..knock(p)
        }),
    ];
    let count = not_knocks.len();
    for data in not_knocks {
        pair.post_window(data);
    }
    pair.drive();

    assert_eq!(
        pair.knock_checks.len(),
        count - 1,
        "the undeserialisable one is only noted"
    );
    assert!(
        pair.knock_checks.iter().all(|c| *c == KnockCheck::NotAKnock),
        "{:?}",
        pair.knock_checks
    );
    let ignored = pair
        .listener
        .observations
        .iter()
        .filter(|o| matches!(o.step, Step::Ignored { .. }))
        .count();
    assert_eq!(ignored, count);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Listening);
    assert!(pair.listener.window_listening);
    assert!(pair.listener.events.is_empty());
    assert_eq!(pair.listener.open_ports(), [], "every port that came along was closed");
    assert_eq!(pair.listener.closed_ports().len(), 6);

    // The next knock is accepted as if nothing had happened.
    pair.auto_acknowledge = true;
    pair.advance(steady().knock_interval);
    assert_eq!(
        pair.knock_checks.last().map(|c| matches!(c, KnockCheck::Valid(_))),
        Some(true)
    );
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
}

#[test]
fn messages_the_web_layer_refused_are_only_observed() {
    // Wrong origin, wrong source and untrusted events are refused by the gate unread; the core
    // records them for the observer, which changes nothing else.
    let mut pair = listener_not_knocked_yet();
    let wrong_origin = gate::Sender {
        origin: Some("http://localhost:8081"),
        ..EXPECTED_SENDER
    };
    let admission = gate::admit(&wrong_origin, &listener_origin(), || -> WireObject<Payload> {
        unreachable!("a refused sender's data is not read")
    });
    pair.listener.core.handle_knock(admission, pair.now);
    pair.pump();
    assert_eq!(
        pair.listener.observations.last().map(|o| &o.step),
        Some(&Step::Ignored {
            reason: IgnoreReason::WrongOrigin
        })
    );
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Listening);
    assert!(pair.listener.performed.is_empty() && pair.listener.events.is_empty());
}
