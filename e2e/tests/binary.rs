//! End-to-end tests of issue 24 in the demo: Eos sends the host a file the user picks (WebDriver
//! types the fixture's path into Eos's `<input type=file>`), its bytes a transferred
//! `messenger::JsBytes` all the way to the host's `Blob`; the host shows a picture as an `<img>`
//! from a `blob:` URL and any other file as a row with a download link; files up to 8 MiB
//! (`shared_proto::MAX_FILE_BYTES`, the host's `Limits::max_binary_bytes`).
//!
//! The bytes are checked through the SHA-256 each app shows (Eos's of the file it sent, the
//! host's of the bytes it kept, both by `crypto.subtle.digest`) against the fixture's, computed
//! here: the host's Content-Security-Policy has no `connect-src`, so a `fetch` of a `blob:` URL
//! is refused in the page, and the apps must not need more than they use.
//!
//! Run with `./test.sh e2e` (not part of plain `cargo test`: `test = false`).
//!
//! The DOM the tests rely on, beyond `demo.rs`'s: in Eos, `#file-sender` with `#file-limit`,
//! `#file-input`, `#send-file`, `#file-refused`, `#file-status` and `#file-sha256[data-sha256]`, the drawing's canvas
//! `#sketch` (160 × 90) with `#send-drawing`; on the host,
//! `#files li.file[data-id][data-size][data-type]` (newest first) with `img.file-image` (a
//! picture), `span.file-name`, `span.file-meta`, `span.file-sha256[data-sha256]`,
//! `a.file-download[href][download]` and `button.remove-file`, and
//! `#files-total`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use std::time::Duration;

use e2e::{Error, Probe, Result, World};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::Locator;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The iframe that shows Eos on the host page.
const FRAME: &str = "#remote-frame";
/// The host's notes on a first run, in Eos's list.
const FIRST_RUN_NOTES: &[&str] = &["Welcome to Phosphorescence", "Groceries"];
/// The headers tests' probe of policy violations, on each app's origin.
const CSP_PROBE: &str = "/fixtures/csp-probe.js";
/// The limit as Eos shows it beside its picker.
const LIMIT_WORDS: &str = "The host takes files up to 8 MiB.";

/// A fixture's path (WebDriver types it into the file input; the browser runs on this machine).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// The SHA-256 of `bytes` in lowercase hex, as the apps show it.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::io(format!("reading {}", path.display()), source))
}

/// A file of 9 MiB (over the limit) in a fresh temporary directory, kept while the guard lives.
fn oversized_file() -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir().map_err(|source| Error::io("making a temporary directory", source))?;
    let path = dir.path().join("holiday.txt");
    std::fs::write(&path, vec![b'x'; 9 << 20]).map_err(|source| Error::io("writing the 9 MiB file", source))?;
    Ok((dir, path))
}

