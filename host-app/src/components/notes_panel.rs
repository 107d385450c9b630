use shared_proto::{ItemId, ItemSummary};
use yew::prelude::*;

/// Properties of [`NotesPanel`].
#[derive(Properties, PartialEq)]
pub struct NotesPanelProps {
    /// The stored notes.
    pub notes: Vec<ItemSummary>,
    /// Mark a note reviewed on the host (it gets a new revision).
    pub on_review: Callback<ItemId>,
}

/// The user's notes as the host stores them (in `localStorage`).
#[component]
pub fn NotesPanel(props: &NotesPanelProps) -> Html {
    html! {
        <div class="panel">
            <h2>{ "Stored notes " }<small>{ "(host's localStorage)" }</small></h2>
            <ul id="host-notes">
                { for props.notes.iter().map(|n| {
                    let id = n.id;
                    let onclick = props.on_review.reform(move |_: MouseEvent| id);
                    html! {
                        <li class="host-note" data-id={id.0.to_string()} data-revision={n.revision.to_string()}>
                            { format!("{} {} (rev. {}) ", n.id, n.title, n.revision) }
                            <button class="review-note" title="Changes the note here, so an edit Eos started earlier becomes stale" {onclick}>{ "mark reviewed" }</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
