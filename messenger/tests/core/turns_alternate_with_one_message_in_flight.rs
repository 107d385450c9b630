//! Half-duplex: only the side holding the current port may speak, once; the listener speaks
//! first; sends made while it is the peer's turn wait in the queue.

use crate::support::*;

fn application_messages_in_flight(pair: &Pair) -> usize {
    pair.in_flight()
        .iter()
        .filter(|p| matches!(&p.data, Data::Wire(w) if w.message.is_some()))
        .count()
}

#[test]
fn listener_speaks_first_and_knocker_waits_for_its_turn() {
    let mut pair = Pair::new(steady());
    pair.auto_acknowledge = true;
    // Sent while knocking: it waits.
    pair.send(Side::Knocker, 1);
    pair.drive();
    assert!(pair.listener.core.is_our_turn());
    assert!(!pair.knocker.core.is_our_turn());
    assert_eq!(
        pair.knocker.core.queued_sends(),
        1,
        "the knocker's send waits for the listener's first message"
    );
    assert_eq!(application_messages_in_flight(&pair), 0);

    pair.send(Side::Knocker, 2);
    assert_eq!(pair.knocker.core.queued_sends(), 2);
    assert!(pair.in_flight().is_empty());

    // The listener's send goes out at once; the knocker's first one answers it.
    pair.send(Side::Listener, 10);
    assert_eq!(pair.listener.core.queued_sends(), 0);
    assert!(!pair.listener.core.is_our_turn());
    assert_eq!(application_messages_in_flight(&pair), 1);
    pair.step();
    assert_eq!(pair.knocker.received(), [10]);
    assert_eq!(
        pair.knocker.core.queued_sends(),
        1,
        "one went out the moment the turn came"
    );
    assert_eq!(application_messages_in_flight(&pair), 1);
    pair.drive();
    assert_eq!(pair.listener.received(), [1]);
    assert_eq!(
        pair.knocker.core.queued_sends(),
        1,
        "the second waits for the listener's next message"
    );
    assert!(pair.listener.core.is_our_turn());
}

#[test]
fn only_one_message_is_ever_in_flight() {
    let mut pair = Pair::new(steady());
    pair.auto_acknowledge = true;
    for i in 0..8 {
        pair.send(Side::Knocker, i);
        pair.send(Side::Listener, 100 + i);
    }
    loop {
        let in_flight = application_messages_in_flight(&pair);
        let turns = Side::BOTH.iter().filter(|s| pair.peer(**s).core.is_our_turn()).count();
        assert!(in_flight <= 1, "{in_flight} messages in flight");
        assert!(turns <= 1, "both sides have the turn");
        if in_flight == 1 {
            assert_eq!(turns, 0, "nobody may speak while a message is on its way");
        }
        if !pair.step() {
            break;
        }
    }
    assert_eq!(pair.knocker.received().len(), 8);
    assert_eq!(pair.listener.received().len(), 8);
}

#[test]
fn every_message_uses_a_fresh_port_once() {
    let mut pair = Pair::connected(steady());
    for i in 0..5 {
        pair.send(Side::Listener, i);
        pair.send(Side::Knocker, 100 + i);
    }
    pair.drive();
    for side in Side::BOTH {
        let posts: Vec<(PortId, PortId)> = pair
            .peer(side)
            .performed
            .iter()
            .filter_map(|a| match a {
                Action::Post { via, reply_channel, .. } => Some((*via, *reply_channel)),
                _ => None,
            })
            .collect();
        assert_eq!(posts.len(), 5);
        let mut vias: Vec<_> = posts.iter().map(|(v, _)| *v).collect();
        vias.dedup();
        assert_eq!(vias.len(), 5, "{side:?} posted twice on one port");
        // Each port posted on is closed once the peer's next message arrives; until then it is
        // kept watched (spent) for a crossing close notice: only the knocker's last, whose reply
        // is still due, is open now.
        let waits = side == Side::Knocker;
        for (i, (via, _)) in posts.iter().enumerate() {
            if waits && i == posts.len() - 1 {
                assert!(pair.is_spent(side, *via), "{side:?} keeps {via:?} watched");
                assert!(!pair.peer(side).closed_ports().contains(via));
            } else {
                assert!(
                    pair.peer(side).closed_ports().contains(via),
                    "{side:?} closed {via:?} after using it"
                );
            }
        }
    }
    // At rest the listener holds one port, its next reply port; the knocker the port its last
    // message's reply comes on and the spent one that message went out on.
    assert_eq!(pair.listener.open_ports().len(), 1);
    assert_eq!(pair.knocker.open_ports().len(), 2);
    assert_eq!(pair.spent_ports(Side::Knocker).len(), 1);
}
