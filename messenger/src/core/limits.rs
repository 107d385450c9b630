//! Bounds on incoming payloads, judged before anything is turned into text or decoded.
//!
//! Two checks, in this order:
//!
//! 1. [`Budget`] accounts for a walk over the *received value* (the web layer's walk, iterative,
//!    in document order): it refuses as soon as the nesting passes [`Limits::max_depth`] or a
//!    lower bound of the JSON text's size passes [`Limits::max_bytes`]. Nothing engine-specific
//!    has run yet, so a 100,000-deep array is [`Error::TooDeep`] in every engine (Firefox's
//!    `JSON.stringify` would throw "too much recursion" on it, and a size check on the text would
//!    make WebKit say `TooLarge`), and a sparse array of length 2^26 or a 50 MB string is
//!    [`Error::TooLarge`] before its text exists.
//! 2. [`check_json`] measures the exact text the value became, which the walk's lower bound let
//!    through (an escaped or non-ASCII string is longer as text than it is long).

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
    ///
    /// At most [`MAX_DEPTH`]: the decoder (`serde_json`) goes no deeper, and a larger limit
    /// counts as [`MAX_DEPTH`] (so [`Error::TooDeep`] then names [`MAX_DEPTH`]). That keeps every
    /// payload that passes the limits within what every engine's `JSON.stringify` can write.
    pub max_depth: usize,
    /// Most interrupts one multi-use channel may hold that arrived and were not yet taken by the
    /// application. One more closes the channel with [`Error::Overloaded`]; the session and the
    /// other channels go on.
    pub max_pending_interrupts: usize,
    /// Most interrupts one channel may deliver within one second (counted in windows of one
    /// second from the first interrupt of each). One more closes the channel with
    /// [`Error::Overloaded`].
    pub max_interrupts_per_second: u32,
    /// Most sends this side may queue while it waits for its turn. One more is refused with
    /// [`Error::Overloaded`], the value handed back: a peer that stops answering cannot make this
    /// side buffer without end.
    pub max_queued_sends: usize,
}

/// The deepest nesting any [`Limits`] admits: what `serde_json` decodes (its recursion limit
/// refuses the 128th level).
pub const MAX_DEPTH: usize = 127;

impl Limits {
    /// The defaults, usable in `const` items (`Limits { max_bytes: 64, ..Limits::DEFAULT }`):
    /// 1 MiB and 32 levels per payload; per interrupt channel 1,000 waiting and 1,000 a second;
    /// 1,000 queued sends. Generous for an interactive application (a person clicks a few times a
    /// second; a pointer reports 60–120 times), and a flood passes every one of them at once.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 1 << 20,
        max_depth: 32,
        max_pending_interrupts: 1_000,
        max_interrupts_per_second: 1_000,
        max_queued_sends: 1_000,
    };
}

impl Default for Limits {
    /// [`Limits::DEFAULT`].
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The cost of a value's JSON text, counted during a walk in document order against [`Limits`].
///
/// The walk reports what it meets: [`Budget::open`] and [`Budget::close`] for arrays and objects
/// (two bytes for the brackets), [`Budget::add`] for everything else it knows a lower bound of
/// (a scalar's text, a comma, a member's quoted key and colon). [`Budget::reserve`] refuses a
/// container whose *smallest possible* text already does not fit, before a single element is
/// visited: an array of `n` elements is at least `2n + 1` bytes (`[0,0,…]`), which is how a sparse
/// array, a few bytes on the wire, is refused without walking its holes.
///
/// ```
/// use messenger::core::{Budget, Limits};
/// use messenger::Error;
/// let mut budget = Budget::new(Limits { max_bytes: 10, max_depth: 1, ..Limits::DEFAULT });
/// budget.open().unwrap(); // [
/// assert_eq!(budget.open(), Err(Error::TooDeep { limit: 1 })); // [[
/// let mut budget = Budget::new(Limits { max_bytes: 10, max_depth: 1, ..Limits::DEFAULT });
/// assert_eq!(budget.reserve(1 << 26), Err(Error::TooLarge { size: (1 << 27) + 1, limit: 10 }));
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    bytes: usize,
    depth: usize,
}

