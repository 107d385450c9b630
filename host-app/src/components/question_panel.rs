use yew::prelude::*;

use crate::state::QuestionState;

/// Properties of [`QuestionPanel`].
#[derive(Properties, PartialEq)]
pub struct QuestionPanelProps {
    /// The question's state.
    pub question: QuestionState,
    /// Ask a new question.
    pub on_ask: Callback<()>,
}

/// Asks the user, inside Eos, which note to share: a one-time interrupt answers it.
#[component]
pub fn QuestionPanel(props: &QuestionPanelProps) -> Html {
    let text = match &props.question {
        QuestionState::Idle => "No question asked.".to_string(),
        QuestionState::Queued { id } => format!("Question {id} waits for Eos's next turn."),
        QuestionState::Asked { id } => format!("Question {id} is shown in Eos; waiting for the user's click there."),
        QuestionState::Answered { id, answer } => format!("Answer to question {id}: {answer}"),
        QuestionState::Failed(why) => format!("No answer: {why}"),
    };
    let on_ask = props.on_ask.reform(|_: MouseEvent| ());
    // One question at a time: a second one would replace the first in Eos, leaving the first
    // channel open on the host until the session ends.
    let waiting = matches!(
        props.question,
        QuestionState::Queued { .. } | QuestionState::Asked { .. }
    );
    html! {
        <div class="panel question">
            <button id="ask-question" onclick={on_ask} disabled={waiting}>{ "Ask Eos: which note to share?" }</button>
            <span id="question-state">{ text }</span>
        </div>
    }
}
