use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::peer::Peer;
use crate::state::QuestionState;

/// Properties of [`QuestionPanel`].
#[derive(Properties, PartialEq)]
pub struct QuestionPanelProps {
    /// The question's state.
    pub question: QuestionState,
    /// Ask a new question of the chosen Eos.
    pub on_ask: Callback<Peer>,
}

/// Where Eos shows the question, in words.
fn shown_in(peer: Peer) -> &'static str {
    match peer {
        Peer::Frame => "Eos",
        Peer::Window => "Eos's window",
    }
}

/// Asks the user, inside the Eos they choose (the iframe's by default, or the window's), which
/// note to share: a one-time interrupt answers it. Only that Eos gets the question, whichever of
/// them asks for the host's turn first.
#[component]
pub fn QuestionPanel(props: &QuestionPanelProps) -> Html {
    let target = use_state(|| Peer::Frame);
    let text = match &props.question {
        QuestionState::Idle => "No question asked.".to_string(),
        QuestionState::Queued { id, to: Peer::Frame } => format!("Question {id} waits for Eos's next turn."),
        QuestionState::Queued { id, to: Peer::Window } => {
            format!("Question {id} waits for the next turn of Eos in its window.")
        }
        QuestionState::Asked { id, to } => {
            format!(
                "Question {id} is shown in {}; waiting for the user's click there.",
                shown_in(*to)
            )
        }
        QuestionState::Answered { id, answer } => format!("Answer to question {id}: {answer}"),
        QuestionState::Failed(why) => format!("No answer: {why}"),
    };
    let on_ask = {
        let target = target.clone();
        props.on_ask.reform(move |_: MouseEvent| *target)
    };
    let on_target = {
        let target = target.clone();
        Callback::from(move |event: Event| {
            let peer = match event.target_unchecked_into::<HtmlSelectElement>().value().as_str() {
                "window" => Peer::Window,
                _ => Peer::Frame,
            };
            target.set(peer);
        })
    };
    // One question at a time once it is shown: a second one would replace the first in Eos,
    // leaving the first channel open on the host until the session ends. One still queued may be
    // put again, to the other Eos say (it replaces the queued one, which never went out): so a
    // question put to a window that was closed before its next turn does not block the form.
    let waiting = matches!(props.question, QuestionState::Asked { .. });
    html! {
        <div class="panel question">
            <button id="ask-question" onclick={on_ask} disabled={waiting}>{ "Ask Eos: which note to share?" }</button>
            <label>
                { " in " }
                <select id="question-target" onchange={on_target} disabled={waiting}>
                    <option value="iframe" selected={*target == Peer::Frame}>{ "the iframe" }</option>
                    <option value="window" selected={*target == Peer::Window}>{ "the window" }</option>
                </select>
            </label>
            <span id="question-state">{ text }</span>
        </div>
    }
}
