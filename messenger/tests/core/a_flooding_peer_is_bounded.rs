//! Everything a peer can make this side hold is bounded by the [`Limits`]: interrupts waiting to
//! be taken (and their binary data), interrupts per second, and this side's own queued sends while the peer does not
//! answer. Past a bound the channel ends (or the send is refused) with `Error::Overloaded`; the
//! session and the other channels go on, and nothing delivered before the bound is lost.

use crate::support::*;
use messenger::{Limits, Overload};
use std::time::Duration;

fn bounded(pair: &mut Pair, limits: Limits) {
    for side in Side::BOTH {
        pair.peer_mut(side).core.set_limits(limits);
    }
}

#[test]
fn interrupts_not_taken_past_the_bound_end_the_channel_but_not_the_session() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    bounded(
        &mut pair,
        Limits {
            max_pending_interrupts: 3,
            ..Limits::DEFAULT
        },
    );
    // The host's application takes nothing: the fourth interrupt passes the bound.
    for i in 0..10 {
        pair.emit(Side::Listener, port, 100 + i).unwrap();
    }
    pair.drive();
    assert_eq!(
        pair.knocker.interrupts_on(channel),
        [100, 101, 102],
        "nothing before the bound is lost"
    );
    assert_eq!(
        pair.knocker.interrupt_endings(channel),
        [Some(Error::Overloaded(Overload::PendingInterrupts { limit: 3 }))]
    );
    assert!(!pair.is_open(Side::Knocker, channel), "the channel's port is closed");
    // The session goes on: the turn-taking is untouched.
    pair.send(Side::Listener, 7);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 7]);
    assert_eq!(pair.knocker.core.closed_with(), None);
}

