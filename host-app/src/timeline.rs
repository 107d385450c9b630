//! The inspector's timeline: every wire message of every session, kept readable. Plain Rust:
//! tested natively.
//!
//! An idle Eos polls once a second, and a host that knocks while Eos's wasm starts sends a
//! dozen knocks, so a plain list of messages would push the handshake out of view within
//! seconds. Two rules keep it readable:
//!
//! * **Runs fold.** The knocks of one session are one row (`👋 knock ×7`), and so is a run of
//!   idle polls of one session: each a `poll` answered by an unchanged `polled` (no question,
//!   no interrupt channel riding along) on the next generation, the runs back to back (`poll ×37`).
//!   A run of polls shows from its second poll on; one poll is two rows like any request. A run
//!   that grows moves to the top, the newest row: its last message is the session's newest.
//! * **The handshake stays.** At most [`ROWS_KEPT`] rows are kept, the oldest going first, but
//!   never the handshake rows (👋 🤝 👂) of a current session (the latest of each [`Peer`]).
//!
//! Every message counts in [`Timeline::total`], folded or not.

use std::collections::VecDeque;

use messenger::{Direction, InterruptKind, MessageKind};

#[cfg(doc)]
use crate::peer::Peer;
use crate::peer::SessionId;

/// How many rows the inspector keeps (the oldest go first, except the current handshake).
pub const ROWS_KEPT: usize = 300;

/// The application label of an idle poll, and of the host's answer to it without a question.
const POLL: &str = "poll";
const POLLED: &str = "polled";

/// One message as the inspector lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct WireRow {
    /// Which session of which Eos.
    pub session: SessionId,
    /// Milliseconds since the page started.
    pub at_ms: f64,
    /// Which way it went.
    pub direction: Direction,
    /// Which wire message.
    pub kind: MessageKind,
    /// The port generation it travelled on.
    pub generation: u64,
    /// For a reply: how long after this side's own message it came.
    pub reply_after_ms: Option<f64>,
    /// An interrupt channel that rode along.
    pub interrupt: Option<InterruptKind>,
    /// What the application said, when known (`list_items`, `items`, ...).
    pub label: Option<String>,
}

impl WireRow {
    fn is_label(&self, direction: Direction, label: &str) -> bool {
        self.direction == direction
            && self.kind == MessageKind::Message
            && self.interrupt.is_none()
            && self.label.as_deref() == Some(label)
    }

    /// Eos's `poll`, with nothing riding along.
    fn is_idle_poll(&self) -> bool {
        self.is_label(Direction::Incoming, POLL)
    }

    /// The host's `polled` without a question or a new channel: nothing changed.
    fn is_unchanged_polled(&self) -> bool {
        self.is_label(Direction::Outgoing, POLLED)
    }
}

/// Messages of one session folded into one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Which session of which Eos.
    pub session: SessionId,
    /// How many: knocks, or polls answered.
    pub count: u32,
    /// The generation of the first message.
    pub first_generation: u64,
    /// The generation of the last message.
    pub last_generation: u64,
    /// When the first message went (milliseconds since the page started).
    pub first_at_ms: f64,
    /// When the last message went.
    pub last_at_ms: f64,
}

impl Run {
    fn starting(row: &WireRow) -> Run {
        Run {
            session: row.session,
            count: 1,
            first_generation: row.generation,
            last_generation: row.generation,
            first_at_ms: row.at_ms,
            last_at_ms: row.at_ms,
        }
    }

    fn extend_to(&mut self, row: &WireRow) {
        self.count += 1;
        self.last_generation = row.generation;
        self.last_at_ms = row.at_ms;
    }
}

/// One row of the inspector.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// One message.
    Message(WireRow),
    /// The knocks of one session (all at generation 0).
    Knocks(Run),
    /// Idle polls of one session, each with its unchanged reply: `2 × count` messages from
    /// `first_generation` (Eos's first poll) to `last_generation` (the host's last reply).
    Polls(Run),
}

impl Row {
    /// The session the row belongs to.
    pub fn session(&self) -> SessionId {
        match self {
            Row::Message(row) => row.session,
            Row::Knocks(run) | Row::Polls(run) => run.session,
        }
    }

    /// How many messages it stands for.
    pub fn messages(&self) -> u64 {
        match self {
            Row::Message(_) => 1,
            Row::Knocks(run) => u64::from(run.count),
            Row::Polls(run) => 2 * u64::from(run.count),
        }
    }

    /// Whether it is part of a handshake (👋 🤝 👂).
    fn is_handshake(&self) -> bool {
        match self {
            Row::Message(row) => row.kind != MessageKind::Message,
            Row::Knocks(_) => true,
            Row::Polls(_) => false,
        }
    }
}

