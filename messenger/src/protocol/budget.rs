//! The budget of an incoming payload (its JSON size and nesting), judged while the received
//! value is decoded, before anything of it is copied or expanded.
//!
//! The web layer decodes a payload in one walk over the received value (iterative where it
//! only measures, in the order `JSON.stringify` would write it) and reports to a [`Budget`] what
//! it meets. The budget counts two sizes of the value's JSON text:
//!
//! - a **lower bound**, known before a part is copied (a string's UTF-16 length, an array's
//!   smallest text `[0,0,…]`), refused as soon as it passes [`Limits::max_bytes`], together with
//!   the nesting against [`Limits::max_depth`]: so a 100,000-deep array is [`Error::TooDeep`]
//!   and a sparse array of length 2^26 or a 50 MB string is [`Error::TooLarge`] before anything
//!   of them exists on this side, in every engine;
//! - the **exact** size, the UTF-8 bytes of `JSON.stringify`'s text, counted once a part has
//!   been read ([`json_string_len`], [`json_integer_len`]). It is judged after the whole walk
//!   ([`Budget::check_exact`]): the lower bound may still pass further on, and the first limit
//!   passed in document order is the one reported.

use super::{Limits, MAX_BINARY_BYTES, MAX_DEPTH};
use crate::Error;

/// The cost of a value's JSON text, counted during a walk in document order against [`Limits`].
///
/// The walk reports what it meets: [`Budget::open`] and [`Budget::close`] for arrays and objects
/// (two bytes for the brackets), [`Budget::add`] for the parts whose size it knows (`null`,
/// `true`, a comma), and for a part it must first read to know (a string, a number, a member's
/// key) [`Budget::add_at_least`] with a lower bound *before* reading it, then
/// [`Budget::add_exact`] with its exact size. [`Budget::reserve`] refuses a container whose
/// *smallest possible* text already does not fit, before a single element is visited: an array
/// of `n` elements is at least `2n + 1` bytes (`[0,0,…]`), which is how a sparse array, a few
/// bytes on the wire, is refused without walking its holes.
///
/// Refusals on the lower bound and the depth come at once; the exact size only says, through
/// [`Budget::exact_passed`], that the text will be too large, and [`Budget::check_exact`] refuses
/// it once the walk is over. For the parts reported both ways, the exact size is never below the
/// lower bound.
///
/// ```
/// use messenger::protocol::{Budget, Limits};
/// use messenger::Error;
/// let mut budget = Budget::new(Limits { max_bytes: 10, max_depth: 1, ..Limits::DEFAULT });
/// budget.open().unwrap(); // [
/// assert_eq!(budget.open(), Err(Error::TooDeep { limit: 1 })); // [[
/// budget.add_at_least(5).unwrap(); // a string of 3 code units...
/// budget.add_exact(9); // ...with three newlines: "\n\n\n"
/// assert!(budget.exact_passed());
/// budget.close();
/// assert_eq!(budget.check_exact(), Err(Error::TooLarge { size: 11, limit: 10 }));
/// let budget = Budget::new(Limits { max_bytes: 10, max_depth: 1, ..Limits::DEFAULT });
/// assert_eq!(budget.reserve(1 << 26), Err(Error::TooLarge { size: (1 << 27) + 1, limit: 10 }));
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    bytes: usize,
    exact: usize,
    depth: usize,
    binary: usize,
}

