//! Error bodies and text read as the reference reads them (issue 13): charsets Python knows,
//! 412/304 only for conditional calls, Tables' XML errors, `{"error": "<text>"}` under Auto,
//! large valid bodies, Azion lists and a bare `additionalInfo` object.

use bytes::Bytes;
use clientcore_proto::format::{text, ErrorFormat, ServiceError, MAX_KEPT_JSON};
use clientcore_proto::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use clientcore_proto::{
    CapturedResponse, Error, ErrorKind, ErrorMap, MAX_ERROR_BODY, MAX_KEPT_ERROR_BODY,
};

fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    if !content_type.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
    }
    CapturedResponse::new(StatusCode::from_u16(status).unwrap(), headers, body.into())
}

fn error(status: u16, content_type: &str, body: impl Into<Bytes>, format: ErrorFormat) -> Error {
    Error::from_response(
        response(status, content_type, body),
        format,
        &ErrorMap::generated(),
    )
}

// ===== Text =====

#[test]
fn latin1_labels_decode_as_iso_8859_1() {
    for label in ["latin-1", "latin1", "iso-8859-1"] {
        let e = error(
            400,
            &format!("text/plain; charset={label}"),
            &b"caf\xE9 \x80\x9F"[..],
            ErrorFormat::Auto,
        );
        assert_eq!(
            e.to_string(),
            "Operation returned an invalid status 'Bad Request'\nContent: café \u{80}\u{9F}",
            "{label}"
        );
    }
}

#[test]
fn utf16_big_endian_error_keeps_its_code_and_message() {
    let json = r#"{"error": {"code": "Bé", "message": "M"}}"#;
    let mut body = vec![0xFE, 0xFF];
    body.extend(json.encode_utf16().flat_map(u16::to_be_bytes));
    let e = error(
        400,
        "application/json; charset=utf-16",
        body,
        ErrorFormat::ODataV4,
    );
    assert_eq!(e.error_code(), Some("Bé"));
    assert_eq!(e.to_string(), "(Bé) M\nCode: Bé\nMessage: M");
    // ... and the body as text too.
    assert_eq!(e.response().unwrap().text().as_deref(), Some(json));
}

#[test]
fn forced_encodings_strip_a_bom_and_unknown_ones_are_refused() {
    assert_eq!(
        text::decode_forced("utf-8", b"\xEF\xBB\xBF{}").as_deref(),
        Some("{}")
    );
    assert_eq!(
        text::decode_forced("utf-16", b"\xFE\xFF\x00{\x00}").as_deref(),
        Some("{}")
    );
    assert_eq!(
        text::decode_forced("latin-1", b"\x80").as_deref(),
        Some("\u{80}")
    );
    assert_eq!(text::decode_forced("nobody-knows-this", b"x"), None);
}

// ===== Errors =====

#[test]
#[cfg(feature = "xml")] // Azure Storage's XML error body
fn a_412_is_resource_modified_only_for_a_conditional_call() {
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>LeaseIdMissing</Code>\
                <Message>There is currently a lease on the blob.</Message></Error>";
    let plain = error(412, "application/xml", body, ErrorFormat::StorageXml);
    assert_eq!(plain.kind(), ErrorKind::HttpResponse);
    assert_eq!(plain.error_code(), Some("LeaseIdMissing"));
    let not_modified = error(304, "", "", ErrorFormat::Auto);
    assert_eq!(not_modified.kind(), ErrorKind::HttpResponse);

    let conditional = ErrorMap::with_match_conditions();
    let e = Error::from_response(
        response(412, "application/xml", body),
        ErrorFormat::StorageXml,
        &conditional,
    );
    assert_eq!(e.kind(), ErrorKind::ResourceModified);
    let e = Error::from_response(response(304, "", ""), ErrorFormat::Auto, &conditional);
    assert_eq!(e.kind(), ErrorKind::ResourceNotModified);
}

#[test]
#[cfg(feature = "xml")] // the Table service's XML error body
fn tables_xml_errors_parse_as_odata_v3() {
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><error xmlns=\"http://schemas.microsoft.\
                com/ado/2007/08/dataservices/metadata\"><code>InvalidInput</code><message \
                xml:lang=\"en-US\">Bad content type.\nRequestId:1</message></error>";
    for format in [ErrorFormat::ODataV3, ErrorFormat::Auto] {
        let e = error(415, "application/xml", body, format);
        let Some(ServiceError::ODataV3(v3)) = e.service_error() else {
            panic!("{format:?}: {:?}", e.service_error());
        };
        assert_eq!(v3.lang(), Some("en-US"));
        assert_eq!(e.error_code(), Some("InvalidInput"));
        assert_eq!(
            e.to_string(),
            "(InvalidInput) Bad content type.\nCode: InvalidInput\nMessage: Bad content type.\n\
             RequestId:1"
        );
    }
    // An XML body that is not Tables' error is still no error format.
    let e = error(415, "application/xml", "<other/>", ErrorFormat::ODataV3);
    assert!(e.service_error().is_none());
}

