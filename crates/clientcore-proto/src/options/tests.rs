//! The knob list's promises: every knob takes part in the merge, the emptiness test and
//! `Debug`, and `Debug` shows no secret.

use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderName, HeaderValue};

use super::{ClientCert, Options, Position, Proxies, Verify};
use crate::error::{ErrorKind, ErrorMap};
use crate::format::ErrorFormat;
use crate::pipeline::policy::policy_fn;
use crate::pipeline::retry::RetryOptions;
use crate::policies::auth::Credential;
use crate::policies::log::log_fn;
use crate::policies::redact::Redactor;

/// Each public setter once, with a value that differs from its default.
fn every_setter() -> Vec<(&'static str, Options)> {
    let o = Options::new;
    vec![
        (
            "header",
            o().with_header(
                HeaderName::from_static("x-a"),
                HeaderValue::from_static("1"),
            ),
        ),
        ("request_id", o().with_request_id("id")),
        (
            "request_id_header",
            o().with_request_id_header(HeaderName::from_static("x-id")),
        ),
        ("cookie", o().with_cookie("c", "v")),
        ("user_agent", o().with_user_agent("app/1")),
        ("user_agent_env", o().with_user_agent_env(None)),
        ("user_agent_suffix", o().with_user_agent_suffix("suffix")),
        ("sdk", o().with_sdk("sdk", "1.0")),
        ("credential", o().with_credential(Credential::bearer(["s"]))),
        ("retry", o().with_retry(RetryOptions::new().with_total(1))),
        ("redirects", o().with_redirects(false)),
        ("redirect_max", o().with_redirect_max(3)),
        ("https_downgrade", o().with_https_downgrade(true)),
        ("timeout", o().with_timeout(Duration::from_secs(1))),
        (
            "attempt_timeout",
            o().with_attempt_timeout(Duration::from_secs(1)),
        ),
        (
            "connection_timeout",
            o().with_connection_timeout(Duration::from_secs(1)),
        ),
        (
            "read_timeout",
            o().with_read_timeout(Duration::from_secs(1)),
        ),
        ("connection_verify", o().with_connection_verify(Verify::Off)),
        (
            "connection_cert",
            o().with_connection_cert(ClientCert::Pem(PathBuf::from("c.pem"))),
        ),
        ("proxies", o().with_proxies(Proxies::new().without_env())),
        ("block_size", o().with_block_size(10)),
        ("decompress", o().with_decompress(false)),
        ("logging", o().with_logging(true)),
        ("logging_multirecord", o().with_logging_multirecord(true)),
        ("logger", o().with_logger(log_fn(|_, _| {}))),
        ("redactor", o().with_redactor(Redactor::default())),
        ("span_name", o().with_span_name("op")),
        ("span_attribute", o().with_span_attribute("k", "v")),
        ("request_hook", o().with_request_hook(|_| {})),
        ("response_hook", o().with_response_hook(|_| {})),
        (
            "policy",
            o().with_policy(Position::PerTry, policy_fn(|_| Ok(()))),
        ),
        ("response_encoding", o().with_response_encoding("utf-8")),
        ("error_format", o().with_error_format(ErrorFormat::Arm)),
        (
            "error_map",
            o().with_error_map(ErrorMap::new().with(418, ErrorKind::ResourceExists)),
        ),
        ("success_statuses", o().with_success_statuses(&[200])),
        ("buffered_body", o().with_buffered_body(None)),
        ("stall_protection", o().with_stall_protection(None)),
        ("resume", o().with_resume(false)),
    ]
}

#[test]
fn every_knob_is_merged_counted_and_shown() {
    let empty = format!("{:?}", Options::new());
    assert_eq!(empty, "Options { .. }");
    for (name, set) in every_setter() {
        assert!(!set.is_empty(), "{name}: set, yet is_empty");
        let shown = format!("{set:?}");
        assert_ne!(shown, empty, "{name}: set, yet not in Debug");
        // Laid over nothing, the knob is kept; laid under nothing, too.
        assert_eq!(
            format!("{:?}", Options::new().overwrite(&set)),
            shown,
            "{name}: lost by the merge"
        );
        assert_eq!(
            format!("{:?}", set.overwrite(&Options::new())),
            shown,
            "{name}: lost under an empty call"
        );
    }
}

