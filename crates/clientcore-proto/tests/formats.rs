//! Every service error format, the `Auto` detection, header codes, and how body bytes become
//! text (charset, BOM, replacement characters, strict decoding, the 2048-character cut).

use bytes::Bytes;
use clientcore_proto::format::{self, ErrorFormat, ServiceError};
use clientcore_proto::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use clientcore_proto::{CapturedResponse, Error, ErrorKind, ErrorMap, MAX_ERROR_BODY};
use serde_json::json;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    h
}

fn response(status: u16, pairs: &[(&str, &str)], body: &[u8]) -> CapturedResponse {
    CapturedResponse::new(
        StatusCode::from_u16(status).unwrap(),
        headers(pairs),
        Bytes::copy_from_slice(body),
    )
}

fn error(status: u16, pairs: &[(&str, &str)], body: &[u8], format: ErrorFormat) -> Error {
    Error::from_response(response(status, pairs, body), format, &ErrorMap::new())
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

// ===== OData v4 =====

#[test]
fn odata_v4_wrapped_and_unwrapped() {
    for body in [
        r#"{"error":{"code":"C","message":"M","target":"t"}}"#,
        r#"{"code":"C","message":"M","target":"t"}"#,
    ] {
        for format in [ErrorFormat::ODataV4, ErrorFormat::Arm, ErrorFormat::Auto] {
            let e = error(400, JSON, body.as_bytes(), format);
            let Some(ServiceError::OData(o)) = e.service_error() else {
                panic!("{body} {format:?}: {:?}", e.service_error());
            };
            assert_eq!(o.code(), Some("C"));
            assert_eq!(o.message(), Some("M"));
            assert_eq!(o.target(), Some("t"));
            assert_eq!(e.to_string(), "(C) M\nCode: C\nMessage: M\nTarget: t");
            assert_eq!(e.error_code(), Some("C"));
        }
    }
}

#[test]
fn odata_error_node_wins_over_top_level() {
    let body = r#"{"code":"Top","message":"top","error":{"code":"Inner","message":"inner"}}"#;
    let e = error(400, JSON, body.as_bytes(), ErrorFormat::ODataV4);
    assert_eq!(e.error_code(), Some("Inner"));
    assert_eq!(e.to_string(), "(Inner) inner\nCode: Inner\nMessage: inner");
    // An `error` node that is not an object fails, even with good top-level fields.
    let body = r#"{"code":"Top","message":"top","error":[]}"#;
    let e = error(400, JSON, body.as_bytes(), ErrorFormat::ODataV4);
    assert!(e.service_error().is_none());
}

#[test]
fn odata_formats_reject_other_shapes() {
    for body in [
        r#"{"error":"invalid_grant"}"#,
        r#"{"type":"about:blank","title":"T"}"#,
        r#"{"odata.error":{"code":"C","message":"M"}}"#,
        r#"{"detail":["x"]}"#,
    ] {
        let e = error(400, JSON, body.as_bytes(), ErrorFormat::ODataV4);
        assert!(e.service_error().is_none(), "{body}");
    }
}

// ===== JSON:API =====

#[test]
fn json_api_errors() {
    let body = br#"{"errors":[{"status":"403","source":{"pointer":"/data/attributes/secretPowers"},"detail":"Editing secret powers is not authorized on Sundays."}]}"#;
    for format in [ErrorFormat::ErrorList, ErrorFormat::Auto] {
        let e = error(
            403,
            &[("content-type", "application/vnd.api+json")],
            body,
            format,
        );
        let Some(ServiceError::List(list)) = e.service_error() else {
            panic!("{format:?}: {:?}", e.service_error());
        };
        assert_eq!(list.entries().len(), 1);
        assert_eq!(list.entries()[0].status(), Some("403"));
        assert_eq!(list.code(), None);
        assert_eq!(
            list.message(),
            Some("Editing secret powers is not authorized on Sundays.")
        );
        assert_eq!(
            e.to_string(),
            "/data/attributes/secretPowers: (403) Editing secret powers is not authorized on Sundays."
        );
    }
}

// ===== RFC 9457 =====

const PROBLEM: &str = r#"{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","status":403,"detail":"Your current balance is 30, but that costs 50.","instance":"/account/12345/msgs/abc","balance":30,"accounts":["/account/12345","/account/67890"]}"#;

#[test]
fn problem_details_all_members() {
    for format in [ErrorFormat::Problem, ErrorFormat::Auto] {
        let e = error(
            403,
            &[("content-type", "application/problem+json")],
            PROBLEM.as_bytes(),
            format,
        );
        let Some(ServiceError::Problem(p)) = e.service_error() else {
            panic!("{format:?}: {:?}", e.service_error());
        };
        assert_eq!(p.type_(), "https://example.com/probs/out-of-credit");
        assert_eq!(p.title(), Some("You do not have enough credit."));
        assert_eq!(p.status(), Some(403));
        assert_eq!(
            p.detail(),
            Some("Your current balance is 30, but that costs 50.")
        );
        assert_eq!(p.instance(), Some("/account/12345/msgs/abc"));
        assert_eq!(p.extensions().len(), 2);
        assert_eq!(p.extensions()["balance"], 30);
        assert_eq!(p.extensions()["accounts"][1], "/account/67890");
        assert_eq!(p.code(), None);
        assert_eq!(e.error_code(), None);
        let se = e.service_error().unwrap();
        assert_eq!(
            se.message(),
            Some("Your current balance is 30, but that costs 50.")
        );
        assert_eq!(
            e.to_string(),
            "(403) You do not have enough credit.\n\
             Type: https://example.com/probs/out-of-credit\n\
             Title: You do not have enough credit.\n\
             Status: 403\n\
             Detail: Your current balance is 30, but that costs 50.\n\
             Instance: /account/12345/msgs/abc\n\
             Extensions: {\n    \"balance\": 30,\n    \"accounts\": [\n        \"/account/12345\",\n        \"/account/67890\"\n    ]\n}"
        );
    }
}

#[test]
fn problem_details_minimal_and_code_extension() {
    let e = error(
        404,
        &[("content-type", "application/problem+json; charset=utf-8")],
        br#"{"title":"Not Found"}"#,
        ErrorFormat::Auto,
    );
    let Some(ServiceError::Problem(p)) = e.service_error() else {
        panic!("{:?}", e.service_error());
    };
    // RFC 9457: a missing type means about:blank.
    assert_eq!(p.type_(), "about:blank");
    assert_eq!(
        e.to_string(),
        "Not Found\nType: about:blank\nTitle: Not Found"
    );

    let e = error(
        409,
        &[("content-type", "application/problem+json")],
        br#"{"title":"Conflict","status":"409","code":"Busy","detail":"Try later"}"#,
        ErrorFormat::Auto,
    );
    // A status that is not a number is ignored; a string `code` extension is the code.
    assert_eq!(e.error_code(), Some("Busy"));
    assert_eq!(
        e.to_string(),
        "(Busy) Conflict\nType: about:blank\nTitle: Conflict\nDetail: Try later\n\
         Extensions: {\n    \"code\": \"Busy\"\n}"
    );
}

#[test]
fn problem_details_detected_by_shape_without_media_type() {
    let e = error(
        400,
        JSON,
        br#"{"title":"Bad input","status":400}"#,
        ErrorFormat::Auto,
    );
    assert!(matches!(e.service_error(), Some(ServiceError::Problem(_))));
    assert_eq!(
        e.to_string(),
        "(400) Bad input\nType: about:blank\nTitle: Bad input\nStatus: 400"
    );
    // A lone `detail` is a problem only when the media type says so; otherwise it is an
    // Azion/Django style error list.
    let body = br#"{"detail":"only detail"}"#;
    let e = error(
        400,
        &[("content-type", "application/problem+json")],
        body,
        ErrorFormat::Auto,
    );
    assert!(matches!(e.service_error(), Some(ServiceError::Problem(_))));
    let e = error(400, JSON, body, ErrorFormat::Auto);
    assert!(matches!(e.service_error(), Some(ServiceError::List(_))));
    assert_eq!(e.to_string(), "only detail");
    // Explicit Problem with nothing of a problem in it.
    let e = error(400, JSON, br#"{"status":400}"#, ErrorFormat::Problem);
    assert!(e.service_error().is_none());
}

// ===== Azure Storage XML =====

#[cfg(feature = "xml")]
#[test]
fn storage_xml_keeps_extra_elements() {
    use clientcore_proto::format::StorageError;
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>InvalidQueryParameterValue</Code>\
                <Message>Value for one of the query parameters specified in the request URI is invalid.\n\
                RequestId:0c1e\nTime:2024-01-01T00:00:00.0000000Z</Message>\
                <QueryParameterName>comp</QueryParameterName><QueryParameterValue>bad</QueryParameterValue>\
                <Reason>Unknown &amp; unsupported</Reason><Empty/></Error>";
    for (format, ct) in [
        (ErrorFormat::StorageXml, None),
        (ErrorFormat::Auto, Some("application/xml")),
        (ErrorFormat::Auto, None),
        (ErrorFormat::Auto, Some("text/xml; charset=utf-8")),
    ] {
        let pairs: Vec<(&str, &str)> = ct.map(|c| ("content-type", c)).into_iter().collect();
        let e = error(400, &pairs, body.as_bytes(), format);
        let Some(ServiceError::Storage(s)) = e.service_error() else {
            panic!("{format:?} {ct:?}: {:?}", e.service_error());
        };
        assert_eq!(s.code(), Some("InvalidQueryParameterValue"));
        assert_eq!(
            s.extra(),
            &[
                ("QueryParameterName".to_owned(), "comp".to_owned()),
                ("QueryParameterValue".to_owned(), "bad".to_owned()),
                ("Reason".to_owned(), "Unknown & unsupported".to_owned()),
                ("Empty".to_owned(), String::new()),
            ]
        );
        assert_eq!(
            e.to_string(),
            "(InvalidQueryParameterValue) Value for one of the query parameters specified in the request URI is invalid.\n\
             Code: InvalidQueryParameterValue\n\
             Message: Value for one of the query parameters specified in the request URI is invalid.\n\
             RequestId:0c1e\nTime:2024-01-01T00:00:00.0000000Z\n\
             QueryParameterName: comp\nQueryParameterValue: bad\nReason: Unknown & unsupported\nEmpty: "
        );
        assert_eq!(s, &StorageError::from_xml(body).unwrap());
    }
}

#[cfg(feature = "xml")]
#[test]
fn storage_xml_rejects_other_roots_and_cdata_is_text() {
    for body in [
        "<?xml version=\"1.0\"?><Other><Code>C</Code></Other>",
        "<Error></Error>",
        "<Error/>",
        "<Error><Code></Code><Message></Message></Error>",
    ] {
        let e = error(
            400,
            &[("content-type", "application/xml")],
            body.as_bytes(),
            ErrorFormat::Auto,
        );
        assert!(e.service_error().is_none(), "{body}");
        assert_eq!(
            e.to_string(),
            format!("Operation returned an invalid status 'Bad Request'\nContent: {body}")
        );
    }
    let e = error(
        400,
        &[("content-type", "application/xml")],
        b"<Error><Code>C</Code><Message><![CDATA[a <b> c]]></Message></Error>",
        ErrorFormat::Auto,
    );
    assert_eq!(e.to_string(), "(C) a <b> c\nCode: C\nMessage: a <b> c");
}

#[test]
fn xml_body_is_not_json() {
    // Without the xml feature, or with a JSON-only format, an XML body keeps its raw text.
    let body = b"<?xml version=\"1.0\"?><Error><Code>C</Code><Message>M</Message></Error>";
    let e = error(
        400,
        &[("content-type", "application/xml")],
        body,
        ErrorFormat::ODataV4,
    );
    assert!(e.service_error().is_none());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: <?xml version=\"1.0\"?><Error><Code>C</Code><Message>M</Message></Error>"
    );
}

// ===== Azure Tables OData v3 =====

#[test]
fn tables_odata_v3() {
    let body = br#"{"odata.error":{"code":"TableNotFound","message":{"lang":"en-US","value":"The table specified does not exist.\nRequestId:1\nTime:2026-01-01T00:00:00.000Z"}}}"#;
    for format in [ErrorFormat::ODataV3, ErrorFormat::Auto] {
        let e = error(
            404,
            &[(
                "content-type",
                "application/json;odata=nometadata;streaming=true;charset=utf-8",
            )],
            body,
            format,
        );
        let Some(ServiceError::ODataV3(t)) = e.service_error() else {
            panic!("{format:?}: {:?}", e.service_error());
        };
        assert_eq!(t.code(), Some("TableNotFound"));
        assert_eq!(t.lang(), Some("en-US"));
        assert_eq!(
            t.message(),
            Some("The table specified does not exist.\nRequestId:1\nTime:2026-01-01T00:00:00.000Z")
        );
        assert_eq!(
            e.to_string(),
            "(TableNotFound) The table specified does not exist.\nCode: TableNotFound\n\
             Message: The table specified does not exist.\nRequestId:1\nTime:2026-01-01T00:00:00.000Z"
        );
    }
    // A plain string message.
    let e = error(
        400,
        JSON,
        br#"{"odata.error":{"code":"C","message":"plain"}}"#,
        ErrorFormat::ODataV3,
    );
    assert_eq!(e.to_string(), "(C) plain\nCode: C\nMessage: plain");
    // Neither code nor message.
    let e = error(400, JSON, br#"{"odata.error":{}}"#, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
}

// ===== OAuth =====

#[test]
fn oauth_errors() {
    let body = br#"{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code or refresh token has expired.","error_codes":[70008],"timestamp":"2024-01-01 00:00:00Z","error_uri":"https://login.microsoftonline.com/error?code=70008"}"#;
    for format in [ErrorFormat::OAuth, ErrorFormat::Auto] {
        let e = error(400, JSON, body, format);
        let Some(ServiceError::OAuth(o)) = e.service_error() else {
            panic!("{format:?}: {:?}", e.service_error());
        };
        assert_eq!(o.error(), "invalid_grant");
        assert_eq!(
            o.uri(),
            Some("https://login.microsoftonline.com/error?code=70008")
        );
        assert_eq!(e.error_code(), Some("invalid_grant"));
        assert_eq!(
            e.to_string(),
            "(invalid_grant) AADSTS70008: The provided authorization code or refresh token has expired.\n\
             Code: invalid_grant\n\
             Message: AADSTS70008: The provided authorization code or refresh token has expired.\n\
             More information: https://login.microsoftonline.com/error?code=70008"
        );
    }
    let e = error(
        401,
        JSON,
        br#"{"error":"invalid_client"}"#,
        ErrorFormat::Auto,
    );
    assert_eq!(
        e.to_string(),
        "(invalid_client) None\nCode: invalid_client\nMessage: None"
    );
    // An empty `error` string is not an OAuth error.
    let e = error(400, JSON, br#"{"error":""}"#, ErrorFormat::OAuth);
    assert!(e.service_error().is_none());
}

// ===== Header codes =====

#[test]
fn x_ms_error_code_header_wins_over_the_body() {
    let e = error(
        409,
        &[
            ("content-type", "application/json"),
            ("x-ms-error-code", "HeaderCode"),
        ],
        br#"{"error":{"code":"BodyCode","message":"M"}}"#,
        ErrorFormat::Auto,
    );
    assert_eq!(e.error_code(), Some("HeaderCode"));
    assert_eq!(e.service_error().unwrap().code(), Some("BodyCode"));
    // Display is the body's.
    assert_eq!(e.to_string(), "(BodyCode) M\nCode: BodyCode\nMessage: M");
    // An empty header does not hide the body's code.
    let e = error(
        409,
        &[
            ("content-type", "application/json"),
            ("x-ms-error-code", ""),
        ],
        br#"{"error":{"code":"BodyCode","message":"M"}}"#,
        ErrorFormat::Auto,
    );
    assert_eq!(e.error_code(), Some("BodyCode"));
}

#[test]
fn x_ms_error_code_is_the_only_code_on_bodiless_responses() {
    // As a conditional Storage call maps them.
    let map = ErrorMap::with_match_conditions();
    for (status, code, kind, reason) in [
        (
            404,
            "BlobNotFound",
            ErrorKind::ResourceNotFound,
            "Not Found",
        ),
        (
            304,
            "ConditionNotMet",
            ErrorKind::ResourceNotModified,
            "Not Modified",
        ),
        (
            412,
            "ConditionNotMet",
            ErrorKind::ResourceModified,
            "Precondition Failed",
        ),
    ] {
        let r = response(
            status,
            &[
                ("x-ms-error-code", code),
                ("content-type", "application/xml"),
            ],
            b"",
        );
        let e = Error::from_response(r, ErrorFormat::Auto, &map);
        assert_eq!(e.kind(), kind);
        assert_eq!(e.error_code(), Some(code));
        assert!(e.service_error().is_none());
        assert!(e.errors().is_empty());
        assert_eq!(
            e.to_string(),
            format!("Operation returned an invalid status '{reason}'")
        );
    }
    // No header, no body: no code.
    let e = error(400, &[], b"", ErrorFormat::Auto);
    assert_eq!(e.error_code(), None);
}

#[test]
fn request_id_headers_in_order() {
    let e = error(
        500,
        &[
            ("request-id", "c"),
            ("x-request-id", "b"),
            ("x-ms-request-id", "a"),
        ],
        b"",
        ErrorFormat::Auto,
    );
    assert_eq!(e.request_id(), Some("a"));
    let e = error(
        500,
        &[("request-id", "c"), ("x-request-id", "b")],
        b"",
        ErrorFormat::Auto,
    );
    assert_eq!(e.request_id(), Some("b"));
    let e = error(500, &[("request-id", "c")], b"", ErrorFormat::Auto);
    assert_eq!(e.request_id(), Some("c"));
    let e = error(500, &[], b"", ErrorFormat::Auto);
    assert_eq!(e.request_id(), None);
    assert_eq!(Error::from(ErrorKind::HttpResponse).request_id(), None);
}

// ===== Auto, None, HTML =====

#[test]
fn auto_detection_order() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            JSON,
            r#"{"odata.error":{"code":"C","message":"M"},"error":{"code":"X","message":"Y"}}"#,
            "ODataV3",
        ),
        (
            &[("content-type", "application/problem+json")],
            r#"{"title":"T","error":{"code":"C","message":"M"}}"#,
            "Problem",
        ),
        (
            JSON,
            r#"{"title":"T","error":{"code":"C","message":"M"}}"#,
            "OData",
        ),
        // A string `error` that is no OAuth code, with nothing else of OAuth's, is not OAuth.
        (JSON, r#"{"error":"e","title":"T","status":400}"#, "Problem"),
        (JSON, r#"{"error":"invalid_grant","title":"T"}"#, "OAuth"),
        (JSON, r#"{"error":"e","error_description":"D"}"#, "OAuth"),
        (JSON, r#"{"title":"T","type":"urn:x"}"#, "Problem"),
        (JSON, r#"{"name":["required"]}"#, "List"),
        (
            JSON,
            r#"{"errors":["x"],"title":"T","detail":"D"}"#,
            "Problem",
        ),
        (&[], r#"{"errors":["x"]}"#, "List"),
        (
            &[("content-type", "text/plain")],
            r#"{"code":"C","message":"M"}"#,
            "OData",
        ),
    ];
    for (pairs, body, expected) in cases {
        let e = error(400, pairs, body.as_bytes(), ErrorFormat::Auto);
        let got = match e.service_error() {
            Some(ServiceError::OData(_)) => "OData",
            Some(ServiceError::ODataV3(_)) => "ODataV3",
            Some(ServiceError::Problem(_)) => "Problem",
            Some(ServiceError::OAuth(_)) => "OAuth",
            Some(ServiceError::List(_)) => "List",
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(got, *expected, "{body}");
    }
    // `{"title":"T"}` alone is neither a problem (no type, status or detail) nor a per-field
    // map (Auto wants Django REST's lists of messages): the raw text is kept.
    let e = error(400, JSON, br#"{"title":"T"}"#, ErrorFormat::Auto);
    assert!(e.service_error().is_none());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: {\"title\":\"T\"}"
    );
}

#[test]
fn format_none_never_parses() {
    let body = br#"{"error":{"code":"C","message":"M"}}"#;
    let e = error(400, JSON, body, ErrorFormat::None);
    assert!(e.service_error().is_none());
    assert!(e.errors().is_empty());
    assert_eq!(e.error_code(), None);
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: {\"error\":{\"code\":\"C\",\"message\":\"M\"}}"
    );
    assert!(format::parse(ErrorFormat::None, &headers(JSON), body).is_none());
}

#[test]
fn text_html_is_never_parsed_by_auto() {
    let body = br#"{"error":{"code":"C","message":"M"}}"#;
    for ct in ["text/html", "text/html; charset=utf-8", "TEXT/HTML"] {
        let e = error(502, &[("content-type", ct)], body, ErrorFormat::Auto);
        assert!(e.service_error().is_none(), "{ct}");
        assert_eq!(
            e.to_string(),
            "Operation returned an invalid status 'Bad Gateway'\nContent: {\"error\":{\"code\":\"C\",\"message\":\"M\"}}"
        );
    }
    let page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";
    for format in [
        ErrorFormat::Auto,
        ErrorFormat::ODataV4,
        ErrorFormat::StorageXml,
    ] {
        let e = error(502, &[("content-type", "text/html")], page, format);
        assert!(e.service_error().is_none(), "{format:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "Operation returned an invalid status 'Bad Gateway'\nContent: {}",
                std::str::from_utf8(page).unwrap()
            )
        );
    }
}

#[test]
fn parse_and_parse_json_directly() {
    let h = headers(JSON);
    assert!(format::parse(ErrorFormat::Auto, &h, b"").is_none());
    let se = format::parse(
        ErrorFormat::Auto,
        &h,
        br#"{"error":{"code":"C","message":"M"}}"#,
    )
    .unwrap();
    assert_eq!(se.code(), Some("C"));
    let v = json!({"type": "urn:t", "title": "T"});
    let se = format::parse_json(ErrorFormat::Auto, "application/problem+json", &v).unwrap();
    assert!(matches!(se, ServiceError::Problem(_)));
    assert!(format::parse_json(ErrorFormat::StorageXml, "", &v).is_none());
    assert!(format::parse_json(ErrorFormat::None, "", &v).is_none());
}

// ===== Body text decoding =====

#[test]
fn charset_from_content_type() {
    let e = error(
        400,
        &[("content-type", "text/plain; charset=iso-8859-1")],
        b"caf\xe9",
        ErrorFormat::Auto,
    );
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: caf\u{e9}"
    );
    assert_eq!(e.response().unwrap().text().as_deref(), Some("caf\u{e9}"));

    // A JSON error in windows-1252 parses.
    let e = error(
        400,
        &[("content-type", "application/json; Charset=\"windows-1252\"")],
        b"{\"error\":{\"code\":\"C\",\"message\":\"caf\xe9\"}}",
        ErrorFormat::Auto,
    );
    assert_eq!(e.to_string(), "(C) caf\u{e9}\nCode: C\nMessage: caf\u{e9}");

    // UTF-16LE.
    let json = r#"{"error":{"code":"C","message":"ü"}}"#;
    let utf16: Vec<u8> = json.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let e = error(
        400,
        &[("content-type", "application/json; charset=utf-16le")],
        &utf16,
        ErrorFormat::Auto,
    );
    assert_eq!(e.to_string(), "(C) ü\nCode: C\nMessage: ü");
}

#[test]
fn deserialize_body_follows_the_declared_charset() {
    let e = error(
        400,
        &[("content-type", "application/json; charset=iso-8859-1")],
        b"{\"message\":\"caf\xe9\"}",
        ErrorFormat::None,
    );
    let v: serde_json::Value = e.deserialize_body().unwrap().unwrap();
    assert_eq!(v, json!({"message": "caf\u{e9}"}));
    // Without a charset: U+FFFD, like the text.
    let e = error(400, JSON, b"{\"message\":\"caf\xe9\"}", ErrorFormat::None);
    let v: serde_json::Value = e.deserialize_body().unwrap().unwrap();
    assert_eq!(v, json!({"message": "caf\u{fffd}"}));
    assert!(Error::from(ErrorKind::HttpResponse)
        .deserialize_body::<serde_json::Value>()
        .is_none());
}

#[test]
fn bom_is_stripped() {
    let e = error(400, &[], b"\xEF\xBB\xBFhello", ErrorFormat::Auto);
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: hello"
    );
    for ct in ["application/json", "application/json; charset=utf-8"] {
        let e = error(
            400,
            &[("content-type", ct)],
            b"\xEF\xBB\xBF{\"error\":{\"code\":\"C\",\"message\":\"M\"}}",
            ErrorFormat::Auto,
        );
        assert_eq!(e.to_string(), "(C) M\nCode: C\nMessage: M", "{ct}");
    }
}

#[test]
fn invalid_bytes_without_charset_become_replacement_characters() {
    let e = error(400, JSON, b"bad \xff byte \xc3", ErrorFormat::Auto);
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: bad \u{fffd} byte \u{fffd}"
    );
    // An unknown charset is treated as none.
    let e = error(
        400,
        &[("content-type", "text/plain; charset=x-no-such")],
        b"a\xffb",
        ErrorFormat::Auto,
    );
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'\nContent: a\u{fffd}b"
    );
    // A Latin-1 JSON body with no charset still parses, with U+FFFD in its message.
    let e = error(
        400,
        JSON,
        b"{\"error\":{\"code\":\"C\",\"message\":\"caf\xe9\"}}",
        ErrorFormat::Auto,
    );
    assert_eq!(
        e.to_string(),
        "(C) caf\u{fffd}\nCode: C\nMessage: caf\u{fffd}"
    );
}

#[test]
fn strict_decoding_with_a_declared_charset() {
    let ct = [("content-type", "application/json; charset=utf-8")];
    let e = error(
        400,
        &ct,
        b"{\"error\":{\"code\":\"C\",\"message\":\"caf\xe9\"}}",
        ErrorFormat::Auto,
    );
    // The text cannot be decoded: nothing is parsed and Content is omitted.
    assert!(e.service_error().is_none());
    assert!(e.response().unwrap().text().is_none());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Bad Request'"
    );
    // With an explicit message too.
    let e = e.with_message("custom");
    assert_eq!(e.to_string(), "custom");
}

#[test]
fn display_is_cut_at_2048_chars_not_bytes() {
    let prefix = "Operation returned an invalid status 'Bad Request'\nContent: ";
    let room = 2048 - prefix.chars().count();
    for unit in ["x", "é", "€", "😀"] {
        // Exactly 2048 characters: nothing is cut.
        let body = unit.repeat(room);
        let e = error(400, &[], body.as_bytes(), ErrorFormat::Auto);
        assert_eq!(e.to_string(), format!("{prefix}{body}"), "{unit}");
        // One more: the last character is cut, never half of one.
        let body = unit.repeat(room + 1);
        let e = error(400, &[], body.as_bytes(), ErrorFormat::Auto);
        let text = e.to_string();
        assert_eq!(text.chars().count(), 2048, "{unit}");
        assert_eq!(text, format!("{prefix}{}", unit.repeat(room)), "{unit}");
        // Way more.
        let body = unit.repeat(10_000);
        let e = error(400, &[], body.as_bytes(), ErrorFormat::Auto);
        assert_eq!(e.to_string().chars().count(), 2048, "{unit}");
        assert_eq!(
            e.message(),
            "Operation returned an invalid status 'Bad Request'"
        );
    }
}

#[test]
fn a_long_explicit_message_is_cut_only_with_content() {
    let long = "m".repeat(3000);
    let e = error(400, &[], b"body", ErrorFormat::Auto).with_message(long.clone());
    assert_eq!(e.to_string(), long[..2048]);
    let e = error(400, &[], b"", ErrorFormat::Auto).with_message(long.clone());
    assert_eq!(e.to_string(), long);
}

#[test]
fn parsed_errors_are_not_cut() {
    // As the reference: the 2048 cut applies only to the `Content:` fallback.
    let message = "m".repeat(5000);
    let body = json!({"error": {"code": "C", "message": message}}).to_string();
    let e = error(400, JSON, body.as_bytes(), ErrorFormat::Auto);
    assert_eq!(
        e.to_string(),
        format!("({0}) {1}\nCode: {0}\nMessage: {1}", "C", message)
    );
}

#[test]
fn body_bound_is_sixteen_mebibytes() {
    assert_eq!(MAX_ERROR_BODY, 16 << 20);
    let r = response(400, &[], &vec![b'a'; MAX_ERROR_BODY]);
    assert!(!r.is_body_truncated());
    assert_eq!(r.body().len(), MAX_ERROR_BODY);
    let r = response(400, &[], &vec![b'a'; MAX_ERROR_BODY + 1]);
    assert!(r.is_body_truncated());
    assert_eq!(r.body().len(), MAX_ERROR_BODY);
}

#[test]
fn captured_response_debug_hides_the_body_and_secrets() {
    let r = response(
        401,
        &[
            ("authorization", "Bearer secret-token"),
            ("x-ms-request-id", "rid"),
        ],
        b"secret body",
    );
    let debug = format!("{r:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("body_len: 11"), "{debug}");
    let e = Error::from_response(r, ErrorFormat::Auto, &ErrorMap::new());
    let debug = format!("{e:?}");
    assert!(!debug.contains("secret-token"), "{debug}");
    assert!(debug.contains("status: 401"), "{debug}");
}
