//! The attacks, one async function each: what it does, and what the page saw happen.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gloo_timers::future::sleep;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, MessageEventInit, Window};

use crate::config::{EOS_ORIGIN, HOST_ORIGIN};
use crate::relay;
use crate::wire::{answer_within, channel, describe, error_name, knock, nested, object, post, ANSWER_WAIT};

/// How long a window this page just opened gets to load its app before the attack goes on.
const LOAD_WAIT: Duration = Duration::from_secs(3);
/// How many window messages the flood posts.
pub const FLOOD: u32 = 10_000;
/// The oversized knock's payload, well over the messenger's default 1 MiB.
const OVERSIZED_BYTES: usize = 4 << 20;
/// The over-deep knock's nesting, well over the messenger's default 32 levels.
const OVER_DEEP_LEVELS: u32 = 200;

/// What an attack saw, and whether that is what should happen.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What happened, in words.
    pub did: String,
    /// The page's judgement.
    pub verdict: Verdict,
}

/// The page's judgement of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// What should happen happened: the attack failed.
    Pass,
    /// The attack got something it should not have.
    Fail,
    /// This page cannot see the outcome (a frame of another origin); look at the frame.
    SeeForYourself,
}

impl Verdict {
    /// The word shown (and read by the tests).
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::SeeForYourself => "see the frame",
        }
    }
}

fn judged(pass: bool, did: String) -> Outcome {
    let verdict = if pass { Verdict::Pass } else { Verdict::Fail };
    Outcome { did, verdict }
}

/// The windows this page opened: the host and an Eos of its own.
#[derive(Default)]
pub struct Opened {
    host: Slot,
    eos: Slot,
}

/// A window this page opened, and whether it cut its link to this page at once.
#[derive(Default, Clone)]
struct Slot {
    window: Option<Window>,
    /// Its Cross-Origin-Opener-Policy put it out of reach: it is not opened again (it would
    /// do the same), the outcome is told again.
    cut: bool,
}

/// Shared by the buttons.
pub type SharedOpened = Rc<RefCell<Opened>>;

fn this_window() -> Result<Window, String> {
    web_sys::window().ok_or_else(|| "no window".to_owned())
}

/// The open window `slot` holds, or a new one at `url` (then given time to load). Opening needs
/// the click's user activation, so it happens before the first `await`. A window that closed
/// itself to this page (its Cross-Origin-Opener-Policy cut the link to an opener of another
/// origin) is an outcome of its own: nothing can be posted to it, which is what should happen.
async fn ensure(slot: &mut Slot, url: &str, name: &str) -> Result<Window, Outcome> {
    let cut = || {
        judged(
            true,
            format!("the window at {url} cut its link to this page (Cross-Origin-Opener-Policy): nothing can reach it"),
        )
    };
    match &slot.window {
        Some(window) if !window.closed().unwrap_or(true) => return Ok(window.clone()),
        Some(_) if slot.cut => return Err(cut()),
        _ => {}
    }
    let opened = this_window()
        .and_then(|window| {
            window
                .open_with_url_and_target(url, name)
                .map_err(|error| describe(&error))
        })
        .map_err(failed)?
        .ok_or_else(|| failed("the browser blocked the window".to_owned()))?;
    slot.window = Some(opened.clone());
    sleep(LOAD_WAIT).await;
    slot.cut = opened.closed().unwrap_or(true);
    if slot.cut {
        return Err(cut());
    }
    Ok(opened)
}

async fn eos(opened: &SharedOpened) -> Result<Window, Outcome> {
    let mut slot = opened.borrow().eos.clone();
    let window = ensure(&mut slot, &format!("{EOS_ORIGIN}/"), "intruder-eos").await;
    opened.borrow_mut().eos = slot;
    window
}

async fn host(opened: &SharedOpened) -> Result<Window, Outcome> {
    let mut slot = opened.borrow().host.clone();
    let window = ensure(&mut slot, &format!("{HOST_ORIGIN}/"), "intruder-host").await;
    opened.borrow_mut().host = slot;
    window
}

/// Opens the host in a window of its own, as any visitor's page could.
pub async fn open_host(opened: SharedOpened) -> Outcome {
    match host(&opened).await {
        Ok(_) => judged(
            true,
            "opened: it embeds its Eos and connects; this page cannot see inside it".into(),
        ),
        Err(outcome) => outcome,
    }
}

/// Posts `data` with a fresh answer port to `target`; `Ok(true)` when anything answered.
async fn knock_with(target: &Window, data: impl FnOnce(&web_sys::MessagePort) -> JsValue) -> Result<bool, String> {
    let channel = channel()?;
    post(target, &data(&channel.port2()), &[&channel.port2()])?;
    Ok(answer_within(&channel.port1(), ANSWER_WAIT).await.is_some())
}

fn no_answer(answered: bool, what: &str) -> Outcome {
    if answered {
        judged(false, format!("ANSWERED: {what} got a reply"))
    } else {
        judged(true, format!("{what}: no answer within {} s", ANSWER_WAIT.as_secs()))
    }
}

fn failed(error: String) -> Outcome {
    judged(false, format!("could not run: {error}"))
}

