//! Whatever the order of sends on both sides, deliveries, losses, interrupts, timer advances and
//! closes, no message is lost silently: every send is delivered exactly once and in FIFO order, or
//! its sender hears that it failed (with the payload back when it never left); interrupts arrive
//! in order and at most once; the observer numbers messages alike on both sides; once both sides
//! are closed no port is left open; and a side told by a close notice that its peer ended was
//! told the peer's own reason.

use crate::support::*;

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Send(Side, Option<InterruptKind>),
    /// Deliver the n-th (modulo) deliverable message.
    Deliver(usize),
    /// The n-th (modulo) object in flight never arrives: its page navigated away. (Only objects:
    /// each travels on a one-time port, while a browser never drops one interrupt of a stream
    /// whose port lives on.)
    Lose(usize),
    Drive,
    /// Let time pass; deliver as things are posted, or hold everything in flight.
    Advance {
        millis: u64,
        deliver: bool,
    },
    /// Emit on the n-th (modulo) interrupt port this side ever received.
    Emit(Side, usize),
    /// Close the n-th (modulo) interrupt channel this side ever opened.
    CloseInterrupt(Side, usize),
    /// Release the n-th (modulo) interrupt port this side ever received.
    ReleaseInterrupt(Side, usize),
    Close(Side),
    LoadListener,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Knocker), Just(Side::Listener)]
}

fn interrupt() -> impl Strategy<Value = Option<InterruptKind>> {
    prop_oneof![3 => Just(None), 1 => Just(Some(InterruptKind::OneTime)), 1 => Just(Some(InterruptKind::MultiUse))]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (side(), interrupt()).prop_map(|(s, i)| Op::Send(s, i)),
        16 => any::<usize>().prop_map(Op::Deliver),
        1 => any::<usize>().prop_map(Op::Lose),
        2 => Just(Op::Drive),
        2 => (0u64..800, any::<bool>()).prop_map(|(millis, deliver)| Op::Advance { millis, deliver }),
        5 => (side(), any::<usize>()).prop_map(|(s, n)| Op::Emit(s, n)),
        1 => (side(), any::<usize>()).prop_map(|(s, n)| Op::CloseInterrupt(s, n)),
        1 => (side(), any::<usize>()).prop_map(|(s, n)| Op::ReleaseInterrupt(s, n)),
        1 => side().prop_map(Op::Close),
        2 => Just(Op::LoadListener),
    ]
}

/// What the application did, to hold the cores' reports against.
#[derive(Default)]
struct Ledger {
    next_payload: Payload,
    /// Every accepted send per side, in order.
    sent: BTreeMap<Side, Vec<(SendId, Payload)>>,
    /// Every interrupt emitted successfully, per emitting side and port.
    emitted: BTreeMap<(Side, PortId), Vec<Payload>>,
    /// Held ports that may not emit any more (one-time and used, or released).
    spent: Vec<(Side, PortId)>,
}

impl Ledger {
    fn payload(&mut self) -> Payload {
        self.next_payload += 1;
        self.next_payload
    }
}

fn nth<T: Copy>(items: &[T], n: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[n % items.len()])
}

