//! Property tests of the service error parsers, the error `Display`, `ErrorMap` merging, URL
//! redaction and body decoding.
//!
//! Case counts are kept small (64 to 256 a property) so the whole file runs in a few seconds;
//! the fuzz targets in `fuzz/` explore the same code for longer.

use std::collections::HashMap;

use bytes::Bytes;
use clientcore_proto::format::{self, text, ErrorFormat, ODataError};
use clientcore_proto::policies::redact::Redactor;
use clientcore_proto::{CapturedResponse, Error, ErrorKind, ErrorMap};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const ALL_FORMATS: [ErrorFormat; 9] = [
    ErrorFormat::Auto,
    ErrorFormat::ODataV4,
    ErrorFormat::Arm,
    ErrorFormat::ErrorList,
    ErrorFormat::Problem,
    ErrorFormat::StorageXml,
    ErrorFormat::ODataV3,
    ErrorFormat::OAuth,
    ErrorFormat::None,
];

/// The longest `Display` of an error that falls back to its raw `Content:`.
const MAX_DISPLAY_CHARS: usize = 2048;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, a few levels deep, with the keys the parsers look for mixed in.
fn arb_json() -> BoxedStrategy<Value> {
    let key = prop_oneof![
        Just("error".to_owned()),
        Just("code".to_owned()),
        Just("message".to_owned()),
        Just("details".to_owned()),
        Just("target".to_owned()),
        Just("innererror".to_owned()),
        Just("additionalInfo".to_owned()),
        Just("type".to_owned()),
        Just("info".to_owned()),
        Just("errors".to_owned()),
        Just("detail".to_owned()),
        Just("title".to_owned()),
        Just("status".to_owned()),
        Just("odata.error".to_owned()),
        Just("value".to_owned()),
        Just("error_description".to_owned()),
        "[a-z]{1,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Quarters print and parse back exactly.
        (-4000i32..4000).prop_map(|n| Value::from(f64::from(n) / 4.0)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// A body: arbitrary bytes, JSON, or XML-ish text.
fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        "(<\\?xml version=\"1.0\"\\?>)?<Error>(<(Code|Message|Reason)>[a-zA-Z &;<>]{0,10}</(Code|Message|Reason)>){0,4}(</Error>)?"
            .prop_map(String::into_bytes),
        (prop::collection::vec(any::<u8>(), 0..4), ".{0,3000}").prop_map(|(mut pre, s)| {
            pre.extend_from_slice(s.as_bytes());
            pre
        }),
    ]
}

/// A content type: none, a realistic one, or any visible ASCII.
fn arb_content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "application/xml",
            "text/html",
            "text/plain; charset=iso-8859-1",
            "text/plain; charset=utf-16",
            "text/plain; charset=bogus",
            "application/json; charset=\"Shift_JIS\"",
            "text/plain; charset=iso-2022-kr",
        ])
        .prop_map(|s| Some(s.to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

fn headers_with(content_type: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        if let Ok(v) = HeaderValue::from_str(ct) {
            headers.insert(CONTENT_TYPE, v);
        }
    }
    headers
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn parse_never_panics(body in arb_body(), ct in arb_content_type()) {
        let headers = headers_with(ct.as_deref());
        for fmt in ALL_FORMATS {
            if let Some(se) = format::parse(fmt, &headers, &body) {
                prop_assert_ne!(fmt, ErrorFormat::None);
                let _ = (se.code(), se.message(), se.entries(), se.to_string());
            }
        }
    }

    #[test]
    fn parse_of_bytes_agrees_with_parse_json(value in arb_json(), wrapped in any::<bool>()) {
        // `parse` moves OData fields out of its own tree; `parse_json` clones from a borrowed
        // one. Both must give the same error.
        let value = if wrapped { json!({"error": value}) } else { value };
        let bytes = serde_json::to_vec(&value).unwrap();
        let headers = HeaderMap::new();
        for fmt in ALL_FORMATS {
            let from_bytes = format::parse(fmt, &headers, &bytes);
            let from_value = format::parse_json(fmt, "", &value);
            if fmt == ErrorFormat::StorageXml || fmt == ErrorFormat::None {
                prop_assert!(from_bytes.is_none());
            } else {
                prop_assert_eq!(from_bytes, from_value, "{:?}", fmt);
            }
        }
    }

    #[test]
    fn json_parsers_never_panic(value in arb_json()) {
        for fmt in ALL_FORMATS {
            if let Some(se) = format::parse_json(fmt, "application/json", &value) {
                let _ = (se.code(), se.message(), se.entries(), se.to_string());
            }
        }
    }

    #[test]
    fn fallback_display_is_bounded(
        body in arb_body(),
        ct in arb_content_type(),
        status in prop::sample::select(vec![400u16, 401, 404, 409, 412, 429, 500, 503]),
        parse in any::<bool>(),
    ) {
        let headers = headers_with(ct.as_deref());
        let response = CapturedResponse::new(
            StatusCode::from_u16(status).unwrap(),
            headers,
            Bytes::from(body),
        );
        let has_content = response.text().is_some_and(|t| !t.is_empty());
        let fmt = if parse { ErrorFormat::Auto } else { ErrorFormat::None };
        let e = Error::from_response(response, fmt, &ErrorMap::generated());
        let display = e.to_string();
        if e.service_error().is_none() {
            prop_assert!(
                display.starts_with("Operation returned an invalid status '"),
                "{:?}", display
            );
            if has_content {
                prop_assert!(display.chars().count() <= MAX_DISPLAY_CHARS);
                let prefix = format!("{}\nContent: ", e.message());
                prop_assert!(display.starts_with(&prefix));
            } else {
                prop_assert_eq!(&display, &e.message());
            }
            prop_assert!(e.errors().is_empty());
        } else {
            prop_assert_eq!(&display, &e.message());
        }
    }
}

/// An OData error to serialize: the fields the parser reads back.
#[derive(Clone, Debug)]
struct Tree {
    code: Option<String>,
    message: Option<String>,
    target: Option<String>,
    innererror: Option<Value>,
    additional_info: Vec<(String, Value)>,
    details: Vec<Tree>,
}

impl Tree {
    fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if let Some(c) = &self.code {
            obj.insert("code".into(), json!(c));
        }
        if let Some(m) = &self.message {
            obj.insert("message".into(), json!(m));
        }
        if let Some(t) = &self.target {
            obj.insert("target".into(), json!(t));
        }
        if let Some(i) = &self.innererror {
            obj.insert("innererror".into(), i.clone());
        }
        if !self.additional_info.is_empty() {
            let ai = self
                .additional_info
                .iter()
                .map(|(t, info)| json!({"type": t, "info": info}))
                .collect();
            obj.insert("additionalInfo".into(), Value::Array(ai));
        }
        if !self.details.is_empty() {
            let details = self.details.iter().map(Tree::to_json).collect();
            obj.insert("details".into(), Value::Array(details));
        }
        Value::Object(obj)
    }

    fn check(&self, e: &ODataError, arm: bool) -> Result<(), TestCaseError> {
        prop_assert_eq!(e.code(), self.code.as_deref());
        prop_assert_eq!(e.message(), self.message.as_deref());
        prop_assert_eq!(e.target(), self.target.as_deref());
        prop_assert_eq!(e.innererror(), self.innererror.as_ref());
        if arm {
            prop_assert_eq!(e.additional_info().len(), self.additional_info.len());
            for (got, (t, info)) in e.additional_info().iter().zip(&self.additional_info) {
                prop_assert_eq!(got.type_(), t.as_str());
                prop_assert_eq!(got.info(), info);
            }
        } else {
            prop_assert!(e.additional_info().is_empty());
        }
        prop_assert_eq!(e.details().len(), self.details.len());
        for (got, want) in e.details().iter().zip(&self.details) {
            want.check(got, arm)?;
        }
        Ok(())
    }
}