/// The inspector's rows, oldest first, with the count of every message ever shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    rows: VecDeque<Row>,
    total: u64,
    /// The current session of each peer: their handshake rows are never evicted.
    current: Vec<SessionId>,
}

impl Timeline {
    /// Session `session` starts: from now on its handshake rows are the ones of its peer kept.
    pub fn begin(&mut self, session: SessionId) {
        self.current.retain(|current| current.peer != session.peer);
        self.current.push(session);
    }

    /// Adds one message, folding it into a run where it continues one (see the module docs).
    pub fn push(&mut self, row: WireRow) {
        self.total += 1;
        let folded = match (row.direction, row.kind) {
            (Direction::Outgoing, MessageKind::Knock) => self.fold_knock(&row),
            _ if row.is_unchanged_polled() => self.fold_poll(&row),
            _ => false,
        };
        if !folded {
            self.rows.push_back(Row::Message(row));
        }
        self.evict();
    }

    /// Labels the latest incoming message of `session` with the request it carried, unless it
    /// has a label already.
    pub fn label_request(&mut self, session: SessionId, label: String) {
        let latest = self.rows.iter_mut().rev().find_map(|row| match row {
            Row::Message(row)
                if row.session == session
                    && row.direction == Direction::Incoming
                    && row.kind == MessageKind::Message =>
            {
                Some(row)
            }
            _ => None,
        });
        if let Some(row) = latest {
            row.label.get_or_insert(label);
        }
    }

