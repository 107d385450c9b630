//! The relay: this app loaded as `/?relay` in a hidden frame of the intruder's page. It posts
//! the one knock its parent left for it, so that the knock's `source` is the frame's window,
//! another window than the one Eos was opened by: a real post cannot claim another sender.

use std::time::Duration;

use gloo_timers::future::sleep;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Window;

use crate::wire::{answer_within, channel, describe, knock, object, post, ANSWER_WAIT};

/// Where the relay frame finds its job on its parent (`window[RELAY_JOB]`).
const RELAY_JOB: &str = "intruderRelayJob";

fn this_window() -> Result<Window, String> {
    web_sys::window().ok_or_else(|| "no window".to_owned())
}

/// Has a same-origin frame (`/?relay`) post a knock to `target`; whether it was answered.
pub async fn relay_knock(target: &Window) -> Result<bool, String> {
    let window = this_window()?;
    let document = window.document().ok_or("no document")?;
    let channel = channel()?;
    let job = object(&[
        ("target", target.into()),
        ("knock", knock(&channel.port2())),
        ("port", channel.port2().into()),
    ]);
    Reflect::set(&window, &RELAY_JOB.into(), &job).map_err(|error| describe(&error))?;
    let frame = document.create_element("iframe").map_err(|error| describe(&error))?;
    frame
        .set_attribute("src", "/?relay")
        .map_err(|error| describe(&error))?;
    frame
        .set_attribute("class", "relay")
        .map_err(|error| describe(&error))?;
    frame
        .set_attribute("title", "relay")
        .map_err(|error| describe(&error))?;
    document
        .body()
        .ok_or("no body")?
        .append_child(&frame)
        .map_err(|error| describe(&error))?;
    let mut outcome = Err("the relay frame never posted".to_owned());
    for _ in 0..50 {
        sleep(Duration::from_millis(100)).await;
        let field = |name: &str| Reflect::get(&job, &name.into()).unwrap_or(JsValue::UNDEFINED);
        if field("posted").is_truthy() {
            outcome = Ok(answer_within(&channel.port1(), ANSWER_WAIT).await.is_some());
            break;
        }
        if let Some(error) = field("error").as_string() {
            outcome = Err(error);
            break;
        }
    }
    frame.remove();
    // Closed whether or not the relay posted (closing a closed port does nothing).
    channel.port1().close();
    let _ = Reflect::delete_property(&window, &RELAY_JOB.into());
    outcome
}

/// In the relay frame: posts the job's knock to its target from this frame's own window.
pub fn run_relay() {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    let Ok(job) = Reflect::get(&parent, &RELAY_JOB.into()) else {
        return;
    };
    let field = |name: &str| Reflect::get(&job, &name.into()).unwrap_or(JsValue::UNDEFINED);
    // Both were made in the parent's realm (and the target is of another origin): an
    // `instanceof` check here (`dyn_into`) would fail, so they are taken as what they are.
    let (target, port) = (field("target"), field("port"));
    let result = if target.is_object() && port.is_object() {
        post(target.unchecked_ref(), &field("knock"), &[port.unchecked_ref()])
    } else {
        Err("no job".to_owned())
    };
    let _ = match result {
        Ok(()) => Reflect::set(&job, &"posted".into(), &true.into()),
        Err(error) => Reflect::set(&job, &"error".into(), &error.into()),
    };
}
