//! A file's bytes as a `blob:` URL for an `<img>` or a download link, made from the received
//! `JsBytes` without copying them into wasm, and revoked when the last copy is dropped.
//!
//! The page's Content Security Policy must allow `img-src blob:` for the pictures.

use std::fmt;

use gloo_file::ObjectUrl;
use js_sys::Array;
use shared_proto::FileUpload;
use wasm_bindgen::JsValue;
use web_sys::{Blob, BlobPropertyBag};

/// A `blob:` URL over one received file; clones share it, and the last one dropped revokes it
/// (gloo-file's [`ObjectUrl`]).
#[derive(Clone)]
pub struct BlobUrl(ObjectUrl);

impl BlobUrl {
    /// A `Blob` of `file`'s bytes with its MIME type, and a URL for it. The `Blob` is made from
    /// the received `Uint8Array` in JavaScript: the bytes never enter wasm memory.
    pub fn of(file: &FileUpload) -> Result<BlobUrl, JsValue> {
        let parts = Array::of1(file.bytes.as_uint8_array());
        let options = BlobPropertyBag::new();
        options.set_type(&file.mime);
        let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
        Ok(BlobUrl(ObjectUrl::from(blob)))
    }

    /// The URL (`blob:http://…/…`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for BlobUrl {
    /// The same URL (and so the same bytes).
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for BlobUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BlobUrl").field(&self.as_str()).finish()
    }
}
