//! Credentials end to end (reference §3.12; scenario F for redirects): a key header and a SAS
//! query on every attempt, bearer tokens fetched once, cached, refreshed near expiry, refused
//! over plain HTTP, and never sent to another origin after a redirect.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use clientcore::credential::{BlockingTokenCredential, TokenCredential};
use clientcore::http::{header, HeaderName};
use clientcore::policies::auth::{AccessToken, Credential, KeyCredential, SasCredential};
use clientcore::transport::BoxFuture;
use clientcore::{Error, ErrorKind, Options, Verify};
use support::{Driver, Reply, Server, Setup, TestClient, TestPki};

const SCOPE: &str = "https://svc.example/.default";

/// A credential that hands out scripted tokens (or failures) and counts the calls.
#[derive(Debug)]
struct Scripted {
    /// Token text and lifetime from `start`, or a failure.
    script: Mutex<VecDeque<Option<(&'static str, Duration)>>>,
    start: SystemTime,
    calls: AtomicUsize,
    scopes: Mutex<Vec<Vec<String>>>,
    /// The claims of each call (`None` for `get_token`).
    claims: Mutex<Vec<Option<String>>>,
}

impl Scripted {
    fn new(script: impl IntoIterator<Item = Option<(&'static str, Duration)>>) -> Arc<Self> {
        Arc::new(Scripted {
            script: Mutex::new(script.into_iter().collect()),
            // The fake clock starts at the real time and stands still, so this is its start.
            start: SystemTime::now(),
            calls: AtomicUsize::new(0),
            scopes: Mutex::default(),
            claims: Mutex::default(),
        })
    }

    fn next(&self, scopes: &[String]) -> Result<AccessToken, Error> {
        self.next_with(scopes, None)
    }

    fn next_with(&self, scopes: &[String], claims: Option<&str>) -> Result<AccessToken, Error> {
        self.claims.lock().unwrap().push(claims.map(str::to_owned));
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.scopes.lock().unwrap().push(scopes.to_vec());
        match self.script.lock().unwrap().pop_front() {
            Some(Some((token, life))) => Ok(AccessToken {
                token: token.to_owned(),
                expires_on: self.start + life,
            }),
            Some(None) => Err(Error::new(
                ErrorKind::ClientAuthentication,
                "identity provider unavailable",
            )),
            None => panic!("the credential was asked for more tokens than scripted"),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenCredential for Scripted {
    fn get_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { self.next(scopes) })
    }

    fn get_token_with_claims<'a>(
        &'a self,
        scopes: &'a [String],
        claims: &'a str,
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { self.next_with(scopes, Some(claims)) })
    }
}

impl BlockingTokenCredential for Scripted {
    fn get_token(&self, scopes: &[String]) -> Result<AccessToken, Error> {
        self.next(scopes)
    }

    fn get_token_with_claims(&self, scopes: &[String], claims: &str) -> Result<AccessToken, Error> {
        self.next_with(scopes, Some(claims))
    }
}

const HOUR: Duration = Duration::from_secs(3600);

/// A TLS server with `replies`, and the files of its test PKI (the CA a client trusts); the
/// files are deleted when dropped, so a test keeps them for as long as it sends.
fn tls_server(replies: impl IntoIterator<Item = Reply>) -> (Server, clientcore_testkit::PkiFiles) {
    let pki = TestPki::new();
    let files = pki.write_files();
    (Server::builder().tls(&pki).replies(replies).build(), files)
}

/// A client on the fake clock that trusts `pki` and authenticates with `cred`.
fn bearer_client(driver: Driver, pki_ca: &std::path::Path, cred: &Arc<Scripted>) -> TestClient {
    TestClient::with(
        driver,
        Setup {
            options: Options::new()
                .with_connection_verify(Verify::CaBundle(pki_ca.to_path_buf()))
                .with_credential(Credential::bearer([SCOPE])),
            fake_clock: true,
            async_credential: Some(cred.clone()),
            blocking_credential: Some(cred.clone()),
        },
    )
}

fn auths(server: &Server) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| {
            let all: Vec<_> = r.headers.get_all("authorization").iter().collect();
            assert!(all.len() <= 1, "Authorization sent twice: {all:?}");
            r.header("authorization").map(str::to_owned)
        })
        .collect()
}

