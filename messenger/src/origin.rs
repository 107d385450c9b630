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
    #[error("not a serialised origin: {0:?}")]
    Malformed(String),
}

impl Origin {
    /// Parses and normalises `input`; see [`OriginError`] for what is refused.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        let malformed = || OriginError::Malformed(input.to_owned());
        match input {
            "*" => return Err(OriginError::Wildcard),
            "null" => return Err(OriginError::Opaque),
            _ => {}
        }
        let (scheme, rest) = input.split_once("://").ok_or_else(malformed)?;
        let scheme = scheme.to_ascii_lowercase();
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok || rest.is_empty() {
            return Err(malformed());
        }
        let (host, port) = split_host_port(rest).ok_or_else(malformed)?;
        let host = host.to_ascii_lowercase();
        let host_ok = if let Some(inner) = host.strip_prefix('[') {
            // An IPv6 literal: hex digits, colons and dots (for an embedded IPv4) only.
            inner.strip_suffix(']').is_some_and(|addr| {
                !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            })
        } else {
            // Browsers serialise internationalised hosts as punycode, so ASCII is all we accept.
            !host.is_empty()
                && host
                    .split('.')
                    .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        };
        if !host_ok {
            return Err(malformed());
        }
        let port = match port {
            None => None,
            Some(digits) => {
                let number: u16 = (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
                    .then(|| digits.parse().ok())
                    .flatten()
                    .ok_or_else(malformed)?;
                let default = match scheme.as_str() {
                    "http" | "ws" => Some(80),
                    "https" | "wss" => Some(443),
                    _ => None,
                };
                (default != Some(number)).then_some(number)
            }
        };
        Ok(Origin(match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }))
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

/// Splits `host[:port]`, refusing anything with a path, query, fragment or user info.
fn split_host_port(rest: &str) -> Option<(&str, Option<&str>)> {
    if rest.contains(['/', '?', '#', '@', '\\', ' ']) {
        return None;
    }
    if rest.starts_with('[') {
        let close = rest.find(']')?;
        let (host, after) = rest.split_at(close + 1);
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    match rest.split_once(':') {
        Some((host, port)) => Some((host, Some(port))),
        None => Some((rest, None)),
    }
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
