//! Issue 23, case 5 (the wire part): a knock or 🤝 whose `$version` is a whole number other than 1
//! ends the handshake at that input with `Error::VersionMismatch { ours: 1, theirs }`, and is
//! answered, whatever it announced, with a close notice `$reason: "version"`, `$version: 1` on its
//! `$responsePort`, so the peer fails as fast; a knocker that gets such a notice on a knock port
//! ends with `VersionMismatch { ours: 1, theirs: <the notice's $version> }`. Older (0) and newer
//! (2) peers alike, in both orders. A missing or non-integer `$version` is still
//! `HandshakeFailed(WrongVersion)`, answered with nothing.

use crate::support::*;

const OTHER_VERSIONS: [u32; 3] = [0, 2, 7];

/// A knocker whose own knock to the listener was lost (its page loaded just after): the
/// listener still listens, the knocker knocks on.
fn listener_listening() -> Pair {
    let mut pair = Pair::new(steady());
    pair.listener_up = false;
    pair.drive();
    pair.listener_up = true;
    pair
}

/// A knocker whose knock on target 1 reached a stranger (the listener, target 0, has not
/// loaded): returns the pair and the knock's port, which the stranger holds.
fn knock_at_a_stranger() -> (Pair, End) {
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
    pair.outsider_inbox.clear();
    (pair, End(port.raw() as usize))
}

/// The version notice as it must arrive: `{ $type: "🚪", $version: 1, $reason: "version" }`.
fn version_notice_from_us() -> Data {
    let notice = WireObject::close_notice(VERSION_REASON);
    assert_eq!(notice.version, Scalar::Num(1.0));
    assert_eq!(notice.kind, Scalar::Str(CLOSE.into()));
    assert_eq!(notice.response_port, PortField::Absent);
    Data::Wire(notice)
}

/// What a listener of version `theirs` (of this implementation's kind) answers a version-1
/// knock with.
fn version_notice_from(theirs: u32) -> WireObject<Payload> {
    WireObject {
        version: Scalar::Num(f64::from(theirs)),
        ..WireObject::close_notice(VERSION_REASON)
    }
}

#[test]
fn lifecycle_a_knock_of_another_version_is_refused_with_a_version_notice() {
    for theirs in OTHER_VERSIONS {
        for announces in [false, true] {
            let name = format!("a version-{theirs} knock, $closeNotice {announces}");
            let mut pair = listener_listening();
            let started = pair.now;
            let (kept, given) = pair.outsider_channel();
            pair.post_window(Data::Wire(WireObject {
                version: Scalar::Num(f64::from(theirs)),
                close_notice: announces,
                ..knock(given)
            }));
            pair.drive();

            let error = Error::VersionMismatch { ours: 1, theirs };
            assert_eq!(
                pair.knock_checks,
                [KnockCheck::Invalid(Violation::WrongVersion)],
                "{name}"
            );
            assert_eq!(pair.listener.events, [Event::Closed(error.clone())], "{name}");
            assert_closed_cleanly(&pair, Side::Listener, &error);
            assert_eq!(pair.now, started, "{name}: at that input, no timer");
            // Told on the knock's own port, whatever the knock announced.
            assert_eq!(pair.listener.notices_posted().len(), 1, "{name}");
            assert_eq!(pair.listener.notices_posted()[0].1, VERSION_REASON, "{name}");
            assert_eq!(
                pair.outsider_inbox,
                [Packet {
                    to: Dest::End(kept),
                    data: version_notice_from_us()
                }],
                "{name}"
            );
            assert!(
                pair.listener
                    .observations
                    .iter()
                    .any(|o| o.step == Step::Failed(error.clone())),
                "{name}"
            );
        }
    }
}

#[test]
fn lifecycle_an_answer_of_another_version_is_refused_with_a_version_notice() {
    for theirs in OTHER_VERSIONS {
        let (mut pair, knock_port) = knock_at_a_stranger();
        let started = pair.now;
        pair.send(Side::Knocker, 1);
        let (kept, given) = pair.outsider_channel();
        pair.post_from_outsider(
            knock_port,
            Data::Wire(WireObject {
                version: Scalar::Num(f64::from(theirs)),
                ..listen(given)
            }),
        );
        pair.drive();

        let error = Error::VersionMismatch { ours: 1, theirs };
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
            "version {theirs}"
        );
        assert_closed_cleanly(&pair, Side::Knocker, &error);
        assert_eq!(pair.now, started);
        for (_, channel) in pair.knocker.knock_channels() {
            assert!(pair.knocker.closed_ports().contains(&channel), "{channel:?} closed");
        }
        assert_eq!(
            pair.outsider_inbox,
            [Packet {
                to: Dest::End(kept),
                data: version_notice_from_us()
            }],
            "told on the 🤝's port"
        );
    }
}

