//! Issue 23, case 8: a side whose session ends — closed, timed out, refusing a message, its page
//! hidden — tells a peer that announced `$closeNotice` with a close notice
//! (`{ $type: "🚪", $version: 1, $reason }`) on the current channel, whichever end it holds: in
//! its own turn on the peer's reply port (which the peer watches), in the peer's turn on its own
//! end, and alike in the handshake's Answered / AwaitingAcknowledgement. The peer ends at once with
//! `Error::PeerClosed(reason)`: every wait fails with it, every port closes, and it tells nothing
//! back. A version-1 peer (no `$closeNotice`) gets no notice; a notice anywhere but on the current
//! channel is ignored; an unknown `$reason` is `CloseReason::Other`.

use crate::support::*;

/// Where the session is when one side ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The knocker has the listener's 🤝 and has not acknowledged; the listener waits for 👂.
    Answered,
    /// Connected, the listener's turn (it speaks first); the knocker waits for the first message.
    ListenersTurn,
    /// Connected, the knocker's turn: the listener's send 1 waits for its reply.
    KnockersTurn,
}

const PHASES: [Phase; 3] = [Phase::Answered, Phase::ListenersTurn, Phase::KnockersTurn];

fn at(phase: Phase, v1: Option<Side>) -> Pair {
    let mut pair = match v1 {
        None => Pair::new(timing()),
        Some(side) => Pair::with_v1_peer(timing(), side),
    };
    pair.auto_acknowledge = phase != Phase::Answered;
    pair.drive();
    if phase == Phase::KnockersTurn {
        pair.send(Side::Listener, 1);
        pair.drive();
        assert_eq!(pair.knocker.received(), [1]);
    }
    for side in Side::BOTH {
        pair.peer_mut(side).clear_logs();
    }
    pair
}

/// Whether `side` holds the turn (or, answered, the port for 👂): it posts next.
fn holds_the_turn(phase: Phase, side: Side) -> bool {
    match phase {
        Phase::Answered | Phase::KnockersTurn => side == Side::Knocker,
        Phase::ListenersTurn => side == Side::Listener,
    }
}

/// The errors a side can end with that tell the peer, with the reason the peer hears: one or
/// more of each reason (`PageHidden` as the web layer reports `pagehide`, through `fail`).
fn telling_errors() -> Vec<(Error, CloseReason)> {
    vec![
        (Error::Closed, CloseReason::Closed),
        (Error::TimedOut(Stage::Reply), CloseReason::TimedOut),
        (Error::TimedOut(Stage::Handshake), CloseReason::TimedOut),
        (Error::ProtocolViolation(Violation::OutOfTurn), CloseReason::Refused),
        (Error::HandshakeFailed(Violation::WrongType), CloseReason::Refused),
        (Error::DecodeFailed("bad".into()), CloseReason::Refused),
        (Error::TooLarge { size: 2, limit: 1 }, CloseReason::Refused),
        (Error::PageHidden, CloseReason::PageHidden),
        // This side's own faults: nothing the peer sent was refused.
        (Error::EncodeFailed("unencodable".into()), CloseReason::Closed),
        (Error::Browser("postMessage threw".into()), CloseReason::Closed),
    ]
}

/// `side` ends with `error` (as the web layer's `fail`, or the core itself, would end it).
fn end(pair: &mut Pair, side: Side, error: Error) {
    let now = pair.now;
    pair.peer_mut(side).core.fail(error, now);
    pair.pump();
}

/// The port `side` posts a notice on: its reply port in its turn, else its end of the channel
/// whose other end is the peer's reply port.
fn current_channel(pair: &Pair, side: Side) -> PortId {
    if let Some(port) = pair.reply_port(side) {
        return port;
    }
    let theirs = pair.reply_port(side.peer()).expect("one side holds the reply port");
    let (at, port) = pair
        .counterpart(side.peer(), theirs)
        .expect("a core holds the other end");
    assert_eq!(at, side);
    port
}

