use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::ignored::{plain_reason, SharedIgnoredLog};

/// How often the inspector looks at the log and the listener count again: the observer only
/// writes into the log, so a flood of window messages does not render the page once per message.
const REFRESH_MS: u32 = 250;

/// Properties of [`EosInspector`].
#[derive(Properties)]
pub struct EosInspectorProps {
    /// The ignored window messages, written by the messenger's observer.
    pub log: SharedIgnoredLog,
}

impl PartialEq for EosInspectorProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.log, &other.log)
    }
}

/// What reached Eos's window: the messenger's live window `message` listeners (1 while Eos
/// waits for its host's knock, 0 after the handshake: later window messages reach nobody) and
/// the window messages it ignored while it listened, with the reason, folded and bounded.
#[component]
pub fn EosInspector(props: &EosInspectorProps) -> Html {
    let refresh = use_force_update();
    // The interval lives as long as the component: dropping it (on unmount) stops it.
    use_effect_with((), move |_| {
        let interval = Interval::new(REFRESH_MS, move || refresh.force_update());
        move || drop(interval)
    });
    let log = props.log.borrow();
    html! {
        <aside class="inspector">
            <h2>{ "What reached Eos's window" }</h2>
            <p>
                { "Window message listeners: " }
                <span id="window-listeners">{ messenger::live_window_listeners() }</span>
                <span class="hint">{ " (1 while Eos waits for its host's knock, 0 once connected)" }</span>
            </p>
            <p>
                { "Ignored while listening: " }
                <span id="ignored-total">{ log.total() }</span>
            </p>
            <ul id="ignored-knocks">
                { for log.runs().rev().map(|run| html! {
                    <li class="ignored" data-reason={format!("{:?}", run.reason)} data-count={run.count.to_string()}>
                        <span class="reason">{ plain_reason(run.reason) }</span>
                        if run.count > 1 {
                            <span class="count">{ format!(" ×{}", run.count) }</span>
                        }
                    </li>
                }) }
            </ul>
        </aside>
    }
}
