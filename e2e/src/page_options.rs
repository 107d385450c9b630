//! What a [`StaticServer`](crate::StaticServer) adds to the HTML pages it serves, set by a test
//! while the server runs: response headers (say `Cross-Origin-Opener-Policy: same-origin`, so
//! that a popup of the remote loses its opener) and a script put in front of the page's own
//! (a probe that must see the app from its first moment).
//!
//! Only `text/html` responses are touched; the apps' wasm, JavaScript and styles go out as
//! they are.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;

/// The largest page rewritten; anything bigger goes out untouched (the apps' pages are a few
/// kilobytes).
const MAX_PAGE: usize = 1 << 20;

/// The options a test set, shared between the server's handler and the test.
#[derive(Debug, Default, Clone)]
pub(crate) struct PageOptions(Arc<Mutex<Options>>);

#[derive(Debug, Default)]
struct Options {
    headers: Vec<(HeaderName, HeaderValue)>,
    scripts: Vec<String>,
}

impl PageOptions {
    /// Adds `name: value` to every HTML page served from now on.
    pub(crate) fn add_header(&self, name: HeaderName, value: HeaderValue) {
        self.lock().headers.push((name, value));
    }

    /// Puts `<script src="{src}"></script>` at the start of every HTML page's `<head>` from now
    /// on: a classic script, so it runs before the page's modules.
    pub(crate) fn inject_script(&self, src: &str) {
        self.lock().scripts.push(src.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Options> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The middleware: serves `request`, then applies the options to an HTML response.
    pub(crate) async fn apply(self, request: Request, next: Next) -> Response {
        let response = next.run(request).await;
        let is_html = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let (headers, scripts) = {
            let options = self.lock();
            (options.headers.clone(), options.scripts.clone())
        };
        // A 304 or an error page has no page to rewrite.
        let ok = response.status() == axum::http::StatusCode::OK;
        if !is_html || !ok || (headers.is_empty() && scripts.is_empty()) {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        for (name, value) in headers {
            parts.headers.insert(name, value);
        }
        if scripts.is_empty() {
            return Response::from_parts(parts, body);
        }
        let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
            return Response::from_parts(parts, Body::empty());
        };
        let page = inject(&String::from_utf8_lossy(&bytes), &scripts);
        parts.headers.remove(CONTENT_LENGTH);
        Response::from_parts(parts, Body::from(page))
    }
}

/// `page` with a `<script src>` per entry of `scripts` right after its `<head>` (or at its
/// start when it has none).
fn inject(page: &str, scripts: &[String]) -> String {
    let tags: String = scripts
        .iter()
        .map(|src| format!("<script src=\"{src}\"></script>"))
        .collect();
    match page.find("<head>") {
        Some(at) => {
            let at = at + "<head>".len();
            format!("{}{tags}{}", &page[..at], &page[at..])
        }
        None => format!("{tags}{page}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_go_first_in_the_head() {
        let page = "<!doctype html><html><head><title>x</title><script type=module>go()</script></head></html>";
        let injected = inject(page, &["/fixtures/probe.js".to_owned()]);
        assert_eq!(
            injected,
            "<!doctype html><html><head><script src=\"/fixtures/probe.js\"></script><title>x</title><script type=module>go()</script></head></html>"
        );
        assert_eq!(
            inject("<p>no head</p>", &["a.js".to_owned()]),
            "<script src=\"a.js\"></script><p>no head</p>"
        );
    }
}
