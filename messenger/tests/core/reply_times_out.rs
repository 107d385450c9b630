//! In a half-duplex conversation a missing reply means the peer is gone (a reloaded or dead page,
//! or a version-1 peer, sends no notice): the side waiting for longer than `reply_timeout` fails
//! with `Error::TimedOut(Stage::Reply)`, and tells a peer that announced `$closeNotice`, which
//! ends at once with `PeerClosed(TimedOut)`. The timer runs only while this side waits.

use crate::support::*;

#[test]
fn reply_times_out_when_the_peer_never_answers() {
    for v1 in [None, Some(Side::Knocker), Some(Side::Listener)] {
        reply_times_out_when_the_peer_never_answers_with(v1);
    }
}

fn reply_times_out_when_the_peer_never_answers_with(v1: Option<Side>) {
    let mut pair = match v1 {
        None => Pair::connected(timing()),
        Some(side) => Pair::connected_with_v1_peer(timing(), side),
    };
    let sent_at = pair.now;
    let id = pair.send(Side::Listener, 1);
    pair.send(Side::Listener, 2);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1]);
    pair.advance(ms(999));
    assert!(pair.listener.events.is_empty());

    pair.advance(ms(1));
    let error = Error::TimedOut(Stage::Reply);
    assert_eq!(
        pair.listener.events,
        [
            Event::Failed {
                waiter: Waiter::Send(id),
                error: error.clone(),
                unsent: None
            },
            Event::Failed {
                waiter: Waiter::Send(SendId::from_raw(2)),
                error: error.clone(),
                unsent: Some(2)
            },
            Event::Closed(error.clone()),
        ]
    );
    assert_eq!(pair.now, sent_at + ms(1_000));
    assert_closed_cleanly(&pair, Side::Listener, &error);
    if v1.is_none() {
        // The knocker holds the turn, so it has no timer; it is told at once, on the reply
        // port it holds (and watches), and its next send fails with the peer's reason.
        let told = Error::PeerClosed(CloseReason::TimedOut);
        assert_eq!(pair.listener.notices_posted().len(), 1);
        assert_closed_cleanly(&pair, Side::Knocker, &told);
        let refused = pair.try_send(Side::Knocker, 3, None).map_err(|e| e.error);
        assert_eq!(refused, Err(told));
        return;
    }
    // With a version-1 peer on either side no notice is sent: the knocker holds the turn, so
    // it has no timer and does not know yet.
    assert_eq!(pair.listener.notices_posted(), []);
    assert!(pair.knocker.core.closed_with().is_none());
    assert_eq!(pair.knocker.core.poll_timeout(), None);
    // Its reply goes nowhere; its own wait for an answer then times out in turn.
    pair.send(Side::Knocker, 3);
    pair.advance(ms(1_000));
    assert_closed_cleanly(&pair, Side::Knocker, &error);
}

#[test]
fn reply_timer_restarts_with_every_message() {
    let mut pair = Pair::connected(timing());
    pair.send(Side::Listener, 1);
    pair.drive();
    pair.advance(ms(900));
    pair.send(Side::Knocker, 2); // the reply, 900 ms later; now the knocker waits
    pair.drive();
    assert_eq!(pair.listener.received(), [2]);
    let reply = pair.listener.observations.iter().find_map(|o| match o.step {
        Step::Message {
            direction: Direction::Incoming,
            reply_after,
            ..
        } => Some(reply_after),
        _ => None,
    });
    assert_eq!(reply, Some(Some(ms(900))));
    assert_eq!(
        pair.listener.core.poll_timeout(),
        None,
        "the listener's timer stopped with the reply"
    );

    pair.advance(ms(999));
    assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
    pair.advance(ms(1));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Reply));
    // The listener held the turn, without a timer of its own: it is told at that instant
    // (before close notices it went on until its next send timed out).
    assert_closed_cleanly(&pair, Side::Listener, &Error::PeerClosed(CloseReason::TimedOut));
}

#[test]
fn knockers_wait_for_the_first_message_times_out() {
    let mut pair = Pair::connected(timing());
    pair.send(Side::Knocker, 5);
    pair.advance(ms(1_000));
    let error = Error::TimedOut(Stage::Reply);
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
}

#[test]
fn without_a_reply_timeout_a_wait_lasts_for_ever() {
    let mut pair = Pair::connected(Timing {
        reply_timeout: None,
        ..steady()
    });
    pair.send(Side::Listener, 1);
    pair.drive();
    assert_eq!(pair.listener.core.poll_timeout(), None);
    pair.advance(ms(24 * 3_600_000));
    assert!(pair.listener.events.is_empty());
    pair.send(Side::Knocker, 2);
    pair.drive();
    assert_eq!(pair.listener.received(), [2]);
}
