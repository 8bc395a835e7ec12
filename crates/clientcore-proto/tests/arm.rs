//! Section C of the reference test scenarios: the ARM error format (azure-mgmt-core
//! `tests/test_mgmt_exceptions.py` plus the verified additions C7..C10).
//!
//! Where we deliberately differ (ARCHITECTURE.md deviations 1 to 3): `Additional
//! Information:` entries are on their own lines, malformed `additionalInfo` entries are
//! skipped and the rest kept, and JSON is printed as UTF-8.

use bytes::Bytes;
use clientcore_proto::format::{ODataError, TypedErrorInfo};
use clientcore_proto::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorMap, ServiceError};
use serde_json::json;

/// The reference's mock: status 400, reason "Bad Request".
fn bad_request(body: &[u8]) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    CapturedResponse::new(
        StatusCode::BAD_REQUEST,
        headers,
        Bytes::copy_from_slice(body),
    )
    .with_reason("Bad Request")
}

/// `ARMError = partial(HttpResponseError, error_format=ARMErrorFormat)`.
fn arm_error(body: &str) -> Error {
    Error::from_response(
        bad_request(body.as_bytes()),
        ErrorFormat::Arm,
        &ErrorMap::new(),
    )
}

fn odata_error(body: &str) -> Error {
    Error::from_response(
        bad_request(body.as_bytes()),
        ErrorFormat::ODataV4,
        &ErrorMap::new(),
    )
}

fn parsed(e: &Error) -> &ODataError {
    match e.service_error() {
        Some(ServiceError::OData(o)) => o,
        other => panic!("expected an OData error, got {other:?}"),
    }
}

const C1_BODY: &str = r#"{"error":{"code":"BadArgument","message":"The provided database 'foo' has an invalid username.","target":"query","details":[{"code":"301","target":"$search","message":"$search query option not supported"}],"innererror":{"customKey":"customValue"},"additionalInfo":[{"type":"SomeErrorType","info":{"customKey":"customValue"}}]}}"#;

#[test]
fn c1_arm_error_with_additional_info() {
    let e = arm_error(C1_BODY);
    let o = parsed(&e);
    assert_eq!(o.code(), Some("BadArgument"));
    assert_eq!(o.target(), Some("query"));
    assert_eq!(o.details()[0].target(), Some("$search"));
    assert_eq!(o.innererror().unwrap()["customKey"], "customValue");
    assert_eq!(o.additional_info().len(), 1);
    assert_eq!(o.additional_info()[0].type_(), "SomeErrorType");
    assert_eq!(o.additional_info()[0].info()["customKey"], "customValue");
    assert!(e.to_string().contains("customValue"));
    // Deviations 1 and 2: details and additional information on their own lines.
    assert_eq!(
        e.to_string(),
        "(BadArgument) The provided database 'foo' has an invalid username.\n\
         Code: BadArgument\n\
         Message: The provided database 'foo' has an invalid username.\n\
         Target: query\n\
         Exception Details:\n\
         \t(301) $search query option not supported\n\
         \tCode: 301\n\
         \tMessage: $search query option not supported\n\
         \tTarget: $search\n\
         Inner error: {\n    \"customKey\": \"customValue\"\n}\n\
         Additional Information:\n\
         Type: SomeErrorType\n\
         Info: {\n    \"customKey\": \"customValue\"\n}"
    );
}

