//! A test's whole world, and the page helpers tests are written with.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use fantoccini::wd::WindowHandle;
use fantoccini::{Client, Locator};
use futures::FutureExt;

use crate::server::ensure_site;
use crate::{Browser, Config, Driver, Error, ErrorKind, Probe, Result, StaticServer};

/// Tests in one process share the fixed ports, so they take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How often a wait looks at the page again.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long each teardown step may take.
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// How many lines of a log a failure report shows.
const REPORT_LINES: usize = 40;

const BUILD_HINT: &str = "build both apps first with `./test.sh e2e` (it runs `trunk build --release` for the e2e origins), or point E2E_HOST_DIST / E2E_REMOTE_DIST at existing builds";

const INTRUDER_BUILD_HINT: &str = "build the intruder app first with `./test.sh e2e` (it runs `trunk build --release` for the e2e origins), or point E2E_INTRUDER_DIST at an existing build";

const EXAMPLES_BUILD_HINT: &str = "build both examples first with `./test.sh e2e` (it runs `trunk build --release` for the e2e origins), or point E2E_EXAMPLE_HOST_DIST / E2E_EXAMPLE_REMOTE_DIST at existing builds";

/// Which pages a world serves.
#[derive(Debug, Clone, Copy)]
enum Sites {
    /// Both demo apps (each with the fixtures under `/fixtures/`) and the third origin.
    Apps,
    /// Like [`Sites::Apps`], and the intruder app on an origin of its own.
    AppsAndIntruder,
    /// The third origin only.
    FixturesOnly,
    /// The two example pages only.
    Examples,
}

/// Everything one end-to-end test runs against: the servers of the three origins,
/// the engine's WebDriver server and a browser session. Created and torn down by [`World::run`].
pub struct World {
    config: Config,
    name: String,
    host: Option<StaticServer>,
    remote: Option<StaticServer>,
    attacker: Option<StaticServer>,
    intruder: Option<StaticServer>,
    driver: Option<Driver>,
    browser: Option<Browser>,
    /// The page last navigated to and the frames entered since, for messages.
    location: Mutex<(String, Vec<String>)>,
}

impl World {
    /// Serves both app builds and the fixtures, opens a browser, runs `body`, and tears
    /// everything down whatever the outcome. On failure the error carries a screenshot path,
    /// the browser console and each server's request log.
    pub async fn run(name: &str, body: impl AsyncFnOnce(&World) -> Result<()>) -> Result<()> {
        Self::run_with(name, Sites::Apps, body).await
    }

    /// Like [`World::run`], and also serves the intruder app's build on its own origin
    /// ([`World::intruder_url`]).
    pub async fn run_with_intruder(name: &str, body: impl AsyncFnOnce(&World) -> Result<()>) -> Result<()> {
        Self::run_with(name, Sites::AppsAndIntruder, body).await
    }

    /// Like [`World::run`] but serves only the fixtures (the third origin), for tests of
    /// the harness and the fixtures themselves, which must not depend on the apps.
    pub async fn run_fixtures_only(name: &str, body: impl AsyncFnOnce(&World) -> Result<()>) -> Result<()> {
        Self::run_with(name, Sites::FixturesOnly, body).await
    }

    /// Like [`World::run`] but serves the two example pages instead (`examples/iframe-host` on
    /// the example host's port, `examples/iframe-remote` on the example remote's) and no
    /// fixtures: the examples' own world, so their tests depend on nothing else.
    pub async fn run_examples(name: &str, body: impl AsyncFnOnce(&World) -> Result<()>) -> Result<()> {
        Self::run_with(name, Sites::Examples, body).await
    }