fn apply(pair: &mut Pair, ledger: &mut Ledger, op: Op) {
    match op {
        Op::Send(side, interrupt) => {
            let payload = ledger.payload();
            let closed = pair.peer(side).core.closed_with().cloned();
            match pair.try_send(side, payload, interrupt) {
                Ok(id) => {
                    assert_eq!(closed, None, "an open side accepts sends");
                    ledger.sent.entry(side).or_default().push((id, payload));
                }
                Err(refused) => {
                    assert_eq!(
                        Some(refused.error),
                        closed,
                        "only a closed side refuses, with its error"
                    );
                    assert_eq!(refused.unsent, Some(payload), "and hands the value back");
                }
            }
        }
        Op::Deliver(n) => {
            if let Some(index) = nth(&pair.deliverable(), n) {
                pair.deliver(index);
            }
        }
        Op::Lose(n) => {
            let objects: Vec<usize> = (0..pair.in_flight().len())
                .filter(|i| matches!(pair.in_flight()[*i].data, Data::Wire(_)))
                .collect();
            if let Some(index) = nth(&objects, n) {
                pair.lose(index);
            }
        }
        Op::Drive => pair.drive(),
        Op::Advance { millis, deliver: true } => pair.advance(ms(millis)),
        Op::Advance { millis, deliver: false } => pair.advance_undelivered(ms(millis)),
        Op::Emit(side, n) => {
            let Some(held) = nth(&pair.peer(side).held_interrupts(), n) else {
                return;
            };
            let payload = ledger.payload();
            let expected = match pair.peer(side).core.closed_with() {
                Some(error) => Err(error.clone()),
                None if ledger.spent.contains(&(side, held.port)) => Err(Error::InterruptSpent),
                None => Ok(()),
            };
            assert_eq!(pair.emit(side, held.port, payload), expected);
            if expected.is_ok() {
                ledger.emitted.entry((side, held.port)).or_default().push(payload);
                if held.kind == InterruptKind::OneTime {
                    ledger.spent.push((side, held.port));
                }
            }
        }
        Op::CloseInterrupt(side, n) => {
            let channels: Vec<PortId> = pair.peer(side).interrupt_channels.values().copied().collect();
            if let Some(channel) = nth(&channels, n) {
                pair.close_interrupt(side, channel);
            }
        }
        Op::ReleaseInterrupt(side, n) => {
            if let Some(held) = nth(&pair.peer(side).held_interrupts(), n) {
                pair.release_interrupt(side, held.port);
                ledger.spent.push((side, held.port));
            }
        }
        Op::Close(side) => pair.close(side),
        Op::LoadListener => pair.listener_up = true,
    }
}

/// Checked after every operation.
fn check_running(pair: &Pair) {
    let messages = pair
        .in_flight()
        .iter()
        .filter(|p| matches!(&p.data, Data::Wire(w) if w.message.is_some()))
        .count();
    assert!(messages <= 1, "{messages} application messages in flight at once");
    assert!(
        pair.unheard.is_empty(),
        "a message reached a port nobody listens on: {:?}",
        pair.unheard
    );
    for side in Side::BOTH {
        let peer = pair.peer(side);
        if let Some(at) = peer.events.iter().position(|e| matches!(e, Event::Closed(_))) {
            assert_eq!(at, peer.events.len() - 1, "{side:?} reported something after its end");
        }
    }
}

