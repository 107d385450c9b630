//! Intruder: a page of a third origin that attacks the demo (Phosphorescence and Eos) by hand,
//! one button per attack, each judged by what the page itself can see.
//!
//! Loaded as `/?relay` inside its own frame, it is the relay instead: it posts one knock its
//! parent left for it, so that the knock's `source` is another window than the parent.

mod app;
mod attacks;
mod config;
mod relay;
mod wire;

fn main() {
    let relay = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .is_some_and(|search| search.contains("relay"));
    if relay {
        relay::run_relay();
    } else {
        yew::Renderer::<app::App>::new().render();
    }
}