/// What the server should see in `Authorization` for token `t`.
#[allow(
    clippy::unnecessary_wraps,
    reason = "compared with the Option that auths() returns"
)]
fn bearer(t: &str) -> Option<String> {
    Some(format!("Bearer {t}"))
}

both_drivers!(key_credential_on_every_attempt, |driver| {
    // Azion: `Authorization: Token abc`.
    let server = Server::start([Reply::status(503), Reply::status(200), Reply::status(200)]);
    let client = TestClient::fake_time(
        driver,
        Options::new().with_credential(Credential::key(header::AUTHORIZATION, "Token abc")),
    );
    client.get(&server.url("/a"), &Options::new()).unwrap();
    client.get(&server.url("/b"), &Options::new()).unwrap();
    let token = Some("Token abc".to_owned());
    assert_eq!(auths(&server), [token.clone(), token.clone(), token]);
});

both_drivers!(key_credential_in_a_custom_header_per_call, |driver| {
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    let call = Options::new()
        .with_credential(Credential::key(HeaderName::from_static("api-key"), "k-123"));
    client.get(&server.url("/"), &call).unwrap();
    let seen = server.requests();
    assert_eq!(seen[0].header("api-key"), Some("k-123"));
    assert_eq!(seen[0].header("authorization"), None);
});

both_drivers!(sas_is_appended_to_the_query_once, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(200), Reply::status(200)]);
    let client = TestClient::fake_time(
        driver,
        Options::new().with_credential(Credential::sas("?sv=2024-01-01&sig=abc%2Bdef")),
    );
    client
        .get(&server.url("/c?comp=list"), &Options::new())
        .unwrap();
    client.get(&server.url("/c"), &Options::new()).unwrap();
    let queries: Vec<Option<String>> = server.requests().into_iter().map(|r| r.query).collect();
    let with = Some("comp=list&sv=2024-01-01&sig=abc%2Bdef".to_owned());
    assert_eq!(
        queries,
        [
            with.clone(),
            with, // the retry: not appended twice
            Some("sv=2024-01-01&sig=abc%2Bdef".to_owned()),
        ]
    );
});

both_drivers!(
    a_key_rotated_on_a_live_client_is_sent_by_its_next_call,
    |driver| {
        let server = Server::start([Reply::status(200), Reply::status(503), Reply::status(200)]);
        let key = KeyCredential::new("k-old");
        let client = TestClient::fake_time(
            driver,
            Options::new().with_credential(Credential::Key {
                header: HeaderName::from_static("api-key"),
                value: key.clone(),
            }),
        );
        client.get(&server.url("/a"), &Options::new()).unwrap();
        key.update("k-new").unwrap();
        assert!(
            key.update("").is_err(),
            "an empty key is refused and the new one stays"
        );
        client.get(&server.url("/b"), &Options::new()).unwrap();
        let keys: Vec<Option<String>> = server
            .requests()
            .iter()
            .map(|r| r.header("api-key").map(str::to_owned))
            .collect();
        let k = |s: &str| Some(s.to_owned());
        assert_eq!(keys, [k("k-old"), k("k-new"), k("k-new")]);
        assert_eq!(format!("{key:?}"), "KeyCredential(REDACTED)");
    }
);

