//! Who may knock: origins, sources and trust, across a real origin boundary.
//!
//! The test page is `http://127.0.0.1:<port>`; the fixture `tests/web/fixtures/peer.html` (a
//! hand-written JavaScript peer, served by wasm-bindgen-test-runner from the crate folder) is
//! loaded as `http://localhost:<port>/...`, a different origin and site, in an iframe.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::support::*;
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use messenger::protocol::IgnoreReason;
use messenger::{
    knock, listen, Answered, Config, Error, HandshakeState, InterruptRequest, Messenger, Received, Reconnector, Source,
    Stage, Step, Target,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

fn page_port() -> String {
    page_origin()
        .rsplit(':')
        .next()
        .expect("the test page has a port")
        .to_owned()
}

/// The origin the fixture is loaded from: same host address, other host name, so another origin.
pub(crate) fn remote_origin() -> String {
    format!("http://localhost:{}", page_port())
}

pub(crate) fn fixture_url(mode: &str, query: &str) -> String {
    format!(
        "{}/tests/web/fixtures/peer.html?parent={}&mode={mode}{query}",
        remote_origin(),
        page_origin()
    )
}

pub(crate) fn new_iframe() -> HtmlIFrameElement {
    let iframe: HtmlIFrameElement = window()
        .document()
        .unwrap()
        .create_element("iframe")
        .unwrap()
        .unchecked_into();
    // A plain iframe in every engine: the runner serves this page without COOP/COEP
    // (WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION in .cargo/config.toml), since Firefox and WebKit
    // have no `credentialless` iframes to load a cross-origin page under COEP.
    iframe
}

/// Inserts `iframe` showing `url` and waits for it to load.
pub(crate) async fn load(iframe: &HtmlIFrameElement, url: &str) {
    let (tx, rx) = oneshot::channel();
    let tx = RefCell::new(Some(tx));
    let _loaded = gloo_events::EventListener::new(iframe, "load", move |_| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(());
        }
    });
    iframe.set_src(url);
    if iframe.parent_node().is_none() {
        window()
            .document()
            .unwrap()
            .body()
            .unwrap()
            .append_child(iframe)
            .unwrap();
    }
    within(LOAD, "the iframe to load", rx).await.unwrap();
}

async fn cross_origin_iframe(mode: &str) -> HtmlIFrameElement {
    let iframe = new_iframe();
    load(&iframe, &fixture_url(mode, "")).await;
    iframe
}

pub(crate) fn remote_config() -> Config {
    Config::new(&remote_origin())
        .unwrap()
        .handshake_timeout(Duration::from_secs(5))
}

/// What the fixture peer sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum FromPeer {
    Hello { hello: String },
    Echo { echo: String, count: u32, origin: String },
}

fn knock_object(port: &web_sys::MessagePort) -> JsValue {
    build(
        r#"{"$type":"👋","$version":1,"$responsePort":"@0"}"#,
        &[port],
        &JsValue::NULL,
    )
}

fn ignored(reason: IgnoreReason) -> impl Fn(&Step) -> bool {
    move |step| matches!(step, Step::Ignored { reason: r } if *r == reason)
}

/// Ends `listening` after showing it is still pending, then proves it still listens by letting
/// the page knock on itself. Only for listeners configured with the page's own origin.
async fn still_listening<F>(listening: F)
where
    F: std::future::Future<Output = Result<messenger::Messenger<u8, u8>, Error>>,
{
    let mut listening = Box::pin(listening);
    assert!(
        quiet_for(50, &mut listening).await.is_none(),
        "the listener did not connect or fail"
    );
    let answered = within(STEP, "an answer", knock(page_config(), vec![Target::Window(window())])).await;
    let finishing = answered
        .expect("the listener answers a valid knock")
        .finish_handshake::<u8, u8>();
    let listener_side = async {
        let listener = listening.await.expect("connected");
        let pending = listener.send(7);
        (listener, pending)
    };
    let ((listener, _pending), finished) =
        within(STEP, "connected", futures::future::join(listener_side, finishing)).await;
    assert_eq!(finished.expect("the first message").1.message, 7);
    assert_eq!(listener.status().state, HandshakeState::Connected);
}

