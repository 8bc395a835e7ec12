//! Section T of the reference test scenarios (the Azion API's errors), re-expressed.
//!
//! The reference's `handle_error` returned an exception per status class, raised `TypeError`
//! for an unmapped status and `JSONDecodeError` for a body that is not JSON. Here every
//! status gives an [`Error`]: its Azion class is [`Error::azion_status`] (`None` for an
//! unmapped status, which stays a generic `HttpResponse` error; ARCHITECTURE.md deviation 9),
//! and a body that is not JSON keeps its raw text instead of failing.

use bytes::Bytes;
use clientcore_proto::format::ErrorEntry;
use clientcore_proto::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use clientcore_proto::{AzionStatus, CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
use serde_json::json;

fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
    }
    CapturedResponse::new(
        StatusCode::from_u16(status).unwrap(),
        headers,
        Bytes::copy_from_slice(body),
    )
}

/// What an Azion client does: parse an error list, map no status.
fn azion_error(status: u16, body: &str) -> Error {
    Error::from_response(
        response(status, Some("application/json"), body.as_bytes()),
        ErrorFormat::ErrorList,
        &ErrorMap::new(),
    )
}

fn details(entries: &[ErrorEntry]) -> Vec<Option<&str>> {
    entries.iter().map(ErrorEntry::detail).collect()
}

#[test]
fn t1_bad_request_with_detail_list() {
    let body = r#"{"detail": ["Invalid foo"]}"#;
    let e = azion_error(400, body);
    assert_eq!(e.azion_status(), Some(AzionStatus::BadRequest));
    assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
    assert!(e.is_http_response());
    assert_eq!(e.kind(), ErrorKind::HttpResponse);
    let errors = e.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].detail(), Some("Invalid foo"));
    assert_eq!(errors[0].message(), Some("Invalid foo"));
    assert_eq!(errors[0].field(), None);
    assert_eq!(errors[0].code(), None);
    assert_eq!(e.to_string(), "Invalid foo");
    assert_eq!(e.message(), "Invalid foo");
    // `errors == {'detail': ['Invalid foo']}` in 9f931aa: the whole body is still there.
    let whole: serde_json::Value = e.deserialize_body().unwrap().unwrap();
    assert_eq!(whole, json!({"detail": ["Invalid foo"]}));
    // `repr(e) == '<BadRequest [400]>'`: the parts are the class name and the status.
    let class = e.azion_status().unwrap();
    assert_eq!(
        format!("<{class} [{}]>", class.status()),
        "<BadRequest [400]>"
    );
}

