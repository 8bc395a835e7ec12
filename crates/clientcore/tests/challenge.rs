//! The 401-challenge handler (`policy::challenge::ChallengeAuth`) end to end, under both
//! drivers: the scope and tenant of a `WWW-Authenticate: Bearer` challenge get a new token and
//! one resend; a challenge naming another domain, or a tenant that is not one, gets nothing;
//! a second challenge stands.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use clientcore::credential::{BlockingTokenCredential, TokenCredential};
use clientcore::http::Method;
use clientcore::pipeline::TokenRequest;
use clientcore::policies::auth::{AccessToken, AccessTokenInfo, Credential};
use clientcore::policies::challenge::ChallengeAuth;
use clientcore::transport::BoxFuture;
use clientcore::{Body, Error, ErrorKind, Options, Position, Request, SharedPolicy, Verify};
use support::{Driver, Reply, Server, Setup, TestClient, TestPki};

const SCOPE: &str = "https://configured.example/.default";

/// Hands out `t1`, `t2`, ... and records what each call asked for: scopes, tenant, claims.
#[derive(Debug, Default)]
struct Recording {
    asked: Mutex<Vec<(Vec<String>, Option<String>)>>,
}

impl Recording {
    fn next(&self, request: &TokenRequest) -> AccessTokenInfo {
        let mut asked = self.asked.lock().unwrap();
        asked.push((request.scopes.clone(), request.tenant_id.clone()));
        AccessTokenInfo::new(AccessToken {
            token: format!("t{}", asked.len()),
            expires_on: SystemTime::now() + Duration::from_secs(3600),
        })
    }

    fn asked(&self) -> Vec<(Vec<String>, Option<String>)> {
        self.asked.lock().unwrap().clone()
    }
}

impl TokenCredential for Recording {
    fn get_token<'a>(&'a self, _: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>> {
        unreachable!("the pipeline asks through get_token_for")
    }

    fn get_token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
    ) -> BoxFuture<'a, Result<AccessTokenInfo, Error>> {
        Box::pin(async move { Ok(self.next(request)) })
    }
}

impl BlockingTokenCredential for Recording {
    fn get_token(&self, _: &[String]) -> Result<AccessToken, Error> {
        unreachable!("the pipeline asks through get_token_for")
    }

    fn get_token_for(&self, request: &TokenRequest) -> Result<AccessTokenInfo, Error> {
        Ok(self.next(request))
    }
}

struct Fixture {
    server: Server,
    client: TestClient,
    cred: Arc<Recording>,
    _files: clientcore_testkit::PkiFiles,
}

fn fixture(driver: Driver, replies: impl IntoIterator<Item = Reply>) -> Fixture {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = Server::builder().tls(&pki).replies(replies).build();
    let cred = Arc::new(Recording::default());
    let client = TestClient::with(
        driver,
        Setup {
            options: Options::new()
                .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
                .with_credential(Credential::bearer([SCOPE]))
                .with_policy(Position::PerCall, SharedPolicy::new(ChallengeAuth::new()))
                .with_retry(clientcore::RetryOptions::none()),
            fake_clock: true,
            async_credential: Some(cred.clone()),
            blocking_credential: Some(cred.clone()),
        },
    );
    Fixture {
        server,
        client,
        cred,
        _files: files,
    }
}

impl Fixture {
    /// `https://localhost:PORT/path`: the test certificate is for `localhost`.
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.server.addr().port())
    }

    fn put(&self, path: &str) -> Result<u16, Error> {
        let request = Request::new(Method::PUT, self.url(path).parse().unwrap())
            .with_body(Body::from("secret=v1"));
        self.client
            .send(request, &Options::new())
            .map(|got| got.status.as_u16())
    }

    fn auths(&self) -> Vec<Option<String>> {
        self.server
            .requests()
            .iter()
            .map(|r| r.header("authorization").map(str::to_owned))
            .collect()
    }
}

fn challenge(authorization: &str, resource: &str) -> Reply {
    Reply::status(401).header(
        "www-authenticate",
        format!(r#"Bearer authorization="{authorization}", resource="{resource}""#),
    )
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "compared with the recorded headers, which may be absent"
)]
fn bearer(t: &str) -> Option<String> {
    Some(format!("Bearer {t}"))
}

both_drivers!(
    a_challenge_gets_a_token_for_its_scope_and_tenant_and_one_resend,
    |driver| {
        let f = fixture(
            driver,
            [
                challenge("https://login.example/tenant-2", "https://localhost"),
                Reply::status(200),
                Reply::status(200),
            ],
        );
        assert_eq!(f.put("/secrets/a").unwrap(), 200);
        assert_eq!(
            f.cred.asked(),
            [
                (vec![SCOPE.to_owned()], None),
                (
                    vec!["https://localhost/.default".to_owned()],
                    Some("tenant-2".to_owned())
                ),
            ]
        );
        // The next call of the client uses the discovered token without a new challenge.
        assert_eq!(f.put("/secrets/b").unwrap(), 200);
        assert_eq!(f.auths(), [bearer("t1"), bearer("t2"), bearer("t2")]);
        let bodies: Vec<_> = f.server.requests().iter().map(|r| r.body.clone()).collect();
        assert!(
            bodies.iter().all(|b| &b[..] == b"secret=v1"),
            "the body is resent"
        );
        assert!(f
            .server
            .requests()
            .iter()
            .all(|r| r.path.starts_with("/secrets/")));
    }
);

both_drivers!(a_challenge_for_another_domain_gets_no_token, |driver| {
    let f = fixture(
        driver,
        [challenge(
            "https://login.example/tenant-2",
            "https://evil.example",
        )],
    );
    let err = f.put("/secrets/a").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert!(
        err.to_string()
            .contains("'evil.example' does not match the requested domain"),
        "{err}"
    );
    assert_eq!(
        f.cred.asked().len(),
        1,
        "only the configured token was asked for"
    );
    assert_eq!(f.auths(), [bearer("t1")], "nothing was resent");
});

both_drivers!(a_challenge_with_a_hostile_tenant_gets_no_token, |driver| {
    let f = fixture(
        driver,
        [challenge(
            "https://login.example/..%2F..%2Fevil",
            "https://localhost",
        )],
    );
    let err = f.put("/secrets/a").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert!(err.to_string().contains("no valid tenant"), "{err}");
    assert_eq!(f.cred.asked().len(), 1);
    assert_eq!(f.server.requests().len(), 1);
});

both_drivers!(a_second_challenge_in_a_call_stands, |driver| {
    let f = fixture(
        driver,
        [
            challenge("https://login.example/tenant-2", "https://localhost"),
            challenge("https://login.example/tenant-3", "https://localhost"),
        ],
    );
    let err = f.put("/secrets/a").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(f.cred.asked().len(), 2);
    assert_eq!(f.auths(), [bearer("t1"), bearer("t2")]);
});
