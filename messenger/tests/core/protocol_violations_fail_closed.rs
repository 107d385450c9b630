//! A peer that breaks the wire format or the turn-taking rules ends the session at once (it fails
//! closed): the pending wait fails with `Error::ProtocolViolation` and the typed violation, every
//! port closes, and nothing further is accepted. A peer that announced `$closeNotice` is told at
//! once (`PeerClosed(Refused)`); a version-1 peer is not, and what it posts vanishes.

use crate::support::*;

/// A connected pair in which the listener's send 1 waits for the knocker's reply; returns the port
/// the knocker would reply on.
fn listener_waiting() -> (Pair, PortId) {
    listener_waiting_with(None)
}

/// [`listener_waiting`], `v1` a version-1 peer (see `Pair::v1_peer`).
fn listener_waiting_with(v1: Option<Side>) -> (Pair, PortId) {
    let mut pair = match v1 {
        None => Pair::connected(timing()),
        Some(side) => Pair::connected_with_v1_peer(timing(), side),
    };
    pair.send(Side::Listener, 1);
    pair.send(Side::Listener, 2);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1]);
    let via = pair
        .reply_port(Side::Knocker)
        .expect("the knocker holds the reply port");
    (pair, via)
}

fn violations(port: End, extra: End) -> Vec<(&'static str, Data, Violation)> {
    let wire = |w: WireObject<Payload>| Data::Wire(w);
    vec![
        ("a handshake answer", wire(listen(port)), Violation::WrongType),
        (
            "a replayed acknowledgement",
            wire(acknowledgement(port)),
            Violation::WrongType,
        ),
        ("a knock", wire(knock(port)), Violation::WrongType),
        (
            "$type on a message",
            wire(WireObject {
                kind: Scalar::Str("x".into()),
                ..message(3, port)
            }),
            Violation::WrongType,
        ),
        (
            "no port",
            wire(WireObject {
                response_port: PortField::Absent,
                ..message(3, port)
            }),
            Violation::MissingResponsePort,
        ),
        (
            "$responsePort not a port",
            wire(WireObject {
                response_port: PortField::NotAPort,
                stray_ports: vec![port.wire()],
                ..message(3, extra)
            }),
            Violation::MissingResponsePort,
        ),
        (
            "a stray port",
            wire(WireObject {
                stray_ports: vec![extra.wire()],
                ..message(3, port)
            }),
            Violation::ExtraPorts,
        ),
        (
            "$interruptPort not a port",
            wire(WireObject {
                interrupt_port: PortField::NotAPort,
                ..message(3, port)
            }),
            Violation::MalformedInterruptPort,
        ),
        (
            "no message field",
            wire(WireObject {
                message: None,
                ..message(3, port)
            }),
            Violation::MissingMessage,
        ),
        ("not an object", Data::Value(3), Violation::NotAnObject),
        (
            "null (what Chromium delivers for a value too deep to deserialise)",
            wire(WireObject {
                is_null: true,
                ..WireObject::default()
            }),
            Violation::ArrivedNull,
        ),
        ("messageerror", Data::Undeserializable, Violation::Undeserializable),
    ]
}

#[test]
fn protocol_violations_fail_closed() {
    let cases = (0..violations(End(0), End(0)).len()).flat_map(|case| [(case, None), (case, Some(Side::Knocker))]);
    for (case, v1) in cases {
        let (mut pair, via) = listener_waiting_with(v1);
        let (_, port) = pair.outsider_channel();
        let (_, extra) = pair.outsider_channel();
        let (name, bad, violation) = violations(port, extra).swap_remove(case);
        pair.forge(Side::Knocker, via, bad);
        pair.drive();

        let error = Error::ProtocolViolation(violation);
        assert_eq!(
            pair.listener.events,
            [
                Event::Failed {
                    waiter: Waiter::Send(SendId::from_raw(1)),
                    error: error.clone(),
                    unsent: None
                },
                Event::Failed {
                    waiter: Waiter::Send(SendId::from_raw(2)),
                    error: error.clone(),
                    unsent: Some(2)
                },
                Event::Closed(error.clone()),
            ],
            "{name}"
        );
        assert_closed_cleanly(&pair, Side::Listener, &error);
        assert_nothing_further_is_accepted(&mut pair, Side::Listener, &error, name);
    }
}

