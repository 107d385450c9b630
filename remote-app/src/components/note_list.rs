use shared_proto::{ItemId, ItemSummary};
use yew::prelude::*;

/// Properties of [`NoteList`].
#[derive(Properties, PartialEq)]
pub struct NoteListProps {
    /// The notes.
    pub notes: Vec<ItemSummary>,
    /// The open note.
    pub selected: Option<ItemId>,
    /// Open a note.
    pub on_open: Callback<ItemId>,
}

/// The notes, as the host listed them.
#[component]
pub fn NoteList(props: &NoteListProps) -> Html {
    html! {
        <ul id="notes" class="notes">
            { for props.notes.iter().map(|note| {
                let id = note.id;
                let onclick = props.on_open.reform(move |_: MouseEvent| id);
                let selected = props.selected == Some(id);
                html! {
                    <li>
                        <button class={classes!("note", selected.then_some("selected"))} data-id={id.0.to_string()} {onclick}>
                            { &note.title }
                        </button>
                    </li>
                }
            }) }
        </ul>
    }
}
