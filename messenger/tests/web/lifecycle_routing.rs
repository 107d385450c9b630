//! Several remotes of one origin at once (issue 23, case 7): two iframes of the remote origin
//! (each kept by a [`Reconnector`]), a window of that origin (kept by a [`WindowKeeper`]) and an
//! iframe of another origin, all served by one page. Every session routes to its own remote, and
//! closing one leaves the others working.
//!
//! Every remote is the fixture peer (`tests/web/fixtures/peer.html`, listening), which answers
//! each message with its echo and how many messages *that page* has answered: a message that
//! reached another remote would show in that remote's count. The "window" is an iframe's
//! `contentWindow` kept as a window, as in `window_keeping.rs` (WebKitGTK under the test runner
//! blocks `window.open` without a user gesture); the demo's real popup beside its iframe is driven
//! end to end in every engine (`e2e/tests/lifecycle_apps.rs`).

use std::time::Duration;

use futures::channel::mpsc;
use futures::future::join_all;
use futures::StreamExt;
use messenger::{Answered, Config, Error, Messenger, Received, Reconnector, WindowKeeper, WindowKeeperTiming};
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

use crate::origin::{fixture_url, load, new_iframe, remote_config, remote_origin, FromPeer};
use crate::support::listeners::live;
use crate::support::*;

type Answers = mpsc::UnboundedReceiver<Result<Answered, Error>>;

/// One remote: its name in the echoes, its session, the origin its echoes name, and what keeps
/// its session (dropped at the end).
struct Remote {
    name: &'static str,
    session: Messenger<String, FromPeer>,
    origin: String,
    iframe: HtmlIFrameElement,
}

/// The keeper's (or reconnector's) next answered session, handshake finished, greeting checked.
async fn next_session(answers: &mut Answers, which: &str, origin: &str) -> Messenger<String, FromPeer> {
    let answered = within(LOAD, which, answers.next())
        .await
        .expect("the keeper is alive")
        .expect("answered");
    let (session, hello): (_, Received<FromPeer>) = within(
        STEP,
        "the first message",
        answered.finish_handshake::<String, FromPeer>(),
    )
    .await
    .expect("the handshake completes");
    assert_eq!(hello.message, FromPeer::Hello { hello: origin.into() });
    session
}

/// An iframe showing the listening fixture at `url`, kept by a reconnector made with `config`.
async fn reconnected(url: &str, config: Config) -> (HtmlIFrameElement, Reconnector, Answers) {
    let (tx, answers) = mpsc::unbounded();
    let iframe = new_iframe();
    let reconnector = Reconnector::new(&iframe, config, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    load(&iframe, url).await;
    (iframe, reconnector, answers)
}

/// Sends one message on every remote at once (`round` of them so far on each) and checks that
/// each echo came from its own remote: its own text, and its own page's count.
async fn round(remotes: &[&Remote], round: u32) {
    let sends = remotes.iter().map(|remote| {
        let text = format!("{}{round}", remote.name);
        let sent = remote.session.send(text.clone());
        async move { (remote, text, within(STEP, "an echo", sent).await) }
    });
    for (remote, text, reply) in join_all(sends).await {
        let reply = reply.unwrap_or_else(|failed| panic!("{}: {:?}", remote.name, failed.error));
        assert_eq!(
            reply.message,
            FromPeer::Echo {
                echo: text,
                count: round,
                origin: remote.origin.clone()
            },
            "the reply on {}'s session",
            remote.name
        );
    }
}

#[wasm_bindgen_test]
async fn lifecycle_every_session_routes_to_its_own_remote_of_one_origin() {
    let before = live();
    let page_url = format!(
        "{}/tests/web/fixtures/peer.html?parent={}&mode=listen",
        page_origin(),
        page_origin()
    );
    // Two iframes of the remote origin, and one of another origin (this page's own).
    let (frame_a, reconnector_a, mut answers_a) =
        reconnected(&fixture_url("listen", "&remote=a"), remote_config()).await;
    let (frame_b, reconnector_b, mut answers_b) =
        reconnected(&fixture_url("listen", "&remote=b"), remote_config()).await;
    let other_config = Config::new(&page_origin())
        .expect("the page's origin is a valid remote origin")
        .handshake_timeout(Duration::from_secs(5));
    let (frame_d, reconnector_d, mut answers_d) = reconnected(&page_url, other_config).await;
    // A window of the remote origin.
    let frame_c = new_iframe();
    load(&frame_c, &fixture_url("listen", "&remote=c")).await;
    let window = frame_c.content_window().expect("a loaded iframe has a window");
    let (tx, mut answers_c) = mpsc::unbounded();
    let timing = WindowKeeperTiming::default()
        .closed_check(Duration::from_millis(50))
        .knock_interval(Duration::from_millis(50))
        .first_knock_timeout(Duration::from_secs(5));
    let keeper = WindowKeeper::with_timing(&window, remote_config(), timing, move |answered| {
        let _ = tx.unbounded_send(answered);
    });

    let remote = remote_origin();
    let a = Remote {
        name: "a",
        session: next_session(&mut answers_a, "iframe a", &remote).await,
        origin: remote.clone(),
        iframe: frame_a,
    };
    let b = Remote {
        name: "b",
        session: next_session(&mut answers_b, "iframe b", &remote).await,
        origin: remote.clone(),
        iframe: frame_b,
    };
    let c = Remote {
        name: "c",
        session: next_session(&mut answers_c, "the window", &remote).await,
        origin: remote.clone(),
        iframe: frame_c,
    };
    let d = Remote {
        name: "d",
        session: next_session(&mut answers_d, "the other origin's iframe", &page_origin()).await,
        origin: page_origin(),
        iframe: frame_d,
    };

    // Every session, all at once, three times: each answered by its own remote only.
    for n in 1..=3 {
        round(&[&a, &b, &c, &d], n).await;
    }

    // Closing one leaves the others working, and their counts untouched by it.
    b.session.close();
    let late = within(STEP, "a send on the closed session", b.session.send("b4".into()))
        .await
        .unwrap_err();
    assert_eq!(late.error, Error::Closed);
    round(&[&a, &c, &d], 4).await;
    // And the window's end leaves the iframes working.
    drop(keeper);
    assert_eq!(c.session.status().closed_with, Some(Error::Closed));
    round(&[&a, &d], 5).await;

    drop((reconnector_a, reconnector_b, reconnector_d));
    for remote in [a, b, c, d] {
        assert!(remote.session.status().closed_with.is_some(), "{}", remote.name);
        drop(remote.session);
        remote.iframe.remove();
    }
    assert_eq!(live(), before, "every port and listener went with the sessions");
}
