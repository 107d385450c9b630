//! The second and third handshake steps are checked as strictly as the knock: a `🤝` answer with
//! the wrong `$type` or `$version`, without its port or with extra ones fails the knocker's
//! handshake; a bad `👂` acknowledgement fails the listener's. Both fail closed with
//! `Error::HandshakeFailed` and the typed violation; a `🤝` of another whole `$version` fails with
//! `Error::VersionMismatch` naming both (see `lifecycle_version_skew` for its close notice).

use crate::support::*;

fn bad_answers(port: End, extra: End) -> Vec<(&'static str, Data, Error)> {
    let wire = |w: WireObject<Payload>| Data::Wire(w);
    let answers: Vec<(&'static str, Data, Violation)> = vec![
        ("a knock", wire(knock(port)), Violation::WrongType),
        ("an acknowledgement", wire(acknowledgement(port)), Violation::WrongType),
        ("an application message", wire(message(5, port)), Violation::WrongType),
        (
            "$type as a number",
            wire(WireObject {
                kind: Scalar::Num(1.0),
                ..listen(port)
            }),
            Violation::WrongType,
        ),
        (
            "$version 1.5",
            wire(WireObject {
                version: Scalar::Num(1.5),
                ..listen(port)
            }),
            Violation::WrongVersion,
        ),
        (
            "no $version",
            wire(WireObject {
                version: Scalar::Absent,
                ..listen(port)
            }),
            Violation::WrongVersion,
        ),
        (
            "no port",
            wire(WireObject {
                response_port: PortField::Absent,
                ..listen(port)
            }),
            Violation::MissingResponsePort,
        ),
        (
            "a stray port",
            wire(WireObject {
                stray_ports: vec![extra.wire()],
                ..listen(port)
            }),
            Violation::ExtraPorts,
        ),
        ("not an object", Data::Value(1), Violation::NotAnObject),
        ("messageerror", Data::Undeserializable, Violation::Undeserializable),
    ];
    let mut cases: Vec<(&'static str, Data, Error)> = answers
        .into_iter()
        .map(|(name, data, violation)| (name, data, Error::HandshakeFailed(violation)))
        .collect();
    // Before issue 23 this was `HandshakeFailed(WrongVersion)` too; a whole number other than 1
    // is now a peer of another version, named in the error.
    cases.push((
        "$version 2",
        wire(WireObject {
            version: Scalar::Num(2.0),
            ..listen(port)
        }),
        Error::VersionMismatch { ours: 1, theirs: 2 },
    ));
    cases
}

/// A knocker whose knock on target 1 reached a stranger that answers; the listener (target 0)
/// has not loaded.
fn knocker_answered_by_stranger() -> (Pair, End) {
    let mut pair = Pair::with_targets(steady(), 2);
    pair.listener_up = false;
    pair.drive();
    let [Packet {
        to: Dest::Window(TargetId(1)),
        data: Data::Wire(knock),
    }] = &pair.outsider_inbox[..]
    else {
        panic!("the stranger got the knock: {:?}", pair.outsider_inbox)
    };
    let PortField::Port(port) = knock.response_port else {
        panic!("with its port")
    };
    (pair, End(port.raw() as usize))
}

#[test]
fn invalid_answer_fails_the_knockers_handshake() {
    let count = bad_answers(End(0), End(0)).len();
    for case in 0..count {
        let (mut pair, knock_port) = knocker_answered_by_stranger();
        pair.send(Side::Knocker, 1);
        let (_, port) = pair.outsider_channel();
        let (_, extra) = pair.outsider_channel();
        let (name, bad, error) = bad_answers(port, extra).swap_remove(case);
        pair.post_from_outsider(knock_port, bad);
        pair.drive();

        assert_eq!(
            pair.knocker.events,
            [
                Event::Failed {
                    waiter: Waiter::Send(SendId::from_raw(1)),
                    error: error.clone(),
                    unsent: Some(1)
                },
                Event::Closed(error.clone())
            ],
            "{name}"
        );
        // Both knock channels and every port the bad answer carried are closed.
        assert_closed_cleanly(&pair, Side::Knocker, &error);
        for (_, channel) in pair.knocker.knock_channels() {
            assert!(
                pair.knocker.closed_ports().contains(&channel),
                "{name}: {channel:?} closed"
            );
        }
    }
}

#[test]
fn bad_answer_on_any_knock_channel_fails_and_closes_them_all() {
    let (mut pair, knock_port) = knocker_answered_by_stranger();
    pair.advance_undelivered(ms(600)); // three more rounds of two knocks each
    let channels = pair.knocker.knock_channels();
    assert_eq!(channels.len(), 8);
    pair.post_from_outsider(knock_port, Data::Value(0));
    pair.drive();
    let error = Error::HandshakeFailed(Violation::NotAnObject);
    assert_closed_cleanly(&pair, Side::Knocker, &error);
    for (_, channel) in channels {
        assert!(pair.knocker.closed_ports().contains(&channel), "{channel:?} closed");
    }
}

#[test]
fn invalid_acknowledgement_fails_the_listeners_handshake() {
    let acks = |port: End, extra: End| -> Vec<(&'static str, Data, Violation)> {
        let wire = |w: WireObject<Payload>| Data::Wire(w);
        vec![
            ("an answer", wire(listen(port)), Violation::WrongType),
            ("a knock", wire(knock(port)), Violation::WrongType),
            ("an application message", wire(message(5, port)), Violation::WrongType),
            (
                "no port",
                wire(WireObject {
                    response_port: PortField::Absent,
                    ..acknowledgement(port)
                }),
                Violation::MissingResponsePort,
            ),
            (
                "a stray port",
                wire(WireObject {
                    stray_ports: vec![extra.wire()],
                    ..acknowledgement(port)
                }),
                Violation::ExtraPorts,
            ),
            (
                "an interrupt port",
                wire(WireObject {
                    interrupt_port: PortField::Port(extra.wire()),
                    ..acknowledgement(port)
                }),
                Violation::ExtraPorts,
            ),
            ("not an object", Data::Value(1), Violation::NotAnObject),
            ("messageerror", Data::Undeserializable, Violation::Undeserializable),
        ]
    };
    // A knocker that announced `$closeNotice` is told at once; a version-1 knocker is not, and
    // its acknowledgement vanishes at the listener's closed port.
    let cases = (0..acks(End(0), End(0)).len()).flat_map(|case| [(case, None), (case, Some(Side::Knocker))]);
    for (case, v1) in cases {
        let mut pair = match v1 {
            None => Pair::new(steady()),
            Some(side) => Pair::with_v1_peer(steady(), side),
        };
        pair.drive();
        assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
        pair.send(Side::Listener, 9);
        let (_, port) = pair.outsider_channel();
        let (_, extra) = pair.outsider_channel();
        let (name, bad, violation) = acks(port, extra).swap_remove(case);
        // The knocker's page posts the bad acknowledgement instead of its core's.
        let via = pair
            .reply_port(Side::Knocker)
            .expect("the knocker holds the answer's port");
        pair.forge(Side::Knocker, via, bad);
        pair.drive();

        let error = Error::HandshakeFailed(violation);
        assert_eq!(
            pair.listener.events,
            [
                Event::Failed {
                    waiter: Waiter::Send(SendId::from_raw(1)),
                    error: error.clone(),
                    unsent: Some(9)
                },
                Event::Closed(error.clone())
            ],
            "{name}"
        );
        assert_closed_cleanly(&pair, Side::Listener, &error);

        if v1.is_none() {
            // The knocker was told why, on the channel its page misused: it ends at once, and
            // its acknowledgement is refused with the peer's reason.
            let told = Error::PeerClosed(CloseReason::Refused);
            assert_eq!(pair.listener.notices_posted().len(), 1, "{name}");
            assert_closed_cleanly(&pair, Side::Knocker, &told);
            assert_eq!(pair.acknowledge(), Err(told), "{name}");
            pair.drive();
            assert_eq!(pair.listener.events.len(), 2, "{name}");
            continue;
        }
        // Nothing more is accepted: the version-1 knocker's real acknowledgement vanishes.
        assert_eq!(pair.listener.notices_posted(), [], "{name}");
        pair.acknowledge().unwrap();
        pair.drive();
        assert_eq!(pair.listener.events.len(), 2, "{name}");
        assert!(pair
            .dropped
            .iter()
            .any(|p| matches!(&p.data, Data::Wire(w) if w.check_handshake(HandshakeStep::Acknowledge).is_ok())));
    }
}

#[test]
fn acknowledgement_version_is_not_checked() {
    // The JavaScript implementation sends `$raw: true` and no `$version` on `👂`; a version-1
    // receiver ignores extra fields, so a `$version` there (of any value) is no reason to fail.
    let mut pair = Pair::new(steady());
    pair.drive();
    let (_, port) = pair.outsider_channel();
    let via = pair.reply_port(Side::Knocker).unwrap();
    pair.forge(
        Side::Knocker,
        via,
        Data::Wire(WireObject {
            version: Scalar::Num(7.0),
            ..acknowledgement(port)
        }),
    );
    pair.drive();
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.events, [Event::Connected]);
}