// ---------------------------------------------------------------------------------------------
// Same page: trust, origin and source checks.

#[wasm_bindgen_test]
async fn an_untrusted_synthetic_knock_is_ignored() {
    let window = window();
    let trace = Trace::default();
    let listening = listen::<u8, u8>(trace.observe(page_config()), Source::AnyWindow);
    let probe = channel();
    let answers = Inbox::on_port(&probe.port1());
    // Everything about it is right except that script made it: isTrusted is false.
    dispatch_untrusted(
        &window,
        &knock_object(&probe.port2()),
        &page_origin(),
        &[&probe.port2()],
    );
    trace
        .wait_for(1, "the synthetic knock to be ignored", ignored(IgnoreReason::Untrusted))
        .await;
    tick().await;
    assert_eq!(answers.unread(), 0, "no 🤝 for a synthetic event");
    answers.close();
    still_listening(listening).await;
}

#[wasm_bindgen_test]
async fn a_knock_from_an_opaque_origin_is_ignored() {
    let window = window();
    let trace = Trace::default();
    let listening = listen::<u8, u8>(trace.observe(page_config()), Source::AnyWindow);
    let delivered = Inbox::on_target(&window, Some("👋"));
    // A sandboxed iframe has an opaque origin ("null") and knocks on its parent with "*".
    let iframe = new_iframe();
    iframe.set_attribute("sandbox", "allow-scripts").unwrap();
    iframe.set_srcdoc(
        "<script>const c = new MessageChannel();\
         c.port1.onmessage = () => parent.postMessage({ $type: 'answered' }, '*');\
         parent.postMessage({ $type: '👋', $version: 1, $responsePort: c.port2 }, '*', [c.port2]);</script>",
    );
    let answered_by_mistake = Inbox::on_target(&window, Some("answered"));
    window
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&iframe)
        .unwrap();
    let knock = delivered.next(STEP, "the sandboxed knock").await;
    assert_eq!(knock.origin, "null");
    assert!(knock.trusted, "a real cross-context message");
    trace
        .wait_for(1, "the knock to be ignored", ignored(IgnoreReason::WrongOrigin))
        .await;
    tick().await;
    assert_eq!(answered_by_mistake.unread(), 0);
    delivered.close();
    answered_by_mistake.close();
    iframe.remove();
    still_listening(listening).await;
}

#[wasm_bindgen_test]
async fn origins_match_exactly() {
    // The page knocks on itself, so its knocks come from `page_origin()`. Listeners configured
    // for near misses must ignore them all.
    let origin = page_origin();
    let port: u32 = page_port().parse().unwrap();
    let near_misses = [
        format!("http://127.0.0.1:{}", port + 1),
        format!("https://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://127.0.0.10:{port}"),
    ];
    for configured in near_misses {
        let trace = Trace::default();
        let config = trace
            .observe(Config::new(&configured).unwrap())
            .handshake_timeout(Duration::from_millis(400));
        let listening = listen::<u8, u8>(config, Source::AnyWindow);
        let probe = channel();
        let answers = Inbox::on_port(&probe.port1());
        post_to_window(&window(), &knock_object(&probe.port2()), &origin, &[&probe.port2()]);
        trace
            .wait_for(1, "the knock to be ignored", ignored(IgnoreReason::WrongOrigin))
            .await;
        let result = within(STEP, "the listener's timeout", listening).await;
        assert_eq!(
            result.unwrap_err(),
            Error::TimedOut(Stage::Handshake),
            "configured {configured}"
        );
        assert_eq!(answers.unread(), 0, "configured {configured}: no answer");
        answers.close();
    }
}

