//! A multi-use interrupt channel delivers every interrupt the remote emits, in order and apart
//! from the turn-taking, until the listening side closes it.

use crate::support::*;

#[test]
fn multi_use_interrupts_arrive_in_order_until_closed() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    for i in 0..5 {
        assert_eq!(pair.emit(Side::Listener, port, 100 + i), Ok(()));
    }
    pair.drive();
    assert_eq!(pair.knocker.interrupts_on(channel), [100, 101, 102, 103, 104]);
    assert!(pair.knocker.interrupt_endings(channel).is_empty());

    // Interrupts do not touch the turns: the conversation goes on around them.
    pair.send(Side::Listener, 3);
    pair.emit(Side::Listener, port, 105).unwrap();
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
    assert_eq!(pair.knocker.interrupts_on(channel).len(), 6);

    // The host closes the channel. The remote is not told (browsers fire no close event), and
    // what it emits after that vanishes.
    pair.close_interrupt(Side::Knocker, channel);
    assert_eq!(pair.knocker.interrupt_endings(channel), [Some(Error::Closed)]);
    assert!(!pair.is_open(Side::Knocker, channel));
    assert_eq!(pair.emit(Side::Listener, port, 106), Ok(()));
    pair.drive();
    assert_eq!(pair.knocker.interrupts_on(channel).len(), 6);
    assert_eq!(pair.dropped.len(), 1);
    pair.close_interrupt(Side::Knocker, channel); // twice: nothing happens
    assert_eq!(pair.knocker.interrupt_endings(channel).len(), 1);

    use Direction::*;
    let observed = |side: Side| -> Vec<Step> {
        pair.peer(side)
            .observations
            .iter()
            .filter(|o| matches!(o.step, Step::InterruptOpened { .. } | Step::InterruptClosed { .. }))
            .map(|o| o.step.clone())
            .collect()
    };
    assert_eq!(
        observed(Side::Knocker),
        [
            Step::InterruptOpened {
                channel,
                kind: InterruptKind::MultiUse,
                direction: Incoming
            },
            Step::InterruptClosed { channel }
        ]
    );
    assert_eq!(
        observed(Side::Listener),
        [Step::InterruptOpened {
            channel: port,
            kind: InterruptKind::MultiUse,
            direction: Outgoing
        }]
    );
    let emitted = pair
        .listener
        .observations
        .iter()
        .filter(|o| {
            o.step
                == Step::Interrupt {
                    channel: port,
                    direction: Outgoing,
                }
        })
        .count();
    assert_eq!(emitted, 7);
}

#[test]
fn messageerror_on_an_interrupt_channel_ends_only_that_channel() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    pair.forge(Side::Listener, port, Data::Undeserializable);
    pair.drive();
    assert_eq!(
        pair.knocker.interrupt_endings(channel),
        [Some(Error::ProtocolViolation(Violation::Undeserializable))]
    );
    assert!(!pair.is_open(Side::Knocker, channel));
    assert!(pair.knocker.core.closed_with().is_none(), "the session goes on");
    pair.send(Side::Listener, 3);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
}
