//! End-to-end test harness: the real apps, served for real, in a real browser.
//!
//! A test owns its whole world ([`World`]):
//!
//! * three in-process static HTTP servers on three `localhost` ports, which are three
//!   different origins: the host app's release build, the remote app's release build, and
//!   an "attacker" origin that serves the pages in `e2e/fixtures/`; the host and remote
//!   servers also serve those pages under `/fixtures/`, for scripted peers that must run on
//!   *their* origin (a flooding remote, a host that speaks another protocol version);
//! * the WebDriver server of the chosen [`Engine`] (chromedriver, geckodriver or
//!   WebKitWebDriver) on a free port, killed when the world is dropped;
//! * one WebDriver session in that engine (Chromium and Firefox headless, WebKitGTK on the
//!   X display it is given) with a fresh, temporary profile.
//!
//! [`World::run`] starts all of that, runs the test body, and always tears it down again —
//! when the body returns an error, when it panics and when it runs out of time — and on
//! failure it adds a screenshot, the browser console and the request log of each server to
//! the error, so a red test says what the page showed.
//!
//! Tests drive the pages with [`World`]'s helpers, all of which act in the current frame:
//! navigation ([`World::goto`], [`World::reload`]), frames ([`World::enter_frame`],
//! [`World::leave_frame`], [`World::in_frame`]), windows the page opened ([`World::windows`],
//! [`World::wait_for_new_window`], [`World::switch_to_window`], [`World::in_window`],
//! [`World::close_window`]), real input ([`World::click`],
//! [`World::type_into`]), reads ([`World::text`], [`World::texts`], [`World::count`],
//! [`World::attribute`], [`World::property`], [`World::evaluate`]), waits for a page state
//! ([`World::wait_for_text`], [`World::wait_for`], [`World::wait_for_texts`],
//! [`World::wait_for_count`], [`World::wait_for_attribute`], [`World::wait_for_enabled`], and
//! [`World::wait_until`] for any condition, with a [`Probe`] per look) and screenshots
//! ([`World::screenshot`] of the window, [`World::screenshot_element`] of one element, such as
//! an iframe with the embedded app). Tests never sleep to let a page settle: they wait for the
//! state they need, and a wait that runs out says what it saw last.
//!
//! The host's and the remote's servers send each app's security headers with every file of its
//! build, as `trunk serve` does: the `[serve.headers]` of its `Trunk.toml`
//! ([`Config::host_headers`], [`SecurityHeaders`]), with the e2e origins in place of the default
//! ones it names; the fixtures under `/fixtures/` go without them. A test of the library's own
//! defences, which must hold on a page served without the headers, drops them
//! ([`StaticServer::drop_security_headers`]).
//!
//! A server can hold chosen files back ([`StaticServer::delays`], through
//! [`World::remote_server`] and [`World::host_server`]): a remote whose script arrives late.
//!
//! A test can change what a server adds to its HTML pages while it runs
//! ([`StaticServer::add_page_header`], say `Cross-Origin-Opener-Policy`, and
//! [`StaticServer::inject_script`], a probe that runs before the app), through
//! [`World::host_server`] and [`World::remote_server`]; in Chromium it can run a DevTools protocol
//! command on the page ([`World::devtools`], say to freeze it).
//!
//! The examples under `examples/` get a world of their own ([`World::run_examples`]): their two
//! release builds on two more ports, and nothing else.
//!
//! Tests in one process run one at a time (a process-wide lock), because they share the
//! fixed ports.
//!
//! # Configuration
//!
//! Everything has a default that matches `./test.sh`; the environment can override it:
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `E2E_HOST_DIST` | `target/e2e-dist/host` | release build of `host-app` |
//! | `E2E_REMOTE_DIST` | `target/e2e-dist/remote` | release build of `remote-app` |
//! | `E2E_INTRUDER_DIST` | `target/e2e-dist/intruder` | release build of `intruder-app` |
//! | `E2E_EXAMPLE_HOST_DIST` | `target/e2e-dist/example-host` | release build of `examples/iframe-host` |
//! | `E2E_EXAMPLE_REMOTE_DIST` | `target/e2e-dist/example-remote` | release build of `examples/iframe-remote` |
//! | `E2E_HOST_PORT` | `18080` | port of the host origin |
//! | `E2E_REMOTE_PORT` | `18081` | port of the remote origin |
//! | `E2E_ATTACKER_PORT` | `18082` | port of the third ("attacker") origin |
//! | `E2E_INTRUDER_PORT` | `18083` | port of the intruder app's origin |
//! | `E2E_EXAMPLE_HOST_PORT` | `18090` | port of the example host's origin |
//! | `E2E_EXAMPLE_REMOTE_PORT` | `18091` | port of the example remote's origin |
//! | `E2E_BROWSER` | `chromium` | the engine: `chromium`, `firefox` or `webkit` |
//! | `CHROMEDRIVER` | `/usr/bin/chromedriver` | Chromium's driver |
//! | `GECKODRIVER` | `~/.cargo/bin/geckodriver` (`cargo install`) | Firefox's driver |
//! | `SAFARIDRIVER` | `/usr/bin/WebKitWebDriver` | WebKitGTK's driver (the name wasm-bindgen-test-runner reads) |
//! | `CHROME_BIN`, `FIREFOX_BIN`, `WEBKIT_BIN` | Debian's `chromium`, `firefox-esr`, WebKitGTK's `MiniBrowser` | the browser binary |
//! | `E2E_TIMEOUT_SECS` | `20` | how long one wait for a page state may take |
//! | `E2E_TEST_TIMEOUT_SECS` | `120` | how long one whole test may take |
//! | `E2E_PROFILE_ROOT` | `target/e2e-profiles` | where temporary browser profiles go |
//! | `E2E_SCREENSHOT_DIR` | `target/e2e-screenshots` | where screenshots go (in a folder per engine) |
//! | `E2E_LOG_DIR` | `target/e2e-logs` | where driver logs and consoles go (in a folder per engine) |
//!
//! WebKitGTK needs an X display: `./test.sh` runs its tests under `xvfb-run`; by hand,
//! `E2E_BROWSER=webkit xvfb-run -a cargo test -p e2e --test demo`.
//!
//! The apps must have been built for these origins: `./test.sh` builds `host-app` with
//! `PHOS_REMOTE_ORIGIN=http://localhost:18081` and `remote-app` with
//! `EOS_HOST_ORIGIN=http://localhost:18080`, and the examples with
//! `EXAMPLE_REMOTE_ORIGIN=http://localhost:18091` and `EXAMPLE_HOST_ORIGIN=http://localhost:18090`.
#![cfg(not(target_arch = "wasm32"))]
#![deny(missing_docs, missing_debug_implementations)]

mod browser;
mod cdp;
mod config;
mod engine;
mod error;
mod headers;
mod page;
mod page_options;
mod server;
mod slow;
mod world;

pub use browser::{console_of, Browser, Driver, CHROMIUM_ARGS, WINDOW_SIZE};
pub use config::Config;
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use headers::{csp_directive, SecurityHeaders, DEFAULT_HOST_ORIGIN, DEFAULT_REMOTE_ORIGIN};
pub use page::Probe;
pub use server::StaticServer;
pub use slow::Delays;
pub use world::World;

/// A top-level window of the browser session, as [`World::windows`] lists them.
pub use fantoccini::wd::WindowHandle;
