//! When the session ends — closed, timed out or failed — every interrupt channel this side listens
//! on ends with that error (before the session reports its own end), every interrupt port it holds
//! closes, and the observer sees each channel it saw open closed.

use crate::support::*;

#[test]
fn session_failure_ends_interrupt_channels_with_its_error() {
    for v1 in [None, Some(Side::Listener)] {
        session_failure_ends_interrupt_channels_with_its_error_with(v1);
    }
}

fn session_failure_ends_interrupt_channels_with_its_error_with(v1: Option<Side>) {
    let (mut pair, channel, port) = host_asks_for_interrupts_v1(InterruptKind::MultiUse, timing(), v1);
    let (_, given) = pair.outsider_channel();
    // The remote's page breaks the protocol: the host's session fails and so does the channel.
    let via = pair.reply_port(Side::Listener).unwrap();
    pair.forge(
        Side::Listener,
        via,
        Data::Wire(WireObject {
            message: None,
            ..message(0, given)
        }),
    );
    pair.drive();
    let error = Error::ProtocolViolation(Violation::MissingMessage);
    assert_eq!(pair.knocker.interrupt_endings(channel), [Some(error.clone())]);
    let ended = pair
        .knocker
        .events
        .iter()
        .position(|e| matches!(e, Event::InterruptEnded { .. }));
    let closed = pair.knocker.events.iter().position(|e| matches!(e, Event::Closed(_)));
    assert!(ended < closed, "the channel ends before the session reports its end");
    assert_closed_cleanly(&pair, Side::Knocker, &error);

    if v1.is_none() {
        // The remote announced `$closeNotice`: it is told at once, its held interrupt port
        // closes with its session, and emitting fails with the host's reason.
        let told = Error::PeerClosed(CloseReason::Refused);
        assert_closed_cleanly(&pair, Side::Listener, &told);
        assert_eq!(pair.emit(Side::Listener, port, 1), Err(told));
        return;
    }
    // A version-1 remote is not told: it emits into the void until it closes; then emitting
    // fails with its close error.
    assert_eq!(pair.emit(Side::Listener, port, 1), Ok(()));
    pair.close(Side::Listener);
    assert_eq!(pair.emit(Side::Listener, port, 2), Err(Error::Closed));
    assert_closed_cleanly(&pair, Side::Listener, &Error::Closed);
}

#[test]
fn session_close_ends_one_time_and_multi_use_channels_alike() {
    let mut pair = Pair::connected(timing());
    let once = pair.send_with_interrupt(Side::Listener, 1, InterruptKind::OneTime);
    pair.drive();
    let many = pair.send_with_interrupt(Side::Knocker, 2, InterruptKind::MultiUse);
    pair.drive();
    let reply_timed_out = pair.send_with_interrupt(Side::Listener, 3, InterruptKind::MultiUse);
    pair.drive();
    pair.advance(ms(1_000)); // the knocker never answers the last: the listener times out
    let error = Error::TimedOut(Stage::Reply);
    for id in [once, reply_timed_out] {
        let channel = pair.listener.interrupt_channels[&id];
        assert_eq!(pair.listener.interrupt_endings(channel), [Some(error.clone())]);
    }
    assert_closed_cleanly(&pair, Side::Listener, &error);
    // The knocker is told (before close notices its channel stayed open until it closed): its
    // channel ends with the reason it was given, like the listener's with its own.
    let told = Error::PeerClosed(CloseReason::TimedOut);
    assert_eq!(
        pair.knocker.interrupt_endings(pair.knocker.interrupt_channels[&many]),
        [Some(told.clone())]
    );
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    pair.close(Side::Knocker);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
}

#[test]
fn observer_sees_every_interrupt_channel_closed_when_the_session_ends() {
    // Regression: interrupt ports a side *held* (to emit on) were closed with the session without
    // an `InterruptClosed` observation, so an observer listing open channels kept them for ever.
    let mut pair = Pair::connected(timing());
    pair.send_with_interrupt(Side::Listener, 1, InterruptKind::OneTime);
    pair.drive();
    pair.send_with_interrupt(Side::Knocker, 2, InterruptKind::MultiUse);
    pair.drive();
    pair.close(Side::Listener);
    pair.close(Side::Knocker);
    for side in Side::BOTH {
        let mut opened = Vec::new();
        let mut closed = Vec::new();
        for observation in &pair.peer(side).observations {
            match observation.step {
                Step::InterruptOpened { channel, .. } => opened.push(channel),
                Step::InterruptClosed { channel } => closed.push(channel),
                _ => {}
            }
        }
        opened.sort();
        closed.sort();
        assert_eq!(opened.len(), 2, "{side:?} listens on one channel and holds another");
        assert_eq!(opened, closed, "{side:?}: every channel seen open is seen closed");
    }
}
