//! What kind of buffer a value is: detached, shared. The decoder judges received bytes by it,
//! the encoder and [`JsBytes`](crate::JsBytes) the bytes they send.

use js_sys::{ArrayBuffer, JsString};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// An `ArrayBuffer`, for what `js-sys` does not bind.
    #[wasm_bindgen(extends = js_sys::Object)]
    type Buffer;
    /// `buffer.detached`: `undefined` in an engine without it.
    #[wasm_bindgen(method, getter)]
    fn detached(this: &Buffer) -> JsValue;
    /// `buffer.slice(0, 0)`, which throws on a detached buffer.
    #[wasm_bindgen(method, catch, js_name = slice)]
    fn try_slice(this: &Buffer, begin: u32, end: u32) -> Result<JsValue, JsValue>;
}

/// Whether `buffer` is detached. Only an empty buffer can be: `detached` where the engine has it,
/// else whether `slice` throws.
pub(crate) fn is_detached(buffer: &ArrayBuffer) -> bool {
    if buffer.byte_length() != 0 {
        return false;
    }
    let buffer: &Buffer = buffer.unchecked_ref();
    match buffer.detached().as_bool() {
        Some(detached) => detached,
        None => buffer.try_slice(0, 0).is_err(),
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.prototype.toString`, called on a value: `"[object SharedArrayBuffer]"` for a
    /// shared buffer, also where the page may not name `SharedArrayBuffer` (not cross-origin
    /// isolated) but holds one (a shared `WebAssembly.Memory`'s).
    #[wasm_bindgen(js_namespace = ["Object", "prototype", "toString"], js_name = call)]
    fn object_tag(value: &JsValue) -> JsString;
}

/// Whether `value` is a `SharedArrayBuffer`.
pub(crate) fn is_shared_buffer(value: &JsValue) -> bool {
    object_tag(value) == "[object SharedArrayBuffer]"
}
