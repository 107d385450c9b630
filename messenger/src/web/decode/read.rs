//! Reading scalars out of JavaScript: strings copied into wasm, numbers as `JSON.stringify`
//! would write them, object keys as serde sees them.

use super::*;

pub(super) fn decode_failed(message: &str) -> Error {
    Error::DecodeFailed(message.to_owned())
}

/// Strings at least this long are copied into wasm with one `TextEncoder.encodeInto`; shorter
/// ones through wasm-bindgen, whose JavaScript copies ASCII a character at a time (for a few
/// characters cheaper than the native call, for 64 KB about 2.5 times slower).
pub(super) const NATIVE_COPY_FROM: usize = 256;

/// `string` (of `units` UTF-16 code units) as Rust text, a lone surrogate as U+FFFD.
pub(super) fn copy_string(string: &JsString, units: usize) -> String {
    if units < NATIVE_COPY_FROM {
        return string.as_string().unwrap_or_default();
    }
    // At most three UTF-8 bytes per UTF-16 code unit (four for the two of a pair).
    let mut bytes: Vec<u8> = Vec::with_capacity(units.saturating_mul(3));
    let written = UTF8.with(|encoder| {
        // SAFETY: the view covers exactly the vector's allocation, and nothing allocates in
        // wasm (which could move the vector or grow the memory and detach the view) until
        // `encodeInto` has returned.
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(bytes.as_mut_ptr(), bytes.capacity()) };
        encoder.encode_into(string, &view).written() as usize
    });
    // SAFETY: `encodeInto` wrote `written` bytes from the start, at most the view's length.
    unsafe { bytes.set_len(written.min(bytes.capacity())) };
    bytes.shrink_to_fit();
    // SAFETY: `encodeInto` writes UTF-8 (a lone surrogate as U+FFFD): wasm-bindgen's own
    // string passing, which `as_string` uses, relies on the same call the same way.
    unsafe { String::from_utf8_unchecked(bytes) }
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `TextEncoder`.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    /// `encodeInto(source, destination)`: `source` as UTF-8 into `destination`.
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Utf8Encoder, source: &JsString, destination: &js_sys::Uint8Array) -> Encoded;

    /// What `encodeInto` did.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> f64;
}

thread_local! {
    static UTF8: Utf8Encoder = Utf8Encoder::new();
}

#[wasm_bindgen]
extern "C" {
    /// `String(number)`: JavaScript's text of a number, the one `JSON.stringify` writes.
    #[wasm_bindgen(js_name = String)]
    pub(super) fn number_text(number: f64) -> String;
}

thread_local! {
    /// `Object.prototype` of this realm, which every received plain object has.
    pub(super) static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}

/// `number` as `serde_json` would read `JSON.stringify`'s text of it, and that text's length.
pub(super) fn read_number(number: f64) -> (Number, usize) {
    let magnitude = number.abs();
    let integral = number.fract() == 0.0;
    if integral && magnitude <= MAX_SAFE_INTEGER as f64 {
        let whole = magnitude as u64;
        let read = match number < 0.0 && whole != 0 {
            true => Number::I(-(whole as i64)),
            false => Number::U(whole),
        };
        return (read, json_integer_len(whole, number < 0.0));
    }
    // JavaScript's own text: beyond 2^53 an integer is written as the shortest digits that
    // round-trip, padded with zeros (2^60 is 1152921504606847000), from 1e21 on with an exponent.
    let text = number_text(number);
    let read = match integral && magnitude < 1e21 {
        true => integer_text(&text).unwrap_or(Number::F(number)),
        false => Number::F(number),
    };
    (read, text.len())
}

/// An integer literal as `serde_json` reads it: `u64`, else `i64`, else (beyond both) `None`.
pub(super) fn integer_text(text: &str) -> Option<Number> {
    match text.strip_prefix('-') {
        Some(digits) => {
            let magnitude: u64 = digits.parse().ok()?;
            match magnitude {
                0 => Some(Number::F(-0.0)),
                m if m <= 1 << 63 => Some(Number::I((m as i64).wrapping_neg())),
                _ => None,
            }
        }
        None => text.parse().ok().map(Number::U),
    }
}

/// A member's key read as a number, as `serde_json` reads a map's numeric keys (`{"1": …}` into
/// a `HashMap<u32, _>`): the whole key must be a JSON number.
pub(super) fn number_key(text: &str) -> Option<Number> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |text: &str| text.bytes().take_while(u8::is_ascii_digit).count();
    let integer = digits(unsigned);
    if integer == 0 || (integer > 1 && unsigned.starts_with('0')) {
        return None;
    }
    let mut rest = &unsigned[integer..];
    if rest.is_empty() {
        return integer_text(text).or_else(|| text.parse().ok().map(Number::F));
    }
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = digits(fraction);
        if count == 0 {
            return None;
        }
        rest = &fraction[count..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let count = digits(exponent);
        if count == 0 {
            return None;
        }
        rest = &exponent[count..];
    }
    match rest.is_empty() {
        true => text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Number::F),
        false => None,
    }
}

/// Whether a key is a JSON integer literal (what serde_json reads into an `i128` or `u128`).
pub(super) fn integer_key(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !(digits.len() > 1 && digits.starts_with('0'))
}

/// A number's text read as an `f32` (correctly rounded from the text, as serde_json's
/// `float_roundtrip` reads it; an `f32` cannot hold every finite `f64`).
pub(super) fn single<'de, V: Visitor<'de>>(text: &str, visitor: V) -> Result<V::Value, Stop> {
    match text.parse::<f32>() {
        Ok(number) if number.is_finite() => visitor.visit_f64(number.into()),
        _ => Err(type_error("number out of range")),
    }
}

/// A number into an `i128` or `u128`: its integer text parsed by `parse` (`None` when out of
/// range), a number with a fraction or an exponent refused.
pub(super) fn wide<'de, V: Visitor<'de>>(
    read: Number,
    number: f64,
    visitor: V,
    parse: impl FnOnce(&str, V) -> Option<Result<V::Value, Stop>>,
) -> Result<V::Value, Stop> {
    match read {
        Number::U(n) => visitor.visit_u64(n),
        Number::I(n) => visitor.visit_i64(n),
        Number::F(_) if number.fract() == 0.0 && number.abs() < 1e21 => {
            parse(&number_text(number), visitor).unwrap_or_else(|| Err(type_error("number out of range")))
        }
        Number::F(_) => Err(de::Error::invalid_type(read.unexpected(), &visitor)),
    }
}
