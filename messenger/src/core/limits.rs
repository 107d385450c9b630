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
        Limits { max_bytes: 1 << 20, max_depth: 32 }
    }
}

/// Checks a payload's JSON text against `limits` in one pass without parsing it.
///
/// Depth counts `[` and `{` outside string literals, so it is exact for valid JSON and
/// conservative for anything else (which the decoder then rejects).
pub fn check_json(text: &str, limits: &Limits) -> Result<(), Error> {
    if text.len() > limits.max_bytes {
        return Err(Error::TooLarge { size: text.len(), limit: limits.max_bytes });
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(Error::TooDeep { limit: limits.max_depth });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_bytes: 64, max_depth: 3 };

    #[test]
    fn accepts_payloads_within_limits() {
        for ok in ["1", "\"x\"", "[]", "[[[]]]", r#"{"a":{"b":[1]}}"#, r#"["[[[[", "\\\"[[["]"#] {
            assert_eq!(check_json(ok, &LIMITS), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_deep_nesting_before_parsing() {
        assert_eq!(check_json("[[[[]]]]", &LIMITS), Err(Error::TooDeep { limit: 3 }));
        assert_eq!(check_json(r#"{"a":{"b":{"c":{}}}}"#, &LIMITS), Err(Error::TooDeep { limit: 3 }));
        let bomb = "[".repeat(100_000);
        let limits = Limits { max_bytes: usize::MAX, max_depth: 32 };
        assert_eq!(check_json(&bomb, &limits), Err(Error::TooDeep { limit: 32 }));
    }

    #[test]
    fn refuses_oversized_text() {
        let big = format!("\"{}\"", "x".repeat(100));
        assert_eq!(check_json(&big, &LIMITS), Err(Error::TooLarge { size: 102, limit: 64 }));
    }
}
