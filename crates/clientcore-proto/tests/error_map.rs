//! Section B of the reference test scenarios (`map_error` and `ErrorMap`), plus the Rust
//! `ErrorMap` API: `generated()`, `merged()`, `without()` and `with_default()`.

use bytes::Bytes;
use clientcore_proto::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};

fn response(status: u16, body: &str) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    CapturedResponse::new(
        StatusCode::from_u16(status).unwrap(),
        headers,
        Bytes::copy_from_slice(body.as_bytes()),
    )
}

fn error(status: u16, map: &ErrorMap) -> Error {
    Error::from_response(response(status, ""), ErrorFormat::ODataV4, map)
}

#[test]
fn b1_b2_mapped_status_gives_the_mapped_kind() {
    // Python distinguishes a dict from an ErrorMap; Rust has only ErrorMap.
    let map = ErrorMap::new().with(404, ErrorKind::ResourceNotFound);
    assert_eq!(map.get(404), Some(ErrorKind::ResourceNotFound));
    assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
    let e = error(404, &map);
    assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
    assert!(e.is(ErrorKind::ResourceNotFound));
    assert!(e.is_http_response());
    assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Not Found'"
    );
}

#[test]
fn b3_unmapped_status_uses_the_default() {
    let map = ErrorMap::new()
        .with(404, ErrorKind::ResourceNotFound)
        .with_default(ErrorKind::ResourceExists);
    assert_eq!(map.get(401), Some(ErrorKind::ResourceExists));
    assert_eq!(error(401, &map).kind(), ErrorKind::ResourceExists);
    assert_eq!(error(404, &map).kind(), ErrorKind::ResourceNotFound);
}

#[test]
fn b4_default_only() {
    let map = ErrorMap::new().with_default(ErrorKind::ResourceExists);
    assert_eq!(map.get(401), Some(ErrorKind::ResourceExists));
    assert_eq!(map.kind_for(500), ErrorKind::ResourceExists);
    assert_eq!(error(401, &map).kind(), ErrorKind::ResourceExists);
}

#[test]
fn b5_none_entry_and_empty_map_mean_no_mapping() {
    // `map_error(404, resp, {404: None})`: no mapping; the caller raises the generic error.
    let map = ErrorMap::new().without(404);
    assert_eq!(map.get(404), None);
    assert_eq!(map.kind_for(404), ErrorKind::HttpResponse);
    assert_eq!(error(404, &map).kind(), ErrorKind::HttpResponse);
    // `map_error(500, resp, {})`.
    let empty = ErrorMap::new();
    assert_eq!(empty.get(500), None);
    assert_eq!(empty.kind_for(500), ErrorKind::HttpResponse);
    assert_eq!(error(500, &empty).kind(), ErrorKind::HttpResponse);
}

#[test]
fn b5b_removed_entry_falls_back_to_the_default() {
    // As `ErrorMap.get`: a falsy entry gives the default error.
    let map = ErrorMap::new()
        .with(404, ErrorKind::ResourceNotFound)
        .with_default(ErrorKind::ResourceExists)
        .without(404);
    assert_eq!(map.get(404), Some(ErrorKind::ResourceExists));
}

#[test]
fn b6_mapped_kind_has_the_same_display_as_http_response() {
    let bodies = [
        "",
        "plain text",
        r#"{"error":{"code":"Conflict","message":"Already there."}}"#,
        r#"{"code": 409, "error": {"global": ["x"]}}"#,
    ];
    let generated = ErrorMap::generated();
    for body in bodies {
        let mapped = Error::from_response(response(409, body), ErrorFormat::Arm, &generated);
        let plain = Error::from_response(response(409, body), ErrorFormat::Arm, &ErrorMap::new());
        assert_eq!(mapped.kind(), ErrorKind::ResourceExists);
        assert_eq!(plain.kind(), ErrorKind::HttpResponse);
        assert_eq!(mapped.to_string(), plain.to_string(), "{body}");
        assert_eq!(mapped.message(), plain.message(), "{body}");
        assert_eq!(mapped.service_error(), plain.service_error());
    }
    let e = Error::from_response(
        response(
            409,
            r#"{"error":{"code":"Conflict","message":"Already there."}}"#,
        ),
        ErrorFormat::Arm,
        &generated,
    );
    assert_eq!(
        e.to_string(),
        "(Conflict) Already there.\nCode: Conflict\nMessage: Already there."
    );
    let e = Error::from_response(response(409, ""), ErrorFormat::Arm, &generated);
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Conflict'"
    );
}

