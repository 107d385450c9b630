//! Issue 23, case 4: futures and handles dropped in the middle of a turn (cancel safety). The
//! outcomes asserted here are the ones the crate docs state ("Cancel safety" in `lib.rs`):
//!
//! - a `send` future dropped before its reply: the message went out (it was queued when `send`
//!   was called), the turn is kept, the reply is dropped when it comes, the next send works;
//! - a `knock` or `listen` future dropped mid-handshake: the session ends with `Closed` and the
//!   peer, told with a close notice, ends at once with `PeerClosed(Closed)`;
//! - a `Serving` dropped while its handler runs: the session ends; the peer's pending send fails
//!   at once with `PeerClosed(Closed)`;
//! - an interrupt receiver dropped with interrupts waiting: its channel is closed, the waiting
//!   interrupts are dropped, the session goes on;
//! - a send raced against a timer that wins: as a dropped send.

use std::cell::Cell;
use std::rc::Rc;

use crate::support::listeners::live;
use crate::support::*;
use futures::channel::oneshot;
use futures::future::{select, Either};
use futures::FutureExt;
use gloo_timers::future::TimeoutFuture;
use messenger::{
    knock, listen, CloseReason, Direction, Error, HandshakeState, InterruptRequest, MessageKind, Received, Reply,
    Source, Step, Target,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn now_ms() -> f64;
}

/// "Promptly": a close notice takes a task or two; the timeouts it beats are 5 s or more.
const PROMPT: f64 = 1_000.0;

fn incoming_messages(trace: &Trace) -> usize {
    trace.count(|step| {
        matches!(
            step,
            Step::Message {
                direction: Direction::Incoming,
                kind: MessageKind::Message,
                ..
            }
        )
    })
}