both_drivers!(
    a_sas_rotated_on_a_live_client_is_sent_by_its_next_call,
    |driver| {
        let server = Server::start([
            Reply::status(200),
            Reply::status(503),
            Reply::status(200),
            Reply::status(200),
        ]);
        let sas = SasCredential::new("?sv=1&sig=old");
        let client = TestClient::fake_time(
            driver,
            Options::new().with_credential(Credential::Sas(sas.clone())),
        );
        client.get(&server.url("/a"), &Options::new()).unwrap();
        sas.update("sv=1&sig=new").unwrap();
        // A refused update keeps the signature in place.
        assert!(sas.update("?").is_err());
        client
            .get(&server.url("/b?comp=list"), &Options::new())
            .unwrap();
        client.get(&server.url("/c"), &Options::new()).unwrap();
        let queries: Vec<Option<String>> = server.requests().into_iter().map(|r| r.query).collect();
        assert_eq!(
            queries,
            [
                Some("sv=1&sig=old".to_owned()),
                Some("comp=list&sv=1&sig=new".to_owned()),
                Some("comp=list&sv=1&sig=new".to_owned()), // the retry
                Some("sv=1&sig=new".to_owned()),
            ]
        );
        assert_eq!(format!("{sas:?}"), "SasCredential(REDACTED)");
    }
);

both_drivers!(bearer_token_is_fetched_once_and_cached, |driver| {
    let (server, files) = tls_server([Reply::status(503), Reply::status(200), Reply::status(200)]);
    let cred = Scripted::new([Some(("t1", HOUR))]);
    let client = bearer_client(driver, files.ca(), &cred);
    client.get(&server.url("/1"), &Options::new()).unwrap();
    client.get(&server.url("/2"), &Options::new()).unwrap();
    assert_eq!(auths(&server), [bearer("t1"), bearer("t1"), bearer("t1")]);
    assert_eq!(cred.calls(), 1);
    assert_eq!(*cred.scopes.lock().unwrap(), [vec![SCOPE.to_owned()]]);
});

both_drivers!(bearer_token_is_refreshed_within_300s_of_expiry, |driver| {
    let (server, files) = tls_server([Reply::status(200), Reply::status(200), Reply::status(200)]);
    let cred = Scripted::new([Some(("t1", HOUR)), Some(("t2", 3 * HOUR))]);
    let client = bearer_client(driver, files.ca(), &cred);
    client.get(&server.url("/1"), &Options::new()).unwrap();
    // 310 s left: still fresh.
    client.clock.advance(Duration::from_secs(3600 - 310));
    client.get(&server.url("/2"), &Options::new()).unwrap();
    assert_eq!(cred.calls(), 1);
    // 230 s left: inside the refresh window whatever the jitter (0 to 60 s, reference §3.12).
    client.clock.advance(Duration::from_secs(80));
    client.get(&server.url("/3"), &Options::new()).unwrap();
    assert_eq!(cred.calls(), 2);
    assert_eq!(auths(&server), [bearer("t1"), bearer("t1"), bearer("t2")]);
});