impl Budget {
    /// A budget for one payload.
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits: Limits {
                max_depth: limits.max_depth.min(MAX_DEPTH),
                ..limits
            },
            bytes: 0,
            depth: 0,
        }
    }

    /// Bytes counted so far (a lower bound of the text's size).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Nesting of the container being walked (0 at the top level).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Counts `bytes` more of the text; refuses once the total passes [`Limits::max_bytes`].
    pub fn add(&mut self, bytes: usize) -> Result<(), Error> {
        self.bytes = self.bytes.saturating_add(bytes);
        self.within_size(self.bytes)
    }

    /// Refuses an array of `elements` elements whose smallest text (`[0,0,…]`) cannot fit,
    /// counting nothing; called before [`Budget::open`], so `[]` is part of the bound.
    pub fn reserve(&self, elements: usize) -> Result<(), Error> {
        let smallest = match elements {
            0 => 2,
            n => n.saturating_mul(2).saturating_add(1),
        };
        self.within_size(self.bytes.saturating_add(smallest))
    }

    /// Enters an array or object: one level deeper, two bytes for its brackets.
    pub fn open(&mut self) -> Result<(), Error> {
        if self.depth >= self.limits.max_depth {
            return Err(Error::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.depth += 1;
        self.add(2)
    }

    /// Leaves the innermost array or object.
    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn within_size(&self, size: usize) -> Result<(), Error> {
        match size > self.limits.max_bytes {
            true => Err(Error::TooLarge {
                size,
                limit: self.limits.max_bytes,
            }),
            false => Ok(()),
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
        ..Limits::DEFAULT
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
            ..Limits::DEFAULT
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
    fn budget_refuses_depth_as_soon_as_it_is_passed() {
        let mut budget = Budget::new(LIMITS);
        for _ in 0..3 {
            budget.open().unwrap();
        }
        assert_eq!(budget.open(), Err(Error::TooDeep { limit: 3 }));
        assert_eq!(budget.depth(), 3, "a refused level is not entered");
        budget.close();
        budget.open().unwrap();
    }

    #[test]
    fn depth_beyond_what_the_decoder_reads_counts_as_max_depth() {
        let nested = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_DEPTH)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_DEPTH + 1)).is_err());
        let mut budget = Budget::new(Limits {
            max_bytes: usize::MAX,
            max_depth: 100_000,
            ..Limits::DEFAULT
        });
        for _ in 0..MAX_DEPTH {
            budget.open().unwrap();
        }
        assert_eq!(budget.open(), Err(Error::TooDeep { limit: MAX_DEPTH }));
    }

    #[test]
    fn budget_counts_bytes_and_reports_the_total_that_passed_the_limit() {
        let mut budget = Budget::new(LIMITS);
        budget.add(60).unwrap();
        budget.add(4).unwrap();
        assert_eq!(budget.bytes(), 64, "exactly at the limit is fine");
        assert_eq!(budget.add(1), Err(Error::TooLarge { size: 65, limit: 64 }));
        let mut budget = Budget::new(LIMITS);
        assert_eq!(
            budget.add(usize::MAX).and_then(|()| budget.add(usize::MAX)),
            Err(Error::TooLarge {
                size: usize::MAX,
                limit: 64
            }),
            "saturates instead of overflowing"
        );
    }

    #[test]
    fn budget_reserves_the_smallest_text_of_an_array_before_walking_it() {
        let budget = Budget::new(LIMITS);
        // [0,0,...,0]: 31 elements are 63 bytes, 32 are 65.
        assert_eq!(budget.reserve(31), Ok(()));
        assert_eq!(budget.reserve(32), Err(Error::TooLarge { size: 65, limit: 64 }));
        assert_eq!(budget.reserve(0), Ok(()));
        // A sparse array's length is all it takes: no element is visited.
        assert_eq!(
            budget.reserve(1 << 26),
            Err(Error::TooLarge {
                size: (1 << 27) + 1,
                limit: 64
            })
        );
        assert_eq!(budget.bytes(), 0, "reserving counts nothing");
    }

    #[test]
    fn refuses_oversized_text() {
        let big = format!("\"{}\"", "x".repeat(100));
        assert_eq!(check_json(&big, &LIMITS), Err(Error::TooLarge { size: 102, limit: 64 }));
    }
}