#[wasm_bindgen_test]
async fn a_knock_from_another_window_than_the_expected_one_is_ignored() {
    // Expect the (same-origin) iframe's window; the page itself knocks: right origin, wrong source.
    let iframe = new_iframe();
    window()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&iframe)
        .unwrap();
    let expected = iframe.content_window().unwrap();
    let trace = Trace::default();
    let listening = listen::<u8, u8>(trace.observe(page_config()), Source::Window(expected));
    let probe = channel();
    let answers = Inbox::on_port(&probe.port1());
    post_to_window(
        &window(),
        &knock_object(&probe.port2()),
        &page_origin(),
        &[&probe.port2()],
    );
    trace
        .wait_for(1, "the knock to be ignored", ignored(IgnoreReason::WrongSource))
        .await;
    tick().await;
    assert_eq!(answers.unread(), 0);
    answers.close();
    drop(listening);
    iframe.remove();
}

// ---------------------------------------------------------------------------------------------
// A real cross-origin iframe.

#[wasm_bindgen_test]
async fn the_page_knocks_on_a_cross_origin_iframe() {
    let problems = Inbox::on_target(&window(), Some("problem"));
    let iframe = cross_origin_iframe("listen").await;
    let answered = within(
        STEP,
        "the iframe's 🤝",
        knock(remote_config(), vec![Target::iframe(&iframe).unwrap()]),
    )
    .await
    .expect("the cross-origin peer answers");
    let (messenger, first) = within(
        STEP,
        "the first message",
        answered.finish_handshake::<String, FromPeer>(),
    )
    .await
    .expect("connected");
    assert_eq!(first.message, FromPeer::Hello { hello: remote_origin() });
    for n in 1..=3 {
        let text = format!("across origins {n} 🌐");
        let reply = within(STEP, "an echo", messenger.send(text.clone())).await.unwrap();
        assert_eq!(
            reply.message,
            FromPeer::Echo {
                echo: text,
                count: n,
                origin: remote_origin()
            }
        );
    }
    assert_eq!(problems.unread(), 0);
    problems.close();
    messenger.close();
    iframe.remove();
}

#[wasm_bindgen_test]
async fn knocks_for_another_origin_are_dropped_by_the_browser() {
    // Configured for the page's own origin, the knocks' targetOrigin does not match the iframe's
    // document, so the browser never delivers them: the handshake times out.
    let problems = Inbox::on_target(&window(), Some("problem"));
    let iframe = cross_origin_iframe("listen").await;
    let config = page_config()
        .handshake_timeout(Duration::from_millis(500))
        .knock_interval(Duration::from_millis(50));
    let result = within(
        STEP,
        "the handshake timeout",
        knock(config, vec![Target::iframe(&iframe).unwrap()]),
    )
    .await;
    assert_eq!(result.unwrap_err(), Error::TimedOut(Stage::Handshake));
    assert_eq!(problems.unread(), 0, "the peer never saw a knock");
    // The same iframe answers a knock with the right origin.
    let answered = within(
        STEP,
        "an answer",
        knock(remote_config(), vec![Target::iframe(&iframe).unwrap()]),
    )
    .await;
    assert!(answered.is_ok());
    problems.close();
    iframe.remove();
}

#[wasm_bindgen_test]
async fn a_cross_origin_iframe_knocks_on_the_page() {
    let iframe = new_iframe();
    window()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&iframe)
        .unwrap();
    // The listener expects exactly the iframe's window, from exactly the remote origin.
    let listening = listen::<String, FromPeer>(remote_config(), Source::Window(iframe.content_window().unwrap()));
    load(&iframe, &fixture_url("knock", "")).await;
    let messenger = within(STEP, "the iframe's knock", listening).await.expect("connected");
    for n in 1..=3 {
        let text = format!("to the knocker {n}");
        let reply = within(STEP, "an echo", messenger.send(text.clone())).await.unwrap();
        assert_eq!(
            reply.message,
            FromPeer::Echo {
                echo: text,
                count: n,
                origin: remote_origin()
            }
        );
    }
    messenger.close();
    iframe.remove();
}

