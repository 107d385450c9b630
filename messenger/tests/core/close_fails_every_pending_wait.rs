//! Closing a messenger fails every pending send (handing back the payloads that never left) and
//! interrupt wait with `Error::Closed`, closes every port, stops listening; closing twice is
//! harmless, and later sends fail with their value handed back.

use crate::support::*;

#[test]
fn close_fails_every_pending_send_and_hands_back_the_unsent() {
    let mut pair = Pair::connected(timing());
    let posted = pair.send_with_interrupt(Side::Listener, 1, InterruptKind::MultiUse);
    let queued: Vec<SendId> = (2..5).map(|p| pair.send(Side::Listener, p)).collect();
    pair.drive();
    let channel = pair.listener.interrupt_channels[&posted];
    assert_eq!(
        pair.listener.open_ports().len(),
        3,
        "the reply channel, the interrupt channel and the spent port send 1 went out on"
    );
    assert_eq!(pair.spent_ports(Side::Listener).len(), 1);
    pair.listener.clear_logs();

    pair.close(Side::Listener);
    let closed = Error::Closed;
    let mut expected = vec![Event::Failed {
        waiter: Waiter::Send(posted),
        error: closed.clone(),
        unsent: None,
    }];
    expected.extend(queued.iter().zip(2..).map(|(id, p)| Event::Failed {
        waiter: Waiter::Send(*id),
        error: closed.clone(),
        unsent: Some(p),
    }));
    expected.push(Event::InterruptEnded {
        channel,
        error: Some(closed.clone()),
    });
    expected.push(Event::Closed(closed.clone()));
    assert_eq!(pair.listener.events, expected);
    assert_closed_cleanly(&pair, Side::Listener, &closed);
    assert!(pair
        .listener
        .observations
        .iter()
        .any(|o| o.step == Step::InterruptClosed { channel }));
}

#[test]
fn closing_twice_is_harmless() {
    let mut pair = Pair::connected(timing());
    pair.send(Side::Knocker, 1);
    pair.close(Side::Knocker);
    let (events, performed, observed) = (
        pair.knocker.events.len(),
        pair.knocker.performed.len(),
        pair.knocker.observations.len(),
    );
    pair.close(Side::Knocker);
    pair.knocker.core.fail(Error::TimedOut(Stage::Reply), pair.now);
    pair.pump();
    assert_eq!(pair.knocker.events.len(), events);
    assert_eq!(pair.knocker.performed.len(), performed);
    assert_eq!(pair.knocker.observations.len(), observed);
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
}

#[test]
fn sends_after_close_fail_with_the_value_handed_back() {
    let mut pair = Pair::connected(timing());
    pair.close(Side::Listener);
    assert_eq!(
        pair.try_send(Side::Listener, 9, None),
        Err(SendError {
            error: Error::Closed,
            unsent: Some(9)
        })
    );
    assert_eq!(
        pair.try_send(Side::Listener, 10, Some(InterruptKind::OneTime)),
        Err(SendError {
            error: Error::Closed,
            unsent: Some(10)
        })
    );
    assert_eq!(pair.listener.core.queued_sends(), 0);
    // Only the close notice to the peer (which announced `$closeNotice`) is in flight: the
    // refused sends posted nothing.
    assert_eq!(pair.in_flight().len(), 1);
    assert_eq!(pair.in_flight()[0].data, Data::Wire(WireObject::close_notice("closed")));
}

#[test]
fn closing_while_knocking_closes_every_knock_channel_and_fails_queued_sends() {
    let mut pair = Pair::with_targets(steady(), 3);
    pair.listener_up = false;
    pair.send(Side::Knocker, 1);
    pair.advance(ms(400));
    assert_eq!(pair.knocker.open_ports().len(), 9);
    pair.close(Side::Knocker);
    assert_eq!(
        pair.knocker.events,
        [
            Event::Failed {
                waiter: Waiter::Send(SendId::from_raw(1)),
                error: Error::Closed,
                unsent: Some(1)
            },
            Event::Closed(Error::Closed)
        ]
    );
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
    pair.advance(ms(1_000));
    assert_eq!(pair.knocker.knock_channels().len(), 9, "no knocking after close");
}

#[test]
fn closing_while_answered_fails_the_acknowledgement() {
    let mut pair = Pair::new(steady());
    pair.drive();
    pair.close(Side::Knocker);
    assert_eq!(pair.acknowledge(), Err(Error::Closed));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::Closed);
}

#[test]
fn closing_the_listener_stops_listening_and_ends_the_handshake() {
    let mut pair = Pair::new(steady());
    pair.step();
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    pair.close(Side::Listener);
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
    // The answer is already on its way; the knocker acknowledges into a closed port, then hears
    // the listener's close notice, which crossed its 👂, on the port it posted 👂 on and kept
    // watched.
    pair.auto_acknowledge = true;
    pair.drive();
    assert!(matches!(
        pair.knocker.messages_observed().last(),
        Some(&(Direction::Outgoing, MessageKind::Acknowledge, _))
    ));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::Closed));
    assert_eq!(pair.listener.events, [Event::Closed(Error::Closed)]);
}

#[test]
fn peer_learns_of_a_close_only_by_its_reply_timeout_when_either_is_version_1() {
    // A version-1 peer neither announces nor sends close notices (and browsers fire no port
    // `close` event), so with one on either side the close is learnt only by the reply timeout.
    // Between two sides that both announce `$closeNotice` the peer learns at once: see
    // `lifecycle_close_notices`.
    for v1 in Side::BOTH {
        let mut pair = Pair::connected_with_v1_peer(timing(), v1);
        pair.send(Side::Listener, 1);
        pair.drive();
        pair.close(Side::Knocker);
        pair.drive();
        assert_eq!(pair.knocker.notices_posted(), [], "version-1 {v1:?}: no notice");
        assert!(pair.listener.events.is_empty(), "version-1 {v1:?}");
        pair.advance(ms(999));
        assert!(pair.listener.events.is_empty(), "version-1 {v1:?}");
        pair.advance(ms(1));
        assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Reply));
    }
}
