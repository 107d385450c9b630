//! This page coming back from the back/forward cache, as a guard.

use gloo_events::EventListener;
use web_sys::wasm_bindgen::JsCast;
use web_sys::PageTransitionEvent;

/// Calls `on_show` when the page is shown again from the back/forward cache (`pageshow` with
/// `persisted`; a first load's `pageshow` is not one). `None` outside a window. Dropping the
/// guard removes the listener.
pub(crate) fn on_restored(mut on_show: impl FnMut() + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "pageshow", move |event| {
        if event
            .dyn_ref::<PageTransitionEvent>()
            .is_some_and(PageTransitionEvent::persisted)
        {
            on_show();
        }
    }))
}
