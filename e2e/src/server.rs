//! In-process static file servers, one per origin.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::Router;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;

use crate::page_options::PageOptions;
use crate::{Delays, Error, ErrorKind, Result, SecurityHeaders};

/// The security headers of a server's own files, set by the world and removable by a test.
type HeaderSlot = Arc<Mutex<Vec<(axum::http::HeaderName, axum::http::HeaderValue)>>>;

/// A static file server for one folder on `127.0.0.1:<port>` (which also answers for
/// `localhost:<port>`). It keeps a log of the requests it answered; dropping it stops it.
///
/// Files get their MIME type from their extension (`.wasm` is `application/wasm`, which
/// `WebAssembly.instantiateStreaming` insists on) and `/` serves `index.html`.
pub struct StaticServer {
    role: &'static str,
    root: PathBuf,
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    delays: Delays,
    /// Headers and scripts a test adds to the HTML pages ([`StaticServer::add_page_header`]).
    page_options: PageOptions,
    /// The headers on every file of `root` ([`StaticServer::set_security_headers`]).
    security: HeaderSlot,
    /// `None` once stopped.
    task: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on `port` (`0` picks a free port). `role` names the origin in messages,
    /// `env_var` is the variable that chooses the port.
    pub async fn start(role: &'static str, root: &Path, port: u16, env_var: &'static str) -> Result<Self> {
        Self::serve(role, root, None, port, env_var).await
    }

    /// Like [`StaticServer::start`], and also serves `fixtures` under `/fixtures/`: scripted
    /// pages that must run *on this origin* (a hostile remote at the remote's origin, a host
    /// speaking another protocol version at the host's).
    pub async fn start_with_fixtures(
        role: &'static str,
        root: &Path,
        fixtures: &Path,
        port: u16,
        env_var: &'static str,
    ) -> Result<Self> {
        Self::serve(role, root, Some(fixtures), port, env_var).await
    }

