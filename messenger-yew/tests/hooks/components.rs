//! The components under test, and the test's own peer for the listening one.

use std::time::Duration;

use messenger::WindowKeeperTiming;
use messenger::{knock, Config, Error, Messenger, Received, Reply, Source, Target};
use messenger_yew::{use_iframe_session, use_interrupts, use_listen, use_window_session_with_timing, SessionState};
use yew::prelude::*;

use crate::support::*;

// ------------------------------------------------------------------------------------------------
// The components under test

#[derive(Properties, PartialEq)]
pub(crate) struct ProbeProps {
    /// The observer of the component's sessions.
    pub(crate) recorder: Recorder,
    /// Every state the component rendered with, in order.
    pub(crate) states: Reports<SessionState>,
    /// Every interrupt it received.
    pub(crate) interrupts: Reports<Result<u32, Error>>,
    /// How long the peer may take to reply.
    pub(crate) reply_timeout: Duration,
    /// Changed to render the component again with otherwise equal props.
    #[prop_or_default]
    pub(crate) render: u32,
    /// Whether the interrupt channel that rides along is one-time (else multi-use).
    #[prop_or_default]
    pub(crate) one_time: bool,
    /// How many interrupt channels were open, at each render where that changed.
    #[prop_or_default]
    pub(crate) open_channels: Reports<usize>,
}

/// Reports each state the hook gives (once per change) and each interrupt.
#[hook]
fn use_reports(props: &ProbeProps, state: &SessionState) -> Callback<Result<u32, Error>> {
    let states = props.states.clone();
    use_effect_with(state.clone(), move |state| states.push(state.clone()));
    let interrupts = props.interrupts.clone();
    Callback::from(move |interrupt| interrupts.push(interrupt))
}

/// Listens for a knock on its page; once connected, says 1 with a multi-use interrupt channel.
#[component]
pub(crate) fn Listening(props: &ProbeProps) -> Html {
    let session = use_listen::<u32, u32>(Ok(props.recorder.config(props.reply_timeout)), Some(Source::AnyWindow));
    let on_interrupt = use_reports(props, &session.state);
    let interrupts = use_interrupts::<u32>(on_interrupt);
    let open_channels = props.open_channels.clone();
    use_effect_with(interrupts.open, move |open| open_channels.push(*open));
    {
        let (session, interrupts) = (session.clone(), interrupts.clone());
        let one_time = props.one_time;
        use_effect_with(session.state.is_connected(), move |connected| {
            if *connected {
                let interrupt = if one_time {
                    interrupts.one_time()
                } else {
                    interrupts.multi_use()
                };
                // The reply is not needed; the send's future holds only a weak reference, and it
                // ends (failing) when the session does.
                let hello = session.send_with_interrupt(1, interrupt);
                yew::platform::spawn_local(async move {
                    let _ = hello.await;
                });
            }
        });
    }
    html! { <p>{ format!("{:?} {}", session.state, props.render) }</p> }
}

