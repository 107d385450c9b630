use yew::prelude::*;

use super::{
    ConnectionBar, FilesPanel, Inspector, InterruptPanel, ListenerCount, NotesPanel, QuestionPanel, WindowPanel,
};
use crate::config::REMOTE_ORIGIN;
use crate::hooks::use_host_session;
use crate::state::{HostAction, HostState};

/// The whole host page: Eos on the left, the protocol inspector on the right.
#[component]
pub fn App() -> Html {
    let state = use_reducer(HostState::default);
    let frame = use_node_ref();
    let session = use_host_session(frame.clone(), state.dispatcher());
    let remote_url = format!("{REMOTE_ORIGIN}/");
    let on_remove_file = {
        let dispatch = state.dispatcher();
        Callback::from(move |id| dispatch.dispatch(HostAction::FileRemoved(id)))
    };

    html! {
        <div class="page">
            <header class="topbar">
                <h1>{ "Phosphorescence" }</h1>
                <ConnectionBar
                    link={state.frame.link.clone()}
                    session={state.frame.session}
                    greeting={state.frame.greeting.clone()}
                    version_problem={state.frame.version_problem.clone()}
                    on_close={session.close.clone()}
                    on_reload={session.reload.clone()}
                />
                <ListenerCount />
            </header>
            <main class="columns">
                <section class="remote">
                    <QuestionPanel question={state.question.clone()} on_ask={session.ask.clone()} />
                    <WindowPanel peer={state.window.clone()} on_open={session.open_window.clone()} />
                    <h2>{ "Eos " }<small>{ REMOTE_ORIGIN }</small></h2>
                    <iframe id="remote-frame" ref={frame} src={remote_url} title="Eos" />
                </section>
                <section class="side">
                    <Inspector timeline={state.timeline.clone()} errors={state.errors.clone()} />
                    // The notes' buttons above the interrupts: a flood of interrupts grows the
                    // panel below them, and a button must not move under the user's pointer.
                    <NotesPanel notes={state.notes.clone()} on_review={session.review.clone()} />
                    <FilesPanel files={state.files.clone()} on_remove={on_remove_file} />
                    <InterruptPanel
                        channels={state.channels.clone()}
                        interrupts={state.interrupts.clone()}
                        error={state.frame.interrupt_error.clone().or_else(|| state.window.interrupt_error.clone())}
                    />
                </section>
            </main>
        </div>
    }
}