#[test]
fn auto_does_not_take_an_error_string_for_oauth() {
    let body = r#"{"error": "internal server error"}"#;
    let e = error(500, "application/json", body, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
    assert_eq!(
        e.to_string(),
        format!("Operation returned an invalid status 'Internal Server Error'\nContent: {body}")
    );
    let oauth = r#"{"error": "invalid_grant", "error_description": "expired"}"#;
    let e = error(400, "application/json", oauth, ErrorFormat::Auto);
    assert!(matches!(e.service_error(), Some(ServiceError::OAuth(_))));
}

#[test]
fn a_large_valid_error_keeps_its_code_and_message_but_not_its_whole_body() {
    // A 1.2 MB OData error: details make up the bulk.
    let detail = r#"{"code": "D", "message": "a detail of a long list of details"},"#;
    let details = detail.repeat(1_200_000 / detail.len());
    let body = format!(
        r#"{{"error": {{"code": "Big", "message": "M", "details": [{}]}}}}"#,
        details.trim_end_matches(',')
    );
    assert!(body.len() > MAX_KEPT_ERROR_BODY);
    let e = error(400, "application/json", body, ErrorFormat::ODataV4);
    assert_eq!(e.error_code(), Some("Big"));
    assert!(e
        .to_string()
        .starts_with("(Big) M\nCode: Big\nMessage: M\n"));
    let kept = e.response().unwrap();
    assert_eq!(kept.body().len(), MAX_KEPT_ERROR_BODY);
    assert!(kept.is_body_truncated());

    // Up to the 16 MiB read bound.
    let pad = " ".repeat(MAX_ERROR_BODY - 100);
    let body = format!(r#"{{"error": {{"code": "Huge", "message": "M"}}}}{pad}"#);
    assert!(body.len() <= MAX_ERROR_BODY);
    let e = error(400, "application/json", body, ErrorFormat::ODataV4);
    assert_eq!(e.error_code(), Some("Huge"));
}

#[test]
fn free_form_json_kept_on_an_error_is_bounded() {
    // `[0,0,…]` takes many times its text in memory once parsed: it is cut, the rest kept.
    let zeros = vec!["0"; MAX_KEPT_JSON].join(",");
    let body = format!(r#"{{"error": {{"code": "C", "message": "M", "innererror": [{zeros}]}}}}"#);
    let e = error(400, "application/json", body, ErrorFormat::ODataV4);
    let Some(ServiceError::OData(o)) = e.service_error() else {
        panic!()
    };
    assert_eq!(o.code(), Some("C"));
    let inner = o.innererror().unwrap().as_str().unwrap();
    assert!(inner.starts_with("(cut: "), "{inner}");
    // A small innererror is kept as sent.
    let e = error(
        400,
        "application/json",
        r#"{"error": {"code": "C", "message": "M", "innererror": {"a": [1, 2]}}}"#,
        ErrorFormat::ODataV4,
    );
    let Some(ServiceError::OData(o)) = e.service_error() else {
        panic!()
    };
    assert_eq!(o.innererror(), Some(&serde_json::json!({"a": [1, 2]})));
}

#[test]
fn azion_errors_keep_every_message() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"detail": {"name": ["required"], "age": ["too low", "not a number"]}}"#,
            &["name: required", "age: too low", "age: not a number"],
        ),
        (
            r#"{"name": ["This field is required."], "code": 1234}"#,
            &["name: This field is required."],
        ),
        (
            r#"{"errors": "Invalid request", "detail": ["first", "second"]}"#,
            &["Invalid request", "first", "second"],
        ),
    ];
    for (body, expected) in cases {
        let e = Error::from_response(
            response(400, "application/json", *body),
            ErrorFormat::ErrorList,
            &ErrorMap::new(),
        );
        let got: Vec<String> = e.errors().iter().map(ToString::to_string).collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(got_sorted, want, "{body}: {got:?}");
    }
    // The code beside a per-field map is the list's code.
    let e = Error::from_response(
        response(
            400,
            "application/json",
            r#"{"name": ["required"], "code": 1234}"#,
        ),
        ErrorFormat::ErrorList,
        &ErrorMap::new(),
    );
    assert_eq!(e.error_code(), Some("1234"));
}
