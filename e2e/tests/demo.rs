//! End-to-end tests of the demo's flows: Phosphorescence (the host page) and Eos (the notes app
//! in its cross-origin iframe), driven by real clicks and key presses in each engine (`E2E_BROWSER`).
//!
//! Run them with `./test.sh e2e`, which builds both apps for the test origins first. Like
//! `browser.rs` they are not part of plain `cargo test` (`test = false` in `Cargo.toml`).
//!
//! Every test starts from a fresh browser profile, so the host's `localStorage` holds the
//! first-run notes: #1 "Welcome to Phosphorescence" and #2 "Groceries", both at revision 1.
//!
//! The DOM the tests rely on:
//!
//! * host page: `#connection-state` (`knocking`, `answered`, `connected`, `closed`),
//!   `#connection-detail` (`session N with Eos` while connected), `#last-message`, the
//!   buttons `#close-session`, `#reload-remote` and `#ask-question`, `#question-state`;
//!   Eos in a window: the button `#open-window`, `#window-state` (`not open`, then as
//!   `#connection-state`), `#window-detail` (`session N with Eos in a window` while
//!   connected), `#window-message`; the inspector's `#wire-log tbody tr.wire-row` (newest
//!   first; `data-generation`, `data-direction` `in`/`out`, `data-peer` `iframe`/`window`,
//!   cells `td.session`, `td.peer`, `td.kind`, `td.label`, `td.reply-after`; a folded run is
//!   `tr.wire-row.folded` with `data-count`: `.knocks` for a session's knocks, `.polls` for its
//!   idle polls with `data-last-generation`, label `poll ×N`) and `#inspector-total` (every
//!   message, folded or not); `#channels li.channel` (`.open`, `.closed`; text `session N ·
//!   iframe · …` or `… · window · …`), `#interrupts li.interrupt`, `#interrupts-total` and
//!   `#interrupt-error`; `#errors li`; `#host-notes li.host-note[data-id][data-revision]` with
//!   a `button.review-note`;
//! * Eos, in `#remote-frame` or in the window the host opened: `.eos[data-place]` (`frame` or
//!   `window`), `#connection-state` (`listening`, `connected`, `closed`, `version mismatch`),
//!   `#connection-detail`, `#last-reply`, `#new-note`, `#action-attention`, `#error`,
//!   `#notice`, `#notes button.note[data-id]`, `#note-detail[data-id][data-revision]` with
//!   `#note-title`, `#note-body`, `#edit-note`, `#delete-note`, `#action-share`,
//!   `#action-pin`; the editor's `#editor-title`, `#editor-body`, `#save-note`,
//!   `#cancel-edit`; the host's question in `#question` with `#question-prompt`,
//!   `button.choose-note[data-id]` and `#question-status`.
//!
//! Screenshots go to `target/e2e-screenshots/<engine>/<test>-<label>.png`: `host-…` of the whole
//! window (the host page with Eos inside it), `eos-…` of the iframe alone, `popup-…` of Eos's
//! own window.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use e2e::{Error, Probe, Result, WindowHandle, World};
use serde_json::Value;

/// The iframe that shows Eos on the host page.
const FRAME: &str = "#remote-frame";
/// The host's notes on a first run, in Eos's list.
const FIRST_RUN_NOTES: &[&str] = &["Welcome to Phosphorescence", "Groceries"];

