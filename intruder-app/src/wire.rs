//! The raw JavaScript the attacks are made of: knocks built by hand, posts to other windows,
//! and a wait for an answer that must not come.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{select, Either};
use gloo_events::EventListener;
use gloo_timers::future::sleep;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageChannel, MessagePort, Window};

/// How long an attack waits for an answer that should never come.
pub const ANSWER_WAIT: Duration = Duration::from_secs(2);

/// A plain object with these fields.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a field of a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// A well-formed knock, as the messenger's knocker writes it, answered on `port`.
pub fn knock(port: &MessagePort) -> JsValue {
    object(&[
        ("$type", "👋".into()),
        ("$version", 1.into()),
        ("$responsePort", port.into()),
        ("$closeNotice", true.into()),
    ])
}

/// A fresh channel, or the exception in words.
pub fn channel() -> Result<MessageChannel, String> {
    MessageChannel::new().map_err(|error| describe(&error))
}

/// Posts `data` to `target` at any origin (`"*"`: an attacker does not care who reads it),
/// transferring `transfer`.
pub fn post(target: &Window, data: &JsValue, transfer: &[&MessagePort]) -> Result<(), String> {
    let list: Array = transfer.iter().copied().collect();
    target
        .post_message_with_transfer(data, "*", &list)
        .map_err(|error| describe(&error))
}

/// Whatever arrives on `port` within `limit` (listened on, then closed), or `None`.
pub async fn answer_within(port: &MessagePort, limit: Duration) -> Option<JsValue> {
    let (sender, receiver) = oneshot::channel();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let listener = EventListener::new(port, "message", move |event| {
        if let (Some(sender), Some(event)) = (sender.borrow_mut().take(), event.dyn_ref::<web_sys::MessageEvent>()) {
            let _ = sender.send(event.data());
        }
    });
    port.start();
    let answer = match select(receiver, Box::pin(sleep(limit))).await {
        Either::Left((Ok(data), _)) => Some(data),
        _ => None,
    };
    drop(listener);
    port.close();
    answer
}

/// An exception in words: its `name` and `message` when it is an error object.
pub fn describe(error: &JsValue) -> String {
    let field = |name: &str| {
        Reflect::get(error, &JsValue::from_str(name))
            .ok()
            .and_then(|value| value.as_string())
            .filter(|text| !text.is_empty())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (Some(name), None) => name,
        _ => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

/// The exception's `name` (`SecurityError`, `DataCloneError`...), or its words.
pub fn error_name(words: &str) -> &str {
    words.split(':').next().unwrap_or(words)
}

/// Arrays nested `levels` deep: `[[[...]]]`.
pub fn nested(levels: u32) -> JsValue {
    let mut value: JsValue = Array::new().into();
    for _ in 1..levels {
        value = Array::of1(&value).into();
    }
    value
}
