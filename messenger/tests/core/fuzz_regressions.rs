//! Reproducers of what the cargo-fuzz targets in `fuzz/` found in the pure core, as plain tests
//! (stable Rust, no fuzzer needed).

use std::time::Duration;

use messenger::protocol::{Action, Connection, Instant, Limits, Timing};

use crate::support::steady;

/// `fuzz/fuzz_targets/core_sequences.rs` with `knocks_kept_open: usize::MAX` ("keep every knock
/// channel open") and more than one target: `knock_all` computed
/// `knocks_kept_open.max(1) * targets`, which overflows, so creating the knocker panicked with
/// "attempt to multiply with overflow" in every build with overflow checks (tests, debug builds;
/// a release build wrapped to a huge number, which happened to behave alike). Keeping "all"
/// must saturate instead.
#[test]
fn a_knocker_that_keeps_every_knock_channel_open_does_not_overflow() {
    for targets in 2..=4 {
        let timing = Timing {
            knocks_kept_open: usize::MAX,
            knock_interval: Duration::from_millis(200),
            ..steady()
        };
        let mut now = Instant::default();
        let mut knocker = Connection::<u32>::knocker(timing, Limits::DEFAULT, targets, now);
        for _ in 0..3 {
            now = now + Duration::from_millis(200);
            knocker.handle_timeout(now);
        }
        let mut knocks = 0;
        while let Some(action) = knocker.poll_action() {
            match action {
                Action::Knock { .. } => knocks += 1,
                Action::ClosePort(id) => panic!("{targets} targets: closed knock channel {id:?}, all are kept"),
                other => panic!("{targets} targets: unexpected {other:?}"),
            }
        }
        assert_eq!(knocks, 4 * targets, "four rounds of knocks on {targets} targets");
        assert_eq!(knocker.open_port_count(), 4 * targets, "every knock channel stays open");
    }
}
