use messenger::InterruptKind;
use yew::prelude::*;

use crate::state::ChannelRow;

/// Properties of [`InterruptPanel`].
#[derive(Properties, PartialEq)]
pub struct InterruptPanelProps {
    /// Interrupt channels.
    pub channels: Vec<ChannelRow>,
    /// Interrupts received, in order.
    pub interrupts: Vec<String>,
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
                { format!("session {} · port {} · {kind} · {} · {} received", c.session, c.channel, if c.open { "open" } else { "closed" }, c.received) }
            </li>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Interrupts from Eos" }</h2>
            <ul id="channels">{ for channels }</ul>
            <ol id="interrupts">
                { for props.interrupts.iter().map(|text| html! { <li class="interrupt">{ text }</li> }) }
            </ol>
        </div>
    }
}
