use shared_proto::EosRequest;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::state::{Editing, Editor, EosAction, EosState};

/// Properties of [`NoteEditor`].
#[derive(Properties, PartialEq)]
pub struct NoteEditorProps {
    /// The open editor.
    pub editor: Editor,
    /// Changes Eos's state.
    pub dispatch: UseReducerDispatcher<EosState>,
    /// Sends a request to the host.
    pub on_request: Callback<EosRequest>,
}

/// Creates or edits a note. The host validates: an invalid or stale save comes back as a typed
/// failure, shown above, and the text stays here.
#[component]
pub fn NoteEditor(props: &NoteEditorProps) -> Html {
    let dispatch = props.dispatch.clone();
    let on_title = Callback::from(move |e: InputEvent| {
        dispatch.dispatch(EosAction::EditTitle(
            e.target_unchecked_into::<HtmlInputElement>().value(),
        ))
    });
    let dispatch = props.dispatch.clone();
    let on_body = Callback::from(move |e: InputEvent| {
        dispatch.dispatch(EosAction::EditBody(
            e.target_unchecked_into::<HtmlTextAreaElement>().value(),
        ))
    });
    let dispatch = props.dispatch.clone();
    let on_cancel = Callback::from(move |_: MouseEvent| dispatch.dispatch(EosAction::CancelEdit));
    let editor = props.editor.clone();
    let on_save = props.on_request.reform(move |_: MouseEvent| match editor.editing {
        Editing::New => EosRequest::CreateItem {
            draft: editor.draft.clone(),
        },
        Editing::Existing { id, revision } => EosRequest::UpdateItem {
            id,
            revision,
            draft: editor.draft.clone(),
        },
    });
    let heading = match props.editor.editing {
        Editing::New => "New note".to_string(),
        Editing::Existing { id, revision } => format!("Editing {id} (revision {revision})"),
    };
    html! {
        <form id="editor" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <h2>{ heading }</h2>
            <label>{ "Title" }<input id="editor-title" value={props.editor.draft.title.clone()} oninput={on_title} /></label>
            <label>{ "Body" }<textarea id="editor-body" value={props.editor.draft.body.clone()} oninput={on_body} /></label>
            <div class="buttons">
                <button id="save-note" type="button" onclick={on_save}>{ "Save" }</button>
                <button id="cancel-edit" type="button" onclick={on_cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