/// Checked once both sides are closed and the browser is quiet.
fn check_outcome(pair: &Pair, ledger: &Ledger) {
    for side in Side::BOTH {
        let error = pair.peer(side).core.closed_with().cloned().expect("closed");
        assert_closed_cleanly(pair, side, &error);
        // A close notice is never spurious: a side told the peer ended did so because the peer
        // ended, for the reason the peer's own error gives.
        if let Error::PeerClosed(reason) = error {
            let theirs = pair.peer(side.peer()).core.closed_with().expect("closed");
            assert_eq!(
                CloseReason::telling(theirs),
                Some(reason),
                "{side:?} was told {reason:?}, the peer ended with {theirs:?}"
            );
        }
    }
    assert!(pair.unheard.is_empty());

    for sender in Side::BOTH {
        let receiver = sender.peer();
        let sent = ledger.sent.get(&sender).cloned().unwrap_or_default();
        let payloads: Vec<Payload> = sent.iter().map(|(_, p)| *p).collect();
        let received = pair.peer(receiver).received();

        // Exactly once, in order: what arrived is a prefix of what was sent.
        assert!(
            received.len() <= payloads.len() && received[..] == payloads[..received.len()],
            "{receiver:?} received {received:?} of {payloads:?}"
        );

        // Every send has exactly one outcome on its sender: the reply, or a failure.
        let events = &pair.peer(sender).events;
        for (index, (id, payload)) in sent.iter().enumerate() {
            let outcomes: Vec<&Event<Payload>> = events
                .iter()
                .filter(|e| matches!(e, Event::Received { waiter, .. } | Event::Failed { waiter, .. } if *waiter == Waiter::Send(*id)))
                .collect();
            let [outcome] = outcomes[..] else {
                panic!("{sender:?} send {id:?} has outcomes {outcomes:?}")
            };
            let arrived = index < received.len();
            match outcome {
                Event::Received { .. } => assert!(arrived, "a reply to a message that never arrived"),
                Event::Failed {
                    unsent: Some(unsent), ..
                } => {
                    assert_eq!(unsent, payload, "the unsent value is handed back");
                    assert!(!arrived, "{payload} arrived, yet was reported unsent");
                }
                Event::Failed { unsent: None, .. } => {}
                _ => unreachable!(),
            }
        }
        let first = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::Received {
                        waiter: Waiter::FirstMessage,
                        ..
                    } | Event::Failed {
                        waiter: Waiter::FirstMessage,
                        ..
                    }
                )
            })
            .count();
        assert!(
            first <= usize::from(sender == Side::Knocker),
            "{sender:?} first-message outcomes: {first}"
        );
    }

    // Interrupts: per channel, a prefix of what was emitted on its other end; at most one on a
    // one-time channel; every channel ended exactly once, nothing after its end.
    for side in Side::BOTH {
        let peer = pair.peer(side);
        for channel in peer.interrupt_channels.values() {
            let heard = peer.interrupts_on(*channel);
            let emitted = match pair.counterpart(side, *channel) {
                Some((emitter, port)) => ledger.emitted.get(&(emitter, port)).cloned().unwrap_or_default(),
                None => Vec::new(), // the message carrying it never arrived
            };
            assert!(
                heard.len() <= emitted.len() && heard[..] == emitted[..heard.len()],
                "{side:?} {channel:?}: heard {heard:?} of {emitted:?}"
            );
            assert_eq!(
                peer.interrupt_endings(*channel).len(),
                1,
                "{side:?} {channel:?} ended once"
            );
            let ended = peer
                .events
                .iter()
                .position(|e| matches!(e, Event::InterruptEnded { channel: c, .. } if c == channel));
            let last_heard = peer
                .events
                .iter()
                .rposition(|e| matches!(e, Event::Interrupt { channel: c, .. } if c == channel));
            assert!(
                last_heard < ended,
                "{side:?} {channel:?} heard an interrupt after its end"
            );
        }
        for held in peer.held_interrupts() {
            if held.kind == InterruptKind::OneTime {
                let emitted = ledger.emitted.get(&(side, held.port)).map_or(0, Vec::len);
                assert!(emitted <= 1, "{emitted} interrupts emitted on a one-time port");
            }
        }
    }

    // Observations: generations go up by one per message, and both sides number a message alike.
    let numbered = |side: Side| -> Vec<(Direction, MessageKind, u64)> {
        pair.peer(side)
            .messages_observed()
            .into_iter()
            .filter(|m| m.1 != MessageKind::Knock)
            .collect()
    };
    let (knocker, listener) = (numbered(Side::Knocker), numbered(Side::Listener));
    for messages in [&knocker, &listener] {
        for (index, (_, _, generation)) in messages.iter().enumerate() {
            assert_eq!(*generation, index as u64 + 1, "{messages:?}");
        }
    }
    for (k, l) in knocker.iter().zip(&listener) {
        assert_eq!(
            k.1, l.1,
            "generation {} is one message: {knocker:?} / {listener:?}",
            k.2
        );
        assert_ne!(k.0, l.0, "generation {} went one way: {knocker:?} / {listener:?}", k.2);
    }
    // Every interrupt channel the observer saw open, it saw closed.
    for side in Side::BOTH {
        let mut open = BTreeMap::new();
        for observation in &pair.peer(side).observations {
            match observation.step {
                Step::InterruptOpened { channel, .. } => assert!(open.insert(channel, ()).is_none()),
                Step::InterruptClosed { channel } => {
                    assert!(open.remove(&channel).is_some(), "{channel:?} closed twice")
                }
                _ => {}
            }
        }
        assert!(
            open.is_empty(),
            "{side:?}: the observer still sees {:?} open",
            open.keys().collect::<Vec<_>>()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_never_lose_a_message(
        listener_up in any::<bool>(),
        reply_timeout in option::of(200u64..3_000),
        ops in vec(op(), 0..100),
    ) {
        let timing = Timing { reply_timeout: reply_timeout.map(ms), handshake_timeout: ms(3_000), ..steady() };
        let mut pair = Pair::new(timing);
        pair.auto_acknowledge = true;
        pair.listener_up = listener_up;
        let mut ledger = Ledger::default();
        for op in ops {
            apply(&mut pair, &mut ledger, op);
            check_running(&pair);
        }
        pair.drive();
        check_running(&pair);
        pair.close(Side::Knocker);
        pair.close(Side::Listener);
        pair.drive();
        check_outcome(&pair, &ledger);
    }
}
