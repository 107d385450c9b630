use std::collections::VecDeque;

use messenger::InterruptKind;
use yew::prelude::*;

use crate::state::{ChannelRow, Interrupts};

/// Properties of [`InterruptPanel`].
#[derive(Properties, PartialEq)]
pub struct InterruptPanelProps {
    /// Interrupt channels.
    pub channels: VecDeque<ChannelRow>,
    /// Interrupts received, in order (the latest of them).
    pub interrupts: Interrupts,
    /// Why the action channel ended early, if it did.
    pub error: Option<String>,
}

/// Open interrupt channels and the user actions that arrived on them.
#[component]
pub fn InterruptPanel(props: &InterruptPanelProps) -> Html {
    let channels = props.channels.iter().rev().take(8).map(|c| {
        let kind = match c.kind {
            InterruptKind::MultiUse => "multi-use",
            InterruptKind::OneTime => "one-time",
        };
        html! {
            <li class={classes!("channel", if c.open { "open" } else { "closed" })}>
                { format!("{} · port {} · {kind} · {} · {} received", c.session, c.channel, if c.open { "open" } else { "closed" }, c.received) }
            </li>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Interrupts from Eos" }</h2>
            <ul id="channels">{ for channels }</ul>
            if let Some(error) = &props.error {
                <p class="problem">
                    <span id="interrupt-error">{ error }</span>
                    <span class="hint">{ " Eos gets a new action channel with the host's next reply." }</span>
                </p>
            }
            <p class="hint counts">
                { format!("Showing the last {} of ", props.interrupts.len()) }
                <span id="interrupts-total">{ props.interrupts.total() }</span>
                { " interrupts." }
            </p>
            <ol id="interrupts">
                { for props.interrupts.iter().map(|text| html! { <li class="interrupt">{ text }</li> }) }
            </ol>
        </div>
    }
}
