//! Issue 23, case 4, the core's part: what the core does when the web layer drops a waiter
//! (`web/driver/perform.rs`, `dispatch`). A reply nobody waits for any more keeps the turn and
//! the session goes on (an interrupt port that rode along is released); an interrupt receiver
//! dropped with interrupts waiting ends that channel only; a handshake future dropped midway ends
//! the session and tells the peer where a channel exists, and where none does the peer's handshake
//! timeout ends it; a handler dropped while its side holds the turn tells the waiting peer.

use crate::support::*;

#[test]
fn lifecycle_a_reply_nobody_waits_for_keeps_the_turn() {
    // The listener's send 1 is dropped before its reply (its future is gone; the web layer
    // drops the reply it is handed). Send 3 was queued behind it.
    let mut pair = Pair::connected(timing());
    let dropped = pair.send(Side::Listener, 1);
    let next = pair.send(Side::Listener, 3);
    pair.drive();
    pair.send(Side::Knocker, 2);
    pair.step(); // the reply arrives, and nobody takes it
    assert_eq!(pair.listener.replies(), [(Waiter::Send(dropped), 2)]);
    assert!(pair.listener.core.closed_with().is_none());
    // The turn it gave is used at once by the next send, FIFO.
    assert!(!pair.listener.core.is_our_turn(), "send 3 went out on the kept turn");
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
    pair.send(Side::Knocker, 4);
    pair.drive();
    assert_eq!(
        pair.listener.replies(),
        [(Waiter::Send(dropped), 2), (Waiter::Send(next), 4)]
    );
    assert!(pair.listener.failures().is_empty());
}

#[test]
fn lifecycle_an_interrupt_port_with_an_unwanted_reply_is_released() {
    // The reply to a dropped send carries an interrupt port: the web layer releases it at once
    // (`release_interrupt`). The port closes, the observer sees the channel closed, and the
    // session goes on. The peer is not told (browsers fire no close event): its channel stays
    // open until it closes it or its session ends.
    let mut pair = Pair::connected(timing());
    pair.send(Side::Listener, 1);
    pair.drive();
    let offered = pair.send_with_interrupt(Side::Knocker, 2, InterruptKind::MultiUse);
    pair.drive();
    let channel = pair.knocker.interrupt_channels[&offered];
    let [held] = pair.listener.held_interrupts()[..] else {
        panic!("the interrupt port arrived")
    };
    pair.release_interrupt(Side::Listener, held.port);
    assert!(!pair.is_open(Side::Listener, held.port));
    assert!(pair
        .listener
        .observations
        .iter()
        .any(|o| o.step == Step::InterruptClosed { channel: held.port }));
    assert_eq!(pair.emit(Side::Listener, held.port, 9), Err(Error::InterruptSpent));
    assert!(pair.is_open(Side::Knocker, channel), "the peer is not told");

    pair.send(Side::Listener, 3);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
    assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
    pair.close(Side::Knocker);
    assert_eq!(pair.knocker.interrupt_endings(channel), [Some(Error::Closed)]);
}

#[test]
fn lifecycle_an_interrupt_channel_closed_with_interrupts_waiting_ends_alone() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    for i in 0..5 {
        pair.emit(Side::Listener, port, 100 + i).unwrap();
    }
    // Two arrive and wait in the receiver, untaken; then the receiver is dropped, which the
    // web layer sees at the next interrupt and answers with `close_interrupt`.
    pair.step();
    pair.step();
    assert_eq!(pair.knocker.interrupts_on(channel), [100, 101]);
    pair.close_interrupt(Side::Knocker, channel);
    assert_eq!(pair.knocker.interrupt_endings(channel), [Some(Error::Closed)]);
    assert!(!pair.is_open(Side::Knocker, channel));
    // The three still in flight vanish at the closed port; one the web layer had already taken
    // from the port is ignored by the core.
    pair.drive();
    assert_eq!(pair.dropped.len(), 3);
    let now = pair.now;
    pair.knocker.core.handle_interrupt(channel, 200, 0, now);
    pair.pump();
    assert_eq!(pair.knocker.interrupts_on(channel), [100, 101]);
    assert!(pair.knocker.observations.iter().any(|o| o.step
        == Step::Ignored {
            reason: IgnoreReason::ClosedInterruptChannel
        }));
    // Only that channel ended: the session and its turns go on.
    assert_eq!(pair.knocker.interrupt_endings(channel).len(), 1);
    pair.send(Side::Listener, 3);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
    assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
}

#[test]
fn lifecycle_a_dropped_answer_tells_the_listener_at_once() {
    // The knocker's `knock` resolved (answered) and the `Answered` was dropped without
    // acknowledging: the web layer closes the session, and the listener, which waits for 👂, is
    // told at once instead of at its handshake timeout.
    let mut pair = Pair::new(steady());
    pair.drive();
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    pair.send(Side::Listener, 1);
    pair.close(Side::Knocker);
    pair.drive();
    assert_eq!(pair.now, Instant::default());
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
    let told = Error::PeerClosed(CloseReason::Closed);
    assert_closed_cleanly(&pair, Side::Listener, &told);
    assert_eq!(
        pair.listener.failures(),
        [(Waiter::Send(SendId::from_raw(1)), told, Some(1))]
    );
}

