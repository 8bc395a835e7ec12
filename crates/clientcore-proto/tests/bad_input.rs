//! Hostile and broken error bodies: invalid UTF-8, byte-order marks, HTML, JSON that is not
//! an object, a 100 MB body, 10,000-deep JSON and XML, wrong or broken `Content-Type`.
//!
//! Every case yields an [`Error`] whose `Display` works and says exactly what the caller
//! gets: the parsed error, or the generic text with the raw body cut at 2048 characters.

use std::fmt::Write as _;

use bytes::Bytes;
use clientcore_proto::http::{
    header::CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, StatusCode,
};
use clientcore_proto::{
    CapturedResponse, Error, ErrorFormat, ErrorMap, ServiceError, MAX_ERROR_BODY,
};

const FORMATS: [ErrorFormat; 9] = [
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

const GENERIC: &str = "Operation returned an invalid status 'Bad Request'";

fn response(content_type: Option<&[u8]>, body: Bytes) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_bytes(ct).unwrap());
    }
    CapturedResponse::new(StatusCode::BAD_REQUEST, headers, body)
}

/// Builds the error and exercises everything a caller reads, returning `Display`.
fn display(r: CapturedResponse, format: ErrorFormat) -> (Error, String) {
    let e = Error::from_response(r, format, &ErrorMap::generated());
    let text = e.to_string();
    let _ = e.message();
    let _ = e.errors();
    let _ = e.error_code();
    let _ = format!("{e:?}");
    (e, text)
}

/// The generic text with `body` as Content, cut at 2048 characters like `Display`.
fn generic_with(body: &str) -> String {
    format!("{GENERIC}\nContent: {body}")
        .chars()
        .take(2048)
        .collect()
}

/// Asserts that no format parses `body` and that every one gives the generic text.
fn assert_unparsed(content_type: Option<&str>, body: &[u8], expected: &str) {
    for format in FORMATS {
        let r = response(
            content_type.map(str::as_bytes),
            Bytes::copy_from_slice(body),
        );
        let (e, text) = display(r, format);
        assert!(
            e.service_error().is_none(),
            "{format:?}: {:?}",
            e.service_error()
        );
        assert!(e.errors().is_empty(), "{format:?}");
        assert_eq!(text, expected, "{format:?}");
        assert_eq!(e.message(), GENERIC, "{format:?}");
    }
}

#[test]
fn non_utf8_bytes() {
    assert_unparsed(
        None,
        b"\xff\xfe\xfd\x80",
        &format!("{GENERIC}\nContent: \u{fffd}\u{fffd}\u{fffd}\u{fffd}"),
    );
    assert_unparsed(
        Some("application/json"),
        b"{\"error\":\xff}",
        &format!("{GENERIC}\nContent: {{\"error\":\u{fffd}}}"),
    );
    // A declared charset the bytes do not match: no Content at all.
    assert_unparsed(
        Some("application/json; charset=utf-8"),
        b"\xff\xfe\xfd\x80",
        GENERIC,
    );
    // Overlong and surrogate encodings are invalid UTF-8 too.
    assert_unparsed(
        None,
        b"a\xc0\xafb\xed\xa0\x80c",
        &format!("{GENERIC}\nContent: a\u{fffd}\u{fffd}b\u{fffd}\u{fffd}\u{fffd}c"),
    );
}

#[test]
fn byte_order_marks() {
    // A BOM alone is an empty body.
    assert_unparsed(None, b"\xEF\xBB\xBF", GENERIC);
    // Only one BOM is stripped, as with Python's utf-8-sig; the second one stays and the
    // JSON no longer parses.
    assert_unparsed(
        Some("application/json"),
        b"\xEF\xBB\xBF\xEF\xBB\xBF[1]",
        &format!("{GENERIC}\nContent: \u{feff}[1]"),
    );
    // A UTF-16 BOM is not UTF-8.
    assert_unparsed(
        None,
        b"\xFF\xFEa\x00",
        &format!("{GENERIC}\nContent: \u{fffd}\u{fffd}a\0"),
    );
    // A BOM before a valid error is stripped and the error parses.
    let r = response(
        Some(b"application/json"),
        Bytes::from_static(b"\xEF\xBB\xBF{\"error\":{\"code\":\"C\",\"message\":\"M\"}}"),
    );
    let (_, text) = display(r, ErrorFormat::Auto);
    assert_eq!(text, "(C) M\nCode: C\nMessage: M");
}

