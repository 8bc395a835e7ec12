//! `ErrorFormat::Auto` end to end: a content type chosen by the first byte, then
//! `Error::from_response`, its `Display`, `message()` and `errors()`.
#![no_main]

use bytes::Bytes;
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorMap};
use http::{HeaderMap, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: &[&str] = &[
    "",
    "application/json",
    "application/json; charset=utf-8",
    "application/problem+json",
    "application/xml",
    "application/atom+xml; charset=UTF-8",
    "text/html",
    "text/plain; charset=iso-8859-1",
    "text/plain; charset=utf-16",
    "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
    "application/json; charset=\"shift_jis\"",
    "text/xml; charset=nonsense",
    "APPLICATION/JSON",
    "application/json; charset=",
    "application/vnd.api+json",
    "text/plain; charset=iso-2022-kr",
];

const STATUSES: &[u16] = &[400, 401, 403, 404, 409, 412, 429, 500, 503, 599];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    let ct = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    if !ct.is_empty() {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let status = STATUSES[usize::from(selector >> 4) % STATUSES.len()];
    let status = StatusCode::from_u16(status).unwrap();
    let response = CapturedResponse::new(status, headers, Bytes::copy_from_slice(body));
    let has_content = response.text().is_some_and(|t| !t.is_empty());
    let e = Error::from_response(response, ErrorFormat::Auto, &ErrorMap::generated());

    let display = e.to_string();
    let message = e.message();
    let errors = e.errors();
    let _ = (
        e.error_code(),
        e.request_id(),
        e.azion_status(),
        format!("{e:?}"),
    );

    if e.service_error().is_none() {
        assert!(errors.is_empty());
        assert!(display.starts_with("Operation returned an invalid status '"));
        if has_content {
            let chars = display.chars().count();
            assert!(chars <= 2048, "Display is {chars} chars");
            assert!(display.starts_with(&format!("{message}\nContent: ")));
        } else {
            assert_eq!(display, message);
        }
    } else {
        assert_eq!(display, message);
        assert!(!errors.is_empty());
    }
});
