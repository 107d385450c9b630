use yew::prelude::*;

use crate::state::Link;

/// Properties of [`ConnectionBar`].
#[derive(Properties, PartialEq)]
pub struct ConnectionBarProps {
    /// The current session's link.
    pub link: Link,
    /// Which session this is.
    pub session: u32,
    /// Eos's greeting, once introduced.
    pub greeting: Option<String>,
    /// A protocol version mismatch.
    pub version_problem: Option<String>,
    /// Close the session.
    pub on_close: Callback<()>,
    /// Reload the iframe.
    pub on_reload: Callback<()>,
}

/// Connection state, Eos's greeting and the session controls.
#[component]
pub fn ConnectionBar(props: &ConnectionBarProps) -> Html {
    let detail = match &props.link {
        Link::Closed(reason) => reason.clone(),
        Link::NotOpen | Link::Knocking => "knocking on the iframe until Eos answers".into(),
        Link::Answered => "Eos answered; acknowledging".into(),
        Link::Connected => format!("session {} with Eos", props.session),
    };
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let on_reload = props.on_reload.reform(|_: MouseEvent| ());
    html! {
        <div class="connection">
            <span id="connection-state" class={classes!("badge", props.link.word())}>{ props.link.word() }</span>
            <span id="connection-detail" class="detail">{ detail }</span>
            if let Some(greeting) = &props.greeting {
                <span class="greeting">{ "Eos says: " }<q id="last-message">{ greeting }</q></span>
            }
            if let Some(problem) = &props.version_problem {
                <span id="version-problem" class="problem">{ problem }</span>
            }
            <button id="close-session" onclick={on_close}>{ "Close session" }</button>
            <button id="reload-remote" onclick={on_reload}>{ "Reload Eos" }</button>
        </div>
    }
}