#[test]
fn generated_map_entries() {
    let map = ErrorMap::generated();
    assert_eq!(map.get(401), Some(ErrorKind::ClientAuthentication));
    assert_eq!(map.get(404), Some(ErrorKind::ResourceNotFound));
    assert_eq!(map.get(409), Some(ErrorKind::ResourceExists));
    // 304 and 412 are errors of a conditional call only (`with_match_conditions`).
    for status in [200, 304, 400, 403, 408, 412, 429, 500, 502, 503] {
        assert_eq!(map.get(status), None, "{status}");
        assert_eq!(map.kind_for(status), ErrorKind::HttpResponse, "{status}");
    }
    let conditional = ErrorMap::with_match_conditions();
    assert_eq!(conditional.get(304), Some(ErrorKind::ResourceNotModified));
    assert_eq!(conditional.get(412), Some(ErrorKind::ResourceModified));
    assert_eq!(conditional.get(404), Some(ErrorKind::ResourceNotFound));
    // Every mapped kind is still an HTTP response error.
    for status in [401, 404, 409, 304, 412] {
        let e = error(status, &conditional);
        assert!(e.is_http_response(), "{status}");
        assert!(!e.is_decode(), "{status}");
        assert!(!e.is_service_request(), "{status}");
        assert!(!e.is_retryable(), "{status}");
    }
}

#[test]
fn merged_applies_overrides_on_top() {
    let base = ErrorMap::generated();
    let per_call = ErrorMap::new()
        .with(500, ErrorKind::ResourceExists)
        .with(404, ErrorKind::ResourceModified)
        .without(409);
    let merged = base.merged(&per_call);
    assert_eq!(merged.kind_for(500), ErrorKind::ResourceExists);
    assert_eq!(merged.kind_for(404), ErrorKind::ResourceModified);
    assert_eq!(merged.get(409), None);
    assert_eq!(merged.kind_for(409), ErrorKind::HttpResponse);
    // Untouched entries stay.
    assert_eq!(merged.kind_for(401), ErrorKind::ClientAuthentication);
    assert_eq!(merged.kind_for(403), ErrorKind::HttpResponse);
    // The base map is not changed.
    assert_eq!(base, ErrorMap::generated());
    assert_eq!(base.kind_for(409), ErrorKind::ResourceExists);
}

#[test]
fn merged_with_empty_is_the_base() {
    let base = ErrorMap::generated();
    assert_eq!(base.merged(&ErrorMap::new()), base);
    assert_eq!(ErrorMap::new().merged(&base), base);
}

#[test]
fn merged_default() {
    let base = ErrorMap::new().with_default(ErrorKind::ResourceExists);
    // An override without a default keeps the base's default.
    let kept = base.merged(&ErrorMap::new().with(404, ErrorKind::ResourceNotFound));
    assert_eq!(kept.kind_for(500), ErrorKind::ResourceExists);
    assert_eq!(kept.kind_for(404), ErrorKind::ResourceNotFound);
    // An override's default replaces it.
    let replaced = base.merged(&ErrorMap::new().with_default(ErrorKind::ClientAuthentication));
    assert_eq!(replaced.kind_for(500), ErrorKind::ClientAuthentication);
}