#[tokio::test]
async fn notes_requests_and_typed_failures() -> Result<()> {
    World::run("notes_requests_and_typed_failures", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;

        // Invalid: a new note with an empty title is refused by the host, and the editor stays.
        in_eos(w, async |w| {
            w.click("#new-note").await?;
            w.wait_for_enabled("#editor-title").await?;
            w.click("#save-note").await?;
            w.wait_for_text("#error", "invalid note: the title is empty").await?;
            w.wait_for_count("#editor", 1).await
        })
        .await?;
        w.screenshot_element(FRAME, "eos-invalid-note").await?;

        // Create, then the list is asked again.
        in_eos(w, async |w| {
            w.type_into("#editor-title", "Plans").await?;
            w.type_into("#editor-body", "Sunday: a walk by the lake").await?;
            w.click("#save-note").await?;
            w.wait_for_text("#notice", "Saved #3 (revision 1).").await?;
            w.wait_for_count("#error", 0).await?;
            expect_detail(w, 3, 1, "Plans").await?;
            w.wait_for_text("#note-body", "Sunday: a walk by the lake").await?;
            w.wait_for_texts(
                "#notes button.note",
                &["Welcome to Phosphorescence", "Groceries", "Plans"],
            )
            .await?;

            // Read: a click on a note asks for it in full.
            open_note(w, 1, "Welcome to Phosphorescence").await?;
            w.wait_for_text(
                "#note-body",
                "Notes live in the host; Eos edits them through the messenger.",
            )
            .await?;

            // Update: the saved note comes back at the next revision, and the list follows.
            open_note(w, 3, "Plans").await?;
            w.click("#edit-note").await?;
            w.wait_for_text("#editor h2", "Editing #3 (revision 1)").await?;
            w.type_into("#editor-title", " and a picnic").await?;
            w.click("#save-note").await?;
            w.wait_for_text("#notice", "Saved #3 (revision 2).").await?;
            expect_detail(w, 3, 2, "Plans and a picnic").await?;
            w.wait_for_texts(
                "#notes button.note",
                &["Welcome to Phosphorescence", "Groceries", "Plans and a picnic"],
            )
            .await?;

            // Stale, part one: Eos starts editing #2 at revision 1.
            open_note(w, 2, "Groceries").await?;
            w.click("#edit-note").await?;
            w.wait_for_text("#editor h2", "Editing #2 (revision 1)").await
        })
        .await?;

        // ... meanwhile the host changes #2 ...
        w.click(r#"#host-notes li.host-note[data-id="2"] button.review-note"#)
            .await?;
        w.wait_for_attribute(r#"#host-notes li.host-note[data-id="2"]"#, "data-revision", "2")
            .await?;

        // ... so Eos's save is refused as stale; the editor keeps the text, and after cancelling
        // Eos shows the note as the host has it now.
        in_eos(w, async |w| {
            w.type_into("#editor-body", ", milk").await?;
            w.click("#save-note").await?;
            w.wait_for_text("#error", "note #2 changed meanwhile (now revision 2)")
                .await?;
            let body = w.property("#editor-body", "value").await?.unwrap_or_default();
            if body != "eggs, flour, lemons, milk" {
                return Err(Error::contract(format!(
                    "after the stale save the editor holds {body:?}, expected the user's text kept"
                )));
            }
            Ok(())
        })
        .await?;
        w.screenshot("host-stale-edit").await?;

        in_eos(w, async |w| {
            w.click("#cancel-edit").await?;
            expect_detail(w, 2, 2, "Groceries").await?;
            w.wait_for_text("#note-body", "eggs, flour, lemons\n(reviewed on the host)")
                .await?;

            // Delete, then the list is asked again.
            open_note(w, 1, "Welcome to Phosphorescence").await?;
            w.click("#delete-note").await?;
            w.wait_for_text("#notice", "Deleted #1.").await?;
            w.wait_for_count("#note-detail", 0).await?;
            w.wait_for_texts("#notes button.note", &["Groceries", "Plans and a picnic"])
                .await
        })
        .await?;

        // The host stores what Eos did.
        expect_host_notes(w, &[(2, 2), (3, 2)]).await?;
        w.wait_for_texts(
            "#host-notes li.host-note",
            &[
                "#2 Groceries (rev. 2) mark reviewed",
                "#3 Plans and a picnic (rev. 2) mark reviewed",
            ],
        )
        .await?;

        // Each request kind crossed the wire and was answered with its reply kind, the typed
        // failures included.
        let expected: BTreeMap<&str, BTreeSet<&str>> = [
            ("introduce", &["welcome"][..]),
            ("list_items", &["items"]),
            ("get_item", &["item"]),
            ("create_item", &["failed", "item"]),
            ("update_item", &["failed", "item"]),
            ("delete_item", &["deleted"]),
            ("poll", &["polled"]),
        ]
        .into_iter()
        .map(|(request, replies)| (request, replies.iter().copied().collect()))
        .collect();
        w.wait_until("the inspector to pair every request kind with its replies", async |w| {
            let pairs = request_reply_pairs(&wire_rows(w).await?);
            let seen: BTreeMap<&str, BTreeSet<&str>> = pairs
                .iter()
                .map(|(request, replies)| (request.as_str(), replies.iter().map(String::as_str).collect()))
                .collect();
            Ok(if seen == expected {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!("{seen:?}"))
            })
        })
        .await?;
        w.screenshot("host-after-requests").await?;
        w.screenshot_element(FRAME, "eos-after-requests").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn three_clicks_in_eos_are_three_interrupts_in_order() -> Result<()> {
    World::run("three_clicks_in_eos_are_three_interrupts_in_order", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.wait_for_count("#interrupts li.interrupt", 0).await?;
        in_eos(w, async |w| {
            open_note(w, 2, "Groceries").await?;
            w.click("#action-share").await?;
            w.click("#action-pin").await?;
            w.click("#action-attention").await?;
            sent_attention(w).await
        })
        .await?;
        w.wait_for_texts("#interrupts li.interrupt", &["share #2", "pin #2", "ask for attention"])
            .await?;
        w.wait_until("the multi-use channel to be open with 3 interrupts", async |w| {
            let channels = w.texts("#channels li.channel.open").await?;
            Ok(match channels.iter().find(|c| c.contains("multi-use")) {
                Some(channel) if channel.ends_with("3 received") => Probe::Ready(()),
                _ => Probe::NotYet(format!("{channels:?}")),
            })
        })
        .await?;
        w.screenshot("host-three-interrupts").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn one_time_question_is_answered_once() -> Result<()> {
    World::run("one_time_question_is_answered_once", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.wait_for_text("#question-state", "No question asked.").await?;
        w.click("#ask-question").await?;
        // It goes out on Eos's next turn (Eos polls every second when idle).
        w.wait_for_text(
            "#question-state",
            "Question 1 is shown in Eos; waiting for the user's click there.",
        )
        .await?;
        in_eos(w, async |w| {
            w.wait_for_text("#question-prompt", "Which note should Phosphorescence share?")
                .await?;
            w.wait_for_texts(
                "#question button.choose-note",
                &["Welcome to Phosphorescence", "Groceries"],
            )
            .await?;
            w.click(r#"#question button.choose-note[data-id="2"]"#).await?;
            w.wait_for_text("#question-status", "Answer sent to the host.").await
        })
        .await?;
        let answer = "Answer to question 1: chose #2 “Groceries”";
        w.wait_for_text("#question-state", answer).await?;
        w.screenshot("host-question-answered").await?;
        // At 1280×800 the question panel sits below the fold: a shot of it alone.
        w.screenshot_element(".panel.question", "host-question-panel").await?;

        // A second click finds the one-time channel spent, and says so.
        in_eos(w, async |w| {
            w.click(r#"#question button.choose-note[data-id="1"]"#).await?;
            w.wait_for_text("#question-status", "Not delivered: interrupt channel already spent.")
                .await
        })
        .await?;
        w.screenshot_element(FRAME, "eos-second-answer-refused").await?;

        // Let the conversation move on by one more poll from Eos, then the host still shows the
        // first answer only.
        let session = current_session(w).await?;
        let last = last_generation(&wire_rows(w).await?, session);
        w.wait_until("one more poll from Eos after the second click", async |w| {
            let rows = wire_rows(w).await?;
            Ok(
                if rows
                    .iter()
                    .any(|r| r.session == session && r.is_poll() && r.last_generation > last)
                {
                    Probe::Ready(())
                } else {
                    Probe::NotYet(format!("last generation {}", last_generation(&rows, session)))
                },
            )
        })
        .await?;
        let state = w.text("#question-state").await?;
        if state != answer {
            return Err(Error::contract(format!(
                "after a second click in Eos the host's #question-state shows {state:?}, expected still {answer:?}"
            )));
        }
        let channels = w.texts("#channels li.channel").await?;
        let one_time: Vec<_> = channels.iter().filter(|c| c.contains("one-time")).collect();
        if one_time.len() != 1 || !one_time[0].ends_with("1 received") {
            return Err(Error::contract(format!(
                "expected one one-time channel that received 1 answer, the host lists {channels:?}"
            )));
        }
        w.wait_for_count("#interrupts li.interrupt", 0).await?;
        w.screenshot("host-after-second-click").await?;
        Ok(())
    })
    .await
}

/// The host asks one question at a time: while one waits for its answer the button is
/// disabled (a second question would replace the first in Eos and leave the first channel open);
/// once answered, the next question gets a fresh one-time channel of its own.
#[tokio::test]
async fn the_host_asks_one_question_at_a_time() -> Result<()> {
    World::run("the_host_asks_one_question_at_a_time", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.click("#ask-question").await?;
        w.wait_for_text(
            "#question-state",
            "Question 1 is shown in Eos; waiting for the user's click there.",
        )
        .await?;
        let disabled = w
            .evaluate("return document.querySelector('#ask-question').disabled;", vec![])
            .await?;
        if disabled != serde_json::Value::Bool(true) {
            return Err(Error::contract(
                "#ask-question stays enabled while question 1 waits for its answer",
            ));
        }
        in_eos(w, async |w| {
            w.click(r#"#question button.choose-note[data-id="1"]"#).await?;
            w.wait_for_text("#question-status", "Answer sent to the host.").await
        })
        .await?;
        w.wait_for_text(
            "#question-state",
            "Answer to question 1: chose #1 “Welcome to Phosphorescence”",
        )
        .await?;

        // The button is enabled again; the second question has a channel of its own.
        w.click("#ask-question").await?;
        w.wait_for_text(
            "#question-state",
            "Question 2 is shown in Eos; waiting for the user's click there.",
        )
        .await?;
        in_eos(w, async |w| {
            w.wait_for_attribute("#question", "data-question", "2").await?;
            w.click(r#"#question button.choose-note[data-id="2"]"#).await?;
            w.wait_for_text("#question-status", "Answer sent to the host.").await
        })
        .await?;
        let answer = "Answer to question 2: chose #2 “Groceries”";
        w.wait_for_text("#question-state", answer).await?;

        w.click("#close-session").await?;
        w.wait_for_text("#connection-state", "closed").await?;
        // Every channel of the session is closed now: two one-time, one multi-use.
        w.wait_until("the host to list every channel closed", async |w| {
            let open = w.texts("#channels li.channel.open").await?;
            let closed = w.count("#channels li.channel.closed").await?;
            Ok(if open.is_empty() && closed == 3 {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!("open: {open:?}, {closed} closed"))
            })
        })
        .await?;
        let state = w.text("#question-state").await?;
        if state != answer {
            return Err(Error::contract(format!(
                "after the session closed the host's #question-state shows {state:?}, expected still {answer:?}"
            )));
        }
        w.screenshot("host-second-answer-kept-after-close").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn inspector_shows_a_round_trip_on_increasing_generations() -> Result<()> {
    World::run("inspector_shows_a_round_trip_on_increasing_generations", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        in_eos(w, async |w| open_note(w, 2, "Groceries").await).await?;

        // The request Eos sent at generation g, and the host's reply at g + 1.
        let (request, reply) = w
            .wait_until(
                "an incoming get_item at generation g and an outgoing item at g + 1 in one session",
                async |w| {
                    let rows = wire_rows(w).await?;
                    let request = rows.iter().find(|r| r.incoming && r.label == "get_item");
                    let reply = request.and_then(|request| {
                        rows.iter().find(|r| {
                            !r.incoming
                                && r.session == request.session
                                && r.generation == request.generation + 1
                        })
                    });
                    Ok(match (request, reply) {
                        (Some(request), Some(reply)) => Probe::Ready((request.clone(), reply.clone())),
                        _ => Probe::NotYet(format!("{} rows, get_item: {request:?}", rows.len())),
                    })
                },
            )
            .await?;
        if reply.label != "item" || !reply.kind.starts_with("message") {
            return Err(Error::contract(format!(
                "the host's answer to get_item (generation {}) is {reply:?}, expected the message `item`",
                reply.generation
            )));
        }
        if !request.kind.starts_with("message") || !request.reply_after.ends_with(" ms") {
            return Err(Error::contract(format!(
                "the get_item row should be a message with its reply time in ms: {request:?}"
            )));
        }

        // The whole session so far: after the knocks, one message per turn, each on the next
        // port generation, the direction alternating (the half-duplex rhythm).
        let rows = wire_rows(w).await?;
        let session: Vec<&WireRow> = rows
            .iter()
            .filter(|r| r.session == request.session && !r.kind.contains("knock"))
            .collect();
        for pair in session.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            if later.generation != earlier.last_generation + 1 || later.incoming == earlier.last_incoming() {
                return Err(Error::contract(format!(
                    "the inspector lists {later:?} right after {earlier:?}: expected the next generation in the other direction"
                )));
            }
        }
        let first = session.first().map(|r| (r.generation, r.incoming, r.kind.as_str()));
        if first != Some((1, true, "🤝 listen")) {
            return Err(Error::contract(format!(
                "the session's first row after the knocks is {first:?}, expected Eos's listen at generation 1"
            )));
        }
        w.screenshot("host-inspector-round-trip").await?;
        Ok(())
    })
    .await
}

/// An idle Eos polls every second; the inspector folds those polls into one row with a count,
/// so the handshake (👋 🤝 👂) stays in view without scrolling.
#[tokio::test]
async fn an_idle_eos_keeps_the_handshake_in_view_and_folds_its_polls() -> Result<()> {
    World::run("an_idle_eos_keeps_the_handshake_in_view_and_folds_its_polls", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        let session = current_session(w).await?;
        // A few seconds idle: at least four polls, all in one row.
        let polls = w
            .wait_until("one folded row of at least 4 idle polls", async |w| {
                let rows = wire_rows(w).await?;
                let runs: Vec<&WireRow> = rows.iter().filter(|r| r.session == session && r.polls).collect();
                Ok(match runs[..] {
                    [run] if run.count >= 4 => Probe::Ready(run.clone()),
                    _ => Probe::NotYet(format!("poll runs {runs:?}")),
                })
            })
            .await?;
        let rows = wire_rows(w).await?;
        let ours: Vec<&WireRow> = rows.iter().filter(|r| r.session == session).collect();
        if let Some(single) = ours.iter().find(|r| !r.polls && r.label.starts_with("poll")) {
            return Err(Error::contract(format!(
                "a poll is listed on its own next to the folded run {polls:?}: {single:?}"
            )));
        }
        // Knocks, listen, acknowledge, introduce, welcome, list_items, items and the polls: few
        // rows, every message still counted.
        if ours.len() > 8 {
            return Err(Error::contract(format!("the idle session takes {} rows: {ours:?}", ours.len())));
        }
        let counted: u64 = rows.iter().map(WireRow::messages).sum();
        let total: u64 = w
            .text("#inspector-total")
            .await?
            .parse()
            .map_err(|_| Error::contract("#inspector-total is not a number"))?;
        if counted != total {
            return Err(Error::contract(format!(
                "the rows stand for {counted} messages, #inspector-total says {total}"
            )));
        }

        // The handshake's rows are on screen: inside the inspector's scrolling box and the window.
        let shown = w
            .evaluate(
                "const box = document.querySelector('.inspector .scroll').getBoundingClientRect();
                 const rows = Array.from(document.querySelectorAll('#wire-log tbody tr.wire-row'))
                     .filter(row => row.querySelector('td.session').innerText.trim() === arguments[0]);
                 return ['👋', '🤝', '👂'].map(mark => {
                     const row = rows.find(row => row.querySelector('td.kind').innerText.includes(mark));
                     if (!row) return mark + ' missing';
                     const r = row.getBoundingClientRect();
                     const inside = r.top >= box.top && r.bottom <= box.bottom && r.bottom <= window.innerHeight;
                     return mark + (inside ? ' visible' : ` hidden (row ${r.top}..${r.bottom}, box ${box.top}..${box.bottom})`);
                 });",
                vec![Value::from(session.to_string())],
            )
            .await?;
        let expected = serde_json::json!(["👋 visible", "🤝 visible", "👂 visible"]);
        if shown != expected {
            return Err(Error::contract(format!(
                "after {} idle polls the handshake rows are {shown}",
                polls.count
            )));
        }
        w.screenshot("host-idle-inspector").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn reloading_eos_reconnects_with_data_intact() -> Result<()> {
    World::run("reloading_eos_reconnects_with_data_intact", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        in_eos(w, async |w| {
            create_note(w, 3, "Before the reload", "kept by the host").await
        })
        .await?;

        w.click("#reload-remote").await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#last-message", "hello from Eos").await?;
        in_eos(w, async |w| {
            w.wait_for_text("#connection-state", "connected").await?;
            w.wait_for_text("#last-reply", "hello from Phosphorescence").await?;
            w.wait_for_texts(
                "#notes button.note",
                &["Welcome to Phosphorescence", "Groceries", "Before the reload"],
            )
            .await?;
            open_note(w, 3, "Before the reload").await?;
            w.wait_for_text("#note-body", "kept by the host").await?;
            // The new session works end to end: its interrupt channel too.
            w.click("#action-attention").await?;
            sent_attention(w).await
        })
        .await?;
        w.wait_for_texts("#interrupts li.interrupt", &["ask for attention"])
            .await?;
        w.wait_until("inspector rows of session 2", async |w| {
            let rows = wire_rows(w).await?;
            Ok(if rows.iter().any(|r| r.session == 2 && r.label == "get_item") {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!(
                    "sessions {:?}",
                    rows.iter().map(|r| r.session).collect::<BTreeSet<_>>()
                ))
            })
        })
        .await?;
        expect_host_notes(w, &[(1, 1), (2, 1), (3, 1)]).await?;
        w.screenshot("host-after-eos-reload").await?;
        w.screenshot_element(FRAME, "eos-after-reload").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn reloading_the_host_keeps_the_data() -> Result<()> {
    World::run("reloading_the_host_keeps_the_data", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        in_eos(w, async |w| {
            create_note(w, 3, "Before the host reload", "stored by the host").await
        })
        .await?;
        w.click(r#"#host-notes li.host-note[data-id="1"] button.review-note"#)
            .await?;
        expect_host_notes(w, &[(1, 2), (2, 1), (3, 1)]).await?;

        w.reload().await?;
        open_demo_after_load(
            w,
            &["Welcome to Phosphorescence", "Groceries", "Before the host reload"],
        )
        .await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        expect_host_notes(w, &[(1, 2), (2, 1), (3, 1)]).await?;
        in_eos(w, async |w| {
            open_note(w, 3, "Before the host reload").await?;
            w.wait_for_text("#note-body", "stored by the host").await?;
            open_note(w, 1, "Welcome to Phosphorescence").await?;
            w.wait_for_attribute("#note-detail", "data-revision", "2").await?;
            w.wait_for("#note-body", "the host's review note", |body| {
                body.ends_with("(reviewed on the host)")
            })
            .await
            .map(drop)
        })
        .await?;
        w.screenshot("host-after-host-reload").await?;
        w.screenshot_element(FRAME, "eos-after-host-reload").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn closing_the_session_shows_in_both_pages() -> Result<()> {
    World::run("closing_the_session_shows_in_both_pages", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.screenshot("host-connected").await?;
        w.screenshot_element(FRAME, "eos-connected").await?;

        w.click("#close-session").await?;
        w.wait_for_text("#connection-state", "closed").await?;
        w.wait_for_text("#connection-detail", "The session was closed on this page.")
            .await?;
        // The host's close notice (issue 23) ends Eos's session at once, in words naming who
        // closed it; before, Eos noticed only when its next poll went unanswered for 5 s and
        // blamed the host for not answering.
        in_eos(w, async |w| {
            w.wait_for_text("#connection-state", "closed").await?;
            w.wait_for_text("#connection-detail", "The host closed the session.")
                .await?;
            w.wait_for_count("#new-note", 0).await
        })
        .await?;
        w.wait_for_text("#connection-state", "closed").await?;
        w.screenshot("host-session-closed").await?;
        w.screenshot_element(FRAME, "eos-session-closed").await?;
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Eos in a window of its own: the host opens it (`window.open`) and knocks on it; Eos listens to
// its opener. The same protocol then runs between two top-level windows, beside the iframe's.

/// What the host says when Eos's window was closed (`host-app`'s `WINDOW_CLOSED`).
const WINDOW_CLOSED: &str = "Eos's window was closed; its session ended.";
/// What the host says when Eos's window reloaded (`host-app`'s `WINDOW_RELOADED`).
const WINDOW_RELOADED: &str = "Eos's window reloaded or left; the old session ended.";

#[tokio::test]
async fn popup_eos_serves_notes_and_interrupts_between_two_windows() -> Result<()> {
    World::run("popup_eos_serves_notes_and_interrupts_between_two_windows", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        w.wait_for_text("#window-state", "not open").await?;
        let popup = open_popup(w).await?;
        w.in_window(&popup, async |w| {
            eos_ready(w, FIRST_RUN_NOTES).await?;
            // It listened to its opener, not to a parent: it runs in a window of its own.
            w.wait_for_attribute(".eos", "data-place", "window").await?;
            create_note(w, 3, "From the window", "written in a popup").await?;
            w.click("#action-share").await?;
            w.wait_for_text("#notice", "Sent to the host: share #3.").await?;
            w.click("#action-attention").await?;
            sent_attention(w).await?;
            w.screenshot("popup-eos").await.map(drop)
        })
        .await?;

        // The host served the window as session 2, beside the iframe's session 1.
        w.wait_for_text("#window-state", "connected").await?;
        w.wait_for_text("#window-detail", "session 2 with Eos in a window")
            .await?;
        w.wait_for_text("#window-message", "hello from Eos").await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        expect_host_notes(w, &[(1, 1), (2, 1), (3, 1)]).await?;
        w.wait_for_texts("#interrupts li.interrupt", &["share #3", "ask for attention"])
            .await?;
        w.wait_until("the window's action channel with its 2 interrupts", async |w| {
            let channels = w.texts("#channels li.channel.open").await?;
            Ok(
                match channels
                    .iter()
                    .find(|c| c.starts_with("session 2 · window") && c.contains("multi-use"))
                {
                    Some(channel) if channel.ends_with("2 received") => Probe::Ready(()),
                    _ => Probe::NotYet(format!("{channels:?}")),
                },
            )
        })
        .await?;
        // The inspector shows the window's session apart: its own handshake and requests, one
        // message per turn on its own generations.
        w.wait_until("the inspector to show the window's session", async |w| {
            let rows = wire_rows(w).await?;
            let window: Vec<&WireRow> = rows.iter().filter(|r| r.peer == "window").collect();
            let listen = window
                .iter()
                .any(|r| r.session == 2 && r.generation == 1 && r.kind == "🤝 listen");
            let created = window.iter().any(|r| r.session == 2 && r.label == "create_item");
            let frame_only_1 = rows.iter().filter(|r| r.peer == "iframe").all(|r| r.session == 1);
            Ok(if listen && created && frame_only_1 {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!(
                    "listen {listen}, create_item {created}, iframe rows of session 1 only {frame_only_1}"
                ))
            })
        })
        .await?;
        // The iframe's Eos goes on, on its own channel.
        in_eos(w, async |w| {
            w.click("#action-attention").await?;
            sent_attention(w).await
        })
        .await?;
        w.wait_for_texts(
            "#interrupts li.interrupt",
            &["share #3", "ask for attention", "ask for attention"],
        )
        .await?;
        w.screenshot("host-with-popup").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn popup_closed_ends_its_session_and_a_new_popup_starts_another() -> Result<()> {
    World::run(
        "popup_closed_ends_its_session_and_a_new_popup_starts_another",
        async |w| {
            open_demo(w, FIRST_RUN_NOTES).await?;
            let host = w.window().await?;
            let popup = open_popup(w).await?;
            w.in_window(&popup, async |w| eos_ready(w, FIRST_RUN_NOTES).await)
                .await?;
            w.wait_for_text("#window-detail", "session 2 with Eos in a window")
                .await?;

            // The user closes Eos's window: the host sees `window.closed` and ends the session at
            // once, in words, long before its reply timeout.
            w.switch_to_window(&popup).await?;
            w.close_window().await?;
            w.switch_to_window(&host).await?;
            w.wait_for_text("#window-state", "closed").await?;
            w.wait_for_text("#window-detail", WINDOW_CLOSED).await?;
            let errors = w.texts("#errors li").await?;
            if errors != [WINDOW_CLOSED] {
                return Err(Error::contract(format!(
                    "after the window closed the host lists the errors {errors:?}, expected only {WINDOW_CLOSED:?}"
                )));
            }
            w.wait_until("the window's channels to show closed", async |w| {
                let open = w.texts("#channels li.channel.open").await?;
                Ok(if open.iter().all(|c| !c.starts_with("session 2")) {
                    Probe::Ready(())
                } else {
                    Probe::NotYet(format!("open: {open:?}"))
                })
            })
            .await?;
            // The iframe's session is untouched.
            w.wait_for_text("#connection-state", "connected").await?;
            w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
            w.screenshot("host-after-popup-closed").await?;

            // A new window: a new session.
            let again = open_popup(w).await?;
            w.in_window(&again, async |w| eos_ready(w, FIRST_RUN_NOTES).await)
                .await?;
            w.wait_for_text("#window-state", "connected").await?;
            w.wait_for_text("#window-detail", "session 3 with Eos in a window")
                .await?;
            Ok(())
        },
    )
    .await
}

#[tokio::test]
async fn popup_reloaded_reconnects_with_a_new_session() -> Result<()> {
    World::run("popup_reloaded_reconnects_with_a_new_session", async |w| {
        open_demo(w, FIRST_RUN_NOTES).await?;
        let popup = open_popup(w).await?;
        w.in_window(&popup, async |w| eos_ready(w, FIRST_RUN_NOTES).await).await?;
        w.wait_for_text("#window-detail", "session 2 with Eos in a window").await?;

        // A reload of Eos's window: the reloaded Eos listens afresh and answers the host's next
        // knock; the new session replaces the old one.
        w.in_window(&popup, async |w| {
            w.reload().await?;
            eos_ready(w, FIRST_RUN_NOTES).await?;
            create_note(w, 3, "After the reload", "kept by the host").await
        })
        .await?;
        w.wait_for_text("#window-state", "connected").await?;
        w.wait_for_text("#window-detail", "session 3 with Eos in a window").await?;
        let errors = w.texts("#errors li").await?;
        if errors != [WINDOW_RELOADED] {
            return Err(Error::contract(format!(
                "after the window reloaded the host lists the errors {errors:?}, expected only {WINDOW_RELOADED:?}"
            )));
        }
        expect_host_notes(w, &[(1, 1), (2, 1), (3, 1)]).await?;
        // Session 2's channel closed with it; session 3 has its own, open.
        w.wait_until("session 2's channel closed and session 3's open", async |w| {
            let channels = w.texts("#channels li.channel").await?;
            let closed_2 = channels.iter().any(|c| c.starts_with("session 2 · window") && c.contains("· closed ·"));
            let open_3 = channels.iter().any(|c| c.starts_with("session 3 · window") && c.contains("· open ·"));
            Ok(if closed_2 && open_3 {
                Probe::Ready(())
            } else {
                Probe::NotYet(format!("{channels:?}"))
            })
        })
        .await?;
        // The new session's handshake is in the inspector: the few knocks that found the reloaded
        // Eos, its answer and the acknowledgement; not the knocks nobody answered.
        let rows = wire_rows(w).await?;
        let knocks: Vec<&WireRow> = rows
            .iter()
            .filter(|r| r.session == 3 && r.kind.contains("knock"))
            .collect();
        let handshake = ["🤝 listen", "👂 acknowledge"]
            .iter()
            .all(|kind| rows.iter().any(|r| r.session == 3 && r.peer == "window" && r.kind == *kind));
        let knocked: u64 = knocks.iter().map(|r| r.count).sum();
        if !handshake || knocked == 0 || knocked > 4 {
            return Err(Error::contract(format!(
                "session 3's handshake in the inspector: {knocked} knocks in {knocks:?}, listen and acknowledge shown: {handshake}"
            )));
        }
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        w.screenshot("host-after-popup-reload").await?;
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// Runs `body` inside Eos's iframe.
async fn in_eos<T>(w: &World, body: impl AsyncFnOnce(&World) -> Result<T>) -> Result<T> {
    w.in_frame(FRAME, body).await
}

/// Opens the host page and waits until both apps are connected and Eos lists `notes`.
async fn open_demo(w: &World, notes: &[&str]) -> Result<()> {
    w.goto(&w.host_url()).await?;
    open_demo_after_load(w, notes).await
}

/// Waits until both apps on the loaded host page are connected and Eos lists `notes`.
async fn open_demo_after_load(w: &World, notes: &[&str]) -> Result<()> {
    w.wait_for_text("#connection-state", "connected").await?;
    w.wait_for_text("#last-message", "hello from Eos").await?;
    in_eos(w, async |w| eos_ready(w, notes).await).await
}

/// In Eos (its iframe or its window): waits until it is connected, welcomed, lists `notes` and
/// its action buttons reach the host.
async fn eos_ready(w: &World, notes: &[&str]) -> Result<()> {
    w.wait_for_text("#connection-state", "connected").await?;
    w.wait_for_text("#last-reply", "hello from Phosphorescence").await?;
    w.wait_for_texts("#notes button.note", notes).await?;
    w.wait_for_enabled("#action-attention").await
}

/// On the host: clicks "Open Eos in a window" and waits for the window it opens; returns its
/// handle (the client stays on the host page).
async fn open_popup(w: &World) -> Result<WindowHandle> {
    let known = w.windows().await?;
    w.click("#open-window").await?;
    w.wait_for_new_window(&known).await
}

/// In Eos: waits until Eos says its "ask for attention" click went to the host.
async fn sent_attention(w: &World) -> Result<()> {
    w.wait_for("#notice", "Eos saying the attention request was sent", |notice| {
        notice.starts_with("Sent to the host") && notice.contains("ask for attention")
    })
    .await
    .map(drop)
}

/// In Eos: clicks note `id` in the list and waits until it is shown.
async fn open_note(w: &World, id: u64, title: &str) -> Result<()> {
    w.click(&format!(r#"#notes button.note[data-id="{id}"]"#)).await?;
    w.wait_for_attribute("#note-detail", "data-id", &id.to_string()).await?;
    w.wait_for_text("#note-title", title).await
}

/// In Eos: waits until note `id` at `revision` titled `title` is shown.
async fn expect_detail(w: &World, id: u64, revision: u32, title: &str) -> Result<()> {
    w.wait_for_attribute("#note-detail", "data-id", &id.to_string()).await?;
    w.wait_for_attribute("#note-detail", "data-revision", &revision.to_string())
        .await?;
    w.wait_for_text("#note-title", title).await
}

/// In Eos: creates a note through the editor and waits until the host saved it as `id`.
async fn create_note(w: &World, id: u64, title: &str, body: &str) -> Result<()> {
    w.click("#new-note").await?;
    w.type_into("#editor-title", title).await?;
    w.type_into("#editor-body", body).await?;
    w.click("#save-note").await?;
    w.wait_for_text("#notice", &format!("Saved #{id} (revision 1)."))
        .await?;
    expect_detail(w, id, 1, title).await
}

/// On the host: waits until the stored notes are exactly these `(id, revision)` pairs.
async fn expect_host_notes(w: &World, notes: &[(u64, u32)]) -> Result<()> {
    let expected: Vec<String> = notes.iter().map(|(id, rev)| format!("#{id} rev. {rev}")).collect();
    w.wait_until(&format!("the host to store {expected:?}"), async |w| {
        let seen = w
            .evaluate(
                "return Array.from(document.querySelectorAll('#host-notes li.host-note'),
                    li => '#' + li.dataset.id + ' rev. ' + li.dataset.revision);",
                Vec::new(),
            )
            .await?;
        let seen: Vec<String> = seen
            .as_array()
            .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(if seen == expected {
            Probe::Ready(())
        } else {
            Probe::NotYet(format!("{seen:?}"))
        })
    })
    .await
}

/// One row of the host's protocol inspector: one message, or a folded run of them.
#[derive(Debug, Clone, PartialEq)]
struct WireRow {
    session: u32,
    /// Which Eos: `iframe` or `window`.
    peer: String,
    /// The direction of the (first) message.
    incoming: bool,
    /// The generation of the (first) message.
    generation: u64,
    /// The generation of the last message: for a folded run of polls, the host's last reply.
    last_generation: u64,
    /// How many knocks or polls a folded row stands for (`data-count`); 1 for one message.
    count: u64,
    /// A folded run of idle polls (`tr.polls`): `count` polls, each with its `polled` reply.
    polls: bool,
    /// The wire message (`message`, `👋 knock`, ...), with any interrupt port riding along.
    kind: String,
    /// The application message (`get_item`, `item`, ...), empty for the handshake.
    label: String,
    /// For a reply, `N.N ms`; else empty.
    reply_after: String,
}

impl WireRow {
    /// The direction of the row's last message: a run of polls ends with the host's reply.
    fn last_incoming(&self) -> bool {
        self.incoming && !self.polls
    }

    /// Eos's idle poll, alone or folded.
    fn is_poll(&self) -> bool {
        self.incoming && (self.polls || self.label == "poll")
    }

    /// How many wire messages the row stands for.
    fn messages(&self) -> u64 {
        if self.polls {
            2 * self.count
        } else {
            self.count
        }
    }
}

/// On the host: the inspector's rows, oldest first, read in one go.
async fn wire_rows(w: &World) -> Result<Vec<WireRow>> {
    let value = w
        .evaluate(
            "const cell = (row, name) => row.querySelector('td.' + name).innerText.trim();
             return Array.from(document.querySelectorAll('#wire-log tbody tr.wire-row'), row => ({
                 session: cell(row, 'session'),
                 peer: row.dataset.peer,
                 direction: row.dataset.direction,
                 generation: row.dataset.generation,
                 last_generation: row.dataset.lastGeneration || row.dataset.generation,
                 count: row.dataset.count || '1',
                 polls: row.classList.contains('polls'),
                 kind: cell(row, 'kind'),
                 label: cell(row, 'label'),
                 reply_after: cell(row, 'reply-after'),
             }));",
            Vec::new(),
        )
        .await?;
    let rows = value
        .as_array()
        .ok_or_else(|| Error::contract(format!("the inspector's rows read as {value}")))?;
    let mut parsed = rows.iter().map(parse_row).collect::<Result<Vec<_>>>()?;
    parsed.reverse();
    Ok(parsed)
}

fn parse_row(row: &Value) -> Result<WireRow> {
    let text = |name: &str| row[name].as_str().unwrap_or_default().to_owned();
    let number = |name: &str| -> Result<u64> {
        text(name)
            .parse()
            .map_err(|_| Error::contract(format!("an inspector row has {name} {:?}: {row}", row[name])))
    };
    let incoming = match text("direction").as_str() {
        "in" => true,
        "out" => false,
        other => {
            return Err(Error::contract(format!(
                "an inspector row has direction {other:?}: {row}"
            )))
        }
    };
    Ok(WireRow {
        session: u32::try_from(number("session")?)
            .map_err(|_| Error::contract(format!("an inspector row has a huge session: {row}")))?,
        peer: text("peer"),
        incoming,
        generation: number("generation")?,
        last_generation: number("last_generation")?,
        count: number("count")?,
        polls: row["polls"].as_bool() == Some(true),
        kind: text("kind"),
        label: text("label"),
        reply_after: text("reply_after"),
    })
}

/// Each incoming request kind with the kinds of the host's replies to it (the outgoing message
/// on the next generation of the same session). "polled + question" counts as "polled", and a
/// folded run of polls as polls answered by "polled".
fn request_reply_pairs(rows: &[WireRow]) -> BTreeMap<String, BTreeSet<String>> {
    let mut pairs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if rows.iter().any(|r| r.polls) {
        pairs.entry("poll".into()).or_default().insert("polled".into());
    }
    for request in rows.iter().filter(|r| r.incoming && !r.polls && !r.label.is_empty()) {
        let reply = rows
            .iter()
            .find(|r| !r.incoming && r.session == request.session && r.generation == request.generation + 1);
        if let Some(reply) = reply.filter(|r| !r.label.is_empty()) {
            let kind = reply.label.split(" + ").next().unwrap_or_default().to_owned();
            pairs.entry(request.label.clone()).or_default().insert(kind);
        }
    }
    pairs
}

/// The highest generation the inspector lists for `session`.
fn last_generation(rows: &[WireRow], session: u32) -> u64 {
    rows.iter()
        .filter(|r| r.session == session)
        .map(|r| r.last_generation)
        .max()
        .unwrap_or_default()
}

/// On the host: the current session's number, from `#connection-detail`.
async fn current_session(w: &World) -> Result<u32> {
    let detail = w
        .wait_for("#connection-detail", "\"session N with Eos\"", |text| {
            text.starts_with("session ") && text.ends_with(" with Eos")
        })
        .await?;
    detail
        .trim_start_matches("session ")
        .trim_end_matches(" with Eos")
        .parse()
        .map_err(|_| Error::contract(format!("#connection-detail shows {detail:?}")))
}
