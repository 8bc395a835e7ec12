//! The error model end to end (reference §1.7, scenario B): error maps per client and per
//! call, the error format per call, the accepted statuses, 304 on a conditional GET, an
//! Azurite-style XML 404, a huge error body kept bounded, and no secrets in `Debug`.

mod support;

use clientcore::http::{header, HeaderValue, Method};
use clientcore::policies::auth::Credential;
use clientcore::{ErrorFormat, ErrorKind, ErrorMap, Options, Request, MAX_KEPT_ERROR_BODY};
use support::{Reply, Server, TestClient};

fn json(status: u16, code: &str) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"error":{{"code":"{code}","message":"status {status}"}}}}"#
        ))
}

both_drivers!(client_error_map_keeps_the_generated_defaults, |driver| {
    let server = Server::start([json(418, "Teapot"), json(404, "Gone"), json(500, "Boom")]);
    let client = TestClient::fake_time(
        driver,
        Options::new()
            .with_error_map(ErrorMap::new().with(418, ErrorKind::ResourceExists))
            .with_retry(clientcore::RetryOptions::none()),
    );
    let kinds: Vec<ErrorKind> = ["/418", "/404", "/500"]
        .iter()
        .map(|p| client.get(&server.url(p), &Options::new()).unwrap_err())
        .map(|e| e.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::ResourceExists,
            ErrorKind::ResourceNotFound,
            ErrorKind::HttpResponse
        ]
    );
    assert_eq!(server.requests().len(), 3);
});

both_drivers!(call_error_map_merges_over_the_clients, |driver| {
    let server = Server::start([
        json(418, "Teapot"),
        json(422, "Unprocessable"),
        json(404, "Gone"),
        json(418, "Teapot"),
    ]);
    let client = TestClient::new(
        driver,
        Options::new().with_error_map(
            ErrorMap::new()
                .with(418, ErrorKind::ResourceExists)
                .with(422, ErrorKind::ResourceModified),
        ),
    );
    let call = Options::new().with_error_map(
        ErrorMap::new()
            .with(418, ErrorKind::ResourceNotModified)
            .without(404),
    );
    let err = |path: &str, opts: &Options| client.get(&server.url(path), opts).unwrap_err();
    let teapot = err("/418", &call);
    assert_eq!(
        teapot.kind(),
        ErrorKind::ResourceNotModified,
        "the call's entry wins"
    );
    assert_eq!(teapot.error_code(), Some("Teapot"));
    assert_eq!(
        err("/422", &call).kind(),
        ErrorKind::ResourceModified,
        "the client's is kept"
    );
    let gone = err("/404", &call);
    assert_eq!(
        gone.kind(),
        ErrorKind::HttpResponse,
        "removed for this call"
    );
    assert!(gone.is_http_response());
    assert_eq!(
        err("/418", &Options::new()).kind(),
        ErrorKind::ResourceExists
    );
    assert_eq!(server.requests().len(), 4);
});

both_drivers!(error_format_per_call, |driver| {
    let arm = r#"{"error": {"code": "InvalidLocation",
      "message": "The location 'mars' is not available.",
      "additionalInfo": [{"type": "PolicyViolation", "info": {"policyEffect": "deny"}}]}}"#;
    let reply = || {
        Reply::status(400)
            .header("content-type", "application/json")
            .body(arm)
    };
    let server = Server::start([reply(), reply(), reply()]);
    let client = TestClient::new(driver, Options::new());
    let shown = |format: Option<ErrorFormat>| {
        let opts = match format {
            Some(f) => Options::new().with_error_format(f),
            None => Options::new(),
        };
        client.get(&server.url("/"), &opts).unwrap_err()
    };
    let odata = shown(Some(ErrorFormat::ODataV4));
    assert_eq!(
        odata.to_string(),
        "(InvalidLocation) The location 'mars' is not available.\n\
         Code: InvalidLocation\n\
         Message: The location 'mars' is not available."
    );
    let arm_err = shown(Some(ErrorFormat::Arm));
    assert_eq!(
        arm_err.to_string(),
        "(InvalidLocation) The location 'mars' is not available.\n\
         Code: InvalidLocation\n\
         Message: The location 'mars' is not available.\n\
         Additional Information:\n\
         Type: PolicyViolation\n\
         Info: {\n    \"policyEffect\": \"deny\"\n}"
    );
    let raw = shown(Some(ErrorFormat::None));
    assert_eq!(raw.error_code(), None);
    assert!(
        raw.to_string()
            .starts_with("Operation returned an invalid status 'Bad Request'\nContent: {"),
        "{raw}"
    );
    for e in [&odata, &arm_err, &raw] {
        assert_eq!(e.kind(), ErrorKind::HttpResponse);
        assert_eq!(e.status().map(|s| s.as_u16()), Some(400));
    }
});

