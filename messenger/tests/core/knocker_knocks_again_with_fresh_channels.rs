//! A knock that reaches the listener's window before its listener exists is lost without a trace,
//! so the knocker knocks again every `knock_interval`, on every target, each time with a fresh
//! channel; it keeps the newest `knocks_kept_open` rounds open and closes older ones.

use crate::support::*;

fn unanswered(timing: Timing, targets: usize, rounds: u32) -> Pair {
    let mut pair = Pair::with_targets(timing, targets);
    pair.listener_up = false;
    pair.advance(timing.knock_interval * (rounds - 1));
    pair
}

#[test]
fn knocker_knocks_again_every_interval_with_fresh_channels() {
    let timing = steady();
    let pair = unanswered(timing, 1, 6);

    let attempts: Vec<_> = pair
        .knocker
        .observations
        .iter()
        .filter_map(|o| match o.step {
            Step::KnockSent { target, attempt } => Some((o.at, target, attempt)),
            _ => None,
        })
        .collect();
    let expected: Vec<_> = (0..6)
        .map(|i| (Instant::default() + timing.knock_interval * i, LISTENER_WINDOW, i + 1))
        .collect();
    assert_eq!(attempts, expected);

    let channels: Vec<PortId> = pair.knocker.knock_channels().into_iter().map(|(_, c)| c).collect();
    let mut distinct = channels.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "a fresh channel every time: {channels:?}");
    assert_eq!(pair.dropped.len(), 6, "every knock was lost");

    // The newest four stay open; the two oldest were closed, oldest first.
    assert_eq!(pair.knocker.open_ports(), channels[2..]);
    assert_eq!(pair.knocker.closed_ports(), channels[..2]);
    assert_eq!(pair.knocker.core.poll_timeout(), Some(pair.now + timing.knock_interval));
    use {Direction::*, MessageKind::*};
    assert!(
        pair.knocker
            .messages_observed()
            .iter()
            .all(|m| *m == (Outgoing, Knock, 0)),
        "every knock is generation 0"
    );
}

#[test]
fn knocks_come_often_while_the_remote_is_young_then_back_off() {
    // What `messenger::Config` sets by default: 10 ms after the first knock, doubling to 200.
    let timing = Timing {
        first_knock_interval: Some(ms(10)),
        ..steady()
    };
    let mut pair = Pair::new(timing);
    pair.listener_up = false;
    pair.advance(ms(1_000));
    let times: Vec<u64> = pair
        .knocker
        .observations
        .iter()
        .filter(|o| matches!(o.step, Step::KnockSent { .. }))
        .map(|o| (o.at - Instant::default()).as_millis() as u64)
        .collect();
    assert_eq!(times, [0, 10, 30, 70, 150, 310, 510, 710, 910]);
    // Still only the newest four knock channels open.
    assert_eq!(pair.knocker.open_ports().len(), 4);
}

#[test]
fn a_knock_soon_after_the_listener_starts_is_answered() {
    let timing = Timing {
        first_knock_interval: Some(ms(10)),
        ..steady()
    };
    let mut pair = Pair::new(timing);
    pair.auto_acknowledge = true;
    pair.listener_up = false;
    // The listener's page loads at 0, its listener exists from 45 ms on.
    pair.advance(ms(45));
    pair.listener_up = true;
    pair.drive();
    pair.advance(ms(100));
    let connected_at = pair
        .knocker
        .observations
        .iter()
        .find(|o| o.step == Step::Handshake(HandshakeState::Connected))
        .map(|o| (o.at - Instant::default()).as_millis() as u64);
    // The knock at 70 ms is the first the listener can hear (instead of the one at 200 ms).
    assert_eq!(connected_at, Some(70));
}

#[test]
fn knocker_keeps_the_newest_rounds_open_on_every_target() {
    let timing = Timing {
        knocks_kept_open: 2,
        ..steady()
    };
    let pair = unanswered(timing, 3, 5);
    let knocks = pair.knocker.knock_channels();
    assert_eq!(knocks.len(), 15);
    let targets: Vec<_> = knocks.iter().map(|(t, _)| t.0).collect();
    assert_eq!(targets, [0, 1, 2].repeat(5));
    let channels: Vec<_> = knocks.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        pair.knocker.open_ports(),
        channels[9..],
        "the last two rounds, on all three targets"
    );
    assert_eq!(pair.knocker.closed_ports(), channels[..9]);
    assert_eq!(pair.outsider_inbox.len(), 10, "strangers got their knocks");
}

#[test]
fn knocks_kept_open_of_zero_still_keeps_the_newest_round() {
    let timing = Timing {
        knocks_kept_open: 0,
        ..steady()
    };
    let pair = unanswered(timing, 2, 3);
    let channels: Vec<_> = pair.knocker.knock_channels().iter().map(|(_, c)| *c).collect();
    assert_eq!(pair.knocker.open_ports(), channels[4..]);
}

#[test]
fn listener_that_loads_late_is_found_by_a_later_knock() {
    let timing = steady();
    let mut pair = unanswered(timing, 1, 3);
    pair.auto_acknowledge = true;
    pair.listener_up = true;
    pair.advance(timing.knock_interval);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.knocker.knock_channels().len(), 4);

    // Knocking stopped with the answer: every knock channel is closed and no timer is left to
    // knock again.
    let knocks = pair.knocker.knock_channels();
    for (_, channel) in &knocks {
        assert!(!pair.is_open(Side::Knocker, *channel));
    }
    pair.advance(ms(5_000));
    assert_eq!(pair.knocker.knock_channels(), knocks);
}

#[test]
fn zero_knock_interval_does_not_spin() {
    // A zero interval re-armed the knock timer for `now` itself, so handle_timeout knocked for
    // ever. The timer must move forward; run it on a thread so a regression fails, not hangs.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let timing = Timing {
            knock_interval: ms(0),
            handshake_timeout: ms(50),
            ..steady()
        };
        let mut pair = Pair::new(timing);
        pair.listener_up = false;
        pair.advance(ms(10));
        let knocks = pair.knocker.knock_channels().len();
        pair.advance(ms(100));
        let _ = done.send((knocks, pair.knocker.core.closed_with().cloned()));
    });
    let (knocks, closed) = finished
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("handle_timeout returned");
    assert!((2..=12).contains(&knocks), "knocked {knocks} times in 10 ms");
    assert_eq!(closed, Some(Error::TimedOut(Stage::Handshake)));
}
