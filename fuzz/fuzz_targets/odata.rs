//! OData v4 and ARM error bodies: `ODataError::from_json` / `from_arm_json`, through
//! `format::parse` too, and their `Display`.
#![no_main]

use clientcore_proto::format::{self, ErrorFormat, ODataError, ServiceError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

fn check(e: &ODataError) {
    // A parsed OData error always has a code or a message.
    assert!(e.code().is_some() || e.message().is_some());
    let text = e.to_string();
    assert!(text.starts_with('('));
    for d in e.details() {
        check(d);
    }
    for ai in e.additional_info() {
        let _ = ai.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let headers = HeaderMap::new();
    for (fmt, arm) in [(ErrorFormat::ODataV4, false), (ErrorFormat::Arm, true)] {
        if let Some(se) = format::parse(fmt, &headers, data) {
            let ServiceError::OData(e) = &se else {
                panic!("{fmt:?} gave {se:?}");
            };
            check(e);
            assert!(arm || e.additional_info().is_empty());
            let _ = (se.code(), se.message(), se.entries(), se.to_string());
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let v4 = ODataError::from_json(&value);
        let arm = ODataError::from_arm_json(&value);
        // ARM only adds `additionalInfo`; it accepts exactly the bodies OData v4 accepts.
        assert_eq!(v4.is_some(), arm.is_some());
        if let Some(e) = &v4 {
            check(e);
        }
        if let Some(e) = &arm {
            check(e);
        }
        // `format::parse` reads OData v4 and ARM in one pass over the text (no `Value` of the
        // body); it must agree with the parsers that go through a `Value`.
        let headers = HeaderMap::new();
        let owned = |fmt| match format::parse(fmt, &headers, data) {
            Some(ServiceError::OData(e)) => Some(e),
            _ => None,
        };
        assert_eq!(owned(ErrorFormat::ODataV4), v4);
        assert_eq!(owned(ErrorFormat::Arm), arm);
    }
});
