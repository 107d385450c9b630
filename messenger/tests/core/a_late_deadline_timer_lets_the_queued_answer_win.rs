//! Issue 23, case 1: a page that could not run (its main thread blocked, the page frozen or
//! throttled) finds its reply or handshake timer long expired while the peer's answer waits in
//! the queue behind it. A deadline timer found expired a quarter of its length or more after its
//! deadline (`LATE_FRACTION`) is re-armed once for its whole length instead of firing, so the
//! queued answer wins whichever the browser runs first; a peer that really is gone is judged at
//! that deferred deadline (at most twice the timeout plus the pause). Deferred once only; a timer
//! late by less than a quarter fires; the knock timer is never deferred.

use crate::support::*;

const REPLY: u64 = 1_000;

/// The knocker's timing in most of these tests: a reply timeout of 5 s, longer than the
/// listener's pauses, so that only the listener's (the blocked side's) timer is in question.
/// `lifecycle_a_peer_whose_own_timer_runs_still_ends_a_long_block` shows equal timeouts.
fn patient() -> Timing {
    Timing {
        reply_timeout: Some(ms(5 * REPLY)),
        ..timing()
    }
}

/// A connected pair in which the listener's send 1 reached the knocker and waits for its reply
/// (the listener's reply timeout [`REPLY`] ms, the knocker's [`patient`]); returns the pair and
/// when the listener sent.
fn listener_waits() -> (Pair, Instant) {
    listener_waits_with(patient())
}

fn listener_waits_with(knocker: Timing) -> (Pair, Instant) {
    let mut pair = Pair::with_timings(knocker, timing());
    pair.auto_acknowledge = true;
    pair.drive();
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    let sent_at = pair.now;
    pair.send(Side::Listener, 1);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1]);
    pair.listener.clear_logs();
    (pair, sent_at)
}

fn reply_failed(pair: &Pair, side: Side) -> bool {
    pair.peer(side).core.closed_with().is_some()
}

#[test]
fn lifecycle_late_reply_timer_lets_the_queued_reply_win_when_the_timer_runs_first() {
    let (mut pair, sent_at) = listener_waits();
    // The listener's page is blocked; the knocker's reply arrives 100 ms later and waits in the
    // queue while the listener stays blocked for twice the reply timeout.
    pair.block(Side::Listener);
    pair.advance(ms(100));
    pair.send(Side::Knocker, 2);
    pair.advance(ms(2 * REPLY));
    assert_eq!(pair.in_flight().len(), 1, "the reply is queued");
    assert!(pair.listener.events.is_empty());

    // It runs again, and the browser hands it the timer first: without the rule the reply
    // timer (due at 1 s, now 2.1 s) would fail the session with the answer already there.
    pair.resume_timers_first(Side::Listener);
    assert_eq!(pair.listener.received(), [2], "the queued reply won");
    assert!(!reply_failed(&pair, Side::Listener), "no Timeout");
    assert!(!reply_failed(&pair, Side::Knocker));
    assert_eq!(
        pair.listener.core.poll_timeout(),
        None,
        "the deferred timer stopped with the reply"
    );
    let reply_after = pair.listener.observations.iter().find_map(|o| match o.step {
        Step::Message {
            direction: Direction::Incoming,
            reply_after,
            ..
        } => reply_after,
        _ => None,
    });
    assert_eq!(reply_after, Some(pair.now - sent_at), "seen when it was handled");

    // The session goes on, in both directions.
    pair.send(Side::Listener, 3);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1, 3]);
}

#[test]
fn lifecycle_late_reply_timer_and_queued_reply_in_the_other_order() {
    // The browser may as well run the queued message first: then the reply stops the timer
    // before it is looked at.
    let (mut pair, _) = listener_waits();
    pair.block(Side::Listener);
    pair.send(Side::Knocker, 2);
    pair.advance(ms(2 * REPLY));
    pair.resume_messages_first(Side::Listener);
    assert_eq!(pair.listener.received(), [2]);
    assert!(!reply_failed(&pair, Side::Listener));
    assert_eq!(pair.listener.core.poll_timeout(), None);
}

