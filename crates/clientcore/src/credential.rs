//! Token credentials: where bearer tokens come from.
//!
//! The pipeline asks for a token only when its cache has none that is valid for more than
//! five minutes (less a jitter of up to a minute, or past the credential's `refresh_on`
//! hint), so a credential can be slow (a network call to an identity provider). When many
//! calls of a client find the token stale at once, one of them asks the credential and the
//! others wait for its answer (single flight).

use std::fmt;

use clientcore_proto::pipeline::TokenRequest;
use clientcore_proto::policies::auth::{AccessToken, AccessTokenInfo};
use clientcore_proto::Error;

use crate::transport::BoxFuture;

/// Gets tokens asynchronously.
///
/// # Examples
///
/// ```
/// use clientcore::credential::TokenCredential;
/// use clientcore::transport::BoxFuture;
/// use clientcore::policies::auth::AccessToken;
/// use std::time::{Duration, SystemTime};
///
/// #[derive(Debug)]
/// struct Fixed;
/// impl TokenCredential for Fixed {
///     fn get_token<'a>(&'a self, _scopes: &'a [String])
///         -> BoxFuture<'a, Result<AccessToken, clientcore::Error>> {
///         Box::pin(async {
///             Ok(AccessToken {
///                 token: "t".into(),
///                 expires_on: SystemTime::now() + Duration::from_secs(3600),
///             })
///         })
///     }
/// }
/// ```
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token for `scopes`.
    fn get_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, Error>>;

    /// A token for `scopes` that satisfies `claims`: the decoded claims (JSON) of a continuous
    /// access evaluation challenge, which a service sends with a 401 when the token it got no
    /// longer satisfies it. The pipeline asks once per call and sends the request again with
    /// the new token. The default ignores the claims and calls
    /// [`get_token`](Self::get_token); credentials of identity providers that support CAE pass
    /// them on (e.g. the `claims` parameter of a Microsoft Entra token request).
    fn get_token_with_claims<'a>(
        &'a self,
        scopes: &'a [String],
        claims: &'a str,
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        let _ = claims;
        self.get_token(scopes)
    }

    /// A token for `scopes` (satisfying `claims` when given) with the credential's hint of
    /// when to refresh it: the reference's `get_token_info`. The pipeline calls this one. The
    /// default calls [`get_token`](Self::get_token) or
    /// [`get_token_with_claims`](Self::get_token_with_claims) and gives no hint; a
    /// credential whose identity provider says when to refresh (`refresh_in`) overrides it.
    fn get_token_info<'a>(
        &'a self,
        scopes: &'a [String],
        claims: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AccessTokenInfo, Error>> {
        Box::pin(async move {
            match claims {
                None => self.get_token(scopes).await,
                Some(c) => self.get_token_with_claims(scopes, c).await,
            }
            .map(AccessTokenInfo::from)
        })
    }

    /// A token as the pipeline asks for it: `request`'s scopes and claims, and the tenant a
    /// service's challenge named (`request.tenant_id`, see
    /// [`SideStep::ResendWithToken`](clientcore_proto::pipeline::side::SideStep::ResendWithToken)).
    /// The pipeline calls this one. The default ignores the tenant and calls
    /// [`get_token_info`](Self::get_token_info); a credential that can get tokens in other
    /// tenants (the reference's `tenant_id` keyword) overrides it.
    fn get_token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
    ) -> BoxFuture<'a, Result<AccessTokenInfo, Error>> {
        self.get_token_info(&request.scopes, request.claims.as_deref())
    }
}

/// Gets tokens, blocking.
pub trait BlockingTokenCredential: Send + Sync + fmt::Debug {
    /// A token for `scopes`.
    ///
    /// # Errors
    ///
    /// Whatever the identity provider failed with, typically `ClientAuthentication`.
    fn get_token(&self, scopes: &[String]) -> Result<AccessToken, Error>;

    /// A token for `scopes` that satisfies `claims`, as
    /// [`TokenCredential::get_token_with_claims`]. The default ignores the claims.
    ///
    /// # Errors
    ///
    /// As [`get_token`](Self::get_token).
    fn get_token_with_claims(&self, scopes: &[String], claims: &str) -> Result<AccessToken, Error> {
        let _ = claims;
        self.get_token(scopes)
    }

    /// A token with its refresh hint, as [`TokenCredential::get_token_info`]. The default
    /// gives no hint.
    ///
    /// # Errors
    ///
    /// As [`get_token`](Self::get_token).
    fn get_token_info(
        &self,
        scopes: &[String],
        claims: Option<&str>,
    ) -> Result<AccessTokenInfo, Error> {
        match claims {
            None => self.get_token(scopes),
            Some(c) => self.get_token_with_claims(scopes, c),
        }
        .map(AccessTokenInfo::from)
    }

    /// A token as the pipeline asks for it, as [`TokenCredential::get_token_for`]. The
    /// default ignores the tenant.
    ///
    /// # Errors
    ///
    /// As [`get_token`](Self::get_token).
    fn get_token_for(&self, request: &TokenRequest) -> Result<AccessTokenInfo, Error> {
        self.get_token_info(&request.scopes, request.claims.as_deref())
    }
}