#[test]
fn lifecycle_every_reason_reaches_the_peer_from_either_side_in_either_turn() {
    for phase in PHASES {
        for failing in Side::BOTH {
            for (error, reason) in telling_errors() {
                let name = format!("{phase:?}, {failing:?} ends with {error:?}");
                let mut pair = at(phase, None);
                let told = failing.peer();
                // The told side has a send queued behind the turn, if it does not hold it.
                let queued = (!holds_the_turn(phase, told)).then(|| pair.send(told, 7));
                let via = current_channel(&pair, failing);
                let (_, theirs) = pair.counterpart(failing, via).unwrap();
                assert!(pair.is_open(told, theirs), "{name}");
                if holds_the_turn(phase, failing) {
                    // Its own turn: on the `$responsePort` the peer gave it, whose other end the
                    // peer listens on for its reply anyway.
                    assert_eq!(pair.reply_port(failing), Some(via), "{name}");
                } else {
                    // The peer's turn: on its own end, whose other end the peer holds to reply
                    // on, and watches for this.
                    assert_eq!(pair.reply_port(told), Some(theirs), "{name}");
                    assert!(pair.is_watched(told, theirs), "{name}");
                }

                end(&mut pair, failing, error.clone());
                assert_eq!(pair.peer(failing).notices_posted(), [(via, reason.code())], "{name}");
                let performed = &pair.peer(failing).performed;
                let notice = performed
                    .iter()
                    .position(|a| matches!(a, Action::PostCloseNotice { .. }));
                let closed = performed.iter().position(|a| *a == Action::ClosePort(via));
                assert!(notice < closed, "{name}: the notice goes before the port closes");
                assert_eq!(
                    pair.in_flight().last().map(|p| &p.data),
                    Some(&Data::Wire(WireObject::close_notice(reason.code()))),
                    "{name}: `$type: 🚪`, `$version: 1`, `$reason`, no port"
                );
                pair.drive();

                let error_told = Error::PeerClosed(reason);
                assert_closed_cleanly(&pair, failing, &error);
                assert_closed_cleanly(&pair, told, &error_told);
                let peer = pair.peer(told);
                assert_eq!(peer.notices_posted(), [], "{name}: nothing told back");
                let failures = peer.failures();
                assert!(
                    failures.iter().all(|(_, e, _)| *e == error_told),
                    "{name}: {failures:?}"
                );
                let waiting = match (phase, told) {
                    (Phase::ListenersTurn, Side::Knocker) => Some(Waiter::FirstMessage),
                    (Phase::KnockersTurn, Side::Listener) => Some(Waiter::Send(SendId::from_raw(1))),
                    _ => None,
                };
                let expected: Vec<_> = waiting
                    .map(|w| (w, error_told.clone(), None))
                    .into_iter()
                    .chain(queued.map(|id| (Waiter::Send(id), error_told.clone(), Some(7))))
                    .collect();
                assert_eq!(failures, expected, "{name}: every wait fails with the peer's reason");
                assert!(
                    peer.observations
                        .iter()
                        .any(|o| o.step == Step::Failed(error_told.clone())),
                    "{name}: the observer sees why"
                );
                assert!(pair.in_flight().is_empty(), "{name}");
                assert!(pair.unheard.is_empty(), "{name}: the notice was listened for");
                let refused = pair.try_send(told, 8, None).map_err(|e| e.error);
                assert_eq!(refused, Err(error_told.clone()), "{name}");
                if phase == Phase::Answered && told == Side::Knocker {
                    assert_eq!(pair.acknowledge(), Err(error_told), "{name}");
                }
            }
        }
    }
}

#[test]
fn lifecycle_close_tells_the_peer_at_once_in_either_turn() {
    // `close()` (what dropping a messenger does), without a timer anywhere near.
    for phase in PHASES {
        for closing in Side::BOTH {
            let mut pair = at(phase, None);
            let at_close = pair.now;
            pair.close(closing);
            pair.drive();
            assert_eq!(pair.now, at_close);
            assert_closed_cleanly(&pair, closing, &Error::Closed);
            let told = Error::PeerClosed(CloseReason::Closed);
            assert_closed_cleanly(&pair, closing.peer(), &told);
        }
    }
}

