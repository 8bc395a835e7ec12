//! A credential a header cannot carry fails the call before anything is sent, with a
//! `ClientAuthentication` error that does not print it: never an unauthenticated request.

use clientcore::policies::auth::Credential;
use clientcore::{ErrorKind, Options};
use http::header::HeaderName;

use crate::server::{RawServer, Script};
use crate::support::TestClient;

both_drivers!(a_key_with_control_characters_fails_unsent, |driver| {
    for secret in [
        "Token k\r\nX-Injected: 1",
        "k\0secret",
        "k\nsecret",
        "k\u{7f}secret",
    ] {
        let server = RawServer::repeat(Script::ok("anonymous is fine here"));
        let options = Options::new().with_credential(Credential::key(
            HeaderName::from_static("authorization"),
            secret,
        ));
        let c = TestClient::new(driver, options);
        let err = c.get(&server.url("/x"), &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication, "{secret:?}");
        assert!(
            server.requests().is_empty(),
            "{secret:?} went out unauthenticated"
        );
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(
                !shown.contains("secret") && !shown.contains("Injected"),
                "{shown}"
            );
        }
    }
});