#[test]
fn lifecycle_a_knocker_that_never_acknowledges_times_out_the_handshake() {
    let handshake = steady().handshake_timeout;
    let shorter = Timing {
        handshake_timeout: handshake / 2,
        ..steady()
    };
    // Equal timeouts: both handshakes end at the timeout, each with its own stage; the notices
    // cross and vanish.
    let mut pair = Pair::new(steady());
    pair.drive();
    pair.advance(handshake - ms(1));
    assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
    pair.advance(ms(1));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Handshake));
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));

    // The knocker's is shorter: the listener is told when it gives up.
    let mut pair = Pair::with_timings(shorter, steady());
    pair.drive();
    pair.advance(handshake / 2);
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Handshake));
    assert_closed_cleanly(&pair, Side::Listener, &Error::PeerClosed(CloseReason::TimedOut));

    // The listener's is shorter: the answered knocker is told, and cannot acknowledge.
    let mut pair = Pair::with_timings(steady(), shorter);
    pair.drive();
    pair.advance(handshake / 2);
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
    let told = Error::PeerClosed(CloseReason::TimedOut);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    assert_eq!(pair.acknowledge(), Err(told));
}

#[test]
fn lifecycle_a_listener_closed_mid_handshake_tells_the_knocker() {
    // The `listen` future is dropped after the listener answered (AwaitingAcknowledgement).
    let mut pair = Pair::new(timing());
    pair.drive();
    pair.send(Side::Knocker, 5);
    pair.close(Side::Listener);
    pair.drive();
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
    let told = Error::PeerClosed(CloseReason::Closed);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    assert_eq!(pair.acknowledge(), Err(told.clone()));
    assert_eq!(
        pair.knocker.failures(),
        [(Waiter::Send(SendId::from_raw(1)), told, Some(5))]
    );
}

#[test]
fn lifecycle_a_listener_closed_while_the_acknowledgement_is_on_its_way_is_heard_at_once() {
    // The knocker acknowledged in the same moment: its 👂 went out on the port the notice was
    // posted to, which it keeps open and watched (spent) until the first message, so the notice
    // reaches it and it ends at once with the listener's reason, its wait for the first message
    // failing with it. The 👂 arrives at the listener's closed port and vanishes.
    let mut pair = Pair::new(timing());
    pair.auto_acknowledge = true;
    pair.step(); // the knock; the listener answers
    pair.step(); // 🤝: the knocker acknowledges at once
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.spent_ports(Side::Knocker).len(), 1, "the port 👂 went out on");
    let at_close = pair.now;
    pair.close(Side::Listener);
    pair.drive();
    assert_eq!(pair.now, at_close, "no timer involved");
    let told = Error::PeerClosed(CloseReason::Closed);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    assert_eq!(pair.knocker.failures(), [(Waiter::FirstMessage, told, None)]);
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
    assert_eq!(pair.dropped.len(), 1, "the 👂, at the listener's closed port");
}

#[test]
fn lifecycle_a_version_1_listener_closed_while_the_acknowledgement_is_on_its_way() {
    // With a version-1 peer on either side no notice flows and no spent port is kept: the
    // knocker, connected, learns of the end by its wait for the first message, which the reply
    // timeout bounds.
    for v1 in Side::BOTH {
        let mut pair = Pair::with_v1_peer(timing(), v1);
        pair.auto_acknowledge = true;
        pair.step(); // the knock; the listener answers
        pair.step(); // 🤝: the knocker acknowledges at once
        assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
        assert_eq!(pair.spent_ports(Side::Knocker), [], "version-1 {v1:?}");
        pair.close(Side::Listener);
        pair.drive();
        assert!(pair.knocker.core.closed_with().is_none(), "version-1 {v1:?}");
        pair.advance(timing().reply_timeout.unwrap());
        assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Reply));
        assert_eq!(
            pair.knocker.failures()[0],
            (Waiter::FirstMessage, Error::TimedOut(Stage::Reply), None)
        );
    }
}

#[test]
fn lifecycle_a_knock_dropped_after_the_listener_answered_ends_at_its_handshake_timeout() {
    // The `knock` future is dropped while knocking, its knock already taken: no channel leads to
    // the listener yet (its 🤝 goes to a closed knock port), so nobody can tell it; it waits for
    // 👂 until its handshake timeout, not longer.
    let mut pair = Pair::new(timing());
    pair.step(); // the knock reaches the listener, which answers
    pair.close(Side::Knocker);
    pair.drive();
    assert_eq!(pair.knocker.notices_posted(), []);
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    pair.advance(timing().handshake_timeout);
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
    assert_eq!(pair.now - Instant::default(), timing().handshake_timeout);
}

#[test]
fn lifecycle_a_handler_dropped_mid_turn_tells_the_waiting_peer() {
    // The host serves: the remote's request 1 (with an interrupt channel it listens on) is in
    // the host's handler when the `Serving` is dropped, and the host's messenger closes while it
    // holds the turn. The remote is told on the port its reply was due on.
    let mut pair = Pair::connected(timing());
    let request = pair.send_with_interrupt(Side::Listener, 1, InterruptKind::MultiUse);
    pair.drive();
    let channel = pair.listener.interrupt_channels[&request];
    assert!(pair.knocker.core.is_our_turn());
    pair.close(Side::Knocker);
    pair.drive();
    let told = Error::PeerClosed(CloseReason::Closed);
    assert_closed_cleanly(&pair, Side::Listener, &told);
    assert_eq!(pair.listener.failures(), [(Waiter::Send(request), told.clone(), None)]);
    assert_eq!(pair.listener.interrupt_endings(channel), [Some(told)]);
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
}