#[test]
fn violation_ends_the_knockers_first_message_wait() {
    for v1 in [None, Some(Side::Listener)] {
        violation_ends_the_knockers_first_message_wait_with(v1);
    }
}

fn violation_ends_the_knockers_first_message_wait_with(v1: Option<Side>) {
    let mut pair = match v1 {
        None => Pair::connected(timing()),
        Some(side) => Pair::connected_with_v1_peer(timing(), side),
    };
    let via = pair.reply_port(Side::Listener).unwrap();
    pair.send(Side::Knocker, 5); // queued until the listener speaks
    pair.forge(Side::Listener, via, Data::Value(0));
    pair.drive();
    let error = Error::ProtocolViolation(Violation::NotAnObject);
    assert_eq!(
        pair.knocker.events,
        [
            Event::Failed {
                waiter: Waiter::FirstMessage,
                error: error.clone(),
                unsent: None
            },
            Event::Failed {
                waiter: Waiter::Send(SendId::from_raw(1)),
                error: error.clone(),
                unsent: Some(5)
            },
            Event::Closed(error.clone()),
        ]
    );
    assert_closed_cleanly(&pair, Side::Knocker, &error);
    assert_nothing_further_is_accepted(&mut pair, Side::Knocker, &error, "knocker");
}

#[test]
fn second_reply_on_a_used_port_vanishes() {
    // The listener closes its port once it has carried the reply, so of two replies posted on it
    // (the knocker's page posting behind its core's back) only the first is ever heard.
    let (mut pair, via) = listener_waiting();
    let (_, port) = pair.outsider_channel();
    pair.forge(Side::Knocker, via, message(11, port).into());
    pair.send(Side::Knocker, 10);
    pair.drive();
    assert_eq!(pair.listener.received(), [11]);
    assert_eq!(pair.dropped.len(), 1, "the second reply vanished");
    assert!(pair.listener.core.closed_with().is_none());

    // The other way round: the core's reply first, then the page's.
    let (mut pair, via) = listener_waiting();
    let (_, port) = pair.outsider_channel();
    pair.send(Side::Knocker, 10);
    pair.forge(Side::Knocker, via, message(11, port).into()); // the core closed `via`: a no-op
    pair.drive();
    assert_eq!(pair.listener.received(), [10]);
    assert!(pair.listener.core.closed_with().is_none());
}

#[test]
fn stale_message_on_a_used_port_fails_closed() {
    // Should the web layer still hand in an event that was queued before its port closed, the
    // core refuses it: the port was used. Alike on the used port the listener keeps open and
    // watched (spent) for a crossing close notice, where only a notice is welcome, and, with a
    // version-1 knocker, on the used port it closed at once.
    for v1 in [None, Some(Side::Knocker)] {
        let (mut pair, _) = listener_waiting_with(v1);
        let used = match v1 {
            None => {
                let [spent] = pair.spent_ports(Side::Listener)[..] else {
                    panic!("the listener keeps the port send 1 went out on")
                };
                spent
            }
            Some(_) => {
                assert_eq!(pair.spent_ports(Side::Listener), []);
                pair.listener.closed_ports()[0]
            }
        };
        let (_, port) = pair.outsider_channel();
        pair.hand_in(Side::Listener, used, message(3, port));
        let error = Error::ProtocolViolation(Violation::UsedPort);
        assert_eq!(
            pair.listener.events.first(),
            Some(&Event::Failed {
                waiter: Waiter::Send(SendId::from_raw(1)),
                error: error.clone(),
                unsent: None
            }),
            "version-1 {v1:?}"
        );
        assert_closed_cleanly(&pair, Side::Listener, &error);
    }
}

