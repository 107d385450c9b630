//! The three-way handshake: knock (`👋`), listen (`🤝`), acknowledge (`👂`), each on the port the
//! previous step transferred, numbered 0, 1 and 2 on both sides.

use crate::support::*;

#[test]
fn handshake_is_knock_listen_acknowledge() {
    let mut pair = Pair::new(steady());
    assert_eq!(pair.knocker.core.role(), Role::Knocker);
    assert_eq!(pair.listener.core.role(), Role::Listener);
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Knocking);
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Listening);

    // 1. Knock: a fresh channel whose second port goes to the listener's window.
    let [(target, knock_channel)] = pair.knocker.knock_channels()[..] else {
        panic!("one knock")
    };
    assert_eq!(target, LISTENER_WINDOW);
    assert_eq!(pair.in_flight().len(), 1);
    let Data::Wire(knock) = &pair.in_flight()[0].data else {
        panic!("the knock is an object")
    };
    assert_eq!(pair.in_flight()[0].to, Dest::Window(LISTENER_WINDOW));
    assert!(matches!(knock.check_knock(), KnockCheck::Valid(_)));

    // 2. Listen: the listener answers on the knock's port with a new reply port.
    assert!(pair.step());
    assert!(matches!(pair.knock_checks[..], [KnockCheck::Valid(_)]));
    assert_eq!(
        pair.listener.core.handshake_state(),
        HandshakeState::AwaitingAcknowledgement
    );
    let [Action::StopListening, Action::Post {
        body: Body::Listen,
        interrupt: None,
        send: None,
        via,
        ..
    }, Action::ClosePort(closed)] = pair.listener.performed[..]
    else {
        panic!("listener: {:?}", pair.listener.performed)
    };
    assert_eq!(via, closed, "the knock's port is used once, then closed");
    assert_eq!(
        pair.counterpart(Side::Listener, via),
        Some((Side::Knocker, knock_channel))
    );
    assert!(pair.listener.events.is_empty());

    // The knocker hears the answer on its knock channel and closes it.
    assert!(pair.step());
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
    assert_eq!(pair.knocker.take_events(), [Event::Answered]);
    assert!(!pair.is_open(Side::Knocker, knock_channel));

    // 3. Acknowledge: the knocker answers on the listener's reply port, with its own.
    pair.acknowledge().unwrap();
    assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.knocker.take_events(), [Event::Connected]);
    assert!(!pair.knocker.core.is_our_turn(), "the listener speaks first");
    let Some(Action::Post {
        body: Body::Acknowledge,
        via: ack_via,
        reply_channel,
        ..
    }) = pair.knocker.performed.last().cloned()
    else {
        panic!("knocker: {:?}", pair.knocker.performed)
    };
    assert_eq!(
        pair.counterpart(Side::Knocker, ack_via).map(|(s, _)| s),
        Some(Side::Listener)
    );
    // Used once, and kept open and watched (not closed) until the first message: a close notice
    // the listener posted before 👂 reached it comes there.
    assert!(pair.is_spent(Side::Knocker, ack_via));

    assert!(pair.step());
    assert!(!pair.step(), "nothing else is said");
    assert_eq!(pair.listener.core.handshake_state(), HandshakeState::Connected);
    assert_eq!(pair.listener.take_events(), [Event::Connected]);
    assert!(pair.listener.core.is_our_turn());

    // Each side now holds exactly one port of the conversation: the knocker the one the first
    // message comes on (and its spent 👂 port), the listener the one it will be posted on.
    assert_eq!(pair.knocker.open_ports(), [ack_via, reply_channel]);
    let listener_port = pair
        .reply_port(Side::Listener)
        .expect("the listener holds its reply port");
    assert_eq!(pair.listener.open_ports(), [listener_port]);
    assert_eq!(
        pair.counterpart(Side::Listener, listener_port),
        Some((Side::Knocker, reply_channel))
    );

    use {Direction::*, MessageKind::*};
    assert_eq!(
        pair.knocker.messages_observed(),
        [(Outgoing, Knock, 0), (Incoming, Listen, 1), (Outgoing, Acknowledge, 2)]
    );
    assert_eq!(
        pair.listener.messages_observed(),
        [(Incoming, Knock, 0), (Outgoing, Listen, 1), (Incoming, Acknowledge, 2)]
    );
    assert_eq!(pair.knocker.core.generation(), 2);
    assert_eq!(pair.listener.core.generation(), 2);
    use HandshakeState::*;
    assert_eq!(pair.knocker.handshake_states(), [Knocking, Answered, Connected]);
    assert_eq!(
        pair.listener.handshake_states(),
        [Listening, AwaitingAcknowledgement, Connected]
    );
    assert!(pair.knocker.observations.iter().any(|o| o.step
        == Step::KnockSent {
            target: LISTENER_WINDOW,
            attempt: 1
        }));
    assert!(pair.dropped.is_empty() && pair.unheard.is_empty());
}

#[test]
fn handshake_completes_without_any_timer_left_but_the_reply_timer() {
    let mut pair = Pair::new(timing());
    pair.auto_acknowledge = true;
    pair.drive();
    // The listener has the turn and waits for nothing; the knocker waits for the first message.
    assert_eq!(pair.listener.core.poll_timeout(), None);
    assert_eq!(pair.knocker.core.poll_timeout(), Some(pair.now + ms(1_000)));
    let mut pair = Pair::connected(steady());
    assert_eq!(pair.knocker.core.poll_timeout(), None);
    assert_eq!(pair.listener.core.poll_timeout(), None);
    pair.advance(ms(3_600_000));
    assert!(Side::BOTH
        .iter()
        .all(|s| pair.peer(*s).core.handshake_state() == HandshakeState::Connected));
}