#[test]
fn c2_additional_info_in_a_detail() {
    let body = r#"{"error":{"code":"BadArgument","message":"The provided database 'foo' has an invalid username.","target":"query","details":[{"code":"301","target":"$search","message":"$search query option not supported","additionalInfo":[{"type":"PolicyViolation","info":{"policyDefinitionDisplayName":"Allowed locations","policyAssignmentParameters":{"listOfAllowedLocations":{"value":["westus"]}}}}]}],"innererror":{"customKey":"customValue"},"additionalInfo":[{"type":"SomeErrorType","info":{"customKey":"customValue"}}]}}"#;
    let e = arm_error(body);
    let o = parsed(&e);
    let ai = &o.details()[0].additional_info()[0];
    assert_eq!(ai.type_(), "PolicyViolation");
    assert_eq!(
        ai.info()["policyDefinitionDisplayName"],
        "Allowed locations"
    );
    assert_eq!(
        ai.info()["policyAssignmentParameters"]["listOfAllowedLocations"]["value"][0],
        "westus"
    );
    // The detail's block is part of the details (before `Inner error:`) and tab-indented,
    // JSON included; the parent's comes last.
    assert_eq!(
        e.to_string(),
        "(BadArgument) The provided database 'foo' has an invalid username.\n\
         Code: BadArgument\n\
         Message: The provided database 'foo' has an invalid username.\n\
         Target: query\n\
         Exception Details:\n\
         \t(301) $search query option not supported\n\
         \tCode: 301\n\
         \tMessage: $search query option not supported\n\
         \tTarget: $search\n\
         \tAdditional Information:\n\
         \tType: PolicyViolation\n\
         \tInfo: {\n\
         \t    \"policyDefinitionDisplayName\": \"Allowed locations\",\n\
         \t    \"policyAssignmentParameters\": {\n\
         \t        \"listOfAllowedLocations\": {\n\
         \t            \"value\": [\n\
         \t                \"westus\"\n\
         \t            ]\n\
         \t        }\n\
         \t    }\n\
         \t}\n\
         Inner error: {\n    \"customKey\": \"customValue\"\n}\n\
         Additional Information:\n\
         Type: SomeErrorType\n\
         Info: {\n    \"customKey\": \"customValue\"\n}"
    );
}

#[test]
fn c3_invalid_json() {
    let e = arm_error("{{");
    assert!(e.message().contains("Bad Request"));
    assert_eq!(
        e.message(),
        "Operation returned an invalid status 'Bad Request'"
    );
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: {{"
    );
    assert!(e.service_error().is_none());
}

#[test]
fn c4_broken_details() {
    let body = r#"{"error":{"code":"Conflict","message":"The maximum number of Free ServerFarms allowed in a Subscription is 10.","target":null,"details":[{"message":"The maximum number of Free ServerFarms allowed in a Subscription is 10."},{"code":"Conflict"},{"errorentity":{"code":"Conflict","message":"The maximum number of Free ServerFarms allowed in a Subscription is 10.","extendedCode":"59301","messageTemplate":"The maximum number of {0} ServerFarms allowed in a Subscription is {1}.","parameters":["Free","10"],"innerErrors":null}}],"innererror":null}}"#;
    let e = arm_error(body);
    let o = parsed(&e);
    assert_eq!(o.code(), Some("Conflict"));
    assert_eq!(o.details().len(), 2);
    assert!(o.additional_info().is_empty());
}

#[test]
fn c5_no_innererror_or_additional_info() {
    let body = r#"{"error":{"code":"BadArgument","message":"The provided database 'foo' has an invalid username.","target":"query","details":[{"code":"301","target":"$search","message":"$search query option not supported"}]}}"#;
    let e = arm_error(body);
    let o = parsed(&e);
    assert_eq!(o.code(), Some("BadArgument"));
    assert!(o.innererror().is_none());
    assert!(o.additional_info().is_empty());
    assert!(!e.to_string().contains("Additional Information"));
    assert!(!e.to_string().contains("Inner error"));
}

#[test]
fn c6_double_encoded_json_string() {
    let body = r#""{\"error\": {\"code\": \"C\", \"message\": \"M\"}}""#;
    let e = arm_error(body);
    assert!(e.service_error().is_none());
    assert_eq!(
        e.to_string(),
        format!("Operation returned an invalid status 'Bad Request'\nContent: {body}")
    );
}

#[test]
fn c7_additional_info_entries_on_their_own_lines() {
    // Deviation 2: the reference glues entries: "Additional Information:Type: T1...}Type: T2".
    let e = arm_error(
        r#"{"error":{"code":"C","message":"M","additionalInfo":[{"type":"T1","info":{"a":1}},{"type":"T2","info":{}}]}}"#,
    );
    assert_eq!(
        e.to_string(),
        "(C) M\nCode: C\nMessage: M\nAdditional Information:\nType: T1\nInfo: {\n    \"a\": 1\n}\nType: T2\nInfo: {}"
    );
}

#[test]
fn c7b_full_reference_example_with_our_deviations() {
    let body = r#"{"error":{"code":"C","message":"M",
        "additionalInfo":[{"type":"T1","info":{"a":1}},{"type":"T2","info":{}}],
        "details":[{"code":"DC","message":"DM","additionalInfo":[{"type":"DT","info":{"x":[1,2]}}]}]}}"#;
    let e = arm_error(body);
    assert_eq!(
        e.to_string(),
        "(C) M\nCode: C\nMessage: M\nException Details:\n\
         \t(DC) DM\n\tCode: DC\n\tMessage: DM\n\tAdditional Information:\n\tType: DT\n\
         \tInfo: {\n\t    \"x\": [\n\t        1,\n\t        2\n\t    ]\n\t}\n\
         Additional Information:\nType: T1\nInfo: {\n    \"a\": 1\n}\nType: T2\nInfo: {}"
    );
}

