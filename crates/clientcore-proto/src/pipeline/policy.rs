//! Custom policies: code that sees every request, response and failure of a call.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::pipeline::side::SideTask;
use crate::pipeline::{HookRequest, ResponseHead};

/// A step of the pipeline that an SDK or application adds.
///
/// Every hook has a default that does nothing, so a policy implements only what it needs.
/// Policies run synchronously inside the exchange: they decide, they never do I/O (work that
/// needs I/O, like fetching a token, is a step the driver performs).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::policy::{policy_fn, Policy};
/// use clientcore::pipeline::RequestParts;
///
/// struct Tenant(&'static str);
/// impl Policy for Tenant {
///     fn on_request(&self, request: &mut RequestParts) -> Result<(), clientcore::Error> {
///         request.headers.insert("x-tenant", self.0.parse().unwrap());
///         Ok(())
///     }
/// }
///
/// let from_closure = policy_fn(|request: &mut RequestParts| {
///     request.headers.insert("x-from-closure", "1".parse().unwrap());
///     Ok(())
/// });
/// # let _ = (Tenant("t"), from_closure);
/// ```
pub trait Policy: Send + Sync {
    /// Shapes the request. An error ends the call with that error.
    ///
    /// # Errors
    ///
    /// The policy's own error, returned to the caller.
    fn on_request(&self, request: &mut crate::pipeline::RequestParts) -> Result<(), Error> {
        let _ = request;
        Ok(())
    }

    /// Sees each response as received, before retry and redirect decisions.
    fn on_response(&self, request: &HookRequest<'_>, response: &ResponseHead) {
        let _ = (request, response);
    }

    /// Sees each transport failure.
    fn on_error(&self, request: &HookRequest<'_>, error: &Error) {
        let _ = (request, error);
    }

    /// Asked when a response fails (its body read into `error`, with the service's code):
    /// `Some` to take a detour of requests of its own before the call goes on (see
    /// [`side`](crate::pipeline::side)), such as ARM's resource-provider registration. The
    /// first policy that answers `Some` takes the detour; at most
    /// [`MAX_DETOURS`](crate::pipeline::side::MAX_DETOURS) per call.
    fn detour(
        &self,
        request: &HookRequest<'_>,
        response: &ResponseHead,
        error: &Error,
    ) -> Option<Box<dyn SideTask>> {
        let _ = (request, response, error);
        None
    }
}

/// A shared policy, cheap to clone.
#[derive(Clone)]
pub struct SharedPolicy(Arc<dyn Policy>);

impl SharedPolicy {
    /// Shares `policy`.
    pub fn new(policy: impl Policy + 'static) -> Self {
        SharedPolicy(Arc::new(policy))
    }
}

impl std::ops::Deref for SharedPolicy {
    type Target = dyn Policy;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for SharedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedPolicy")
    }
}

/// A policy made of a closure that shapes each request.
///
/// An adapter rather than a blanket `impl Policy for F`, so that a future hook with a
/// different closure signature does not become a breaking change.
pub fn policy_fn<F>(f: F) -> SharedPolicy
where
    F: Fn(&mut crate::pipeline::RequestParts) -> Result<(), Error> + Send + Sync + 'static,
{
    struct PolicyFn<F>(F);
    impl<F> Policy for PolicyFn<F>
    where
        F: Fn(&mut crate::pipeline::RequestParts) -> Result<(), Error> + Send + Sync,
    {
        fn on_request(&self, request: &mut crate::pipeline::RequestParts) -> Result<(), Error> {
            (self.0)(request)
        }
    }
    SharedPolicy::new(PolicyFn(f))
}

// Object safety is part of the contract.
const _: fn(&dyn Policy) = |_| {};
