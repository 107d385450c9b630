//! The pure core's behaviour, natively: one module per rule, each named by the sentence it
//! proves, all in one test binary (so the shared harness in [`support`] compiles once).
//!
//! `cargo test -p secure-messenger --test core` runs them; `cargo test -p secure-messenger --test core
//! first_valid_answer_wins` runs one rule.
#![cfg(not(target_arch = "wasm32"))]

mod support;

mod a_dropped_wait_keeps_the_turn_or_ends_the_session;
mod a_flooding_peer_is_bounded;
mod a_late_deadline_timer_lets_the_queued_answer_win;
mod another_wire_version_fails_fast_on_both_sides;
mod answer_to_an_older_knock_still_works;
mod bytes_go_as_buffers_only_to_a_peer_that_announced_binary;
mod close_fails_every_pending_wait;
mod first_valid_answer_wins;
mod fuzz_regressions;
mod generations_count_messages_alike_on_both_sides;
mod handshake_is_knock_listen_acknowledge;
mod handshake_times_out;
mod interrupt_port_rides_along_with_either_sides_message;
mod invalid_answer_fails_the_handshake;
mod invalid_knock_fails_the_handshake;
mod knocker_knocks_again_with_fresh_channels;
mod listener_ignores_window_messages_that_are_not_knocks;
mod listener_stops_listening_exactly_when_it_accepts;
mod messages_arrive_in_fifo_order;
mod multi_use_interrupts_arrive_in_order_until_closed;
mod one_time_interrupt_delivers_once_then_closes;
mod protocol_violations_fail_closed;
mod random_interleavings_never_lose_a_message;
mod released_interrupt_port_cannot_emit;
mod reply_times_out;
mod session_close_ends_interrupt_channels;
mod the_side_that_ends_tells_its_peer;
mod turns_alternate_with_one_message_in_flight;
