use shared_proto::{EosInterrupt, EosRequest};
use yew::prelude::*;

use std::cell::RefCell;
use std::rc::Rc;

use super::{AnswerPanel, EosInspector, FileSender, NoteDetail, NoteEditor, NoteList};
use crate::config::{protocol_version, HOST_ORIGIN};
use crate::hooks::use_eos_session;
use crate::ignored::{IgnoredLog, SharedIgnoredLog};
use crate::state::{EosAction, EosState, Link, Place};

/// The whole Eos page.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| EosState::speaking(protocol_version()));
    let ignored: SharedIgnoredLog = (*use_memo((), |_| Rc::new(RefCell::new(IgnoredLog::default())))).clone();
    let session = use_eos_session(state.dispatcher(), Rc::clone(&ignored));
    let connected = state.link == Link::Connected;

    let detail = match &state.link {
        Link::NotEmbedded => {
            format!("Eos runs inside Phosphorescence ({HOST_ORIGIN}), in its page or in a window it opens; opened on its own it has no host to talk to.")
        }
        Link::Listening => format!("waiting for a knock from {HOST_ORIGIN}"),
        Link::Connected => match state.place {
            Some(Place::Window) => "connected to the host, from a window of its own".into(),
            _ => "connected to the host".into(),
        },
        Link::Closed(reason) | Link::VersionMismatch(reason) => reason.clone(),
    };
    let on_attention = {
        let act = session.act.clone();
        Callback::from(move |_: MouseEvent| act.emit(EosInterrupt::AskForAttention {}))
    };
    let on_new = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(EosAction::EditNew))
    };
    let on_open = session.request.reform(|id| EosRequest::GetItem { id });

    html! {
        <div class="eos" data-place={state.place.map(Place::word)}>
            <header class="topbar">
                <h1>{ "Eos" }</h1>
                <span id="connection-state" class={classes!("badge", state.link.word().replace(' ', "-"))}>{ state.link.word() }</span>
                <span id="connection-detail" class="detail">{ detail }</span>
                if let Some(greeting) = &state.greeting {
                    <span class="greeting">{ "Host says: " }<q id="last-reply">{ greeting }</q></span>
                }
            </header>
            if let Some(problem) = &state.version_problem {
                <p id="version-problem" class="problem">{ problem }</p>
            }
            if connected {
                <div class="toolbar">
                    <button id="new-note" onclick={on_new}>{ "New note" }</button>
                    <button id="action-attention" onclick={on_attention} disabled={!state.actions_ready}>{ "Ask for attention" }</button>
                    if state.in_flight > 0 {
                        <span id="busy" class="busy">{ "talking to the host…" }</span>
                    }
                </div>
                if let Some(error) = &state.error {
                    <p id="error" class="problem">{ error }</p>
                }
                if let Some(notice) = &state.notice {
                    <p id="notice" class="notice">{ notice }</p>
                }
                if let Some(question) = &state.question {
                    <AnswerPanel question={question.clone()} notes={state.notes.clone()} on_answer={session.answer.clone()} />
                }
                <main class="columns">
                    <NoteList notes={state.notes.clone()} selected={state.selected.as_ref().map(|s| s.id)} on_open={on_open} />
                    <div class="main">
                        if let Some(editor) = &state.editor {
                            <NoteEditor editor={editor.clone()} dispatch={state.dispatcher()} on_request={session.request.clone()} />
                        } else if let Some(item) = &state.selected {
                            <NoteDetail
                                item={item.clone()}
                                actions_ready={state.actions_ready}
                                dispatch={state.dispatcher()}
                                on_request={session.request.clone()}
                                on_act={session.act.clone()}
                            />
                        } else {
                            <p class="hint">{ "Choose a note, or create one." }</p>
                        }
                    </div>
                </main>
                // Below the notes: the notes stay where they were, files are the extra.
                <FileSender file={state.file.clone()} dispatch={state.dispatcher()} on_request={session.request.clone()} />
            } else if let Some(status) = &state.file.status {
                // What became of a file on its way when the session ended stays in view.
                <p id="file-status" class="notice">{ status }</p>
            }
            <EosInspector log={ignored} />
        </div>
    }
}