#[test]
fn lifecycle_a_peer_whose_own_timer_runs_still_ends_a_long_block() {
    // The rule saves the blocked side's timer only. Its peer, which posted the reply and then
    // waits for the next message with a reply timer of its own (every post arms one), is not
    // blocked: with equal timeouts it gives up after one timeout and says so. The blocked side
    // then hands the reply to its application and ends at once with the peer's reason.
    let (mut pair, _) = listener_waits_with(timing());
    pair.block(Side::Listener);
    pair.advance(ms(100));
    pair.send(Side::Knocker, 2);
    pair.advance(ms(2 * REPLY));
    assert_closed_cleanly(&pair, Side::Knocker, &Error::TimedOut(Stage::Reply));
    pair.resume_timers_first(Side::Listener);
    assert_eq!(pair.listener.received(), [2], "the reply is handed over");
    let told = Error::PeerClosed(CloseReason::TimedOut);
    assert_closed_cleanly(&pair, Side::Listener, &told);
}

#[test]
fn lifecycle_a_gone_peer_fails_at_the_deferred_deadline() {
    let (mut pair, sent_at) = listener_waits();
    // The knocker never replies (its page hangs, or died without a word); the listener's page
    // is blocked for 3 s.
    pair.block(Side::Listener);
    pair.advance(ms(3 * REPLY));
    pair.resume_timers_first(Side::Listener);
    let resumed = pair.now;
    assert!(!reply_failed(&pair, Side::Listener), "deferred, not fired");
    assert_eq!(
        pair.listener.core.poll_timeout(),
        Some(resumed + ms(REPLY)),
        "re-armed for its whole length from now"
    );
    pair.advance(ms(REPLY - 1));
    assert!(!reply_failed(&pair, Side::Listener));
    pair.advance(ms(1));
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Reply));
    // Judged after the pause plus one more timeout: within 2 × timeout + pause of the send.
    assert_eq!(pair.now - sent_at, ms(4 * REPLY));
    assert!(pair.now - sent_at <= ms(2 * REPLY) + ms(3 * REPLY));
    // The knocker, which holds the turn, is told at that moment.
    assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::TimedOut));
}

#[test]
fn lifecycle_a_deadline_timer_is_deferred_once_only() {
    let (mut pair, _) = listener_waits();
    pair.block(Side::Listener);
    pair.advance(ms(3 * REPLY));
    pair.resume_timers_first(Side::Listener);
    assert!(!reply_failed(&pair, Side::Listener));

    // Blocked again past the deferred deadline, with the reply queued this time: the timer was
    // deferred once already, so it fires, however late, and the reply loses.
    pair.block(Side::Listener);
    pair.send(Side::Knocker, 2);
    pair.advance(ms(3 * REPLY));
    pair.resume_timers_first(Side::Listener);
    let error = Error::TimedOut(Stage::Reply);
    assert_closed_cleanly(&pair, Side::Listener, &error);
    assert!(pair.listener.received().is_empty());
    assert!(
        pair.dropped
            .iter()
            .any(|p| matches!(&p.data, Data::Wire(w) if w.message == Some(2))),
        "the reply vanished at the closed port"
    );
}

#[test]
fn lifecycle_every_new_wait_gets_its_own_deferral() {
    // Deferred once per arming: the next send's reply timer is a new timer.
    let (mut pair, _) = listener_waits();
    for round in 0..3 {
        pair.block(Side::Listener);
        pair.send(Side::Knocker, 10 + round);
        pair.advance(ms(3 * REPLY));
        pair.resume_timers_first(Side::Listener);
        assert!(!reply_failed(&pair, Side::Listener), "round {round}");
        pair.send(Side::Listener, 20 + round);
        pair.drive();
    }
    assert_eq!(pair.listener.received(), [10, 11, 12]);
    assert_eq!(pair.knocker.received(), [1, 20, 21, 22]);
}

#[test]
fn lifecycle_a_timer_late_by_less_than_a_quarter_fires_on_time() {
    let quarter = REPLY / u64::from(LATE_FRACTION);
    // Late by just under a quarter: an ordinary late browser timer. It fires, even with the
    // reply queued (which then vanishes); the rule does not lengthen timeouts in general.
    let (mut pair, _) = listener_waits();
    pair.block(Side::Listener);
    pair.advance(ms(10));
    pair.send(Side::Knocker, 2);
    pair.advance(ms(REPLY - 10 + quarter - 1));
    pair.resume_timers_first(Side::Listener);
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Reply));
    assert!(pair.listener.received().is_empty());
    // The listener's close notice crossed the knocker's reply: the knocker kept the port it
    // posted on watched (spent), so it hears the notice at once, before its own reply timeout.
    assert!(pair.knocker.core.poll_timeout().is_none());
    assert_closed_cleanly(&pair, Side::Knocker, &Error::PeerClosed(CloseReason::TimedOut));

    // Late by exactly a quarter: deferred, and the reply wins.
    let (mut pair, _) = listener_waits();
    pair.block(Side::Listener);
    pair.advance(ms(10));
    pair.send(Side::Knocker, 2);
    pair.advance(ms(REPLY - 10 + quarter));
    pair.resume_timers_first(Side::Listener);
    assert_eq!(pair.listener.received(), [2]);
    assert!(!reply_failed(&pair, Side::Listener));
}

