//! Build-time configuration: the two origins the intruder attacks.
//!
//! The same variables the demo apps are built with, so that one `./serve.sh` or `./test.sh e2e`
//! setting moves all three: `EOS_HOST_ORIGIN` is the host's origin (Phosphorescence) and
//! `PHOS_REMOTE_ORIGIN` is Eos's. The intruder's own origin is wherever it is served: it reads it
//! from its page, and neither demo app knows it.

/// Phosphorescence's origin.
pub const HOST_ORIGIN: &str = match option_env!("EOS_HOST_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8080",
};

/// Eos's origin.
pub const EOS_ORIGIN: &str = match option_env!("PHOS_REMOTE_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8081",
};

/// This page's own origin.
pub fn own_origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}
