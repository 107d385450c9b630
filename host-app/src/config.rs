//! Build-time configuration: which origin Eos is served from.

/// Eos's origin, fixed when the app is built (`PHOS_REMOTE_ORIGIN`). It must never come from the
/// page's URL or anything else a third party can set.
pub const REMOTE_ORIGIN: &str = match option_env!("PHOS_REMOTE_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8081",
};

/// The `localStorage` key of the notes.
pub const STORE_KEY: &str = "phosphorescence.notes.v1";

/// Whether this build takes its application protocol version from the page's URL
/// (`?app-protocol-version=N`): set (`APP_VERSION_FROM_QUERY=1`) only for the end-to-end tests'
/// builds, which prove that a host and an Eos of different versions fail fast on both sides. Any
/// other build speaks [`shared_proto::PROTOCOL_VERSION`] whatever its URL says.
const VERSION_FROM_QUERY: bool = option_env!("APP_VERSION_FROM_QUERY").is_some();

/// The application protocol version this page speaks: [`shared_proto::PROTOCOL_VERSION`], or in
/// an e2e build the URL's `?app-protocol-version=N` (see [`VERSION_FROM_QUERY`]).
pub fn protocol_version() -> u32 {
    if VERSION_FROM_QUERY {
        if let Some(version) = version_in_query() {
            return version;
        }
    }
    shared_proto::PROTOCOL_VERSION
}

fn version_in_query() -> Option<u32> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("app-protocol-version")?.parse().ok()
}
