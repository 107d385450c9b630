//! The page's lifecycle as guards: `pagehide`, `pageshow` from the back/forward cache, and an
//! iframe leaving its document. Each guard takes a plain callback and knows no session; dropping
//! it removes the listener or disconnects the observer.
//!
//! Only a page has these events: in a worker (whose global scope is no `Window`) the guards are
//! not made at all ([`None`]), and a worker's sessions end as they always did.

use std::cell::RefCell;

use gloo_events::EventListener;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlIFrameElement, MutationObserver, MutationObserverInit, PageTransitionEvent, Window};

/// Calls `on_hide` on this page's `pagehide` (the page navigates away, reloads, is removed with
/// its iframe, or goes into the back/forward cache: `persisted` is not looked at, since the
/// page's ports are unusable from the other side either way). `None` outside a window.
pub(super) fn on_pagehide(on_hide: impl FnMut() + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    let mut on_hide = on_hide;
    Some(EventListener::new(&window, "pagehide", move |_| on_hide()))
}

/// Calls a callback each time this page is shown again from the back/forward cache (`pageshow`
/// with `persisted`; a first load's `pageshow` is not one), for as long as it is kept: dropping it
/// removes the listener.
///
/// Every session of a page ends on its `pagehide` ([`Error::PageHidden`](crate::Error::PageHidden)),
/// so a page that can come back from the cache starts again here: [`Reconnector`](crate::Reconnector)
/// and [`WindowKeeper`](crate::WindowKeeper) knock again by themselves, and a page that listens
/// listens again (as `messenger_yew::use_listen` does):
///
/// ```no_run
/// # use messenger::{Config, PageRestored, Source};
/// # fn start(config: Config, source: Source) {}
/// # fn example(config: Config, source: Source) -> Option<PageRestored> {
/// // Kept as long as the page listens; `start` runs `listen(config, source)` and its session.
/// PageRestored::new(move || start(config.clone(), source.clone()))
/// # }
/// ```
#[must_use = "dropping it removes the pageshow listener"]
#[derive(Debug)]
pub struct PageRestored {
    /// Held for its `Drop`, which removes the listener.
    _listener: EventListener,
}

impl PageRestored {
    /// Calls `on_show` on every `pageshow` with `persisted`. `None` outside a window (in a
    /// worker).
    pub fn new(mut on_show: impl FnMut() + 'static) -> Option<Self> {
        let window = web_sys::window()?;
        let listener = EventListener::new(&window, "pageshow", move |event| {
            if event
                .dyn_ref::<PageTransitionEvent>()
                .is_some_and(PageTransitionEvent::persisted)
            {
                on_show();
            }
        });
        Some(PageRestored { _listener: listener })
    }
}

/// What became of an iframe, as a [`FrameWatch`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameChange {
    /// It left its document (removed, alone or with an ancestor): its page is gone.
    Removed,
    /// It was removed and inserted again before the observer ran (moved to another parent in
    /// one task): its page is gone too, and a new one is loading in a new browsing context.
    Moved,
}

/// Watches one iframe's place in its document with a `MutationObserver` on the document (child
/// lists, the whole subtree, so that the removal of any ancestor is seen too); dropping it
/// disconnects the observer.
///
/// The observer's callback runs as a microtask at the end of the task that changed the tree, so
/// a removal is reported before any message, timer or `load` that task let in. Which change it
/// was is read from the iframe's `contentWindow`: `null` once it left the document, and a new
/// `WindowProxy` once it was inserted again (each insertion makes a new browsing context), the
/// same one across navigations. One comparison per batch of mutations: the records are not
/// read. An iframe in a shadow tree is not seen (a document's observer does not see into
/// shadow roots).
pub(super) struct FrameWatch {
    observer: MutationObserver,
    _callback: Closure<dyn FnMut()>,
}

impl FrameWatch {
    /// Watches `iframe`, calling `on_change` for each removal or move. `None` when the browser
    /// refuses (no document, no `MutationObserver`): the session then ends as before, by its
    /// timeouts.
    pub fn new(iframe: &HtmlIFrameElement, on_change: impl FnMut(FrameChange) + 'static) -> Option<Self> {
        let document = iframe.owner_document()?;
        let frame = iframe.clone();
        let seen: RefCell<Option<Window>> = RefCell::new(iframe.content_window());
        let mut on_change = on_change;
        let callback = Closure::<dyn FnMut()>::new(move || {
            let now = frame.content_window();
            let before = seen.replace(now.clone());
            let change = match (before, now) {
                (Some(_), None) => Some(FrameChange::Removed),
                (Some(before), Some(now)) if before != now => Some(FrameChange::Moved),
                // Inserted (its `load` follows), or not concerned.
                _ => None,
            };
            if let Some(change) = change {
                on_change(change);
            }
        });
        let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        let options = MutationObserverInit::new();
        options.set_child_list(true);
        options.set_subtree(true);
        observer.observe_with_options(&document, &options).ok()?;
        Some(FrameWatch {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for FrameWatch {
    fn drop(&mut self) {
        // Also drops the records not yet delivered: the callback is never called after this.
        self.observer.disconnect();
    }
}
