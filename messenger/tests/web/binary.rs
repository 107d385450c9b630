//! Bytes as transferred buffers: round trips, what a JavaScript peer may send, and refusals.

use messenger::{Error, JsBytes};
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct File {
    name: String,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    bytes: JsBytes,
}

#[wasm_bindgen_test]
async fn binary_smoke_round_trip_of_bytes_and_js_bytes() {
    let first = File {
        name: "a".into(),
        bytes: (0..=255u8).collect(),
    };
    let pair = connect_pair::<File, File>(page_config(), page_config(), first.clone()).await;
    assert_eq!(pair.knocker_first.message, first);
    let reply = File {
        name: "b".into(),
        bytes: vec![7; 1 << 20],
    };
    let got = within(STEP, "reply", async {
        let sending = pair.knocker.send(reply.clone());
        let got = pair.listener_pending.await.expect("listener receives");
        drop(sending);
        got
    })
    .await;
    assert_eq!(got.message, reply);
    let _ = Error::Closed;
    let _ = Kept {
        bytes: JsBytes::copy_from(&[1, 2, 3]),
    };
}

#[wasm_bindgen_test]
async fn binary_smoke_js_bytes_detached_after_send() {
    let first = Kept {
        bytes: JsBytes::copy_from(&[1, 2, 3]),
    };
    let kept = first.bytes.clone();
    let pair = connect_pair::<Kept, Kept>(page_config(), page_config(), first).await;
    assert_eq!(pair.knocker_first.message.bytes.to_vec(), vec![1, 2, 3]);
    assert!(kept.is_detached(), "the sender's buffer is detached after the post");
    assert_eq!(kept.len(), 0);
}