#[test]
fn debug_shows_no_secret() {
    let o = Options::new()
        .with_header(
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_static("k3y-secret"),
        )
        .with_header(
            HeaderName::from_static("accept"),
            HeaderValue::from_static("application/json"),
        )
        .with_cookie("session", "c00kie-secret")
        .with_proxies(Proxies::new().with("https", "http://user:pr0xy-secret@proxy:3128"))
        .with_credential(Credential::key(
            HeaderName::from_static("api-key"),
            "cred-secret",
        ))
        .with_span_attribute("k", "attr-value");
    let shown = format!("{o:?}");
    for secret in ["k3y-secret", "c00kie-secret", "pr0xy-secret", "cred-secret"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("application/json"), "allow-listed: {shown}");
    assert!(shown.contains("x-api-key"), "names are shown: {shown}");
    let sas = format!(
        "{:?}",
        Options::new().with_credential(Credential::sas("sig=sas-secret"))
    );
    assert!(!sas.contains("sas-secret"), "{sas}");
}

#[test]
fn with_retry_merges_with_an_earlier_call() {
    let o = Options::new()
        .with_retry(RetryOptions::new().with_total(2).with_backoff_factor(0.1))
        .with_retry(RetryOptions::new().with_total(5));
    assert_eq!(o.retry().total(), 5, "the later value wins");
    assert!(
        (o.retry().backoff_factor() - 0.1).abs() < f64::EPSILON,
        "a field the later call leaves unset is kept"
    );
}

#[test]
fn with_error_map_merges_with_an_earlier_call() {
    let o = Options::new()
        .with_error_map(
            ErrorMap::new()
                .with(418, ErrorKind::ResourceExists)
                .with(423, ErrorKind::ResourceNotFound),
        )
        .with_error_map(ErrorMap::new().with(423, ErrorKind::ResourceModified));
    let map = o.error_map();
    assert_eq!(map.kind_for(418), ErrorKind::ResourceExists, "kept");
    assert_eq!(
        map.kind_for(423),
        ErrorKind::ResourceModified,
        "the later wins"
    );
    assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound, "generated");
}

#[test]
fn overwrite_keeps_the_special_merges() {
    let client = Options::new()
        .with_user_agent("client/1")
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        )
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("2"),
        )
        .with_cookie("a", "1")
        .with_timeout(Duration::from_secs(30));
    let call = Options::new()
        .with_user_agent("call/2")
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("3"),
        )
        .with_cookie("b", "2");
    let merged = client.overwrite(&call);
    assert_eq!(merged.user_agent_prefix(), Some("call/2 client/1"));
    let values: Vec<_> = merged.headers().get_all("x-a").iter().collect();
    assert_eq!(
        values,
        ["3"],
        "a name the call sets replaces all the client's values"
    );
    assert_eq!(merged.cookies().len(), 2, "cookies are appended");
    assert_eq!(merged.timeout(), Duration::from_secs(30), "inherited");
}

#[test]
fn stall_protection_is_on_by_default_and_set_or_turned_off_per_call() {
    use super::StallProtection;
    let default = StallProtection::default();
    assert_eq!(
        (default.min_bytes_per_sec, default.grace),
        (1, Duration::from_secs(20))
    );
    assert_eq!(default.bytes_per_window(), 20);
    let fast = StallProtection {
        min_bytes_per_sec: 1000,
        grace: Duration::from_millis(300),
    };
    assert_eq!(fast.bytes_per_window(), 300);
    let client = Options::new().with_stall_protection(Some(fast));
    assert_eq!(
        client.overwrite(&Options::new()).stall_protection(),
        Some(fast)
    );
    let call = Options::new().with_stall_protection(None);
    assert_eq!(client.overwrite(&call).stall_protection(), None);
    let zero = StallProtection {
        min_bytes_per_sec: 0,
        grace: Duration::from_millis(1),
    };
    assert_eq!(zero.bytes_per_window(), 1, "at least a byte per window");
    let off = StallProtection {
        grace: Duration::ZERO,
        ..default
    };
    assert_eq!(
        Options::new()
            .with_stall_protection(Some(off))
            .stall_protection(),
        None
    );
}
