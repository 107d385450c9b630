//! Where things are and which ports they use, from the environment with defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Engine;

/// The harness's configuration; see the crate docs for the variables.
#[derive(Debug, Clone)]
pub struct Config {
    /// Release build of `host-app` (a folder with `index.html`).
    pub host_dist: PathBuf,
    /// Release build of `remote-app`.
    pub remote_dist: PathBuf,
    /// Release build of `intruder-app`.
    pub intruder_dist: PathBuf,
    /// Release build of `examples/iframe-host`.
    pub example_host_dist: PathBuf,
    /// Release build of `examples/iframe-remote`.
    pub example_remote_dist: PathBuf,
    /// The fixture pages served on the attacker origin.
    pub fixtures: PathBuf,
    /// `host-app/Trunk.toml`, whose `[serve.headers]` the host's server sends.
    pub host_trunk_toml: PathBuf,
    /// `remote-app/Trunk.toml`, whose `[serve.headers]` the remote's server sends.
    pub remote_trunk_toml: PathBuf,
    /// `intruder-app/Trunk.toml`, whose `[serve.headers]` the intruder's server sends.
    pub intruder_trunk_toml: PathBuf,
    /// Port of the host origin.
    pub host_port: u16,
    /// Port of the remote origin.
    pub remote_port: u16,
    /// Port of the third origin.
    pub attacker_port: u16,
    /// Port of the intruder app's origin (a fourth server, beside the fixtures' third origin).
    pub intruder_port: u16,
    /// Port of the example host's origin.
    pub example_host_port: u16,
    /// Port of the example remote's origin.
    pub example_remote_port: u16,
    /// The engine the tests drive (`E2E_BROWSER`).
    pub engine: Engine,
    /// The engine's WebDriver binary (`CHROMEDRIVER`, `GECKODRIVER` or `SAFARIDRIVER`).
    pub driver: PathBuf,
    /// The browser binary, when it is not left to the driver to find.
    pub browser_bin: Option<PathBuf>,
    /// How long one wait for a page state may take.
    pub wait_timeout: Duration,
    /// How long one whole test may take.
    pub test_timeout: Duration,
    /// Where temporary browser profiles are created.
    pub profile_root: PathBuf,
    /// Where screenshots are saved.
    pub screenshot_dir: PathBuf,
    /// Where WebDriver server logs and browser consoles are saved.
    pub log_dir: PathBuf,
}

impl Config {
    /// Reads the configuration from the environment.
    ///
    /// A variable that is set but cannot be parsed is an error, not silently the default.
    pub fn from_env() -> crate::Result<Self> {
        let root = workspace_root();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let engine = match std::env::var("E2E_BROWSER") {
            Ok(name) if !name.is_empty() => Engine::from_name(name.trim()).ok_or(crate::ErrorKind::Config {
                name: "E2E_BROWSER",
                value: name,
                problem: "is not one of chromium, firefox, webkit",
            })?,
            _ => Engine::Chromium,
        };
        let driver = path_var(engine.driver_var()).unwrap_or_else(|| engine.default_driver());
        let (browser_var, browser_default) = engine.browser_binary();
        let browser_bin = path_var(browser_var).or_else(|| {
            let default = PathBuf::from(browser_default);
            default.exists().then_some(default)
        });
        // Each engine's screenshots and logs in a folder of its own, so one run keeps all three.
        let per_engine = |dir: PathBuf| dir.join(engine.name());
        Ok(Config {
            host_dist: path_var("E2E_HOST_DIST").unwrap_or_else(|| target.join("e2e-dist/host")),
            remote_dist: path_var("E2E_REMOTE_DIST").unwrap_or_else(|| target.join("e2e-dist/remote")),
            intruder_dist: path_var("E2E_INTRUDER_DIST").unwrap_or_else(|| target.join("e2e-dist/intruder")),
            example_host_dist: path_var("E2E_EXAMPLE_HOST_DIST")
                .unwrap_or_else(|| target.join("e2e-dist/example-host")),
            example_remote_dist: path_var("E2E_EXAMPLE_REMOTE_DIST")
                .unwrap_or_else(|| target.join("e2e-dist/example-remote")),
            fixtures: root.join("e2e/fixtures"),
            host_trunk_toml: root.join("host-app/Trunk.toml"),
            remote_trunk_toml: root.join("remote-app/Trunk.toml"),
            intruder_trunk_toml: root.join("intruder-app/Trunk.toml"),
            host_port: number_var("E2E_HOST_PORT", 18080)?,
            remote_port: number_var("E2E_REMOTE_PORT", 18081)?,
            attacker_port: number_var("E2E_ATTACKER_PORT", 18082)?,
            intruder_port: number_var("E2E_INTRUDER_PORT", 18083)?,
            example_host_port: number_var("E2E_EXAMPLE_HOST_PORT", 18090)?,
            example_remote_port: number_var("E2E_EXAMPLE_REMOTE_PORT", 18091)?,
            engine,
            driver,
            browser_bin,
            wait_timeout: Duration::from_secs(number_var("E2E_TIMEOUT_SECS", 20)?),
            test_timeout: Duration::from_secs(number_var("E2E_TEST_TIMEOUT_SECS", 120)?),
            profile_root: path_var("E2E_PROFILE_ROOT").unwrap_or_else(|| target.join("e2e-profiles")),
            screenshot_dir: per_engine(
                path_var("E2E_SCREENSHOT_DIR").unwrap_or_else(|| target.join("e2e-screenshots")),
            ),
            log_dir: per_engine(path_var("E2E_LOG_DIR").unwrap_or_else(|| target.join("e2e-logs"))),
        })
    }