both_drivers!(failed_refresh_uses_the_unexpired_token, |driver| {
    let (server, files) = tls_server([Reply::status(200), Reply::status(200)]);
    let cred = Scripted::new([Some(("t1", HOUR)), None, None]);
    let client = bearer_client(driver, files.ca(), &cred);
    client.get(&server.url("/1"), &Options::new()).unwrap();
    // 100 s left: a refresh is due, fails, and the old token still works.
    client.clock.advance(Duration::from_secs(3600 - 100));
    client.get(&server.url("/2"), &Options::new()).unwrap();
    assert_eq!(cred.calls(), 2);
    assert_eq!(auths(&server), [bearer("t1"), bearer("t1")]);
    // Expired: the failure ends the call before anything is sent.
    client.clock.advance(Duration::from_secs(101));
    let err = client.get(&server.url("/3"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert_eq!(err.to_string(), "identity provider unavailable");
    assert_eq!(cred.calls(), 3);
    assert_eq!(server.requests().len(), 2);
});

both_drivers!(bearer_over_plain_http_is_refused_unsent, |driver| {
    let server = Server::start(Vec::<Reply>::new());
    let cred = Scripted::new([Some(("t1", HOUR))]);
    let client = TestClient::with(
        driver,
        Setup {
            options: Options::new().with_credential(Credential::bearer([SCOPE])),
            fake_clock: true,
            async_credential: Some(cred.clone()),
            blocking_credential: Some(cred.clone()),
        },
    );
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert!(
        err.to_string().contains("not permitted for non-TLS"),
        "{err}"
    );
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 0);
    assert_eq!(
        cred.calls(),
        0,
        "no token is fetched for a request that cannot carry it"
    );
});

both_drivers!(bearer_kept_on_same_origin_redirect, |driver| {
    // F1: the auth policy re-adds the token after a same-origin redirect.
    let (server, files) = tls_server([
        Reply::status(301).header("location", "/moved"),
        Reply::status(200),
    ]);
    let cred = Scripted::new([Some(("t1", HOUR))]);
    let client = bearer_client(driver, files.ca(), &cred);
    client.get(&server.url("/start"), &Options::new()).unwrap();
    assert_eq!(auths(&server), [bearer("t1"), bearer("t1")]);
    assert_eq!(server.requests()[1].path, "/moved");
});

both_drivers!(
    no_bearer_after_cross_origin_redirect_even_on_retries,
    |driver| {
        // F2 and F6: 307 to another origin, then 500, then 200.
        let pki = TestPki::new();
        let files = pki.write_files();
        let other = Server::builder()
            .tls(&pki)
            .replies([Reply::status(500), Reply::status(200).body("there")])
            .build();
        let origin = Server::builder()
            .tls(&pki)
            .replies([Reply::status(307).header("location", other.url("/z"))])
            .build();
        let cred = Scripted::new([Some(("t1", HOUR))]);
        let client = bearer_client(driver, files.ca(), &cred);
        let got = client.get(&origin.url("/a"), &Options::new()).unwrap();
        assert_eq!(got.body, "there");
        assert_eq!(auths(&origin), [bearer("t1")]);
        assert_eq!(auths(&other), [None, None]);
        assert_eq!(cred.calls(), 1);
    }
);

both_drivers!(no_key_after_cross_origin_redirect, |driver| {
    let other = Server::start([Reply::status(200)]);
    let origin = Server::start([Reply::status(302).header("location", other.url("/z"))]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_credential(Credential::key(header::AUTHORIZATION, "Token abc"))
            .with_header(
                HeaderName::from_static("x-ms-authorization-auxiliary"),
                "aux".parse().unwrap(),
            ),
    );
    client.get(&origin.url("/a"), &Options::new()).unwrap();
    let first = &origin.requests()[0];
    assert_eq!(first.header("authorization"), Some("Token abc"));
    assert_eq!(first.header("x-ms-authorization-auxiliary"), Some("aux"));
    let second = &other.requests()[0];
    assert_eq!(second.header("authorization"), None);
    assert_eq!(second.header("x-ms-authorization-auxiliary"), None);
});

/// The claims of the CAE tests, and the challenge that carries them (base64url, no padding).
const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}"#;
const CLAIMS_B64URL: &str =
    "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNzI2MDc3NTk1In19fQ";

fn claims_challenge() -> Reply {
    let claims = CLAIMS_B64URL;
    Reply::status(401).header(
        "www-authenticate",
        format!(
            r#"Bearer realm="", authorization_uri="https://login.example/authorize", error="insufficient_claims", claims="{claims}""#
        ),
    )
}

