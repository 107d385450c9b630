//! The application protocol between **Eos** (the remote app in the iframe) and
//! **Phosphorescence** (the host page that owns the user's notes).
//!
//! Eos speaks first and asks; Phosphorescence answers in its handler loop. Types are named by
//! direction, as gloo-worker does: [`EosRequest`] travels Eos → host, [`PhosphorescenceReply`]
//! host → Eos, [`EosInterrupt`] and [`EosAnswer`] travel Eos → host on interrupt channels.
//!
//! Variants without data are written `Variant {}`: serde checks `deny_unknown_fields` on struct
//! variants of an internally tagged enum but not on unit variants.
//!
//! Every type denies unknown fields: the messenger's decoder hands serde every member of a
//! received object, so a peer that sends more than this protocol knows is refused instead of half-read.
//!
//! [`plain_words`] puts a messenger error in words for either page, naming the other.
//! [`check_reply`] refuses a reply of the wrong kind for its request, and [`check_answer`] an
//! answer to another question than its channel's: both apps refuse such a message at once.
//!
//! ```
//! use shared_proto::{EosRequest, PROTOCOL_VERSION};
//! let hello = EosRequest::Introduce {
//!     app: "Eos".into(),
//!     protocol_version: PROTOCOL_VERSION,
//!     greeting: "hello from Eos".into(),
//! };
//! let json = serde_json::to_string(&hello).unwrap();
//! assert_eq!(
//!     json,
//!     r#"{"kind":"introduce","app":"Eos","protocol_version":1,"greeting":"hello from Eos"}"#
//! );
//! ```
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

mod digest;
mod files;
mod kinds;
mod words;

pub use digest::{Sha256, SHORT_DIGEST_DIGITS};
pub use files::{
    limit_words, size_words, too_large_words, FileFault, FileInfo, FileUpload, MAX_FILE_BYTES, MAX_FILE_NAME_CHARS,
    MAX_FILE_TYPE_CHARS,
};

pub use kinds::{check_answer, check_reply, check_reply_to, ReplyKind, RequestKind, WrongAnswer, WrongReply};
pub use words::{plain_words, version_words, wrong_answer_words, wrong_reply_words, Side};

/// The version of this application protocol. Both apps check it at introduction; a mismatch is
/// shown to the user on both pages in [`version_words`], and the session ends: the host answers
/// [`Failure::VersionMismatch`] and serves nothing else, and Eos closes the session.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest accepted note title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest accepted note body, in characters.
pub const MAX_BODY_CHARS: usize = 2000;

/// Names a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub u64);

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A note as the host stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Its id.
    pub id: ItemId,
    /// Short title.
    pub title: String,
    /// Free text.
    pub body: String,
    /// Increases with every update; an update must name the revision it was based on.
    pub revision: u32,
}

/// A note in a listing (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSummary {
    /// Its id.
    pub id: ItemId,
    /// Short title.
    pub title: String,
    /// Current revision.
    pub revision: u32,
}

impl From<&Item> for ItemSummary {
    fn from(item: &Item) -> Self {
        ItemSummary {
            id: item.id,
            title: item.title.clone(),
            revision: item.revision,
        }
    }
}

/// The editable part of a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// Title: 1 to [`MAX_TITLE_CHARS`] characters, not only spaces.
    pub title: String,
    /// Body: at most [`MAX_BODY_CHARS`] characters.
    pub body: String,
}

