//! The SHA-256 of a file's bytes, as both apps show it: Eos for the file it is about to send,
//! the host for the file it kept, so a person sees that the same bytes arrived.
//!
//! The digest is computed by the browser (`crypto.subtle.digest`) over the `Uint8Array` itself:
//! the file's bytes never enter wasm, only the 32 bytes of the digest do.

use std::fmt;

use js_sys::{ArrayBuffer, Promise, Uint8Array};
use messenger::JsBytes;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How many hex digits of a digest the pages show in text; the whole digest is in the element's
/// `data-sha256` attribute and its `title`.
pub const SHORT_DIGEST_DIGITS: usize = 12;

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle.digest(algorithm, data)`: a promise of an `ArrayBuffer`. It throws where
    /// `crypto.subtle` is missing (a page that is not a secure context), hence `catch`.
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = digest, catch)]
    fn subtle_digest(algorithm: &str, data: &Uint8Array) -> Result<Promise, JsValue>;
}

/// A SHA-256 digest, kept as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha256(String);

impl Sha256 {
    /// The digest whose 32 bytes are `digest`, in hex.
    pub fn from_digest(digest: &[u8]) -> Sha256 {
        Sha256(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// The SHA-256 of `bytes`, computed by the browser in JavaScript; why not, in words (no
    /// `crypto.subtle` outside a secure context, or a detached buffer).
    pub async fn of(bytes: &JsBytes) -> Result<Sha256, String> {
        let words = |error: JsValue| error.as_string().unwrap_or_else(|| format!("{error:?}"));
        let promise = subtle_digest("SHA-256", bytes.as_uint8_array()).map_err(words)?;
        let digest = JsFuture::from(promise).await.map_err(words)?;
        let digest = digest
            .dyn_into::<ArrayBuffer>()
            .map_err(|other| format!("the digest is not an ArrayBuffer: {other:?}"))?;
        Ok(Sha256::from_digest(&Uint8Array::new(&digest).to_vec()))
    }

    /// The whole digest, 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.0
    }

    /// Its first [`SHORT_DIGEST_DIGITS`] hex digits, for the text of a row.
    pub fn short(&self) -> &str {
        // Hex digits are ASCII: any byte index is a character boundary.
        &self.0[..self.0.len().min(SHORT_DIGEST_DIGITS)]
    }
}

impl fmt::Display for Sha256 {
    /// `SHA-256 0123456789ab…`, the words a row shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHA-256 {}…", self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_a_digest_is_shown_in_hex_and_shortened_for_the_row() {
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        let abc = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03,
            0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
        ];
        let digest = Sha256::from_digest(&abc);
        assert_eq!(
            digest.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest.short(), "ba7816bf8f01");
        assert_eq!(digest.to_string(), "SHA-256 ba7816bf8f01…");
    }
}
