//! `Operation::from_continuation_token` on any text. It never panics, and a token it accepts
//! writes a token back that it accepts again, to the same token.
#![no_main]

use clientcore_proto::lro::{LroOptions, Operation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(op) = Operation::from_continuation_token(token, LroOptions::new()) else {
        return;
    };
    let again = op.continuation_token();
    let op2 = Operation::from_continuation_token(&again, LroOptions::new())
        .expect("a token clientcore wrote is one it reads");
    assert_eq!(op2.continuation_token(), again);
    let _ = (op.status(), op.is_done());
});
