//! The host page: it embeds the remote page (another origin) in an iframe, asks it `Ping { n }`
//! on each click of "Ping" and shows every `Pong { n }`, and shows each click on the remote's
//! button, which arrives as an interrupt.
//!
//! Roles: the listener speaks first and the knocker only answers, so the side that asks listens.
//! Here the host asks, so the host listens and the iframe knocks.

use std::error::Error;
use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::{self, StreamExt};
use gloo_events::EventListener;
use messenger::{listen, Config, InterruptRequest, Source};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlButtonElement, HtmlIFrameElement};

/// The remote page's origin, fixed when this page is built (`EXAMPLE_REMOTE_ORIGIN`): the one
/// origin this page talks to. Never take it from the URL or anything else a third party can set.
const REMOTE_ORIGIN: &str = match option_env!("EXAMPLE_REMOTE_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8091",
};

/// How long the iframe may take to load and knock. The default (10 s) counts from when this page
/// starts listening, which is before the iframe has even started loading.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the host sends. The remote declares the same shape under names of its own: only the
/// variant and field names travel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum ToRemote {
    /// The first message; the click channel rides along with it.
    Hello,
    /// A question; the answer is `Pong` with the same `n`.
    Ping { n: u32 },
}

/// What the remote answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum FromRemote {
    /// The answer to `Hello`.
    Hello,
    /// The answer to `Ping { n }`.
    Pong { n: u32 },
}

/// A click on the remote's button: an interrupt, sent whenever the user clicks, outside the
/// turns. Its type is chosen on each side separately; a mismatch is a `DecodeFailed` error.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Click {
    /// How many times the button was clicked, this one included.
    count: u32,
}

/// Something that happened while connected.
enum Event {
    /// "Ping" was clicked.
    PingClicked,
    /// The remote emitted a click, or the click channel ended with the session's error.
    Click(Result<Click, messenger::Error>),
}

fn main() {
    // The whole session lives in this task: the messenger, the interrupt stream and the "Ping"
    // listener are its local variables, so nothing needs `forget` to stay alive, and everything
    // is closed and removed when the session ends.
    wasm_bindgen_futures::spawn_local(async {
        let outcome = match Page::find() {
            Ok(page) => run(&page).await.map_err(|error| (Some(page), error)),
            Err(error) => Err((None, error)),
        };
        if let Err((page, error)) = outcome {
            match page {
                Some(page) => page.set_status(&format!("closed: {error}")),
                None => web_sys::console::error_1(&format!("the page is incomplete: {error}").into()),
            }
        }
    });
}

/// Connects to the remote and runs the session until it fails; never returns `Ok`.
async fn run(page: &Page) -> Result<(), Box<dyn Error>> {
    let remote_window = page.iframe.content_window().ok_or("the iframe has no window")?;
    // The listener exists before the iframe has its page, so no knock can come too early (and
    // the remote knocks again until answered anyway).
    let config = Config::new(REMOTE_ORIGIN)?.handshake_timeout(HANDSHAKE_TIMEOUT);
    let listening = listen::<ToRemote, FromRemote>(config, Source::Window(remote_window));
    page.iframe.set_src(&format!("{REMOTE_ORIGIN}/"));
    page.set_status("listening");
    let messenger = listening.await?;

    // The receiving side creates an interrupt channel and sends its request along with a
    // message; the remote takes the sender from that message.
    let (click_channel, clicks) = InterruptRequest::multi_use::<Click>();
    let hello = messenger.send_with_interrupt(ToRemote::Hello, click_channel).await?;
    let FromRemote::Hello = hello.message else {
        return Err(format!("the remote answered Hello with {:?}", hello.message).into());
    };
    page.set_status("connected");
    page.ping.set_disabled(false);

    // Each click goes into a channel that this task reads, so only this task touches the
    // messenger. The listener is owned here: the session's end drops it, which removes it.
    let (ping_clicked, ping_clicks) = mpsc::unbounded();
    let _ping_listener = EventListener::new(&page.ping, "click", move |_| {
        let _ = ping_clicked.unbounded_send(());
    });
    let mut events = stream::select(ping_clicks.map(|()| Event::PingClicked), clicks.map(Event::Click));
    let mut n = 0;
    while let Some(event) = events.next().await {
        match event {
            Event::PingClicked => {
                n += 1;
                // One question per turn: the next click's ping goes out after this answer.
                let answer = messenger.send(ToRemote::Ping { n }).await?;
                match answer.message {
                    FromRemote::Pong { n: answered } => page.add_item(&page.pongs, &format!("pong {answered}"))?,
                    other => return Err(format!("the remote answered Ping {n} with {other:?}").into()),
                }
            }
            Event::Click(click) => {
                let Click { count } = click?;
                page.add_item(&page.clicks, &format!("click {count}"))?;
                page.click_count.set_text_content(Some(&count.to_string()));
            }
        }
    }
    // The click stream ends only after yielding the session's error, which returned above.
    Err("the session ended".into())
}

/// The elements of `index.html` this page writes to.
struct Page {
    document: Document,
    status: Element,
    ping: HtmlButtonElement,
    pongs: Element,
    clicks: Element,
    click_count: Element,
    iframe: HtmlIFrameElement,
}

impl Page {
    fn find() -> Result<Self, Box<dyn Error>> {
        let document = web_sys::window()
            .and_then(|window| window.document())
            .ok_or("no document")?;
        let element = |id: &str| document.get_element_by_id(id).ok_or(format!("no #{id}"));
        Ok(Page {
            status: element("status")?,
            ping: element("ping")?.dyn_into().map_err(|_| "#ping is not a button")?,
            pongs: element("pongs")?,
            clicks: element("clicks")?,
            click_count: element("click-count")?,
            iframe: element("remote")?.dyn_into().map_err(|_| "#remote is not an iframe")?,
            document,
        })
    }

    fn set_status(&self, status: &str) {
        self.status.set_text_content(Some(status));
    }

    /// Appends `<li>text</li>` to `list`.
    fn add_item(&self, list: &Element, text: &str) -> Result<(), Box<dyn Error>> {
        let item = self
            .document
            .create_element("li")
            .map_err(|_| "cannot create an <li>")?;
        item.set_text_content(Some(text));
        list.append_child(&item).map_err(|_| "cannot append to a list")?;
        Ok(())
    }
}
