//! A one-time interrupt channel delivers exactly one interrupt: the emitter's port closes as it
//! emits (a second emit is `Error::InterruptSpent`), and the listening side closes its port and
//! ends the channel when the interrupt arrives.

use crate::support::*;

#[test]
fn one_time_interrupt_delivers_once_then_closes() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::OneTime);
    assert_eq!(pair.emit(Side::Listener, port, 7), Ok(()));
    assert!(
        !pair.is_open(Side::Listener, port),
        "the emitter closes its port at once"
    );
    assert_eq!(pair.emit(Side::Listener, port, 8), Err(Error::InterruptSpent));
    pair.drive();
    let interrupt_events: Vec<_> = pair
        .knocker
        .events
        .iter()
        .filter(|e| matches!(e, Event::Interrupt { .. } | Event::InterruptEnded { .. }))
        .collect();
    assert_eq!(
        interrupt_events,
        [
            &Event::Interrupt {
                channel,
                payload: 7,
                binary_bytes: 0
            },
            &Event::InterruptEnded { channel, error: None }
        ]
    );
    assert!(!pair.is_open(Side::Knocker, channel));
    assert!(pair
        .listener
        .observations
        .iter()
        .any(|o| o.step == Step::InterruptClosed { channel: port }));
    assert!(pair.knocker.core.closed_with().is_none() && pair.listener.core.closed_with().is_none());
}

#[test]
fn one_time_channel_hears_no_second_interrupt_even_from_a_forger() {
    // The remote's page posts twice on the port before its core could close it: the host's
    // channel closed after the first, so the second vanishes.
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::OneTime);
    pair.forge(Side::Listener, port, Data::Value(1));
    pair.forge(Side::Listener, port, Data::Value(2));
    pair.drive();
    assert_eq!(pair.knocker.interrupts_on(channel), [1]);
    assert_eq!(pair.knocker.interrupt_endings(channel), [None]);
    assert_eq!(pair.dropped.len(), 1);
}

#[test]
fn stale_interrupt_on_an_ended_channel_is_ignored() {
    // Should the web layer hand in an interrupt queued behind the first, the core ignores it.
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::OneTime);
    pair.emit(Side::Listener, port, 1).unwrap();
    pair.drive();
    pair.knocker.core.handle_interrupt(channel, 2, 0, pair.now);
    pair.pump();
    assert_eq!(pair.knocker.interrupts_on(channel), [1]);
    assert!(pair.knocker.observations.iter().any(|o| o.step
        == Step::Ignored {
            reason: IgnoreReason::ClosedInterruptChannel
        }));
}
