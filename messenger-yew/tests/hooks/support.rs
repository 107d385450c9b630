//! Helpers of the hook tests: bounded waits, the listener counter, a recorder of the observer's
//! steps, and mounting a component on a fresh element of its own.
#![allow(dead_code)]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use messenger::{Config, HandshakeState, Observation, Step};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::{AppHandle, BaseComponent};

/// The bound for one step that should happen at once (a render, a handshake, an iframe's load).
pub const STEP: u32 = 3_000;

#[wasm_bindgen(module = "/tests/hooks/helpers.js")]
extern "C" {
    /// `location.origin` of the test page.
    pub fn page_origin() -> String;
    /// The `srcdoc` of an iframe whose page is a hand-written listener (see helpers.js).
    pub fn listener_page() -> String;
    fn install_listener_counter();
    fn live_listeners(kind: &str) -> u32;
    /// Dispatches a script-made `pagehide` or `pageshow` (with `persisted`) on the window.
    pub fn dispatch_page_transition(kind: &str, persisted: bool);
    /// A hand-written knocker on this window that can leave as a host's page does (see helpers.js).
    pub type JsKnocker;
    /// Knocks on this window with the page's origin, announcing close notices.
    pub fn js_knocker_that_leaves(origin: &str) -> JsKnocker;
    /// `"knocked"`, `"acknowledged"` or `"spoken to"` (the listener's first message came).
    #[wasm_bindgen(method)]
    pub fn state(this: &JsKnocker) -> String;
    /// Posts the close notice `pagehide` on the channel the listener waits on.
    #[wasm_bindgen(method)]
    pub fn leave(this: &JsKnocker);
}

/// Live event listeners in the test page's realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listeners {
    /// On the window (the page lifecycle's listeners apart, below).
    pub window: u32,
    /// `pagehide` and `pageshow` on the window: a session's guard, the hooks' and keepers'
    /// `pageshow`.
    pub lifecycle: u32,
    /// On `MessagePort`s.
    pub ports: u32,
    /// On iframe elements: the reconnector's and the hook's `load` listeners.
    pub iframes: u32,
}

/// The live listeners now; the first call installs the counter, so take a baseline first.
pub fn live() -> Listeners {
    install_listener_counter();
    Listeners {
        window: live_listeners("window"),
        lifecycle: live_listeners("lifecycle"),
        ports: live_listeners("MessagePort"),
        iframes: live_listeners("HTMLIFrameElement"),
    }
}

/// Awaits `future`, failing the test if it takes longer than `millis`.
pub async fn within<F: Future>(millis: u32, what: &str, future: F) -> F::Output {
    match select(Box::pin(future), TimeoutFuture::new(millis)).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("timed out after {millis} ms waiting for {what}"),
    }
}

/// Waits until `done()` holds, checking every few milliseconds; fails the test after `millis`.
pub async fn until(millis: u32, what: &str, mut done: impl FnMut() -> bool) {
    let checks = async {
        while !done() {
            TimeoutFuture::new(2).await;
        }
    };
    within(millis, what, checks).await;
}

/// Waits until `done()` holds, checking every few milliseconds; `Err` after `millis`.
pub async fn quiet_until(millis: u32, mut done: impl FnMut() -> bool) -> Result<(), ()> {
    let checks = async {
        while !done() {
            TimeoutFuture::new(2).await;
        }
    };
    match select(Box::pin(checks), TimeoutFuture::new(millis)).await {
        Either::Left(_) => Ok(()),
        Either::Right(_) => Err(()),
    }
}

/// Lets queued tasks, renders and effects run (a macrotask turn, not an assertion).
pub async fn tick() {
    TimeoutFuture::new(0).await;
}

/// Every protocol step an observer saw, shared by the test and the component's configuration.
#[derive(Clone, Default)]
pub struct Recorder(Rc<RefCell<Vec<Step>>>);

impl PartialEq for Recorder {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Recorder {
    /// A configuration for the page's own origin whose observer records here.
    pub fn config(&self, reply_timeout: Duration) -> Config {
        let steps = Rc::clone(&self.0);
        Config::new(&page_origin())
            .expect("the page origin is a valid origin")
            .handshake_timeout(Duration::from_secs(5))
            .reply_timeout(reply_timeout)
            .observer(move |observation: &Observation| steps.borrow_mut().push(observation.step.clone()))
    }

    /// How many recorded steps are `step`.
    pub fn count(&self, step: &Step) -> usize {
        self.0.borrow().iter().filter(|seen| *seen == step).count()
    }

    /// Sessions connected and not closed yet.
    pub fn live_sessions(&self) -> usize {
        self.count(&Step::Handshake(HandshakeState::Connected))
            .saturating_sub(self.count(&Step::Handshake(HandshakeState::Closed)))
    }

    /// Handshakes made (each session that connected, closed since or not).
    pub fn handshakes(&self) -> usize {
        self.count(&Step::Handshake(HandshakeState::Connected))
    }

    /// Every step so far.
    pub fn steps(&self) -> Vec<Step> {
        self.0.borrow().clone()
    }

    /// Forgets every step.
    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}

/// What a test component reports: every state its hook was in, in order, and what arrived.
#[derive(Clone)]
pub struct Reports<T>(pub Rc<RefCell<Vec<T>>>);

impl<T> Default for Reports<T> {
    fn default() -> Self {
        Reports(Rc::default())
    }
}

impl<T: Clone> Reports<T> {
    pub fn push(&self, item: T) {
        self.0.borrow_mut().push(item);
    }
    pub fn all(&self) -> Vec<T> {
        self.0.borrow().clone()
    }
    pub fn last(&self) -> Option<T> {
        self.0.borrow().last().cloned()
    }
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

impl<T> PartialEq for Reports<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A mounted component on an element of its own; [`Mounted::unmount`] destroys both.
pub struct Mounted<C: BaseComponent> {
    pub handle: AppHandle<C>,
    root: web_sys::Element,
}

/// Mounts `C` with `props` on a new element at the end of the body.
pub fn mount<C: BaseComponent>(props: C::Properties) -> Mounted<C> {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<C>::with_root_and_props(root.clone().unchecked_into(), props).render();
    Mounted { handle, root }
}

impl<C: BaseComponent> Mounted<C> {
    /// Unmounts the component and removes its element, and lets the destruction (which Yew's
    /// scheduler runs a microtask later) and its effects' cleanups run.
    pub async fn unmount(self) {
        self.handle.destroy();
        self.root.remove();
        tick().await;
    }
}