    /// The kept rows, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Row> + ExactSizeIterator {
        self.rows.iter()
    }

    /// How many rows are kept (at most [`ROWS_KEPT`]).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// How many messages the kept rows stand for.
    pub fn kept_messages(&self) -> u64 {
        self.rows.iter().map(Row::messages).sum()
    }

    /// How many messages were ever added.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Where the newest row of `session` before `before` is.
    fn latest_of(&self, session: SessionId, before: usize) -> Option<usize> {
        self.rows.range(..before).rposition(|row| row.session() == session)
    }

    /// Moves the row at `at` to the end (it is now the newest of the timeline).
    fn move_to_end(&mut self, at: usize) {
        if let Some(row) = self.rows.remove(at) {
            self.rows.push_back(row);
        }
    }

    /// Adds a knock to its session's knocks, if the session has sent nothing else yet.
    fn fold_knock(&mut self, knock: &WireRow) -> bool {
        let Some(at) = self.latest_of(knock.session, self.rows.len()) else {
            return false;
        };
        match &mut self.rows[at] {
            Row::Knocks(run) => run.extend_to(knock),
            Row::Message(first) if first.kind == MessageKind::Knock && first.direction == Direction::Outgoing => {
                let mut run = Run::starting(first);
                run.extend_to(knock);
                self.rows[at] = Row::Knocks(run);
            }
            _ => return false,
        }
        self.move_to_end(at);
        true
    }

    /// Folds `polled` and the idle poll it answers into the run of polls before them (or, when
    /// a lone poll and its reply come before, into a new run of two).
    fn fold_poll(&mut self, polled: &WireRow) -> bool {
        let session = polled.session;
        let Some(poll_at) = self.latest_of(session, self.rows.len()) else {
            return false;
        };
        let Row::Message(poll) = &self.rows[poll_at] else {
            return false;
        };
        if !poll.is_idle_poll() || poll.generation + 1 != polled.generation {
            return false;
        }
        let poll_generation = poll.generation;
        let Some(before_at) = self.latest_of(session, poll_at) else {
            return false;
        };
        match &mut self.rows[before_at] {
            Row::Polls(run) if run.last_generation + 1 == poll_generation => {
                run.extend_to(polled);
                self.rows.remove(poll_at);
                self.move_to_end(before_at);
                true
            }
            Row::Message(reply) if reply.is_unchanged_polled() && reply.generation + 1 == poll_generation => {
                let reply_generation = reply.generation;
                let Some(first_at) = self.latest_of(session, before_at) else {
                    return false;
                };
                let run = match &self.rows[first_at] {
                    Row::Message(first) if first.is_idle_poll() && first.generation + 1 == reply_generation => {
                        let mut run = Run::starting(first);
                        run.extend_to(polled);
                        run
                    }
                    _ => return false,
                };
                // Highest index first, so the others stay where they are.
                for at in [poll_at, before_at, first_at] {
                    self.rows.remove(at);
                }
                self.rows.push_back(Row::Polls(run));
                true
            }
            _ => false,
        }
    }

    /// Drops the oldest rows beyond [`ROWS_KEPT`], keeping the current session's handshake.
    fn evict(&mut self) {
        while self.rows.len() > ROWS_KEPT {
            let oldest = self
                .rows
                .iter()
                .position(|row| !(row.is_handshake() && self.current.contains(&row.session())))
                .unwrap_or(0);
            self.rows.remove(oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::peer::test_ids::{frame, window};

    fn row(
        session: SessionId,
        generation: u64,
        direction: Direction,
        kind: MessageKind,
        label: Option<&str>,
    ) -> WireRow {
        WireRow {
            session,
            at_ms: generation as f64 * 10.0,
            direction,
            kind,
            generation,
            reply_after_ms: None,
            interrupt: None,
            label: label.map(str::to_owned),
        }
    }

    fn knock(session: SessionId) -> WireRow {
        row(session, 0, Direction::Outgoing, MessageKind::Knock, None)
    }

    /// Session `session`'s handshake (`knocks` knocks, listen, acknowledge), then introduce
    /// and welcome: the next message is Eos's, at generation 5.
    fn handshake(timeline: &mut Timeline, session: SessionId, knocks: u32) {
        timeline.begin(session);
        for _ in 0..knocks {
            timeline.push(knock(session));
        }
        timeline.push(row(session, 1, Direction::Incoming, MessageKind::Listen, None));
        timeline.push(row(session, 2, Direction::Outgoing, MessageKind::Acknowledge, None));
        request(timeline, session, 3, "introduce", "welcome");
    }

    /// Eos's request at `generation` (labelled the way the page labels it: after it arrived)
    /// and the host's reply.
    fn request(timeline: &mut Timeline, session: SessionId, generation: u64, request: &str, reply: &str) {
        timeline.push(row(
            session,
            generation,
            Direction::Incoming,
            MessageKind::Message,
            None,
        ));
        timeline.label_request(session, request.into());
        timeline.push(row(
            session,
            generation + 1,
            Direction::Outgoing,
            MessageKind::Message,
            Some(reply),
        ));
    }

    /// What each row shows, oldest first: `label ×count @first-last` for runs.
    fn shown(timeline: &Timeline) -> Vec<String> {
        timeline
            .iter()
            .map(|row| match row {
                Row::Message(row) => format!(
                    "{} {:?} {}",
                    row.session.number,
                    row.kind,
                    row.label.as_deref().unwrap_or("-")
                ),
                Row::Knocks(run) => format!("{} knock ×{}", run.session.number, run.count),
                Row::Polls(run) => format!(
                    "{} poll ×{} @{}-{}",
                    run.session.number, run.count, run.first_generation, run.last_generation
                ),
            })
            .collect()
    }

    #[test]
    fn the_knocks_of_a_session_are_one_row() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 7);
        assert_eq!(
            shown(&timeline),
            [
                "1 knock ×7",
                "1 Listen -",
                "1 Acknowledge -",
                "1 Message introduce",
                "1 Message welcome"
            ]
        );
        assert_eq!((timeline.total(), timeline.kept_messages()), (11, 11));
        // One knock alone stays a plain row.
        let mut once = Timeline::default();
        handshake(&mut once, frame(1), 1);
        assert_eq!(shown(&once)[0], "1 Knock -");
    }

    #[test]
    fn idle_polls_fold_into_one_row_with_a_count() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 3);
        request(&mut timeline, frame(1), 5, "poll", "polled");
        // One poll is a request like any other.
        assert_eq!(shown(&timeline)[5..], ["1 Message poll", "1 Message polled"]);
        for n in 1..37 {
            request(&mut timeline, frame(1), 5 + 2 * n, "poll", "polled");
        }
        assert_eq!(
            shown(&timeline),
            [
                "1 knock ×3",
                "1 Listen -",
                "1 Acknowledge -",
                "1 Message introduce",
                "1 Message welcome",
                "1 poll ×37 @5-78"
            ]
        );
        assert_eq!(timeline.total(), 3 + 4 + 74);
        assert_eq!(timeline.kept_messages(), timeline.total());
    }

    #[test]
    fn a_request_ends_a_run_of_polls_and_a_new_run_starts_after_it() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 1);
        for generation in [5, 7, 9] {
            request(&mut timeline, frame(1), generation, "poll", "polled");
        }
        request(&mut timeline, frame(1), 11, "get_item", "item");
        for generation in [13, 15] {
            request(&mut timeline, frame(1), generation, "poll", "polled");
        }
        assert_eq!(
            shown(&timeline)[5..],
            [
                "1 poll ×3 @5-10",
                "1 Message get_item",
                "1 Message item",
                "1 poll ×2 @13-16"
            ]
        );
    }

    #[test]
    fn a_poll_whose_reply_carries_something_stays_apart() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 1);
        request(&mut timeline, frame(1), 5, "poll", "polled");
        // The host's question rides on this one.
        request(&mut timeline, frame(1), 7, "poll", "polled + question");
        request(&mut timeline, frame(1), 9, "poll", "polled");
        // A new action channel rides on this one.
        timeline.push(row(frame(1), 11, Direction::Incoming, MessageKind::Message, None));
        timeline.label_request(frame(1), "poll".into());
        let mut offer = row(frame(1), 12, Direction::Outgoing, MessageKind::Message, Some("polled"));
        offer.interrupt = Some(InterruptKind::MultiUse);
        timeline.push(offer);
        request(&mut timeline, frame(1), 13, "poll", "polled");
        let labels: Vec<String> = shown(&timeline)[5..].to_vec();
        assert_eq!(
            labels,
            [
                "1 Message poll",
                "1 Message polled",
                "1 Message poll",
                "1 Message polled + question",
                "1 Message poll",
                "1 Message polled",
                "1 Message poll",
                "1 Message polled",
                "1 Message poll",
                "1 Message polled"
            ]
        );
        assert_eq!(timeline.total(), timeline.kept_messages());
    }

    #[test]
    fn runs_of_one_session_do_not_take_in_another_sessions_polls() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 1);
        request(&mut timeline, frame(1), 5, "poll", "polled");
        handshake(&mut timeline, window(2), 1);
        request(&mut timeline, window(2), 5, "poll", "polled");
        request(&mut timeline, frame(1), 7, "poll", "polled");
        request(&mut timeline, window(2), 7, "poll", "polled");
        let shown = shown(&timeline);
        assert!(shown.contains(&"1 poll ×2 @5-8".to_owned()), "{shown:?}");
        assert_eq!(shown.last().map(String::as_str), Some("2 poll ×2 @5-8"));
    }

    #[test]
    fn the_bound_keeps_the_current_handshake() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 4);
        // Busy: a thousand requests that do not fold.
        for n in 0..1_000 {
            request(&mut timeline, frame(1), 5 + 2 * n, "get_item", "item");
        }
        assert_eq!(timeline.len(), ROWS_KEPT);
        assert_eq!(timeline.total(), 4 + 2 + 2 + 2_000);
        assert_eq!(shown(&timeline)[..3], ["1 knock ×4", "1 Listen -", "1 Acknowledge -"]);
        // After them, the newest rows: an odd number, so the oldest kept is a reply.
        assert_eq!(shown(&timeline)[3], "1 Message item");
        assert_eq!(timeline.kept_messages(), 4 + 2 + 297);

        // A new session: the old handshake may go, the new one stays.
        handshake(&mut timeline, frame(2), 2);
        for n in 0..400 {
            request(&mut timeline, frame(2), 5 + 2 * n, "list_items", "items");
        }
        assert_eq!(timeline.len(), ROWS_KEPT);
        let shown = shown(&timeline);
        assert_eq!(shown[..3], ["2 knock ×2", "2 Listen -", "2 Acknowledge -"]);
        assert!(shown.iter().all(|row| !row.starts_with("1 ")), "{shown:?}");
    }

    #[test]
    fn the_bound_keeps_the_handshake_of_each_peer() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 3);
        handshake(&mut timeline, window(2), 5);
        for n in 0..400 {
            request(&mut timeline, frame(1), 5 + 2 * n, "get_item", "item");
            request(&mut timeline, window(2), 5 + 2 * n, "list_items", "items");
        }
        assert_eq!(timeline.len(), ROWS_KEPT);
        assert_eq!(
            shown(&timeline)[..6],
            [
                "1 knock ×3",
                "1 Listen -",
                "1 Acknowledge -",
                "2 knock ×5",
                "2 Listen -",
                "2 Acknowledge -"
            ]
        );
    }

    #[test]
    fn a_request_label_goes_to_its_own_session() {
        let mut timeline = Timeline::default();
        handshake(&mut timeline, frame(1), 1);
        handshake(&mut timeline, window(2), 1);
        timeline.push(row(frame(1), 5, Direction::Incoming, MessageKind::Message, None));
        timeline.push(row(window(2), 5, Direction::Incoming, MessageKind::Message, None));
        timeline.label_request(frame(1), "get_item".into());
        timeline.label_request(window(2), "list_items".into());
        let shown = shown(&timeline);
        assert_eq!(shown[shown.len() - 2..], ["1 Message get_item", "2 Message list_items"]);
    }
}