impl Budget {
    /// A budget for one payload.
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits: Limits {
                max_depth: limits.max_depth.min(MAX_DEPTH),
                max_binary_bytes: limits.max_binary_bytes.min(MAX_BINARY_BYTES),
                ..limits
            },
            bytes: 0,
            exact: 0,
            depth: 0,
            binary: 0,
        }
    }

    /// Bytes counted so far on the lower bound.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes counted so far exactly (for the parts reported so far, the text's exact size).
    pub fn exact_bytes(&self) -> usize {
        self.exact
    }

    /// Binary bytes counted so far.
    pub fn binary_bytes(&self) -> usize {
        self.binary
    }

    /// Counts a buffer of `bytes` bytes (its `byteLength`, before it is read): refuses once the
    /// payload's binary bytes pass [`Limits::max_binary_bytes`]. In the JSON text a buffer
    /// counts as `[]`, two bytes: its contents are not text.
    pub fn add_binary(&mut self, bytes: usize) -> Result<(), Error> {
        self.add(2)?;
        self.binary = self.binary.saturating_add(bytes);
        match self.binary > self.limits.max_binary_bytes {
            true => Err(Error::BinaryTooLarge {
                size: self.binary,
                limit: self.limits.max_binary_bytes,
            }),
            false => Ok(()),
        }
    }

    /// Nesting of the container being walked (0 at the top level).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Counts a part of `bytes` bytes, known exactly; refuses once the lower bound passes
    /// [`Limits::max_bytes`].
    pub fn add(&mut self, bytes: usize) -> Result<(), Error> {
        self.exact = self.exact.saturating_add(bytes);
        self.add_at_least(bytes)
    }

    /// Counts `bytes` on the lower bound only, for a part whose exact size [`Budget::add_exact`]
    /// reports once it has been read; refuses once the lower bound passes [`Limits::max_bytes`].
    pub fn add_at_least(&mut self, bytes: usize) -> Result<(), Error> {
        self.bytes = self.bytes.saturating_add(bytes);
        self.within_size(self.bytes)
    }

    /// Counts `bytes` on the exact size only: the size of the part last given to
    /// [`Budget::add_at_least`]. Never refuses (see [`Budget::exact_passed`]).
    pub fn add_exact(&mut self, bytes: usize) {
        self.exact = self.exact.saturating_add(bytes);
    }

    /// Whether the exact size counted so far passes [`Limits::max_bytes`]: the payload will be
    /// refused, so nothing more of it needs decoding.
    pub fn exact_passed(&self) -> bool {
        self.exact > self.limits.max_bytes
    }

    /// Refuses, once the walk is over, a text whose exact size passes [`Limits::max_bytes`].
    pub fn check_exact(&self) -> Result<(), Error> {
        self.within_size(self.exact)
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

/// The UTF-8 bytes of `JSON.stringify(text)`, quotes included, for a string without lone
/// surrogates (`JSON.stringify` writes each of those as a six-byte `\uXXXX`).
///
/// Escaped as `JSON.stringify` (and `serde_json`) escape: `"` and `\` and the controls `\b`
/// `\f` `\n` `\r` `\t` take two bytes, the other controls below U+0020 six (`\u001f`), and
/// everything else its UTF-8 bytes (U+2028, U+2029 and DEL are not escaped).
///
/// ```
/// use messenger::protocol::json_string_len;
/// assert_eq!(json_string_len("ab"), 4);
/// assert_eq!(json_string_len("\"\n\u{1}é"), 2 + 2 + 2 + 6 + 2);
/// ```
pub fn json_string_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut extra = 0usize;
    // Sixteen bytes at a time with one test (most text has nothing to escape, and a 64 KB
    // string is common): about twice as fast in wasm as eight bytes or one.
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        let (low, high) = block.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or([0; 8]));
        if (escapes(word(low)) | escapes(word(high))) & HIGHS != 0 {
            extra += block.iter().map(|&byte| escape_extra(byte)).sum::<usize>();
        }
    }
    extra += blocks.remainder().iter().map(|&byte| escape_extra(byte)).sum::<usize>();
    bytes.len().saturating_add(2).saturating_add(extra)
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// A mask with the high bit set in (at least) the first byte of `word` below U+0020, `"` or
/// `\\` and in none when there is none: the classic "has a zero byte" and "has a byte below n"
/// tests, exact as a yes or no.
fn escapes(word: u64) -> u64 {
    let quotes = word ^ (ONES * u64::from(b'"'));
    let backslashes = word ^ (ONES * u64::from(b'\\'));
    (word.wrapping_sub(ONES * 0x20) & !word)
        | (quotes.wrapping_sub(ONES) & !quotes)
        | (backslashes.wrapping_sub(ONES) & !backslashes)
}

/// The bytes an escape adds to `byte`'s one.
fn escape_extra(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | 0x08 | 0x0c | b'\n' | b'\r' | b'\t' => 1,
        0..=0x1f => 5,
        _ => 0,
    }
}

