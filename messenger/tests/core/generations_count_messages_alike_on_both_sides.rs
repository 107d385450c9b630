//! The observer numbers every message by the port generation it travelled on: the knock is 0,
//! every later message one more, and both sides number the same message alike.

use crate::support::*;

#[test]
fn generations_count_messages_alike_on_both_sides() {
    let mut pair = Pair::new(timing());
    pair.listener_up = false;
    pair.advance(ms(400)); // three knocks, all generation 0
    pair.listener_up = true;
    pair.auto_acknowledge = true;
    for i in 0..4 {
        pair.send(Side::Listener, i);
        pair.send_with_interrupt(Side::Knocker, 10 + i, InterruptKind::MultiUse);
    }
    pair.advance(ms(200));

    use {Direction::*, MessageKind::*};
    let knocker = pair.knocker.messages_observed();
    let listener = pair.listener.messages_observed();
    assert_eq!(knocker[..4], [(Outgoing, Knock, 0); 4]);
    assert_eq!(listener[0], (Incoming, Knock, 0));
    let knocker = &knocker[4..];
    let listener = &listener[1..];
    assert_eq!(knocker.len(), 2 + 8);
    assert_eq!(listener.len(), knocker.len());
    for (g, (k, l)) in knocker.iter().zip(listener).enumerate() {
        let generation = g as u64 + 1;
        assert_eq!((k.2, l.2), (generation, generation), "generation {generation}");
        assert_eq!(k.1, l.1, "generation {generation} is the same message");
        assert_ne!(k.0, l.0, "one side sent generation {generation}, the other received it");
    }
    assert_eq!(knocker[..2], [(Incoming, Listen, 1), (Outgoing, Acknowledge, 2)]);
    assert!(knocker[2..].iter().all(|m| m.1 == Message));
    assert_eq!(pair.knocker.core.generation(), 10);
    assert_eq!(pair.listener.core.generation(), 10);

    // The interrupt each knocker message carried is on both sides' record of it.
    let carried = |peer: &Peer| -> Vec<Option<InterruptKind>> {
        peer.observations
            .iter()
            .filter_map(|o| match o.step {
                Step::Message {
                    kind: Message,
                    interrupt,
                    ..
                } => Some(interrupt),
                _ => None,
            })
            .collect()
    };
    let expected: Vec<_> = (0..8)
        .map(|i| (i % 2 == 1).then_some(InterruptKind::MultiUse))
        .collect();
    assert_eq!(carried(&pair.knocker), expected);
    assert_eq!(carried(&pair.listener), expected);
}
