//! The Chrome DevTools protocol through chromedriver, for what WebDriver has no command for
//! (freezing a page: `Page.setWebLifecycleState`).

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

use crate::{Error, Result, World};

/// chromedriver's `POST /session/{id}/goog/cdp/execute` with `{cmd, params}`: one DevTools
/// protocol command on the current page's target. geckodriver and WebKitWebDriver do not offer
/// it (they answer "unknown command").
#[derive(Debug)]
struct CdpCommand {
    body: String,
}

impl WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.body.clone()))
    }
}

impl World {
    /// Runs the DevTools protocol command `cmd` with `params` on the current top-level page and
    /// returns its result. Chromium only: in the other engines it is an error (their drivers have
    /// no such endpoint).
    pub async fn devtools(&self, cmd: &str, params: Value) -> Result<Value> {
        let body = json!({ "cmd": cmd, "params": params }).to_string();
        self.client()
            .issue_cmd(CdpCommand { body })
            .await
            .map_err(|source| Error::webdriver(format!("running the DevTools command {cmd}"), source))
    }
}