    /// The host origin, e.g. `http://localhost:18080`.
    pub fn host_origin(&self) -> String {
        format!("http://localhost:{}", self.host_port)
    }

    /// The remote origin, e.g. `http://localhost:18081`.
    pub fn remote_origin(&self) -> String {
        format!("http://localhost:{}", self.remote_port)
    }

    /// The intruder app's origin, e.g. `http://localhost:18083`.
    pub fn intruder_origin(&self) -> String {
        format!("http://localhost:{}", self.intruder_port)
    }

    /// The security headers of the host app, as its server sends them: `host-app/Trunk.toml`'s,
    /// for the origins the apps were built for.
    pub fn host_headers(&self) -> crate::Result<crate::SecurityHeaders> {
        self.headers_of(&self.host_trunk_toml)
    }

    /// The security headers of the remote app (Eos), as its server sends them.
    pub fn remote_headers(&self) -> crate::Result<crate::SecurityHeaders> {
        self.headers_of(&self.remote_trunk_toml)
    }

    /// The security headers of the intruder app, as its server sends them.
    pub fn intruder_headers(&self) -> crate::Result<crate::SecurityHeaders> {
        self.headers_of(&self.intruder_trunk_toml)
    }

    /// The headers of the `Trunk.toml` at `path`, each default origin it names replaced by the
    /// origin it stands for here.
    fn headers_of(&self, path: &Path) -> crate::Result<crate::SecurityHeaders> {
        let (host, remote) = (self.host_origin(), self.remote_origin());
        let origins = [
            (crate::DEFAULT_HOST_ORIGIN, host.as_str()),
            (crate::DEFAULT_REMOTE_ORIGIN, remote.as_str()),
        ];
        crate::SecurityHeaders::read(path, &origins)
    }

    /// The example host's origin, e.g. `http://localhost:18090`.
    pub fn example_host_origin(&self) -> String {
        format!("http://localhost:{}", self.example_host_port)
    }

    /// The example remote's origin, e.g. `http://localhost:18091`.
    pub fn example_remote_origin(&self) -> String {
        format!("http://localhost:{}", self.example_remote_port)
    }

    /// The third origin, e.g. `http://localhost:18082`.
    pub fn attacker_origin(&self) -> String {
        format!("http://localhost:{}", self.attacker_port)
    }

    /// The attacker server under another *site* (`127.0.0.1` instead of `localhost`):
    /// a fourth origin without a fourth server.
    pub fn attacker_alias_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.attacker_port)
    }
}

/// The workspace root: this crate's parent folder.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives inside the workspace folder")
        .to_path_buf()
}

fn path_var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

fn number_var<T: std::str::FromStr>(name: &'static str, default: T) -> crate::Result<T> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value.trim().parse().map_err(|_| {
            crate::ErrorKind::Config {
                name,
                value,
                problem: "is not a valid number",
            }
            .into()
        }),
        _ => Ok(default),
    }
}
