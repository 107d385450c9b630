//! Issue 24: `$binary` on the knock and the 🤝. A side sends bytes as transferred `Uint8Array`s
//! only to a peer whose handshake step carried `$binary: true`
//! ([`Connection::peer_takes_binary`]); a version-1 peer, which announces nothing, is sent arrays
//! of numbers. And the [`Budget`] of binary bytes: judged from each buffer's length against
//! [`Limits::max_binary_bytes`], capped at [`MAX_BINARY_BYTES`], two bytes (`[]`) of JSON text
//! per buffer.

use crate::support::*;
use messenger::protocol::{Budget, MAX_BINARY_BYTES};

#[test]
fn binary_is_learnt_from_the_knock_and_the_answer_in_both_roles() {
    let mut pair = Pair::new(steady());
    assert!(!pair.knocker.core.peer_takes_binary(), "nothing heard yet");
    assert!(!pair.listener.core.peer_takes_binary(), "nothing heard yet");
    let Data::Wire(knock) = &pair.in_flight()[0].data else {
        panic!("the knock is an object")
    };
    assert!(knock.binary, "our knock announces $binary");

    // The knock reaches the listener: it learns the knocker's $binary.
    assert!(pair.step());
    assert!(pair.listener.core.peer_takes_binary());
    assert!(!pair.knocker.core.peer_takes_binary(), "the answer is still in flight");
    let Data::Wire(answer) = &pair.in_flight()[0].data else {
        panic!("the answer is an object")
    };
    assert!(answer.binary, "our 🤝 announces $binary");

    // The 🤝 reaches the knocker.
    assert!(pair.step());
    assert!(pair.knocker.core.peer_takes_binary());
    pair.acknowledge().unwrap();
    pair.drive();
    assert!(pair.knocker.core.peer_takes_binary() && pair.listener.core.peer_takes_binary());
}

#[test]
fn binary_is_not_assumed_of_a_version_1_peer() {
    for v1 in Side::BOTH {
        let pair = Pair::connected_with_v1_peer(steady(), v1);
        assert!(
            !pair.peer(v1.peer()).core.peer_takes_binary(),
            "{v1:?} announced nothing: its peer sends it numbers"
        );
        assert_eq!(pair.peer(v1.peer()).core.handshake_state(), HandshakeState::Connected);
    }
}

#[test]
fn binary_follows_exactly_what_a_hand_written_knock_says() {
    for announced in [false, true] {
        let mut pair = Pair::new(steady());
        // The harness's own knock is lost; a hand-written one from the expected window comes.
        pair.lose(0);
        let (_kept, given) = pair.outsider_channel();
        pair.post_window(Data::Wire(WireObject {
            binary: announced,
            ..knock(given)
        }));
        pair.drive();
        assert!(matches!(pair.knock_checks[..], [KnockCheck::Valid(_)]));
        assert_eq!(pair.listener.core.peer_takes_binary(), announced, "$binary {announced}");
    }
}

#[test]
fn binary_follows_exactly_what_a_hand_written_answer_says() {
    for announced in [false, true] {
        // Target 1 is a stranger's window: it answers by hand on the knock's port.
        let mut pair = Pair::with_targets(steady(), 2);
        pair.listener_up = false;
        pair.drive();
        let knock = pair
            .outsider_inbox
            .iter()
            .find_map(|packet| match (&packet.to, &packet.data) {
                (Dest::Window(TargetId(1)), Data::Wire(knock)) => Some(knock.clone()),
                _ => None,
            })
            .expect("the stranger got a knock");
        let PortField::Port(port) = knock.response_port else {
            panic!("with its port")
        };
        let (_kept, given) = pair.outsider_channel();
        pair.post_from_outsider(
            End(port.raw() as usize),
            Data::Wire(WireObject {
                binary: announced,
                ..listen(given)
            }),
        );
        pair.drive();
        assert_eq!(pair.knocker.core.handshake_state(), HandshakeState::Answered);
        assert_eq!(pair.knocker.core.peer_takes_binary(), announced, "$binary {announced}");
    }
}

fn budget(max_binary_bytes: usize) -> Budget {
    Budget::new(Limits {
        max_binary_bytes,
        ..Limits::DEFAULT
    })
}

#[test]
fn binary_budget_refuses_one_byte_past_the_limit() {
    let limit = 1000;
    for (size, accepted) in [(0, true), (limit - 1, true), (limit, true), (limit + 1, false)] {
        let mut counted = budget(limit);
        let result = counted.add_binary(size);
        match accepted {
            true => assert_eq!(result, Ok(()), "{size}"),
            false => assert_eq!(result, Err(Error::BinaryTooLarge { size, limit }), "{size}"),
        }
        assert_eq!(counted.binary_bytes(), size);
    }
}

#[test]
fn binary_budget_sums_the_buffers_of_a_payload() {
    let mut counted = budget(1000);
    assert_eq!(counted.add_binary(400), Ok(()));
    assert_eq!(counted.add_binary(600), Ok(()));
    assert_eq!(counted.add_binary(0), Ok(()), "an empty buffer at the limit");
    assert_eq!(
        counted.add_binary(1),
        Err(Error::BinaryTooLarge {
            size: 1001,
            limit: 1000
        })
    );
}

#[test]
fn binary_budget_saturates_and_caps_a_larger_limit() {
    // A limit past the cap counts as MAX_BINARY_BYTES.
    let mut counted = budget(usize::MAX);
    assert_eq!(counted.add_binary(MAX_BINARY_BYTES), Ok(()));
    assert_eq!(
        counted.add_binary(1),
        Err(Error::BinaryTooLarge {
            size: MAX_BINARY_BYTES + 1,
            limit: MAX_BINARY_BYTES
        })
    );
    // Sizes never wrap around to something small.
    let mut counted = budget(usize::MAX);
    let _ = counted.add_binary(usize::MAX);
    assert_eq!(
        counted.add_binary(usize::MAX),
        Err(Error::BinaryTooLarge {
            size: usize::MAX,
            limit: MAX_BINARY_BYTES
        })
    );
    assert_eq!(counted.binary_bytes(), usize::MAX);
    // Under the cap, the configured limit holds.
    assert_eq!(
        budget(MAX_BINARY_BYTES - 1).add_binary(MAX_BINARY_BYTES),
        Err(Error::BinaryTooLarge {
            size: MAX_BINARY_BYTES,
            limit: MAX_BINARY_BYTES - 1
        })
    );
}

#[test]
fn binary_budget_counts_a_buffer_as_two_bytes_of_json_text() {
    let mut counted = budget(1000);
    counted.add_binary(1000).unwrap();
    assert_eq!(
        (counted.bytes(), counted.exact_bytes()),
        (2, 2),
        "[] whatever the buffer's size"
    );
    counted.add_binary(0).unwrap();
    assert_eq!((counted.bytes(), counted.exact_bytes()), (4, 4));
    // The text limit is judged first: a buffer where even `[]` does not fit is TooLarge.
    let mut tight = Budget::new(Limits {
        max_bytes: 3,
        max_binary_bytes: 10,
        ..Limits::DEFAULT
    });
    assert_eq!(tight.add_binary(5), Ok(()));
    assert_eq!(tight.add_binary(50), Err(Error::TooLarge { size: 4, limit: 3 }));
    assert_eq!(tight.binary_bytes(), 5, "not counted once the text refused it");
}
