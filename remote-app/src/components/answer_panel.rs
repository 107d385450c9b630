use shared_proto::{EosAnswer, ItemSummary};
use yew::prelude::*;

use crate::state::QuestionView;

/// Properties of [`AnswerPanel`].
#[derive(Properties, PartialEq)]
pub struct AnswerPanelProps {
    /// The host's question.
    pub question: QuestionView,
    /// The notes to choose from.
    pub notes: Vec<ItemSummary>,
    /// Answers on the one-time channel.
    pub on_answer: Callback<EosAnswer>,
}

/// The host's question and the buttons that answer it. The buttons stay live after an answer on
/// purpose: a second click shows that the one-time channel refuses it.
#[component]
pub fn AnswerPanel(props: &AnswerPanelProps) -> Html {
    let question = props.question.question.id;
    let on_decline = props
        .on_answer
        .reform(move |_: MouseEvent| EosAnswer::Declined { question });
    html! {
        <section id="question" class="question" data-question={question.to_string()}>
            <h2>{ "The host asks: " }<span id="question-prompt">{ &props.question.question.prompt }</span></h2>
            <div class="buttons">
                { for props.notes.iter().map(|note| {
                    let id = note.id;
                    let onclick = props.on_answer.reform(move |_: MouseEvent| EosAnswer::Chose { question, id });
                    html! { <button class="choose-note" data-id={id.0.to_string()} {onclick}>{ &note.title }</button> }
                }) }
                <button id="decline-question" onclick={on_decline}>{ "Decline" }</button>
            </div>
            if let Some(status) = &props.question.status {
                <p id="question-status">{ status }</p>
            }
        </section>
    }
}