#[test]
fn lifecycle_each_side_watches_the_reply_port_it_holds() {
    // The peer's notice in this side's turn comes on the port this side holds to reply on; it
    // listens there from the moment it holds it: 🤝's port, 👂's port, each message's. Once it
    // posted there, it keeps the port open and watched (spent) until the peer's next message
    // arrives, for a notice that crossed its own; then it closes it.
    let mut pair = Pair::new(timing());
    pair.auto_acknowledge = true;
    pair.drive();
    let [listens] = pair.knocker.watched_ports()[..] else {
        panic!("the knocker watched 🤝's port: {:?}", pair.knocker.watched_ports())
    };
    assert!(
        pair.is_spent(Side::Knocker, listens),
        "used for 👂, kept for a crossing notice"
    );
    assert_eq!(pair.spent_ports(Side::Knocker), [listens]);
    let acknowledges = pair.reply_port(Side::Listener).unwrap();
    assert_eq!(pair.listener.watched_ports(), [acknowledges]);
    assert!(pair.is_watched(Side::Listener, acknowledges));
    assert_eq!(pair.spent_ports(Side::Listener), []);
    let mut last_spent = (Side::Knocker, listens);
    for (round, side) in [Side::Listener, Side::Knocker, Side::Listener].into_iter().enumerate() {
        let posts_on = pair.reply_port(side).unwrap();
        pair.send(side, round as Payload);
        pair.drive();
        // The side that spoke keeps the port it posted on; the one it answered closed its own.
        assert_eq!(pair.spent_ports(side), [posts_on], "round {round}");
        assert_eq!(pair.spent_ports(side.peer()), [], "round {round}");
        assert_eq!(last_spent.0, side.peer(), "round {round}");
        assert!(
            !pair.is_open(last_spent.0, last_spent.1),
            "round {round}: closed on the reply"
        );
        last_spent = (side, posts_on);
        let holds = pair.reply_port(side.peer()).unwrap();
        assert_eq!(
            pair.peer(side.peer()).watched_ports().last(),
            Some(&holds),
            "round {round}"
        );
        assert!(pair.is_watched(side.peer(), holds));
    }
}

#[test]
fn lifecycle_no_notice_when_the_peer_is_gone_or_ended_it() {
    // A peer that ended the session, reloaded, or whose window or iframe is gone is not told;
    // nor is a version mismatch (it has a notice of its own, in the handshake).
    let silent = [
        Error::PeerClosed(CloseReason::Closed),
        Error::Superseded,
        Error::WindowClosed,
        Error::FrameRemoved,
        Error::VersionMismatch { ours: 1, theirs: 2 },
    ];
    for phase in PHASES {
        for failing in Side::BOTH {
            for error in silent.clone() {
                let mut pair = at(phase, None);
                end(&mut pair, failing, error.clone());
                pair.drive();
                assert_eq!(
                    pair.peer(failing).notices_posted(),
                    [],
                    "{phase:?} {failing:?} {error:?}"
                );
                assert_closed_cleanly(&pair, failing, &error);
                assert!(pair.peer(failing.peer()).core.closed_with().is_none());
            }
        }
    }
}

#[test]
fn lifecycle_no_notice_before_a_channel_exists() {
    // Knocking or listening, no port leads to the peer: there is nobody to tell.
    let mut pair = Pair::new(timing());
    pair.listener_up = false;
    pair.drive();
    pair.close(Side::Knocker);
    pair.close(Side::Listener);
    for side in Side::BOTH {
        assert_eq!(pair.peer(side).notices_posted(), [], "{side:?}");
        assert_closed_cleanly(&pair, side, &Error::Closed);
    }
}

#[test]
fn lifecycle_a_version_1_peer_gets_no_notice_and_sends_none() {
    for v1 in Side::BOTH {
        for phase in PHASES {
            for failing in Side::BOTH {
                for (error, _) in telling_errors() {
                    let name = format!("version-1 {v1:?}, {phase:?}, {failing:?} ends with {error:?}");
                    let mut pair = at(phase, Some(v1));
                    for side in Side::BOTH {
                        if let Some(port) = pair.reply_port(side) {
                            assert!(!pair.is_watched(side, port), "{name}: nothing to watch for");
                        }
                    }
                    end(&mut pair, failing, error.clone());
                    pair.drive();
                    // The harness panics if the version-1 side posts a notice or watches a port.
                    assert_eq!(pair.peer(failing).notices_posted(), [], "{name}");
                    assert_closed_cleanly(&pair, failing, &error);
                    assert!(
                        pair.peer(failing.peer()).core.closed_with().is_none(),
                        "{name}: not told"
                    );
                }
            }
        }
    }
}

