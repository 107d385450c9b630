//! Where the messenger's actions wait for the next animation frame. Plain Rust: tested natively.
//!
//! Everything the messenger reports (observer steps, interrupts, the handler's notes) is pushed
//! here, and the web layer ([`crate::frame`]) hands the whole queue to the reducer as one
//! [`HostAction::Batch`] per animation frame: one copy of the state and one render per frame,
//! however many events arrived.
//!
//! The queue is kept small while it waits, so a flush is bounded too:
//!
//! * steps the reducer ignores ([`HostState::concerns`]) are dropped at once;
//! * interrupts in words are coalesced into one [`HostAction::Interrupts`], which keeps only the
//!   latest [`INTERRUPTS_KEPT`](crate::state::INTERRUPTS_KEPT) and counts the rest;
//! * interrupt receipts of one channel of one session are coalesced into one
//!   [`SessionAction::InterruptsReceived`], as long as nothing but interrupts came since (so the
//!   receipts stay in order with everything else);
//! * at [`FLUSH_AT`] queued actions the web layer flushes without waiting for a frame: a hidden
//!   page gets no animation frames, and its queue must not grow without end.
//!
//! So an interrupt flood queues two actions per frame, whatever its size. Everything else (wire
//! messages, handshake steps, request and reply labels) comes one per turn of the conversation.

use crate::peer::SessionId;
use crate::state::{HostAction, HostState, Interrupts, SessionAction};
use messenger::{Observation, Step};

/// How many queued actions make the web layer flush at once instead of at the next frame.
pub const FLUSH_AT: usize = 1_000;

/// Actions waiting for the next animation frame, in order, coalesced.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: Vec<HostAction>,
    /// Where in `queue` the coalesced [`HostAction::Interrupts`] is.
    interrupts: Option<usize>,
    /// Where in `queue` each channel's coalesced [`SessionAction::InterruptsReceived`] is, for
    /// those queued since the last action that is not an interrupt.
    received: Vec<((SessionId, u64), usize)>,
}

impl Outbox {
    /// Queues `action`, dropping or coalescing it where that shows the same.
    pub fn push(&mut self, action: HostAction) {
        match action {
            HostAction::Batch(actions) => actions.into_iter().for_each(|action| self.push(action)),
            HostAction::Session(_, SessionAction::Observed(Observation { step, .. }))
                if !HostState::concerns(&step) => {}
            HostAction::Session(
                session,
                SessionAction::Observed(Observation {
                    step: Step::Interrupt { channel, .. },
                    ..
                }),
            ) => self.received(session, channel.raw(), 1),
            HostAction::Session(session, SessionAction::InterruptsReceived { channel, count }) => {
                self.received(session, channel, count)
            }
            HostAction::Interrupt(text) => self.interrupts().push(text),
            HostAction::Interrupts(interrupts) => self.interrupts().append(interrupts),
            other => {
                self.received.clear();
                self.queue.push(other);
            }
        }
    }

    fn received(&mut self, session: SessionId, channel: u64, count: usize) {
        let key = (session, channel);
        if let Some(&(_, at)) = self.received.iter().find(|(queued, _)| *queued == key) {
            if let HostAction::Session(_, SessionAction::InterruptsReceived { count: queued, .. }) = &mut self.queue[at]
            {
                *queued += count;
                return;
            }
        }
        self.received.push((key, self.queue.len()));
        self.queue.push(HostAction::Session(
            session,
            SessionAction::InterruptsReceived { channel, count },
        ));
    }

    fn interrupts(&mut self) -> &mut Interrupts {
        let at = *self.interrupts.get_or_insert_with(|| {
            self.queue.push(HostAction::Interrupts(Interrupts::default()));
            self.queue.len() - 1
        });
        match &mut self.queue[at] {
            HostAction::Interrupts(interrupts) => interrupts,
            // `interrupts` is set only together with pushing this very action, and the queue is
            // only ever appended to until `take` clears both.
            _ => unreachable!("the outbox's interrupts index points at its Interrupts action"),
        }
    }

    /// How many actions wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Everything that waits, as one action; `None` when nothing does.
    pub fn take(&mut self) -> Option<HostAction> {
        self.interrupts = None;
        self.received.clear();
        match std::mem::take(&mut self.queue) {
            queue if queue.is_empty() => None,
            queue => Some(HostAction::Batch(queue)),
        }
    }
}

#[cfg(test)]
mod tests {
    use messenger::protocol::{IgnoreReason, Instant, PortId};
    use messenger::{Direction, HandshakeState, InterruptKind};

    use super::*;
    use crate::peer::Peer;

