//! The handshake as a whole must complete within `handshake_timeout` of each side's creation;
//! a peer that never loads, never answers or never acknowledges is detected only this way.

use crate::support::*;

const TIMEOUT: u64 = 2_000;

fn short() -> Timing {
    Timing {
        handshake_timeout: ms(TIMEOUT),
        ..timing()
    }
}

#[test]
fn handshake_times_out_when_listener_never_answers() {
    let mut pair = Pair::new(short());
    pair.listener_up = false;
    pair.send(Side::Knocker, 1);
    pair.advance(ms(TIMEOUT - 1));
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Knocking);
    assert!(pair.knocker.events.is_empty());

    pair.advance(ms(1));
    let error = Error::TimedOut(Stage::Handshake);
    assert_eq!(
        pair.knocker.events,
        [
            Event::Failed {
                waiter: Waiter::Send(SendId::from_raw(1)),
                error: error.clone(),
                unsent: Some(1)
            },
            Event::Closed(error.clone())
        ]
    );
    assert_closed_cleanly(&pair, Side::Knocker, &error);
    let failed_at = pair
        .knocker
        .observations
        .iter()
        .find(|o| o.step == Step::Failed(error.clone()))
        .map(|o| o.at);
    assert_eq!(
        failed_at,
        Some(Instant::default() + ms(TIMEOUT)),
        "it fails exactly at the deadline"
    );
    let knocks = pair.knocker.knock_channels().len();
    pair.advance(ms(10_000));
    assert_eq!(pair.knocker.knock_channels().len(), knocks, "no knocking after the end");
}

#[test]
fn handshake_times_out_when_no_knock_arrives() {
    let mut pair = Pair::new(short());
    // The knocker's one knock goes astray, and it gives up.
    pair.lose(0);
    pair.close(Side::Knocker);
    pair.advance(ms(TIMEOUT - 1));
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Listening);
    pair.advance(ms(1));
    let error = Error::TimedOut(Stage::Handshake);
    assert_closed_cleanly(&pair, Side::Listener, &error);
    assert_eq!(pair.listener.events, [Event::Closed(error)]);
}

#[test]
fn handshake_times_out_when_the_acknowledgement_never_comes() {
    let mut pair = Pair::new(short());
    pair.drive(); // answered, but the knocker's application never acknowledges
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    pair.advance(ms(TIMEOUT));
    // The listener did answer: what it missed is the acknowledgement, and it says so.
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
    // The knocker's application never acknowledged either: its handshake timer, still running
    // after the answer, ends it too instead of leaving it waiting for ever.
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Handshake));
    assert_eq!(pair.acknowledge(), Err(Error::TimedOut(Stage::Handshake)));
}

#[test]
fn handshake_times_out_when_the_acknowledgement_is_lost() {
    let mut pair = Pair::new(short());
    pair.auto_acknowledge = true;
    pair.step(); // the knock
    pair.step(); // the answer, acknowledged at once
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    let acknowledged_at = pair.now;
    // The listener's page navigates away: the acknowledgement never arrives.
    pair.lose(0);
    pair.advance(ms(TIMEOUT));
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
    // The knocker waits for the listener's first message, and gives up after the reply timeout.
    let error = Error::TimedOut(Stage::Reply);
    assert_closed_cleanly(&pair, Side::Knocker, &error);
    let failed_at = pair
        .knocker
        .observations
        .iter()
        .find(|o| o.step == Step::Failed(error.clone()))
        .map(|o| o.at);
    assert_eq!(failed_at, Some(acknowledged_at + ms(1_000)));
    assert!(pair.knocker.events.contains(&Event::Failed {
        waiter: Waiter::FirstMessage,
        error,
        unsent: None
    }));
}

#[test]
fn completed_handshake_stops_the_handshake_timer() {
    let mut pair = Pair::connected(Timing {
        handshake_timeout: ms(TIMEOUT),
        ..steady()
    });
    pair.advance(ms(TIMEOUT * 10));
    assert!(pair.knocker.events.is_empty() && pair.listener.events.is_empty());
    assert!(Side::BOTH.iter().all(|s| pair.peer(*s).core.closed_with().is_none()));
}