#[test]
fn lifecycle_a_notice_on_a_used_or_unknown_port_is_ignored() {
    let notice = || WireObject::close_notice(CloseReason::Closed.code());
    // The knocker's turn, with a port each side used and closed on the way: the 👂 port the
    // listener posted its message on, the reply channel the knocker received it on.
    let mut pair = Pair::connected(timing());
    let [knocker_spent] = pair.spent_ports(Side::Knocker)[..] else {
        panic!("the knocker keeps the port it posted 👂 on")
    };
    pair.send(Side::Listener, 1);
    pair.drive();
    let mut used = Vec::new();
    for side in Side::BOTH {
        used.extend(pair.peer(side).closed_ports().into_iter().map(|port| (side, port)));
        pair.peer_mut(side).clear_logs();
    }
    assert!(used.len() >= 2, "{used:?}");
    // The knocker's spent port (🤝's, which it posted 👂 on) is among them: closed when the
    // listener's message came, a notice there is stale.
    assert!(used.contains(&(Side::Knocker, knocker_spent)), "{used:?}");
    for (side, port) in used {
        pair.hand_in(side, port, notice());
    }
    for side in Side::BOTH {
        pair.hand_in(side, PortId::from_raw(9_999), notice());
    }
    // A notice that carries a port (none should) is ignored too, and its port closed.
    let (_, given) = pair.outsider_channel();
    pair.hand_in(
        Side::Listener,
        PortId::from_raw(9_998),
        WireObject {
            response_port: PortField::Port(given.wire()),
            ..notice()
        },
    );
    for side in Side::BOTH {
        assert!(pair.peer(side).core.closed_with().is_none(), "{side:?}");
        assert!(pair.peer(side).events.is_empty(), "{side:?}");
    }
    // Its reply channel, and the 👂 port it posted its message on: kept watched (spent) until
    // the knocker's reply, for a notice that crossed its message.
    let spent = pair.spent_ports(Side::Listener);
    assert_eq!(spent.len(), 1, "{spent:?}");
    assert_eq!(
        pair.listener.open_ports().len(),
        2,
        "its reply channel and its spent port"
    );

    // The session goes on; the same notice on the current channel does end it.
    pair.send(Side::Knocker, 2);
    pair.drive();
    assert_eq!(pair.listener.received(), [2]);
    let current = current_channel(&pair, Side::Knocker);
    pair.hand_in(Side::Knocker, current, notice());
    assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::Closed));
}

#[test]
fn lifecycle_a_notice_on_an_old_knock_channel_or_after_the_end_is_ignored() {
    // Answered: the knock channels are closed; a notice queued on one changes nothing.
    let mut pair = Pair::new(timing());
    let knock_channel = pair.knocker.knock_channels()[0].1;
    pair.drive();
    assert!(!pair.is_open(Side::Knocker, knock_channel));
    pair.hand_in(Side::Knocker, knock_channel, WireObject::close_notice("closed"));
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    assert_eq!(pair.acknowledge(), Ok(()));

    // Closed: nothing more is heard, the first error stays.
    let mut pair = at(Phase::ListenersTurn, None);
    pair.close(Side::Knocker);
    let events = pair.knocker.events.len();
    let on = pair.knocker.closed_ports()[0];
    pair.hand_in(Side::Knocker, on, WireObject::close_notice("timeout"));
    assert_eq!(pair.knocker.events.len(), events);
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
}

#[test]
fn lifecycle_an_unknown_reason_is_other() {
    let reasons = [
        ("a code from a newer peer", Scalar::Str("moved-away".into())),
        ("an empty code", Scalar::Str(String::new())),
        ("a number", Scalar::Num(3.0)),
        ("no $reason", Scalar::Absent),
        ("\"version\" without another version", Scalar::Str("version".into())),
    ];
    for (name, reason) in reasons {
        for phase in PHASES {
            let mut pair = at(phase, None);
            // The peer's page posts the notice on its end of the current channel.
            let sender = Side::Listener;
            let via = current_channel(&pair, sender);
            let wire = WireObject {
                reason: reason.clone(),
                ..WireObject::close_notice("")
            };
            pair.forge(sender, via, Data::Wire(wire));
            pair.drive();
            let told = Error::PeerClosed(CloseReason::Other);
            assert_closed_cleanly(&pair, Side::Knocker, &told);
            assert_eq!(pair.knocker.notices_posted(), [], "{name}");
            assert!(
                pair.listener.core.closed_with().is_none(),
                "{name}: the sender's core never ended"
            );
        }
    }
}

