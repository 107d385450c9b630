//! Page helpers beyond one element's text: typing, counts, attributes, the texts of many
//! elements at once, scripts, waits for any condition, and screenshots of one element.
//!
//! Every query runs in the current browsing context, so inside [`World::enter_frame`] (or
//! [`World::in_frame`]) it looks at the iframe's document. The queries that read several
//! things at once ([`World::count`], [`World::texts`], [`World::attribute`],
//! [`World::evaluate`]) run as one script, so they see one consistent state of a page that
//! re-renders while it is read.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::world::POLL_INTERVAL;
use crate::{Error, ErrorKind, Result, World};

/// What one look of [`World::wait_until`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe<T> {
    /// The awaited state, with whatever the test wants to keep from it.
    Ready(T),
    /// Not yet: what the page shows instead, in words, for the timeout message.
    NotYet(String),
}

impl World {
    /// Waits until `probe` returns [`Probe::Ready`] and returns its value. `expected` describes
    /// the awaited state for the error message, which also says what the last look saw (the
    /// [`Probe::NotYet`] text, or the error the probe returned: errors are retried like
    /// missing elements, since a page in the middle of a re-render may briefly fail a query).
    pub async fn wait_until<T>(&self, expected: &str, probe: impl AsyncFn(&World) -> Result<Probe<T>>) -> Result<T> {
        self.wait_until_within(self.config().wait_timeout, expected, probe)
            .await
    }

    /// [`World::wait_until`] with its own time limit instead of `E2E_TIMEOUT_SECS`.
    pub async fn wait_until_within<T>(
        &self,
        limit: Duration,
        expected: &str,
        probe: impl AsyncFn(&World) -> Result<Probe<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        loop {
            let last_seen = match probe(self).await {
                Ok(Probe::Ready(value)) => return Ok(value),
                Ok(Probe::NotYet(seen)) => seen,
                Err(error) => format!("error: {error}"),
            };
            if started.elapsed() >= limit {
                return Err(ErrorKind::ConditionTimeout {
                    context: self.context(),
                    expected: expected.to_owned(),
                    last_seen,
                    waited: started.elapsed(),
                }
                .into());
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Runs `script` (the body of a function; `arguments[0]`, ... are `args`) in the current
    /// browsing context and returns what it returns, as JSON.
    pub async fn evaluate(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client()
            .execute(script, args)
            .await
            .map_err(|source| Error::webdriver(format!("running a script in {}", self.context()), source))
    }

    /// How many elements match `selector` now.
    pub async fn count(&self, selector: &str) -> Result<usize> {
        let value = self
            .evaluate(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(selector)],
            )
            .await?;
        value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Error::contract(format!("counting {selector} returned {value}")))
    }

    /// Waits until exactly `expected` elements match `selector`.
    pub async fn wait_for_count(&self, selector: &str, expected: usize) -> Result<()> {
        self.wait_until(&format!("exactly {expected} elements to match {selector}"), async |w| {
            let count = w.count(selector).await?;
            Ok(if count == expected {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!("{count} elements"))
            })
        })
        .await
    }

    /// The trimmed rendered text (`innerText`) of every element matching `selector`, in
    /// document order.
    pub async fn texts(&self, selector: &str) -> Result<Vec<String>> {
        let value = self
            .evaluate(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim());",
                vec![json!(selector)],
            )
            .await?;
        strings(&value).ok_or_else(|| Error::contract(format!("reading the texts of {selector} returned {value}")))
    }

    /// Waits until the elements matching `selector` show exactly `expected`, in order.
    pub async fn wait_for_texts(&self, selector: &str, expected: &[&str]) -> Result<()> {
        self.wait_until(&format!("{selector} to show {expected:?}"), async |w| {
            let texts = w.texts(selector).await?;
            Ok(if texts == expected {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!("{texts:?}"))
            })
        })
        .await
    }

    /// The attribute `name` of the first element matching `selector`: `None` when the element
    /// has no such attribute, an error when no element matches.
    pub async fn attribute(&self, selector: &str, name: &str) -> Result<Option<String>> {
        let value = self
            .evaluate(
                "const e = document.querySelector(arguments[0]);
                 return e === null ? { found: false } : { found: true, value: e.getAttribute(arguments[1]) };",
                vec![json!(selector), json!(name)],
            )
            .await?;
        if value["found"] != json!(true) {
            return Err(Error::contract(format!(
                "no element matches {selector} in {}",
                self.context()
            )));
        }
        Ok(value["value"].as_str().map(str::to_owned))
    }

    /// Waits until the first element matching `selector` has the attribute `name` equal to
    /// `expected`.
    pub async fn wait_for_attribute(&self, selector: &str, name: &str, expected: &str) -> Result<()> {
        self.wait_until(&format!("{selector} to have {name}={expected:?}"), async |w| {
            Ok(match w.attribute(selector, name).await {
                Ok(Some(value)) if value == expected => Probe::Ready(()),
                Ok(Some(value)) => Probe::NotYet(format!("{name}={value:?}")),
                Ok(None) => Probe::NotYet(format!("no attribute {name}")),
                Err(_) => Probe::NotYet(format!("no element matches {selector}")),
            })
        })
        .await
    }

    /// Waits until the element `selector` exists and is enabled (a click on a disabled button
    /// does nothing, silently).
    pub async fn wait_for_enabled(&self, selector: &str) -> Result<()> {
        self.wait_until(&format!("{selector} to exist and be enabled"), async |w| {
            match w.client().find(Locator::Css(selector)).await {
                Ok(element) => {
                    let enabled = element
                        .is_enabled()
                        .await
                        .map_err(|source| Error::webdriver(format!("reading whether {selector} is enabled"), source))?;
                    Ok(if enabled {
                        Probe::Ready(())
                    } else {
                        Probe::NotYet("disabled".to_owned())
                    })
                }
                Err(error) if error.is_no_such_element() => Ok(Probe::NotYet(format!("no element matches {selector}"))),
                Err(source) => Err(Error::webdriver(format!("finding {selector}"), source)),
            }
        })
        .await
    }

    /// Types `text` into the element `selector` (an input or a textarea), as key presses after
    /// what it holds already, waiting for it to exist and be enabled first.
    pub async fn type_into(&self, selector: &str, text: &str) -> Result<()> {
        self.wait_for_enabled(selector).await?;
        let element = self
            .client()
            .find(Locator::Css(selector))
            .await
            .map_err(|source| Error::webdriver(format!("finding {selector}"), source))?;
        element
            .send_keys(text)
            .await
            .map_err(|source| Error::webdriver(format!("typing into {selector}"), source))
    }

    /// Saves a screenshot of the element `selector` alone as `<screenshot dir>/<test
    /// name>-<label>.png`, scrolling it into view first (a part outside the window would be
    /// cut off). Taken from the top-level page with an iframe's selector, it shows the
    /// iframe's content: the embedded app as the user sees it.
    pub async fn screenshot_element(&self, selector: &str, label: &str) -> Result<PathBuf> {
        self.wait_for(selector, "any text (the element to exist)", |_| true)
            .await?;
        self.evaluate(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'nearest' });",
            vec![json!(selector)],
        )
        .await?;
        let element = self
            .client()
            .find(Locator::Css(selector))
            .await
            .map_err(|source| Error::webdriver(format!("finding {selector}"), source))?;
        let png = element
            .screenshot()
            .await
            .map_err(|source| Error::webdriver(format!("taking a screenshot of {selector}"), source))?;
        self.save_screenshot(label, &png)
    }
}

/// A JSON array of strings as strings.
fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}
