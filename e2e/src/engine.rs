//! The three browser engines the tests run in, and what differs between them for the harness:
//! the WebDriver binary, how it is started, and the session's capabilities.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::browser::{CHROMIUM_ARGS, WINDOW_SIZE};

/// A browser engine, chosen with `E2E_BROWSER` (`./test.sh` sets it for each engine's run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Debian's Chromium through chromedriver, headless.
    Chromium,
    /// Firefox ESR through geckodriver, headless.
    Firefox,
    /// WebKitGTK's MiniBrowser through WebKitWebDriver; it has no headless mode, so it needs an
    /// X display (`./test.sh` runs it under `xvfb-run`).
    Webkit,
}

impl Engine {
    /// Every engine, in the order `./test.sh` runs them.
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::Webkit];

    /// The name used in `E2E_BROWSER`, `BROWSERS`, log and screenshot folders.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::Webkit => "webkit",
        }
    }

    /// The engine called `name`, if any.
    pub fn from_name(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|engine| engine.name() == name)
    }

    /// The variable that names this engine's WebDriver binary (the same one
    /// wasm-bindgen-test-runner reads).
    pub fn driver_var(self) -> &'static str {
        match self {
            Engine::Chromium => "CHROMEDRIVER",
            Engine::Firefox => "GECKODRIVER",
            Engine::Webkit => "SAFARIDRIVER",
        }
    }

    /// The WebDriver binary when its variable is not set: Debian's, or `cargo install`'s
    /// geckodriver.
    pub(crate) fn default_driver(self) -> PathBuf {
        let candidates: &[&str] = match self {
            Engine::Chromium => &["/usr/bin/chromedriver"],
            Engine::Firefox => &[
                "~/.cargo/bin/geckodriver",
                "/usr/local/bin/geckodriver",
                "/usr/bin/geckodriver",
            ],
            Engine::Webkit => &["/usr/bin/WebKitWebDriver"],
        };
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        candidates
            .iter()
            .map(|candidate| match candidate.strip_prefix("~/") {
                Some(rest) => home.join(rest),
                None => PathBuf::from(candidate),
            })
            .find(|path| path.exists())
            .unwrap_or_else(|| PathBuf::from(self.driver_file_name()))
    }

    fn driver_file_name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromedriver",
            Engine::Firefox => "geckodriver",
            Engine::Webkit => "WebKitWebDriver",
        }
    }

    /// The variable that names the browser binary, and its default when that exists.
    pub(crate) fn browser_binary(self) -> (&'static str, &'static str) {
        match self {
            Engine::Chromium => ("CHROME_BIN", "/usr/bin/chromium"),
            Engine::Firefox => ("FIREFOX_BIN", "/usr/bin/firefox-esr"),
            Engine::Webkit => ("WEBKIT_BIN", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"),
        }
    }

    /// How to install the driver, for the error when it cannot be started.
    pub(crate) fn install_hint(self) -> &'static str {
        match self {
            Engine::Chromium => "install it with `apt-get install chromium chromium-driver` or set CHROMEDRIVER",
            Engine::Firefox => {
                "install it with `cargo install geckodriver --version 0.37.1 --locked` (and `apt-get install firefox-esr`) or set GECKODRIVER"
            }
            Engine::Webkit => "install it with `apt-get install webkit2gtk-driver xvfb xauth` or set SAFARIDRIVER",
        }
    }

    /// The driver's command-line arguments for `port`, and whether it writes its log itself to
    /// `log` (otherwise its standard error goes there).
    pub(crate) fn driver_args(self, port: u16, log: &Path) -> (Vec<String>, bool) {
        match self {
            Engine::Chromium => (
                vec![format!("--port={port}"), format!("--log-path={}", log.display())],
                true,
            ),
            // geckodriver's --port takes a separate value; it logs to standard error.
            Engine::Firefox => (vec!["--port".to_owned(), port.to_string()], false),
            Engine::Webkit => (vec![format!("--port={port}")], false),
        }
    }

    /// The new session's capabilities: headless where the engine can be, a fresh profile in
    /// `profile`, the [`WINDOW_SIZE`], and no attempt to reach hosts outside this machine.
    pub(crate) fn capabilities(self, profile: &Path, binary: Option<&Path>) -> Map<String, Value> {
        let binary = binary.map(|path| path.display().to_string());
        let capabilities = match self {
            Engine::Chromium => {
                let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| arg.to_string()).collect();
                args.push(format!("--user-data-dir={}", profile.display()));
                args.push(format!("--window-size={},{}", WINDOW_SIZE.0, WINDOW_SIZE.1));
                let mut options = json!({ "args": args });
                if let Some(binary) = binary {
                    options["binary"] = json!(binary);
                }
                json!({
                    "browserName": "chrome",
                    "goog:chromeOptions": options,
                    "goog:loggingPrefs": { "browser": "ALL" },
                })
            }
            Engine::Firefox => {
                let mut options = json!({
                    "args": [
                        "-headless",
                        "-profile", profile.display().to_string(),
                        "-width", WINDOW_SIZE.0.to_string(),
                        "-height", WINDOW_SIZE.1.to_string(),
                    ],
                    "prefs": {
                        // The page's console goes to geckodriver's log (there is no log endpoint).
                        "devtools.console.stdout.content": true,
                        // Popups opened by a page script are allowed, as in the other engines'
                        // automation sessions.
                        "dom.disable_open_during_load": false,
                    },
                });
                if let Some(binary) = binary {
                    options["binary"] = json!(binary);
                }
                json!({ "browserName": "firefox", "moz:firefoxOptions": options })
            }
            Engine::Webkit => {
                let mut options = json!({ "args": ["--automation"] });
                if let Some(binary) = binary {
                    options["binary"] = json!(binary);
                }
                json!({ "webkitgtk:browserOptions": options })
            }
        };
        let Value::Object(mut capabilities) = capabilities else {
            unreachable!("json! of an object literal is an object")
        };
        capabilities.insert(
            "timeouts".to_owned(),
            json!({ "pageLoad": 30_000, "script": 10_000, "implicit": 0 }),
        );
        capabilities
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for engine in Engine::ALL {
            assert_eq!(Engine::from_name(engine.name()), Some(engine));
        }
        assert_eq!(Engine::from_name("safari"), None);
        assert_eq!(Engine::from_name("Chromium"), None);
    }

    #[test]
    fn every_session_gets_its_own_profile_and_the_harness_timeouts() {
        let profile = Path::new("/tmp/profile-x");
        for engine in Engine::ALL {
            let capabilities = Value::Object(engine.capabilities(profile, None));
            assert_eq!(capabilities["timeouts"]["script"], 10_000, "{engine}");
            let text = capabilities.to_string();
            if engine != Engine::Webkit {
                assert!(text.contains("/tmp/profile-x"), "{engine}: {text}");
            }
        }
        let firefox = Value::Object(Engine::Firefox.capabilities(profile, Some(Path::new("/usr/bin/firefox-esr"))));
        assert_eq!(firefox["moz:firefoxOptions"]["binary"], "/usr/bin/firefox-esr");
        assert_eq!(firefox["moz:firefoxOptions"]["args"][0], "-headless");
    }
}
