//! Which reply answers which request: the typed check both apps use, so a reply of the wrong kind
//! is refused the moment it arrives instead of being taken for something it is not.
//!
//! Found when a host answered Eos's `introduce` with an `items` reply carrying an interrupt port:
//! Eos went on, asked for the list, and only reported that the host stopped answering after its
//! reply timeout. Every request has a short list of replies that answer it ([`RequestKind::answered_by`]);
//! [`check_reply`] refuses anything else, naming both kinds, and so does [`check_answer`] for an
//! answer to another question than the one its channel was made for.

use std::fmt;

use crate::{EosAnswer, EosRequest, PhosphorescenceReply};

/// The kind of an [`EosRequest`]: its `kind` tag on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// [`EosRequest::Introduce`].
    Introduce,
    /// [`EosRequest::ListItems`].
    ListItems,
    /// [`EosRequest::GetItem`].
    GetItem,
    /// [`EosRequest::CreateItem`].
    CreateItem,
    /// [`EosRequest::UpdateItem`].
    UpdateItem,
    /// [`EosRequest::DeleteItem`].
    DeleteItem,
    /// [`EosRequest::Poll`].
    Poll,
    /// [`EosRequest::SendFile`].
    SendFile,
}

/// The kind of a [`PhosphorescenceReply`]: its `kind` tag on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// [`PhosphorescenceReply::Welcome`].
    Welcome,
    /// [`PhosphorescenceReply::Items`].
    Items,
    /// [`PhosphorescenceReply::Item`].
    Item,
    /// [`PhosphorescenceReply::Deleted`].
    Deleted,
    /// [`PhosphorescenceReply::Polled`].
    Polled,
    /// [`PhosphorescenceReply::FileKept`].
    FileKept,
    /// [`PhosphorescenceReply::Failed`].
    Failed,
}

impl RequestKind {
    /// Every request kind.
    pub const ALL: [RequestKind; 8] = [
        RequestKind::Introduce,
        RequestKind::ListItems,
        RequestKind::GetItem,
        RequestKind::CreateItem,
        RequestKind::UpdateItem,
        RequestKind::DeleteItem,
        RequestKind::Poll,
        RequestKind::SendFile,
    ];

    /// The kind of `request`.
    pub fn of(request: &EosRequest) -> RequestKind {
        match request {
            EosRequest::Introduce { .. } => RequestKind::Introduce,
            EosRequest::ListItems {} => RequestKind::ListItems,
            EosRequest::GetItem { .. } => RequestKind::GetItem,
            EosRequest::CreateItem { .. } => RequestKind::CreateItem,
            EosRequest::UpdateItem { .. } => RequestKind::UpdateItem,
            EosRequest::DeleteItem { .. } => RequestKind::DeleteItem,
            EosRequest::Poll {} => RequestKind::Poll,
            EosRequest::SendFile { .. } => RequestKind::SendFile,
        }
    }

    /// The `kind` tag on the wire (`list_items`).
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Introduce => "introduce",
            RequestKind::ListItems => "list_items",
            RequestKind::GetItem => "get_item",
            RequestKind::CreateItem => "create_item",
            RequestKind::UpdateItem => "update_item",
            RequestKind::DeleteItem => "delete_item",
            RequestKind::Poll => "poll",
            RequestKind::SendFile => "send_file",
        }
    }

    /// The reply kinds that answer this request: its own, and `failed` (every request can fail).
    pub fn answered_by(self) -> &'static [ReplyKind] {
        match self {
            RequestKind::Introduce => &[ReplyKind::Welcome, ReplyKind::Failed],
            RequestKind::ListItems => &[ReplyKind::Items, ReplyKind::Failed],
            // A read and both writes answer with the note as now stored.
            RequestKind::GetItem | RequestKind::CreateItem | RequestKind::UpdateItem => {
                &[ReplyKind::Item, ReplyKind::Failed]
            }
            RequestKind::DeleteItem => &[ReplyKind::Deleted, ReplyKind::Failed],
            RequestKind::Poll => &[ReplyKind::Polled, ReplyKind::Failed],
            RequestKind::SendFile => &[ReplyKind::FileKept, ReplyKind::Failed],
        }
    }
}

impl ReplyKind {
    /// Every reply kind.
    pub const ALL: [ReplyKind; 7] = [
        ReplyKind::Welcome,
        ReplyKind::Items,
        ReplyKind::Item,
        ReplyKind::Deleted,
        ReplyKind::Polled,
        ReplyKind::FileKept,
        ReplyKind::Failed,
    ];

