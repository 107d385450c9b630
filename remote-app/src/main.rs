//! Eos: a notes app from another origin that reaches the user's notes only through the
//! messenger, from inside Phosphorescence's iframe.

mod components;
mod config;
mod hooks;
mod ignored;
mod state;

fn main() {
    yew::Renderer::<components::App>::new().render();
}