fn arb_tree() -> impl Strategy<Value = Tree> {
    let text = || prop::option::of(".{1,16}");
    let node = move || {
        (
            text(),
            text(),
            text(),
            prop::option::of(arb_json().prop_filter("not null", |v| !v.is_null())),
            prop::collection::vec(("[A-Za-z]{1,8}", arb_json()), 0..3),
        )
            .prop_filter("a code or a message", |(c, m, ..)| {
                c.is_some() || m.is_some()
            })
    };
    let leaf = node().prop_map(|(code, message, target, innererror, ai)| Tree {
        code,
        message,
        target,
        innererror,
        additional_info: ai,
        details: Vec::new(),
    });
    leaf.prop_recursive(3, 24, 4, move |inner| {
        (node(), prop::collection::vec(inner, 0..4)).prop_map(
            |((code, message, target, innererror, ai), details)| Tree {
                code,
                message,
                target,
                innererror,
                additional_info: ai,
                details,
            },
        )
    })
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn odata_round_trip(tree in arb_tree(), wrapped in any::<bool>()) {
        let inner = tree.to_json();
        let value = if wrapped { json!({"error": inner}) } else { inner };
        let bytes = serde_json::to_vec(&value).unwrap();
        let parsed: Value = serde_json::from_slice(&bytes).unwrap();

        let v4 = ODataError::from_json(&parsed).expect("OData v4 parses");
        tree.check(&v4, false)?;
        let arm = ODataError::from_arm_json(&parsed).expect("ARM parses");
        tree.check(&arm, true)?;

        // Through the byte-level entry point too.
        let headers = HeaderMap::new();
        let se = format::parse(ErrorFormat::Arm, &headers, &bytes).expect("parse");
        prop_assert_eq!(se, format::ServiceError::OData(arm));
    }
}

