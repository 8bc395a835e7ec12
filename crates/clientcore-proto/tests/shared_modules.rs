//! Shared modules, sans-IO: section P of the reference's scenarios (enums and serialization),
//! conditional requests, and the paging and LRO deciders (sections Q and R where they need no
//! I/O; the drivers are tested against a server in `clientcore/tests/{paging,lro}.rs`).

#![allow(
    clippy::type_complexity,
    clippy::too_many_lines,
    reason = "case tables read best inline, as one table per test"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::base64::Engine as _;
use bytes::Bytes;
use clientcore_proto::conditions::{Conditional, ETag, MatchConditions};
use clientcore_proto::lro::{FinalStateVia, LroOptions, LroStep, Operation};
use clientcore_proto::model::{base64, base64url, duration, rfc3339, rfc7231, unix_time, Nullable};
use clientcore_proto::options::Options;
use clientcore_proto::paging::{PageStrategy, Paging};
use clientcore_proto::pipeline::RequestParts;
use clientcore_proto::{string_enum, ErrorKind, ErrorMap};
use http::{HeaderMap, HeaderName, Method, StatusCode};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ===== P: enums =====

string_enum! {
    /// The reference's test enum.
    pub enum E {
        /// foo
        Foo = "foo",
        /// bar
        Bar = "bar",
    }
}

string_enum! {
    /// Mixed-case names, which the reference cannot look up by name in other cases.
    pub enum RetryModeLike {
        /// exponential
        Exponential = "exponential",
        /// fixed
        Fixed = "fixed",
    }
}

#[test]
fn p1_case_insensitive_enum_by_name_and_value() {
    assert_eq!(E::Foo.as_str(), "foo");
    assert_eq!(E::from("bar"), E::Bar);
    assert_eq!(E::Bar, "bar");
    assert_eq!(E::from("FOO"), E::Foo);
    assert_eq!(E::from("Foo"), E::Foo);
    assert_eq!(E::Foo.to_string(), "foo");
    assert_eq!(E::KNOWN, &[E::Foo, E::Bar]);
    let as_ref: &str = E::Bar.as_ref();
    assert_eq!(as_ref, "bar");
}

#[test]
fn p2_fixed_value_lookup_is_case_insensitive_and_mixed_case_names_work() {
    // The reference raises ValueError for E("BAR") and KeyError for RetryMode["Exponential"]
    // in other cases; clientcore matches both (ARCHITECTURE.md, deviation 8).
    assert_eq!("BAR".parse::<E>().unwrap(), E::Bar);
    for s in ["Exponential", "EXPONENTIAL", "exponential", "eXpOnEnTiAl"] {
        assert_eq!(RetryModeLike::from(s), RetryModeLike::Exponential, "{s}");
    }
}

#[test]
fn unknown_enum_values_are_kept_as_sent() {
    let e = E::from("Baz");
    assert_eq!(e, E::UnknownValue("Baz".into()));
    assert!(!e.is_known());
    assert_eq!(e.to_string(), "Baz");
    assert_eq!(serde_json::to_string(&e).unwrap(), r#""Baz""#);
    let back: Vec<E> = serde_json::from_str(r#"["FOO", "bar", "qux"]"#).unwrap();
    assert_eq!(back, [E::Foo, E::Bar, E::UnknownValue("qux".into())]);
    assert!(serde_json::from_str::<E>("3").is_err());
}

// ===== P: NULL =====

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Patch {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    tags: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    size: Nullable<u64>,
}

#[test]
fn p3_null_sentinel_is_falsy_and_serializes_to_null() {
    let null: Nullable<u8> = Nullable::Null;
    assert!(!null.is_value());
    assert!(null.is_null());
    assert_eq!(null, Nullable::Null);
    assert_eq!(Nullable::<u8>::default(), Nullable::Absent);
    let p = Patch {
        tags: Nullable::Null,
        size: 7.into(),
    };
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"tags": null, "size": 7})
    );
    assert_eq!(serde_json::to_string(&Patch::default()).unwrap(), "{}");
    let back: Patch = serde_json::from_str(r#"{"tags": null}"#).unwrap();
    assert_eq!(back.tags, Nullable::Null);
    assert_eq!(back.size, Nullable::Absent);
    assert_eq!(Nullable::<u8>::from(None), Nullable::Null);
    assert_eq!(Nullable::Value(3).into_option(), Some(Some(3)));
}

// ===== P: bytes, dates, durations =====

