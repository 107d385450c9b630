//! The knocker may knock on several targets (and again and again on each); the first valid
//! `🤝` answer wins, every knock channel closes at once, and a later answer vanishes unheard.

use crate::support::*;

/// The knock the stranger on `target` received, by the end it may answer on.
fn stranger_knock(pair: &Pair, target: usize) -> End {
    pair.outsider_inbox
        .iter()
        .find_map(|p| match (&p.to, &p.data) {
            (Dest::Window(TargetId(t)), Data::Wire(w)) if *t == target => match w.response_port {
                PortField::Port(id) => Some(End(id.raw() as usize)),
                _ => None,
            },
            _ => None,
        })
        .expect("the stranger got a knock")
}

#[test]
fn first_valid_answer_wins_and_closes_every_knock_channel() {
    let mut pair = Pair::with_targets(steady(), 2);
    // The stranger on target 1 hears its knock first (the listener's is still in flight) and
    // answers at once.
    let to_stranger = pair
        .deliverable()
        .into_iter()
        .find(|i| pair.in_flight()[*i].to == Dest::Window(TargetId(1)));
    pair.deliver(to_stranger.expect("the knock on target 1 is deliverable"));
    let knock_port = stranger_knock(&pair, 1);
    let (_, port) = pair.outsider_channel();
    pair.post_from_outsider(knock_port, listen(port).into());
    let answer = pair.in_flight().len() - 1;
    pair.deliver(answer);

    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    assert_eq!(pair.knocker.take_events(), [Event::Answered]);
    let knocks = pair.knocker.knock_channels();
    assert_eq!(knocks.len(), 2);
    for (_, channel) in &knocks {
        assert!(
            !pair.is_open(Side::Knocker, *channel),
            "knock channel {channel:?} closed"
        );
    }
    // No more knocking; only the handshake deadline remains, until the acknowledgement.
    let handshake_deadline = Instant::default() + steady().handshake_timeout;
    assert_eq!(pair.knocker.core.poll_timeout(), Some(handshake_deadline));

    // The listener answers too, late: its answer is for a closed port and vanishes.
    pair.drive();
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    assert!(pair
        .dropped
        .iter()
        .any(|p| matches!(&p.data, Data::Wire(w) if w.check_handshake(HandshakeStep::Listen).is_ok())));
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    assert!(pair.knocker.events.is_empty());

    // The knocker acknowledges the winner: the stranger gets the acknowledgement.
    pair.acknowledge().unwrap();
    assert_eq!(
        pair.knocker.core.poll_timeout(),
        None,
        "acknowledged: no handshake timer"
    );
    pair.drive();
    assert!(pair
        .outsider_inbox
        .iter()
        .any(|p| matches!(&p.data, Data::Wire(w) if w.check_handshake(HandshakeStep::Acknowledge).is_ok())));
}

#[test]
fn later_answer_from_another_target_vanishes() {
    let mut pair = Pair::with_targets(steady(), 2);
    pair.auto_acknowledge = true;
    pair.drive();
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);

    let knock_port = stranger_knock(&pair, 1);
    let (_, port) = pair.outsider_channel();
    pair.post_from_outsider(knock_port, listen(port).into());
    let dropped = pair.dropped.len();
    pair.drive();
    assert_eq!(pair.dropped.len(), dropped + 1, "the stranger's answer went nowhere");
    assert_eq!(pair.knocker.events, [Event::Answered, Event::Connected]);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);

    // The conversation with the real listener is unharmed.
    pair.send(Side::Listener, 1);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1]);
}

#[test]
fn listener_accepts_only_the_first_of_many_knocks() {
    let timing = steady();
    let mut pair = Pair::new(timing);
    pair.auto_acknowledge = true;
    // The listener's page is busy: four rounds of knocks pile up in its window queue.
    pair.advance_undelivered(timing.knock_interval * 3);
    assert_eq!(pair.in_flight().len(), 4);
    pair.drive();

    assert_eq!(pair.knock_checks.len(), 1, "listening ended with the first knock");
    assert_eq!(
        pair.dropped.len(),
        3,
        "the other three knocks vanished with their ports"
    );
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    // Every knock channel is closed: the knocker holds only the channel the first message comes
    // on and the port it posted 👂 on, kept watched (spent) for a crossing close notice.
    for (_, channel) in pair.knocker.knock_channels() {
        assert!(!pair.is_open(Side::Knocker, channel), "{channel:?}");
    }
    assert_eq!(pair.spent_ports(Side::Knocker).len(), 1);
    assert_eq!(pair.knocker.open_ports().len(), 2);
}