#[test]
fn html_error_pages() {
    let page = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\
                <body><h1>Service Unavailable</h1><p>The server is temporarily unable to \
                service your request.</p></body></html>";
    assert_unparsed(Some("text/html"), page.as_bytes(), &generic_with(page));
    assert_unparsed(None, page.as_bytes(), &generic_with(page));
    assert_unparsed(
        Some("text/html; charset=iso-8859-1"),
        page.as_bytes(),
        &generic_with(page),
    );
}

#[test]
fn json_that_is_not_an_object() {
    for body in [
        r#"[{"error":{"code":"C","message":"M"}}]"#,
        "[]",
        r#""error""#,
        r#""{\"error\":{\"code\":\"C\",\"message\":\"M\"}}""#,
        "42",
        "-1.5e300",
        "1e999999",
        "null",
        "true",
        "false",
    ] {
        assert_unparsed(
            Some("application/json"),
            body.as_bytes(),
            &generic_with(body),
        );
    }
}

#[test]
fn hundred_megabyte_body_is_bounded() {
    let body = Bytes::from(vec![b'x'; 100 * 1024 * 1024]);
    let r = response(Some(b"text/plain"), body);
    assert!(r.is_body_truncated());
    assert_eq!(r.body().len(), MAX_ERROR_BODY);
    for format in FORMATS {
        let (e, text) = display(r.clone(), format);
        assert!(e.response().unwrap().is_body_truncated());
        assert_eq!(text.chars().count(), 2048, "{format:?}");
        assert_eq!(text, generic_with(&"x".repeat(2048)), "{format:?}");
    }
}

