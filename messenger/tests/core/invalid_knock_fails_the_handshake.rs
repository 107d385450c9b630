//! A knock (`$type: "👋"`) that breaks the version-1 wire format — another `$version`, no
//! transferred `$responsePort`, ports it does not refer to — is a failed handshake on the listener,
//! with the typed violation: it stops listening, closes every port and reports
//! `Error::HandshakeFailed`.

use crate::support::*;

fn bad_knocks(port: End, extra: End) -> Vec<(&'static str, WireObject<Payload>, KnockCheck, Error)> {
    let knocks: Vec<(&'static str, WireObject<Payload>, Violation)> = vec![
        (
            "$version 1.5",
            WireObject {
                version: Scalar::Num(1.5),
                ..knock(port)
            },
            Violation::WrongVersion,
        ),
        (
            "$version -1",
            WireObject {
                version: Scalar::Num(-1.0),
                ..knock(port)
            },
            Violation::WrongVersion,
        ),
        (
            "$version \"1\"",
            WireObject {
                version: Scalar::Str("1".into()),
                ..knock(port)
            },
            Violation::WrongVersion,
        ),
        (
            "$version true",
            WireObject {
                version: Scalar::Bool(true),
                ..knock(port)
            },
            Violation::WrongVersion,
        ),
        (
            "no $version",
            WireObject {
                version: Scalar::Absent,
                ..knock(port)
            },
            Violation::WrongVersion,
        ),
        (
            "no port",
            WireObject {
                response_port: PortField::Absent,
                ..knock(port)
            },
            Violation::MissingResponsePort,
        ),
        (
            "$responsePort not a port",
            WireObject {
                response_port: PortField::NotAPort,
                stray_ports: vec![port.wire()],
                ..knock(extra)
            },
            Violation::MissingResponsePort,
        ),
        (
            "a stray port",
            WireObject {
                stray_ports: vec![extra.wire()],
                ..knock(port)
            },
            Violation::ExtraPorts,
        ),
        (
            "an interrupt port",
            WireObject {
                interrupt_port: PortField::Port(extra.wire()),
                ..knock(port)
            },
            Violation::ExtraPorts,
        ),
    ];
    let mut cases: Vec<_> = knocks
        .into_iter()
        .map(|(name, wire, violation)| {
            (
                name,
                wire,
                KnockCheck::Invalid(violation),
                Error::HandshakeFailed(violation),
            )
        })
        .collect();
    // Before issue 23 these were `HandshakeFailed(WrongVersion)` too; a whole number other than
    // 1 is now a peer of another version, named in the error (and told with a close notice:
    // `lifecycle_version_skew`). The knock still counts as invalid.
    for (name, theirs) in [("$version 0", 0), ("$version 2", 2)] {
        cases.push((
            name,
            WireObject {
                version: Scalar::Num(f64::from(theirs)),
                ..knock(port)
            },
            KnockCheck::Invalid(Violation::WrongVersion),
            Error::VersionMismatch { ours: 1, theirs },
        ));
    }
    cases
}

#[test]
fn invalid_knock_fails_the_handshake() {
    let count = bad_knocks(End(0), End(0)).len();
    for case in 0..count {
        let mut pair = Pair::new(steady());
        // The knocker's own knock is lost: the listener's page loads just after it.
        pair.listener_up = false;
        pair.drive();
        pair.listener_up = true;

        let (_, port) = pair.outsider_channel();
        let (_, extra) = pair.outsider_channel();
        let (name, bad, check, error) = bad_knocks(port, extra).swap_remove(case);
        pair.post_window(Data::Wire(bad));
        pair.drive();

        assert_eq!(pair.knock_checks, [check], "{name}");
        assert_eq!(pair.listener.events, [Event::Closed(error.clone())], "{name}");
        assert_closed_cleanly(&pair, Side::Listener, &error);
        assert_eq!(pair.listener.stop_listening_count(), 1, "{name}");
        assert!(
            pair.listener
                .observations
                .iter()
                .any(|o| o.step == Step::Failed(error.clone())),
            "{name}"
        );

        // The knocker is not told (nothing was answered) and goes on knocking into the void.
        assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Knocking, "{name}");
        pair.advance(steady().knock_interval);
        assert_eq!(pair.knock_checks.len(), 1, "{name}: later knocks are not even heard");
    }
}

#[test]
fn invalid_knock_after_a_valid_one_is_not_heard() {
    // The first acceptable knock ends listening: a bad one queued behind it changes nothing.
    let mut pair = Pair::new(steady());
    let (_, port) = pair.outsider_channel();
    pair.post_window(Data::Wire(WireObject {
        version: Scalar::Num(2.0),
        ..knock(port)
    }));
    pair.auto_acknowledge = true;
    pair.drive();
    assert_eq!(pair.knock_checks.len(), 1);
    assert!(matches!(pair.knock_checks[0], KnockCheck::Valid(_)));
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.dropped.len(), 1, "the bad knock vanished with its port");
}
