//! The remote page, shown in the host's iframe from another origin: it knocks on its parent,
//! answers each `Ping { n }` with `Pong { n }`, and emits an interrupt on each click of its
//! button.
//!
//! Roles: the listener speaks first and the knocker only answers. The host asks, so the host
//! listens and this page knocks; it knocks again until answered, so it does not matter which
//! page starts first.

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;

use gloo_events::EventListener;
use messenger::{knock, Config, InterruptSender, Received, Reply, Target};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlButtonElement};

/// The host page's origin, fixed when this page is built (`EXAMPLE_HOST_ORIGIN`): the one
/// origin this page talks to. Never take it from the URL or anything else a third party can set.
const HOST_ORIGIN: &str = match option_env!("EXAMPLE_HOST_ORIGIN") {
    Some(origin) => origin,
    None => "http://localhost:8090",
};

/// What the host sends. The host declares the same shape under names of its own: only the
/// variant and field names travel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum FromHost {
    /// The first message; the click channel rides along with it.
    Hello,
    /// A question, answered with `Pong` with the same `n`.
    Ping { n: u32 },
}

/// What this page answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum ToHost {
    /// The answer to `Hello`.
    Hello,
    /// The answer to `Ping { n }`.
    Pong { n: u32 },
}

/// A click on this page's button, emitted as an interrupt whenever the user clicks, outside
/// the turns. The host chooses its own type for it; the shapes must match.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Click {
    /// How many times the button was clicked, this one included.
    count: u32,
}

fn main() {
    // The whole session lives in this task: the handler loop and the button's listener are its
    // local variables, so nothing needs `forget` to stay alive, and everything is closed and
    // removed when the session ends.
    wasm_bindgen_futures::spawn_local(async {
        let outcome = match Page::find() {
            Ok(page) => run(&page).await.map_err(|error| (Some(page), error)),
            Err(error) => Err((None, error)),
        };
        if let Err((page, error)) = outcome {
            match page {
                Some(page) => page.status.set_text_content(Some(&format!("closed: {error}"))),
                None => web_sys::console::error_1(&format!("the page is incomplete: {error}").into()),
            }
        }
    });
}

/// Connects to the host and answers it until the session ends; never returns `Ok`.
async fn run(page: &Page) -> Result<(), Box<dyn Error>> {
    let window = web_sys::window().ok_or("no window")?;
    let parent = window.parent().ok().flatten().ok_or("no parent window")?;
    if parent == window {
        return Err("not in an iframe: open the host page instead".into());
    }
    page.status.set_text_content(Some("knocking"));
    let answered = knock(Config::new(HOST_ORIGIN)?, vec![Target::Window(parent)]).await?;
    page.status.set_text_content(Some("connected"));

    // The click channel arrives with the host's first message. An `InterruptSender` does not
    // keep the session alive (the handler loop below does), so emitting fails once it ended.
    let click_sender: Rc<RefCell<Option<InterruptSender<Click>>>> = Rc::default();
    // Owned by this task, like the session: when the session ends it is dropped, which
    // removes it from the button.
    let _click_listener = EventListener::new(&page.button, "click", {
        let click_sender = Rc::clone(&click_sender);
        let clicks_sent = page.clicks_sent.clone();
        let status = page.status.clone();
        let mut count = 0;
        move |_| {
            let held = click_sender.borrow();
            let Some(sender) = held.as_ref() else { return };
            count += 1;
            match sender.emit(&Click { count }) {
                Ok(()) => clicks_sent.set_text_content(Some(&count.to_string())),
                Err(error) => status.set_text_content(Some(&format!("click not sent: {error}"))),
            }
        }
    });

    let button = page.button.clone();
    let last_ping = page.last_ping.clone();
    // The handler loop answers every message until the session ends.
    let serving = answered.serve(move |mut received: Received<FromHost>| {
        if let Some(sender) = received.take_interrupt::<Click>() {
            *click_sender.borrow_mut() = Some(sender);
            button.set_disabled(false);
        }
        let answer = match received.message {
            FromHost::Hello => ToHost::Hello,
            FromHost::Ping { n } => {
                last_ping.set_text_content(Some(&format!("ping {n}")));
                ToHost::Pong { n }
            }
        };
        async move { Reply::new(answer) }
    });
    let ended = serving.await?;
    Err(format!("the handler loop ended: {ended:?}").into())
}

/// The elements of `index.html` this page writes to.
struct Page {
    status: Element,
    last_ping: Element,
    button: HtmlButtonElement,
    clicks_sent: Element,
}

impl Page {
    fn find() -> Result<Self, Box<dyn Error>> {
        let document = web_sys::window()
            .and_then(|window| window.document())
            .ok_or("no document")?;
        let element = |id: &str| document.get_element_by_id(id).ok_or(format!("no #{id}"));
        Ok(Page {
            status: element("status")?,
            last_ping: element("last-ping")?,
            button: element("click")?.dyn_into().map_err(|_| "#click is not a button")?,
            clicks_sent: element("clicks-sent")?,
        })
    }
}