both_drivers!(
    a_claims_challenge_gets_a_new_token_and_one_resend,
    |driver| {
        // Reference §3.12 (CAE): the 401's claims go to the credential, the request goes again
        // with the new token, and the new token is the one cached for the next call.
        let (server, files) = tls_server([
            claims_challenge(),
            Reply::status(200).body("ok"),
            Reply::status(200),
        ]);
        let cred = Scripted::new([Some(("t1", HOUR)), Some(("t2", HOUR))]);
        let client = bearer_client(driver, files.ca(), &cred);
        let got = client.get(&server.url("/1"), &Options::new()).unwrap();
        assert_eq!(got.status, 200);
        assert_eq!(got.body, "ok");
        client.get(&server.url("/2"), &Options::new()).unwrap();
        assert_eq!(auths(&server), [bearer("t1"), bearer("t2"), bearer("t2")]);
        assert_eq!(
            *cred.claims.lock().unwrap(),
            [None, Some(CLAIMS.to_owned())],
            "the second token was asked for with the challenge's claims"
        );
        let seen = server.requests();
        assert_eq!(
            seen[0].header("x-ms-client-request-id"),
            seen[1].header("x-ms-client-request-id"),
            "the resend is the same call"
        );
    }
);

both_drivers!(a_second_claims_challenge_ends_the_call, |driver| {
    let (server, files) = tls_server([claims_challenge(), claims_challenge()]);
    let cred = Scripted::new([Some(("t1", HOUR)), Some(("t2", HOUR))]);
    let client = bearer_client(driver, files.ca(), &cred);
    let err = client.get(&server.url("/1"), &Options::new()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
    assert_eq!(server.requests().len(), 2, "one resend per call");
    assert_eq!(cred.calls(), 2);
});

both_drivers!(a_failed_claims_token_is_the_error, |driver| {
    // The cached token is the one the service refused: a failed fetch does not fall back to it.
    let (server, files) = tls_server([claims_challenge()]);
    let cred = Scripted::new([Some(("t1", HOUR)), None]);
    let client = bearer_client(driver, files.ca(), &cred);
    let err = client.get(&server.url("/1"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication, "{err}");
    assert!(
        err.to_string().contains("identity provider unavailable"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(
    a_claims_challenge_after_a_cross_origin_redirect_is_not_answered,
    |driver| {
        // F5: 307 to another origin, then a 401 challenge there: the request after the
        // redirect has no Authorization, and no token is fetched for the other origin.
        let pki = TestPki::new();
        let files = pki.write_files();
        let other = Server::builder()
            .tls(&pki)
            .replies([claims_challenge()])
            .build();
        let origin = Server::builder()
            .tls(&pki)
            .replies([Reply::status(307).header("location", other.url("/z"))])
            .build();
        let cred = Scripted::new([Some(("t1", HOUR))]);
        let client = bearer_client(driver, files.ca(), &cred);
        let err = client.get(&origin.url("/a"), &Options::new()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
        assert_eq!(auths(&origin), [bearer("t1")]);
        assert_eq!(auths(&other), [None]);
        assert_eq!(cred.calls(), 1);
    }
);

both_drivers!(a_401_without_a_claims_challenge_is_not_resent, |driver| {
    let (server, files) = tls_server([
        Reply::status(401).header("www-authenticate", r#"Bearer error="invalid_token""#)
    ]);
    let cred = Scripted::new([Some(("t1", HOUR))]);
    let client = bearer_client(driver, files.ca(), &cred);
    let err = client.get(&server.url("/1"), &Options::new()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(cred.calls(), 1);
});

// ===== One place for a bearer credential (issue 15) =====

// `builder.bearer(scopes, cred)` alone: the scopes and where tokens come from in one call.
both_drivers!(bearer_configured_in_one_builder_call, |driver| {
    use clientcore::http::Method;
    use clientcore::{BlockingClient, Client, Request};

    let (server, files) = tls_server([Reply::status(200)]);
    let cred = Scripted::new([Some(("t1", HOUR))]);
    let options = Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let request = || Request::new(Method::GET, server.url("/one").parse().unwrap());
    let status = match driver {
        Driver::Async => {
            let client = Client::builder()
                .options(options)
                .bearer([SCOPE], cred.clone())
                .build()
                .unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime
                .block_on(client.send(request(), &Options::new()))
                .unwrap()
                .status()
        }
        Driver::Blocking => BlockingClient::builder()
            .options(options)
            .bearer([SCOPE], cred.clone())
            .build()
            .unwrap()
            .send(request(), &Options::new())
            .unwrap()
            .status(),
    };
    assert_eq!(status.as_u16(), 200);
    assert_eq!(auths(&server), [bearer("t1")]);
    assert_eq!(*cred.scopes.lock().unwrap(), [vec![SCOPE.to_owned()]]);
});

// Bearer scopes in the client's options with no token credential: `build` says so, instead
// of the first call failing.
both_drivers!(
    bearer_scopes_without_token_credential_fail_at_build,
    |driver| {
        use clientcore::{BlockingClient, Client};

        let options = Options::new().with_credential(Credential::bearer([SCOPE]));
        let err = match driver {
            Driver::Async => Client::builder().options(options).build().unwrap_err(),
            Driver::Blocking => BlockingClient::builder()
                .options(options)
                .build()
                .unwrap_err(),
        };
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        let text = err.to_string();
        assert!(text.contains("no token credential"), "{text}");
        assert!(text.contains("bearer(scopes, credential)"), "{text}");
    }
);

// A call that brings bearer scopes to a client without a token credential fails before
// anything is sent, with the same advice.
both_drivers!(
    call_bearer_without_token_credential_fails_unsent,
    |driver| {
        let (server, files) = tls_server(Vec::<Reply>::new());
        let client = TestClient::new(
            driver,
            Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf())),
        );
        let err = client
            .get(
                &server.url("/x"),
                &Options::new().with_credential(Credential::bearer([SCOPE])),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        assert!(
            err.to_string().contains("bearer(scopes, credential)"),
            "{err}"
        );
        assert!(server.requests().is_empty());
    }
);

/// A credential that takes 200 ms to answer (a slow identity provider) and counts its calls:
/// each call gets `token` for an hour, or fails when `token` is `None`.
#[derive(Debug)]
struct Slow {
    token: Option<&'static str>,
    calls: AtomicUsize,
}

const SLOW: Duration = Duration::from_millis(200);

impl Slow {
    fn answer(&self) -> Result<AccessToken, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.token {
            Some(t) => Ok(AccessToken {
                token: t.to_owned(),
                expires_on: SystemTime::now() + HOUR,
            }),
            None => Err(Error::new(
                ErrorKind::ClientAuthentication,
                "identity provider unavailable",
            )),
        }
    }
}

impl TokenCredential for Slow {
    fn get_token<'a>(&'a self, _: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move {
            tokio::time::sleep(SLOW).await;
            self.answer()
        })
    }
}

impl BlockingTokenCredential for Slow {
    fn get_token(&self, _: &[String]) -> Result<AccessToken, Error> {
        std::thread::sleep(SLOW);
        self.answer()
    }
}

const CONCURRENT: usize = 16;

/// Sends `CONCURRENT` GETs at once through `client` (tasks or threads), with a bearer
/// credential whose cache already holds `cached` (token, seconds of life left), and returns
/// what each call got.
fn concurrent_calls(
    driver: Driver,
    server: &Server,
    files: &clientcore_testkit::PkiFiles,
    cred: &Arc<Slow>,
    cached: (&str, u64),
) -> Vec<Result<u16, Error>> {
    let bearer = Credential::bearer([SCOPE]);
    let Credential::Bearer { cache, .. } = &bearer else {
        unreachable!()
    };
    // The fake clock's wall stands at about the real time it was made.
    cache.store(AccessToken {
        token: cached.0.to_owned(),
        expires_on: SystemTime::now() + Duration::from_secs(cached.1),
    });
    let client = TestClient::with(
        driver,
        Setup {
            options: Options::new()
                .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
                .with_credential(bearer),
            fake_clock: true,
            async_credential: Some(cred.clone()),
            blocking_credential: Some(cred.clone()),
        },
    );
    let url: clientcore::url::Url = server.url("/t").parse().unwrap();
    let get = |url: &clientcore::url::Url| {
        clientcore::Request::new(clientcore::http::Method::GET, url.clone())
    };
    match driver {
        Driver::Async => {
            let c = client.async_client().clone();
            client.block_on(async move {
                let tasks: Vec<_> = (0..CONCURRENT)
                    .map(|_| {
                        let (c, request) = (c.clone(), get(&url));
                        tokio::spawn(async move {
                            let r = c.send(request, &Options::new()).await?;
                            Ok(r.status().as_u16())
                        })
                    })
                    .collect();
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.unwrap());
                }
                out
            })
        }
        Driver::Blocking => {
            let c = client.blocking_client();
            let start = std::sync::Barrier::new(CONCURRENT);
            std::thread::scope(|s| {
                let threads: Vec<_> = (0..CONCURRENT)
                    .map(|_| {
                        let (start, request) = (&start, get(&url));
                        s.spawn(move || {
                            start.wait();
                            let r = c.send(request, &Options::new())?;
                            Ok(r.status().as_u16())
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            })
        }
    }
}

both_drivers!(
    concurrent_calls_with_a_stale_token_share_one_refresh,
    |driver| {
        // Issue 17: 16 calls find the cached token stale (100 s left) at once; one asks the
        // slow credential, the others wait for its token, and every request carries it.
        let (server, files) = tls_server((0..CONCURRENT).map(|_| Reply::status(200)));
        let cred = Arc::new(Slow {
            token: Some("new"),
            calls: AtomicUsize::new(0),
        });
        let started = std::time::Instant::now();
        let got = concurrent_calls(driver, &server, &files, &cred, ("old", 100));
        assert!(got.iter().all(|r| matches!(r, Ok(200))), "{got:?}");
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1, "one refresh for all");
        assert_eq!(auths(&server), vec![bearer("new"); CONCURRENT]);
        // One credential call of 200 ms, not 16 in turn.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
);

both_drivers!(
    a_failed_shared_refresh_falls_back_to_the_unexpired_token,
    |driver| {
        // The refresh the 16 calls wait for fails: each falls back to the cached token that
        // has not expired (as one call does alone), and the credential is asked once.
        let (server, files) = tls_server((0..CONCURRENT).map(|_| Reply::status(200)));
        let cred = Arc::new(Slow {
            token: None,
            calls: AtomicUsize::new(0),
        });
        let got = concurrent_calls(driver, &server, &files, &cred, ("old", 100));
        assert!(got.iter().all(|r| matches!(r, Ok(200))), "{got:?}");
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
        assert_eq!(auths(&server), vec![bearer("old"); CONCURRENT]);
    }
);

both_drivers!(
    a_failed_shared_refresh_with_no_usable_token_fails_every_waiter,
    |driver| {
        // Nothing to fall back on (the cached token has expired): every call fails with the
        // credential's error, none is sent, and none hangs.
        let (server, files) = tls_server(Vec::<Reply>::new());
        let cred = Arc::new(Slow {
            token: None,
            calls: AtomicUsize::new(0),
        });
        let got = concurrent_calls(driver, &server, &files, &cred, ("old", 0));
        assert_eq!(got.len(), CONCURRENT);
        for r in got {
            let err = r.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
            assert_eq!(err.to_string(), "identity provider unavailable");
        }
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
        assert!(server.requests().is_empty());
    }
);

/// A credential whose tokens live an hour but should be refreshed after ten minutes, as it
/// says through `get_token_info` (the reference's `refresh_on`).
#[derive(Debug)]
struct Hinted {
    start: SystemTime,
    calls: AtomicUsize,
}

impl Hinted {
    fn info(&self) -> clientcore::policies::auth::AccessTokenInfo {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        clientcore::policies::auth::AccessTokenInfo::from(AccessToken {
            token: format!("h{n}"),
            expires_on: self.start + HOUR,
        })
        .with_refresh_on(self.start + Duration::from_secs(600))
    }
}

impl TokenCredential for Hinted {
    fn get_token<'a>(&'a self, _: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move { Ok(self.info().token) })
    }

    fn get_token_info<'a>(
        &'a self,
        _: &'a [String],
        _: Option<&'a str>,
    ) -> BoxFuture<'a, Result<clientcore::policies::auth::AccessTokenInfo, Error>> {
        Box::pin(async move { Ok(self.info()) })
    }
}

impl BlockingTokenCredential for Hinted {
    fn get_token(&self, _: &[String]) -> Result<AccessToken, Error> {
        Ok(self.info().token)
    }

    fn get_token_info(
        &self,
        _: &[String],
        _: Option<&str>,
    ) -> Result<clientcore::policies::auth::AccessTokenInfo, Error> {
        Ok(self.info())
    }
}

both_drivers!(the_credentials_refresh_on_hint_is_honoured, |driver| {
    // Reference §3.12: with `refresh_on`, the token is refreshed once
    // `min(refresh_on + jitter, expires_on)` has passed, long before the 300 s window.
    let (server, files) = tls_server([Reply::status(200), Reply::status(200), Reply::status(200)]);
    let cred = Arc::new(Hinted {
        start: SystemTime::now(),
        calls: AtomicUsize::new(0),
    });
    let client = TestClient::with(
        driver,
        Setup {
            options: Options::new()
                .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
                .with_credential(Credential::bearer([SCOPE])),
            fake_clock: true,
            async_credential: Some(cred.clone()),
            blocking_credential: Some(cred.clone()),
        },
    );
    client.get(&server.url("/1"), &Options::new()).unwrap();
    // Nine minutes on: before the hint.
    client.clock.advance(Duration::from_secs(540));
    client.get(&server.url("/2"), &Options::new()).unwrap();
    // Past the hint and its largest jitter, 48 minutes before expiry.
    client.clock.advance(Duration::from_secs(600 + 61 - 540));
    client.get(&server.url("/3"), &Options::new()).unwrap();
    assert_eq!(auths(&server), [bearer("h1"), bearer("h1"), bearer("h2")]);
    assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
});

#[test]
fn a_cancelled_refresh_lets_a_waiting_call_lead_the_next() {
    // Async only (a blocking call cannot be dropped midway): the call that leads the refresh
    // is dropped while the credential works; the call waiting for it is let go, asks the
    // credential itself, and is sent with the new token, with no deadlock.
    support::bounded(|| {
        let (server, files) = tls_server([Reply::status(200)]);
        let cred = Arc::new(Slow {
            token: Some("new"),
            calls: AtomicUsize::new(0),
        });
        let client = TestClient::with(
            Driver::Async,
            Setup {
                options: Options::new()
                    .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
                    .with_credential(Credential::bearer([SCOPE])),
                fake_clock: true,
                async_credential: Some(cred.clone()),
                blocking_credential: None,
            },
        );
        let c = client.async_client().clone();
        let url: clientcore::url::Url = server.url("/t").parse().unwrap();
        let get = move || clientcore::Request::new(clientcore::http::Method::GET, url.clone());
        let status = client.block_on(async move {
            let leader = {
                let (c, request) = (c.clone(), get());
                tokio::spawn(async move {
                    tokio::time::timeout(
                        Duration::from_millis(50),
                        c.send(request, &Options::new()),
                    )
                    .await
                    .is_err()
                })
            };
            tokio::time::sleep(Duration::from_millis(10)).await;
            let waiter = c
                .send(get(), &Options::new())
                .await
                .map(|r| r.status().as_u16());
            assert!(leader.await.unwrap(), "the leader was cut by its timeout");
            waiter
        });
        assert_eq!(status.unwrap(), 200);
        assert_eq!(auths(&server), [bearer("new")]);
        assert_eq!(
            cred.calls.load(Ordering::SeqCst),
            1,
            "the cancelled call's ask never ended"
        );
    });
}