impl Draft {
    /// Checks the draft; the host runs this on every create and update, Eos before sending.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.title.trim().is_empty() {
            errors.push(FieldError {
                field: Field::Title,
                problem: Problem::Empty,
            });
        }
        if self.title.chars().count() > MAX_TITLE_CHARS {
            errors.push(FieldError {
                field: Field::Title,
                problem: Problem::TooLong { max: MAX_TITLE_CHARS },
            });
        }
        if self.body.chars().count() > MAX_BODY_CHARS {
            errors.push(FieldError {
                field: Field::Body,
                problem: Problem::TooLong { max: MAX_BODY_CHARS },
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A field of a [`Draft`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// [`Draft::title`].
    Title,
    /// [`Draft::body`].
    Body,
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case", deny_unknown_fields)]
pub enum Problem {
    /// Empty or only white space.
    Empty,
    /// Longer than `max` characters.
    TooLong {
        /// The limit.
        max: usize,
    },
}

/// One validation failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldError {
    /// Which field.
    pub field: Field,
    /// What is wrong.
    pub problem: Problem,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = match self.field {
            Field::Title => "title",
            Field::Body => "body",
        };
        match self.problem {
            Problem::Empty => write!(f, "the {field} is empty"),
            Problem::TooLong { max } => write!(f, "the {field} is longer than {max} characters"),
        }
    }
}

/// What Eos asks of Phosphorescence (Eos → host, one per turn).
///
/// Not `Eq`: a [`FileUpload`]'s bytes compare by identity ([`messenger::JsBytes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EosRequest {
    /// The first message of every session: who is asking, and which protocol version it speaks.
    Introduce {
        /// The asking app's name.
        app: String,
        /// Its [`PROTOCOL_VERSION`].
        protocol_version: u32,
        /// A greeting shown by the host.
        greeting: String,
    },
    /// The summaries of all notes.
    ListItems {},
    /// One note in full.
    GetItem {
        /// Which.
        id: ItemId,
    },
    /// Create a note from a draft.
    CreateItem {
        /// The new note's content.
        draft: Draft,
    },
    /// Replace a note's content, if it is still at `revision`.
    UpdateItem {
        /// Which.
        id: ItemId,
        /// The revision the edit was based on.
        revision: u32,
        /// The new content.
        draft: Draft,
    },
    /// Delete a note, if it is still at `revision`.
    DeleteItem {
        /// Which.
        id: ItemId,
        /// The revision the user saw.
        revision: u32,
    },
    /// Nothing to ask: hands the turn to the host so it can pass on a pending question.
    Poll {},
    /// Give the host a file the user picked: it shows it (a picture as an image) and keeps it
    /// with the last few. A request rather than an interrupt: the user waits for the host to
    /// say it kept the file ([`PhosphorescenceReply::FileKept`]), and a file the host's
    /// messenger refuses (over [`MAX_FILE_BYTES`]) ends the session, as only an Eos that skipped
    /// its own check can send one.
    SendFile {
        /// The file, its bytes transferred.
        file: FileUpload,
    },
}

/// What the host offers, listed in its welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Reading notes.
    Read,
    /// Creating, updating and deleting notes.
    Write,
    /// Listening to [`EosInterrupt`]s.
    Actions,
    /// Asking the user [`Question`]s answered with an [`EosAnswer`].
    Questions,
}

/// A question the host asks the user through Eos, answered on a one-time interrupt channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Names the question, echoed in the answer.
    pub id: u64,
    /// What to show the user.
    pub prompt: String,
}