#[test]
fn p4_bytes_round_trip_through_standard_base64() {
    assert_eq!(base64::format(b"\x00\xff\xfe"), "AP/+");
    assert_eq!(base64::format(b""), "");
    let utf16: Vec<u8> = "a€".encode_utf16().flat_map(u16::to_le_bytes).collect();
    for input in [b"ascii".to_vec(), "utf-8 €".as_bytes().to_vec(), utf16] {
        assert_eq!(base64::parse(&base64::format(&input)).unwrap(), input);
    }
    // Padded or not, both read.
    assert_eq!(base64::parse("aGk").unwrap(), b"hi");
    assert_eq!(base64url::parse("aGk=").unwrap(), b"hi");
    let err = base64::parse("not base64!").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Deserialization);
}

fn utc(s: &str) -> SystemTime {
    rfc3339::parse(s).unwrap()
}

#[test]
fn p5_p6_p7_datetimes_are_written_as_the_reference_writes_them() {
    let cases = [
        ("2012-02-24T00:53:52.780Z", "2012-02-24T00:53:52.780000Z"),
        ("2015-01-01T00:00:00Z", "2015-01-01T00:00:00Z"),
        ("1999-12-31T23:59:59-12:00", "2000-01-01T11:59:59Z"),
        (
            "2015-06-01T16:10:08.0121+12:00",
            "2015-06-01T04:10:08.012100Z",
        ),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("2012-02-24T00:53:52.000001Z", "2012-02-24T00:53:52.000001Z"),
        (
            "2020-01-02t03:04:05.1234567z",
            "2020-01-02T03:04:05.123456700Z",
        ),
        ("2020-01-02 03:04:05+00:00", "2020-01-02T03:04:05Z"),
    ];
    for (input, written) in cases {
        assert_eq!(rfc3339::format(utc(input)), written, "{input}");
    }
    for bad in [
        "",
        "2020-13-01T00:00:00Z",
        "2021-02-29T00:00:00Z",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:00.Z",
        "2020-01-01",
        "2020-01-01T00:00:00Z trailing",
    ] {
        let e = rfc3339::parse(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Deserialization, "{bad}");
    }
    let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(rfc7231::format(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(rfc7231::parse("Sun Nov  6 08:49:37 1994").unwrap(), t);
    assert!(rfc7231::parse("yesterday").is_err());
}

#[test]
fn p9_durations_are_written_as_the_reference_writes_them() {
    let cases = [
        (Duration::ZERO, "PT00S"),
        (Duration::from_secs(5), "PT05S"),
        (Duration::from_secs(60), "PT01M00S"),
        (Duration::from_secs(3600), "PT01H00M00S"),
        (Duration::from_secs(86_400), "P1DT00H00M00S"),
        (
            Duration::from_secs(4 * 86_400 + 12 * 3600 + 30 * 60 + 5),
            "P4DT12H30M05S",
        ),
        (Duration::from_millis(1500), "PT01.5S"),
        (Duration::from_micros(1), "PT00.000001S"),
        (Duration::new(86_400, 10_000), "P1DT00H00M00.00001S"),
    ];
    for (d, written) in cases {
        assert_eq!(duration::format(d), written);
        assert_eq!(duration::parse(written).unwrap(), d, "{written}");
    }
    assert_eq!(
        duration::parse("P1W").unwrap(),
        Duration::from_secs(7 * 86_400)
    );
    assert_eq!(
        duration::parse("PT0,5S").unwrap(),
        Duration::from_millis(500)
    );
    assert_eq!(
        duration::parse("PT1.5H").unwrap(),
        Duration::from_secs(5400)
    );
    // A std Duration cannot be negative; years and months have no fixed length.
    for bad in [
        "P-1DT23H59M59S",
        "P1Y",
        "P1M",
        "PT",
        "P",
        "1D",
        "PT1D",
        "P1H",
    ] {
        assert!(duration::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn serde_with_modules_work_on_fields() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Model {
        #[serde(with = "rfc3339")]
        created: SystemTime,
        #[serde(with = "rfc7231")]
        modified: SystemTime,
        #[serde(with = "unix_time")]
        expires: SystemTime,
        #[serde(with = "duration")]
        ttl: Duration,
        #[serde(with = "base64")]
        data: Vec<u8>,
        #[serde(with = "base64url")]
        key: Vec<u8>,
    }
    let v = json!({
        "created": "2020-01-02T03:04:05Z",
        "modified": "Thu, 02 Jan 2020 03:04:05 GMT",
        "expires": 1_577_934_245,
        "ttl": "PT01H00M00S",
        "data": "AP/+",
        "key": "AP_-",
    });
    let m: Model = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(m.created, m.modified);
    assert_eq!(m.created, m.expires);
    assert_eq!(m.data, b"\x00\xff\xfe");
    assert_eq!(serde_json::to_value(&m).unwrap(), v);
}

// ===== conditional requests =====

#[test]
fn match_conditions_become_the_generated_headers_and_error_map() {
    let etag = ETag::new("\"0x1\"");
    let cases: [(MatchConditions, Option<(&str, &str)>, Option<ErrorKind>); 5] = [
        (MatchConditions::Unconditionally, None, None),
        (
            MatchConditions::IfNotModified,
            Some(("if-match", "\"0x1\"")),
            Some(ErrorKind::ResourceModified),
        ),
        (
            MatchConditions::IfModified,
            Some(("if-none-match", "\"0x1\"")),
            None,
        ),
        (
            MatchConditions::IfPresent,
            Some(("if-match", "*")),
            Some(ErrorKind::ResourceNotFound),
        ),
        (
            MatchConditions::IfMissing,
            Some(("if-none-match", "*")),
            Some(ErrorKind::ResourceExists),
        ),
    ];
    for (condition, header, kind) in cases {
        let c = Conditional::new(condition, Some(&etag)).unwrap();
        match header {
            Some((name, value)) => {
                assert_eq!(c.headers().len(), 1, "{condition}");
                assert_eq!(c.headers()[name], value, "{condition}");
            }
            None => assert!(c.headers().is_empty(), "{condition}"),
        }
        assert_eq!(c.error_map().get(412), kind, "{condition}");
        let options = c.apply(Options::new());
        let map = options.error_map();
        // Only `IfModified` makes a 304 an error.
        let not_modified = if condition == MatchConditions::IfModified {
            ErrorKind::ResourceNotModified
        } else {
            ErrorKind::HttpResponse
        };
        assert_eq!(map.kind_for(304), not_modified, "{condition}");
        assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
        assert_eq!(map.kind_for(409), ErrorKind::ResourceExists);
        if let Some(kind) = kind {
            assert_eq!(map.kind_for(412), kind);
        }
    }
    // Over a call's own map, the condition's entry is added and the rest kept.
    let own = Options::new().with_error_map(ErrorMap::new().with(500, ErrorKind::ResourceExists));
    let merged = Conditional::new(MatchConditions::IfPresent, None)
        .unwrap()
        .apply(own)
        .error_map();
    assert_eq!(merged.kind_for(500), ErrorKind::ResourceExists);
    assert_eq!(merged.kind_for(412), ErrorKind::ResourceNotFound);
}

#[test]
fn a_missing_etag_where_required_is_an_error() {
    for condition in [MatchConditions::IfNotModified, MatchConditions::IfModified] {
        for etag in [None, Some(ETag::new(""))] {
            let e = Conditional::new(condition, etag.as_ref()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Other);
            assert_eq!(
                e.to_string(),
                format!("The '{condition}' match condition must be paired with an etag.")
            );
        }
    }
    for condition in [
        MatchConditions::Unconditionally,
        MatchConditions::IfPresent,
        MatchConditions::IfMissing,
    ] {
        assert!(Conditional::new(condition, None).is_ok());
    }
}

#[test]
fn etags_are_quoted_like_quote_etag_and_sent_byte_for_byte() {
    let cases = [
        ("abc", "\"abc\""),
        ("\"abc\"", "\"abc\""),
        ("'abc'", "'abc'"),
        ("W/\"abc\"", "W/\"abc\""),
        ("*", "*"),
        (
            "W/\"datetime'2024-05-01T10%3A20%3A30.123Z'\"",
            "W/\"datetime'2024-05-01T10%3A20%3A30.123Z'\"",
        ),
    ];
    for (raw, sent) in cases {
        assert_eq!(ETag::new(raw).to_header_value().unwrap(), sent, "{raw}");
    }
    assert!(ETag::new("bad\nline").to_header_value().is_err());
    let weak = ETag::weak("x");
    let strong = ETag::strong("x");
    assert!(weak.weak_eq(&strong) && !weak.strong_eq(&strong));
    assert!(strong.strong_eq(&ETag::new("\"x\"")));
    assert!(!strong.weak_eq(&ETag::strong("y")));
    assert!(ETag::any().is_any());
    let mut h = HeaderMap::new();
    h.insert("etag", "W/\"7\"".parse().unwrap());
    assert_eq!(ETag::from_headers(&h), Some(ETag::weak("7")));
}

// ===== Q: paging decider =====

fn first(url: &str) -> RequestParts {
    RequestParts {
        method: Method::GET,
        url: url.parse().unwrap(),
        headers: HeaderMap::new(),
    }
}

#[test]
fn q7_an_empty_token_is_not_terminal() {
    let mut p = Paging::new(
        first("https://h/list?api-version=1"),
        PageStrategy::token_in_body("token", "ct"),
    );
    let page = p
        .on_page::<u32>(&HeaderMap::new(), br#"{"value": [1], "token": ""}"#)
        .unwrap();
    assert_eq!(page.continuation_token.as_deref(), Some(""));
    assert!(!p.is_done());
    let next = p.next_request().unwrap().unwrap();
    assert_eq!(next.url.as_str(), "https://h/list?api-version=1&ct=");
    p.on_page::<u32>(&HeaderMap::new(), br#"{"value": [2], "token": null}"#)
        .unwrap();
    assert!(p.is_done());
    assert!(p.next_request().is_none());
}

#[test]
fn q4_null_or_missing_items_are_an_empty_page() {
    for body in [&br#"{"value": null}"#[..], br"{}", b""] {
        let mut p = Paging::new(first("https://h/l"), PageStrategy::next_link());
        let page = p.on_page::<String>(&HeaderMap::new(), body).unwrap();
        assert!(page.items.is_empty());
        assert!(p.is_done());
    }
    let mut p = Paging::new(first("https://h/l"), PageStrategy::next_link());
    let e = p.on_page::<u8>(&HeaderMap::new(), b"<html>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Deserialization);
    assert!(!p.is_done(), "a failed page can be asked for again");
}

#[test]
fn header_tokens_and_resuming() {
    let strategy = PageStrategy::token_in_header("x-ms-continuation", "x-ms-continuation")
        .with_items("Documents");
    let mut p = Paging::new(first("https://h/docs"), strategy.clone());
    let mut h = HeaderMap::new();
    h.insert("x-ms-continuation", "abc".parse().unwrap());
    let page = p
        .on_page::<Value>(&h, br#"{"Documents": [{"id": 1}]}"#)
        .unwrap();
    assert_eq!(page.items, [json!({"id": 1})]);
    let next = p.next_request().unwrap().unwrap();
    assert_eq!(next.headers["x-ms-continuation"], "abc");
    assert_eq!(next.url.as_str(), "https://h/docs");

    let resumed = Paging::new(first("https://h/docs"), strategy).resume(Some("abc".into()));
    assert_eq!(resumed.continuation_token(), Some("abc"));
    assert_eq!(
        resumed.next_request().unwrap().unwrap().headers["x-ms-continuation"],
        "abc"
    );

    let bad = Paging::new(
        first("https://h/docs"),
        PageStrategy::token_in_body("t", "x").with_request_header("x-token"),
    )
    .resume(Some("line\nbreak".into()));
    let e = bad.next_request().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Serialization);

    let e = resumed.attach_token(clientcore_proto::Error::from(ErrorKind::HttpResponse));
    assert_eq!(e.continuation_token(), Some("abc"));
}

// ===== R: LRO decider =====

fn parts(method: Method, url: &str) -> RequestParts {
    RequestParts {
        method,
        url: url.parse().unwrap(),
        headers: HeaderMap::new(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    h
}

fn start(method: Method, status: u16, h: &[(&str, &str)], body: &str) -> Operation {
    Operation::new(
        &parts(method, "https://h/things/1"),
        StatusCode::from_u16(status).unwrap(),
        headers(h),
        Bytes::copy_from_slice(body.as_bytes()),
        LroOptions::new(),
    )
    .unwrap()
}

fn now() -> SystemTime {
    SystemTime::now()
}

#[track_caller]
fn expect_get(op: &mut Operation) -> String {
    loop {
        match op.step(now()) {
            LroStep::Sleep(_) => {}
            LroStep::Get(p) => return p.url.to_string(),
            LroStep::Done(r) => panic!("expected a GET, got {r:?}"),
        }
    }
}

#[track_caller]
fn expect_done(
    op: &mut Operation,
) -> Result<clientcore_proto::lro::LroResponse, clientcore_proto::Error> {
    loop {
        match op.step(now()) {
            LroStep::Sleep(_) => {}
            LroStep::Get(p) => panic!("expected the end, got a GET of {}", p.url),
            LroStep::Done(r) => return r,
        }
    }
}

fn ok(op: &mut Operation, status: u16, h: &[(&str, &str)], body: &str) {
    op.on_response(
        StatusCode::from_u16(status).unwrap(),
        headers(h),
        Bytes::copy_from_slice(body.as_bytes()),
    );
}

#[test]
fn r8_initial_status_already_succeeded_needs_no_poll() {
    let mut op = start(
        Method::POST,
        202,
        &[("operation-location", "/ops/1")],
        r#"{"status": "succeeded"}"#,
    );
    assert!(op.is_finished());
    let r = expect_done(&mut op).unwrap();
    assert_eq!(r.body, r#"{"status": "succeeded"}"#);
}

#[test]
fn r8_put_201_with_provisioning_state_succeeded_needs_no_poll() {
    let mut op = start(
        Method::PUT,
        201,
        &[],
        r#"{"properties": {"provisioningState": "Succeeded"}}"#,
    );
    assert_eq!(op.status(), "Succeeded");
    expect_done(&mut op).unwrap();
}

#[test]
fn r8_bad_initial_statuses_are_http_errors() {
    let e = Operation::new(
        &parts(Method::PUT, "https://h/x"),
        StatusCode::from_u16(203).unwrap(),
        HeaderMap::new(),
        Bytes::new(),
        LroOptions::new(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpResponse);
    assert_eq!(e.message(), "Invalid return status 203 for 'PUT' operation");
    assert!(e.continuation_token().is_some());
}

#[test]
fn terminal_states_match_ignoring_case_including_cancelled() {
    for (state, failed) in [
        ("Succeeded", false),
        ("SUCCEEDED", false),
        ("failed", true),
        ("Canceled", true),
        ("Cancelled", true),
        ("CANCELLED", true),
    ] {
        let mut op = start(
            Method::DELETE,
            202,
            &[("azure-asyncoperation", "https://h/ops/1")],
            "",
        );
        assert_eq!(expect_get(&mut op), "https://h/ops/1");
        ok(
            &mut op,
            200,
            &[],
            &json!({"status": "InProgress"}).to_string(),
        );
        assert!(!op.is_finished());
        assert_eq!(expect_get(&mut op), "https://h/ops/1");
        ok(
            &mut op,
            200,
            &[],
            &json!({"status": state, "error": {"code": "Boom", "message": "it broke"}}).to_string(),
        );
        assert!(op.is_finished(), "{state}");
        let r = expect_done(&mut op);
        assert_eq!(r.is_err(), failed, "{state}");
        if let Err(e) = r {
            assert_eq!(e.kind(), ErrorKind::HttpResponse);
            assert_eq!(e.error_code(), Some("Boom"));
            assert!(e.to_string().starts_with("(Boom) it broke"), "{e}");
            assert!(e.continuation_token().is_some());
        }
    }
}

#[test]
fn waits_honour_retry_after_else_the_polling_interval() {
    let mut op = Operation::new(
        &parts(Method::POST, "https://h/x"),
        StatusCode::ACCEPTED,
        headers(&[("location", "https://h/poll"), ("retry-after", "7")]),
        Bytes::new(),
        LroOptions::new().with_polling_interval(Duration::from_secs(3)),
    )
    .unwrap();
    assert!(matches!(op.step(now()), LroStep::Sleep(d) if d == Duration::from_secs(7)));
    assert!(matches!(op.step(now()), LroStep::Get(_)));
    ok(&mut op, 202, &[("retry-after", "0")], "");
    assert!(matches!(op.step(now()), LroStep::Sleep(d) if d == Duration::from_secs(3)));
    assert!(matches!(op.step(now()), LroStep::Get(_)));
    ok(&mut op, 202, &[("retry-after-ms", "250")], "");
    assert!(matches!(op.step(now()), LroStep::Sleep(d) if d == Duration::from_millis(250)));
}

#[test]
fn r8_monitor_errors() {
    // Invalid JSON: a decode error.
    let mut op = start(
        Method::PUT,
        202,
        &[("operation-location", "https://h/op")],
        "",
    );
    expect_get(&mut op);
    ok(&mut op, 200, &[], "{not json");
    let e = expect_done(&mut op).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.is_http_response());
    // No body; no status.
    for (body, message) in [
        (
            "",
            "The response from long running operation does not contain a body.",
        ),
        ("{}", "No status found in body"),
    ] {
        let mut op = start(
            Method::PUT,
            202,
            &[("operation-location", "https://h/op")],
            "",
        );
        expect_get(&mut op);
        ok(&mut op, 200, &[], body);
        let e = expect_done(&mut op).unwrap_err();
        assert_eq!(e.message(), message);
    }
    // A 203 from the monitor: an HTTP error whose token decodes to the request and response.
    let mut op = start(
        Method::PUT,
        202,
        &[("operation-location", "https://h/op")],
        "",
    )
    .with_request_id(HeaderName::from_static("x-ms-client-request-id"), "id-1");
    expect_get(&mut op);
    ok(&mut op, 203, &[], r#"{"status": "Running"}"#);
    let e = expect_done(&mut op).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpResponse);
    assert_eq!(e.message(), "Invalid return status 203 for 'PUT' operation");
    let raw = ::base64::engine::general_purpose::STANDARD
        .decode(e.continuation_token().unwrap())
        .unwrap();
    let token: Value = serde_json::from_slice(&raw).unwrap();
    // The reference's envelope: {"version": 1, "data": {...}}.
    assert_eq!(token["version"], 1);
    let token = &token["data"];
    assert_eq!(token["request"]["method"], "PUT");
    assert_eq!(
        token["request"]["headers"],
        json!({"x-ms-client-request-id": "id-1"})
    );
    assert_eq!(token["response"]["status_code"], 202);
}

#[test]
fn r8_final_get_per_strategy_and_final_state_via() {
    let monitor_done = json!({"status": "Succeeded"}).to_string();
    // (method, initial headers, final-state-via, monitor body, expected final GET)
    let cases: Vec<(
        Method,
        Vec<(&str, &str)>,
        Option<FinalStateVia>,
        String,
        Option<&str>,
    )> = vec![
        (
            Method::PUT,
            vec![("operation-location", "/op")],
            None,
            monitor_done.clone(),
            Some("https://h/things/1"),
        ),
        (
            Method::PATCH,
            vec![("azure-asyncoperation", "/op")],
            None,
            monitor_done.clone(),
            Some("https://h/things/1"),
        ),
        (
            Method::POST,
            vec![("operation-location", "/op"), ("location", "/result")],
            None,
            monitor_done.clone(),
            Some("https://h/result"),
        ),
        (
            Method::POST,
            vec![("operation-location", "/op")],
            None,
            monitor_done.clone(),
            None,
        ),
        (
            Method::DELETE,
            vec![("operation-location", "/op")],
            None,
            monitor_done.clone(),
            None,
        ),
        (
            Method::POST,
            vec![("operation-location", "/op")],
            None,
            json!({"status": "Succeeded", "resourceLocation": "https://h/made/9"}).to_string(),
            Some("https://h/made/9"),
        ),
        (
            Method::POST,
            vec![("operation-location", "/op"), ("location", "/result")],
            Some(FinalStateVia::OperationLocation),
            monitor_done.clone(),
            None,
        ),
        (
            Method::POST,
            vec![("azure-asyncoperation", "/op"), ("location", "/result")],
            Some(FinalStateVia::AzureAsyncOperation),
            monitor_done.clone(),
            None,
        ),
        (
            Method::PUT,
            vec![("operation-location", "/op"), ("location", "/result")],
            Some(FinalStateVia::Location),
            monitor_done.clone(),
            Some("https://h/result"),
        ),
        (
            Method::POST,
            vec![("operation-location", "/op")],
            Some(FinalStateVia::OriginalUri),
            monitor_done.clone(),
            Some("https://h/things/1"),
        ),
    ];
    for (method, h, via, body, final_get) in cases {
        let label = format!("{method} {h:?} {via:?}");
        let mut lro = LroOptions::new();
        if let Some(via) = via {
            lro = lro.with_final_state_via(via);
        }
        let mut op = Operation::new(
            &parts(method, "https://h/things/1"),
            StatusCode::ACCEPTED,
            headers(&h),
            Bytes::new(),
            lro,
        )
        .unwrap();
        assert_eq!(expect_get(&mut op), "https://h/op", "{label}");
        ok(&mut op, 200, &[], &body);
        if let Some(url) = final_get {
            assert_eq!(expect_get(&mut op), url, "{label}");
            ok(&mut op, 200, &[], r#"{"done": true}"#);
            let r = expect_done(&mut op).unwrap();
            assert_eq!(
                r.json::<Value>().unwrap(),
                Some(json!({"done": true})),
                "{label}"
            );
        } else {
            let r = expect_done(&mut op).unwrap();
            assert_eq!(r.body, body.as_bytes(), "{label}");
        }
    }
}

#[test]
fn r8_location_and_body_polling() {
    // Location: 202 in progress, a new Location is followed, anything else is done.
    let mut op = start(Method::DELETE, 202, &[("location", "https://h/l1")], "");
    assert_eq!(expect_get(&mut op), "https://h/l1");
    ok(&mut op, 202, &[("location", "https://h/l2")], "");
    assert_eq!(expect_get(&mut op), "https://h/l2");
    ok(&mut op, 204, &[], "");
    let r = expect_done(&mut op).unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(r.json::<Value>().unwrap(), None);
    // Body: provisioningState of the resource, polled at the original URL.
    let mut op = start(
        Method::PUT,
        201,
        &[],
        r#"{"properties": {"provisioningState": "Creating"}}"#,
    );
    assert_eq!(op.status(), "Creating");
    assert_eq!(expect_get(&mut op), "https://h/things/1");
    ok(
        &mut op,
        200,
        &[],
        r#"{"properties": {"provisioningState": "Succeeded"}, "name": "t"}"#,
    );
    let r = expect_done(&mut op).unwrap();
    assert_eq!(r.json::<Value>().unwrap().unwrap()["name"], "t");
    // Status check: DELETE 200 without headers is done at once.
    let mut op = start(Method::DELETE, 200, &[], "");
    expect_done(&mut op).unwrap();
}

#[test]
fn r2_r5_tokens_revive_the_operation_and_bad_tokens_are_rejected() {
    let op = start(
        Method::PUT,
        202,
        &[
            ("operation-location", "https://h/op"),
            ("retry-after", "1"),
            ("x-secret", "no"),
        ],
        "",
    )
    .with_request_id(HeaderName::from_static("x-ms-client-request-id"), "rid");
    let token = op.continuation_token();
    let raw = ::base64::engine::general_purpose::STANDARD
        .decode(&token)
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        v["data"]["response"]["headers"],
        json!({"operation-location": "https://h/op", "retry-after": "1"})
    );
    let mut revived = Operation::from_continuation_token(&token, LroOptions::new()).unwrap();
    assert_eq!(revived.request_id(), Some("rid"));
    assert_eq!(revived.continuation_token(), token);
    assert_eq!(expect_get(&mut revived), "https://h/op");
    for bad in [
        "",
        "!!!",
        "cGlja2xl",
        &::base64::engine::general_purpose::STANDARD.encode("{}"),
    ] {
        let e = Operation::from_continuation_token(bad, LroOptions::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.to_string().contains("continuation token"), "{e}");
    }
}

// ===== properties =====

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z as Unix seconds.
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

fn time_at(secs: i64, nanos: u32) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            + Duration::from_nanos(u64::from(nanos))
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn rfc3339_round_trips(secs in MIN_SECS..=MAX_SECS, nanos in 0u32..1_000_000_000) {
        let t = time_at(secs, nanos);
        let s = rfc3339::format(t);
        prop_assert_eq!(rfc3339::parse(&s).unwrap(), t);
        let json = serde_json::to_string(&Wrapped3339 { t }).unwrap();
        prop_assert_eq!(serde_json::from_str::<Wrapped3339>(&json).unwrap().t, t);
    }

    #[test]
    fn rfc7231_round_trips(secs in 0i64..=MAX_SECS) {
        let t = time_at(secs, 0);
        prop_assert_eq!(rfc7231::parse(&rfc7231::format(t)).unwrap(), t);
    }

    #[test]
    fn unix_time_round_trips(secs in MIN_SECS..=MAX_SECS) {
        let t = time_at(secs, 0);
        prop_assert_eq!(unix_time::to_secs(t), secs);
        let json = serde_json::to_string(&WrappedUnix { t }).unwrap();
        prop_assert_eq!(serde_json::from_str::<WrappedUnix>(&json).unwrap().t, t);
    }

    #[test]
    fn durations_round_trip(secs in 0u64..=10_000_000_000, nanos in 0u32..1_000_000_000) {
        let d = Duration::new(secs, nanos);
        prop_assert_eq!(duration::parse(&duration::format(d)).unwrap(), d);
    }

    #[test]
    fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        prop_assert_eq!(base64::parse(&base64::format(&bytes)).unwrap(), bytes.clone());
        let url = base64url::format(&bytes);
        prop_assert!(!url.contains(['+', '/', '=']));
        prop_assert_eq!(base64url::parse(&url).unwrap(), bytes);
    }

    #[test]
    fn enums_round_trip_in_any_case(pick in 0usize..2, upper in proptest::collection::vec(any::<bool>(), 3)) {
        let known = &E::KNOWN[pick];
        let cased: String = known
            .as_str()
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
            .collect();
        prop_assert_eq!(&E::from(cased.as_str()), known);
        let json = serde_json::to_string(known).unwrap();
        prop_assert_eq!(&serde_json::from_str::<E>(&json).unwrap(), known);
    }

    #[test]
    fn unknown_enum_values_round_trip(s in "[a-z]{4,12}") {
        let e = E::from(s.as_str());
        prop_assert_eq!(e.to_string(), s.clone());
        let back: E = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        prop_assert_eq!(back, e);
    }

    #[test]
    fn nullable_round_trips(v in proptest::option::of(proptest::option::of(any::<u32>()))) {
        let field: Nullable<u32> = match v {
            None => Nullable::Absent,
            Some(None) => Nullable::Null,
            Some(Some(x)) => Nullable::Value(x),
        };
        let p = Patch { tags: Nullable::Absent, size: field.map(u64::from) };
        let back: Patch = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        prop_assert_eq!(back, p);
    }
}

#[derive(Serialize, Deserialize)]
struct Wrapped3339 {
    #[serde(with = "rfc3339")]
    t: SystemTime,
}

#[derive(Serialize, Deserialize)]
struct WrappedUnix {
    #[serde(with = "unix_time")]
    t: SystemTime,
}

/// R4 `test_polling_with_path_format_arguments`: a relative location resolves against the
/// base URL built from the template and its arguments.
#[test]
fn r4_path_format_arguments() {
    use clientcore_proto::lro::format_url;
    let base = format_url(
        "http://{accountName}{host}",
        &[("host", "host:3000"), ("accountName", "local")],
    )
    .unwrap();
    assert_eq!(base.as_str(), "http://localhost:3000/");
    let mut op = Operation::new(
        &parts(Method::DELETE, "https://h/things/1"),
        StatusCode::ACCEPTED,
        headers(&[("location", "/results/1")]),
        Bytes::new(),
        LroOptions::new().with_base_url(base),
    )
    .unwrap();
    assert_eq!(expect_get(&mut op), "http://localhost:3000/results/1");
    let missing = format_url("http://{accountName}{host}", &[("host", "h")]).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "no value for '{accountName}' in the URL template"
    );
}

/// P5 and P7: `date` and `time` are written as the reference writes them, and read back.
#[test]
fn p5_p7_dates_and_times_of_day() {
    use clientcore_proto::model::{Date, TimeOfDay};
    let d = Date::new(2021, 5, 12).unwrap();
    assert_eq!(serde_json::to_string(&d).unwrap(), r#""2021-05-12""#);
    assert_eq!(serde_json::from_str::<Date>(r#""2021-05-12""#).unwrap(), d);
    assert_eq!(Date::new(2020, 2, 29).unwrap().to_string(), "2020-02-29");
    for bad in [
        "2021-02-29",
        "1900-02-29",
        "2021-13-01",
        "0000-01-01",
        "21-05-12",
        "2021-5-12",
        "",
    ] {
        assert_eq!(
            bad.parse::<Date>().unwrap_err().kind(),
            ErrorKind::Deserialization,
            "{bad}"
        );
    }
    for (text, written) in [
        ("11:12:13", "11:12:13"),
        ("11:22:33.444444", "11:22:33.444444"),
        ("11:22:33.5", "11:22:33.500000"),
        ("00:00:00.000000", "00:00:00"),
    ] {
        let t: TimeOfDay = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{written}\""));
    }
    for bad in [
        "24:00:00",
        "11:60:00",
        "11:12",
        "11:12:13.",
        "11:12:13.1234567",
        "1:2:3",
    ] {
        assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
    }
}

proptest::proptest! {
    /// Every valid date and time of day survives a JSON round trip.
    #[test]
    fn dates_and_times_round_trip(
        y in 1u16..=9999, m in 1u8..=12, d in 1u8..=31,
        h in 0u8..24, mi in 0u8..60, s in 0u8..60, us in 0u32..1_000_000,
    ) {
        use clientcore_proto::model::{Date, TimeOfDay};
        if let Ok(date) = Date::new(y, m, d) {
            let json = serde_json::to_string(&date).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), date);
        }
        let t = TimeOfDay::new(h, mi, s, us).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        proptest::prop_assert_eq!(serde_json::from_str::<TimeOfDay>(&json).unwrap(), t);
    }
}