#[test]
fn stale_message_while_it_is_our_turn_fails_closed() {
    // The knocker has the turn; a message handed in on the knocker's last reply channel (used and
    // closed) is a used port; one on a port it holds open is a message out of turn.
    let (mut pair, via) = listener_waiting();
    let used = pair.knocker.closed_ports().last().copied().unwrap();
    let (_, port) = pair.outsider_channel();
    pair.hand_in(Side::Knocker, used, message(3, port));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::ProtocolViolation(Violation::UsedPort));

    let (mut pair, via2) = listener_waiting();
    assert_eq!(via, via2);
    let (_, port) = pair.outsider_channel();
    pair.hand_in(Side::Knocker, via, message(3, port));
    let error = Error::ProtocolViolation(Violation::OutOfTurn);
    assert!(
        !pair.knocker.events.iter().any(|e| matches!(e, Event::Failed { .. })),
        "no wait was pending"
    );
    assert_closed_cleanly(&pair, Side::Knocker, &error);
}

#[test]
fn stale_message_during_the_handshake_fails_the_handshake() {
    let mut pair = Pair::new(steady());
    pair.drive();
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    let knock_channel = pair.knocker.knock_channels()[0].1;
    let (_, port) = pair.outsider_channel();
    pair.hand_in(Side::Knocker, knock_channel, listen(port));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::HandshakeFailed(Violation::UsedPort));
}

#[test]
fn stale_message_on_an_old_knock_channel_is_ignored_while_knocking() {
    let mut pair = Pair::new(Timing {
        knocks_kept_open: 1,
        ..steady()
    });
    pair.listener_up = false;
    pair.advance(steady().knock_interval);
    let old = pair.knocker.closed_ports()[0];
    let (_, port) = pair.outsider_channel();
    pair.hand_in(Side::Knocker, old, listen(port));
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Knocking);
    assert!(pair.knocker.observations.iter().any(|o| o.step
        == Step::Ignored {
            reason: IgnoreReason::ClosedKnockPort
        }));
    assert!(!pair
        .knocker
        .open_ports()
        .iter()
        .any(|p| pair.knocker.closed_ports().contains(p)));
    assert_eq!(
        pair.knocker.open_ports().len(),
        1,
        "the port that came along was closed"
    );
}

/// After failing with `error`, `side` accepts nothing: sends and emits fail with the error (the
/// value handed back), incoming messages are refused and their ports closed, nothing is emitted.
fn assert_nothing_further_is_accepted(pair: &mut Pair, side: Side, error: &Error, name: &str) {
    let events = pair.peer(side).events.len();
    assert_eq!(
        pair.try_send(side, 77, None),
        Err(SendError {
            error: error.clone(),
            unsent: Some(77)
        }),
        "{name}"
    );
    assert_eq!(pair.emit(side, PortId::from_raw(1), 78), Err(error.clone()), "{name}");
    if side == Side::Knocker {
        assert_eq!(pair.acknowledge(), Err(error.clone()), "{name}");
    }
    match pair.v1_peer {
        None => {
            // The peer announced `$closeNotice`: it was told why, at once, on the current
            // channel, and ended (where before it found out by its own timeout).
            let told = Error::PeerClosed(CloseReason::Refused);
            assert_eq!(pair.peer(side).notices_posted().len(), 1, "{name}");
            assert_closed_cleanly(pair, side.peer(), &told);
            let refused = pair.try_send(side.peer(), 79, None).map_err(|e| e.error);
            assert_eq!(refused, Err(told), "{name}");
        }
        Some(_) => {
            // A version-1 peer is not told: its genuine reply (or message) vanishes at the
            // closed port.
            assert_eq!(pair.peer(side).notices_posted(), [], "{name}");
            pair.send(side.peer(), 79);
            pair.drive();
        }
    }
    // Even a stale message handed straight to the core is refused, its ports closed at once.
    let (_, port) = pair.outsider_channel();
    let on = pair.peer(side).closed_ports()[0];
    pair.hand_in(side, on, message(80, port));
    pair.advance(ms(60_000));
    assert_eq!(
        pair.peer(side).events.len(),
        events,
        "{name}: nothing more was reported"
    );
    assert_eq!(pair.peer(side).open_ports(), [], "{name}");
    assert_eq!(
        pair.peer(side).core.closed_with(),
        Some(error),
        "{name}: the first error stays"
    );
}