#[test]
fn with_replaces_and_without_then_with_restores() {
    let map = ErrorMap::new()
        .with(404, ErrorKind::ResourceNotFound)
        .with(404, ErrorKind::ResourceExists);
    assert_eq!(map.kind_for(404), ErrorKind::ResourceExists);
    let map = map.without(404).with(404, ErrorKind::ResourceNotFound);
    assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
    // Order of insertion does not matter for equality of the lookups.
    let a = ErrorMap::new()
        .with(401, ErrorKind::ClientAuthentication)
        .with(404, ErrorKind::ResourceNotFound);
    let b = ErrorMap::new()
        .with(404, ErrorKind::ResourceNotFound)
        .with(401, ErrorKind::ClientAuthentication);
    for status in [401, 404, 500] {
        assert_eq!(a.kind_for(status), b.kind_for(status));
    }
}

#[test]
fn with_kind_overrides_the_mapped_kind() {
    let e = error(404, &ErrorMap::generated()).with_kind(ErrorKind::ResourceModified);
    assert_eq!(e.kind(), ErrorKind::ResourceModified);
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'Not Found'"
    );
}

#[test]
fn kind_hierarchy_matches_the_reference() {
    use ErrorKind as K;
    let http_children = [
        K::Decode,
        K::IncompleteRead,
        K::ResourceExists,
        K::ResourceNotFound,
        K::ClientAuthentication,
        K::ResourceModified,
        K::ResourceNotModified,
        K::TooManyRedirects,
    ];
    for k in http_children {
        assert!(k.is_a(K::HttpResponse), "{k:?}");
        assert!(k.is_a(K::Other), "{k:?}");
        assert!(!K::HttpResponse.is_a(k), "{k:?}");
    }
    assert!(K::IncompleteRead.is_a(K::Decode));
    assert!(K::ServiceRequestTimeout.is_a(K::ServiceRequest));
    assert!(K::ServiceResponseTimeout.is_a(K::ServiceResponse));
    assert!(!K::ServiceRequestTimeout.is_a(K::ServiceResponse));
    for k in [
        K::ServiceRequest,
        K::ServiceResponse,
        K::StreamConsumed,
        K::StreamClosed,
        K::ResponseNotRead,
        K::Serialization,
        K::Deserialization,
    ] {
        assert!(!k.is_a(K::HttpResponse), "{k:?}");
        assert_eq!(k.parent(), Some(K::Other), "{k:?}");
    }
    assert_eq!(K::Other.parent(), None);
    assert_eq!(K::ALL.len(), 19);
    for k in K::ALL {
        assert!(k.is_a(K::Other));
        assert!(k.is_a(k));
        assert!(k.class_name().ends_with("Error"), "{k:?}");
        assert_eq!(k.to_string(), k.class_name());
    }
    assert_eq!(K::Other.class_name(), "AzureError");
}

#[test]
fn retryable_statuses_follow_the_reference() {
    let map = ErrorMap::new();
    for status in [408, 429, 500, 502, 503, 504, 506, 599, 998] {
        assert!(error(status, &map).is_retryable(), "{status}");
        assert!(clientcore_proto::is_retryable_status(status), "{status}");
    }
    for status in [400, 401, 404, 409, 412, 501, 505, 999] {
        assert!(!error(status, &map).is_retryable(), "{status}");
    }
}

fn coded(status: u16, header_code: Option<&str>, body_code: Option<&str>) -> CapturedResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(code) = header_code {
        headers.insert("x-ms-error-code", HeaderValue::from_str(code).unwrap());
    }
    let body = body_code.map_or_else(String::new, |c| {
        format!(r#"{{"error": {{"code": "{c}", "message": "m"}}}}"#)
    });
    CapturedResponse::new(StatusCode::from_u16(status).unwrap(), headers, body.into())
}

fn storage_map() -> ErrorMap {
    ErrorMap::generated()
        .with_code("AuthenticationFailed", ErrorKind::ClientAuthentication)
        .with_code("QueueAlreadyExists", ErrorKind::ResourceExists)
        .with_code("QueueNotFound", ErrorKind::ResourceModified)
}

