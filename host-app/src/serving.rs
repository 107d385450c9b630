//! Serving Eos: what every session of the page shares, and the handler loop of one session,
//! whichever Eos it is with (the iframe's or the window's).
//!
//! What the messenger reports reaches the page through a [`FrameDispatcher`] (one batched
//! dispatch per animation frame), every action naming its [`SessionId`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures::future::{ready, Ready};
use futures::StreamExt;
use gloo_storage::{LocalStorage, Storage};
use messenger::{Answered, Closer, Config, Error, InterruptRequest, Limits, Observation, Received, Reply};
use shared_proto::{
    check_answer, plain_words, wrong_answer_words, EosAnswer, EosInterrupt, EosRequest, PhosphorescenceReply, Sha256,
    Side, MAX_FILE_BYTES,
};
use yew::platform::spawn_local;

use crate::blob_url::BlobUrl;
use crate::config::{protocol_version, REMOTE_ORIGIN, STORE_KEY};
use crate::frame::FrameDispatcher;
use crate::handler::{Attach, Handler, WaitingQuestion};
use crate::peer::{Peer, SessionId};
use crate::state::{action_channel_failure, HostAction, SessionAction, SessionLife};
use crate::store::Store;

/// How long Eos may stay silent before the host gives up on it. Eos asks at least every second
/// while visible; hidden pages may have their timers throttled to once a minute, so only a
/// longer silence means Eos is gone (a reload is noticed sooner: by the iframe's `load`, or by
/// the host's knocks on Eos's window).
const REPLY_TIMEOUT: Duration = Duration::from_secs(70);

/// What every session of the page has in common: the notes, the question waiting for Eos, the
/// session numbers, and the way to the page. (Named apart from the messenger's own `Shared`, a
/// session's state.)
pub struct Common {
    /// The notes.
    pub store: RefCell<Store>,
    /// The user's question, waiting for the next poll of the Eos the user chose.
    pub question: RefCell<WaitingQuestion>,
    /// The next question's id.
    pub next_question: Cell<u64>,
    /// The last session number given out.
    sessions: Cell<u32>,
    /// The page's reducer, one batch per animation frame.
    pub page: FrameDispatcher,
}

impl Common {
    /// Everything shared, with `store` as the notes.
    pub fn new(store: Store, page: FrameDispatcher) -> Common {
        Common {
            store: RefCell::new(store),
            question: RefCell::new(WaitingQuestion::default()),
            next_question: Cell::new(1),
            sessions: Cell::new(0),
            page,
        }
    }

    /// A new session with `peer`, numbered after every earlier one of either peer.
    pub fn next_session(&self, peer: Peer) -> SessionId {
        let number = self.sessions.get() + 1;
        self.sessions.set(number);
        SessionId { peer, number }
    }

    /// Shows `action` of `session` on the page (at the next animation frame).
    pub fn show(&self, session: SessionId, action: SessionAction) {
        self.page.push(HostAction::Session(session, action));
    }
}

/// Writes the notes to `localStorage`; the handler keeps a change only when this succeeded.
pub fn save(store: &Store) -> Result<(), String> {
    LocalStorage::set(STORE_KEY, store).map_err(|error| error.to_string())
}

/// What the host takes from Eos: the defaults, with files up to [`MAX_FILE_BYTES`] (8 MiB, the
/// limit Eos shows its user). A larger file is refused by the messenger from its `byteLength`,
/// before a byte is read, and ends the session (`Error::BinaryTooLarge`, in plain words).
pub const LIMITS: Limits = Limits {
    max_binary_bytes: MAX_FILE_BYTES,
    ..Limits::DEFAULT
};

/// The configuration of one session with Eos, whose steps go to `observe`.
pub fn session_config(observe: impl FnMut(&Observation) + 'static) -> Result<Config, Error> {
    Ok(Config::new(REMOTE_ORIGIN)?
        .reply_timeout(REPLY_TIMEOUT)
        .limits(LIMITS)
        .observer(observe))
}

/// One session's handler state.
struct Session {
    id: SessionId,
    common: Rc<Common>,
    handler: Rc<RefCell<Handler>>,
    /// Tells whether the session still runs when an action channel ends.
    closer: Closer,
}

