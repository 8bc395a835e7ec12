//! `format::parse` reads OData v4 and ARM bodies in one pass over the text, without a
//! `serde_json::Value` of the body (issue 18). These tests hold it to the `Value` path on the
//! inputs where a one-pass reader could differ: JSON that `serde_json` only skims when it
//! skips or keeps raw text (out-of-range numbers, lone surrogates, nesting past its limit),
//! repeated and escaped keys, and every shape rule of the reference.

use clientcore_proto::format::{self, ErrorFormat, ODataError, ServiceError, MAX_KEPT_JSON};
use clientcore_proto::http::HeaderMap;
use proptest::prelude::*;
use serde_json::Value;

/// What the `Value` path gives for `text` in `format`.
fn via_value(format: ErrorFormat, text: &str) -> Option<ServiceError> {
    let value: Value = serde_json::from_str(text).ok()?;
    format::parse_json(format, "", &value)
}

/// Asserts that `format::parse` agrees with the `Value` path in every format that reads
/// OData, field by field, `Display` and `Debug` included.
fn agrees(text: &str) {
    let headers = HeaderMap::new();
    for fmt in [ErrorFormat::ODataV4, ErrorFormat::Arm, ErrorFormat::Auto] {
        let got = format::parse(fmt, &headers, text.as_bytes());
        let want = via_value(fmt, text);
        assert_eq!(got, want, "{fmt:?} on {text}");
        assert_eq!(
            got.as_ref().map(ToString::to_string),
            want.as_ref().map(ToString::to_string),
            "{fmt:?} on {text}"
        );
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "{fmt:?} on {text}");
    }
}

