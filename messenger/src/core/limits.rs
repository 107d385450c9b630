//! Bounds on incoming payloads, checked on their JSON text before any decoding.

use crate::Error;

/// Size and nesting limits for incoming payloads.
///
/// Checked before a payload is decoded: a peer must not be able to make this side allocate
/// without bound or overflow the stack with deeply nested input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted payload, in bytes of its JSON text.
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (a scalar has depth 0, `[]` depth 1).
    pub max_depth: usize,
}

impl Default for Limits {
    /// 1 MiB and 32 levels: generous for application messages, far below what hurts.
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 20,
            max_depth: 32,
        }
    }
}

/// Checks a payload's JSON text against `limits` in one pass without parsing it.
///
/// Depth counts `[` and `{` outside string literals, so it is exact for valid JSON and
/// conservative for anything else (which the decoder then rejects).
pub fn check_json(text: impl AsRef<[u8]>, limits: &Limits) -> Result<(), Error> {
    let text = text.as_ref();
    if text.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    // Fast path: nesting can never exceed the number of opening brackets.
    let openers = text.iter().filter(|byte| matches!(byte, b'[' | b'{')).count();
    if openers <= limits.max_depth {
        return Ok(());
    }
    let mut depth = 0usize;
    for (_, byte) in outside_strings(text) {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(Error::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The bytes of JSON text that are not inside a string literal, with their offsets.
fn outside_strings(text: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let (mut in_string, mut escaped) = (false, false);
    text.iter().copied().enumerate().filter(move |&(_, byte)| {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            return false;
        }
        in_string = byte == b'"';
        !in_string
    })
}

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Refuses JSON text with an integer literal that a JavaScript number cannot hold exactly.
///
/// Payloads become plain JavaScript values on the wire, where every number is an `f64`: 2^53 + 1
/// would silently arrive as 2^53. Sending it is refused instead ([`Error::EncodeFailed`]).
pub fn check_safe_integers(text: &str) -> Result<(), Error> {
    // Fast path: every integer beyond MAX_SAFE_INTEGER has at least 16 digits in a row.
    let mut run = 0;
    let long_digit_run = text.bytes().any(|byte| {
        run = if byte.is_ascii_digit() { run + 1 } else { 0 };
        run >= 16
    });
    if !long_digit_run {
        return Ok(());
    }
    let check = |token: &str| {
        let integer = !token.contains(['.', 'e', 'E']);
        // A literal with more digits than u64 holds is out of range as well.
        let unsafe_integer = integer
            && token
                .trim_start_matches('-')
                .parse::<u64>()
                .map_or(true, |n| n > MAX_SAFE_INTEGER);
        match unsafe_integer {
            true => Err(Error::EncodeFailed(format!(
                "integer {token} is beyond what a JavaScript number holds exactly"
            ))),
            false => Ok(()),
        }
    };
    let mut number_start = None;
    let mut last = 0;
    for (index, byte) in outside_strings(text.as_bytes()) {
        let in_number = matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9');
        match (number_start, in_number) {
            (None, true) => number_start = Some(index),
            (Some(start), false) => {
                check(&text[start..index])?;
                number_start = None;
            }
            _ => {}
        }
        last = index + 1;
    }
    match number_start {
        Some(start) => check(&text[start..last]),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_bytes: 64,
        max_depth: 3,
    };

    #[test]
    fn accepts_payloads_within_limits() {
        for ok in [
            "1",
            "\"x\"",
            "[]",
            "[[[]]]",
            r#"{"a":{"b":[1]}}"#,
            r#"["[[[[", "\\\"[[["]"#,
        ] {
            assert_eq!(check_json(ok, &LIMITS), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_deep_nesting_before_parsing() {
        assert_eq!(check_json("[[[[]]]]", &LIMITS), Err(Error::TooDeep { limit: 3 }));
        assert_eq!(
            check_json(r#"{"a":{"b":{"c":{}}}}"#, &LIMITS),
            Err(Error::TooDeep { limit: 3 })
        );
        let bomb = "[".repeat(100_000);
        let limits = Limits {
            max_bytes: usize::MAX,
            max_depth: 32,
        };
        assert_eq!(check_json(&bomb, &limits), Err(Error::TooDeep { limit: 32 }));
    }

    #[test]
    fn refuses_integers_javascript_would_round() {
        for ok in [
            "0",
            "-1",
            "9007199254740991",
            "\"12345678901234567890\"",
            "[1.2345678901234567890]",
            "-9007199254740991",
            "1.5e300",
            "[1,2,{\"a\":-3}]",
            "\"99999999999999999999\"",
        ] {
            assert_eq!(check_safe_integers(ok), Ok(()), "{ok}");
        }
        for bad in [
            "9007199254740992",
            "-9007199254740993",
            "[1,18446744073709551615]",
            "{\"a\":123456789012345678901234}",
        ] {
            assert!(matches!(check_safe_integers(bad), Err(Error::EncodeFailed(_))), "{bad}");
        }
    }

    #[test]
    fn refuses_oversized_text() {
        let big = format!("\"{}\"", "x".repeat(100));
        assert_eq!(check_json(&big, &LIMITS), Err(Error::TooLarge { size: 102, limit: 64 }));
    }
}