#[test]
fn hundred_megabyte_json_is_cut_and_kept_as_text() {
    let mut body = br#"{"error":{"code":"C","message":""#.to_vec();
    body.resize(100 * 1024 * 1024, b'a');
    body.extend_from_slice(br#""}}"#);
    let r = response(Some(b"application/json"), Bytes::from(body));
    assert!(r.is_body_truncated());
    // The cut body is no longer JSON.
    let (e, text) = display(r, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
    assert_eq!(text.chars().count(), 2048);
    assert!(text.starts_with(&format!(
        "{GENERIC}\nContent: {{\"error\":{{\"code\":\"C\",\"message\":\"aaa"
    )));
}

#[test]
fn deeply_nested_json_does_not_overflow() {
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"error":"#.repeat(depth), "}".repeat(depth));
    let details = format!(
        "{}{}",
        r#"{"code":"C","message":"M","details":["#.repeat(depth),
        "]}".repeat(depth)
    );
    let unclosed = "[".repeat(depth);
    for body in [arrays, objects, details, unclosed] {
        assert_unparsed(
            Some("application/json"),
            body.as_bytes(),
            &generic_with(&body),
        );
        let r = response(Some(b"application/json"), Bytes::from(body));
        let (e, _) = display(r, ErrorFormat::Auto);
        // A typed model cannot be read either; an error, not a crash.
        assert!(e.deserialize_body::<serde_json::Value>().unwrap().is_err());
    }
}

#[test]
fn nested_details_within_the_json_limit_parse() {
    // 60 levels of details fit in serde_json's recursion limit.
    let depth = 60;
    let mut body = String::new();
    for i in 0..=depth {
        write!(body, r#"{{"code":"C{i}","message":"m","details":["#).unwrap();
    }
    body.push_str(&"]}".repeat(depth + 1));
    let r = response(Some(b"application/json"), Bytes::from(body));
    let (e, text) = display(r, ErrorFormat::Auto);
    let Some(ServiceError::OData(mut o)) = e.service_error().cloned() else {
        panic!("{:?}", e.service_error());
    };
    for _ in 0..depth {
        assert_eq!(o.details().len(), 1);
        o = o.details()[0].clone();
    }
    assert_eq!(o.code(), Some("C60"));
    let tabs = "\t".repeat(depth);
    assert!(text.ends_with(&format!(
        "\n{tabs}(C60) m\n{tabs}Code: C60\n{tabs}Message: m"
    )));
}

#[cfg(feature = "xml")]
#[test]
fn deeply_nested_xml_does_not_overflow() {
    let depth = 10_000;
    let open = "<a>".repeat(depth);
    let close = "</a>".repeat(depth);
    // No code or message: not an error body.
    for body in [
        format!("<Error>{open}{close}</Error>"),
        format!("<Error>{open}"),
        format!("{open}{close}"),
        format!("<Error>{open}</Error>"),
    ] {
        assert_unparsed(
            Some("application/xml"),
            body.as_bytes(),
            &generic_with(&body),
        );
    }
    // Deep nesting beside a code and message: the nested text is kept flat.
    let body =
        format!("<Error><Code>Deep</Code><Message>M</Message><Nest>{open}x{close}</Nest></Error>");
    let r = response(Some(b"application/xml"), Bytes::from(body));
    let (e, text) = display(r, ErrorFormat::Auto);
    assert_eq!(text, "(Deep) M\nCode: Deep\nMessage: M\nNest: x");
    assert_eq!(e.error_code(), Some("Deep"));
}

#[cfg(feature = "xml")]
#[test]
fn malformed_and_hostile_xml() {
    for body in [
        "<Error><Code>C</Cod></Error>",
        "<Error><Code>C</Code><Message>M</Message>",
        "<?xml version=\"1.0\"?>",
        "<",
        "<Error><Code>C",
    ] {
        let r = response(
            Some(b"application/xml"),
            Bytes::copy_from_slice(body.as_bytes()),
        );
        let (_, text) = display(r, ErrorFormat::Auto);
        // A body cut after a complete `<Code>` still gives its code; anything else is text.
        if body == "<Error><Code>C</Code><Message>M</Message>" {
            assert_eq!(text, "(C) M\nCode: C\nMessage: M");
        } else {
            assert_eq!(text, generic_with(body), "{body}");
        }
    }
    // Entities are not expanded: no billion laughs.
    let lol = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
               <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
               <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\
               <Error><Code>C</Code><Message>&lol3;</Message></Error>";
    let r = response(Some(b"application/xml"), Bytes::from_static(lol.as_bytes()));
    let (_, text) = display(r, ErrorFormat::Auto);
    assert_eq!(text, "(C) &lol3;\nCode: C\nMessage: &lol3;");
}

#[test]
fn wrong_content_type() {
    let odata = br#"{"error":{"code":"C","message":"M"}}"#;
    let xml = b"<?xml version=\"1.0\"?><Error><Code>C</Code><Message>M</Message></Error>";
    // JSON declared as XML, XML declared as JSON: neither is parsed, the text is kept.
    let r = response(Some(b"application/xml"), Bytes::from_static(odata));
    let (e, text) = display(r, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
    assert_eq!(text, generic_with(std::str::from_utf8(odata).unwrap()));
    let r = response(Some(b"application/json"), Bytes::from_static(xml));
    let (e, text) = display(r, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
    assert_eq!(text, generic_with(std::str::from_utf8(xml).unwrap()));
    // JSON sent as text/plain or octet-stream is still JSON.
    for ct in ["text/plain", "application/octet-stream", "", "garbage"] {
        let r = response(Some(ct.as_bytes()), Bytes::from_static(odata));
        let (_, text) = display(r, ErrorFormat::Auto);
        assert_eq!(text, "(C) M\nCode: C\nMessage: M", "{ct:?}");
    }
    // A Content-Type that is not valid text is ignored.
    let r = response(
        Some(b"application/json; charset=\xff"),
        Bytes::from_static(odata),
    );
    let (_, text) = display(r, ErrorFormat::Auto);
    assert_eq!(text, "(C) M\nCode: C\nMessage: M");
}

#[cfg(feature = "xml")]
#[test]
fn untyped_xml_is_sniffed() {
    for body in [
        "<?xml version=\"1.0\"?><Error><Code>C</Code><Message>M</Message></Error>",
        "  \n<Error><Code>C</Code><Message>M</Message></Error>",
    ] {
        let r = response(None, Bytes::copy_from_slice(body.as_bytes()));
        let (_, text) = display(r, ErrorFormat::Auto);
        assert_eq!(text, "(C) M\nCode: C\nMessage: M");
    }
}

#[test]
fn broken_error_code_header_falls_back_to_the_body() {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-ms-error-code"),
        HeaderValue::from_bytes(b"Bad\xffCode").unwrap(),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let r = CapturedResponse::new(
        StatusCode::CONFLICT,
        headers,
        Bytes::from_static(br#"{"error":{"code":"BodyCode","message":"M"}}"#),
    );
    let (e, text) = display(r, ErrorFormat::Auto);
    assert_eq!(e.error_code(), Some("BodyCode"));
    assert_eq!(text, "(BodyCode) M\nCode: BodyCode\nMessage: M");
}

#[test]
fn control_characters_and_nul_are_kept_verbatim() {
    let body = "a\0b\x1b[31mc\r\nd";
    assert_unparsed(Some("text/plain"), body.as_bytes(), &generic_with(body));
}

#[test]
fn cutting_a_big_utf8_body_never_splits_a_character() {
    // 1 MiB is not a multiple of 3: a naive cut would end in half a '€', and with a
    // declared UTF-8 charset the strict decode would then drop the whole Content.
    let body = "€".repeat(MAX_ERROR_BODY); // 3 MiB
    for ct in ["text/plain; charset=utf-8", "text/plain"] {
        let r = response(Some(ct.as_bytes()), Bytes::from(body.clone()));
        assert!(r.is_body_truncated());
        assert!(r.body().len() <= MAX_ERROR_BODY);
        assert!(r.body().len() > MAX_ERROR_BODY - 3);
        let text = r.text().expect("the cut body still decodes");
        assert!(text.chars().all(|c| c == '€'), "{ct}");
        let (_, display) = display(r, ErrorFormat::Auto);
        assert_eq!(display, generic_with(&"€".repeat(2048)), "{ct}");
    }
    // UTF-16 bodies are cut at the bound itself (an even byte count).
    let utf16: Vec<u8> = "€"
        .repeat(MAX_ERROR_BODY)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let r = response(Some(b"text/plain; charset=utf-16le"), Bytes::from(utf16));
    assert_eq!(r.body().len(), MAX_ERROR_BODY);
    let (_, display) = display(r, ErrorFormat::Auto);
    assert_eq!(display, generic_with(&"€".repeat(2048)));
}

/// A body that pretty-prints hundreds of times larger than itself (deep `innererror` nesting
/// is indented once per level) gives a bounded `Display` and `message()`.
#[test]
fn deep_innererror_amplification_is_bounded() {
    let mut inner = String::from("1");
    // 60 levels of object + array: 120 deep, under serde_json's limit of 128.
    for _ in 0..60 {
        inner = format!("{{\"a\":[{inner}]}}");
    }
    let info: Vec<String> = (0..1000)
        .map(|i| format!("{{\"type\":\"T{i}\",\"info\":{inner}}}"))
        .collect();
    let body = format!(
        "{{\"error\":{{\"code\":\"C\",\"message\":\"M\",\"additionalInfo\":[{}]}}}}",
        info.join(",")
    );
    let r = CapturedResponse::new(StatusCode::BAD_REQUEST, HeaderMap::new(), body.into());
    let e = Error::from_response(r, ErrorFormat::Arm, &ErrorMap::new());
    assert!(e.service_error().is_some());
    let text = e.to_string();
    // Cut at the bound, with a line that says so.
    let note = format!(
        "\n(cut: the error text is longer than {} characters)",
        clientcore_proto::MAX_SERVICE_ERROR_CHARS
    );
    assert!(text.ends_with(&note));
    assert_eq!(
        text.chars().count(),
        clientcore_proto::MAX_SERVICE_ERROR_CHARS + note.chars().count()
    );
    assert!(text.starts_with("(C) M\nCode: C\nMessage: M\nAdditional Information:\nType: T0"));
    assert_eq!(e.message(), text);
}
