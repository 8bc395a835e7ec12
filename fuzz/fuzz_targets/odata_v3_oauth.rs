//! Azure Tables' `odata.error` and OAuth 2.0 error bodies: `ODataV3Error::from_json`,
//! `OAuthError::from_json` and their `Display`.
#![no_main]

use clientcore_proto::format::{self, ErrorFormat, OAuthError, ODataV3Error, ServiceError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let headers = HeaderMap::new();
    for fmt in [ErrorFormat::ODataV3, ErrorFormat::OAuth] {
        if let Some(se) = format::parse(fmt, &headers, data) {
            match (&se, fmt) {
                (ServiceError::ODataV3(_), ErrorFormat::ODataV3)
                | (ServiceError::OAuth(_), ErrorFormat::OAuth) => {}
                _ => panic!("{fmt:?} gave {se:?}"),
            }
            let _ = (se.code(), se.message(), se.entries());
            assert!(se.to_string().starts_with('('));
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Some(e) = ODataV3Error::from_json(&value) {
            assert!(e.code().is_some() || e.message().is_some());
            let _ = (e.lang(), e.to_string());
        }
        if let Some(e) = OAuthError::from_json(&value) {
            assert!(!e.error().is_empty());
            let _ = (e.description(), e.uri(), e.to_string());
        }
    }
});
