//! Build-time configuration: which origin Eos is served from.

/// Eos's origin, fixed when the app is built (`PHOS_REMOTE_ORIGIN`). It must never come from the
/// page's URL or anything else a third party can set.
pub const REMOTE_ORIGIN: &str = match option_env!("PHOS_REMOTE_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8081",
};

/// The `localStorage` key of the notes.
pub const STORE_KEY: &str = "phosphorescence.notes.v1";
