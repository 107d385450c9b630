//! The one remote origin a messenger may talk to, parsed and normalised once.

use std::fmt;

use thiserror::Error;

/// A serialised tuple origin such as `https://example.com` or `http://localhost:8081`.
///
/// Browsers report `MessageEvent.origin` in exactly this form (lowercase scheme and host, default
/// port omitted, no path), so after normalisation an incoming origin is checked by plain string
/// equality: no prefix, substring or pattern matching exists anywhere in this crate.
///
/// ```
/// use messenger::Origin;
/// let origin: Origin = "HTTP://LocalHost:80".parse().unwrap();
/// assert_eq!(origin.as_str(), "http://localhost");
/// assert!(origin.matches("http://localhost"));
/// assert!(!origin.matches("http://localhost.evil.test"));
/// assert!("*".parse::<Origin>().is_err());
/// assert!("null".parse::<Origin>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

/// Why a string was refused as an [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OriginError {
    /// `"*"` would let any page read what is sent.
    #[error("the wildcard origin \"*\" is refused")]
    Wildcard,
    /// `"null"` is what every opaque origin (sandboxed frame, `data:` URL, file) reports.
    #[error("the opaque origin \"null\" is refused")]
    Opaque,
    /// Not of the form `scheme://host[:port]`.
    #[error("not a serialised origin: {}", crate::error::Quoted(.0))]
    Malformed(String),
}

impl Origin {
    /// Parses and normalises `input`; see [`OriginError`] for what is refused.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        match input {
            "*" => Err(OriginError::Wildcard),
            "null" => Err(OriginError::Opaque),
            _ => normalised_tuple(input.as_bytes())
                .map(Origin)
                .ok_or_else(|| OriginError::Malformed(input.to_owned())),
        }
    }

    /// The normalised serialisation, as browsers report it in `MessageEvent.origin`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an origin reported by the browser is exactly this one.
    pub fn matches(&self, reported: &str) -> bool {
        self.0 == reported
    }
}

/// `scheme://host[:port]` with its scheme and host in lowercase and a default port left out, or
/// `None` when `input` is not of that form.
///
/// Only ASCII is accepted (browsers serialise internationalised hosts as punycode), so the input
/// is read as bytes, and every part is taken with `get`: nothing here can panic, and no string
/// searching or formatting machinery is needed.
fn normalised_tuple(input: &[u8]) -> Option<String> {
    let separator = input.windows(3).position(|window| window == b"://")?;
    let scheme = input.get(..separator)?;
    let rest = input.get(separator + 3..)?;
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    // A path, query, fragment or user info makes it a URL, not an origin.
    if !scheme_ok || rest.is_empty() || rest.iter().any(|c| b"/?#@\\ ".contains(c)) {
        return None;
    }
    let (host, port) = if rest.first() == Some(&b'[') {
        // An IPv6 literal: hex digits, colons and dots (for an embedded IPv4) only.
        let close = rest.iter().position(|&c| c == b']')?;
        let address = rest.get(1..close)?;
        if address.is_empty() || !address.iter().all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.') {
            return None;
        }
        let port = match rest.get(close + 1..)? {
            [] => None,
            [b':', digits @ ..] => Some(digits),
            _ => return None,
        };
        (rest.get(..=close)?, port)
    } else {
        let (host, port) = match rest.iter().position(|&c| c == b':') {
            Some(colon) => (rest.get(..colon)?, Some(rest.get(colon + 1..)?)),
            None => (rest, None),
        };
        let label_ok =
            |label: &[u8]| !label.is_empty() && label.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-');
        if host.is_empty() || !host.split(|&c| c == b'.').all(label_ok) {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Some(digits.iter().try_fold(0u16, |n, &digit| {
                n.checked_mul(10)?.checked_add(u16::from(digit - b'0'))
            })?)
        }
        Some(_) => return None,
    };
    // Every byte kept is ASCII (checked above), so each is its own `char`.
    let mut origin: String = scheme.iter().copied().map(char::from).collect();
    origin.make_ascii_lowercase();
    let default_port = match origin.as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    };
    origin.push_str("://");
    origin.extend(host.iter().map(|c| char::from(c.to_ascii_lowercase())));
    if let Some(port) = port.filter(|&port| Some(port) != default_port) {
        origin.push(':');
        origin.push_str(&port.to_string());
    }
    Some(origin)
}

impl std::str::FromStr for Origin {
    type Err = OriginError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse(s)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_default_ports() {
        assert_eq!(
            Origin::parse("HTTPS://Example.COM:443").unwrap().as_str(),
            "https://example.com"
        );
        assert_eq!(
            Origin::parse("http://localhost:8081").unwrap().as_str(),
            "http://localhost:8081"
        );
        assert_eq!(Origin::parse("http://[::1]:80").unwrap().as_str(), "http://[::1]");
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
        // Leading zeros are the same port (browsers drop them), the default one included.
        assert_eq!(Origin::parse("http://a:0080").unwrap().as_str(), "http://a");
        assert_eq!(Origin::parse("http://a:008080").unwrap().as_str(), "http://a:8080");
        assert_eq!(Origin::parse("WSS://A-B.c:443").unwrap().as_str(), "wss://a-b.c");
        assert_eq!(Origin::parse("ftp://a:21").unwrap().as_str(), "ftp://a:21");
        assert_eq!(
            Origin::parse("http://[::FFFF:1.2.3.4]:8").unwrap().as_str(),
            "http://[::ffff:1.2.3.4]:8"
        );
    }

    #[test]
    fn refuses_wildcard_opaque_and_non_origins() {
        assert_eq!(Origin::parse("*"), Err(OriginError::Wildcard));
        assert_eq!(Origin::parse("null"), Err(OriginError::Opaque));
        for bad in [
            "",
            "localhost:8080",
            "http://",
            "http://a/",
            "http://a/path",
            "http://a?q",
            "http://a#f",
            "http://user@a",
            "http://a:",
            "http://a:99999",
            "http://a:8o",
            "http://a..b",
            "1http://a",
            "http://exämple.com",
            "http://[zz]",
            "http://[::1]x",
            "http://a b",
            "http://[::1]:",
            "http://[]",
            "http://[::1",
            "http://a:65536",
            "http://a:1:2",
            "http://.a",
            "http://a.",
            "://a",
            "h_p://a",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn matching_is_exact() {
        let origin = Origin::parse("http://localhost:8080").unwrap();
        assert!(origin.matches("http://localhost:8080"));
        for other in [
            "http://localhost:80800",
            "http://localhost:808",
            "https://localhost:8080",
            "http://localhost:8080/",
            "http://evil.localhost:8080",
            "HTTP://localhost:8080",
        ] {
            assert!(!origin.matches(other), "{other:?} matched");
        }
    }
}