    /// The kind of `reply`.
    pub fn of(reply: &PhosphorescenceReply) -> ReplyKind {
        match reply {
            PhosphorescenceReply::Welcome { .. } => ReplyKind::Welcome,
            PhosphorescenceReply::Items { .. } => ReplyKind::Items,
            PhosphorescenceReply::Item { .. } => ReplyKind::Item,
            PhosphorescenceReply::Deleted { .. } => ReplyKind::Deleted,
            PhosphorescenceReply::Polled { .. } => ReplyKind::Polled,
            PhosphorescenceReply::FileKept { .. } => ReplyKind::FileKept,
            PhosphorescenceReply::Failed { .. } => ReplyKind::Failed,
        }
    }

    /// The `kind` tag on the wire (`items`).
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::Welcome => "welcome",
            ReplyKind::Items => "items",
            ReplyKind::Item => "item",
            ReplyKind::Deleted => "deleted",
            ReplyKind::Polled => "polled",
            ReplyKind::FileKept => "file_kept",
            ReplyKind::Failed => "failed",
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ReplyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A reply that does not answer the request it came for ([`check_reply`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongReply {
    /// The reply is of a kind that does not answer the request (an `items` reply to `introduce`).
    Kind {
        /// What was asked.
        request: RequestKind,
        /// What came back.
        reply: ReplyKind,
    },
    /// A poll's reply carries a question but no one-time channel to answer it on: the user could
    /// only click into the void.
    QuestionWithoutChannel,
}

impl fmt::Display for WrongReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WrongReply::Kind { request, reply } => {
                let expected: Vec<&str> = request.answered_by().iter().map(|kind| kind.name()).collect();
                write!(
                    f,
                    "a reply of kind “{reply}” to “{request}”, which only “{}” answers",
                    expected.join("” or “")
                )
            }
            WrongReply::QuestionWithoutChannel => f.write_str("a question without a channel to answer it on"),
        }
    }
}

/// Whether `reply` (with an interrupt channel riding along when `channel` is true) answers
/// `request`: its kind must be one of [`RequestKind::answered_by`], and a question must come with
/// its one-time answer channel. Any reply may carry a channel (a new action channel, see
/// [`PhosphorescenceReply`]).
///
/// ```
/// use shared_proto::{check_reply, EosRequest, PhosphorescenceReply, ReplyKind, RequestKind, WrongReply};
/// let introduce = EosRequest::Introduce { app: "Eos".into(), protocol_version: 1, greeting: "hi".into() };
/// let items = PhosphorescenceReply::Items { items: vec![] };
/// assert_eq!(
///     check_reply(&introduce, &items, true),
///     Err(WrongReply::Kind { request: RequestKind::Introduce, reply: ReplyKind::Items })
/// );
/// ```
pub fn check_reply(request: &EosRequest, reply: &PhosphorescenceReply, channel: bool) -> Result<(), WrongReply> {
    check_reply_to(RequestKind::of(request), reply, channel)
}

/// [`check_reply`] for a request of kind `asked`: the check needs only the request's kind (and
/// a [`crate::EosRequest::SendFile`], whose bytes live in a browser, is checked by its kind in
/// native tests).
pub fn check_reply_to(asked: RequestKind, reply: &PhosphorescenceReply, channel: bool) -> Result<(), WrongReply> {
    let answered = ReplyKind::of(reply);
    if !asked.answered_by().contains(&answered) {
        return Err(WrongReply::Kind {
            request: asked,
            reply: answered,
        });
    }
    match reply {
        PhosphorescenceReply::Polled { question: Some(_) } if !channel => Err(WrongReply::QuestionWithoutChannel),
        _ => Ok(()),
    }
}

/// An answer that came on the one-time channel of another question ([`check_answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongAnswer {
    /// The question the channel was made for.
    pub asked: u64,
    /// The question the answer names.
    pub answered: u64,
}

impl fmt::Display for WrongAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an answer to question {} on the channel of question {}",
            self.answered, self.asked
        )
    }
}

/// Whether `answer`, received on the one-time channel made for question `asked`, answers it: the
/// host's check, as [`check_reply`] is Eos's.
pub fn check_answer(asked: u64, answer: &EosAnswer) -> Result<(), WrongAnswer> {
    let answered = match answer {
        EosAnswer::Chose { question, .. } | EosAnswer::Declined { question } => *question,
    };
    if answered == asked {
        Ok(())
    } else {
        Err(WrongAnswer { asked, answered })
    }
}

impl EosRequest {
    /// This request's kind.
    pub fn kind(&self) -> RequestKind {
        RequestKind::of(self)
    }
}

impl PhosphorescenceReply {
    /// This reply's kind.
    pub fn kind(&self) -> ReplyKind {
        ReplyKind::of(self)
    }
}