#[test]
fn status_classes() {
    let classes = [
        (400, AzionStatus::BadRequest, "BadRequest"),
        (401, AzionStatus::Unauthorized, "Unauthorized"),
        (403, AzionStatus::Forbidden, "Forbidden"),
        (404, AzionStatus::NotFound, "NotFound"),
        (405, AzionStatus::MethodNotAllowed, "MethodNotAllowed"),
        (406, AzionStatus::NotAcceptable, "NotAcceptable"),
        (409, AzionStatus::Conflict, "Conflict"),
        (429, AzionStatus::TooManyRequests, "TooManyRequests"),
        // azion-api-client adds 500.
        (500, AzionStatus::InternalServerError, "InternalServerError"),
    ];
    for (status, class, name) in classes {
        assert_eq!(AzionStatus::from_status(status), Some(class), "{status}");
        assert_eq!(class.status(), status);
        assert_eq!(class.class_name(), name);
        assert_eq!(class.to_string(), name);
        let e = azion_error(status, r#"{"detail": "x"}"#);
        assert_eq!(e.azion_status(), Some(class), "{status}");
        assert_eq!(e.to_string(), "x");
        assert_eq!(details(&e.errors()), [Some("x")]);
    }
}

#[test]
fn unmapped_statuses_still_give_the_generic_error() {
    // The reference raised TypeError("'NoneType' object is not callable") for these.
    for (status, reason) in [
        (304, "Not Modified"),
        (402, "Payment Required"),
        (418, "I'm a teapot"),
        (422, "Unprocessable Entity"),
        (501, "Not Implemented"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
    ] {
        assert_eq!(AzionStatus::from_status(status), None, "{status}");
        let e = azion_error(status, r#"{"detail": ["Invalid foo"]}"#);
        assert_eq!(e.azion_status(), None, "{status}");
        assert_eq!(e.kind(), ErrorKind::HttpResponse);
        assert!(e.is_http_response());
        assert_eq!(e.to_string(), "Invalid foo");
        assert_eq!(details(&e.errors()), [Some("Invalid foo")]);

        let e = azion_error(status, "");
        assert_eq!(e.azion_status(), None);
        assert_eq!(
            e.to_string(),
            format!("Operation returned an invalid status '{reason}'")
        );
        assert!(e.errors().is_empty());
    }
}

#[test]
fn azion_status_is_none_without_a_response() {
    assert_eq!(Error::from(ErrorKind::HttpResponse).azion_status(), None);
    assert_eq!(
        Error::new(ErrorKind::ServiceRequest, "x").azion_status(),
        None
    );
}

#[test]
fn detail_string() {
    let e = azion_error(404, r#"{"detail": "Not found."}"#);
    assert_eq!(e.azion_status(), Some(AzionStatus::NotFound));
    assert_eq!(details(&e.errors()), [Some("Not found.")]);
    assert_eq!(e.to_string(), "Not found.");
}

#[test]
fn errors_list_of_strings() {
    let e = azion_error(400, r#"{"errors": ["first problem", "second problem"]}"#);
    assert_eq!(
        details(&e.errors()),
        [Some("first problem"), Some("second problem")]
    );
    assert_eq!(
        e.to_string(),
        "first problem\nErrors:\n\tfirst problem\n\tsecond problem"
    );
    assert_eq!(e.error_code(), None);
}

#[test]
fn errors_list_of_json_api_objects() {
    let body = r#"{"errors": [
        {"status": "422", "code": "invalid", "title": "Invalid Attribute",
         "detail": "First name must contain at least two characters.",
         "source": {"pointer": "/data/attributes/firstName"}},
        {"status": "422", "title": "Missing", "source": {"parameter": "include"}},
        {"detail": "by header", "source": {"header": "X-Api-Key"}},
        {"message": "plain message", "field": "email"}
    ]}"#;
    let e = azion_error(400, body);
    let errors = e.errors();
    assert_eq!(errors.len(), 4);
    assert_eq!(errors[0].field(), Some("/data/attributes/firstName"));
    assert_eq!(errors[0].status(), Some("422"));
    assert_eq!(errors[0].code(), Some("invalid"));
    assert_eq!(errors[0].title(), Some("Invalid Attribute"));
    assert_eq!(
        errors[0].detail(),
        Some("First name must contain at least two characters.")
    );
    assert_eq!(errors[1].field(), Some("include"));
    assert_eq!(errors[1].detail(), None);
    assert_eq!(errors[1].message(), Some("Missing"));
    assert_eq!(errors[2].field(), Some("X-Api-Key"));
    assert_eq!(errors[3].field(), Some("email"));
    assert_eq!(errors[3].detail(), Some("plain message"));
    assert_eq!(e.error_code(), Some("invalid"));
    assert_eq!(
        e.to_string(),
        "/data/attributes/firstName: (invalid) Invalid Attribute: First name must contain at \
         least two characters.\nErrors:\n\
         \t/data/attributes/firstName: (invalid) Invalid Attribute: First name must contain at \
         least two characters.\n\
         \tinclude: (422) Missing\n\
         \tX-Api-Key: by header\n\
         \temail: plain message"
    );
}

#[test]
fn json_api_entries_without_any_text_are_skipped() {
    let e = azion_error(
        400,
        r#"{"errors": [{"status": "400"}, {"source": {}}, 5, null, "kept"]}"#,
    );
    assert_eq!(details(&e.errors()), [Some("kept")]);
    assert_eq!(e.to_string(), "kept");
}

#[test]
fn per_field_maps() {
    let e = azion_error(400, r#"{"name": ["required"]}"#);
    let errors = e.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field(), Some("name"));
    assert_eq!(errors[0].detail(), Some("required"));
    assert_eq!(e.to_string(), "name: required");

    // Fields in body order; a field with a plain string counts too.
    let e = azion_error(
        400,
        r#"{"name": ["required"], "email": ["invalid", "taken"], "age": "too young"}"#,
    );
    let fields: Vec<_> = e
        .errors()
        .iter()
        .map(|x| x.field().map(str::to_owned))
        .collect();
    assert_eq!(
        fields,
        [
            Some("name".to_owned()),
            Some("email".to_owned()),
            Some("email".to_owned()),
            Some("age".to_owned())
        ]
    );
    assert_eq!(
        e.to_string(),
        "name: required\nErrors:\n\tname: required\n\temail: invalid\n\temail: taken\n\tage: too young"
    );

    // `errors` as a per-field object.
    let e = azion_error(400, r#"{"errors": {"name": ["required"]}}"#);
    assert_eq!(e.to_string(), "name: required");
}

#[test]
fn objects_that_are_not_field_maps_are_not_error_lists() {
    for body in [r#"{"name": []}"#, r#"{"name": [1, 2]}"#, "{}"] {
        let e = azion_error(400, body);
        assert!(e.errors().is_empty(), "{body}");
        assert_eq!(
            e.to_string(),
            format!("Operation returned an invalid status 'Bad Request'\nContent: {body}")
        );
    }
}

#[test]
fn non_json_empty_and_bom_bodies_never_fail() {
    // Not JSON: the reference raised JSONDecodeError; we keep the raw text.
    let e = Error::from_response(
        response(
            400,
            Some("text/html"),
            b"<html><body>Bad request</body></html>",
        ),
        ErrorFormat::ErrorList,
        &ErrorMap::new(),
    );
    assert_eq!(e.azion_status(), Some(AzionStatus::BadRequest));
    assert!(e.errors().is_empty());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: <html><body>Bad request</body></html>"
    );
    assert_eq!(
        e.response().unwrap().text().as_deref(),
        Some("<html><body>Bad request</body></html>")
    );
    let body: Option<Result<serde_json::Value, _>> = e.deserialize_body();
    assert!(body.unwrap().is_err());

    // Empty.
    let e = azion_error(429, "");
    assert_eq!(e.azion_status(), Some(AzionStatus::TooManyRequests));
    assert!(e.errors().is_empty());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Too Many Requests'"
    );
    assert!(e.is_retryable());

    // A UTF-8 BOM: requests' `.json()` failed on it; the BOM is stripped here, with and
    // without a declared charset.
    for ct in ["application/json", "application/json; charset=utf-8"] {
        let e = Error::from_response(
            response(
                400,
                Some(ct),
                b"\xEF\xBB\xBF{\"detail\": [\"Invalid foo\"]}",
            ),
            ErrorFormat::ErrorList,
            &ErrorMap::new(),
        );
        assert_eq!(details(&e.errors()), [Some("Invalid foo")], "{ct}");
        assert_eq!(e.to_string(), "Invalid foo");
        let whole: serde_json::Value = e.deserialize_body().unwrap().unwrap();
        assert_eq!(whole, json!({"detail": ["Invalid foo"]}));
    }

    // Latin-1 bytes with no charset: U+FFFD, as requests' `errors="replace"` did.
    let e = Error::from_response(
        response(400, None, b"{\"detail\": \"caf\xe9\"}"),
        ErrorFormat::ErrorList,
        &ErrorMap::new(),
    );
    assert_eq!(e.to_string(), "caf\u{fffd}");
}

#[test]
fn json_bodies_that_are_not_objects() {
    for body in [
        r#"["Invalid foo"]"#,
        r#""Invalid foo""#,
        "42",
        "null",
        "true",
    ] {
        let e = azion_error(400, body);
        assert_eq!(e.azion_status(), Some(AzionStatus::BadRequest));
        assert!(e.errors().is_empty(), "{body}");
        assert_eq!(
            e.to_string(),
            format!("Operation returned an invalid status 'Bad Request'\nContent: {body}")
        );
    }
}

#[test]
fn auto_format_reads_azion_bodies_too() {
    for (body, expected) in [
        (r#"{"detail": ["Invalid foo"]}"#, "Invalid foo"),
        (r#"{"detail": "x"}"#, "x"),
        (r#"{"errors": ["a"]}"#, "a"),
        (r#"{"name": ["required"]}"#, "name: required"),
    ] {
        let e = Error::from_response(
            response(400, Some("application/json"), body.as_bytes()),
            ErrorFormat::Auto,
            &ErrorMap::new(),
        );
        assert_eq!(e.to_string(), expected, "{body}");
        assert_eq!(e.errors().len(), 1);
    }
}

#[test]
fn errors_from_other_formats() {
    // OData: one entry per error and detail.
    let e = Error::from_response(
        response(
            409,
            Some("application/json"),
            br#"{"error":{"code":"C","message":"M","details":[{"code":"D","message":"DM","target":"t"}]}}"#,
        ),
        ErrorFormat::Auto,
        &ErrorMap::new(),
    );
    let errors = e.errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        (errors[0].code(), errors[0].detail()),
        (Some("C"), Some("M"))
    );
    assert_eq!(
        (errors[1].code(), errors[1].detail(), errors[1].field()),
        (Some("D"), Some("DM"), Some("t"))
    );
    assert_eq!(e.azion_status(), Some(AzionStatus::Conflict));

    // OAuth: one entry from the code and description.
    let e = Error::from_response(
        response(
            401,
            Some("application/json"),
            br#"{"error":"invalid_token","error_description":"expired"}"#,
        ),
        ErrorFormat::Auto,
        &ErrorMap::new(),
    );
    let errors = e.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code(), Some("invalid_token"));
    assert_eq!(errors[0].detail(), Some("expired"));
    assert_eq!(e.azion_status(), Some(AzionStatus::Unauthorized));

    // Nothing parsed: empty.
    assert!(azion_error(400, "nope").errors().is_empty());
}

#[test]
fn error_list_is_bounded() {
    let items: Vec<String> = (0..1000).map(|i| format!("\"e{i}\"")).collect();
    let body = format!("{{\"errors\": [{}]}}", items.join(","));
    let e = azion_error(400, &body);
    let errors = e.errors();
    assert_eq!(errors.len(), 256);
    assert_eq!(errors[0].detail(), Some("e0"));
    assert_eq!(errors[255].detail(), Some("e255"));
}
