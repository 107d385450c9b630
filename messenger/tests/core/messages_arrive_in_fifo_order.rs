//! Sends queue up FIFO on each side and go out one per turn; each resolves with the peer's next
//! message. Many sends queued on both sides — even before the handshake — arrive exactly once
//! and in order.

use crate::support::*;

#[test]
fn messages_arrive_in_fifo_order_under_many_queued_sends_on_both_sides() {
    const N: u32 = 30;
    let mut pair = Pair::new(steady());
    pair.auto_acknowledge = true;
    let knocker: Vec<SendId> = (0..N).map(|i| pair.send(Side::Knocker, 1_000 + i)).collect();
    let listener: Vec<SendId> = (0..N).map(|i| pair.send(Side::Listener, 2_000 + i)).collect();
    assert_eq!(pair.knocker.core.queued_sends(), N as usize);
    assert_eq!(pair.listener.core.queued_sends(), N as usize);
    pair.drive();

    assert_eq!(pair.listener.received(), (0..N).map(|i| 1_000 + i).collect::<Vec<_>>());
    assert_eq!(pair.knocker.received(), (0..N).map(|i| 2_000 + i).collect::<Vec<_>>());

    // The listener spoke first, so its i-th message answers the knocker's (i-1)-th, and the
    // knocker's i-th answers the listener's i-th.
    let mut expected_knocker = vec![(Waiter::FirstMessage, 2_000)];
    expected_knocker.extend((1..N).map(|i| (Waiter::Send(knocker[i as usize - 1]), 2_000 + i)));
    assert_eq!(pair.knocker.replies(), expected_knocker);
    let expected_listener: Vec<_> = (0..N)
        .map(|i| (Waiter::Send(listener[i as usize]), 1_000 + i))
        .collect();
    assert_eq!(pair.listener.replies(), expected_listener);

    // The knocker's last send is out and waits for a reply that the listener has not sent.
    assert_eq!(pair.knocker.core.queued_sends(), 0);
    assert_eq!(pair.listener.core.queued_sends(), 0);
    assert!(pair.listener.core.is_our_turn());
    assert!(pair.knocker.failures().is_empty() && pair.listener.failures().is_empty());
}

#[test]
fn each_send_resolves_with_the_peers_next_message() {
    // The knocker runs a handler loop: every request gets reply = request + 1.
    let mut pair = Pair::connected(steady());
    let requests: Vec<(SendId, u32)> = (0..10).map(|i| (pair.send(Side::Listener, i * 10), i * 10)).collect();
    let mut answered = 0;
    loop {
        pair.drive();
        let received = pair.knocker.received();
        if received.len() == answered {
            break;
        }
        for request in &received[answered..] {
            pair.send(Side::Knocker, request + 1);
        }
        answered = received.len();
    }
    let expected: Vec<_> = requests.iter().map(|(id, r)| (Waiter::Send(*id), r + 1)).collect();
    assert_eq!(pair.listener.replies(), expected);
    assert_eq!(
        pair.knocker.received(),
        requests.iter().map(|(_, r)| *r).collect::<Vec<_>>()
    );
}