#[test]
fn lifecycle_the_handshake_timer_is_deferred_alike() {
    // The listener answered the knock, then its page froze; the knocker's acknowledgement waits
    // in the queue. The listener runs again after twice its handshake timeout, timer first.
    let handshake = steady().handshake_timeout;
    let mut pair = Pair::new(steady());
    pair.auto_acknowledge = true;
    assert!(pair.step(), "the knock reaches the listener");
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    pair.block(Side::Listener);
    pair.drive();
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    pair.advance(handshake * 2);
    pair.resume_timers_first(Side::Listener);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.core.poll_timeout(), None);
    pair.send(Side::Listener, 1);
    pair.drive();
    assert_eq!(pair.knocker.received(), [1]);

    // Without an acknowledgement, the deferred deadline ends the handshake: a whole timeout
    // after the listener ran again.
    // (The knocker, answered but not acknowledging, has a longer handshake timeout here.)
    let knocker = Timing {
        handshake_timeout: handshake * 6,
        ..steady()
    };
    let mut pair = Pair::with_timings(knocker, steady());
    assert!(pair.step());
    pair.block(Side::Listener);
    pair.advance(handshake * 2);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    pair.resume_timers_first(Side::Listener);
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    let resumed = pair.now;
    pair.advance(handshake - ms(1));
    assert!(pair.listener.core.closed_with().is_none());
    pair.advance(ms(1));
    assert_closed_cleanly(&pair, Side::Listener, &Error::TimedOut(Stage::Acknowledgement));
    assert_eq!(pair.now, resumed + handshake);
    // The knocker, answered, is told at once and cannot acknowledge any more.
    let told = Error::PeerClosed(CloseReason::TimedOut);
    assert_closed_cleanly(&pair, Side::Knocker, &told);
    assert_eq!(pair.acknowledge(), Err(told));
}

#[test]
fn lifecycle_the_knock_timer_is_never_deferred() {
    // A knocker whose page was blocked for 2 s (ten knock intervals) knocks at once when it runs
    // again, and once only: knocking late is harmless, waiting a whole interval more is not.
    let mut pair = Pair::new(steady());
    pair.listener_up = false;
    pair.drive();
    assert_eq!(pair.knocker.knock_channels().len(), 1);
    pair.block(Side::Knocker);
    pair.advance(ms(2_000));
    pair.resume_timers_first(Side::Knocker);
    assert_eq!(pair.knocker.knock_channels().len(), 2, "one knock, at once");
    assert_eq!(
        pair.knocker.core.poll_timeout(),
        Some(pair.now + steady().knock_interval),
        "the next knock a whole interval from now"
    );
    // The handshake timer (10 s) was not late, and is not moved.
    pair.listener_up = true;
    pair.auto_acknowledge = true;
    pair.advance(steady().knock_interval);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
}

#[test]
fn lifecycle_timers_defer_a_late_deadline_once_by_the_quarter_rule() {
    // The rule itself, on the timer table: both deadline timers alike, the knock timer never.
    let length = ms(1_000);
    let start = Instant::default();
    for timer in [Timer::Handshake, Timer::Reply] {
        let mut timers = Timers::default();
        timers.set(timer, start, length);
        let late = start + length + length / LATE_FRACTION;
        assert_eq!(timers.take_expired(late), None, "{timer:?} deferred");
        assert_eq!(timers.next_timeout(), Some(late + length));
        let later = late + length * 5;
        assert_eq!(
            timers.take_expired(later),
            Some(timer),
            "{timer:?} fires the second time"
        );
        assert!(!timers.is_set(timer));

        let mut timers = Timers::default();
        timers.set(timer, start, length);
        let barely = start + (length + length / LATE_FRACTION - ms(1));
        assert_eq!(timers.take_expired(barely), Some(timer), "{timer:?} on time");

        let mut timers = Timers::default();
        timers.set(timer, start, length);
        assert_eq!(
            timers.take_expired(start + length),
            Some(timer),
            "{timer:?} exactly due"
        );
    }
    let mut timers = Timers::default();
    timers.set(Timer::Knock, start, length);
    assert_eq!(timers.take_expired(start + length * 10), Some(Timer::Knock));
}
