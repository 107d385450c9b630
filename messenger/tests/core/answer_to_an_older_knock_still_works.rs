//! The remote may pick up a knock that is a few intervals old (its page was busy when the newer
//! ones arrived). Its answer comes on that older knock's channel, which must still be open: the
//! knocker keeps the newest `knocks_kept_open` rounds open.

use crate::support::*;

#[test]
fn answer_to_an_older_knock_still_works() {
    let timing = Timing {
        knocks_kept_open: 4,
        ..steady()
    };
    let mut pair = Pair::new(timing);
    pair.auto_acknowledge = true;
    pair.advance_undelivered(timing.knock_interval * 3);
    let knocks = pair.knocker.knock_channels();
    assert_eq!(knocks.len(), 4);

    // The listener takes the oldest knock, three intervals old.
    pair.drive();
    let (_, oldest) = knocks[0];
    assert!(pair
        .knocker
        .observations
        .iter()
        .any(|o| o.step == Step::Handshake(HandshakeState::Answered)));
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    let answered_on = pair.listener.performed.iter().find_map(|a| match a {
        Action::Post {
            body: Body::Listen,
            via,
            ..
        } => Some(*via),
        _ => None,
    });
    assert_eq!(
        pair.counterpart(Side::Listener, answered_on.unwrap()),
        Some((Side::Knocker, oldest))
    );
    assert_eq!(pair.dropped.len(), 3, "the three newer knocks found no listener");
    pair.send(Side::Listener, 42);
    pair.drive();
    assert_eq!(pair.knocker.received(), [42]);
}

#[test]
fn answer_to_a_knock_older_than_the_kept_rounds_is_lost() {
    // Why `knocks_kept_open` exists: with only two rounds kept, an answer to the oldest of four
    // knocks goes to a closed channel. The listener stopped listening when it accepted that knock,
    // so the newer knocks vanish too, and both sides can only time out.
    let timing = Timing {
        knocks_kept_open: 2,
        ..steady()
    };
    let mut pair = Pair::new(timing);
    pair.auto_acknowledge = true;
    pair.advance_undelivered(timing.knock_interval * 3);
    pair.drive();
    assert_eq!(pair.knock_checks.len(), 1);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Knocking);
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    assert!(pair
        .dropped
        .iter()
        .any(|p| matches!(&p.data, Data::Wire(w) if w.check_handshake(HandshakeStep::Listen).is_ok())));

    pair.advance(timing.handshake_timeout);
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Handshake));
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
}