#[wasm_bindgen_test]
async fn knocks_from_a_cross_origin_iframe_are_ignored_by_a_listener_for_another_origin() {
    let iframe = new_iframe();
    // The fixture knocks on the page every 100 ms with targetOrigin = the page's origin, from
    // its own origin, which this listener was not configured for.
    load(&iframe, &fixture_url("knock", "")).await;
    let trace = Trace::default();
    let config = trace
        .observe(page_config())
        .handshake_timeout(Duration::from_millis(800));
    let listening = listen::<u8, u8>(config, Source::AnyWindow);
    trace
        .wait_for(
            2,
            "the iframe's knocks to be ignored",
            ignored(IgnoreReason::WrongOrigin),
        )
        .await;
    let result = within(STEP, "the listener's timeout", listening).await;
    assert_eq!(result.unwrap_err(), Error::TimedOut(Stage::Handshake));
    iframe.remove();
}

/// The reconnector's next answered session, handshake finished, with its first message.
async fn next_session(
    answers: &mut mpsc::UnboundedReceiver<Result<Answered, Error>>,
    which: &str,
) -> (Messenger<String, FromPeer>, Received<FromPeer>) {
    let answered = within(STEP, which, answers.next()).await.unwrap().expect("answered");
    within(
        STEP,
        "the first message",
        answered.finish_handshake::<String, FromPeer>(),
    )
    .await
    .unwrap()
}

#[wasm_bindgen_test]
async fn a_reconnector_starts_a_new_session_on_every_load() {
    let (tx, mut answers) = mpsc::unbounded::<Result<Answered, Error>>();
    let iframe = new_iframe();
    let knocks = Rc::new(RefCell::new(0));
    let counted = knocks.clone();
    // One configuration for every session; its observer sees each session start knocking.
    let config = remote_config().observer(move |observation| {
        if observation.step == Step::Handshake(HandshakeState::Knocking) {
            *counted.borrow_mut() += 1;
        }
    });
    let reconnector = Reconnector::new(&iframe, config, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    load(&iframe, &fixture_url("listen", "&load=1")).await;
    let (first, hello) = next_session(&mut answers, "the first session").await;
    assert_eq!(hello.message, FromPeer::Hello { hello: remote_origin() });
    let reply = within(STEP, "an echo", first.send("one".into())).await.unwrap();
    assert_eq!(
        reply.message,
        FromPeer::Echo {
            echo: "one".into(),
            count: 1,
            origin: remote_origin()
        }
    );

    // The iframe navigates: the old session is superseded, pending work fails, a new one starts.
    // Pending work: an interrupt channel the peer keeps (and never emits on).
    let (request, mut interrupts) = InterruptRequest::multi_use::<u32>();
    within(STEP, "an echo", first.send_with_interrupt("keep this".into(), request))
        .await
        .unwrap();
    let closed = first.closed();
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    assert_eq!(within(STEP, "the old session to end", closed).await, Error::Superseded);
    assert_eq!(
        within(STEP, "the interrupt wait", interrupts.next()).await,
        Some(Err(Error::Superseded))
    );
    let late = within(STEP, "a send on the old session", first.send("late".into()))
        .await
        .unwrap_err();
    assert_eq!((late.error, late.unsent.as_deref()), (Error::Superseded, Some("late")));
    let (second, _) = next_session(&mut answers, "the second session").await;
    let reply = within(STEP, "an echo", second.send("two".into())).await.unwrap();
    assert_eq!(
        reply.message,
        FromPeer::Echo {
            echo: "two".into(),
            count: 1,
            origin: remote_origin()
        }
    );
    assert!(*knocks.borrow() >= 2, "a session per load, each knocking");

    // Closing the current session ends it now; the next load starts another.
    second.close();
    assert_eq!(second.status().closed_with, Some(Error::Closed));
    load(&iframe, &fixture_url("listen", "&load=3")).await;
    let (third, _) = next_session(&mut answers, "the third session").await;

    // Dropping the reconnector closes the current session and stops watching the iframe.
    drop(reconnector);
    assert_eq!(third.status().closed_with, Some(Error::Closed));
    load(&iframe, &fixture_url("listen", "&load=4")).await;
    assert!(
        within(STEP, "the callback to be gone", answers.next()).await.is_none(),
        "no session after the reconnector is gone"
    );
    iframe.remove();
}
