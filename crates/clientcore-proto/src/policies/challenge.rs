//! A 401-challenge handler: the scope and tenant of a bearer token discovered from the
//! service's `WWW-Authenticate` challenge, as Key Vault's `ChallengeAuthPolicy` does, on the
//! [detour](crate::pipeline::side) mechanism.
//!
//! A 401 with `WWW-Authenticate: Bearer authorization="https://login.example/{tenant}",
//! resource="https://vault.example"` (or `scope="https://vault.example/.default"`;
//! `authorization_uri` and `resource_id` are read too) makes the call ask its token credential
//! for a token for that scope in that tenant, and send the original request once more with
//! it. The token is cached for the client's next calls, like any token of its bearer
//! credential.
//!
//! Nothing is sent to the challenge's `authorization` URI: only its first path segment, the
//! tenant, is read, and it must look like a tenant (letters, digits, `-`, `_`, `.`). The
//! discovered scope must be for the request's own domain (the request's host is the scope's
//! host or a subdomain of it, Key Vault's `verify_challenge_resource`): a challenge that names
//! another resource fails the call with a
//! [`ClientAuthentication`](crate::ErrorKind::ClientAuthentication) error and no token is
//! asked for. A call answers one challenge; a second 401 stands.
//!
//! Where the reference differs: Key Vault's policy sends the first request of a client with
//! no token and no body, to elicit the challenge. Here the first request goes as the client
//! is configured (with a token for the bearer credential's own scopes, and its body), and the
//! challenge, if any, is answered by a resend; the body must be replayable.

use url::Url;

use crate::error::{Error, ErrorKind};
use crate::pipeline::policy::Policy;
use crate::pipeline::side::{SideAnswer, SideStep, SideTask};
use crate::pipeline::{HookRequest, ResponseHead, TokenRequest};
use crate::policies::auth::challenges;

/// The policy. Add it per client with
/// [`Options::with_policy`](crate::options::Options::with_policy), next to a bearer
/// credential.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::{Options, Position};
/// use clientcore::pipeline::policy::SharedPolicy;
/// use clientcore::policies::auth::Credential;
/// use clientcore::policies::challenge::ChallengeAuth;
///
/// let options = Options::new()
///     .with_credential(Credential::bearer(["https://vault.azure.net/.default"]))
///     .with_policy(Position::PerCall, SharedPolicy::new(ChallengeAuth::new()));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct ChallengeAuth {
    verify_resource: bool,
}

impl Default for ChallengeAuth {
    fn default() -> Self {
        ChallengeAuth {
            verify_resource: true,
        }
    }
}

impl ChallengeAuth {
    /// Every default: the discovered scope is verified against the request's domain.
    pub fn new() -> Self {
        ChallengeAuth::default()
    }

    /// Whether the discovered scope must be for the request's domain. Default `true`; turn it
    /// off only for a service whose resource is known to live at another domain (the
    /// reference's `verify_challenge_resource=False`).
    #[must_use]
    pub fn with_verify_resource(mut self, verify: bool) -> Self {
        self.verify_resource = verify;
        self
    }
}

/// What a challenge names: the scope to ask for, and the tenant when there is one.
#[derive(Debug, PartialEq, Eq)]
struct Discovered {
    scope: String,
    tenant: Option<String>,
}

/// Reads the first Bearer challenge with an authorization server and a scope or resource.
/// `None` when there is none (the 401 is not this policy's); `Some(Err)` when one is there but
/// names what no token may be asked for.
fn discover(response: &ResponseHead) -> Option<Result<Discovered, &'static str>> {
    let challenge = response
        .headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(challenges)
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        // A claims challenge is continuous access evaluation's, answered by the pipeline.
        .filter(|c| c.param("claims").is_none())
        .find(|c| {
            (c.param("authorization").is_some() || c.param("authorization_uri").is_some())
                && ["scope", "resource", "resource_id"]
                    .iter()
                    .any(|p| c.param(p).is_some_and(|v| !v.is_empty()))
        })?;
    let authorization = challenge
        .param("authorization")
        .or_else(|| challenge.param("authorization_uri"))?;
    let scope = if let Some(scope) = challenge.param("scope").filter(|s| !s.is_empty()) {
        scope.to_owned()
    } else {
        let resource = challenge
            .param("resource")
            .filter(|s| !s.is_empty())
            .or_else(|| challenge.param("resource_id"))?;
        format!("{}/.default", resource.trim_end_matches('/'))
    };
    Some(tenant_of(authorization).map(|tenant| Discovered { scope, tenant }))
}

/// The tenant of an authorization server URI: its first path segment (the reference's
/// `uri_path.split("/")[0]`). AD FS's `adfs` is no tenant (the reference asks without one).
fn tenant_of(authorization: &str) -> Result<Option<String>, &'static str> {
    let url = Url::parse(authorization).map_err(|_| "its authorization URI is not a URL")?;
    let Some(first) = url.path_segments().and_then(|mut s| s.next()) else {
        return Ok(None);
    };
    if first.is_empty() || first.to_ascii_lowercase().ends_with("adfs") {
        return Ok(None);
    }
    let plausible = first.len() <= 256
        && first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plausible && first != "." && first != ".." {
        Ok(Some(first.to_owned()))
    } else {
        Err("its authorization URI names no valid tenant")
    }
}