    async fn serve(
        role: &'static str,
        root: &Path,
        fixtures: Option<&Path>,
        port: u16,
        env_var: &'static str,
    ) -> Result<Self> {
        let listener = bind(port).await.map_err(|source| ErrorKind::Bind {
            role,
            port,
            env_var,
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::io("reading the bound address", source))?
            .port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let delays = Delays::default();
        let mut app = Router::new();
        if let Some(fixtures) = fixtures {
            app = app.nest_service("/fixtures", ServeDir::new(fixtures));
        }
        // The security headers go on the served folder's files only: the fixtures are scripted
        // pages of the tests' own, inline scripts and all.
        let security = HeaderSlot::default();
        let headers = Arc::clone(&security);
        let site = Router::new()
            .fallback_service(ServeDir::new(root))
            .layer(middleware::from_fn(move |request: Request, next: Next| {
                let headers = Arc::clone(&headers);
                async move {
                    let mut response = next.run(request).await;
                    let headers = headers.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    for (name, value) in headers {
                        response.headers_mut().insert(name, value);
                    }
                    response
                }
            }));
        let page_options = PageOptions::default();
        let options = page_options.clone();
        // Outside the security headers: a header a test adds to the pages replaces the file's.
        let app = app
            .fallback_service(site)
            .layer(middleware::from_fn(move |request: Request, next: Next| {
                options.clone().apply(request, next)
            }));
        let app = app.layer(middleware::from_fn(move |request: Request, next: Next| {
            let log = Arc::clone(&log);
            async move {
                let line = format!("{} {}", request.method(), request.uri());
                let response = next.run(request).await;
                let content_type = response
                    .headers()
                    .get(axum::http::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!("{line} -> {} {content_type}", response.status()));
                response
            }
        }));
        // Outside the log: a request is logged as it is served, and reaches the browser after
        // its delay.
        let held = delays.clone();
        let app = app.layer(middleware::from_fn(move |request: Request, next: Next| {
            held.clone().hold(request, next)
        }));
        let task = tokio::spawn(async move {
            // Ends only with an I/O error on the listener or when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(StaticServer {
            role,
            root: root.to_path_buf(),
            port,
            requests,
            delays,
            page_options,
            security,
            task: Some(task),
        })
    }

    /// Adds the header `name: value` to every HTML page served from now on, e.g.
    /// `Cross-Origin-Opener-Policy: same-origin`. A name or value HTTP does not allow is an
    /// error.
    pub fn add_page_header(&self, name: &str, value: &str) -> Result<()> {
        let header = axum::http::HeaderName::try_from(name)
            .map_err(|_| Error::contract(format!("{name:?} is not a header name")))?;
        let value = axum::http::HeaderValue::try_from(value)
            .map_err(|_| Error::contract(format!("{value:?} is not a header value")))?;
        self.page_options.add_header(header, value);
        Ok(())
    }

    /// Sends `headers` with every file of the served folder from now on (not with the fixtures
    /// under `/fixtures/`), as `trunk serve` does with `Trunk.toml`'s `[serve.headers]`.
    pub fn set_security_headers(&self, headers: &SecurityHeaders) -> Result<()> {
        let parsed = headers
            .iter()
            .map(|(name, value)| {
                let header = axum::http::HeaderName::try_from(name)
                    .map_err(|_| Error::contract(format!("{name:?} is not a header name")))?;
                let value = axum::http::HeaderValue::try_from(value)
                    .map_err(|_| Error::contract(format!("{value:?} is not a header value")))?;
                Ok((header, value))
            })
            .collect::<Result<Vec<_>>>()?;
        *self.security.lock().unwrap_or_else(PoisonError::into_inner) = parsed;
        Ok(())
    }

    /// Serves the folder's files without security headers from now on: for the tests of the
    /// library's own defences, which must hold on a page an integrator serves without them.
    pub fn drop_security_headers(&self) {
        self.security.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Puts `<script src="{src}"></script>` first in the `<head>` of every HTML page served from
    /// now on (a classic script, so it runs before the page's modules): a probe that must see
    /// the app from its start.
    pub fn inject_script(&self, src: &str) {
        self.page_options.inject_script(src);
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its origin, `http://localhost:<port>`.
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// The delays this server holds answers for; empty (every answer at once) until a test sets
    /// one.
    pub fn delays(&self) -> &Delays {
        &self.delays
    }

    /// The requests answered so far, as `METHOD /path -> status content-type`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The request log as a note for a failure report.
    pub fn report(&self) -> String {
        let requests = self.requests();
        let mut report = format!(
            "{} origin {} (serving {}) answered {} request(s):",
            self.role,
            self.origin(),
            self.root.display(),
            requests.len()
        );
        for line in requests {
            report.push_str("\n  ");
            report.push_str(&line);
        }
        report
    }

    /// Stops serving and waits until the port is free again.
    pub async fn stop(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Resolves once the task is dropped, and with it the listener.
            let _ = task.await;
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        // Without `stop`: the listener goes when the runtime next runs or shuts down.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `127.0.0.1:port`. A port that is in use is tried again for a moment, since the
/// previous test's listener may still be on its way out.
async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            result => return result,
        }
    }
}

impl std::fmt::Debug for StaticServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticServer")
            .field("role", &self.role)
            .field("root", &self.root)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Checks that `dir` holds an `index.html`, with a hint on how to build it when not.
pub(crate) fn ensure_site(dir: &Path, what: &'static str, hint: &'static str) -> Result<()> {
    if dir.join("index.html").is_file() {
        Ok(())
    } else {
        Err(ErrorKind::MissingFiles {
            what,
            path: dir.to_path_buf(),
            hint,
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A minimal HTTP/1.0 GET, returning the response head.
    async fn get_head(port: u16, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("the server accepts connections");
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .expect("the request is written");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("the response is read");
        let text = String::from_utf8_lossy(&response).into_owned();
        text.split("\r\n\r\n").next().unwrap_or_default().to_lowercase()
    }

    #[tokio::test]
    async fn serves_wasm_as_application_wasm_and_index_at_root() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").expect("written");
        std::fs::write(dir.path().join("app_bg.wasm"), b"\0asm\x01\0\0\0").expect("written");
        let server = StaticServer::start("test", dir.path(), 0, "UNUSED")
            .await
            .expect("the server starts on a free port");

        let wasm = get_head(server.port(), "/app_bg.wasm").await;
        assert!(
            wasm.starts_with("http/1.0 200") || wasm.starts_with("http/1.1 200"),
            "{wasm}"
        );
        assert!(wasm.contains("content-type: application/wasm"), "{wasm}");

        let index = get_head(server.port(), "/").await;
        assert!(index.contains(" 200 "), "{index}");
        assert!(index.contains("content-type: text/html"), "{index}");

        let missing = get_head(server.port(), "/nope.js").await;
        assert!(missing.contains(" 404 "), "{missing}");

        let log = server.requests();
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[0].starts_with("GET /app_bg.wasm -> 200"), "{log:?}");
    }

    /// A whole HTTP/1.0 GET: the head (lower case) and the body.
    async fn get(port: u16, path: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("the server accepts connections");
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .expect("the request is written");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("the response is read");
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (head.to_lowercase(), body.to_owned())
    }

    #[tokio::test]
    async fn page_headers_and_scripts_go_to_html_pages_only_once_set() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(
            dir.path().join("index.html"),
            "<html><head><title>t</title></head></html>",
        )
        .expect("written");
        std::fs::write(dir.path().join("app.js"), "go()").expect("written");
        let server = StaticServer::start("test", dir.path(), 0, "UNUSED")
            .await
            .expect("the server starts on a free port");
        let (head, body) = get(server.port(), "/").await;
        assert!(!head.contains("cross-origin-opener-policy"), "{head}");
        assert!(!body.contains("<script"), "{body}");

        server
            .add_page_header("Cross-Origin-Opener-Policy", "same-origin")
            .expect("a valid header");
        server.inject_script("/probe.js");
        let (head, body) = get(server.port(), "/").await;
        assert!(head.contains("cross-origin-opener-policy: same-origin"), "{head}");
        assert_eq!(
            body,
            "<html><head><script src=\"/probe.js\"></script><title>t</title></head></html>"
        );
        let (head, body) = get(server.port(), "/app.js").await;
        assert!(!head.contains("cross-origin-opener-policy"), "{head}");
        assert_eq!(body, "go()");
        assert!(server.add_page_header("bad name", "x").is_err());
    }

    #[tokio::test]
    async fn security_headers_go_on_the_sites_files_not_the_fixtures_until_dropped() {
        let site = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(site.path().join("index.html"), "<!doctype html>").expect("written");
        std::fs::write(site.path().join("app.js"), "go()").expect("written");
        let fixtures = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(fixtures.path().join("page.html"), "<!doctype html>").expect("written");
        let server = StaticServer::start_with_fixtures("test", site.path(), fixtures.path(), 0, "UNUSED")
            .await
            .expect("the server starts on a free port");
        let headers = SecurityHeaders::parse(
            "[serve.headers]\n\"X-Content-Type-Options\" = \"nosniff\"\n\"Cross-Origin-Opener-Policy\" = \"unsafe-none\"\n",
            &[],
        )
        .expect("headers");
        server.set_security_headers(&headers).expect("valid headers");

        for path in ["/", "/app.js", "/missing.js"] {
            let head = get_head(server.port(), path).await;
            assert!(head.contains("x-content-type-options: nosniff"), "{path}: {head}");
            assert!(
                head.contains("cross-origin-opener-policy: unsafe-none"),
                "{path}: {head}"
            );
        }
        let fixture = get_head(server.port(), "/fixtures/page.html").await;
        assert!(fixture.contains(" 200 "), "{fixture}");
        assert!(!fixture.contains("x-content-type-options"), "{fixture}");

        // A header a test sets on the pages replaces the site's.
        server
            .add_page_header("Cross-Origin-Opener-Policy", "same-origin")
            .expect("a valid header");
        let index = get_head(server.port(), "/").await;
        assert!(index.contains("cross-origin-opener-policy: same-origin\r\n"), "{index}");
        assert_eq!(index.matches("cross-origin-opener-policy").count(), 1, "{index}");

        server.drop_security_headers();
        let script = get_head(server.port(), "/app.js").await;
        assert!(!script.contains("x-content-type-options"), "{script}");
    }

    #[tokio::test]
    async fn a_delayed_path_is_answered_after_its_delay_and_others_at_once() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").expect("written");
        std::fs::write(dir.path().join("app_bg.wasm"), b"\0asm\x01\0\0\0").expect("written");
        let server = StaticServer::start("test", dir.path(), 0, "UNUSED")
            .await
            .expect("the server starts on a free port");
        server.delays().delay(".wasm", std::time::Duration::from_millis(300));

        let started = std::time::Instant::now();
        let index = get_head(server.port(), "/").await;
        assert!(index.contains(" 200 "), "{index}");
        assert!(
            started.elapsed() < std::time::Duration::from_millis(300),
            "the page is not held"
        );

        let started = std::time::Instant::now();
        let wasm = get_head(server.port(), "/app_bg.wasm").await;
        assert!(wasm.contains(" 200 "), "{wasm}");
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(300),
            "the wasm is held"
        );
    }

    #[tokio::test]
    async fn a_taken_port_is_a_bind_error_naming_the_variable() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let first = StaticServer::start("first", dir.path(), 0, "UNUSED")
            .await
            .expect("the first server starts");
        let error = StaticServer::start("second", dir.path(), first.port(), "E2E_SOME_PORT")
            .await
            .expect_err("the port is taken");
        let message = error.to_string();
        assert!(matches!(error.kind(), ErrorKind::Bind { .. }), "{message}");
        assert!(message.contains("E2E_SOME_PORT"), "{message}");
    }

    #[test]
    fn a_missing_build_says_how_to_make_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let error = ensure_site(dir.path(), "host-app build", "run ./test.sh e2e").expect_err("there is no index.html");
        assert!(error.to_string().contains("run ./test.sh e2e"), "{error}");
    }
}
