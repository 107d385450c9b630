use shared_proto::{EosInterrupt, EosRequest, Item};
use yew::prelude::*;

use crate::state::{EosAction, EosState};

/// Properties of [`NoteDetail`].
#[derive(Properties, PartialEq)]
pub struct NoteDetailProps {
    /// The note.
    pub item: Item,
    /// Whether the action buttons can reach the host.
    pub actions_ready: bool,
    /// Changes Eos's state.
    pub dispatch: UseReducerDispatcher<EosState>,
    /// Sends a request to the host.
    pub on_request: Callback<EosRequest>,
    /// Reports a user action to the host.
    pub on_act: Callback<EosInterrupt>,
}

/// One note, with edit, delete and the action buttons whose clicks become interrupts.
#[component]
pub fn NoteDetail(props: &NoteDetailProps) -> Html {
    let (id, revision) = (props.item.id, props.item.revision);
    let dispatch = props.dispatch.clone();
    let on_edit = Callback::from(move |_: MouseEvent| dispatch.dispatch(EosAction::EditSelected));
    let on_delete = props
        .on_request
        .reform(move |_: MouseEvent| EosRequest::DeleteItem { id, revision });
    let on_share = props.on_act.reform(move |_: MouseEvent| EosInterrupt::Share { id });
    let on_pin = props.on_act.reform(move |_: MouseEvent| EosInterrupt::Pin { id });
    html! {
        <article id="note-detail" data-id={id.0.to_string()} data-revision={revision.to_string()}>
            <h2 id="note-title">{ &props.item.title }</h2>
            <p class="meta">{ format!("{id} · revision {revision}") }</p>
            <pre id="note-body">{ &props.item.body }</pre>
            <div class="buttons">
                <button id="edit-note" onclick={on_edit}>{ "Edit" }</button>
                <button id="delete-note" onclick={on_delete}>{ "Delete" }</button>
                <button id="action-share" onclick={on_share} disabled={!props.actions_ready}>{ "Share" }</button>
                <button id="action-pin" onclick={on_pin} disabled={!props.actions_ready}>{ "Pin" }</button>
            </div>
        </article>
    }
}
