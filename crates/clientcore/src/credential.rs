//! Token credentials: where bearer tokens come from.
//!
//! The pipeline asks for a token only when its cache has none that is valid for more than
//! five minutes, so a credential can be slow (a network call to an identity provider).

use std::fmt;

use clientcore_proto::policy::auth::AccessToken;
use clientcore_proto::Error;

use crate::transport::BoxFuture;

/// Gets tokens asynchronously.
///
/// # Examples
///
/// ```
/// use clientcore::credential::TokenCredential;
/// use clientcore::transport::BoxFuture;
/// use clientcore::policy::auth::AccessToken;
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
}

/// Gets tokens, blocking.
pub trait BlockingTokenCredential: Send + Sync + fmt::Debug {
    /// A token for `scopes`.
    ///
    /// # Errors
    ///
    /// Whatever the identity provider failed with, typically `ClientAuthentication`.
    fn get_token(&self, scopes: &[String]) -> Result<AccessToken, Error>;
}