/// Key Vault's `verify_challenge_resource`, by host: the request's host is the scope's host
/// or a subdomain of it (case-insensitive). The reference wants a strict subdomain; the
/// scope's own host is accepted too, as a token for a host is meant for that host.
fn verify_resource(scope: &str, request: &Url) -> Result<(), String> {
    let resource = Url::parse(scope)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("The challenge contains invalid scope '{scope}'."))?;
    let host = request.host_str().unwrap_or("").to_ascii_lowercase();
    if host == resource || host.ends_with(&format!(".{resource}")) {
        Ok(())
    } else {
        Err(format!(
            "The challenge resource '{resource}' does not match the requested domain. No token \
             was asked for it."
        ))
    }
}

impl Policy for ChallengeAuth {
    fn detour(
        &self,
        request: &HookRequest<'_>,
        response: &ResponseHead,
        error: &Error,
    ) -> Option<Box<dyn SideTask>> {
        let _ = error;
        if response.status != 401 {
            return None;
        }
        let step = match discover(response)? {
            Err(why) => SideStep::Fail(Error::new(
                ErrorKind::ClientAuthentication,
                format!("The service's authentication challenge was not answered: {why}."),
            )),
            Ok(found) => {
                let verified = if self.verify_resource {
                    verify_resource(&found.scope, &request.parts.url)
                } else {
                    Ok(())
                };
                if let Err(message) = verified {
                    SideStep::Fail(Error::new(ErrorKind::ClientAuthentication, message))
                } else {
                    let mut token = TokenRequest::new(vec![found.scope]).challenged();
                    token.tenant_id = found.tenant;
                    SideStep::ResendWithToken(token)
                }
            }
        };
        Some(Box::new(Once(Some(step))))
    }
}

/// A detour of one step.
struct Once(Option<SideStep>);

impl SideTask for Once {
    fn next(&mut self, _answer: Option<SideAnswer>) -> SideStep {
        self.0.take().unwrap_or(SideStep::GiveUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode};

    fn head(values: &[&str]) -> ResponseHead {
        let mut head = ResponseHead::new(StatusCode::UNAUTHORIZED);
        for v in values {
            head.headers.append(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_str(v).unwrap(),
            );
        }
        head
    }

    #[test]
    fn scope_and_tenant_are_read_as_key_vault_reads_them() {
        let found = |v: &str| discover(&head(&[v]));
        assert_eq!(
            found(
                r#"Bearer authorization="https://login.example/72f988bf-86f1", resource="https://vault.azure.net""#
            ),
            Some(Ok(Discovered {
                scope: "https://vault.azure.net/.default".into(),
                tenant: Some("72f988bf-86f1".into()),
            }))
        );
        assert_eq!(
            found(
                r#"Bearer authorization_uri="https://login.example/t1/oauth2/authorize", scope="https://svc.example/.default""#
            ),
            Some(Ok(Discovered {
                scope: "https://svc.example/.default".into(),
                tenant: Some("t1".into()),
            }))
        );
        // AD FS: no tenant.
        assert_eq!(
            found(
                r#"Bearer authorization="https://adfs.example/adfs", resource_id="https://svc.example/""#
            ),
            Some(Ok(Discovered {
                scope: "https://svc.example/.default".into(),
                tenant: None,
            }))
        );
        // Not this policy's: another scheme, no resource, a claims challenge, no header.
        assert_eq!(found(r#"Basic realm="x""#), None);
        assert_eq!(
            found(r#"Bearer authorization="https://login.example/t""#),
            None
        );
        assert_eq!(
            found(
                r#"Bearer authorization="https://login.example/t", resource="https://s", claims="e30""#
            ),
            None
        );
        assert_eq!(discover(&head(&[])), None);
        // Hostile tenants.
        for bad in [
            "https://login.example/t%2F..",
            "https://login.example/a b",
            "not a url",
        ] {
            let v = format!(r#"Bearer authorization="{bad}", resource="https://s.example""#);
            assert!(matches!(found(&v), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn the_scope_must_be_for_the_requests_domain() {
        let url: Url = "https://myvault.vault.azure.net/secrets/x".parse().unwrap();
        assert!(verify_resource("https://vault.azure.net/.default", &url).is_ok());
        assert!(verify_resource("https://VAULT.azure.net/.default", &url).is_ok());
        assert!(verify_resource("https://myvault.vault.azure.net/.default", &url).is_ok());
        for bad in [
            "https://evil.example/.default",
            "https://azure.net.evil.example/.default",
            "https://t.vault.azure.net/.default",
            "https://ault.azure.net/.default",
            "not a url",
            "",
        ] {
            assert!(verify_resource(bad, &url).is_err(), "{bad}");
        }
    }
}
