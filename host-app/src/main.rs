//! Phosphorescence: the host page that owns the user's notes and embeds Eos from another origin.

mod blob_url;
mod components;
mod config;
mod files;
mod frame;
mod handler;
mod hooks;
mod outbox;
mod peer;
mod popup;
mod serving;
mod state;
mod store;
mod timeline;

fn main() {
    yew::Renderer::<components::App>::new().render();
}
