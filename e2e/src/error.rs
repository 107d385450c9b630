//! The harness's one error type: what went wrong, plus notes gathered on the way out.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong in an end-to-end test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An environment variable has a value the harness cannot use.
    #[error("environment variable {name}={value:?} {problem}")]
    Config {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A folder the test serves does not exist or has no `index.html`.
    #[error("{what} not found at {path}: {hint}")]
    MissingFiles {
        /// What the folder should hold.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// How to produce it.
        hint: &'static str,
    },
    /// A static server could not bind its port.
    #[error("cannot serve the {role} origin on 127.0.0.1:{port}: {source} (another server on that port? choose another with {env_var})")]
    Bind {
        /// Which origin the server was for.
        role: &'static str,
        /// The port.
        port: u16,
        /// The variable that sets the port.
        env_var: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The WebDriver server could not be started or did not come up.
    #[error("the {engine} WebDriver server at {path} {problem}")]
    Driver {
        /// The engine it is for.
        engine: crate::Engine,
        /// The binary.
        path: PathBuf,
        /// What happened.
        problem: String,
    },
    /// The WebDriver session could not be created.
    #[error("cannot open a {engine} session: {source}")]
    Session {
        /// The engine.
        engine: crate::Engine,
        /// The cause.
        source: fantoccini::error::NewSessionError,
    },
    /// A WebDriver command failed.
    #[error("webdriver command failed while {doing}: {source}")]
    WebDriver {
        /// What the harness was doing.
        doing: String,
        /// The cause.
        source: fantoccini::error::CmdError,
    },
    /// A page never reached the expected state.
    #[error(
        "timed out after {waited:.1?} waiting in {context} for {selector} to show {expected}; last seen: {last_seen}"
    )]
    Timeout {
        /// The page (and frame) looked at.
        context: String,
        /// The CSS selector.
        selector: String,
        /// The expected text, or a description of it.
        expected: String,
        /// The last thing seen (a text, or that the element was missing).
        last_seen: String,
        /// How long the harness waited.
        waited: Duration,
    },
    /// A page never reached a state that [`World::wait_until`](crate::World::wait_until)
    /// waited for.
    #[error("timed out after {waited:.1?} waiting in {context} until {expected}; last seen: {last_seen}")]
    ConditionTimeout {
        /// The page (and frame) looked at.
        context: String,
        /// The awaited state, in words.
        expected: String,
        /// What the last look saw instead.
        last_seen: String,
        /// How long the harness waited.
        waited: Duration,
    },
    /// The page reached a state that breaks the contract the test checks.
    #[error("{0}")]
    Contract(String),
    /// A local file operation failed.
    #[error("{doing}: {source}")]
    Io {
        /// What the harness was doing.
        doing: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The test body panicked.
    #[error("test body panicked: {0}")]
    Panicked(String),
    /// The whole test ran out of time.
    #[error("the test did not finish within {0:?}")]
    TestTimeout(Duration),
}

/// An [`ErrorKind`] plus notes (screenshot path, browser console, server request logs)
/// collected while the world was torn down.
///
/// `Debug` prints the same as `Display`, because that is what the test runner shows for a
/// test that returned `Err`.
pub struct Error {
    /// Boxed: some variants are large and every `Result` of the harness carries this.
    kind: Box<ErrorKind>,
    notes: Vec<String>,
}

/// Result of harness operations and of the end-to-end tests.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// A contract violation with the given message.
    pub fn contract(message: impl Into<String>) -> Self {
        ErrorKind::Contract(message.into()).into()
    }

    /// Adds a note shown below the error.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub(crate) fn webdriver(doing: impl Into<String>, source: fantoccini::error::CmdError) -> Self {
        ErrorKind::WebDriver {
            doing: doing.into(),
            source,
        }
        .into()
    }

    /// An I/O failure while `doing` something.
    pub fn io(doing: impl Into<String>, source: std::io::Error) -> Self {
        ErrorKind::Io {
            doing: doing.into(),
            source,
        }
        .into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error {
            kind: Box::new(kind),
            notes: Vec::new(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        for note in &self.notes {
            write!(f, "\n\n{note}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.kind)
    }
}