#[tokio::test]
async fn binary_a_picture_and_a_file_from_eos_are_shown_and_kept_by_the_host() -> Result<()> {
    World::run(
        "binary_a_picture_and_a_file_from_eos_are_shown_and_kept_by_the_host",
        async |w| {
            // The headers tests' probe counts the policy violations in the host during the flow.
            w.host_server()?.inject_script(CSP_PROBE);
            open_demo(w).await?;
            let png = fixture("binary-sky.png");
            let png_bytes = read(&png)?;
            let png_sha256 = sha256_hex(&png_bytes);
            in_eos(w, async |w| {
                w.wait_for_text("#file-limit", LIMIT_WORDS).await?;
                pick(w, &png).await?;
                w.wait_for_enabled("#send-file").await?;
                w.click("#send-file").await?;
                w.wait_for_text(
                    "#file-status",
                    &format!("The host kept “binary-sky.png” ({} bytes).", png_bytes.len()),
                )
                .await?;
                // Eos's digest of the bytes it sent, computed before the send detached them.
                w.wait_for_attribute("#file-sha256", "data-sha256", &png_sha256).await?;
                w.wait_for_text("#file-sha256", &format!("Sent: SHA-256 {}…", &png_sha256[..12]))
                    .await
            })
            .await?;

            // The host shows the picture from a blob: URL over the very bytes Eos read.
            let first = r#"#files li.file[data-id="1"]"#;
            w.wait_for_count("#files li.file", 1).await?;
            w.wait_for_attribute(first, "data-type", "image/png").await?;
            w.wait_for_attribute(first, "data-size", &png_bytes.len().to_string())
                .await?;
            let image = format!("{first} img.file-image");
            let size = w
                .wait_until("the picture from Eos to be drawn", async |w| {
                    let size = w
                        .evaluate(
                            "const img = document.querySelector(arguments[0]);
                             return img && img.complete && img.naturalWidth > 0
                                 ? [img.naturalWidth, img.naturalHeight] : null;",
                            vec![json!(image)],
                        )
                        .await?;
                    Ok(match size {
                        Value::Null => Probe::NotYet("no image drawn yet".into()),
                        size => Probe::Ready(size),
                    })
                })
                .await?;
            if size != json!([3, 2]) {
                return Err(Error::contract(format!(
                    "the picture is {size} pixels, expected the fixture's [3, 2]"
                )));
            }
            let src = w.attribute(&image, "src").await?.unwrap_or_default();
            if !src.starts_with("blob:") {
                return Err(Error::contract(format!(
                    "the picture's src is {src:?}, expected a blob: URL"
                )));
            }
            // The host's digest of the bytes it kept is the fixture's, in full and in the text.
            expect_digest(w, first, &png_sha256).await?;
            w.wait_for(&format!("{first} .file-meta"), "the row to show image/png", |meta| {
                meta.contains("image/png")
            })
            .await?;
            w.screenshot("host-picture-from-eos").await?;

            // Any other file: a row with its name, type, size and a download link, no picture.
            let text = fixture("binary-notes.txt");
            let text_bytes = read(&text)?;
            let text_sha256 = sha256_hex(&text_bytes);
            in_eos(w, async |w| {
                pick(w, &text).await?;
                w.wait_for_enabled("#send-file").await?;
                w.click("#send-file").await?;
                w.wait_for_text(
                    "#file-status",
                    &format!("The host kept “binary-notes.txt” ({} bytes).", text_bytes.len()),
                )
                .await?;
                w.wait_for_attribute("#file-sha256", "data-sha256", &text_sha256).await
            })
            .await?;
            let second = r#"#files li.file[data-id="2"]"#;
            w.wait_for_count("#files li.file", 2).await?;
            w.wait_for_attribute(second, "data-type", "text/plain").await?;
            w.wait_for_count(&format!("{second} img"), 0).await?;
            w.wait_for_text(&format!("{second} .file-name"), "binary-notes.txt")
                .await?;
            let link = format!("{second} a.file-download");
            w.wait_for_attribute(&link, "download", "binary-notes.txt").await?;
            let href = w.attribute(&link, "href").await?.unwrap_or_default();
            if !href.starts_with("blob:") {
                return Err(Error::contract(format!(
                    "the download link is {href:?}, expected a blob: URL"
                )));
            }
            expect_digest(w, second, &text_sha256).await?;
            w.wait_for(&format!("{second} .file-meta"), "the row to show text/plain", |meta| {
                meta.contains("text/plain")
            })
            .await?;
            // Newest first.
            w.wait_for_texts("#files li.file .file-name", &["binary-notes.txt", "binary-sky.png"])
                .await?;
            w.wait_for_text("#files-total", "2 received").await?;

            // The inspector labels the exchange with the request's and the reply's kinds.
            w.wait_until("send_file and file_kept in the inspector", async |w| {
                let labels = w.texts("#wire-log tbody tr.wire-row td.label").await?.join(" | ");
                Ok(if labels.contains("send_file") && labels.contains("file_kept") {
                    Probe::Ready(())
                } else {
                    Probe::NotYet(labels)
                })
            })
            .await?;

            // Removing the picture revokes its URL: its bytes are no longer reachable. A fresh
            // image with the same src loads before the removal and fails after it.
            let loaded = image_outcome(w, &src).await?;
            if loaded != "load" {
                return Err(Error::contract(format!(
                    "an image of the kept picture's URL gave {loaded:?}, expected \"load\""
                )));
            }
            w.click(&format!("{first} button.remove-file")).await?;
            w.wait_for_count("#files li.file", 1).await?;
            w.wait_until("the removed picture's blob: URL to be revoked", async |w| {
                Ok(match image_outcome(w, &src).await?.as_str() {
                    "error" => Probe::Ready(()),
                    other => Probe::NotYet(format!("an image of it still gives {other:?}")),
                })
            })
            .await?;
            // Nothing in the flow needed more than the host's policy allows.
            let found = host_violations(w).await?;
            if !found.is_empty() {
                return Err(Error::contract(format!("the host reported violations: {found:?}")));
            }
            // The session went on through all of it.
            w.wait_for_text("#connection-state", "connected").await?;
            w.screenshot_element(FRAME, "eos-after-two-files").await?;
            Ok(())
        },
    )
    .await
}