/// Opens Eos in a window of its own (so Eos's opener is this page, of the wrong origin) and
/// knocks on it every 250 ms for 3 s, as a real knocker would.
pub async fn open_eos_and_knock(opened: SharedOpened) -> Outcome {
    let target = match eos(&opened).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let mut answered = false;
    let mut knocks = 0;
    let mut ports = Vec::new();
    for _ in 0..12 {
        let Ok(channel) = channel() else { continue };
        if post(&target, &knock(&channel.port2()), &[&channel.port2()]).is_ok() {
            knocks += 1;
        }
        ports.push(channel.port1());
        sleep(Duration::from_millis(250)).await;
    }
    for port in &ports {
        answered |= answer_within(port, Duration::from_millis(1)).await.is_some();
    }
    no_answer(answered, &format!("{knocks} knocks on the Eos this page opened"))
}

/// One well-formed knock on Eos, from this origin.
pub async fn wrong_origin(opened: SharedOpened) -> Outcome {
    match eos(&opened).await {
        Ok(target) => match knock_with(&target, knock).await {
            Ok(answered) => no_answer(answered, "a well-formed knock from this origin"),
            Err(error) => failed(error),
        },
        Err(outcome) => outcome,
    }
}

/// A knock that claims another sender: a synthetic `MessageEvent` dispatched on Eos's window,
/// and a real post from a frame of this page (another window than Eos's opener).
pub async fn forged_source(opened: SharedOpened) -> Outcome {
    let target = match eos(&opened).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    // 1. A page may build a MessageEvent with any `origin` and `source`, but dispatch it only on
    //    a window it may script: Eos's is of another origin.
    let init = MessageEventInit::new();
    init.set_origin(HOST_ORIGIN);
    init.set_data(&object(&[("$type", "👋".into()), ("$version", 1.into())]));
    let dispatched = match MessageEvent::new_with_event_init_dict("message", &init) {
        Ok(event) => match Reflect::get(&target, &"dispatchEvent".into())
            .and_then(|method| method.dyn_into::<js_sys::Function>())
            .and_then(|method| method.call1(&target, &event))
        {
            Ok(_) => "dispatchEvent on Eos's window WORKED".to_owned(),
            Err(error) => format!("dispatchEvent on Eos's window threw {}", error_name(&describe(&error))),
        },
        Err(error) => format!("no MessageEvent: {}", describe(&error)),
    };
    let dispatch_refused = dispatched.contains("threw");
    // 2. The browser sets `source` to the window whose script posted: a frame of this page
    //    posts the knock (the relay, this app in `?relay` mode), so its source is that frame.
    let relayed = match relay::relay_knock(&target).await {
        Ok(answered) => format!(
            "a knock posted from a frame of this page: {}",
            if answered { "ANSWERED" } else { "no answer" }
        ),
        Err(error) => format!("relay failed: {error}"),
    };
    let pass = dispatch_refused && relayed.ends_with("no answer");
    judged(pass, format!("{dispatched}; {relayed}"))
}

/// Knocks on the host's window and on its Eos frame, after their handshake.
pub async fn host_window(opened: SharedOpened) -> Outcome {
    let target = match host(&opened).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let on_host = knock_with(&target, knock).await;
    let frame = target
        .frames()
        .ok()
        .and_then(|frames| Reflect::get(&frames, &0.into()).ok())
        .filter(|frame| !frame.is_undefined() && !frame.is_null());
    let on_frame = match frame {
        Some(frame) => knock_with(frame.unchecked_ref(), knock).await.map(Some),
        None => Ok(None),
    };
    match (on_host, on_frame) {
        (Ok(host_answered), Ok(frame_answered)) => {
            let frame_words = match frame_answered {
                Some(true) => "its Eos frame ANSWERED".to_owned(),
                Some(false) => format!("its Eos frame: no answer within {} s", ANSWER_WAIT.as_secs()),
                None => "it has no frame".to_owned(),
            };
            let host_words = if host_answered {
                "the host's window ANSWERED".to_owned()
            } else {
                format!("the host's window: no answer within {} s", ANSWER_WAIT.as_secs())
            };
            judged(
                !host_answered && frame_answered == Some(false),
                format!("{host_words}; {frame_words}"),
            )
        }
        (Err(error), _) | (_, Err(error)) => failed(error),
    }
}