both_drivers!(success_statuses_per_operation, |driver| {
    let server = Server::start([
        Reply::status(201).body("made"),
        Reply::status(201).body("made"),
        json(404, "Gone"),
    ]);
    let client = TestClient::new(driver, Options::new());
    let got = client
        .get(&server.url("/default"), &Options::new())
        .unwrap();
    assert_eq!(got.status, 201);
    assert_eq!(got.body, "made");
    let only_200 = Options::new().with_success_statuses(&[200]);
    let err = client.get(&server.url("/strict"), &only_200).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
    assert_eq!(
        err.to_string(),
        "Operation returned an invalid status 'Created'\nContent: made"
    );
    let with_404 = Options::new().with_success_statuses(&[200, 404]);
    let got = client.get(&server.url("/lenient"), &with_404).unwrap();
    assert_eq!(got.status, 404);
    assert_eq!(server.requests().len(), 3);
});

both_drivers!(not_modified_on_a_conditional_get_is_a_success, |driver| {
    let server = Server::start([Reply::status(304).header("etag", "\"v1\"")]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::GET, server.url("/blob").parse().unwrap())
        .with_header(header::IF_NONE_MATCH, HeaderValue::from_static("\"v1\""));
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.status, 304);
    assert!(got.body.is_empty());
    assert_eq!(got.headers["etag"], "\"v1\"");
    assert!(got.retries.is_empty());
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "a 304 is neither retried nor followed");
    assert_eq!(seen[0].header("if-none-match"), Some("\"v1\""));
});