/// One map operation: `with(status, kind)` or `without(status)`.
fn arb_ops() -> impl Strategy<Value = Vec<(u16, Option<ErrorKind>)>> {
    prop::collection::vec(
        (
            400u16..410,
            prop::option::of(prop::sample::select(ErrorKind::ALL.to_vec())),
        ),
        0..8,
    )
}

fn build(ops: &[(u16, Option<ErrorKind>)], default: Option<ErrorKind>) -> ErrorMap {
    let mut map = ErrorMap::new();
    for &(status, kind) in ops {
        map = match kind {
            Some(k) => map.with(status, k),
            None => map.without(status),
        };
    }
    match default {
        Some(d) => map.with_default(d),
        None => map,
    }
}

/// The expected entries of a map built from `ops`: the last operation on a status wins.
fn model(ops: &[(u16, Option<ErrorKind>)]) -> HashMap<u16, Option<ErrorKind>> {
    ops.iter().copied().collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn error_map_merged_override_wins(
        base_ops in arb_ops(),
        base_default in prop::option::of(prop::sample::select(ErrorKind::ALL.to_vec())),
        over_ops in arb_ops(),
        over_default in prop::option::of(prop::sample::select(ErrorKind::ALL.to_vec())),
    ) {
        let base = build(&base_ops, base_default);
        let overrides = build(&over_ops, over_default);
        let before = base.clone();
        let merged = base.merged(&overrides);
        prop_assert_eq!(&base, &before);

        let base_model = model(&base_ops);
        let over_model = model(&over_ops);
        let default = over_default.or(base_default);
        for status in 398u16..412 {
            let want = match over_model.get(&status).or(base_model.get(&status)) {
                Some(entry) => entry.or(default),
                None => default,
            };
            prop_assert_eq!(merged.get(status), want, "status {}", status);
            prop_assert_eq!(
                merged.kind_for(status),
                want.unwrap_or(ErrorKind::HttpResponse)
            );
            // Statuses the overrides do not name keep the base's entry.
            if !over_model.contains_key(&status) {
                if let Some(Some(kind)) = base_model.get(&status) {
                    prop_assert_eq!(merged.get(status), Some(*kind));
                }
            }
        }
    }
}

/// A query parameter: (key, value, allowed). Secret values look like `zq123456qz` so they
/// cannot appear anywhere else in the URL.
fn arb_param() -> impl Strategy<Value = (String, String, bool)> {
    prop_oneof![
        ("[a-y][a-y-]{0,8}", "zq[0-9]{6}qz")
            .prop_filter("not api-version", |(k, _)| !k
                .eq_ignore_ascii_case("api-version"))
            .prop_map(|(k, v)| (k, v, false)),
        (
            prop::sample::select(vec!["api-version", "API-Version", "Api-Version"]),
            "20[0-9]{2}-[0-9]{2}-[0-9]{2}"
        )
            .prop_map(|(k, v)| (k.to_owned(), v, true)),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sanitize_url_hides_values(
        base in "https://[a-z]{1,8}\\.example(/[a-zA-Z0-9%._-]{0,8}){0,3}",
        params in prop::collection::vec(arb_param(), 0..6),
        bare in prop::collection::vec("[a-y]{1,5}", 0..2),
        fragment in prop::option::of("[a-z0-9=&]{0,8}"),
    ) {
        let mut parts: Vec<String> = params.iter().map(|(k, v, _)| format!("{k}={v}")).collect();
        parts.extend(bare.iter().cloned());
        let mut url = format!("{base}?{}", parts.join("&"));
        if let Some(f) = &fragment {
            url.push('#');
            url.push_str(f);
        }
        let out = Redactor::default().sanitize_url(&url);
        for (key, value, allowed) in &params {
            if *allowed {
                let kept = format!("{key}={value}");
                prop_assert!(out.contains(&kept), "{} lost {}", out, kept);
            } else {
                prop_assert!(!out.contains(value.as_str()), "{} shows {}", out, value);
            }
        }
        for b in &bare {
            prop_assert!(out.contains(b.as_str()));
        }
        let head = format!("{base}?");
        prop_assert!(out.starts_with(&head));
    }

    #[test]
    fn sanitize_url_without_query_is_unchanged(url in "[^?@]{0,80}") {
        let out = Redactor::default().sanitize_url(&url);
        prop_assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        prop_assert_eq!(out, url.as_str());
    }

    #[test]
    fn decode_without_charset_is_lossy_utf8(
        bom in any::<bool>(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..128),
            ".{0,64}".prop_map(String::into_bytes),
        ],
        ct in prop::sample::select(vec![
            None,
            Some("application/json"),
            Some("text/plain; format=flowed"),
            Some("text/plain; charset="),
            Some("text/plain; charset=no-such-encoding"),
        ]),
    ) {
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        let headers = headers_with(ct);
        let decoded = text::decode(&headers, &bytes).expect("no charset always decodes");
        let stripped = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        prop_assert_eq!(&*decoded, &*String::from_utf8_lossy(stripped));
        prop_assert_eq!(&*text::lossy(&bytes), &*decoded);
    }
}