/// Knocks on its own iframe (a hand-written listener) and answers each message with the next
/// number, with a multi-use interrupt channel riding along.
#[component]
pub(crate) fn Framing(props: &ProbeProps) -> Html {
    let frame = use_node_ref();
    let interrupts = use_interrupts::<u32>(props.interrupts.clone().into_callback());
    let session = {
        let interrupts = interrupts.clone();
        use_iframe_session(
            frame.clone(),
            Ok(props.recorder.config(props.reply_timeout)),
            move |_closer| {
                let interrupts = interrupts.clone();
                move |received: Received<u32>| {
                    let reply = Reply::new(received.message + 1).with_interrupt(interrupts.multi_use());
                    async move { reply }
                }
            },
        )
    };
    let states = props.states.clone();
    use_effect_with(session.state.clone(), move |state| states.push(state.clone()));
    html! {
        <div>
            <p>{ format!("{:?} {}", session.state, props.render) }</p>
            <iframe ref={frame} srcdoc={listener_page()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct WindowProps {
    pub(crate) probe: ProbeProps,
    /// The window to keep (an iframe's, standing in for a popup's).
    pub(crate) window: web_sys::Window,
    /// Whether the kept window was open, at each state.
    #[prop_or_default]
    pub(crate) opens: Reports<bool>,
}

/// Quick knocks and checks, so a reload or a close is noticed within a test step.
pub(crate) fn quick() -> WindowKeeperTiming {
    WindowKeeperTiming::default()
        .closed_check(Duration::from_millis(50))
        .knock_interval(Duration::from_millis(50))
        .first_knock_timeout(Duration::from_secs(5))
}

/// Keeps the window in its props (from an effect, as a click handler would) and answers each
/// message with the next number, with a multi-use interrupt channel riding along.
#[component]
pub(crate) fn Windowing(props: &WindowProps) -> Html {
    let probe = &props.probe;
    let interrupts = use_interrupts::<u32>(probe.interrupts.clone().into_callback());
    let session = {
        let interrupts = interrupts.clone();
        use_window_session_with_timing(
            Ok(probe.recorder.config(probe.reply_timeout)),
            quick(),
            move |_closer| {
                let interrupts = interrupts.clone();
                move |received: Received<u32>| {
                    let reply = Reply::new(received.message + 1).with_interrupt(interrupts.multi_use());
                    async move { reply }
                }
            },
        )
    };
    {
        let (states, opens, open) = (probe.states.clone(), props.opens.clone(), session.is_open());
        use_effect_with(session.state.clone(), move |state| {
            states.push(state.clone());
            opens.push(open);
        });
    }
    {
        let session = session.clone();
        use_effect_with(props.window.clone(), move |window| session.keep(window.clone()));
    }
    html! { <p>{ format!("{:?} {}", session.state, probe.render) }</p> }
}

impl<T: 'static> Reports<T> {
    fn into_callback(self) -> Callback<T> {
        Callback::from(move |item| self.0.borrow_mut().push(item))
    }
}

pub(crate) fn probe(reply_timeout: Duration) -> ProbeProps {
    ProbeProps {
        recorder: Recorder::default(),
        states: Reports::default(),
        interrupts: Reports::default(),
        reply_timeout,
        render: 0,
        one_time: false,
        open_channels: Reports::default(),
    }
}

pub(crate) fn same_probe(props: &ProbeProps, render: u32) -> ProbeProps {
    ProbeProps {
        recorder: props.recorder.clone(),
        states: props.states.clone(),
        interrupts: props.interrupts.clone(),
        reply_timeout: props.reply_timeout,
        render,
        one_time: props.one_time,
        open_channels: props.open_channels.clone(),
    }
}

// ------------------------------------------------------------------------------------------------
// The test's own peer for `Listening`: a knocker on the page

/// The knocker's side of one session with a `Listening` component, kept until the test drops it
/// (dropping it closes the knocker's ports).
pub(crate) struct Knocker {
    _messenger: Messenger<u32, u32>,
    interrupt: Option<messenger::InterruptSender<u32>>,
}

impl Knocker {
    /// Emits `value` on the component's interrupt channel (whether or not anyone listens).
    pub(crate) fn emit(&self, value: u32) {
        if let Some(sender) = &self.interrupt {
            let _ = sender.emit(&value);
        }
    }
}

/// Knocks on the page, takes the component's first message (1) and its interrupt channel, emits
/// 7 on it and answers 2.
pub(crate) async fn knock_and_answer(config: Config) -> Knocker {
    let answered = within(
        STEP,
        "an answer to the knock",
        knock(config, vec![Target::Window(window())]),
    )
    .await
    .expect("the component answered");
    let (messenger, mut first) = within(
        STEP,
        "the component's first message",
        answered.finish_handshake::<u32, u32>(),
    )
    .await
    .expect("the component spoke first");
    assert_eq!(first.message, 1);
    let interrupt = first.take_interrupt::<u32>();
    interrupt
        .as_ref()
        .expect("an interrupt channel came along")
        .emit(&7)
        .unwrap();
    // Queued (and posted) when called; its answer never comes, and is not awaited.
    drop(messenger.send(2));
    Knocker {
        _messenger: messenger,
        interrupt,
    }
}

pub(crate) fn knocker_config() -> Config {
    Config::new(&page_origin())
        .unwrap()
        .handshake_timeout(Duration::from_secs(5))
        .knock_interval(Duration::from_secs(2))
}

pub(crate) fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}

#[derive(Properties, PartialEq)]
pub(crate) struct ClosingProps {
    pub(crate) probe: ProbeProps,
}

/// Knocks on its iframe and closes the session on a click.
#[component]
pub(crate) fn Closing(props: &ClosingProps) -> Html {
    let frame = use_node_ref();
    let props = &props.probe;
    let session = use_iframe_session(
        frame.clone(),
        Ok(props.recorder.config(props.reply_timeout)),
        |_closer| |received: Received<u32>| async move { Reply::new(received.message) },
    );
    let states = props.states.clone();
    use_effect_with(session.state.clone(), move |state| states.push(state.clone()));
    let close = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| session.close())
    };
    html! {
        <div>
            <button id="close" onclick={close}>{ "close" }</button>
            <iframe ref={frame} srcdoc={listener_page()} />
        </div>
    }
}

pub(crate) fn close_button() -> web_sys::HtmlElement {
    use wasm_bindgen::JsCast;
    window()
        .document()
        .unwrap()
        .get_element_by_id("close")
        .expect("the close button")
        .unchecked_into()
}