/// Tries to speak on a channel it should not have: the knock port Eos received (and closed
/// unread), and the same port transferred a second time.
pub async fn replay(opened: SharedOpened) -> Outcome {
    let target = match eos(&opened).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let Ok(knock_channel) = channel() else {
        return failed("no channel".into());
    };
    let port = knock_channel.port2();
    if let Err(error) = post(&target, &knock(&port), &[&port]) {
        return failed(error);
    }
    // Eos got `port` with the knock: speak on our end as if it were a session, with a fresh
    // reply port, as the next message of a handshake would.
    let Ok(reply) = channel() else {
        return failed("no channel".into());
    };
    let fake_ack = object(&[
        ("$type", "👂".into()),
        ("$raw", true.into()),
        ("$responsePort", reply.port2().into()),
    ]);
    let sent = knock_channel
        .port1()
        .post_message_with_transferable(&fake_ack, &js_sys::Array::of1(&reply.port2()))
        .map_err(|error| describe(&error));
    let answered = answer_within(&reply.port1(), ANSWER_WAIT).await.is_some();
    knock_channel.port1().close();
    // The port already went to Eos: sending it again is the browser's to refuse.
    let again = match post(&target, &knock(&port), &[&port]) {
        Ok(()) => "re-sending the used port WORKED".to_owned(),
        Err(error) => format!("re-sending the used port threw {}", error_name(&error)),
    };
    let words = match sent {
        Ok(()) => format!(
            "a 👂 on the knock port Eos was given: {}; {again}",
            if answered { "ANSWERED" } else { "no answer" }
        ),
        Err(error) => format!("posting on the knock port threw {error}; {again}"),
    };
    judged(!answered && again.contains("threw"), words)
}

/// A knock that breaks the wire format: a version that is not a number, a port that is not one.
pub async fn malformed(opened: SharedOpened) -> Outcome {
    let bad = |_: &web_sys::MessagePort| {
        object(&[
            ("$type", "👋".into()),
            ("$version", "one".into()),
            ("$responsePort", 42.into()),
        ])
    };
    match eos(&opened).await {
        Ok(target) => match knock_with(&target, bad).await {
            Ok(answered) => no_answer(answered, "a malformed knock"),
            Err(error) => failed(error),
        },
        Err(outcome) => outcome,
    }
}

/// A well-formed knock carrying a payload far over the messenger's size limit.
pub async fn oversized(opened: SharedOpened) -> Outcome {
    let big = |port: &web_sys::MessagePort| {
        let message = knock(port);
        let _ = Reflect::set(&message, &"message".into(), &"x".repeat(OVERSIZED_BYTES).into());
        message
    };
    match eos(&opened).await {
        Ok(target) => match knock_with(&target, big).await {
            Ok(answered) => no_answer(answered, &format!("a knock carrying {} MiB", OVERSIZED_BYTES >> 20)),
            Err(error) => failed(error),
        },
        Err(outcome) => outcome,
    }
}

/// A well-formed knock carrying arrays nested far deeper than the messenger's depth limit.
pub async fn over_deep(opened: SharedOpened) -> Outcome {
    let deep = |port: &web_sys::MessagePort| {
        let message = knock(port);
        let _ = Reflect::set(&message, &"message".into(), &nested(OVER_DEEP_LEVELS));
        message
    };
    match eos(&opened).await {
        Ok(target) => match knock_with(&target, deep).await {
            Ok(answered) => no_answer(answered, &format!("a knock nested {OVER_DEEP_LEVELS} levels deep")),
            Err(error) => failed(error),
        },
        Err(outcome) => outcome,
    }
}

/// [`FLOOD`] window messages at once, then one more knock with a port.
pub async fn flood(opened: SharedOpened) -> Outcome {
    let target = match eos(&opened).await {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let message = object(&[("$type", "👋".into()), ("$version", 1.into())]);
    let mut posted = 0;
    for _ in 0..FLOOD {
        if post(&target, &message, &[]).is_ok() {
            posted += 1;
        }
    }
    match knock_with(&target, knock).await {
        Ok(answered) => no_answer(answered, &format!("{posted} window messages, then a knock")),
        Err(error) => failed(error),
    }
}

/// Frames `url` in this page (the iframe `id`) and reports what can be seen of it from here.
pub async fn frame(url: String, id: &str, app_makes_a_frame: bool) -> Outcome {
    let made = (|| -> Result<web_sys::HtmlIFrameElement, String> {
        let document = this_window()?.document().ok_or("no document")?;
        if let Some(old) = document.get_element_by_id(id) {
            old.remove();
        }
        let frame: web_sys::HtmlIFrameElement = document
            .create_element("iframe")
            .map_err(|error| describe(&error))?
            .unchecked_into();
        frame.set_id(id);
        frame.set_src(&url);
        frame.set_title(id);
        document
            .get_element_by_id("frames")
            .ok_or("no #frames")?
            .append_child(&frame)
            .map_err(|error| describe(&error))?;
        Ok(frame)
    })();
    let frame = match made {
        Ok(frame) => frame,
        Err(error) => return failed(error),
    };
    // Long enough for the app to load and start (it makes its own frame at once).
    sleep(LOAD_WAIT).await;
    let child_frames = frame.content_window().map(|window| window.length()).unwrap_or(0);
    if app_makes_a_frame {
        // The host embeds Eos at once: a window count of 1 means its app ran in our frame.
        judged(
            child_frames == 0,
            if child_frames == 0 {
                "the frame shows no page of the host (0 frames inside): blocked".to_owned()
            } else {
                format!("the host LOADED in our frame ({child_frames} frame inside)")
            },
        )
    } else {
        Outcome {
            did: format!(
                "a frame of another origin is opaque to this page ({child_frames} frames inside, either way): look at it below"
            ),
            verdict: Verdict::SeeForYourself,
        }
    }
}
