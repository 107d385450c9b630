use yew::prelude::*;

use super::{ConnectionBar, Inspector, InterruptPanel, NotesPanel, QuestionPanel};
use crate::config::REMOTE_ORIGIN;
use crate::hooks::use_host_session;
use crate::state::HostState;

/// The whole host page: Eos on the left, the protocol inspector on the right.
#[component]
pub fn App() -> Html {
    let state = use_reducer(HostState::default);
    let frame = use_node_ref();
    let session = use_host_session(frame.clone(), state.dispatcher());
    let remote_url = format!("{REMOTE_ORIGIN}/");

    html! {
        <div class="page">
            <header class="topbar">
                <h1>{ "Phosphorescence" }</h1>
                <ConnectionBar
                    link={state.link.clone()}
                    session={state.session}
                    greeting={state.greeting.clone()}
                    version_problem={state.version_problem.clone()}
                    on_close={session.close.clone()}
                    on_reload={session.reload.clone()}
                />
            </header>
            <main class="columns">
                <section class="remote">
                    <QuestionPanel question={state.question.clone()} on_ask={session.ask.clone()} />
                    <h2>{ "Eos " }<small>{ REMOTE_ORIGIN }</small></h2>
                    <iframe id="remote-frame" ref={frame} src={remote_url} title="Eos" />
                </section>
                <section class="side">
                    <Inspector timeline={state.timeline.clone()} errors={state.errors.clone()} />
                    <InterruptPanel
                        channels={state.channels.clone()}
                        interrupts={state.interrupts.clone()}
                        error={state.interrupt_error.clone()}
                    />
                    <NotesPanel notes={state.notes.clone()} on_review={session.review.clone()} />
                </section>
            </main>
        </div>
    }
}