#[test]
fn interrupts_taken_as_they_come_stay_within_the_bound() {
    let (mut pair, channel, port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    bounded(
        &mut pair,
        Limits {
            max_pending_interrupts: 2,
            ..Limits::DEFAULT
        },
    );
    for i in 0..50 {
        pair.emit(Side::Listener, port, i).unwrap();
        pair.drive();
        // The application takes each one: the web layer reports it.
        pair.knocker.core.interrupt_taken(channel, 0);
    }
    assert_eq!(pair.knocker.interrupts_on(channel).len(), 50);
    assert!(pair.knocker.interrupt_endings(channel).is_empty());
}

#[test]
fn more_interrupts_in_a_second_than_the_rate_bound_end_the_channel() {
    // Seconds pass while the host waits for its reply: no reply timeout here.
    let patient = Timing {
        reply_timeout: None,
        ..timing()
    };
    let (mut pair, channel, port) = host_asks_for_interrupts_with(InterruptKind::MultiUse, patient);
    bounded(
        &mut pair,
        Limits {
            max_interrupts_per_second: 5,
            ..Limits::DEFAULT
        },
    );
    // Five a second, for three seconds: within the bound.
    for second in 0..3 {
        for i in 0..5 {
            pair.emit(Side::Listener, port, second * 10 + i).unwrap();
            pair.drive();
            pair.knocker.core.interrupt_taken(channel, 0);
        }
        pair.advance(Duration::from_secs(1));
    }
    assert_eq!(pair.knocker.interrupts_on(channel).len(), 15);
    assert!(pair.knocker.interrupt_endings(channel).is_empty());
    // Six within one second: the sixth ends the channel.
    for i in 0..6 {
        pair.emit(Side::Listener, port, 100 + i).unwrap();
    }
    pair.drive();
    assert_eq!(pair.knocker.interrupts_on(channel).len(), 20);
    assert_eq!(
        pair.knocker.interrupt_endings(channel),
        [Some(Error::Overloaded(Overload::InterruptRate { limit: 5 }))]
    );
    assert_eq!(pair.knocker.core.closed_with(), None, "the session goes on");
}

#[test]
fn an_overloaded_channel_leaves_the_other_channels_open() {
    let (mut pair, flooded, flooding_port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    // A second channel, on the host's next message.
    pair.send(Side::Listener, 3);
    pair.drive();
    let send = pair.send_with_interrupt(Side::Knocker, 4, InterruptKind::MultiUse);
    pair.drive();
    let calm = pair.knocker.interrupt_channels[&send];
    let calm_port = pair
        .listener
        .held_interrupts()
        .into_iter()
        .map(|held| held.port)
        .find(|port| *port != flooding_port)
        .expect("a second held port");
    bounded(
        &mut pair,
        Limits {
            max_pending_interrupts: 1,
            ..Limits::DEFAULT
        },
    );
    for i in 0..5 {
        pair.emit(Side::Listener, flooding_port, i).unwrap();
    }
    pair.emit(Side::Listener, calm_port, 99).unwrap();
    pair.drive();
    assert_eq!(pair.knocker.interrupt_endings(flooded).len(), 1);
    assert_eq!(pair.knocker.interrupts_on(calm), [99]);
    assert!(pair.knocker.interrupt_endings(calm).is_empty());
    assert!(pair.is_open(Side::Knocker, calm));
}

#[test]
fn sends_past_the_queue_bound_are_handed_back() {
    let mut pair = Pair::connected(timing());
    bounded(
        &mut pair,
        Limits {
            max_queued_sends: 2,
            ..Limits::DEFAULT
        },
    );
    // It is the listener's turn; the knocker's sends wait in its queue.
    pair.send(Side::Knocker, 1);
    pair.send(Side::Knocker, 2);
    assert_eq!(pair.knocker.core.queued_sends(), 2);
    assert_eq!(
        pair.try_send(Side::Knocker, 3, None),
        Err(SendError {
            error: Error::Overloaded(Overload::QueuedSends { limit: 2 }),
            unsent: Some(3),
        })
    );
    assert_eq!(pair.knocker.core.closed_with(), None, "the session goes on");
    // Once the peer speaks, the queue drains and the next send is accepted.
    pair.send(Side::Listener, 10);
    pair.drive();
    assert!(pair.try_send(Side::Knocker, 3, None).is_ok());
}

/// Hands the host's core an interrupt of `binary_bytes` bytes of binary data on `channel`, as the
/// web layer does once it has measured it.
fn arrive(pair: &mut Pair, channel: PortId, payload: Payload, binary_bytes: usize) {
    let now = pair.now;
    pair.knocker.core.handle_interrupt(channel, payload, binary_bytes, now);
    pair.drive();
}

#[test]
fn binary_data_of_interrupts_not_taken_is_bounded_per_channel() {
    let (mut pair, channel, _port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    bounded(
        &mut pair,
        Limits {
            max_binary_bytes: 100,
            ..Limits::DEFAULT
        },
    );
    // 40 + 60 fit the bound together; taking one makes room for the next.
    arrive(&mut pair, channel, 1, 40);
    arrive(&mut pair, channel, 2, 60);
    pair.knocker.core.interrupt_taken(channel, 40);
    arrive(&mut pair, channel, 3, 40);
    assert_eq!(pair.knocker.interrupts_on(channel), [1, 2, 3]);
    assert!(pair.knocker.interrupt_endings(channel).is_empty());
    // 60 + 40 waiting: one more byte ends the channel, and nothing before it is lost.
    arrive(&mut pair, channel, 4, 1);
    assert_eq!(pair.knocker.interrupts_on(channel), [1, 2, 3]);
    assert_eq!(
        pair.knocker.interrupt_endings(channel),
        [Some(Error::Overloaded(Overload::PendingBinary { limit: 100 }))]
    );
    assert!(!pair.is_open(Side::Knocker, channel), "the channel's port is closed");
    assert_eq!(pair.knocker.core.closed_with(), None, "the session goes on");
}

#[test]
fn the_binary_bound_on_waiting_interrupts_is_capped_like_the_limit() {
    let (mut pair, channel, _port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    bounded(
        &mut pair,
        Limits {
            max_binary_bytes: usize::MAX,
            ..Limits::DEFAULT
        },
    );
    arrive(&mut pair, channel, 1, messenger::protocol::MAX_BINARY_BYTES);
    arrive(&mut pair, channel, 2, 1);
    assert_eq!(pair.knocker.interrupts_on(channel), [1]);
    assert_eq!(
        pair.knocker.interrupt_endings(channel),
        [Some(Error::Overloaded(Overload::PendingBinary {
            limit: messenger::protocol::MAX_BINARY_BYTES
        }))]
    );
}

#[test]
fn an_interrupt_refused_on_arrival_ends_its_channel_only() {
    let (mut pair, channel, _port) = host_asks_for_interrupts(InterruptKind::MultiUse);
    let now = pair.now;
    let refused = Error::BinaryTooLarge { size: 9, limit: 8 };
    pair.knocker.core.refuse_interrupt(channel, refused.clone(), now);
    pair.drive();
    assert_eq!(pair.knocker.interrupt_endings(channel), [Some(refused)]);
    assert!(!pair.is_open(Side::Knocker, channel));
    // A refusal on a channel already ended is ignored.
    pair.knocker
        .core
        .refuse_interrupt(channel, Error::TooDeep { limit: 1 }, now);
    pair.drive();
    assert_eq!(pair.knocker.interrupt_endings(channel).len(), 1);
    pair.send(Side::Listener, 7);
    pair.drive();
    assert_eq!(pair.knocker.core.closed_with(), None, "the session goes on");
}
