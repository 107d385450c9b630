//! A WebDriver server (chromedriver, geckodriver or WebKitWebDriver) and one browser session.

use std::io::{Read, Write};
use std::net::TcpStream as StdTcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::{Config, Engine, Error, ErrorKind, Result};

/// How long a WebDriver server may take to accept connections.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(15);

/// The Chromium flags of every Chromium session: headless, no sandbox (CI runs as root), and no
/// attempt to reach hosts outside this machine.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The browser window size.
pub const WINDOW_SIZE: (u32, u32) = (1280, 800);

/// A running WebDriver server for one [`Engine`] on a free local port. Dropping it kills the
/// process.
#[derive(Debug)]
pub struct Driver {
    engine: Engine,
    path: PathBuf,
    port: u16,
    log: PathBuf,
    child: Child,
}

impl Driver {
    /// Starts `path`, the WebDriver server of `engine`, on a free port, writing its log to
    /// `log`, and waits until it accepts connections.
    pub async fn start(engine: Engine, path: &Path, log: &Path) -> Result<Self> {
        let failed = |problem: String| -> Error {
            ErrorKind::Driver {
                engine,
                path: path.to_path_buf(),
                problem,
            }
            .into()
        };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::io(format!("creating {}", dir.display()), source))?;
        }
        let port = free_port()?;
        let (args, logs_itself) = engine.driver_args(port, log);
        let stderr = if logs_itself {
            Stdio::null()
        } else {
            std::fs::File::create(log)
                .map_err(|source| Error::io(format!("creating {}", log.display()), source))?
                .into()
        };
        let mut child = Command::new(path)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| failed(format!("cannot be started: {error} ({})", engine.install_hint())))?;
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(failed(format!(
                    "exited with {status} before accepting connections; see {}",
                    log.display()
                )));
            }
            if started.elapsed() > DRIVER_START_TIMEOUT {
                return Err(failed(format!(
                    "did not accept connections on port {port} within {DRIVER_START_TIMEOUT:?}; see {}",
                    log.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Driver {
            engine,
            path: path.to_path_buf(),
            port,
            log: log.to_path_buf(),
            child,
        })
    }

    /// The WebDriver endpoint, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The engine it drives.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The binary that was started.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where its log goes.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Kills it and waits for it to exit.
    pub async fn stop(mut self) {
        // Errors mean it has already exited.
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// One WebDriver session in the driver's engine, with its own temporary profile.
///
/// Close it with [`Browser::close`]. If it is dropped without that (a panic during
/// teardown), `Drop` still deletes the session synchronously so that no browser outlives
/// the test, and the profile folder is removed.
pub struct Browser {
    client: Option<Client>,
    session_id: Option<String>,
    driver_port: u16,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a session on `driver` with its engine's capabilities (for Chromium the flags in
    /// [`CHROMIUM_ARGS`]), a fresh profile under `config.profile_root` and a [`WINDOW_SIZE`]
    /// window.
    pub async fn open(driver: &Driver, config: &Config) -> Result<Self> {
        std::fs::create_dir_all(&config.profile_root)
            .map_err(|source| Error::io(format!("creating {}", config.profile_root.display()), source))?;
        let engine = driver.engine;
        let profile = tempfile::Builder::new()
            .prefix(&format!("{engine}-"))
            .tempdir_in(&config.profile_root)
            .map_err(|source| Error::io("creating a browser profile folder", source))?;
        let capabilities = engine.capabilities(profile.path(), config.browser_bin.as_deref());
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .map_err(|source| ErrorKind::Session { engine, source })?;
        let session_id = client.session_id().await.ok().flatten();
        let browser = Browser {
            client: Some(client),
            session_id,
            driver_port: driver.port,
            profile,
        };
        browser
            .client()
            .set_window_size(WINDOW_SIZE.0, WINDOW_SIZE.1)
            .await
            .map_err(|source| Error::webdriver("setting the window size", source))?;
        Ok(browser)
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the client is only taken by close(self) and drop")
    }

    /// The browser console so far (all frames), one line per entry, via chromedriver's
    /// log endpoint. Empty when the driver does not offer it (geckodriver and WebKitWebDriver
    /// do not; Firefox's console is in geckodriver's log instead).
    pub async fn console(&self) -> Vec<String> {
        console_of(self.client()).await
    }

    /// Ends the session (which quits the browser) and removes the profile.
    pub async fn close(mut self) -> Result<()> {
        let client = self.client.take().expect("close takes the client only once");
        client
            .close()
            .await
            .map_err(|source| Error::webdriver("closing the browser session", source))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.client.take().is_none() {
            return;
        }
        if let Some(session_id) = &self.session_id {
            // Best effort: a panic brought us here; the browser must not outlive the test.
            let _ = delete_session_blocking(self.driver_port, session_id);
        }
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session_id", &self.session_id)
            .field("driver_port", &self.driver_port)
            .field("profile", &self.profile.path())
            .finish_non_exhaustive()
    }
}

/// chromedriver's (non-W3C but long-standing) `POST /session/{id}/se/log` for the
/// browser console.
#[derive(Debug)]
struct BrowserLog;

/// The browser console of `client`'s session so far (all frames), one line per entry, via
/// chromedriver's log endpoint. Empty when the driver does not offer it.
pub async fn console_of(client: &Client) -> Vec<String> {
    let Ok(Value::Array(entries)) = client.issue_cmd(BrowserLog).await else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            format!(
                "[{}] {}",
                entry["level"].as_str().unwrap_or("?"),
                entry["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// A free local port, found by binding port 0 and letting it go again.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|source| Error::io("finding a free port for the WebDriver server", source))?;
    let port = listener
        .local_addr()
        .map_err(|source| Error::io("finding a free port for the WebDriver server", source))?
        .port();
    Ok(port)
}

/// `DELETE /session/{id}` over a plain blocking socket, for use in `Drop`.
fn delete_session_blocking(port: u16, session_id: &str) -> std::io::Result<()> {
    let mut stream = StdTcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(())
}
