//! `HTTP_PROXY` from the environment: honoured by default, ignored with `without_env`, and
//! still honoured next to explicit entries; `NO_PROXY`, `ALL_PROXY` and the CGI rule as curl
//! has them; a variable that is not a URL is an error naming it. Environment variables are process-global, so this binary holds one test (per
//! driver) and serializes them with a lock.

mod support;

use std::sync::{Mutex, PoisonError};

use clientcore::{ErrorKind, Options, Proxies};
use support::{Reply, Server, TestClient};

/// Serializes the tests of this binary: they change the process environment.
static ENV: Mutex<()> = Mutex::new(());

const VARS: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Clears the proxy variables, and puts the old values back on drop.
struct EnvGuard(Vec<(&'static str, Option<String>)>);

impl EnvGuard {
    fn clear() -> Self {
        let saved = VARS.iter().map(|v| (*v, std::env::var(v).ok())).collect();
        for v in VARS {
            std::env::remove_var(v);
        }
        EnvGuard(saved)
    }
}

impl Drop for EnvGuard {
    fn drop(&mut self) {
        for (var, value) in &self.0 {
            match value {
                Some(v) => std::env::set_var(var, v),
                None => std::env::remove_var(var),
            }
        }
    }
}

both_drivers!(http_proxy_env_is_honoured_unless_disabled, |driver| {
    let _lock = ENV.lock().unwrap_or_else(PoisonError::into_inner);
    let _env = EnvGuard::clear();
    let proxy = Server::builder()
        .proxy()
        .replies([
            Reply::status(200).body("env proxy"),
            Reply::status(200).body("env proxy beside an entry"),
            Reply::status(200).body("all proxy"),
        ])
        .build();
    let target = Server::start([
        Reply::status(200).body("direct"),
        Reply::status(200).body("no proxy"),
        Reply::status(200).body("cgi"),
    ]);
    std::env::set_var("HTTP_PROXY", proxy.origin());

    // Default proxies: the environment is read.
    let client = TestClient::new(driver, Options::new());
    let got = client.get(&target.url("/env"), &Options::new()).unwrap();
    assert_eq!(got.body, "env proxy");

    // `without_env`: the variable is ignored and the request goes direct.
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(Proxies::new().without_env()),
    );
    let got = client.get(&target.url("/direct"), &Options::new()).unwrap();
    assert_eq!(got.body, "direct");

    // An explicit entry for another scheme leaves `HTTP_PROXY` in force for `http://`.
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(Proxies::new().with("https", "http://127.0.0.1:9")),
    );
    let got = client.get(&target.url("/both"), &Options::new()).unwrap();
    assert_eq!(got.body, "env proxy beside an entry");

    // `NO_PROXY` names the target's host: direct.
    std::env::set_var("NO_PROXY", "localhost, 127.0.0.1");
    let client = TestClient::new(driver, Options::new());
    let got = client.get(&target.url("/no"), &Options::new()).unwrap();
    assert_eq!(got.body, "no proxy");
    std::env::remove_var("NO_PROXY");

    // Under CGI (`REQUEST_METHOD` set), `HTTP_PROXY` may come from a request header: ignored.
    std::env::set_var("REQUEST_METHOD", "GET");
    let client = TestClient::new(driver, Options::new());
    let got = client.get(&target.url("/cgi"), &Options::new()).unwrap();
    assert_eq!(got.body, "cgi");
    std::env::remove_var("REQUEST_METHOD");

    // `ALL_PROXY` alone covers `http://` too.
    std::env::remove_var("HTTP_PROXY");
    std::env::set_var("all_proxy", proxy.origin());
    let client = TestClient::new(driver, Options::new());
    let got = client.get(&target.url("/all"), &Options::new()).unwrap();
    assert_eq!(got.body, "all proxy");

    let proxied: Vec<_> = proxy.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        proxied,
        [target.url("/env"), target.url("/both"), target.url("/all")]
    );
    let direct: Vec<_> = target.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(direct, ["/direct", "/no", "/cgi"]);

    // A variable that is not a URL is an error that names it, not a silent bypass.
    std::env::remove_var("all_proxy");
    std::env::set_var("HTTP_PROXY", "http://[::1");
    let err = support::build_error(driver, Options::new());
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.to_string().contains("HTTP_PROXY"), "{err}");
    assert_eq!(target.requests().len(), 3, "nothing sent");
});