#[test]
fn c8_malformed_top_level_entries_are_skipped() {
    // Deviation 2: the reference fails the whole ARM parse and falls back to
    // "Operation returned an invalid status 'Bad Request'\nContent: <body>".
    let cases = [
        (r#"[{"type":"T"}]"#, 0),
        (r#"[{"info":{"a":1}}]"#, 0),
        ("null", 0),
        (
            r#"[{"type":"T"},{"type":"Good","info":{"a":1}},{"info":1},"str",42,null]"#,
            1,
        ),
        (
            r#"[{"type":5,"info":{}},{"type":"Good","info":{"a":1}}]"#,
            1,
        ),
        // A single entry sent bare, not in a list, is that one entry (it used to be dropped).
        (r#"{"type":"Good","info":{"a":1}}"#, 1),
    ];
    for (ai, kept) in cases {
        let body = format!(r#"{{"error":{{"code":"C","message":"M","additionalInfo":{ai}}}}}"#);
        let e = arm_error(&body);
        let o = parsed(&e);
        assert_eq!(o.code(), Some("C"), "{ai}");
        assert_eq!(o.additional_info().len(), kept, "{ai}");
        let expected = if kept == 0 {
            "(C) M\nCode: C\nMessage: M".to_owned()
        } else {
            "(C) M\nCode: C\nMessage: M\nAdditional Information:\nType: Good\nInfo: {\n    \"a\": 1\n}"
                .to_owned()
        };
        assert_eq!(e.to_string(), expected, "{ai}");
        // The same body parses fine as plain OData v4, without additional information.
        let plain = odata_error(&body);
        assert!(parsed(&plain).additional_info().is_empty());
        assert_eq!(plain.to_string(), "(C) M\nCode: C\nMessage: M");
    }
}

#[test]
fn c9_malformed_entries_in_a_detail_keep_the_detail() {
    // Deviation 2: the reference drops the whole detail (OData 2 details, ARM 1); we keep
    // the detail and skip only its malformed entries.
    let body = r#"{"error":{"code":"C","message":"M","details":[
        {"code":"D1","message":"bad","additionalInfo":[{"type":"NoInfo"}]},
        {"code":"D2","message":"good","additionalInfo":[{"type":"T","info":{"a":1}}]}]}}"#;
    let arm = arm_error(body);
    let plain = odata_error(body);
    assert_eq!(parsed(&plain).details().len(), 2);
    assert_eq!(parsed(&arm).details().len(), 2);
    assert!(parsed(&arm).details()[0].additional_info().is_empty());
    assert_eq!(parsed(&arm).details()[1].additional_info().len(), 1);
    let text = arm.to_string();
    assert!(text.contains("\n\tAdditional Information:\n\tType: T\n\tInfo: {\n\t    \"a\": 1\n\t}"));
    assert_eq!(
        text,
        "(C) M\nCode: C\nMessage: M\nException Details:\n\
         \t(D1) bad\n\tCode: D1\n\tMessage: bad\n\
         \t(D2) good\n\tCode: D2\n\tMessage: good\n\tAdditional Information:\n\tType: T\n\
         \tInfo: {\n\t    \"a\": 1\n\t}"
    );
}

#[test]
fn c10_typed_error_info_is_utf8() {
    // Deviation 3: the reference prints "\u00e9": "\u00fc".
    let ai = TypedErrorInfo::new("T", json!({"é": "ü", "n": null, "b": true}));
    assert_eq!(
        ai.to_string(),
        "Type: T\nInfo: {\n    \"é\": \"ü\",\n    \"n\": null,\n    \"b\": true\n}"
    );
}

#[test]
fn info_may_be_any_json_value_and_extra_keys_are_ignored() {
    let e = arm_error(
        r#"{"error":{"code":"C","message":"M","additionalInfo":[
            {"type":"S","info":"text","extra":1},{"type":"L","info":[1,"two"]},{"type":"N","info":null}]}}"#,
    );
    let o = parsed(&e);
    assert_eq!(o.additional_info().len(), 3);
    assert_eq!(
        e.to_string(),
        "(C) M\nCode: C\nMessage: M\nAdditional Information:\n\
         Type: S\nInfo: \"text\"\n\
         Type: L\nInfo: [\n    1,\n    \"two\"\n]\n\
         Type: N\nInfo: null"
    );
}