    async fn run_with(name: &str, sites: Sites, body: impl AsyncFnOnce(&World) -> Result<()>) -> Result<()> {
        let _turn = SERIAL.lock().await;
        let config = Config::from_env()?;
        let world = World::start(name, config, sites).await?;
        let outcome =
            tokio::time::timeout(world.config.test_timeout, AssertUnwindSafe(body(&world)).catch_unwind()).await;
        let result = match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(ErrorKind::Panicked(panic_message(panic.as_ref())).into()),
            Err(_elapsed) => Err(ErrorKind::TestTimeout(world.config.test_timeout).into()),
        };
        world.finish(result).await
    }

    async fn start(name: &str, config: Config, sites: Sites) -> Result<World> {
        let (host, remote) = match sites {
            Sites::Apps | Sites::AppsAndIntruder => {
                ensure_site(&config.host_dist, "the host-app release build", BUILD_HINT)?;
                ensure_site(&config.remote_dist, "the remote-app release build", BUILD_HINT)?;
                let host = StaticServer::start_with_fixtures(
                    "host",
                    &config.host_dist,
                    &config.fixtures,
                    config.host_port,
                    "E2E_HOST_PORT",
                )
                .await?;
                let remote = StaticServer::start_with_fixtures(
                    "remote",
                    &config.remote_dist,
                    &config.fixtures,
                    config.remote_port,
                    "E2E_REMOTE_PORT",
                )
                .await?;
                // The apps' security headers, as `trunk serve` sends them (their Trunk.toml).
                host.set_security_headers(&config.host_headers()?)?;
                remote.set_security_headers(&config.remote_headers()?)?;
                (Some(host), Some(remote))
            }
            Sites::FixturesOnly => (None, None),
            Sites::Examples => {
                let what = "the iframe-host example's release build";
                ensure_site(&config.example_host_dist, what, EXAMPLES_BUILD_HINT)?;
                let what = "the iframe-remote example's release build";
                ensure_site(&config.example_remote_dist, what, EXAMPLES_BUILD_HINT)?;
                let host = StaticServer::start(
                    "example host",
                    &config.example_host_dist,
                    config.example_host_port,
                    "E2E_EXAMPLE_HOST_PORT",
                )
                .await?;
                let remote = StaticServer::start(
                    "example remote",
                    &config.example_remote_dist,
                    config.example_remote_port,
                    "E2E_EXAMPLE_REMOTE_PORT",
                )
                .await?;
                (Some(host), Some(remote))
            }
        };
        let intruder = match sites {
            Sites::AppsAndIntruder => {
                ensure_site(
                    &config.intruder_dist,
                    "the intruder-app release build",
                    INTRUDER_BUILD_HINT,
                )?;
                let intruder = StaticServer::start(
                    "intruder",
                    &config.intruder_dist,
                    config.intruder_port,
                    "E2E_INTRUDER_PORT",
                )
                .await?;
                // Its own Trunk.toml's headers, as `trunk serve` sends them.
                intruder.set_security_headers(&config.intruder_headers()?)?;
                Some(intruder)
            }
            _ => None,
        };
        let attacker = match sites {
            Sites::Apps | Sites::AppsAndIntruder | Sites::FixturesOnly => Some(
                StaticServer::start("attacker", &config.fixtures, config.attacker_port, "E2E_ATTACKER_PORT").await?,
            ),
            Sites::Examples => None,
        };
        let log = config.log_dir.join(format!("{name}-driver.log"));
        let driver = Driver::start(config.engine, &config.driver, &log).await?;
        let browser = match Browser::open(&driver, &config).await {
            Ok(browser) => browser,
            Err(mut error) => {
                error.note(format!("WebDriver log: {}", driver.log_path().display()));
                driver.stop().await;
                return Err(error);
            }
        };
        Ok(World {
            config,
            name: name.to_owned(),
            host,
            remote,
            attacker,
            intruder,
            driver: Some(driver),
            browser: Some(browser),
            location: Mutex::new(("about:blank".to_owned(), Vec::new())),
        })
    }

    /// Reports a failure, then closes the browser, stops the WebDriver server and the servers.
    async fn finish(mut self, result: Result<()>) -> Result<()> {
        let console = match &self.browser {
            Some(browser) => bounded(TEARDOWN_TIMEOUT, browser.console()).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let console_file = self.config.log_dir.join(format!("{}-console.log", self.name));
        let _ = std::fs::write(&console_file, console.join("\n") + "\n");

        let result = match result {
            Ok(()) => Ok(()),
            Err(mut error) => {
                match bounded(TEARDOWN_TIMEOUT, self.screenshot("failure")).await {
                    Some(Ok(path)) => error.note(format!("screenshot: {}", path.display())),
                    Some(Err(shot_error)) => error.note(format!("no screenshot: {shot_error}")),
                    None => error.note("no screenshot: the browser did not answer"),
                }
                error.note(format!(
                    "browser console ({} entries, all in {}):{}",
                    console.len(),
                    console_file.display(),
                    tail_lines(&console)
                ));
                let servers = self
                    .host
                    .iter()
                    .chain(&self.remote)
                    .chain(&self.attacker)
                    .chain(&self.intruder);
                for server in servers {
                    error.note(server.report());
                }
                if let Some(driver) = &self.driver {
                    error.note(format!("WebDriver log: {}", driver.log_path().display()));
                }
                Err(error)
            }
        };

        let closed = match self.browser.take() {
            Some(browser) => bounded(TEARDOWN_TIMEOUT, browser.close())
                .await
                .unwrap_or_else(|| Err(Error::contract("closing the browser session did not finish in time"))),
            None => Ok(()),
        };
        if let Some(driver) = self.driver.take() {
            driver.stop().await;
        }
        // Stopped, not just dropped, so that the ports are free before the next test.
        for server in [
            self.host.take(),
            self.remote.take(),
            self.attacker.take(),
            self.intruder.take(),
        ]
        .into_iter()
        .flatten()
        {
            server.stop().await;
        }
        result.and(closed)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        self.browser
            .as_ref()
            .expect("the browser lives until finish(), which runs after the body")
            .client()
    }

    /// The server of the remote's origin (Eos, or the example remote), to delay its files
    /// ([`StaticServer::delays`]).
    pub fn remote_server(&self) -> Result<&StaticServer> {
        self.remote
            .as_ref()
            .ok_or_else(|| Error::contract("this world serves no remote origin"))
    }

    /// The server of the host's origin (Phosphorescence, or the example host).
    pub fn host_server(&self) -> Result<&StaticServer> {
        self.host
            .as_ref()
            .ok_or_else(|| Error::contract("this world serves no host origin"))
    }

    /// The host app's page, `http://localhost:<host port>/`.
    pub fn host_url(&self) -> String {
        format!("{}/", self.config.host_origin())
    }

    /// The remote app's page, `http://localhost:<remote port>/`.
    pub fn remote_url(&self) -> String {
        format!("{}/", self.config.remote_origin())
    }

    /// The example host's page, `http://localhost:<example host port>/` (in a world of
    /// [`World::run_examples`]).
    pub fn example_host_url(&self) -> String {
        format!("{}/", self.config.example_host_origin())
    }

    /// The intruder app's page, `http://localhost:<intruder port>/` (in a world of
    /// [`World::run_with_intruder`]).
    pub fn intruder_url(&self) -> String {
        format!("{}/", self.config.intruder_origin())
    }

    /// A fixture page on the third origin, `http://localhost:<attacker port>/<path>`.
    pub fn attacker_url(&self, path_and_query: &str) -> String {
        format!("{}/{path_and_query}", self.config.attacker_origin())
    }

    /// A fixture page on the third server under another site,
    /// `http://127.0.0.1:<attacker port>/<path>`: a fourth origin.
    pub fn attacker_alias_url(&self, path_and_query: &str) -> String {
        format!("{}/{path_and_query}", self.config.attacker_alias_origin())
    }

    /// Navigates the top-level page to `url` (leaving any frame).
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .map_err(|source| Error::webdriver(format!("opening {url}"), source))?;
        *self.location.lock().unwrap_or_else(PoisonError::into_inner) = (url.to_owned(), Vec::new());
        Ok(())
    }

    /// Where the client is: the page, then each frame entered, e.g.
    /// `http://localhost:18080/ > iframe #remote-frame`.
    pub fn context(&self) -> String {
        let location = self.location.lock().unwrap_or_else(PoisonError::into_inner);
        let mut context = location.0.clone();
        for frame in &location.1 {
            context.push_str(" > iframe ");
            context.push_str(frame);
        }
        context
    }

    /// Waits until the element `selector` shows exactly `expected` (after trimming).
    pub async fn wait_for_text(&self, selector: &str, expected: &str) -> Result<()> {
        self.wait_for(selector, &format!("{expected:?}"), |text| text == expected)
            .await
            .map(drop)
    }

    /// Waits until the element `selector` exists and its trimmed text satisfies `accept`;
    /// returns that text. `expected` describes the wanted text for the error message, which
    /// also says what was seen last (a text, or that the element was missing).
    pub async fn wait_for(&self, selector: &str, expected: &str, accept: impl Fn(&str) -> bool) -> Result<String> {
        self.wait_for_within(self.config.wait_timeout, selector, expected, accept)
            .await
    }

    /// [`World::wait_for`] with its own time limit instead of `E2E_TIMEOUT_SECS`.
    pub async fn wait_for_within(
        &self,
        limit: Duration,
        selector: &str,
        expected: &str,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let started = Instant::now();
        loop {
            let last_seen = match self.try_text(selector).await {
                Ok(Some(text)) if accept(&text) => return Ok(text),
                Ok(Some(text)) => format!("{text:?}"),
                Ok(None) => format!("no element matches {selector}"),
                Err(error) => format!("error: {error}"),
            };
            if started.elapsed() >= limit {
                return Err(ErrorKind::Timeout {
                    context: self.context(),
                    selector: selector.to_owned(),
                    expected: expected.to_owned(),
                    last_seen,
                    waited: started.elapsed(),
                }
                .into());
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The element's trimmed text now, or an error when there is no such element.
    pub async fn text(&self, selector: &str) -> Result<String> {
        self.try_text(selector)
            .await
            .map_err(|source| Error::webdriver(format!("reading {selector}"), source))?
            .ok_or_else(|| Error::contract(format!("no element matches {selector} in {}", self.context())))
    }

    async fn try_text(&self, selector: &str) -> std::result::Result<Option<String>, fantoccini::error::CmdError> {
        match self.client().find(Locator::Css(selector)).await {
            Ok(element) => Ok(Some(element.text().await?.trim().to_owned())),
            Err(error) if error.is_no_such_element() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The DOM property `name` of the element `selector` (waiting for it to exist), for
    /// example an iframe's resolved `src`.
    pub async fn property(&self, selector: &str, name: &str) -> Result<Option<String>> {
        self.wait_for(selector, "any text (the element to exist)", |_| true)
            .await?;
        let element = self
            .client()
            .find(Locator::Css(selector))
            .await
            .map_err(|source| Error::webdriver(format!("finding {selector}"), source))?;
        element
            .prop(name)
            .await
            .map_err(|source| Error::webdriver(format!("reading {selector}.{name}"), source))
    }

    /// Clicks the element `selector`, waiting for it to exist and be enabled first (a click
    /// on a disabled button would do nothing, silently). Inside a frame it clicks there: a
    /// real click on the embedded page.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for_enabled(selector).await?;
        let element = self
            .client()
            .find(Locator::Css(selector))
            .await
            .map_err(|source| Error::webdriver(format!("finding {selector}"), source))?;
        element
            .click()
            .await
            .map_err(|source| Error::webdriver(format!("clicking {selector}"), source))
    }

    /// Reloads the top-level page (leaving any frame), like the browser's reload button.
    pub async fn reload(&self) -> Result<()> {
        self.client()
            .refresh()
            .await
            .map_err(|source| Error::webdriver(format!("reloading {}", self.context()), source))?;
        self.location.lock().unwrap_or_else(PoisonError::into_inner).1.clear();
        Ok(())
    }

    /// Goes back one step in the session history (leaving any frame), like the browser's back
    /// button: a page may come back from the back/forward cache.
    pub async fn back(&self) -> Result<()> {
        self.client()
            .back()
            .await
            .map_err(|source| Error::webdriver(format!("going back from {}", self.context()), source))?;
        let mut location = self.location.lock().unwrap_or_else(PoisonError::into_inner);
        *location = (format!("back from {}", location.0), Vec::new());
        Ok(())
    }

    /// Switches into the iframe `selector` (waiting for the element to exist). Element
    /// look-ups then happen inside it until [`World::leave_frame`].
    pub async fn enter_frame(&self, selector: &str) -> Result<()> {
        self.wait_for(selector, "an iframe element", |_| true).await?;
        let frame = self
            .client()
            .find(Locator::Css(selector))
            .await
            .map_err(|source| Error::webdriver(format!("finding {selector}"), source))?;
        frame
            .enter_frame()
            .await
            .map_err(|source| Error::webdriver(format!("entering iframe {selector}"), source))?;
        self.location
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .push(selector.to_owned());
        Ok(())
    }

    /// Switches back to the parent of the current frame.
    pub async fn leave_frame(&self) -> Result<()> {
        self.client()
            .enter_parent_frame()
            .await
            .map_err(|source| Error::webdriver("leaving a frame", source))?;
        self.location.lock().unwrap_or_else(PoisonError::into_inner).1.pop();
        Ok(())
    }

    /// Runs `body` inside the iframe `selector` and leaves it again, also on error.
    pub async fn in_frame<T>(&self, selector: &str, body: impl AsyncFnOnce(&World) -> Result<T>) -> Result<T> {
        self.enter_frame(selector).await?;
        let result = body(self).await;
        let left = self.leave_frame().await;
        let value = result?;
        left?;
        Ok(value)
    }

    /// The handles of every top-level window of the session: the test's own, and any the page
    /// opened (`window.open`).
    pub async fn windows(&self) -> Result<Vec<WindowHandle>> {
        self.client()
            .windows()
            .await
            .map_err(|source| Error::webdriver("listing the windows", source))
    }

    /// The handle of the window the client is in.
    pub async fn window(&self) -> Result<WindowHandle> {
        self.client()
            .window()
            .await
            .map_err(|source| Error::webdriver("reading the current window", source))
    }

    /// Waits until a window that is not in `known` exists (one the page opened) and returns its
    /// handle. The client stays where it is.
    pub async fn wait_for_new_window(&self, known: &[WindowHandle]) -> Result<WindowHandle> {
        self.wait_until(&format!("a window besides the {} known", known.len()), async |w| {
            let windows = w.windows().await?;
            let count = windows.len();
            Ok(match windows.into_iter().find(|window| !known.contains(window)) {
                Some(new) => Probe::Ready(new),
                None => Probe::NotYet(format!("{count} windows")),
            })
        })
        .await
    }

    /// Switches to the top-level window `window` (leaving any frame): queries then run in its
    /// document, and messages name its address.
    pub async fn switch_to_window(&self, window: &WindowHandle) -> Result<()> {
        self.client()
            .switch_to_window(window.clone())
            .await
            .map_err(|source| Error::webdriver("switching to another window", source))?;
        let url = match self.client().current_url().await {
            Ok(url) => format!("window {url}"),
            Err(_) => "another window".to_owned(),
        };
        *self.location.lock().unwrap_or_else(PoisonError::into_inner) = (url, Vec::new());
        Ok(())
    }

    /// Runs `body` in the top-level window `window`, then switches back to the window the client
    /// was in, also on error.
    pub async fn in_window<T>(&self, window: &WindowHandle, body: impl AsyncFnOnce(&World) -> Result<T>) -> Result<T> {
        let back = self.window().await?;
        let location = self.location.lock().unwrap_or_else(PoisonError::into_inner).clone();
        self.switch_to_window(window).await?;
        let result = body(self).await;
        let returned = self
            .client()
            .switch_to_window(back)
            .await
            .map_err(|source| Error::webdriver("switching back to the first window", source));
        *self.location.lock().unwrap_or_else(PoisonError::into_inner) = location;
        let value = result?;
        returned?;
        Ok(value)
    }

    /// Closes the window the client is in, as its user would; switch to another one afterwards.
    pub async fn close_window(&self) -> Result<()> {
        self.client()
            .close_window()
            .await
            .map_err(|source| Error::webdriver(format!("closing {}", self.context()), source))
    }

    /// Saves a screenshot of the browser window (the top-level page with the content of
    /// its iframes) as `<screenshot dir>/<test name>-<label>.png`.
    pub async fn screenshot(&self, label: &str) -> Result<PathBuf> {
        let png = self
            .client()
            .screenshot()
            .await
            .map_err(|source| Error::webdriver("taking a screenshot", source))?;
        self.save_screenshot(label, &png)
    }

    /// Writes `png` as `<screenshot dir>/<test name>-<label>.png`.
    pub(crate) fn save_screenshot(&self, label: &str, png: &[u8]) -> Result<PathBuf> {
        let dir = &self.config.screenshot_dir;
        std::fs::create_dir_all(dir).map_err(|source| Error::io(format!("creating {}", dir.display()), source))?;
        let path = dir.join(format!("{}-{label}.png", self.name));
        std::fs::write(&path, png).map_err(|source| Error::io(format!("writing {}", path.display()), source))?;
        Ok(path)
    }
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("name", &self.name)
            .field("context", &self.context())
            .finish_non_exhaustive()
    }
}

/// `future`'s output, or `None` if it takes longer than `limit`.
async fn bounded<T>(limit: Duration, future: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, future).await.ok()
}

/// The last [`REPORT_LINES`] lines, each on its own indented line.
fn tail_lines(lines: &[String]) -> String {
    let skip = lines.len().saturating_sub(REPORT_LINES);
    let mut out = String::new();
    if skip > 0 {
        out.push_str(&format!("\n  ... {skip} earlier lines"));
    }
    for line in &lines[skip..] {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
