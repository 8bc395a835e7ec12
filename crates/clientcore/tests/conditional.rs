//! Conditional requests end to end: `MatchConditions` and `ETag` become headers on the wire,
//! and the statuses a failed precondition gets map to the kinds generated code raises.

mod support;

use clientcore::conditions::{Conditional, ETag, MatchConditions};
use clientcore::{ErrorKind, Options};
use support::{Reply, Server, TestClient};

/// Sends one GET with `condition` and `etag` to a server answering `reply`; returns what the
/// server saw in `If-Match` / `If-None-Match` and the call's result kind.
fn run(
    driver: support::Driver,
    condition: MatchConditions,
    etag: Option<&ETag>,
    reply: Reply,
    success: Option<&[u16]>,
) -> (Option<String>, Option<String>, Result<u16, ErrorKind>) {
    let server = Server::start([reply]);
    let client = TestClient::new(driver, Options::new());
    let mut opts = Conditional::new(condition, etag)
        .unwrap()
        .apply(Options::new());
    if let Some(list) = success {
        opts = opts.with_success_statuses(list);
    }
    let result = client
        .get(&server.url("/c/blob"), &opts)
        .map(|g| g.status.as_u16())
        .map_err(|e| e.kind());
    let seen = &server.requests()[0];
    (
        seen.header("if-match").map(str::to_owned),
        seen.header("if-none-match").map(str::to_owned),
        result,
    )
}

both_drivers!(
    if_not_modified_sends_if_match_and_412_is_resource_modified,
    |driver| {
        let etag = ETag::new("\"0x1E646F7FC008100\"");
        let (if_match, if_none, result) = run(
            driver,
            MatchConditions::IfNotModified,
            Some(&etag),
            Reply::status(412).header("x-ms-error-code", "ConditionNotMet"),
            None,
        );
        assert_eq!(if_match.as_deref(), Some("\"0x1E646F7FC008100\""));
        assert_eq!(if_none, None);
        assert_eq!(result, Err(ErrorKind::ResourceModified));
    }
);

both_drivers!(
    if_present_sends_star_and_412_is_resource_not_found,
    |driver| {
        let (if_match, _, result) = run(
            driver,
            MatchConditions::IfPresent,
            None,
            Reply::status(412),
            None,
        );
        assert_eq!(if_match.as_deref(), Some("*"));
        assert_eq!(result, Err(ErrorKind::ResourceNotFound));
    }
);

both_drivers!(
    if_missing_sends_none_match_star_and_412_is_resource_exists,
    |driver| {
        let (if_match, if_none, result) = run(
            driver,
            MatchConditions::IfMissing,
            None,
            Reply::status(412),
            None,
        );
        assert_eq!(if_match, None);
        assert_eq!(if_none.as_deref(), Some("*"));
        assert_eq!(result, Err(ErrorKind::ResourceExists));
    }
);

both_drivers!(weak_table_etag_is_sent_byte_for_byte, |driver| {
    // Azure Tables' weak ETags hold URL-encoded characters; re-encoding breaks the match.
    let raw = "W/\"datetime'2026-11-22T22%3A25%3A56.4604245Z'\"";
    let etag = ETag::new(raw);
    let (if_match, _, result) = run(
        driver,
        MatchConditions::IfNotModified,
        Some(&etag),
        Reply::status(204),
        None,
    );
    assert_eq!(if_match.as_deref(), Some(raw));
    assert_eq!(result, Ok(204));
});

both_drivers!(
    not_modified_is_a_response_or_an_error_as_the_operation_says,
    |driver| {
        let etag = ETag::strong("0x1");
        let (_, if_none, result) = run(
            driver,
            MatchConditions::IfModified,
            Some(&etag),
            Reply::status(304),
            None,
        );
        assert_eq!(if_none.as_deref(), Some("\"0x1\""));
        assert_eq!(result, Ok(304));
        let (_, _, result) = run(
            driver,
            MatchConditions::IfModified,
            Some(&etag),
            Reply::status(304).header("x-ms-error-code", "ConditionNotMet"),
            Some(&[200]),
        );
        assert_eq!(result, Err(ErrorKind::ResourceNotModified));
    }
);

#[test]
fn a_condition_that_needs_an_etag_fails_before_sending() {
    let err = Conditional::new(MatchConditions::IfNotModified, None).unwrap_err();
    assert!(err.to_string().contains("etag"), "{err}");
}