#[test]
fn lifecycle_a_version_notice_on_a_knock_port_ends_the_knocker() {
    // The other order: a listener of another version refuses this side's knock with its own
    // version notice on the knock's port.
    for theirs in OTHER_VERSIONS {
        let (mut pair, knock_port) = knock_at_a_stranger();
        pair.advance_undelivered(ms(400)); // more knock channels open: any of them counts
        assert!(pair.knocker.open_ports().len() > 2);
        pair.send(Side::Knocker, 1);
        pair.post_from_outsider(knock_port, Data::Wire(version_notice_from(theirs)));
        let started = pair.now;
        pair.drive();
        let error = Error::VersionMismatch { ours: 1, theirs };
        assert_closed_cleanly(&pair, Side::Knocker, &error);
        assert_eq!(pair.now, started, "at that input, not at the handshake timeout");
        assert_eq!(
            pair.knocker.failures(),
            [(Waiter::Send(SendId::from_raw(1)), error.clone(), Some(1))]
        );
        assert_eq!(pair.knocker.notices_posted(), [], "nothing told back");
        assert!(
            pair.outsider_inbox.iter().all(|p| matches!(p.to, Dest::Window(_))),
            "only knocks"
        );
    }
}

#[test]
fn lifecycle_a_missing_or_fractional_version_is_still_a_handshake_failure() {
    let versions = [
        ("no $version", Scalar::Absent),
        ("$version 1.5", Scalar::Num(1.5)),
        ("$version -2", Scalar::Num(-2.0)),
        ("$version \"2\"", Scalar::Str("2".into())),
        ("$version true", Scalar::Bool(true)),
        ("$version NaN", Scalar::Num(f64::NAN)),
    ];
    for (name, version) in versions {
        // A knock: the listener fails the handshake and says nothing.
        let mut pair = listener_listening();
        let (_, given) = pair.outsider_channel();
        pair.post_window(Data::Wire(WireObject {
            version: version.clone(),
            ..knock(given)
        }));
        pair.drive();
        let error = Error::HandshakeFailed(Violation::WrongVersion);
        assert_closed_cleanly(&pair, Side::Listener, &error);
        assert_eq!(pair.listener.notices_posted(), [], "{name}");
        assert!(pair.outsider_inbox.is_empty(), "{name}");

        // A 🤝: the knocker alike.
        let (mut pair, knock_port) = knock_at_a_stranger();
        let (_, given) = pair.outsider_channel();
        pair.post_from_outsider(
            knock_port,
            Data::Wire(WireObject {
                version: version.clone(),
                ..listen(given)
            }),
        );
        pair.drive();
        assert_closed_cleanly(&pair, Side::Knocker, &error);
        assert_eq!(pair.knocker.notices_posted(), [], "{name}");

        // A "version" notice that names no usable version is a notice of an unknown reason.
        let (mut pair, knock_port) = knock_at_a_stranger();
        pair.post_from_outsider(
            knock_port,
            Data::Wire(WireObject {
                version: version.clone(),
                ..WireObject::close_notice(VERSION_REASON)
            }),
        );
        pair.drive();
        assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::Other));
    }
}

#[test]
fn lifecycle_a_version_notice_naming_version_1_is_no_mismatch() {
    // A notice that says "version" but names this side's own version cannot be a mismatch: the
    // knocker ends (the peer refused it) with a reason it does not know.
    let (mut pair, knock_port) = knock_at_a_stranger();
    pair.post_from_outsider(knock_port, Data::Wire(WireObject::close_notice(VERSION_REASON)));
    pair.drive();
    assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::Other));
}

#[test]
fn lifecycle_any_notice_on_a_knock_port_ends_the_knocking() {
    // While knocking, a knock port is the only channel there is: a listener that ends (its page
    // hidden, say) between taking the knock and answering it says so there.
    for reason in [CloseReason::Closed, CloseReason::PageHidden, CloseReason::Refused] {
        let (mut pair, knock_port) = knock_at_a_stranger();
        pair.post_from_outsider(knock_port, Data::Wire(WireObject::close_notice(reason.code())));
        pair.drive();
        assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(reason));
        assert_eq!(pair.knocker.notices_posted(), []);
    }
}

#[test]
fn lifecycle_only_an_answer_of_another_version_is_a_version_mismatch() {
    // Found by the fuzz target: any bad answer carrying a whole `$version` other than 1 was taken
    // for a listener of another version (and answered with a version notice), even one of
    // another `$type`. Only a `🤝` is; anything else on a knock port fails the handshake as it
    // did, as a knock of another `$type` is no knock at all.
    let others = [
        ("a knock", knock(End(0))),
        ("an acknowledgement", acknowledgement(End(0))),
        ("an application message", message(5, End(0))),
    ];
    for (name, other) in others {
        let (mut pair, knock_port) = knock_at_a_stranger();
        let (_, given) = pair.outsider_channel();
        pair.post_from_outsider(
            knock_port,
            Data::Wire(WireObject {
                version: Scalar::Num(2.0),
                response_port: PortField::Port(given.wire()),
                ..other
            }),
        );
        pair.drive();
        let error = Error::HandshakeFailed(Violation::WrongType);
        assert_closed_cleanly(&pair, Side::Knocker, &error);
        assert_eq!(pair.knocker.notices_posted(), [], "{name}");
    }
}
