//! Either side may open an interrupt channel with a message it sends: the host with a request, or
//! the knocker with the reply it returns from its handler loop.

use crate::support::*;

#[test]
fn interrupt_port_rides_along_with_either_sides_message() {
    let mut pair = Pair::connected(timing());
    let request = pair.send_with_interrupt(Side::Listener, 1, InterruptKind::OneTime);
    pair.drive();
    let listener_channel = pair.listener.interrupt_channels[&request];
    let [held] = pair.knocker.held_interrupts()[..] else {
        panic!("the knocker holds the port")
    };
    assert_eq!(pair.knocker.replies(), [(Waiter::FirstMessage, 1)]);
    assert!(matches!(
        pair.knocker.events[0],
        Event::Received {
            interrupt: Some(HeldInterrupt {
                kind: InterruptKind::OneTime,
                ..
            }),
            ..
        }
    ));

    let reply = pair.send_with_interrupt(Side::Knocker, 2, InterruptKind::MultiUse);
    pair.drive();
    let knocker_channel = pair.knocker.interrupt_channels[&reply];
    let [back] = pair.listener.held_interrupts()[..] else {
        panic!("the listener holds the port")
    };

    pair.emit(Side::Knocker, held.port, 5).unwrap();
    pair.emit(Side::Listener, back.port, 6).unwrap();
    pair.emit(Side::Listener, back.port, 7).unwrap();
    pair.drive();
    assert_eq!(pair.listener.interrupts_on(listener_channel), [5]);
    assert_eq!(pair.knocker.interrupts_on(knocker_channel), [6, 7]);
}

#[test]
fn interrupt_channel_opens_only_when_its_send_goes_out() {
    // A send queued while it is the peer's turn has no channel yet; it opens with the post.
    let mut pair = Pair::connected(timing());
    let id = pair.send_with_interrupt(Side::Knocker, 1, InterruptKind::MultiUse);
    assert!(!pair.knocker.interrupt_channels.contains_key(&id));
    // No interrupt channel yet: only the channel the first message comes on, and the port 👂
    // went out on (kept watched for a crossing close notice).
    assert_eq!(pair.knocker.open_ports().len(), 2);
    assert_eq!(pair.spent_ports(Side::Knocker).len(), 1);
    pair.send(Side::Listener, 2);
    pair.drive();
    assert!(pair.knocker.interrupt_channels.contains_key(&id));
    assert_eq!(pair.listener.held_interrupts().len(), 1);
}
