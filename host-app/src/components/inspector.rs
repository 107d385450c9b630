use messenger::{Direction, InterruptKind, MessageKind};
use yew::prelude::*;

use crate::peer::SessionId;
use crate::state::Errors;
use crate::timeline::{Row, Timeline, WireRow};

/// Properties of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The timeline (its latest rows).
    pub timeline: Timeline,
    /// Errors in plain words.
    pub errors: Errors,
}

fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Knock => "👋 knock",
        MessageKind::Listen => "🤝 listen",
        MessageKind::Acknowledge => "👂 acknowledge",
        MessageKind::Message => "message",
    }
}

fn direction(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Outgoing => ("→ Eos", "out"),
        Direction::Incoming => ("→ host", "in"),
    }
}

/// The session's cells: its number, and which Eos.
fn session_cells(session: SessionId) -> Html {
    html! {
        <>
            <td class="session">{ session.number }</td>
            <td class="peer">{ session.peer.word() }</td>
        </>
    }
}

fn message_row(row: &WireRow) -> Html {
    let (arrow, class) = direction(row.direction);
    let label = row.label.clone().unwrap_or_default();
    let interrupt = match row.interrupt {
        Some(InterruptKind::MultiUse) => " + multi-use interrupt",
        Some(InterruptKind::OneTime) => " + one-time interrupt",
        None => "",
    };
    html! {
        <tr class={classes!("wire-row", class)} data-generation={row.generation.to_string()} data-direction={class} data-peer={row.session.peer.word()}>
            { session_cells(row.session) }
            <td class="time">{ format!("{:.1}", row.at_ms) }</td>
            <td class="direction">{ arrow }</td>
            <td class="kind">{ kind_name(row.kind) }{ interrupt }</td>
            <td class="label">{ label }</td>
            <td class="generation">{ row.generation }</td>
            <td class="reply-after">{ row.reply_after_ms.map(|ms| format!("{ms:.1} ms")).unwrap_or_default() }</td>
        </tr>
    }
}

fn inspector_row(row: &Row) -> Html {
    match row {
        Row::Message(row) => message_row(row),
        // All the session's knocks, at generation 0: the time is the last one's.
        Row::Knocks(run) => html! {
            <tr class="wire-row out folded knocks" data-generation="0" data-direction="out" data-count={run.count.to_string()}
                data-peer={run.session.peer.word()}
                title={format!("{} knocks from {:.1} ms to {:.1} ms, each on a fresh channel", run.count, run.first_at_ms, run.last_at_ms)}>
                { session_cells(run.session) }
                <td class="time">{ format!("{:.1}", run.last_at_ms) }</td>
                <td class="direction">{ "→ Eos" }</td>
                <td class="kind">{ format!("👋 knock ×{}", run.count) }</td>
                <td class="label"></td>
                <td class="generation">{ 0 }</td>
                <td class="reply-after"></td>
            </tr>
        },
        // Eos's polls and the host's unchanged replies, alternating from the first generation
        // (a poll, incoming) to the last (a reply, outgoing).
        Row::Polls(run) => html! {
            <tr class="wire-row in folded polls" data-generation={run.first_generation.to_string()}
                data-last-generation={run.last_generation.to_string()} data-direction="in" data-count={run.count.to_string()}
                data-peer={run.session.peer.word()}
                title={format!("{} idle polls, each answered by an unchanged “polled”, from {:.1} ms to {:.1} ms", run.count, run.first_at_ms, run.last_at_ms)}>
                { session_cells(run.session) }
                <td class="time">{ format!("{:.1}", run.last_at_ms) }</td>
                <td class="direction">{ "⇄" }</td>
                <td class="kind">{ format!("{} messages", 2 * u64::from(run.count)) }</td>
                <td class="label">{ format!("poll ×{}", run.count) }</td>
                <td class="generation">{ format!("{}–{}", run.first_generation, run.last_generation) }</td>
                <td class="reply-after"></td>
            </tr>
        },
    }
}

/// The live protocol timeline: every message with direction, kind, port generation and timing;
/// runs of knocks and of idle polls folded into one row each (see [`crate::timeline`]).
#[component]
pub fn Inspector(props: &InspectorProps) -> Html {
    html! {
        <div class="panel inspector">
            <h2>{ "Protocol inspector" }</h2>
            <p class="hint">{ "Newest first. One message per turn: each travels on the port generation after the last and carries a fresh port for its reply. Knocks and idle polls fold into one row with a count; the current handshake always stays." }</p>
            <p class="hint counts">
                { format!("Showing {} rows for the last {} of ", props.timeline.len(), props.timeline.kept_messages()) }
                <span id="inspector-total">{ props.timeline.total() }</span>
                { " messages." }
            </p>
            if !props.errors.is_empty() {
                <ul id="errors" class="errors">
                    { for props.errors.iter().map(|e| html! { <li>{ e }</li> }) }
                </ul>
            }
            <div class="scroll">
                <table id="wire-log">
                    <thead><tr>
                        <th title="session">{ "s." }</th><th title="which Eos: the iframe's or the window's">{ "Eos" }</th><th>{ "ms" }</th><th>{ "to" }</th><th>{ "wire" }</th>
                        <th>{ "application" }</th><th title="port generation">{ "gen" }</th><th>{ "reply after" }</th>
                    </tr></thead>
                    <tbody>{ for props.timeline.iter().rev().map(inspector_row) }</tbody>
                </table>
            </div>
        </div>
    }
}
