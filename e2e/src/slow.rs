//! Serving chosen files late: a remote whose script arrives seconds after its page (issue 23,
//! case 6, "slow starts").

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// The delays a [`StaticServer`](crate::StaticServer) holds its answers for: each rule delays
/// every request whose path ends with its suffix (`.wasm`, `.js`, `/` for the page). Shared with
/// the server, so a test sets them while it runs ([`StaticServer::delays`](crate::StaticServer::delays));
/// the first matching rule wins. The response is held back whole: the browser sees a request
/// that takes this long, as on a slow network.
#[derive(Debug, Clone, Default)]
pub struct Delays(Arc<Mutex<Vec<(String, Duration)>>>);

impl Delays {
    /// Delays every request whose path ends with `suffix` by `delay` from now on.
    pub fn delay(&self, suffix: &str, delay: Duration) {
        self.rules().push((suffix.to_owned(), delay));
    }

    /// Answers every request at once again.
    pub fn clear(&self) {
        self.rules().clear();
    }

    /// How long a request for `path` waits before it is answered.
    pub fn for_path(&self, path: &str) -> Option<Duration> {
        self.rules()
            .iter()
            .find(|(suffix, _)| path.ends_with(suffix.as_str()))
            .map(|(_, delay)| *delay)
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<(String, Duration)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The middleware: waits for the request's delay, then serves it.
    pub(crate) async fn hold(self, request: Request, next: Next) -> Response {
        if let Some(delay) = self.for_path(request.uri().path()) {
            tokio::time::sleep(delay).await;
        }
        next.run(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_whose_suffix_matches_wins() {
        let delays = Delays::default();
        assert_eq!(delays.for_path("/app_bg.wasm"), None);
        delays.delay(".wasm", Duration::from_secs(3));
        delays.delay("_bg.wasm", Duration::from_secs(9));
        assert_eq!(delays.for_path("/app_bg.wasm"), Some(Duration::from_secs(3)));
        assert_eq!(delays.for_path("/app.js"), None);
        delays.clear();
        assert_eq!(delays.for_path("/app_bg.wasm"), None);
    }
}