#[test]
fn additional_info_key_is_case_sensitive() {
    let e = arm_error(
        r#"{"error":{"code":"C","message":"M","AdditionalInfo":[{"type":"T","info":{}}]}}"#,
    );
    assert!(parsed(&e).additional_info().is_empty());
    assert_eq!(e.to_string(), "(C) M\nCode: C\nMessage: M");
}

#[test]
fn generated_arm_operations_parse_mapped_statuses_as_odata_v4() {
    // In ARM clients, 401/404/409/304 are raised through map_error with ODataV4Format, so no
    // `Additional Information:` is printed; every other status uses the ARM format.
    let body = r#"{"error":{"code":"C","message":"M","additionalInfo":[{"type":"T","info":{}}]}}"#;
    let e = odata_error(body);
    assert!(parsed(&e).additional_info().is_empty());
    assert_eq!(e.to_string(), "(C) M\nCode: C\nMessage: M");
    let e = arm_error(body);
    assert_eq!(
        e.to_string(),
        "(C) M\nCode: C\nMessage: M\nAdditional Information:\nType: T\nInfo: {}"
    );
}

#[test]
fn auto_detection_reads_arm_additional_info() {
    let e = Error::from_response(
        bad_request(C1_BODY.as_bytes()),
        ErrorFormat::Auto,
        &ErrorMap::new(),
    );
    assert_eq!(parsed(&e).additional_info().len(), 1);
    assert_eq!(e.to_string(), arm_error(C1_BODY).to_string());
}

#[test]
fn arm_errors_list_entries() {
    let e = arm_error(C1_BODY);
    let entries = e.errors();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].code(), Some("BadArgument"));
    assert_eq!(
        entries[0].detail(),
        Some("The provided database 'foo' has an invalid username.")
    );
    assert_eq!(entries[0].field(), Some("query"));
    assert_eq!(entries[1].code(), Some("301"));
    assert_eq!(entries[1].field(), Some("$search"));
    assert_eq!(
        entries[1].message(),
        Some("$search query option not supported")
    );
}

#[test]
fn from_arm_json_and_from_json() {
    let body = json!({"error": {"code": "C", "message": "M",
        "additionalInfo": [{"type": "T", "info": {}}, {"type": "no info"}]}});
    assert_eq!(
        ODataError::from_arm_json(&body)
            .unwrap()
            .additional_info()
            .len(),
        1
    );
    assert!(ODataError::from_json(&body)
        .unwrap()
        .additional_info()
        .is_empty());
}
