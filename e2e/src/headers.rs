//! The security headers the demo apps are served with, read from each app's `Trunk.toml`
//! (its `[serve.headers]` table): one source for `trunk serve` and for the e2e servers.
//!
//! `Trunk.toml` names the peer's origin as the apps are built by default ([`DEFAULT_HOST_ORIGIN`],
//! [`DEFAULT_REMOTE_ORIGIN`], serve.sh's defaults); the servers put the origins the apps were
//! built for in their place, as serve.sh does for `trunk serve`.

use std::path::Path;

use crate::{Error, Result};

/// The host's origin when nothing else is chosen (serve.sh's `HOST_ORIGIN`, remote-app's
/// `EOS_HOST_ORIGIN` default), as `Trunk.toml`'s headers name it.
pub const DEFAULT_HOST_ORIGIN: &str = "http://localhost:8080";

/// Eos's origin when nothing else is chosen (serve.sh's `REMOTE_ORIGIN`, host-app's
/// `PHOS_REMOTE_ORIGIN` default), as `Trunk.toml`'s headers name it.
pub const DEFAULT_REMOTE_ORIGIN: &str = "http://localhost:8081";

/// One app's security headers: name and value, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityHeaders(Vec<(String, String)>);

impl SecurityHeaders {
    /// Reads the `[serve.headers]` table of the `Trunk.toml` at `path`, with each default origin
    /// of `origins` (`(default, actual)`) replaced by its actual origin.
    pub fn read(path: &Path, origins: &[(&str, &str)]) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::io(format!("reading {}", path.display()), source))?;
        Self::parse(&text, origins).map_err(|problem| Error::contract(format!("{}: {problem}", path.display())))
    }

    /// [`SecurityHeaders::read`] of a `Trunk.toml`'s text.
    pub fn parse(text: &str, origins: &[(&str, &str)]) -> std::result::Result<Self, String> {
        let config: toml::Table = text.parse().map_err(|error| format!("not TOML: {error}"))?;
        let headers = config
            .get("serve")
            .and_then(|serve| serve.get("headers"))
            .and_then(toml::Value::as_table)
            .ok_or("it has no [serve.headers] table")?;
        headers
            .iter()
            .map(|(name, value)| match value.as_str() {
                Some(value) => Ok((name.clone(), replace_origins(value, origins))),
                None => Err(format!("the header {name} is not a string")),
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(SecurityHeaders)
    }

    /// The value of the header `name` (any case), if there is one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `text` with every origin `from` of `origins` replaced by its `to`, in one pass (so an actual
/// origin that happens to be another default is left alone). An origin followed by a digit is a
/// longer port (`http://localhost:80801`), not the origin.
fn replace_origins(text: &str, origins: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(first) = rest.chars().next() {
        for (from, to) in origins {
            if let Some(after) = rest.strip_prefix(from) {
                if !after.starts_with(|c: char| c.is_ascii_digit()) {
                    out.push_str(to);
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(first);
        rest = &rest[first.len_utf8()..];
    }
    out
}

/// The directive `name` of a Content-Security-Policy, with its sources
/// (`frame-src https://a.example`), if the policy has it.
pub fn csp_directive<'a>(policy: &'a str, name: &str) -> Option<Vec<&'a str>> {
    policy.split(';').find_map(|directive| {
        let mut words = directive.split_whitespace();
        (words.next()?.eq_ignore_ascii_case(name)).then(|| words.collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_TOML: &str = r#"
[serve]
port = 8080

[serve.headers]
"Content-Security-Policy" = """\
  default-src 'self'; \
  frame-src http://localhost:8081; \
  frame-ancestors 'none'"""
"X-Content-Type-Options" = "nosniff"
"#;

    #[test]
    fn reads_the_headers_and_puts_the_actual_origins_in() {
        let headers = SecurityHeaders::parse(TRUNK_TOML, &[(DEFAULT_REMOTE_ORIGIN, "http://localhost:18081")])
            .expect("the table is read");
        assert_eq!(headers.len(), 2);
        let policy = headers.get("content-security-policy").expect("a CSP");
        assert_eq!(
            policy,
            "default-src 'self'; frame-src http://localhost:18081; frame-ancestors 'none'"
        );
        assert_eq!(csp_directive(policy, "frame-src"), Some(vec!["http://localhost:18081"]));
        assert_eq!(csp_directive(policy, "script-src"), None);
        assert_eq!(headers.get("X-Content-Type-Options"), Some("nosniff"));
    }

    #[test]
    fn origins_are_swapped_in_one_pass_and_only_whole() {
        let origins = [
            (DEFAULT_HOST_ORIGIN, DEFAULT_REMOTE_ORIGIN),
            (DEFAULT_REMOTE_ORIGIN, DEFAULT_HOST_ORIGIN),
        ];
        assert_eq!(
            replace_origins(
                "a http://localhost:8080; b http://localhost:8081 c http://localhost:80801",
                &origins
            ),
            "a http://localhost:8081; b http://localhost:8080 c http://localhost:80801"
        );
    }

    #[test]
    fn a_file_without_headers_is_an_error() {
        assert!(SecurityHeaders::parse("[serve]\nport = 1\n", &[]).is_err());
        assert!(SecurityHeaders::parse("[serve.headers]\nX = 1\n", &[]).is_err());
    }

    #[test]
    fn the_apps_files_name_the_default_origins() {
        let root = crate::config::workspace_root();
        let host = SecurityHeaders::read(&root.join("host-app/Trunk.toml"), &[]).expect("host-app's headers");
        let policy = host.get("Content-Security-Policy").expect("a CSP");
        assert_eq!(csp_directive(policy, "frame-src"), Some(vec![DEFAULT_REMOTE_ORIGIN]));
        let remote = SecurityHeaders::read(&root.join("remote-app/Trunk.toml"), &[]).expect("remote-app's headers");
        let policy = remote.get("Content-Security-Policy").expect("a CSP");
        assert_eq!(
            csp_directive(policy, "frame-ancestors"),
            Some(vec![DEFAULT_HOST_ORIGIN])
        );
    }
}