    const FRAME_1: SessionId = SessionId {
        peer: Peer::Frame,
        number: 1,
    };
    const WINDOW_2: SessionId = SessionId {
        peer: Peer::Window,
        number: 2,
    };

    fn observed_in(session: SessionId, step: Step) -> HostAction {
        HostAction::Session(
            session,
            SessionAction::Observed(Observation {
                at: Instant::from_millis_f64(0.0),
                step,
            }),
        )
    }

    fn observed(step: Step) -> HostAction {
        observed_in(FRAME_1, step)
    }

    fn receipt_in(session: SessionId, channel: u64) -> HostAction {
        observed_in(
            session,
            Step::Interrupt {
                channel: PortId::from_raw(channel),
                direction: Direction::Incoming,
            },
        )
    }

    fn receipt(channel: u64) -> HostAction {
        receipt_in(FRAME_1, channel)
    }

    fn received(session: SessionId, channel: u64, count: usize) -> HostAction {
        HostAction::Session(session, SessionAction::InterruptsReceived { channel, count })
    }

    fn batch(outbox: &mut Outbox) -> Vec<HostAction> {
        match outbox.take() {
            Some(HostAction::Batch(actions)) => actions,
            other => panic!("expected a batch, got {other:?}"),
        }
    }

    #[test]
    fn an_interrupt_flood_queues_two_actions() {
        let mut outbox = Outbox::default();
        for n in 0..100_000 {
            outbox.push(receipt(7));
            outbox.push(HostAction::Interrupt(format!("pin #{n}")));
        }
        assert_eq!(outbox.len(), 2);
        let actions = batch(&mut outbox);
        assert_eq!(actions[0], received(FRAME_1, 7, 100_000));
        let HostAction::Interrupts(interrupts) = &actions[1] else {
            panic!("expected the coalesced interrupts, got {:?}", actions[1]);
        };
        assert_eq!(interrupts.total(), 100_000);
        assert_eq!(interrupts.len(), crate::state::INTERRUPTS_KEPT);
        assert_eq!(interrupts.iter().last().map(String::as_str), Some("pin #99999"));
        assert!(outbox.len() == 0 && outbox.take().is_none());
    }

    #[test]
    fn a_flushed_batch_shows_what_single_actions_would() {
        let actions = [
            observed(Step::Handshake(HandshakeState::Knocking)),
            observed(Step::InterruptOpened {
                channel: PortId::from_raw(3),
                kind: InterruptKind::MultiUse,
                direction: Direction::Incoming,
            }),
            receipt(3),
            HostAction::Interrupt("share #1".into()),
            observed(Step::Ignored {
                reason: IgnoreReason::WrongOrigin,
            }),
            receipt(3),
            HostAction::Interrupt("pin #1".into()),
            HostAction::Problem("oops".into()),
            receipt(3),
            HostAction::Interrupt("ask for attention".into()),
        ];
        let mut one_by_one = HostState::default();
        let mut outbox = Outbox::default();
        for action in actions {
            one_by_one.apply(action.clone());
            outbox.push(action);
        }
        let mut batched = HostState::default();
        batched.apply(outbox.take().unwrap());
        assert_eq!(batched, one_by_one);
        assert_eq!(batched.channels[0].received, 3);
        assert_eq!(batched.interrupts.total(), 3);
    }

    #[test]
    fn receipts_stay_in_order_with_other_actions() {
        let mut outbox = Outbox::default();
        outbox.push(receipt(3));
        outbox.push(observed(Step::Handshake(HandshakeState::Knocking)));
        outbox.push(receipt(3));
        outbox.push(receipt(3));
        let actions = batch(&mut outbox);
        assert_eq!(actions.len(), 3);
        assert_eq!(actions[0], received(FRAME_1, 3, 1));
        assert_eq!(actions[2], received(FRAME_1, 3, 2));
    }

    #[test]
    fn receipts_of_two_sessions_stay_apart() {
        // Port ids are per session: channel 3 of the iframe's session is not the window's.
        let mut outbox = Outbox::default();
        for _ in 0..3 {
            outbox.push(receipt(3));
            outbox.push(receipt_in(WINDOW_2, 3));
        }
        assert_eq!(batch(&mut outbox), [received(FRAME_1, 3, 3), received(WINDOW_2, 3, 3)]);
    }

    #[test]
    fn ignored_steps_do_not_wait_for_a_frame() {
        let mut outbox = Outbox::default();
        for _ in 0..10_000 {
            outbox.push(observed(Step::Ignored {
                reason: IgnoreReason::WrongOrigin,
            }));
        }
        assert_eq!(outbox.len(), 0);
        assert_eq!(outbox.take(), None);
    }
}