/// The bytes of the JSON text of the integer `-magnitude` (when `negative`) or `magnitude`:
/// its decimal digits and a minus sign (none for zero, as `JSON.stringify(-0)` is `0`).
///
/// ```
/// use messenger::protocol::json_integer_len;
/// assert_eq!(json_integer_len(0, true), 1);
/// assert_eq!(json_integer_len(9_007_199_254_740_991, true), 17);
/// ```
pub fn json_integer_len(magnitude: u64, negative: bool) -> usize {
    let mut digits = 1;
    let mut rest = magnitude / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    digits + usize::from(negative && magnitude != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MAX_SAFE_INTEGER;

    const LIMITS: Limits = Limits {
        max_bytes: 64,
        max_depth: 3,
        ..Limits::DEFAULT
    };

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
        // MAX_DEPTH is also serde_json's limit: a payload within it can be read as text.
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
    fn the_exact_size_is_judged_after_the_walk_and_the_lower_bound_at_once() {
        // 40 newlines: 42 bytes on the lower bound, 82 as text.
        let mut budget = Budget::new(LIMITS);
        budget.add_at_least(42).unwrap();
        budget.add_exact(82);
        assert!(budget.exact_passed());
        assert_eq!((budget.bytes(), budget.exact_bytes()), (42, 82));
        assert_eq!(budget.check_exact(), Err(Error::TooLarge { size: 82, limit: 64 }));
        // A lower bound passed later in the walk is what the walk reports.
        assert_eq!(budget.add_at_least(30), Err(Error::TooLarge { size: 72, limit: 64 }));
        // At the limit exactly is fine.
        let mut budget = Budget::new(LIMITS);
        budget.add(2).unwrap();
        budget.add_at_least(40).unwrap();
        budget.add_exact(62);
        assert!(!budget.exact_passed());
        assert_eq!(budget.check_exact(), Ok(()));
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
    fn string_sizes_are_those_of_json_text() {
        for (text, expected) in [
            ("", 2),
            ("x".repeat(100).as_str(), 102),
            ("\n".repeat(40).as_str(), 82),
            ("\"\\/", 2 + 2 + 2 + 1),
            ("\u{8}\u{c}\n\r\t", 2 + 5 * 2),
            ("\u{0}\u{1f}\u{7f}", 2 + 6 + 6 + 1),
            ("é€😀\u{2028}", 2 + 2 + 3 + 4 + 3),
            ("0123456\"", 2 + 7 + 2),
            ("01234567\"", 2 + 8 + 2),
        ] {
            assert_eq!(json_string_len(text), expected, "{text:?}");
        }
    }

    #[test]
    fn integer_sizes_are_those_of_json_text() {
        for (magnitude, negative, expected) in [
            (0, false, "0"),
            (0, true, "0"),
            (9, true, "-9"),
            (10, false, "10"),
            (MAX_SAFE_INTEGER, false, "9007199254740991"),
            (u64::MAX, true, "-18446744073709551615"),
        ] {
            assert_eq!(json_integer_len(magnitude, negative), expected.len(), "{expected}");
        }
    }

    /// Against serde_json, on any text (proptest builds natively only).
    #[cfg(not(target_arch = "wasm32"))]
    mod agree {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn string_sizes_agree_with_serde_json(text in any::<String>()) {
                // serde_json escapes exactly as JSON.stringify does (for text without lone surrogates).
                prop_assert_eq!(json_string_len(&text), serde_json::to_string(&text).unwrap().len());
            }

            #[test]
            fn string_sizes_agree_with_serde_json_on_escapes(
                bytes in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x21, Just(b'x')], 0..40)
            ) {
                let text: String = bytes.into_iter().map(char::from).collect();
                prop_assert_eq!(json_string_len(&text), serde_json::to_string(&text).unwrap().len());
            }

            #[test]
            fn integer_sizes_agree_with_their_digits(magnitude in any::<u64>(), negative in any::<bool>()) {
                let text = match negative && magnitude != 0 {
                    true => format!("-{magnitude}"),
                    false => magnitude.to_string(),
                };
                prop_assert_eq!(json_integer_len(magnitude, negative), text.len());
            }
        }
    }
}
