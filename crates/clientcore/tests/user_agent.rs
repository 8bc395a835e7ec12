//! The `User-Agent` end to end (reference §3.5; scenario I): the exact default, an application
//! prefix per client and per call, the SDK's name and version, and the environment suffix.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};

use clientcore::http::{HeaderName, HeaderValue, Method};
use clientcore::{Options, Request};
use support::{Reply, Server, TestClient};

/// `azsdk-rust-{name}/{version} ({os}; {arch})`, the core of every `User-Agent`.
fn core(name: &str, version: &str) -> String {
    format!(
        "azsdk-rust-{name}/{version} ({}; {})",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// A variable name no other test (or process) uses, set to `value`.
fn unique_env(value: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "CLIENTCORE_TEST_UA_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    std::env::set_var(&name, value);
    name
}

/// The `User-Agent` values the server saw on each request.
fn agents(server: &Server) -> Vec<Vec<String>> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .get_all("user-agent")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

both_drivers!(default_user_agent_has_the_exact_format, |driver| {
    let server = Server::start([Reply::status(200)]);
    // No environment variable at all, so the test does not depend on the machine's.
    let client = TestClient::new(driver, Options::new().with_user_agent_env(None));
    client.get(&server.url("/"), &Options::new()).unwrap();
    assert_eq!(
        agents(&server),
        [[core("clientcore", env!("CARGO_PKG_VERSION"))]]
    );
});

both_drivers!(sdk_name_and_version, |driver| {
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_user_agent_env(None)
            .with_sdk("storage-blob", "12.3.4"),
    );
    client.get(&server.url("/"), &Options::new()).unwrap();
    assert_eq!(agents(&server), [[core("storage-blob", "12.3.4")]]);
});

both_drivers!(application_prefix_per_client_and_per_call, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_user_agent_env(None)
            .with_sdk("foosdk", "1.0.0")
            .with_user_agent("myapp/1.0"),
    );
    client.get(&server.url("/1"), &Options::new()).unwrap();
    client
        .get(
            &server.url("/2"),
            &Options::new().with_user_agent("percall/2"),
        )
        .unwrap();
    let base = core("foosdk", "1.0.0");
    assert_eq!(
        agents(&server),
        [
            [format!("myapp/1.0 {base}")],
            // I3: a per-call application id goes in front of the client's.
            [format!("percall/2 myapp/1.0 {base}")],
        ]
    );
});

both_drivers!(environment_suffix_is_appended, |driver| {
    let var = unique_env("mytools/7");
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_user_agent_env(Some(&var))
            .with_user_agent("app/1")
            .with_sdk("foosdk", "1.0.0"),
    );
    client.get(&server.url("/"), &Options::new()).unwrap();
    assert_eq!(
        agents(&server),
        [[format!("app/1 {} mytools/7", core("foosdk", "1.0.0"))]]
    );
});

both_drivers!(environment_suffix_off_or_empty_adds_nothing, |driver| {
    let set = unique_env("should-not-appear");
    let empty = unique_env("");
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let off = TestClient::new(driver, Options::new().with_user_agent_env(None));
    off.get(&server.url("/off"), &Options::new()).unwrap();
    let blank = TestClient::new(driver, Options::new().with_user_agent_env(Some(&empty)));
    blank.get(&server.url("/empty"), &Options::new()).unwrap();
    let base = core("clientcore", env!("CARGO_PKG_VERSION"));
    // The reference adds a trailing space for an empty value; clientcore adds nothing.
    assert_eq!(agents(&server), [[base.clone()], [base]]);
    std::env::remove_var(set);
    std::env::remove_var(empty);
});

both_drivers!(user_agent_is_sent_once_even_when_preset, |driver| {
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new().with_user_agent_env(None));
    let request = Request::new(Method::GET, server.url("/").parse().unwrap()).with_header(
        HeaderName::from_static("user-agent"),
        HeaderValue::from_static("preset/0"),
    );
    client.send(request, &Options::new()).unwrap();
    let seen = agents(&server);
    assert_eq!(seen.len(), 1);
    // The reference keeps a preset value; clientcore replaces it (reported). Either way the
    // header goes out once, never as two values.
    assert_eq!(seen[0].len(), 1, "exactly one User-Agent: {seen:?}");
    assert!(
        seen[0][0] == "preset/0" || seen[0][0] == core("clientcore", env!("CARGO_PKG_VERSION")),
        "{seen:?}"
    );
});
