use gloo_timers::callback::Interval;
use yew::prelude::*;

/// How often the count is read again.
const REFRESH_MS: u32 = 250;

/// The page's live count of window `message` listeners, from the messenger (the only code in
/// this page that listens for window messages). The host only knocks, so it is always 0: a
/// message posted to the host's window reaches nobody.
#[component]
pub fn ListenerCount() -> Html {
    let refresh = use_force_update();
    // The interval lives as long as the component: dropping it (on unmount) stops it.
    use_effect_with((), move |_| {
        let interval = Interval::new(REFRESH_MS, move || refresh.force_update());
        move || drop(interval)
    });
    html! {
        <span class="listener-count" title="window message listeners on this page (the messenger's)">
            { "window listeners: " }
            <span id="window-listeners">{ messenger::live_window_listeners() }</span>
        </span>
    }
}
