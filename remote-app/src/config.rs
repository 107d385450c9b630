//! Build-time configuration: which origin may host Eos.

/// The host's origin, fixed when the app is built (`EOS_HOST_ORIGIN`). Eos answers a knock only
/// from its parent window at exactly this origin; it never takes the origin from its URL.
pub const HOST_ORIGIN: &str = match option_env!("EOS_HOST_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8080",
};