#[wasm_bindgen_test]
async fn lifecycle_a_send_dropped_before_its_reply_keeps_the_turn_and_drops_the_reply() {
    let before = live();
    let trace = Trace::default();
    let pair = connect_pair::<u32, u32>(page_config(), trace.observe(page_config()), 0).await;
    // Posted when called; the future is dropped before the reply.
    drop(pair.knocker.send(1));
    assert_eq!(
        within(STEP, "the dropped send's message", pair.listener_pending)
            .await
            .unwrap()
            .message,
        1,
        "the message went out"
    );
    let listener_pending = pair.listener.send(2);
    // The reply reaches the knocker and finds nobody waiting: it is dropped, and the turn is the
    // knocker's again.
    trace
        .wait_for(2, "the dropped send's reply to arrive", |step| {
            matches!(
                step,
                Step::Message {
                    direction: Direction::Incoming,
                    kind: MessageKind::Message,
                    ..
                }
            )
        })
        .await;
    assert_eq!(pair.knocker.status().closed_with, None);
    // The next send goes out and resolves with its own reply, not the dropped one.
    let knocker_pending = pair.knocker.send(3);
    assert_eq!(
        within(STEP, "the next message", listener_pending)
            .await
            .unwrap()
            .message,
        3
    );
    let _listener_pending = pair.listener.send(4);
    assert_eq!(within(STEP, "its reply", knocker_pending).await.unwrap().message, 4);
    assert_eq!(incoming_messages(&trace), 3);
    drop(pair.knocker);
    drop(pair.listener);
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_send_raced_against_a_timer_that_wins_leaves_the_session_going() {
    // The crate docs' example: a `select` of a send against a timer.
    let before = live();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    let timer_won = {
        let reply = pair.knocker.send(1).fuse();
        let timer = TimeoutFuture::new(100).fuse();
        futures::pin_mut!(reply, timer);
        futures::select! {
            _ = reply => false,
            () = timer => true,
        }
        // The losing send's future is dropped here.
    };
    assert!(timer_won, "the listener has not answered yet");
    let listener = &pair.listener;
    assert_eq!(
        within(STEP, "the message", pair.listener_pending)
            .await
            .unwrap()
            .message,
        1
    );
    let listener_pending = listener.send(2);
    tick().await;
    let knocker_pending = pair.knocker.send(3);
    assert_eq!(
        within(STEP, "the next message", listener_pending)
            .await
            .unwrap()
            .message,
        3
    );
    let _listener_pending = listener.send(4);
    assert_eq!(
        within(STEP, "the next reply", knocker_pending).await.unwrap().message,
        4,
        "the late reply (2) was dropped, not handed to the next send"
    );
    assert_eq!(pair.knocker.status().closed_with, None);
    drop(pair.knocker);
    drop(pair.listener);
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_knock_dropped_mid_handshake_tells_the_listener() {
    let before = live();
    let (listener_trace, knocker_trace) = (Trace::default(), Trace::default());
    let listening = listen::<u8, u8>(listener_trace.observe(page_config()), Source::AnyWindow);
    let started = now_ms();
    // Never polled: the session runs from the browser's events all the same.
    let knocking = knock(knocker_trace.observe(page_config()), vec![Target::Window(window())]);
    knocker_trace
        .wait_for(1, "the 🤝 to reach the knocker", |step| {
            *step == Step::Handshake(HandshakeState::Answered)
        })
        .await;
    // The listener answered and waits for the acknowledgement; the knock is dropped.
    drop(knocking);
    let result = within(STEP, "the listener to hear it", listening).await;
    let elapsed = now_ms() - started;
    assert_eq!(result.unwrap_err(), Error::PeerClosed(CloseReason::Closed));
    assert!(
        elapsed < PROMPT,
        "told at once, not at the 5 s handshake timeout: {elapsed:.0} ms"
    );
    knocker_trace.assert_failed_with(&Error::Closed);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_listen_dropped_mid_handshake_tells_the_knocker() {
    let before = live();
    let listener_trace = Trace::default();
    let listening = listen::<u8, u8>(listener_trace.observe(page_config()), Source::AnyWindow);
    let started = now_ms();
    let answered = within(STEP, "an answer", knock(page_config(), vec![Target::Window(window())]))
        .await
        .expect("answered");
    // The listener waits for the acknowledgement; its future is dropped.
    drop(listening);
    listener_trace.assert_failed_with(&Error::Closed);
    // The notice reaches the knocker before it acknowledges (see the next test for when it
    // does not): the session ends, and finishing fails at once. The knocker has no reply
    // timeout: without the notice it would wait for ever.
    let closer = answered.closer();
    within(STEP, "the knocker to hear it", async {
        while closer.is_open() {
            tick().await;
        }
    })
    .await;
    let finished = within(STEP, "finishing", answered.finish_handshake::<u8, u8>()).await;
    let elapsed = now_ms() - started;
    assert_eq!(finished.unwrap_err(), Error::PeerClosed(CloseReason::Closed));
    assert!(elapsed < PROMPT, "{elapsed:.0} ms");
    tick().await;
    assert_eq!(live(), before);

    // Dropped later, once connected but before it was polled to hand the messenger over: the
    // knocker's wait for the first message fails the same way.
    let listener_trace = Trace::default();
    let listening = listen::<u8, u8>(listener_trace.observe(page_config()), Source::AnyWindow);
    let answered = within(STEP, "an answer", knock(page_config(), vec![Target::Window(window())]))
        .await
        .expect("answered");
    let finishing = answered.finish_handshake::<u8, u8>().boxed_local();
    let connected = listener_trace.wait_for(1, "connected", |step| {
        *step == Step::Handshake(HandshakeState::Connected)
    });
    let finishing = match select(finishing, Box::pin(connected)).await {
        Either::Right(((), finishing)) => finishing,
        Either::Left((finished, _)) => panic!("finished before the listener spoke: {finished:?}"),
    };
    drop(listening);
    assert_eq!(
        within(STEP, "the knocker to hear it", finishing).await.unwrap_err(),
        Error::PeerClosed(CloseReason::Closed)
    );
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_close_notice_that_crosses_the_acknowledgement_is_heard() {
    // The listener's future is dropped and its notice is still on its way when the knocker
    // acknowledges. The 👂 goes on the port the notice is coming to; the knocker keeps that port
    // open and listened (spent) until the first message, so the notice reaches it and it ends
    // at once with the listener's reason, well before its 500 ms reply timeout; the 👂 reaches a
    // port the listener closed. (Before spent ports were kept the notice was lost and the reply
    // timeout judged; it still does with a version-1 peer, which sends no notice: see
    // `lifecycle_a_version_1_listener_closed_while_the_acknowledgement_is_on_its_way` in
    // tests/core.) The same holds for a notice that crosses a message.
    let before = live();
    let listening = listen::<u8, u8>(page_config(), Source::AnyWindow);
    let knocker_config = page_config().reply_timeout(std::time::Duration::from_millis(500));
    let answered = within(STEP, "an answer", knock(knocker_config, vec![Target::Window(window())]))
        .await
        .expect("answered");
    let started = js_sys::Date::now();
    drop(listening);
    // At once, in the same task: the notice has not been delivered yet.
    let finished = within(STEP, "finishing", answered.finish_handshake::<u8, u8>()).await;
    assert_eq!(finished.unwrap_err(), Error::PeerClosed(CloseReason::Closed));
    let took = js_sys::Date::now() - started;
    console_log!("a notice that crossed 👂 was heard after {took} ms");
    assert!(took < 500.0, "before the reply timeout");
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_serving_dropped_while_its_handler_runs_tells_the_peer() {
    let before = live();
    let window = window();
    let listening = listen::<u32, u32>(page_config(), Source::Window(window.clone()));
    let answered = within(STEP, "an answer", knock(page_config(), vec![Target::Window(window)]))
        .await
        .expect("answered");
    let (handler_started, started_signal) = oneshot::channel::<()>();
    let handler_started = Rc::new(Cell::new(Some(handler_started)));
    let serving = answered.serve(move |_received: Received<u32>| {
        if let Some(tx) = handler_started.take() {
            let _ = tx.send(());
        }
        // A handler that never finishes (a long job, a user who never answers).
        async { std::future::pending::<Reply<u32>>().await }
    });
    // The loop acknowledges when first polled: poll it while the listener connects.
    let (listener, serving) = match within(STEP, "connected", select(serving, Box::pin(listening))).await {
        Either::Right((connected, serving)) => (connected.expect("connected"), serving),
        Either::Left((ended, _)) => panic!("the loop ended: {ended:?}"),
    };
    let pending = listener.send(1);
    let serving = match within(STEP, "the handler to start", select(serving, started_signal)).await {
        Either::Right((_, serving)) => serving,
        Either::Left((ended, _)) => panic!("the loop ended: {ended:?}"),
    };
    let started = now_ms();
    drop(serving);
    let failed = within(STEP, "the listener's send to fail", pending).await.unwrap_err();
    let elapsed = now_ms() - started;
    assert_eq!(failed.error, Error::PeerClosed(CloseReason::Closed));
    assert!(elapsed < PROMPT, "{elapsed:.0} ms");
    drop(listener);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_interrupt_receivers_dropped_with_interrupts_waiting_close_their_channel_only() {
    let before = live();
    let trace = Trace::default();
    let pair = connect_pair::<u32, u32>(page_config(), trace.observe(page_config()), 0).await;
    let (multi, stream) = InterruptRequest::multi_use::<u32>();
    let knocker_pending = pair.knocker.send_with_interrupt(1, multi);
    let mut got = within(STEP, "the request", pair.listener_pending).await.unwrap();
    let emitter = got.take_interrupt::<u32>().expect("a channel");
    for n in 0..3 {
        emitter.emit(&n).unwrap();
    }
    let incoming = |step: &Step| {
        matches!(
            step,
            Step::Interrupt {
                direction: Direction::Incoming,
                ..
            }
        )
    };
    trace.wait_for(3, "three interrupts waiting", incoming).await;
    let ports = pair.knocker.status().open_ports;
    drop(stream);
    assert_eq!(
        pair.knocker.status().open_ports,
        ports - 1,
        "the channel's port is closed"
    );
    assert_eq!(trace.count(|s| matches!(s, Step::InterruptClosed { .. })), 1);

    // A one-time channel whose answer waits untaken.
    let listener_pending = pair.listener.send(2);
    within(STEP, "the reply", knocker_pending).await.unwrap();
    let (once, answer) = InterruptRequest::one_time::<u32>();
    let knocker_pending = pair.knocker.send_with_interrupt(3, once);
    let mut got = within(STEP, "the question", listener_pending).await.unwrap();
    let one_time = got.take_interrupt::<u32>().expect("a channel");
    one_time.emit(&42).unwrap();
    trace.wait_for(4, "the answer waiting", incoming).await;
    drop(answer);

    // The session goes on.
    let _listener_pending = pair.listener.send(4);
    assert_eq!(within(STEP, "a reply", knocker_pending).await.unwrap().message, 4);
    assert_eq!(pair.knocker.status().closed_with, None);
    assert_eq!(pair.knocker.status().open_ports, 1, "only the current channel is left");
    drop((emitter, one_time));
    drop(pair.knocker);
    drop(pair.listener);
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_queued_send_dropped_before_its_turn_still_goes_out() {
    let before = live();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    let first = pair.knocker.send(1);
    // Queued behind the first; its future is dropped before its turn.
    drop(pair.knocker.send(2));
    assert_eq!(
        within(STEP, "the first", pair.listener_pending).await.unwrap().message,
        1
    );
    let listener_pending = pair.listener.send(10);
    assert_eq!(within(STEP, "the first reply", first).await.unwrap().message, 10);
    assert_eq!(
        within(STEP, "the dropped send's message", listener_pending)
            .await
            .unwrap()
            .message,
        2,
        "queued when called, it goes out in its turn"
    );
    drop(pair.knocker);
    drop(pair.listener);
    assert_eq!(live(), before);
}
