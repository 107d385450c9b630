use yew::prelude::*;

use crate::state::{Link, PeerState};

/// Properties of [`WindowPanel`].
#[derive(Properties, PartialEq)]
pub struct WindowPanelProps {
    /// What the page shows about Eos's window.
    pub peer: PeerState,
    /// Open Eos in a window (or bring it to the front).
    pub on_open: Callback<()>,
}

/// Eos in a window of its own: the button that opens it, and its session.
#[component]
pub fn WindowPanel(props: &WindowPanelProps) -> Html {
    let peer = &props.peer;
    let detail = match &peer.link {
        Link::NotOpen => {
            "The same Eos, in a top-level window of its own: the host knocks on the window it opened.".into()
        }
        Link::Knocking => "knocking on Eos's window until Eos answers".into(),
        Link::Answered => "Eos answered; acknowledging".into(),
        Link::Connected => format!("session {} with Eos in a window", peer.session),
        Link::Closed(reason) => reason.clone(),
    };
    let on_open = props.on_open.reform(|_: MouseEvent| ());
    html! {
        <div class="panel eos-window">
            <button id="open-window" onclick={on_open}>{ "Open Eos in a window" }</button>
            <span id="window-state" class={classes!("badge", peer.link.word().replace(' ', "-"))}>{ peer.link.word() }</span>
            <span id="window-detail" class="detail">{ detail }</span>
            if let Some(greeting) = &peer.greeting {
                <span class="greeting">{ "Eos says: " }<q id="window-message">{ greeting }</q></span>
            }
            if let Some(problem) = &peer.version_problem {
                <span id="window-version-problem" class="problem">{ problem }</span>
            }
        </div>
    }
}