#[tokio::test]
async fn binary_a_drawing_made_with_the_pointer_in_eos_is_shown_by_the_host() -> Result<()> {
    World::run(
        "binary_a_drawing_made_with_the_pointer_in_eos_is_shown_by_the_host",
        async |w| {
            open_demo(w).await?;
            let eos_sha256 = in_eos(w, async |w| {
                w.evaluate(
                    "document.querySelector('#sketch').scrollIntoView({ block: 'nearest' });",
                    vec![],
                )
                .await?;
                let canvas = w
                    .client()
                    .find(Locator::Css("#sketch"))
                    .await
                    .map_err(|error| Error::contract(format!("finding #sketch: {error}")))?;
                // A V across the canvas (offsets from its centre), pressed all the way.
                let stroke = |x: f64, y: f64, ms: u64| PointerAction::MoveToElement {
                    element: canvas.clone(),
                    duration: Some(Duration::from_millis(ms)),
                    x,
                    y,
                };
                let pen = MouseActions::new("pen".into())
                    .then(stroke(-60.0, -30.0, 0))
                    .then(PointerAction::Down {
                        button: MOUSE_BUTTON_LEFT,
                    })
                    .then(stroke(0.0, 30.0, 150))
                    .then(stroke(60.0, -30.0, 150))
                    .then(PointerAction::Up {
                        button: MOUSE_BUTTON_LEFT,
                    });
                w.client()
                    .perform_actions(pen)
                    .await
                    .map_err(|error| Error::contract(format!("drawing on #sketch: {error}")))?;
                w.wait_for_enabled("#send-drawing").await?;
                w.click("#send-drawing").await?;
                w.wait_for("#file-status", "the host keeping drawing.png", |status| {
                    status.starts_with("The host kept “drawing.png” (")
                })
                .await?;
                // The digest Eos computed of the PNG before sending it.
                let sha256 = w.attribute("#file-sha256", "data-sha256").await?.unwrap_or_default();
                if sha256.len() != 64 {
                    return Err(Error::contract(format!(
                        "Eos shows the SHA-256 {sha256:?}, expected 64 hex digits"
                    )));
                }
                Ok(sha256)
            })
            .await?;
            let image = r#"#files li.file[data-id="1"] img.file-image"#;
            w.wait_for_attribute(r#"#files li.file[data-id="1"]"#, "data-type", "image/png")
                .await?;
            // The host received the very bytes Eos drew: the same digest.
            expect_digest(w, r#"#files li.file[data-id="1"]"#, &eos_sha256).await?;
            // The picture is the canvas's size, and the stroke is in it: its pixels, drawn onto
            // a canvas of the host's, are partly painted (a V of 4 px about 270 px long).
            let found = w
                .wait_until("the drawing to be shown", async |w| {
                    let found = w
                        .evaluate(
                            "const img = document.querySelector(arguments[0]);
                             if (!img || !img.complete || img.naturalWidth == 0) return null;
                             const canvas = document.createElement('canvas');
                             canvas.width = img.naturalWidth;
                             canvas.height = img.naturalHeight;
                             const context = canvas.getContext('2d');
                             context.drawImage(img, 0, 0);
                             const alpha = context.getImageData(0, 0, canvas.width, canvas.height).data;
                             let painted = 0;
                             for (let i = 3; i < alpha.length; i += 4) if (alpha[i] > 0) painted++;
                             return [img.naturalWidth, img.naturalHeight, painted];",
                            vec![json!(image)],
                        )
                        .await?;
                    Ok(match found {
                        Value::Null => Probe::NotYet("no drawing shown yet".into()),
                        found => Probe::Ready(found),
                    })
                })
                .await?;
            let painted = found[2].as_u64().unwrap_or(0);
            if found[0] != 160 || found[1] != 90 || !(300..160 * 90 / 2).contains(&painted) {
                return Err(Error::contract(format!(
                    "the drawing is [width, height, painted pixels] {found}, expected 160 × 90 with 300 to 7200 \
                     painted"
                )));
            }
            eprintln!(
                "{}: the drawing from Eos is shown at {} × {}, {painted} pixels painted",
                w.config().engine,
                found[0],
                found[1]
            );
            w.screenshot("host-drawing-from-eos").await?;
            Ok(())
        },
    )
    .await
}

#[tokio::test]
async fn binary_a_file_over_the_limit_is_refused_by_eos_before_sending() -> Result<()> {
    World::run(
        "binary_a_file_over_the_limit_is_refused_by_eos_before_sending",
        async |w| {
            let (_dir, big) = oversized_file()?;
            open_demo(w).await?;
            in_eos(w, async |w| {
                w.wait_for_text("#file-limit", LIMIT_WORDS).await?;
                pick(w, &big).await?;
                let refused = w
                    .wait_for("#file-refused", "Eos refusing the 9 MiB file", |text| !text.is_empty())
                    .await?;
                let expected_end = "9 MiB) is too large: the host takes files up to 8 MiB. It was not sent.";
                if !refused.starts_with("“holiday.txt” (") || !refused.ends_with(expected_end) {
                    return Err(Error::contract(format!(
                        "Eos says {refused:?}, expected “holiday.txt” (…, 9 MiB) is too large…"
                    )));
                }
                let disabled = w.property("#send-file", "disabled").await?;
                if disabled.as_deref() != Some("true") {
                    return Err(Error::contract(format!(
                        "the Send button's disabled is {disabled:?} with a file over the limit"
                    )));
                }
                Ok(())
            })
            .await?;
            w.screenshot_element(FRAME, "eos-refuses-a-large-file").await?;
            // Nothing reached the host, and the session goes on.
            w.wait_for_count("#files li.file", 0).await?;
            w.wait_for_text("#connection-state", "connected").await
        },
    )
    .await
}

/// An Eos that skips its own check (an e2e build's `?unchecked-files=1`) sends the 9 MiB file:
/// the host's messenger refuses it from its `byteLength`, unread (`BinaryTooLarge`), ends the
/// session and says so in plain words; Eos hears the close notice (`refused`).
#[tokio::test]
async fn binary_a_file_over_the_limit_that_reaches_the_host_is_refused_unread() -> Result<()> {
    World::run(
        "binary_a_file_over_the_limit_that_reaches_the_host_is_refused_unread",
        async |w| {
            let (_dir, big) = oversized_file()?;
            w.goto(&w.host_url()).await?;
            w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
            let unchecked = format!("{}?unchecked-files=1", w.remote_url());
            w.evaluate(
                "document.querySelector(arguments[0]).src = arguments[1];",
                vec![json!(FRAME), json!(unchecked)],
            )
            .await?;
            w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
            in_eos(w, async |w| {
                eos_ready(w).await?;
                pick(w, &big).await?;
                w.wait_for("#file-refused", "Eos's own refusal, shown", |text| !text.is_empty())
                    .await?;
                // This build was told to skip the check: the button stays enabled.
                w.wait_for_enabled("#send-file").await?;
                w.click("#send-file").await?;
                w.wait_for_text("#connection-state", "closed").await?;
                w.wait_for_text(
                    "#connection-detail",
                    "The host refused a message from this page and closed the session.",
                )
                .await?;
                w.wait_for_text("#file-status", "The file was not kept: the session ended.")
                    .await
            })
            .await?;
            let words = "Eos sent a file of 9 MiB or more; this page takes files up to 8 MiB. The file was refused \
                         unread and the session was closed.";
            w.wait_for_text("#connection-state", "closed").await?;
            w.wait_for_text("#connection-detail", words).await?;
            w.wait_for_count("#files li.file", 0).await?;
            w.screenshot("host-refuses-a-large-file").await?;
            Ok(())
        },
    )
    .await
}

/// In Eos (the client inside its frame): types `path` into the file input.
async fn pick(w: &World, path: &Path) -> Result<()> {
    w.type_into("#file-input", &path.display().to_string()).await
}

/// The host's row `row` shows the SHA-256 `expected`: whole in `data-sha256` and the `title`, its
/// first 12 digits in the text.
async fn expect_digest(w: &World, row: &str, expected: &str) -> Result<()> {
    let digest = format!("{row} .file-sha256");
    w.wait_for_attribute(&digest, "data-sha256", expected).await?;
    w.wait_for_attribute(&digest, "title", &format!("SHA-256 {expected}"))
        .await?;
    w.wait_for_text(&digest, &format!("SHA-256 {}…", &expected[..12])).await
}

/// What a fresh `Image` with `src` fires in the page: `load`, or `error` (a revoked `blob:` URL).
/// The host's `img-src blob:` allows it, where a `fetch` would break its `connect-src`.
///
/// Each probe adds a fragment of its own to the URL: a `blob:` URL resolves without its fragment
/// (the File API), but Firefox's image cache is keyed by the whole URL and answers a revoked URL
/// it has drawn before with the cached picture (`load`); a new fragment misses that cache.
async fn image_outcome(w: &World, src: &str) -> Result<String> {
    let script = "const done = arguments[arguments.length - 1];
        const image = new Image();
        image.onload = () => done('load');
        image.onerror = () => done('error');
        image.src = arguments[0] + '#probe-' + Math.random().toString(36).slice(2);";
    let outcome = w
        .client()
        .execute_async(script, vec![json!(src)])
        .await
        .map_err(|error| Error::contract(format!("loading {src} as an image in the page: {error}")))?;
    Ok(outcome.as_str().unwrap_or_default().to_string())
}

/// The probe's record of the host page's policy violations, without its two controls (see
/// `e2e/tests/headers.rs`, which checks them); an error when the probe is not there.
async fn host_violations(w: &World) -> Result<Vec<Value>> {
    let found = w
        .evaluate("return window.__csp ? window.__csp.violations : null;", vec![])
        .await?;
    let Value::Array(found) = found else {
        return Err(Error::contract(format!(
            "the probe is not in the host (it found {found})"
        )));
    };
    let control = |violation: &Value| {
        violation["directive"] == json!("require-trusted-types-for")
            && ["Function|", "Element innerHTML|"].iter().any(|sample| {
                violation["sample"]
                    .as_str()
                    .is_some_and(|text| text.starts_with(sample))
            })
    };
    Ok(found.into_iter().filter(|violation| !control(violation)).collect())
}

async fn in_eos<T>(w: &World, body: impl AsyncFnOnce(&World) -> Result<T>) -> Result<T> {
    w.in_frame(FRAME, body).await
}

/// Opens the host page and waits until both apps are connected and Eos is ready.
async fn open_demo(w: &World) -> Result<()> {
    w.goto(&w.host_url()).await?;
    w.wait_for_text("#connection-state", "connected").await?;
    in_eos(w, async |w| eos_ready(w).await).await
}

/// In Eos: connected, welcomed, listing the first-run notes.
async fn eos_ready(w: &World) -> Result<()> {
    w.wait_for_text("#connection-state", "connected").await?;
    w.wait_for_text("#last-reply", "hello from Phosphorescence").await?;
    w.wait_for_texts("#notes button.note", FIRST_RUN_NOTES).await?;
    w.wait_for_enabled("#file-input").await
}
