//! The emitting side may give up an interrupt port (its application dropped the sender): the port
//! closes and emitting on it is refused. Emitting needs a held interrupt port.

use crate::support::*;

#[test]
fn released_interrupt_port_cannot_emit() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    pair.emit(Side::Listener, port, 1).unwrap();
    pair.release_interrupt(Side::Listener, port);
    assert!(!pair.is_open(Side::Listener, port));
    assert!(pair
        .listener
        .observations
        .iter()
        .any(|o| o.step == Step::InterruptClosed { channel: port }));
    assert_eq!(pair.emit(Side::Listener, port, 2), Err(Error::InterruptSpent));
    let closed = pair.listener.closed_ports().len();
    pair.release_interrupt(Side::Listener, port); // twice: nothing happens
    assert_eq!(pair.listener.closed_ports().len(), closed);
    pair.drive();
    // The host heard what came before; its channel stays open (it cannot know) until it closes it.
    assert_eq!(pair.knocker.interrupts_on(channel), [1]);
    assert!(pair.is_open(Side::Knocker, channel));
}

#[test]
fn emitting_on_a_port_that_is_not_an_interrupt_port_is_refused() {
    let (mut pair, _, _) = host_asks_for_interrupts(InterruptKind::MultiUse);
    let reply = pair.reply_port(Side::Listener).unwrap();
    assert!(
        pair.emit(Side::Listener, reply, 1).is_err(),
        "the reply port is not for interrupts"
    );
    assert!(
        pair.emit(Side::Listener, PortId::from_raw(9_999), 1).is_err(),
        "nor is a port never seen"
    );
    assert!(pair.in_flight().is_empty());
    assert!(pair.is_open(Side::Listener, reply), "and the reply port is left alone");
    pair.release_interrupt(Side::Listener, reply); // not an interrupt port: ignored
    assert!(pair.is_open(Side::Listener, reply));
}
