//! Userinfo in a request URL (`http://user:password@host/`) never goes on the wire in a
//! request target and never into a log: the transport sends it as Basic authorization (as
//! Python's requests does), unless the request has an `Authorization` of its own, which wins.

use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use clientcore::http::header::AUTHORIZATION;
use clientcore::http::HeaderValue;
use clientcore::{Options, Proxies, Request, RetryOptions};
use http::Method;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

use crate::server::{RawServer, Script};
use crate::support::TestClient;

const PASSWORD: &str = "S3cr3t-91c2";
/// `alice:S3cr3t-91c2`, base64.
const ALICE_BASIC: &str = "Basic YWxpY2U6UzNjcjN0LTkxYzI=";

/// Everything every crate records through `tracing`, at every level, in this process.
fn captured() -> &'static Mutex<String> {
    static LOG: OnceLock<&'static Mutex<String>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log: &'static Mutex<String> = Box::leak(Box::new(Mutex::new(String::new())));
        let subscriber = tracing_subscriber::registry().with(Capture(log));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        log
    })
}

/// A layer that writes every span's fields and every event's into a string.
struct Capture(&'static Mutex<String>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        true
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::Id,
        _: Context<'_, S>,
    ) {
        let mut log = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = write!(log, "\nspan {}:", attrs.metadata().target());
        attrs.record(&mut Fields(&mut log));
    }

    fn on_record(&self, _: &tracing::Id, values: &tracing::span::Record<'_>, _: Context<'_, S>) {
        values.record(&mut Fields(
            &mut self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ));
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut log = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = write!(log, "\nevent {}:", event.metadata().target());
        event.record(&mut Fields(&mut log));
    }
}

fn assert_not_logged(secret: &str) {
    let log = captured()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(!log.is_empty(), "the capture saw nothing: is it installed?");
    if let Some(at) = log.find(secret) {
        // The record around it, not the whole capture.
        let from = log[..at].rfind('\n').unwrap_or(0);
        let to = log[at..].find('\n').map_or(log.len(), |i| at + i);
        panic!("a log has the password: {}", &log[from..to]);
    }
}

/// Logging on, at every level: the pipeline's request and response records too.
fn logged() -> Options {
    Options::new()
        .with_retry(RetryOptions::none())
        .with_logging(true)
}

both_drivers!(
    userinfo_through_a_proxy_is_basic_auth_not_the_target,
    |driver| {
        captured();
        let proxy = RawServer::start([Script::ok("via proxy")]);
        let client = TestClient::new(
            driver,
            logged().with_proxies(Proxies::new().with("http", proxy.origin()).without_env()),
        );
        let got = client
            .get(
                &format!("http://alice:{PASSWORD}@127.0.0.1:9/items?x=1"),
                &Options::new(),
            )
            .unwrap();
        assert_eq!(got.body, "via proxy");
        let seen = &proxy.requests()[0];
        assert_eq!(
            seen.request_line,
            "GET http://127.0.0.1:9/items?x=1 HTTP/1.1"
        );
        assert_eq!(seen.header("host"), Some("127.0.0.1:9"));
        assert_eq!(seen.header("authorization"), Some(ALICE_BASIC));
        let raw = String::from_utf8_lossy(&seen.raw_head);
        assert!(!raw.contains(PASSWORD) && !raw.contains("alice"), "{raw}");
        assert_not_logged(PASSWORD);
    }
);

both_drivers!(userinfo_direct_is_basic_auth_percent_decoded, |driver| {
    captured();
    let server = RawServer::start([Script::ok("direct")]);
    let client = TestClient::new(driver, logged());
    let url = server
        .url("/d")
        .replace("http://", "http://al%20ice:p%40ss%2Fword@");
    let got = client.get(&url, &Options::new()).unwrap();
    assert_eq!(got.body, "direct");
    let seen = &server.requests()[0];
    assert_eq!(seen.request_line, "GET /d HTTP/1.1");
    assert_eq!(
        seen.header("host"),
        Some(server.addr().to_string().as_str())
    );
    // `al ice:p@ss/word`, base64.
    assert_eq!(
        seen.header("authorization"),
        Some("Basic YWwgaWNlOnBAc3Mvd29yZA==")
    );
    assert_not_logged("p%40ss");
});

both_drivers!(the_request_authorization_wins_over_userinfo, |driver| {
    captured();
    let server = RawServer::start([Script::ok("mine")]);
    let client = TestClient::new(driver, logged());
    let url = server
        .url("/own")
        .replace("http://", &format!("http://alice:{PASSWORD}@"));
    let request = Request::new(Method::GET, url.parse().unwrap())
        .with_header(AUTHORIZATION, HeaderValue::from_static("Bearer own-token"));
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.body, "mine");
    let seen = &server.requests()[0];
    assert_eq!(seen.request_line, "GET /own HTTP/1.1");
    assert_eq!(seen.header("authorization"), Some("Bearer own-token"));
    assert!(!String::from_utf8_lossy(&seen.raw_head).contains(PASSWORD));
    assert_not_logged(PASSWORD);
});

both_drivers!(
    a_redirect_to_a_url_with_userinfo_keeps_it_off_the_wire,
    |driver| {
        captured();
        let second = RawServer::start([Script::ok("moved here")]);
        let location = second.url("/y").replace("http://", "http://bob:Tw0-5e7a@");
        let first = RawServer::start([Script::response(302, &[("location", &location)], "")]);
        let client = TestClient::new(driver, logged());
        let got = client.get(&first.url("/x"), &Options::new()).unwrap();
        assert_eq!(got.body, "moved here");
        let seen = &second.requests()[0];
        assert_eq!(seen.request_line, "GET /y HTTP/1.1");
        // `bob:Tw0-5e7a`, base64: the credentials the redirect named, for the host it named.
        assert_eq!(seen.header("authorization"), Some("Basic Ym9iOlR3MC01ZTdh"));
        assert!(!String::from_utf8_lossy(&seen.raw_head).contains("Tw0-5e7a"));
        assert_not_logged("Tw0-5e7a");
    }
);