/// What the host answers (host → Eos, one per turn).
///
/// Interrupt channels ride along with replies: the one on a [`PhosphorescenceReply::Polled`]
/// with a question is the one-time channel for its [`EosAnswer`]; one on any other reply is a
/// fresh multi-use channel for [`EosInterrupt`]s that replaces the previous one. The host sends
/// one with its welcome, and again with its next reply whenever the previous one ended (the
/// messenger closes a channel on an interrupt that does not decode or on a flood of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PhosphorescenceReply {
    /// Answer to [`EosRequest::Introduce`]; a multi-use interrupt channel for [`EosInterrupt`]s
    /// rides along.
    Welcome {
        /// The host's name.
        host: String,
        /// The host's [`PROTOCOL_VERSION`].
        protocol_version: u32,
        /// A greeting shown by Eos.
        greeting: String,
        /// What the host offers.
        offers: Vec<Capability>,
    },
    /// Answer to [`EosRequest::ListItems`].
    Items {
        /// All notes, by id.
        items: Vec<ItemSummary>,
    },
    /// Answer to [`EosRequest::GetItem`], [`EosRequest::CreateItem`] and
    /// [`EosRequest::UpdateItem`]: the note as now stored.
    Item {
        /// The note.
        item: Item,
    },
    /// Answer to [`EosRequest::DeleteItem`].
    Deleted {
        /// The deleted note.
        id: ItemId,
    },
    /// Answer to [`EosRequest::Poll`]; with a question, a one-time interrupt channel for the
    /// [`EosAnswer`] rides along.
    Polled {
        /// A question for the user, if the host has one.
        question: Option<Question>,
    },
    /// Answer to [`EosRequest::SendFile`]: the host shows and keeps the file.
    FileKept {
        /// The file's name.
        name: String,
        /// Its size in bytes, as the host received it.
        size: usize,
    },
    /// The request failed; nothing changed.
    Failed {
        /// Why.
        failure: Failure,
    },
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum Failure {
    /// No note has this id.
    NotFound {
        /// The id asked for.
        id: ItemId,
    },
    /// The draft is invalid.
    Invalid {
        /// Every problem found.
        errors: Vec<FieldError>,
    },
    /// The note changed since the revision named in the request.
    Stale {
        /// The note as it is now.
        current: Item,
    },
    /// The two apps speak different protocol versions.
    VersionMismatch {
        /// The host's version.
        host: u32,
        /// The version Eos introduced itself with.
        eos: u32,
    },
    /// A request came before [`EosRequest::Introduce`].
    NotIntroduced {},
    /// The browser refused to store the change (its storage for the host is full); nothing was
    /// saved and the host's notes are as they were.
    StorageFull {},
    /// The host already keeps its most notes; a new one needs room first.
    TooManyNotes {
        /// The most notes the host keeps.
        limit: usize,
    },
    /// The notes' text (titles and bodies, in UTF-8 bytes) would pass what the host keeps.
    TooMuchText {
        /// The most bytes of note text the host keeps.
        limit: usize,
    },
    /// A file's name or type was refused ([`FileInfo::validate`]).
    InvalidFile {
        /// What is wrong.
        fault: FileFault,
    },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotFound { id } => write!(f, "note {id} does not exist"),
            Failure::Invalid { errors } => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "invalid note: {}", list.join("; "))
            }
            Failure::Stale { current } => {
                write!(
                    f,
                    "note {} changed meanwhile (now revision {})",
                    current.id, current.revision
                )
            }
            Failure::VersionMismatch { host, eos } => {
                write!(f, "protocol mismatch: host speaks v{host}, Eos speaks v{eos}")
            }
            Failure::NotIntroduced {} => write!(f, "Eos must introduce itself first"),
            Failure::StorageFull {} => write!(f, "the host's storage is full: the note was not saved"),
            Failure::TooManyNotes { limit } => {
                write!(f, "the host keeps at most {limit} notes: delete one to make room")
            }
            Failure::TooMuchText { limit } => write!(
                f,
                "the host keeps at most {limit} bytes of note text: shorten or delete a note to make room"
            ),
            Failure::InvalidFile { fault } => write!(f, "file refused: {fault}"),
        }
    }
}

/// What the user did inside Eos, reported on the multi-use interrupt channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum EosInterrupt {
    /// The user wants to share a note.
    Share {
        /// Which.
        id: ItemId,
    },
    /// The user pinned a note.
    Pin {
        /// Which.
        id: ItemId,
    },
    /// The user asks for the host's attention.
    AskForAttention {},
}

impl std::fmt::Display for EosInterrupt {
    /// The action in words, as both apps show it (`share #2`, `ask for attention`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EosInterrupt::Share { id } => write!(f, "share {id}"),
            EosInterrupt::Pin { id } => write!(f, "pin {id}"),
            EosInterrupt::AskForAttention {} => f.write_str("ask for attention"),
        }
    }
}

/// The user's answer to a [`Question`], on its one-time interrupt channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum EosAnswer {
    /// The user chose this note.
    Chose {
        /// The question answered.
        question: u64,
        /// The chosen note.
        id: ItemId,
    },
    /// The user declined to answer.
    Declined {
        /// The question answered.
        question: u64,
    },
}
