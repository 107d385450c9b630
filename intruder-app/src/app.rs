//! The intruder's page: one row per attack, each with what should happen, what did, and the
//! page's verdict.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::attacks::{self, Outcome, SharedOpened, FLOOD};
use crate::config::{own_origin, EOS_ORIGIN, HOST_ORIGIN};
use crate::wire::ANSWER_WAIT;

type Run = fn(SharedOpened) -> Pin<Box<dyn Future<Output = Outcome>>>;

/// One attack: its button, and what should happen.
struct Attack {
    id: &'static str,
    title: &'static str,
    should: String,
    run: Run,
}

fn attacks() -> Vec<Attack> {
    let wait = ANSWER_WAIT.as_secs();
    let unread = "Eos lists it as “from another origin than the host's (never read)”";
    vec![
        Attack {
            id: "open-host",
            title: "Open the host in a window",
            should: "Not an attack: the host opens and connects to its Eos as for any visitor. Its Cross-Origin-Opener-Policy (same-origin-allow-popups) cuts this page's handle to it at once: nothing below can reach it. Served without that header, the rows below aim at it.".into(),
            run: |o| Box::pin(attacks::open_host(o)),
        },
        Attack {
            id: "open-eos",
            title: "Open Eos in a window of its own and knock",
            should: format!("Eos, opened by this page, listens only for its opener at {HOST_ORIGIN}: 12 knocks, no answer within {wait} s; {unread}."),
            run: |o| Box::pin(attacks::open_eos_and_knock(o)),
        },
        Attack {
            id: "wrong-origin",
            title: "Knock on Eos from the wrong origin",
            should: format!("A well-formed knock from this origin: no answer within {wait} s; {unread}."),
            run: |o| Box::pin(attacks::wrong_origin(o)),
        },
        Attack {
            id: "forged-source",
            title: "Knock with a forged source",
            should: format!("A page may dispatch a synthetic MessageEvent (any origin, any source) only on a window it may script: on Eos's, dispatchEvent throws SecurityError. A real post always carries its poster as source: posted from a frame of this page, no answer within {wait} s; Eos lists “from another window than Eos's host”."),
            run: |o| Box::pin(attacks::forged_source(o)),
        },
        Attack {
            id: "host-window",
            title: "Knock on the host's window (and its Eos frame)",
            should: format!("Under the host's COOP this page has no handle to it: unreachable. Without it: the host only knocks, it never listens, and its Eos stopped listening at its handshake: both show 0 window listeners; no answer within {wait} s from either."),
            run: |o| Box::pin(attacks::host_window(o)),
        },
        Attack {
            id: "replay",
            title: "Replay on a used port",
            should: format!("This page cannot get a port of the real session: the host posts its knock to Eos's origin only, and ports travel transferred, never readable. What it can reuse is its own knock port, which Eos closed unread: a 👂 there gets no answer within {wait} s, and sending that port again throws DataCloneError."),
            run: |o| Box::pin(attacks::replay(o)),
        },
        Attack {
            id: "malformed",
            title: "Malformed knock",
            should: format!("No answer within {wait} s; {unread}: its shape is never looked at."),
            run: |o| Box::pin(attacks::malformed(o)),
        },
        Attack {
            id: "oversized",
            title: "Oversized payload (4 MiB)",
            should: format!("No answer within {wait} s; {unread}: its size limit (1 MiB) is never even reached."),
            run: |o| Box::pin(attacks::oversized(o)),
        },
        Attack {
            id: "over-deep",
            title: "Over-deep payload (200 levels)",
            should: format!("No answer within {wait} s; {unread}: its depth limit (32) is never even reached."),
            run: |o| Box::pin(attacks::over_deep(o)),
        },
        Attack {
            id: "flood",
            title: "Flood of window messages",
            should: format!("{FLOOD} window messages, then a knock: no answer within {wait} s; Eos stays responsive and folds them into one row “×{FLOOD}”."),
            run: |o| Box::pin(attacks::flood(o)),
        },
        Attack {
            id: "frame-host",
            title: "Frame the host",
            should: "The host's Content-Security-Policy (frame-ancestors) forbids any framing page: the frame below stays empty (the browser's blocked page).".into(),
            run: |_| Box::pin(attacks::frame(format!("{HOST_ORIGIN}/"), "framed-host", true)),
        },
        Attack {
            id: "frame-eos",
            title: "Frame Eos",
            should: format!("Eos's Content-Security-Policy allows only {HOST_ORIGIN} to frame it: the frame below stays empty (the browser's blocked page)."),
            run: |_| Box::pin(attacks::frame(format!("{EOS_ORIGIN}/"), "framed-eos", false)),
        },
    ]
}

/// The page.
#[component]
pub fn App() -> Html {
    let attacks = use_memo((), |_| attacks());
    let opened: SharedOpened = (*use_memo((), |_| Rc::new(RefCell::new(attacks::Opened::default())))).clone();
    let outcomes = use_state(HashMap::<&'static str, Option<Outcome>>::new);
    // The latest outcomes, for the tasks that finish after other rows changed.
    let latest = use_mut_ref(HashMap::<&'static str, Option<Outcome>>::new);

    let rows = attacks.iter().map(|attack| {
        let onclick = {
            let (opened, outcomes, latest, id, run) = (opened.clone(), outcomes.clone(), latest.clone(), attack.id, attack.run);
            Callback::from(move |_: MouseEvent| {
                latest.borrow_mut().insert(id, None);
                outcomes.set(latest.borrow().clone());
                // Started in the click's task: a window it opens has the click's user activation.
                let task = run(opened.clone());
                let (outcomes, latest) = (outcomes.clone(), latest.clone());
                spawn_local(async move {
                    let outcome = task.await;
                    latest.borrow_mut().insert(id, Some(outcome));
                    outcomes.set(latest.borrow().clone());
                });
            })
        };
        let (did, verdict) = match outcomes.get(attack.id) {
            None => (String::new(), "not run"),
            Some(None) => ("running…".to_owned(), "running"),
            Some(Some(outcome)) => (outcome.did.clone(), outcome.verdict.word()),
        };
        html! {
            <tr id={format!("row-{}", attack.id)} class="attack">
                <td><button id={format!("attack-{}", attack.id)} onclick={onclick} disabled={verdict == "running"}>{ attack.title }</button></td>
                <td class="should">{ &attack.should }</td>
                <td class="did">{ did }</td>
                <td class={classes!("verdict", verdict.replace(' ', "-"))} data-verdict={verdict}>{ verdict }</td>
            </tr>
        }
    });

    html! {
        <div class="intruder">
            <header class="topbar">
                <h1>{ "Intruder" }</h1>
                <span class="detail">{ format!("a page of a third origin ({}) that attacks the demo by hand: host {HOST_ORIGIN}, Eos {EOS_ORIGIN}", own_origin()) }</span>
            </header>
            <p class="hint">
                { "Each button runs one attack and judges it by what this page can see: an answer (or none) within a stated time, an exception. Open the host first (the “host's window” row does) to watch its session carry on; Eos's window lists what reached it while it listened. Eos stops listening after 60 s without its host's knock." }
            </p>
            <table id="attacks">
                <thead><tr><th>{ "attack" }</th><th>{ "should happen" }</th><th>{ "did happen" }</th><th>{ "verdict" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <section id="frames" class="frames"></section>
        </div>
    }
}
