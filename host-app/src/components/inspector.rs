use messenger::{Direction, InterruptKind, MessageKind};
use yew::prelude::*;

use crate::state::{Errors, Wire};

/// Properties of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The timeline (its latest rows).
    pub wire: Wire,
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

/// The live protocol timeline: every message with direction, kind, port generation and timing.
#[component]
pub fn Inspector(props: &InspectorProps) -> Html {
    let rows = props.wire.iter().rev().map(|row| {
        let (arrow, class) = match row.direction {
            Direction::Outgoing => ("→ Eos", "out"),
            Direction::Incoming => ("→ host", "in"),
        };
        let label = row.label.clone().unwrap_or_default();
        let interrupt = match row.interrupt {
            Some(InterruptKind::MultiUse) => " + multi-use interrupt",
            Some(InterruptKind::OneTime) => " + one-time interrupt",
            None => "",
        };
        html! {
            <tr class={classes!("wire-row", class)} data-generation={row.generation.to_string()} data-direction={class}>
                <td class="session">{ row.session }</td>
                <td class="time">{ format!("{:.1}", row.at_ms) }</td>
                <td class="direction">{ arrow }</td>
                <td class="kind">{ kind_name(row.kind) }{ interrupt }</td>
                <td class="label">{ label }</td>
                <td class="generation">{ row.generation }</td>
                <td class="reply-after">{ row.reply_after_ms.map(|ms| format!("{ms:.1} ms")).unwrap_or_default() }</td>
            </tr>
        }
    });
    html! {
        <div class="panel inspector">
            <h2>{ "Protocol inspector" }</h2>
            <p class="hint">{ "Newest first. One message per turn: each travels on the port generation after the last and carries a fresh port for its reply." }</p>
            <p class="hint counts">
                { format!("Showing the last {} of ", props.wire.len()) }
                <span id="inspector-total">{ props.wire.total() }</span>
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
                        <th title="session">{ "s." }</th><th>{ "ms" }</th><th>{ "to" }</th><th>{ "wire" }</th>
                        <th>{ "application" }</th><th title="port generation">{ "gen" }</th><th>{ "reply after" }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </div>
    }
}