/// `depth` arrays around `inner`.
fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn what_serde_json_only_skims_is_still_checked() {
    for bad in [
        "1e400",
        "-1e400",
        r#""\ud800""#,
        r#""\udc00x""#,
        r#"{"\ud800": 1}"#,
    ] {
        for body in [
            // In a member the error does not use, in `innererror`, in `info`, in a detail.
            format!(r#"{{"error": {{"code": "C", "other": {bad}}}}}"#),
            format!(r#"{{"error": {{"code": "C", "innererror": {{"x": [{bad}]}}}}}}"#),
            format!(
                r#"{{"error": {{"code": "C", "additionalInfo": [{{"type": "T", "info": {bad}}}]}}}}"#
            ),
            format!(r#"{{"error": {{"code": "C", "details": [{{"code": "D", "x": {bad}}}]}}}}"#),
            format!(r#"{{"code": "C", "additionalInfo": {bad}}}"#),
            format!(r#"{{"error": {{"code": "C"}}, "unused": {bad}}}"#),
            // Behind escaped quotes and backslashes, and digits and `e`s inside strings.
            format!(
                r#"{{"error": {{"code": "C", "innererror": {{"a": "x\"1e", "b\\": "\\", "c": [{bad}]}}}}}}"#
            ),
            format!(
                r#"{{"error": {{"code": "C", "innererror": {{"id": "3f1b8e2a", "n": -12.5, "x": {bad}}}}}}}"#
            ),
        ] {
            assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
            agrees(&body);
            let headers = HeaderMap::new();
            assert_eq!(
                format::parse(ErrorFormat::Arm, &headers, body.as_bytes()),
                None
            );
        }
    }
}

#[test]
fn free_form_json_that_parses_is_kept() {
    for raw in [
        r#"{"id": "3f1b8e2a-5e4c", "n": -12.5, "big": 123456789012345678901234567890}"#,
        r#"{"a": "x\"1e5", "b\\": "\\", "c": ["\n\t\/"], "d": [true, false, null, 0, -0]}"#,
        r#"{"escaped": "caf\u00e9 \ud83d\ude00", "e": 1e300, "E": 2E-5}"#,
        r#""a string""#,
        "12e3",
        "[[[[[]]]]]",
    ] {
        for body in [
            format!(r#"{{"error": {{"code": "C", "innererror": {raw}}}}}"#),
            format!(
                r#"{{"error": {{"code": "C", "additionalInfo": [{{"type": "T", "info": {raw}}}]}}}}"#
            ),
        ] {
            assert!(serde_json::from_str::<Value>(&body).is_ok(), "{body}");
            agrees(&body);
        }
    }
}

#[test]
fn nesting_is_limited_where_serde_json_limits_it() {
    // `serde_json` takes 127 levels of arrays and objects and refuses 128. The body's own
    // levels count: `{"error": {"innererror": …}}` is already 2 deep.
    for depth in [120, 124, 125, 126, 127, 128] {
        let inner = nested(depth, "1");
        for body in [
            format!(r#"{{"error": {{"code": "C", "innererror": {inner}}}}}"#),
            format!(r#"{{"error": {{"code": "C", "unused": {inner}}}}}"#),
            format!(
                r#"{{"error": {{"code": "C", "additionalInfo": [{{"type": "T", "info": {inner}}}]}}}}"#
            ),
            format!(
                r#"{{"error": {{"code": "C", "details": [{{"code": "D", "innererror": {inner}}}]}}}}"#
            ),
            format!(r#"{{"code": "C", "additionalInfo": {{"type": "T", "info": {inner}}}}}"#),
        ] {
            agrees(&body);
        }
    }
}

#[test]
fn repeated_and_escaped_keys_read_as_a_value_reads_them() {
    for body in [
        // The last of a repeated member wins, whatever it is.
        r#"{"error": {"code": "A", "code": "B", "message": "M", "message": null}}"#,
        r#"{"error": 1, "error": {"code": "C"}}"#,
        r#"{"error": {"code": "C"}, "error": 1}"#,
        r#"{"error": {"code": "C", "details": [{"code": "D"}], "details": 3}}"#,
        r#"{"error": {"code": "C", "innererror": {"a": 1}, "innererror": null}}"#,
        r#"{"error": {"code": "C", "additionalInfo": [{"type": "T", "info": 1, "info": 2, "type": "U"}]}}"#,
        // Keys are compared unescaped.
        r#"{"\u0065rror": {"c\u006fde": "C", "m\u0065ssage": "M\u00e9", "t\u0061rget": "t"}}"#,
        r#"{"error": {"code": "C", "innererror": {"b": 1, "a": {"\u00e9": "\ud83d\ude00"}, "b": 2}}}"#,
    ] {
        agrees(body);
    }
}

#[test]
fn shapes_follow_the_reference_rules() {
    for body in [
        r#"{"error": {"code": "C", "message": "M", "target": "t"}}"#,
        r#"{"code": "C", "message": "M", "target": "t"}"#,
        r#"{"error": {"code": "", "message": ""}}"#,
        r#"{"error": {"code": 0, "message": false}}"#,
        r#"{"error": {"code": 12, "message": {"b": [1.5, -0, 1e2], "a": null}, "target": 0}}"#,
        r#"{"error": {"code": "C", "target": ["x"]}}"#,
        r#"{"error": {"message": "M"}, "code": "top"}"#,
        r#"{"error": "a string"}"#,
        r#"{"error": [1, 2]}"#,
        r#"{"error": {"error": {"code": "C"}}}"#,
        r#"{"error": {"code": "C", "details": [1, "x", null, [], {}, {"message": "m"}, {"error": {"code": "N"}}]}}"#,
        r#"{"error": {"code": "C", "details": {"code": "D"}}}"#,
        r#"{"error": {"code": "C", "innererror": null}}"#,
        r#"{"error": {"code": "C", "innererror": "text"}}"#,
        r#"{"error": {"code": "C", "innererror": {}}}"#,
        r#"{"error": {"code": "C", "additionalInfo": {"type": "T", "info": {"a": 1}}}}"#,
        r#"{"error": {"code": "C", "additionalInfo": [{"type": 1, "info": 1}, {"type": "T"}, {"info": 2}, 7, {"type": "T", "info": null}]}}"#,
        r#"{"error": {"code": "C", "details": [{"code": "D", "additionalInfo": [{"type": "T", "info": [1, {"x": "y"}]}]}]}}"#,
        "[]",
        "\"error\"",
        "null",
        "{}",
        " { \"error\" : { \"code\" : \"C\" } } ",
        r#"{"error": {"code": "C"}} trailing"#,
        r#"{"error": {"code": "C"}"#,
        // What Auto reads in another format, or in none.
        r#"{"odata.error": {"code": "V3", "message": {"lang": "en", "value": "m"}}, "error": {"code": "C"}}"#,
        r#"{"error": "invalid_grant", "error_description": "d"}"#,
        r#"{"title": "T", "status": 400, "code": "C"}"#,
        r#"{"errors": [{"detail": "d"}]}"#,
        r#"{"detail": ["x"]}"#,
    ] {
        agrees(body);
    }
}

#[test]
fn many_details_are_capped_as_before() {
    let details: Vec<String> = (0..300)
        .map(|i| format!(r#"{{"code": "D{i}", "x": [{i}]}}"#))
        .collect();
    let body = format!(
        r#"{{"error": {{"code": "C", "details": [{}, {{"code": "late", "x": 1e999}}]}}}}"#,
        details.join(",")
    );
    // The out-of-range number after the cap still makes the body invalid JSON.
    agrees(&body);
    let body = format!(
        r#"{{"error": {{"code": "C", "details": [{}]}}}}"#,
        details.join(",")
    );
    agrees(&body);
    let headers = HeaderMap::new();
    let Some(ServiceError::OData(e)) = format::parse(ErrorFormat::Arm, &headers, body.as_bytes())
    else {
        panic!("not OData");
    };
    assert_eq!(e.details().len(), 256);
}

#[test]
fn free_form_json_is_still_bounded() {
    // Each value is a little over half the budget: the first is kept, the second cut.
    let big = format!("[{}]", vec!["1"; MAX_KEPT_JSON / 4 + 10].join(","));
    let body = format!(
        r#"{{"error": {{"code": "C", "innererror": {big}, "additionalInfo": [{{"type": "T", "info": {big}}}]}}}}"#
    );
    let headers = HeaderMap::new();
    let Some(ServiceError::OData(e)) = format::parse(ErrorFormat::Arm, &headers, body.as_bytes())
    else {
        panic!("not OData");
    };
    assert!(e.innererror().unwrap().is_array());
    let info = e.additional_info()[0].info().as_str().unwrap();
    assert!(info.starts_with("(cut: "), "{info}");
    // Numbers written short grow when re-serialized (`1e15` is `1000000000000000.0`): text
    // shorter than the budget can still be over it, and is cut.
    let short = format!("[{}]", vec!["1e15"; MAX_KEPT_JSON / 8].join(","));
    let body = format!(r#"{{"error": {{"code": "C", "innererror": {short}}}}}"#);
    let Some(ServiceError::OData(e)) = format::parse(ErrorFormat::Arm, &headers, body.as_bytes())
    else {
        panic!("not OData");
    };
    assert!(e.innererror().unwrap().is_string());
}

#[test]
fn a_parsed_error_reads_like_one_from_a_value() {
    let body = r#"{"error": {"code": "C", "message": "M", "innererror": {"z": 1, "a": [true]},
        "additionalInfo": [{"type": "T", "info": {"k": "v"}}]}}"#;
    let headers = HeaderMap::new();
    let Some(ServiceError::OData(e)) = format::parse(ErrorFormat::Arm, &headers, body.as_bytes())
    else {
        panic!("not OData");
    };
    let value: Value = serde_json::from_str(body).unwrap();
    let want = ODataError::from_arm_json(&value).unwrap();
    // Cloned before and after the free-form JSON is read, compared both ways.
    let early = e.clone();
    assert_eq!(e.innererror(), want.innererror());
    assert_eq!(
        e.additional_info()[0].info(),
        want.additional_info()[0].info()
    );
    assert_eq!(early, want);
    assert_eq!(want, e.clone());
    assert_eq!(early.to_string(), want.to_string());
}

/// JSON text built from the members an OData reader looks at, with values that a skim and a
/// `Value` parse treat differently; sometimes not JSON at all.
fn arb_text() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "null",
        "true",
        "0",
        "-0",
        "12.5e3",
        "1e400",
        "\"\"",
        "\"text\"",
        r#""caf\u00e9""#,
        r#""\ud800""#,
        r#""\"quoted\\""#,
        "[]",
        "{}",
        "[1",
    ])
    .prop_map(str::to_owned);
    let key = prop::sample::select(vec![
        "error",
        "code",
        "message",
        "target",
        "details",
        "innererror",
        "additionalInfo",
        "type",
        "info",
        "odata.error",
        "c\\u006fde",
        "other",
    ]);
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|members| {
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn one_pass_agrees_with_the_value_path(text in arb_text()) {
        agrees(&text);
    }
}