#[test]
fn a_code_entry_wins_over_the_status_entry_from_the_body_or_the_header() {
    let map = storage_map();
    let from = |status, header, body| {
        Error::from_response(coded(status, header, body), ErrorFormat::ODataV4, &map)
    };
    // From the parsed body: 403 has no status entry, the code has one.
    let e = from(403, None, Some("AuthenticationFailed"));
    assert_eq!(e.kind(), ErrorKind::ClientAuthentication);
    assert_eq!(e.error_code(), Some("AuthenticationFailed"));
    assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
    // From the header alone (a bodiless answer).
    assert_eq!(
        from(409, Some("QueueAlreadyExists"), None).kind(),
        ErrorKind::ResourceExists
    );
    // The code wins over the status's own entry (404 is ResourceNotFound in the map).
    assert_eq!(
        from(404, Some("QueueNotFound"), None).kind(),
        ErrorKind::ResourceModified
    );
    // The header wins over the body, as `error_code()` says.
    let e = from(
        400,
        Some("QueueAlreadyExists"),
        Some("AuthenticationFailed"),
    );
    assert_eq!(e.error_code(), Some("QueueAlreadyExists"));
    assert_eq!(e.kind(), ErrorKind::ResourceExists);
    // An unmapped code, or none: the status decides.
    assert_eq!(
        from(404, Some("BlobNotFound"), None).kind(),
        ErrorKind::ResourceNotFound
    );
    assert_eq!(
        from(403, None, Some("AuthorizationFailure")).kind(),
        ErrorKind::HttpResponse
    );
    assert_eq!(
        from(401, None, None).kind(),
        ErrorKind::ClientAuthentication
    );
}

#[test]
fn codes_are_compared_exactly() {
    let map = storage_map();
    for code in [
        "authenticationfailed",
        "AUTHENTICATIONFAILED",
        "AuthenticationFailed ",
        "",
    ] {
        assert_eq!(map.get_code(code), None, "{code:?}");
        assert_eq!(
            map.kind_for_error(403, Some(code)),
            ErrorKind::HttpResponse,
            "{code:?}"
        );
    }
    assert_eq!(
        map.get_code("AuthenticationFailed"),
        Some(ErrorKind::ClientAuthentication)
    );
}

#[test]
fn code_entries_merge_like_status_entries() {
    let client = storage_map().with_code("LeaseIdMissing", ErrorKind::ResourceModified);
    let call = ErrorMap::new()
        .with_code("QueueAlreadyExists", ErrorKind::ResourceNotModified)
        .without_code("LeaseIdMissing")
        .with_code("ContainerBeingDeleted", ErrorKind::ResourceExists);
    let merged = client.merged(&call);
    assert_eq!(
        merged.get_code("QueueAlreadyExists"),
        Some(ErrorKind::ResourceNotModified),
        "the call's wins"
    );
    assert_eq!(
        merged.get_code("AuthenticationFailed"),
        Some(ErrorKind::ClientAuthentication),
        "the client's is kept"
    );
    assert_eq!(
        merged.get_code("ContainerBeingDeleted"),
        Some(ErrorKind::ResourceExists),
        "the call's is added"
    );
    assert_eq!(
        merged.get_code("LeaseIdMissing"),
        None,
        "removed for this call"
    );
    assert_eq!(
        merged.kind_for_error(412, Some("LeaseIdMissing")),
        ErrorKind::HttpResponse,
        "a removed code falls back to the status"
    );
    // Removing then adding again restores it; merging with an empty map changes nothing.
    assert_eq!(
        merged
            .clone()
            .with_code("LeaseIdMissing", ErrorKind::ResourceExists)
            .get_code("LeaseIdMissing"),
        Some(ErrorKind::ResourceExists)
    );
    assert_eq!(client.merged(&ErrorMap::new()), client);
    // Status entries and code entries are independent.
    assert_eq!(merged.kind_for(404), ErrorKind::ResourceNotFound);
    assert_eq!(ErrorMap::new().without(404).get_code("404"), None);
}
