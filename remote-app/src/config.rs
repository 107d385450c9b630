//! Build-time configuration: which origin may host Eos.

/// The host's origin, fixed when the app is built (`EOS_HOST_ORIGIN`). Eos answers a knock only
/// from its parent window at exactly this origin; it never takes the origin from its URL.
pub const HOST_ORIGIN: &str = match option_env!("EOS_HOST_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8080",
};

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
    query("app-protocol-version")?.parse().ok()
}

/// Whether this Eos sends a picked file over [`shared_proto::MAX_FILE_BYTES`] anyway: only an e2e
/// build (the same switch as [`VERSION_FROM_QUERY`]) whose URL says `?unchecked-files=1`, so the
/// end-to-end tests can prove that the host's messenger refuses such a file itself, and says so.
/// Every other build refuses the file before sending.
pub fn unchecked_files() -> bool {
    VERSION_FROM_QUERY && query("unchecked-files").as_deref() == Some("1")
}

fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get(name)
}