#[test]
fn lifecycle_close_reason_codes_round_trip() {
    for reason in [
        CloseReason::Closed,
        CloseReason::TimedOut,
        CloseReason::Refused,
        CloseReason::PageHidden,
    ] {
        assert_eq!(CloseReason::from_code(reason.code()), reason);
    }
    assert_eq!(CloseReason::from_code("other"), CloseReason::Other);
    assert_eq!(CloseReason::from_code("version"), CloseReason::Other);
}

#[test]
fn lifecycle_a_notice_that_crosses_a_message_is_heard_on_the_spent_port() {
    // The knocker posts its reply in the same instant the listener gives up and posts its notice
    // on that reply port's other end. The knocker kept the port it posted on open and watched
    // (spent): the notice reaches it, and it ends at once with the listener's reason, its send
    // failing with it, instead of waiting for its reply timeout. The reply itself arrives at the
    // listener's closed port and vanishes.
    let mut pair = at(Phase::KnockersTurn, None);
    let posts_on = pair.reply_port(Side::Knocker).unwrap();
    let sent = pair.send(Side::Knocker, 2);
    assert!(pair.is_spent(Side::Knocker, posts_on));
    let at_close = pair.now;
    pair.close(Side::Listener);
    pair.drive();
    assert_eq!(pair.listener.notices_posted().len(), 1);
    assert_eq!(pair.now, at_close, "no timer involved");
    let told = Error::PeerClosed(CloseReason::Closed);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
    assert_eq!(pair.knocker.failures(), [(Waiter::Send(sent), told, None)]);
    assert_eq!(pair.knocker.notices_posted(), [], "nothing told back");
    assert_eq!(pair.dropped.len(), 1, "only the reply, at the listener's closed port");
    assert!(pair.unheard.is_empty(), "the notice was listened for");
}

#[test]
fn lifecycle_a_version_1_peer_that_goes_while_a_message_is_on_its_way_is_judged_by_the_reply_timeout() {
    // With a version-1 peer on either side nobody keeps a spent port and no notice flows: a
    // listener that ends while the knocker's reply is on its way is learnt of only by the reply
    // timeout. A bound, not a hang; with no reply timeout it would wait for ever, as for any
    // peer that vanishes without a word.
    for v1 in Side::BOTH {
        let mut pair = at(Phase::KnockersTurn, Some(v1));
        pair.send(Side::Knocker, 2);
        assert_eq!(pair.spent_ports(Side::Knocker), [], "version-1 {v1:?}: closed at once");
        pair.close(Side::Listener);
        pair.drive();
        assert_eq!(pair.listener.notices_posted(), [], "version-1 {v1:?}");
        assert!(pair.knocker.core.closed_with().is_none(), "version-1 {v1:?}");
        assert_eq!(pair.dropped.len(), 1, "version-1 {v1:?}: the reply");
        pair.advance(ms(999));
        assert!(pair.knocker.core.closed_with().is_none(), "version-1 {v1:?}");
        pair.advance(ms(1));
        assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Reply));
    }
}

#[test]
fn lifecycle_anything_but_a_notice_on_a_watched_reply_port_is_out_of_turn() {
    // Watching the reply port for a notice means hearing whatever the peer's page posts on its
    // end: anything but a notice there is a message out of turn, and fails closed (telling the
    // peer). A reply port that is not watched (a version-1 peer) hears nothing, as before.
    for v1 in [None, Some(Side::Listener)] {
        let mut pair = at(Phase::KnockersTurn, v1);
        let via = current_channel(&pair, Side::Listener);
        let (_, port) = pair.outsider_channel();
        pair.forge(Side::Listener, via, Data::Wire(message(9, port)));
        pair.drive();
        match v1 {
            None => {
                let error = Error::ProtocolViolation(Violation::OutOfTurn);
                assert_closed_cleanly(&pair, Side::Knocker, &error);
                let told = Error::PeerClosed(CloseReason::Refused);
                assert_closed_cleanly(&pair, Side::Listener, &told);
            }
            Some(_) => {
                assert_eq!(pair.unheard.len(), 1, "nobody listens there");
                assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
            }
        }
    }
}