both_drivers!(azurite_xml_404_with_custom_reason, |driver| {
    let phrase = "The specified blob does not exist.";
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
        <Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.\n\
        RequestId:6f0e3d1c-0001-0000-0000-000000000000\n\
        Time:2024-01-01T00:00:00.0000000Z</Message></Error>";
    let server = Server::start([Reply::status(404)
        .reason(phrase)
        .header("x-ms-error-code", "BlobNotFound")
        .header("x-ms-request-id", "6f0e3d1c-0001-0000-0000-000000000000")
        .header("content-type", "application/xml")
        .body(body)]);
    let client = TestClient::new(driver, Options::new());
    let err = client
        .get(
            &server.url("/devstoreaccount1/c/missing.txt"),
            &Options::new(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert!(err.is_http_response());
    assert_eq!(err.error_code(), Some("BlobNotFound"));
    assert_eq!(err.reason(), Some(phrase));
    assert_eq!(err.response().unwrap().reason(), phrase);
    assert_eq!(
        err.request_id(),
        Some("6f0e3d1c-0001-0000-0000-000000000000")
    );
    assert!(
        err.to_string()
            .contains("The specified blob does not exist."),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(a_huge_error_body_is_captured_bounded, |driver| {
    let huge = "x".repeat(10 * 1024 * 1024);
    let server = Server::start([Reply::status(400)
        .header("content-type", "text/plain")
        .body(huge)]);
    let client = TestClient::new(driver, Options::new());
    let err = client
        .get(&server.url("/big"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    let response = err.response().unwrap();
    assert_eq!(response.body().len(), MAX_KEPT_ERROR_BODY);
    assert!(response.is_body_truncated());
    let shown = err.to_string();
    assert!(shown.starts_with("Operation returned an invalid status 'Bad Request'\nContent: xxx"));
    assert!(
        shown.chars().count() <= 2048,
        "Display is cut: {} chars",
        shown.len()
    );
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(error_debug_shows_no_secrets, |driver| {
    let server = Server::start([Reply::status(403)
        .header("set-cookie", "session=s3cr3t-cookie")
        .header("x-ms-encryption-key", "s3cr3t-key")
        .header("x-ms-request-id", "rid-1")
        .header("content-type", "application/json")
        .body(r#"{"error":{"code":"AuthorizationFailure","message":"denied"}}"#)]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_credential(Credential::key(header::AUTHORIZATION, "Token s3cr3t-token")),
    );
    let err = client
        .get(&server.url("/c?sig=s3cr3t-sig"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.error_code(), Some("AuthorizationFailure"));
    // The values are there for code that asks for them...
    let headers = err.response().unwrap().headers();
    assert_eq!(headers["set-cookie"], "session=s3cr3t-cookie");
    // ...but never printed.
    let debug = format!("{err:?} {:?} {err}", err.response());
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(
        debug.contains("rid-1"),
        "allow-listed values are shown: {debug}"
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Token s3cr3t-token")
    );
});

both_drivers!(a_large_valid_error_keeps_its_code_and_message, |driver| {
    // 1.2 MB of OData error, most of it details: read and parsed whole (the read bound is
    // 16 MiB), kept bounded.
    let detail = r#"{"code": "D", "message": "one of very many details"},"#;
    let details = detail.repeat(1_200_000 / detail.len());
    let body = format!(
        r#"{{"error": {{"code": "TooManyThings", "message": "There were too many.", "details": [{}]}}}}"#,
        details.trim_end_matches(',')
    );
    let server = Server::start([Reply::status(400)
        .header("content-type", "application/json")
        .body(body)]);
    let client = TestClient::new(driver, Options::new());
    let err = client
        .get(
            &server.url("/big"),
            &Options::new().with_error_format(ErrorFormat::ODataV4),
        )
        .unwrap_err();
    assert_eq!(err.error_code(), Some("TooManyThings"));
    assert!(err
        .to_string()
        .starts_with("(TooManyThings) There were too many.\nCode: TooManyThings\n"));
    assert_eq!(err.response().unwrap().body().len(), MAX_KEPT_ERROR_BODY);
});

both_drivers!(error_map_by_service_code_end_to_end, |driver| {
    // Azure Storage: the code is in `x-ms-error-code` and the XML body; the map's code entries
    // decide the kind whatever the status, per client and per call.
    let storage = |status: u16, code: &str| {
        Reply::status(status)
            .header("content-type", "application/xml")
            .header("x-ms-error-code", code)
            .body(format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code>\
                 <Message>m</Message></Error>"
            ))
    };
    let server = Server::start([
        storage(403, "AuthenticationFailed"),
        storage(409, "QueueAlreadyExists"),
        storage(403, "AuthorizationFailure"),
        storage(409, "QueueAlreadyExists"),
    ]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_error_format(ErrorFormat::StorageXml)
            .with_error_map(
                ErrorMap::new()
                    .with_code("AuthenticationFailed", ErrorKind::ClientAuthentication)
                    .with_code("QueueAlreadyExists", ErrorKind::ResourceExists),
            ),
    );
    let err = |opts: &Options| client.get(&server.url("/q"), opts).unwrap_err();
    let auth = err(&Options::new());
    assert_eq!(auth.kind(), ErrorKind::ClientAuthentication);
    assert_eq!(auth.error_code(), Some("AuthenticationFailed"));
    assert_eq!(auth.status().map(|s| s.as_u16()), Some(403));
    let exists = err(&Options::new());
    assert_eq!(exists.kind(), ErrorKind::ResourceExists);
    assert_eq!(exists.error_code(), Some("QueueAlreadyExists"));
    let unmapped = err(&Options::new());
    assert_eq!(unmapped.kind(), ErrorKind::HttpResponse);
    assert_eq!(unmapped.error_code(), Some("AuthorizationFailure"));
    // A call's map overrides the client's code entry.
    let call = Options::new().with_error_map(
        ErrorMap::new().with_code("QueueAlreadyExists", ErrorKind::ResourceModified),
    );
    assert_eq!(err(&call).kind(), ErrorKind::ResourceModified);
    assert_eq!(server.requests().len(), 4);
});