impl Session {
    fn handle(&self, request: EosRequest) -> Reply<PhosphorescenceReply> {
        let outcome = {
            let mut store = self.common.store.borrow_mut();
            let mut handler = self.handler.borrow_mut();
            self.common.question.borrow_mut().offer(self.id.peer, |question| {
                handler.handle(request, &mut store, question, save)
            })
        };
        self.common.page.push(HostAction::Batch(outcome.page));
        if let Some(file) = outcome.file {
            // The bytes go from the received Uint8Array into a Blob in JavaScript, uncopied by
            // wasm; the shelf on the page holds the URL until the file is let go.
            match BlobUrl::of(&file) {
                Ok(url) => {
                    self.common.page.push(HostAction::FileReceived {
                        session: self.id,
                        info: file.info(),
                        url: url.clone(),
                    });
                    // The row shows the bytes' SHA-256 once the browser computed it, over the
                    // received Uint8Array (uncopied): a person compares it with Eos's.
                    let common = Rc::clone(&self.common);
                    spawn_local(async move {
                        let action = match Sha256::of(&file.bytes).await {
                            Ok(sha256) => HostAction::FileDigested { url, sha256 },
                            Err(why) => HostAction::Problem(format!("The file from Eos could not be digested: {why}")),
                        };
                        common.page.push(action);
                    });
                }
                Err(error) => self.common.page.push(HostAction::Problem(format!(
                    "The file from Eos could not be shown: {error:?}"
                ))),
            }
        }
        let reply = Reply::new(outcome.reply);
        match outcome.attach {
            Attach::Nothing => reply,
            Attach::Actions(channel) => reply.with_interrupt(self.follow_actions(channel)),
            Attach::Answer(question) => reply.with_interrupt(self.await_answer(question)),
        }
    }

    /// A multi-use channel for Eos's action buttons, followed for as long as it is open.
    ///
    /// When it ends while the session goes on (a flood, an interrupt that does not decode), the
    /// interrupt panel says why and the handler offers a new channel with its next reply (see
    /// [`Handler::actions_ended`]).
    fn follow_actions(&self, channel: u64) -> InterruptRequest {
        let (request, mut actions) = InterruptRequest::multi_use::<EosInterrupt>();
        let (id, common) = (self.id, Rc::clone(&self.common));
        let handler = Rc::clone(&self.handler);
        let closer = self.closer.clone();
        spawn_local(async move {
            let ended = loop {
                match actions.next().await {
                    Some(Ok(action)) => common.page.push(HostAction::Interrupt(action.to_string())),
                    Some(Err(error)) => break Some(error),
                    None => break None,
                }
            };
            handler.borrow_mut().actions_ended(channel);
            let life = if closer.is_open() {
                SessionLife::Running
            } else {
                SessionLife::Ended
            };
            if let Some(why) = action_channel_failure(ended.as_ref(), life) {
                common.show(id, SessionAction::ActionsFailed(why));
            }
        });
        request
    }

    /// A one-time channel for the answer to question `id`.
    ///
    /// An answer that names another question ([`check_answer`]) is refused at once: the session
    /// ends (Eos hears a close notice, `refused`) and the question panel says why.
    fn await_answer(&self, id: u64) -> InterruptRequest {
        let (request, answer) = InterruptRequest::one_time::<EosAnswer>();
        let common = Rc::clone(&self.common);
        let closer = self.closer.clone();
        common.page.push(HostAction::QuestionAsked { id, to: self.id.peer });
        spawn_local(async move {
            let answer = answer.await;
            if let Ok(Err(wrong)) = answer.as_ref().map(|answer| check_answer(id, answer)) {
                closer.refuse(wrong.to_string());
                let why = wrong_answer_words(&wrong);
                return common.page.push(HostAction::QuestionFailed { id, why });
            }
            let action = match answer {
                Ok(EosAnswer::Chose { question, id: item }) => {
                    let title = common
                        .store
                        .borrow()
                        .get(item)
                        .map(|i| i.title.clone())
                        .unwrap_or_default();
                    HostAction::QuestionAnswered {
                        id: question,
                        answer: format!("chose {item} “{title}”"),
                    }
                }
                Ok(EosAnswer::Declined { question }) => HostAction::QuestionAnswered {
                    id: question,
                    answer: "declined".into(),
                },
                Err(error) => HostAction::QuestionFailed {
                    id,
                    why: plain_words(&error, Side::Host),
                },
            };
            common.page.push(action);
        });
        request
    }
}

/// The handler of session `id` (closed through `closer`): each of Eos's requests in, the reply
/// out. The iframe's sessions are served with it by `messenger_yew::use_iframe_session`, the
/// window's by [`serve`].
pub fn handler(
    common: Rc<Common>,
    id: SessionId,
    closer: Closer,
) -> impl FnMut(Received<EosRequest>) -> Ready<Reply<PhosphorescenceReply>> {
    let session = Session {
        id,
        common,
        handler: Rc::new(RefCell::new(Handler::speaking(id, protocol_version()))),
        closer,
    };
    move |received| ready(session.handle(received.into_message()))
}

/// Serves session `id`, answered, until it ends.
pub async fn serve(answered: Answered, common: Rc<Common>, id: SessionId) {
    let mut handle = handler(common, id, answered.closer());
    let serving = answered.serve(move |received: Received<EosRequest>| handle(received));
    // How the session ended reaches the page through the observer; nothing more to do here.
    let _ = serving.await;
}
